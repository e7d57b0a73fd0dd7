// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/* The measuring half of `make bench` (bench/run.sh drives it). Each
 * subcommand prints one JSON object on stdout; diagnostics go to stderr.
 *
 *   prog    per-packet cost of the XDP and tc programs and of an empty
 *           program (the floor) through BPF_PROG_TEST_RUN
 *   live    the same on programs a running flowverify has attached (their
 *           maps as in use), by program id, against the empty ones
 *   drops   cost of the kfree_skb drop tracer per unrelated free, against
 *           an empty tp_btf/kfree_skb program (BPF_STATS_RUN_TIME)
 *   attach  time to start (load, verify, attach) and stop a session on
 *           N interfaces of one namespace
 *   runtime run time of attached programs by id (kernel run-time stats)
 *           while traffic crosses, until SIGINT
 *   send    UDP (or NTP request) sender at the highest rate, or at a
 *           given one (-R), sendmmsg
 *   sink    UDP receiver counting datagrams, optionally answering NTP
 */
#define _GNU_SOURCE
#include <errno.h>
#include <getopt.h>
#include <sched.h>
#include <signal.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <linux/bpf.h>
#include <linux/if_ether.h>
#include <linux/pkt_cls.h>
#include <bpf/bpf.h>
#include <bpf/libbpf.h>

#include "flowverify.h"
#include "flowverify.skel.h"
#include "drop_trace.h"
#include "point.h"
#include "session.h"
#include "util.h"

#define ARRAY_SIZE(a) (sizeof(a) / sizeof((a)[0]))
#define MAX_ROUNDS    64
#define BATCH	      64

static const char *empty_obj_path = ".output/tests/bench_empty.bpf.o";
static const char *parts_obj_path = ".output/tests/bench_parts.bpf.o";

static double now_s(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec + ts.tv_nsec / 1e9;
}

static void die(const char *what, int err)
{
	fprintf(stderr, "fvbench: %s: %s\n", what,
		strerror(err < 0 ? -err : err));
	exit(2);
}

static long parse_long(const char *s, long lo, long hi, const char *what)
{
	char *end;
	long v;

	errno = 0;
	v = strtol(s, &end, 10);
	if (errno || end == s || *end || v < lo || v > hi) {
		fprintf(stderr, "fvbench: bad %s '%s' (%ld..%ld)\n", what, s,
			lo, hi);
		exit(2);
	}
	return v;
}

static void pin_cpu(int cpu)
{
	cpu_set_t set;

	if (cpu < 0)
		return;
	CPU_ZERO(&set);
	CPU_SET(cpu, &set);
	if (sched_setaffinity(0, sizeof(set), &set))
		fprintf(stderr, "fvbench: cannot pin to CPU %d: %s\n", cpu,
			strerror(errno));
}

static int cmp_double(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;

	return x < y ? -1 : x > y;
}

struct summary {
	double median, min, max;
};

static struct summary summarize(const double *v, int n)
{
	double s[MAX_ROUNDS];
	struct summary r;

	memcpy(s, v, n * sizeof(*v));
	qsort(s, n, sizeof(*s), cmp_double);
	r.min = s[0];
	r.max = s[n - 1];
	r.median = n % 2 ? s[n / 2] : (s[n / 2 - 1] + s[n / 2]) / 2;
	return r;
}

/* ------------------------------------------------------------------ */
/* Frames */

struct frame {
	const char *name;
	const char *what;
	bool ntp;
	__u8 b[256];
	size_t len;
};

static void be16(__u8 *p, __u16 v)
{
	p[0] = v >> 8;
	p[1] = v;
}

static __u16 csum(const __u8 *p, size_t n)
{
	__u32 sum = 0;

	for (size_t i = 0; i + 1 < n; i += 2)
		sum += p[i] << 8 | p[i + 1];
	while (sum >> 16)
		sum = (sum & 0xffff) + (sum >> 16);
	return ~sum;
}

enum { F_V4 = 1, F_V6 = 2, F_VLAN = 4, F_TCP = 8 };

/* Ethernet [802.1Q] IPv4|IPv6, UDP|TCP, payload bytes (NTP header when
 * mode is 3 or 4). */
