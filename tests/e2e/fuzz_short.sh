#!/usr/bin/env bash
# SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
# The libFuzzer targets, briefly: every saved crash and seed once, then a
# few seconds of fuzzing each (FV_FUZZ_TIME, default 4). `make fuzz` runs
# them for longer.
cd "$(dirname "$0")/../.."
exec fuzz/run.sh --time "${FV_FUZZ_TIME:-4}"
