// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/* verify and watch: observe the legs, then judge them. */
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include "acl.h"
#include "remote.h"
#include "cmd.h"
#include "hostcheck.h"
#include "netinfo.h"
#include "options.h"
#include "pcap.h"
#include "report.h"
#include "report_html.h"
#include "util.h"

struct observe_opts {
	struct fv_observe_args args; /* points, port, ingress, ACLs */
	double duration;	     /* 0 = until interrupted (watch) */
	double reply_timeout;
	double window;
	bool json;
	enum fv_color_mode color;
	bool redraw; /* watch: stdout is a terminal, frames redraw it */
	const char *ready_file;
	/* --pcap FILE [--snaplen N], --report FILE.html (docs/evidence.md) */
	const char *pcap;
	uint64_t snaplen;
	struct fv_pcap *pc;
	const char *report;
	enum fv_drops_mode drops;
	struct acl_live live; /* loaded when acls is set */
	/* --vpc, --client-port, and the NAT's subnets read at start: what
	 * hints may name besides what was observed. */
	struct acl_hint hint;
	struct fv_netif nat_ifs[FV_NETINFO_MAX];
};

enum {
	OPT_DURATION = FV_OPT_OWN,
	OPT_PCAP,
	OPT_SNAPLEN,
	OPT_REPORT,
	OPT_JSON,
	OPT_REPLY_TIMEOUT,
	OPT_WINDOW,
	OPT_READY_FILE,
	OPT_DROPS,
	OPT_VPC,
	OPT_CLIENT_PORT,
	OPT_COLOR,
};

/* What verify, watch and trace all take besides where to watch. */
#define OBSERVE_COMMON_OPTS                                                      \
	{ "duration", required_argument, NULL, OPT_DURATION },                   \
		{ "reply-timeout", required_argument, NULL, OPT_REPLY_TIMEOUT }, \
		{ "ready-file", required_argument, NULL, OPT_READY_FILE },       \
		{ "pcap", required_argument, NULL, OPT_PCAP },                   \
		{ "snaplen", required_argument, NULL, OPT_SNAPLEN },             \
		{ "drops", required_argument, NULL, OPT_DROPS },                 \
		{ "color", required_argument, NULL, OPT_COLOR },                 \
		{ "verbose", no_argument, NULL, 'v' },                           \
	{                                                                        \
		"help", no_argument, NULL, 'h'                                   \
	}

/* Each command takes only what it uses: an option it would ignore is
 * refused, and its --help names every one (tests/test_usage.c). */
const struct option fv_verify_options[] = {
	FV_OBSERVE_LONG_OPTS,
	OBSERVE_COMMON_OPTS,
	{ "json", no_argument, NULL, OPT_JSON },
	{ "report", required_argument, NULL, OPT_REPORT },
	{ "vpc", required_argument, NULL, OPT_VPC },
	{ "client-port", required_argument, NULL, OPT_CLIENT_PORT },
	{},
};

const struct option fv_watch_options[] = {
	FV_OBSERVE_LONG_OPTS,
	OBSERVE_COMMON_OPTS,
	{ "window", required_argument, NULL, OPT_WINDOW },
	{ "json", no_argument, NULL, OPT_JSON },
	{ "vpc", required_argument, NULL, OPT_VPC },
	{ "client-port", required_argument, NULL, OPT_CLIENT_PORT },
	{},
};

const struct option fv_trace_options[] = {
	FV_OBSERVE_POINT_OPTS,
	OBSERVE_COMMON_OPTS,
	{ "json", no_argument, NULL, OPT_JSON },
	{},
};

