// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/* ACL text form parser (docs/acl.md). Same round-trip property. */
#include "acl_roundtrip.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	return fz_acl_load_one(data, size, "fuzz.acl", acl_load_text);
}
