/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
#ifndef FV_UTIL_H
#define FV_UTIL_H

#include <signal.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* Exit statuses of every command. */
#define FV_EXIT_OK	   0
#define FV_EXIT_FAULT	   1 /* a fault was found, or no traffic */
#define FV_EXIT_USAGE	   2 /* bad input or setup error */
#define FV_EXIT_IFACE_GONE 3 /* agent: a watched interface went away */
/* verify: interrupted before anything could be judged */
#define FV_EXIT_INCONCLUSIVE 3

extern bool fv_verbose;

/* --color auto|always|never: whether text output may carry ANSI colour.
 * auto colours a terminal unless NO_COLOR is set (no-color.org); an
 * explicit --color always wins over NO_COLOR. */
enum fv_color_mode { FV_COLOR_AUTO, FV_COLOR_ALWAYS, FV_COLOR_NEVER };
extern bool fv_color;
int fv_color_parse(const char *arg, enum fv_color_mode *mode);
/* Sets fv_color for output on fd; returns it. */
bool fv_color_decide(enum fv_color_mode mode, int fd);
/* fflush(stdout), the errno of a failure kept in fv_stdout_errno for
 * main() to say why the output was lost (a later flush has none left). */
extern int fv_stdout_errno;
int fv_flush_stdout(void);

/* Set by SIGINT or SIGTERM once fv_catch_stop_signals() ran. */
extern volatile sig_atomic_t fv_stop_requested;
/* SIGINT and SIGTERM set fv_stop_requested. Installed before anything is
 * attached, so a stop at any moment takes the command's own stop path.
 * No SA_RESTART: a poll or epoll wait returns so the loop sees the flag. */
void fv_catch_stop_signals(void);
/* "s" unless n is 1: "1 exchange", "2 exchanges". */
static inline const char *fv_plural(unsigned long long n)
{
	return n == 1 ? "" : "s";
}

#define ARRAY_SIZE(a) (sizeof(a) / sizeof((a)[0]))

/* Time, in the units the kernel and the CLI speak. */
#define NS_PER_SEC 1000000000ull
#define NS_PER_MS  1000000ull
/* A count of nanoseconds in seconds, for output. */
static inline double fv_seconds(uint64_t ns)
{
	return (double)ns / NS_PER_SEC;
}
/* The longest --duration, --window or timeout any command takes. */
#define FV_MAX_SECONDS (7 * 24 * 3600.0)

/* One line on stderr, prefixed with "flowverify: ", control characters
 * replaced: what went wrong (the command then fails), what the user should
 * know (it goes on), and what it is doing. */
void fv_err(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
void fv_warn(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
void fv_info(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

/* Strict number parsing: whole string, base 10, within [min, max].
 * Return 0 or -EINVAL / -ERANGE. */
int fv_parse_u64(const char *s, uint64_t min, uint64_t max, uint64_t *out);
/* Seconds with an optional fraction ("3", "0.5"), within (0, max]. */
int fv_parse_seconds(const char *s, double max, double *out);

/* A value option given twice is a conflict, not "the last one wins"
 * (--port 123 --port 124 judged silently on 124). Call for each option
 * getopt_long() returns; seen starts at 0. Returns 0, or -EINVAL having
 * said so on stderr. */
struct option;
int fv_opt_once(const struct option *opts, int opt, uint64_t *seen);

/* Loading and attaching our programs takes CAP_SYS_ADMIN (it also enters
 * other network namespaces, and covers CAP_BPF and CAP_PERFMON) and
 * CAP_NET_ADMIN. fv_have_caps() checks exactly these; FV_CAPS_NEEDED says
 * so wherever a load is refused. */
#define FV_CAPS_NEEDED "needs root (CAP_SYS_ADMIN and CAP_NET_ADMIN)"
bool fv_have_caps(void);

/* CLOCK_MONOTONIC in ns, the clock bpf_ktime_get_ns() uses. */
uint64_t fv_now_ns(void);

/* Flow timestamps (fv_flow_val first_ns, last_ns) come from
 * bpf_ktime_get_coarse_ns where the kernel has it (5.11): tick resolution.
 * fv_have_coarse_clock() says so (probed once; the loaders set the
 * program's coarse_clock knob from it); fv_flow_now_ns() is the matching
 * clock to compare them with: CLOCK_MONOTONIC_COARSE, else fv_now_ns(). */
bool fv_have_coarse_clock(void);
uint64_t fv_flow_now_ns(void);

/* --ready-file: create path holding our pid, once attached (or serving):
 * written under a temporary name beside it (O_EXCL, O_NOFOLLOW), then
 * renamed over it, so no symlink is followed and no reader sees half of
 * it. Removed when the process exits; where it may not be any more (the
 * agent after switching user), emptied. NULL: nothing to do. 0, or -errno
 * having said why on stderr. */
int fv_ready_file_write(const char *path);

/* Commands we run (ip, nft, tc, sysctl, chronyd), often as root: found in
 * FV_FIXED_PATH only and run with PATH=FV_FIXED_PATH as their whole
 * environment, never the caller's. Returns only if none could run. */
#define FV_FIXED_PATH "/usr/sbin:/usr/bin:/sbin:/bin"
void fv_exec_fixed(char *const argv[]);

/* Run argv (argv[0] looked up in PATH) and wait, its standard output read
 * into *out (malloc'd, NUL
 * terminated, at most max bytes kept); stderr to /dev/null. */
int fv_run_capture(char *const argv[], char **out, size_t max);

/* realloc(), through a pointer a unit test can swap to make it fail: the
 * callers' out-of-memory paths are tested, not assumed. */
void *fv_realloc(void *p, size_t size);
/* For tests only: fn replaces realloc() in fv_realloc(); NULL restores it. */
void fv_test_set_realloc(void *(*fn)(void *p, size_t size));

#endif
