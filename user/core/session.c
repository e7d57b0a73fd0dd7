// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
#define _GNU_SOURCE /* pipe2 */
#include <errno.h>
#include <linux/capability.h>
#include <linux/if_link.h>
#include <net/if.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <sys/capability.h>
#include <sys/prctl.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>
#include <bpf/bpf.h>
#include <arpa/inet.h>
#include "drop_trace.h"
#include "flowverify.skel.h"
#include "percpu.h"
#include "session.h"
#include "util.h"

/* Not in Debian 12's UAPI headers; stable kernel ABI since 6.6. */
#define FV_BPF_TCX_INGRESS 46
#define FV_BPF_TCX_EGRESS  47

#define BTF_VMLINUX "/sys/kernel/btf/vmlinux"

const char *fv_hook_name(uint8_t hook)
{
	switch (hook) {
	case FV_HOOK_XDP: return "xdp";
	case FV_HOOK_TC_INGRESS: return "tc-ingress";
	case FV_HOOK_TC_EGRESS: return "tc-egress";
	case FV_HOOK_MAX: return "expired";
	default: return "?";
	}
}

const char *fv_stat_name(enum fv_stat stat)
{
	static const char *const names[FV_STAT_MAX] = {
		[FV_STAT_ETH_TRUNCATED] = "eth_truncated",
		[FV_STAT_VLAN_TOO_DEEP] = "vlan_too_deep",
		[FV_STAT_IPV4_TRUNCATED] = "ipv4_bad_header",
		[FV_STAT_IPV4_FRAGMENT] = "ipv4_fragment",
		[FV_STAT_IPV6_TRUNCATED] = "ipv6_truncated",
		[FV_STAT_IPV6_EXT_TOO_DEEP] = "ipv6_ext_too_deep",
		[FV_STAT_IPV6_FRAGMENT] = "ipv6_fragment",
		[FV_STAT_UDP_TRUNCATED] = "udp_truncated",
		[FV_STAT_NTP_SHORT] = "ntp_short",
		[FV_STAT_NTP_OTHER_MODE] = "ntp_other_mode",
		[FV_STAT_NTP_PACKETS] = "ntp_packets",
		[FV_STAT_FLOW_TABLE_FULL] = "flow_table_full",
		[FV_STAT_EVENTS_LOST] = "events_lost",
		[FV_STAT_TC_NONLINEAR] = "tc_nonlinear",
		[FV_STAT_EVENTS_LIMITED] = "events_rate_limited",
	};

	return stat < FV_STAT_MAX && names[stat] ? names[stat] : "?";
}

/* While set, libbpf's last warning is kept here (the kernel's own words
 * on a refused attach, when libbpf passes them on), newline dropped. */
static char *libbpf_said;
static size_t libbpf_said_len;

static int libbpf_print(enum libbpf_print_level level, const char *fmt,
			va_list args)
{
	if (libbpf_said && level == LIBBPF_WARN) {
		va_list copy;
		size_t n;

		va_copy(copy, args);
		vsnprintf(libbpf_said, libbpf_said_len, fmt, copy);
		va_end(copy);
		n = strlen(libbpf_said);
		while (n && libbpf_said[n - 1] == '\n')
			libbpf_said[--n] = '\0';
	}
	if (!fv_verbose)
		return 0;
	return vfprintf(stderr, fmt, args);
}

static void endpoint_add(struct fv_endpoint_set *set, const uint8_t addr[16],
			 uint16_t port)
{
	int i;

	for (i = 0; i < set->n; i++) {
		if (set->e[i].port == port && !memcmp(set->e[i].addr, addr, 16))
			return;
	}
	if (set->n == FV_ENDPOINTS_MAX)
		return;
	memcpy(set->e[set->n].addr, addr, 16);
	set->e[set->n++].port = port;
}

static bool endpoint_has(const struct fv_endpoint_set *set,
			 const uint8_t addr[16], uint16_t port)
{
	int i;

	for (i = 0; i < set->n; i++) {
		if (set->e[i].port == port && !memcmp(set->e[i].addr, addr, 16))
			return true;
	}
	return false;
}

static enum fv_leg classify_key(const struct fv_point *p,
				const struct fv_flow_key *k)
{
	/* Its requests and replies never reach the NAT: not an exchange of
	 * the pattern, and not a loss. */
	if ((k->mode == FV_NTP_MODE_REQUEST && fv_addr_link_service(k->daddr)) ||
	    (k->mode == FV_NTP_MODE_REPLY && fv_addr_link_service(k->saddr)))
		return FV_LEG_LINK_SERVICE;
	return fv_leg_classify(p->host.role, fv_hook_is_egress(k->hook),
			       k->mode, fv_host_is_local(&p->host, k->saddr),
			       fv_host_is_local(&p->host, k->daddr));
}

/* Is addr one of a watched client's own addresses? */
static bool is_watched_client(const struct fv_session *s, const uint8_t addr[16])
{
	int i;

	for (i = 0; i < s->n_points; i++) {
		const struct fv_host *h = &s->points[i].host;

		if (h->role == FV_ROLE_CLIENT && fv_host_is_local(h, addr))
			return true;
	}
	return false;
}

static void join_request(struct fv_session *s, const struct fv_event *e,
			 enum fv_leg leg, bool on_client, uint64_t cookie)
{
	struct fv_exchange *x = fv_xtable_find(&s->xt, cookie);

	if (!x) {
		/* Only exchanges that began once every hook was attached, and
		 * before the end of the observation window. */
		if (e->ts_ns < s->start_ns ||
		    (s->accept_until_ns && e->ts_ns > s->accept_until_ns))
			return;
		x = fv_xtable_get(&s->xt, cookie, e->ts_ns);
	}
	if (on_client || leg == FV_LEG_1) {
		/* One cookie from two clients: a clock-based or broken cookie.
		 * Joining them would merge two exchanges; mark it instead. */
		if ((x->seen & (FV_SEEN(FV_STAGE_C1) | FV_SEEN(FV_STAGE_N1))) &&
		    (x->inside_port != e->key.sport ||
		     memcmp(x->inside_addr, e->key.saddr, 16))) {
			if (!x->ambiguous)
				s->cookie_collisions++;
			x->ambiguous = true;
			return;
		}
	}
	if (on_client) {
		fv_exchange_mark(x, FV_STAGE_C1, e->ts_ns);
		x->client_watched = true;
		memcpy(x->inside_addr, e->key.saddr, 16);
		x->inside_port = e->key.sport;
		return;
	}
	switch (leg) {
	case FV_LEG_1:
		fv_exchange_mark(x, FV_STAGE_N1, e->ts_ns);
		memcpy(x->inside_addr, e->key.saddr, 16);
		x->inside_port = e->key.sport;
		if (is_watched_client(s, e->key.saddr))
			x->client_watched = true;
		break;
	case FV_LEG_2:
		fv_exchange_mark(x, FV_STAGE_N2, e->ts_ns);
		memcpy(x->outside_addr, e->key.saddr, 16);
		x->outside_port = e->key.sport;
		memcpy(x->server_addr, e->key.daddr, 16);
		x->server_port = e->key.dport;
		if (x->seen & (FV_SEEN(FV_STAGE_N1) | FV_SEEN(FV_STAGE_C1)))
			endpoint_add(&s->forwarded, e->key.saddr, e->key.sport);
		else
			endpoint_add(&s->nat_own, e->key.saddr, e->key.sport);
		break;
	case FV_LEG_UNTRANSLATED:
		fv_exchange_mark(x, FV_STAGE_N2U, e->ts_ns);
		memcpy(x->server_addr, e->key.daddr, 16);
		x->server_port = e->key.dport;
		break;
	default: break;
	}
}

