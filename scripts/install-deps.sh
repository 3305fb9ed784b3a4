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

missing=()
for pkg in "${PACKAGES[@]}"; do
  if ! dpkg-query -W -f='${db:Status-Abbrev}' "$pkg" 2>/dev/null | grep -q '^ii'; then
    missing+=("$pkg")
  fi
done

if ((${#missing[@]} == 0)); then
  echo "install-deps: all ${#PACKAGES[@]} packages present"
  exit 0
fi

if ((EUID != 0)); then
  echo "install-deps: missing ${missing[*]}; run as root (sudo bash $0)" >&2
  exit 1
fi

export DEBIAN_FRONTEND=noninteractive
echo "install-deps: installing ${missing[*]}"
apt-get update -qq
apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
echo "install-deps: done"