static void build(struct frame *f, int flags, __u16 sport, __u16 dport,
		  int payload, int mode)
{
	__u8 *p = f->b;
	size_t l4 = flags & F_TCP ? 20 : 8 + payload;

	memset(f->b, 0, sizeof(f->b));
	memcpy(p, "\x02\x00\x00\x00\x00\x02\x02\x00\x00\x00\x00\x01", 12);
	p += 12;
	if (flags & F_VLAN) {
		be16(p, ETH_P_8021Q);
		be16(p + 2, 100);
		p += 4;
	}
	be16(p, flags & F_V6 ? ETH_P_IPV6 : ETH_P_IP);
	p += 2;
	if (flags & F_V6) {
		p[0] = 0x60;
		be16(p + 4, l4);
		p[6] = flags & F_TCP ? IPPROTO_TCP : IPPROTO_UDP;
		p[7] = 64;
		p[8] = 0x20, p[9] = 0x01, p[10] = 0x0d, p[11] = 0xb8, p[23] = 1;
		p[24] = 0x20, p[25] = 0x01, p[26] = 0x0d, p[27] = 0xb8, p[39] = 2;
		p += 40;
	} else {
		p[0] = 0x45;
		be16(p + 2, 20 + l4);
		be16(p + 4, 0x1234);
		p[8] = 64;
		p[9] = flags & F_TCP ? IPPROTO_TCP : IPPROTO_UDP;
		memcpy(p + 12, "\x0a\x00\x01\x0a\xc6\x33\x64\x7b", 8);
		be16(p + 10, csum(p, 20));
		p += 20;
	}
	be16(p, sport);
	be16(p + 2, dport);
	if (flags & F_TCP) {
		p[12] = 5 << 4;
		p[13] = 0x10; /* ACK */
		p += 20;
	} else {
		be16(p + 4, 8 + payload);
		p += 8;
		if (mode) {
			p[0] = 4 << 3 | mode;
			for (int i = 40; i < 48 && i < payload; i++)
				p[i] = 0x11 * (i - 39);
			if (mode == 4)
				for (int i = 24; i < 32; i++)
					p[i] = 0x11 * (i - 23);
		}
		p += payload;
	}
	f->len = p - f->b;
	if (f->len < 60)
		f->len = 60; /* minimum frame, padded */
}

static struct frame frames[] = {
	{ .name = "tcp4", .what = "non-NTP: IPv4 TCP" },
	{ .name = "udp4", .what = "non-NTP: IPv4 UDP, port 53" },
	{ .name = "udp6", .what = "non-NTP: IPv6 UDP, port 53" },
	{ .name = "ntp4_request", .what = "NTP request, IPv4", .ntp = true },
	{ .name = "ntp4_reply", .what = "NTP reply, IPv4", .ntp = true },
	{ .name = "ntp6_request", .what = "NTP request, IPv6", .ntp = true },
	{ .name = "ntp4_vlan", .what = "NTP request, IPv4 in 802.1Q", .ntp = true },
};

static void build_frames(void)
{
	build(&frames[0], F_V4 | F_TCP, 40000, 443, 0, 0);
	build(&frames[1], F_V4, 40000, 53, 18, 0);
	build(&frames[2], F_V6, 40000, 53, 18, 0);
	build(&frames[3], F_V4, 40123, 123, 48, 3);
	build(&frames[4], F_V4, 123, 40123, 48, 4);
	build(&frames[5], F_V6, 40123, 123, 48, 3);
	build(&frames[6], F_V4 | F_VLAN, 40123, 123, 48, 3);
}

/* ------------------------------------------------------------------ */
/* prog: BPF_PROG_TEST_RUN */

static struct flowverify *load_fv(__u64 rate, __u64 burst)
{
	struct flowverify *skel = flowverify__open();
	int err;

	if (!skel)
		die("flowverify__open", errno);
	skel->rodata->event_rate = rate;
	skel->rodata->coarse_clock = fv_have_coarse_clock();
	skel->rodata->event_burst = burst;
	err = flowverify__load(skel);
	if (err)
		die("loading flowverify.bpf.o", err);
	return skel;
}

/* ns per run of prog on frame: wall time of one test run of `repeat`
 * iterations (sub-ns resolution; the kernel's own figure is an integer);
 * when events are produced, the kernel's figure over chunks of 4000 with
 * the ring drained between them. */
static double run_once(int fd, const struct frame *f, int repeat,
		       struct ring_buffer *rb, __u32 *kernel_ns)
{
	int chunk = rb ? 4000 : repeat, done = 0, err;
	double spent = 0;

	while (done < repeat) {
		int n = repeat - done < chunk ? repeat - done : chunk;
		LIBBPF_OPTS(bpf_test_run_opts, o, .data_in = f->b,
			    .data_size_in = f->len, .repeat = n);
		double t0 = now_s();

		err = bpf_prog_test_run_opts(fd, &o);
		/* Chunked: the kernel's figure, so that the per-call set-up
		 * (large for XDP) is not spread over only 4000 packets. */
		spent += rb ? o.duration * (double)n / 1e9 : now_s() - t0;
		if (err)
			die("BPF_PROG_TEST_RUN", err);
		if (kernel_ns)
			*kernel_ns = o.duration;
		done += n;
		if (rb)
			ring_buffer__consume(rb);
	}
	return spent * 1e9 / repeat;
}

static int on_event(void *ctx, void *data, size_t len)
{
	(*(__u64 *)ctx)++;
	return 0;
}

struct prog_case {
	const char *hook;    /* "xdp" or "tc" */
	const char *variant; /* "empty", "no_event", "with_event", "part" */
	const char *part;    /* a bench_parts program, for "part" */
	const char *what;    /* what that program does */
	int frame;	     /* -1: the floor, any frame (tcp4) */
	int fd;
	struct ring_buffer *rb;
	double ns[MAX_ROUNDS];
	__u32 kns[MAX_ROUNDS];
};

/* Warm up, then rounds interleaving every case so that drift hits all
 * of them alike. */
