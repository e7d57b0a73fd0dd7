// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/* Fuzzes the kernel parser: random and mutated frames through the XDP and
 * tc programs with BPF_PROG_TEST_RUN, each judged against a reference model
 * written from the parser's contract (a second, independent reading of the
 * headers). Every run must return XDP_PASS / TC_ACT_UNSPEC (no verdict: the next
 * tc program or filter decides, else the packet passes) and hand the frame back
 * unchanged; the maps must hold exactly what the model predicts, so nothing
 * malformed is ever counted as NTP and nothing well-formed is missed.
 *
 * Seeds: every case of the crafted table in test_bpf.c, cut at every
 * length; then structured random frames (VLAN depths 0-4, IPv4 options and
 * bad ihl, IPv6 extension chains, fragments, lying length fields) and
 * mutations of both. Reproducible: FV_FUZZ_SEED=N FV_FUZZ_FRAMES=N; a
 * failure prints the seed, the frame's index and its bytes.
 *
 * TAP output of its own (not cmocka): one line per phase. Skips only for
 * what the machine lacks (not root, no kernel BTF); as root a BPF object
 * that will not load (verifier rejection, dropped capabilities) is
 * "not ok" with libbpf's last lines, and the exit status is 1. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <errno.h>
#include <time.h>
#include <unistd.h>
#include <net/if.h>
#include <arpa/inet.h>
#include <netinet/in.h>
#include <linux/bpf.h>
#include <linux/if_ether.h>
#include <linux/pkt_cls.h>
#include <bpf/bpf.h>
#include <bpf/libbpf.h>
#include <cmocka.h>

/* The crafted table and its frame builder, reused as the seed corpus: its
 * main() is renamed out of the way. */
#define main fv_test_bpf_main
#include "test_bpf.c"
#undef main

#define FZ_FRAME_MAX	  640
#define FZ_BATCH	  512	  /* frames between two map checks */
#define FZ_DEFAULT_FRAMES 1000000 /* each through XDP and one tc hook */
#define FZ_PORT_KNOB	  1230

/* ---- deterministic random numbers (splitmix64) ---- */

static __u64 rng_state;

static __u64 rnd(void)
{
	__u64 z = (rng_state += 0x9e3779b97f4a7c15ULL);

	z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
	z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
	return z ^ (z >> 31);
}

static unsigned int rn(unsigned int n)
{
	return n ? rnd() % n : 0;
}

/* ---- the reference model ---- */

struct fz_frame {
	__u8 b[FZ_FRAME_MAX];
	size_t len;
	__u16 port; /* the skeleton's NTP port */
	__u8 hook;  /* enum fv_hook of the second run */
};

struct fz_expect {
	bool xdp_refused;	/* the kernel's XDP test run refuses it */
	bool tc_refused;	/* the kernel's tc (skb) test run refuses it */
	int stat;		/* the parser counter it bumps, or -1 */
	bool recorded;		/* NTP: one flow packet and one event */
	struct fv_flow_key key; /* ifindex and hook filled per run */
	__u32 l3_len;
	const __u8 *ntp;
};

static __u16 be16(const __u8 *p)
{
	return p[0] << 8 | p[1];
}

static bool is_ext(__u8 nh)
{
	return nh == IPPROTO_HOPOPTS || nh == IPPROTO_ROUTING ||
	       nh == IPPROTO_DSTOPTS || nh == IPPROTO_AH ||
	       nh == IPPROTO_FRAGMENT;
}

/* ---- what BPF_PROG_TEST_RUN itself refuses ----
 * The kernel refuses some short frames before any program runs, and which
 * differs by kernel: 6.18 refuses frames under ETH_HLEN, and skb frames of
 * an IP ethertype whose network header is cut; 5.10 runs a 0-byte XDP
 * frame and a 19-byte IPv6 skb frame. So it is probed once, with programs
 * that only return, by program type, length and ethertype class: the model
 * follows the kernel, and judges only what our programs do. */

#define FZ_PROBE_LEN 64 /* longer frames are never refused (probed too) */

enum { FZ_ET_OTHER, FZ_ET_IP, FZ_ET_IPV6, FZ_ET_N };

/* [0] XDP, [1] tc (skb): refused at [ethertype class][length]. */
static bool fz_refuses[2][FZ_ET_N][FZ_PROBE_LEN + 1];

/* Under ETH_HLEN there is no ethertype: "other". */
static int fz_et_class(const __u8 *b, size_t len)
{
	__u16 et = len < ETH_HLEN ? 0 : be16(b + 12);

	return et == ETH_P_IP	  ? FZ_ET_IP
	       : et == ETH_P_IPV6 ? FZ_ET_IPV6
				  : FZ_ET_OTHER;
}

static bool kernel_refuses(bool tc, const __u8 *b, size_t len)
{
	return fz_refuses[tc][fz_et_class(b, len)]
			 [len < FZ_PROBE_LEN ? len : FZ_PROBE_LEN];
}

/* What the parser must do with one frame (docs/reliability.md lists the
 * rules). Offsets are size_t: nothing here can run off the buffer. */
