#!/usr/bin/env bash
# SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
# Install the Debian packages flowverify needs to build, run its lab and
# test. Idempotent. --check-only exits 1 when something is missing.
set -euo pipefail

PKGS=(make clang llvm libbpf-dev bpftool libelf-dev zlib1g-dev pkg-config
      libjansson-dev libcmocka-dev iproute2 nftables libnftables-dev chrony tcpdump jq
      libmicrohttpd-dev libcurl4-openssl-dev libcap-dev prometheus curl
      libpcap-dev chromium # --pcap; the --report page rendered in the tests
      libgnutls28-dev nettle-dev libgmp-dev libtasn1-6-dev libidn2-dev libunistring-dev libp11-kit-dev openssl # make dist
      valgrind libcap2-bin python3 python3-jsonschema clang-format qemu-system-x86 busybox-static
      kmod xz-utils)

missing=()
for p in "${PKGS[@]}"; do
	dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'ok installed' ||
		missing+=("$p")
done

if [ ${#missing[@]} -eq 0 ]; then
	exit 0
fi
if [ "${1:-}" = "--check-only" ]; then
	echo "missing packages: ${missing[*]}" >&2
	exit 1
fi
if [ "$(id -u)" -ne 0 ]; then
	echo "deps: installing ${missing[*]} needs root" >&2
	exit 2
fi
echo "deps: installing ${missing[*]}"
# chrony is only needed as a binary for the lab: keep the package from
# starting a system chronyd that would take over this host's clock. The
# same for prometheus: the tests start their own, on loopback.
policy=/usr/sbin/policy-rc.d
made_policy=0
if [ ! -e "$policy" ]; then
	printf '#!/bin/sh\nexit 101\n' > "$policy"
	chmod 0755 "$policy"
	made_policy=1
fi
trap '[ $made_policy -eq 1 ] && rm -f "$policy"' EXIT
export DEBIAN_FRONTEND=noninteractive
apt-get update -qq
apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
