// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/* flowverify agent: observe like verify, for as long as it runs, and serve
 * what it sees: /metrics (Prometheus), /api/v1/status (the verify JSON),
 * /healthz. Counters live in pinned maps and survive restarts; once
 * attached, the process drops every capability and serves unprivileged. */
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <grp.h>
#include <malloc.h>
#include <netinet/in.h>
#include <pthread.h>
#include <pwd.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/capability.h>
#include <sys/epoll.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>
#include <bpf/bpf.h>
#include "acl.h"
#include "agent.h"
#include "agent_http.h"
#include "cmd.h"
#include "flowverify.skel.h"
#include "hostcheck.h"
#include "options.h"
#include "pin.h"
#include "report.h"
#include "report_html.h"
#include "util.h"

#define TICK_NS	 NS_PER_SEC  /* settle, persist, render */
#define FILE_MAX (64 * 1024) /* TLS and auth files */

struct agent_opts {
	struct fv_observe_args args; /* points, port, ingress, ACLs */
	double reply_timeout, window;
	const char *listen, *instance, *ready_file, *user;
	const char *tls_cert, *tls_key, *auth_file;
	bool allow_remote, insecure, drops;
	bool nobody_uid; /* switch to FV_NOBODY_ID, there being no user named */
	uint64_t max_conns;
};

struct agent {
	struct agent_opts o;
	struct fv_session *s;
	struct acl_live live;
	pthread_mutex_t lock; /* the session, state and snapshot */
	/* Only metrics and last_tick_ns: /metrics and /healthz never wait
	 * for a report being built under lock. */
	pthread_mutex_t out_lock;
	/* One status answer built at a time, and the last one kept for a
	 * second: clients asking the same thing share it, and the event loop
	 * waits for one builder at most, never a queue of them. */
	pthread_mutex_t status_lock;
	struct {
		char *body;
		size_t len;
		const char *type; /* static strings */
		char query[128];
		uint64_t at_ns;
	} status_cache;
	char pin_dir[128];
	int state_fd;
	struct fv_agent_state st;
	struct fv_agent_state base; /* as adopted: earlier runs */
	char *metrics;		    /* the last rendered exposition */
	uint64_t last_tick_ns;
	double start_time;
	/* The NAT host's set-up, read once at start: with no privilege
	 * left, the agent cannot enter a namespace or list nftables. */
	struct fv_host_checks hc;
	bool hc_on;
};

enum {
	OPT_REPLY_TIMEOUT = FV_OPT_OWN,
	OPT_WINDOW,
	OPT_LISTEN,
	OPT_ALLOW_REMOTE,
	OPT_INSECURE,
	OPT_INSTANCE,
	OPT_READY_FILE,
	OPT_USER,
	OPT_TLS_CERT,
	OPT_TLS_KEY,
	OPT_AUTH_FILE,
	OPT_MAX_CONNS,
	OPT_DROPS,
};

const struct option fv_agent_options[] = {
	FV_OBSERVE_LONG_OPTS,
	{ "reply-timeout", required_argument, NULL, OPT_REPLY_TIMEOUT },
	{ "window", required_argument, NULL, OPT_WINDOW },
	{ "listen", required_argument, NULL, OPT_LISTEN },
	{ "allow-remote", no_argument, NULL, OPT_ALLOW_REMOTE },
	{ "insecure", no_argument, NULL, OPT_INSECURE },
	{ "instance", required_argument, NULL, OPT_INSTANCE },
	{ "ready-file", required_argument, NULL, OPT_READY_FILE },
	{ "user", required_argument, NULL, OPT_USER },
	{ "tls-cert", required_argument, NULL, OPT_TLS_CERT },
	{ "tls-key", required_argument, NULL, OPT_TLS_KEY },
	{ "basic-auth-file", required_argument, NULL, OPT_AUTH_FILE },
	{ "max-connections", required_argument, NULL, OPT_MAX_CONNS },
	{ "drops", required_argument, NULL, OPT_DROPS },
	{ "verbose", no_argument, NULL, 'v' },
	{ "help", no_argument, NULL, 'h' },
	{},
};

