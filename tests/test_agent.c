// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/* The agent without the kernel: --listen parsing and the loopback rule,
 * the basic auth file, the exposition's names and types, and the
 * cross-host join of two agents' views by cookie. */
#include <errno.h>
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <unistd.h>
#include <cmocka.h>
#include <malloc.h>

#include <bpf/bpf.h>
#include "agent.h"
#include "pin.h"
#include "remote.h"
#include "util.h"

static void test_listen(void **state)
{
	static const struct {
		const char *s;
		int ret, family;
		bool loopback;
	} cases[] = {
		{ "127.0.0.1:9123", 0, AF_INET, true },
		{ "127.1.2.3:1", 0, AF_INET, true },
		{ "0.0.0.0:9123", 0, AF_INET, false },
		{ "10.0.0.5:65535", 0, AF_INET, false },
		{ "[::1]:9123", 0, AF_INET6, true },
		{ "[::]:9123", 0, AF_INET6, false },
		{ "[::ffff:127.0.0.1]:80", 0, AF_INET6, true },
		{ "127.0.0.1", -EINVAL, 0, false },
		{ "127.0.0.1:0", -EINVAL, 0, false },
		{ "127.0.0.1:65536", -EINVAL, 0, false },
		{ ":9123", -EINVAL, 0, false },
		{ "localhost:9123", -EINVAL, 0, false },
		{ "[::1:9123", -EINVAL, 0, false },
		{ "::1:9123", -EINVAL, 0, false },
		{ "127.0.0.1:9x", -EINVAL, 0, false },
		{ "", -EINVAL, 0, false },
	};
	struct sockaddr_storage ss;
	unsigned int len;
	bool lo;
	size_t i;

	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		int ret = fv_agent_parse_listen(cases[i].s, &ss, &len, &lo);

		if (ret != cases[i].ret)
			fail_msg("'%s': %d, expected %d", cases[i].s, ret,
				 cases[i].ret);
		if (ret)
			continue;
		assert_int_equal(ss.ss_family, cases[i].family);
		if (lo != cases[i].loopback)
			fail_msg("'%s': loopback %d", cases[i].s, lo);
	}
}

static int write_file(const char *path, const char *text, mode_t mode)
{
	FILE *f = fopen(path, "w");

	if (!f)
		return -1;
	fputs(text, f);
	fclose(f);
	return chmod(path, mode);
}

static void test_basic_auth_file(void **state)
{
	char path[] = "/tmp/fv-test-auth.XXXXXX", user[64], pass[64];
	int fd = mkstemp(path);

	assert_true(fd >= 0);
	close(fd);
	assert_int_equal(write_file(path, "prom:s3cr:et\n", 0600), 0);
	assert_int_equal(fv_agent_read_basic_auth(path, user, sizeof(user),
						  pass, sizeof(pass)),
			 0);
	assert_string_equal(user, "prom");
	assert_string_equal(pass, "s3cr:et"); /* only the first ':' splits */
	assert_int_equal(write_file(path, "prom:x\n", 0644), 0);
	assert_int_equal(fv_agent_read_basic_auth(path, user, sizeof(user),
						  pass, sizeof(pass)),
			 -EACCES);
	assert_int_equal(write_file(path, "nocolon\n", 0600), 0);
	assert_int_equal(fv_agent_read_basic_auth(path, user, sizeof(user),
						  pass, sizeof(pass)),
			 -EINVAL);
	assert_int_equal(write_file(path, ":pass\n", 0600), 0);
	assert_int_equal(fv_agent_read_basic_auth(path, user, sizeof(user),
						  pass, sizeof(pass)),
			 -EINVAL);
	assert_int_equal(write_file(path, "user:\n", 0600), 0);
	assert_int_equal(fv_agent_read_basic_auth(path, user, sizeof(user),
						  pass, sizeof(pass)),
			 -EINVAL);
	unlink(path);
	assert_int_equal(fv_agent_read_basic_auth(path, user, sizeof(user),
						  pass, sizeof(pass)),
			 -ENOENT);
}

/* Every sample's name has a HELP and TYPE before it; counters end in
 * _total; the labels are the ones of the contract. */
