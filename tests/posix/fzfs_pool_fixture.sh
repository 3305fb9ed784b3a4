#!/bin/bash
# Setup and cleanup of the fzfs pool the POSIX suite, fsx and stress-ng run on (CTest
# fixture posix_fzfs). setup: a 2 GiB pool of version 23 made by `fzpool create`,
# mounted read-write, with a second dataset for the EXDEV cases. cleanup: export it,
# then zfs-fuse (the oracle) imports it and must scrub it with 0 errors.
#   fzfs_pool_fixture.sh setup|cleanup BUILD_DIR WORK_DIR
set -u
action=$1 build=$2 work=$3
pool=fzposix
export FZFS_RUNDIR=$work/run
fzpool=$build/tools/fzpool
fzfs=$build/tools/fzfs

case $action in
setup)
  "$fzpool" export "$pool" >/dev/null 2>&1
  rm -rf "$work" && mkdir -p "$work/dev" "$work/root" "$work/run" || exit 1
  truncate -s 2G "$work/dev/a" || exit 1
  "$fzpool" create -o version=23 -m /fs -R "$work/root" "$pool" "$work/dev/a" || exit 1
  "$fzfs" create -o mountpoint=/other "$pool/other" || exit 1
  mountpoint -q "$work/root/fs" && mountpoint -q "$work/root/other" || { echo "not mounted"; exit 1; }
  ;;
cleanup)
  status=0
  "$fzpool" export "$pool" || status=1
  if command -v zfs-fuse >/dev/null; then
    # The oracle's verdict on what the suite left behind.
    flock /tmp/fzfs-zfs-fuse.lock bash -c '
      pid=$1/zfs-fuse.pid dev=$1/dev pool=$2
      zfs-fuse -p "$pid" || exit 1
      for i in $(seq 50); do zpool list >/dev/null 2>&1 && break; sleep 0.2; done
      rc=0
      zpool import -d "$dev" -R "$1/zfroot" "$pool" || rc=1
      if [ $rc = 0 ]; then
        zpool scrub "$pool"
        for i in $(seq 600); do zpool status "$pool" | grep -q "in progress" || break; sleep 0.2; done
        zpool status -v "$pool"
        zpool status "$pool" | grep -q "with 0 errors" || rc=1
        zpool status "$pool" | grep -q "No known data errors" || rc=1
        zpool export "$pool" || rc=1
      fi
      kill "$(cat "$pid")"
      for i in $(seq 100); do kill -0 "$(cat "$pid")" 2>/dev/null || break; sleep 0.2; done
      exit $rc' _ "$work" "$pool" || status=1
  fi
  rm -rf "$work"
  exit $status
  ;;
*)
  echo "usage: $0 setup|cleanup BUILD_DIR WORK_DIR" >&2
  exit 2
  ;;
esac
