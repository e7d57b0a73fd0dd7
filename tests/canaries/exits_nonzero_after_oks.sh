#!/usr/bin/env bash
# SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
# Canary for tests/run.sh (tests/e2e/runner_selftest.sh runs it; the
# normal run never does): two passes, then exit 1 before its plan.
# run.sh must fail it: the exit status says something went wrong.
echo "ok 1 - first"
echo "ok 2 - second"
exit 1
