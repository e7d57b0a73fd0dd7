/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/* A session: the BPF programs loaded and attached on every observation
 * point, their events joined into exchanges, their counters read back. */
#ifndef FV_SESSION_H
#define FV_SESSION_H

#include <sys/types.h>
#include <bpf/libbpf.h>
#include "exchange.h"
#include "flowverify.h"
#include "legs.h"
#include "point.h"

#define FV_XTABLE_CAPACITY 65536 /* exchanges remembered, oldest out */
#define FV_ENDPOINTS_MAX   1024

struct flowverify; /* the skeleton */
struct fv_drops;   /* the drop tracer, drop_trace.h */

/* When to attach the kfree_skb drop tracer: it runs on every freed skb of
 * the host, so by default only once an exchange has been lost. */
enum fv_drops_mode {
	FV_DROPS_AUTO,
	FV_DROPS_ON,
	FV_DROPS_OFF,
};
struct fv_session;

/* Called for each point between open and load, e.g. to pin its maps (the
 * agent, user/agent/pin.h). 0 or -errno with a one-line message in err. */
typedef int (*fv_before_load_fn)(struct flowverify *skel, int point, void *ctx,
				 char *err, size_t errlen);

struct fv_iface_att {
	int xdp_link; /* fds, -1 when unused */
	int egress_link;
	int ingress_link;
	bool egress_clsact; /* netlink fallback, detached by handle */
	bool ingress_clsact;
	struct bpf_tc_opts egress_tc;
	struct bpf_tc_opts ingress_tc;
	const char *ingress_how; /* "xdp-native", "xdp-generic", "tcx-ingress", ... */
	const char *egress_how;
	bool foreign_xdp;    /* someone else's XDP program is there */
	bool reported_gone;  /* clsact: the detacher found it gone */
	bool gone;	     /* the interface went away: nothing watched */
	uint32_t reattached; /* times watched again on a re-created one */
	int refused_ifindex; /* a re-created one we could not attach to */
};

struct fv_point {
	struct fv_session *sess;
	struct fv_host host;
	uint32_t netns_inum; /* identifies the host in drop records */
	/* Earlier ones, when the namespace was made again under its name:
	 * their drop records are still this host's. */
	uint32_t netns_before[4];
	struct flowverify *skel;
	struct fv_iface_att att[FV_MAX_IFACES];
	/* The table counted into: 0 flows, 1 flows_b; [1] IPv4's, flows4
	 * or flows4_b. */
	int flows_live[2];
};

struct fv_endpoint {
	uint8_t addr[16];
	uint16_t port;
};

struct fv_endpoint_set {
	int n;
	struct fv_endpoint e[FV_ENDPOINTS_MAX];
};

struct fv_session {
	int n_points;
	struct fv_point points[FV_MAX_POINTS];
	uint16_t port; /* host order */
	struct ring_buffer *rb;
	struct fv_xtable xt;
	uint64_t start_ns;
	uint64_t accept_until_ns; /* no new exchanges after this */
	uint64_t events;
	uint64_t unmatched_replies; /* origin matches no request seen */
	uint64_t zero_cookies;	    /* cannot be joined */
	uint64_t cookie_collisions; /* one cookie from two clients */
	/* Outside endpoints of the NAT seen carrying forwarded requests and
	 * the NAT's own, to show the NAT's own traffic apart. */
	struct fv_endpoint_set forwarded;
	struct fv_endpoint_set nat_own;
	enum fv_drops_mode drops_mode;
	uint64_t reply_timeout_ns; /* for the auto mode's check */
	uint64_t drops_checked_ns;
	struct fv_drops *drops;	       /* NULL until attached */
	fv_before_load_fn before_load; /* the agent pins the maps */
	void *before_load_ctx;
	/* --pcap: the snaplen knob (0: no bytes copied) and who gets each
	 * event's frame; set before fv_session_start. */
	uint32_t snaplen;
	void (*on_frame)(void *ctx, int point, const struct fv_event *e,
			 const uint8_t *frame);
	void *on_frame_ctx;
	char drops_error[160]; /* why it could not be attached */
	uint64_t ifaces_checked_ns;
	int ifaces_gone;	/* at the last check */
	bool no_reattach;	/* the agent: no privileges left to attach */
	pid_t detacher_pid;	/* 0: none (fv_session_detach_later) */
	int detacher_fd;	/* its pipe: closing it lets it detach */
	int detacher_report_fd; /* it writes the clsact interfaces gone */
	uint64_t flows_swapped_ns;
	uint64_t flows_idle_ns; /* 0: FV_FLOW_IDLE_SECONDS */
};