static void test_metrics(void **state)
{
	struct fv_agent_state st = { .starts = 2, .n_drops = 1 };
	struct fv_verdict v = { .status = FV_STATUS_FAULT,
				.segment = FV_SEG_BEYOND_NAT };
	struct fv_agent_view view = {
		.st = &st,
		.version = "1.0\"x",
		.start_time = 1700000000,
		.window_seconds = 60,
		.have_role = { true, true },
		.verdict = &v,
	};
	char *m, *line, *save, type[64] = "", name[128] = "";

	view.leg_packets[0][1] = 10;
	view.leg_packets[0][2] = 9;
	view.leg_packets[1][4] = 3;
	st.exchanges[FV_OUT_ANSWERED] = 5;
	st.lost[FV_SEG_BEYOND_NAT] = 4;
	st.lat_buckets[3] = 2;
	st.lat_buckets[FV_AGENT_LAT_BUCKETS] = 1;
	snprintf(st.drops[0].reason, sizeof(st.drops[0].reason),
		 "NETFILTER_DROP");
	st.drops[0].leg = 3;
	st.drops[0].count = 7;
	m = fv_agent_metrics(&view);
	assert_non_null(m);
	assert_non_null(strstr(
		m, "\nflowverify_leg_packets_total{role=\"nat\",leg=\"1\"} 10\n"));
	assert_non_null(strstr(
		m,
		"\nflowverify_leg_packets_total{role=\"client\",leg=\"4\"} 3\n"));
	assert_null(strstr(
		m, "flowverify_leg_packets_total{role=\"client\",leg=\"2\"}"));
	assert_non_null(
		strstr(m, "flowverify_build_info{version=\"1.0\\\"x\"} 1\n"));
	assert_non_null(strstr(
		m, "flowverify_exchanges_lost_total{segment=\"beyond_nat\"} 4\n"));
	assert_non_null(strstr(
		m, "flowverify_verdict_segment{segment=\"beyond_nat\"} 1\n"));
	assert_non_null(
		strstr(m, "flowverify_verdict_status{status=\"fault\"} 1\n"));
	assert_non_null(strstr(m, "flowverify_verdict_status{status=\"ok\"} 0\n"));
	assert_non_null(strstr(
		m, "flowverify_reply_latency_seconds_bucket{le=\"0.001\"} 2\n"));
	assert_non_null(strstr(
		m, "flowverify_reply_latency_seconds_bucket{le=\"+Inf\"} 3\n"));
	assert_non_null(strstr(m, "flowverify_reply_latency_seconds_count 3\n"));
	assert_non_null(strstr(
		m,
		"flowverify_kernel_drops_total{role=\"nat\",leg=\"3\",reason=\"NETFILTER_DROP\"} 7\n"));
	for (line = strtok_r(m, "\n", &save); line;
	     line = strtok_r(NULL, "\n", &save)) {
		char n[128];

		if (sscanf(line, "# TYPE %127s %63s", name, type) == 2)
			continue;
		if (line[0] == '#')
			continue;
		assert_int_equal(sscanf(line, "%127[a-z_]", n), 1);
		if (strncmp(n, name, strlen(name)))
			fail_msg("sample %s without its TYPE line", n);
		if (!strcmp(type, "counter") && !strstr(name, "_total"))
			fail_msg("counter %s does not end in _total", name);
		if (strcmp(type, "counter") && strstr(name, "_total"))
			fail_msg("%s %s ends in _total", type, name);
	}
	free(m);
}

/* fv_realloc() through this: the Nth call (fail_at, from 1) fails. */
static int realloc_calls, realloc_fail_at;

static void *failing_realloc(void *p, size_t size)
{
	if (++realloc_calls == realloc_fail_at)
		return NULL;
	return realloc(p, size);
}

/* Heap bytes in use (0 under ASan, whose LeakSanitizer checks instead). */
static size_t heap_in_use(void)
{
	return mallinfo2().uordblks;
}

/* The exposition outgrows its first buffer (a long version string): it
 * grows, and when growing fails the answer is NULL and the buffer is not
 * lost (realloc failing leaves it allocated). */
static void test_metrics_oom(void **state)
{
	struct fv_agent_state st = { 0 };
	struct fv_agent_view view = { .st = &st, .have_role = { true, false } };
	size_t before, n = 40000;
	char *version = malloc(n + 1), *m;
	int fail_at;

	assert_non_null(version);
	memset(version, 'v', n);
	version[n] = '\0';
	view.version = version;
	fv_test_set_realloc(failing_realloc);
	realloc_calls = 0;
	realloc_fail_at = 0;
	m = fv_agent_metrics(&view);
	assert_non_null(m);
	assert_true(realloc_calls >= 2);
	assert_non_null(strstr(m, version));
	free(m);
	for (fail_at = 1; fail_at <= 2; fail_at++) {
		realloc_calls = 0;
		realloc_fail_at = fail_at;
		before = heap_in_use();
		m = fv_agent_metrics(&view);
		assert_null(m);
		assert_int_equal(realloc_calls, fail_at);
		if (heap_in_use() != before)
			fail_msg("realloc %d failing: %zu bytes lost", fail_at,
				 heap_in_use() - before);
	}
	free(version);
}

