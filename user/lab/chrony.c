// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/* The lab's chronyd: the NTP server in fv-server and the client in fv-client.
 * Always -x (the real clock is never touched), each with its own config,
 * pidfile and command socket, and killed only by the PID it recorded. */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <sched.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>
#include "lab_priv.h"
#include "util.h"

static const struct {
	const char *name;
	enum lab_ns ns;
} daemons[] = {
	[LAB_SERVER] = { "server", LAB_NS_SERVER },
	[LAB_CLIENT] = { "client", LAB_NS_CLIENT },
	[LAB_SELFTEST] = { "selftest", LAB_NS_CLIENT },
};

static void path_of(char *buf, size_t len, enum lab_daemon d, const char *ext)
{
	snprintf(buf, len, "%s/%s.%s", lab_names.dir, daemons[d].name, ext);
}

static int write_conf(enum lab_daemon d, int client_port)
{
	char conf[128], pid[128], sock[128], port[64] = "";
	const char *head;

	path_of(conf, sizeof(conf), d, "conf");
	path_of(pid, sizeof(pid), d, "pid");
	snprintf(sock, sizeof(sock), "%s/%s.sock", lab_names.sock_dir,
		 daemons[d].name);
	switch (d) {
	case LAB_SERVER:
		/* Serves without being synchronised itself. */
		head = "allow all\nlocal stratum 8\nport 123\n";
		break;
	case LAB_CLIENT:
		/* An exchange every 0.25 s. chronyd will not poll an
		 * unreachable source faster than every 1 s (ntp_core.c,
		 * MIN_NONLAN_POLL); burst turns each of those polls into
		 * up to four requests 0.25 s apart, so a fault still gives
		 * a steady stream. A reachable source ends the burst at
		 * its first reply: one request per 0.25 s. */
		head = "server " LAB_SERVER_IP
		       " iburst burst minpoll -2 maxpoll -2\nport 0\n";
		break;
	default:
		head = "server " LAB_SERVER_IP " iburst maxsamples 1\nport 0\n";
		break;
	}
	/* The pinned source port is what the ACL rules name; 0 leaves chrony
	 * on a random port per request. */
	if (d != LAB_SERVER && client_port)
		snprintf(port, sizeof(port), "acquisitionport %d\n", client_port);
	return lab_write_file(
		conf,
		"# flowverify lab: chronyd %s in %s (run with -x: never sets the clock)\n"
		"%s%s"
		"cmdport 0\n"
		"bindcmdaddress %s\n"
		"pidfile %s\n",
		daemons[d].name, lab_ns(daemons[d].ns), head, port, sock, pid);
}

pid_t lab_chrony_pidfile(enum lab_daemon d)
{
	char path[128], buf[32] = "";
	uint64_t v;
	ssize_t n;
	int fd;

	path_of(path, sizeof(path), d, "pid");
	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return 0;
	n = read(fd, buf, sizeof(buf) - 1);
	close(fd);
	if (n <= 0)
		return 0;
	buf[n] = '\0';
	buf[strcspn(buf, "\n")] = '\0';
	if (fv_parse_u64(buf, 2, 4194304, &v))
		return 0;
	return v;
}

/* Alive and not a zombie. */
bool lab_chrony_ours(enum lab_daemon d, pid_t pid)
{
	char conf[128], buf[4096];
	bool prog = false, ours = false;
	ssize_t n;
	size_t off;

	if (pid <= 1 || !lab_proc_alive(pid, NULL, 0))
		return false;
	path_of(conf, sizeof(conf), d, "conf");
	n = lab_proc_read(pid, "cmdline", buf, sizeof(buf));
	if (n <= 0)
		return false;
	/* argv[0] is chronyd and some "-f" is followed by our config: a
	 * recycled PID cannot pass both. */
	for (off = 0; off < (size_t)n; off += strlen(buf + off) + 1) {
		const char *arg = buf + off, *base = strrchr(arg, '/');

		if (!off)
			prog = !strcmp(base ? base + 1 : arg, "chronyd");
		else if (!strcmp(arg, "-f") && off + 3 < (size_t)n)
			ours |= !strcmp(buf + off + 3, conf);
	}
	return prog && ours;
}

