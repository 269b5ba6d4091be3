#!/usr/bin/env bash
# bench/engines.sh: io_uring against epoll as the event-loop engine (issue 14), bench only.
#
# The same minimal TCP relay (bench/L4Balancer.EngineProbe) with each engine, beside the backend alone,
# HAProxy and (optionally) the published product, all in front of one backend nginx (http,
# `return 200 "ok\n"`, access_log off) on 127.0.0.1:
#   direct                 the backend itself (no proxy)
#   probe-epoll            EngineProbe --engine epoll             (edge-triggered, as the product's pump)
#   probe-uring            EngineProbe --engine uring             (SINGLE_ISSUER|DEFER_TASKRUN)
#   probe-uring-coop       EngineProbe --engine uring --setup coop  (SINGLE_ISSUER|COOP_TASKRUN)
#   probe-uring-plain      EngineProbe --engine uring --setup plain (no task-running flags)
#   probe-uring-multishot  EngineProbe --engine uring-multishot   (multishot recv, provided buffers; DEFER_TASKRUN)
#   haproxy                HAProxy mode tcp, nbthread $PROBE_THREADS (bench/lib/configs.sh's head)
#   l4balancer             the product, transport auto (epoll), only with L4B_BIN=path or WITH_L4B=1 (publishes)
# Every probe and HAProxy run $PROBE_THREADS threads (default 2).
#
# Loads per target and round: wrk keep-alive and wrk Connection: close (-t$WRK_THREADS -c$WRK_CONNECTIONS
# -d${WRK_SECONDS}s, an unmeasured ${WARMUP_SECONDS}s run first), then the same two loads again for
# ${SYSCALL_SECONDS}s under `perf stat -e raw_syscalls:sys_enter -p PID` (system calls per request; a
# separate run so that perf's own cost stays out of the CPU figures). Proxy CPU per request = utime+stime
# of the proxy process (all its threads, io_uring's io-wq workers included) from /proc/PID/stat over the
# measured run ÷ its requests. Targets run interleaved, ROUNDS times, the order rotated each round; the
# report gives the median of the rounds and every round, with the load average at the start of each.
#
# The selftest (EngineProbe --selftest: every engine against an in-process echo backend) runs first;
# the script stops if it fails. Everything it starts runs from a mktemp -d directory and is stopped by
# the pid it was started with, on exit. Usage: bench/engines.sh (settings are environment variables).
set -euo pipefail

ROUNDS=${ROUNDS:-3}
WRK_THREADS=${WRK_THREADS:-2}
WRK_CONNECTIONS=${WRK_CONNECTIONS:-64}
WRK_SECONDS=${WRK_SECONDS:-10}
WARMUP_SECONDS=${WARMUP_SECONDS:-2}
SYSCALL_SECONDS=${SYSCALL_SECONDS:-3}
SETTLE_SECONDS=${SETTLE_SECONDS:-1}
PROBE_THREADS=${PROBE_THREADS:-2}
PORT_BASE=${PORT_BASE:-19300}
WITH_L4B=${WITH_L4B:-0}
L4B_BIN=${L4B_BIN:-}
RESULTS_DIR=${RESULTS_DIR:-bench/results}
KEEP_TMP=${KEEP_TMP:-0}
TARGETS_DEFAULT="direct probe-epoll probe-uring probe-uring-coop probe-uring-plain probe-uring-multishot haproxy"
TARGETS_LIST=${TARGETS:-$TARGETS_DEFAULT}
SETTINGS_VARS=(ROUNDS WRK_THREADS WRK_CONNECTIONS WRK_SECONDS WARMUP_SECONDS SYSCALL_SECONDS SETTLE_SECONDS PROBE_THREADS PORT_BASE)

REPO=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
# shellcheck source=bench/lib/configs.sh
source "$REPO/bench/lib/configs.sh"
cd "$REPO"

say() { printf '%s  %s\n' "$(date +%H:%M:%S)" "$*" >&2; }
die() { say "error: $*"; exit 1; }

for v in "${SETTINGS_VARS[@]}"; do
  [[ ${!v} =~ ^[0-9]+$ ]] || die "$v must be a whole number, got '${!v}'"
