// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/* Drop attribution, user side: loads bpf/drops.bpf.c (tp_btf, raw_tp as the
 * fallback), fills the watched namespaces, and turns what it recorded into
 * rows with the kernel's own names: the reason from the BTF enum
 * skb_drop_reason, the location from /proc/kallsyms, and a guess of the
 * hook. Independent of the rest of flowverify. See docs/drops.md. */
#include <errno.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include <arpa/inet.h>
#include <bpf/bpf.h>
#include <bpf/btf.h>
#include <bpf/libbpf.h>

#include "drop_trace.h"
#include "percpu.h"
#include "util.h"
#include "drops.skel.h"

#define REASON_PREFIX "SKB_DROP_REASON_"
#define SUBSYS_PREFIX "SKB_DROP_REASON_SUBSYS_"
#define SUBSYS_SHIFT  16
#define REASON_MAX    0x10000 /* core reasons live in the low 16 bits */
/* Beyond this from the nearest text symbol an address is not in a function
 * we know (module gaps, data): say "unknown" rather than a wrong name. */
#define SYM_MAX_OFF   0x100000
#define SYM_NAME_LEN  128
#define SYM_CACHE_MAX 1024 /* distinct addresses; then start afresh */

/* A resolved address: the nearest text symbol at or below it. Kept in a
 * small cache; the whole symbol table is never held (it was 5 MB of the
 * agent's memory for the few addresses drops ever name). */
struct ksym {
	uint64_t addr;		 /* the address asked for */
	uint64_t base;		 /* the symbol's start; 0 = not found */
	char name[SYM_NAME_LEN]; /* "name" or "name [module]" */
};

struct fv_drops {
	struct drops *skel;
	struct bpf_link *link;
	struct bpf_program *prog;
	const char *kind;
	struct btf *btf;     /* vmlinux BTF: owns the reason name strings */
	const char **reason; /* [value] -> name without prefix */
	uint32_t nreason;
	const char **subsys; /* [subsystem id] -> name without prefix */
	uint32_t nsubsys;
	char reason_buf[64];
	struct ksym *syms; /* the cache, unsorted */
	size_t nsyms;
	bool syms_hidden; /* kptr_restrict: every address reads 0 */
	bool reasons;	  /* the kernel names them (enum skb_drop_reason) */
};

/* The measured faster order is the default; see docs/drops.md. */
static int proto_first_knob = 1;

static int force_raw_tp;
static int force_no_reasons;

void fv_drops_set_proto_first(int on)
{
	proto_first_knob = !!on;
}

void fv_drops_force_raw_tp(int on)
{
	force_raw_tp = !!on;
}

void fv_drops_force_no_reasons(int on)
{
	force_no_reasons = !!on;
}

static void set_err(char *err, size_t errlen, const char *fmt, ...)
{
	va_list ap;

	if (!err || !errlen)
		return;
	va_start(ap, fmt);
	vsnprintf(err, errlen, fmt, ap);
	va_end(ap);
}

static int silent_print(enum libbpf_print_level level, const char *fmt, va_list ap)
{
	return 0;
}

/* ---- reason names from the kernel's BTF ---- */

/* Fills table[value] for the enumerators of enum NAME carrying PREFIX. */
static int enum_table(const struct btf *btf, const char *name, const char *prefix,
		      uint32_t max, const char ***table, uint32_t *n)
{
	size_t plen = strlen(prefix);
	const struct btf_type *t;
	const struct btf_enum *e;
	uint32_t hi = 0;
	int id, i;

	id = btf__find_by_name_kind(btf, name, BTF_KIND_ENUM);
	if (id < 0)
		return id;
	t = btf__type_by_id(btf, id);
	e = btf_enum(t);
	for (i = 0; i < btf_vlen(t); i++)
		if ((uint32_t)e[i].val < max && (uint32_t)e[i].val + 1 > hi)
			hi = (uint32_t)e[i].val + 1;
	*table = calloc(hi ? hi : 1, sizeof(**table));
	if (!*table)
		return -ENOMEM;
	*n = hi;
	for (i = 0; i < btf_vlen(t); i++) {
		uint32_t v = (uint32_t)e[i].val;
		const char *s = btf__name_by_offset(btf, e[i].name_off);

		if (v >= hi || !s)
			continue;
		/* SKB_DROP_REASON_MAX and the like share a value with a
		 * real reason on some kernels: keep the first name. */
		if ((*table)[v])
			continue;
		if (!strncmp(s, prefix, plen))
			s += plen;
		/* Our own copy: the BTF (megabytes) is freed once read. */
		(*table)[v] = strdup(s);
		if (!(*table)[v])
			return -ENOMEM;
	}
	return 0;
}

