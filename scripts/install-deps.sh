#!/usr/bin/env bash
# Installs every Debian 12 package needed to build, test, fuzz and benchmark fzfs.
# Idempotent and non-interactive: when everything is already present it does nothing.
# Run as root (or through sudo).
set -euo pipefail

PACKAGES=(
  build-essential cmake ninja-build pkg-config g++
  clang-14 libclang-rt-14-dev                    # libFuzzer and sanitizer runtimes
  libfuse3-dev fuse3                             # FUSE mounts
  libxxhash-dev libzstd-dev liblz4-dev zlib1g-dev libisal-dev libssl-dev
  libgtest-dev libgmock-dev libbenchmark-dev
  libfmt-dev libcli11-dev nlohmann-json3-dev
  zstd bzip2                                     # unpacking the conformance corpus
  zfs-fuse                                       # reference implementation (demo, corpus)
  fio python3                                    # benchmarks and helpers
  stress-ng                                      # filesystem stressors (tests/posix)
)

# OpenZFS's zdb, the tests' second oracle (tests/openzfs_zdb.h): Debian has it in
# contrib's zfsutils-linux, which conflicts with zfs-fuse, so it is unpacked (with the
# libraries it loads) into OPENZFS_DIR and run through a wrapper, never installed.
OPENZFS_DIR=/opt/fzfs-openzfs
OPENZFS_PACKAGES=(zfsutils-linux libzpool5linux libnvpair3linux libuutil3linux libzfs4linux)

unpack_openzfs_zdb() {
  [[ -x $OPENZFS_DIR/zdb ]] && return 0
  local tmp multiarch
  tmp=$(mktemp -d)
  cat >"$tmp/contrib.sources" <<'SOURCES'
Types: deb
URIs: http://deb.debian.org/debian
Suites: bookworm
Components: contrib
Signed-By: /usr/share/keyrings/debian-archive-keyring.gpg
SOURCES
  mkdir -p "$tmp/lists/partial"
  local apt=(-o Dir::Etc::sourcelist="$tmp/contrib.sources" -o Dir::Etc::sourceparts=/dev/null
             -o Dir::State::Lists="$tmp/lists" -o APT::Sandbox::User=root)
  echo "install-deps: unpacking OpenZFS's zdb (${OPENZFS_PACKAGES[*]}) into $OPENZFS_DIR"
  apt-get "${apt[@]}" update -qq
  (cd "$tmp" && apt-get "${apt[@]}" download -qq "${OPENZFS_PACKAGES[@]}")
  rm -rf "$OPENZFS_DIR" && mkdir -p "$OPENZFS_DIR/root"
  for deb in "$tmp"/*.deb; do dpkg-deb -x "$deb" "$OPENZFS_DIR/root"; done
  multiarch=$(dpkg-architecture -qDEB_HOST_MULTIARCH)
  cat >"$OPENZFS_DIR/zdb" <<WRAPPER
#!/bin/sh
# OpenZFS's zdb from Debian's zfsutils-linux, unpacked by fzfs's scripts/install-deps.sh.
LD_LIBRARY_PATH="$OPENZFS_DIR/root/lib/$multiarch:$OPENZFS_DIR/root/usr/lib/$multiarch" exec "$OPENZFS_DIR/root/sbin/zdb" "\$@"
WRAPPER
  chmod +x "$OPENZFS_DIR/zdb"
  rm -rf "$tmp"
}

missing=()
for pkg in "${PACKAGES[@]}"; do
  if ! dpkg-query -W -f='${db:Status-Abbrev}' "$pkg" 2>/dev/null | grep -q '^ii'; then
    missing+=("$pkg")
  fi
done

if ((${#missing[@]} == 0)) && [[ -x $OPENZFS_DIR/zdb ]]; then
  echo "install-deps: all ${#PACKAGES[@]} packages present, and OpenZFS's zdb"
  exit 0
fi

if ((EUID != 0)); then
  echo "install-deps: missing ${missing[*]:-OpenZFS zdb}; run as root (sudo bash $0)" >&2
  exit 1
fi

export DEBIAN_FRONTEND=noninteractive
if ((${#missing[@]} > 0)); then
  echo "install-deps: installing ${missing[*]}"
  apt-get update -qq
  apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
fi
unpack_openzfs_zdb
echo "install-deps: done"