static const char usage[] =
	"Usage: flowverify agent --nat [NETNS:]IFACE[,IFACE] [--client [NETNS:]IFACE]...\n"
	"                        [--listen ADDR:PORT [--allow-remote [--insecure]]]\n"
	"                        [--instance NAME]\n"
	"                        [--window S] [--port N] [--reply-timeout S] [--drops on|off]\n"
	"                        [--tls-cert FILE --tls-key FILE] [--basic-auth-file FILE]\n"
	"                        [--max-connections N] [--user NAME] [--ready-file PATH]\n"
	"                        [--acls FILE [--public ID] [--private ID]]\n"
	"\n"
	"Observe NTP like verify, until SIGTERM, and serve over HTTP:\n"
	"  /metrics          Prometheus metrics (legs, exchanges, latency, verdict)\n"
	"  /api/v1/status    the JSON object of 'verify --json', since the agent started;\n"
	"                    ?window=S for the last S seconds, ?exchanges=N adds the N\n"
	"                    newest exchanges by cookie ('verify --agent' joins them)\n"
	"  /report           the verdict as one self-contained HTML page, as verify\n"
	"                    --report writes it; ?window=S as for /api/v1/status\n"
	"  /healthz          200 while the agent's loop runs\n"
	"\n"
	"  --ingress HOOK      as for verify: tc (default), xdp (native only) or\n"
	"                      xdp-generic\n"
	"  --xdp-reset-ok      as for verify: with --ingress xdp, accept an ena restart\n"
	"  --nat, --client     as for verify; an agent on a client host may give only\n"
	"                      --client\n"
	"  --listen ADDR:PORT  default " FV_AGENT_LISTEN_DEFAULT
	"; an address other than\n"
	"                      loopback needs --allow-remote, and then TLS and basic\n"
	"                      auth, or --insecure\n"
	"  --insecure          with --allow-remote: serve without TLS or auth; every\n"
	"                      host that reaches the port reads client addresses,\n"
	"                      NAT mappings, interface names and ACL rows\n"
	"  --instance NAME     pins under " FV_PIN_ROOT
	"/NAME (default " FV_INSTANCE_DEFAULT ");\n"
	"                      a restart with the same points continues the counters\n"
	"  --window S          the verdict gauges judge the last S seconds (default 60)\n"
	"  --drops on|off      record kernel drop reasons of our packets (default on)\n"
	"  --tls-cert, --tls-key  serve HTTPS with this PEM certificate and key\n"
	"  --basic-auth-file F    require HTTP basic auth; F holds 'user:password'\n"
	"                      and must not be readable by group or others\n"
	"  --max-connections N at most N connections at once (default 64)\n"
	"  --user NAME         the user to switch to after attaching (default\n"
	"                      " FV_AGENT_USER
	" if it exists, else nobody; root only\n"
	"                      when named, with a warning)\n"
	"  --ready-file PATH   create PATH, with the pid, once serving\n"
	"  --port N, --reply-timeout S, --acls FILE, --public ID, --private ID\n"
	"                      as for verify\n"
	"  -v, --verbose       libbpf and command diagnostics on stderr\n"
	"\n"
	"After attaching, the agent drops every capability (and the bounding set)\n"
	"and serves HTTP unprivileged. 'flowverify cleanup' removes its pins.\n"
	"\n"
	"Exit status: 0 on SIGTERM, 2 bad input or setup error, 3 a watched interface\n"
	"went away (deleted or re-created): restarted (systemd does), it watches the\n"
	"new one and its counters continue.\n"
	"\n"
	"Examples:\n"
	"  flowverify agent --nat eth0\n"
	"  flowverify agent --nat fv-nat:eth0 --client fv-client:eth0 --listen 127.0.0.1:9123\n";

static int parse_opts(int argc, char **argv, struct agent_opts *o)
{
	int opt, ret;

	memset(o, 0, sizeof(*o));
	fv_observe_args_init(&o->args);
	o->reply_timeout = 1;
	o->window = 60;
	o->listen = FV_AGENT_LISTEN_DEFAULT;
	o->instance = FV_INSTANCE_DEFAULT;
	o->drops = true;
	o->max_conns = FV_HTTP_MAX_CONNS;
	optind = 1;
	opterr = 0;
	while ((opt = getopt_long(argc, argv, "+vh", fv_agent_options, NULL)) !=
	       -1) {
		ret = fv_observe_option(&o->args, fv_agent_options, opt, optarg);
		if (ret < 0)
			return ret;
		if (!ret)
			continue;
		switch (opt) {
		case OPT_REPLY_TIMEOUT:
		case OPT_WINDOW:
			if (fv_parse_seconds(optarg, FV_MAX_SECONDS,
					     opt == OPT_WINDOW
						     ? &o->window
						     : &o->reply_timeout)) {
				fv_err("bad --%s '%s': expected seconds in 0..%.0f "
				       "(more than 0), e.g. 60 or 0.5",
				       opt == OPT_WINDOW ? "window"
							 : "reply-timeout",
				       optarg, FV_MAX_SECONDS);
				return -EINVAL;
			}
			break;
		case OPT_MAX_CONNS:
			if (fv_parse_u64(optarg, 1, 4096, &o->max_conns)) {
				fv_err("bad --max-connections '%s': expected 1-4096",
				       optarg);
				return -EINVAL;
			}
			break;
		case OPT_DROPS:
			if (strcmp(optarg, "on") && strcmp(optarg, "off")) {
				fv_err("bad --drops '%s': expected on or off (the agent cannot "
				       "attach later: it drops its privileges)",
				       optarg);
				return -EINVAL;
			}
			o->drops = !strcmp(optarg, "on");
			break;
		case OPT_LISTEN: o->listen = optarg; break;
		case OPT_ALLOW_REMOTE: o->allow_remote = true; break;
		case OPT_INSECURE: o->insecure = true; break;
		case OPT_INSTANCE: o->instance = optarg; break;
		case OPT_READY_FILE: o->ready_file = optarg; break;
		case OPT_USER: o->user = optarg; break;
		case OPT_TLS_CERT: o->tls_cert = optarg; break;
		case OPT_TLS_KEY: o->tls_key = optarg; break;
		case OPT_AUTH_FILE: o->auth_file = optarg; break;
		default:
			ret = fv_opt_common(opt, argc, argv, "agent", usage);
			if (ret)
				return ret;
		}
	}
	if (fv_extra_argument(argc, argv, "agent"))
		return -EINVAL;
	if (fv_observe_finish(&o->args, false))
		return -EINVAL;
	if (!!o->tls_cert != !!o->tls_key) {
		fv_err("--tls-cert and --tls-key go together");
		return -EINVAL;
	}
	/* Not root after attaching, unless asked: uid 0 without capabilities
	 * still owns every root file. Already someone else: stay so. */
	if (!o->user && !geteuid()) {
		o->user = getpwnam(FV_AGENT_USER) ? FV_AGENT_USER
			  : getpwnam("nobody")	  ? "nobody"
						  : NULL;
		/* No user database (a chroot): nobody's usual number. */
		o->nobody_uid = !o->user;
	}
	/* Before anything is attached or pinned: a bad --user left the
	 * pins of a failed start behind (tests/e2e/bad_input.sh). */
	if (o->user && !getpwnam(o->user)) {
		fv_err("no user '%s'", o->user);
		return -EINVAL;
	}
	if (o->user && !getpwnam(o->user)->pw_uid) {
		fv_warn("--user %s: the agent keeps uid 0 after attaching; without "
			"capabilities, but able to write every file root owns",
			o->user);
		o->user = NULL;
	}
	return 0;
}

