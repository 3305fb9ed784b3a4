#!/usr/bin/env bash
# Demo: builds fzfs, makes a small real pool with zfs-fuse (the reference implementation),
# then imports that pool read-only with fzfs and shows it. Run as root (FUSE, zfs-fuse).
#   scripts/demo.sh [WORKDIR]          default WORKDIR: /tmp/fzfs-demo
# Until fzfs can create pools itself, zfs-fuse writes the sample pool.
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

say "writing a sample pool with zfs-fuse (raidz1 over three 128 MiB files)"
if pgrep -x zfs-fuse >/dev/null; then
  die "another zfs-fuse is running; only one can run at a time, retry when it has stopped"
fi
/usr/sbin/zfs-fuse -p "$ZF_PID"
for _ in $(seq 100); do /sbin/zpool list >/dev/null 2>&1 && break; sleep 0.1; done
for d in a b c; do truncate -s 128M "$DISKS/$d"; done
# zfs-fuse stores an altroot (-R) into the mountpoint, so the pool is created mounted
# in the work dir and given its real mountpoint (/demo) once unmounted, before export.
/sbin/zpool create -f -m "$ZF_ROOT/$POOL" "$POOL" raidz1 "$DISKS/a" "$DISKS/b" "$DISKS/c"
/sbin/zfs create -o compression=lzjb "$POOL/docs"
/sbin/zfs create "$POOL/photos"
SRC=$ZF_ROOT/$POOL
cp -r "$ROOT/docs/." "$SRC/docs/"
cp "$ROOT/README.md" "$ROOT/LICENSE" "$SRC/"
head -c 3000000 /dev/urandom >"$SRC/photos/random.bin"
ln -s ../README.md "$SRC/docs/readme-link"
/sbin/zfs snapshot -r "$POOL@first"
echo "changed after the snapshot" >>"$SRC/README.md"
(cd "$SRC" && find . -type f -exec sha256sum {} + | sort -k2) >"$WORK/expected.sha256"
/sbin/zfs unmount -a
/sbin/zfs set mountpoint="/$POOL" "$POOL"
/sbin/zpool export "$POOL"
stop_zfs_fuse
trap - EXIT

say "importing it with fzfs: fzpool import -d $DISKS -o readonly=on -R $ALTROOT $POOL"
fzpool import -d "$DISKS" -o readonly=on -R "$ALTROOT" "$POOL"

say "mounted at $ALTROOT/$POOL"
findmnt -rn -o TARGET,SOURCE,FSTYPE | grep -F "$ALTROOT" || true

say "fzfs list -t all"
fzfs list -t all

say "checking every file against what zfs-fuse wrote"
(cd "$ALTROOT/$POOL" && sha256sum --quiet -c "$WORK/expected.sha256") \
  && echo "all $(wc -l <"$WORK/expected.sha256") files identical"
echo "the snapshot: ls $ALTROOT/$POOL/.zfs/snapshot/first"
ls "$ALTROOT/$POOL/.zfs/snapshot/first" || true

say "done; the pool stays imported. Look around, then: $PREFIX/bin/fzpool export $POOL"
