#!/usr/bin/env bash
# SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
# Regenerate README.md's output samples from real runs: a lab instance of
# its own (fv-rs<pid>-*, shown under the default lab's names fv-nat, ...),
# each command run for real, and the code block after each
# "<!-- readme-samples: NAME -->" line replaced by "$ COMMAND" and what it
# printed (abridged only where the sample says so, by the filter below).
# Run as root from the top of the tree after `make`; the lab is torn down
# on exit. --check: the same runs, README left as it is; exit 1 if a
# marker has no block or no sample.
set -u
cd "$(dirname "$0")/.."
FV=${FV:-./flowverify}
INST=rs$$
OUT=$(mktemp -d /tmp/fv-samples.XXXXXX)
lab() { $FV lab --instance $INST "$@"; }
made=0
cleanup() {
	[ $made -eq 1 ] && lab down >/dev/null 2>&1
	rm -rf "$OUT"
}
trap cleanup EXIT

if [ "$(id -u)" -ne 0 ]; then
	echo "readme-samples: run as root (it builds a lab and attaches BPF programs)" >&2
	exit 2
fi
NAT=fv-$INST-nat:eth0 CLIENT=fv-$INST-client:eth0

# sample NAME FILTER COMMAND...: runs COMMAND (as ./flowverify ARGS, the
# lab's names shown as the default lab's), its stdout through FILTER (a
# shell pipeline reading stdin; "cat" for all of it), into $OUT/NAME.
sample() {
	local name=$1 filter=$2 shown
	shift 2
	shown=$(printf '%s ' "$@" | sed "s/fv-$INST-/fv-/g; s|^$FV |./flowverify |")
	{
		printf '$ %s\n' "${shown% }"
		"$@" 2>/dev/null | sed "s/fv-$INST-/fv-/g" | eval "$filter"
	} >"$OUT/$name"
}

echo "readme-samples: building lab instance $INST" >&2
lab up >/dev/null || exit 1
made=1

sample verify-healthy cat $FV verify --nat $NAT --client $CLIENT --duration 3
# NAT only: the lines that differ from the healthy sample above.
sample verify-nat "{ echo ...; sed -n '/^coverage:/,/^OK/p'; }" \
	$FV verify --nat $NAT --duration 3
sample trace-healthy "head -2" $FV trace --nat $NAT --client $CLIENT --duration 3

lab fault no-public-in-ephemeral >/dev/null || exit 1
sample verify-fault cat $FV verify --nat $NAT --client $CLIENT --duration 3
sample verify-fault-json "jq '{status, segment, explanation, evidence,
	exchanges: (.exchanges | {answered, unanswered, in_flight, lost_by_segment: {beyond_nat: .lost_by_segment.beyond_nat}}),
	legs: [.legs[] | {leg, name, packets, flows: .flows[:1]}],
	nat_mappings, events,
	points: [.points[] | {role, netns, interfaces: [.interfaces[] | {name, ingress, egress}]}]}'" \
	$FV verify --nat $NAT --duration 3 --json
# The last plain frame of a watch into a pipe.
sample watch "awk '/^flowverify watch /{f=\"\"} {f=f \$0 \"\\n\"} END{printf \"%s\", f}'" \
	$FV watch --nat $NAT --client $CLIENT --duration 3

lab fault nat-firewall-drops-replies >/dev/null || exit 1
sample verify-drops "{ echo ...; sed -n '/^FAULT/,/^\$/p' | sed '/^\$/d'; }" \
	$FV verify --nat $NAT --client $CLIENT --duration 3
sample trace-lost "grep -m1 lost" $FV trace --nat $NAT --duration 3

python3 - "$OUT" README.md "${1:-}" <<'EOF'
import os, re, sys
out, path, mode = sys.argv[1], sys.argv[2], sys.argv[3]
lines = open(path).read().split("\n")
res, i, missing = [], 0, []
while i < len(lines):
    line = lines[i]
    res.append(line)
    m = re.match(r"<!-- readme-samples: ([a-z-]+) -->$", line)
    i += 1
    if not m:
        continue
    name = m.group(1)
    if i >= len(lines) or lines[i] != "```" or not os.path.exists(os.path.join(out, name)):
        missing.append(name)
        continue
    end = lines.index("```", i + 1)
    text = open(os.path.join(out, name)).read().rstrip("\n")
    res += ["```"] + text.split("\n") + ["```"]
    i = end + 1
if missing:
    sys.exit("readme-samples: no block or no sample for: " + ", ".join(missing))
if mode != "--check":
    open(path, "w").write("\n".join(res))
EOF
