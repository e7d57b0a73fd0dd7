// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/* `flowverify doctor`: the NAT host's own set-up, checked without
 * watching any traffic (user/core/hostcheck.c, docs/doctor.md). */
#include <errno.h>
#include <getopt.h>
#include <stdio.h>
#include <string.h>
#include <time.h>
#include "cmd.h"
#include "hostcheck.h"
#include "options.h"
#include "report.h"
#include "util.h"

static const char doctor_usage[] =
	"Usage: flowverify doctor --nat [NETNS:]IFACE[,IFACE] [--clients CIDR]...\n"
	"                         [--window S] [--ipv6] [--json]\n"
	"\n"
	"Check the NAT host's own set-up, read in its namespace, without watching\n"
	"any traffic. Each check is ok, warn, fail or unknown (could not be read):\n"
	"  ip_forward      net.ipv4.ip_forward, and each NAT interface's forwarding\n"
	"  rp_filter       the effective value (max of all and the interface's);\n"
	"                  strict (1) warns: it drops forwarded asymmetric traffic\n"
	"  masquerade      an nftables masquerade/snat rule in a postrouting nat\n"
	"                  chain for the clients, out of the default route's interface\n"
	"  conntrack       entries against nf_conntrack_max (warn above 80%), and\n"
	"                  drop, early_drop, insert_failed from /proc/net/stat/nf_conntrack\n"
	"  nic_allowance   the NIC's allowance counters (ENA: *_allowance_exceeded)\n"
	"\n"
	"  --nat SPEC      the NAT host's interfaces; NETNS is a name in /run/netns\n"
	"  --clients CIDR  the clients' addresses (repeat, or a comma list), for the\n"
	"                  masquerade check; an IPv6 block adds IPv6 forwarding\n"
	"  --window S      read the counters S seconds apart and report what rose\n"
	"                  (default 0: totals only)\n"
	"  --ipv6          check IPv6 forwarding too\n"
	"  --json          one JSON object: {\"nat\", \"window_seconds\", \"status\",\n"
	"                  \"causes\", \"host_checks\": [{\"check\", \"status\", \"detail\"}]}\n"
	"  -v, --verbose   say more on stderr\n"
	"\n"
	"Exit status: 0 no check failed (warn and unknown included), 1 a check\n"
	"failed, 2 bad input or setup error.\n"
	"\n"
	"Examples:\n"
	"  flowverify doctor --nat eth0\n"
	"  flowverify doctor --nat fv-nat:eth0 --clients 10.0.1.0/24 --window 5 --json\n";

enum {
	OPT_CLIENTS = FV_OPT_OWN,
	OPT_WINDOW,
	OPT_IPV6,
	OPT_JSON,
};

const struct option fv_doctor_options[] = {
	{ "nat", required_argument, NULL, FV_OPT_NAT },
	{ "clients", required_argument, NULL, OPT_CLIENTS },
	{ "window", required_argument, NULL, OPT_WINDOW },
	{ "ipv6", no_argument, NULL, OPT_IPV6 },
	{ "json", no_argument, NULL, OPT_JSON },
	{ "verbose", no_argument, NULL, 'v' },
	{ "help", no_argument, NULL, 'h' },
	{},
};

struct doctor_opts {
	struct fv_observe_args args; /* --nat, through the shared parser */
	struct fv_cidr clients[FV_HC_MAX_CLIENTS];
	int n_clients;
	double window;
	bool ipv6, json;
};

/* One --clients value: CIDR[,CIDR...]. */
static int add_clients(struct doctor_opts *o, const char *arg)
{
	char buf[1024], *tok, *save = NULL;

	if (snprintf(buf, sizeof(buf), "%s", arg) >= (int)sizeof(buf)) {
		fv_err("bad --clients: too long");
		return -EINVAL;
	}
	for (tok = strtok_r(buf, ",", &save); tok;
	     tok = strtok_r(NULL, ",", &save)) {
		if (o->n_clients == FV_HC_MAX_CLIENTS) {
			fv_err("too many --clients blocks (at most %d)",
			       FV_HC_MAX_CLIENTS);
			return -EINVAL;
		}
		if (fv_cidr_parse(tok, &o->clients[o->n_clients])) {
			fv_err("bad --clients '%s': expected a CIDR block such as 10.0.1.0/24 (no host bits) or an address",
			       tok);
			return -EINVAL;
		}
		o->n_clients++;
	}
	if (!o->n_clients) {
		fv_err("bad --clients '%s': expected a CIDR block", arg);
		return -EINVAL;
	}
	return 0;
}