static void join_reply(struct fv_session *s, const struct fv_event *e,
		       enum fv_leg leg, bool on_client, uint64_t cookie)
{
	struct fv_exchange *x = fv_xtable_find(&s->xt, cookie);

	if (!x) {
		s->unmatched_replies++;
		return;
	}
	x->leap = e->ntp[0] >> 6;
	x->stratum = e->ntp[1];
	memcpy(x->refid, e->ntp + FV_NTP_OFF_REFID, sizeof(x->refid));
	x->kod = x->stratum == 0;
	if (on_client)
		fv_exchange_mark(x, FV_STAGE_C4, e->ts_ns);
	else if (leg == FV_LEG_3)
		fv_exchange_mark(x, FV_STAGE_N3, e->ts_ns);
	else if (leg == FV_LEG_4)
		fv_exchange_mark(x, FV_STAGE_N4, e->ts_ns);
}

static int handle_event(void *ctx, void *data, size_t size)
{
	struct fv_point *p = ctx;
	struct fv_event e;

	if (size < sizeof(e))
		return 0;
	memcpy(&e, data, sizeof(e));
	if (p->sess->on_frame && e.caplen && size >= sizeof(struct fv_event_snap))
		p->sess->on_frame(p->sess->on_frame_ctx, p - p->sess->points, &e,
				  ((const struct fv_event_snap *)data)->frame);
	fv_session_ingest(p->sess, p - p->sess->points, &e);
	return 0;
}

void fv_session_ingest(struct fv_session *s, int point, const struct fv_event *ev)
{
	const struct fv_point *p = &s->points[point];
	const struct fv_event e = *ev;
	enum fv_leg leg;
	uint64_t cookie;
	bool on_client;

	s->events++;
	leg = classify_key(p, &e.key);
	on_client = p->host.role == FV_ROLE_CLIENT;
	if (leg == FV_LEG_1 || leg == FV_LEG_2 || leg == FV_LEG_UNTRANSLATED) {
		memcpy(&cookie, e.ntp + FV_NTP_OFF_TRANSMIT, sizeof(cookie));
		if (!cookie) {
			s->zero_cookies++;
			return;
		}
		join_request(s, &e, leg, on_client, cookie);
	} else if (leg == FV_LEG_3 || leg == FV_LEG_4) {
		memcpy(&cookie, e.ntp + FV_NTP_OFF_ORIGIN, sizeof(cookie));
		if (!cookie) {
			s->zero_cookies++;
			return;
		}
		join_reply(s, &e, leg, on_client, cookie);
	}
}

static void att_init(struct fv_iface_att *a)
{
	memset(a, 0, sizeof(*a));
	a->xdp_link = a->egress_link = a->ingress_link = -1;
}

/* tc through the netlink clsact qdisc, for kernels without tcx. The
 * qdisc may be someone else's: we add our filter and later remove only
 * it, never the qdisc. Ours goes first (priority 1) when that is free: a
 * filter before it that ends the chain would hide packets from us, and
 * ours passes every packet on to the next (TC_ACT_UNSPEC). */
static int attach_clsact(int ifindex, int prog_fd,
			 enum bpf_tc_attach_point where, struct bpf_tc_opts *opts)
{
	LIBBPF_OPTS(bpf_tc_hook, hook, .ifindex = ifindex, .attach_point = where);
	int err;

	err = bpf_tc_hook_create(&hook);
	if (err && err != -EEXIST)
		return err;
	memset(opts, 0, sizeof(*opts));
	opts->sz = sizeof(*opts);
	opts->prog_fd = prog_fd;
	opts->priority = 1;
	err = bpf_tc_attach(&hook, opts);
	if (!err)
		return 0;
	/* Priority 1 is someone else's: the kernel picks a free one. */
	memset(opts, 0, sizeof(*opts));
	opts->sz = sizeof(*opts);
	opts->prog_fd = prog_fd;
	return bpf_tc_attach(&hook, opts);
}

static void detach_clsact(int ifindex, enum bpf_tc_attach_point where,
			  struct bpf_tc_opts *opts)
{
	LIBBPF_OPTS(bpf_tc_hook, hook, .ifindex = ifindex, .attach_point = where);
	LIBBPF_OPTS(bpf_tc_opts, del, .handle = opts->handle,
		    .priority = opts->priority);

	bpf_tc_detach(&hook, &del);
}

/* FV_TC=clsact takes the path of kernels without tcx (before 6.6, e.g.
 * Debian 12's own 6.1) on one that has it, so that path is tested. */
static bool force_clsact(void)
{
	const char *v = getenv("FV_TC");

	return v && !strcmp(v, "clsact");
}

/* BPF_LINK_CREATE's attributes as kernels with tcx (6.6) read them; the
 * uapi headers of Debian 12 and libbpf 1.1 predate the tcx fields. */
struct fv_tcx_link_attr {
	__u32 prog_fd;
	__u32 target_ifindex;
	__u32 attach_type;
	__u32 flags;
	__u32 relative_fd; /* 0 with BPF_F_BEFORE: the very front */
	__u32 pad;
	__u64 expected_revision;
};
#define FV_BPF_F_BEFORE (1U << 3)

/* A tcx link first in the interface's chain. Programs before ours that
 * end the chain (a TCX_PASS, as most return) would hide every packet
 * from us; ours ends nothing (TC_ACT_UNSPEC), so going first costs the
 * others nothing. Falls back to the end where the flag is refused. */
