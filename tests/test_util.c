// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/* Running other programs: fv_run_capture() reads all a child writes (or it
 * would block on a full pipe), keeps at most max bytes and gives the exit
 * status; a program that is not there is -1. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "util.h"

static void test_capture_small(void **state)
{
	char *argv[] = { "printf", "a b\\nc", NULL }, *out;

	(void)state;
	assert_int_equal(fv_run_capture(argv, &out, 4096), 0);
	assert_string_equal(out, "a b\nc");
	free(out);
}

static void test_capture_status(void **state)
{
	char *argv[] = { "sh", "-c", "echo partial; echo err >&2; exit 3", NULL },
	     *out;

	(void)state;
	assert_int_equal(fv_run_capture(argv, &out, 4096), 3);
	assert_string_equal(out, "partial\n"); /* stderr is not kept */
	free(out);
}

/* 1.2 MB of output, 100 bytes kept: the child is read to its end. */
static void test_capture_over_max(void **state)
{
	char *argv[] = { "seq", "1", "200000", NULL }, *out;

	(void)state;
	assert_int_equal(fv_run_capture(argv, &out, 100), 0);
	assert_int_equal(strlen(out), 100);
	assert_memory_equal(out, "1\n2\n3\n", 6);
	free(out);
	/* Past the first buffer: it grows up to max, not beyond. */
	assert_int_equal(fv_run_capture(argv, &out, 50000), 0);
	assert_int_equal(strlen(out), 50000);
	free(out);
}

static void test_capture_missing(void **state)
{
	char *argv[] = { "fv-no-such-program", NULL }, *out = NULL;

	(void)state;
	assert_int_equal(fv_run_capture(argv, &out, 100), -1);
	free(out);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_capture_small),
		cmocka_unit_test(test_capture_status),
		cmocka_unit_test(test_capture_over_max),
		cmocka_unit_test(test_capture_missing),
	};

	return cmocka_run_group_tests_name("util", tests, NULL, NULL);
}
