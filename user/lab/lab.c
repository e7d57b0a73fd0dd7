// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/* `flowverify lab`: the AWS VPC emulation the demo and the e2e tests run on.
 * See docs/lab.md for the topology, the ACL emulation and the faults. */
#include <ctype.h>
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <jansson.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>
#include "cmd.h"
#include "lab_kod.h"
#include "lab_priv.h"
#include "options.h"
#include "report.h"
#include "util.h"

/* What the lab made, so `down` removes exactly that and nothing else. */
struct lab_state {
	enum lab_shape shape;
	const struct lab_fault *fault;
	bool up;	       /* else still building, or broken */
	bool ns[LAB_NS_COUNT]; /* namespaces we created */
	pid_t server_pid, client_pid;
	pid_t kod_pid; /* the Kiss-o'-Death responder */
};

struct lab_names lab_names;

int lab_set_instance(const char *name)
{
	static const char *const role[LAB_NS_COUNT] = {
		[LAB_NS_CLIENT] = "client",
		[LAB_NS_ROUTER] = "router",
		[LAB_NS_NAT] = "nat",
		[LAB_NS_SERVER] = "server",
	};
	struct lab_names *n = &lab_names;
	char dir[sizeof(n->dir)];
	size_t i, len;

	name = name ? name : "";
	len = strlen(name);
	if (len > LAB_INSTANCE_MAX)
		return -EINVAL;
	for (i = 0; i < len; i++)
		if (!isalnum((unsigned char)name[i]))
			return -EINVAL;
	memset(n, 0, sizeof(*n));
	memcpy(n->instance, name, len);
	for (i = 0; i < LAB_NS_COUNT; i++)
		snprintf(n->ns[i], sizeof(n->ns[i]), "fv-%s%s%s", name,
			 len ? "-" : "", role[i]);
	snprintf(dir, sizeof(dir), LAB_RUN_DIR "/lab%s%s", len ? "-" : "", name);
	memcpy(n->dir, dir, sizeof(dir));
	snprintf(n->sock_dir, sizeof(n->sock_dir), "%s/sock", dir);
	snprintf(n->state, sizeof(n->state), "%s/state", dir);
	snprintf(n->state_tmp, sizeof(n->state_tmp), "%s/state.tmp", dir);
	snprintf(n->cmd_out, sizeof(n->cmd_out), "%s/cmd.out", dir);
	snprintf(n->acl_file, sizeof(n->acl_file), "%s/acls", dir);
	snprintf(n->acl_nft, sizeof(n->acl_nft), "%s/acl.nft", dir);
	snprintf(n->igw_nft, sizeof(n->igw_nft), "%s/igw.nft", dir);
	snprintf(n->nat_nft, sizeof(n->nat_nft), "%s/nat.nft", dir);
	return 0;
}

static const char usage_lab[] =
	"Usage: flowverify lab [--instance NAME] COMMAND [OPTIONS]\n"
	"\n"
	"An AWS VPC on this machine, in network namespaces: a client in a private\n"
	"subnet, a NAT instance in a public subnet, a VPC router enforcing stateless\n"
	"network ACLs, and an NTP server on the \"internet\", with real chronyd (-x)\n"
	"on both ends. Faults are switched on by name. Needs root.\n"
	"\n"
	"Commands:\n"
	"  up [--fault NAME] [--shape one|two]   build the lab and start NTP\n"
	"  fault NAME|none                       switch the fault in place\n"
	"  down                                  remove everything the lab made\n"
	"  status [--json]                       up or down, shape, fault, chronyd\n"
	"  faults [--json]                       fault names and expected verdicts\n"
	"\n"
	"  --instance NAME   a lab of its own beside the default one: namespaces\n"
	"                    fv-NAME-client, ..., files in " LAB_RUN_DIR
	"/lab-NAME\n"
	"                    (letters and digits, at most 12; any position)\n"
	"\n"
	"Examples:\n"
	"  flowverify lab up\n"
	"  flowverify lab fault no-public-in-ephemeral\n"
	"  flowverify lab status --json\n"
	"  flowverify lab down\n"
	"\n"
	"Run 'flowverify lab COMMAND --help' for a command's options.\n";

static const char usage_up[] =
	"Usage: flowverify lab up [--fault NAME] [--shape one|two]\n"
	"                         [--acls FILE [--public ID] [--private ID]] [-v]\n"
	"\n"
	"Build the lab (namespaces fv-client, fv-router, fv-nat, fv-server, or\n"
	"fv-NAME-client, ... with --instance NAME), start\n"
	"chronyd on the server and the client (an exchange every 0.25 s), and wait\n"
	"until the client's NTP traffic flows. Without a fault it also checks that\n"
	"NTP replies reach the client.\n"
	"\n"
	"  --fault NAME   start with this fault on (default none; see 'lab faults')\n"
	"  --shape one    the NAT has one interface, eth0, as an AWS NAT instance\n"
	"                 (default)\n"
	"  --shape two    the NAT is a Linux router: eth0 outside, eth1 inside\n"
	"  --acls FILE    the VPC router enforces these network ACLs instead of the\n"
	"                 built-in ones ('aws ec2 describe-network-acls' JSON or the\n"
	"                 text form, docs/acl.md); no healthy self-check then\n"
	"  --public ID, --private ID   which ACLs of FILE (NetworkAclId or SubnetId;\n"
	"                 default the text form's public/private tags)\n"
	"  -v, --verbose  print every command run\n"
	"\n"
	"Examples:\n"
	"  flowverify lab up\n"
	"  flowverify lab up --shape two --fault client-port-123\n"
	"  flowverify lab up --acls acls.json --public acl-0a1 --private acl-0b2\n";