static int tcx_link_first(int prog_fd, int ifindex, bool egress)
{
	struct fv_tcx_link_attr attr = {
		.prog_fd = prog_fd,
		.target_ifindex = ifindex,
		.attach_type = egress ? FV_BPF_TCX_EGRESS : FV_BPF_TCX_INGRESS,
		.flags = FV_BPF_F_BEFORE,
	};
	int fd = syscall(__NR_bpf, BPF_LINK_CREATE, &attr, sizeof(attr));

	if (fd >= 0 || errno != EINVAL)
		return fd;
	return bpf_link_create(prog_fd, ifindex, attr.attach_type, NULL);
}

static int attach_tc(int ifindex, int prog_fd, bool egress, int *link,
		     bool *clsact, struct bpf_tc_opts *opts, const char **how)
{
	int fd = -1, err;

	if (!force_clsact())
		fd = tcx_link_first(prog_fd, ifindex, egress);
	if (fd >= 0) {
		*link = fd;
		*how = egress ? "tcx-egress" : "tcx-ingress";
		return 0;
	}
	err = attach_clsact(ifindex, prog_fd,
			    egress ? BPF_TC_EGRESS : BPF_TC_INGRESS, opts);
	if (err)
		return err;
	*clsact = true;
	*how = egress ? "clsact-egress" : "clsact-ingress";
	return 0;
}

/* "NETNS:IFACE", or "IFACE" in our own namespace. */
static void iface_where(const struct fv_point *p, int i, char *buf, size_t len)
{
	snprintf(buf, len, "%s%s%s", p->host.netns, *p->host.netns ? ":" : "",
		 p->host.ifname[i]);
}

/* --ingress xdp: may native XDP go on this interface (ingress.h)? In the
 * point's namespace. 0, or -EPERM with the one line in err. */
static int xdp_native_check(const struct fv_point *p, int i, char *driver,
			    size_t len, int *mtu, char *err, size_t errlen)
{
	char where[FV_NETNS_MAX + IF_NAMESIZE + 1];

	fv_iface_driver_mtu(p->host.ifname[i], driver, len, mtu);
	iface_where(p, i, where, sizeof(where));
	return fv_xdp_native_allowed(where, driver, *mtu, p->host.xdp_reset_ok,
				     err, errlen);
}

/* Ingress through XDP, as asked: native only (--ingress xdp) or generic
 * (--ingress xdp-generic). 0 attached; 1 someone attached XDP meanwhile
 * (tc then); -errno with one line in err. */
static int attach_xdp(struct fv_point *p, int i, char *err, size_t errlen)
{
	struct fv_iface_att *a = &p->att[i];
	bool native = p->host.ingress == FV_INGRESS_XDP;
	LIBBPF_OPTS(bpf_link_create_opts, opts,
		    .flags = native ? XDP_FLAGS_DRV_MODE : XDP_FLAGS_SKB_MODE);
	char where[FV_NETNS_MAX + IF_NAMESIZE + 1], driver[32] = "", said[256];
	int mtu = 0, ret;

	if (native) {
		ret = xdp_native_check(p, i, driver, sizeof(driver), &mtu, err,
				       errlen);
		if (ret)
			return ret;
	}
	said[0] = '\0';
	libbpf_said = said;
	libbpf_said_len = sizeof(said);
	ret = bpf_link_create(bpf_program__fd(p->skel->progs.fv_xdp_ingress),
			      p->host.ifindex[i], BPF_XDP, &opts);
	libbpf_said = NULL;
	if (ret >= 0) {
		a->xdp_link = ret;
		a->ingress_how = native ? "xdp-native" : "xdp-generic";
		return 0;
	}
	/* Someone attached XDP between our query and now. */
	if (ret == -EBUSY || ret == -EEXIST)
		return 1;
	iface_where(p, i, where, sizeof(where));
	if (native)
		fv_xdp_native_refused(where, driver, mtu, ret,
				      !strncmp(said, "libbpf: ", 8) ? said + 8
								    : said,
				      err, errlen);
	else
		snprintf(err, errlen,
			 "%s: the kernel refused generic XDP: %s; use --ingress tc",
			 where, strerror(-ret));
	return ret;
}

static int attach_iface(struct fv_point *p, int i, char *err, size_t errlen)
{
	struct fv_iface_att *a = &p->att[i];
	LIBBPF_OPTS(bpf_xdp_query_opts, q);
	int ifindex = p->host.ifindex[i];
	bool use_tc = p->host.ingress == FV_INGRESS_TC;
	char where[FV_NETNS_MAX + IF_NAMESIZE + 1];
	int ret;

	iface_where(p, i, where, sizeof(where));
	ret = bpf_xdp_query(ifindex, 0, &q);
	if (ret == 0 && q.attach_mode != XDP_ATTACHED_NONE)
		a->foreign_xdp = true;
	if (!use_tc && !a->foreign_xdp) {
		ret = attach_xdp(p, i, err, errlen);
		if (ret < 0)
			return ret;
		a->foreign_xdp = ret == 1;
	}
	if (a->foreign_xdp && !use_tc)
		fv_warn("%s already carries another XDP program; "
			"left untouched, watching its ingress with tc instead",
			where);
	else if (a->foreign_xdp)
		fv_warn("%s carries another XDP program: it sees ingress before "
			"our tc program, and what it drops we never see",
			where);
	if (a->xdp_link < 0) {
		ret = attach_tc(ifindex,
				bpf_program__fd(p->skel->progs.fv_tc_ingress),
				false, &a->ingress_link, &a->ingress_clsact,
				&a->ingress_tc, &a->ingress_how);
		if (ret) {
			snprintf(err, errlen,
				 "cannot attach tc ingress to %s: %s",
				 p->host.ifname[i], strerror(-ret));
			return ret;
		}
	}
	ret = attach_tc(ifindex, bpf_program__fd(p->skel->progs.fv_tc_egress),
			true, &a->egress_link, &a->egress_clsact, &a->egress_tc,
			&a->egress_how);
	if (ret) {
		snprintf(err, errlen, "cannot attach tc egress to %s: %s",
			 p->host.ifname[i], strerror(-ret));
		return ret;
	}
	return 0;
}

static void detach_iface(struct fv_point *p, int i)
{
	struct fv_iface_att *a = &p->att[i];
	int ifindex = p->host.ifindex[i];

	if (a->xdp_link >= 0)
		close(a->xdp_link);
	if (a->egress_link >= 0)
		close(a->egress_link);
	if (a->ingress_link >= 0)
		close(a->ingress_link);
	if (a->egress_clsact)
		detach_clsact(ifindex, BPF_TC_EGRESS, &a->egress_tc);
	if (a->ingress_clsact)
		detach_clsact(ifindex, BPF_TC_INGRESS, &a->ingress_tc);
	att_init(a);
}

