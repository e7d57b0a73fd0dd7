// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/* How ingress is hooked: tc unless asked; --ingress xdp is native XDP
 * only, refused on ena (attaching restarts the interface) unless
 * --xdp-reset-ok, with one line naming the interface, the reason and
 * --ingress tc. The decision is pure (ingress.h): tested here with the
 * drivers and MTUs this machine does not have. */
#include <errno.h>
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <stdbool.h>
#include <stdio.h>
#include <string.h>
#include <cmocka.h>

#include "ingress.h"
#include "options.h"

static void test_parse(void **state)
{
	enum fv_ingress in = FV_INGRESS_XDP;

	(void)state;
	assert_int_equal(fv_ingress_parse("tc", &in), 0);
	assert_int_equal(in, FV_INGRESS_TC);
	assert_int_equal(fv_ingress_parse("xdp", &in), 0);
	assert_int_equal(in, FV_INGRESS_XDP);
	assert_int_equal(fv_ingress_parse("xdp-generic", &in), 0);
	assert_int_equal(in, FV_INGRESS_XDP_GENERIC);
	assert_int_equal(fv_ingress_parse("XDP", &in), -EINVAL);
	assert_int_equal(fv_ingress_parse("xdp-native", &in), -EINVAL);
	assert_int_equal(fv_ingress_parse("", &in), -EINVAL);
	assert_int_equal(in, FV_INGRESS_XDP_GENERIC); /* untouched */
}

/* The EC2 case: ena at the VPC's default MTU, no --xdp-reset-ok. */
static void test_ena_refused_names_mtu(void **state)
{
	char msg[256] = "";

	(void)state;
	assert_int_equal(fv_xdp_native_allowed("eth0", "ena", 9001, false, msg,
					       sizeof(msg)),
			 -EPERM);
	assert_string_equal(
		msg,
		"eth0 (ena): native XDP restarts the interface and needs MTU <= 3498 (it is 9001); use --ingress tc, or --xdp-reset-ok to accept the restart");
}

static void test_ena_refused_small_mtu(void **state)
{
	char msg[256] = "";

	(void)state;
	/* Within the limit: the restart alone is the reason. */
	assert_int_equal(fv_xdp_native_allowed("fv-nat:eth1", "ena", 1500,
					       false, msg, sizeof(msg)),
			 -EPERM);
	assert_string_equal(
		msg,
		"fv-nat:eth1 (ena): native XDP restarts the interface; use --ingress tc, or --xdp-reset-ok to accept the restart");
	/* Not known: the limit is said, not a value. */
	assert_int_equal(fv_xdp_native_allowed("eth0", "ena", 0, false, msg,
					       sizeof(msg)),
			 -EPERM);
	assert_string_equal(
		msg,
		"eth0 (ena): native XDP restarts the interface and needs MTU <= 3498; use --ingress tc, or --xdp-reset-ok to accept the restart");
}

static void test_ena_reset_ok_allowed(void **state)
{
	char msg[256] = "untouched";

	(void)state;
	assert_int_equal(fv_xdp_native_allowed("eth0", "ena", 1500, true, msg,
					       sizeof(msg)),
			 0);
	/* The kernel judges the MTU then (fv_xdp_native_refused below). */
	assert_int_equal(fv_xdp_native_allowed("eth0", "ena", 9001, true, msg,
					       sizeof(msg)),
			 0);
	assert_string_equal(msg, "untouched");
}

static void test_other_drivers_allowed(void **state)
{
	const char *drivers[] = { "veth",  "virtio_net", "mlx5_core",
				  "ixgbe", "bridge",	 "" };
	char msg[256] = "untouched";

	(void)state;
	for (size_t i = 0; i < sizeof(drivers) / sizeof(drivers[0]); i++) {
		assert_int_equal(fv_xdp_native_allowed("eth0", drivers[i], 9001,
						       false, msg, sizeof(msg)),
				 0);
		assert_int_equal(fv_xdp_native_allowed("eth0", drivers[i], 1500,
						       false, msg, sizeof(msg)),
				 0);
	}
	/* Only "ena" itself, not a name that starts with it. */
	assert_int_equal(fv_xdp_native_allowed("eth0", "enic", 9001, false, msg,
					       sizeof(msg)),
			 0);
	assert_string_equal(msg, "untouched");
}

