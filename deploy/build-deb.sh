#!/usr/bin/env bash
# Builds the Debian package of L4Balancer with dpkg-deb: no network beyond the NuGet restore of
# `dotnet publish`, no debhelper, no root (dpkg-deb --root-owner-group).
#
#   deploy/build-deb.sh [--output DIR] [--build aot|self-contained] [--publish DIR]
#
#   --output DIR   where l4balancer_<version>_<arch>.deb goes (default: artifacts/deb)
#   --build KIND   aot (default): one Native AOT executable (README "Footprint");
#                  self-contained: the JIT runtime and every assembly in the folder
#   --publish DIR  package this `dotnet publish` output instead of publishing (it must be of KIND)
#
# What the package installs (README "Install from the package"):
#   /opt/l4balancer/                      the published build, README.md, LICENSE
#   /usr/bin/l4balancer                   a symbolic link to /opt/l4balancer/l4balancer
#   /usr/lib/systemd/system/l4balancer.service, l4balancer.socket   deploy/'s units, as they are
#   /etc/l4balancer/balancer.toml         balancer.toml.example (a conffile: dpkg keeps the operator's edits)
#   /usr/share/doc/l4balancer/copyright   the licenses
# and its maintainer scripts create the l4balancer system user. Prints the path of the .deb.
set -euo pipefail

root=$(cd "$(dirname "$0")/.." && pwd)
output=$root/artifacts/deb
build=aot
publish=

while [ $# -gt 0 ]; do
  case "$1" in
    --output) output=$2; shift 2 ;;
    --build) build=$2; shift 2 ;;
    --publish) publish=$2; shift 2 ;;
    -h|--help) sed -n '2,20s/^# \{0,1\}//p' "$0"; exit 0 ;;
    *) echo "build-deb.sh: unknown argument $1" >&2; exit 2 ;;
  esac
done

case "$build" in
  aot) publish_args=(-p:PublishAot=true) ;;
  self-contained) publish_args=(--self-contained) ;;
  *) echo "build-deb.sh: --build takes aot or self-contained, not $build" >&2; exit 2 ;;
esac

arch=$(dpkg --print-architecture)
case "$arch" in
  amd64) rid=linux-x64 ;;
  arm64) rid=linux-arm64 ;;
  *) echo "build-deb.sh: no .NET runtime identifier known for $arch" >&2; exit 2 ;;
esac

# The version every assembly carries (Directory.Build.props), so the package and `--version` agree.
version=$(sed -n 's:.*<Version>\(.*\)</Version>.*:\1:p' "$root/Directory.Build.props" | head -n 1)
[ -n "$version" ] || { echo "build-deb.sh: no <Version> in Directory.Build.props" >&2; exit 1; }

stage=$(mktemp -d "${TMPDIR:-/tmp}/l4b-deb.XXXXXX")
trap 'rm -rf "$stage"' EXIT
pkg=$stage/l4balancer

if [ -z "$publish" ]; then
  publish=$stage/publish
  # gcc links the AOT executable: the ILCompiler's default, clang, is one more package to install;
  # either works (the ILCompiler's Linux prerequisites). Output on stderr: stdout is the .deb's path.
  dotnet publish "$root/src/L4Balancer" -c Release -r "$rid" "${publish_args[@]}" \
    -p:CppCompilerAndLinker=gcc -o "$publish" >&2
fi
[ -x "$publish/l4balancer" ] || { echo "build-deb.sh: no executable l4balancer in $publish" >&2; exit 1; }

# The program. Not the AOT build's l4balancer.dbg (its DWARF symbols, twice the executable's size:
# Debian would ship them in a -dbgsym package) nor the .pdb files (the JIT build's stack traces still
# name every method; only line numbers go).
install -d "$pkg/opt/l4balancer"
cp -a "$publish/." "$pkg/opt/l4balancer/"
find "$pkg/opt/l4balancer" \( -name '*.dbg' -o -name '*.pdb' \) -delete
install -m 0644 "$root/README.md" "$root/LICENSE" "$pkg/opt/l4balancer/"
install -d "$pkg/usr/bin"
ln -s /opt/l4balancer/l4balancer "$pkg/usr/bin/l4balancer"