static void run_cases(struct prog_case *cases, int n, int rounds, int repeat)
{
	int i, r;

	for (i = 0; i < n; i++)
		run_once(cases[i].fd,
			 &frames[cases[i].frame < 0 ? 0 : cases[i].frame],
			 repeat / 10, cases[i].rb, NULL);
	for (r = 0; r < rounds; r++)
		for (i = 0; i < n; i++)
			cases[i].ns[r] = run_once(
				cases[i].fd,
				&frames[cases[i].frame < 0 ? 0 : cases[i].frame],
				repeat, cases[i].rb, &cases[i].kns[r]);
}

static __u64 stat_sum(struct flowverify *skel, __u32 idx)
{
	int ncpu = libbpf_num_possible_cpus();
	__u64 v[ncpu], sum = 0;

	if (bpf_map_lookup_elem(bpf_map__fd(skel->maps.stats), &idx, v))
		return 0;
	for (int c = 0; c < ncpu; c++)
		sum += v[c];
	return sum;
}

static int cmd_prog(int argc, char **argv)
{
	int rounds = 7, repeat = 1000000, cpu = 1, opt, n = 0, r, i;
	static struct prog_case cases[64];
	struct flowverify *noev, *ev;
	struct bpf_object *empty, *parts;
	__u64 events = 0, part_events = 0;
	const char *hooks[] = { "xdp", "tc" };
	/* What an NTP packet's path is made of, each alone (XDP). */
	static const struct {
		const char *prog, *what;
	} part_progs[] = {
		{ "part_clock", "the precise clock (bpf_ktime_get_ns)" },
		{ "part_coarse_clock",
		  "the coarse clock (bpf_ktime_get_coarse_ns)" },
		{ "part_flow_key16",
		  "a flow counted, 16-byte key (IPv4, a u8 interface slot)" },
		{ "part_flow_key20", "a flow counted, 20-byte key (IPv4)" },
		{ "part_flow_key44", "a flow counted, 44-byte key (IPv6)" },
		{ "part_ring", "an event's record reserved and submitted" },
	};

	while ((opt = getopt(argc, argv, "r:n:c:o:P:")) != -1) {
		switch (opt) {
		case 'r':
			rounds = parse_long(optarg, 1, MAX_ROUNDS, "rounds");
			break;
		case 'n':
			repeat = parse_long(optarg, 1000, 100000000, "repeat");
			break;
		case 'c': cpu = parse_long(optarg, -1, 1023, "cpu"); break;
		case 'o': empty_obj_path = optarg; break;
		case 'P': parts_obj_path = optarg; break;
		default: return 2;
		}
	}
	pin_cpu(cpu);
	build_frames();
	/* Events off (rate 0): every NTP packet takes the counting path and
	 * is counted as rate-limited, no ring buffer work. */
	noev = load_fv(0, 0);
	/* Events on without a limit; the ring is drained between chunks. */
	ev = load_fv(1000000000ull, 1000000000ull);
	empty = bpf_object__open_file(empty_obj_path, NULL);
	if (!empty || bpf_object__load(empty))
		die(empty_obj_path, errno ? errno : EINVAL);
	parts = bpf_object__open_file(parts_obj_path, NULL);
	if (!parts || bpf_object__load(parts))
		die(parts_obj_path, errno ? errno : EINVAL);

	for (int h = 0; h < 2; h++) {
		bool xdp = !strcmp(hooks[h], "xdp");
		struct bpf_program *p;

		p = bpf_object__find_program_by_name(empty, xdp ? "empty_xdp"
								: "empty_tc");
		cases[n++] = (struct prog_case){ .hook = hooks[h],
						 .variant = "empty",
						 .frame = -1,
						 .fd = bpf_program__fd(p) };
		for (i = 0; i < (int)ARRAY_SIZE(frames); i++) {
			cases[n++] = (struct prog_case){
				.hook = hooks[h],
				.variant = "no_event",
				.frame = i,
				.fd = bpf_program__fd(
					xdp ? noev->progs.fv_xdp_ingress
					    : noev->progs.fv_tc_egress)
			};
			if (!frames[i].ntp)
				continue;
			cases[n] = (struct prog_case){
				.hook = hooks[h],
				.variant = "with_event",
				.frame = i,
				.fd = bpf_program__fd(xdp ? ev->progs.fv_xdp_ingress
							  : ev->progs.fv_tc_egress)
			};
			cases[n].rb =
				ring_buffer__new(bpf_map__fd(ev->maps.events),
						 on_event, &events, NULL);
			if (!cases[n].rb)
				die("ring_buffer__new", errno);
			n++;
		}
	}
	for (i = 0; i < (int)ARRAY_SIZE(part_progs); i++) {
		struct bpf_program *p =
			bpf_object__find_program_by_name(parts,
							 part_progs[i].prog);

		if (!p)
			die(part_progs[i].prog, ENOENT);
		cases[n] = (struct prog_case){ .hook = "xdp",
					       .variant = "part",
					       .part = part_progs[i].prog,
					       .what = part_progs[i].what,
					       .frame = 3, /* ntp4_request */
					       .fd = bpf_program__fd(p) };
		if (!strcmp(part_progs[i].prog, "part_ring")) {
			struct bpf_map *m =
				bpf_object__find_map_by_name(parts, "ring");

			cases[n].rb = ring_buffer__new(bpf_map__fd(m), on_event,
						       &part_events, NULL);
			if (!cases[n].rb)
				die("ring_buffer__new", errno);
		}
		n++;
	}
	run_cases(cases, n, rounds, repeat);

	printf("{\"rounds\": %d, \"repeat\": %d, \"cpu\": %d, \"results\": [",
	       rounds, repeat, cpu);
	for (i = 0; i < n; i++) {
		struct prog_case *c = &cases[i];
		struct summary s = summarize(c->ns, rounds);
		struct summary floor = { 0 };
		double kv[MAX_ROUNDS];

		for (r = 0; r < rounds; r++)
			kv[r] = c->kns[r];
		for (int j = 0; j < n; j++)
			if (!strcmp(cases[j].hook, c->hook) && cases[j].frame < 0)
				floor = summarize(cases[j].ns, rounds);
		printf("%s\n {\"hook\": \"%s\", \"variant\": \"%s\", \"frame\": \"%s\", "
		       "\"what\": \"%s\", \"frame_bytes\": %zu, "
		       "\"ns_median\": %.2f, \"ns_min\": %.2f, \"ns_max\": %.2f, "
		       "\"kernel_ns_median\": %.0f, \"over_floor_ns\": %.2f, \"ratio_to_floor\": %.3f}",
		       i ? "," : "", c->hook, c->variant,
		       c->part	      ? c->part
		       : c->frame < 0 ? "any"
				      : frames[c->frame].name,
		       c->part ? c->what
		       : c->frame < 0
			       ? "empty program returning PASS/OK (the floor)"
			       : frames[c->frame].what,
		       frames[c->frame < 0 ? 0 : c->frame].len, s.median, s.min,
		       s.max, summarize(kv, rounds).median,
		       s.median - floor.median, s.median / floor.median);
	}
	printf("\n], \"events_received\": %llu, \"part_ring_received\": %llu, "
	       "\"no_event_limited\": %llu, "
	       "\"no_event_ntp_packets\": %llu, \"with_event_lost\": %llu}\n",
	       (unsigned long long)events, (unsigned long long)part_events,
	       (unsigned long long)stat_sum(noev, FV_STAT_EVENTS_LIMITED),
	       (unsigned long long)stat_sum(noev, FV_STAT_NTP_PACKETS),
	       (unsigned long long)stat_sum(ev, FV_STAT_EVENTS_LOST));
	for (i = 0; i < n; i++)
		ring_buffer__free(cases[i].rb);
	bpf_object__close(parts);
	bpf_object__close(empty);
	flowverify__destroy(ev);
	flowverify__destroy(noev);
	return 0;
}

