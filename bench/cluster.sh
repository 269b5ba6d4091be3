#!/usr/bin/env bash
# bench/cluster.sh: what [cluster] (fleet-wide limits on Redis, issue 15) costs.
#   1. The connection path: one L4Balancer with the tenant limits set, without and with [cluster]
#      (Redis up), under wrk's Connection: close load; connections/s and proxy CPU per connection,
#      the two alternated ROUNDS times (medians reported). No connection waits on Redis, so the
#      target is "within 5 %".
#   2. Redis's load from a fleet of three instances while $LoadTest churn offers CHURN_RATE
#      connections/s in all (a third at each): commands/s from INFO stats, then the same with the
#      fleet idle, to show the load follows the sync interval, not the connection rate.
# Everything on 127.0.0.1 in a temp dir, started in the foreground and stopped by pid on exit.
# Usage: L4B_BIN=path/to/published/l4balancer bench/cluster.sh
set -euo pipefail

ROUNDS=${ROUNDS:-2}
WRK_SECONDS=${WRK_SECONDS:-15}
WRK_CONNECTIONS=${WRK_CONNECTIONS:-64}
CHURN_RATE=${CHURN_RATE:-5000}
CHURN_SECONDS=${CHURN_SECONDS:-20}
SYNC_INTERVAL=${SYNC_INTERVAL:-1s}
PORT_BASE=${PORT_BASE:-19500}
L4B_BIN=${L4B_BIN:-}
LOADTEST=${LOADTEST:-dotnet run -c Release --project bench/L4Balancer.LoadTest --no-build --}
RESULTS_DIR=${RESULTS_DIR:-bench/results}

REPO=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
# shellcheck source=bench/lib/configs.sh
source "$REPO/bench/lib/configs.sh"
cd "$REPO"
say() { printf '%s  %s\n' "$(date -u +%H:%M:%S)" "$*" >&2; }
die() { say "error: $*"; exit 1; }
for tool in redis-server redis-cli nginx wrk ss awk jq; do
  command -v "$tool" >/dev/null 2>&1 || die "missing $tool (apt-get install -y redis-server nginx wrk)"
done
[[ -x $L4B_BIN ]] || die "set L4B_BIN to a published l4balancer (dotnet publish src/L4Balancer -c Release -o DIR)"
dotnet build -c Release bench/L4Balancer.LoadTest >/dev/null

TMP=$(mktemp -d /tmp/l4b-cluster.XXXXXX)
chmod 755 "$TMP"
declare -A PID=()
cleanup() {
  for name in "${!PID[@]}"; do kill "${PID[$name]}" 2>/dev/null || true; done
  for name in "${!PID[@]}"; do wait "${PID[$name]}" 2>/dev/null || true; done
  rm -rf "$TMP"
}
trap cleanup EXIT
start() { local name=$1; shift; "$@" >"$TMP/$name.out" 2>&1 & PID[$name]=$!; }
stop() { kill "${PID[$1]}" 2>/dev/null || true; wait "${PID[$1]}" 2>/dev/null || true; unset "PID[$1]"; }
listening() { ss -Hltn "sport = :$1" 2>/dev/null | grep -q .; }
wait_port() { for _ in $(seq 1 200); do listening "$1" && return 0; sleep 0.05; done; die "nothing listens on $1 ($2)"; }
cpu_ticks() { awk '{print $14 + $15}' "/proc/$1/stat"; }
hz=$(getconf CLK_TCK)

P_BACKEND=$((PORT_BASE + 1)); P_REDIS=$((PORT_BASE + 2)); P_L4B=$((PORT_BASE + 10))
for p in "$P_BACKEND" "$P_REDIS" $((PORT_BASE + 3)) "$P_L4B" $((P_L4B + 1)) $((P_L4B + 2)) $((P_L4B + 3)); do
  ! listening "$p" || die "port $p is already in use (set PORT_BASE)"
done
backend_nginx_conf "$TMP" 20000 4096 "$P_BACKEND" $((PORT_BASE + 3)) > "$TMP/nginx.conf"
start backend nginx -c "$TMP/nginx.conf"
start redis redis-server --port "$P_REDIS" --bind 127.0.0.1 --save "" --appendonly no --dir "$TMP"
wait_port "$P_BACKEND" backend; wait_port "$P_REDIS" redis