static const char usage_fault[] =
	"Usage: flowverify lab fault NAME|none [-v]\n"
	"\n"
	"Switch the running lab to one fault (clearing the previous one) in place:\n"
	"ACLs are regenerated, NAT rules and sysctls set, chronyd restarted when the\n"
	"fault needs it. 'flowverify lab faults' lists the names.\n"
	"\n"
	"  --instance NAME  the lab instance (see 'flowverify lab --help')\n"
	"  -v, --verbose    print every command run\n"
	"\n"
	"Examples:\n"
	"  flowverify lab fault no-public-in-ephemeral\n"
	"  flowverify lab fault none\n";

static const char usage_down[] =
	"Usage: flowverify lab down [-v]\n"
	"\n"
	"Stop the lab's chronyd (only the PIDs it recorded) and delete the namespaces\n"
	"it recorded. Nothing up is not an error.\n"
	"\n"
	"  --instance NAME  the lab instance (see 'flowverify lab --help')\n"
	"  -v, --verbose    print every command run\n"
	"\n"
	"Example:\n"
	"  flowverify lab down\n";

static const char usage_status[] =
	"Usage: flowverify lab status [--json]\n"
	"\n"
	"Whether the lab is up, its shape and fault, its namespaces and whether each\n"
	"chronyd runs. The first line is up, partial or down. Exits 0 whether the\n"
	"lab is up or not.\n"
	"\n"
	"  --instance NAME  the lab instance (see 'flowverify lab --help')\n"
	"  --json           one JSON object\n"
	"\n"
	"Examples:\n"
	"  flowverify lab status\n"
	"  flowverify lab status --json\n";

static const char usage_faults[] =
	"Usage: flowverify lab faults [--json]\n"
	"\n"
	"The faults 'lab up --fault' and 'lab fault' take, with the segment the\n"
	"verdict should name for each.\n"
	"\n"
	"  --instance NAME  accepted, as by every lab command; the list is the same\n"
	"  --json           one JSON array\n"
	"\n"
	"Examples:\n"
	"  flowverify lab faults\n"
	"  flowverify lab faults --json\n";

static const char *shape_name(enum lab_shape s)
{
	return s == LAB_SHAPE_TWO ? "two" : "one";
}

/* The --nat argument that watches this lab's NAT. */
static const char *nat_ifaces(enum lab_shape s)
{
	static char buf[48];

	snprintf(buf, sizeof(buf), "%s:%s", lab_ns(LAB_NS_NAT),
		 s == LAB_SHAPE_TWO ? "eth0,eth1" : "eth0");
	return buf;
}

/* ---- options ---- */

enum {
	OPT_INSTANCE = 256,
	OPT_FAULT,
	OPT_SHAPE,
	OPT_ACLS,
	OPT_PUBLIC,
	OPT_PRIVATE,
	OPT_JSON,
};

/* `lab [--instance NAME] COMMAND`: before the command. */
const struct option fv_lab_options[] = {
	{ "instance", required_argument, NULL, OPT_INSTANCE },
	{ "help", no_argument, NULL, 'h' },
	{},
};

/* Every lab command takes these too. */
#define LAB_COMMON_OPTS                                        \
	{ "instance", required_argument, NULL, OPT_INSTANCE }, \
	{                                                      \
		"help", no_argument, NULL, 'h'                 \
	}
#define LAB_VERBOSE_OPT                           \
	{                                         \
		"verbose", no_argument, NULL, 'v' \
	}

static const struct option up_opts[] = {
	LAB_COMMON_OPTS,
	LAB_VERBOSE_OPT,
	{ "fault", required_argument, NULL, OPT_FAULT },
	{ "shape", required_argument, NULL, OPT_SHAPE },
	{ "acls", required_argument, NULL, OPT_ACLS },
	{ "public", required_argument, NULL, OPT_PUBLIC },
	{ "private", required_argument, NULL, OPT_PRIVATE },
	{},
};

static const struct option plain_opts[] = {
	/* fault, down */
	LAB_COMMON_OPTS,
	LAB_VERBOSE_OPT,
	{},
};

static const struct option json_opts[] = {
	/* status, faults */
	LAB_COMMON_OPTS,
	{ "json", no_argument, NULL, OPT_JSON },
	{},
};

/* What a lab command was given. */
struct lab_args {
	const char *fault, *shape, *acls, *pub, *priv;
	const char *operand; /* `lab fault NAME` */
	bool json;
};