/* One counted flow read back from a point's map. */
struct fv_flow_row {
	int point;
	struct fv_flow_key key;
	struct fv_flow_val val;
	enum fv_leg leg;
	bool nat_own;
	/* Flows of this leg gone idle (or with no room left to keep
	 * them by key), summed: key is zero, key.hook FV_HOOK_MAX. */
	bool expired;
};

/* hosts[0..n) are parsed; resolves, loads and attaches on all of them, or
 * on none. Returns 0 or -errno with a one-line message in err. */
int fv_session_start(struct fv_session *s, const struct fv_host *hosts, int n,
		     uint16_t port, char *err, size_t errlen);
/* The same, calling before_load(skel, point, ctx, ...) on each point's
 * object before it is loaded. */
int fv_session_start_hooked(struct fv_session *s, const struct fv_host *hosts,
			    int n, uint16_t port, fv_before_load_fn before_load,
			    void *ctx, char *err, size_t errlen);
/* Interfaces deleted under us: their links went with them. Each one is
 * marked gone and, unless no_reattach, watched again once an interface of
 * the same name is back (deleted and re-created, as a container restart or
 * a driver reset does). Returns how many are not watched now. fv_session_
 * poll() runs it once a second. */
/* Before the caller drops its privileges: clsact filters (kernels
 * without tcx) need CAP_NET_ADMIN to be removed, so a child process that
 * keeps only that (and setns) removes them when the session stops or its
 * owner dies. A no-op when nothing is attached through clsact. Returns
 * 0 or -errno with a one-line message in err. */
int fv_session_detach_later(struct fv_session *s, char *err, size_t errlen);

int fv_session_check_ifaces(struct fv_session *s);

/* Whether drop records of namespace inum belong to point p (now or
 * before it was made again). */
bool fv_point_has_netns(const struct fv_point *p, uint32_t inum);

/* Wait up to timeout_ms for events and join them. */
int fv_session_poll(struct fv_session *s, int timeout_ms);
/* Join one event seen at a point; what the ring buffer callback does.
 * Exposed so the joiner can be tested without the kernel. */
void fv_session_ingest(struct fv_session *s, int point, const struct fv_event *e);
void fv_session_stop(struct fv_session *s);
/* Attach the drop tracer now (idempotent); in auto mode, once any
 * exchange older than timeout_ns has been lost. A failure is recorded in
 * drops_error and reported, never fatal: the verdict stands without it. */
void fv_session_drops_update(struct fv_session *s, uint64_t timeout_ns);

/* All flows of all points, classified, up to this moment: the tables
 * are swapped and drained first; flows idle for flows_idle_ns come back
 * as one expired row per leg. Caller frees *rows. */
int fv_session_flows(struct fv_session *s, struct fv_flow_row **rows, int *n);
/* Swap a point's flow tables and drain the one left into flow_sums.
 * fv_session_poll() runs it once a second, so a table holds one
 * second's new flows only. */
int fv_session_flows_swap(struct fv_session *s, struct fv_point *p);
/* Parser and overflow counters of a point, summed over CPUs. */
int fv_session_stats(struct fv_session *s, int point, uint64_t out[FV_STAT_MAX]);

const char *fv_hook_name(uint8_t hook);
const char *fv_stat_name(enum fv_stat stat);

#endif
