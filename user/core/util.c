// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
#define _GNU_SOURCE /* pipe2 */
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <math.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <linux/bpf.h>
#include <linux/capability.h>
#include <bpf/libbpf.h>
#include <time.h>
#include <unistd.h>
#include "util.h"

bool fv_verbose;
bool fv_color;
int fv_stdout_errno;

int fv_flush_stdout(void)
{
	errno = 0;
	if (!fflush(stdout) && !ferror(stdout))
		return 0;
	if (errno && !fv_stdout_errno)
		fv_stdout_errno = errno;
	return -(fv_stdout_errno ? fv_stdout_errno : EIO);
}

int fv_color_parse(const char *arg, enum fv_color_mode *mode)
{
	if (!strcmp(arg, "auto"))
		*mode = FV_COLOR_AUTO;
	else if (!strcmp(arg, "always"))
		*mode = FV_COLOR_ALWAYS;
	else if (!strcmp(arg, "never"))
		*mode = FV_COLOR_NEVER;
	else
		return -EINVAL;
	return 0;
}

bool fv_color_decide(enum fv_color_mode mode, int fd)
{
	const char *no = getenv("NO_COLOR"), *term = getenv("TERM");

	if (mode != FV_COLOR_AUTO)
		fv_color = mode == FV_COLOR_ALWAYS;
	else
		fv_color = isatty(fd) && !(no && *no) &&
			   !(term && !strcmp(term, "dumb"));
	return fv_color;
}

/* Every message of ours: one line on stderr behind "flowverify: ". */
static void say(const char *fmt, va_list ap)
{
	char buf[1024];
	size_t i;

	vsnprintf(buf, sizeof(buf), fmt, ap);
	/* Messages quote what the user gave: a newline or escape in an
	 * argument must not break the one-line contract or the terminal
	 * (found by fuzz/fuzz_args.c). */
	for (i = 0; buf[i]; i++) {
		if ((unsigned char)buf[i] < 0x20 || buf[i] == 0x7f)
			buf[i] = '?';
	}
	fprintf(stderr, "flowverify: %s\n", buf);
}

void fv_err(const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	say(fmt, ap);
	va_end(ap);
}

void fv_warn(const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	say(fmt, ap);
	va_end(ap);
}

void fv_info(const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	say(fmt, ap);
	va_end(ap);
}

int fv_parse_u64(const char *s, uint64_t min, uint64_t max, uint64_t *out)
{
	unsigned long long v;
	char *end;

	/* strtoull skips any leading space and takes a sign ("\t-1" wraps
	 * to 2^64-1): only a digit may start. */
	if (!s || *s < '0' || *s > '9')
		return -EINVAL;
	errno = 0;
	v = strtoull(s, &end, 10);
	if (*end)
		return -EINVAL;
	if (errno == ERANGE || v < min || v > max)
		return -ERANGE;
	*out = v;
	return 0;
}

int fv_parse_seconds(const char *s, double max, double *out)
{
	double v;
	char *end;

	/* Decimal digits and a point only: strtod would also take leading
	 * space, hex ("0x10"), exponents, "inf" and "nan". */
	if (!s || !*s || s[strspn(s, "0123456789.")])
		return -EINVAL;
	errno = 0;
	v = strtod(s, &end);
	if (*end || end == s)
		return -EINVAL;
	if (errno == ERANGE || !isfinite(v) || v <= 0 || v > max)
		return -ERANGE;
	*out = v;
	return 0;
}

/* A time namespace (unshare -T, a container runtime) shifts the
 * CLOCK_MONOTONIC we read, not the one bpf_ktime_get_ns() reads: with an
 * offset every event looked a day old or from the future, and exchanges
 * were misjudged (tests/e2e/faults.sh). The namespace's offset is in
 * /proc/self/timens_offsets; no file, no time namespace. Read once, before
 * main(): a process never changes its time namespace. */
static int64_t timens_mono_ns;

