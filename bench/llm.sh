#!/usr/bin/env bash
# bench/llm.sh: LLM-shaped load against balancers that see, or do not see, the backends' queues
# (issue 16). Four simulated LLM instances (`L4Balancer.LoadTest serve --kind llm`) on loopback,
# one of them at half the token rate (older hardware, a noisy neighbour), and the same open-loop
# prompt load at LOAD_PERCENT % of their total capacity, target after target:
#   l4b-lc         L4Balancer, balance = "least_connections"
#   l4b-agent      L4Balancer, balance = "least_load", [tenant.feedback] source = "agent"
#   l4b-prom       L4Balancer, balance = "least_load", [tenant.feedback] source = "prometheus"
#   l4b-queue      l4b-agent, and each backend's max_connections = SLOTS with queue_timeout: a request waits
#                  in the balancer for the first slot that frees (bench/README.md, "What could meet the target")
#                  (vllm:num_requests_waiting × 1 + vllm:kv_cache_usage_perc × 4)
#   haproxy        HAProxy, balance leastconn
#   haproxy-agent  HAProxy, balance leastconn, agent-check on the simulators' agent ports
#   haproxy-queue  haproxy-agent, and each server's maxconn = SLOTS with timeout queue: HAProxy's own queue
# A target whose config `l4balancer check` rejects (least_load and [tenant.feedback] are built in
# parallel with this script) is skipped, and the report says so and why.
#
# The simulators listen on 127.0.0.11 … 127.0.0.14, each with the same API, agent and metrics
# ports, as a fleet of hosts would: one agent_port and one metrics_url ("http://{host}:PORT/metrics")
# serve all four. The load: $LOADTEST llm, one connection per request (an L4 balancer picks per
# connection), prompt bytes and output tokens log-normal from SEED, so every target gets the same
# requests. Between targets the script waits until every simulator is idle again.
#
# Capacity (requests/s) of one instance, from the simulators' options and the load's distributions:
#   E[prompt bytes] = exp(PROMPT_MU + PROMPT_SIGMA² / 2), E[tokens] = exp(TOKENS_MU + TOKENS_SIGMA² / 2)
#   slot time       = E[prompt bytes] × PREFILL_US / 1e6 + (E[tokens] − 1) / token rate
#   capacity        = SLOTS / slot time
# (a request holds its slot for its prefill, sends its first token, then one token per
# 1 / token rate). The offered rate is LOAD_PERCENT % of the sum over the four instances.
#
# Everything runs in the foreground from a temp dir and is stopped by its pid on exit.
# Usage: bench/llm.sh   (settings are environment variables, below; e.g. DURATION=15s bench/llm.sh)
set -euo pipefail

# ---------------------------------------------------------------- settings
DURATION=${DURATION:-60s}          # measured window (requests due in it are measured)
WARMUP=${WARMUP:-10s}              # load before the window: queues reach their steady state
GRACE=${GRACE:-60s}                # after the window: time for the requests in flight to finish
SLOTS=${SLOTS:-4}
PREFILL_US=${PREFILL_US:-20}       # µs per prompt byte
TOKEN_RATE=${TOKEN_RATE:-50}       # tokens/s per slot; the fourth instance runs at TOKEN_RATE / SLOW_DIVISOR
SLOW_DIVISOR=${SLOW_DIVISOR:-2}    # 1: four identical instances (the "no worse with identical backends" check)
CHUNK_BYTES=${CHUNK_BYTES:-100}    # bytes per token event
KV_CAPACITY=${KV_CAPACITY:-8192}   # tokens
PROMPT_MU=${PROMPT_MU:-6.9}        # ln(prompt bytes): median e^6.9 ≈ 1000 B
PROMPT_SIGMA=${PROMPT_SIGMA:-1.0}
TOKENS_MU=${TOKENS_MU:-4.6}        # ln(output tokens): median e^4.6 ≈ 100
TOKENS_SIGMA=${TOKENS_SIGMA:-0.8}
LOAD_PERCENT=${LOAD_PERCENT:-80}
SEED=${SEED:-1}
PROM_LOAD=${PROM_LOAD:-'[{ metric = "vllm:num_requests_waiting", weight = 1.0 }, { metric = "vllm:kv_cache_usage_perc", weight = 4.0 }]'}  # l4b-prom's load terms
FEEDBACK_INTERVAL=${FEEDBACK_INTERVAL:-1s}   # L4Balancer's [tenant.feedback] interval and HAProxy's agent-inter
QUEUE_TIMEOUT=${QUEUE_TIMEOUT:-60s} # l4b-queue's queue_timeout and haproxy-queue's timeout queue
ALL_TARGETS="l4b-lc l4b-agent l4b-prom l4b-queue haproxy haproxy-agent haproxy-queue"
TARGETS=${TARGETS:-$ALL_TARGETS}
PORT_BASE=${PORT_BASE:-19700}
SIM_HOSTS=${SIM_HOSTS:-"127.0.0.11 127.0.0.12 127.0.0.13 127.0.0.14"}
L4B_BIN=${L4B_BIN:-}               # a published l4balancer; empty = dotnet publish into the temp dir
LOADTEST_DIR=${LOADTEST_DIR:-bench/L4Balancer.LoadTest}
RESULTS_DIR=${RESULTS_DIR:-bench/results}
KEEP_TMP=${KEEP_TMP:-0}