static void model(const struct fz_frame *f, struct fz_expect *e)
{
	const __u8 *b = f->b;
	size_t len = f->len, off = ETH_HLEN, l3, udp, ip_end;
	__u16 proto, ulen;
	int i;

	memset(e, 0, sizeof(*e));
	e->stat = -1;
	e->xdp_refused = kernel_refuses(false, b, len);
	e->tc_refused = kernel_refuses(true, b, len);
	if (len < ETH_HLEN) {
		e->stat = FV_STAT_ETH_TRUNCATED;
		return;
	}
	proto = be16(b + 12);
	for (i = 0; i < 2 && (proto == 0x8100 || proto == 0x88a8); i++) {
		if (off + 4 > len) {
			e->stat = FV_STAT_ETH_TRUNCATED;
			return;
		}
		proto = be16(b + off + 2);
		off += 4;
	}
	if (proto == 0x8100 || proto == 0x88a8) {
		e->stat = FV_STAT_VLAN_TOO_DEEP;
		return;
	}
	l3 = off;
	if (proto == ETH_P_IP) {
		size_t ihl;

		if (l3 + 20 > len) {
			e->stat = FV_STAT_IPV4_TRUNCATED;
			return;
		}
		if (b[l3 + 9] != IPPROTO_UDP)
			return;
		if (be16(b + l3 + 6) & 0x3fff) {
			e->stat = FV_STAT_IPV4_FRAGMENT;
			return;
		}
		ihl = (b[l3] & 15) * 4;
		if (b[l3] >> 4 != 4 || ihl < 20) {
			e->stat = FV_STAT_IPV4_TRUNCATED;
			return;
		}
		udp = l3 + ihl;
		ip_end = l3 + be16(b + l3 + 2);
		e->l3_len = be16(b + l3 + 2);
		memcpy(e->key.saddr + 10, "\xff\xff", 2);
		memcpy(e->key.daddr + 10, "\xff\xff", 2);
		memcpy(e->key.saddr + 12, b + l3 + 12, 4);
		memcpy(e->key.daddr + 12, b + l3 + 16, 4);
	} else if (proto == ETH_P_IPV6) {
		__u8 nh;

		if (l3 + 40 > len) {
			e->stat = FV_STAT_IPV6_TRUNCATED;
			return;
		}
		if (b[l3] >> 4 != 6) {
			e->stat = FV_STAT_IPV6_TRUNCATED;
			return;
		}
		nh = b[l3 + 6];
		off = l3 + 40;
		for (i = 0; i < 6 && is_ext(nh); i++) {
			if (nh == IPPROTO_FRAGMENT) {
				e->stat = FV_STAT_IPV6_FRAGMENT;
				return;
			}
			if (off + 2 > len) {
				e->stat = FV_STAT_IPV6_TRUNCATED;
				return;
			}
			/* AH counts 32-bit words minus 2, the others 8 bytes
			 * minus 1 (RFC 4302, RFC 8200). */
			size_t step = nh == IPPROTO_AH ? (b[off + 1] + 2) * 4
						       : (b[off + 1] + 1) * 8;
			nh = b[off];
			off += step;
		}
		if (nh != IPPROTO_UDP) {
			if (nh == IPPROTO_FRAGMENT)
				e->stat = FV_STAT_IPV6_FRAGMENT;
			else if (is_ext(nh))
				e->stat = FV_STAT_IPV6_EXT_TOO_DEEP;
			return;
		}
		udp = off;
		ip_end = l3 + 40 + be16(b + l3 + 4);
		e->l3_len = 40 + be16(b + l3 + 4);
		memcpy(e->key.saddr, b + l3 + 8, 16);
		memcpy(e->key.daddr, b + l3 + 24, 16);
	} else {
		return;
	}
	if (udp + 8 > len) {
		e->stat = FV_STAT_UDP_TRUNCATED;
		return;
	}
	if (be16(b + udp) != f->port && be16(b + udp + 2) != f->port)
		return;
	ulen = be16(b + udp + 4);
	if (ulen < 8 + FV_NTP_HDR_LEN) {
		e->stat = FV_STAT_NTP_SHORT;
		return;
	}
	if (udp + 8 + FV_NTP_HDR_LEN > len) {
		e->stat = FV_STAT_UDP_TRUNCATED;
		return;
	}
	/* Well-formed means the lengths agree: the IP packet fits in the
	 * frame (Ethernet padding may follow it) and the UDP datagram in
	 * the IP packet. The stack drops anything else. */
	if (ip_end > len) {
		e->stat = proto == ETH_P_IP ? FV_STAT_IPV4_TRUNCATED
					    : FV_STAT_IPV6_TRUNCATED;
		return;
	}
	if (udp + ulen > ip_end) {
		e->stat = FV_STAT_UDP_TRUNCATED;
		return;
	}
	if ((b[udp + 8] & 7) != FV_NTP_MODE_REQUEST &&
	    (b[udp + 8] & 7) != FV_NTP_MODE_REPLY)
		e->stat = FV_STAT_NTP_OTHER_MODE;
	e->recorded = true;
	e->key.sport = htons(be16(b + udp));
	e->key.dport = htons(be16(b + udp + 2));
	e->key.mode = b[udp + 8] & 7;
	e->ntp = b + udp + 8;
}

/* ---- frame generators ---- */

static const __u16 ports[] = {
	FV_NTP_PORT_DEFAULT, FZ_PORT_KNOB, 1123, 40123, 53, 0, 65535
};

static void put16(__u8 *p, __u16 v)
{
	p[0] = v >> 8;
	p[1] = v;
}

/* Half the time the skeleton's own port, so NTP paths get exercised. */
static __u16 rport(__u16 mine)
{
	if (rn(2))
		return mine;
	return rn(4) ? ports[rn(ARRAY_SIZE(ports))] : (__u16)rnd();
}

/* A length field: usually right, sometimes off by a little or wild. */
static __u16 rlen(size_t right)
{
	switch (rn(10)) {
	case 0: return (__u16)rnd();
	case 1: return right + rn(9) - 4;
	default: return right;
	}
}

static void gen_ntp(__u8 *p, size_t n)
{
	for (size_t i = 0; i < n; i++)
		p[i] = rnd();
	if (n)
		p[0] = (p[0] & ~7) | (rn(3) ? 3 + rn(2) : rn(8));
}

