// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/* The agents' status JSON as `verify --agent` reads it: an array of one
 * to four status objects, joined by fv_remote_join(). A malformed status
 * is refused with one line naming the agent; a joined result is an
 * object with a status word. */
#include <jansson.h>
#include "fuzz.h"
#include "agent.h"
#include "remote.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static const char *const names[] = { "http://a:9123", "http://b:9123",
					     "http://c:9123", "http://d:9123" };
	json_t *root, *st[4], *res;
	char err[512];
	size_t i, n;

	root = json_loadb((const char *)data, size, JSON_REJECT_DUPLICATES, NULL);
	if (!root)
		return 0;
	if (json_is_object(root)) {
		st[0] = root;
		n = 1;
	} else if (json_is_array(root) && json_array_size(root) >= 1 &&
		   json_array_size(root) <= 4) {
		n = json_array_size(root);
		for (i = 0; i < n; i++)
			st[i] = json_array_get(root, i);
	} else {
		json_decref(root);
		return 0;
	}
	err[0] = '\0';
	res = fv_remote_join(st, names, n, 30.0, 1.0, err, sizeof(err));
	if (!res) {
		fz_message(err, sizeof(err));
		FZ_CHECK(strstr(err, "http://"));
	} else {
		FZ_CHECK(json_is_object(res));
		FZ_CHECK(json_is_string(json_object_get(res, "status")));
		free(json_dumps(res, 0));
		json_decref(res);
	}
	json_decref(root);
	return 0;
}