REPO=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
# shellcheck source=bench/lib/configs.sh
source "$REPO/bench/lib/configs.sh"
cd "$REPO"

say() { printf '%s  %s\n' "$(date -u +%H:%M:%S)" "$*" >&2; }
die() { say "error: $*"; exit 1; }

[[ $# -eq 0 ]] || die "no arguments; settings are environment variables (see the top of $0)"
seconds() {  # "15s", "2m", "500ms", "1h" → seconds
  awk -v d="$1" 'BEGIN {
    if (d ~ /^[0-9.]+ms$/) { sub(/ms$/, "", d); print d / 1000 }
    else if (d ~ /^[0-9.]+s$/) { sub(/s$/, "", d); print d + 0 }
    else if (d ~ /^[0-9.]+m$/) { sub(/m$/, "", d); print d * 60 }
    else if (d ~ /^[0-9.]+h$/) { sub(/h$/, "", d); print d * 3600 }
    else { print "bad"; exit 1 } }'
}
for v in DURATION WARMUP GRACE FEEDBACK_INTERVAL; do
  [[ $(seconds "${!v}") != bad ]] || die "$v must be a duration with a unit (ms, s, m, h), got '${!v}'"
done
for v in SLOTS KV_CAPACITY CHUNK_BYTES LOAD_PERCENT SEED PORT_BASE; do
  [[ ${!v} =~ ^[0-9]+$ ]] || die "$v must be a whole number, got '${!v}'"
done
for v in PREFILL_US TOKEN_RATE SLOW_DIVISOR PROMPT_MU PROMPT_SIGMA TOKENS_MU TOKENS_SIGMA; do
  [[ ${!v} =~ ^[0-9]+([.][0-9]+)?$ ]] || die "$v must be a number, got '${!v}'"
done
for t in $TARGETS; do
  [[ " $ALL_TARGETS " == *" $t "* ]] || die "TARGETS: unknown target '$t' (targets: $ALL_TARGETS)"
done
read -r -a HOSTS <<<"$SIM_HOSTS"
((${#HOSTS[@]} == 4)) || die "SIM_HOSTS must name four loopback addresses"

missing=()
for tool in haproxy dotnet jq ss awk timeout; do
  command -v "$tool" >/dev/null 2>&1 || missing+=("$tool")
done
((${#missing[@]} == 0)) || die "missing: ${missing[*]} (apt-get install -y haproxy jq; .NET 10 SDK from https://dot.net)"

# ---------------------------------------------------------------- ports
P_API=$((PORT_BASE + 1))       # on every simulator host
P_AGENT=$((PORT_BASE + 2))
P_METRICS=$((PORT_BASE + 3))
declare -A PORT=([l4b-lc]=$((PORT_BASE + 11)) [l4b-agent]=$((PORT_BASE + 12)) [l4b-prom]=$((PORT_BASE + 13))
  [l4b-queue]=$((PORT_BASE + 14)) [haproxy]=$((PORT_BASE + 21)) [haproxy-agent]=$((PORT_BASE + 22)) [haproxy-queue]=$((PORT_BASE + 23)))
listening() { ss -Hltn "sport = :$1" 2>/dev/null | grep -q .; }
for p in $P_API $P_AGENT $P_METRICS "${PORT[@]}"; do
  ! listening "$p" || die "port $p is already in use (set PORT_BASE)"
done

# ---------------------------------------------------------------- processes, cleanup
TMP=$(mktemp -d /tmp/l4b-llm.XXXXXX)
declare -A PID=()
STARTED=()
cleanup() {
  local rc=$? name
  trap - EXIT INT TERM
  for name in "${STARTED[@]}"; do
    [[ -n ${PID[$name]:-} ]] && kill -TERM "${PID[$name]}" 2>/dev/null || true
  done
  for name in "${STARTED[@]}"; do
    [[ -n ${PID[$name]:-} ]] && wait "${PID[$name]}" 2>/dev/null || true
  done
  if [[ $KEEP_TMP == 1 || $rc -ne 0 ]]; then say "temp dir kept: $TMP"; else rm -rf "$TMP"; fi
  exit "$rc"
}
trap cleanup EXIT
trap 'exit 130' INT
trap 'exit 143' TERM
start() { local name=$1; shift; "$@" >"$TMP/$name.out" 2>&1 & PID[$name]=$!; STARTED+=("$name"); }
stop() {
  local name=$1
  kill -TERM "${PID[$name]}" 2>/dev/null || true
  wait "${PID[$name]}" 2>/dev/null || true
  PID[$name]=""
}
wait_listen() {  # NAME HOST PORT
  for _ in $(seq 300); do
    ss -Hltn "src $2 and sport = :$3" 2>/dev/null | grep -q . && return 0
    kill -0 "${PID[$1]}" 2>/dev/null || { cat "$TMP/$1.out" >&2; die "$1 exited during start-up"; }
    sleep 0.1
  done
  cat "$TMP/$1.out" >&2; die "$1 is not listening on $2:$3 after 30 s"
}
# GET HOST PORT PATH through bash's /dev/tcp (no curl needed); prints the whole response
http_get() {
  timeout 5 bash -c 'exec 3<>"/dev/tcp/$0/$1" && printf "GET %s HTTP/1.0\r\nHost: %s\r\n\r\n" "$2" "$0" >&3 && cat <&3' "$1" "$2" "$3"
}
gauge() {  # HOST NAME: a vllm gauge from the simulator's metrics port
  http_get "$1" "$P_METRICS" /metrics | awk -v n="$2" 'index($0, n "{") == 1 { print $NF; exit }'
}

# ---------------------------------------------------------------- capacity, offered rate
slow_rate=$(awk -v r="$TOKEN_RATE" -v d="$SLOW_DIVISOR" 'BEGIN { print r / d }')
RATES=("$TOKEN_RATE" "$TOKEN_RATE" "$TOKEN_RATE" "$slow_rate")
capacity() {  # TOKEN_RATE → requests/s of one instance
  awk -v s="$SLOTS" -v p="$PREFILL_US" -v r="$1" -v pm="$PROMPT_MU" -v ps="$PROMPT_SIGMA" -v tm="$TOKENS_MU" -v ts="$TOKENS_SIGMA" 'BEGIN {
    prompt = exp(pm + ps * ps / 2); tokens = exp(tm + ts * ts / 2)
    printf "%.4f", s / (prompt * p / 1e6 + (tokens - 1) / r) }'
}
E_PROMPT=$(awk -v m="$PROMPT_MU" -v s="$PROMPT_SIGMA" 'BEGIN { printf "%.1f", exp(m + s * s / 2) }')
E_TOKENS=$(awk -v m="$TOKENS_MU" -v s="$TOKENS_SIGMA" 'BEGIN { printf "%.1f", exp(m + s * s / 2) }')
CAP=()
TOTAL_CAP=0
for i in 0 1 2 3; do
  CAP[i]=$(capacity "${RATES[i]}")
  TOTAL_CAP=$(awk -v a="$TOTAL_CAP" -v b="${CAP[i]}" 'BEGIN { printf "%.4f", a + b }')
done
OFFERED=$(awk -v c="$TOTAL_CAP" -v l="$LOAD_PERCENT" 'BEGIN { printf "%.3f", c * l / 100 }')
say "capacity: ${CAP[*]} requests/s (sum $TOTAL_CAP); offered $OFFERED requests/s ($LOAD_PERCENT %)"

# ---------------------------------------------------------------- build
say "building $LOADTEST_DIR (Release)"
dotnet build "$LOADTEST_DIR" -c Release -v quiet -nologo >"$TMP/loadtest-build.out" 2>&1 ||
  { cat "$TMP/loadtest-build.out" >&2; die "building $LOADTEST_DIR failed"; }
LOADTEST_DLL=$(compgen -G "$LOADTEST_DIR/bin/Release/net*/L4Balancer.LoadTest.dll" | head -n1 || true)
[[ -n $LOADTEST_DLL ]] || die "no $LOADTEST_DIR/bin/Release/net*/L4Balancer.LoadTest.dll after the build"
if [[ -z $L4B_BIN ]]; then
  say "publishing L4Balancer (Release) into $TMP/l4b"
  dotnet publish src/L4Balancer -c Release -o "$TMP/l4b" -v quiet -nologo >"$TMP/publish.out" 2>&1 ||
    { cat "$TMP/publish.out" >&2; die "dotnet publish failed"; }
  L4B_BIN=$TMP/l4b/l4balancer
fi
[[ -x $L4B_BIN ]] || die "L4B_BIN=$L4B_BIN is not executable"

# ---------------------------------------------------------------- configs
NPROC=$(nproc)
l4b_conf() {  # BALANCE FEEDBACK(none|agent|prometheus) PORT [QUEUE(0|1)]
  cat <<EOF
[global]
connect_timeout = "5s"
idle_timeout = "30m"
drain_timeout = "0s"
access_log = false

[[listener]]
name = "llm"
bind = "127.0.0.1:$3"
route = "port"
tenant = "llm"

[[tenant]]
name = "llm"
balance = "$1"
EOF
  ((${4:-0})) && printf 'queue_timeout = "%s"\n' "$QUEUE_TIMEOUT"   # before [tenant.feedback]: a key after it belongs to it
  case $2 in
    agent) printf '\n[tenant.feedback]\nsource = "agent"\ninterval = "%s"\nagent_port = %s\n' "$FEEDBACK_INTERVAL" "$P_AGENT" ;;
    prometheus)
      printf '\n[tenant.feedback]\nsource = "prometheus"\ninterval = "%s"\nmetrics_url = "http://{host}:%s/metrics"\n' "$FEEDBACK_INTERVAL" "$P_METRICS"
      printf 'load = %s\n' "$PROM_LOAD" ;;
  esac
  local h
  for h in "${HOSTS[@]}"; do
    printf '\n[[tenant.backend]]\naddress = "%s:%s"\n' "$h" "$P_API"
    ((${4:-0})) && printf 'max_connections = %s\n' "$SLOTS"
  done
  return 0
}
# HAProxy: weight 100 on every server, because an agent's percentage applies to the configured
# weight and is rounded down to a whole number (weight 1 at 75 % would be 0: drained).
haproxy_conf() {  # PORT AGENT(0|1) [QUEUE(0|1)]
  haproxy_cfg_head "$NPROC" 4000   # far above the streams in flight; 10000 would need more descriptors than ulimit -n allows here
  printf 'frontend llm_in\n    bind 127.0.0.1:%s\n    default_backend llm\n\nbackend llm\n    balance leastconn\n' "$1"
  local i=1 h extra=""
  (($2)) && extra=" check agent-check agent-port $P_AGENT agent-inter $FEEDBACK_INTERVAL"
  if ((${3:-0})); then
    printf '    timeout queue %s\n' "$QUEUE_TIMEOUT"
    extra="$extra maxconn $SLOTS"
  fi
  for h in "${HOSTS[@]}"; do printf '    server s%s %s:%s weight 100%s\n' "$i" "$h" "$P_API" "$extra"; i=$((i + 1)); done
}
declare -A SKIP=()
for t in $TARGETS; do
  case $t in
    l4b-lc) l4b_conf least_connections none "${PORT[$t]}" >"$TMP/$t.toml" ;;
    l4b-agent) l4b_conf least_load agent "${PORT[$t]}" >"$TMP/$t.toml" ;;
    l4b-prom) l4b_conf least_load prometheus "${PORT[$t]}" >"$TMP/$t.toml" ;;
    l4b-queue) l4b_conf least_load agent "${PORT[$t]}" 1 >"$TMP/$t.toml" ;;
    haproxy) haproxy_conf "${PORT[$t]}" 0 >"$TMP/$t.cfg" ;;
    haproxy-agent) haproxy_conf "${PORT[$t]}" 1 >"$TMP/$t.cfg" ;;
    haproxy-queue) haproxy_conf "${PORT[$t]}" 1 1 >"$TMP/$t.cfg" ;;
  esac
  if [[ $t == l4b-* ]]; then
    if ! "$L4B_BIN" check --config "$TMP/$t.toml" >"$TMP/$t-check.out" 2>&1; then
      SKIP[$t]="l4balancer check rejected its config: $(grep -v '^$' "$TMP/$t-check.out" | head -n 3 | sed "s|$TMP/||g" | paste -sd ';' -)"
      say "skipping $t: ${SKIP[$t]}"
    fi
  elif ! haproxy -c -q -f "$TMP/$t.cfg" >"$TMP/$t-check.out" 2>&1; then
    cat "$TMP/$t-check.out" >&2
    die "haproxy rejected the generated config of $t"
  fi
