// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/* The watch screen's diagram of the four legs; from the model only. */
#include "report.h"

static bool broken(const struct fv_report *r, enum fv_segment seg)
{
	return r->verdict.status == FV_STATUS_FAULT && r->verdict.segment == seg;
}

void fv_report_diagram(FILE *out, const struct fv_report *r, const uint64_t *prev)
{
	const struct fv_flow_row *f1 = NULL, *f2 = NULL;
	char c[64] = "client", o[64] = "-", sv[64] = "server";
	bool nat_req = broken(r, FV_SEG_INSIDE_NAT_REQUEST) ||
		       broken(r, FV_SEG_NAT_NOT_TRANSLATING);
	uint64_t legs[FV_LEG_SLOTS];
	int i;

	fv_report_leg_packets(r, legs);
	for (i = 0; i < r->n_points; i++) {
		if (r->points[i].role != FV_ROLE_NAT)
			continue;
		f1 = r->legs[i][FV_LEG_1].top;
		f2 = r->legs[i][FV_LEG_2].top;
		if (!f2)
			f2 = r->legs[i][FV_LEG_UNTRANSLATED].top;
	}
	if (f1)
		fv_format_endpoint(f1->key.saddr, f1->key.sport, c, sizeof(c));
	if (f2) {
		fv_format_endpoint(f2->key.saddr, f2->key.sport, o, sizeof(o));
		fv_format_endpoint(f2->key.daddr, f2->key.dport, sv, sizeof(sv));
	}
	/* Packets per leg, total and since the previous frame; an X marks
	 * the segment where the verdict says they stop. */
#define N(l)                                                     \
	(unsigned long long)legs[l],                             \
		(unsigned long long)(prev && legs[l] >= prev[l]  \
					     ? legs[l] - prev[l] \
					     : 0)
	fprintf(out,
		"  request %-22s --%s(1) %6llu +%-4llu--> [%s] --%s(2) %6llu +%-4llu--> %s\n",
		c, broken(r, FV_SEG_CLIENT_TO_NAT) ? "X" : "-", N(1),
		nat_req ? "NAT X" : "NAT",
		broken(r, FV_SEG_BEYOND_NAT) ? "X" : "-", N(2), sv);
	fprintf(out,
		"  reply   %-22s <-%s(4) %6llu +%-4llu--- [%s] <-%s(3) %6llu +%-4llu--- %s\n",
		c, broken(r, FV_SEG_NAT_TO_CLIENT) ? "X" : "-", N(4),
		broken(r, FV_SEG_INSIDE_NAT_REPLY) ? "NAT X" : "NAT",
		broken(r, FV_SEG_BEYOND_NAT) ? "X" : "-", N(3), sv);
	fprintf(out, "  NAT's outside address and port: %s\n", o);
#undef N
}