/* ------------------------------------------------------------------ */
/* live: programs attached by a running flowverify, as they are */

/* -i ID,ID...: fv_xdp_ingress / fv_tc_ingress / fv_tc_egress by id, each
 * run on the non-NTP UDP frame and an NTP request and reply, interleaved
 * in rounds with the empty program of its type. NTP here takes the path a
 * NAT's NTP packet takes once the event budget is spent (the program's
 * token bucket is shared with its live traffic). */
static int cmd_live(int argc, char **argv)
{
	int rounds = 5, repeat = 2000000, cpu = 1, opt, n = 0, i;
	static const int live_frames[] = { 1, 3, 4 }; /* udp4, ntp4 req/rep */
	static struct prog_case cases[64];
	struct bpf_object *empty;
	char *ids = NULL, *save = NULL, *tok;

	while ((opt = getopt(argc, argv, "i:r:n:c:o:")) != -1) {
		switch (opt) {
		case 'i': ids = optarg; break;
		case 'r':
			rounds = parse_long(optarg, 1, MAX_ROUNDS, "rounds");
			break;
		case 'n':
			repeat = parse_long(optarg, 1000, 100000000, "repeat");
			break;
		case 'c': cpu = parse_long(optarg, -1, 1023, "cpu"); break;
		case 'o': empty_obj_path = optarg; break;
		default: return 2;
		}
	}
	if (!ids) {
		fprintf(stderr,
			"fvbench live: -i PROG_ID[,PROG_ID...] required\n");
		return 2;
	}
	pin_cpu(cpu);
	build_frames();
	empty = bpf_object__open_file(empty_obj_path, NULL);
	if (!empty || bpf_object__load(empty))
		die(empty_obj_path, errno ? errno : EINVAL);
	for (tok = strtok_r(ids, ",", &save); tok && n < 56;
	     tok = strtok_r(NULL, ",", &save)) {
		struct bpf_prog_info info = { 0 };
		__u32 len = sizeof(info);
		int fd = bpf_prog_get_fd_by_id(
			parse_long(tok, 1, INT32_MAX, "program id"));
		bool xdp;

		if (fd < 0 || bpf_obj_get_info_by_fd(fd, &info, &len))
			die("program id", errno);
		xdp = info.type == BPF_PROG_TYPE_XDP;
		cases[n++] = (struct prog_case){
			.hook = xdp ? "xdp" : "tc",
			.variant = "empty",
			.frame = -1,
			.fd = bpf_program__fd(bpf_object__find_program_by_name(
				empty, xdp ? "empty_xdp" : "empty_tc")),
		};
		for (i = 0; i < (int)ARRAY_SIZE(live_frames); i++)
			cases[n++] = (struct prog_case){
				.hook = xdp ? "xdp" : "tc",
				.variant = strdup(info.name),
				.frame = live_frames[i],
				.fd = fd,
			};
	}
	run_cases(cases, n, rounds, repeat);
	printf("{\"rounds\": %d, \"repeat\": %d, \"cpu\": %d, \"results\": [",
	       rounds, repeat, cpu);
	for (i = 0; i < n; i++) {
		struct summary s = summarize(cases[i].ns, rounds);
		int f = 0;

		/* Its floor: the empty case just before its program's. */
		for (int j = i; j >= 0; j--)
			if (cases[j].frame < 0) {
				f = j;
				break;
			}
		printf("%s\n {\"hook\": \"%s\", \"program\": \"%s\", \"frame\": \"%s\", "
		       "\"ns_median\": %.2f, \"ns_min\": %.2f, \"ns_max\": %.2f, "
		       "\"over_floor_ns\": %.2f}",
		       i ? "," : "", cases[i].hook, cases[i].variant,
		       cases[i].frame < 0 ? "any" : frames[cases[i].frame].name,
		       s.median, s.min, s.max,
		       s.median - summarize(cases[f].ns, rounds).median);
	}
	printf("\n]}\n");
	bpf_object__close(empty);
	return 0;
}

