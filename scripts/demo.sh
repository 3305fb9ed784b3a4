#!/usr/bin/env bash
# Demo: builds fzfs, creates a raidz1 pool in three files with fzfs and writes into it
# through the FUSE mount; zfs-fuse (the reference implementation) then imports the pool,
# scrubs it, checks every file and takes a snapshot; fzfs imports it again and shows
# the snapshot. Run as root (FUSE, zfs-fuse).
#   scripts/demo.sh [WORKDIR]          default WORKDIR: /tmp/fzfs-demo
set -euo pipefail

ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
WORK=${1:-/tmp/fzfs-demo}
POOL=demo
PREFIX=$ROOT/out
DISKS=$WORK/disks
ALTROOT=$WORK/mnt
ZF_ROOT=$WORK/zfs-fuse-root
ZF_PID=$WORK/zfs-fuse.pid

say() { printf '\n== %s\n' "$*"; }
die() { echo "demo: $*" >&2; exit 1; }

((EUID == 0)) || die "run as root: zfs-fuse and FUSE mounts need it"

say "building fzfs into $PREFIX"
bash "$ROOT/scripts/build.sh" "$PREFIX"
export PATH=$PREFIX/bin:$PATH

# A previous run may have left the demo pool imported.
if fzpool list -H "$POOL" >/dev/null 2>&1; then fzpool export "$POOL" || true; fi
rm -rf "$WORK"
mkdir -p "$DISKS" "$ALTROOT" "$ZF_ROOT"

stop_zfs_fuse() {
  [[ -f $ZF_PID ]] || return 0
  local pid; pid=$(cat "$ZF_PID")
  kill "$pid" 2>/dev/null || true
  for _ in $(seq 100); do kill -0 "$pid" 2>/dev/null || break; sleep 0.1; done
  rm -f "$ZF_PID"
}
trap stop_zfs_fuse EXIT

say "creating a pool with fzfs: fzpool create -o version=23 -R $ALTROOT $POOL raidz1 (three 128 MiB files)"
for d in a b c; do truncate -s 128M "$DISKS/$d"; done
fzpool create -o version=23 -R "$ALTROOT" "$POOL" raidz1 "$DISKS/a" "$DISKS/b" "$DISKS/c"
fzfs create -o compression=lzjb "$POOL/docs"
fzfs create "$POOL/photos"
SRC=$ALTROOT/$POOL
say "writing files through the fzfs mount at $SRC"
cp -r "$ROOT/docs/." "$SRC/docs/"
cp "$ROOT/README.md" "$ROOT/LICENSE" "$SRC/"
head -c 3000000 /dev/urandom >"$SRC/photos/random.bin"
ln -s ../README.md "$SRC/docs/readme-link"
(cd "$SRC" && find . -type f -exec sha256sum {} + | sort -k2) >"$WORK/expected.sha256"
fzfs list
fzpool export "$POOL"

say "zfs-fuse (the reference) imports what fzfs wrote, scrubs it and checks every file"
if pgrep -x zfs-fuse >/dev/null; then
  die "another zfs-fuse is running; only one can run at a time, retry when it has stopped"
fi
trap stop_zfs_fuse EXIT
/usr/sbin/zfs-fuse -p "$ZF_PID"
for _ in $(seq 100); do /sbin/zpool list >/dev/null 2>&1 && break; sleep 0.1; done
/sbin/zpool import -d "$DISKS" -R "$ZF_ROOT" "$POOL"
/sbin/zpool scrub "$POOL"
for _ in $(seq 300); do /sbin/zpool status "$POOL" | grep -q "in progress" || break; sleep 0.2; done
/sbin/zpool status "$POOL"
(cd "$ZF_ROOT/$POOL" && sha256sum --quiet -c "$WORK/expected.sha256") \
  && echo "zfs-fuse reads all $(wc -l <"$WORK/expected.sha256") files identical"
# zfs-fuse snapshots the pool and changes a file; fzfs then shows both states.
/sbin/zfs snapshot -r "$POOL@first"
echo "changed after the snapshot" >>"$ZF_ROOT/$POOL/README.md"
/sbin/zpool export "$POOL"
stop_zfs_fuse
trap - EXIT

say "importing it again with fzfs: fzpool import -d $DISKS -R $ALTROOT $POOL"
fzpool import -d "$DISKS" -R "$ALTROOT" "$POOL"
findmnt -rn -o TARGET,SOURCE,FSTYPE | grep -F "$ALTROOT" || true
fzfs list -t all
echo "the snapshot zfs-fuse took: ls $ALTROOT/$POOL/.zfs/snapshot/first"
ls "$ALTROOT/$POOL/.zfs/snapshot/first" || true
(cd "$ALTROOT/$POOL/.zfs/snapshot/first" && grep ' ./README.md$' "$WORK/expected.sha256" | sha256sum --quiet -c -) \
  && echo "the snapshot's README.md is as fzfs wrote it; the live one ends with:"
tail -n 1 "$ALTROOT/$POOL/README.md"