static const char *instance_arg; /* --instance before the command */

static const struct fv_command *lab_command(const char *name);

/* getopt_long over argv (argv[0] the command's name) with the command's
 * own options, then selects the instance. 0 to go on, 1 when --help was
 * printed, -EINVAL when refused (said on stderr). */
static int lab_parse(int argc, char **argv, const char *usage,
		     struct lab_args *a, bool takes_operand)
{
	const struct option *opts = lab_command(argv[0])->opts;
	const char *instance = instance_arg;
	char cmd[32];
	uint64_t seen = 0;
	int i, opt, ret;

	snprintf(cmd, sizeof(cmd), "lab %s", argv[0]);
	memset(a, 0, sizeof(*a));
	/* -v only where --verbose is one of the command's options. */
	for (i = 0; opts[i].name && opts[i].val != 'v'; i++)
		;
	optind = 1;
	opterr = 0;
	while ((opt = getopt_long(argc, argv, opts[i].name ? "+hv" : "+h", opts,
				  NULL)) != -1) {
		if (fv_opt_once(opts, opt, &seen))
			return -EINVAL;
		switch (opt) {
		case OPT_INSTANCE:
			if (instance) {
				fv_err("--instance given twice");
				return -EINVAL;
			}
			instance = optarg;
			break;
		case OPT_FAULT: a->fault = optarg; break;
		case OPT_SHAPE: a->shape = optarg; break;
		case OPT_ACLS: a->acls = optarg; break;
		case OPT_PUBLIC: a->pub = optarg; break;
		case OPT_PRIVATE: a->priv = optarg; break;
		case OPT_JSON: a->json = true; break;
		default:
			ret = fv_opt_common(opt, argc, argv, cmd, usage);
			if (ret)
				return ret;
		}
	}
	if (takes_operand && optind < argc)
		a->operand = argv[optind++];
	if (fv_extra_argument(argc, argv, cmd))
		return -EINVAL;
	if (lab_set_instance(instance)) {
		fv_err("lab: bad --instance '%s': letters and digits, at most %d",
		       instance, LAB_INSTANCE_MAX);
		return -EINVAL;
	}
	return 0;
}

/* lab_parse's result as an exit status, when it is not "go on". */
static int parse_status(int ret)
{
	return ret > 0 ? FV_EXIT_OK : FV_EXIT_USAGE;
}

/* ---- state file ---- */

static int state_save(const struct lab_state *st)
{
	char buf[512];
	int len, i;

	len = snprintf(buf, sizeof(buf), "shape %s\nfault %s\nphase %s\n",
		       shape_name(st->shape), st->fault->name,
		       st->up ? "up" : "building");
	for (i = 0; i < LAB_NS_COUNT; i++)
		if (st->ns[i])
			len += snprintf(buf + len, sizeof(buf) - len, "ns %s\n",
					lab_ns(i));
	if (st->server_pid)
		len += snprintf(buf + len, sizeof(buf) - len, "server_pid %d\n",
				st->server_pid);
	if (st->client_pid)
		len += snprintf(buf + len, sizeof(buf) - len, "client_pid %d\n",
				st->client_pid);
	if (st->kod_pid)
		snprintf(buf + len, sizeof(buf) - len, "kod_pid %d\n",
			 st->kod_pid);
	/* Written whole then renamed: a crash never leaves half a record. */
	if (lab_write_file(lab_names.state_tmp, "%s", buf))
		return -1;
	if (rename(lab_names.state_tmp, lab_names.state)) {
		fv_err("lab: cannot write %s: %s", lab_names.state,
		       strerror(errno));
		return -1;
	}
	return 0;
}

/* 1 loaded, 0 no state (lab down), -1 unreadable. */
static int state_load(struct lab_state *st)
{
	char line[256], key[32], val[128];
	uint64_t v;
	FILE *f;
	int i;

	memset(st, 0, sizeof(*st));
	st->shape = LAB_SHAPE_ONE;
	st->fault = lab_fault_find("none");
	f = fopen(lab_names.state, "re");
	if (!f) {
		if (errno == ENOENT)
			return 0;
		fv_err("lab: cannot read %s: %s%s", lab_names.state,
		       strerror(errno), errno == EACCES ? " (needs root)" : "");
		return -1;
	}
	while (fgets(line, sizeof(line), f)) {
		if (sscanf(line, "%31s %127s", key, val) != 2)
			continue;
		if (!strcmp(key, "shape")) {
			st->shape = !strcmp(val, "two") ? LAB_SHAPE_TWO
							: LAB_SHAPE_ONE;
		} else if (!strcmp(key, "fault")) {
			if (lab_fault_find(val))
				st->fault = lab_fault_find(val);
		} else if (!strcmp(key, "phase")) {
			st->up = !strcmp(val, "up");
		} else if (!strcmp(key, "ns")) {
			/* Only our own names: a damaged file cannot make
			 * `down` delete somebody else's namespace. */
			for (i = 0; i < LAB_NS_COUNT; i++)
				if (!strcmp(val, lab_ns(i)))
					st->ns[i] = true;
		} else if (!strcmp(key, "server_pid") &&
			   !fv_parse_u64(val, 2, 4194304, &v)) {
			st->server_pid = v;
		} else if (!strcmp(key, "client_pid") &&
			   !fv_parse_u64(val, 2, 4194304, &v)) {
			st->client_pid = v;
		} else if (!strcmp(key, "kod_pid") &&
			   !fv_parse_u64(val, 2, 4194304, &v)) {
			st->kod_pid = v;
		}
	}
	fclose(f);
	return 1;
}

