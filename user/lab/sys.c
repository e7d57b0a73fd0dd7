// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/* Running commands, sysctls and netlink inside the lab's namespaces. */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <sched.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>
#include <linux/netlink.h>
#include <linux/netfilter/nfnetlink.h>
#include <linux/netfilter/nfnetlink_conntrack.h>
#include "lab_priv.h"
#include "util.h"

static void ns_path(char *buf, size_t len, const char *ns)
{
	snprintf(buf, len, "/run/netns/%s", ns);
}

bool lab_ns_exists(const char *ns)
{
	char path[128];

	ns_path(path, sizeof(path), ns);
	return access(path, F_OK) == 0;
}

static int open_ns(const char *ns)
{
	char path[128];

	ns_path(path, sizeof(path), ns);
	return open(path, O_RDONLY | O_CLOEXEC);
}

void lab_sleep_ms(unsigned int ms)
{
	struct timespec ts = { ms / 1000, (ms % 1000) * 1000000L };

	while (nanosleep(&ts, &ts) < 0 && errno == EINTR)
		;
}

/* Last non-empty line of the captured output, for the error message. */
static void last_line(const char *path, char *buf, size_t len)
{
	char line[512];
	FILE *f;

	buf[0] = '\0';
	f = fopen(path, "r");
	if (!f)
		return;
	while (fgets(line, sizeof(line), f)) {
		line[strcspn(line, "\n")] = '\0';
		if (line[0])
			snprintf(buf, len, "%s", line);
	}
	fclose(f);
}

