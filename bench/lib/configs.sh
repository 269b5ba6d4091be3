# Sourced by bench/compare.sh and bench/growth.sh: the configs both write the same way.

# The backend both measure against: one nginx answering `200 ok` on two loopback ports, with no
# access log and keep-alive that never ends.
# Usage: backend_nginx_conf DIR FD_LIMIT WORKER_CONNECTIONS PORT_A PORT_B > DIR/nginx.conf
backend_nginx_conf() {
  local dir=$1 fd_limit=$2 worker_connections=$3 port_a=$4 port_b=$5
  cat <<CONF
# backend: a small fixed HTTP response on two ports
daemon off;
master_process on;
worker_processes auto;
worker_rlimit_nofile $fd_limit;
pid $dir/nginx.pid;
error_log $dir/error.log warn;
events { worker_connections $worker_connections; }
http {
    access_log off;
    keepalive_timeout 300s;
    keepalive_requests 100000000;
    server {
        listen 127.0.0.1:$port_a;
        listen 127.0.0.1:$port_b;
        default_type text/plain;
        location / { return 200 "ok\n"; }
    }
}
CONF
}

# HAProxy's global and defaults sections: mode tcp, nbthread = cores, no logging, long timeouts.
# Usage: { haproxy_cfg_head NBTHREAD MAXCONN; cat <<EOF ... frontends and backends ... EOF; } > haproxy.cfg
haproxy_cfg_head() {
  cat <<CONF
global
    nbthread $1
    maxconn $2
    # no 'log' line: HAProxy logs nothing

defaults
    mode tcp
    timeout connect 5s
    timeout client 30m
    timeout server 30m

CONF
}