__attribute__((constructor)) static void timens_offset_init(void)
{
	FILE *f = fopen("/proc/self/timens_offsets", "re");
	char name[32];
	long long sec;
	long nsec;

	if (!f)
		return;
	while (fscanf(f, "%31s %lld %ld", name, &sec, &nsec) == 3) {
		if (!strcmp(name, "monotonic"))
			timens_mono_ns = sec * (int64_t)NS_PER_SEC + nsec;
	}
	fclose(f);
}

uint64_t fv_now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * NS_PER_SEC + ts.tv_nsec - timens_mono_ns;
}

/* bpf_ktime_get_coarse_ns (5.11): probed once; -1 not yet. */
static int coarse_clock = -1;

bool fv_have_coarse_clock(void)
{
	if (coarse_clock < 0)
		coarse_clock =
			libbpf_probe_bpf_helper(BPF_PROG_TYPE_XDP,
						BPF_FUNC_ktime_get_coarse_ns,
						NULL) == 1 &&
			libbpf_probe_bpf_helper(BPF_PROG_TYPE_SCHED_CLS,
						BPF_FUNC_ktime_get_coarse_ns,
						NULL) == 1;
	return coarse_clock;
}

uint64_t fv_flow_now_ns(void)
{
	struct timespec ts;

	if (!fv_have_coarse_clock())
		return fv_now_ns();
	clock_gettime(CLOCK_MONOTONIC_COARSE, &ts);
	return (uint64_t)ts.tv_sec * NS_PER_SEC + ts.tv_nsec - timens_mono_ns;
}

static struct {
	char *path;
	int fd;	   /* kept to empty it when it cannot be removed */
	pid_t pid; /* the writer: forked children leave it alone */
} ready = { .fd = -1 };

static void ready_file_remove(void)
{
	if (!ready.path || getpid() != ready.pid)
		return;
	if (unlink(ready.path) && errno != ENOENT && ready.fd >= 0)
		(void)!ftruncate(ready.fd, 0); /* a stale one must not say "ready" */
	/* Freed too: leak checkers run after exit handlers. */
	free(ready.path);
	ready.path = NULL;
	if (ready.fd >= 0)
		close(ready.fd);
	ready.fd = -1;
}

int fv_ready_file_write(const char *path)
{
	char *tmp = NULL;
	int fd = -1, err = 0;

	if (!path)
		return 0;
	if (asprintf(&tmp, "%s.XXXXXX", path) < 0) {
		tmp = NULL;
		err = -ENOMEM;
		goto out;
	}
	fd = mkostemp(tmp, O_CLOEXEC | O_NOFOLLOW);
	if (fd < 0 || fchmod(fd, 0644) || dprintf(fd, "%d\n", getpid()) < 0 ||
	    rename(tmp, path)) {
		err = -errno;
		if (fd >= 0)
			unlink(tmp);
		goto out;
	}
	if (!ready.path)
		atexit(ready_file_remove);
	free(ready.path);
	if (ready.fd >= 0)
		close(ready.fd);
	ready.path = strdup(path);
	ready.fd = fd;
	ready.pid = getpid();
	fd = -1;
out:
	if (fd >= 0)
		close(fd);
	free(tmp);
	if (err)
		fv_err("cannot create ready file %s: %s", path, strerror(-err));
	return err;
}

/* A fixed PATH, never the caller's: we run these as root. */
static char *const fixed_env[] = { "PATH=" FV_FIXED_PATH, NULL };

void fv_exec_fixed(char *const argv[])
{
	static const char *const dirs[] = { "/usr/sbin", "/usr/bin", "/sbin",
					    "/bin" };
	char path[256];
	size_t i;

	/* No allocation: it runs in a child forked from any thread. */
	if (strchr(argv[0], '/')) {
		execve(argv[0], argv, fixed_env);
		return;
	}
	for (i = 0; i < sizeof(dirs) / sizeof(dirs[0]); i++) {
		snprintf(path, sizeof(path), "%s/%s", dirs[i], argv[0]);
		execve(path, argv, fixed_env);
	}
}