static int restore_realloc(void **state)
{
	fv_test_set_realloc(NULL);
	return 0;
}

static json_t *load(const char *text)
{
	json_error_t e;
	json_t *j = json_loads(text, 0, &e);

	if (!j)
		fail_msg("bad fixture: %s", e.text);
	return j;
}

/* The NAT sees every reply leave; the client sees only some arrive. */
#define NAT_VIEW                                                                                                                                                \
	"{\"status\":\"ok\",\"agent\":{\"api\":1,\"version\":\"t\"},"                                                                                           \
	" \"points\":[{\"role\":\"nat\"}],"                                                                                                                     \
	" \"legs\":[{\"leg\":1,\"packets\":3},{\"leg\":2,\"packets\":3},{\"leg\":3,\"packets\":3},{\"leg\":4,\"packets\":3}],"                                  \
	" \"clients\":[],"                                                                                                                                      \
	" \"exchanges_detail\":["                                                                                                                               \
	"  {\"cookie\":\"00000000000000a1\",\"age_seconds\":3.0,\"inside\":\"10.0.1.10:1123\",\"stages\":[\"nat_in\",\"nat_out\",\"reply_in\",\"reply_out\"]}," \
	"  {\"cookie\":\"00000000000000a2\",\"age_seconds\":2.5,\"inside\":\"10.0.1.10:1123\",\"stages\":[\"nat_in\",\"nat_out\",\"reply_in\",\"reply_out\"]}," \
	"  {\"cookie\":\"00000000000000a3\",\"age_seconds\":2.0,\"inside\":\"10.0.1.10:1123\",\"stages\":[\"nat_in\",\"nat_out\",\"reply_in\",\"reply_out\"]}," \
	"  {\"cookie\":\"00000000000000a4\",\"age_seconds\":0.2,\"inside\":\"10.0.1.10:1123\",\"stages\":[\"nat_in\",\"nat_out\"]},"                            \
	"  {\"cookie\":\"00000000000000a5\",\"age_seconds\":9.0,\"inside\":\"10.0.1.10:1123\",\"stages\":[\"nat_in\",\"nat_out\"]}]}"
#define CLIENT_VIEW(stages_a1)                                                                                                \
	"{\"status\":\"fault\",\"agent\":{\"api\":1,\"version\":\"t\"},"                                                      \
	" \"points\":[{\"role\":\"client\"}],"                                                                                \
	" \"clients\":[{\"netns\":\"c\",\"legs\":[{\"leg\":1,\"packets\":3},{\"leg\":4,\"packets\":1}]}],"                    \
	" \"exchanges_detail\":["                                                                                             \
	"  {\"cookie\":\"00000000000000a1\",\"age_seconds\":3.1,\"inside\":\"10.0.1.10:1123\",\"stages\":" stages_a1          \
	"},"                                                                                                                  \
	"  {\"cookie\":\"00000000000000a2\",\"age_seconds\":2.6,\"inside\":\"10.0.1.10:1123\",\"stages\":[\"client_sent\"]}," \
	"  {\"cookie\":\"00000000000000a3\",\"age_seconds\":2.1,\"inside\":\"10.0.1.10:1123\",\"stages\":[\"client_sent\"]}," \
	"  {\"cookie\":\"00000000000000a4\",\"age_seconds\":0.3,\"inside\":\"10.0.1.10:1123\",\"stages\":[\"client_sent\"]}]}"

static void test_join_nat_to_client(void **state)
{
	json_t *v[2] = { load(NAT_VIEW),
			 load(CLIENT_VIEW(
				 "[\"client_sent\",\"client_received\"]")) };
	const char *names[2] = { "nat", "client" };
	char err[256];
	json_t *r = fv_remote_join(v, names, 2, 5, 1, err, sizeof(err));

	assert_non_null(r);
	assert_string_equal(json_string_value(json_object_get(r, "status")),
			    "fault");
	assert_string_equal(json_string_value(json_object_get(r, "segment")),
			    "nat_to_client");
	/* a1 answered; a2, a3 lost before the client; a4 in flight; a5 is
	 * older than the window. */
	assert_int_equal(json_integer_value(json_object_get(
				 json_object_get(r, "exchanges"), "answered")),
			 1);
	assert_int_equal(json_integer_value(
				 json_object_get(json_object_get(r, "exchanges"),
						 "unanswered")),
			 2);
	assert_int_equal(json_integer_value(json_object_get(
				 json_object_get(r, "exchanges"), "in_flight")),
			 1);
	json_decref(r);
	/* The NAT's view alone: every reply left the NAT, all answered. */
	r = fv_remote_join(v, names, 1, 5, 1, err, sizeof(err));
	assert_non_null(r);
	assert_string_equal(json_string_value(json_object_get(r, "status")),
			    "ok");
	json_decref(r);
	json_decref(v[0]);
	json_decref(v[1]);
}