static void detach_point(struct fv_point *p)
{
	int saved, i;

	/* clsact filters live in the interface's namespace: go there. */
	if (fv_netns_enter(p->host.netns, &saved))
		saved = -1;
	for (i = 0; i < p->host.n_ifaces; i++)
		detach_iface(p, i);
	fv_netns_leave(saved);
}

/* clsact filters have no link to ask whether their interface is still
 * there: look in its namespace (CAP_SYS_ADMIN), holding nothing of it, so
 * a deleted namespace is free to go. Gone: the name holds another
 * namespace or none, or the namespace has no interface of that index. */
static bool clsact_iface_missing(const struct fv_point *p, int i)
{
	char name[IF_NAMESIZE];
	uint32_t inum;
	bool missing;
	int saved;

	if (fv_netns_inum(p->host.netns, &inum) || inum != p->netns_inum)
		return true;
	if (fv_netns_enter(p->host.netns, &saved))
		return false; /* cannot tell */
	missing = !if_indextoname(p->host.ifindex[i], name) && errno == ENXIO;
	fv_netns_leave(saved);
	return missing;
}

static bool holds_clsact(const struct fv_session *s)
{
	for (int i = 0; i < s->n_points; i++)
		for (int j = 0; j < s->points[i].host.n_ifaces; j++)
			if (s->points[i].att[j].egress_clsact ||
			    s->points[i].att[j].ingress_clsact)
				return true;
	return false;
}

/* The detacher keeps only what removing a filter needs: CAP_NET_ADMIN,
 * and CAP_SYS_ADMIN for setns into the interface's namespace. */
static int detacher_keep_caps(void)
{
	const cap_value_t keep[] = { CAP_NET_ADMIN, CAP_SYS_ADMIN };
	cap_t caps = cap_init();
	int ret = 0;

	if (!caps)
		return -ENOMEM;
	/* Needs CAP_SETPCAP, so before the rest; where it is withheld the
	 * bounding set is already narrow. */
	for (cap_value_t c = 0; c < (cap_value_t)cap_max_bits(); c++)
		if (c != CAP_NET_ADMIN && c != CAP_SYS_ADMIN)
			cap_drop_bound(c);
	if (cap_set_flag(caps, CAP_EFFECTIVE, ARRAY_SIZE(keep), keep, CAP_SET) ||
	    cap_set_flag(caps, CAP_PERMITTED, ARRAY_SIZE(keep), keep, CAP_SET) ||
	    cap_set_proc(caps))
		ret = -errno;
	cap_free(caps);
	if (!ret && prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0))
		ret = -errno;
	return ret;
}

/* In the child, once a second: which clsact interfaces went away, for
 * the owner, who has no privilege left to look (fd 4, one byte each:
 * point * FV_MAX_IFACES + interface). */
_Static_assert(FV_MAX_POINTS *FV_MAX_IFACES <= 256, "one byte per interface");
static void detacher_check(struct fv_session *s)
{
	for (int k = 0; k < s->n_points; k++) {
		struct fv_point *p = &s->points[k];

		for (int i = 0; i < p->host.n_ifaces; i++) {
			struct fv_iface_att *a = &p->att[i];
			uint8_t which = k * FV_MAX_IFACES + i;

			if (a->reported_gone ||
			    !(a->egress_clsact || a->ingress_clsact) ||
			    !clsact_iface_missing(p, i))
				continue;
			a->reported_gone = true;
			if (write(4, &which, 1) != 1)
				a->reported_gone = false; /* again next time */
		}
	}
}

/* In the child: wait for the session's owner to close its end of the
 * pipe, by fv_session_stop or by dying (even by SIGKILL), then remove
 * the clsact filters; meanwhile tell it of interfaces gone. Signals meant
 * for the owner (Ctrl-C to the group, systemd's SIGTERM to the unit) must
 * not end it first. */
static void __attribute__((noreturn))
detacher_run(struct fv_session *s, int wait_fd, int report_fd)
{
	struct pollfd pfd = { .fd = 3, .events = POLLIN };
	char byte;
	ssize_t n;
	int ret;

	signal(SIGINT, SIG_IGN);
	signal(SIGTERM, SIG_IGN);
	signal(SIGHUP, SIG_IGN);
	signal(SIGPIPE, SIG_IGN);
	prctl(PR_SET_NAME, "fv-detacher", 0, 0, 0);
	/* Nothing of the owner's: not its links (a tcx or XDP link we held
	 * would outlive the owner), sockets or keys. */
	if (dup2(wait_fd, 3) < 0 || dup2(report_fd, 4) < 0)
		_exit(1);
	if (syscall(SYS_close_range, 5, ~0U, 0))
		for (int fd = 5; fd < 4096; fd++)
			close(fd);
	ret = detacher_keep_caps();
	if (ret)
		fv_warn("detacher: cannot drop capabilities: %s", strerror(-ret));
	for (;;) {
		ret = poll(&pfd, 1, 1000);
		if (ret == 0) {
			detacher_check(s);
			continue;
		}
		if (ret < 0 && errno == EINTR)
			continue;
		n = ret < 0 ? -1 : read(3, &byte, 1);
		if (n > 0 || (n < 0 && errno == EINTR))
			continue;
		break; /* closed: the owner stopped or died */
	}
	for (int i = 0; i < s->n_points; i++) {
		struct fv_point *p = &s->points[i];
		int saved;

		if (fv_netns_enter(p->host.netns, &saved))
			continue;
		for (int j = 0; j < p->host.n_ifaces; j++) {
			struct fv_iface_att *a = &p->att[j];

			if (a->reported_gone)
				continue; /* its filters went with it */
			if (a->egress_clsact)
				detach_clsact(p->host.ifindex[j], BPF_TC_EGRESS,
					      &a->egress_tc);
			if (a->ingress_clsact)
				detach_clsact(p->host.ifindex[j],
					      BPF_TC_INGRESS, &a->ingress_tc);
		}
		fv_netns_leave(saved);
	}
	_exit(0);
}

int fv_session_detach_later(struct fv_session *s, char *err, size_t errlen)
{
	int pipefd[2], report[2], ret;
	pid_t pid;

	if (!holds_clsact(s))
		return 0;
	if (pipe2(pipefd, O_CLOEXEC)) {
		ret = -errno;
		snprintf(err, errlen, "cannot start the detacher: %s",
			 strerror(-ret));
		return ret;
	}
	if (pipe2(report, O_CLOEXEC | O_NONBLOCK)) {
		ret = -errno;
		close(pipefd[0]);
		close(pipefd[1]);
		snprintf(err, errlen, "cannot start the detacher: %s",
			 strerror(-ret));
		return ret;
	}
	fflush(NULL); /* the child must not write the owner's buffers again */
	pid = fork();
	if (pid < 0) {
		ret = -errno;
		close(pipefd[0]);
		close(pipefd[1]);
		close(report[0]);
		close(report[1]);
		snprintf(err, errlen, "cannot start the detacher: %s",
			 strerror(-ret));
		return ret;
	}
	if (pid == 0) {
		close(pipefd[1]);
		close(report[0]);
		detacher_run(s, pipefd[0], report[1]);
	}
	close(pipefd[0]);
	close(report[1]);
	s->detacher_pid = pid;
	s->detacher_fd = pipefd[1];
	s->detacher_report_fd = report[0];
	return 0;
}

