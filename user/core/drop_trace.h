/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/* The drop tracer: which NTP packets the kernel freed as dropped inside the
 * watched network namespaces, with the kernel's reason and place. Its BPF
 * side is bpf/drops.bpf.c, the ABI between them include/drops.h. */
#ifndef FV_DROP_TRACE_H
#define FV_DROP_TRACE_H

#include "drops.h"
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct fv_drops;

struct fv_drop_row {
	uint32_t reason;      /* enum skb_drop_reason value */
	char reason_name[48]; /* from kernel BTF, without "SKB_DROP_REASON_";
			       * "" when the kernel names none */
	uint64_t location;
	char location_sym[128]; /* "symbol+0xoff", or "unknown" */
	uint64_t route_input;	/* the route's input function, 0 if none */
	char route_sym[64];	/* its name, or "" */
	const char *hook;	/* static string, see fv_drops_read() */
	uint32_t netns_inum;
	uint32_t ifindex;  /* device the skb was on, 0 if none */
	uint32_t iif;	   /* arrival interface, 0 if locally generated */
	int family;	   /* 4 or 6 */
	uint8_t saddr[16]; /* v4-mapped for IPv4 */
	uint8_t daddr[16];
	uint16_t sport; /* host order */
	uint16_t dport;
	int mode; /* NTP mode 0..7, -1 if not readable */
	uint64_t count;
	uint64_t last_ns; /* CLOCK_MONOTONIC */
};

struct fv_drops_counters {
	uint64_t matched;
	uint64_t table_full;
	uint64_t truncated;
	uint64_t fragment;
};

/* Loads and attaches the drop tracer (tp_btf/kfree_skb, raw_tp/kfree_skb
 * if the kernel refuses the former) watching the namespaces whose inode
 * numbers are given (1..FV_DROP_NETNS_MAX of them) and UDP packets with
 * port_host_order as source or destination. Returns 0 or -errno with a
 * message in err. Attached through a link: nothing outlives the process. */
int fv_drops_start(struct fv_drops **out, const uint32_t *netns_inums, int n,
		   uint16_t port_host_order, char *err, size_t errlen);

/* Every recorded drop, as a malloc'd array the caller frees (NULL, 0 when
 * none). hook is one of "no socket", "routing", "netfilter PREROUTING",
 * "netfilter INPUT", "netfilter FORWARD", "netfilter OUTPUT",
 * "netfilter POSTROUTING", "netfilter", or NULL when unknown. 0 or -errno. */
int fv_drops_read(struct fv_drops *d, struct fv_drop_row **rows, int *n);

/* The per-CPU counters summed. 0 or -errno. */
int fv_drops_counters(struct fv_drops *d, struct fv_drops_counters *c);

/* Detaches and frees; NULL is fine. */
void fv_drops_stop(struct fv_drops *d);

/* Which program is attached: "tp_btf" or "raw_tp". */
const char *fv_drops_attach_kind(const struct fv_drops *d);

/* false before 5.17: the kernel names no drop reasons, every row's
 * reason_name is "" and only its place tells what dropped it. */
bool fv_drops_has_reasons(const struct fv_drops *d);

/* A row's reason for people: its name, or what stands for none. */
static inline const char *fv_drop_reason_text(const struct fv_drop_row *d)
{
	return d->reason_name[0] ? d->reason_name : "no reason named";
}

/* The kernel's name of a drop reason, read from BTF (enum skb_drop_reason)
 * without the "SKB_DROP_REASON_" prefix; reasons of other subsystems read
 * "SUBSYS:0xVALUE". Never NULL ("?VALUE" when unknown). The string lives
 * as long as d. */
const char *fv_drops_reason_name(struct fv_drops *d, uint32_t reason);

/* "symbol+0xoff" of a kernel address from /proc/kallsyms (read when an
 * address is first asked for, then cached), or "unknown" when the addresses are hidden (kptr_restrict) or
 * outside the kernel's text. Returns buf. */
const char *fv_drops_symbolize(struct fv_drops *d, uint64_t addr, char *buf,
			       size_t len);

/* For the benchmark: run count and total run time of the attached program
 * since load. The kernel only accumulates them while someone holds the fd
 * of bpf_enable_stats(BPF_STATS_RUN_TIME); run_time_ns / run_cnt is then
 * the cost of one kfree_skb event (the program body, not the trampoline).
 * 0 or -errno. */
int fv_drops_prog_stats(struct fv_drops *d, uint64_t *run_cnt,
			uint64_t *run_time_ns);

/* For the benchmark: which filter runs first, for measuring both orders
 * (default: the faster one, see docs/drops.md). Call before fv_drops_start;
 * process-wide. */
void fv_drops_set_proto_first(int on);

/* Skip tp_btf and load the raw_tp fallback directly: for the tests, and
 * for a kernel whose tp_btf loads but misbehaves. Call before
 * fv_drops_start; process-wide. */
void fv_drops_force_raw_tp(int on);
/* Tests: the programs and rows of a kernel without drop reasons. */
void fv_drops_force_no_reasons(int on);

/* Watch one more namespace (a watched one deleted and made again under
 * the same name). 0 or -errno. */
int fv_drops_add_netns(struct fv_drops *d, uint32_t inum);

#endif