/* ------------------------------------------------------------------ */
/* drops: the kfree_skb tracer on unrelated frees */

/* n UDP datagrams to a closed port on loopback: each is freed as dropped
 * (NO_SOCKET) by the kernel. */
static double cause_drops(int n)
{
	struct sockaddr_in to = { .sin_family = AF_INET, .sin_port = htons(9) };
	char buf[18] = { 0 };
	double t0;
	int fd = socket(AF_INET, SOCK_DGRAM, 0);

	if (fd < 0)
		die("socket", errno);
	to.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	t0 = now_s();
	for (int i = 0; i < n; i++)
		sendto(fd, buf, sizeof(buf), 0, (struct sockaddr *)&to,
		       sizeof(to));
	t0 = now_s() - t0;
	close(fd);
	return t0 * 1e9 / n;
}

static int prog_stats(int fd, uint64_t *cnt, uint64_t *ns)
{
	struct bpf_prog_info info = { 0 };
	__u32 len = sizeof(info);
	int err = bpf_obj_get_info_by_fd(fd, &info, &len);

	*cnt = info.run_cnt;
	*ns = info.run_time_ns;
	return err;
}

static int cmd_drops(int argc, char **argv)
{
	int rounds = 5, sends = 20000, opt, r, stats_fd, err;
	const char *watched = NULL;
	double floor_ns[MAX_ROUNDS], drops_ns[MAX_ROUNDS], base_ns[MAX_ROUNDS];
	double send_floor[MAX_ROUNDS], send_drops[MAX_ROUNDS];
	struct bpf_object *empty;
	struct bpf_program *p;
	char errbuf[256];
	uint32_t inum;

	while ((opt = getopt(argc, argv, "r:n:w:o:")) != -1) {
		switch (opt) {
		case 'r':
			rounds = parse_long(optarg, 1, MAX_ROUNDS, "rounds");
			break;
		case 'n':
			sends = parse_long(optarg, 100, 10000000, "sends");
			break;
		case 'w': watched = optarg; break;
		case 'o': empty_obj_path = optarg; break;
		default: return 2;
		}
	}
	if (!watched) {
		fprintf(stderr,
			"fvbench drops: -w NETNS (a namespace other than this one) is required\n");
		return 2;
	}
	err = fv_netns_inum(watched, &inum);
	if (err)
		die(watched, err);
	stats_fd = bpf_enable_stats(BPF_STATS_RUN_TIME);
	if (stats_fd < 0)
		die("bpf_enable_stats", errno);
	empty = bpf_object__open_file(empty_obj_path, NULL);
	if (!empty)
		die(empty_obj_path, errno);
	p = bpf_object__find_program_by_name(empty, "empty_kfree_skb");
	bpf_object__for_each_program(p, empty)
		bpf_program__set_autoload(p, !strcmp(bpf_program__name(p),
						     "empty_kfree_skb"));
	if (bpf_object__load(empty))
		die("loading the empty tp_btf/kfree_skb program", errno);
	p = bpf_object__find_program_by_name(empty, "empty_kfree_skb");
	cause_drops(sends / 10); /* warm up */
	for (r = 0; r < rounds; r++) {
		struct bpf_link *l;
		struct fv_drops *d;
		uint64_t c0, n0, c1, n1;

		base_ns[r] = cause_drops(sends);
		l = bpf_program__attach(p);
		if (!l)
			die("attaching the empty kfree_skb program", errno);
		prog_stats(bpf_program__fd(p), &c0, &n0);
		send_floor[r] = cause_drops(sends);
		prog_stats(bpf_program__fd(p), &c1, &n1);
		bpf_link__destroy(l);
		floor_ns[r] = c1 > c0 ? (double)(n1 - n0) / (c1 - c0) : 0;

		err = fv_drops_start(&d, &inum, 1, FV_NTP_PORT_DEFAULT, errbuf,
				     sizeof(errbuf));
		if (err) {
			fprintf(stderr, "fvbench: drops: %s\n", errbuf);
			return 2;
		}
		fv_drops_prog_stats(d, &c0, &n0);
		send_drops[r] = cause_drops(sends);
		fv_drops_prog_stats(d, &c1, &n1);
		if (!r)
			fprintf(stderr, "fvbench: drop tracer attached as %s\n",
				fv_drops_attach_kind(d));
		fv_drops_stop(d);
		drops_ns[r] = c1 > c0 ? (double)(n1 - n0) / (c1 - c0) : 0;
	}
	{
		struct summary f = summarize(floor_ns, rounds),
			       d = summarize(drops_ns, rounds);
		struct summary b = summarize(base_ns, rounds),
			       sf = summarize(send_floor, rounds);
		struct summary sd = summarize(send_drops, rounds);

		printf("{\"rounds\": %d, \"sends\": %d, "
		       "\"empty_ns_median\": %.1f, \"empty_ns_min\": %.1f, \"empty_ns_max\": %.1f, "
		       "\"drops_ns_median\": %.1f, \"drops_ns_min\": %.1f, \"drops_ns_max\": %.1f, "
		       "\"over_floor_ns\": %.1f, \"ratio_to_floor\": %.2f, "
		       "\"sender_ns_per_drop_nothing\": %.0f, \"sender_ns_per_drop_empty\": %.0f, "
		       "\"sender_ns_per_drop_drops\": %.0f}\n",
		       rounds, sends, f.median, f.min, f.max, d.median, d.min,
		       d.max, d.median - f.median, d.median / f.median,
		       b.median, sf.median, sd.median);
	}
	bpf_object__close(empty);
	close(stats_fd);
	return 0;
}

