#!/usr/bin/env bash
# SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
# Canary for tests/run.sh (tests/e2e/runner_selftest.sh runs it; the
# normal run never does): dies under set -u half way (an unbound
# variable, exit 1) after one pass. Like a suite that prints its plan
# last through done_testing, its plan never appears.
set -u
n=0
ok() { n=$((n + 1)); echo "ok $n - $*"; }
ok "before the typo"
echo "$no_such_variable"
ok "never reached"
echo "1..$n"
