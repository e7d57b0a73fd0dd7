/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/* The NAT host's own set-up, read in its namespace (docs/doctor.md):
 * forwarding, rp_filter, the masquerade rule, conntrack and the NIC's
 * allowance counters. Counters are read at begin and at end, so a window
 * between the two (verify's, or doctor --window) shows what changed. */
#ifndef FV_HOSTCHECK_H
#define FV_HOSTCHECK_H

#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <jansson.h>
#include "point.h"

enum fv_check_status {
	FV_CHECK_OK,
	FV_CHECK_WARN,
	FV_CHECK_FAIL,
	FV_CHECK_UNKNOWN, /* could not be read; never a fail */
};

const char *fv_check_status_name(enum fv_check_status s);

#define FV_CHECK_DETAIL_MAX 768
#define FV_CHECK_CAUSE_MAX  256

struct fv_check {
	const char *name; /* "ip_forward", "rp_filter", ... */
	enum fv_check_status status;
	char detail[FV_CHECK_DETAIL_MAX];
	char cause[FV_CHECK_CAUSE_MAX]; /* one line when status is fail */
};

/* A client address block (--clients), v4-mapped or v6. */
struct fv_cidr {
	uint8_t addr[16];
	int prefix; /* over the 128 bits, v4 ones counted from 96 */
	bool v4;
};

/* "10.0.1.0/24", "fd00::/64" or a bare address. 0 or -EINVAL. */
int fv_cidr_parse(const char *s, struct fv_cidr *c);
void fv_cidr_format(const struct fv_cidr *c, char *buf, size_t len);
/* inner lies wholly inside outer. */
bool fv_cidr_covers(const struct fv_cidr *outer, const struct fv_cidr *inner);

/* The five ENA counters of packets queued or dropped over the instance's
 * allowances (ethtool -S). */
#define FV_NIC_ALLOWANCE_N 5
extern const char *const fv_nic_allowance_names[FV_NIC_ALLOWANCE_N];

struct fv_nic_snap {
	char ifname[IF_NAMESIZE];
	char driver[33];
	int err;     /* 0, or -errno from SIOCETHTOOL */
	int n_stats; /* how many statistics the driver has */
	bool has[FV_NIC_ALLOWANCE_N];
	uint64_t val[FV_NIC_ALLOWANCE_N];
};

/* Pick the allowance counters out of a driver's statistics table (pure:
 * names[i] is a NUL-padded ETH_GSTRING_LEN name). */
void fv_nic_snap_from_table(struct fv_nic_snap *s, const char (*names)[32],
			    const uint64_t *vals, int n);
/* The nic_allowance check from each interface's snapshot at start and at
 * end (pure). window_s 0: no window, totals only. */
void fv_nic_allowance_check(const struct fv_nic_snap *start,
			    const struct fv_nic_snap *end, int n,
			    double window_s, struct fv_check *out);

/* /proc/net/stat/nf_conntrack summed over the CPUs. */
struct fv_ct_stats {
	uint64_t drop, early_drop, insert_failed, invalid;
};
/* Parse the file's text (a header line naming the columns, one line of
 * hex per CPU; "entries" is global, not summed). 0 or -EINVAL (pure). */
int fv_ct_stats_parse(const char *text, struct fv_ct_stats *out);
/* The conntrack check (pure). count/max < 0: not readable. */
void fv_conntrack_check(long long count, long long max,
			const struct fv_ct_stats *start,
			const struct fv_ct_stats *end, double window_s,
			struct fv_check *out);

/* rp_filter's effective value on an interface: the larger of all's and
 * the interface's (0 off, 1 strict, 2 loose). */
int fv_rp_filter_effective(int all, int iface);

/* The masquerade check over a ruleset in libnftables' JSON ("nft -j list
 * ruleset"), for traffic from clients (n may be 0: any source) leaving
 * through oif ("" when there is no default route) (pure). */
void fv_masquerade_check_json(const char *ruleset_json, const char *oif,
			      const struct fv_cidr *clients, int n,
			      struct fv_check *out);