done
[[ $# -eq 0 ]] || die "no arguments; settings are environment variables (see the top of $0)"
((ROUNDS >= 1)) || die "ROUNDS must be at least 1"

missing=()
for tool in nginx wrk haproxy perf dotnet ss awk timeout; do
  command -v "$tool" >/dev/null 2>&1 || missing+=("$tool")
done
((${#missing[@]} == 0)) || die "missing: ${missing[*]} (apt-get install -y nginx wrk haproxy linux-perf; the .NET 10 SDK)"

read -r -a TARGETS <<<"$TARGETS_LIST"
if [[ -n $L4B_BIN || $WITH_L4B == 1 ]] && [[ " ${TARGETS[*]} " != *" l4balancer "* ]]; then
  TARGETS+=(l4balancer)
fi

# ---------------------------------------------------------------- ports
P_BACKEND=$((PORT_BASE + 1))
P_BACKEND_B=$((PORT_BASE + 2))   # backend_nginx_conf listens on two ports; only the first is used
declare -A PORT=([direct]=$P_BACKEND [probe-epoll]=$((PORT_BASE + 11)) [probe-uring]=$((PORT_BASE + 12))
  [probe-uring-coop]=$((PORT_BASE + 13)) [probe-uring-plain]=$((PORT_BASE + 14))
  [probe-uring-multishot]=$((PORT_BASE + 15)) [haproxy]=$((PORT_BASE + 21)) [l4balancer]=$((PORT_BASE + 31)))
declare -A PROBE_ARGS=([probe-epoll]="--engine epoll" [probe-uring]="--engine uring --setup defer"
  [probe-uring-coop]="--engine uring --setup coop" [probe-uring-plain]="--engine uring --setup plain"
  [probe-uring-multishot]="--engine uring-multishot --setup defer")
for t in "${TARGETS[@]}"; do
  [[ -n ${PORT[$t]:-} ]] || die "unknown target '$t' (targets: $TARGETS_DEFAULT l4balancer)"
done
listening() { ss -Hltn "sport = :$1" 2>/dev/null | grep -q .; }
for p in "$P_BACKEND" "$P_BACKEND_B" "${PORT[@]}"; do
  ! listening "$p" || die "port $p is already in use (set PORT_BASE)"
done

# ---------------------------------------------------------------- processes, cleanup
TMP=$(mktemp -d /tmp/l4b-engines.XXXXXX)
chmod 755 "$TMP"   # nginx workers run as nobody when started as root
declare -A PID=()
STARTED=()
cleanup() {
  local rc=$? name pid i
  trap - EXIT INT TERM
  for ((i = ${#STARTED[@]} - 1; i >= 0; i--)); do
    kill -TERM "${PID[${STARTED[i]}]}" 2>/dev/null || true
  done
  for name in "${STARTED[@]}"; do
    pid=${PID[$name]}
    for _ in $(seq 50); do kill -0 "$pid" 2>/dev/null || break; sleep 0.1; done
    if kill -0 "$pid" 2>/dev/null; then
      say "$name (pid $pid) did not stop on SIGTERM; SIGKILL"
      kill -KILL "$pid" 2>/dev/null || true
    fi
    wait "$pid" 2>/dev/null || true
  done
  if [[ $KEEP_TMP == 1 || $rc -ne 0 ]]; then say "temp dir kept: $TMP"; else rm -rf "$TMP"; fi
  exit "$rc"
}
trap cleanup EXIT
trap 'exit 130' INT
trap 'exit 143' TERM

start() {
  local name=$1; shift
  "$@" >"$TMP/$name.out" 2>&1 &
  PID[$name]=$!
  STARTED+=("$name")
}
wait_listen() {
  local name=$1 p=$2
  for _ in $(seq 300); do
    listening "$p" && return 0
    kill -0 "${PID[$name]}" 2>/dev/null || { cat "$TMP/$name.out" >&2; die "$name exited during start-up"; }
    sleep 0.1
  done
  cat "$TMP/$name.out" >&2; die "$name is not listening on $p after 30 s"
}

CLK_TCK=$(getconf CLK_TCK)
cpu_ticks() { sed 's/^.*) //' "/proc/$1/stat" | awk '{print $12 + $13}'; }

# ---------------------------------------------------------------- build, selftest
ulimit -n "$(ulimit -Hn)" 2>/dev/null || true
FD_LIMIT=$(ulimit -n); [[ $FD_LIMIT == unlimited ]] && FD_LIMIT=1048576
WORKER_CONNECTIONS=$((FD_LIMIT - 100 < 20000 ? FD_LIMIT - 100 : 20000))
HAP_MAXCONN=$(((FD_LIMIT - 100) / 2 < 50000 ? (FD_LIMIT - 100) / 2 : 50000))

PROBE_DIR=bench/L4Balancer.EngineProbe
say "building $PROBE_DIR (Release)"
dotnet build "$PROBE_DIR" -c Release -v quiet -nologo >"$TMP/probe-build.out" 2>&1 ||
  { cat "$TMP/probe-build.out" >&2; die "building $PROBE_DIR failed"; }
PROBE_BIN=$(compgen -G "$PROBE_DIR/bin/Release/net*/L4Balancer.EngineProbe" | head -n1 || true)
[[ -x $PROBE_BIN ]] || die "no $PROBE_DIR/bin/Release/net*/L4Balancer.EngineProbe after the build"
say "selftest: $PROBE_BIN --selftest"
if ! timeout 600 "$PROBE_BIN" --selftest --threads "$PROBE_THREADS" >"$TMP/selftest.out" 2>&1; then
  cat "$TMP/selftest.out" >&2; die "the probe's selftest failed: no measurement"
fi
SELFTEST=$(grep '^selftest:' "$TMP/selftest.out" | sed 's/^selftest: //' | paste -sd ';' | sed 's/;/; /g')
say "selftest: $SELFTEST"

if [[ " ${TARGETS[*]} " == *" l4balancer "* && -z $L4B_BIN ]]; then
  say "publishing L4Balancer (Release) into $TMP/l4b"
  dotnet publish src/L4Balancer -c Release -o "$TMP/l4b" -v quiet -nologo >"$TMP/publish.out" 2>&1 ||
    { cat "$TMP/publish.out" >&2; die "dotnet publish failed"; }
  L4B_BIN=$TMP/l4b/l4balancer
fi

# ---------------------------------------------------------------- configs, start
mkdir -p "$TMP/backend"
backend_nginx_conf "$TMP/backend" "$FD_LIMIT" "$WORKER_CONNECTIONS" "$P_BACKEND" "$P_BACKEND_B" >"$TMP/backend/nginx.conf"
nginx -t -q -p "$TMP/backend/" -c "$TMP/backend/nginx.conf" -e "$TMP/backend/error.log" || die "backend nginx config rejected"
{
  haproxy_cfg_head "$PROBE_THREADS" "$HAP_MAXCONN"
  cat <<EOF
frontend http_in
    bind 127.0.0.1:${PORT[haproxy]}
    default_backend http_backend

backend http_backend
    server a 127.0.0.1:$P_BACKEND
EOF
} >"$TMP/haproxy.cfg"
haproxy -c -q -f "$TMP/haproxy.cfg" || die "haproxy config rejected"
cat >"$TMP/l4balancer.toml" <<EOF
[global]
connect_timeout = "5s"
idle_timeout = "30m"
drain_timeout = "0s"
access_log = false

[[listener]]
name = "http"
bind = "127.0.0.1:${PORT[l4balancer]}"
route = "port"
tenant = "http"

[[tenant]]
name = "http"
balance = "least_connections"

[[tenant.backend]]
address = "127.0.0.1:$P_BACKEND"
EOF

say "starting the backend and the targets (temp dir $TMP)"
start backend nginx -p "$TMP/backend/" -c "$TMP/backend/nginx.conf" -e "$TMP/backend/error.log"
wait_listen backend "$P_BACKEND"
declare -A PROXY_PID=()
for t in "${TARGETS[@]}"; do
  case $t in
    direct) ;;
    probe-*)
      # shellcheck disable=SC2086 # PROBE_ARGS holds several words on purpose
      start "$t" "$PROBE_BIN" ${PROBE_ARGS[$t]} --threads "$PROBE_THREADS" --listen "${PORT[$t]}" --backend "127.0.0.1:$P_BACKEND"
      wait_listen "$t" "${PORT[$t]}"; PROXY_PID[$t]=${PID[$t]} ;;
    haproxy)
      start haproxy haproxy -db -f "$TMP/haproxy.cfg"
      wait_listen haproxy "${PORT[haproxy]}"; PROXY_PID[$t]=${PID[haproxy]} ;;
    l4balancer)
      "$L4B_BIN" check --config "$TMP/l4balancer.toml" >"$TMP/l4b-check.out" 2>&1 ||
        { cat "$TMP/l4b-check.out" >&2; die "l4balancer rejected the generated config"; }
      start l4balancer sh -c 'exec "$0" run --config "$1" >/dev/null 2>&1' "$L4B_BIN" "$TMP/l4balancer.toml"
      wait_listen l4balancer "${PORT[l4balancer]}"; PROXY_PID[$t]=${PID[l4balancer]} ;;
  esac
done

http_get() {
  timeout 5 bash -c 'exec 3<>"/dev/tcp/127.0.0.1/$0" && printf "GET / HTTP/1.0\r\nHost: 127.0.0.1\r\n\r\n" >&3 && cat <&3' "$1"
}
for t in "${TARGETS[@]}"; do
  body=$(http_get "${PORT[$t]}" 2>&1) || die "$t does not answer on port ${PORT[$t]}: $body"
  [[ $body == *"200 OK"* && $body == *ok* ]] || die "$t answered '$body' on port ${PORT[$t]}"
done
say "all ${#TARGETS[@]} targets answer"

# ---------------------------------------------------------------- runs
declare -A R=()   # R[metric|target|round]
WRK=(wrk -t"$WRK_THREADS" -c"$WRK_CONNECTIONS")
CLOSE_HDR=(-H 'Connection: close')

# wrk_run OUT SECONDS MODE PORT
wrk_run() {
  local out=$1 secs=$2 mode=$3 port=$4
  local -a hdr=()
  [[ $mode == close ]] && hdr=("${CLOSE_HDR[@]}")
  timeout $((secs + 30)) "${WRK[@]}" "${hdr[@]}" -d"${secs}s" "http://127.0.0.1:$port/" >"$out" 2>&1 ||
    say "wrk failed (output in $out)"
}
wrk_requests() { awk '/requests in/ {print $1}' "$1"; }
wrk_errors() {
  awk '/Socket errors:/ { gsub(/,/, ""); n += $4 + $6 + $8 + $10 } /Non-2xx or 3xx responses:/ { n += $NF } END { print n + 0 }' "$1"
}

# measure TARGET MODE ROUND: warm-up, measured run (req/s, CPU), then the perf run (syscalls)
measure() {
  local t=$1 mode=$2 r=$3 port=${PORT[$1]} pid=${PROXY_PID[$1]:-} out before after reqs rps
  local p=ka; [[ $mode == close ]] && p=cl
  ((WARMUP_SECONDS > 0)) && wrk_run /dev/null "$WARMUP_SECONDS" "$mode" "$port"
  out=$TMP/wrk-$mode-$t-$r.txt
  [[ -n $pid ]] && before=$(cpu_ticks "$pid")
  wrk_run "$out" "$WRK_SECONDS" "$mode" "$port"
  [[ -n $pid ]] && after=$(cpu_ticks "$pid")
  reqs=$(wrk_requests "$out"); rps=$(awk '/^Requests\/sec:/ {printf "%.0f", $2}' "$out")
  R[${p}_rps|$t|$r]=${rps:-?}
  R[${p}_err|$t|$r]=$(wrk_errors "$out")
  if [[ -n $pid && ${reqs:-0} -gt 0 ]]; then
    R[${p}_cpu|$t|$r]=$(awk -v d=$((after - before)) -v hz="$CLK_TCK" -v n="$reqs" 'BEGIN { printf "%.1f", d / hz * 1e6 / n }')
  else
    R[${p}_cpu|$t|$r]="–"
  fi
  R[${p}_sys|$t|$r]="–"
  if [[ -n $pid ]] && ((SYSCALL_SECONDS > 0)); then
    sleep "$SETTLE_SECONDS"
    local perf_out=$TMP/perf-$mode-$t-$r.txt wrk_out=$TMP/wrk-sys-$mode-$t-$r.txt perf_pid n
    perf stat -x, -e raw_syscalls:sys_enter -p "$pid" -o "$perf_out" -- sleep $((SYSCALL_SECONDS + 1)) >/dev/null 2>&1 &
    perf_pid=$!
    sleep 0.5   # perf attached before the load starts; the loops make no calls while idle
    wrk_run "$wrk_out" "$SYSCALL_SECONDS" "$mode" "$port"
    wait "$perf_pid" || say "perf stat failed against $t (output in $perf_out)"
    n=$(awk -F, '/raw_syscalls:sys_enter/ {print $1}' "$perf_out" 2>/dev/null || true)
    reqs=$(wrk_requests "$wrk_out")
    if [[ $n =~ ^[0-9]+$ && ${reqs:-0} -gt 0 ]]; then
      R[${p}_sys|$t|$r]=$(awk -v s="$n" -v q="$reqs" 'BEGIN { printf "%.2f", s / q }')
    fi
  fi
  say "  round $r $mode $t: ${R[${p}_rps|$t|$r]} req/s, ${R[${p}_cpu|$t|$r]} µs CPU/req, ${R[${p}_sys|$t|$r]} syscalls/req, errors ${R[${p}_err|$t|$r]}"
  sleep "$SETTLE_SECONDS"
}

loadavg() { cut -d' ' -f1-3 /proc/loadavg; }
declare -A LOAD=()
STARTED_AT=$(date -u '+%Y-%m-%d %H:%M UTC')
START_EPOCH=$(date +%s)
n=${#TARGETS[@]}
for ((r = 1; r <= ROUNDS; r++)); do
  LOAD[$r]=$(loadavg)
  order=()
  for ((i = 0; i < n; i++)); do order+=("${TARGETS[(i + r - 1) % n]}"); done
  say "round $r of $ROUNDS (load average ${LOAD[$r]}), order: ${order[*]}"
  for t in "${order[@]}"; do measure "$t" ka "$r"; done
  for t in "${order[@]}"; do measure "$t" close "$r"; done
done
ELAPSED=$(($(date +%s) - START_EPOCH))
LOAD_AFTER=$(loadavg)

# ---------------------------------------------------------------- report
median() {  # numbers as arguments; "?" when none is a number
  printf '%s\n' "$@" | awk '/^[0-9.]+$/ { v[n++] = $1 } END {
    if (n == 0) { print "–"; exit }
    for (i = 0; i < n; i++) for (j = i + 1; j < n; j++) if (v[j] < v[i]) { t = v[i]; v[i] = v[j]; v[j] = t }
    m = (n % 2) ? v[(n - 1) / 2] : (v[n / 2 - 1] + v[n / 2]) / 2
    if (m == int(m) && m >= 100) printf "%d\n", m; else printf "%.2f\n", m }'
}
declare -A M=()
METRICS=(ka_rps ka_cpu ka_sys cl_rps cl_cpu cl_sys ka_err cl_err)
for t in "${TARGETS[@]}"; do
  for m in "${METRICS[@]}"; do
    vals=()
    for ((r = 1; r <= ROUNDS; r++)); do vals+=("${R[$m|$t|$r]:-?}"); done
    if [[ $m == *_err ]]; then
      M[$m|$t]=$(printf '%s\n' "${vals[@]}" | awk '{ s += $1 } END { print s + 0 }')
    else
      M[$m|$t]=$(median "${vals[@]}")
    fi
  done
done
ratio() { awk -v a="$1" -v b="$2" 'BEGIN { if (a ~ /^[0-9.]+$/ && b ~ /^[0-9.]+$/ && b + 0 > 0) printf "%.2f", a / b; else printf "–" }'; }

cpu_model=$(awk -F': *' '/^model name/ {print $2; exit}' /proc/cpuinfo)
os=$( . /etc/os-release 2>/dev/null && echo "${PRETTY_NAME:-}" || true)
git_rev=$(git -C "$REPO" rev-parse --short HEAD 2>/dev/null || echo "?")
env_cmd=""
for v in "${SETTINGS_VARS[@]}"; do env_cmd+="$v=${!v} "; done
[[ $TARGETS_LIST == "$TARGETS_DEFAULT" ]] || env_cmd+="TARGETS=\"$TARGETS_LIST\" "
[[ $WITH_L4B == 1 ]] && env_cmd+="WITH_L4B=1 "

report() {
  echo "## engines.sh: io_uring vs epoll as the relay's event loop (issue 14)"
  echo
  echo "- date: $STARTED_AT (the rounds took ${ELAPSED} s); commit $git_rev"
  echo "- machine: $(nproc) CPUs ($cpu_model), kernel $(uname -r), ${os:-unknown OS}; shared with other engineers' builds and tests: absolute numbers are noisy, ratios between targets measured interleaved are what matters"
  echo "- load average at the start of each round: $(for ((r = 1; r <= ROUNDS; r++)); do printf 'round %d: %s; ' "$r" "${LOAD[$r]}"; done)after: $LOAD_AFTER"
  echo "- command: \`${env_cmd}bench/engines.sh\`"
  echo "- versions: HAProxy $(haproxy -v 2>&1 | awk 'NR == 1 {print $3}'), nginx $(nginx -v 2>&1 | sed 's|.*nginx/||'), .NET $(dotnet --version 2>/dev/null)"
  echo "- loads: wrk -t$WRK_THREADS -c$WRK_CONNECTIONS -d${WRK_SECONDS}s keep-alive, and the same with \`Connection: close\` (one TCP connection per request); a ${WARMUP_SECONDS}s unmeasured run first"
  echo "- CPU: utime+stime of the proxy process (all threads) over the measured run ÷ its requests. System calls: \`perf stat -e raw_syscalls:sys_enter -p PID\` over a separate ${SYSCALL_SECONDS}s run of the same load ÷ its requests (io_uring operations are not system calls: they are in the CPU column)"
  echo "- selftest before the runs: $SELFTEST"
  echo
  echo "Medians of $ROUNDS rounds:"
  echo
  echo "| target | keep-alive req/s ↑ | CPU µs/req ↓ | syscalls/req ↓ | close conn/s ↑ | CPU µs/conn ↓ | syscalls/conn ↓ | wrk errors (all rounds) |"
  echo "|---|---:|---:|---:|---:|---:|---:|---:|"
  for t in "${TARGETS[@]}"; do
    echo "| $t | ${M[ka_rps|$t]} | ${M[ka_cpu|$t]} | ${M[ka_sys|$t]} | ${M[cl_rps|$t]} | ${M[cl_cpu|$t]} | ${M[cl_sys|$t]} | ${M[ka_err|$t]} / ${M[cl_err|$t]} |"
  done
  if [[ " ${TARGETS[*]} " == *" probe-epoll "* ]]; then
    echo
    echo "Against probe-epoll (median ÷ median; above 1 is better for req/s, worse for CPU and syscalls):"
    echo
    echo "| target | keep-alive req/s | CPU/req | syscalls/req | close conn/s | CPU/conn | syscalls/conn |"
    echo "|---|---:|---:|---:|---:|---:|---:|"
    for t in "${TARGETS[@]}"; do
      [[ $t == probe-epoll || $t == direct ]] && continue
      row="| $t |"
      for m in ka_rps ka_cpu ka_sys cl_rps cl_cpu cl_sys; do row+=" $(ratio "${M[$m|$t]}" "${M[$m|probe-epoll]}") |"; done
      echo "$row"
    done
  fi
  echo
  echo "Each round (keep-alive req/s, CPU µs/req, syscalls/req · close conn/s, CPU µs/conn, syscalls/conn):"
  echo
  local head="| target |" sep="|---|"
  for ((r = 1; r <= ROUNDS; r++)); do head+=" round $r |"; sep+="---|"; done
  echo "$head"; echo "$sep"
  for t in "${TARGETS[@]}"; do
    row="| $t |"
    for ((r = 1; r <= ROUNDS; r++)); do
      row+=" ${R[ka_rps|$t|$r]} / ${R[ka_cpu|$t|$r]} / ${R[ka_sys|$t|$r]} · ${R[cl_rps|$t|$r]} / ${R[cl_cpu|$t|$r]} / ${R[cl_sys|$t|$r]} |"
    done
    echo "$row"
  done
}

mkdir -p "$RESULTS_DIR"
RESULT_FILE=$RESULTS_DIR/engines-$(date -u +%Y%m%d-%H%M).md
report | tee "$RESULT_FILE"
say "written to $RESULT_FILE"