done

# ---------------------------------------------------------------- simulators
for i in 0 1 2 3; do
  h=${HOSTS[i]}
  start "sim$i" dotnet "$LOADTEST_DLL" serve --kind llm --listen "$h:$P_API" --agent-listen "$h:$P_AGENT" --metrics-listen "$h:$P_METRICS" \
    --slots "$SLOTS" --prefill-us-per-byte "$PREFILL_US" --token-rate "${RATES[i]}" --chunk-bytes "$CHUNK_BYTES" \
    --kv-capacity-tokens "$KV_CAPACITY" --model-name sim --duration 24h
done
for i in 0 1 2 3; do
  wait_listen "sim$i" "${HOSTS[i]}" "$P_API"; wait_listen "sim$i" "${HOSTS[i]}" "$P_AGENT"; wait_listen "sim$i" "${HOSTS[i]}" "$P_METRICS"
done
say "simulators up on ${HOSTS[*]} (API $P_API, agent $P_AGENT, metrics $P_METRICS)"

wait_idle() {  # every simulator with nothing running and nothing waiting, within 180 s
  local h r w busy
  for _ in $(seq 360); do
    busy=0
    for h in "${HOSTS[@]}"; do
      r=$(gauge "$h" vllm:num_requests_running || echo x); w=$(gauge "$h" vllm:num_requests_waiting || echo x)
      [[ $r == 0.0 && $w == 0.0 ]] || busy=1
    done
    ((busy)) || return 0
    sleep 0.5
  done
  say "warning: the simulators are still busy after 180 s"
}

