// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/* ACL text form parser (docs/acl.md). Same round-trip property. */
#include "fuzz.h"
#include "acl.h"

void fz_acl_roundtrip(const struct acl_set *set);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct acl_set set;
	char err[512], *s = fz_cstr(data, size);

	if (!s)
		return 0;
	if (acl_load_text("fuzz.acl", s, &set, err, sizeof(err))) {
		fz_message(err, sizeof(err));
		FZ_CHECK(!strncmp(err, "fuzz.acl", 8));
	} else {
		fz_acl_roundtrip(&set);
		acl_set_free(&set);
	}
	free(s);
	return 0;
}
