#!/usr/bin/env bash
# SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
# `make bench` / `make bench-quick`: measures what flowverify costs a host and
# writes bench/results.json (every figure, the kernel, the CPU, the date), then
# prints the table. Nothing here asserts a time: it reports. See bench/README.md.
#
# Namespaces: fv-bench-snd -> fv-bench-nat (masquerade) -> fv-bench-rcv for
# traffic, fv-bench-att for attach timing, fv-bench-drp for unrelated drops;
# all removed on exit. The lab (fv-client, fv-nat, ...) is used only for the
# first-verdict figure, under /run/flowverify/lab-session.lock, and refused when
# someone else's lab is up.
set -euo pipefail

cd "$(dirname "$0")/.."
QUICK=0
[ "${1:-}" = "--quick" ] && QUICK=1
FV=./flowverify
B=.output/bench/fvbench
OUT=${FV_BENCH_OUT:-bench/results.json}
T=$(mktemp -d /tmp/fv-bench.XXXXXX)
LAB_LOCK=/run/flowverify/lab-session.lock
NS_SND=fv-bench-snd NS_NAT=fv-bench-nat NS_RCV=fv-bench-rcv
NS_ATT=fv-bench-att NS_DRP=fv-bench-drp
ALL_NS="$NS_SND $NS_NAT $NS_RCV $NS_ATT $NS_DRP"
PIDS=()

if [ $QUICK -eq 1 ]; then
	PROG_ROUNDS=5 PROG_REPEAT=300000 DROP_ROUNDS=3 DROP_SENDS=10000
	TP_ROUNDS=2 TP_MS=1500 FLOOD_MS=3000 IDLE_S=5 ATT_ROUNDS=3 LOCK_WAIT=30 RT_ROUNDS=1
else
	PROG_ROUNDS=9 PROG_REPEAT=2000000 DROP_ROUNDS=7 DROP_SENDS=50000
	TP_ROUNDS=6 TP_MS=4000 FLOOD_MS=8000 IDLE_S=20 ATT_ROUNDS=7 LOCK_WAIT=300 RT_ROUNDS=3
fi

say() { printf 'bench: %s\n' "$*" >&2; }

