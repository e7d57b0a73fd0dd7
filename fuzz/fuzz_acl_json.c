// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/* ACL JSON (aws ec2 describe-network-acls) parser. Property: what loads
 * survives a round trip through the text form unchanged. */
#include "fuzz.h"
#include "acl.h"

void fz_acl_roundtrip(const struct acl_set *set);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct acl_set set;
	char err[512], *s = fz_cstr(data, size);

	if (!s)
		return 0;
	if (acl_load_json("fuzz.json", s, &set, err, sizeof(err))) {
		fz_message(err, sizeof(err));
		FZ_CHECK(!strncmp(err, "fuzz.json", 9));
	} else {
		fz_acl_roundtrip(&set);
		acl_set_free(&set);
	}
	free(s);
	return 0;
}
