// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/* --pcap through libpcap: each event's frame as a DLT_LINUX_SLL2 record,
 * which keeps what an Ethernet header cannot: the interface and the
 * direction. The Ethernet header's source address and type move into the
 * SLL2 header; the rest is the frame's own bytes. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <pcap/pcap.h>
#include "pcap.h"
#include "util.h"

#ifndef DLT_LINUX_SLL2
#define DLT_LINUX_SLL2 276
#endif
#define SLL2_HLEN	 20
#define ETH_HLEN_	 14
#define ARPHRD_ETHER_	 1
#define PKT_HOST	 0 /* linux/if_packet.h's PACKET_* */
#define PKT_BROADCAST	 1
#define PKT_MULTICAST	 2
#define PKT_OUTGOING	 4
#define IFINDEX_PER_HOST 1000
/* Each point has its own ring, read in turn: records of different points
 * arrive out of time order by up to a poll. Held this long, at most
 * REORDER_MAX of them, they are written in time order. */
#define REORDER_NS  1000000000LL
#define REORDER_MAX 8192

struct rec {
	int64_t ts; /* CLOCK_REALTIME, ns */
	uint32_t caplen, len;
	uint8_t data[SLL2_HLEN + FV_SNAP_MAX];
};

struct fv_pcap {
	pcap_t *dead;
	pcap_dumper_t *dump;
	char path[512];
	uint32_t snaplen;
	int64_t mono_to_real_ns; /* events carry CLOCK_MONOTONIC */
	uint64_t written;
	uint64_t short_frames; /* counted, but without an Ethernet header */
	/* Which interfaces had packets, to name them at the end. */
	uint32_t seen[FV_MAX_POINTS * FV_MAX_IFACES];
	int n_seen;
	struct rec *held; /* a circular buffer, oldest at head */
	uint32_t head, n_held;
};

uint32_t fv_pcap_ifindex(int point, uint32_t ifindex)
{
	return (uint32_t)(point + 1) * IFINDEX_PER_HOST + ifindex;
}

static int64_t mono_to_real(void)
{
	struct timespec m, r;

	clock_gettime(CLOCK_MONOTONIC, &m);
	clock_gettime(CLOCK_REALTIME, &r);
	return ((int64_t)r.tv_sec - m.tv_sec) * 1000000000LL +
	       (r.tv_nsec - m.tv_nsec);
}

int fv_pcap_open(struct fv_pcap **out, const char *path, uint32_t snaplen,
		 char *err, size_t errlen)
{
	struct fv_pcap *pc = calloc(1, sizeof(*pc));

	*out = NULL;
	if (!pc) {
		snprintf(err, errlen, "out of memory");
		return -ENOMEM;
	}
	/* Nanoseconds: the legs of one exchange are microseconds apart. */
	pc->dead = pcap_open_dead_with_tstamp_precision(
		DLT_LINUX_SLL2, snaplen - ETH_HLEN_ + SLL2_HLEN,
		PCAP_TSTAMP_PRECISION_NANO);
	if (!pc->dead) {
		snprintf(err, errlen,
			 "cannot write --pcap '%s': libpcap failed", path);
		free(pc);
		return -ENOMEM;
	}
	pc->dump = pcap_dump_open(pc->dead, path);
	if (!pc->dump) {
		snprintf(err, errlen, "cannot write --pcap '%s': %s", path,
			 pcap_geterr(pc->dead));
		pcap_close(pc->dead);
		free(pc);
		return -EINVAL;
	}
	pc->held = calloc(REORDER_MAX, sizeof(*pc->held));
	if (!pc->held) {
		snprintf(err, errlen, "out of memory");
		pcap_dump_close(pc->dump);
		pcap_close(pc->dead);
		free(pc);
		return -ENOMEM;
	}
	snprintf(pc->path, sizeof(pc->path), "%s", path);
	pc->snaplen = snaplen;
	pc->mono_to_real_ns = mono_to_real();
	*out = pc;
	return 0;
}

uint32_t fv_pcap_snaplen(const struct fv_pcap *pc)
{
	return pc->snaplen;
}

static void put_be16(uint8_t *p, uint16_t v)
{
	p[0] = v >> 8;
	p[1] = v;
}

static void put_be32(uint8_t *p, uint32_t v)
{
	put_be16(p, v >> 16);
	put_be16(p + 2, v);
}

uint32_t fv_pcap_sll2(uint8_t *out, size_t outlen, uint32_t ifindex,
		      uint8_t hook, const uint8_t *frame, uint32_t caplen)
{
	uint32_t len;
	uint8_t type = PKT_HOST;

	if (caplen < ETH_HLEN_ || caplen - ETH_HLEN_ + SLL2_HLEN > outlen)
		return 0;
	len = caplen - ETH_HLEN_ + SLL2_HLEN;
	if (fv_hook_is_egress(hook))
		type = PKT_OUTGOING;
	else if (frame[0] & 1) /* group bit of the destination */
		type = memcmp(frame, "\xff\xff\xff\xff\xff\xff", 6)
			       ? PKT_MULTICAST
			       : PKT_BROADCAST;
	memcpy(out, frame + 12, 2); /* EtherType, a VLAN tag's included */
	put_be16(out + 2, 0);
	put_be32(out + 4, ifindex);
	put_be16(out + 8, ARPHRD_ETHER_);
	out[10] = type;
	out[11] = 6;
	memcpy(out + 12, frame + 6, 6); /* the source address */
	put_be16(out + 18, 0);
	memcpy(out + SLL2_HLEN, frame + ETH_HLEN_, caplen - ETH_HLEN_);
	return len;
}

