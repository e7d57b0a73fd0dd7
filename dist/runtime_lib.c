// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
#include <dlfcn.h>
#include <stdio.h>

#include "runtime_lib.h"

void *fv_runtime_open(const char *const *sonames, size_t n_sonames,
		      const struct fv_runtime_sym *syms, size_t n_syms,
		      char *why, size_t why_len)
{
	size_t i, s;

	why[0] = '\0';
	for (i = 0; i < n_sonames; i++) {
		void *lib = dlopen(sonames[i], RTLD_NOW | RTLD_LOCAL);

		if (!lib) {
			if (!why[0])
				snprintf(why, why_len, "%s", dlerror());
			continue;
		}
		for (s = 0; s < n_syms && dlsym(lib, syms[s].name); s++)
			;
		if (s < n_syms) {
			snprintf(why, why_len, "%s lacks %s", sonames[i],
				 syms[s].name);
			dlclose(lib);
			continue;
		}
		for (s = 0; s < n_syms; s++)
			*syms[s].slot = dlsym(lib, syms[s].name);
		return lib;
	}
	return NULL;
}