static void free_table(const char **table, uint32_t n)
{
	uint32_t i;

	for (i = 0; table && i < n; i++)
		free((char *)table[i]);
	free(table);
}

static int load_reasons(struct fv_drops *d)
{
	int err;

	d->btf = btf__load_vmlinux_btf();
	if (!d->btf)
		return -errno;
	err = enum_table(d->btf, "skb_drop_reason", REASON_PREFIX, REASON_MAX,
			 &d->reason, &d->nreason);
	/* Before 5.17 the kernel has no drop reasons: drops are still
	 * counted, by their place. */
	d->reasons = !err && !force_no_reasons;
	if (err && err != -ENOENT)
		return err;
	/* Subsystems (mac80211, openvswitch...) came later: optional. */
	enum_table(d->btf, "skb_drop_reason_subsys", SUBSYS_PREFIX, REASON_MAX,
		   &d->subsys, &d->nsubsys);
	btf__free(d->btf);
	d->btf = NULL;
	return 0;
}

const char *fv_drops_reason_name(struct fv_drops *d, uint32_t reason)
{
	uint32_t sub = reason >> SUBSYS_SHIFT;

	if (!sub && reason < d->nreason && d->reason[reason])
		return d->reason[reason];
	if (sub && sub < d->nsubsys && d->subsys[sub])
		snprintf(d->reason_buf, sizeof(d->reason_buf), "%s:0x%x",
			 d->subsys[sub], reason & (REASON_MAX - 1));
	else
		snprintf(d->reason_buf, sizeof(d->reason_buf), "?%u", reason);
	return d->reason_buf;
}

/* ---- kernel symbols ---- */

static struct ksym *ksym_cached(const struct fv_drops *d, uint64_t addr)
{
	for (size_t i = 0; i < d->nsyms; i++) {
		if (d->syms[i].addr == addr)
			return &d->syms[i];
	}
	return NULL;
}

/* Resolve every address of want[] not yet cached, in one pass over
 * /proc/kallsyms (about 50 ms for 120,000 text symbols). */
static void ksym_resolve(struct fv_drops *d, const uint64_t *want, int n)
{
	char line[512], type, sym[256], mod[128];
	unsigned long long addr;
	bool nonzero = false;
	size_t first;
	FILE *f;
	int i, k;

	if (d->syms_hidden)
		return;
	first = d->nsyms;
	for (i = 0; i < n; i++) {
		struct ksym *s;

		if (!want[i] || ksym_cached(d, want[i]))
			continue;
		if (d->nsyms == SYM_CACHE_MAX) {
			if (!first)
				break; /* this batch alone fills it: the rest stay unknown */
			/* Start afresh with this batch only: every answer
			 * it needs must be in the cache after the pass. */
			d->nsyms = first = 0;
			i = -1;
			continue;
		}
		s = &d->syms[d->nsyms++];
		memset(s, 0, sizeof(*s));
		s->addr = want[i];
	}
	if (d->nsyms == first)
		return;
	f = fopen("/proc/kallsyms", "r");
	if (!f) {
		d->nsyms = first; /* not cached: "unknown" now, asked again */
		return;
	}
	while (fgets(line, sizeof(line), f)) {
		mod[0] = '\0';
		k = sscanf(line, "%llx %c %255s %127s", &addr, &type, sym, mod);
		if (k < 3 || (type != 't' && type != 'T'))
			continue;
		nonzero |= addr != 0;
		for (size_t j = first; j < d->nsyms; j++) {
			struct ksym *s = &d->syms[j];

			if (!addr || addr > s->addr || addr <= s->base)
				continue;
			s->base = addr;
			/* "name [module]" for module symbols, as the kernel prints. */
			if (k == 4)
				snprintf(s->name, sizeof(s->name),
					 "%.90s %.36s", sym, mod);
			else
				snprintf(s->name, sizeof(s->name), "%.127s", sym);
		}
	}
	fclose(f);
	d->syms_hidden = !nonzero;
	for (size_t j = first; j < d->nsyms; j++) {
		if (d->syms[j].base &&
		    d->syms[j].addr - d->syms[j].base >= SYM_MAX_OFF)
			d->syms[j].base = 0;
	}
}