/* Writes the oldest held record. */
static void write_oldest(struct fv_pcap *pc)
{
	const struct rec *r = &pc->held[pc->head];
	struct pcap_pkthdr h = { .caplen = r->caplen, .len = r->len };

	/* With nanosecond precision, tv_usec holds nanoseconds. */
	h.ts.tv_sec = r->ts / 1000000000LL;
	h.ts.tv_usec = r->ts % 1000000000LL;
	pcap_dump((u_char *)pc->dump, &h, r->data);
	pc->written++;
	pc->head = (pc->head + 1) % REORDER_MAX;
	pc->n_held--;
}

#define AT(pc, k) (&(pc)->held[((pc)->head + (k)) % REORDER_MAX])

void fv_pcap_frame(void *ctx, int point, const struct fv_event *e,
		   const uint8_t *frame)
{
	struct fv_pcap *pc = ctx;
	uint32_t ifx = fv_pcap_ifindex(point, e->key.ifindex), k;
	int64_t ts = (int64_t)e->ts_ns + pc->mono_to_real_ns;
	struct rec *r;
	int i;

	if (pc->n_held == REORDER_MAX)
		write_oldest(pc);
	r = AT(pc, pc->n_held);
	r->caplen =
		fv_pcap_sll2(r->data, sizeof(r->data), ifx, e->key.hook, frame,
			     e->caplen < FV_SNAP_MAX ? e->caplen : FV_SNAP_MAX);
	if (!r->caplen) {
		pc->short_frames++;
		return;
	}
	r->ts = ts;
	r->len = e->frame_len - ETH_HLEN_ + SLL2_HLEN;
	if (r->len < r->caplen)
		r->len = r->caplen;
	/* Into time order: nearly sorted already, so a step or two. */
	for (k = pc->n_held; k > 0 && AT(pc, k - 1)->ts > ts; k--) {
		struct rec tmp = *AT(pc, k - 1);

		*AT(pc, k - 1) = *AT(pc, k);
		*AT(pc, k) = tmp;
	}
	pc->n_held++;
	while (pc->n_held &&
	       AT(pc, 0)->ts + REORDER_NS < AT(pc, pc->n_held - 1)->ts)
		write_oldest(pc);
	for (i = 0; i < pc->n_seen && pc->seen[i] != ifx; i++)
		;
	if (i == pc->n_seen && i < (int)(sizeof(pc->seen) / sizeof(pc->seen[0])))
		pc->seen[pc->n_seen++] = ifx;
}

/* "1002 fv-nat:eth0" for each interface the file has packets of. */
static void name_ifaces(const struct fv_pcap *pc, const struct fv_host *hosts,
			int n_hosts, char *buf, size_t len)
{
	uint32_t order[sizeof(pc->seen) / sizeof(pc->seen[0])], x;
	size_t used = 0;
	int i, j;

	/* By number, points in order: not in the order their first packets
	 * happened to come. */
	for (i = 0; i < pc->n_seen; i++) {
		for (x = pc->seen[i], j = i; j > 0 && order[j - 1] > x; j--)
			order[j] = order[j - 1];
		order[j] = x;
	}
	buf[0] = '\0';
	for (i = 0; i < pc->n_seen && used < len; i++) {
		int point = order[i] / IFINDEX_PER_HOST - 1;
		uint32_t ifindex = order[i] % IFINDEX_PER_HOST;
		const struct fv_host *h;
		const char *name = "?";

		if (point < 0 || point >= n_hosts)
			continue;
		h = &hosts[point];
		for (j = 0; j < h->n_ifaces; j++) {
			if ((uint32_t)h->ifindex[j] == ifindex)
				name = h->ifname[j];
		}
		used += snprintf(buf + used, len - used, "%s%u %s%s%s",
				 i ? ", " : "", order[i], h->netns,
				 *h->netns ? ":" : "", name);
	}
}

int fv_pcap_close(struct fv_pcap *pc, const struct fv_host *hosts, int n_hosts,
		  uint64_t limited, uint64_t lost)
{
	char names[512], extra[64] = "";
	int ret = 0, saved = 0;
	FILE *f;

	if (!pc)
		return 0;
	while (pc->n_held)
		write_oldest(pc);
	f = pcap_dump_file(pc->dump);
	if (pcap_dump_flush(pc->dump) || ferror(f)) {
		saved = errno;
		ret = -EIO;
	}
	pcap_dump_close(pc->dump); /* fclose */
	pcap_close(pc->dead);
	if (ret) {
		fv_err("cannot write --pcap '%s': %s", pc->path,
		       strerror(saved ? saved : EIO));
	} else {
		name_ifaces(pc, hosts, n_hosts, names, sizeof(names));
		if (pc->short_frames)
			snprintf(extra, sizeof(extra),
				 ", %llu without an Ethernet header",
				 (unsigned long long)pc->short_frames);
		/* The closing line: what the file holds, and what it lacks. */
		fv_info("pcap %s: %llu packets%s%s%s; %llu counted but not "
			"captured (%llu over the event rate, %llu ring full%s)",
			pc->path, (unsigned long long)pc->written,
			*names ? " (SLL2 interface " : "", names,
			*names ? ")" : "",
			(unsigned long long)(limited + lost + pc->short_frames),
			(unsigned long long)limited, (unsigned long long)lost,
			extra);
	}
	free(pc->held);
	free(pc);
	return ret;
}

void fv_pcap_discard(struct fv_pcap *pc)
{
	if (!pc)
		return;
	pcap_dump_close(pc->dump);
	pcap_close(pc->dead);
	unlink(pc->path);
	free(pc->held);
	free(pc);
}