/* A structured random frame: each layer mostly plausible. */
static void gen_structured(struct fz_frame *f)
{
	static const __u8 ext_types[] = { IPPROTO_HOPOPTS,  IPPROTO_ROUTING,
					  IPPROTO_DSTOPTS,  IPPROTO_AH,
					  IPPROTO_FRAGMENT, 59,
					  IPPROTO_UDP };
	__u8 *b = f->b, *ip, *udp;
	size_t off = 12, payload, ihl, ip_hdr, i;
	unsigned int vlans = rn(8) < 5 ? 0 : rn(5);
	bool v6 = rn(2);
	__u16 sport, dport;

	for (i = 0; i < 12; i++)
		b[i] = rnd();
	for (i = 0; i < vlans; i++) {
		put16(b + off, rn(4) ? (rn(2) ? 0x8100 : 0x88a8) : rnd());
		put16(b + off + 2, rnd());
		off += 4;
	}
	put16(b + off, rn(10) ? (v6 ? ETH_P_IPV6 : ETH_P_IP) : rnd());
	off += 2;
	ip = b + off;
	payload = rn(4) ? FV_NTP_HDR_LEN + rn(3) * rn(70)
			: rn(FV_NTP_HDR_LEN + 8);
	sport = rport(f->port);
	dport = rport(f->port);
	if (!v6) {
		ihl = rn(6) ? 5 + rn(3) * rn(6) : rn(16);
		ip_hdr = ihl < 5 ? 20 : ihl * 4;
		for (i = 0; i < ip_hdr; i++)
			ip[i] = rnd();
		ip[0] = (rn(12) ? 4 : rn(16)) << 4 | ihl;
		put16(ip + 2, rlen(ip_hdr + 8 + payload));
		put16(ip + 6,
		      rn(5) ? (rn(2) ? 0x4000 : 0) : (rn(2) ? 0x2000 : rnd()));
		ip[9] = rn(10) ? IPPROTO_UDP : rnd();
		for (i = 20; i < ip_hdr; i++) /* NOPs, then random */
			ip[i] = rn(3) ? 1 : ip[i];
		udp = ip + ip_hdr;
	} else {
		unsigned int n_ext = rn(3) ? rn(3) : rn(9);
		__u8 *nh;

		for (i = 0; i < 40; i++)
			ip[i] = rnd();
		ip[0] = (rn(12) ? 6 : rn(16)) << 4 | (ip[0] & 15);
		nh = ip + 6;
		udp = ip + 40;
		for (i = 0; i < n_ext; i++) {
			__u8 t = ext_types[rn(ARRAY_SIZE(ext_types))];
			size_t elen = t == IPPROTO_AH ? 12 + 4 * rn(4)
						      : 8 * (1 + rn(3));

			if (udp + elen + 8 + payload > b + FZ_FRAME_MAX)
				break;
			*nh = t;
			for (size_t k = 0; k < elen; k++)
				udp[k] = rnd();
			if (rn(8)) /* the header's own length, usually */
				udp[1] = t == IPPROTO_AH ? elen / 4 - 2
							 : elen / 8 - 1;
			nh = udp;
			udp += elen;
		}
		*nh = rn(10) ? IPPROTO_UDP : rnd();
		put16(ip + 4, rlen(udp - ip - 40 + 8 + payload));
	}
	if (udp + 8 + payload > b + FZ_FRAME_MAX)
		payload = b + FZ_FRAME_MAX - udp - 8;
	put16(udp, sport);
	put16(udp + 2, dport);
	put16(udp + 4, rlen(8 + payload));
	put16(udp + 6, rnd());
	gen_ntp(udp + 8, payload);
	f->len = udp + 8 + payload - b;
	if (rn(10) == 0) /* Ethernet padding or trailing junk */
		f->len += rn(FZ_FRAME_MAX - f->len + 1);
	if (rn(8) == 0)
		f->len = rn(f->len + 1);
}

/* Mutations of a frame in place: bit flips, interesting bytes, a length
 * field, inserted or removed bytes, a cut. */
static void mutate(struct fz_frame *f)
{
	static const __u8 interesting[] = { 0,	  1,	4,    5,    6,	  0x11,
					    0x2b, 0x2c, 0x33, 0x3c, 0x40, 0x45,
					    0x60, 0x7f, 0x80, 0x81, 0x86, 0x88,
					    0xa8, 0xdd, 0xff };
	unsigned int n = 1 + rn(4), k;
	size_t at;

	for (k = 0; k < n; k++) {
		if (!f->len)
			return;
		at = rn(f->len);
		switch (rn(7)) {
		case 0: f->b[at] ^= 1 << rn(8); break;
		case 1:
			f->b[at] = interesting[rn(ARRAY_SIZE(interesting))];
			break;
		case 2: f->b[at] = rnd(); break;
		case 3: /* a 16-bit field set to a near or wild value */
			if (at + 1 < f->len)
				put16(f->b + at,
				      rn(2) ? be16(f->b + at) + rn(9) - 4
					    : (__u16)rnd());
			break;
		case 4: /* insert bytes */
			if (f->len + 4 <= FZ_FRAME_MAX) {
				size_t add = 1 + rn(4);

				memmove(f->b + at + add, f->b + at, f->len - at);
				for (size_t i = 0; i < add; i++)
					f->b[at + i] = rnd();
				f->len += add;
			}
			break;
		case 5: /* remove bytes */
		{
			size_t del = 1 + rn(4);

			if (at + del > f->len)
				del = f->len - at;
			memmove(f->b + at, f->b + at + del, f->len - at - del);
			f->len -= del;
		} break;
		default: f->len = rn(f->len + 1); break;
		}
	}
}

/* ---- running frames and checking the maps ---- */

struct fz_ctx {
	struct flowverify *skel[2]; /* port 123, port 1230 */
	int ncpus;
	__u32 lo_ifindex;
	__u64 seed;
	unsigned long runs, refused, recorded, stat_hits[FV_STAT_MAX];
	char why[512];
};

