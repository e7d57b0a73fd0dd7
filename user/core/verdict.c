// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
#include <stdio.h>
#include <string.h>
#include "util.h"
#include "verdict.h"

static const struct {
	const char *word;
	const char *where;
	const char *causes;
} segments[FV_SEG_MAX] = {
	[FV_SEG_CLIENT_TO_NAT] = { "client_to_nat",
				   "requests left the client but never reached the NAT",
				   "private subnet outbound ACL (UDP 123), public subnet inbound ACL "
				   "(UDP 123 from the VPC), the private route table not pointing at "
				   "the NAT, or the client's security group" },
	[FV_SEG_INSIDE_NAT_REQUEST] = { "inside_nat_request",
					"requests reached the NAT but no translated request left it",
					"ip_forward off on the NAT, a host firewall dropping forwarded "
					"requests, or no route to the server" },
	[FV_SEG_NAT_NOT_TRANSLATING] = { "nat_not_translating",
					 "requests left the NAT with the client's own source address",
					 "masquerade/SNAT rule missing or not matching the client's subnet "
					 "or the outgoing interface" },
	[FV_SEG_BEYOND_NAT] = { "beyond_nat",
				"translated requests left the NAT but no reply came back",
				"public subnet inbound ACL not admitting the NAT's port (UDP "
				"1024-65535 from 0.0.0.0/0; a Linux NAT keeps the client's port, "
				"e.g. 123), public outbound ACL (UDP 123), security group, "
				"routing, or the server not answering" },
	[FV_SEG_INSIDE_NAT_REPLY] = { "inside_nat_reply",
				      "replies reached the NAT but were not forwarded to the client",
				      "a host firewall on the NAT dropping forwarded replies, conntrack "
				      "state lost, or no route back to the client" },
	[FV_SEG_NAT_TO_CLIENT] = { "nat_to_client",
				   "replies left the NAT but never reached the client",
				   "public subnet outbound ACL (the client's port, to the VPC), "
				   "private subnet inbound ACL (the client's port), the client not "
				   "pinning its port (acquisitionport), or the client's firewall" },
	[FV_SEG_BEYOND_CLIENT] = { "beyond_client",
				   "requests left the client and no reply came back to it",
				   "anything between the client and the server: watch the NAT "
				   "too (--nat, or an agent on it) to see which segment" },
};

const char *fv_segment_word(enum fv_segment seg)
{
	return seg > FV_SEG_NONE && seg < FV_SEG_MAX ? segments[seg].word : NULL;
}

const char *fv_segment_causes(enum fv_segment seg)
{
	return seg > FV_SEG_NONE && seg < FV_SEG_MAX ? segments[seg].causes
						     : NULL;
}

const char *fv_status_word(enum fv_status status)
{
	switch (status) {
	case FV_STATUS_OK: return "ok";
	case FV_STATUS_FAULT: return "fault";
	case FV_STATUS_PENDING: return "pending";
	case FV_STATUS_INCONCLUSIVE: return "inconclusive";
	default: return "no_traffic";
	}
}

uint64_t fv_tally_lost(const struct fv_tally *t)
{
	uint64_t lost = 0;
	int s;

	for (s = FV_SEG_NONE + 1; s < FV_SEG_MAX; s++)
		lost += t->lost[s];
	return lost;
}

/* Without joined exchanges (events lost, or a client that reuses
 * timestamps), the first leg with no packets after a leg with some. */
static enum fv_segment segment_from_counters(const struct fv_tally *t)
{
	const uint64_t *legs = t->leg_packets;

	/* A client alone cannot tell where beyond it a request died. */
	if (t->client_only)
		return t->client_leg1_packets && !t->client_leg4_packets
			       ? FV_SEG_BEYOND_CLIENT
			       : FV_SEG_NONE;
	if (t->have_client && t->client_leg1_packets && !legs[1])
		return FV_SEG_CLIENT_TO_NAT;
	if (legs[1] && !legs[2] && !t->untranslated_packets)
		return FV_SEG_INSIDE_NAT_REQUEST;
	if (t->untranslated_packets && !legs[2] && !legs[4])
		return FV_SEG_NAT_NOT_TRANSLATING;
	if (legs[1] && legs[2] && !legs[3])
		return FV_SEG_BEYOND_NAT;
	if (legs[3] && !legs[4])
		return FV_SEG_INSIDE_NAT_REPLY;
	if (t->have_client && legs[4] && !t->client_leg4_packets)
		return FV_SEG_NAT_TO_CLIENT;
	return FV_SEG_NONE;
}

/* Replies flowing on every leg we watch, by the counters alone. */
static bool counters_show_replies(const struct fv_tally *t)
{
	if (t->client_only)
		return t->client_leg1_packets && t->client_leg4_packets;
	if (!t->leg_packets[1] || !t->leg_packets[4])
		return false;
	return !t->have_client || t->client_leg4_packets;
}

/* Say only what was seen: a reply is known to reach a client only when
 * a watched client received it; else it left the NAT toward it. */
static void explain_ok(struct fv_verdict *v, const struct fv_tally *t,
		       enum fv_segment s)
{
	char lost[96] = "none lost";
	uint64_t at_nat = t->answered - t->answered_at_client;