cleanup() {
	local p ns
	for p in "${PIDS[@]}"; do
		kill "$p" 2>/dev/null || true
	done
	wait 2>/dev/null || true
	for ns in $ALL_NS; do
		ip netns del "$ns" 2>/dev/null || true
	done
	rm -rf "$T"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

[ "$(id -u)" -eq 0 ] || { echo "bench: needs root (BPF, namespaces)" >&2; exit 2; }
[ -x "$FV" ] && [ -x "$B" ] || { echo "bench: build first (make bench)" >&2; exit 2; }
for ns in $ALL_NS; do
	ip netns del "$ns" 2>/dev/null || true	# ours, left by a killed run
done

nx() { local ns=$1; shift; ip netns exec "$ns" "$@"; }
cpu_times() {	# user+nice system softirq idle, all CPUs, in clock ticks
	awk '/^cpu /{print $2+$3, $4, $8, $5+$6}' /proc/stat
}
proc_ticks() { awk '{print $14+$15}' "/proc/$1/stat" 2>/dev/null || echo 0; }
proc_rss_kb() { awk '/^VmRSS/{print $2}' "/proc/$1/status" 2>/dev/null || echo 0; }
ifstat() { nx "$1" cat "/sys/class/net/$2/statistics/$3"; }
TICK=$(getconf CLK_TCK)

# ---------------------------------------------------------------- topology
setup_nat() {
	ip netns add $NS_SND; ip netns add $NS_NAT; ip netns add $NS_RCV
	ip -n $NS_SND link add s0 type veth peer name n0 netns $NS_NAT
	ip -n $NS_NAT link add n1 type veth peer name r0 netns $NS_RCV
	ip -n $NS_SND addr add 10.199.1.2/24 dev s0
	ip -n $NS_NAT addr add 10.199.1.1/24 dev n0
	ip -n $NS_NAT addr add 10.199.2.1/24 dev n1
	ip -n $NS_RCV addr add 10.199.2.2/24 dev r0
	for l in "$NS_SND s0" "$NS_NAT n0" "$NS_NAT n1" "$NS_RCV r0" \
		 "$NS_SND lo" "$NS_NAT lo" "$NS_RCV lo"; do
		set -- $l; ip -n "$1" link set "$2" up
	done
	ip -n $NS_SND route add default via 10.199.1.1
	nx $NS_NAT sysctl -qw net.ipv4.ip_forward=1
	nx $NS_NAT nft -f - <<-'EOF'
	table ip fvbench {
		chain post {
			type nat hook postrouting priority srcnat; policy accept;
			oifname "n1" masquerade
		}
	}
	EOF
}

wait_for() {	# FILE PATTERN SECONDS
	local i
	for ((i = 0; i < $3 * 20; i++)); do
		grep -q "$2" "$1" 2>/dev/null && return 0
		sleep 0.05
	done
	echo "bench: timed out waiting for '$2' in $1:" >&2
	cat "$1" >&2
	return 1
}

# Start what watches the NAT in MODE; sets WATCH_PIDS.
start_mode() {
	WATCH_PIDS=()
	case $1 in
	none) ;;
	empty_tc)	# empty tc programs on ingress and egress: no XDP
		local ifc
		for ifc in n0 n1; do
			ip netns exec $NS_NAT tc qdisc add dev $ifc clsact
			ip netns exec $NS_NAT tc filter add dev $ifc ingress bpf da obj .output/tests/bench_empty.bpf.o sec tc
			ip netns exec $NS_NAT tc filter add dev $ifc egress bpf da obj .output/tests/bench_empty.bpf.o sec tc
		done ;;
	empty)	# empty XDP + tc programs: the hooks' own cost on this path
		local ifc
		for ifc in n0 n1; do
			ip -n $NS_NAT link set dev $ifc xdpdrv obj .output/tests/bench_empty.bpf.o sec xdp
			nx $NS_NAT tc qdisc add dev $ifc clsact
			nx $NS_NAT tc filter add dev $ifc egress bpf da obj .output/tests/bench_empty.bpf.o sec tc
		done ;;
	flowverify)	# --ingress xdp: native XDP + tcx egress (asked for: tc is the default)
		$FV watch --ingress xdp --nat $NS_NAT:n0,n1 >"$T/watch.out" 2>"$T/watch.err" &
		WATCH_PIDS+=($!)
		wait_for "$T/watch.out" 'flowverify watch' 10 ;;
	flowverify_tc)	# --ingress tc, the default: tcx on both directions, no XDP
		$FV watch --ingress tc --nat $NS_NAT:n0,n1 >"$T/watch.out" 2>"$T/watch.err" &
		WATCH_PIDS+=($!)
		wait_for "$T/watch.out" 'flowverify watch' 10 ;;
	tcpdump)
		local ifc
		for ifc in n0 n1; do
			ip netns exec $NS_NAT tcpdump -i $ifc -n -w /dev/null udp port 123 \
				2>"$T/tcpdump.$ifc.err" &
			WATCH_PIDS+=($!)
		done
		for ifc in n0 n1; do
			wait_for "$T/tcpdump.$ifc.err" 'listening on' 10
		done ;;
	esac
	PIDS+=("${WATCH_PIDS[@]}")
}

stop_mode() {
	local p ifc
	for p in "${WATCH_PIDS[@]}"; do
		kill -INT "$p" 2>/dev/null || true
		wait "$p" 2>/dev/null || true
	done
	if [ "$1" = empty ] || [ "$1" = empty_tc ]; then
		for ifc in n0 n1; do
			[ "$1" = empty ] && ip -n $NS_NAT link set dev $ifc xdpdrv off
			nx $NS_NAT tc qdisc del dev $ifc clsact
		done
	fi
}