/* ------------------------------------------------------------------ */
/* attach: session start and stop on N interfaces */

static int cmd_attach(int argc, char **argv)
{
	int rounds = 5, opt, r, err;
	const char *spec = NULL;
	double start[MAX_ROUNDS], stop[MAX_ROUNDS];
	struct fv_host host;
	char errbuf[256];

	while ((opt = getopt(argc, argv, "r:s:")) != -1) {
		switch (opt) {
		case 'r':
			rounds = parse_long(optarg, 1, MAX_ROUNDS, "rounds");
			break;
		case 's': spec = optarg; break;
		default: return 2;
		}
	}
	if (!spec) {
		fprintf(stderr,
			"fvbench attach: -s NETNS:IF[,IF...] is required\n");
		return 2;
	}
	if (fv_host_parse(spec, FV_ROLE_NAT, &host, errbuf, sizeof(errbuf))) {
		fprintf(stderr, "fvbench: %s\n", errbuf);
		return 2;
	}
	for (r = 0; r < rounds; r++) {
		struct fv_session *s = calloc(1, sizeof(*s));
		double t0;

		if (!s)
			die("calloc", ENOMEM);
		t0 = now_s();
		err = fv_session_start(s, &host, 1, FV_NTP_PORT_DEFAULT, errbuf,
				       sizeof(errbuf));
		start[r] = (now_s() - t0) * 1e3;
		if (err) {
			fprintf(stderr, "fvbench: %s\n", errbuf);
			return 2;
		}
		t0 = now_s();
		fv_session_stop(s);
		stop[r] = (now_s() - t0) * 1e3;
		free(s);
	}
	{
		struct summary a = summarize(start, rounds),
			       d = summarize(stop, rounds);

		printf("{\"interfaces\": %d, \"rounds\": %d, "
		       "\"start_ms_median\": %.1f, \"start_ms_min\": %.1f, \"start_ms_max\": %.1f, "
		       "\"stop_ms_median\": %.1f, \"stop_ms_min\": %.1f, \"stop_ms_max\": %.1f}\n",
		       host.n_ifaces, rounds, a.median, a.min, a.max, d.median,
		       d.min, d.max);
	}
	return 0;
}

/* ------------------------------------------------------------------ */
/* send and sink */

static volatile sig_atomic_t stop_flag;

static void on_signal(int sig)
{
	stop_flag = 1;
}

static void put_be64(__u8 *p, __u64 v)
{
	for (int i = 0; i < 8; i++)
		p[i] = v >> (56 - 8 * i);
}