static const char verify_usage[] =
	"Usage: flowverify verify --nat [NETNS:]IFACE[,IFACE] [--client [NETNS:]IFACE]...\n"
	"                         [--port N] [--duration S] [--reply-timeout S] [--json]\n"
	"                         [--acls FILE [--public ID] [--private ID]]\n"
	"                         [--vpc CIDR] [--client-port N|N-M|ephemeral]\n"
	"\n"
	"Watch NTP on the NAT host (and on clients behind it) for S seconds, then say\n"
	"whether replies get through and, if not, the first segment where they stop.\n"
	"\n"
	"  --nat SPEC          the NAT host's interfaces; NETNS is a name in /run/netns\n"
	"  --client SPEC       a client's interfaces (repeatable): needed to see\n"
	"                      client_to_nat and nat_to_client\n"
	"  --port N            the NTP server port (default 123)\n"
	"  --duration S        how long to observe (default 10)\n"
	"  --reply-timeout S   a request unanswered this long is lost (default 1)\n"
	"  --json              one JSON object on stdout\n"
	"  --report FILE.html  also write the verdict as one self-contained HTML page\n"
	"  --pcap FILE         write the NTP packets seen, every leg and point, to\n"
	"                      FILE (pcap, Linux cooked v2: interface and direction)\n"
	"  --snaplen N         bytes of each frame kept in the pcap: 64..256\n"
	"                      (default 128)\n"
	"  --ready-file PATH   create PATH once every program is attached\n"
	"  --ingress HOOK      how to watch ingress: tc (default: tcx, else clsact;\n"
	"                      needs nothing of the driver, never resets it), xdp\n"
	"                      (native XDP only; refused where the driver has none)\n"
	"                      or xdp-generic: see Performance in README\n"
	"  --xdp-reset-ok      accept that attaching native XDP restarts the interface\n"
	"                      (ena, e.g. on EC2; refused without it); only with\n"
	"                      --ingress xdp\n"
	"  --drops MODE        kernel drop reasons (kfree_skb) for our packets: auto\n"
	"                      (default: attach once an exchange is lost), on, off\n"
	"  --acls FILE         the subnets' network ACLs ('aws ec2 describe-network-acls'\n"
	"                      JSON or the text form): a lost leg is explained by the\n"
	"                      entry that denies it, with the observed ports\n"
	"  --public ID, --private ID   which ACLs (NetworkAclId or SubnetId; default\n"
	"                      the text form's public/private tags)\n"
	"  --vpc CIDR          the VPC the ACL rows of a fault name (default: the\n"
	"                      NAT's connected subnet holding the client, else the\n"
	"                      observed client's address)\n"
	"  --client-port P     the clients' source port(s) for those rows: N, N-M or\n"
	"                      ephemeral (1024-65535); default: the observed port\n"
	"  --color WHEN        colour the verdict: auto (default: on a terminal,\n"
	"                      unless NO_COLOR is set), always, never\n"
	"  -v, --verbose       libbpf and command diagnostics on stderr\n"
	"  --agent URL         join running agents' views instead (repeatable; see\n"
	"                      'flowverify verify --agent URL --help')\n"
	"\n"
	"Exit status: 0 replies get through (with only --nat: they left the NAT toward\n"
	"the clients), 1 fault or no traffic, 2 bad input, setup, or output that could\n"
	"not be written (a full disk, a closed stdout), 3 inconclusive:\n"
	"interrupted (SIGINT, SIGTERM) before any exchange completed or timed out.\n"
	"Interrupted later, it judges what completed and says the window was cut short.\n"
	"\n"
	"Examples:\n"
	"  flowverify verify --nat eth0 --duration 10\n"
	"  flowverify verify --nat fv-nat:eth0 --client fv-client:eth0 --duration 3 --json\n"
	"  flowverify verify --nat fv-nat:eth0,eth1 --port 123\n";

static const char trace_usage[] =
	"Usage: flowverify trace --nat [NETNS:]IFACE[,IFACE] [--client [NETNS:]IFACE]...\n"
	"                        [--port N] [--reply-timeout S] [--duration S] [--json]\n"
	"\n"
	"One line per NTP exchange as it completes or times out: when it started, its\n"
	"outcome (answered, or the segment where it was lost), the client, the NAT's\n"
	"outside address and port it was mapped to, the server, the time each segment\n"
	"took, and the server's stratum and reference (or its Kiss-o'-Death code).\n"
	"Runs until Ctrl-C or --duration.\n"
	"\n"
	"  --nat SPEC, --client SPEC, --port N, --ingress tc|xdp|xdp-generic,\n"
	"  --xdp-reset-ok      as for verify\n"
	"  --duration S        stop after S seconds (default: until Ctrl-C)\n"
	"  --reply-timeout S   a request unanswered this long is lost (default 1)\n"
	"  --json              one JSON object per line\n"
	"  --pcap FILE, --snaplen N   the packets seen, as for verify\n"
	"  --ready-file PATH   create PATH once every program is attached\n"
	"  --drops MODE        kernel drop reasons: auto (default), on, off\n"
	"  --color WHEN        auto (default), always, never: as for verify\n"
	"  -v, --verbose       libbpf and command diagnostics on stderr\n"
	"\n"
	"Exit status: 0 when stopped (Ctrl-C, SIGTERM or --duration), 2 bad input,\n"
	"setup, or output that could not be written. Never 3 (verify's inconclusive): exchanges still within their reply\n"
	"timeout when it stops are printed as in flight, marked interrupted, never lost.\n"
	"\n"
	"Examples:\n"
	"  flowverify trace --nat eth0\n"
	"  flowverify trace --nat fv-nat:eth0 --client fv-client:eth0 --json\n";

