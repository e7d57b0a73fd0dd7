#!/usr/bin/env bash
# SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
# Fetch the Debian kernels the matrix boots (docs/kernels.md) into
# $KDIR (default .output/kernels), with `apt-get download` only:
#   6.1   bookworm's linux-image-cloud-amd64 dependency
#   6.12  bookworm's linux-image-6.12-cloud-amd64 dependency (+deb12)
#   5.10  bullseye's linux-image-cloud-amd64 dependency, through a
#         temporary sources list and lists folder (no system change)
# The mirror is the one this machine's /etc/apt/sources.list(.d) names.
# Prints "<name> <path of .deb>" per kernel. Usage: fetch.sh [6.1 6.12 5.10]
set -euo pipefail

KDIR=${KDIR:-.output/kernels}
mkdir -p "$KDIR"
KDIR=$(cd "$KDIR" && pwd)
want=("$@")
[ ${#want[@]} -gt 0 ] || want=(6.1 6.12 5.10)

# The first debian (not debian-security) URI in this machine's sources.
mirror() {
	local u
	u=$(cat /etc/apt/sources.list /etc/apt/sources.list.d/*.sources \
		/etc/apt/sources.list.d/*.list 2>/dev/null |
		grep -oE '(https?)://[^ ]+/debian/?( |$)' | head -n1 | tr -d ' ')
	[ -n "$u" ] || { echo "fetch: no Debian mirror in /etc/apt/sources.list*" >&2; return 1; }
	echo "${u%/}"
}

# The package a meta-package depends on (linux-image-...).
dep_of() {
	apt-cache "${APT_OPTS[@]}" depends "$1" 2>/dev/null |
		awk '/Depends: linux-image-/ {print $2; exit}'
}

download() { # pkg
	local pkg=$1 have
	have=$(ls "$KDIR"/"${pkg}"_*.deb 2>/dev/null | head -n1 || true)
	if [ -z "$have" ]; then
		(cd "$KDIR" && apt-get "${APT_OPTS[@]}" download "$pkg" >&2)
		have=$(ls "$KDIR"/"${pkg}"_*.deb | head -n1)
	fi
	echo "$have"
}

APT_OPTS=()
for k in "${want[@]}"; do
	case $k in
	6.1)
		APT_OPTS=()
		pkg=$(dep_of linux-image-cloud-amd64) ;;
	6.12)
		APT_OPTS=()
		pkg=$(dep_of linux-image-6.12-cloud-amd64) ;;
	5.10)
		tmp=$KDIR/apt-bullseye
		mkdir -p "$tmp/lists/partial"
		echo "deb $(mirror) bullseye main" > "$tmp/bullseye.list"
		APT_OPTS=(-o "Dir::Etc::SourceList=$tmp/bullseye.list"
			  -o Dir::Etc::SourceParts=/dev/null
			  -o "Dir::State::Lists=$tmp/lists")
		# Refresh at most once a day.
		if [ -z "$(find "$tmp/lists" -maxdepth 1 -name '*Packages*' -mmin -1440 2>/dev/null)" ]; then
			apt-get "${APT_OPTS[@]}" update -qq >&2
		fi
		pkg=$(dep_of linux-image-cloud-amd64) ;;
	*) echo "fetch: unknown kernel $k (6.1, 6.12, 5.10)" >&2; exit 2 ;;
	esac
	[ -n "$pkg" ] || { echo "fetch: no package for $k" >&2; exit 1; }
	echo "$k $(download "$pkg")"
done