/* The detacher removes the clsact filters: the owner has no privilege
 * left to. Waiting for it means they are gone when we return. */
static void detacher_finish(struct fv_session *s)
{
	for (int i = 0; i < s->n_points; i++)
		for (int j = 0; j < FV_MAX_IFACES; j++)
			s->points[i].att[j].egress_clsact =
				s->points[i].att[j].ingress_clsact = false;
	close(s->detacher_fd);
	s->detacher_fd = -1;
	close(s->detacher_report_fd);
	s->detacher_report_fd = -1;
	while (waitpid(s->detacher_pid, NULL, 0) < 0 && errno == EINTR)
		;
	s->detacher_pid = 0;
}

static void val_add(struct fv_flow_val *to, const struct fv_flow_val *v)
{
	if (!v->packets)
		return;
	if (!to->packets || (v->first_ns && v->first_ns < to->first_ns))
		to->first_ns = v->first_ns;
	if (v->last_ns > to->last_ns)
		to->last_ns = v->last_ns;
	to->packets += v->packets;
	to->bytes += v->bytes;
}

static enum fv_leg classify_key(const struct fv_point *p,
				const struct fv_flow_key *k);
static bool flow_is_nat_own(const struct fv_session *s,
			    const struct fv_flow_key *k, enum fv_leg leg);
static void sum_percpu(const struct fv_flow_val *vals, int ncpu,
		       struct fv_flow_val *out);

/* Into the point's per-leg totals, which only grow. */
static void flow_fold(struct fv_session *s, struct fv_point *p,
		      const struct fv_flow_key *k, const struct fv_flow_val *v)
{
	int fd = bpf_map__fd(p->skel->maps.flow_folded);
	enum fv_leg leg = classify_key(p, k);
	uint32_t slot = leg * 2 + (p->host.role == FV_ROLE_NAT &&
				   flow_is_nat_own(s, k, leg));
	struct fv_flow_val f;

	if (slot >= FV_FLOW_FOLD_SLOTS || bpf_map_lookup_elem(fd, &slot, &f))
		return;
	val_add(&f, v);
	bpf_map_update_elem(fd, &slot, &f, BPF_ANY);
}

/* Into flow_sums by key, or folded when it has no room. */
static void flow_keep(struct fv_session *s, struct fv_point *p,
		      const struct fv_flow_key *k, const struct fv_flow_val *v)
{
	int fd = bpf_map__fd(p->skel->maps.flow_sums);
	struct fv_flow_val sum = { 0 };

	bpf_map_lookup_elem(fd, k, &sum);
	val_add(&sum, v);
	if (bpf_map_update_elem(fd, k, &sum, BPF_ANY)) {
		/* Full: what it held stays there, this part folds. */
		flow_fold(s, p, k, v);
	}
}

#define FLOW_CHUNK 512

/* An IPv4 table's key as flow_sums keys it (v4-mapped). */
static void key_widen(const struct fv_flow_key4 *k4, struct fv_flow_key *k)
{
	memset(k, 0, sizeof(*k));
	k->saddr[10] = k->saddr[11] = 0xff;
	memcpy(k->saddr + 12, &k4->saddr, 4);
	k->daddr[10] = k->daddr[11] = 0xff;
	memcpy(k->daddr + 12, &k4->daddr, 4);
	k->ifindex = k4->ifindex;
	k->sport = k4->sport;
	k->dport = k4->dport;
	k->hook = k4->hook;
	k->mode = k4->mode;
}

/* Empty a table nothing counts into, into flow_sums; v4: an IPv4 one. */
static int flows_drain(struct fv_session *s, struct fv_point *p, int fd, bool v4)
{
	int ncpu = libbpf_num_possible_cpus(), ret = 0, err, i;
	struct fv_flow_key *keys, wide;
	struct fv_flow_val *vals, sum;
	uint32_t batch, n;
	void *in = NULL;

	if (ncpu < 1)
		return ncpu;
	/* Room for either key: fv_flow_key is the larger. */
	keys = calloc(FLOW_CHUNK, sizeof(*keys));
	vals = calloc((size_t)FLOW_CHUNK * ncpu, sizeof(*vals));
	if (!keys || !vals) {
		free(keys);
		free(vals);
		return -ENOMEM;
	}
	do {
		n = FLOW_CHUNK;
		err = bpf_map_lookup_and_delete_batch(fd, in, &batch, keys,
						      vals, &n, NULL);
		if (err && errno != ENOENT) {
			ret = -errno;
			break;
		}
		for (i = 0; i < (int)n; i++) {
			sum_percpu(&vals[(size_t)i * ncpu], ncpu, &sum);
			if (v4)
				key_widen((struct fv_flow_key4 *)keys + i, &wide);
			flow_keep(s, p, v4 ? &wide : &keys[i], &sum);
		}
		in = &batch;
	} while (!err);
	free(keys);
	free(vals);
	return ret;
}

/* The family's two tables and the map naming the live one (v4: IPv4's,
 * else IPv6's). */
static int flows_tables(struct fv_point *p, bool v4, int fd[2])
{
	if (v4) {
		fd[0] = bpf_map__fd(p->skel->maps.flows4);
		fd[1] = bpf_map__fd(p->skel->maps.flows4_b);
		return bpf_map__fd(p->skel->maps.flows4_cur);
	}
	fd[0] = bpf_map__fd(p->skel->maps.flows);
	fd[1] = bpf_map__fd(p->skel->maps.flows_b);
	return bpf_map__fd(p->skel->maps.flows_cur);
}

/* Which table the programs count into (pinned maps may name either),
 * and the other one drained: what a stopped agent left in it. */
static int flows_adopt(struct fv_session *s, struct fv_point *p)
{
	uint32_t zero = 0, id;
	int v4, fd[2], outer, ret;

	for (v4 = 0; v4 < 2; v4++) {
		struct bpf_map_info info = { 0 };
		uint32_t len = sizeof(info);

		outer = flows_tables(p, v4, fd);
		if (bpf_map_lookup_elem(outer, &zero, &id) ||
		    bpf_obj_get_info_by_fd(fd[1], &info, &len))
			return -errno;
		p->flows_live[v4] = id == info.id;
		ret = flows_drain(s, p, fd[!p->flows_live[v4]], v4);
		if (ret)
			return ret;
	}
	return 0;
}