static const char watch_usage[] =
	"Usage: flowverify watch --nat [NETNS:]IFACE[,IFACE] [--client [NETNS:]IFACE]...\n"
	"                        [--port N] [--window S] [--reply-timeout S] [--duration S] [--json]\n"
	"                        [--acls FILE [--public ID] [--private ID]]\n"
	"                        [--vpc CIDR] [--client-port N|N-M|ephemeral]\n"
	"\n"
	"A live view, refreshed every second until Ctrl-C: the four legs as a diagram\n"
	"with packet counts (total and last second), the NAT's outside port, and the\n"
	"verdict over the last --window seconds. Detaches cleanly on exit. On a\n"
	"terminal each frame redraws the screen; into a pipe or file, frames follow\n"
	"one another as plain text, with no escape codes. The NAT host checks (as\n"
	"doctor's) are read over 10-second windows and shown from the first one on.\n"
	"\n"
	"  --nat SPEC, --client SPEC, --port N, --ingress tc|xdp|xdp-generic,\n"
	"  --xdp-reset-ok      as for verify\n"
	"  --window S          the verdict's window (default 10)\n"
	"  --duration S        stop after S seconds (default: until Ctrl-C)\n"
	"  --reply-timeout S   a request unanswered this long is lost (default 1)\n"
	"  --pcap FILE, --snaplen N   the packets seen, as for verify\n"
	"  --json              one verify --json object per second, one per line\n"
	"                      (NDJSON), instead of the drawn frames\n"
	"  --ready-file PATH   create PATH once every program is attached\n"
	"  --drops MODE        kernel drop reasons: auto (default), on, off\n"
	"  --color WHEN        auto (default), always, never: as for verify\n"
	"  --acls FILE, --public ID, --private ID   as for verify\n"
	"  --vpc CIDR, --client-port P   as for verify\n"
	"  -v, --verbose       libbpf and command diagnostics on stderr\n"
	"\n"
	"Exit status: with --duration, as verify's by the last frame's verdict: 0\n"
	"replies get through, 1 fault or no traffic, 3 inconclusive (nothing judged\n"
	"yet). Stopped by Ctrl-C or SIGTERM: 0; on Ctrl-C it says how many exchanges\n"
	"were still within their reply timeout, not judged. 2 bad input, setup, or\n"
	"output that could not be written.\n"
	"\n"
	"Examples:\n"
	"  flowverify watch --nat eth0\n"
	"  flowverify watch --nat fv-nat:eth0 --client fv-client:eth0\n";

static int parse_observe(int argc, char **argv, struct observe_opts *o,
			 const char *usage, const struct option *opts, bool watch)
{
	int opt, ret;

	memset(o, 0, sizeof(*o));
	fv_observe_args_init(&o->args);
	o->duration = watch ? 0 : 10;
	o->reply_timeout = 1;
	o->window = 10;
	optind = 1;
	opterr = 0;
	while ((opt = getopt_long(argc, argv, "+vh", opts, NULL)) != -1) {
		ret = fv_observe_option(&o->args, opts, opt, optarg);
		if (ret < 0)
			return ret;
		if (!ret)
			continue;
		switch (opt) {
		case OPT_DURATION:
		case OPT_REPLY_TIMEOUT:
		case OPT_WINDOW: {
			double *dst = opt == OPT_DURATION ? &o->duration
				      : opt == OPT_WINDOW ? &o->window
							  : &o->reply_timeout;

			if (fv_parse_seconds(optarg, FV_MAX_SECONDS, dst)) {
				fv_err("bad --%s '%s': expected seconds in 0..%.0f "
				       "(more than 0), e.g. 3 or 0.5",
				       opt == OPT_DURATION ? "duration"
				       : opt == OPT_WINDOW ? "window"
							   : "reply-timeout",
				       optarg, FV_MAX_SECONDS);
				return -EINVAL;
			}
			break;
		}
		case OPT_JSON: o->json = true; break;
		case OPT_COLOR:
			if (fv_color_parse(optarg, &o->color)) {
				fv_err("bad --color '%s': expected auto, always or never",
				       optarg);
				return -EINVAL;
			}
			break;
		case OPT_VPC:
			if (acl_cidr_parse(optarg, false, &o->hint.vpc)) {
				fv_err("bad --vpc '%s': expected a CIDR, e.g. 10.0.0.0/16",
				       optarg);
				return -EINVAL;
			}
			o->hint.vpc_given = true;
			break;
		case OPT_CLIENT_PORT:
			if (!strcmp(optarg, "ephemeral")) {
				o->hint.client_from = 1024;
				o->hint.client_to = 65535;
			} else if (acl_ports_parse(optarg, &o->hint.client_from,
						   &o->hint.client_to) ||
				   !o->hint.client_from) {
				fv_err("bad --client-port '%s': expected 1-65535, a range N-M, or ephemeral",
				       optarg);
				return -EINVAL;
			}
			o->hint.port_given = true;
			break;
		case OPT_READY_FILE: o->ready_file = optarg; break;
		case OPT_PCAP: o->pcap = optarg; break;
		case OPT_REPORT: o->report = optarg; break;
		case OPT_SNAPLEN:
			if (fv_parse_u64(optarg, FV_SNAP_MIN, FV_SNAP_MAX,
					 &o->snaplen)) {
				fv_err("bad --snaplen '%s': expected bytes in %d..%d",
				       optarg, FV_SNAP_MIN, FV_SNAP_MAX);
				return -EINVAL;
			}
			break;
		case OPT_DROPS:
			if (!strcmp(optarg, "auto"))
				o->drops = FV_DROPS_AUTO;
			else if (!strcmp(optarg, "on"))
				o->drops = FV_DROPS_ON;
			else if (!strcmp(optarg, "off"))
				o->drops = FV_DROPS_OFF;
			else {
				fv_err("bad --drops '%s': expected auto, on or off",
				       optarg);
				return -EINVAL;
			}
			break;
		default:
			if (opt == '?' && optind > 0 && optind <= argc &&
			    !strncmp(argv[optind - 1], "--acls", 6)) {
				fv_err("--acls applies to verify and watch; see 'flowverify %s --help'",
				       argv[0]);
				return -EINVAL;
			}
			ret = fv_opt_common(opt, argc, argv, argv[0], usage);
			if (ret)
				return ret;
		}
	}
	if (fv_extra_argument(argc, argv, argv[0]))
		return -EINVAL;
	if (fv_observe_finish(&o->args, true))
		return -EINVAL;
	if (o->snaplen && !o->pcap) {
		fv_err("--snaplen applies only with --pcap");
		return -EINVAL;
	}
	/* libpcap would take "-" for stdout, which carries the verdict. */
	if (o->pcap && !strcmp(o->pcap, "-")) {
		fv_err("--pcap needs a file: stdout carries the verdict");
		return -EINVAL;
	}
	fv_color_decide(o->color, STDOUT_FILENO);
	/* Before anything is attached: bad input costs nothing. */
	if (o->args.acls && acl_live_load(&o->live, o->args.acls,
					  o->args.acl_public, o->args.acl_private))
		return -EINVAL;
	return 0;
}

