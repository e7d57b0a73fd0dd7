// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/* The agent's HTTP server (user/agent/http.c) fed raw request bytes
 * over a loopback connection, with basic auth on. Properties: it never
 * crashes, and the route (the agent's data) is reached only with the
 * right credentials, by GET or HEAD. */
#define _GNU_SOURCE
#include <errno.h>
#include <poll.h>
#include <pthread.h>
#include <unistd.h>
#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include "fuzz.h"
#include "agent_http.h"

static struct fv_http *srv;
static struct sockaddr_in addr;
static volatile int routed;

static void route(void *ctx, const char *path, const struct fv_http_args *args,
		  struct fv_http_reply *rep)
{
	routed++;
	FZ_CHECK(path != NULL);
	rep->status = 200;
	rep->type = "text/plain";
	rep->body = strdup("routed\n");
	rep->len = rep->body ? strlen(rep->body) : 0;
}

static void start(void)
{
	struct fv_http_conf conf = { 0 };
	socklen_t len = sizeof(addr);
	char err[256];
	int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);

	addr.sin_family = AF_INET;
	addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	if (fd < 0 || bind(fd, (struct sockaddr *)&addr, sizeof(addr)) ||
	    listen(fd, 16) || getsockname(fd, (struct sockaddr *)&addr, &len))
		abort();
	conf.listen_fd = fd;
	conf.max_conns = FV_HTTP_MAX_CONNS;
	conf.user = "fv";
	conf.pass = "secret";
	conf.route = route;
	srv = fv_http_start(&conf, err, sizeof(err));
	if (!srv) {
		fprintf(stderr, "fuzz_http: %s\n", err);
		abort();
	}
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char reply[4096];
	struct pollfd p;
	size_t got = 0;
	ssize_t n;
	int fd, before;

	if (!srv)
		start();
	fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (fd < 0 || connect(fd, (struct sockaddr *)&addr, sizeof(addr)))
		abort();
	before = routed;
	if (size && write(fd, data, size) < 0 && errno != EPIPE &&
	    errno != ECONNRESET)
		abort();
	/* A complete request is answered at once; an incomplete one waits
	 * for more bytes (up to the server's idle timeout, which is
	 * libmicrohttpd's to keep): give it 50 ms, then hang up. */
	p.fd = fd;
	p.events = POLLIN;
	for (;;) {
		if (poll(&p, 1, 50) != 1)
			break;
		n = read(fd, reply + got, sizeof(reply) - 1 - got);
		if (n <= 0)
			break;
		got += n;
		if (got == sizeof(reply) - 1)
			got = 0; /* only the start matters */
	}
	close(fd);
	/* The route ran only for an authorised GET or HEAD. */
	if (routed != before) {
		FZ_CHECK(memmem(data, size, "GET", 3) ||
			 memmem(data, size, "HEAD", 4));
		/* base64("fv:secret") */
		FZ_CHECK(memmem(data, size, "ZnY6c2VjcmV0", 12));
	}
	return 0;
}