/* A cached answer, or NULL: not asked yet, or no symbol there. */
static const struct ksym *ksym_hit(const struct fv_drops *d, uint64_t addr)
{
	const struct ksym *s = addr ? ksym_cached(d, addr) : NULL;

	return s && s->base ? s : NULL;
}

/* "symbol+0xoff [module]" (the offset belongs to the symbol) or "unknown". */
static void format_location(const struct ksym *s, uint64_t addr, char *buf,
			    size_t len)
{
	const char *mod;

	if (!s) {
		snprintf(buf, len, "unknown");
		return;
	}
	mod = strchr(s->name, ' ');
	if (mod)
		snprintf(buf, len, "%.*s+0x%llx%s", (int)(mod - s->name),
			 s->name, (unsigned long long)(addr - s->base), mod);
	else
		snprintf(buf, len, "%s+0x%llx", s->name,
			 (unsigned long long)(addr - s->base));
}

/* The function name only (a route's input function), "" if unknown. */
static void format_function(const struct ksym *s, char *buf, size_t len)
{
	buf[0] = '\0';
	if (s)
		snprintf(buf, len, "%.*s", (int)strcspn(s->name, " "), s->name);
}

const char *fv_drops_symbolize(struct fv_drops *d, uint64_t addr, char *buf,
			       size_t len)
{
	ksym_resolve(d, &addr, 1);
	format_location(ksym_hit(d, addr), addr, buf, len);
	return buf;
}

/* ---- the hook, where the facts tell it ---- */

static bool is(const char *s, const char *a, const char *b)
{
	return !strcmp(s, a) || (b && !strcmp(s, b));
}

/* LOCATION ("symbol+0xoff [module]") is in function NAME. */
static bool in_function(const char *location, const char *name)
{
	size_t n = strlen(name);

	return !strncmp(location, name, n) && location[n] == '+';
}

/* A NETFILTER_DROP is freed in nft_do_chain (nf_tables) or nf_hook_slow
 * (other verdicts) whatever the hook, so the location does not tell the
 * hook; the skb's state does. Before routing there is no route;
 * the route's input function is ip_forward for a forwarded packet and
 * ip_local_deliver for one to this host; a forwarded packet is still on its
 * input device at FORWARD and on its output device at POSTROUTING (so a
 * one-interface NAT's POSTROUTING drop reads as FORWARD); a locally
 * generated packet (no arrival interface) has no device yet at OUTPUT. */
static const char *guess_hook(const struct fv_drop_row *r)
{
	const char *rt = r->route_sym;

	if (!strcmp(r->reason_name, "NO_SOCKET"))
		return "no socket";
	/* Without reasons, netfilter's drops are known by their place. */
	if (!strcmp(r->reason_name, "NETFILTER_DROP") ||
	    (!r->reason_name[0] &&
	     (in_function(r->location_sym, "nf_hook_slow") ||
	      in_function(r->location_sym, "nft_do_chain")))) {
		if (!r->iif)
			return r->ifindex ? "netfilter POSTROUTING"
					  : "netfilter OUTPUT";
		if (!rt[0])
			return "netfilter PREROUTING";
		if (is(rt, "ip_forward", "ip6_forward"))
			return r->ifindex == r->iif ? "netfilter FORWARD"
						    : "netfilter POSTROUTING";
		if (is(rt, "ip_local_deliver", "ip6_input"))
			return "netfilter INPUT";
		return "netfilter";
	}
	if (is(rt, "ip_error", "ip6_pkt_drop") ||
	    is(rt, "ip6_pkt_prohibit", "ip6_pkt_discard") ||
	    is(r->reason_name, "IP_INNOROUTES", "IP_OUTNOROUTES") ||
	    is(r->reason_name, "IP_INADDRERRORS", NULL))
		return "routing";
	return NULL;
}

/* ---- lifecycle ---- */

