/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/* The agent's HTTP server (libmicrohttpd): GET and HEAD only, bounded
 * request size, connection count and idle time, optional TLS and basic
 * auth. Routing is the caller's. */
#ifndef FV_AGENT_HTTP_H
#define FV_AGENT_HTTP_H

#include <stdbool.h>
#include <stddef.h>

#define FV_HTTP_MAX_CONNS 64
#define FV_HTTP_TIMEOUT_S 10	      /* idle connections closed after */
#define FV_HTTP_MEM_LIMIT (32 * 1024) /* per connection: bounds headers */
/* Connections one address may hold: the rest of --max-connections stays
 * for others (Prometheus, a probe of /healthz). */
#define FV_HTTP_KEEP_FOR_OTHERS 8
#define FV_HTTP_FAIL_DELAY_MS	1000 /* each failed login, one at a time */
/* Exchanges in one /api/v1/status answer (about 0.4 KB each), so that
 * every connection's answer stays small; more come in pages (?before=). */
#define FV_EXCHANGES_PAGE 500

struct fv_http_reply {
	int status;
	const char *type; /* Content-Type */
	char *body;	  /* malloc'd; freed by the server */
	size_t len;
};

/* Query arguments the routes take; NULL when absent. */
struct fv_http_args {
	const char *window;
	const char *exchanges;
	const char *before; /* paging ?exchanges= */
};

typedef void (*fv_http_route_fn)(void *ctx, const char *path,
				 const struct fv_http_args *args,
				 struct fv_http_reply *rep);

struct fv_http_conf {
	int listen_fd; /* bound and listening */
	unsigned int max_conns;
	char *tls_cert, *tls_key; /* PEM contents, or NULL */
	const char *user, *pass;  /* basic auth, or NULL */
	fv_http_route_fn route;
	/* Routes that take long (a report): built on a thread of their own
	 * while their connection waits suspended, never on the polling
	 * thread that answers the others. NULL: none. */
	bool (*slow)(const char *path);
	void *ctx;
};

struct fv_http;

/* Starts one internal thread serving conf. NULL on error (err set). */
struct fv_http *fv_http_start(const struct fv_http_conf *conf, char *err,
			      size_t errlen);
void fv_http_stop(struct fv_http *h);

#endif