int fv_session_flows_swap(struct fv_session *s, struct fv_point *p)
{
	uint32_t zero = 0;
	int v4, fd[2], outer, next, ret;

	for (v4 = 0; v4 < 2; v4++) {
		outer = flows_tables(p, v4, fd);
		next = !p->flows_live[v4];
		/* For a map of maps the kernel returns once every program
		 * that could still hold the old table has finished. */
		if (bpf_map_update_elem(outer, &zero, &fd[next], BPF_ANY))
			return -errno;
		p->flows_live[v4] = next;
		ret = flows_drain(s, p, fd[!next], v4);
		if (ret)
			return ret;
	}
	return 0;
}

static int flows_swap_all(struct fv_session *s)
{
	int i, ret = 0;

	s->flows_swapped_ns = fv_now_ns();
	for (i = 0; i < s->n_points; i++) {
		if (s->points[i].skel) {
			int r = fv_session_flows_swap(s, &s->points[i]);

			ret = ret ?: r;
		}
	}
	return ret;
}

static int start_point(struct fv_session *s, struct fv_point *p, char *err,
		       size_t errlen)
{
	int saved, ret, i;

	p->sess = s;
	for (i = 0; i < FV_MAX_IFACES; i++)
		att_init(&p->att[i]);
	p->skel = flowverify__open();
	if (!p->skel) {
		ret = -errno; /* before snprintf and strerror change it */
		snprintf(err, errlen, "cannot open the BPF object: %s",
			 strerror(-ret));
		return ret;
	}
	p->skel->rodata->ntp_port_be = htons(s->port);
	p->skel->rodata->coarse_clock = fv_have_coarse_clock();
	if (s->snaplen) {
		/* Events three times larger: a ring to match. */
		p->skel->rodata->snaplen = s->snaplen;
		bpf_map__set_max_entries(p->skel->maps.events,
					 FV_SNAP_RING_BYTES);
	}
	if (s->before_load) {
		ret = s->before_load(p->skel, p - s->points, s->before_load_ctx,
				     err, errlen);
		if (ret)
			return ret;
	}
	ret = flowverify__load(p->skel);
	if (ret) {
		snprintf(err, errlen, "cannot load the BPF programs: %s%s",
			 strerror(-ret),
			 ret == -EPERM ? " (" FV_CAPS_NEEDED ")" : "");
		return ret;
	}
	ret = flows_adopt(s, p);
	if (ret) {
		snprintf(err, errlen, "cannot read the flow tables: %s",
			 strerror(-ret));
		return ret;
	}
	ret = fv_netns_enter(p->host.netns, &saved);
	if (ret) {
		snprintf(err, errlen, "cannot enter namespace '%s': %s",
			 p->host.netns, strerror(-ret));
		return ret;
	}
	for (i = 0; i < p->host.n_ifaces; i++) {
		ret = attach_iface(p, i, err, errlen);
		if (ret)
			break;
	}
	fv_netns_leave(saved);
	return ret;
}

static int xdp_native_precheck(const struct fv_point *p, char *err, size_t errlen)
{
	char driver[32];
	int saved, mtu, ret = 0;

	if (p->host.ingress != FV_INGRESS_XDP)
		return 0;
	ret = fv_netns_enter(p->host.netns, &saved);
	if (ret) {
		snprintf(err, errlen, "cannot enter namespace '%s': %s",
			 p->host.netns, strerror(-ret));
		return ret;
	}
	for (int i = 0; i < p->host.n_ifaces && !ret; i++)
		ret = xdp_native_check(p, i, driver, sizeof(driver), &mtu, err,
				       errlen);
	fv_netns_leave(saved);
	return ret;
}

int fv_session_start(struct fv_session *s, const struct fv_host *hosts, int n,
		     uint16_t port, char *err, size_t errlen)
{
	return fv_session_start_hooked(s, hosts, n, port, NULL, NULL, err,
				       errlen);
}

int fv_session_start_hooked(struct fv_session *s, const struct fv_host *hosts,
			    int n, uint16_t port, fv_before_load_fn before_load,
			    void *ctx, char *err, size_t errlen)
{
	int ret, i;

	/* --pcap's, set by the caller before the start. */
	uint32_t snaplen = s->snaplen;
	void (*on_frame)(void *, int, const struct fv_event *, const uint8_t *) =
		s->on_frame;
	void *on_frame_ctx = s->on_frame_ctx;

	memset(s, 0, sizeof(*s));
	s->before_load = before_load;
	s->before_load_ctx = ctx;
	s->snaplen = snaplen;
	s->on_frame = on_frame;
	s->on_frame_ctx = on_frame_ctx;
	libbpf_set_print(libbpf_print);
	if (n < 1 || n > FV_MAX_POINTS) {
		snprintf(err, errlen, "between 1 and %d observation points",
			 FV_MAX_POINTS);
		return -EINVAL;
	}
	if (!fv_have_caps()) {
		snprintf(err, errlen,
			 FV_CAPS_NEEDED " to load and attach BPF programs");
		return -EPERM;
	}
	if (access(BTF_VMLINUX, R_OK)) {
		snprintf(err, errlen,
			 "no BTF at " BTF_VMLINUX ": the kernel needs "
			 "CONFIG_DEBUG_INFO_BTF=y");
		return -ENOENT;
	}
	s->port = port;
	for (i = 0; i < n; i++) {
		s->points[i].host = hosts[i];
		ret = fv_host_resolve(&s->points[i].host, err, errlen);
		if (ret)
			return ret;
		ret = fv_netns_inum(hosts[i].netns, &s->points[i].netns_inum);
		if (ret) {
			snprintf(err, errlen,
				 "cannot identify namespace '%s': %s",
				 hosts[i].netns, strerror(-ret));
			return ret;
		}
	}
	/* --ingress xdp: refuse before anything is loaded or attached, so
	 * that no interface restarts for a run that cannot go on. */
	for (i = 0; i < n; i++) {
		ret = xdp_native_precheck(&s->points[i], err, errlen);
		if (ret)
			return ret;
	}
	ret = fv_xtable_init(&s->xt, FV_XTABLE_CAPACITY);
	if (ret) {
		snprintf(err, errlen, "out of memory");
		return ret;
	}
	for (i = 0; i < n; i++) {
		struct fv_point *p = &s->points[i];

		s->n_points = i + 1;
		ret = start_point(s, p, err, errlen);
		if (ret)
			goto fail;
		ret = s->rb ? ring_buffer__add(s->rb,
					       bpf_map__fd(p->skel->maps.events),
					       handle_event, p)
			    : 0;
		if (!s->rb) {
			s->rb = ring_buffer__new(bpf_map__fd(p->skel->maps.events),
						 handle_event, p, NULL);
			ret = s->rb ? 0 : -errno;
		}
		if (ret) {
			snprintf(err, errlen,
				 "cannot open the event ring buffer: %s",
				 strerror(-ret));
			goto fail;
		}
	}
	/* From here on every hook is in place: a request seen earlier may
	 * have missed one (leg 2 before tc egress was attached) and would
	 * look lost or untranslated. */
	s->start_ns = fv_now_ns();
	return 0;
fail:
	fv_session_stop(s);
	return ret;
}