# One traffic run: sender (CPU 0) -> NAT -> sink (CPU 1). Prints JSON.
# ARGS: port duration_ms sender_flags sink_flags
traffic() {
	local port=$1 ms=$2 sflags=$3 kflags=$4 c0 c1 sink_pid
	: >"$T/sink.err"
	ip netns exec $NS_RCV $B sink -p "$port" -t $((ms + 3000)) -c 1 $kflags \
		>"$T/sink.json" 2>"$T/sink.err" &
	sink_pid=$!
	PIDS+=($sink_pid)
	wait_for "$T/sink.err" 'sink ready' 10
	c0=$(cpu_times)
	nx $NS_SND $B send -d 10.199.2.2 -p "$port" -s 40123 -t "$ms" -c 0 $sflags >"$T/send.json"
	c1=$(cpu_times)
	sleep 0.3
	kill -INT $sink_pid 2>/dev/null || true
	wait $sink_pid 2>/dev/null || true
	jq -n --argjson s "$(cat "$T/send.json")" --argjson k "$(cat "$T/sink.json")" \
	      --arg c0 "$c0" --arg c1 "$c1" --argjson tick "$TICK" '
		($c0 | split(" ") | map(tonumber)) as $a |
		($c1 | split(" ") | map(tonumber)) as $b |
		{ sent: $s.sent, seconds: $s.seconds, received: $k.received,
		  replied: $k.replied,
		  delivered_pps: ($k.received / $s.seconds | floor),
		  cpu_user_s: (($b[0] - $a[0]) / $tick), cpu_system_s: (($b[1] - $a[1]) / $tick),
		  cpu_softirq_s: (($b[2] - $a[2]) / $tick), cpu_idle_s: (($b[3] - $a[3]) / $tick),
		  softirq_ns_per_packet: (if $k.received > 0 then (($b[2] - $a[2]) / $tick * 1e9 / $k.received) else null end),
		  busy_ns_per_packet: (if $k.received > 0 then ((($b[0] + $b[1] + $b[2]) - ($a[0] + $a[1] + $a[2])) / $tick * 1e9 / $k.received) else null end) }'
}

# ---------------------------------------------------------------- sections
info_json() {
	jq -n --arg kernel "$(uname -r)" --arg arch "$(uname -m)" \
	      --arg cpu "$(awk -F': ' '/^model name/{print $2; exit}' /proc/cpuinfo)" \
	      --argjson cpus "$(nproc)" --arg date "$(date -u +%Y-%m-%dT%H:%M:%SZ)" \
	      --arg clocksource "$(cat /sys/devices/system/clocksource/clocksource0/current_clocksource 2>/dev/null)" \
	      --arg version "$(git describe --tags --always --dirty 2>/dev/null || echo unknown)" \
	      --arg mode "$([ $QUICK -eq 1 ] && echo quick || echo full)" \
	      '{kernel: $kernel, arch: $arch, cpu: $cpu, cpus: $cpus, date: $date,
		clocksource: $clocksource, flowverify_version: $version, mode: $mode}'
}

section_prog() {
	say "per-packet cost (BPF_PROG_TEST_RUN, $PROG_ROUNDS rounds x $PROG_REPEAT)"
	$B prog -r $PROG_ROUNDS -n $PROG_REPEAT -c 1 >"$T/prog.json"
}

section_drops() {
	say "drop tracer on unrelated frees ($DROP_ROUNDS rounds x $DROP_SENDS drops)"
	ip netns add $NS_DRP
	ip -n $NS_DRP link set lo up
	# Watched: the NAT namespace; the drops happen in fv-bench-drp.
	nx $NS_DRP $B drops -w $NS_NAT -r $DROP_ROUNDS -n $DROP_SENDS >"$T/drops.json" \
		2>"$T/drops.err" || { cat "$T/drops.err" >&2; echo '{"error": "failed"}' >"$T/drops.json"; }
}