int fv_agent_parse_listen(const char *s, struct sockaddr_storage *ss,
			  unsigned int *sslen, bool *loopback)
{
	char host[INET6_ADDRSTRLEN + 2];
	const char *colon = strrchr(s, ':');
	bool bracketed;
	size_t hlen;
	uint64_t port;

	memset(ss, 0, sizeof(*ss));
	if (!colon || colon == s || fv_parse_u64(colon + 1, 1, 65535, &port))
		return -EINVAL;
	hlen = colon - s;
	bracketed = s[0] == '[';
	if (bracketed) {
		if (hlen < 3 || s[hlen - 1] != ']')
			return -EINVAL;
		s++;
		hlen -= 2;
	}
	if (hlen >= sizeof(host))
		return -EINVAL;
	memcpy(host, s, hlen);
	host[hlen] = '\0';
	/* "::1:9123" is ambiguous: IPv6 needs its brackets. */
	if (!bracketed && strchr(host, ':'))
		return -EINVAL;
	if (!bracketed) {
		struct sockaddr_in *in = (struct sockaddr_in *)ss;

		if (inet_pton(AF_INET, host, &in->sin_addr) == 1) {
			in->sin_family = AF_INET;
			in->sin_port = htons(port);
			*sslen = sizeof(*in);
			*loopback = (ntohl(in->sin_addr.s_addr) >> 24) == 127;
			return 0;
		}
	}
	{
		struct sockaddr_in6 *in6 = (struct sockaddr_in6 *)ss;

		if (inet_pton(AF_INET6, host, &in6->sin6_addr) != 1)
			return -EINVAL;
		in6->sin6_family = AF_INET6;
		in6->sin6_port = htons(port);
		*sslen = sizeof(*in6);
		*loopback = IN6_IS_ADDR_LOOPBACK(&in6->sin6_addr) ||
			    (IN6_IS_ADDR_V4MAPPED(&in6->sin6_addr) &&
			     in6->sin6_addr.s6_addr[12] == 127);
	}
	return 0;
}

/* A whole small file, NUL-terminated; secret files must be private. */
static char *read_file(const char *path, bool secret, int *err)
{
	struct stat sb;
	char *buf;
	ssize_t n;
	int fd;

	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0) {
		*err = -errno;
		return NULL;
	}
	if (fstat(fd, &sb) || sb.st_size > FILE_MAX ||
	    (secret && (sb.st_mode & 077))) {
		*err = sb.st_size > FILE_MAX ? -EFBIG : -EACCES;
		close(fd);
		return NULL;
	}
	buf = calloc(1, sb.st_size + 1);
	if (!buf) {
		*err = -ENOMEM;
		close(fd);
		return NULL;
	}
	n = read(fd, buf, sb.st_size);
	close(fd);
	if (n != sb.st_size) {
		*err = -EIO;
		free(buf);
		return NULL;
	}
	return buf;
}

int fv_agent_read_basic_auth(const char *path, char *user, size_t ulen,
			     char *pass, size_t plen)
{
	char *buf, *colon, *nl;
	int err = 0;

	buf = read_file(path, true, &err);
	if (!buf)
		return err;
	nl = strpbrk(buf, "\r\n");
	if (nl)
		*nl = '\0';
	colon = strchr(buf, ':');
	if (!colon || colon == buf || !colon[1] ||
	    (size_t)(colon - buf) >= ulen || strlen(colon + 1) >= plen) {
		free(buf);
		return -EINVAL;
	}
	*colon = '\0';
	snprintf(user, ulen, "%s", buf);
	snprintf(pass, plen, "%s", colon + 1);
	explicit_bzero(buf, strlen(colon + 1) + (colon - buf) + 1);
	free(buf);
	return 0;
}

/* "port=123 nat=fv-nat:eth0 client=fv-client:eth0": what the pins count. */
static void make_spec(const struct agent_opts *o, char *buf, size_t len)
{
	size_t off;
	int i, j;

	off = snprintf(buf, len, "port=%u", o->args.port);
	for (i = 0; i < o->args.points.n && off < len; i++) {
		const struct fv_host *h = &o->args.points.hosts[i];

		off += snprintf(buf + off, len - off, " %s=%s%s",
				fv_role_name(h->role), h->netns,
				*h->netns ? ":" : "");
		for (j = 0; j < h->n_ifaces && off < len; j++)
			off += snprintf(buf + off, len - off, "%s%s",
					j ? "," : "", h->ifname[j]);
	}
}

static bool is_old(const struct fv_exchange *x, uint64_t now, uint64_t timeout)
{
	return x->first_ns <= now && now - x->first_ns >= timeout;
}

static void observe_latency(struct fv_agent_state *st,
			    const struct fv_exchange *x)
{
	uint64_t end = (x->seen & FV_SEEN(FV_STAGE_C4))
			       ? x->seen_ns[FV_STAGE_C4]
			       : x->seen_ns[FV_STAGE_N4];
	double sec;
	int k;

	if (end < x->first_ns)
		return;
	sec = fv_seconds(end - x->first_ns);
	for (k = 0; k < FV_AGENT_LAT_BUCKETS && sec > fv_agent_lat_bounds[k]; k++)
		;
	st->lat_buckets[k]++;
	st->lat_sum_ns += end - x->first_ns;
}

/* Count each exchange once, when it settles: answered, or lost once older
 * than the reply timeout. The same rules as fv_xtable_tally. */
