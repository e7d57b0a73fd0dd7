/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/* --report FILE.html and the agent's /report: the verdict as one
 * self-contained page (docs/evidence.md). It renders verify's JSON, so
 * the page says what --json says, under the same names; no script, no
 * outside URL. */
#ifndef FV_REPORT_HTML_H
#define FV_REPORT_HTML_H

#include <jansson.h>
#include <stdio.h>
#include <stdint.h>

struct fv_session;

#define FV_HTML_LADDER_MAX 400 /* exchanges drawn, the newest */

/* The exchanges first seen in [since, until] for the ladder, judged at
 * now: each fv_exchange_json with "stages", the points of its path seen. */
json_t *fv_report_html_exchanges(struct fv_session *s, uint64_t since_ns,
				 uint64_t until_ns, uint64_t now_ns,
				 uint64_t timeout_ns);

/* The page: v is verify's JSON object (host_checks and blocking in it
 * when known), exchanges as above (or NULL), command what produced it.
 * 0, or -errno when out could not be written. */
int fv_report_html(FILE *out, const json_t *v, const json_t *exchanges,
		   const char *command);

/* The page into path, one line said on failure. 0 or -errno. */
int fv_report_html_file(const char *path, const json_t *v,
			const json_t *exchanges, const char *command);

#endif