/* ---- checks before anything is made ---- */

static bool need_root(void)
{
	if (geteuid() == 0)
		return true;
	fv_err("lab: needs root (network namespaces, nftables, chronyd)");
	return false;
}

/* In the fixed PATH the commands run from (fv_exec_fixed), not ours. */
static bool in_path(const char *prog)
{
	const char *path = FV_FIXED_PATH;
	char buf[512], dir[256];
	size_t len;

	while (*path) {
		len = strcspn(path, ":");
		if (len && len < sizeof(dir)) {
			memcpy(dir, path, len);
			dir[len] = '\0';
			snprintf(buf, sizeof(buf), "%s/%s", dir, prog);
			if (!access(buf, X_OK))
				return true;
		}
		path += len + (path[len] == ':');
	}
	return false;
}

static bool have_tools(void)
{
	if (!in_path("ip")) {
		fv_err("lab: 'ip' not found in " FV_FIXED_PATH
		       " (install iproute2)");
		return false;
	}
	if (!in_path("nft")) {
		fv_err("lab: 'nft' not found in " FV_FIXED_PATH
		       " (install nftables)");
		return false;
	}
	if (access(LAB_CHRONYD, X_OK)) {
		fv_err("lab: %s not found (install chrony)", LAB_CHRONYD);
		return false;
	}
	return true;
}

/* Serialise lab commands; the lock goes with the process. Only `up`
 * creates the run dir: the others have nothing to do without it. */