static int start(struct fv_session *s, const struct observe_opts *o)
{
	char err[256];
	int ret;

	ret = fv_session_start(s, o->args.points.hosts, o->args.points.n,
			       o->args.port, err, sizeof(err));
	if (ret) {
		fv_err("%s", err);
		return ret;
	}
	s->drops_mode = o->drops;
	s->reply_timeout_ns = o->reply_timeout * NS_PER_SEC;
	if (o->drops == FV_DROPS_ON) {
		fv_session_drops_update(s, s->reply_timeout_ns);
		if (!s->drops) {
			fv_err("cannot attach the drop tracer: %s",
			       s->drops_error);
			fv_session_stop(s);
			return -EINVAL;
		}
	}
	ret = fv_ready_file_write(o->ready_file);
	if (ret)
		fv_session_stop(s);
	return ret;
}

static bool v4_of(const uint8_t addr[16], uint8_t out[4])
{
	static const uint8_t mapped[12] = { [10] = 0xff, [11] = 0xff };

	if (memcmp(addr, mapped, 12))
		return false;
	memcpy(out, addr + 12, 4);
	return true;
}

/* Whether an interface of the NAT holds a client's address: a client
 * point's own, or one the NAT or a client point saw a request from. */
static bool holds_client(const struct fv_netif *f, struct fv_session *s,
			 const struct fv_report *r)
{
	uint8_t a[4];
	int p, k;

	for (p = 0; p < s->n_points; p++) {
		const struct fv_host *h = &s->points[p].host;

		for (k = 0; h->role == FV_ROLE_CLIENT && k < h->n_addrs; k++) {
			if (v4_of(h->addrs[k], a) && fv_netif_holds(f, a))
				return true;
		}
	}
	for (k = 0; k < r->n_rows; k++) {
		if (r->rows[k].leg == FV_LEG_1 &&
		    v4_of(r->rows[k].key.saddr, a) && fv_netif_holds(f, a))
			return true;
	}
	return false;
}

/* Legs 1 and 4 never seen on the NAT: they may cross an interface of it
 * that is not watched (the inside one of a two-interface NAT). Name those
 * whose subnet holds a client, else every other one that is up. */
static void hint_unwatched(struct fv_session *s, struct fv_report *r,
			   const struct observe_opts *o)
{
	const struct fv_host *nat = NULL;
	char names[160] = "", spec[160] = "", addr[INET_ADDRSTRLEN];
	bool want_client;
	int i, j, n;

	for (i = 0; i < s->n_points; i++) {
		if (s->points[i].host.role == FV_ROLE_NAT)
			nat = &s->points[i].host;
	}
	if (!nat || r->tally.leg_packets[1] || r->tally.leg_packets[4])
		return;
	for (want_client = true;; want_client = false) {
		for (i = 0, n = 0; i < o->hint.n_nat_ifs; i++) {
			const struct fv_netif *f = &o->hint.nat_ifs[i];
			size_t len = strlen(names);

			if (f->loopback || !f->up ||
			    (want_client && !holds_client(f, s, r)))
				continue;
			for (j = 0; j < nat->n_ifaces; j++) {
				if (!strcmp(nat->ifname[j], f->name))
					break;
			}
			if (j < nat->n_ifaces || strstr(spec, f->name))
				continue;
			inet_ntop(AF_INET, f->addr, addr, sizeof(addr));
			snprintf(names + len, sizeof(names) - len, "%s%s (%s/%u)",
				 n ? ", " : "", f->name, addr, f->prefix);
			len = strlen(spec);
			snprintf(spec + len, sizeof(spec) - len, ",%s", f->name);
			n++;
		}
		if (n || !want_client)
			break;
	}
	if (!n)
		return;
	{
		char watched[96] = "";
		size_t len = 0;

		for (j = 0; j < nat->n_ifaces && len < sizeof(watched); j++)
			len += snprintf(watched + len, sizeof(watched) - len,
					"%s%s", j ? "," : "", nat->ifname[j]);
		fv_report_note(r,
			       "not watched on the NAT: %s; legs 1 and 4 may "
			       "cross %s: add %s to --nat (--nat %s%s%s%s)",
			       names, spec + 1, n > 1 ? "them" : "it",
			       nat->netns, *nat->netns ? ":" : "", watched, spec);
	}
}

