// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/* The portable build (make dist, docs/portable.md) links no libnftables:
 * Debian ships no static archive of it. The masquerade host check
 * (user/core/hostcheck.c) calls these instead, which go to the host's
 * own libnftables.so.1, loaded on first use. Without one, nft_ctx_new()
 * returns NULL and the check says unknown, naming the library; nothing
 * else needs it. */
#include <dlfcn.h>
#include <stddef.h>
#include <stdint.h>
#include <nftables/libnftables.h>

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
	void *l;

	if (ln.lib)
		return 1;
	l = dlopen("libnftables.so.1", RTLD_NOW | RTLD_LOCAL);
	if (!l)
		return 0;
	*(void **)&ln.ctx_new = dlsym(l, "nft_ctx_new");
	*(void **)&ln.ctx_free = dlsym(l, "nft_ctx_free");
	*(void **)&ln.output_set_flags = dlsym(l, "nft_ctx_output_set_flags");
	*(void **)&ln.buffer_output = dlsym(l, "nft_ctx_buffer_output");
	*(void **)&ln.buffer_error = dlsym(l, "nft_ctx_buffer_error");
	*(void **)&ln.get_output_buffer = dlsym(l, "nft_ctx_get_output_buffer");
	*(void **)&ln.get_error_buffer = dlsym(l, "nft_ctx_get_error_buffer");
	*(void **)&ln.run_cmd_from_buffer = dlsym(l, "nft_run_cmd_from_buffer");
	if (!ln.ctx_new || !ln.ctx_free || !ln.output_set_flags ||
	    !ln.buffer_output || !ln.buffer_error || !ln.get_output_buffer ||
	    !ln.get_error_buffer || !ln.run_cmd_from_buffer) {
		dlclose(l);
		return 0;
	}
	ln.lib = l;
	return 1;
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
