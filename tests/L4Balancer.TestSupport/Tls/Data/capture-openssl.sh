#!/usr/bin/env bash
# Regenerates the openssl-*.hex ClientHello captures in this folder: a loopback listener records the
# first flight of `openssl s_client` and hangs up (no TLS server involved), so the bytes are exactly
# what openssl put on the wire, record framing included. Needs openssl and python3.
set -euo pipefail
cd "$(dirname "$0")"

capture() { # capture NAME -- s_client arguments...
    local name=$1; shift; shift
    local portfile; portfile=$(mktemp)
    python3 - "$portfile" "$name.hex" <<'PY' &
import socket, sys
srv = socket.socket(); srv.bind(("127.0.0.1", 0)); srv.listen(1)
open(sys.argv[1], "w").write(str(srv.getsockname()[1]))
conn, _ = srv.accept(); conn.settimeout(2.0)
data = b""
try:
    while True:
        chunk = conn.recv(65536)
        if not chunk: break
        data += chunk
except socket.timeout:
    pass
conn.close()
hexed = data.hex()
with open(sys.argv[2], "w") as f:
    for i in range(0, len(hexed), 64):
        f.write(hexed[i:i + 64] + "\n")
PY
    local listener=$!
    while [ ! -s "$portfile" ]; do sleep 0.05; done
    openssl s_client -connect "127.0.0.1:$(cat "$portfile")" "$@" </dev/null >/dev/null 2>&1 || true
    wait "$listener"
    rm -f "$portfile"
    echo "$name.hex: $(( $(tr -d '\n' < "$name.hex" | wc -c) / 2 )) bytes"
}

# Default TLS 1.3 hello (X25519 key share), SNI given explicitly.
capture openssl-sni -- -servername llm.acme.example
# No server_name extension at all.
capture openssl-nosni -- -noservername
# TLS 1.2 only: no supported_versions/key_share, record version 0x0301.
capture openssl-tls12 -- -tls1_2 -servername api.Tenant-B.example
# A ClientHello above the 16 KiB record limit, so openssl itself splits it across two records: the
# installed OpenSSL 3.0 has no post-quantum groups, so a long ALPN list stands in for a big key share.
alpn=$(python3 -c 'print(",".join("p%03d-" % i + "x" * 240 for i in range(80)))')
capture openssl-big -- -servername big.acme.example -alpn "$alpn"
