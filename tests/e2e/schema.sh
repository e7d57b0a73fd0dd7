#!/usr/bin/env bash
# SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
# One JSON vocabulary (issue 16, docs/json.md): every command's --json,
# taken from a lab of this suite's own, validates against its schema under
# docs/schema/ (python3-jsonschema, Draft 2020-12): verify healthy and
# faulted, watch --json (each line), trace --json (each line), rules,
# acl-check, lab faults, lab status, doctor, an agent's /api/v1/status and
# verify --agent. Then what the schemas cannot say: no real in exponent
# form, trace and verify name the same mapping alike.
set -u
cd "$(dirname "$0")/../.."
. tests/e2e/lib.sh

NAT=$NS_NAT:eth0 CLIENT=$NS_CLIENT:eth0
AGENT_INST=fv-schema-$$
we_made_lab=0 agent_pid=
cleanup() {
	[ -n "$agent_pid" ] && kill -TERM "$agent_pid" 2>/dev/null && wait "$agent_pid" 2>/dev/null
	$FV cleanup --instance $AGENT_INST >/dev/null 2>&1
	[ $we_made_lab -eq 1 ] && lab down >/dev/null 2>&1
	rm -rf "$TMP"
}
trap cleanup EXIT
snapshot FV || { done_testing; exit 1; }
if ! python3 -c 'import jsonschema' 2>/dev/null; then
	not_ok "python3-jsonschema is installed (scripts/deps.sh)"
	done_testing
	exit 1
fi

# valid SCHEMA FILE: FILE (one document, or NDJSON when it ends in .ndjson,
# at least one line) validates against docs/schema/SCHEMA.json; the
# errors as diagnostics.
valid() {
	python3 - "docs/schema/$1.json" "$2" <<'EOF'
import json, sys, jsonschema
schema = json.load(open(sys.argv[1]))
jsonschema.Draft202012Validator.check_schema(schema)
v = jsonschema.Draft202012Validator(schema)
text = open(sys.argv[2]).read()
if sys.argv[2].endswith(".ndjson"):
    docs = [json.loads(l) for l in text.splitlines() if l.strip()]
else:
    docs = [json.loads(text)]
bad = 0 if docs else 1
for i, d in enumerate(docs):
    for e in list(v.iter_errors(d))[:5]:
        bad += 1
        print("# [%d] %s: %s" % (i, "/".join(map(str, e.absolute_path)), e.message[:300]))
sys.exit(1 if bad else 0)
EOF
}
# no_exponent FILE: no number written as 4.03e-05 (plain decimals only);
# strings are left out, they may say anything.
no_exponent() {
	! sed 's/"\([^"\\]\|\\.\)*"/""/g' "$1" | grep -qE '[0-9][eE][-+]?[0-9]'
}
# schema_check NAME SCHEMA WANT OUT COMMAND...: runs COMMAND into OUT,
# exit WANT, then valid and no_exponent, one TAP line.
schema_check() {
	local name=$1 schema=$2 want=$3 out=$4
	shift 4
	capture "$out" "$@"
	check_run "$name: exit $want, valid against docs/schema/$schema.json, plain decimals" \
		"$want" "$out" eval "valid $schema '$out' && no_exponent '$out'"
}

lab_up

# Every schema is itself valid, and every command has one.
for s in verify verify-agent trace rules acl-check lab-faults lab-status doctor; do
	check "docs/schema/$s.json is a valid Draft 2020-12 schema" python3 -c \
		"import json, jsonschema; jsonschema.Draft202012Validator.check_schema(json.load(open('docs/schema/$s.json')))"
done

schema_check "verify --json, healthy" verify 0 "$TMP/verify.json" \
	$FV verify --nat $NAT --client $CLIENT --duration 3 --json
schema_check "watch --json, each line" verify 0 "$TMP/watch.ndjson" \
	$FV watch --nat $NAT --client $CLIENT --duration 2 --json
schema_check "trace --json, each line" trace 0 "$TMP/trace.ndjson" \
	$FV trace --nat $NAT --client $CLIENT --duration 3 --json
schema_check "rules --json" rules 0 "$TMP/rules.json" $FV rules --json
schema_check "acl-check --json" acl-check 0 "$TMP/acl.json" \
	$FV acl-check --acls tests/fixtures/acl/aws-ntp.json --public acl-0a11ce0000000pub \
	--private acl-0b0b000000000prv --json
schema_check "lab faults --json" lab-faults 0 "$TMP/faults.json" $FV lab faults --json
schema_check "lab status --json" lab-status 0 "$TMP/status.json" lab status --json
schema_check "doctor --json" doctor 0 "$TMP/doctor.json" $FV doctor --nat $NAT --json

