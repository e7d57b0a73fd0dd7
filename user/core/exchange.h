/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/* Exchanges joined by their NTP cookie (a request's transmit timestamp,
 * copied into the reply's origin timestamp) across points and hosts. */
#ifndef FV_EXCHANGE_H
#define FV_EXCHANGE_H

#include <stdbool.h>
#include <stdint.h>
#include "verdict.h"

enum fv_stage {
	FV_STAGE_C1,  /* request left a watched client */
	FV_STAGE_N1,  /* request arrived at the NAT */
	FV_STAGE_N2,  /* request left the NAT, translated */
	FV_STAGE_N2U, /* request left the NAT untranslated */
	FV_STAGE_N3,  /* reply arrived at the NAT */
	FV_STAGE_N4,  /* reply left the NAT for the client */
	FV_STAGE_C4,  /* reply arrived at a watched client */
	FV_STAGE_MAX,
};

#define FV_SEEN(stage) (1u << (stage))

struct fv_exchange {
	uint64_t cookie;
	uint64_t first_ns;
	uint64_t seen_ns[FV_STAGE_MAX];
	uint32_t seen;	     /* FV_SEEN() bits */
	uint32_t dups;	     /* the same stage seen again */
	bool client_watched; /* its client is one of our points */
	uint8_t inside_addr[16];
	uint16_t inside_port; /* network order, as all ports here */
	uint8_t outside_addr[16];
	uint16_t outside_port;
	uint8_t server_addr[16];
	uint16_t server_port;
	/* From the reply's NTP header. */
	uint8_t stratum;
	uint8_t leap;
	uint8_t refid[4];
	bool kod; /* Kiss-o'-Death: stratum 0, refid is the code */
	/* The same cookie from two different clients or NAT ports: never
	 * joined, never judged. */
	bool ambiguous;
	bool reported; /* printed by trace */
	int32_t next;  /* hash chain */
};

/* Latency of one segment of an answered exchange, [from, to) stages. */
struct fv_span {
	enum fv_segment seg;
	enum fv_stage from, to;
};
extern const struct fv_span fv_spans[];
extern const int fv_nspans;

/* Bounded: when full, the oldest exchange makes room (first in, first
 * out). */
struct fv_xtable {
	struct fv_exchange *slots;
	int32_t *buckets;
	uint32_t capacity;
	uint32_t nbuckets;
	uint32_t head; /* oldest slot */
	uint32_t count;
	uint64_t evicted;
};

int fv_xtable_init(struct fv_xtable *xt, uint32_t capacity);
void fv_xtable_free(struct fv_xtable *xt);
struct fv_exchange *fv_xtable_find(struct fv_xtable *xt, uint64_t cookie);
/* Find, or add a new exchange first seen at now_ns. */
struct fv_exchange *fv_xtable_get(struct fv_xtable *xt, uint64_t cookie,
				  uint64_t now_ns);
/* i-th exchange in age order, 0 = oldest, i < count. */
struct fv_exchange *fv_xtable_at(struct fv_xtable *xt, uint32_t i);

/* Mark a stage seen at ts; returns false when it was seen already. */
bool fv_exchange_mark(struct fv_exchange *x, enum fv_stage stage, uint64_t ts);

/* The NAT's own traffic: a request that left it with no request from a
 * client behind it. */
bool fv_exchange_is_nat_own(const struct fv_exchange *x);
/* Whether it got through, and if not, where it stopped. */
bool fv_exchange_answered(const struct fv_exchange *x);
enum fv_segment fv_exchange_stopped_at(const struct fv_exchange *x);

/* Count answered, lost (older than timeout_ns at now_ns) and in-flight
 * exchanges first seen at or after since_ns into the tally. Set the
 * tally's client_only first: then a lost request is beyond_client. */
void fv_xtable_tally(struct fv_xtable *xt, uint64_t since_ns, uint64_t until_ns,
		     uint64_t now_ns, uint64_t timeout_ns, struct fv_tally *t);

/* Stage names of an exchange, as the agent's "exchanges_detail" and the
 * --report page give them; NULL / -1 when unknown. */
const char *fv_stage_word(int stage);
int fv_stage_parse(const char *word);

#endif