static int cmd_send(int argc, char **argv)
{
	const char *dst = NULL;
	int port = 0, sport = 0, size = 18, opt, fd, cpu = -1;
	double duration = 3, t0, t, rate = 0;
	bool ntp = false;
	struct sockaddr_in to = { .sin_family = AF_INET },
			   from = { .sin_family = AF_INET };
	static __u8 bufs[BATCH][64];
	struct mmsghdr msgs[BATCH];
	struct iovec iov[BATCH];
	unsigned long long sent = 0, calls = 0, errors = 0, seq = 1;

	while ((opt = getopt(argc, argv, "d:p:s:t:l:nR:c:")) != -1) {
		switch (opt) {
		case 'd': dst = optarg; break;
		case 'p': port = parse_long(optarg, 1, 65535, "port"); break;
		case 's':
			sport = parse_long(optarg, 0, 65535, "source port");
			break;
		case 't':
			duration =
				parse_long(optarg, 1, 3600000, "duration (ms)") /
				1e3;
			break;
		case 'l':
			size = parse_long(optarg, 1, 64, "payload size");
			break;
		case 'n':
			ntp = true;
			size = 48;
			break;
		case 'R':
			rate = parse_long(optarg, 1, 100000000, "rate");
			break;
		case 'c': cpu = parse_long(optarg, -1, 1023, "cpu"); break;
		default: return 2;
		}
	}
	if (!dst || !port || inet_pton(AF_INET, dst, &to.sin_addr) != 1) {
		fprintf(stderr, "fvbench send: -d IPV4 -p PORT required\n");
		return 2;
	}
	pin_cpu(cpu);
	to.sin_port = htons(port);
	fd = socket(AF_INET, SOCK_DGRAM, 0);
	if (fd < 0)
		die("socket", errno);
	from.sin_port = htons(sport);
	if (bind(fd, (struct sockaddr *)&from, sizeof(from)) ||
	    connect(fd, (struct sockaddr *)&to, sizeof(to)))
		die("bind/connect", errno);
	memset(msgs, 0, sizeof(msgs));
	for (int i = 0; i < BATCH; i++) {
		memset(bufs[i], 0, sizeof(bufs[i]));
		if (ntp)
			bufs[i][0] = 4 << 3 | 3; /* NTPv4, client */
		iov[i].iov_base = bufs[i];
		iov[i].iov_len = size;
		msgs[i].msg_hdr.msg_iov = &iov[i];
		msgs[i].msg_hdr.msg_iovlen = 1;
	}
	signal(SIGINT, on_signal);
	signal(SIGTERM, on_signal);
	t0 = now_s();
	do {
		int n;

		if (ntp) /* a distinct transmit timestamp (cookie) per request */
			for (int i = 0; i < BATCH; i++)
				put_be64(bufs[i] + 40, seq++);
		n = sendmmsg(fd, msgs, BATCH, 0);
		calls++;
		if (n > 0) {
			sent += n;
			if (ntp && n < BATCH)
				seq -= BATCH - n; /* unsent cookies are reused */
		} else {
			errors++;
			if (ntp)
				seq -= BATCH;
		}
		t = now_s() - t0;
		/* -R: the next batch when the rate says so (a fixed offered
		 * load, below what the path can forward). */
		if (rate && sent / rate > t) {
			double wait = sent / rate - t;
			struct timespec ts = {
				.tv_sec = (time_t)wait,
				.tv_nsec = (long)((wait - (time_t)wait) * 1e9)
			};

			nanosleep(&ts, NULL);
			t = now_s() - t0;
		}
	} while (t < duration && !stop_flag);
	printf("{\"sent\": %llu, \"seconds\": %.4f, \"pps\": %.0f, \"calls\": %llu, "
	       "\"send_errors\": %llu, \"payload_bytes\": %d}\n",
	       sent, t, sent / t, calls, errors, size);
	close(fd);
	return 0;
}

static int cmd_sink(int argc, char **argv)
{
	int port = 0, opt, fd, rcvbuf = 8 << 20, cpu = -1;
	double duration = 5, t0, first = 0, last = 0;
	bool reply = false;
	struct sockaddr_in me = { .sin_family = AF_INET }, peers[BATCH];
	static __u8 bufs[BATCH][256];
	struct mmsghdr msgs[BATCH];
	struct iovec iov[BATCH];
	struct timeval tv = { .tv_usec = 100000 };
	unsigned long long got = 0, replied = 0;

	while ((opt = getopt(argc, argv, "p:t:rc:")) != -1) {
		switch (opt) {
		case 'p': port = parse_long(optarg, 1, 65535, "port"); break;
		case 't':
			duration =
				parse_long(optarg, 1, 3600000, "duration (ms)") /
				1e3;
			break;
		case 'r': reply = true; break;
		case 'c': cpu = parse_long(optarg, -1, 1023, "cpu"); break;
		default: return 2;
		}
	}
	if (!port) {
		fprintf(stderr, "fvbench sink: -p PORT required\n");
		return 2;
	}
	pin_cpu(cpu);
	fd = socket(AF_INET, SOCK_DGRAM, 0);
	if (fd < 0)
		die("socket", errno);
	setsockopt(fd, SOL_SOCKET, SO_RCVBUFFORCE, &rcvbuf, sizeof(rcvbuf));
	setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
	me.sin_port = htons(port);
	if (bind(fd, (struct sockaddr *)&me, sizeof(me)))
		die("bind", errno);
	signal(SIGINT, on_signal);
	signal(SIGTERM, on_signal);
	/* Ready: the driver waits for this line before sending. */
	fprintf(stderr, "fvbench: sink ready on port %d\n", port);
	t0 = now_s();
	while (!stop_flag && now_s() - t0 < duration) {
		int n;

		memset(msgs, 0, sizeof(msgs));
		for (int i = 0; i < BATCH; i++) {
			iov[i].iov_base = bufs[i];
			iov[i].iov_len = sizeof(bufs[i]);
			msgs[i].msg_hdr.msg_iov = &iov[i];
			msgs[i].msg_hdr.msg_iovlen = 1;
			msgs[i].msg_hdr.msg_name = &peers[i];
			msgs[i].msg_hdr.msg_namelen = sizeof(peers[i]);
		}
		n = recvmmsg(fd, msgs, BATCH, 0, NULL);
		if (n <= 0)
			continue;
		if (!got)
			first = now_s();
		last = now_s();
		got += n;
		if (!reply)
			continue;
		for (int i = 0; i < n; i++) {
			__u8 *b = bufs[i];

			iov[i].iov_len = msgs[i].msg_len;
			if (msgs[i].msg_len >= 48) {
				b[0] = (b[0] & 0x38) | 4; /* server */
				b[1] = 2;		  /* stratum */
				memcpy(b + 24, b + 40,
				       8); /* origin = their transmit */
				put_be64(b + 40, ~0ull - replied - i);
			}
		}
		n = sendmmsg(fd, msgs, n, 0);
		if (n > 0)
			replied += n;
	}
	printf("{\"received\": %llu, \"replied\": %llu, \"active_seconds\": %.4f}\n",
	       got, replied, last - first);
	close(fd);
	return 0;
}