/* Whether path can be written, said in one line if not; leaves it empty,
 * to be written once the verdict is in. */
static bool fv_writable(const char *path, const char *opt)
{
	FILE *f = fopen(path, "w");

	if (!f) {
		fv_err("cannot write %s '%s': %s", opt, path, strerror(errno));
		return false;
	}
	fclose(f);
	return true;
}

/* --pcap's closing line needs the points' event counters: read them
 * before the session stops. 0 without --pcap. */
static int pcap_close(struct observe_opts *o, struct fv_session *s)
{
	uint64_t limited = 0, lost = 0, st[FV_STAT_MAX];
	struct fv_host hosts[FV_MAX_POINTS];
	int i;

	if (!o->pc)
		return 0;
	for (i = 0; i < s->n_points; i++) {
		hosts[i] = s->points[i].host;
		if (fv_session_stats(s, i, st))
			continue;
		limited += st[FV_STAT_EVENTS_LIMITED];
		lost += st[FV_STAT_EVENTS_LOST];
	}
	i = fv_pcap_close(o->pc, hosts, s->n_points, limited, lost);
	o->pc = NULL;
	return i;
}

/* Parse, then load and attach: the common start of verify, watch and
 * trace. NULL with *status the exit status when it must not go on (help
 * asked for, bad input, a setup error). */
static struct fv_session *begin(int argc, char **argv, struct observe_opts *o,
				const char *usage, const struct option *opts,
				bool open_ended, int *status)
{
	struct fv_session *s;
	int ret;

	/* First: a Ctrl-C from here on ends the window, never the process. */
	fv_catch_stop_signals();
	ret = parse_observe(argc, argv, o, usage, opts, open_ended);
	if (ret) {
		*status = ret > 0 ? FV_EXIT_OK : FV_EXIT_USAGE;
		return NULL;
	}
	*status = FV_EXIT_USAGE;
	s = calloc(1, sizeof(*s));
	if (!s) {
		fv_err("out of memory");
		acl_set_free(&o->live.set);
		return NULL;
	}
	/* Before attaching: a path that cannot be written costs nothing. */
	if (o->pcap) {
		char err[600];

		if (fv_pcap_open(&o->pc, o->pcap,
				 o->snaplen ? o->snaplen : FV_SNAP_DEFAULT, err,
				 sizeof(err))) {
			fv_err("%s", err);
			free(s);
			acl_set_free(&o->live.set);
			return NULL;
		}
		s->snaplen = fv_pcap_snaplen(o->pc);
		s->on_frame = fv_pcap_frame;
		s->on_frame_ctx = o->pc;
	}
	if (o->report && !fv_writable(o->report, "--report")) {
		fv_pcap_discard(o->pc);
		free(s);
		acl_set_free(&o->live.set);
		return NULL;
	}
	if (start(s, o)) {
		if (o->report)
			unlink(o->report);
		fv_pcap_discard(o->pc);
		free(s);
		acl_set_free(&o->live.set);
		return NULL;
	}
	/* The NAT's subnets, once: the default VPC and the hints. */
	for (int i = 0; i < o->args.points.n; i++) {
		if (o->args.points.hosts[i].role != FV_ROLE_NAT)
			continue;
		ret = fv_netinfo_read(o->args.points.hosts[i].netns, o->nat_ifs,
				      FV_NETINFO_MAX);
		o->hint.n_nat_ifs = ret > 0 ? ret : 0;
		o->hint.nat_ifs = o->nat_ifs;
	}
	return s;
}

/* Poll events until deadline_ns (monotonic) or a signal. */
static int poll_until(struct fv_session *s, uint64_t deadline_ns)
{
	while (!fv_stop_requested) {
		uint64_t now = fv_now_ns();
		int ret, ms;

		/* Past the deadline (a stopped or starved process) the ring
		 * may still hold the window's events: drain it, or they are
		 * never counted (tests/e2e/faults.sh, ring full). */
		if (now >= deadline_ns) {
			ret = fv_session_poll(s, 0);
			if (ret < 0)
				fv_err("reading events failed: %s",
				       strerror(-ret));
			return ret < 0 ? ret : 0;
		}
		ms = (deadline_ns - now) / 1000000 + 1;
		ret = fv_session_poll(s, ms > 100 ? 100 : ms);
		if (ret < 0) {
			fv_err("reading events failed: %s", strerror(-ret));
			return ret;
		}
	}
	return 0;
}

