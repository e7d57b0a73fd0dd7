// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/* libmicrohttpd under the agent: one polling thread, GET and HEAD only,
 * no request bodies, a memory cap per connection (which bounds the
 * request line and headers), a connection cap and an idle timeout, so a
 * bad or hostile client costs little and the next scrape is served. */
#include <errno.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <microhttpd.h>
#include "agent_http.h"

/* Marks a connection whose failed login waits for its answer. */
static char delayed;

struct fv_http {
	struct MHD_Daemon *d;
	struct fv_http_conf conf;
	/* Failed logins: their connections suspended, answered one a
	 * second by a thread of their own, so that guessing stays slow
	 * while the polling thread goes on serving everyone else. */
	pthread_t delayer;
	pthread_mutex_t lock;
	pthread_cond_t cond;
	struct MHD_Connection *waiting[FV_HTTP_MAX_CONNS];
	int n_waiting;
	bool stopping, delayer_on;
	/* Slow routes: their jobs, built in order by the builder thread. */
	pthread_t builder;
	pthread_cond_t jobs_cond;
	struct job *jobs, **jobs_tail;
	bool builder_on;
};

/* One slow request: copied out of its connection, answered by the
 * builder, which then resumes the connection to send it. */
struct job {
	struct job *next;
	struct MHD_Connection *c;
	char *path;
	struct fv_http_args args;
	struct fv_http_reply rep;
	bool done;
};

static void job_free(struct job *j)
{
	free(j->path);
	free((char *)j->args.window);
	free((char *)j->args.exchanges);
	free((char *)j->args.before);
	free(j->rep.body);
	free(j);
}

static void *builder(void *arg)
{
	struct fv_http *h = arg;
	struct job *j;

	pthread_mutex_lock(&h->lock);
	for (;;) {
		while (!h->jobs && !h->stopping)
			pthread_cond_wait(&h->jobs_cond, &h->lock);
		j = h->jobs;
		if (!j)
			break; /* stopping, nothing left */
		h->jobs = j->next;
		if (!h->jobs)
			h->jobs_tail = &h->jobs;
		pthread_mutex_unlock(&h->lock);
		if (!h->stopping)
			h->conf.route(h->conf.ctx, j->path, &j->args, &j->rep);
		pthread_mutex_lock(&h->lock);
		j->done = true;
		MHD_resume_connection(j->c);
	}
	pthread_mutex_unlock(&h->lock);
	return NULL;
}

/* Suspends c until the builder has its answer. false: cannot. */
static bool job_start(struct fv_http *h, struct MHD_Connection *c,
		      const char *url, const struct fv_http_args *args,
		      void **req_cls)
{
	struct job *j = calloc(1, sizeof(*j));

	if (!j)
		return false;
	j->c = c;
	j->path = strdup(url);
	j->args.window = args->window ? strdup(args->window) : NULL;
	j->args.exchanges = args->exchanges ? strdup(args->exchanges) : NULL;
	j->args.before = args->before ? strdup(args->before) : NULL;
	if (!j->path || (args->window && !j->args.window) ||
	    (args->exchanges && !j->args.exchanges) ||
	    (args->before && !j->args.before)) {
		job_free(j);
		return false;
	}
	*req_cls = j;
	pthread_mutex_lock(&h->lock);
	MHD_suspend_connection(c);
	*h->jobs_tail = j;
	h->jobs_tail = &j->next;
	pthread_cond_signal(&h->jobs_cond);
	pthread_mutex_unlock(&h->lock);
	return true;
}

static bool is_job(const struct fv_http *h, void *req_cls)
{
	return req_cls && req_cls != h && req_cls != &delayed;
}

static void *delayer(void *arg)
{
	struct fv_http *h = arg;
	struct timespec until;
	int i;

	pthread_mutex_lock(&h->lock);
	while (!h->stopping) {
		if (!h->n_waiting) {
			pthread_cond_wait(&h->cond, &h->lock);
			continue;
		}
		clock_gettime(CLOCK_REALTIME, &until);
		until.tv_sec += FV_HTTP_FAIL_DELAY_MS / 1000;
		while (!h->stopping &&
		       pthread_cond_timedwait(&h->cond, &h->lock, &until) !=
			       ETIMEDOUT)
			;
		MHD_resume_connection(h->waiting[0]);
		memmove(h->waiting, h->waiting + 1,
			--h->n_waiting * sizeof(h->waiting[0]));
	}
	for (i = 0; i < h->n_waiting; i++)
		MHD_resume_connection(h->waiting[i]);
	h->n_waiting = 0;
	pthread_mutex_unlock(&h->lock);
	return NULL;
}

