/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/* The portable build's libraries loaded at run time (libcurl, libpcap,
 * libnftables): one loader for the three. */
#ifndef FV_RUNTIME_LIB_H
#define FV_RUNTIME_LIB_H

#include <stddef.h>

#define FV_ARRAY_LEN(a) (sizeof(a) / sizeof((a)[0]))

/* A function of the library and where its address goes. */
struct fv_runtime_sym {
	const char *name;
	void **slot;
};

/* dlopen()s the first of sonames that has every one of syms and fills
 * their slots. Returns its handle; NULL with the reason in why (dlerror's
 * for the first soname that would not open, else the first function a
 * library lacks), the slots then left as they were. */
void *fv_runtime_open(const char *const *sonames, size_t n_sonames,
		      const struct fv_runtime_sym *syms, size_t n_syms,
		      char *why, size_t why_len);

#endif