static void settle(struct agent *a, uint64_t now)
{
	struct fv_xtable *xt = &a->s->xt;
	uint64_t timeout = a->s->reply_timeout_ns;
	uint32_t from_client = FV_SEEN(FV_STAGE_C1) | FV_SEEN(FV_STAGE_N1);
	uint32_t i;

	for (i = 0; i < xt->count; i++) {
		struct fv_exchange *x = fv_xtable_at(xt, i);
		enum fv_segment seg;

		if (x->reported)
			continue;
		if (fv_exchange_is_nat_own(x) || !(x->seen & from_client)) {
			/* Not judged: the NAT's own, or replies with no request. */
			if (is_old(x, now, timeout))
				x->reported = true;
			continue;
		}
		if (x->ambiguous) {
			a->st.exchanges[FV_OUT_AMBIGUOUS]++;
			x->reported = true;
		} else if (fv_exchange_answered(x)) {
			a->st.exchanges[x->kod ? FV_OUT_KOD : FV_OUT_ANSWERED]++;
			observe_latency(&a->st, x);
			x->reported = true;
		} else if (is_old(x, now, timeout)) {
			seg = fv_exchange_stopped_at(x);
			if (seg != FV_SEG_NONE) {
				a->st.lost[seg]++;
				a->st.exchanges[FV_OUT_LOST]++;
			}
			x->reported = true;
		}
	}
}

/* Kernel drops of this run on top of those of earlier runs. */
static void merge_drops(struct agent *a, const struct fv_report *r)
{
	struct fv_agent_state *st = &a->st;
	int i, k;

	memcpy(st->drops, a->base.drops, sizeof(st->drops));
	st->n_drops = a->base.n_drops;
	st->drops_unkept = a->base.drops_unkept;
	for (i = 0; i < r->n_drops; i++) {
		const struct fv_drop_row *d = &r->drops[i];
		int p = r->drop_point[i];
		uint32_t role = p >= 0 ? a->s->points[p].host.role : FV_ROLE_NAT;

		for (k = 0; k < (int)st->n_drops; k++) {
			if (st->drops[k].role == role &&
			    st->drops[k].leg == (uint32_t)r->drop_leg[i] &&
			    !strncmp(st->drops[k].reason, d->reason_name,
				     FV_AGENT_REASON_LEN - 1))
				break;
		}
		if (k == (int)st->n_drops) {
			if (k == FV_AGENT_DROPS_MAX) {
				st->drops_unkept += d->count;
				continue;
			}
			snprintf(st->drops[k].reason, FV_AGENT_REASON_LEN, "%s",
				 d->reason_name);
			st->drops[k].role = role;
			st->drops[k].leg = r->drop_leg[i];
			st->drops[k].count = 0;
			st->n_drops++;
		}
		st->drops[k].count += d->count;
	}
}

/* Once a second, under the lock: settle exchanges, persist the state,
 * then render /metrics from what was persisted, so no value served can
 * exceed what a restart continues from. */
static void tick(struct agent *a, uint64_t now)
{
	struct fv_agent_view v = { 0 };
	struct fv_session *s = a->s;
	uint64_t win = a->o.window * NS_PER_SEC;
	struct fv_report r;
	char *m;
	int i, k, ret;

	pthread_mutex_lock(&a->out_lock);
	a->last_tick_ns = now;
	pthread_mutex_unlock(&a->out_lock);
	settle(a, now);
	a->st.events = a->base.events + s->events;
	a->st.unmatched_replies =
		a->base.unmatched_replies + s->unmatched_replies;
	a->st.zero_cookies = a->base.zero_cookies + s->zero_cookies;
	if (fv_report_build(s, now > s->start_ns + win ? now - win : s->start_ns,
			    now, s->reply_timeout_ns, &r))
		return;
	merge_drops(a, &r);
	ret = fv_pin_state_write(a->state_fd, &a->st);
	if (ret)
		fv_warn("cannot write the agent's state: %s", strerror(-ret));
	v.st = &a->st;
	v.version = FV_VERSION;
	v.start_time = a->start_time;
	v.window_seconds = a->o.window;
	v.in_flight = r.tally.in_flight;
	v.drop_tracer = s->drops != NULL;
	v.verdict = &r.verdict;
	for (i = 0; i < s->n_points; i++) {
		enum fv_role role = s->points[i].host.role;

		v.have_role[role] = true;
		for (k = 0; k < FV_STAT_MAX; k++)
			v.stats[role][k] += r.stats[i][k];
	}
	for (i = 0; i < r.n_rows; i++) {
		const struct fv_flow_row *row = &r.rows[i];
		enum fv_role role = s->points[row->point].host.role;

		/* Every packet on the leg, the NAT's own too: a flow never
		 * moves between legs, so the counters only go up. */
		if (row->leg >= FV_LEG_1 && row->leg <= FV_LEG_4) {
			v.leg_packets[role][row->leg] += row->val.packets;
			v.leg_bytes[role][row->leg] += row->val.bytes;
		} else if (row->leg == FV_LEG_UNTRANSLATED) {
			v.untranslated_packets += row->val.packets;
		}
	}
	m = fv_agent_metrics(&v);
	fv_report_free(&r);
	if (m) {
		pthread_mutex_lock(&a->out_lock);
		free(a->metrics);
		a->metrics = m;
		pthread_mutex_unlock(&a->out_lock);
	}
}

/* The newest max exchanges first seen in [since, now] and before
 * *before (0: none), for joining views of several agents by cookie; at
 * most FV_EXCHANGES_PAGE: *before is then where the next page starts,
 * else 0. */
static json_t *exchanges_detail(struct fv_session *s, uint64_t since,
				uint64_t now, uint64_t max, uint64_t *before)
{
	json_t *a = json_array();
	uint64_t limit = *before ? *before : now + 1;
	int32_t i;
	int k;

	*before = 0;
	for (i = (int32_t)s->xt.count - 1; i >= 0 && json_array_size(a) < max;
	     i--) {
		const struct fv_exchange *x = fv_xtable_at(&s->xt, i);
		json_t *j, *stages;

		if (x->first_ns < since || x->first_ns > now ||
		    x->first_ns >= limit)
			continue;
		if (json_array_size(a) == FV_EXCHANGES_PAGE) {
			*before = limit; /* one more: a next page */
			break;
		}
		limit = x->first_ns;
		j = fv_exchange_json(x, now, s->reply_timeout_ns);
		stages = json_array();
		for (k = 0; k < FV_STAGE_MAX; k++) {
			if (x->seen & FV_SEEN(k))
				json_array_append_new(
					stages, json_string(fv_stage_word(k)));
		}
		json_object_set_new(j, "stages", stages);
		json_object_set_new(j, "age_seconds",
				    json_real(fv_seconds(now - x->first_ns)));
		json_object_set_new(j, "ambiguous", json_boolean(x->ambiguous));
		json_array_append_new(a, j);
	}
	return a;
}