static enum MHD_Result send_unauthorized(struct MHD_Connection *c)
{
	struct MHD_Response *r;
	enum MHD_Result ret;

	r = MHD_create_response_from_buffer(13, "unauthorized\n",
					    MHD_RESPMEM_PERSISTENT);
	if (!r)
		return MHD_NO;
	ret = MHD_queue_basic_auth_fail_response(c, "flowverify", r);
	MHD_destroy_response(r);
	return ret;
}

static enum MHD_Result send_reply(struct MHD_Connection *c, int status,
				  const char *type, char *body, size_t len)
{
	struct MHD_Response *r;
	enum MHD_Result ret;

	r = MHD_create_response_from_buffer(len, body, MHD_RESPMEM_MUST_FREE);
	if (!r) {
		free(body);
		return MHD_NO;
	}
	MHD_add_response_header(r, MHD_HTTP_HEADER_CONTENT_TYPE, type);
	MHD_add_response_header(r, "X-Content-Type-Options", "nosniff");
	MHD_add_response_header(r, MHD_HTTP_HEADER_CACHE_CONTROL, "no-store");
	if (status == MHD_HTTP_METHOD_NOT_ALLOWED)
		MHD_add_response_header(r, MHD_HTTP_HEADER_ALLOW, "GET, HEAD");
	ret = MHD_queue_response(c, status, r);
	MHD_destroy_response(r);
	return ret;
}

static enum MHD_Result send_text(struct MHD_Connection *c, int status,
				 const char *text)
{
	char *body = strdup(text);

	if (!body)
		return MHD_NO;
	return send_reply(c, status, "text/plain; charset=utf-8", body,
			  strlen(body));
}

/* Constant time in the length of the expected value. */
static bool same(const char *got, const char *want)
{
	size_t i, n = strlen(want), m = got ? strlen(got) : 0;
	unsigned char diff = n != m;

	for (i = 0; i < n; i++)
		diff |= (unsigned char)want[i] ^
			(unsigned char)(i < m ? got[i] : 0);
	return !diff;
}

static void on_completed(void *cls, struct MHD_Connection *c, void **req_cls,
			 enum MHD_RequestTerminationCode toe)
{
	if (is_job(cls, *req_cls))
		job_free(*req_cls);
	*req_cls = NULL;
}

static enum MHD_Result on_request(void *cls, struct MHD_Connection *c,
				  const char *url, const char *method,
				  const char *version, const char *upload_data,
				  size_t *upload_data_size, void **req_cls)
{
	struct fv_http *h = cls;
	struct fv_http_reply rep = { 0 };
	struct fv_http_args args;
	const char *clen;
	bool head = !strcmp(method, MHD_HTTP_METHOD_HEAD);

	/* Resumed after its delay: the answer to a failed login. */
	if (*req_cls == &delayed) {
		*req_cls = h;
		return send_unauthorized(c);
	}
	/* Resumed by the builder: its answer (the job is freed once the
	 * request completes). */
	if (is_job(h, *req_cls)) {
		struct job *j = *req_cls;

		if (!j->done || !j->rep.body)
			return send_text(c, MHD_HTTP_INTERNAL_SERVER_ERROR,
					 "out of memory\n");
		rep = j->rep;
		j->rep.body = NULL; /* the response owns it now */
		return send_reply(c, rep.status, rep.type, rep.body, rep.len);
	}
	/* First call: headers only. Everything is decided here, so no body
	 * is ever read or kept. */
	if (*req_cls)
		return MHD_NO;
	*req_cls = h;
	if (strcmp(method, MHD_HTTP_METHOD_GET) && !head)
		return send_text(c, MHD_HTTP_METHOD_NOT_ALLOWED,
				 "only GET and HEAD\n");
	clen = MHD_lookup_connection_value(c, MHD_HEADER_KIND,
					   MHD_HTTP_HEADER_CONTENT_LENGTH);
	if ((clen && strcmp(clen, "0")) ||
	    MHD_lookup_connection_value(c, MHD_HEADER_KIND,
					MHD_HTTP_HEADER_TRANSFER_ENCODING))
		return send_text(c, MHD_HTTP_CONTENT_TOO_LARGE,
				 "no request body\n");
	if (h->conf.user) {
		char *pass = NULL;
		char *user = MHD_basic_auth_get_username_password(c, &pass);
		bool ok = user && same(user, h->conf.user) &&
			  same(pass, h->conf.pass);

		MHD_free(user);
		MHD_free(pass);
		if (!ok) {
			pthread_mutex_lock(&h->lock);
			if (!h->delayer_on || h->n_waiting == FV_HTTP_MAX_CONNS) {
				pthread_mutex_unlock(&h->lock);
				return MHD_NO; /* closed, no answer */
			}
			*req_cls = &delayed;
			MHD_suspend_connection(c);
			h->waiting[h->n_waiting++] = c;
			pthread_cond_signal(&h->cond);
			pthread_mutex_unlock(&h->lock);
			return MHD_YES;
		}
	}
	args.window =
		MHD_lookup_connection_value(c, MHD_GET_ARGUMENT_KIND, "window");
	args.exchanges = MHD_lookup_connection_value(c, MHD_GET_ARGUMENT_KIND,
						     "exchanges");
	args.before =
		MHD_lookup_connection_value(c, MHD_GET_ARGUMENT_KIND, "before");
	if (h->builder_on && h->conf.slow && h->conf.slow(url)) {
		if (job_start(h, c, url, &args, req_cls))
			return MHD_YES;
		return send_text(c, MHD_HTTP_INTERNAL_SERVER_ERROR,
				 "out of memory\n");
	}
	h->conf.route(h->conf.ctx, url, &args, &rep);
	if (!rep.body)
		return send_text(c, MHD_HTTP_INTERNAL_SERVER_ERROR,
				 "out of memory\n");
	return send_reply(c, rep.status, rep.type, rep.body, rep.len);
}