/* --report: the page renders the same JSON --json prints. */
static int write_report(const struct observe_opts *o, struct fv_session *s,
			struct fv_report *r, const struct fv_host_checks *hc,
			const struct acl_blocking *blocking, uint64_t end_ns,
			uint64_t timeout_ns, int argc, char **argv)
{
	json_t *j = fv_report_json(r), *xs;
	char cmd[2048] = "flowverify";
	size_t len = strlen(cmd);
	int i, ret;

	if (hc)
		fv_host_checks_json_add(hc, r, j);
	acl_blocking_json_add(j, blocking);
	xs = fv_report_html_exchanges(s, s->start_ns, end_ns, fv_now_ns(),
				      timeout_ns);
	for (i = 0; i < argc && len < sizeof(cmd); i++)
		len += snprintf(cmd + len, sizeof(cmd) - len,
				strpbrk(argv[i], " \t'\"$") ? " '%s'" : " %s",
				argv[i]);
	ret = fv_report_html_file(o->report, j, xs, cmd);
	json_decref(xs);
	json_decref(j);
	return ret;
}

int cmd_verify(int argc, char **argv)
{
	struct acl_blocking blocking;
	struct fv_host_checks hc;
	struct observe_opts o;
	struct fv_session *s;
	struct fv_report r;
	uint64_t end_ns, timeout_ns;
	int ret, status, i;
	bool hc_on;

	/* Other machines' agents observe; this process only joins. */
	for (i = 1; i < argc; i++) {
		if (!strcmp(argv[i], "--agent") ||
		    !strncmp(argv[i], "--agent=", 8))
			return fv_remote_verify(argc, argv);
	}
	s = begin(argc, argv, &o, verify_usage, fv_verify_options, false, &ret);
	if (!s)
		return ret;
	timeout_ns = o.reply_timeout * NS_PER_SEC;
	/* The NAT host's own set-up, its counters over the same window
	 * (docs/doctor.md). */
	hc_on = !fv_host_checks_begin_nat(&hc, &o.args.points);
	/* The window runs from ready (the drop tracer may take a while to
	 * load), and judges every exchange since the hooks were attached. */
	end_ns = fv_now_ns() + (uint64_t)(o.duration * NS_PER_SEC);
	ret = poll_until(s, end_ns);
	/* Requests sent in the window get their reply timeout to finish;
	 * nothing new starts. */
	s->accept_until_ns = end_ns;
	if (!ret && !fv_stop_requested)
		ret = poll_until(s, end_ns + timeout_ns);
	if (fv_stop_requested) {
		/* What the kernel saw up to the signal is in the ring: read
		 * it, or counters run ahead of the exchanges. */
		if (!ret && fv_session_poll(s, 0) < 0)
			ret = -EIO;
		end_ns = fv_now_ns();
		if (!ret)
			ret = fv_report_build_interrupted(s, s->start_ns, end_ns,
							  timeout_ns, &r);
	} else if (!ret) {
		ret = fv_report_build(s, s->start_ns, end_ns, timeout_ns, &r);
	}
	if (ret) {
		pcap_close(&o, s);
		fv_session_stop(s);
		free(s);
		acl_set_free(&o.live.set);
		return FV_EXIT_USAGE;
	}
	hint_unwatched(s, &r, &o);
	hc_on = hc_on && !fv_host_checks_end_report(&hc, &r);
	if (o.json) {
		json_t *j = fv_report_json(&r);

		if (hc_on)
			fv_host_checks_json_add(&hc, &r, j);
		acl_explain_with(&r, o.args.acls ? &o.live : NULL, &o.hint,
				 &blocking);
		acl_blocking_json_add(j, &blocking);
		fv_json_write(stdout, j, JSON_INDENT(2));
		json_decref(j);
	} else {
		fv_report_text(stdout, &r);
		acl_explain_with(&r, o.args.acls ? &o.live : NULL, &o.hint,
				 &blocking);
		acl_blocking_text(stdout, &blocking);
		if (hc_on) {
			printf("\nhost checks on the NAT (flowverify doctor):\n");
			fv_host_checks_text(stdout, &hc);
		}
	}
	status = r.verdict.status == FV_STATUS_OK ? FV_EXIT_OK
		 : r.verdict.status == FV_STATUS_INCONCLUSIVE
			 ? FV_EXIT_INCONCLUSIVE
			 : FV_EXIT_FAULT;
	if (o.report && write_report(&o, s, &r, hc_on ? &hc : NULL, &blocking,
				     end_ns, timeout_ns, argc, argv))
		status = FV_EXIT_USAGE;
	/* The evidence asked for is part of the output: lost, exit 2. */
	if (pcap_close(&o, s))
		status = FV_EXIT_USAGE;
	fv_report_free(&r);
	fv_session_stop(s);
	free(s);
	/* Found by valgrind on a full verify run (tests/e2e/faults.sh). */
	acl_set_free(&o.live.set);
	return status;
}

#define WATCH_LATEST 5

/* The newest exchanges judged so far, newest last. */
static void print_latest(struct fv_session *s, const struct fv_report *r, int max)
{
	char line[512];
	int32_t i, shown = 0, from;

	for (i = (int32_t)s->xt.count - 1; i >= 0 && shown < max; i--) {
		const struct fv_exchange *x = fv_xtable_at(&s->xt, i);

		if (!(x->seen & (FV_SEEN(FV_STAGE_C1) | FV_SEEN(FV_STAGE_N1))))
			continue;
		shown++;
	}
	from = i + 1;
	if (!shown)
		return;
	printf("\nlatest exchanges:\n");
	for (i = from; i < (int32_t)s->xt.count; i++) {
		const struct fv_exchange *x = fv_xtable_at(&s->xt, i);

		if (!(x->seen & (FV_SEEN(FV_STAGE_C1) | FV_SEEN(FV_STAGE_N1))))
			continue;
		fv_exchange_line(x, r->now_ns, r->timeout_ns, line, sizeof(line));
		printf("  %s\n", line);
	}
}

