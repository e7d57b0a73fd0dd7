/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/* Internals shared by user/lab*.c; the public side is user/lab/lab.h. */
#ifndef FV_LAB_PRIV_H
#define FV_LAB_PRIV_H

#include <stdbool.h>
#include <stdint.h>
#include <sys/types.h>
#include "lab.h"

#define LAB_CHRONYD "/usr/sbin/chronyd"

#define LAB_SERVER_IP "198.51.100.123"
/* lab_sys.c: running things inside a namespace. */
bool lab_ns_exists(const char *ns);
/* Run argv with its network namespace set to ns (NULL: stay). Returns the
 * exit status or -1; on failure prints argv[0] and its last line of output. */
int lab_ns_run(const char *ns, char *const argv[]);
/* Call fn in this process while joined to ns, then come back. */
int lab_in_ns(const char *ns, int (*fn)(void *), void *arg);
/* Write "net/ipv4/ip_forward=1" style settings in ns; NULL-terminated. */
int lab_ns_sysctl(const char *ns, const char *const kv[]);
/* A counter from /proc/net/snmp in ns, e.g. ("Udp", "InDatagrams"). */
int lab_ns_snmp(const char *ns, const char *group, const char *field,
		uint64_t *val);
/* Drop every IPv4 conntrack entry in ns. */
int lab_ns_ct_flush(const char *ns);
/* Feed an nft script file to nft in ns. */
int lab_ns_nft(const char *ns, const char *path);
/* /proc/PID/FILE into buf, NUL-terminated: its length, or -1. */
ssize_t lab_proc_read(pid_t pid, const char *file, char *buf, size_t len);
/* pid runs (neither gone nor a zombie); its name into comm if comm. */
bool lab_proc_alive(pid_t pid, char *comm, size_t len);
int lab_write_file(const char *path, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));
void lab_sleep_ms(unsigned int ms);

/* lab_net.c: topology and the fault's network side. */
int lab_net_create_ns(const char *ns);
int lab_net_wire(enum lab_shape shape);
int lab_net_apply_fault(enum lab_shape shape, const struct lab_fault *f);
/* Wait up to ms for ns's (group, field) counter to rise by at least min. */
bool lab_net_wait_counter(const char *ns, const char *group, const char *field,
			  uint64_t min, unsigned int ms);

/* lab_chrony.c: the two chronyd, always -x, each with its own files. */
enum lab_daemon {
	LAB_SERVER,
	LAB_CLIENT,
	LAB_SELFTEST,
};

int lab_chrony_start(enum lab_daemon d, int client_port, pid_t *pid);
/* Stop pid only if its command line names our config for d. */
int lab_chrony_stop(enum lab_daemon d, pid_t pid);
/* pid is alive and is our chronyd for d. */
bool lab_chrony_ours(enum lab_daemon d, pid_t pid);
/* The pid in d's pidfile, 0 if none. */
pid_t lab_chrony_pidfile(enum lab_daemon d);
/* One exchange with the server from fv-client: true when a reply came. */
bool lab_chrony_selftest(int client_port);

#endif
