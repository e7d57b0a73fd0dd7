// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/* The portable build (make dist, docs/portable.md) links no libcurl: the
 * few libcurl calls of 'verify --agent' (user/agent/remote.c) land here
 * and go to the host's own libcurl, loaded on first use. Debian's static
 * libcurl cannot be linked sanely (GSS-API has no static archive; LDAP
 * brings SASL with SQL and Berkeley DB back ends), and a libcurl built
 * here would look for CA certificates where Debian keeps them, not where
 * the host does. Without a libcurl on the host, 'verify --agent' says so
 * in one line and exits 2; every other command works. */
#define CURL_DISABLE_TYPECHECK
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <curl/curl.h>

#include "runtime_lib.h"

/* The same ABI (soname 4), under the names distributions ship it. */
static const char *const sonames[] = { "libcurl.so.4", "libcurl-gnutls.so.4" };

static struct {
	void *lib;
	CURLcode (*global_init)(long flags);
	void (*global_cleanup)(void);
	CURL *(*easy_init)(void);
	CURLcode (*easy_setopt)(CURL *c, CURLoption opt, ...);
	CURLcode (*easy_perform)(CURL *c);
	CURLcode (*easy_getinfo)(CURL *c, CURLINFO info, ...);
	void (*easy_cleanup)(CURL *c);
	const char *(*easy_strerror)(CURLcode rc);
} lc;

/* Loads the host's libcurl once, or exits 2 with one line saying why. */
static void need_libcurl(void)
{
	static const struct fv_runtime_sym syms[] = {
		{ "curl_global_init", (void **)&lc.global_init },
		{ "curl_global_cleanup", (void **)&lc.global_cleanup },
		{ "curl_easy_init", (void **)&lc.easy_init },
		{ "curl_easy_setopt", (void **)&lc.easy_setopt },
		{ "curl_easy_perform", (void **)&lc.easy_perform },
		{ "curl_easy_getinfo", (void **)&lc.easy_getinfo },
		{ "curl_easy_cleanup", (void **)&lc.easy_cleanup },
		{ "curl_easy_strerror", (void **)&lc.easy_strerror },
	};
	char why[256];

	if (lc.lib)
		return;
	lc.lib = fv_runtime_open(sonames, FV_ARRAY_LEN(sonames), syms,
				 FV_ARRAY_LEN(syms), why, sizeof(why));
	if (lc.lib)
		return;
	fprintf(stderr,
		"flowverify: verify --agent needs libcurl on this host (this "
		"portable build loads it when asked: %s); install libcurl "
		"(libcurl4 on Debian and Ubuntu, libcurl-minimal on Amazon "
		"Linux)\n",
		why);
	exit(2);
}

CURLcode curl_global_init(long flags)
{
	need_libcurl();
	return lc.global_init(flags);
}

void curl_global_cleanup(void)
{
	if (lc.lib)
		lc.global_cleanup();
}

CURL *curl_easy_init(void)
{
	need_libcurl();
	return lc.easy_init();
}

/* libcurl reads the argument by the option's type, which its number
 * tells (CURLOPTTYPE_* in curl.h). */
CURLcode curl_easy_setopt(CURL *c, CURLoption opt, ...)
{
	CURLcode rc;
	va_list ap;

	va_start(ap, opt);
	if (opt < CURLOPTTYPE_OBJECTPOINT)
		rc = lc.easy_setopt(c, opt, va_arg(ap, long));
	else if (opt < CURLOPTTYPE_FUNCTIONPOINT)
		rc = lc.easy_setopt(c, opt, va_arg(ap, void *));
	else if (opt < CURLOPTTYPE_OFF_T)
		rc = lc.easy_setopt(c, opt, va_arg(ap, void (*)(void)));
	else if (opt < CURLOPTTYPE_BLOB)
		rc = lc.easy_setopt(c, opt, va_arg(ap, curl_off_t));
	else
		rc = lc.easy_setopt(c, opt, va_arg(ap, void *));
	va_end(ap);
	return rc;
}

CURLcode curl_easy_perform(CURL *c)
{
	return lc.easy_perform(c);
}

/* Every CURLINFO_* takes a pointer to where the answer goes. */
CURLcode curl_easy_getinfo(CURL *c, CURLINFO info, ...)
{
	CURLcode rc;
	va_list ap;

	va_start(ap, info);
	rc = lc.easy_getinfo(c, info, va_arg(ap, void *));
	va_end(ap);
	return rc;
}

void curl_easy_cleanup(CURL *c)
{
	if (lc.lib)
		lc.easy_cleanup(c);
}

const char *curl_easy_strerror(CURLcode rc)
{
	return lc.lib ? lc.easy_strerror(rc) : "libcurl not loaded";
}
