#!/usr/bin/env bash
# SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
# check-binary.sh FILE [GLIBC [NAME]]: the portable build's promise (make
# dist, docs/portable.md). FILE runs on glibc GLIBC (default 2.34) or newer:
# no symbol of a later GLIBC_ version (objdump -T), and it needs no shared
# library but glibc's own (objdump -p: NEEDED). Prints one line saying so
# (calling the file NAME, default FILE); otherwise the symbols or libraries
# at fault, and exits 1.
set -euo pipefail

f=$1 floor=${2:-2.34} name=${3:-$1}
# glibc's libraries, by soname: all a glibc 2.34 system has in /lib.
glibc_libs=" libc.so.6 libm.so.6 libpthread.so.0 libdl.so.2 librt.so.1 libresolv.so.2 ld-linux-x86-64.so.2 ld-linux-aarch64.so.1 "

syms=$(objdump -T "$f")
# "0000... DF *UND* 0000... (GLIBC_2.34) name" or "GLIBC_2.34 name".
vers=$(grep -o 'GLIBC_[0-9][0-9.]*' <<<"$syms" | sed 's/^GLIBC_//' | sort -uV)
top=$(tail -n 1 <<<"$vers")
bad=0
for v in $vers; do
	[ "$(printf '%s\n%s\n' "$v" "$floor" | sort -V | tail -n 1)" = "$floor" ] && continue
	echo "$name: needs glibc $v, above the floor $floor:" >&2
	grep -F "GLIBC_$v)" <<<"$syms" | awk '{print "  " $NF}' >&2
	bad=1
done

needed=$(objdump -p "$f" | awk '$1 == "NEEDED" {print $2}')
for lib in $needed; do
	[[ $glibc_libs == *" $lib "* ]] && continue
	echo "$name: needs the shared library $lib, which is not glibc's (link it statically)" >&2
	bad=1
done

[ "$bad" -eq 0 ] || exit 1
echo "$name: glibc GLIBC_${top:-none} at most (floor $floor); shared libraries: $(echo $needed)"