static void reply_text(struct fv_http_reply *rep, int status, const char *text)
{
	rep->status = status;
	rep->type = "text/plain; charset=utf-8";
	rep->body = strdup(text);
	rep->len = rep->body ? strlen(rep->body) : 0;
}

static void reply_json(struct fv_http_reply *rep, char *body)
{
	rep->body = body;
	rep->status = 200;
	rep->type = "application/json";
	rep->len = rep->body ? strlen(rep->body) : 0;
	if (rep->body && (!rep->len || rep->body[rep->len - 1] != '\n')) {
		/* A newline, as verify prints; json_dumps leaves room for none. */
		char *grown = realloc(rep->body, rep->len + 2);

		if (grown) {
			rep->body = grown;
			rep->body[rep->len++] = '\n';
			rep->body[rep->len] = '\0';
		}
	}
}

/* Under a->lock: the verify JSON of the last window seconds (all since
 * the start when 0), with the ACL rows and host checks; NULL when the
 * counters cannot be read. */
static json_t *window_json(struct agent *a, double window, uint64_t *now,
			   uint64_t *since)
{
	struct acl_blocking blocking;
	struct fv_session *s = a->s;
	struct fv_report r;
	json_t *j;

	*now = fv_now_ns();
	*since = s->start_ns;
	if (window && *now > s->start_ns + (uint64_t)(window * NS_PER_SEC))
		*since = *now - (uint64_t)(window * NS_PER_SEC);
	if (fv_report_build(s, *since, *now, s->reply_timeout_ns, &r))
		return NULL;
	j = fv_report_json(&r);
	acl_explain(&r, a->o.args.acls ? &a->live : NULL, &blocking);
	acl_blocking_json_add(j, &blocking);
	json_object_set_new(j, "host_checks",
			    a->hc_on ? fv_host_checks_json(&a->hc)
				     : json_array());
	fv_report_free(&r);
	return j;
}

static void route_status(struct agent *a, const struct fv_http_args *args,
			 struct fv_http_reply *rep)
{
	struct fv_session *s = a->s;
	uint64_t now, since, max_x = 0, before = 0;
	double window = 0;
	json_t *j;

	if (args->window &&
	    fv_parse_seconds(args->window, FV_MAX_SECONDS, &window)) {
		reply_text(rep, 400,
			   "bad window: expected seconds in 0..604800 (more than 0)\n");
		return;
	}
	if (args->exchanges &&
	    fv_parse_u64(args->exchanges, 1, FV_XTABLE_CAPACITY, &max_x)) {
		reply_text(rep, 400, "bad exchanges: expected 1-65536\n");
		return;
	}
	if (args->before && fv_parse_u64(args->before, 1, UINT64_MAX, &before)) {
		reply_text(rep, 400, "bad before: expected an exchanges_next\n");
		return;
	}
	pthread_mutex_lock(&a->lock);
	j = window_json(a, window, &now, &since);
	if (!j) {
		pthread_mutex_unlock(&a->lock);
		reply_text(rep, 500, "cannot read the counters\n");
		return;
	}
	json_object_set_new(j, "host_checks_read", json_string("at agent start"));
	json_object_set_new(j, "agent",
			    json_pack("{s:s, s:i, s:s, s:s, s:f, s:I}",
				      "version", FV_VERSION, "api",
				      FV_AGENT_API, "instance", a->o.instance,
				      "spec", a->st.spec, "uptime_seconds",
				      fv_seconds(now - s->start_ns), "starts",
				      (json_int_t)a->st.starts));
	if (max_x) {
		json_object_set_new(j, "exchanges_detail",
				    exchanges_detail(s, since, now, max_x,
						     &before));
		/* The page's end: ?before=this&exchanges=the rest. */
		if (before)
			json_object_set_new(
				j, "exchanges_next",
				json_sprintf("%llu", (unsigned long long)before));
	}
	pthread_mutex_unlock(&a->lock);
	reply_json(rep, fv_json_text(j, JSON_COMPACT));
	json_decref(j);
}

/* /report: the page verify --report writes, over the agent's window. */
static void route_report(struct agent *a, const struct fv_http_args *args,
			 struct fv_http_reply *rep)
{
	struct fv_session *s = a->s;
	uint64_t now, since;
	double window = 0;
	char cmd[160];
	json_t *j, *xs;
	size_t len = 0;
	FILE *f;

	if (args->window &&
	    fv_parse_seconds(args->window, FV_MAX_SECONDS, &window)) {
		reply_text(rep, 400, "bad window: expected seconds > 0\n");
		return;
	}
	pthread_mutex_lock(&a->lock);
	j = window_json(a, window, &now, &since);
	if (!j) {
		pthread_mutex_unlock(&a->lock);
		reply_text(rep, 500, "cannot read the counters\n");
		return;
	}
	xs = fv_report_html_exchanges(s, since, now, now, s->reply_timeout_ns);
	pthread_mutex_unlock(&a->lock);
	snprintf(cmd, sizeof(cmd),
		 "GET /report%s%s from flowverify agent --instance %s",
		 args->window ? "?window=" : "", args->window ?: "",
		 a->o.instance);
	f = open_memstream(&rep->body, &len);
	if (f) {
		fv_report_html(f, j, xs, cmd);
		fclose(f);
	}
	json_decref(xs);
	json_decref(j);
	rep->status = 200;
	rep->type = "text/html; charset=utf-8";
	rep->len = rep->body ? len : 0;
}

/* The reports (/api/v1/status, /report): built one at a time, and the
 * last answer kept for a second for whoever asks the same. */