static struct fz_ctx fz;

struct fz_ev_sink {
	int n, max;
	struct fv_event *ev;
	bool bad_size;
};

static int fz_on_event(void *ctx, void *data, size_t size)
{
	struct fz_ev_sink *s = ctx;

	if (size != sizeof(struct fv_event))
		s->bad_size = true;
	else if (s->n < s->max)
		memcpy(&s->ev[s->n], data, size);
	s->n++;
	return 0;
}

/* NULL on failure, *err set, libbpf's messages kept for fv_log_failure. */
static struct flowverify *fz_load(__u16 port, int *err)
{
	struct flowverify *skel;

	fv_log_begin();
	skel = flowverify__open();
	if (!skel) {
		*err = errno ? -errno : -EINVAL;
	} else {
		skel->rodata->ntp_port_be = htons(port);
		skel->rodata->coarse_clock = fv_have_coarse_clock();
		/* No event rate limit here: the test runs far faster than a
		 * wire and every NTP frame must produce its event. */
		skel->rodata->event_rate = 1000000000ULL;
		skel->rodata->event_burst = 1000000ULL;
		*err = flowverify__load(skel);
	}
	fv_log_end();
	if (!*err)
		return skel;
	flowverify__destroy(skel);
	return NULL;
}

static int fz_prog_fd(struct flowverify *skel, int hook)
{
	return bpf_program__fd(hook == FV_HOOK_XDP ? skel->progs.fv_xdp_ingress
			       : hook == FV_HOOK_TC_EGRESS
				       ? skel->progs.fv_tc_egress
				       : skel->progs.fv_tc_ingress);
}

static void why(const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(fz.why, sizeof(fz.why), fmt, ap);
	va_end(ap);
}

static bool refused_by(const struct fz_expect *e, int hook)
{
	return hook == FV_HOOK_XDP ? e->xdp_refused : e->tc_refused;
}

/* One test run of PROG_FD on LEN bytes of B, as run_one makes it. */
static int test_run(int prog_fd, const __u8 *b, size_t len, __u32 *retval,
		    __u8 *out, __u32 *out_len)
{
	LIBBPF_OPTS(bpf_test_run_opts, opts, .repeat = 1);
	int err;

	opts.data_in = b;
	opts.data_size_in = len;
	opts.data_out = out;
	opts.data_size_out = *out_len;
	err = bpf_prog_test_run_opts(prog_fd, &opts);
	*retval = opts.retval;
	*out_len = opts.data_size_out;
	return err;
}

/* Fills fz_refuses from the kernel: a program of the same type (and
 * attach type) as ours that only returns, on zeroed frames of every length
 * up to FZ_PROBE_LEN with each ethertype class. -EINVAL is a refusal;
 * any other error is a failure. 0, or -1 with fz.why set. */
static int probe_refusals(struct flowverify *skel)
{
	static const __u16 ets[FZ_ET_N] = { 0x88b5, ETH_P_IP, ETH_P_IPV6 };
	struct bpf_program *progs[2] = { skel->progs.fv_xdp_ingress,
					 skel->progs.fv_tc_ingress };
	__u8 b[FZ_PROBE_LEN], out[FZ_FRAME_MAX + 256];
	int tc, c, fd, err;
	size_t len;
	__u32 rv, n;

	for (tc = 0; tc < 2; tc++) {
		struct bpf_insn ret[] = {
			/* r0 = XDP_PASS / TC_ACT_UNSPEC; exit */
			{ .code = BPF_ALU64 | BPF_MOV | BPF_K,
			  .imm = tc ? TC_ACT_UNSPEC : XDP_PASS },
			{ .code = BPF_JMP | BPF_EXIT },
		};
		LIBBPF_OPTS(bpf_prog_load_opts, lo);

		lo.expected_attach_type =
			bpf_program__expected_attach_type(progs[tc]);
		fd = bpf_prog_load(bpf_program__type(progs[tc]), "fz_probe",
				   "Dual BSD/GPL", ret, ARRAY_SIZE(ret), &lo);
		if (fd < 0) {
			why("loading the %s probe: %s", tc ? "tc" : "XDP",
			    strerror(errno));
			return -1;
		}
		for (c = 0; c < FZ_ET_N; c++) {
			memset(b, 0, sizeof(b));
			put16(b + 12, ets[c]);
			for (len = 0; len <= FZ_PROBE_LEN; len++) {
				/* Under ETH_HLEN the class is "other" only. */
				if (len < ETH_HLEN && c != FZ_ET_OTHER) {
					fz_refuses[tc][c][len] =
						fz_refuses[tc][FZ_ET_OTHER][len];
					continue;
				}
				n = sizeof(out);
				err = test_run(fd, b, len, &rv, out, &n);
				if (err && err != -EINVAL) {
					why("%s probe, %zu bytes: %s",
					    tc ? "tc" : "XDP", len,
					    strerror(-err));
					close(fd);
					return -1;
				}
				fz_refuses[tc][c][len] = err == -EINVAL;
			}
			if (fz_refuses[tc][c][FZ_PROBE_LEN]) {
				why("the kernel refuses a %d-byte %s frame",
				    FZ_PROBE_LEN, tc ? "tc" : "XDP");
				close(fd);
				return -1;
			}
		}
		close(fd);
	}
	return 0;
}

/* "under N bytes" when the kernel refuses exactly the frames shorter than
 * N, else each refused length. */
