#!/bin/sh
# Install everything ia2 needs on a fresh Debian 12 machine, and fetch the
# Debian kernel that the PKU test VM boots (unpacked, not installed: the host
# keeps its own kernel). Idempotent; safe to run again.
set -eu

packages="build-essential cmake pkg-config clang lld
  libelf-dev libdw-dev libcapstone-dev libjemalloc-dev elfutils binutils-dev
  qemu-system-x86 cpio kmod valgrind gdb mold python3 dpkg-dev clang-16 ccache
  meson ninja-build nasm aom-tools autoconf automake libtool"

# The real-project tests build Debian source packages (test/zlib,
# test/dav1d: meson, nasm, and aomenc for its streams; test/jbig2dec:
# autoconf, automake and libtool for its autogen.sh): apt
# needs a deb-src entry for `apt-get source`.
src_list=/etc/apt/sources.list.d/ia2-deb-src.sources
if ! grep -rqs '^Types:.*deb-src\|^deb-src' /etc/apt/sources.list /etc/apt/sources.list.d/; then
  cat >"$src_list" <<'EOF'
Types: deb-src
URIs: http://deb.debian.org/debian
Suites: bookworm
Components: main
Signed-By: /usr/share/keyrings/debian-archive-keyring.gpg
EOF
  apt-get update -qq
fi

missing=""
for p in $packages; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "ok installed" || missing="$missing $p"
done
if [ -n "$missing" ]; then
  echo "setup-deps: installing$missing"
  apt-get update -qq
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends $missing >/dev/null
fi

# The VM kernel: Debian's linux-image-amd64 has
# CONFIG_X86_INTEL_MEMORY_PROTECTION_KEYS=y and the 9p/virtio modules the
# runner loads (see test/runner/README.md).
kdir="${IA2_KERNEL_DIR:-/var/cache/ia2/kernel}"
if ! ls "$kdir"/boot/vmlinuz-* >/dev/null 2>&1; then
  pkg=$(apt-cache depends linux-image-amd64 | awk '/Depends: linux-image-[0-9]/ {print $2; exit}')
  [ -n "$pkg" ] || { echo "setup-deps: cannot resolve linux-image-amd64 (run apt-get update?)" >&2; exit 1; }
  echo "setup-deps: fetching $pkg for the PKU test VM into $kdir"
  tmp=$(mktemp -d)
  (cd "$tmp" && apt-get download "$pkg" >/dev/null 2>&1) || { apt-get update -qq; (cd "$tmp" && apt-get download "$pkg" >/dev/null); }
  mkdir -p "$kdir"
  dpkg-deb -x "$tmp"/*.deb "$kdir"
  rm -rf "$tmp"
fi
