#!/usr/bin/env bash
# SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
# Canary for tests/run.sh (tests/e2e/runner_selftest.sh runs it; the
# normal run never does): an honest suite. Plan first, two passes, one
# skip with its reason, exit 0: 2 passed, 0 failed, 1 skipped, and the
# reason listed.
echo "1..3"
echo "ok 1 - one"
echo "ok 2 - two"
echo "ok 3 # SKIP no time namespaces here"
exit 0