static int take_lock(bool create)
{
	int fd;

	if (!create && access(LAB_RUN_DIR, F_OK) && errno == ENOENT)
		return -ENOENT;
	if (create && mkdir(LAB_RUN_DIR, 0755) && errno != EEXIST) {
		fv_err("lab: cannot create %s: %s", LAB_RUN_DIR, strerror(errno));
		return -1;
	}
	fd = open(LAB_RUN_DIR, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (fd < 0 || flock(fd, LOCK_EX)) {
		fv_err("lab: cannot lock %s: %s", LAB_RUN_DIR, strerror(errno));
		if (fd >= 0)
			close(fd);
		return -1;
	}
	return fd;
}

/* Also drops the run dir when the lab left nothing in it (and nothing
 * else of flowverify's lives there), so a refused `up` leaves no trace. */
static void release_lock(int lock)
{
	close(lock);
	rmdir(LAB_RUN_DIR);
}

/* ---- down ---- */

static void remove_files(void)
{
	const char *const dirs[] = { lab_names.sock_dir, lab_names.dir };
	char path[512];
	struct dirent *e;
	size_t i;
	DIR *d;

	/* The lab dir holds only what the lab wrote. */
	for (i = 0; i < ARRAY_SIZE(dirs); i++) {
		d = opendir(dirs[i]);
		if (!d)
			continue;
		while ((e = readdir(d))) {
			if (!strcmp(e->d_name, ".") ||
			    !strcmp(e->d_name, "..") || e->d_type == DT_DIR)
				continue;
			snprintf(path, sizeof(path), "%s/%s", dirs[i], e->d_name);
			unlink(path);
		}
		closedir(d);
		rmdir(dirs[i]);
	}
}

/* Stop the KoD responder st records, if it is still ours. */
static int kod_stop(struct lab_state *st)
{
	int i;

	if (!st->kod_pid)
		return 0;
	if (lab_kod_is_ours(st->kod_pid)) {
		kill(st->kod_pid, SIGTERM);
		for (i = 0; i < 50 && lab_kod_is_ours(st->kod_pid); i++) {
			waitpid(st->kod_pid, NULL, WNOHANG);
			usleep(20000);
		}
		if (lab_kod_is_ours(st->kod_pid))
			return -1;
	}
	st->kod_pid = 0;
	return 0;
}

static int kod_start(struct lab_state *st)
{
	int err = lab_kod_start(lab_ns(LAB_NS_SERVER), "RATE", &st->kod_pid);

	if (err) {
		fv_err("lab: cannot start the Kiss-o'-Death server: %s",
		       strerror(-err));
		st->kod_pid = 0;
	}
	return state_save(st) || err ? -1 : 0;
}

/* Remove what st records; anything that fails stays recorded. */
static int teardown(struct lab_state *st)
{
	int i, err = 0;
	pid_t p;

	if (lab_chrony_stop(LAB_CLIENT, st->client_pid))
		err = -1;
	else
		st->client_pid = 0;
	if (lab_chrony_stop(LAB_SERVER, st->server_pid))
		err = -1;
	else
		st->server_pid = 0;
	if (kod_stop(st))
		err = -1;
	/* A daemon started but not yet recorded left its pidfile. */
	if ((p = lab_chrony_pidfile(LAB_CLIENT)) && lab_chrony_stop(LAB_CLIENT, p))
		err = -1;
	if ((p = lab_chrony_pidfile(LAB_SERVER)) && lab_chrony_stop(LAB_SERVER, p))
		err = -1;
	if ((p = lab_chrony_pidfile(LAB_SELFTEST)) &&
	    lab_chrony_stop(LAB_SELFTEST, p))
		err = -1;

	for (i = LAB_NS_COUNT - 1; i >= 0; i--) {
		char *argv[] = { "ip", "netns", "del", (char *)lab_ns(i), NULL };

		if (!st->ns[i])
			continue;
		if (lab_ns_exists(lab_ns(i)) && lab_ns_run(NULL, argv)) {
			err = -1;
			continue;
		}
		st->ns[i] = false;
	}
	if (err) {
		st->up = false;
		state_save(st);
		return -1;
	}
	remove_files();
	return 0;
}

static void note_strays(void)
{
	int i;

	for (i = 0; i < LAB_NS_COUNT; i++)
		if (lab_ns_exists(lab_ns(i)))
			fprintf(stderr,
				"lab: namespace %s exists but the lab did not record it; left alone\n",
				lab_ns(i));
}

static int cmd_down(int argc, char **argv)
{
	struct lab_state st;
	struct lab_args a;
	int i, lock, ret, n = 0;

	ret = lab_parse(argc, argv, usage_down, &a, false);
	if (ret)
		return parse_status(ret);
	if (!need_root())
		return FV_EXIT_USAGE;
	lock = take_lock(false);
	if (lock == -ENOENT) {
		printf("lab: nothing is up\n");
		note_strays();
		return FV_EXIT_OK;
	}
	if (lock < 0)
		return FV_EXIT_USAGE;
	ret = state_load(&st);
	if (ret < 0) {
		release_lock(lock);
		return FV_EXIT_USAGE;
	}
	for (i = 0; i < LAB_NS_COUNT; i++)
		n += st.ns[i];
	if (teardown(&st)) {
		fv_err("lab: could not remove everything; what is left is still recorded, run 'flowverify lab down' again");
		release_lock(lock);
		return FV_EXIT_USAGE;
	}
	if (ret == 0) {
		printf("lab: nothing is up\n");
		note_strays();
	} else {
		printf("lab: down, %d namespace%s removed\n", n,
		       n == 1 ? "" : "s");
	}
	release_lock(lock);
	return FV_EXIT_OK;
}

/* ---- up ---- */

static const struct lab_fault *parse_fault(const char *name)
{
	const struct lab_fault *f = lab_fault_find(name);

	if (!f)
		fv_err("lab: unknown fault '%s'; 'flowverify lab faults' lists them",
		       name);
	return f;
}

/* Bring the chronyd to what fault f wants; `old` is the fault running. */
static int apply_daemons(struct lab_state *st, const struct lab_fault *old,
			 const struct lab_fault *f)
{
	bool server_ok = lab_chrony_ours(LAB_SERVER, st->server_pid);
	bool client_ok = lab_chrony_ours(LAB_CLIENT, st->client_pid);
	int err;

	if (f->server_down && server_ok) {
		if (lab_chrony_stop(LAB_SERVER, st->server_pid))
			return -1;
		st->server_pid = 0;
	} else if (!f->server_down && !server_ok) {
		err = lab_chrony_start(LAB_SERVER, 0, &st->server_pid);
		if (state_save(st) || err)
			return -1;
	}
	if (!f->server_kod && st->kod_pid) {
		if (kod_stop(st) || state_save(st))
			return -1;
	} else if (f->server_kod &&
		   !(st->kod_pid && lab_kod_is_ours(st->kod_pid))) {
		if (kod_start(st))
			return -1;
	}
	/* The client's port lives in its config: restart to change it. */
	if (client_ok && old && old->client_port == f->client_port)
		return 0;
	if (client_ok && lab_chrony_stop(LAB_CLIENT, st->client_pid))
		return -1;
	st->client_pid = 0;
	err = lab_chrony_start(LAB_CLIENT, f->client_port, &st->client_pid);
	if (state_save(st) || err)
		return -1;
	return 0;
}

static void print_summary(const struct lab_state *st)
{
	printf("lab: up, shape %s, fault %s (expected verdict: %s)\n",
	       shape_name(st->shape), st->fault->name, st->fault->segment);
	printf("  namespaces: %s %s %s %s\n", lab_ns(LAB_NS_CLIENT),
	       lab_ns(LAB_NS_ROUTER), lab_ns(LAB_NS_NAT), lab_ns(LAB_NS_SERVER));
	if (st->fault->client_port)
		printf("  client 10.0.1.10:%d -> NAT 10.0.0.5 -> server %s:123\n",
		       st->fault->client_port, LAB_SERVER_IP);
	else
		printf("  client 10.0.1.10:random -> NAT 10.0.0.5 -> server %s:123\n",
		       LAB_SERVER_IP);
	printf("  watch: --nat %s --client %s:eth0\n", nat_ifaces(st->shape),
	       lab_ns(LAB_NS_CLIENT));
}

static int cmd_up(int argc, char **argv)
{
	const struct lab_fault *f = lab_fault_find("none");
	const char *acls, *acl_pub, *acl_priv;
	enum lab_shape shape = LAB_SHAPE_ONE;
	struct lab_state st, cur;
	struct lab_args a;
	char *acl_text = NULL;
	bool healthy;
	int i, lock, ret;

	ret = lab_parse(argc, argv, usage_up, &a, false);
	if (ret)
		return parse_status(ret);
	acls = a.acls, acl_pub = a.pub, acl_priv = a.priv;
	if (a.fault && !(f = parse_fault(a.fault)))
		return FV_EXIT_USAGE;
	if (!a.shape || !strcmp(a.shape, "one")) {
		shape = LAB_SHAPE_ONE;
	} else if (!strcmp(a.shape, "two")) {
		shape = LAB_SHAPE_TWO;
	} else {
		fv_err("lab up: unknown shape '%s'; use one or two", a.shape);
		return FV_EXIT_USAGE;
	}
	if (!acls && (acl_pub || acl_priv)) {
		fv_err("lab up: --public and --private name ACLs of --acls FILE; give --acls too");
		return FV_EXIT_USAGE;
	}
	/* Bad ACLs are refused before anything is made. */
	if (acls && lab_acl_select(acls, acl_pub, acl_priv, &acl_text))
		return FV_EXIT_USAGE;
	/* Your own ACLs may well break NTP: that is what they are for. */
	healthy = !strcmp(f->name, "none") && !acls;
	if (!need_root() || !have_tools() || (lock = take_lock(true)) < 0) {
		free(acl_text);
		return FV_EXIT_USAGE;
	}

	ret = state_load(&cur);
	if (ret) {
		if (ret > 0 && cur.up)
			fv_err("lab: already up (shape %s, fault %s); run 'flowverify lab down' first, or 'flowverify lab fault NAME'",
			       shape_name(cur.shape), cur.fault->name);
		else if (ret > 0)
			fv_err("lab: a partly built lab is recorded; run 'flowverify lab down' first");
		goto refuse;
	}
	for (i = 0; i < LAB_NS_COUNT; i++) {
		if (lab_ns_exists(lab_ns(i))) {
			fv_err("lab: namespace %s exists but the lab did not make it; if it is stale, 'ip netns del %s'",
			       lab_ns(i), lab_ns(i));
			goto refuse;
		}
	}

	/* From here on every step is recorded, so a failure can undo it. */
	if (mkdir(lab_names.dir, 0700) && errno != EEXIST) {
		fv_err("lab: cannot create %s: %s", lab_names.dir,
		       strerror(errno));
		goto refuse;
	}
	chmod(lab_names.dir, 0700);
	memset(&st, 0, sizeof(st));
	st.shape = shape;
	st.fault = f;
	if (state_save(&st))
		goto fail;
	if (acl_text ? lab_write_file(lab_names.acl_file, "%s", acl_text)
		     : (unlink(lab_names.acl_file) && errno != ENOENT))
		goto fail;
	for (i = 0; i < LAB_NS_COUNT; i++) {
		ret = lab_net_create_ns(lab_ns(i));
		/* `ip netns add` may have made it even if a later step failed. */
		st.ns[i] = lab_ns_exists(lab_ns(i));
		if (state_save(&st) || ret)
			goto fail;
	}
	if (lab_net_wire(shape) || lab_net_apply_fault(shape, f))
		goto fail;
	if (!f->server_down) {
		ret = lab_chrony_start(LAB_SERVER, 0, &st.server_pid);
		if (state_save(&st) || ret)
			goto fail;
	}
	if (f->server_kod && kod_start(&st))
		goto fail;
	/* Self-test before the client daemon takes the pinned port. */
	if (healthy && !lab_chrony_selftest(f->client_port)) {
		fv_err("lab: the healthy lab got no NTP reply in %s (see %s/selftest.log)",
		       lab_ns(LAB_NS_CLIENT), lab_names.dir);
		goto fail;
	}
	ret = lab_chrony_start(LAB_CLIENT, f->client_port, &st.client_pid);
	if (state_save(&st) || ret)
		goto fail;
	/* Requests reaching the router prove the client side is wired. */
	if (!lab_net_wait_counter(lab_ns(LAB_NS_ROUTER), "Ip", "InReceives", 2,
				  3000)) {
		fv_err("lab: no packets from the client reach %s within 3 s",
		       lab_ns(LAB_NS_ROUTER));
		goto fail;
	}
	if (healthy && !lab_net_wait_counter(lab_ns(LAB_NS_CLIENT), "Udp",
					     "InDatagrams", 2, 3000)) {
		fv_err("lab: the client's chronyd gets no NTP replies within 3 s");
		goto fail;
	}
	st.up = true;
	if (state_save(&st))
		goto fail;
	print_summary(&st);
	if (acls)
		printf("lab: network ACLs from %s (kept in %s)\n", acls,
		       lab_names.acl_file);
	if (healthy)
		printf("lab: healthy, NTP replies reach the client\n");
	else if (!strcmp(f->name, "none"))
		printf("lab: client NTP requests reach the VPC router\n");
	else
		printf("lab: client NTP requests reach the VPC router; fault: %s\n",
		       f->desc);
	free(acl_text);
	release_lock(lock);
	return FV_EXIT_OK;

fail:
	fv_err("lab: setup failed; removing what was made");
	if (teardown(&st))
		fv_err("lab: could not remove everything; run 'flowverify lab down'");
refuse:
	free(acl_text);
	release_lock(lock);
	return FV_EXIT_USAGE;
}

/* ---- fault ---- */

static int cmd_fault(int argc, char **argv)
{
	const struct lab_fault *f = NULL, *old;
	struct lab_state st;
	struct lab_args a;
	const char *name;
	int lock, ret;

	ret = lab_parse(argc, argv, usage_fault, &a, true);
	if (ret)
		return parse_status(ret);
	name = a.operand;
	if (!name) {
		fv_err("lab fault: name a fault, or none; 'flowverify lab faults' lists them");
		return FV_EXIT_USAGE;
	}
	if (!(f = parse_fault(name)))
		return FV_EXIT_USAGE;
	if (!need_root())
		return FV_EXIT_USAGE;
	lock = take_lock(false);
	if (lock == -ENOENT) {
		fv_err("lab: not up; run 'flowverify lab up --fault %s'",
		       f->name);
		return FV_EXIT_USAGE;
	}
	if (lock < 0)
		return FV_EXIT_USAGE;
	ret = state_load(&st);
	if (ret <= 0 || !st.up) {
		if (ret == 0)
			fv_err("lab: not up; run 'flowverify lab up --fault %s'",
			       f->name);
		else if (ret > 0)
			fv_err("lab: only partly up; run 'flowverify lab down' and 'flowverify lab up'");
		release_lock(lock);
		return FV_EXIT_USAGE;
	}
	old = st.fault;
	if (lab_net_apply_fault(st.shape, f) || apply_daemons(&st, old, f)) {
		fv_err("lab: switching to fault %s failed; 'flowverify lab fault none' or 'flowverify lab down'",
		       f->name);
		release_lock(lock);
		return FV_EXIT_USAGE;
	}
	st.fault = f;
	if (state_save(&st)) {
		release_lock(lock);
		return FV_EXIT_USAGE;
	}
	printf("lab: fault %s (expected verdict: %s): %s\n", f->name,
	       f->segment, f->desc);
	if (!strcmp(f->name, "none") && access(lab_names.acl_file, F_OK)) {
		if (!lab_net_wait_counter(lab_ns(LAB_NS_CLIENT), "Udp",
					  "InDatagrams", 2, 3000)) {
			fv_err("lab: the client's chronyd gets no NTP replies within 3 s");
			release_lock(lock);
			return FV_EXIT_USAGE;
		}
		printf("lab: healthy, NTP replies reach the client\n");
	}
	release_lock(lock);
	return FV_EXIT_OK;
}

/* ---- status, faults ---- */

/* One JSON document on stdout, then freed. */
static int json_print(json_t *doc)
{
	char *text = doc ? fv_json_text(doc, JSON_COMPACT) : NULL;

	json_decref(doc);
	if (!text) {
		fv_err("lab: out of memory");
		return FV_EXIT_USAGE;
	}
	/* A write that fails is said by main(). */
	puts(text);
	free(text);
	return FV_EXIT_OK;
}

/* A fault's expected verdict in verify's words (docs/json.md): "status"
 * ok or fault, "segment" null when healthy and for a Kiss-o'-Death. */
static json_t *expected_json(const struct lab_fault *f)
{
	bool ok = !strcmp(f->segment, "ok"), kod = !strcmp(f->segment, "kod");

	return json_pack("{s:s, s:s?, s:b}", "status", ok ? "ok" : "fault",
			 "segment", ok || kod ? NULL : f->segment, "kod", kod);
}

static json_t *status_json(const struct lab_state *st, int loaded, bool srv,
			   bool cli)
{
	json_t *doc, *ns;
	int i;

	doc = json_pack("{s:s, s:b, s:s}", "instance", lab_names.instance, "up",
			loaded && st->up, "state",
			!loaded	 ? "down"
			: st->up ? "up"
				 : "partial");
	if (!doc || !loaded)
		return doc;
	ns = json_array();
	for (i = 0; ns && i < LAB_NS_COUNT; i++)
		if (st->ns[i])
			json_array_append_new(ns, json_string(lab_ns(i)));
	if (json_object_update_new(
		    doc,
		    json_pack("{s:s, s:s, s:o, s:o, s:{s:{s:b, s:i}, s:{s:b, s:i}}, s:s, s:s+}",
			      "shape", shape_name(st->shape), "fault",
			      st->fault->name, "expected",
			      expected_json(st->fault), "namespaces", ns,
			      "chronyd", "server", "running", srv, "pid",
			      srv ? st->server_pid : 0, "client", "running",
			      cli, "pid", cli ? st->client_pid : 0, "nat",
			      nat_ifaces(st->shape), "client",
			      lab_ns(LAB_NS_CLIENT), ":eth0"))) {
		json_decref(doc);
		return NULL;
	}
	return doc;
}

static int cmd_status(int argc, char **argv)
{
	bool srv, cli;
	struct lab_state st;
	struct lab_args a;
	int i, ret;

	ret = lab_parse(argc, argv, usage_status, &a, false);
	if (ret)
		return parse_status(ret);
	ret = state_load(&st);
	if (ret < 0)
		return FV_EXIT_USAGE;
	srv = ret && lab_chrony_ours(LAB_SERVER, st.server_pid);
	cli = ret && lab_chrony_ours(LAB_CLIENT, st.client_pid);

	if (a.json)
		return json_print(status_json(&st, ret, srv, cli));
	/* The first word is the state, for `grep -q '^up'` in scripts. */
	if (!ret) {
		printf("down\n");
		return FV_EXIT_OK;
	}
	printf("%s\n", st.up ? "up" : "partial (run 'flowverify lab down')");
	printf("  shape: %s\n", shape_name(st.shape));
	printf("  fault: %s (expected verdict: %s)\n", st.fault->name,
	       st.fault->segment);
	printf("  namespaces:");
	for (i = 0; i < LAB_NS_COUNT; i++)
		if (st.ns[i])
			printf(" %s%s", lab_ns(i),
			       lab_ns_exists(lab_ns(i)) ? "" : " (missing)");
	printf("\n");
	if (srv)
		printf("  chronyd server: running, pid %d\n", st.server_pid);
	else
		printf("  chronyd server: not running\n");
	if (cli)
		printf("  chronyd client: running, pid %d\n", st.client_pid);
	else
		printf("  chronyd client: not running\n");
	if (st.kod_pid && lab_kod_is_ours(st.kod_pid))
		printf("  Kiss-o'-Death server: running, pid %d\n", st.kod_pid);
	printf("  watch: --nat %s --client %s:eth0\n", nat_ifaces(st.shape),
	       lab_ns(LAB_NS_CLIENT));
	return FV_EXIT_OK;
}

static int cmd_faults(int argc, char **argv)
{
	const struct lab_fault *f;
	struct lab_args a;
	size_t i;
	int ret;

	ret = lab_parse(argc, argv, usage_faults, &a, false);
	if (ret)
		return parse_status(ret);
	if (a.json) {
		json_t *list = json_array();

		for (i = 0; list && (f = lab_fault_at(i)); i++)
			json_array_append_new(list,
					      json_pack("{s:s, s:o, s:s}", "name",
							f->name, "expected",
							expected_json(f),
							"description", f->desc));
		return json_print(list);
	}
	printf("%-28s %-20s %s\n", "FAULT", "EXPECTED", "DESCRIPTION");
	for (i = 0; (f = lab_fault_at(i)); i++)
		printf("%-28s %-20s %s\n", f->name, f->segment, f->desc);
	return FV_EXIT_OK;
}

static const struct fv_command lab_commands[] = {
	{ "up", cmd_up, "build the lab and start NTP", up_opts },
	{ "fault", cmd_fault, "switch the fault in place", plain_opts },
	{ "down", cmd_down, "remove everything the lab made", plain_opts },
	{ "status", cmd_status, "up or down, shape, fault, chronyd", json_opts },
	{ "faults", cmd_faults, "fault names and expected verdicts", json_opts },
};
const struct fv_command *const fv_lab_commands = lab_commands;
const int fv_lab_commands_n = ARRAY_SIZE(lab_commands);

static const struct fv_command *lab_command(const char *name)
{
	return fv_command_find(lab_commands, ARRAY_SIZE(lab_commands), name);
}

int cmd_lab(int argc, char **argv)
{
	const struct fv_command *c;
	uint64_t seen = 0;
	int opt;

	instance_arg = NULL;
	optind = 1;
	opterr = 0;
	while ((opt = getopt_long(argc, argv, "+h", fv_lab_options, NULL)) != -1) {
		if (fv_opt_once(fv_lab_options, opt, &seen))
			return FV_EXIT_USAGE;
		switch (opt) {
		case OPT_INSTANCE: instance_arg = optarg; break;
		case 'h': fputs(usage_lab, stdout); return FV_EXIT_OK;
		default:
			fv_unknown_option(argc, argv, "lab");
			return FV_EXIT_USAGE;
		}
	}
	if (optind >= argc) {
		fv_err("lab: name a command (up, fault, down, status, faults); try 'flowverify lab --help'");
		return FV_EXIT_USAGE;
	}
	c = lab_command(argv[optind]);
	if (!c) {
		fv_err("lab: unknown command '%s'; try 'flowverify lab --help'",
		       argv[optind]);
		return FV_EXIT_USAGE;
	}
	return c->run(argc - optind, argv + optind);
}