int lab_ns_run(const char *ns, char *const argv[])
{
	char msg[512];
	int status, fd;
	pid_t pid;

	if (fv_verbose) {
		fprintf(stderr, "lab: [%s]", ns ? ns : "root");
		for (int i = 0; argv[i]; i++)
			fprintf(stderr, " %s", argv[i]);
		fputc('\n', stderr);
	}
	fflush(NULL);
	pid = fork();
	if (pid < 0)
		return -1;
	if (pid == 0) {
		if (ns) {
			fd = open_ns(ns);
			if (fd < 0 || setns(fd, CLONE_NEWNET))
				_exit(126);
		}
		if (!fv_verbose) {
			fd = open(lab_names.cmd_out,
				  O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
			if (fd < 0)
				fd = open("/dev/null", O_WRONLY | O_CLOEXEC);
			if (fd >= 0) {
				dup2(fd, STDOUT_FILENO);
				dup2(fd, STDERR_FILENO);
			}
		}
		fv_exec_fixed(argv);
		_exit(127);
	}
	while (waitpid(pid, &status, 0) < 0) {
		if (errno != EINTR)
			return -1;
	}
	status = WIFEXITED(status) ? WEXITSTATUS(status) : -1;
	if (status) {
		msg[0] = '\0';
		if (!fv_verbose)
			last_line(lab_names.cmd_out, msg, sizeof(msg));
		if (status == 126)
			snprintf(msg, sizeof(msg), "cannot join the namespace");
		else if (status == 127)
			snprintf(msg, sizeof(msg), "cannot run it");
		fv_err("lab: '%s %s' in %s failed%s%s", argv[0],
		       argv[1] ? argv[1] : "", ns ? ns : "the root namespace",
		       msg[0] ? ": " : "", msg);
	}
	if (!fv_verbose)
		unlink(lab_names.cmd_out);
	return status;
}

int lab_in_ns(const char *ns, int (*fn)(void *), void *arg)
{
	int self, fd, ret;

	self = open("/proc/self/ns/net", O_RDONLY | O_CLOEXEC);
	if (self < 0)
		return -errno;
	fd = open_ns(ns);
	if (fd < 0 || setns(fd, CLONE_NEWNET)) {
		ret = -errno;
		if (fd >= 0)
			close(fd);
		close(self);
		return ret;
	}
	close(fd);
	ret = fn(arg);
	/* Staying in a lab namespace would send whatever comes next to the
	 * wrong place; there is no sane way on. */
	if (setns(self, CLONE_NEWNET)) {
		fv_err("lab: cannot return to the root network namespace: %s",
		       strerror(errno));
		abort();
	}
	close(self);
	return ret;
}

static int write_sysctls(void *arg)
{
	const char *const *kv = arg;
	char path[256];

	for (; *kv; kv++) {
		const char *eq = strchr(*kv, '=');
		int fd, len;
		ssize_t n;

		if (!eq)
			return -EINVAL;
		snprintf(path, sizeof(path), "/proc/sys/%.*s", (int)(eq - *kv),
			 *kv);
		/* /proc/sys/net resolves to the netns of whoever opens it. */
		fd = open(path, O_WRONLY | O_CLOEXEC);
		if (fd < 0) {
			int err = errno;

			fv_err("lab: cannot open %s: %s", path, strerror(err));
			return -err;
		}
		len = strlen(eq + 1);
		n = write(fd, eq + 1, len);
		close(fd);
		if (n != len) {
			fv_err("lab: cannot write %s", path);
			return -EIO;
		}
	}
	return 0;
}

int lab_ns_sysctl(const char *ns, const char *const kv[])
{
	if (fv_verbose)
		for (int i = 0; kv[i]; i++)
			fprintf(stderr, "lab: [%s] sysctl %s\n", ns, kv[i]);
	return lab_in_ns(ns, write_sysctls, (void *)kv);
}

struct snmp_req {
	const char *group, *field;
	uint64_t val;
};

/* /proc/net/snmp: a header line "Udp: InDatagrams ..." then values. */
static int read_snmp(void *arg)
{
	struct snmp_req *r = arg;
	char head[1024], vals[1024], *hs, *vs, *h, *v;
	size_t glen = strlen(r->group);
	int ret = -ENOENT;
	FILE *f;

	f = fopen("/proc/self/net/snmp", "r");
	if (!f)
		return -errno;
	while (fgets(head, sizeof(head), f) && fgets(vals, sizeof(vals), f)) {
		if (strncmp(head, r->group, glen) || head[glen] != ':')
			continue;
		h = strtok_r(head + glen + 1, " \n", &hs);
		v = strtok_r(vals + glen + 1, " \n", &vs);
		for (; h && v; h = strtok_r(NULL, " \n", &hs),
			       v = strtok_r(NULL, " \n", &vs)) {
			if (!strcmp(h, r->field)) {
				r->val = strtoull(v, NULL, 10);
				ret = 0;
				break;
			}
		}
		break;
	}
	fclose(f);
	return ret;
}

int lab_ns_snmp(const char *ns, const char *group, const char *field,
		uint64_t *val)
{
	struct snmp_req r = { group, field, 0 };
	int err = lab_in_ns(ns, read_snmp, &r);

	if (!err)
		*val = r.val;
	return err;
}

/* A ctnetlink delete with no tuple flushes the table. Needed because a NAT
 * binding is decided on a flow's first packet and kept while the flow
 * lives: the client polls every 0.25 s, so without a flush a changed
 * masquerade rule would never apply to it. */
static int ct_flush(void *arg)
{
	struct {
		struct nlmsghdr nh;
		struct nfgenmsg nfg;
	} req = {
		.nh = {
			.nlmsg_len = sizeof(req),
			.nlmsg_type = (NFNL_SUBSYS_CTNETLINK << 8) | IPCTNL_MSG_CT_DELETE,
			.nlmsg_flags = NLM_F_REQUEST | NLM_F_ACK,
			.nlmsg_seq = 1,
		},
		.nfg = { .nfgen_family = AF_INET, .version = NFNETLINK_V0 },
	};
	struct sockaddr_nl sa = { .nl_family = AF_NETLINK };
	char buf[4096];
	struct nlmsghdr *nh = (struct nlmsghdr *)buf;
	ssize_t n;
	int fd, ret = -EIO;

	fd = socket(AF_NETLINK, SOCK_RAW | SOCK_CLOEXEC, NETLINK_NETFILTER);
	if (fd < 0)
		return -errno;
	if (sendto(fd, &req, sizeof(req), 0, (struct sockaddr *)&sa,
		   sizeof(sa)) < 0) {
		ret = -errno;
		goto out;
	}
	n = recv(fd, buf, sizeof(buf), 0);
	if (n >= (ssize_t)sizeof(*nh) && NLMSG_OK(nh, (size_t)n) &&
	    nh->nlmsg_type == NLMSG_ERROR) {
		struct nlmsgerr *e = NLMSG_DATA(nh);

		/* ENOENT: nothing tracked yet, which is as good as flushed. */
		ret = e->error == -ENOENT ? 0 : e->error;
	}
out:
	close(fd);
	return ret;
}

int lab_ns_ct_flush(const char *ns)
{
	int err = lab_in_ns(ns, ct_flush, NULL);

	if (err)
		fv_err("lab: cannot flush conntrack in %s: %s", ns,
		       strerror(-err));
	return err;
}

int lab_ns_nft(const char *ns, const char *path)
{
	char *argv[] = { "nft", "-f", (char *)path, NULL };

	return lab_ns_run(ns, argv) ? -1 : 0;
}

int lab_write_file(const char *path, const char *fmt, ...)
{
	va_list ap;
	FILE *f;
	int fd, err = 0;

	fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
	if (fd < 0 || !(f = fdopen(fd, "w"))) {
		err = -errno;
		if (fd >= 0)
			close(fd);
		fv_err("lab: cannot write %s: %s", path, strerror(-err));
		return err;
	}
	va_start(ap, fmt);
	vfprintf(f, fmt, ap);
	va_end(ap);
	if (ferror(f))
		err = -EIO;
	if (fclose(f) && !err)
		err = -errno;
	if (err)
		fv_err("lab: cannot write %s: %s", path, strerror(-err));
	return err;
}

ssize_t lab_proc_read(pid_t pid, const char *file, char *buf, size_t len)
{
	char path[64];
	ssize_t n;
	int fd;

	snprintf(path, sizeof(path), "/proc/%d/%s", (int)pid, file);
	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return -1;
	n = read(fd, buf, len - 1);
	close(fd);
	if (n < 0)
		return -1;
	buf[n] = '\0';
	return n;
}

bool lab_proc_alive(pid_t pid, char *comm, size_t len)
{
	char stat[256], *name, *end;

	/* "pid (comm) state ...": a zombie (Z) is dead, whoever has yet to
	 * reap it; comm may itself hold ')', so the last one ends it. */
	if (pid <= 0 || lab_proc_read(pid, "stat", stat, sizeof(stat)) <= 0)
		return false;
	name = strchr(stat, '(');
	end = strrchr(stat, ')');
	if (!name || !end || end[1] != ' ' || end[2] == 'Z' || end[2] == 'X')
		return false;
	if (comm)
		snprintf(comm, len, "%.*s", (int)(end - name - 1), name + 1);
	return true;
}