# One config per instance: the same tenant limits (high enough never to refuse: the cost is what is
# measured), with or without [cluster].
l4b_conf() {  # NAME PORT CLUSTER(0|1)
  cat <<CONF
[global]
access_log = false

$( ((${3})) && printf '[cluster]\nredis = "127.0.0.1:%s"\ninstance = "%s"\nsync_interval = "%s"\n' "$P_REDIS" "$1" "$SYNC_INTERVAL")

[[listener]]
name = "http"
bind = "127.0.0.1:$2"
tenant = "bench"

[[tenant]]
name = "bench"
max_connections = 1000000
connection_rate = 1000000

[[tenant.backend]]
address = "127.0.0.1:$P_BACKEND"
CONF
}

close_run() {  # NAME PORT → "conn/s cpu_us_per_conn"
  local pid=${PID[$1]} out c0 c1 rps
  c0=$(cpu_ticks "$pid")
  out=$(timeout $((WRK_SECONDS + 30)) wrk -t2 -c"$WRK_CONNECTIONS" -d"${WRK_SECONDS}s" -H 'Connection: close' "http://127.0.0.1:$2/")
  c1=$(cpu_ticks "$pid")
  rps=$(awk '/^Requests\/sec/ {print $2}' <<<"$out")
  awk -v r="$rps" -v d="$((c1 - c0))" -v hz="$hz" -v s="$WRK_SECONDS" 'BEGIN { printf "%.0f %.1f\n", r, d / hz * 1e6 / (r * s) }'
}

# ------------------------------------------------------------ 1. the connection path
declare -a OFF_RPS OFF_CPU ON_RPS ON_CPU
for round in $(seq 1 "$ROUNDS"); do
  for mode in off on; do
    cluster=0; [[ $mode == on ]] && cluster=1
    l4b_conf "single" "$P_L4B" "$cluster" > "$TMP/l4b-$mode.toml"
    start "l4b-$mode" "$L4B_BIN" run --config "$TMP/l4b-$mode.toml"
    wait_port "$P_L4B" "l4balancer ($mode)"
    timeout 10 wrk -t2 -c"$WRK_CONNECTIONS" -d3s -H 'Connection: close' "http://127.0.0.1:$P_L4B/" >/dev/null # warm-up (JIT)
    read -r rps cpu < <(close_run "l4b-$mode" "$P_L4B")
    say "round $round, cluster $mode: $rps conn/s, $cpu µs CPU per connection"
    if [[ $mode == on ]]; then ON_RPS+=("$rps"); ON_CPU+=("$cpu"); else OFF_RPS+=("$rps"); OFF_CPU+=("$cpu"); fi
    stop "l4b-$mode"
    for _ in $(seq 1 100); do listening "$P_L4B" || break; sleep 0.05; done
  done
done
median() { printf '%s\n' "$@" | sort -g | awk '{a[NR]=$1} END {print (NR % 2 ? a[(NR+1)/2] : (a[NR/2] + a[NR/2+1]) / 2)}'; }

# ------------------------------------------------------------ 2. Redis's load from a fleet of three
# Commands Redis processed (the calls inside a script count one by one) and scripts run (round trips).
commands() { redis-cli -p "$P_REDIS" INFO stats | awk -F: '/^total_commands_processed/ {print $2+0}'; }
scripts() { redis-cli -p "$P_REDIS" INFO commandstats | awk -F'[:=,]' '/^cmdstat_evalsha:/ {e=$3} /^cmdstat_eval:/ {v=$3} END {print e + v}'; }
for i in 0 1 2; do
  l4b_conf "fleet-$i" $((P_L4B + 1 + i)) 1 > "$TMP/fleet-$i.toml"
  start "fleet-$i" "$L4B_BIN" run --config "$TMP/fleet-$i.toml"
  wait_port $((P_L4B + 1 + i)) "fleet-$i"