static void route_cached(struct agent *a, const char *path,
			 const struct fv_http_args *args,
			 struct fv_http_reply *rep,
			 void (*build)(struct agent *, const struct fv_http_args *,
				       struct fv_http_reply *))
{
	char query[sizeof(a->status_cache.query)];
	/* A query too long for the key is never cached. */
	bool keyed = snprintf(query, sizeof(query), "%s|%s|%s|%s", path,
			      args->window ?: "", args->exchanges ?: "",
			      args->before ?: "") < (int)sizeof(query);
	char *body;

	pthread_mutex_lock(&a->status_lock);
	if (keyed && a->status_cache.body &&
	    !strcmp(query, a->status_cache.query) &&
	    fv_now_ns() - a->status_cache.at_ns < TICK_NS) {
		body = malloc(a->status_cache.len + 1);
		if (body)
			memcpy(body, a->status_cache.body,
			       a->status_cache.len + 1);
		rep->body = body;
		rep->len = body ? a->status_cache.len : 0;
		rep->status = 200;
		rep->type = a->status_cache.type;
	} else {
		build(a, args, rep);
		body = keyed && rep->status == 200 && rep->body
			       ? malloc(rep->len + 1)
			       : NULL;
		if (body) {
			memcpy(body, rep->body, rep->len);
			body[rep->len] = '\0';
			free(a->status_cache.body);
			a->status_cache.body = body;
			a->status_cache.len = rep->len;
			a->status_cache.type = rep->type;
			snprintf(a->status_cache.query,
				 sizeof(a->status_cache.query), "%s", query);
			a->status_cache.at_ns = fv_now_ns();
		}
	}
	pthread_mutex_unlock(&a->status_lock);
}

static void route(void *ctx, const char *path, const struct fv_http_args *args,
		  struct fv_http_reply *rep)
{
	struct agent *a = ctx;

	if (!strcmp(path, "/metrics")) {
		pthread_mutex_lock(&a->out_lock);
		rep->body = a->metrics ? strdup(a->metrics) : NULL;
		pthread_mutex_unlock(&a->out_lock);
		rep->status = 200;
		rep->type = "text/plain; version=0.0.4; charset=utf-8";
		rep->len = rep->body ? strlen(rep->body) : 0;
	} else if (!strcmp(path, "/api/v1/status")) {
		route_cached(a, path, args, rep, route_status);
	} else if (!strcmp(path, "/report")) {
		route_cached(a, path, args, rep, route_report);
	} else if (!strcmp(path, "/healthz")) {
		uint64_t last;

		pthread_mutex_lock(&a->out_lock);
		last = a->last_tick_ns;
		pthread_mutex_unlock(&a->out_lock);
		/* The loop ticks every second; a stall is not healthy. */
		if (fv_now_ns() - last > 5 * NS_PER_SEC)
			reply_text(rep, 503, "stalled\n");
		else
			reply_text(rep, 200, "ok\n");
	} else if (!strcmp(path, "/")) {
		reply_text(rep, 200,
			   "flowverify agent: /metrics /api/v1/status /report /healthz\n");
	} else {
		reply_text(rep, 404, "not found\n");
	}
}

static bool slow_route(const char *path)
{
	return !strcmp(path, "/api/v1/status") || !strcmp(path, "/report");
}

/* The session's hook before each point loads: its counter maps pinned in
 * the instance's folder, so they outlive this process. */
static int pin_point_maps(struct flowverify *skel, int point, void *pin_dir,
			  char *err, size_t errlen)
{
	return fv_pin_point_maps(skel, pin_dir, point, err, errlen);
}