static int try_load(struct fv_drops *d, bool btf, const uint32_t *inums, int n,
		    uint16_t port, char *err, size_t errlen)
{
	libbpf_print_fn_t old = NULL;
	uint8_t one = 1;
	int ret, fd, i;

	d->skel = drops__open();
	if (!d->skel) {
		ret = -errno;
		set_err(err, errlen, "cannot open the drops BPF object: %s",
			strerror(-ret));
		return ret;
	}
	d->skel->rodata->ntp_port_be = htons(port);
	d->skel->rodata->proto_first = proto_first_knob;
	if (d->reasons)
		d->prog = btf ? d->skel->progs.fv_drop_btf
			      : d->skel->progs.fv_drop_raw;
	else
		d->prog = btf ? d->skel->progs.fv_drop_btf_noreason
			      : d->skel->progs.fv_drop_raw_noreason;
	bpf_program__set_autoload(d->skel->progs.fv_drop_btf, false);
	bpf_program__set_autoload(d->skel->progs.fv_drop_raw, false);
	bpf_program__set_autoload(d->skel->progs.fv_drop_btf_noreason, false);
	bpf_program__set_autoload(d->skel->progs.fv_drop_raw_noreason, false);
	bpf_program__set_autoload(d->prog, true);
	d->kind = btf ? "tp_btf" : "raw_tp";

	/* A refused tp_btf is expected on some kernels: keep its verifier
	 * log out of the caller's output; raw_tp failures are shown. */
	if (btf)
		old = libbpf_set_print(silent_print);
	ret = drops__load(d->skel);
	if (btf)
		libbpf_set_print(old);
	if (ret) {
		set_err(err, errlen,
			"cannot load the %s/kfree_skb program: %s (" FV_CAPS_NEEDED
			", and BTF at /sys/kernel/btf/vmlinux)",
			d->kind, strerror(-ret));
		return ret;
	}

	fd = bpf_map__fd(d->skel->maps.drop_netns);
	for (i = 0; i < n; i++) {
		if (bpf_map_update_elem(fd, &inums[i], &one, BPF_ANY)) {
			ret = -errno;
			set_err(err, errlen, "cannot fill %s: %s",
				FV_MAP_DROP_NETNS, strerror(-ret));
			return ret;
		}
	}

	d->link = bpf_program__attach(d->prog);
	if (!d->link) {
		ret = -errno;
		set_err(err, errlen,
			"cannot attach %s/kfree_skb: %s (is the kfree_skb tracepoint in this kernel?)",
			d->kind, strerror(-ret));
		return ret;
	}
	return 0;
}

static void unload(struct fv_drops *d)
{
	bpf_link__destroy(d->link);
	d->link = NULL;
	drops__destroy(d->skel);
	d->skel = NULL;
}

int fv_drops_start(struct fv_drops **out, const uint32_t *netns_inums, int n,
		   uint16_t port_host_order, char *err, size_t errlen)
{
	struct fv_drops *d;
	int ret, i;

	*out = NULL;
	if (n < 1 || n > FV_DROP_NETNS_MAX || !netns_inums || !port_host_order) {
		set_err(err, errlen,
			"drops: need 1..%d namespaces and a non-zero port",
			FV_DROP_NETNS_MAX);
		return -EINVAL;
	}
	for (i = 0; i < n; i++) {
		if (!netns_inums[i]) {
			set_err(err, errlen, "drops: namespace inode 0");
			return -EINVAL;
		}
	}
	d = calloc(1, sizeof(*d));
	if (!d) {
		set_err(err, errlen, "drops: out of memory");
		return -ENOMEM;
	}
	ret = load_reasons(d);
	if (ret) {
		set_err(err, errlen,
			"cannot read enum skb_drop_reason from the kernel's BTF: %s (no BTF at /sys/kernel/btf/vmlinux? needs CONFIG_DEBUG_INFO_BTF)",
			strerror(-ret));
		goto fail;
	}
	d->syms = calloc(SYM_CACHE_MAX, sizeof(*d->syms));
	if (!d->syms) {
		ret = -ENOMEM;
		set_err(err, errlen, "out of memory");
		goto fail;
	}

	ret = -EOPNOTSUPP;
	if (!force_raw_tp)
		ret = try_load(d, true, netns_inums, n, port_host_order, err,
			       errlen);
	if (ret) {
		unload(d);
		ret = try_load(d, false, netns_inums, n, port_host_order, err,
			       errlen);
		if (ret)
			goto fail;
	}
	*out = d;
	return 0;
fail:
	fv_drops_stop(d);
	return ret;
}

void fv_drops_stop(struct fv_drops *d)
{
	if (!d)
		return;
	unload(d);
	btf__free(d->btf);
	free_table(d->reason, d->nreason);
	free_table(d->subsys, d->nsubsys);
	free(d->syms);
	free(d);
}

bool fv_drops_has_reasons(const struct fv_drops *d)
{
	return d->reasons;
}

const char *fv_drops_attach_kind(const struct fv_drops *d)
{
	return d->kind;
}

