// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/* cleanup --filters removes a filter of ours only when no process holds
 * its program. The list of held programs comes from PID/fdinfo/FD under a
 * proc tree (here a fake one in a temporary directory); when it cannot be
 * built completely (out of memory, an unreadable /proc) it is marked
 * incomplete and every filter is kept: a live run's is never judged
 * orphaned. */
#include <errno.h>
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <cmocka.h>

#include "cleanup.h"
#include "util.h"

#define N_MANY 100 /* ids of one process: past the first 64 slots */

static char root[64];

static void put_file(const char *path, const char *text)
{
	FILE *f = fopen(path, "w");

	assert_non_null(f);
	fputs(text, f);
	fclose(f);
}

/* PID/fdinfo/FD files as the kernel writes them for a program's fd and a
 * link's; a process without fdinfo (gone meanwhile) and a non-pid entry. */
static int make_tree(void **state)
{
	char path[256], text[64];
	int i;

	snprintf(root, sizeof(root), "/tmp/fv-test-cleanup.XXXXXX");
	if (!mkdtemp(root))
		return -1;
	snprintf(path, sizeof(path), "%s/101", root);
	mkdir(path, 0700);
	strcat(path, "/fdinfo");
	mkdir(path, 0700);
	strcat(path, "/3");
	put_file(path, "pos:\t0\nflags:\t02000002\nprog_type:\t3\n"
		       "prog_jited:\t1\nprog_id:\t77\n");
	snprintf(path, sizeof(path), "%s/102", root);
	mkdir(path, 0700);
	strcat(path, "/fdinfo");
	mkdir(path, 0700);
	strcat(path, "/4");
	put_file(path, "pos:\t0\nlink_type:\ttcx\nlink_id:\t9\nprog_id:\t78\n");
	snprintf(path, sizeof(path), "%s/103", root);
	mkdir(path, 0700);
	snprintf(path, sizeof(path), "%s/self", root);
	mkdir(path, 0700);
	snprintf(path, sizeof(path), "%s/104", root);
	mkdir(path, 0700);
	strcat(path, "/fdinfo");
	mkdir(path, 0700);
	for (i = 0; i < N_MANY; i++) {
		snprintf(path, sizeof(path), "%s/104/fdinfo/%d", root, i);
		snprintf(text, sizeof(text), "pos:\t0\nprog_id:\t%d\n", 1000 + i);
		put_file(path, text);
	}
	return 0;
}

static int remove_tree(void **state)
{
	char cmd[128];

	fv_test_set_realloc(NULL);
	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", root);
	return system(cmd) ? -1 : 0;
}

/* fv_realloc() through this: the Nth call (fail_at, from 1) fails. */
static int realloc_calls, realloc_fail_at;

static void *failing_realloc(void *p, size_t size)
{
	if (++realloc_calls == realloc_fail_at)
		return NULL;
	return realloc(p, size);
}

static void test_collect(void **state)
{
	struct fv_held h = { 0 };

	assert_int_equal(fv_held_collect(&h, root), 0);
	assert_false(h.incomplete);
	assert_int_equal(h.n, 2 + N_MANY);
	assert_false(fv_filter_orphaned(&h, 77)); /* a program's fd */
	assert_false(fv_filter_orphaned(&h, 78)); /* a link's */
	assert_false(fv_filter_orphaned(&h, 1000 + N_MANY - 1));
	assert_true(fv_filter_orphaned(&h, 5));
	fv_held_free(&h);
}

/* The first growth fails, then a later one (past 64 ids): either way the
 * list is incomplete and no filter is judged orphaned, held or not. */
static void test_collect_out_of_memory(void **state)
{
	int fail_at;

	fv_test_set_realloc(failing_realloc);
	for (fail_at = 1; fail_at <= 2; fail_at++) {
		struct fv_held h = { 0 };

		realloc_calls = 0;
		realloc_fail_at = fail_at;
		assert_int_equal(fv_held_collect(&h, root), -ENOMEM);
		assert_true(h.incomplete);
		assert_false(fv_filter_orphaned(&h, 5));
		assert_false(fv_filter_orphaned(&h, 77));
		fv_held_free(&h);
	}
	fv_test_set_realloc(NULL);
}

/* No proc tree to read: nothing known, nothing orphaned. */
static void test_collect_no_proc(void **state)
{
	struct fv_held h = { 0 };
	char path[128];

	snprintf(path, sizeof(path), "%s/nonexistent", root);
	assert_int_equal(fv_held_collect(&h, path), -ENOENT);
	assert_true(h.incomplete);
	assert_false(fv_filter_orphaned(&h, 5));
	fv_held_free(&h);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_collect),
		cmocka_unit_test(test_collect_out_of_memory),
		cmocka_unit_test(test_collect_no_proc),
	};

	return cmocka_run_group_tests_name("cleanup", tests, make_tree,
					   remove_tree);
}