/* fork, join the namespace, exec chronyd; returns the exit status. */
static int run_chronyd(enum lab_daemon d, char *const extra[])
{
	char conf[128], log[128], *argv[16];
	int status, fd, argc = 0;
	pid_t pid;

	path_of(conf, sizeof(conf), d, "conf");
	path_of(log, sizeof(log), d, "log");
	argv[argc++] = "chronyd";
	argv[argc++] = "-x";
	/* Root: the command socket folder is root's 0700 lab dir, which
	 * chronyd refuses for another user; -x keeps it off the clock. */
	argv[argc++] = "-u";
	argv[argc++] = "root";
	argv[argc++] = "-f";
	argv[argc++] = conf;
	argv[argc++] = "-l";
	argv[argc++] = log;
	while (extra && *extra && argc < 15)
		argv[argc++] = *extra++;
	argv[argc] = NULL;
	if (fv_verbose)
		fprintf(stderr, "lab: [%s] %s -x -u root -f %s -l %s%s\n",
			lab_ns(daemons[d].ns), LAB_CHRONYD, conf, log,
			extra ? " ..." : "");

	fflush(NULL);
	pid = fork();
	if (pid < 0)
		return -1;
	if (pid == 0) {
		char nspath[128];

		snprintf(nspath, sizeof(nspath), "/run/netns/%s",
			 lab_ns(daemons[d].ns));
		fd = open(nspath, O_RDONLY | O_CLOEXEC);
		if (fd < 0 || setns(fd, CLONE_NEWNET))
			_exit(126);
		fd = open("/dev/null", O_RDWR | O_CLOEXEC);
		if (fd >= 0) {
			dup2(fd, STDIN_FILENO);
			dup2(fd, STDOUT_FILENO);
			if (!fv_verbose)
				dup2(fd, STDERR_FILENO);
		}
		/* Its own session: a Ctrl-C on flowverify must not reach it. */
		setsid();
		execv(LAB_CHRONYD, argv);
		_exit(127);
	}
	while (waitpid(pid, &status, 0) < 0) {
		if (errno != EINTR)
			return -1;
	}
	return WIFEXITED(status) ? WEXITSTATUS(status) : -1;
}

int lab_chrony_start(enum lab_daemon d, int client_port, pid_t *pid)
{
	char log[128];
	int i, st;

	*pid = 0;
	if (mkdir(lab_names.sock_dir, 0700) && errno != EEXIST) {
		fv_err("lab: cannot create %s: %s", lab_names.sock_dir,
		       strerror(errno));
		return -1;
	}
	if (write_conf(d, client_port))
		return -1;
	path_of(log, sizeof(log), d, "log");
	/* Without -n chronyd returns once it is up, or fails with a status. */
	st = run_chronyd(d, NULL);
	if (st) {
		fv_err("lab: chronyd %s in %s did not start (status %d); see %s",
		       daemons[d].name, lab_ns(daemons[d].ns), st, log);
		return -1;
	}
	for (i = 0; i < 40; i++) {
		pid_t p = lab_chrony_pidfile(d);

		if (p && lab_chrony_ours(d, p)) {
			*pid = p;
			return 0;
		}
		lab_sleep_ms(50);
	}
	fv_err("lab: chronyd %s in %s wrote no pidfile; see %s",
	       daemons[d].name, lab_ns(daemons[d].ns), log);
	return -1;
}

int lab_chrony_stop(enum lab_daemon d, pid_t pid)
{
	char path[128];
	int i;

	if (!lab_chrony_ours(d, pid))
		return 0;
	if (fv_verbose)
		fprintf(stderr, "lab: stopping chronyd %s (pid %d)\n",
			daemons[d].name, pid);
	kill(pid, SIGTERM);
	for (i = 0; i < 60 && lab_proc_alive(pid, NULL, 0); i++)
		lab_sleep_ms(50);
	if (lab_proc_alive(pid, NULL, 0)) {
		kill(pid, SIGKILL);
		for (i = 0; i < 20 && lab_proc_alive(pid, NULL, 0); i++)
			lab_sleep_ms(50);
	}
	if (lab_proc_alive(pid, NULL, 0)) {
		fv_err("lab: chronyd %s (pid %d) does not stop",
		       daemons[d].name, pid);
		return -1;
	}
	path_of(path, sizeof(path), d, "pid");
	unlink(path);
	return 0;
}

bool lab_chrony_selftest(int client_port)
{
	char *extra[] = { "-Q", "-t", "3", NULL };
	char path[128];
	int st;

	if (write_conf(LAB_SELFTEST, client_port))
		return false;
	if (mkdir(lab_names.sock_dir, 0700) && errno != EEXIST)
		return false;
	/* -Q: one measurement, print it, never set the clock; -t 3 makes a
	 * missing reply a nonzero exit instead of a hang. */
	st = run_chronyd(LAB_SELFTEST, extra);
	path_of(path, sizeof(path), LAB_SELFTEST, "pid");
	unlink(path);
	return st == 0;
}