static int listen_socket(const struct agent_opts *o)
{
	struct sockaddr_storage ss;
	unsigned int sslen;
	bool loopback;
	int fd, one = 1;

	if (fv_agent_parse_listen(o->listen, &ss, &sslen, &loopback)) {
		fv_err("bad --listen '%s': expected ADDRESS:PORT, e.g. 127.0.0.1:9123 "
		       "or [::1]:9123",
		       o->listen);
		return -EINVAL;
	}
	if (!loopback && !o->allow_remote) {
		fv_err("--listen %s is reachable from other hosts; add --allow-remote "
		       "to mean it (and consider --tls-cert and --basic-auth-file)",
		       o->listen);
		return -EINVAL;
	}
	/* What the status carries: client addresses and ports, the NAT's
	 * mappings, interface names, ACL rows. */
	if (!loopback && (!o->tls_cert || !o->auth_file)) {
		if (!o->insecure) {
			fv_err("--listen %s with --allow-remote needs --tls-cert, "
			       "--tls-key and --basic-auth-file (or --insecure to "
			       "serve it as it is)",
			       o->listen);
			return -EINVAL;
		}
		fv_warn("--insecure: every host that reaches %s reads NTP client "
			"addresses and ports, the NAT's mappings, interface names "
			"and ACL rows%s%s",
			o->listen, o->tls_cert ? "" : ", in plain text",
			o->auth_file ? "" : ", without a password");
	}
	if (o->auth_file && !o->tls_cert)
		fv_warn("--basic-auth-file without --tls-cert: the password "
			"crosses the network in the clear");
	fd = socket(ss.ss_family, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (fd < 0) {
		fd = -errno; /* before fv_err changes it */
		fv_err("cannot create a socket: %s", strerror(-fd));
		return fd;
	}
	setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
	if (ss.ss_family == AF_INET6)
		setsockopt(fd, IPPROTO_IPV6, IPV6_V6ONLY, &one, sizeof(one));
	if (bind(fd, (struct sockaddr *)&ss, sslen) || listen(fd, 64)) {
		fv_err("cannot listen on %s: %s", o->listen, strerror(errno));
		close(fd);
		return -EADDRINUSE;
	}
	return fd;
}

/* Everything privileged is done: keep no capability, in any set, and
 * never gain one again. Before any thread starts (capabilities are per
 * thread). */
/* Before 6.5 a kernel with kernel.unprivileged_bpf_disabled set (Debian's
 * and Amazon Linux's default) refuses every bpf() call without CAP_BPF,
 * even on a map we hold open. Asked of the kernel, not of its version: a
 * child with no capability reads one of our maps. */
static bool bpf_needs_cap(int map_fd)
{
	uint32_t key = 0;
	int status;
	pid_t pid;

	fflush(NULL);
	pid = fork();
	if (pid < 0)
		return true; /* cannot tell: keep what reading needs */
	if (pid == 0) {
		cap_t none = cap_init();
		void *val = calloc(libbpf_num_possible_cpus(), 8);

		if (!none || !val || cap_set_proc(none))
			_exit(2);
		_exit(bpf_map_lookup_elem(map_fd, &key, val) && errno == EPERM);
	}
	while (waitpid(pid, &status, 0) < 0 && errno == EINTR)
		;
	return !WIFEXITED(status) || WEXITSTATUS(status) != 0;
}

static int drop_privileges(const char *user, bool nobody_uid, bool keep_bpf)
{
	const cap_value_t bpf_cap[] = { CAP_BPF };
	struct passwd *pw = NULL;
	cap_t none;
	int c, ret;

	if (user) {
		pw = getpwnam(user);
		if (!pw) {
			fv_err("no user '%s'", user);
			return -EINVAL;
		}
	}
	/* The bounding set needs CAP_SETPCAP; under a unit that withholds it
	 * the bounding set is already the unit's. */
	for (c = 0; c <= (int)cap_max_bits() - 1; c++) {
		if (keep_bpf && c == CAP_BPF)
			continue;
		if (cap_drop_bound(c) && errno != EINVAL && fv_verbose)
			fv_warn("cannot drop capability %d from the "
				"bounding set: %s",
				c, strerror(errno));
	}
	cap_reset_ambient();
	/* Kept through the change of user only when asked for. */
	if (keep_bpf)
		prctl(PR_SET_KEEPCAPS, 1, 0, 0, 0);
	/* errno saved first: fv_err and cap_free may change it. */
	if ((pw || nobody_uid) &&
	    (setgroups(0, NULL) || setgid(pw ? pw->pw_gid : FV_NOBODY_ID) ||
	     setuid(pw ? pw->pw_uid : FV_NOBODY_ID))) {
		ret = -errno;
		fv_err("cannot switch to user '%s': %s", user ? user : "65534",
		       strerror(-ret));
		return ret;
	}
	none = cap_init();
	if (!none)
		return -ENOMEM;
	if (keep_bpf && (cap_set_flag(none, CAP_EFFECTIVE, 1, bpf_cap, CAP_SET) ||
			 cap_set_flag(none, CAP_PERMITTED, 1, bpf_cap, CAP_SET)))
		ret = -errno;
	else
		ret = cap_set_proc(none) ? -errno : 0;
	cap_free(none);
	if (ret) {
		fv_err("cannot drop capabilities: %s", strerror(-ret));
		return ret;
	}
	if (prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0)) {
		ret = -errno;
		fv_err("cannot set no_new_privs: %s", strerror(-ret));
		return ret;
	}
	return 0;
}

static int serve(struct agent *a, struct fv_http_conf *hc)
{
	struct epoll_event ev;
	struct fv_http *http;
	sigset_t block, old;
	char err[256];
	int epfd, gone = 0;

	/* The HTTP thread inherits a mask without them: signals reach us. */
	sigemptyset(&block);
	sigaddset(&block, SIGINT);
	sigaddset(&block, SIGTERM);
	pthread_sigmask(SIG_BLOCK, &block, &old);
	http = fv_http_start(hc, err, sizeof(err));
	pthread_sigmask(SIG_SETMASK, &old, NULL);
	if (!http) {
		fv_err("%s", err);
		return -EINVAL;
	}
	epfd = ring_buffer__epoll_fd(a->s->rb);
	while (!fv_stop_requested) {
		uint64_t now;

		/* Wait for events outside the lock; join them inside it. */
		epoll_wait(epfd, &ev, 1, 200);
		pthread_mutex_lock(&a->lock);
		fv_session_poll(a->s, 0);
		now = fv_now_ns();
		if (now - a->last_tick_ns >= TICK_NS)
			tick(a, now);
		gone = a->s->ifaces_gone;
		pthread_mutex_unlock(&a->lock);
		/* Without privileges it cannot attach to the new interface:
		 * a restart (systemd's Restart=on-failure) does, and the
		 * pinned counters carry on. */
		if (gone) {
			fv_err("a watched interface went away; exiting (status %d) so "
			       "that a restart watches its successor",
			       FV_EXIT_IFACE_GONE);
			break;
		}
	}
	fv_http_stop(http);
	return gone ? FV_EXIT_IFACE_GONE : 0;
}

