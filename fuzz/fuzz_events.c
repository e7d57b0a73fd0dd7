// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/* Ring-buffer events as the BPF programs deliver them, joined into
 * exchanges by an in-memory session (no kernel; as tests/test_joiner.c
 * builds one): any bytes in any order must neither crash nor break the
 * exchange table's bounds, and the tally must add up. Input: a stream of
 * one point byte plus one struct fv_event each. */
#include <stdbool.h>
#include "fuzz.h"
#include "session.h"
#include "verdict.h"

#define FZ_XT_CAP 64 /* small: eviction is exercised */

static const uint8_t nat_addr[16] = { [10] = 0xff, [11] = 0xff, 10, 0, 0, 5 };
static const uint8_t cli_addr[16] = { [10] = 0xff, [11] = 0xff, 10, 0, 1, 10 };

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static struct fv_session s;
	struct fv_tally t = { 0 };
	struct fv_verdict v;
	struct fv_event e;
	size_t off;

	memset(&s, 0, sizeof(s));
	s.n_points = 2;
	s.points[0].host.role = FV_ROLE_NAT;
	s.points[0].host.n_addrs = 1;
	memcpy(s.points[0].host.addrs[0], nat_addr, 16);
	s.points[1].host.role = FV_ROLE_CLIENT;
	s.points[1].host.n_addrs = 1;
	memcpy(s.points[1].host.addrs[0], cli_addr, 16);
	s.points[0].sess = s.points[1].sess = &s;
	if (fv_xtable_init(&s.xt, FZ_XT_CAP))
		abort();
	if (size && data[0] & 1)
		s.accept_until_ns = 1ull << 40;
	for (off = 1; off + 1 + sizeof(e) <= size; off += 1 + sizeof(e)) {
		memcpy(&e, data + off + 1, sizeof(e));
		/* Addresses the classifier knows, often: legs get joined. */
		if (data[off] & 2)
			memcpy(e.key.saddr, data[off] & 4 ? nat_addr : cli_addr,
			       16);
		if (data[off] & 8)
			memcpy(e.key.daddr,
			       data[off] & 16 ? nat_addr : cli_addr, 16);
		fv_session_ingest(&s, data[off] & 1, &e);
	}
	FZ_CHECK(s.events == (size > 1 ? (size - 1) / (1 + sizeof(e)) : 0));
	FZ_CHECK(s.forwarded.n <= FV_ENDPOINTS_MAX &&
		 s.nat_own.n <= FV_ENDPOINTS_MAX);
	FZ_CHECK(s.xt.count <= s.xt.capacity);
	fv_xtable_tally(&s.xt, 0, UINT64_MAX, UINT64_MAX / 2, 1000000000ull, &t);
	FZ_CHECK(t.answered + fv_tally_lost(&t) <= FZ_XT_CAP + s.events);
	fv_verdict_decide(&t, &v);
	FZ_CHECK(fv_status_word(v.status) != NULL);
	fv_xtable_free(&s.xt);
	return 0;
}