void fv_session_drops_update(struct fv_session *s, uint64_t timeout_ns)
{
	uint32_t inums[FV_MAX_POINTS];
	struct fv_tally t = { 0 };
	int i, ret;

	if (s->drops || *s->drops_error || s->drops_mode == FV_DROPS_OFF)
		return;
	if (s->drops_mode == FV_DROPS_AUTO) {
		fv_xtable_tally(&s->xt, 0, UINT64_MAX, fv_now_ns(), timeout_ns,
				&t);
		if (!fv_tally_lost(&t))
			return;
	}
	for (i = 0; i < s->n_points; i++)
		inums[i] = s->points[i].netns_inum;
	ret = fv_drops_start(&s->drops, inums, s->n_points, s->port,
			     s->drops_error, sizeof(s->drops_error));
	if (ret && !*s->drops_error)
		snprintf(s->drops_error, sizeof(s->drops_error), "%s",
			 strerror(-ret));
	if (ret)
		s->drops = NULL;
}

/* The interface a link is attached to, 0 once that interface is gone
 * (the kernel detaches the link then). xdp and tcx link info both start
 * with the ifindex; Debian 12's headers know only the xdp one. Needs no
 * privilege: we hold the fd. */
static bool link_detached(int link_fd)
{
	struct bpf_link_info info;
	__u32 len = sizeof(info);

	memset(&info, 0, sizeof(info));
	if (bpf_obj_get_info_by_fd(link_fd, &info, &len))
		return false; /* cannot tell: assume it holds */
	return info.xdp.ifindex == 0;
}

static bool iface_lost(struct fv_point *p, int i)
{
	struct fv_iface_att *a = &p->att[i];

	if (a->gone || a->reported_gone)
		return true;
	/* Without a detacher we still hold the privilege to look. */
	if ((a->egress_clsact || a->ingress_clsact) && !p->sess->detacher_pid &&
	    clsact_iface_missing(p, i))
		return true;
	return (a->xdp_link >= 0 && link_detached(a->xdp_link)) ||
	       (a->ingress_link >= 0 && link_detached(a->ingress_link)) ||
	       (a->egress_link >= 0 && link_detached(a->egress_link));
}

/* The interface named as before, if it is back: attach anew. */
static void reattach_iface(struct fv_point *p, int i)
{
	struct fv_iface_att *a = &p->att[i];
	struct fv_host fresh = p->host;
	char err[256];
	int saved, idx, ret;
	uint32_t inum;

	if (fv_netns_enter(p->host.netns, &saved))
		return; /* the namespace itself is gone */
	idx = if_nametoindex(p->host.ifname[i]);
	if (idx && idx != a->refused_ifindex) {
		uint32_t reattached = a->reattached;

		detach_iface(p, i);
		p->host.ifindex[i] = idx;
		ret = attach_iface(p, i, err, sizeof(err));
		if (ret) {
			detach_iface(p, i);
			a->gone = true;
			a->reattached = reattached;
			a->refused_ifindex = idx; /* said once, not every second */
			fv_warn("%s%s%s is back but cannot be watched: %s",
				p->host.netns, *p->host.netns ? ":" : "",
				p->host.ifname[i], err);
		} else {
			a->reattached = reattached + 1;
			fv_info("%s%s%s is back (ifindex %d): watching it again",
				p->host.netns, *p->host.netns ? ":" : "",
				p->host.ifname[i], idx);
		}
	}
	fv_netns_leave(saved);
	if (a->gone)
		return;
	/* Its addresses may be new too: legs are judged against them. */
	if (!fv_host_resolve(&fresh, err, sizeof(err))) {
		p->host.n_addrs = fresh.n_addrs;
		memcpy(p->host.addrs, fresh.addrs, sizeof(fresh.addrs));
	}
	/* So may the namespace, made again under its name: drops there are
	 * told by its inode. */
	if (!fv_netns_inum(p->host.netns, &inum) && inum != p->netns_inum) {
		memmove(p->netns_before + 1, p->netns_before,
			sizeof(p->netns_before) - sizeof(p->netns_before[0]));
		p->netns_before[0] = p->netns_inum;
		p->netns_inum = inum;
		if (p->sess->drops)
			fv_drops_add_netns(p->sess->drops, inum);
	}
}

bool fv_point_has_netns(const struct fv_point *p, uint32_t inum)
{
	if (inum == p->netns_inum)
		return true;
	for (size_t i = 0;
	     i < sizeof(p->netns_before) / sizeof(p->netns_before[0]); i++) {
		if (p->netns_before[i] && p->netns_before[i] == inum)
			return true;
	}
	return false;
}

int fv_session_check_ifaces(struct fv_session *s)
{
	uint8_t which;
	int lost = 0;

	/* What the detacher found gone since the last look. */
	while (s->detacher_pid > 0 && read(s->detacher_report_fd, &which, 1) == 1)
		if (which / FV_MAX_IFACES < s->n_points)
			s->points[which / FV_MAX_IFACES]
				.att[which % FV_MAX_IFACES]
				.reported_gone = true;

	for (int k = 0; k < s->n_points; k++) {
		struct fv_point *p = &s->points[k];

		for (int i = 0; i < p->host.n_ifaces; i++) {
			struct fv_iface_att *a = &p->att[i];

			if (!iface_lost(p, i))
				continue;
			if (!a->gone)
				fv_warn("%s%s%s went away; %s", p->host.netns,
					*p->host.netns ? ":" : "",
					p->host.ifname[i],
					s->no_reattach
						? "it is no longer watched"
						: "watching it again when it is back");
			a->gone = true;
			/* Its filters went with it; the same index may name
			 * another interface now. */
			a->egress_clsact = a->ingress_clsact = false;
			if (!s->no_reattach)
				reattach_iface(p, i);
			lost += a->gone;
		}
	}
	s->ifaces_gone = lost;
	return lost;
}