/* watch reads the host checks over windows of this length, not every
 * second: the masquerade check lists the whole ruleset. */
#define WATCH_HOST_CHECKS_NS (10 * NS_PER_SEC)

static void draw_watch(struct fv_session *s, const struct fv_report *r,
		       const uint64_t *prev, const struct observe_opts *o,
		       const struct fv_host_checks *hc)
{
	const struct fv_verdict *v = &r->verdict;
	struct acl_blocking blocking;
	char clock[32];
	time_t now = time(NULL);

	strftime(clock, sizeof(clock), "%H:%M:%S", localtime(&now));
	/* Home and clear on a terminal: one frame a second, no curses
	 * needed. Into a pipe, no escape codes: frames one after another. */
	if (o->redraw)
		fputs("\033[H\033[2J", stdout);
	else if (prev)
		fputc('\n', stdout);
	printf("flowverify watch   NTP port %u   window %.0f s   %s%s\n\n",
	       o->args.port, o->window, clock,
	       o->duration ? "" : "   (Ctrl-C to stop)");
	fv_report_diagram(stdout, r, prev);
	printf("\n");
	fv_report_text(stdout, r);
	acl_explain_with(r, o->args.acls ? &o->live : NULL, &o->hint, &blocking);
	acl_blocking_text(stdout, &blocking);
	if (v->status == FV_STATUS_FAULT)
		printf("\nBREAKS AT: %s\n", v->kod ? "the server (Kiss-o'-Death)"
						   : fv_segment_word(v->segment));
	if (hc) {
		printf("\nNAT host checks (over the last %.0f s):\n",
		       fv_seconds(hc->end_ns - hc->start_ns));
		fv_host_checks_text(stdout, hc);
	}
	print_latest(s, r, WATCH_LATEST);
	fv_flush_stdout();
}

/* The last frame stays on screen; say what it could not judge. */
static void watch_interrupted(struct fv_session *s, uint64_t timeout_ns,
			      uint64_t window_ns)
{
	uint64_t now = fv_now_ns(), since;
	struct fv_report r;

	fv_session_poll(s, 0);
	since = now > s->start_ns + window_ns ? now - window_ns : s->start_ns;
	if (fv_report_build_interrupted(s, since, now, timeout_ns, &r))
		return;
	printf("\ninterrupted: %llu exchange%s still within their reply "
	       "timeout %s not judged; last verdict over the window: %s\n",
	       (unsigned long long)r.tally.in_flight,
	       fv_plural(r.tally.in_flight),
	       r.tally.in_flight == 1 ? "was" : "were",
	       fv_status_word(r.verdict.status));
	fflush(stdout);
	fv_report_free(&r);
}

/* watch --json: each second's report as one line (NDJSON). */
static void watch_json(struct fv_report *r, const struct observe_opts *o,
		       const struct fv_host_checks *hc)
{
	struct acl_blocking blocking;
	json_t *j = fv_report_json(r);

	acl_explain_with(r, o->args.acls ? &o->live : NULL, &o->hint, &blocking);
	acl_blocking_json_add(j, &blocking);
	if (hc)
		fv_host_checks_json_add(hc, r, j);
	fv_json_write(stdout, j, JSON_COMPACT);
	json_decref(j);
}

