// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/* ACL JSON (aws ec2 describe-network-acls) parser. Property: what loads
 * survives a round trip through the text form unchanged. */
#include "acl_roundtrip.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	return fz_acl_load_one(data, size, "fuzz.json", acl_load_json);
}