static void refusals_line(bool tc, int c, char *buf, size_t sz)
{
	size_t len, o = 0, first = 0;

	while (first <= FZ_PROBE_LEN && fz_refuses[tc][c][first])
		first++;
	for (len = first; len <= FZ_PROBE_LEN; len++)
		if (fz_refuses[tc][c][len])
			break;
	if (len > FZ_PROBE_LEN) {
		snprintf(buf, sz, "under %zu bytes", first);
		return;
	}
	buf[0] = 0;
	for (len = 0; len <= FZ_PROBE_LEN && o < sz; len++)
		if (fz_refuses[tc][c][len])
			o += snprintf(buf + o, sz - o, "%s%zu", o ? "," : "",
				      len);
}

/* One frame through one program; checks verdict and unchanged bytes. */
static int run_one(struct flowverify *skel, int hook, const struct fz_frame *f,
		   const struct fz_expect *e)
{
	__u8 out[FZ_FRAME_MAX + 256];
	__u32 retval, out_len = sizeof(out);
	int err;

	err = test_run(fz_prog_fd(skel, hook), f->b, f->len, &retval, out,
		       &out_len);
	fz.runs++;
	/* The probe said what the kernel refuses: ours must be refused
	 * (or run) exactly the same. */
	if (refused_by(e, hook)) {
		if (err != -EINVAL) {
			why("hook %d: a %zu-byte frame was not refused (%d), as the probe was",
			    hook, f->len, err);
			return -1;
		}
		fz.refused++;
		return 0;
	}
	if (err) {
		why("hook %d: test run failed: %s", hook, strerror(-err));
		return -1;
	}
	if (retval != (hook == FV_HOOK_XDP ? XDP_PASS : (__u32)TC_ACT_UNSPEC)) {
		why("hook %d: returned %u", hook, retval);
		return -1;
	}
	if (out_len != f->len || memcmp(out, f->b, f->len)) {
		why("hook %d: frame changed (%u bytes out of %zu)", hook,
		    out_len, f->len);
		return -1;
	}
	return 0;
}

struct fz_flow {
	struct fv_flow_key key;
	__u64 packets, bytes;
};

static int flow_cmp(const void *a, const void *b)
{
	return memcmp(&((const struct fz_flow *)a)->key,
		      &((const struct fz_flow *)b)->key,
		      sizeof(struct fv_flow_key));
}

/* Folds equal keys of a sorted array together; returns the new count. */
static size_t flows_fold(struct fz_flow *v, size_t n)
{
	size_t i, o = 0;

	qsort(v, n, sizeof(*v), flow_cmp);
	for (i = 0; i < n; i++) {
		if (o && !flow_cmp(&v[o - 1], &v[i])) {
			v[o - 1].packets += v[i].packets;
			v[o - 1].bytes += v[i].bytes;
		} else {
			v[o++] = v[i];
		}
	}
	return o;
}

/* Empties "flows", "stats" and "events" of one skeleton. */
static void fz_reset(struct flowverify *skel)
{
	int ffd = bpf_map__fd(skel->maps.flows);
	int f4 = bpf_map__fd(skel->maps.flows4);
	int sfd = bpf_map__fd(skel->maps.stats);
	__u64 zero[512] = { 0 };
	struct fv_flow_key key;
	struct fv_flow_key4 k4;
	struct ring_buffer *rb;
	__u32 i;

	while (!bpf_map_get_next_key(ffd, NULL, &key))
		bpf_map_delete_elem(ffd, &key);
	while (!bpf_map_get_next_key(f4, NULL, &k4))
		bpf_map_delete_elem(f4, &k4);
	for (i = 0; i < FV_STAT_MAX; i++)
		bpf_map_update_elem(sfd, &i, zero, BPF_ANY);
	rb = ring_buffer__new(bpf_map__fd(skel->maps.events), fz_on_event,
			      &(struct fz_ev_sink){ 0 }, NULL);
	if (rb) {
		ring_buffer__consume(rb);
		ring_buffer__free(rb);
	}
}

/* Runs frames[0..n) on one skeleton (each through XDP and its tc hook),
 * then compares stats, flows and events with what the model predicts.
 * Returns 0, or -1 with fz.why set. */
