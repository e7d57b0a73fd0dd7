/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/* --pcap: the frames the programs saw, written with libpcap as
 * DLT_LINUX_SLL2 (docs/evidence.md says why not pcapng). */
#ifndef FV_PCAP_H
#define FV_PCAP_H

#include <stdbool.h>
#include <stdint.h>
#include "flowverify.h"
#include "point.h"

struct fv_pcap;

#define FV_SNAP_MIN 64 /* Ethernet, IPv4 and UDP with room to spare */

/* The SLL2 interface index a point's interface is written under: its
 * host in the thousands, the kernel's own index below (1002: the first
 * point's ifindex 2). Interfaces of different namespaces share indexes. */
uint32_t fv_pcap_ifindex(int point, uint32_t ifindex);

/* Opens path for writing before anything is attached. 0 or -errno with
 * one line in err. */
int fv_pcap_open(struct fv_pcap **out, const char *path, uint32_t snaplen,
		 char *err, size_t errlen);
uint32_t fv_pcap_snaplen(const struct fv_pcap *pc);
/* One frame: the session's on_frame callback, with pc as its ctx. No
 * libpcap here beside session.h: pcap/bpf.h and linux/bpf.h clash. */
void fv_pcap_frame(void *ctx, int point, const struct fv_event *e,
		   const uint8_t *frame);
/* Flushes and closes; says on stderr how many packets were written, which
 * interface index is which (hosts: the session's points), and how many
 * were counted but not captured (limited, lost: the points' summed
 * FV_STAT_EVENTS_LIMITED and _LOST). 0, or -EIO (said in one line) when
 * the file could not be written. */
int fv_pcap_close(struct fv_pcap *pc, const struct fv_host *hosts, int n_hosts,
		  uint64_t limited, uint64_t lost);

/* Setup failed: closes and removes the file. */
void fv_pcap_discard(struct fv_pcap *pc);

/* The SLL2 record of one frame into out (20 + caplen - 14 bytes): for
 * tests. Returns its length, or 0 when the frame has no Ethernet header. */
uint32_t fv_pcap_sll2(uint8_t *out, size_t outlen, uint32_t ifindex,
		      uint8_t hook, const uint8_t *frame, uint32_t caplen);

#endif