/* ------------------------------------------------------------------ */
/* runtime: what attached programs spend on the real path */

static volatile sig_atomic_t runtime_stop;

static void on_runtime_signal(int sig)
{
	runtime_stop = 1;
}

/* -i ID,ID...: with run-time stats held on, each program's runs and ns
 * from "ready" on stderr until SIGINT, while traffic crosses the host.
 * Stats cost two clock reads a run, so this is its own round, never one
 * whose CPU time is compared. */
static int cmd_runtime(int argc, char **argv)
{
	uint64_t cnt0[16], ns0[16], cnt, ns;
	int fds[16], ids[16], n = 0, opt, stats_fd, i;
	char *list = NULL, *tok, *save;

	while ((opt = getopt(argc, argv, "i:")) != -1) {
		if (opt != 'i')
			return 2;
		list = optarg;
	}
	if (!list) {
		fprintf(stderr, "runtime: -i PROG_ID[,PROG_ID...] is required\n");
		return 2;
	}
	for (tok = strtok_r(list, ",", &save); tok && n < 16;
	     tok = strtok_r(NULL, ",", &save)) {
		ids[n] = parse_long(tok, 1, INT32_MAX, "program id");
		fds[n] = bpf_prog_get_fd_by_id(ids[n]);
		if (fds[n] < 0)
			die("bpf_prog_get_fd_by_id", errno);
		n++;
	}
	stats_fd = bpf_enable_stats(BPF_STATS_RUN_TIME);
	if (stats_fd < 0)
		die("bpf_enable_stats", errno);
	signal(SIGINT, on_runtime_signal);
	signal(SIGTERM, on_runtime_signal);
	for (i = 0; i < n; i++)
		if (prog_stats(fds[i], &cnt0[i], &ns0[i]))
			die("bpf_obj_get_info_by_fd", errno);
	fprintf(stderr, "runtime ready\n");
	while (!runtime_stop)
		pause();
	printf("{\"programs\": [");
	for (i = 0; i < n; i++) {
		if (prog_stats(fds[i], &cnt, &ns))
			die("bpf_obj_get_info_by_fd", errno);
		printf("%s\n {\"id\": %d, \"runs\": %llu, \"run_time_ns\": %llu, "
		       "\"ns_per_run\": %.2f}",
		       i ? "," : "", ids[i], (unsigned long long)(cnt - cnt0[i]),
		       (unsigned long long)(ns - ns0[i]),
		       cnt > cnt0[i] ? (double)(ns - ns0[i]) / (cnt - cnt0[i])
				     : 0);
		close(fds[i]);
	}
	printf("\n]}\n");
	close(stats_fd);
	return 0;
}

int main(int argc, char **argv)
{
	const char *cmd = argc > 1 ? argv[1] : "";

	setvbuf(stdout, NULL, _IOLBF, 0);
	if (!strcmp(cmd, "prog"))
		return cmd_prog(argc - 1, argv + 1);
	if (!strcmp(cmd, "drops"))
		return cmd_drops(argc - 1, argv + 1);
	if (!strcmp(cmd, "live"))
		return cmd_live(argc - 1, argv + 1);
	if (!strcmp(cmd, "attach"))
		return cmd_attach(argc - 1, argv + 1);
	if (!strcmp(cmd, "runtime"))
		return cmd_runtime(argc - 1, argv + 1);
	if (!strcmp(cmd, "send"))
		return cmd_send(argc - 1, argv + 1);
	if (!strcmp(cmd, "sink"))
		return cmd_sink(argc - 1, argv + 1);
	fprintf(stderr,
		"usage: fvbench prog|drops|live|attach|runtime|send|sink [options]\n"
		"  prog   [-r ROUNDS] [-n REPEAT] [-c CPU]\n"
		"  drops  -w WATCHED_NETNS [-r ROUNDS] [-n SENDS]\n"
		"  live   -i PROG_ID[,PROG_ID...] [-r ROUNDS] [-n REPEAT] [-c CPU]\n"
		"  attach -s NETNS:IF[,IF...] [-r ROUNDS]\n"
		"  runtime -i PROG_ID[,PROG_ID...]   (until SIGINT)\n"
		"  send   -d IPV4 -p PORT [-s SPORT] [-t MS] [-l BYTES] [-n] [-R PPS] [-c CPU]\n"
		"  sink   -p PORT [-t MS] [-r] [-c CPU]\n");
	return 2;
}
