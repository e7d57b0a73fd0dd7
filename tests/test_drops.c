// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/* Drop attribution against the real kernel: loads bpf/drops.bpf.c, makes
 * its own network namespaces (fv-dt-PID-*, deleted at the end, also when a
 * test fails), causes drops in them and checks what was recorded: the
 * reason names from BTF, kallsyms names, NO_SOCKET (v4, v6), nft drops in
 * INPUT and FORWARD, ip_forward off, and that drops elsewhere (another
 * namespace, another port) are not recorded. Ends with the cost per
 * unrelated free.
 *
 * Skips only for what the machine lacks: not root, no kernel BTF, and per
 * test IPv6 disabled or kallsyms addresses hidden (kptr_restrict). As
 * root, a namespace, the veth line, an nft table or the BPF program that
 * cannot be set up is a failure with the reason (the command's output,
 * libbpf's last lines): a skip there would hide a broken setup. */
#define _GNU_SOURCE
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <errno.h>
#include <fcntl.h>
#include <sched.h>
#include <signal.h>
#include <dirent.h>
#include <time.h>
#include <unistd.h>
#include <sys/wait.h>
#include <arpa/inet.h>
#include <netinet/in.h>
#include <bpf/bpf.h>
#include <bpf/btf.h>
#include <bpf/libbpf.h>
#include <cmocka.h>

#include "drop_trace.h"
#include "point.h"
#include "bpf_load.h"

#define NTP	   123
#define OTHER_PORT 5555 /* closed and not NTP */
#define N_SEND	   3
#define COST_SENDS 20000

enum { NS_A, NS_B, NS_C, NS_R, NS_S, NS_N };
static const char *ns_suffix[NS_N] = { "a", "b", "c", "r", "s" };
static char ns[NS_N][64];
static uint32_t inum[NS_N];
static bool made[NS_N];
static const char *skip_why; /* the machine cannot run these */
/* The kernel names drop reasons (enum skb_drop_reason, 5.17 on), read
 * from its BTF here, not from the module under test. */
static bool kernel_reasons;
static bool reasons_forced_off; /* fv_drops_force_no_reasons */
static const char *fail_why;	/* it can, but setting up failed */
static char fail_buf[768];
static char sh_why[640]; /* the last failed command and its output */

/* ---- helpers ---- */

/* Runs a shell command, its output captured. On failure the command and
 * what it printed go out as TAP diagnostics and into sh_why: that is the
 * reason a test fails. */
static int sh(const char *fmt, ...)
{
	char cmd[1024], out[512], drain[256], *nl;
	size_t n, got;
	va_list ap;
	FILE *p;
	int st;

	va_start(ap, fmt);
	vsnprintf(cmd, sizeof(cmd), fmt, ap);
	va_end(ap);
	n = strlen(cmd);
	snprintf(cmd + n, sizeof(cmd) - n, " 2>&1");
	p = popen(cmd, "r");
	cmd[n] = '\0';
	if (!p) {
		snprintf(sh_why, sizeof(sh_why), "`%s`: %s", cmd,
			 strerror(errno));
		printf("# %s\n", sh_why);
		return -1;
	}
	n = 0;
	while ((got = fread(out + n, 1, sizeof(out) - 1 - n, p)) > 0)
		n += got;
	out[n] = '\0';
	while (fread(drain, 1, sizeof(drain), p) > 0)
		; /* the rest, unread, would block the command */
	st = pclose(p);
	st = st != -1 && WIFEXITED(st) ? WEXITSTATUS(st) : -1;
	if (!st)
		return 0;
	printf("# `%s` exited %d%s\n", cmd, st, n ? ", saying:" : "");
	for (char *l = out; *l; l = nl + 1) {
		nl = strchrnul(l, '\n');
		printf("#   %.*s\n", (int)(nl - l), l);
		if (!*nl)
			break;
	}
	nl = strchrnul(out, '\n');
	*nl = '\0';
	snprintf(sh_why, sizeof(sh_why), "`%s` exited %d%s%s", cmd, st,
		 n ? ": " : "", out);
	return st;
}

static void teardown_ns(void)
{
	int i;

	for (i = 0; i < NS_N; i++) {
		if (made[i])
			sh("ip netns del %s", ns[i]);
		made[i] = false;
	}
}

/* Namespaces of an earlier run of this test that was killed before its
 * teardown (fv-dt-PID-*, PID gone): ours by prefix, so ours to remove. */
static void remove_stale(void)
{
	struct dirent *e;
	DIR *dir;
	int pid;

	dir = opendir("/run/netns");
	if (!dir)
		return;
	while ((e = readdir(dir)))
		if (sscanf(e->d_name, "fv-dt-%d-", &pid) == 1 && pid > 0 &&
		    kill(pid, 0) && errno == ESRCH)
			sh("ip netns del %s", e->d_name);
	closedir(dir);
}

static double now_s(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec + ts.tv_nsec / 1e9;
}

/* Sends n UDP datagrams from inside namespace which: src:sport -> dst:dport,
 * a 48-byte NTP client request (mode 3). A child process so that the
 * test's own namespace never changes. 0 on success. */
static int send_udp(int which, const char *src, uint16_t sport, const char *dst,
		    uint16_t dport, int n)
{
	pid_t pid;
	int st;

	pid = fork();
	if (pid < 0)
		return -1;
	if (pid == 0) {
		char path[128], pkt[48] = { 0x23 }; /* LI 0, VN 4, mode 3 */
		struct sockaddr_in6 s6 = { .sin6_family = AF_INET6 };
		struct sockaddr_in s4 = { .sin_family = AF_INET };
		bool v6 = strchr(dst, ':') != NULL;
		struct sockaddr *sa, *da;
		struct sockaddr_in6 d6;
		struct sockaddr_in d4;
		socklen_t len;
		int fd, one = 1, i;

		snprintf(path, sizeof(path), "/run/netns/%s", ns[which]);
		fd = open(path, O_RDONLY);
		if (fd < 0 || setns(fd, CLONE_NEWNET))
			_exit(2);
		close(fd);
		if (v6) {
			s6.sin6_port = htons(sport);
			inet_pton(AF_INET6, src, &s6.sin6_addr);
			d6 = s6;
			d6.sin6_port = htons(dport);
			inet_pton(AF_INET6, dst, &d6.sin6_addr);
			sa = (struct sockaddr *)&s6;
			da = (struct sockaddr *)&d6;
			len = sizeof(s6);
		} else {
			s4.sin_port = htons(sport);
			inet_pton(AF_INET, src, &s4.sin_addr);
			d4 = s4;
			d4.sin_port = htons(dport);
			inet_pton(AF_INET, dst, &d4.sin_addr);
			sa = (struct sockaddr *)&s4;
			da = (struct sockaddr *)&d4;
			len = sizeof(s4);
		}
		fd = socket(v6 ? AF_INET6 : AF_INET, SOCK_DGRAM, 0);
		if (fd < 0)
			_exit(3);
		setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
		if (bind(fd, sa, len))
			_exit(4);
		for (i = 0; i < n; i++)
			if (sendto(fd, pkt, sizeof(pkt), 0, da, len) !=
			    sizeof(pkt))
				_exit(5);
		_exit(0);
	}
	if (waitpid(pid, &st, 0) != pid)
		return -1;
	return WIFEXITED(st) ? WEXITSTATUS(st) : -1;
}

static struct fv_drops *start(const uint32_t *inums, int n)
{
	struct fv_drops *d = NULL;
	char err[256] = "";
	int ret;

	fv_log_begin();
	ret = fv_drops_start(&d, inums, n, NTP, err, sizeof(err));
	fv_log_end();
	if (ret) {
		printf("# fv_drops_start: %s\n", err);
		fv_log_failure("fv_drops_start", ret);
	}
	assert_int_equal(ret, 0);
	return d;
}

static void show(const struct fv_drop_row *r)
{
	char s[INET6_ADDRSTRLEN], t[INET6_ADDRSTRLEN];
	const void *sa = r->family == 4 ? r->saddr + 12 : r->saddr;
	const void *da = r->family == 4 ? r->daddr + 12 : r->daddr;
	int af = r->family == 4 ? AF_INET : AF_INET6;

	inet_ntop(af, sa, s, sizeof(s));
	inet_ntop(af, da, t, sizeof(t));
	printf("# %s (%u) at %s route=%s hook=%s netns=%u dev=%u iif=%u %s:%u -> %s:%u mode=%d count=%llu\n",
	       r->reason_name, r->reason, r->location_sym,
	       r->route_sym[0] ? r->route_sym : "-", r->hook ? r->hook : "-",
	       r->netns_inum, r->ifindex, r->iif, s, r->sport, t, r->dport,
	       r->mode, (unsigned long long)r->count);
}

/* Waits (up to 2 s) until the rows with this source port add up to want,
 * then returns all rows. */
static struct fv_drop_row *wait_rows(struct fv_drops *d, uint16_t sport,
				     uint64_t want, int *n)
{
	struct fv_drop_row *rows = NULL;
	double end = now_s() + 2;
	uint64_t got;
	int i;

	for (;;) {
		free(rows);
		assert_int_equal(fv_drops_read(d, &rows, n), 0);
		got = 0;
		for (i = 0; i < *n; i++)
			if (rows[i].sport == sport)
				got += rows[i].count;
		if (got >= want || now_s() > end)
			break;
		usleep(20000);
	}
	for (i = 0; i < *n; i++)
		show(&rows[i]);
	return rows;
}

/* The one row of this source port; fails unless exactly one. */
static const struct fv_drop_row *only(const struct fv_drop_row *rows, int n,
				      uint16_t sport)
{
	const struct fv_drop_row *r = NULL;
	int i, k = 0;

	for (i = 0; i < n; i++)
		if (rows[i].sport == sport) {
			r = &rows[i];
			k++;
		}
	assert_int_equal(k, 1);
	return r;
}

static bool kernel_has_reasons(void)
{
	struct btf *btf = btf__load_vmlinux_btf();
	bool has;

	if (!btf)
		return false;
	has = btf__find_by_name_kind(btf, "skb_drop_reason", BTF_KIND_ENUM) > 0;
	btf__free(btf);
	return has;
}

/* The row's reason: WANT where the kernel names reasons, none where it
 * does not (or they were switched off for the test). */
static void assert_reason(struct fv_drops *d, const struct fv_drop_row *r,
			  const char *want)
{
	assert_int_equal(fv_drops_has_reasons(d),
			 kernel_reasons && !reasons_forced_off);
	if (fv_drops_has_reasons(d))
		assert_string_equal(r->reason_name, want);
	else
		assert_string_equal(r->reason_name, "");
}

#define NEED_SETUP()                                              \
	do {                                                      \
		if (skip_why) {                                   \
			printf("# skipped: %s\n", skip_why);      \
			skip();                                   \
		}                                                 \
		if (fail_why) {                                   \
			printf("# setup failed: %s\n", fail_why); \
			fail();                                   \
		}                                                 \
	} while (0)

/* Records why the group setup failed; each test then fails with it. */
static int setup_failed(const char *what, const char *why)
{
	snprintf(fail_buf, sizeof(fail_buf), "%s: %s", what, why);
	fail_why = fail_buf;
	return 0;
}

/* ---- setup: A and B alone, C - R - S a routed line ---- */

static int group_setup(void **state)
{
	int i, err;

	/* Never fail here (cmocka would hide which test is which): each
	 * test skips or fails with the reason instead. */
	skip_why = fv_bpf_skip_reason();
	if (skip_why)
		return 0;
	kernel_reasons = kernel_has_reasons();
	printf("# this kernel %s drop reasons\n",
	       kernel_reasons ? "names" : "names no");
	atexit(teardown_ns);
	remove_stale();
	for (i = 0; i < NS_N; i++) {
		snprintf(ns[i], sizeof(ns[i]), "fv-dt-%d-%s", (int)getpid(),
			 ns_suffix[i]);
		if (sh("ip netns add %s", ns[i]))
			return setup_failed("cannot create a network namespace",
					    sh_why);
		made[i] = true;
		if (sh("ip -n %s link set lo up", ns[i]))
			return setup_failed("cannot set up a network namespace",
					    sh_why);
		err = fv_netns_inum(ns[i], &inum[i]);
		if (err)
			return setup_failed("cannot read a namespace's inode",
					    strerror(-err));
	}
	/* Both veth ends are made inside our namespaces: the root namespace
	 * never sees them. */
	if (sh("ip -n %s link add c0 type veth peer name r0 netns %s", ns[NS_C],
	       ns[NS_R]) ||
	    sh("ip -n %s link add s0 type veth peer name r1 netns %s", ns[NS_S],
	       ns[NS_R]) ||
	    sh("ip -n %s addr add 10.99.1.2/24 dev c0", ns[NS_C]) ||
	    sh("ip -n %s addr add 10.99.1.1/24 dev r0", ns[NS_R]) ||
	    sh("ip -n %s addr add 10.99.2.1/24 dev r1", ns[NS_R]) ||
	    sh("ip -n %s addr add 10.99.2.2/24 dev s0", ns[NS_S]) ||
	    sh("ip -n %s link set c0 up", ns[NS_C]) ||
	    sh("ip -n %s link set r0 up", ns[NS_R]) ||
	    sh("ip -n %s link set r1 up", ns[NS_R]) ||
	    sh("ip -n %s link set s0 up", ns[NS_S]) ||
	    sh("ip -n %s route add default via 10.99.1.1", ns[NS_C]) ||
	    sh("ip -n %s route add default via 10.99.2.1", ns[NS_S]))
		return setup_failed("cannot build the veth line", sh_why);
	return 0;
}

static int group_teardown(void **state)
{
	teardown_ns();
	return 0;
}

/* ---- tests ---- */

static void test_reason_names(void **state)
{
	struct btf *btf;
	struct fv_drops *d;
	const struct btf_type *t;
	const struct btf_enum *e;
	int id, i, seen = 0;

	NEED_SETUP();
	if (!kernel_reasons) {
		printf("# skipped: this kernel has no enum skb_drop_reason "
		       "(before 5.17): drops are recorded by place only\n");
		skip();
	}
	d = start(&inum[NS_A], 1);
	printf("# attached through %s\n", fv_drops_attach_kind(d));
	/* Independent of the module's table: every enumerator's value must
	 * map back to its own name. */
	btf = btf__load_vmlinux_btf();
	assert_non_null(btf);
	id = btf__find_by_name_kind(btf, "skb_drop_reason", BTF_KIND_ENUM);
	assert_true(id > 0);
	t = btf__type_by_id(btf, id);
	e = btf_enum(t);
	for (i = 0; i < btf_vlen(t); i++) {
		const char *name = btf__name_by_offset(btf, e[i].name_off);

		if (!strcmp(name, "SKB_DROP_REASON_NOT_SPECIFIED")) {
			assert_string_equal(fv_drops_reason_name(d, e[i].val),
					    "NOT_SPECIFIED");
			seen++;
		} else if (!strcmp(name, "SKB_DROP_REASON_NO_SOCKET")) {
			assert_string_equal(fv_drops_reason_name(d, e[i].val),
					    "NO_SOCKET");
			seen++;
		} else if (!strcmp(name, "SKB_DROP_REASON_NETFILTER_DROP")) {
			assert_string_equal(fv_drops_reason_name(d, e[i].val),
					    "NETFILTER_DROP");
			seen++;
		}
	}
	assert_int_equal(seen, 3);
	assert_string_equal(fv_drops_reason_name(d, 0xfffe), "?65534");
	btf__free(btf);
	fv_drops_stop(d);
}

static void test_kallsyms(void **state)
{
	unsigned long long addr = 0, a;
	char line[512], name[256], type, buf[160];
	struct fv_drops *d;
	int kptr;
	FILE *f;

	NEED_SETUP();
	f = fopen("/proc/kallsyms", "r");
	assert_non_null(f);
	while (fgets(line, sizeof(line), f))
		if (sscanf(line, "%llx %c %255s", &a, &type, name) == 3 &&
		    !strcmp(name, "ip_forward") && (type == 'T' || type == 't')) {
			addr = a;
			break;
		}
	fclose(f);
	if (!addr) {
		f = fopen("/proc/sys/kernel/kptr_restrict", "r");
		if (!f || fscanf(f, "%d", &kptr) != 1)
			kptr = -1;
		if (f)
			fclose(f);
		printf("# skipped: kallsyms hides addresses from this process (kptr_restrict=%d)\n",
		       kptr);
		skip();
	}
	d = start(&inum[NS_A], 1);
	assert_string_equal(fv_drops_symbolize(d, addr + 0x10, buf, sizeof(buf)),
			    "ip_forward+0x10");
	assert_string_equal(fv_drops_symbolize(d, addr, buf, sizeof(buf)),
			    "ip_forward+0x0");
	assert_string_equal(fv_drops_symbolize(d, 1, buf, sizeof(buf)),
			    "unknown");
	fv_drops_stop(d);
}

static void no_socket(const char *addr, uint16_t sport, int family)
{
	struct fv_drop_row *rows;
	const struct fv_drop_row *r;
	struct fv_drops_counters c;
	struct fv_drops *d;
	int n;

	d = start(&inum[NS_A], 1);
	printf("# attached through %s\n", fv_drops_attach_kind(d));
	assert_int_equal(send_udp(NS_A, addr, sport, addr, NTP, N_SEND), 0);
	rows = wait_rows(d, sport, N_SEND, &n);
	r = only(rows, n, sport);
	assert_reason(d, r, "NO_SOCKET");
	if (fv_drops_has_reasons(d))
		assert_string_equal(r->hook, "no socket");
	else /* UDP frees it where it finds no socket */
		assert_true(!strncmp(r->location_sym,
				     family == 4 ? "__udp4_lib_rcv+"
						 : "__udp6_lib_rcv+",
				     15));
	assert_int_equal(r->dport, NTP);
	assert_int_equal(r->netns_inum, inum[NS_A]);
	assert_int_equal(r->family, family);
	assert_int_equal(r->mode, 3);
	assert_int_equal(r->count, N_SEND);
	assert_true(r->ifindex == 1); /* lo */
	assert_true(r->last_ns > 0);
	assert_int_equal(fv_drops_counters(d, &c), 0);
	assert_true(c.matched >= N_SEND);
	assert_int_equal(c.table_full, 0);
	free(rows);
	fv_drops_stop(d);
}

static void test_no_socket_v4(void **state)
{
	NEED_SETUP();
	no_socket("127.0.0.1", 40001, 4);
}

static void test_no_socket_v6(void **state)
{
	NEED_SETUP();
	if (access("/proc/sys/net/ipv6", F_OK)) {
		printf("# skipped: IPv6 disabled in this kernel\n");
		skip();
	}
	no_socket("::1", 40011, 6);
}

static void test_raw_tp_fallback(void **state)
{
	NEED_SETUP();
	fv_drops_force_raw_tp(1);
	no_socket("127.0.0.1", 40021, 4);
}

static void test_nft_input(void **state)
{
	struct fv_drop_row *rows;
	const struct fv_drop_row *r;
	struct fv_drops *d;
	int n;

	NEED_SETUP();
	/* nftables is a dependency (scripts/deps.sh): failing is a failure. */
	if (sh("ip netns exec %s nft add table inet fvdt", ns[NS_A]) ||
	    sh("ip netns exec %s nft 'add chain inet fvdt in { type filter hook input priority 0; }'",
	       ns[NS_A]) ||
	    sh("ip netns exec %s nft add rule inet fvdt in udp sport 40002 drop",
	       ns[NS_A])) {
		printf("# nft cannot add the drop rule: %s\n", sh_why);
		fail();
	}
	d = start(&inum[NS_A], 1);
	assert_int_equal(send_udp(NS_A, "127.0.0.1", 40002, "127.0.0.1", NTP,
				  N_SEND),
			 0);
	rows = wait_rows(d, 40002, N_SEND, &n);
	sh("ip netns exec %s nft delete table inet fvdt", ns[NS_A]);
	r = only(rows, n, 40002);
	assert_reason(d, r, "NETFILTER_DROP");
	assert_string_equal(r->hook, "netfilter INPUT");
	assert_int_equal(r->dport, NTP);
	assert_int_equal(r->count, N_SEND);
	assert_int_equal(r->netns_inum, inum[NS_A]);
	free(rows);
	fv_drops_stop(d);
}

/* A forwarded request dropped by an nft rule in FORWARD, from SPORT. */
static void nft_forward(uint16_t sport)
{
	struct fv_drop_row *rows;
	const struct fv_drop_row *r;
	struct fv_drops *d;
	int n;

	assert_int_equal(sh("ip netns exec %s sysctl -qw net.ipv4.ip_forward=1",
			    ns[NS_R]),
			 0);
	if (sh("ip netns exec %s nft add table inet fvdt", ns[NS_R]) ||
	    sh("ip netns exec %s nft 'add chain inet fvdt fw { type filter hook forward priority 0; }'",
	       ns[NS_R]) ||
	    sh("ip netns exec %s nft add rule inet fvdt fw udp dport 123 drop",
	       ns[NS_R])) {
		printf("# nft cannot add the drop rule: %s\n", sh_why);
		fail();
	}
	d = start(&inum[NS_R], 1);
	assert_int_equal(send_udp(NS_C, "10.99.1.2", sport, "10.99.2.2", NTP,
				  N_SEND),
			 0);
	rows = wait_rows(d, sport, N_SEND, &n);
	sh("ip netns exec %s nft delete table inet fvdt", ns[NS_R]);
	r = only(rows, n, sport);
	assert_reason(d, r, "NETFILTER_DROP");
	assert_string_equal(r->hook, "netfilter FORWARD");
	assert_string_equal(r->route_sym, "ip_forward");
	assert_int_equal(r->count, N_SEND);
	assert_int_equal(r->netns_inum, inum[NS_R]);
	assert_int_equal(r->ifindex, r->iif);
	free(rows);
	fv_drops_stop(d);
}

static void test_nft_forward(void **state)
{
	NEED_SETUP();
	nft_forward(40003);
}

/* What a kernel before 5.17 gives: no reason, the hook still told by the
 * place (nft_do_chain) and the route, through either program type. */
static void test_no_reasons(void **state)
{
	NEED_SETUP();
	fv_drops_force_no_reasons(1);
	reasons_forced_off = true;
	nft_forward(40031);
	no_socket("127.0.0.1", 40032, 4);
}

static void test_no_reasons_raw_tp(void **state)
{
	NEED_SETUP();
	fv_drops_force_no_reasons(1);
	fv_drops_force_raw_tp(1);
	reasons_forced_off = true;
	nft_forward(40033);
}

static void test_ip_forward_off(void **state)
{
	struct fv_drop_row *rows;
	const struct fv_drop_row *r;
	struct fv_drops *d;
	int n;

	NEED_SETUP();
	assert_int_equal(sh("ip netns exec %s sysctl -qw net.ipv4.ip_forward=0",
			    ns[NS_R]),
			 0);
	d = start(&inum[NS_R], 1);
	assert_int_equal(send_udp(NS_C, "10.99.1.2", 40004, "10.99.2.2", NTP,
				  N_SEND),
			 0);
	rows = wait_rows(d, 40004, N_SEND, &n);
	r = only(rows, n, 40004);
	assert_string_equal(r->hook, "routing");
	assert_int_equal(r->count, N_SEND);
	assert_int_equal(r->netns_inum, inum[NS_R]);
	assert_int_equal(r->mode, 3);
	free(rows);
	fv_drops_stop(d);
}

static void test_elsewhere_not_recorded(void **state)
{
	struct fv_drop_row *rows;
	struct fv_drops *d;
	int n, i;

	NEED_SETUP();
	d = start(&inum[NS_A], 1);
	/* Another namespace, NTP port; the watched one, another port. */
	assert_int_equal(send_udp(NS_B, "127.0.0.1", 40005, "127.0.0.1", NTP,
				  N_SEND),
			 0);
	assert_int_equal(send_udp(NS_A, "127.0.0.1", 40006, "127.0.0.1",
				  OTHER_PORT, N_SEND),
			 0);
	/* Control, sent last: once it shows, the others had their turn. */
	assert_int_equal(send_udp(NS_A, "127.0.0.1", 40007, "127.0.0.1", NTP, 1),
			 0);
	rows = wait_rows(d, 40007, 1, &n);
	assert_int_equal(n, 1);
	assert_int_equal(rows[0].sport, 40007);
	for (i = 0; i < n; i++) {
		assert_int_not_equal(rows[i].sport, 40005);
		assert_int_not_equal(rows[i].sport, 40006);
	}
	free(rows);
	fv_drops_stop(d);
}

/* Cost per unrelated free: COST_SENDS drops in an unwatched namespace on a
 * non-NTP port, with each filter order, from the kernel's own run-time
 * stats; and the sender's wall time with and without the program. */
static double send_time(int sends)
{
	double t0 = now_s();

	assert_int_equal(send_udp(NS_B, "127.0.0.1", 40008, "127.0.0.1",
				  OTHER_PORT, sends),
			 0);
	return (now_s() - t0) * 1e9 / sends;
}

static void test_unrelated_frees(void **state)
{
	uint64_t cnt0, ns0, cnt1, ns1;
	double base, with[2], per[2];
	struct fv_drop_row *rows;
	struct fv_drops *d;
	int stats_fd, order, n;

	NEED_SETUP();
	stats_fd = bpf_enable_stats(BPF_STATS_RUN_TIME);
	assert_true(stats_fd >= 0);
	send_time(COST_SENDS); /* warm up */
	base = send_time(COST_SENDS);
	for (order = 0; order < 2; order++) {
		fv_drops_set_proto_first(order);
		d = start(&inum[NS_A], 1);
		assert_int_equal(fv_drops_prog_stats(d, &cnt0, &ns0), 0);
		with[order] = send_time(COST_SENDS);
		assert_int_equal(fv_drops_prog_stats(d, &cnt1, &ns1), 0);
		/* Every one of our drops ran the program (and maybe others). */
		assert_true(cnt1 - cnt0 >= COST_SENDS);
		per[order] = (double)(ns1 - ns0) / (cnt1 - cnt0);
		printf("# %s first: %.1f ns per unrelated free in the program (%llu runs)\n",
		       order ? "protocol" : "netns", per[order],
		       (unsigned long long)(cnt1 - cnt0));
		/* Ran on every one, kept none: not our namespace or port. */
		assert_int_equal(fv_drops_read(d, &rows, &n), 0);
		assert_int_equal(n, 0);
		free(rows);
		fv_drops_stop(d);
	}
	printf("# sender wall time per dropped datagram: %.0f ns without, %.0f ns netns-first, %.0f ns protocol-first\n",
	       base, with[0], with[1]);
	close(stats_fd);
	/* The figures are information: their bounds are make bench's
	 * (docs/drops.md), never a timed assertion here. */
}

/* Back to the defaults, also after a failed assertion. */
static int reset_knobs(void **state)
{
	fv_drops_force_raw_tp(0);
	fv_drops_force_no_reasons(0);
	reasons_forced_off = false;
	fv_drops_set_proto_first(1);
	return 0;
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_teardown(test_reason_names, reset_knobs),
		cmocka_unit_test_teardown(test_kallsyms, reset_knobs),
		cmocka_unit_test_teardown(test_no_socket_v4, reset_knobs),
		cmocka_unit_test_teardown(test_no_socket_v6, reset_knobs),
		cmocka_unit_test_teardown(test_raw_tp_fallback, reset_knobs),
		cmocka_unit_test_teardown(test_nft_input, reset_knobs),
		cmocka_unit_test_teardown(test_nft_forward, reset_knobs),
		cmocka_unit_test_teardown(test_no_reasons, reset_knobs),
		cmocka_unit_test_teardown(test_no_reasons_raw_tp, reset_knobs),
		cmocka_unit_test_teardown(test_ip_forward_off, reset_knobs),
		cmocka_unit_test_teardown(test_elsewhere_not_recorded,
					  reset_knobs),
		cmocka_unit_test_teardown(test_unrelated_frees, reset_knobs),
	};

	setvbuf(stdout, NULL, _IOLBF, 0);
	return cmocka_run_group_tests(tests, group_setup, group_teardown);
}