	if (v->from_counters) {
		if (t->client_only || (t->have_client && t->client_leg4_packets))
			snprintf(v->explanation, sizeof(v->explanation),
				 "replies reach the watched clients by the "
				 "counters (%llu received); no exchange could "
				 "be joined by its cookie",
				 (unsigned long long)t->client_leg4_packets);
		else
			snprintf(v->explanation, sizeof(v->explanation),
				 "replies left the NAT toward the clients by "
				 "the counters (%llu on leg 4); no exchange could "
				 "be joined by its cookie; add --client on a "
				 "client to see whether they arrive",
				 (unsigned long long)t->leg_packets[4]);
		return;
	}
	if (v->lost)
		snprintf(lost, sizeof(lost), "%llu lost (most at %s)",
			 (unsigned long long)v->lost,
			 fv_segment_word(s) ? fv_segment_word(s) : "-");
	if (!at_nat)
		snprintf(v->explanation, sizeof(v->explanation),
			 "replies reach the watched clients: %llu exchange%s "
			 "answered, %s",
			 (unsigned long long)t->answered,
			 fv_plural(t->answered), lost);
	else if (t->answered_at_client)
		snprintf(v->explanation, sizeof(v->explanation),
			 "replies reach the watched clients (%llu exchange%s) "
			 "and left the NAT toward clients not watched (%llu "
			 "more), %s",
			 (unsigned long long)t->answered_at_client,
			 fv_plural(t->answered_at_client),
			 (unsigned long long)at_nat, lost);
	else
		snprintf(v->explanation, sizeof(v->explanation),
			 "replies left the NAT toward the clients: %llu "
			 "exchange%s answered at the NAT, %s; %s",
			 (unsigned long long)t->answered,
			 fv_plural(t->answered), lost,
			 t->have_client ? "no watched client sent them, so "
					  "whether they arrive is not seen"
					: "add --client on a client to see "
					  "whether they arrive");
}

static void explain(struct fv_verdict *v, const struct fv_tally *t)
{
	enum fv_segment s = v->segment;

	if (v->status == FV_STATUS_PENDING) {
		snprintf(v->explanation, sizeof(v->explanation),
			 "%llu exchange%s in flight, none old enough to judge yet",
			 (unsigned long long)t->in_flight,
			 fv_plural(t->in_flight));
		return;
	}
	if (v->status == FV_STATUS_NO_TRAFFIC) {
		snprintf(v->explanation, sizeof(v->explanation),
			 "no NTP requests from clients were seen: check the "
			 "interfaces and the NTP port, and that clients are polling");
		return;
	}
	if (v->status == FV_STATUS_INCONCLUSIVE) {
		snprintf(v->explanation, sizeof(v->explanation),
			 "interrupted before any exchange could be judged: %llu "
			 "in flight (not counted as lost); let it run past the "
			 "reply timeout",
			 (unsigned long long)t->in_flight);
		return;
	}
	if (v->status == FV_STATUS_OK) {
		explain_ok(v, t, s);
		return;
	}
	snprintf(v->explanation, sizeof(v->explanation), "%s: %s. Likely: %s",
		 segments[s].word, segments[s].where, segments[s].causes);
}

void fv_verdict_decide(const struct fv_tally *t, struct fv_verdict *v)
{
	uint64_t worst = 0;
	int s;

	memset(v, 0, sizeof(*v));
	v->lost = fv_tally_lost(t);
	/* The segment that lost the most; ties go to the earlier one. */
	for (s = FV_SEG_NONE + 1; s < FV_SEG_MAX; s++) {
		if (t->lost[s] > worst) {
			worst = t->lost[s];
			v->segment = s;
		}
	}
	if (t->interrupted && !t->answered && !v->lost) {
		/* Counters would count requests cut off mid-flight: no
		 * fallback to them, nothing to judge. */
		v->status = FV_STATUS_INCONCLUSIVE;
	} else if (!t->answered && !v->lost && t->in_flight) {
		v->status = FV_STATUS_PENDING;
	} else if (!t->answered && !v->lost) {
		v->segment = segment_from_counters(t);
		if (v->segment != FV_SEG_NONE)
			v->status = FV_STATUS_FAULT;
		else if (counters_show_replies(t))
			v->status = FV_STATUS_OK;
		else
			v->status = FV_STATUS_NO_TRAFFIC;
		v->from_counters = v->status != FV_STATUS_NO_TRAFFIC;
	} else if (v->lost && v->lost >= t->answered) {
		/* Most exchanges die: that is the fault. A few lost among
		 * many answered is loss, reported, not a broken path. */
		v->status = FV_STATUS_FAULT;
	} else {
		v->status = FV_STATUS_OK;
	}
	/* Replies that arrive but tell the client to go away are a fault of
	 * their own kind: no segment lost them. */
	if (v->status == FV_STATUS_OK && t->kod && t->kod * 2 >= t->answered) {
		v->status = FV_STATUS_FAULT;
		v->kod = true;
		v->segment = FV_SEG_NONE;
		snprintf(v->explanation, sizeof(v->explanation),
			 "the server answers, but %llu of %llu replies are "
			 "Kiss-o'-Death (the server tells the client to stop or "
			 "slow down): check the server's access and rate limits",
			 (unsigned long long)t->kod,
			 (unsigned long long)t->answered);
		return;
	}
	if (v->status == FV_STATUS_OK && !v->lost)
		v->segment = FV_SEG_NONE;
	explain(v, t);
	if (v->status == FV_STATUS_OK)
		v->segment = FV_SEG_NONE;
}
