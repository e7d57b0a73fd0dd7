// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/* The portable build (make dist, docs/portable.md) links no libpcap:
 * Debian's libpcap.a needs libdbus-1 and libsystemd, and there is no
 * static libsystemd. The few calls of --pcap (user/core/pcap.c) land here
 * and go to the host's own libpcap, loaded when --pcap is given, before
 * anything is attached. Without one, --pcap says so in one line and exits
 * 2; nothing else needs it. */
#include <stdio.h>
#include <stdlib.h>
#include <pcap/pcap.h>

#include "runtime_lib.h"

/* Debian and Ubuntu name the soname 0.8, Fedora and Amazon Linux 1. */
static const char *const sonames[] = { "libpcap.so.0.8", "libpcap.so.1" };

static struct {
	void *lib;
	pcap_t *(*open_dead)(int linktype, int snaplen, u_int precision);
	pcap_dumper_t *(*dump_open)(pcap_t *p, const char *fname);
	char *(*geterr)(pcap_t *p);
	void (*close)(pcap_t *p);
	void (*dump)(u_char *user, const struct pcap_pkthdr *h, const u_char *sp);
	FILE *(*dump_file)(pcap_dumper_t *p);
	int (*dump_flush)(pcap_dumper_t *p);
	void (*dump_close)(pcap_dumper_t *p);
} lp;

/* Loads the host's libpcap once, or exits 2 with one line saying why. */
static void need_libpcap(void)
{
	static const struct fv_runtime_sym syms[] = {
		{ "pcap_open_dead_with_tstamp_precision", (void **)&lp.open_dead },
		{ "pcap_dump_open", (void **)&lp.dump_open },
		{ "pcap_geterr", (void **)&lp.geterr },
		{ "pcap_close", (void **)&lp.close },
		{ "pcap_dump", (void **)&lp.dump },
		{ "pcap_dump_file", (void **)&lp.dump_file },
		{ "pcap_dump_flush", (void **)&lp.dump_flush },
		{ "pcap_dump_close", (void **)&lp.dump_close },
	};
	char why[256];

	if (lp.lib)
		return;
	lp.lib = fv_runtime_open(sonames, FV_ARRAY_LEN(sonames), syms,
				 FV_ARRAY_LEN(syms), why, sizeof(why));
	if (lp.lib)
		return;
	fprintf(stderr,
		"flowverify: --pcap needs libpcap on this host (this portable "
		"build loads it when asked: %s); install libpcap (libpcap0.8 "
		"on Debian and Ubuntu, libpcap on Amazon Linux)\n",
		why);
	exit(2);
}

pcap_t *pcap_open_dead_with_tstamp_precision(int linktype, int snaplen,
					     u_int precision)
{
	need_libpcap();
	return lp.open_dead(linktype, snaplen, precision);
}

pcap_dumper_t *pcap_dump_open(pcap_t *p, const char *fname)
{
	return lp.dump_open(p, fname);
}

char *pcap_geterr(pcap_t *p)
{
	return lp.geterr(p);
}

void pcap_close(pcap_t *p)
{
	lp.close(p);
}

void pcap_dump(u_char *user, const struct pcap_pkthdr *h, const u_char *sp)
{
	lp.dump(user, h, sp);
}

FILE *pcap_dump_file(pcap_dumper_t *p)
{
	return lp.dump_file(p);
}

int pcap_dump_flush(pcap_dumper_t *p)
{
	return lp.dump_flush(p);
}

void pcap_dump_close(pcap_dumper_t *p)
{
	lp.dump_close(p);
}