struct fv_http *fv_http_start(const struct fv_http_conf *conf, char *err,
			      size_t errlen)
{
	/* One polling thread: /api/v1/status is built one at a time, in
	 * bounded pages and kept for a second (agent.c), and a failed login
	 * waits suspended, so nothing holds the thread long. */
	unsigned int flags = MHD_USE_INTERNAL_POLLING_THREAD | MHD_USE_EPOLL |
			     MHD_ALLOW_SUSPEND_RESUME;
	struct fv_http *h = calloc(1, sizeof(*h));
	unsigned int per_ip = conf->max_conns > 2 * FV_HTTP_KEEP_FOR_OTHERS
				      ? conf->max_conns - FV_HTTP_KEEP_FOR_OTHERS
				      : (conf->max_conns + 1) / 2;

	if (!h) {
		snprintf(err, errlen, "out of memory");
		return NULL;
	}
	h->conf = *conf;
	pthread_mutex_init(&h->lock, NULL);
	pthread_cond_init(&h->cond, NULL);
	pthread_cond_init(&h->jobs_cond, NULL);
	h->jobs_tail = &h->jobs;
	if (conf->tls_cert) {
		if (MHD_is_feature_supported(MHD_FEATURE_TLS) != MHD_YES) {
			snprintf(err, errlen,
				 "this libmicrohttpd has no TLS support");
			free(h);
			return NULL;
		}
		flags |= MHD_USE_TLS;
	}
	h->d = MHD_start_daemon(
		flags, 0, NULL, NULL, on_request, h, MHD_OPTION_LISTEN_SOCKET,
		conf->listen_fd, MHD_OPTION_CONNECTION_LIMIT, conf->max_conns,
		MHD_OPTION_PER_IP_CONNECTION_LIMIT, per_ip,
		MHD_OPTION_CONNECTION_TIMEOUT, (unsigned int)FV_HTTP_TIMEOUT_S,
		MHD_OPTION_CONNECTION_MEMORY_LIMIT, (size_t)FV_HTTP_MEM_LIMIT,
		MHD_OPTION_NOTIFY_COMPLETED, on_completed, h,
		conf->tls_cert ? MHD_OPTION_HTTPS_MEM_CERT : MHD_OPTION_END,
		conf->tls_cert, MHD_OPTION_HTTPS_MEM_KEY, conf->tls_key,
		MHD_OPTION_END);
	if (!h->d) {
		snprintf(err, errlen, "cannot start the HTTP server%s",
			 conf->tls_cert ? " (check the TLS certificate and key)"
					: "");
		free(h);
		return NULL;
	}
	/* Without it a failed login is closed unanswered: still slow. */
	h->delayer_on = !pthread_create(&h->delayer, NULL, delayer, h);
	/* Without it slow routes are built on the polling thread. */
	h->builder_on = !pthread_create(&h->builder, NULL, builder, h);
	return h;
}

void fv_http_stop(struct fv_http *h)
{
	if (!h)
		return;
	pthread_mutex_lock(&h->lock);
	h->stopping = true;
	pthread_cond_signal(&h->cond);
	pthread_cond_signal(&h->jobs_cond);
	pthread_mutex_unlock(&h->lock);
	if (h->delayer_on)
		pthread_join(h->delayer, NULL);
	if (h->builder_on)
		pthread_join(h->builder, NULL);
	MHD_stop_daemon(h->d);
	free(h);
}
