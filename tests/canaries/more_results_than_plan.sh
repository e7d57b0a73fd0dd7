#!/usr/bin/env bash
# SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
# Canary for tests/run.sh (tests/e2e/runner_selftest.sh runs it; the
# normal run never does): plans 2 results and prints 3, exit 0: its plan
# is wrong or it ran something twice.
echo "1..2"
echo "ok 1 - one"
echo "ok 2 - two"
echo "ok 3 - one too many"