int cmd_watch(int argc, char **argv)
{
	struct observe_opts o;
	struct fv_session *s;
	uint64_t prev[FV_LEG_SLOTS] = {}, timeout_ns, window_ns, stop_at = 0;
	bool have_prev = false, pcap_lost = false, hc_on, hc_have = false;
	int ret, status = FV_EXIT_OK;
	/* Read over one window while the last complete one is shown. */
	static struct fv_host_checks hc, hc_shown;

	s = begin(argc, argv, &o, watch_usage, fv_watch_options, true, &ret);
	if (!s)
		return ret;
	hc_on = !fv_host_checks_begin_nat(&hc, &o.args.points);
	o.redraw = !o.json && isatty(STDOUT_FILENO);
	timeout_ns = o.reply_timeout * NS_PER_SEC;
	window_ns = o.window * NS_PER_SEC;
	if (o.duration)
		stop_at = fv_now_ns() + (uint64_t)(o.duration * NS_PER_SEC);
	while (!fv_stop_requested) {
		uint64_t now = fv_now_ns(), since;
		struct fv_report r;

		ret = poll_until(s, now + NS_PER_SEC);
		if (ret || fv_stop_requested)
			break;
		now = fv_now_ns();
		since = now > s->start_ns + window_ns ? now - window_ns
						      : s->start_ns;
		if (fv_report_build(s, since, now, timeout_ns, &r))
			break;
		hint_unwatched(s, &r, &o);
		if (hc_on && now - hc.start_ns >= WATCH_HOST_CHECKS_NS) {
			/* Ends this window (its causes join this verdict's)
			 * and starts the next. */
			if (!fv_host_checks_end_report(&hc, &r)) {
				hc_shown = hc;
				hc_have = true;
			}
			hc_on = !fv_host_checks_begin_nat(&hc, &o.args.points);
		} else if (hc_have && r.verdict.status == FV_STATUS_FAULT) {
			fv_host_checks_prepend(&hc_shown, r.verdict.explanation,
					       sizeof(r.verdict.explanation));
		}
		if (o.json)
			watch_json(&r, &o, hc_have ? &hc_shown : NULL);
		else
			draw_watch(s, &r, have_prev ? prev : NULL, &o,
				   hc_have ? &hc_shown : NULL);
		fv_report_leg_packets(&r, prev);
		have_prev = true;
		/* --duration ends like verify, by the last verdict. */
		status = r.verdict.status == FV_STATUS_OK ? FV_EXIT_OK
			 : r.verdict.status == FV_STATUS_FAULT ||
					 r.verdict.status == FV_STATUS_NO_TRAFFIC
				 ? FV_EXIT_FAULT
				 : FV_EXIT_INCONCLUSIVE;
		fv_report_free(&r);
		/* A lost output (a full disk, a closed pipe's reader) ends
		 * the watch; main() says so. */
		if (ferror(stdout)) {
			ret = -EIO;
			break;
		}
		if (stop_at && now >= stop_at)
			break;
	}
	if (!ret && fv_stop_requested && !o.json)
		watch_interrupted(s, timeout_ns, window_ns);
	if (pcap_close(&o, s))
		pcap_lost = true;
	fv_session_stop(s);
	free(s);
	acl_set_free(&o.live.set);
	/* A failure is one line: main() says it. */
	if (ret)
		return FV_EXIT_USAGE;
	fv_info("detached");
	if (pcap_lost)
		return FV_EXIT_USAGE;
	return stop_at && !fv_stop_requested ? status : FV_EXIT_OK;
}

/* Print exchanges that are settled (answered, or older than the reply
 * timeout) and not printed yet, oldest first. */
static void trace_settled(struct fv_session *s, uint64_t timeout_ns, bool json,
			  bool flush_all)
{
	uint64_t now = fv_now_ns();
	char line[512];
	uint32_t i;

	for (i = 0; i < s->xt.count; i++) {
		struct fv_exchange *x = fv_xtable_at(&s->xt, i);
		bool settled, cut;

		if (x->reported)
			continue;
		settled = fv_exchange_answered(x) || flush_all ||
			  (x->first_ns <= now && now - x->first_ns >= timeout_ns);
		/* The NAT's own exchanges settle when their reply is in. */
		if (fv_exchange_is_nat_own(x) && (x->seen & FV_SEEN(FV_STAGE_N3)))
			settled = true;
		if (!settled)
			continue;
		x->reported = true;
		/* Cut off by the end of the run, not lost: said as such. */
		cut = flush_all && !fv_exchange_answered(x) &&
		      (x->first_ns > now || now - x->first_ns < timeout_ns);
		if (json) {
			json_t *j = fv_exchange_json(x, now, timeout_ns);

			if (cut)
				json_object_set_new(j, "interrupted",
						    json_true());
			fv_json_write(stdout, j, JSON_COMPACT);
			json_decref(j);
		} else {
			fv_exchange_line(x, now, timeout_ns, line, sizeof(line));
			printf("%s%s\n", line,
			       cut ? "  (stopped before its reply timeout: not "
				     "judged)"
				   : "");
		}
	}
	fv_flush_stdout();
}

int cmd_trace(int argc, char **argv)
{
	struct observe_opts o;
	struct fv_session *s;
	uint64_t timeout_ns, stop_at = 0;
	int ret;

	s = begin(argc, argv, &o, trace_usage, fv_trace_options, true, &ret);
	if (!s)
		return ret;
	timeout_ns = o.reply_timeout * NS_PER_SEC;
	if (o.duration)
		stop_at = fv_now_ns() + (uint64_t)(o.duration * NS_PER_SEC);
	if (!o.json && o.duration)
		fv_info("tracing for %g s; one line per exchange", o.duration);
	else if (!o.json)
		fv_info("tracing; one line per exchange (Ctrl-C to stop)");
	while (!fv_stop_requested) {
		uint64_t now = fv_now_ns();

		ret = poll_until(s, now + NS_PER_SEC / 4);
		if (ret)
			break;
		trace_settled(s, timeout_ns, o.json, false);
		if (ferror(stdout)) {
			ret = -EIO;
			break;
		}
		if (stop_at && fv_now_ns() >= stop_at) {
			/* Give the last requests their reply timeout. */
			s->accept_until_ns = stop_at;
			ret = poll_until(s, stop_at + timeout_ns);
			break;
		}
	}
	if (!ret)
		trace_settled(s, timeout_ns, o.json, true);
	if (pcap_close(&o, s))
		ret = ret ? ret : -EIO;
	fv_session_stop(s);
	free(s);
	return ret ? FV_EXIT_USAGE : FV_EXIT_OK;
}
