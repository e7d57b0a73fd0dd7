#!/usr/bin/env bash
# SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
# Canary for tests/run.sh (tests/e2e/runner_selftest.sh runs it; the
# normal run never does): one pass, then it hangs past the runner's
# timeout and is killed (timeout exits 124) before the rest and its
# plan. Left alone it would pass twice, 30 s later.
echo "ok 1 - started"
sleep 30
echo "ok 2 - finished"
echo "1..2"
