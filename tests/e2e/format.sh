#!/usr/bin/env bash
# SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
# The C sources are as .clang-format makes them (make format-check).
set -u
cd "$(dirname "$0")/../.."
. tests/e2e/lib.sh
trap 'rm -rf "$TMP"' EXIT

echo 1..1
# clang-format is a dependency (scripts/deps.sh): missing is a failure.
if make -s format-check >"$TMP/out" 2>&1; then
	ok "make format-check: every C source as clang-format makes it"
else
	not_ok "make format-check: every C source as clang-format makes it"
	diag "$(grep -c 'clang-format-violations' "$TMP/out") places differ ('make format' fixes them), the first:"
	grep -m 10 -e 'clang-format-violations' -e 'rror' "$TMP/out" | sed 's/^/# /'
fi
