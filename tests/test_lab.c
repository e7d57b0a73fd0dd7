// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/* Lab instances: the default lab keeps its historic names, any other
 * instance gets names of its own, and a bad name is refused. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <stdbool.h>
#include <stdio.h>
#include <string.h>
#include <cmocka.h>

#include "lab.h"

static void test_default_names(void **state)
{
	(void)state;
	assert_int_equal(lab_set_instance(NULL), 0);
	assert_string_equal(lab_ns(LAB_NS_CLIENT), "fv-client");
	assert_string_equal(lab_ns(LAB_NS_ROUTER), "fv-router");
	assert_string_equal(lab_ns(LAB_NS_NAT), "fv-nat");
	assert_string_equal(lab_ns(LAB_NS_SERVER), "fv-server");
	assert_string_equal(lab_names.dir, "/run/flowverify/lab");
	assert_string_equal(lab_names.state, "/run/flowverify/lab/state");
	assert_int_equal(lab_set_instance(""), 0);
	assert_string_equal(lab_ns(LAB_NS_NAT), "fv-nat");
}

static void test_named_instance(void **state)
{
	(void)state;
	assert_int_equal(lab_set_instance("t123456"), 0);
	assert_string_equal(lab_names.instance, "t123456");
	assert_string_equal(lab_ns(LAB_NS_CLIENT), "fv-t123456-client");
	assert_string_equal(lab_ns(LAB_NS_SERVER), "fv-t123456-server");
	assert_string_equal(lab_names.dir, "/run/flowverify/lab-t123456");
	assert_string_equal(lab_names.sock_dir,
			    "/run/flowverify/lab-t123456/sock");
	assert_string_equal(lab_names.acl_file,
			    "/run/flowverify/lab-t123456/acls");
	assert_string_equal(lab_names.nat_nft,
			    "/run/flowverify/lab-t123456/nat.nft");
	/* The longest name still fits every field whole. */
	assert_int_equal(lab_set_instance("abcdefghijkl"), 0);
	assert_string_equal(lab_ns(LAB_NS_SERVER), "fv-abcdefghijkl-server");
	assert_string_equal(lab_names.state_tmp,
			    "/run/flowverify/lab-abcdefghijkl/state.tmp");
}

static void test_bad_names(void **state)
{
	static const char *const bad[] = {
		"abcdefghijklm", "a-b", "a_b", "a/b",
		"../x",		 "a b", "a.b", "\xc3\xa9",
	};
	size_t i;

	(void)state;
	assert_int_equal(lab_set_instance("keep"), 0);
	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		assert_int_not_equal(lab_set_instance(bad[i]), 0);
		/* A refused name leaves the instance as it was. */
		assert_string_equal(lab_ns(LAB_NS_NAT), "fv-keep-nat");
	}
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_default_names),
		cmocka_unit_test(test_named_instance),
		cmocka_unit_test(test_bad_names),
	};

	return cmocka_run_group_tests_name("lab", tests, NULL, NULL);
}
