#!/usr/bin/env bash
# Reads one 1 GiB file three ways in one run, on the same machine and backing file system:
#   raw      the file copied onto the backing file system (ext4 here)
#   zfs-fuse the pool imported by zfs-fuse, read through its FUSE mount
#   fzfs     the same pool imported read-only by fzfs, read through its FUSE mount
# The pool is made once by zfs-fuse (one 2 GiB file vdev, compression off, recordsize
# 128K) holding a 1 GiB file of random bytes. Every measurement is a cold read: page
# cache dropped and the pool freshly imported, so neither daemon serves from its cache.
# Each is repeated RUNS times; the median MB/s is printed, with fio's command.
#
# Usage: bench/fuse_read_compare.sh [BUILD_DIR]   (default build-bench; needs root,
# zfs-fuse and fio installed, fzpool/fzfs built in BUILD_DIR/tools)
set -euo pipefail

ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
BUILD=${1:-$ROOT/build-bench}
FZPOOL=$BUILD/tools/fzpool
RUNS=${RUNS:-5}
SIZE_MB=${SIZE_MB:-1024}
WORK=$(mktemp -d /var/tmp/fzfs-bench.XXXXXX)
POOL=fzbench
PIDFILE=$WORK/zfs-fuse.pid
export FZFS_RUNDIR=$WORK/run

cleanup() {
  "$FZPOOL" export "$POOL" >/dev/null 2>&1 || true
  if [[ -f $PIDFILE ]]; then
    zpool export "$POOL" >/dev/null 2>&1 || true
    kill "$(cat "$PIDFILE")" 2>/dev/null || true
    sleep 1
  fi
  rm -rf "$WORK"
}
trap cleanup EXIT

drop_caches() { sync; echo 3 >/proc/sys/vm/drop_caches; }

start_zfs_fuse() {
  rm -f "$PIDFILE"
  zfs-fuse -p "$PIDFILE"
  for _ in $(seq 50); do zpool list >/dev/null 2>&1 && return; sleep 0.2; done
  echo "zfs-fuse did not start" >&2; exit 1
}
stop_zfs_fuse() {
  kill "$(cat "$PIDFILE")"
  for _ in $(seq 50); do kill -0 "$(cat "$PIDFILE")" 2>/dev/null || break; sleep 0.2; done
  rm -f "$PIDFILE"
}

# fio_read FILE: prints MB/s of one sequential read of the file with 1 MiB requests.
fio_read() {
  fio --name=seqread --filename="$1" --rw=read --bs=1M --size="${SIZE_MB}M" --ioengine=psync \
      --numjobs=1 --output-format=json 2>/dev/null |
    python3 -c 'import json,sys; j=json.load(sys.stdin); print("%.0f" % (j["jobs"][0]["read"]["bw_bytes"]/1e6))'
}
median() { sort -n | awk '{a[NR]=$1} END {print a[int((NR+1)/2)]}'; }

# One zfs-fuse per machine: tests that start it take the same lock.
exec 9>/tmp/fzfs-zfs-fuse.lock
flock 9

mkdir -p "$WORK/dev" "$WORK/mnt" "$FZFS_RUNDIR"
truncate -s 2G "$WORK/dev/disk0"
head -c "${SIZE_MB}M" /dev/urandom >"$WORK/raw.bin"

echo "making the pool with zfs-fuse..."
start_zfs_fuse
zpool create -m "$WORK/mnt/zfsfuse" "$POOL" "$WORK/dev/disk0"
zfs set compression=off "$POOL"
cp "$WORK/raw.bin" "$WORK/mnt/zfsfuse/big.bin"
sync
zpool export "$POOL"

declare -a raw zf fz
for i in $(seq "$RUNS"); do
  drop_caches
  raw+=("$(fio_read "$WORK/raw.bin")")

  zpool import -d "$WORK/dev" "$POOL"
  drop_caches
  zf+=("$(fio_read "$WORK/mnt/zfsfuse/big.bin")")
  zpool export "$POOL"
done
stop_zfs_fuse

for i in $(seq "$RUNS"); do
  "$FZPOOL" import -d "$WORK/dev" -o readonly=on -R "$WORK/fz" "$POOL"
  drop_caches
  fz+=("$(fio_read "$WORK/fz$WORK/mnt/zfsfuse/big.bin")")
  "$FZPOOL" export "$POOL"
done

r=$(printf '%s\n' "${raw[@]}" | median)
z=$(printf '%s\n' "${zf[@]}" | median)
f=$(printf '%s\n' "${fz[@]}" | median)
echo
echo "sequential read of a ${SIZE_MB} MiB file, bs=1M, cold, median of $RUNS runs (MB/s)"
echo "  runs: raw ${raw[*]} | zfs-fuse ${zf[*]} | fzfs ${fz[*]}"
printf '| %-10s | %8s | %s |\n' "reader" "MB/s" "vs zfs-fuse"
printf '| %-10s | %8s | %s |\n' "raw ext4" "$r" "$(awk -v a="$r" -v b="$z" 'BEGIN{printf "%.2fx", a/b}')"
printf '| %-10s | %8s | %s |\n' "zfs-fuse" "$z" "1.00x"
printf '| %-10s | %8s | %s |\n' "fzfs" "$f" "$(awk -v a="$f" -v b="$z" 'BEGIN{printf "%.2fx", a/b}')"
