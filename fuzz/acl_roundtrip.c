// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/* Shared by the ACL targets: a loaded set, written in the text form and
 * read back, must come back the same. */
#define _GNU_SOURCE
#include "fuzz.h"
#include "acl.h"
#include "acl_roundtrip.h"

static void same_sets(const struct acl_set *a, const struct acl_set *b)
{
	size_t i, k;

	FZ_CHECK(a->n == b->n);
	for (i = 0; i < a->n; i++) {
		FZ_CHECK(!strcmp(a->acls[i].id, b->acls[i].id));
		FZ_CHECK(a->acls[i].n == b->acls[i].n);
		for (k = 0; k < a->acls[i].n; k++) {
			const struct acl_entry *x = &a->acls[i].entries[k];
			const struct acl_entry *y = &b->acls[i].entries[k];

			FZ_CHECK(x->dir == y->dir && x->rule == y->rule &&
				 x->proto == y->proto && x->allow == y->allow);
			FZ_CHECK(x->cidr.family == y->cidr.family &&
				 x->cidr.len == y->cidr.len &&
				 !memcmp(x->cidr.addr, y->cidr.addr, 16));
			if (x->proto == ACL_PROTO_TCP || x->proto == ACL_PROTO_UDP)
				FZ_CHECK(x->port_from == y->port_from &&
					 x->port_to == y->port_to);
		}
	}
}

/* Writes a set in the text form and reads it back. */
static void roundtrip(const struct acl_set *set)
{
	struct acl_set back;
	char err[512], *buf = NULL;
	size_t len = 0, i;
	FILE *f = open_memstream(&buf, &len);

	if (!f)
		abort();
	for (i = 0; i < set->n; i++)
		acl_write_text(f, &set->acls[i], set->acls[i].role);
	fclose(f);
	if (acl_load_text("roundtrip", buf, &back, err, sizeof(err))) {
		fprintf(stderr, "text form of a loaded set does not load: %s\n%s",
			err, buf);
		abort();
	}
	same_sets(set, &back);
	acl_set_free(&back);
	free(buf);
}

/* One input through one loader: a refusal names the file and says why;
 * what loads survives the round trip. */
int fz_acl_load_one(const uint8_t *data, size_t size, const char *name,
		    fz_acl_loader load)
{
	struct acl_set set;
	char err[512], *s = fz_cstr(data, size);

	if (!s)
		return 0;
	if (load(name, s, &set, err, sizeof(err))) {
		fz_message(err, sizeof(err));
		FZ_CHECK(!strncmp(err, name, strlen(name)));
	} else {
		roundtrip(&set);
		acl_set_free(&set);
	}
	free(s);
	return 0;
}
