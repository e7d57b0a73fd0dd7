// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/* The portable build (make dist, docs/portable.md) links no libnftables:
 * Debian ships no static archive of it. The masquerade host check
 * (user/core/hostcheck.c) calls these instead, which go to the host's
 * own libnftables.so.1, loaded on first use. Without one, nft_ctx_new()
 * returns NULL and the check says unknown, naming the library; nothing
 * else needs it. */
#include <stddef.h>
#include <stdint.h>
#include <nftables/libnftables.h>

#include "runtime_lib.h"

static struct {
	void *lib;
	struct nft_ctx *(*ctx_new)(uint32_t flags);
	void (*ctx_free)(struct nft_ctx *ctx);
	void (*output_set_flags)(struct nft_ctx *ctx, unsigned int flags);
	int (*buffer_output)(struct nft_ctx *ctx);
	int (*buffer_error)(struct nft_ctx *ctx);
	const char *(*get_output_buffer)(struct nft_ctx *ctx);
	const char *(*get_error_buffer)(struct nft_ctx *ctx);
	int (*run_cmd_from_buffer)(struct nft_ctx *nft, const char *buf);
} ln;

/* Loads it once; false when the host has none (or a broken one). */
static int have_libnftables(void)
{
	static const char *const sonames[] = { "libnftables.so.1" };
	static const struct fv_runtime_sym syms[] = {
		{ "nft_ctx_new", (void **)&ln.ctx_new },
		{ "nft_ctx_free", (void **)&ln.ctx_free },
		{ "nft_ctx_output_set_flags", (void **)&ln.output_set_flags },
		{ "nft_ctx_buffer_output", (void **)&ln.buffer_output },
		{ "nft_ctx_buffer_error", (void **)&ln.buffer_error },
		{ "nft_ctx_get_output_buffer", (void **)&ln.get_output_buffer },
		{ "nft_ctx_get_error_buffer", (void **)&ln.get_error_buffer },
		{ "nft_run_cmd_from_buffer", (void **)&ln.run_cmd_from_buffer },
	};
	char why[256];

	if (!ln.lib)
		ln.lib = fv_runtime_open(sonames, FV_ARRAY_LEN(sonames), syms,
					 FV_ARRAY_LEN(syms), why, sizeof(why));
	return ln.lib != NULL;
}

/* The only entry point called first: every other one has a context. */
struct nft_ctx *nft_ctx_new(uint32_t flags)
{
	return have_libnftables() ? ln.ctx_new(flags) : NULL;
}

void nft_ctx_free(struct nft_ctx *ctx)
{
	ln.ctx_free(ctx);
}

void nft_ctx_output_set_flags(struct nft_ctx *ctx, unsigned int flags)
{
	ln.output_set_flags(ctx, flags);
}

int nft_ctx_buffer_output(struct nft_ctx *ctx)
{
	return ln.buffer_output(ctx);
}

int nft_ctx_buffer_error(struct nft_ctx *ctx)
{
	return ln.buffer_error(ctx);
}

const char *nft_ctx_get_output_buffer(struct nft_ctx *ctx)
{
	return ln.get_output_buffer(ctx);
}

const char *nft_ctx_get_error_buffer(struct nft_ctx *ctx)
{
	return ln.get_error_buffer(ctx);
}

int nft_run_cmd_from_buffer(struct nft_ctx *nft, const char *buf)
{
	return ln.run_cmd_from_buffer(nft, buf);
}