static void test_join_errors(void **state)
{
	json_t *v[2] = { load(NAT_VIEW), load(NAT_VIEW) };
	const char *names[2] = { "http://a", "http://b" };
	char err[256];

	assert_null(fv_remote_join(v, names, 2, 5, 1, err, sizeof(err)));
	assert_non_null(strstr(err, "both watch a NAT"));
	json_decref(v[1]);
	v[1] = load(
		"{\"agent\":{\"api\":2,\"version\":\"9\"},\"points\":[],\"exchanges_detail\":[]}");
	assert_null(fv_remote_join(v, names, 2, 5, 1, err, sizeof(err)));
	assert_non_null(strstr(err, "http://b runs flowverify 9 with API 2"));
	json_decref(v[1]);
	v[1] = load("{\"status\":\"ok\"}");
	assert_null(fv_remote_join(v, names, 2, 5, 1, err, sizeof(err)));
	assert_non_null(strstr(err, "not a flowverify agent"));
	json_decref(v[0]);
	json_decref(v[1]);
}

/* Pins of an agent from before the segment beyond_client (one lost[]
 * counter fewer): the next agent adopts them in today's layout, every
 * counter where it was. Root and bpffs only. */
static void test_pin_state_migrates(void **state)
{
	const size_t old_size = sizeof(struct fv_agent_state) - sizeof(__u64);
	const size_t lost_end = offsetof(struct fv_agent_state, lost) +
				(FV_SEG_MAX - 1) * sizeof(__u64);
	const char *spec = "port=123 nat=eth0";
	struct fv_agent_state want = {}, got;
	char dir[128], path[160], err[256], *old;
	__u32 key = 0;
	bool adopted;
	int fd, nfd;

	(void)state;
	if (geteuid() || access(FV_BPFFS, W_OK)) {
		printf("# skipped: needs root and bpffs at " FV_BPFFS "\n");
		skip();
	}
	memcpy(want.magic, FV_AGENT_MAGIC, sizeof(want.magic));
	want.version = FV_AGENT_STATE_VERSION;
	snprintf(want.spec, sizeof(want.spec), "%s", spec);
	want.starts = 3;
	for (int i = 0; i < FV_SEG_MAX - 1; i++)
		want.lost[i] = 10 + i;
	want.events = 777;
	want.n_drops = 1;
	want.drops[0].count = 5;
	old = calloc(1, old_size);
	assert_non_null(old);
	memcpy(old, &want, lost_end);
	memcpy(old + lost_end, (char *)&want + lost_end + sizeof(__u64),
	       old_size - lost_end);
	snprintf(dir, sizeof(dir), FV_BPFFS "/fv-test-agent-%d", (int)getpid());
	snprintf(path, sizeof(path), "%s/agent", dir);
	assert_int_equal(mkdir(dir, 0700), 0);
	fd = bpf_map_create(BPF_MAP_TYPE_ARRAY, "fv_agent", 4, old_size, 1, NULL);
	assert_true(fd >= 0);
	assert_int_equal(bpf_map_update_elem(fd, &key, old, BPF_ANY), 0);
	assert_int_equal(bpf_obj_pin(fd, path), 0);
	close(fd);
	free(old);

	assert_int_equal(fv_pin_adopt(dir, spec, 1, &nfd, &got, &adopted, err,
				      sizeof(err)),
			 0);
	assert_true(adopted);
	assert_int_equal(got.starts, 4);
	for (int i = 0; i < FV_SEG_MAX - 1; i++)
		assert_int_equal(got.lost[i], 10 + i);
	assert_int_equal(got.lost[FV_SEG_MAX - 1], 0);
	assert_int_equal(got.events, 777);
	assert_int_equal(got.n_drops, 1);
	assert_int_equal(got.drops[0].count, 5);
	close(nfd);
	assert_int_equal(fv_pin_remove(dir, NULL, err, sizeof(err)), 0);
	assert_int_not_equal(access(dir, F_OK), 0);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_listen),
		cmocka_unit_test(test_basic_auth_file),
		cmocka_unit_test(test_metrics),
		cmocka_unit_test_teardown(test_metrics_oom, restore_realloc),
		cmocka_unit_test(test_join_nat_to_client),
		cmocka_unit_test(test_join_errors),
		cmocka_unit_test(test_pin_state_migrates),
	};

	return cmocka_run_group_tests_name("agent", tests, NULL, NULL);
}