# ---------------------------------------------------------------- runs
LOAD_SECONDS=$(awk -v w="$(seconds "$WARMUP")" -v d="$(seconds "$DURATION")" -v g="$(seconds "$GRACE")" 'BEGIN { printf "%d", w + d + g + 60 }')
LOAD_AVG_START=$(cut -d' ' -f1-3 /proc/loadavg)
STARTED_AT=$(date -u '+%Y-%m-%d %H:%M UTC')
declare -A R=()
run_target() {
  local t=$1 port=${PORT[$1]} out=$TMP/llm-$1.json
  case $t in
    l4b-*) start "$t" sh -c 'exec "$0" run --config "$1" >"$2" 2>&1' "$L4B_BIN" "$TMP/$t.toml" "$TMP/$t.log" ;;
    haproxy*) start "$t" haproxy -db -f "$TMP/$t.cfg" ;;
  esac
  wait_listen "$t" 127.0.0.1 "$port"
  # Feedback targets: let the first reports (or agent weights) arrive before the load.
  if [[ $t == *agent* || $t == *prom* || $t == *queue* ]]; then
    sleep "$(awk -v i="$(seconds "$FEEDBACK_INTERVAL")" 'BEGIN { print 3 * i }')"
  fi
  local -a cmd=(dotnet "$LOADTEST_DLL" llm --target "127.0.0.1:$port" --rate "$OFFERED" --duration "$DURATION" --warmup "$WARMUP"
    --grace "$GRACE" --timeout 5s --seed "$SEED" --prompt-mu "$PROMPT_MU" --prompt-sigma "$PROMPT_SIGMA"
    --tokens-mu "$TOKENS_MU" --tokens-sigma "$TOKENS_SIGMA" --quiet --json "$out")
  say "llm → $t: ${cmd[*]}"
  if timeout "$LOAD_SECONDS" "${cmd[@]}" >"$TMP/llm-$t.out" 2>&1 && [[ -s $out ]]; then
    R[ttft50|$t]=$(jq -r '.llm.ttft.p50_us / 1000 | . * 10 | round / 10' "$out")
    R[ttft99|$t]=$(jq -r '.llm.ttft.p99_us / 1000 | . * 10 | round / 10' "$out")
    R[ttft999|$t]=$(jq -r '.llm.ttft.p999_us / 1000 | . * 10 | round / 10' "$out")
    R[done50|$t]=$(jq -r '.llm.completion.p50_us / 1000 | round' "$out")
    R[done99|$t]=$(jq -r '.llm.completion.p99_us / 1000 | round' "$out")
    R[tpot99|$t]=$(jq -r '.llm.time_per_token.p99_us / 1000 | . * 10 | round / 10' "$out")
    R[count|$t]=$(jq -r '"\(.llm.completed) / \(.llm.requests)"' "$out")
    R[err|$t]=$(jq -r '.llm.errors.total + .llm.errors.warmup' "$out")
    R[share|$t]=$(jq -r --arg p "$P_API" --arg hosts "${HOSTS[*]}" \
      '. as $r | [$hosts | split(" ")[] as $h | $r.llm.served_by["\($h):\($p)"] // 0] | map(tostring) | join(" / ")' "$out")
  else
    say "the llm load failed against $t (output in $TMP/llm-$t.out)"; tail -n 20 "$TMP/llm-$t.out" >&2
    for m in ttft50 ttft99 ttft999 done50 done99 tpot99 count err share; do R[$m|$t]=failed; done
  fi
  stop "$t"
  say "  $t: TTFT p50 ${R[ttft50|$t]} ms, p99 ${R[ttft99|$t]} ms; completion p99 ${R[done99|$t]} ms; completed ${R[count|$t]}; errors ${R[err|$t]}; served ${R[share|$t]}"
  wait_idle
}
for t in $TARGETS; do
  [[ -n ${SKIP[$t]:-} ]] && continue
  run_target "$t"
