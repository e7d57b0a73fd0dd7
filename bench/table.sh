#!/usr/bin/env bash
# SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
# Prints the table of a bench/results.json (default) written by bench/run.sh,
# with each target of issue 6 and whether this run met it.
set -euo pipefail
f=${1:-bench/results.json}
jq -r '
def r1: . * 10 | round / 10;
def r2: . * 100 | round / 100;
def pct: . * 1000 | round / 10 | tostring + "%";
def pad($n): tostring | if length < $n then . + (" " * ($n - length)) else . end;
def lpad($n): tostring | if length < $n then (" " * ($n - length)) + . else . end;
def met(c): if c then "met" else "MISSED" end;
def signed: r1 as $v | if $v < 0 then "\($v)" else "+\($v | fabs)" end;
.per_packet.results as $pp |
def row($h; $v; $f): $pp | map(select(.hook == $h and .variant == $v and .frame == $f)) | .[0];
"flowverify bench (\(.mode))  \(.date)  kernel \(.kernel)  \(.cpu) x\(.cpus)  clocksource \(.clocksource)",
"",
"Per-packet cost, BPF_PROG_TEST_RUN, ns/packet: median [min-max] of \(.per_packet.rounds) rounds x \(.per_packet.repeat)",
"  \("case" | pad(38)) \("XDP" | pad(26)) \("tc" | pad(26))",
( ["any", "tcp4", "udp4", "udp6", "ntp4_request", "ntp4_reply", "ntp6_request", "ntp4_vlan"][] as $fr |
  (if $fr == "any" then ["empty"] elif ($fr | startswith("ntp")) then ["no_event", "with_event"] else ["no_event"] end)[] as $v |
  row("xdp"; $v; $fr) as $x | row("tc"; $v; $fr) as $t |
  def cell($c): "\($c.ns_median | r1) [\($c.ns_min | r1)-\($c.ns_max | r1)] \($c.over_floor_ns | signed)" | pad(26);
  "  \((if $fr == "any" then "empty program (floor)" else $x.what + (if $v == "with_event" then ", with event" elif ($fr | startswith("ntp")) then ", no event" else "" end) end) | pad(38)) \(cell($x)) \(cell($t))"),
"  (+N: ns over the empty program of the same hook)",
"",
(if ($pp | map(select(.variant == "part")) | length) > 0 then
 "Parts of an NTP packet'"'"'s path, each alone in an XDP program, ns over the empty XDP program (same rounds)",
 ( $pp[] | select(.variant == "part") |
   "  \(.what | pad(56)) \(.over_floor_ns | signed | pad(6)) (\(.ns_median | r1) [\(.ns_min | r1)-\(.ns_max | r1)])"),
 ""
 else empty end),
