// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/* The lab's Kiss-o'-Death server. chrony never sends KoD (it stays silent
 * when rate limiting or denying), so the "server-kod" fault runs this tiny
 * responder instead: every client request gets a well-formed mode-4 reply
 * with stratum 0 and the kiss code as reference id, its origin timestamp
 * copied from the request as a real server does. */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <sched.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <unistd.h>
#include "lab_kod.h"
#include "lab_priv.h"

static void serve(int fd, const char *code)
{
	uint8_t req[512], rep[48];
	struct sockaddr_storage peer;
	socklen_t plen;
	ssize_t n;

	for (;;) {
		plen = sizeof(peer);
		n = recvfrom(fd, req, sizeof(req), 0, (struct sockaddr *)&peer,
			     &plen);
		if (n < 0) {
			if (errno == EINTR)
				continue;
			_exit(1);
		}
		if (n < 48 || (req[0] & 7) != 3)
			continue;
		memset(rep, 0, sizeof(rep));
		rep[0] = (3 << 6) | (req[0] & 0x38) |
			 4; /* unsynchronised, mode 4 */
		rep[1] = 0; /* stratum 0: a kiss */
		rep[2] = req[2];
		memcpy(rep + 12, code, 4);
		memcpy(rep + 24, req + 40, 8); /* origin = their transmit */
		sendto(fd, rep, sizeof(rep), 0, (struct sockaddr *)&peer, plen);
	}
}

int lab_kod_start(const char *netns, const char *code, pid_t *pid_out)
{
	struct sockaddr_in addr = {
		.sin_family = AF_INET,
		.sin_port = htons(123),
		.sin_addr.s_addr = htonl(INADDR_ANY),
	};
	char path[256], kiss[4] = { 0 };
	int ready[2], nsfd, sock, null, one = 1;
	char status = 1;
	pid_t pid;

	if (strlen(code) != 4)
		return -EINVAL;
	memcpy(kiss, code, 4);
	if (pipe2(ready, O_CLOEXEC))
		return -errno;
	pid = fork();
	if (pid < 0) {
		int err = errno;

		close(ready[0]);
		close(ready[1]);
		return -err;
	}
	if (pid == 0) {
		/* Keep nothing of the parent's but the pipe: an inherited lock
		 * file would hold the lab's lock for as long as we live. */
		if (ready[1] != 3) {
			dup2(ready[1], 3);
			ready[1] = 3;
		}
		close_range(4, ~0u, 0);
		setsid();
		prctl(PR_SET_NAME, LAB_KOD_COMM);
		signal(SIGINT, SIG_DFL);
		signal(SIGTERM, SIG_DFL);
		snprintf(path, sizeof(path), "/run/netns/%s", netns);
		nsfd = open(path, O_RDONLY | O_CLOEXEC);
		if (nsfd < 0 || setns(nsfd, CLONE_NEWNET))
			_exit(1);
		sock = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
		if (sock < 0)
			_exit(1);
		setsockopt(sock, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
		if (bind(sock, (struct sockaddr *)&addr, sizeof(addr)))
			_exit(1);
		status = 0;
		if (write(ready[1], &status, 1) != 1)
			_exit(1);
		close(ready[1]);
		/* Leave the terminal: the lab command returns, we stay. */
		null = open("/dev/null", O_RDWR);
		if (null >= 0) {
			dup2(null, 0);
			dup2(null, 1);
			dup2(null, 2);
		}
		serve(sock, kiss);
		_exit(0);
	}
	close(ready[1]);
	if (read(ready[0], &status, 1) != 1)
		status = 1;
	close(ready[0]);
	if (status) {
		kill(pid, SIGKILL);
		return -EIO;
	}
	*pid_out = pid;
	return 0;
}

bool lab_kod_is_ours(pid_t pid)
{
	char comm[32];

	return lab_proc_alive(pid, comm, sizeof(comm)) &&
	       !strcmp(comm, LAB_KOD_COMM);
}