/* 0, 1 after --help, -EINVAL said. */
static int parse(int argc, char **argv, struct doctor_opts *o)
{
	int opt, ret;

	memset(o, 0, sizeof(*o));
	fv_observe_args_init(&o->args);
	optind = 1;
	opterr = 0;
	while ((opt = getopt_long(argc, argv, "+vh", fv_doctor_options, NULL)) !=
	       -1) {
		/* --clients may repeat; the shared parser refuses any other
		 * value option given twice, ours too. */
		if (opt == OPT_CLIENTS) {
			if (add_clients(o, optarg))
				return -EINVAL;
			continue;
		}
		ret = fv_observe_option(&o->args, fv_doctor_options, opt, optarg);
		if (ret < 0)
			return ret;
		if (!ret)
			continue;
		switch (opt) {
		case OPT_WINDOW:
			if (!strcmp(optarg, "0")) {
				o->window = 0;
			} else if (fv_parse_seconds(optarg, FV_MAX_SECONDS,
						    &o->window)) {
				fv_err("bad --window '%s': expected seconds, 0 to %g",
				       optarg, FV_MAX_SECONDS);
				return -EINVAL;
			}
			break;
		case OPT_IPV6: o->ipv6 = true; break;
		case OPT_JSON: o->json = true; break;
		default:
			ret = fv_opt_common(opt, argc, argv, "doctor",
					    doctor_usage);
			if (ret)
				return ret;
		}
	}
	if (fv_extra_argument(argc, argv, "doctor"))
		return -EINVAL;
	return fv_observe_finish(&o->args, true);
}

static void sleep_s(double s)
{
	struct timespec ts = { .tv_sec = (time_t)s };

	ts.tv_nsec = (long)((s - (double)ts.tv_sec) * 1e9);
	while (nanosleep(&ts, &ts) && errno == EINTR)
		;
}

int cmd_doctor(int argc, char **argv)
{
	const char *causes[FV_HC_N];
	struct fv_host_checks hc;
	struct doctor_opts o;
	struct fv_host *nat;
	char err[256];
	int ret, n;

	ret = parse(argc, argv, &o);
	if (ret)
		return ret > 0 ? FV_EXIT_OK : FV_EXIT_USAGE;
	nat = &o.args.points.hosts[0];
	if (fv_host_resolve(nat, err, sizeof(err))) {
		fv_err("%s", err);
		return FV_EXIT_USAGE;
	}
	if (fv_host_checks_begin(&hc, nat, o.clients, o.n_clients, o.ipv6, err,
				 sizeof(err))) {
		fv_err("%s", err);
		return FV_EXIT_USAGE;
	}
	if (o.window > 0)
		sleep_s(o.window);
	if (fv_host_checks_end(&hc, err, sizeof(err))) {
		fv_err("%s", err);
		return FV_EXIT_USAGE;
	}
	n = fv_host_checks_causes(&hc, causes, FV_HC_N);
	if (o.json) {
		json_t *j = json_object(), *c = json_array(), *nj = json_object();
		json_t *ifs = json_array();

		for (int i = 0; i < nat->n_ifaces; i++)
			json_array_append_new(ifs, json_string(nat->ifname[i]));
		json_object_set_new(nj, "netns", json_string(nat->netns));
		json_object_set_new(nj, "interfaces", ifs);
		for (int i = 0; i < n; i++)
			json_array_append_new(c, json_string(causes[i]));
		json_object_set_new(j, "nat", nj);
		json_object_set_new(j, "window_seconds", json_real(o.window));
		json_object_set_new(j, "status", json_string(n ? "fail" : "ok"));
		json_object_set_new(j, "causes", c);
		json_object_set_new(j, "host_checks", fv_host_checks_json(&hc));
		fv_json_write(stdout, j, JSON_INDENT(2));
		json_decref(j);
	} else {
		printf("host checks on %s%s",
		       *nat->netns ? nat->netns : "this host",
		       *nat->netns ? ":" : " ");
		for (int i = 0; i < nat->n_ifaces; i++)
			printf("%s%s", i ? "," : "", nat->ifname[i]);
		if (o.window > 0)
			printf(", over %.1f s", o.window);
		printf("\n");
		fv_host_checks_text(stdout, &hc);
		printf("\n");
		if (!n)
			printf("OK: no check failed\n");
		for (int i = 0; i < n; i++)
			printf("FAIL: %s\n", causes[i]);
	}
	return n ? FV_EXIT_FAULT : FV_EXIT_OK;
}