# The units exactly as deploy/ has them (ExecStart under /opt/l4balancer, User=l4balancer). Neither is
# enabled or started by the package: the example config must be edited first (see postinst).
install -d "$pkg/usr/lib/systemd/system"
install -m 0644 "$root/deploy/l4balancer.service" "$root/deploy/l4balancer.socket" "$pkg/usr/lib/systemd/system/"

# The example as the config. Readable by the service's group only (postinst): it may hold a literal
# admin token.
install -d "$pkg/etc/l4balancer"
install -m 0644 "$root/balancer.toml.example" "$pkg/etc/l4balancer/balancer.toml"

install -d "$pkg/usr/share/doc/l4balancer"
{
  echo "Format: https://www.debian.org/doc/packaging-manuals/copyright-format/1.0/"
  echo "Upstream-Name: l4balancer"
  echo
  echo "Files: *"
  echo "Copyright: 2026 the L4Balancer contributors"
  echo "License: MIT"
  echo
  echo "Files: opt/l4balancer/*"
  echo "Comment: the .NET runtime and libraries, compiled into or published with the program"
  echo "Copyright: .NET Foundation and Contributors"
  echo "License: MIT"
  echo
  echo "License: MIT"
  sed -e 's/^$/./' -e 's/^/ /' "$root/LICENSE" | tail -n +3
} > "$pkg/usr/share/doc/l4balancer/copyright"
chmod 0644 "$pkg/usr/share/doc/l4balancer/copyright"

# What dpkg-deb archives is what is on disk: no group or world write bits from a umask, executables
# kept executable.
chmod -R u+rwX,go+rX,go-w "$pkg"

install -d "$pkg/DEBIAN"
# AOT: one executable on libc and libm; OpenSSL is loaded when the first TLS health check needs it, by
# both builds. The JIT runtime also needs the C++ runtime. passwd: useradd and groupadd in postinst.
depends="libc6 (>= 2.27), libssl3 | libssl3t64, passwd"
if [ "$build" = self-contained ]; then
  depends="$depends, libgcc-s1, libstdc++6"
fi
installed_size=$(du -sk --exclude=DEBIAN "$pkg" | cut -f1)
cat > "$pkg/DEBIAN/control" <<EOF
Package: l4balancer
Version: $version
Architecture: $arch
Maintainer: L4Balancer maintainers <maintainers@l4balancer.invalid>
Installed-Size: $installed_size
Depends: $depends
Recommends: ca-certificates
Section: net
Priority: optional
Description: multi-tenant layer-4 (TCP) load balancer
 L4Balancer balances raw TCP connections across backends for many tenants,
 routed by listening port or by the SNI name peeked from the TLS ClientHello,
 without terminating TLS: CIDR allow and deny lists, per-tenant limits, active
 and passive health checks, hot reload, binary upgrades without refusing a
 connection, Prometheus metrics and an admin API. Runs under systemd as the
 l4balancer user; the config is /etc/l4balancer/balancer.toml.
EOF
echo /etc/l4balancer/balancer.toml > "$pkg/DEBIAN/conffiles"

cat > "$pkg/DEBIAN/postinst" <<'EOF'
#!/bin/sh
# l4balancer postinst. Must succeed without systemd running (containers, chroots, CI): every systemctl
# call is behind [ -d /run/systemd/system ], as debhelper's generated snippets do.
set -e

