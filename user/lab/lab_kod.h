/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
#ifndef FV_LAB_KOD_H
#define FV_LAB_KOD_H

#include <stdbool.h>
#include <sys/types.h>

/* The responder's process name, how the lab knows it is its own. */
#define LAB_KOD_COMM "fv-kod-server"

/* Start a Kiss-o'-Death responder on UDP 123 in namespace netns, answering
 * every request with the 4-letter code (e.g. "RATE"). Returns 0 with its
 * pid once it is listening, or -errno. */
int lab_kod_start(const char *netns, const char *code, pid_t *pid);
/* Whether pid is a responder this lab started (by process name). */
bool lab_kod_is_ours(pid_t pid);

#endif