# The vocabulary across commands: trace's inside/outside/server are
# verify's mapping and server; healthy is null in lab status as in verify.
check "trace's inside/outside is verify's nat_mappings[0], its server verify's servers[0]" \
	eval "jq -se --slurpfile v '$TMP/verify.json' \
		'(\$v[0].nat_mappings[0] | {inside, outside}) as \$m |
		 any(.[]; .outcome == \"answered\" and .inside == \$m.inside and .outside == \$m.outside and
		     .server == \$v[0].servers[0].server)' '$TMP/trace.ndjson' >/dev/null"
check "lab status healthy: expected segment null, as verify's" \
	quiet jq -e '.expected == {"status": "ok", "segment": null, "kod": false}' "$TMP/status.json"
check "lab faults: the seed fault beyond_nat, none null" \
	quiet jq -e 'any(.[]; .name == "none" and .expected.segment == null) and any(.[]; .name == "no-public-in-ephemeral" and .expected.segment == "beyond_nat")' "$TMP/faults.json"
check "a flow's hook is its interface's ingress or egress word" \
	quiet jq -e '.points[0].interfaces[0] as $i | [.legs[].flows[].hook] | length > 0 and all(. == $i.ingress or . == $i.egress)' "$TMP/verify.json"

# The schemas refuse the old dialects: a time with no date or zone, a
# server under "address", a crossing's "peer", lab's "expected_segment".
head -1 "$TMP/trace.ndjson" | jq -c '.time = "12:02:13.173"' >"$TMP/old-time.ndjson"
check "the trace schema refuses \"time\": \"12:02:13.173\"" eval "! valid trace '$TMP/old-time.ndjson' >/dev/null"
jq '.servers[0].address = .servers[0].server | del(.servers[0].server)' "$TMP/verify.json" >"$TMP/old-server.json"
check "the verify schema refuses servers[].address" eval "! valid verify '$TMP/old-server.json' >/dev/null"
jq '.legs[0].crossings[0].peer = .legs[0].crossings[0].cidr | del(.legs[0].crossings[0].cidr)' "$TMP/acl.json" >"$TMP/old-peer.json"
check "the acl-check schema refuses a crossing's peer" eval "! valid acl-check '$TMP/old-peer.json' >/dev/null"
jq '.expected_segment = "ok"' "$TMP/status.json" >"$TMP/old-status.json"
check "the lab-status schema refuses expected_segment" eval "! valid lab-status '$TMP/old-status.json' >/dev/null"

# An agent on the lab, and verify --agent: the same fields as verify.
P=$(free_base 1 $((23000 + $$ % 1000)))
$FV agent --nat $NAT --client $CLIENT --listen 127.0.0.1:$P --instance $AGENT_INST \
	--window 5 --ready-file "$TMP/agent.ready" >"$TMP/agent.out" 2>&1 &
agent_pid=$!
if wait_until 60 eval '[ -s "$TMP/agent.ready" ] || ! kill -0 $agent_pid 2>/dev/null' &&
	[ -s "$TMP/agent.ready" ]; then
	# Its window fills with the lab's exchanges.
	sleep 4
	schema_check "agent /api/v1/status" verify 0 "$TMP/agent-status.json" \
		curl -sf "http://127.0.0.1:$P/api/v1/status"
	schema_check "verify --agent --json" verify-agent 0 "$TMP/remote.json" \
		$FV verify --agent http://127.0.0.1:$P --duration 3 --json
	check "verify --agent --json names the NAT mapping and the points as verify" \
		quiet jq -e --slurpfile v "$TMP/verify.json" \
		'(.nat_mappings | map(.inside)) == ($v[0].nat_mappings | map(.inside)) and (.points | length) == ($v[0].points | length)' \
		"$TMP/remote.json"
else
	not_ok "agent on the lab serves (for /api/v1/status and verify --agent)"
	diag_file "$TMP/agent.out" "agent: "
fi
[ -n "$agent_pid" ] && kill -TERM "$agent_pid" 2>/dev/null && wait "$agent_pid" 2>/dev/null
agent_pid=
$FV cleanup --instance $AGENT_INST >/dev/null 2>&1

# Faulted: the seed fault, with its evidence and blocking null or a crossing.
if lab_fault_set no-public-in-ephemeral; then
	schema_check "verify --json, the seed fault" verify 1 "$TMP/fault.json" \
		$FV verify --nat $NAT --client $CLIENT --duration 3 --json
	check "the seed fault: beyond_nat, with evidence" \
		quiet jq -e '.segment == "beyond_nat" and (.evidence | type) == "string"' "$TMP/fault.json"
	schema_check "trace --json, lost exchanges" trace 0 "$TMP/trace-lost.ndjson" \
		$FV trace --nat $NAT --client $CLIENT --duration 3 --json
	schema_check "lab status --json, faulted" lab-status 0 "$TMP/status-fault.json" lab status --json
fi
done_testing