int fv_run_capture(char *const argv[], char **out, size_t max)
{
	size_t len = 0, cap = max < 4096 ? max + 1 : 4096;
	int pipefd[2], status;
	char *buf;
	pid_t pid;
	ssize_t n;

	*out = NULL;
	buf = malloc(cap);
	if (!buf || pipe2(pipefd, O_CLOEXEC)) {
		free(buf);
		return -1;
	}
	pid = fork();
	if (pid < 0) {
		close(pipefd[0]);
		close(pipefd[1]);
		free(buf);
		return -1;
	}
	if (pid == 0) {
		int fd = open("/dev/null", O_WRONLY);

		dup2(pipefd[1], STDOUT_FILENO);
		if (fd >= 0)
			dup2(fd, STDERR_FILENO);
		fv_exec_fixed(argv);
		_exit(127);
	}
	close(pipefd[1]);
	/* Read to the end whatever it writes, or it would block on a full
	 * pipe: beyond max (or memory) the rest is read and dropped. */
	for (;;) {
		char sink[4096], *p = NULL;

		if (len + 1 == cap && cap <= max) {
			size_t grown = cap * 2 > max + 1 ? max + 1 : cap * 2;

			p = realloc(buf, grown);
			if (p) {
				buf = p;
				cap = grown;
			}
		}
		if (len + 1 < cap) {
			n = read(pipefd[0], buf + len, cap - 1 - len);
			if (n > 0)
				len += n;
		} else {
			n = read(pipefd[0], sink, sizeof(sink));
		}
		if (n == 0 || (n < 0 && errno != EINTR))
			break;
	}
	close(pipefd[0]);
	buf[len] = '\0';
	while (waitpid(pid, &status, 0) < 0) {
		if (errno != EINTR) {
			free(buf);
			return -1;
		}
	}
	*out = buf;
	if (!WIFEXITED(status))
		return -1;
	return WEXITSTATUS(status) == 127 ? -1 : WEXITSTATUS(status);
}

bool fv_have_caps(void)
{
	struct __user_cap_header_struct hdr = {
		.version = _LINUX_CAPABILITY_VERSION_3,
	};
	struct __user_cap_data_struct data[2] = {};
	static const int needed[] = { CAP_SYS_ADMIN, CAP_NET_ADMIN };
	size_t i;

	if (syscall(SYS_capget, &hdr, data))
		return geteuid() == 0;
	for (i = 0; i < ARRAY_SIZE(needed); i++) {
		int c = needed[i];

		if (!(data[c / 32].effective & (1u << (c % 32))))
			return false;
	}
	return true;
}

int fv_opt_once(const struct option *opts, int opt, uint64_t *seen)
{
	int i;

	for (i = 0; opts[i].name && i < 64; i++) {
		if (opts[i].val != opt)
			continue;
		if (opts[i].has_arg != required_argument)
			return 0;
		if (*seen & (1ull << i)) {
			fv_err("--%s given twice", opts[i].name);
			return -EINVAL;
		}
		*seen |= 1ull << i;
		return 0;
	}
	return 0;
}

static void *(*realloc_fn)(void *p, size_t size) = realloc;

void *fv_realloc(void *p, size_t size)
{
	return realloc_fn(p, size);
}

void fv_test_set_realloc(void *(*fn)(void *p, size_t size))
{
	realloc_fn = fn ? fn : realloc;
}

volatile sig_atomic_t fv_stop_requested;

static void on_stop_signal(int sig)
{
	fv_stop_requested = 1;
}

void fv_catch_stop_signals(void)
{
	struct sigaction sa = { .sa_handler = on_stop_signal };

	sigemptyset(&sa.sa_mask);
	sigaction(SIGINT, &sa, NULL);
	sigaction(SIGTERM, &sa, NULL);
}