(if .per_packet_attached then
 "Per-packet cost of the programs a running watch attached (maps as in use, after an NTP flood), ns/packet: median [min-max] of \(.per_packet_attached.rounds) rounds x \(.per_packet_attached.repeat)",
 ( .per_packet_attached.results[] | select(.program != "empty") |
   "  \("\(.program) on \({udp4: "non-NTP UDP", ntp4_request: "NTP request (no event)", ntp4_reply: "NTP reply (no event)"}[.frame] // .frame)" | pad(52)) \(.ns_median | r1) [\(.ns_min | r1)-\(.ns_max | r1)] \(.over_floor_ns | signed)"),
 "  (+N: ns over the empty program of its type, run in the same rounds)", ""
 else empty end),
(.drop_tracer | "Drop tracer (kfree_skb) per unrelated free: \(.drops_ns_median | r1) ns [\(.drops_ns_min | r1)-\(.drops_ns_max | r1)] vs empty tp_btf program \(.empty_ns_median | r1) ns: +\(.over_floor_ns | r1) ns"),
"",
"Forwarding through the NAT, 18-byte UDP, sender pinned to CPU 0: median of \(.throughput.rounds | map(.round) | max) alternating rounds",
"  \("attached" | pad(44)) \("pkts/s" | lpad(10)) \("vs nothing" | lpad(22)) \("softirq ns/pkt" | lpad(15)) \("busy ns/pkt" | lpad(12))",
( .throughput.summary | sort_by({flowverify_tc: 0, none: 1}[.mode] // 2) | .[] |
  "  \({none: "nothing", empty: "empty XDP + tc programs (the hooks alone)", empty_tc: "empty tc ingress + egress programs, no XDP", flowverify: "flowverify watch --ingress xdp (XDP + tcx)", flowverify_tc: "flowverify watch, tc default (tcx only)", tcpdump: "tcpdump -w /dev/null udp port 123, both"}[.mode] | pad(44)) \(.pps_median | lpad(10)) \("\(.ratio_median | pct) [\(.ratio_min | pct)-\(.ratio_max | pct)]" | lpad(22)) \(.softirq_ns_per_packet_median // 0 | round | lpad(15)) \(.busy_ns_per_packet_median // 0 | round | lpad(12))"),
"",
(if .cpu_per_packet then
 "CPU per forwarded packet at a fixed \(.cpu_per_packet.offered_pps) pkts/s (half of nothing'"'"'s throughput): median of \(.cpu_per_packet.rounds | map(.round) | max) rounds",
 "  \("attached" | pad(44)) \("softirq ns/pkt" | lpad(15)) \("vs nothing" | lpad(11)) \("busy ns/pkt" | lpad(12)) \("vs nothing" | lpad(11))",
 ( .cpu_per_packet.summary[] |
   "  \({none: "nothing", flowverify: "flowverify watch --ingress xdp (XDP + tcx)", flowverify_tc: "flowverify watch, tc default (tcx only)", tcpdump: "tcpdump -w /dev/null udp port 123, both"}[.mode] | pad(44)) \(.softirq_ns_per_packet_median | round | lpad(15)) \(.softirq_ratio_median | pct | lpad(11)) \(.busy_ns_per_packet_median | round | lpad(12)) \(.busy_ratio_median | pct | lpad(11))"),
 ""
 else empty end),
(if .program_run_time.bpf_ns_per_packet then .program_run_time |
 "Run time of the tc programs on that path (kernel run-time stats, rounds of their own at the same rate), ns per forwarded packet, median of \(.rounds | length / 2) rounds:",
 "  flowverify \(.bpf_ns_per_packet | r1), empty programs \(.empty_ns_per_packet | r1): +\(.over_empty_ns_per_packet | r1) ns = \(.share_of_none_softirq | pct) of nothing'"'"'s softirq ns/packet",
 ""
 else empty end),
(.ntp_flood | if .error then "NTP flood: \(.error)" else
 "NTP flood, \(.sender_pps) req/s answered: sent \(.sent), NAT in-interface rx \(.nat_in_if_rx_packets), leg1 \(.leg1) (exact: \(.leg1_exact)), leg2 \(.leg2), server got \(.server_received), leg3 \(.leg3), leg4 \(.leg4); events \(.events.received) received, \(.events.rate_limited) rate-limited, \(.events.lost) lost" end),
"",
(.observer | "Observer (flowverify \(.command)): idle \(.idle.cpu_percent_of_core | r2)% of a core, \(.idle.rss_kb / 1024 | r1) MB RSS; under the flood (\(.flood_pps | floor) req/s) \(.flood.cpu_percent_of_core | r1)% of a core, \(.flood.rss_max_kb / 1024 | r1) MB RSS max" +
  (if .idle_drops_off.rss_kb then "; idle with --drops off \(.idle_drops_off.cpu_percent_of_core | r2)%, \(.idle_drops_off.rss_kb / 1024 | r1) MB" else "" end)),
(.attach[] | "Attach (load, verify, attach) \(.interfaces) interface(s): \(.start_ms_median | r1) ms [\(.start_ms_min | r1)-\(.start_ms_max | r1)], detach \(.stop_ms_median | r1) ms"),
(.lab_first_verdict | if .skipped then "First verdict in the lab: skipped (\(.skipped))" else
 "First verdict in the lab: \(.first_verdict_seconds // "none" | if type == "number" then r2 else . end) s after start (\(.verdict)); lab up took \(.lab_up_seconds | r1) s" end),
"",
"Targets (the last issue on performance: ratios and differences within this run)",
( row("xdp"; "no_event"; "tcp4") as $a | row("xdp"; "no_event"; "udp4") as $b | row("tc"; "no_event"; "tcp4") as $c | row("tc"; "no_event"; "udp4") as $d |
  ([$a, $b, $c, $d, row("xdp"; "no_event"; "udp6"), row("tc"; "no_event"; "udp6")] | map(.over_floor_ns) | max) as $m |
  "  non-NTP packet <= floor + 2 ns, XDP and tc: worst \($m | signed) ns          \(met($m <= 2))"),
def part($p): ($pp | map(select(.variant == "part" and .frame == $p)) | .[0].over_floor_ns);
def on($h; $v; $f): row($h; $v; $f).over_floor_ns;
( [$pp[] | select(.variant == "no_event" and (.frame | startswith("ntp"))) | .over_floor_ns] | max as $m |
  ([$pp[] | select(.variant == "no_event" and (.frame | startswith("ntp4"))) | .over_floor_ns] | max) as $m4 |
  "  NTP packet <= floor + 20 ns (no event):     worst \($m | signed) ns (IPv4 \($m4 | signed))          \(met($m <= 20))",
  (if part("part_flow_key20") and $m4 > 20 then
   "    IPv4: the coarse clock and a flow counted (20-byte key), alone: \(part("part_coarse_clock") + part("part_flow_key20") | signed)"
   else empty end),
  (if part("part_flow_key44") and $m > 20 then
   "    IPv6 over IPv4: \(on("xdp"; "no_event"; "ntp6_request") - on("xdp"; "no_event"; "ntp4_request") | signed) XDP, \(on("tc"; "no_event"; "ntp6_request") - on("tc"; "no_event"; "ntp4_request") | signed) tc; a 44-byte flow key over a 20-byte one, alone: \(part("part_flow_key44") - part("part_flow_key20") | signed)"
   else empty end)),
( [$pp[] | select(.variant == "with_event") | .over_floor_ns] | max as $m |
  "  NTP packet <= floor + 50 ns (with event):   worst \($m | signed) ns          \(met($m <= 50))",
  (if part("part_ring") and $m > 50 then
   "    the event over no event: \(on("xdp"; "with_event"; "ntp4_request") - on("xdp"; "no_event"; "ntp4_request") | signed) XDP, \(on("tc"; "with_event"; "ntp4_request") - on("tc"; "no_event"; "ntp4_request") | signed) tc; the precise clock and the ring'"'"'s reserve and submit, alone: \(part("part_clock") + part("part_ring") | signed)"
   else empty end)),
(if .per_packet_attached then
 ( ([.per_packet_attached.results[] | select(.program != "empty" and .frame == "udp4") | .over_floor_ns] | max) as $u |
   ([.per_packet_attached.results[] | select(.program != "empty" and (.frame | startswith("ntp"))) | .over_floor_ns] | max) as $n |
   "  attached programs: non-NTP \($u | signed) ns (<= 2), NTP \($n | signed) ns (<= 20)   \(met($u <= 2 and $n <= 20))",
   (if $n > 20 then
    "    the same NTP frames freshly loaded (above): XDP \(on("xdp"; "no_event"; "ntp4_request") | signed), tc \(on("tc"; "no_event"; "ntp4_request") | signed)"
    else empty end))
 else empty end),
(.program_run_time // {}) as $rtime |
( .throughput.summary | map(select(.mode == "flowverify"))[0].ratio_median as $r |
  (map(select(.mode == "flowverify_tc"))[0].ratio_median // 0) as $rt |
  (.[] | select(.mode == "tcpdump") | .ratio_median) as $t |
  ((.[] | select(.mode == "empty_tc") | .ratio_median) // null) as $e |
  "  forwarding, default hooks >= 98% of nothing: tc \($rt | pct) (--ingress xdp \($r | pct))   \(met($rt >= 0.98))",
  (if $rt < 0.98 and $e then
   "    empty tc programs on the same two hooks, same run: \($e | pct)\(if $rtime.over_empty_ns_per_packet then "; flowverify'"'"'s programs over empty ones: \($rtime.over_empty_ns_per_packet | signed) ns a packet (run time above)" else "" end)"
   else empty end),
  "  forwarding ahead of tcpdump, same run:      tc \($rt | pct) vs tcpdump \($t | pct)   \(met($rt > $t))"),
(if .cpu_per_packet then
 .cpu_per_packet as $cpu | (.program_run_time // {}) as $rt |
 ( .cpu_per_packet.summary | map(select(.mode == "flowverify_tc"))[0].softirq_ratio_median as $c |
   "  softirq ns/packet, default hooks <= +3%:    \(($c - 1) * 100 | r1)%          \(met($c <= 1.03))",
   (if $c > 1.03 and $rt.share_of_none_softirq then
    ($cpu.rounds | map(select(.mode == "flowverify_tc") | .softirq_ratio)) as $rr |
    "    flowverify'"'"'s programs over empty ones, run time measured apart: \(($rt.share_of_none_softirq * 100) | signed)%; this row'"'"'s rounds ran \((($rr | min) - 1) * 100 | signed)% to \((($rr | max) - 1) * 100 | signed)%"
    else empty end))
 else empty end),
( .observer.idle | "  idle observer < 0.5% core, < 16 MB RSS:    \(.cpu_percent_of_core | r2)%, \(.rss_kb / 1024 | r1) MB      \(met(.cpu_percent_of_core < 0.5 and .rss_kb < 16384))"),
( .lab_first_verdict | "  first verdict within 2 s in the lab:        \(.first_verdict_seconds // "n/a" | if type == "number" then r2 else . end) s          \(if .skipped then "not measured" else met((.first_verdict_seconds // 99) <= 2) end)")
' "$f"