section_throughput() {
	local r mode
	say "forwarding throughput through the NAT ($TP_ROUNDS rounds x 6 modes x $((TP_MS / 1000)).$((TP_MS % 1000 / 100)) s)"
	: >"$T/tp.jsonl"
	traffic 9000 1000 "-l 18" "" >/dev/null	# warm up (conntrack, caches)
	local modes=(none empty empty_tc flowverify flowverify_tc tcpdump) i
	for ((r = 1; r <= TP_ROUNDS; r++)); do
		# Each round starts one mode later: a drift of the machine
		# over a round (another VM's load) falls on every mode alike.
		for ((i = 0; i < ${#modes[@]}; i++)); do
			mode=${modes[(i + r - 1) % ${#modes[@]}]}
			start_mode $mode
			traffic 9000 $TP_MS "-l 18" "" |
				jq -c --arg mode $mode --argjson round $r '. + {mode: $mode, round: $round}' >>"$T/tp.jsonl"
			stop_mode $mode
		done
	done
	jq -s '
		(map(select(.mode == "none")) | map({key: (.round | tostring), value: .delivered_pps}) | from_entries) as $none |
		map(. + {ratio_to_none: (.delivered_pps / $none[.round | tostring])}) as $rows |
		{ rounds: $rows,
		  summary: ([ "none", "empty", "empty_tc", "flowverify", "flowverify_tc", "tcpdump" ] | map(. as $m |
			($rows | map(select(.mode == $m))) as $x |
			{ mode: $m,
			  pps_median: ($x | map(.delivered_pps) | sort | .[(length - 1) / 2 | floor]),
			  ratio_median: ($x | map(.ratio_to_none) | sort | .[(length - 1) / 2 | floor]),
			  ratio_min: ($x | map(.ratio_to_none) | min),
			  ratio_max: ($x | map(.ratio_to_none) | max),
			  softirq_ns_per_packet_median: ($x | map(.softirq_ns_per_packet) | sort | .[(length - 1) / 2 | floor]),
			  busy_ns_per_packet_median: ($x | map(.busy_ns_per_packet) | sort | .[(length - 1) / 2 | floor]) })) }' \
		"$T/tp.jsonl" >"$T/throughput.json"
}

# ids_of HOOK...: the ids of our programs on n0 for each hook named
# (fv_attached: "n0 xdp-native ID fv_xdp_ingress"), comma-separated.
ids_of() {
	local h ids=
	for h in "$@"; do
		ids+=${ids:+,}$(.output/tests/fv_attached --ours $NS_NAT | awk -v h="$h" '$1 == "n0" && $2 == h {print $3; exit}')
	done
	echo "$ids"
}

# The programs a running `watch` has attached, their maps as in use (an
# NTP flood first), through BPF_PROG_TEST_RUN by id: what a NAT pays per
# packet, next to the freshly loaded figures of section_prog.
section_live() {
	local how ids ms=1000
	say "per-packet cost of the attached programs ($PROG_ROUNDS rounds x $PROG_REPEAT)"
	: >"$T/live.jsonl"
	for how in xdp tc; do
		# On CPU 0, away from fvbench's CPU 1: its drain and redraw
		# each second would otherwise land in the wall time measured.
		taskset -c 0 $FV watch --ingress $how --nat $NS_NAT:n0,n1 >"$T/lwatch.out" 2>"$T/lwatch.err" &
		local w=$!
		PIDS+=($w)
		wait_for "$T/lwatch.out" 'flowverify watch' 10
		ip netns exec $NS_RCV $B sink -p 123 -r -t $((ms + 3000)) -c 1 >/dev/null 2>"$T/lsink.err" &
		local k=$!
		PIDS+=($k)
		wait_for "$T/lsink.err" 'sink ready' 10
		nx $NS_SND $B send -d 10.199.2.2 -p 123 -s 40123 -n -t $ms -c 0 >/dev/null
		kill -INT $k 2>/dev/null || true; wait $k 2>/dev/null || true
		if [ $how = xdp ]; then
			ids=$(ids_of xdp-native tcx-egress)
		else
			ids=$(ids_of tcx-ingress)
		fi
		$B live -i "$ids" -r $PROG_ROUNDS -n $PROG_REPEAT -c 1 >>"$T/live.jsonl" ||
			echo '{"results": []}' >>"$T/live.jsonl"
		kill -INT $w 2>/dev/null || true; wait $w 2>/dev/null || true
	done
	jq -s '{ rounds: .[0].rounds, repeat: .[0].repeat, results: (map(.results) | add) }' \
		"$T/live.jsonl" >"$T/live.json"
}

# CPU per forwarded packet at a fixed offered load below what the path
# forwards (half of "nothing"'s median throughput): throughput on this
# 2-vCPU VM swings between rounds, the work per packet much less.
section_cpu_cost() {
	local r i mode rate modes=(none flowverify_tc flowverify tcpdump)
	rate=$(jq '.summary[] | select(.mode == "none") | .pps_median / 2 | floor' "$T/throughput.json")
	say "CPU per forwarded packet at $rate pkts/s ($TP_ROUNDS rounds x ${#modes[@]} modes)"
	: >"$T/cpu.jsonl"
	for ((r = 1; r <= TP_ROUNDS; r++)); do
		for ((i = 0; i < ${#modes[@]}; i++)); do
			mode=${modes[(i + r - 1) % ${#modes[@]}]}
			start_mode $mode
			traffic 9000 $TP_MS "-l 18 -R $rate" "" |
				jq -c --arg mode $mode --argjson round $r '. + {mode: $mode, round: $round}' >>"$T/cpu.jsonl"
			stop_mode $mode
		done
	done
	jq -s --argjson rate "$rate" '
		(map(select(.mode == "none")) | map({key: (.round | tostring), value: .}) | from_entries) as $none |
		map(. + {softirq_ratio: (.softirq_ns_per_packet / $none[.round | tostring].softirq_ns_per_packet),
			 busy_ratio: (.busy_ns_per_packet / $none[.round | tostring].busy_ns_per_packet)}) as $rows |
		def med: sort | .[(length - 1) / 2 | floor];
		{ offered_pps: $rate, rounds: $rows,
		  summary: ([ "none", "flowverify_tc", "flowverify", "tcpdump" ] | map(. as $m |
			($rows | map(select(.mode == $m))) as $x |
			{ mode: $m,
			  delivered_pps_median: ($x | map(.delivered_pps) | med),
			  softirq_ns_per_packet_median: ($x | map(.softirq_ns_per_packet) | med),
			  busy_ns_per_packet_median: ($x | map(.busy_ns_per_packet) | med),
			  softirq_ratio_median: ($x | map(.softirq_ratio) | med),
			  busy_ratio_median: ($x | map(.busy_ratio) | med) })) }' \
		"$T/cpu.jsonl" >"$T/cpu.json"
}

# The long-running observer: `flowverify agent` when it exists, else watch.
observer_cmd() {
	if $FV agent --help >/dev/null 2>&1; then
		echo "agent"
	else
		echo "watch"
	fi
}

# Samples a process's CPU and RSS over a window. ARGS: pid seconds
sample_proc() {
	local pid=$1 s=$2 t0 t1 w0 w1 rss max=0 i
	t0=$(proc_ticks "$pid"); w0=$(date +%s.%N)
	for ((i = 0; i < s * 4; i++)); do
		sleep 0.25
		rss=$(proc_rss_kb "$pid")
		[ "${rss:-0}" -gt "$max" ] && max=$rss
	done
	t1=$(proc_ticks "$pid"); w1=$(date +%s.%N)
	jq -n --argjson t0 "$t0" --argjson t1 "$t1" --argjson w0 "$w0" --argjson w1 "$w1" \
	      --argjson rss "$(proc_rss_kb "$pid")" --argjson max "$max" --argjson tick "$TICK" \
	      '{ seconds: ($w1 - $w0), cpu_percent_of_core: (($t1 - $t0) / $tick / ($w1 - $w0) * 100),
		 rss_kb: $rss, rss_max_kb: $max }'
}

# What flowverify's programs themselves spend per forwarded packet on this
# path, by the kernel's run-time stats, in rounds of their own at the fixed
# rate of section_cpu_cost (stats add a clock read a run, so no round whose
# CPU is compared has them on), against empty tc programs measured the same
# way: the part of the softirq figure that is the programs' own.
run_time_round() {	# MODE RATE: one round; prints its figures as one JSON object
	local mode=$1 rate=$2 ids rt ifc
	start_mode $mode
	if [ $mode = empty_tc ]; then
		ids=$(for ifc in n0 n1; do
			ip netns exec $NS_NAT tc filter show dev $ifc ingress
			ip netns exec $NS_NAT tc filter show dev $ifc egress
		done | grep -o ' id [0-9]*' | awk '{print $2}' | sort -un | paste -sd,)
	else
		ids=$(.output/tests/fv_attached --ours $NS_NAT | awk '{print $3}' | sort -un | paste -sd,)
	fi
	$B runtime -i "$ids" >"$T/runtime.out" 2>"$T/runtime.err" &
	rt=$!
	PIDS+=($rt)
	wait_for "$T/runtime.err" 'runtime ready' 10
	traffic 9000 $TP_MS "-l 18 -R $rate" "" >"$T/runtime.traffic"
	kill -INT $rt 2>/dev/null || true
	wait $rt 2>/dev/null || true
	stop_mode $mode
	jq -n --slurpfile r "$T/runtime.out" --slurpfile t "$T/runtime.traffic" --arg mode $mode '
		{ mode: $mode, received: $t[0].received, programs: $r[0].programs,
		  ns_per_packet: (if $t[0].received > 0 then ($r[0].programs | map(.run_time_ns) | add) / $t[0].received else null end) }'
}

section_runtime() {
	local rate r
	rate=$(jq '.offered_pps' "$T/cpu.json")
	say "run time of flowverify's and empty tc programs at $rate pkts/s (run-time stats on, $RT_ROUNDS rounds x 2 modes)"
	for ((r = 1; r <= RT_ROUNDS; r++)); do
		run_time_round empty_tc $rate
		run_time_round flowverify_tc $rate
	done >"$T/runtime.jsonl"
	jq -s --slurpfile c "$T/cpu.json" '
		def med: sort | .[(length - 1) / 2 | floor];
		($c[0].summary[] | select(.mode == "none") | .softirq_ns_per_packet_median) as $none |
		(map(select(.mode == "empty_tc") | .ns_per_packet) | med) as $e |
		(map(select(.mode == "flowverify_tc") | .ns_per_packet) | med) as $f |
		{ offered_pps: $c[0].offered_pps, rounds: .,
		  empty_ns_per_packet: $e, bpf_ns_per_packet: $f,
		  over_empty_ns_per_packet: ($f - $e),
		  none_softirq_ns_per_packet: $none,
		  share_of_none_softirq: (($f - $e) / $none) }' \
		"$T/runtime.jsonl" >"$T/runtime.json" || echo '{"error": "no run-time figures"}' >"$T/runtime.json"
}

section_observer() {
	local how pid
	how=$(observer_cmd)
	say "observer ($how): idle ${IDLE_S} s, then under an NTP flood"
	if [ "$how" = agent ]; then
		# Its own instance name and port: another agent may be running.
		# Idle once more with --drops off (no kernel BTF and kallsyms held).
		$FV agent --nat $NS_NAT:n0,n1 --instance fv-bench --drops off \
			--listen 127.0.0.1:19123 >"$T/obs.out" 2>"$T/obs.err" &
		pid=$!
		PIDS+=($pid)
		sleep 2
		sample_proc $pid $IDLE_S >"$T/idle_nodrops.json"
		kill -TERM $pid 2>/dev/null || true; wait $pid 2>/dev/null || true
		$FV agent --nat $NS_NAT:n0,n1 --instance fv-bench \
			--listen 127.0.0.1:19123 >"$T/obs.out" 2>"$T/obs.err" &
	else
		echo '{}' >"$T/idle_nodrops.json"
		$FV watch --nat $NS_NAT:n0,n1 >"$T/obs.out" 2>"$T/obs.err" &
	fi
	pid=$!
	PIDS+=($pid)
	sleep 2	# attached and settled
	sample_proc $pid $IDLE_S >"$T/idle.json"
	# Flood: NTP requests at the highest rate, answered by the sink.
	ip netns exec $NS_RCV $B sink -p 123 -r -t $((FLOOD_MS + 4000)) -c 1 >"$T/fsink.json" 2>"$T/fsink.err" &
	PIDS+=($!)
	local sink_pid=$!
	wait_for "$T/fsink.err" 'sink ready' 10
	( sleep 1; sample_proc $pid $(((FLOOD_MS - 2000) / 1000)) >"$T/flood_obs.json" ) &
	local sampler=$!
	nx $NS_SND $B send -d 10.199.2.2 -p 123 -s 40123 -n -t $FLOOD_MS -c 0 >"$T/fsend.json"
	wait $sampler
	sleep 0.5
	kill -INT $sink_pid 2>/dev/null || true; wait $sink_pid 2>/dev/null || true
	kill -TERM $pid 2>/dev/null || true; wait $pid 2>/dev/null || true
	# The agent pins its maps per instance; ours goes with the bench.
	rm -rf /sys/fs/bpf/flowverify/fv-bench
	jq -n --arg how "$how" --slurpfile i "$T/idle.json" --slurpfile f "$T/flood_obs.json" \
	      --slurpfile n "$T/idle_nodrops.json" \
	      --slurpfile s "$T/fsend.json" '{ command: $how, idle: $i[0], idle_drops_off: $n[0], flood: $f[0], flood_sent: $s[0].sent,
		flood_pps: $s[0].pps }' >"$T/observer.json"
}

# NTP flood through the watched NAT: the exact counters against the
# sender's count and the interfaces' own counters.
section_flood() {
	local v0 v1 d0 d1 n0rx0 n0rx1 pid
	say "NTP flood: exact counters ($((FLOOD_MS / 1000)) s)"
	ip netns exec $NS_RCV $B sink -p 123 -r -t $((FLOOD_MS + 8000)) -c 1 >"$T/vsink.json" 2>"$T/vsink.err" &
	local sink_pid=$!
	PIDS+=($sink_pid)
	wait_for "$T/vsink.err" 'sink ready' 10
	$FV verify --nat $NS_NAT:n0,n1 --duration $(((FLOOD_MS + 2000) / 1000)) --json \
		>"$T/verify.json" 2>"$T/verify.err" &
	pid=$!
	PIDS+=($pid)
	sleep 1.5	# attached (load + attach take well under a second)
	n0rx0=$(ifstat $NS_NAT n0 rx_packets); d0=$(ifstat $NS_SND s0 tx_dropped)
	v0=$(ifstat $NS_SND s0 tx_packets)
	nx $NS_SND $B send -d 10.199.2.2 -p 123 -s 40123 -n -t $FLOOD_MS -c 0 >"$T/vsend.json"
	sleep 0.3
	n0rx1=$(ifstat $NS_NAT n0 rx_packets); d1=$(ifstat $NS_SND s0 tx_dropped)
	v1=$(ifstat $NS_SND s0 tx_packets)
	wait $pid || true
	kill -INT $sink_pid 2>/dev/null || true; wait $sink_pid 2>/dev/null || true
	jq --slurpfile s "$T/vsend.json" --slurpfile k "$T/vsink.json" \
	   --argjson n0rx $((n0rx1 - n0rx0)) --argjson s0tx $((v1 - v0)) --argjson s0drop $((d1 - d0)) '
		(.legs | map({key: (.leg | tostring), value: .packets}) | from_entries) as $l |
		{ sent: $s[0].sent, sender_pps: ($s[0].pps | floor), sender_if_tx_packets: $s0tx,
		  sender_if_tx_dropped: $s0drop, nat_in_if_rx_packets: $n0rx,
		  server_received: $k[0].received, server_replied: $k[0].replied,
		  leg1: $l["1"], leg2: $l["2"], leg3: $l["3"], leg4: $l["4"],
		  leg1_exact: ($l["1"] == $s[0].sent - $s0drop),
		  nat_in_if_other_packets: ($n0rx - $l["1"]),
		  leg1_vs_sent: ($l["1"] - $s[0].sent),
		  status: .status,
		  events: .events }' "$T/verify.json" >"$T/flood.json" 2>"$T/flood.err" ||
		{ cat "$T/verify.err" "$T/flood.err" >&2; echo '{"error": "verify failed"}' >"$T/flood.json"; }
}

section_attach() {
	local i
	say "attach and detach: 1 and 8 interfaces ($ATT_ROUNDS rounds)"
	ip netns add $NS_ATT
	for i in 0 1 2 3 4 5 6 7; do
		ip -n $NS_ATT link add a$i type veth peer name b$i
		ip -n $NS_ATT link set a$i up
		ip -n $NS_ATT link set b$i up
	done
	$B attach -s $NS_ATT:a0 -r $ATT_ROUNDS >"$T/att1.json"
	$B attach -s $NS_ATT:a0,a1,a2,a3,a4,a5,a6,a7 -r $ATT_ROUNDS >"$T/att8.json"
	jq -s '.' "$T/att1.json" "$T/att8.json" >"$T/attach.json"
}

# Time from start to the first verdict in the lab, under the lab lock.
section_lab() {
	say "first verdict in the lab (waits for $LAB_LOCK)"
	# Root's own directory: a lock in /tmp could be anyone's file.
	mkdir -p -m 0700 /run/flowverify
	FV="$FV" T="$T" flock -w $LOCK_WAIT "$LAB_LOCK" bash -c '
		set -u
		if ip netns list | grep -qw fv-nat; then
			echo "{\"skipped\": \"a lab is already up (someone else'"'"'s): not touched\"}" >"$T/lab.json"
			exit 0
		fi
		t0=$(date +%s.%N)
		if ! $FV lab up >"$T/labup.out" 2>&1; then
			cat "$T/labup.out" >&2
			$FV lab down >/dev/null 2>&1
			echo "{\"skipped\": \"lab up failed\"}" >"$T/lab.json"
			exit 0
		fi
		t1=$(date +%s.%N)
		sleep 2	# chronyd on the client is polling: a host with live NTP
		ts=$(date +%s.%N)
		$FV watch --nat fv-nat:eth0 --client fv-client:eth0 >"$T/labwatch.out" 2>/dev/null &
		w=$!
		any="" first=""
		for i in $(seq 1 200); do
			now=$(date +%s.%N)
			[ -z "$any" ] && grep -qE "^(OK: |FAULT |NO TRAFFIC)" "$T/labwatch.out" && any=$now
			if grep -qE "^(OK: |FAULT )" "$T/labwatch.out"; then first=$now; break; fi
			sleep 0.05
		done
		word=$(grep -oE "^(OK|FAULT [a-z_]+)" "$T/labwatch.out" | head -1)
		kill -INT $w 2>/dev/null; wait $w 2>/dev/null
		$FV lab down >/dev/null 2>&1
		jq -n --argjson ts "$ts" --argjson up "$(awk "BEGIN{print $t1 - $t0}")" \
		      --arg first "$first" --arg any "$any" --arg word "$word" \
		      "{ lab_up_seconds: \$up,
			 first_verdict_seconds: (if \$first == \"\" then null else ((\$first | tonumber) - \$ts) end),
			 first_screen_seconds: (if \$any == \"\" then null else ((\$any | tonumber) - \$ts) end),
			 verdict: \$word, poll_resolution_seconds: 0.05 }" >"$T/lab.json"
	' || echo "{\"skipped\": \"$LAB_LOCK busy for ${LOCK_WAIT} s\"}" >"$T/lab.json"
}

# ---------------------------------------------------------------- run
info_json >"$T/info.json"
section_prog
setup_nat
section_live
section_drops
section_throughput
section_cpu_cost
section_runtime
section_flood
section_observer
section_attach
section_lab

jq -n --slurpfile info "$T/info.json" --slurpfile prog "$T/prog.json" \
      --slurpfile drops "$T/drops.json" --slurpfile tp "$T/throughput.json" \
      --slurpfile flood "$T/flood.json" --slurpfile obs "$T/observer.json" \
      --slurpfile att "$T/attach.json" --slurpfile lab "$T/lab.json" \
      --slurpfile live "$T/live.json" --slurpfile cpu "$T/cpu.json" \
      --slurpfile rt "$T/runtime.json" '
	$info[0] + { per_packet: $prog[0], per_packet_attached: $live[0],
		     cpu_per_packet: $cpu[0], program_run_time: $rt[0], drop_tracer: $drops[0], throughput: $tp[0],
		     ntp_flood: $flood[0], observer: $obs[0], attach: $att[0],
		     lab_first_verdict: $lab[0] }' >"$OUT"
say "wrote $OUT"
bench/table.sh "$OUT"