if [ "$1" = configure ]; then
  # The system user the unit runs as (User=/Group=l4balancer); kept on purge, as Debian does with
  # system users: files it owned may outlive the package.
  if ! getent group l4balancer >/dev/null; then
    groupadd --system l4balancer
  fi
  if ! getent passwd l4balancer >/dev/null; then
    useradd --system --gid l4balancer --no-create-home --home-dir /nonexistent \
      --shell /usr/sbin/nologin --comment "L4Balancer load balancer" l4balancer
  fi

  # The config may hold the admin token: the service's group reads it, nobody else. Set on every
  # configure (dpkg installs a new conffile root:root 0644), unless the operator chose otherwise with
  # dpkg-statoverride.
  if ! dpkg-statoverride --list /etc/l4balancer >/dev/null 2>&1; then
    chown root:l4balancer /etc/l4balancer
    chmod 0750 /etc/l4balancer
  fi
  if ! dpkg-statoverride --list /etc/l4balancer/balancer.toml >/dev/null 2>&1; then
    chown root:l4balancer /etc/l4balancer/balancer.toml
    chmod 0640 /etc/l4balancer/balancer.toml
  fi
fi

if [ "$1" = configure ] || [ "$1" = abort-upgrade ] || [ "$1" = abort-deconfigure ] || [ "$1" = abort-remove ]; then
  # Not enabled, not started: the example config listens on 0.0.0.0 with a literal admin token. Edit
  # /etc/l4balancer/balancer.toml, then: systemctl enable --now l4balancer
  if command -v deb-systemd-helper >/dev/null; then
    deb-systemd-helper unmask l4balancer.service >/dev/null || true
    deb-systemd-helper update-state l4balancer.service >/dev/null || true
  fi
  if [ -d /run/systemd/system ]; then
    systemctl --system daemon-reload >/dev/null || true
    # An upgrade while the balancer runs: its binary upgrade (SIGUSR2, README "Upgrade") starts the new
    # /opt/l4balancer/l4balancer and hands it every listening socket; no connect is refused and open
    # streams drain in the old process. A failed upgrade leaves the old process serving.
    if [ -n "$2" ] && systemctl --quiet is-active l4balancer.service; then
      pid=$(systemctl show --property=MainPID --value l4balancer.service)
      if [ "${pid:-0}" -gt 0 ]; then
        kill -USR2 "$pid" || true
      fi
    fi
  fi
fi

exit 0
EOF

cat > "$pkg/DEBIAN/prerm" <<'EOF'
#!/bin/sh
# l4balancer prerm: stop the service when the package is removed (not on upgrade: postinst hands over).
set -e

if [ "$1" = remove ] && [ -d /run/systemd/system ] && command -v deb-systemd-invoke >/dev/null; then
  deb-systemd-invoke stop l4balancer.service l4balancer.socket >/dev/null || true
fi

exit 0
EOF

cat > "$pkg/DEBIAN/postrm" <<'EOF'
#!/bin/sh
# l4balancer postrm. dpkg itself removes the files and, on purge, the conffile.
set -e

if [ "$1" = remove ] || [ "$1" = purge ]; then
  if [ -d /run/systemd/system ]; then
    systemctl --system daemon-reload >/dev/null || true
  fi
fi

if [ "$1" = purge ]; then
  if command -v deb-systemd-helper >/dev/null; then
    deb-systemd-helper purge l4balancer.service l4balancer.socket >/dev/null || true
    deb-systemd-helper unmask l4balancer.service l4balancer.socket >/dev/null || true
  fi
  # The rest of the configuration the README puts next to the config (admin-token, environment).
  rm -rf /etc/l4balancer
fi

exit 0
EOF
chmod 0755 "$pkg/DEBIAN/postinst" "$pkg/DEBIAN/prerm" "$pkg/DEBIAN/postrm"
chmod 0644 "$pkg/DEBIAN/control" "$pkg/DEBIAN/conffiles"

(cd "$pkg" && find . -path ./DEBIAN -prune -o -type f -printf '%P\0' | LC_ALL=C sort -z | xargs -0 md5sum) > "$pkg/DEBIAN/md5sums"
chmod 0644 "$pkg/DEBIAN/md5sums"

mkdir -p "$output"
deb=$output/l4balancer_${version}_${arch}.deb
dpkg-deb --root-owner-group --build "$pkg" "$deb" >&2
echo "$deb"
