/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/* Shared by the libFuzzer targets: input as a NUL-terminated string, and
 * a check that aborts (so libFuzzer keeps the input) when a property of
 * the parser's contract fails, not only when it crashes. */
#ifndef FV_FUZZ_H
#define FV_FUZZ_H

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define FZ_CHECK(cond)                                                  \
	do {                                                            \
		if (!(cond)) {                                          \
			fprintf(stderr, "%s:%d: property failed: %s\n", \
				__FILE__, __LINE__, #cond);             \
			abort();                                        \
		}                                                       \
	} while (0)

/* A copy of the input with a NUL at the end; NULL when it holds a NUL
 * (command-line arguments and files read as text cannot). */
static inline char *fz_cstr(const uint8_t *data, size_t size)
{
	char *s;

	if (memchr(data, '\0', size))
		return NULL;
	s = malloc(size + 1);
	if (!s)
		abort();
	memcpy(s, data, size);
	s[size] = '\0';
	return s;
}

/* A refusal must say why. (It may quote the input, control characters
 * and all: fv_err() makes every message one printable line.) */
static inline void fz_message(const char *err, size_t len)
{
	FZ_CHECK(err[0] != '\0');
	FZ_CHECK(memchr(err, '\0', len));
}

#endif