static int run_batch(struct flowverify *skel, const struct fz_frame *fr, size_t n)
{
	static struct fz_flow want[2 * FZ_BATCH], got[2 * FZ_BATCH + 1];
	static struct fv_event wev[2 * FZ_BATCH], gev[2 * FZ_BATCH + 1];
	static struct fz_expect ex[FZ_BATCH];
	__u64 want_stat[FV_STAT_MAX] = { 0 }, vals[512];
	struct fv_flow_val fvals[512];
	const char *fold_why;
	struct fz_ev_sink sink = { .max = ARRAY_SIZE(gev), .ev = gev };
	size_t nw = 0, ng = 0, nwev = 0, i;
	int ffd = bpf_map__fd(skel->maps.flows), err, c, h;
	struct fv_flow_key key, next;
	struct ring_buffer *rb;
	__u64 t0, t1, last_ts = 0;

	fz_reset(skel);
	t0 = flow_clock_ns(); /* events are later, on the precise clock */
	for (i = 0; i < n; i++) {
		const int hooks[2] = { FV_HOOK_XDP, fr[i].hook };

		model(&fr[i], &ex[i]);
		for (h = 0; h < 2; h++) {
			if (run_one(skel, hooks[h], &fr[i], &ex[i]))
				return -1;
			if (refused_by(&ex[i], hooks[h]))
				continue;
			if (ex[i].stat >= 0)
				want_stat[ex[i].stat]++;
			if (!ex[i].recorded)
				continue;
			want_stat[FV_STAT_NTP_PACKETS]++;
			want[nw].key = ex[i].key;
			want[nw].key.ifindex = fz.lo_ifindex;
			want[nw].key.hook = hooks[h];
			want[nw].packets = 1;
			want[nw].bytes = ex[i].l3_len;
			memset(&wev[nwev], 0, sizeof(wev[0]));
			wev[nwev].key = want[nw].key;
			wev[nwev].len = ex[i].l3_len;
			memcpy(wev[nwev].ntp, ex[i].ntp, FV_NTP_HDR_LEN);
			nw++;
			nwev++;
		}
	}
	t1 = now_ns();

	for (i = 0; i < FV_STAT_MAX; i++) {
		__u64 sum = 0;

		err = bpf_map_lookup_elem(bpf_map__fd(skel->maps.stats), &i,
					  vals);
		if (err) {
			why("stats lookup: %s", strerror(-err));
			return -1;
		}
		for (c = 0; c < fz.ncpus; c++)
			sum += vals[c];
		if (sum != want_stat[i]) {
			why("stat %s: got %llu, model says %llu",
			    stat_names[i] ? stat_names[i] : "?",
			    (unsigned long long)sum,
			    (unsigned long long)want_stat[i]);
			return -1;
		}
		fz.stat_hits[i] += sum;
	}

	fold_why = flows4_fold(skel, fz.ncpus);
	if (fold_why) {
		why("%s", fold_why);
		return -1;
	}
	for (err = bpf_map_get_next_key(ffd, NULL, &key); !err;
	     err = bpf_map_get_next_key(ffd, &key, &next), key = next) {
		if (ng == ARRAY_SIZE(got)) {
			why("more flows than frames");
			return -1;
		}
		if (bpf_map_lookup_elem(ffd, &key, fvals)) {
			why("flow lookup failed");
			return -1;
		}
		got[ng].key = key;
		got[ng].packets = got[ng].bytes = 0;
		for (c = 0; c < fz.ncpus; c++) {
			got[ng].packets += fvals[c].packets;
			got[ng].bytes += fvals[c].bytes;
			if (fvals[c].packets &&
			    (fvals[c].first_ns < t0 || fvals[c].last_ns > t1 ||
			     fvals[c].first_ns > fvals[c].last_ns)) {
				why("flow timestamps outside the batch");
				return -1;
			}
		}
		ng++;
	}
	nw = flows_fold(want, nw);
	if (ng != nw) {
		why("%zu flows recorded, model says %zu", ng, nw);
		return -1;
	}
	qsort(got, ng, sizeof(got[0]), flow_cmp);
	for (i = 0; i < nw; i++) {
		if (flow_cmp(&got[i], &want[i]) ||
		    got[i].packets != want[i].packets ||
		    got[i].bytes != want[i].bytes) {
			why("flow %zu differs (packets %llu/%llu, bytes %llu/%llu)",
			    i, (unsigned long long)got[i].packets,
			    (unsigned long long)want[i].packets,
			    (unsigned long long)got[i].bytes,
			    (unsigned long long)want[i].bytes);
			return -1;
		}
	}

	rb = ring_buffer__new(bpf_map__fd(skel->maps.events), fz_on_event,
			      &sink, NULL);
	if (!rb || ring_buffer__consume(rb) < 0) {
		ring_buffer__free(rb);
		why("ring buffer read failed");
		return -1;
	}
	ring_buffer__free(rb);
	if (sink.bad_size || (size_t)sink.n != nwev) {
		why("%d events, model says %zu%s", sink.n, nwev,
		    sink.bad_size ? " (a wrong size)" : "");
		return -1;
	}
	for (i = 0; i < nwev; i++) {
		/* In order: frames run one after another. */
		if (gev[i].ts_ns < t0 || gev[i].ts_ns > t1 ||
		    gev[i].ts_ns < last_ts) {
			why("event %zu: timestamp out of order or range", i);
			return -1;
		}
		last_ts = gev[i].ts_ns;
		wev[i].ts_ns = gev[i].ts_ns;
		if (memcmp(&gev[i], &wev[i], sizeof(wev[i]))) {
			why("event %zu differs from the model", i);
			return -1;
		}
	}
	for (i = 0; i < n; i++)
		fz.recorded += ex[i].recorded;
	return 0;
}

static void hexdump(const struct fz_frame *f)
{
	char line[3 * 32 + 1];
	size_t i, o = 0;

	printf("# frame (%zu bytes, port %u, tc hook %u):\n", f->len, f->port,
	       f->hook);
	for (i = 0; i < f->len; i++) {
		o += sprintf(line + o, "%02x ", f->b[i]);
		if (i % 32 == 31 || i + 1 == f->len) {
			printf("#   %s\n", line);
			o = 0;
		}
	}
}

/* A batch failed: find the first frame that fails alone and print it. */
static void pinpoint(const struct fz_frame *fr, size_t n, unsigned long base)
{
	char batch_why[sizeof(fz.why)];
	size_t i;

	memcpy(batch_why, fz.why, sizeof(batch_why));
	printf("# seed %llu: batch from frame %lu failed: %s\n",
	       (unsigned long long)fz.seed, base, batch_why);
	for (i = 0; i < n; i++) {
		if (!run_batch(fz.skel[fr[i].port != FV_NTP_PORT_DEFAULT],
			       &fr[i], 1))
			continue;
		printf("# frame %lu alone: %s\n", base + i, fz.why);
		hexdump(&fr[i]);
		return;
	}
	printf("# no frame fails alone (an interaction between frames)\n");
}

/* Runs a list of frames in batches, split by skeleton. */
static int run_frames(struct fz_frame *fr, size_t n, unsigned long base)
{
	static struct fz_frame part[2][FZ_BATCH];
	size_t np[2] = { 0, 0 }, i;
	int k;

	for (i = 0; i <= n; i++) {
		for (k = 0; k < 2; k++) {
			if (np[k] && (i == n || np[k] == FZ_BATCH)) {
				if (run_batch(fz.skel[k], part[k], np[k])) {
					pinpoint(part[k], np[k],
						 base + i - np[k]);
					return -1;
				}
				np[k] = 0;
			}
		}
		if (i == n)
			break;
		k = fr[i].port != FV_NTP_PORT_DEFAULT;
		part[k][np[k]++] = fr[i];
	}
	return 0;
}