int cmd_agent(int argc, char **argv)
{
	char spec[FV_AGENT_SPEC_LEN], err[512], user[128] = "", pass[256] = "";
	struct fv_http_conf hc = { .listen_fd = -1 };
	struct agent *a;
	bool mounted, adopted, keep_bpf;
	int ret, status = FV_EXIT_USAGE;

	a = calloc(1, sizeof(*a));
	if (!a) {
		fv_err("out of memory");
		return FV_EXIT_USAGE;
	}
	a->state_fd = -1;
	/* Few malloc arenas: each HTTP thread would keep its own, with the
	 * peak of the answers it built. */
	mallopt(M_ARENA_MAX, 2);
	ret = parse_opts(argc, argv, &a->o);
	if (ret) {
		free(a);
		return ret > 0 ? FV_EXIT_OK : FV_EXIT_USAGE;
	}
	fv_catch_stop_signals();
	signal(SIGPIPE, SIG_IGN);
	if (fv_pin_dir(a->o.instance, a->pin_dir, sizeof(a->pin_dir))) {
		fv_err("bad --instance '%s': letters, digits, '-' and '_', at most %d",
		       a->o.instance, FV_INSTANCE_MAX);
		goto out;
	}
	/* Bad input costs nothing: files and the address before attaching. */
	if (a->o.tls_cert) {
		int e = 0;

		hc.tls_cert = read_file(a->o.tls_cert, false, &e);
		if (hc.tls_cert)
			hc.tls_key = read_file(a->o.tls_key, true, &e);
		if (!hc.tls_cert || !hc.tls_key) {
			fv_err("cannot read %s: %s%s",
			       hc.tls_cert ? a->o.tls_key : a->o.tls_cert,
			       strerror(-e),
			       e == -EACCES
				       ? " (a key must not be readable by group or others)"
				       : "");
			goto out;
		}
	}
	if (a->o.auth_file) {
		ret = fv_agent_read_basic_auth(a->o.auth_file, user,
					       sizeof(user), pass, sizeof(pass));
		if (ret) {
			fv_err("cannot use --basic-auth-file %s: %s",
			       a->o.auth_file,
			       ret == -EINVAL ? "expected one line 'user:password'"
			       : ret == -EACCES
				       ? "readable by group or others; chmod 600 it"
				       : strerror(-ret));
			goto out;
		}
		hc.user = user;
		hc.pass = pass;
	}
	if (a->o.args.acls &&
	    acl_live_load(&a->live, a->o.args.acls, a->o.args.acl_public,
			  a->o.args.acl_private))
		goto out;
	hc.listen_fd = listen_socket(&a->o);
	if (hc.listen_fd < 0)
		goto out;
	ret = fv_pin_bpffs_ensure(&mounted, err, sizeof(err));
	if (ret) {
		fv_err("%s", err);
		goto out;
	}
	if (mounted)
		fv_info("mounted bpffs on " FV_BPFFS " (it was not mounted)");
	make_spec(&a->o, spec, sizeof(spec));
	ret = fv_pin_adopt(a->pin_dir, spec, a->o.args.points.n, &a->state_fd,
			   &a->st, &adopted, err, sizeof(err));
	if (ret) {
		fv_err("%s", err);
		goto out;
	}
	a->base = a->st;
	a->s = calloc(1, sizeof(*a->s));
	if (!a->s) {
		fv_err("out of memory");
		goto unpin;
	}
	ret = fv_session_start_hooked(a->s, a->o.args.points.hosts,
				      a->o.args.points.n, a->o.args.port,
				      pin_point_maps, a->pin_dir, err,
				      sizeof(err));
	if (ret) {
		fv_err("%s", err);
		free(a->s);
		a->s = NULL;
		goto unpin;
	}
	a->s->reply_timeout_ns = a->o.reply_timeout * NS_PER_SEC;
	a->s->drops_mode = a->o.drops ? FV_DROPS_ON : FV_DROPS_OFF;
	if (a->o.drops) {
		/* Now or never: no privilege is left to attach it later. */
		fv_session_drops_update(a->s, a->s->reply_timeout_ns);
		if (!a->s->drops)
			fv_warn("no kernel drop reasons: %s", a->s->drops_error);
	}
	fv_info("agent %s counters in %s; serving http%s://%s",
		adopted ? "continues the" : "keeps its", a->pin_dir,
		hc.tls_cert ? "s" : "", a->o.listen);
	a->s->no_reattach = true; /* no privilege left for it */
	if (fv_session_detach_later(a->s, err, sizeof(err))) {
		fv_err("%s", err);
		goto stop;
	}
	a->hc_on = !fv_host_checks_begin_nat(&a->hc, &a->o.args.points) &&
		   !fv_host_checks_end(&a->hc, err, sizeof(err));
	/* Written while the directory is still ours to write: the socket
	 * listens already, so a client that reads it is answered as soon as
	 * the HTTP thread runs. Without it whoever waits would wait for
	 * ever: stop instead. */
	if (fv_ready_file_write(a->o.ready_file))
		goto stop;
	keep_bpf = bpf_needs_cap(bpf_map__fd(a->s->points[0].skel->maps.stats));
	if (keep_bpf)
		fv_info("this kernel refuses bpf() on open maps without CAP_BPF "
			"(kernel.unprivileged_bpf_disabled, before 6.5): the "
			"agent keeps CAP_BPF, and no other capability");
	if (drop_privileges(a->o.user, a->o.nobody_uid, keep_bpf))
		goto stop;
	pthread_mutex_init(&a->lock, NULL);
	pthread_mutex_init(&a->out_lock, NULL);
	pthread_mutex_init(&a->status_lock, NULL);
	a->start_time = time(NULL);
	tick(a, fv_now_ns());
	hc.max_conns = a->o.max_conns;
	hc.route = route;
	hc.slow = slow_route;
	hc.ctx = a;
	status = serve(a, &hc);
	if (status < 0)
		status = FV_EXIT_USAGE;
	pthread_mutex_lock(&a->lock);
	tick(a, fv_now_ns());
	pthread_mutex_unlock(&a->lock);
stop:
	a->st.pid = 0;
	fv_pin_state_write(a->state_fd, &a->st);
	fv_session_stop(a->s);
	free(a->s);
	goto out;
unpin:
	/* Pins we made a moment ago go again; adopted ones stay. */
	a->st.pid = 0;
	fv_pin_state_write(a->state_fd, &a->st);
	if (!adopted)
		fv_pin_remove(a->pin_dir, NULL, err, sizeof(err));
out:
	if (a->state_fd >= 0)
		close(a->state_fd);
	if (hc.listen_fd >= 0)
		close(hc.listen_fd);
	free(hc.tls_cert);
	if (hc.tls_key) {
		explicit_bzero(hc.tls_key, strlen(hc.tls_key));
		free(hc.tls_key);
	}
	explicit_bzero(pass, sizeof(pass));
	/* Zeroed (calloc) when no --acls or its load failed: a no-op then. */
	acl_set_free(&a->live.set);
	free(a->metrics);
	free(a->status_cache.body);
	free(a);
	return status;
}