static void test_refused_lines(void **state)
{
	char msg[256];

	(void)state;
	/* No native XDP in the driver (a bridge). */
	fv_xdp_native_refused("fv-ns:br0", "bridge", 1500, -EOPNOTSUPP, NULL,
			      msg, sizeof(msg));
	assert_string_equal(
		msg,
		"fv-ns:br0 (bridge): the kernel refused native XDP: Operation not supported (the driver has no native XDP); use --ingress tc");
	/* ena with --xdp-reset-ok at MTU 9001: the kernel says EINVAL. */
	fv_xdp_native_refused("eth0", "ena", 9001, -EINVAL, "", msg, sizeof(msg));
	assert_string_equal(
		msg,
		"eth0 (ena): the kernel refused native XDP: Invalid argument (ena allows XDP only with MTU <= 3498; it is 9001); use --ingress tc");
	/* Another driver's MTU limit: asked, not asserted. */
	fv_xdp_native_refused("eth0", "virtio_net", 9000, -EINVAL, NULL, msg,
			      sizeof(msg));
	assert_string_equal(
		msg,
		"eth0 (virtio_net): the kernel refused native XDP: Invalid argument (is the MTU, 9000, above what the driver allows with XDP?); use --ingress tc");
	/* The kernel's own words win over strerror; unknown driver. */
	fv_xdp_native_refused(
		"eth0", "", 0, -EOPNOTSUPP,
		"Kernel error message: Underlying driver does not support XDP in native mode",
		msg, sizeof(msg));
	assert_string_equal(
		msg,
		"eth0: the kernel refused native XDP: Kernel error message: Underlying driver does not support XDP in native mode (the driver has no native XDP); use --ingress tc");
	/* Cut, still terminated. */
	fv_xdp_native_refused("eth0", "ena", 9001, -EINVAL, NULL, msg, 16);
	assert_string_equal(msg, "eth0 (ena): the");
}

/* The options: tc unless asked, --xdp-reset-ok only with --ingress xdp. */
static const struct option opts[] = { FV_OBSERVE_LONG_OPTS, {} };

static int parse(struct fv_observe_args *a, const char *ingress, bool reset_ok)
{
	fv_observe_args_init(a);
	assert_int_equal(fv_observe_option(a, opts, FV_OPT_NAT, "eth0"), 0);
	if (ingress && fv_observe_option(a, opts, FV_OPT_INGRESS, ingress))
		return -EINVAL;
	if (reset_ok)
		assert_int_equal(fv_observe_option(a, opts, FV_OPT_XDP_RESET_OK,
						   NULL),
				 0);
	return fv_observe_finish(a, true);
}

static void test_options(void **state)
{
	struct fv_observe_args a;

	(void)state;
	assert_int_equal(parse(&a, NULL, false), 0);
	assert_int_equal(a.points.hosts[0].ingress, FV_INGRESS_TC);
	assert_false(a.points.hosts[0].xdp_reset_ok);
	assert_int_equal(parse(&a, "xdp", true), 0);
	assert_int_equal(a.points.hosts[0].ingress, FV_INGRESS_XDP);
	assert_true(a.points.hosts[0].xdp_reset_ok);
	assert_int_equal(parse(&a, "xdp-generic", false), 0);
	assert_int_equal(a.points.hosts[0].ingress, FV_INGRESS_XDP_GENERIC);
	assert_int_equal(parse(&a, "tc", false), 0);
	assert_int_equal(a.points.hosts[0].ingress, FV_INGRESS_TC);
	/* Refused: said on stderr, one line (tests/e2e/bad_input.sh). */
	assert_int_equal(parse(&a, NULL, true), -EINVAL);
	assert_int_equal(parse(&a, "tc", true), -EINVAL);
	assert_int_equal(parse(&a, "xdp-generic", true), -EINVAL);
	assert_int_equal(parse(&a, "bogus", false), -EINVAL);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_parse),
		cmocka_unit_test(test_ena_refused_names_mtu),
		cmocka_unit_test(test_ena_refused_small_mtu),
		cmocka_unit_test(test_ena_reset_ok_allowed),
		cmocka_unit_test(test_other_drivers_allowed),
		cmocka_unit_test(test_refused_lines),
		cmocka_unit_test(test_options),
	};

	return cmocka_run_group_tests_name("ingress", tests, NULL, NULL);
}