/* ---- regression frames: each one a bug the fuzzer found ---- */

struct fz_regression {
	const char *name;
	const char *hex;
};

/* A 48-byte NTP request whose transmit timestamp is 0x0123456789abcdef. */
#define NTP_REQ_HEX                                        \
	"23"                                               \
	"000000000000000000000000000000"                   \
	"000000000000000000000000000000000000000000000000" \
	"0123456789abcdef"

static const struct fz_regression regressions[] = {
	/* IPv6 with version nibble 0 was parsed as IPv6 and counted. */
	{ "ipv6_version_0", "020000000002020000000001"
			    "86dd"
			    "00000000"
			    "0038"
			    "11"
			    "40"
			    "20010db8000000000000000000000001"
			    "20010db8000000000000000000000002"
			    "9c7b007b00380000" NTP_REQ_HEX },
	/* IPv4 whose total length is shorter than its UDP datagram. */
	{ "ipv4_udp_longer_than_ip", "020000000002020000000001"
				     "0800"
				     "4500"
				     "0030"
				     "12340000"
				     "4011"
				     "0000"
				     "c0000201"
				     "c6336407"
				     "9c7b007b00380000" NTP_REQ_HEX },
	/* IPv4 claiming more bytes than the frame holds (a cut capture). */
	{ "ipv4_total_beyond_frame", "020000000002020000000001"
				     "0800"
				     "4500"
				     "0100"
				     "12340000"
				     "4011"
				     "0000"
				     "c0000201"
				     "c6336407"
				     "9c7b007b00380000" NTP_REQ_HEX },
	/* IPv6 payload length shorter than the UDP datagram. */
	{ "ipv6_udp_longer_than_payload", "020000000002020000000001"
					  "86dd"
					  "60000000"
					  "0010"
					  "11"
					  "40"
					  "20010db8000000000000000000000001"
					  "20010db8000000000000000000000002"
					  "9c7b007b00380000" NTP_REQ_HEX },
};

static size_t unhex(const char *s, __u8 *out, size_t max)
{
	size_t n = 0;

	for (; s[0] && s[1] && n < max; s += 2) {
		unsigned int v;

		if (sscanf(s, "%2x", &v) != 1)
			break;
		out[n++] = v;
	}
	return n;
}

/* ---- phases ---- */

static int tap_n;
static bool tap_failed;

static void tap(bool ok, const char *fmt, ...)
{
	va_list ap;

	tap_failed |= !ok;
	printf("%sok %d - ", ok ? "" : "not ", ++tap_n);
	va_start(ap, fmt);
	vprintf(fmt, ap);
	va_end(ap);
	printf("\n");
}

static int phase_regressions(void)
{
	static struct fz_frame fr[ARRAY_SIZE(regressions) * 2];
	struct fz_expect e;
	size_t i, n = 0;

	for (i = 0; i < ARRAY_SIZE(regressions); i++) {
		for (int h = 0; h < 2; h++) {
			struct fz_frame *f = &fr[n++];

			memset(f, 0, sizeof(*f));
			f->len = unhex(regressions[i].hex, f->b, sizeof(f->b));
			f->port = FV_NTP_PORT_DEFAULT;
			f->hook = h ? FV_HOOK_TC_INGRESS : FV_HOOK_TC_EGRESS;
			model(f, &e);
			/* Each regression frame is malformed: never NTP. */
			if (e.recorded) {
				printf("# regression %s: the model records it\n",
				       regressions[i].name);
				return -1;
			}
		}
	}
	return run_frames(fr, n, 0);
}

/* Every case of the crafted table, cut at every length, on both ports. */
static int phase_table_cuts(unsigned long *count)
{
	static struct fz_frame fr[ARRAY_SIZE(cases) * (FRAME_MAX + 1)];
	struct frame full;
	size_t n = 0, i, cut;

	for (i = 0; i < ARRAY_SIZE(cases); i++) {
		struct pkt_spec spec = cases[i].pkt;

		spec.cut = 0;
		build_frame(&spec, &full);
		for (cut = 0; cut <= full.len; cut++) {
			struct fz_frame *f = &fr[n++];

			memcpy(f->b, full.b, cut);
			f->len = cut;
			f->port = cases[i].knob ? FZ_PORT_KNOB
						: FV_NTP_PORT_DEFAULT;
			f->hook = cut % 2 ? FV_HOOK_TC_INGRESS
					  : FV_HOOK_TC_EGRESS;
		}
	}
	*count = n;
	return run_frames(fr, n, 0);
}

/* Random, structured and mutated frames, generated in chunks. */
static int phase_random(unsigned long total)
{
	static struct fz_frame fr[4 * FZ_BATCH];
	struct frame seed;
	unsigned long done = 0;
	size_t n, i;

	while (done < total) {
		n = total - done < ARRAY_SIZE(fr) ? total - done : ARRAY_SIZE(fr);
		for (i = 0; i < n; i++) {
			struct fz_frame *f = &fr[i];
			unsigned int how = rn(10);

			memset(f->b, 0, sizeof(f->b));
			f->port = rn(4) ? FV_NTP_PORT_DEFAULT : FZ_PORT_KNOB;
			if (how < 4) {
				const struct fv_case *c =
					&cases[rn(ARRAY_SIZE(cases))];

				build_frame(&c->pkt, &seed);
				memcpy(f->b, seed.b, seed.len);
				f->len = seed.len;
				mutate(f);
			} else if (how < 9) {
				gen_structured(f);
				if (rn(2))
					mutate(f);
			} else {
				f->len = rn(FZ_FRAME_MAX + 1);
				for (size_t k = 0; k < f->len; k++)
					f->b[k] = rnd();
				if (f->len >= 14) /* mostly IP */
					put16(f->b + 12,
					      rn(2) ? ETH_P_IP : ETH_P_IPV6);
			}
			f->hook = rn(2) ? FV_HOOK_TC_EGRESS : FV_HOOK_TC_INGRESS;
		}
		if (run_frames(fr, n, done))
			return -1;
		done += n;
	}
	return 0;
}