enum {
	FV_HC_IP_FORWARD,
	FV_HC_RP_FILTER,
	FV_HC_MASQUERADE,
	FV_HC_CONNTRACK,
	FV_HC_NIC_ALLOWANCE,
	FV_HC_TIME_SERVICE, /* from a client point's traffic: verify only */
	FV_HC_N,
};

#define FV_HC_MAX_CLIENTS 16

struct fv_host_checks {
	struct fv_host nat; /* a copy: namespace and interfaces */
	struct fv_cidr clients[FV_HC_MAX_CLIENTS];
	int n_clients;
	bool ipv6; /* check IPv6 forwarding too */
	uint64_t start_ns, end_ns;
	/* What begin read. */
	int ct_err;
	struct fv_ct_stats ct_start;
	struct fv_nic_snap nic_start[FV_MAX_IFACES];
	struct fv_check checks[FV_HC_N];
	bool done;
};

/* Read the counters in nat's namespace. clients (may be NULL, n 0): the
 * clients' address blocks, for the masquerade check; an IPv6 one (or
 * ipv6) adds IPv6 forwarding. 0, or -errno with one line in err when the
 * namespace cannot be entered. */
int fv_host_checks_begin(struct fv_host_checks *hc, const struct fv_host *nat,
			 const struct fv_cidr *clients, int n, bool ipv6,
			 char *err, size_t errlen);
/* Read everything again and judge; deltas over the time since begin. */
int fv_host_checks_end(struct fv_host_checks *hc, char *err, size_t errlen);

/* time_service, from the rows of the client points (pure): requests to a
 * time service on the client's own link (fv_addr_link_service) never
 * cross the NAT. Left out (no name) when no client point saw one. */
struct fv_report;
void fv_time_service_check(const struct fv_report *r, struct fv_check *out);

/* [{"check", "status", "detail"}, ...], the checks that were made. */
json_t *fv_host_checks_json(const struct fv_host_checks *hc);
/* One line per check: "  ip_forward     ok    net.ipv4.ip_forward is 1". */
void fv_host_checks_text(FILE *out, const struct fv_host_checks *hc);
/* The failing checks' causes, at most max, in check order: how many. */
int fv_host_checks_causes(const struct fv_host_checks *hc, const char **causes,
			  int max);
/* Any check failed. */
bool fv_host_checks_failed(const struct fv_host_checks *hc);

/* verify's: begin on p's NAT point (no clients yet). 0, or -ENOENT
 * without one, or -errno when its namespace cannot be entered. */
struct fv_points;
int fv_host_checks_begin_nat(struct fv_host_checks *hc,
			     const struct fv_points *p);
/* verify's end, over its report: the clients the NAT saw join the
 * masquerade check, and on a fault the failing checks' causes head the
 * explanation's "Likely: " list. 0 or -errno. */
int fv_host_checks_end_report(struct fv_host_checks *hc, struct fv_report *r);
/* Into verify's JSON: "host_checks", and on a fault the failing checks'
 * causes ahead of "causes". */
void fv_host_checks_json_add(const struct fv_host_checks *hc,
			     const struct fv_report *r, json_t *report);

/* For verify, between begin and end: the clients the NAT saw (leg-1
 * sources of nat_point's rows), each as one address, for the masquerade
 * check. */
struct fv_flow_row;
void fv_host_checks_add_rows(struct fv_host_checks *hc,
			     const struct fv_flow_row *rows, int n,
			     int nat_point);
/* After end: the failing checks' causes at the head of a verdict's
 * "Likely: " list, in place (truncated to len); nothing without one. */
void fv_host_checks_prepend(const struct fv_host_checks *hc, char *explanation,
			    size_t len);
/* The failing checks' causes, then generic (may be NULL), "; " between;
 * malloc'd, NULL when there is nothing to say. */
char *fv_host_checks_join_causes(const struct fv_host_checks *hc,
				 const char *generic);

#endif