int fv_session_poll(struct fv_session *s, int timeout_ms)
{
	int ret = ring_buffer__poll(s->rb, timeout_ms);
	uint64_t now = fv_now_ns();

	if (!s->drops && now - s->drops_checked_ns > 250000000ull) {
		s->drops_checked_ns = now;
		fv_session_drops_update(s, s->reply_timeout_ns);
	}
	if (now - s->ifaces_checked_ns > NS_PER_SEC) {
		s->ifaces_checked_ns = now;
		fv_session_check_ifaces(s);
	}
	if (now - s->flows_swapped_ns >= NS_PER_SEC)
		flows_swap_all(s);

	return ret == -EINTR ? 0 : ret;
}

void fv_session_stop(struct fv_session *s)
{
	int i;

	if (s->detacher_pid > 0)
		detacher_finish(s);
	fv_drops_stop(s->drops);
	s->drops = NULL;
	ring_buffer__free(s->rb);
	s->rb = NULL;
	for (i = s->n_points - 1; i >= 0; i--) {
		struct fv_point *p = &s->points[i];

		if (!p->skel)
			continue;
		detach_point(p);
		flowverify__destroy(p->skel);
		p->skel = NULL;
	}
	fv_xtable_free(&s->xt);
}

static void sum_percpu(const struct fv_flow_val *vals, int ncpu,
		       struct fv_flow_val *out)
{
	int c;

	memset(out, 0, sizeof(*out));
	for (c = 0; c < ncpu; c++) {
		const struct fv_flow_val *v = &vals[c];

		if (!v->packets)
			continue;
		out->packets += v->packets;
		out->bytes += v->bytes;
		if (!out->first_ns || v->first_ns < out->first_ns)
			out->first_ns = v->first_ns;
		if (v->last_ns > out->last_ns)
			out->last_ns = v->last_ns;
	}
}

static bool flow_is_nat_own(const struct fv_session *s,
			    const struct fv_flow_key *k, enum fv_leg leg)
{
	if (leg == FV_LEG_2)
		return endpoint_has(&s->nat_own, k->saddr, k->sport) &&
		       !endpoint_has(&s->forwarded, k->saddr, k->sport);
	if (leg == FV_LEG_3)
		return endpoint_has(&s->nat_own, k->daddr, k->dport) &&
		       !endpoint_has(&s->forwarded, k->daddr, k->dport);
	return false;
}

struct rows {
	struct fv_flow_row *r;
	int n, cap;
};

static struct fv_flow_row *row_add(struct rows *o)
{
	if (o->n == o->cap) {
		struct fv_flow_row *grown;
		int cap = o->cap ? o->cap * 2 : 64;

		grown = realloc(o->r, cap * sizeof(*grown));
		if (!grown)
			return NULL;
		o->r = grown;
		o->cap = cap;
	}
	memset(&o->r[o->n], 0, sizeof(o->r[0]));
	return &o->r[o->n++];
}

/* flow_sums as rows; the idle ones folded away. */
static int point_rows(struct fv_session *s, int i, uint64_t idle_before,
		      struct rows *o)
{
	struct fv_point *p = &s->points[i];
	int fd = bpf_map__fd(p->skel->maps.flow_sums), ret = 0, err, k;
	struct fv_flow_key *keys = calloc(FLOW_CHUNK, sizeof(*keys));
	struct fv_flow_val *vals = calloc(FLOW_CHUNK, sizeof(*vals));
	struct fv_flow_row *row;
	uint32_t batch, n, slot;
	void *in = NULL;

	if (!keys || !vals) {
		ret = -ENOMEM;
		goto out;
	}
	do {
		n = FLOW_CHUNK;
		err = bpf_map_lookup_batch(fd, in, &batch, keys, vals, &n, NULL);
		if (err && errno != ENOENT) {
			ret = -errno;
			break;
		}
		for (k = 0; k < (int)n; k++) {
			if (vals[k].last_ns < idle_before) {
				/* Deleting behind the batch cursor is safe:
				 * it names the next bucket. */
				if (!bpf_map_delete_elem(fd, &keys[k]))
					flow_fold(s, p, &keys[k], &vals[k]);
				continue;
			}
			row = row_add(o);
			if (!row) {
				ret = -ENOMEM;
				goto out;
			}
			row->point = i;
			row->key = keys[k];
			row->val = vals[k];
			row->leg = classify_key(p, &keys[k]);
			row->nat_own = p->host.role == FV_ROLE_NAT &&
				       flow_is_nat_own(s, &keys[k], row->leg);
		}
		in = &batch;
	} while (!err);
	fd = bpf_map__fd(p->skel->maps.flow_folded);
	for (slot = 0; !ret && slot < FV_FLOW_FOLD_SLOTS; slot++) {
		struct fv_flow_val v;

		if (bpf_map_lookup_elem(fd, &slot, &v) || !v.packets)
			continue;
		row = row_add(o);
		if (!row) {
			ret = -ENOMEM;
			break;
		}
		row->point = i;
		row->key.hook = FV_HOOK_MAX;
		row->val = v;
		row->leg = slot / 2;
		row->nat_own = slot % 2;
		row->expired = true;
	}
out:
	free(keys);
	free(vals);
	return ret;
}

/* FV_FLOW_IDLE_SECONDS in the environment: for the tests of expiry,
 * which would otherwise wait 300 s. */
static uint64_t flows_idle_default(void)
{
	const char *e = getenv("FV_FLOW_IDLE_SECONDS");
	char *end;
	unsigned long v;

	if (e && *e) {
		v = strtoul(e, &end, 10);
		if (!*end && v > 0 && v <= 86400)
			return v * NS_PER_SEC;
	}
	return FV_FLOW_IDLE_SECONDS * NS_PER_SEC;
}

int fv_session_flows(struct fv_session *s, struct fv_flow_row **rows, int *n)
{
	uint64_t idle = s->flows_idle_ns ?: flows_idle_default();
	uint64_t now = fv_flow_now_ns(); /* last_ns's clock */
	struct rows o = { 0 };
	int i, ret;

	/* A snapshot: everything counted before the swap is in flow_sums. */
	ret = flows_swap_all(s);
	for (i = 0; !ret && i < s->n_points; i++)
		ret = point_rows(s, i, now > idle ? now - idle : 0, &o);
	if (ret) {
		free(o.r);
		return ret;
	}
	*rows = o.r;
	*n = o.n;
	return 0;
}

int fv_session_stats(struct fv_session *s, int point, uint64_t out[FV_STAT_MAX])
{
	int fd = bpf_map__fd(s->points[point].skel->maps.stats);
	uint32_t k;
	int ret;

	for (k = 0; k < FV_STAT_MAX; k++) {
		ret = fv_percpu_sum(fd, k, &out[k]);
		/* A slot that cannot be read counts as 0; out of memory
		 * is the caller's to know. */
		if (ret == -ENOMEM)
			return ret;
	}
	return 0;
}