static unsigned long env_num(const char *name, unsigned long dflt)
{
	const char *s = getenv(name);
	char *end;
	unsigned long v;

	if (!s || !*s)
		return dflt;
	errno = 0;
	v = strtoul(s, &end, 0);
	if (errno || *end) {
		fprintf(stderr, "bad %s '%s'\n", name, s);
		exit(2);
	}
	return v;
}

int main(void)
{
	unsigned long frames, cuts = 0;
	const char *skip_why;
	struct timespec ts;
	char what[80];
	bool ok;
	__u64 t0;
	int i, err;

	setvbuf(stdout, NULL, _IOLBF, 0);
	clock_gettime(CLOCK_REALTIME, &ts);
	fz.seed = env_num("FV_FUZZ_SEED", ts.tv_nsec ^ ts.tv_sec);
	frames = env_num("FV_FUZZ_FRAMES", FZ_DEFAULT_FRAMES);
	rng_state = fz.seed;
	printf("# seed %llu, %lu random frames (FV_FUZZ_SEED, FV_FUZZ_FRAMES)\n",
	       (unsigned long long)fz.seed, frames);

	skip_why = fv_bpf_skip_reason();
	if (skip_why) {
		printf("ok 1 # SKIP %s\n1..1\n", skip_why);
		return 0;
	}
	libbpf_set_print(NULL);
	fz.ncpus = libbpf_num_possible_cpus();
	fz.lo_ifindex = if_nametoindex("lo");
	/* The per-CPU buffers here hold 512. */
	if (fz.ncpus <= 0 || fz.ncpus > 512 || !fz.lo_ifindex) {
		printf("not ok 1 - %d possible CPUs (this test handles 1 to 512), lo ifindex %u\n1..1\n",
		       fz.ncpus, fz.lo_ifindex);
		return 1;
	}
	for (i = 0; i < 2; i++) {
		__u16 port = i ? FZ_PORT_KNOB : FV_NTP_PORT_DEFAULT;

		fz.skel[i] = fz_load(port, &err);
		if (fz.skel[i])
			continue;
		snprintf(what, sizeof(what),
			 "could not load the BPF object (NTP port %u)", port);
		printf("not ok 1 - %s: %s\n", what, strerror(-err));
		fv_log_failure(what, err);
		printf("1..1\n");
		flowverify__destroy(fz.skel[0]);
		return 1;
	}

	if (probe_refusals(fz.skel[0])) {
		printf("not ok 1 - probing what the kernel's test run refuses: %s\n1..1\n",
		       fz.why);
		flowverify__destroy(fz.skel[1]);
		flowverify__destroy(fz.skel[0]);
		return 1;
	}
	{
		static const char *const cls[FZ_ET_N] = { "other", "IPv4",
							  "IPv6" };
		char line[256];

		for (i = 0; i < 2 * FZ_ET_N; i++) {
			refusals_line(i / FZ_ET_N, i % FZ_ET_N, line,
				      sizeof(line));
			printf("# this kernel's %s test run refuses %s frames: %s\n",
			       i / FZ_ET_N ? "tc (skb)" : "XDP",
			       cls[i % FZ_ET_N], *line ? line : "none");
		}
	}
	ok = !phase_regressions();
	tap(ok,
	    "%zu regression frames: never counted as NTP, maps as the model says",
	    ARRAY_SIZE(regressions));
	ok = !phase_table_cuts(&cuts);
	tap(ok, "crafted table cut at every length: %lu frames", cuts);
	t0 = now_ns();
	ok = !phase_random(frames);
	tap(ok, "%lu random and mutated frames, seed %llu (%.1f s)", frames,
	    (unsigned long long)fz.seed, (now_ns() - t0) / 1e9);
	printf("# %lu test runs (%lu refused by the kernel as too short), %lu frames recorded as NTP\n",
	       fz.runs, fz.refused, fz.recorded);
	for (i = 0; i < FV_STAT_MAX; i++)
		printf("#   %-16s %lu\n", stat_names[i] ? stat_names[i] : "?",
		       fz.stat_hits[i]);
	/* The fuzzer must reach every parser exit, or it proves little. */
	{
		static const int must[] = {
			FV_STAT_ETH_TRUNCATED,	FV_STAT_VLAN_TOO_DEEP,
			FV_STAT_IPV4_TRUNCATED, FV_STAT_IPV4_FRAGMENT,
			FV_STAT_IPV6_TRUNCATED, FV_STAT_IPV6_EXT_TOO_DEEP,
			FV_STAT_IPV6_FRAGMENT,	FV_STAT_UDP_TRUNCATED,
			FV_STAT_NTP_SHORT,	FV_STAT_NTP_OTHER_MODE,
			FV_STAT_NTP_PACKETS,
		};
		bool all = true;

		for (i = 0; i < (int)ARRAY_SIZE(must); i++)
			all &= fz.stat_hits[must[i]] > 0;
		tap(all && frames >= 1000,
		    "every parser exit reached, NTP recorded %lu times",
		    fz.stat_hits[FV_STAT_NTP_PACKETS]);
	}
	printf("1..%d\n", tap_n);
	flowverify__destroy(fz.skel[1]);
	flowverify__destroy(fz.skel[0]);
	return tap_failed;
}
