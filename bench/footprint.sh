#!/usr/bin/env bash
# Footprint of published builds of l4balancer (README "Footprint"): folder size, start time to the admin
# endpoint's first `/healthz` 200, idle RSS and threads.
#
#   bench/footprint.sh [--runs N] [--idle SECONDS] DIR...
#
# Each DIR holds a `dotnet publish` output with the `l4balancer` executable (framework-dependent,
# self-contained or Native AOT). Every run starts the executable on the same small config (one port
# listener on 127.0.0.1, one tenant, one backend, the admin endpoint), polls /healthz every 5 ms from
# the exec until it answers 200, waits --idle seconds (default 10) and reads VmRSS and Threads from
# /proc/PID/status, then stops it with SIGTERM. Prints one Markdown row per DIR: medians over --runs
# (default 5) runs, with the smallest and largest in brackets. Sizes leave out debug symbols (*.pdb,
# *.dbg), which the package does not ship either. Sends nothing anywhere but 127.0.0.1.
set -euo pipefail

runs=5
idle=10
while [ $# -gt 0 ]; do
  case "$1" in
    --runs) runs=$2; shift 2 ;;
    --idle) idle=$2; shift 2 ;;
    -h|--help) sed -n '2,14s/^# \{0,1\}//p' "$0"; exit 0 ;;
    *) break ;;
  esac
done
[ $# -gt 0 ] || { echo "usage: bench/footprint.sh [--runs N] [--idle SECONDS] DIR..." >&2; exit 2; }
command -v curl >/dev/null || { echo "footprint.sh: needs curl" >&2; exit 2; }

work=$(mktemp -d "${TMPDIR:-/tmp}/l4b-footprint.XXXXXX")
pid=
cleanup() {
  if [ -n "$pid" ]; then kill -KILL "$pid" 2>/dev/null || true; fi
  rm -rf "$work"
}
trap cleanup EXIT

# A free loopback port: bind port 0 and read what the kernel chose (the window until the balancer binds
# it is tiny on a machine that is not short of ports).
free_port() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])'; }

median() { sort -n | awk '{ v[NR] = $1 } END { m = (NR % 2) ? v[(NR + 1) / 2] : (v[NR / 2] + v[NR / 2 + 1]) / 2; printf "%s [%s–%s]", m, v[1], v[NR] }'; }

now_ms() { date +%s%3N; }

echo "| build | folder (MB, no symbols) | files | start to /healthz 200 (ms) | idle RSS (MB) | threads |"
echo "|---|---|---|---|---|---|"
for dir in "$@"; do
  exe=$dir/l4balancer
  [ -x "$exe" ] || { echo "footprint.sh: no executable $exe" >&2; exit 1; }
  bytes=$(find "$dir" -type f ! -name '*.pdb' ! -name '*.dbg' -printf '%s\n' | awk '{ s += $1 } END { print s }')
  files=$(find "$dir" -type f ! -name '*.pdb' ! -name '*.dbg' | wc -l)
  kind=$("$exe" --version | sed -n 's/.*linux-[a-z0-9]*\(, Native AOT\)\{0,1\})$/\1/p')
  if [ -n "$kind" ]; then kind="Native AOT"
  elif [ -f "$dir/libcoreclr.so" ]; then kind="self-contained"
  else kind="framework-dependent"; fi

  : > "$work/start" ; : > "$work/rss" ; : > "$work/threads"
  for _ in $(seq "$runs"); do
    admin=$(free_port) listener=$(free_port)
    cat > "$work/b.toml" <<EOF
[admin]
listen = "127.0.0.1:$admin"
token = "footprint"

[[listener]]
name = "main"
bind = "127.0.0.1:$listener"
route = "port"
tenant = "t"

[[tenant]]
name = "t"

[[tenant.backend]]
address = "127.0.0.1:9"
EOF
    start=$(now_ms)
    "$exe" run --config "$work/b.toml" > "$work/log" 2>&1 &
    pid=$!
    until curl -fs -o /dev/null --max-time 1 "http://127.0.0.1:$admin/healthz"; do
      kill -0 "$pid" 2>/dev/null || { echo "footprint.sh: $exe exited:" >&2; cat "$work/log" >&2; exit 1; }
      if [ $(( $(now_ms) - start )) -gt 30000 ]; then echo "footprint.sh: no /healthz 200 within 30 s" >&2; exit 1; fi
      sleep 0.005
    done
    echo $(( $(now_ms) - start )) >> "$work/start"
    sleep "$idle"
    awk '/^VmRSS:/ { printf "%.1f\n", $2 / 1024 }' "/proc/$pid/status" >> "$work/rss"
    awk '/^Threads:/ { print $2 }' "/proc/$pid/status" >> "$work/threads"
    kill -TERM "$pid"
    wait "$pid" || true
    pid=
  done
  printf '| %s (`%s`) | %.1f | %d | %s | %s | %s |\n' "$kind" "$dir" "$(awk -v b="$bytes" 'BEGIN { print b / 1048576 }')" "$files" \
    "$(median < "$work/start")" "$(median < "$work/rss")" "$(median < "$work/threads")"
done