done
LOAD_AVG_END=$(cut -d' ' -f1-3 /proc/loadavg)

# ---------------------------------------------------------------- report
mkdir -p "$RESULTS_DIR"
REPORT=$RESULTS_DIR/llm-$(date -u +%Y%m%d-%H%M).md
{
  echo "# bench/llm.sh, $STARTED_AT"
  echo
  echo "Commit $(git rev-parse --short HEAD 2>/dev/null || echo '?'); $(nproc) cores, $(uname -sr); load average $LOAD_AVG_START at the start, $LOAD_AVG_END at the end."
  echo "Command: \`DURATION=$DURATION WARMUP=$WARMUP GRACE=$GRACE LOAD_PERCENT=$LOAD_PERCENT SEED=$SEED bench/llm.sh\` (other settings at their defaults unless listed below)."
  echo
  echo "Simulators: $SLOTS slots, prefill $PREFILL_US µs/byte, KV capacity $KV_CAPACITY tokens, $CHUNK_BYTES B per token; token rates ${RATES[*]} tokens/s per slot on ${HOSTS[*]}."
  echo "Load: prompt bytes log-normal(mu $PROMPT_MU, sigma $PROMPT_SIGMA), mean $E_PROMPT B; output tokens log-normal(mu $TOKENS_MU, sigma $TOKENS_SIGMA), mean $E_TOKENS; seed $SEED; one connection per request."
  echo "Capacity = slots / (E[prompt] × prefill + (E[tokens] − 1) / token rate): ${CAP[*]} requests/s, sum $TOTAL_CAP; offered $OFFERED requests/s ($LOAD_PERCENT %) for $DURATION after a $WARMUP warmup."
  echo "Feedback interval (L4Balancer's [tenant.feedback] interval, HAProxy's agent-inter): $FEEDBACK_INTERVAL."
  echo
  printf '| row |'; for t in $TARGETS; do printf ' %s |' "$t"; done; echo
  printf '|---|'; for t in $TARGETS; do printf -- '---|'; done; echo
  row() {  # KEY LABEL
    printf '| %s |' "$2"
    for t in $TARGETS; do
      if [[ -n ${SKIP[$t]:-} ]]; then printf ' skipped |'; else printf ' %s |' "${R[$1|$t]}"; fi
    done
    echo
  }
  row ttft50 "TTFT p50, ms ↓"
  row ttft99 "TTFT p99, ms ↓"
  row done99 "completion p99, ms ↓"
  row ttft999 "TTFT p99.9, ms ↓"
  row done50 "completion p50, ms ↓"
  row tpot99 "time per output token p99, ms ↓"
  row count "completed / requests in the window"
  row err "errors"
  if [[ $SLOW_DIVISOR == 1 ]]; then row share "requests per instance (identical)"; else row share "requests per instance (${HOSTS[3]} is the slow one)"; fi
  echo
  echo "TTFT and completion count from each request's intended send time (open loop): connect, queue wait, prefill, and the generator's own lateness."
  for t in $TARGETS; do
    if [[ -n ${SKIP[$t]:-} ]]; then echo; echo "- **$t skipped**: ${SKIP[$t]}"; fi
  done
} >"$REPORT"
say "wrote $REPORT"
cat "$REPORT"