done
sleep 3
idle0=$(commands); idle_s0=$(scripts); sleep 10; idle1=$(commands); idle_s1=$(scripts)
idle_ops=$(awk -v a="$idle0" -v b="$idle1" 'BEGIN { printf "%.1f", (b - a) / 10 }')
idle_scripts=$(awk -v a="$idle_s0" -v b="$idle_s1" 'BEGIN { printf "%.1f", (b - a) / 10 }')
say "fleet idle: $idle_ops Redis commands/s, $idle_scripts scripts/s"
per=$((CHURN_RATE / 3))
c0=$(commands); s0=$(scripts)
for i in 0 1 2; do
  # shellcheck disable=SC2086
  $LOADTEST churn --target "127.0.0.1:$((P_L4B + 1 + i))" --rate "$per" --connections 64 --warmup 0s --duration "${CHURN_SECONDS}s" --quiet --json "$TMP/churn-$i.json" >"$TMP/churn-$i.out" 2>&1 &
  PID[churn-$i]=$!
done
for i in 0 1 2; do wait "${PID[churn-$i]}" || die "churn $i failed: $(tail -3 "$TMP/churn-$i.out")"; unset "PID[churn-$i]"; done
c1=$(commands); s1=$(scripts)
achieved=$(for i in 0 1 2; do jq -r '.churn.connections_per_second // empty' "$TMP/churn-$i.json" 2>/dev/null; done | awk '{s += $1} END {printf "%.0f", s}')
busy_ops=$(awk -v a="$c0" -v b="$c1" -v s="$CHURN_SECONDS" 'BEGIN { printf "%.1f", (b - a) / s }')
busy_scripts=$(awk -v a="$s0" -v b="$s1" -v s="$CHURN_SECONDS" 'BEGIN { printf "%.1f", (b - a) / s }')
say "fleet at $CHURN_RATE conn/s offered (achieved ${achieved:-?}): $busy_ops Redis commands/s, $busy_scripts scripts/s"

# ------------------------------------------------------------ report
mkdir -p "$RESULTS_DIR"
out="$RESULTS_DIR/cluster-$(date -u +%Y%m%d-%H%M).md"
{
  echo "## cluster.sh: the cost of [cluster]"
  echo
  echo "- date: $(date -u '+%Y-%m-%d %H:%M UTC'); machine: $(nproc) CPUs, kernel $(uname -r); load average before: $(cut -d' ' -f1-3 /proc/loadavg)"
  echo "- versions: $(redis-server --version | awk '{print $1, $2, $3}'), l4balancer $("$L4B_BIN" --version 2>/dev/null | awk '{print $2}')"
  echo "- command: \`ROUNDS=$ROUNDS WRK_SECONDS=$WRK_SECONDS CHURN_RATE=$CHURN_RATE CHURN_SECONDS=$CHURN_SECONDS SYNC_INTERVAL=$SYNC_INTERVAL bench/cluster.sh\`"
  echo
  echo "| connection path (wrk -c$WRK_CONNECTIONS, Connection: close, ${WRK_SECONDS}s) | without [cluster] | with [cluster] | with ÷ without |"
  echo "|---|---:|---:|---:|"
  r_off=$(median "${OFF_RPS[@]}"); r_on=$(median "${ON_RPS[@]}"); c_off=$(median "${OFF_CPU[@]}"); c_on=$(median "${ON_CPU[@]}")
  echo "| connections/s (median of $ROUNDS; each: ${OFF_RPS[*]} / ${ON_RPS[*]}) | $r_off | $r_on | $(awk -v a="$r_on" -v b="$r_off" 'BEGIN {printf "%.3f", a / b}') |"
  echo "| proxy CPU per connection, µs (each: ${OFF_CPU[*]} / ${ON_CPU[*]}) | $c_off | $c_on | $(awk -v a="$c_on" -v b="$c_off" 'BEGIN {printf "%.3f", a / b}') |"
  echo
  echo "| Redis load, fleet of 3, sync_interval $SYNC_INTERVAL | scripts/s (round trips) | commands/s (incl. those inside scripts) |"
  echo "|---|---:|---:|"
  echo "| idle | $idle_scripts | $idle_ops |"
  echo "| $CHURN_RATE connections/s offered in all (achieved ${achieved:-?}) | $busy_scripts | $busy_ops |"
  echo
  echo "One sync = one EVALSHA per instance per interval (its heartbeat, every tenant's lease and the drained set: about 8 + 3 per tenant commands inside), so Redis's load is instances ÷ sync_interval whatever the connection rate; the rest are the client's own (connection setup, PING/ECHO heartbeats, INFO from this script)."
} | tee "$out"
say "table written to $out"