/* Names the rows' locations and route functions, resolved in one pass
 * over the kernel's symbols, then guesses each hook from them. */
static void symbolize_rows(struct fv_drops *d, struct fv_drop_row *rows, int n)
{
	uint64_t *want = calloc(2 * (size_t)n + 1, sizeof(*want));
	int i;

	for (i = 0; want && i < n; i++) {
		want[2 * i] = rows[i].location;
		want[2 * i + 1] = rows[i].route_input;
	}
	if (want)
		ksym_resolve(d, want, 2 * n);
	free(want);
	for (i = 0; i < n; i++) {
		struct fv_drop_row *r = &rows[i];

		format_location(ksym_hit(d, r->location), r->location,
				r->location_sym, sizeof(r->location_sym));
		format_function(ksym_hit(d, r->route_input), r->route_sym,
				sizeof(r->route_sym));
		r->hook = guess_hook(r);
	}
}

int fv_drops_read(struct fv_drops *d, struct fv_drop_row **rows, int *n)
{
	struct fv_drop_key key, next, *prev = NULL;
	struct fv_drop_row *out = NULL, *r;
	int fd = bpf_map__fd(d->skel->maps.drops), cnt = 0, cap = 0;
	struct fv_drop_val val;

	*rows = NULL;
	*n = 0;
	for (;;) {
		if (bpf_map_get_next_key(fd, prev, &next)) {
			int ret = -errno;

			if (ret == -ENOENT)
				break;
			free(out);
			return ret;
		}
		key = next;
		prev = &key;
		/* Deleted meanwhile (never by us): skip. */
		if (bpf_map_lookup_elem(fd, &key, &val))
			continue;
		if (cnt == cap) {
			cap = cap ? cap * 2 : 64;
			r = realloc(out, cap * sizeof(*out));
			if (!r) {
				free(out);
				return -ENOMEM;
			}
			out = r;
		}
		r = &out[cnt++];
		memset(r, 0, sizeof(*r));
		r->reason = key.reason;
		/* Empty: the kernel names none. */
		if (d->reasons)
			snprintf(r->reason_name, sizeof(r->reason_name), "%s",
				 fv_drops_reason_name(d, key.reason));
		r->location = key.location;
		r->route_input = key.dst_input; /* named after the walk */
		r->netns_inum = key.netns;
		r->ifindex = key.ifindex;
		r->iif = key.iif;
		r->family = key.family;
		memcpy(r->saddr, key.saddr, 16);
		memcpy(r->daddr, key.daddr, 16);
		r->sport = ntohs(key.sport);
		r->dport = ntohs(key.dport);
		r->mode = key.mode == FV_DROP_MODE_NONE ? -1 : key.mode;
		r->count = val.count;
		r->last_ns = val.last_ns;
	}
	symbolize_rows(d, out, cnt);
	*rows = out;
	*n = cnt;
	return 0;
}

int fv_drops_counters(struct fv_drops *d, struct fv_drops_counters *c)
{
	int fd = bpf_map__fd(d->skel->maps.drop_stats);
	uint64_t sum[FV_DROP_STAT_MAX] = { 0 };
	uint32_t i;
	int ret;

	for (i = 0; i < FV_DROP_STAT_MAX; i++) {
		ret = fv_percpu_sum(fd, i, &sum[i]);
		if (ret)
			return ret;
	}
	c->matched = sum[FV_DROP_STAT_MATCHED];
	c->table_full = sum[FV_DROP_STAT_TABLE_FULL];
	c->truncated = sum[FV_DROP_STAT_TRUNCATED];
	c->fragment = sum[FV_DROP_STAT_FRAGMENT];
	return 0;
}

int fv_drops_prog_stats(struct fv_drops *d, uint64_t *run_cnt,
			uint64_t *run_time_ns)
{
	struct bpf_prog_info info;
	uint32_t len = sizeof(info);

	memset(&info, 0, sizeof(info));
	if (bpf_obj_get_info_by_fd(bpf_program__fd(d->prog), &info, &len))
		return -errno;
	*run_cnt = info.run_cnt;
	*run_time_ns = info.run_time_ns;
	return 0;
}

int fv_drops_add_netns(struct fv_drops *d, uint32_t inum)
{
	uint8_t one = 1;

	if (bpf_map_update_elem(bpf_map__fd(d->skel->maps.drop_netns), &inum,
				&one, BPF_ANY))
		return -errno;
	return 0;
}
