// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/* Shared by the BPF unit tests: when they may skip, and what a failed load
 * shows. A skip is only for what the machine lacks (not root, no kernel
 * BTF); as root, a program the kernel refuses is a failure, and it prints
 * libbpf's last lines (the verifier's log among them) so the reason is in
 * the test output, not lost. */
#ifndef FV_TESTS_BPF_LOAD_H
#define FV_TESTS_BPF_LOAD_H

#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <bpf/libbpf.h>

#define FV_LOG_TAIL 20 /* libbpf lines shown on a failed load */

/* Why these tests cannot run here, or NULL when they must. */
static const char *fv_bpf_skip_reason(void)
{
	if (geteuid() != 0)
		return "not root (euid != 0): loading BPF programs needs root";
	/* The programs are CO-RE: without kernel BTF libbpf cannot load them. */
	if (access("/sys/kernel/btf/vmlinux", F_OK))
		return "no BTF at /sys/kernel/btf/vmlinux (kernel built without CONFIG_DEBUG_INFO_BTF)";
	return NULL;
}

/* Only the tail is kept: a verifier log can run to megabytes and its end
 * says why. */
static char fv_log_buf[64 * 1024];
static size_t fv_log_len;
static libbpf_print_fn_t fv_log_old;

static void fv_log_add(const char *s, size_t n)
{
	size_t cap = sizeof(fv_log_buf) - 1, drop;

	if (n > cap) {
		s += n - cap;
		n = cap;
	}
	if (fv_log_len + n > cap) {
		drop = fv_log_len + n - cap;
		memmove(fv_log_buf, fv_log_buf + drop, fv_log_len - drop);
		fv_log_len -= drop;
	}
	memcpy(fv_log_buf + fv_log_len, s, n);
	fv_log_len += n;
	fv_log_buf[fv_log_len] = '\0';
}

static int fv_log_print(enum libbpf_print_level level, const char *fmt, va_list ap)
{
	char small[1024], *p = small;
	va_list aq;
	int n;

	if (level == LIBBPF_DEBUG)
		return 0;
	va_copy(aq, ap);
	n = vsnprintf(small, sizeof(small), fmt, aq);
	va_end(aq);
	if (n < 0)
		return 0;
	if ((size_t)n >= sizeof(small)) {
		p = malloc((size_t)n + 1);
		if (p)
			vsnprintf(p, (size_t)n + 1, fmt, ap);
		else
			p = small, n = sizeof(small) - 1;
	}
	fv_log_add(p, n);
	if (p != small)
		free(p);
	return n;
}

/* Captures libbpf's messages until fv_log_end() instead of printing them. */
static void fv_log_begin(void)
{
	fv_log_len = 0;
	fv_log_buf[0] = '\0';
	fv_log_old = libbpf_set_print(fv_log_print);
}

static void fv_log_end(void)
{
	libbpf_set_print(fv_log_old);
}

/* The last max lines captured, as TAP diagnostics. */
static void fv_log_tail(int max)
{
	const char *end = fv_log_buf + fv_log_len, *p, *nl;
	int lines = 0;

	if (!fv_log_len) {
		printf("#   (libbpf printed nothing)\n");
		return;
	}
	p = end[-1] == '\n' ? end - 1 : end;
	while (p > fv_log_buf && !(p[-1] == '\n' && ++lines == max))
		p--;
	while (p < end) {
		nl = memchr(p, '\n', end - p);
		if (!nl)
			nl = end;
		printf("#   %.*s\n", (int)(nl - p), p);
		p = nl + 1;
	}
}

/* A failed load as TAP diagnostics: what failed, the error, libbpf's tail. */
static void fv_log_failure(const char *what, int err)
{
	if (err < 0)
		err = -err;
	printf("# %s: %s (errno %d)%s\n", what, strerror(err), err,
	       err == EPERM
		       ? "; capabilities dropped? (needs CAP_BPF+CAP_PERFMON+CAP_NET_ADMIN, or CAP_SYS_ADMIN)"
		       : "");
	printf("# libbpf's last lines (up to %d):\n", FV_LOG_TAIL);
	fv_log_tail(FV_LOG_TAIL);
}

#endif
