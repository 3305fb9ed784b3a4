#!/usr/bin/env bash
# Runs the same fio and metadata workloads on fzfs, zfs-fuse and the raw backing file
# system in one run, and prints one Markdown table of medians and speed ratios.
#
#   fzfs      a pool made by `fzpool create` on a file vdev, mounted through FUSE
#   zfs-fuse  a pool made by zfs-fuse's `zpool create` on a file of the same size in the
#             same backing directory, mounted through FUSE
#   raw       a plain directory on the backing file system (ext4 here)
#
# The targets take turns: run 1 on each target, then run 2 on each, and so on. Each run
# of each target starts from a fresh pool (or an empty directory) and does:
#   seqwrite    fio: write one SIZE file, bs=1M, psync, ends with fsync (end_fsync=1,
#               fio counts the fsync in the runtime)
#   seqread     fio: read that file back, bs=1M, psync, cold
#   randread1   fio: random 4k reads of it, psync, one job (QD1), cold
#   randread16  fio: the same with 16 psync threads on the file (16 requests in flight), cold
#   randwrite1  fio: random 4k overwrites in it, psync, QD1, ends with fsync
#   randwrite16 fio: the same with 16 psync threads, each ending with fsync
#   churn       bench/file_churn.cc: create FILES empty files in one directory, fsync the
#               directory, stat each, remove each; kernel caches dropped between phases
# "cold" means the page cache is dropped and, for the FUSE targets, the pool is exported
# and imported again, so neither daemon answers from its own cache. The random jobs do
# RAND_SIZE bytes of I/O in all (split over the threads), capped at RAND_RUNTIME seconds.
#
# A target that cannot be prepared or fails (today: fzfs, which cannot create pools yet)
# shows "n/a (TARGET: reason)" in its column; the others still run.
#
# Usage: bench/fio_compare.sh BUILD_DIR
#   env: RUNS (5), SIZE (1G, fio size syntax), TARGETS ("fzfs zfs-fuse raw"),
#        FILES (10000), RAND_SIZE (256M), RAND_RUNTIME (60), VDEV_SIZE (4 x SIZE),
#        BACKING_DIR (/var/tmp), RESULTS (BUILD_DIR/fio-results/DATE)
# Needs root (drop_caches, FUSE mounts), fio, python3, zfs-fuse; fzpool in
# BUILD_DIR/tools and fzfs_file_churn in BUILD_DIR/bench. With zfs-fuse among the targets
# the script holds /tmp/fzfs-zfs-fuse.lock from the first run to the last (one zfs-fuse
# per machine; tests take the same lock).
set -euo pipefail

[[ $# -eq 1 ]] || { echo "usage: $0 BUILD_DIR" >&2; exit 2; }
BUILD=$(cd "$1" && pwd)
FZPOOL=$BUILD/tools/fzpool
CHURN=$BUILD/bench/fzfs_file_churn
RUNS=${RUNS:-5}
SIZE=${SIZE:-1G}
TARGETS=${TARGETS:-fzfs zfs-fuse raw}
FILES=${FILES:-10000}
RAND_SIZE=${RAND_SIZE:-256M}
RAND_RUNTIME=${RAND_RUNTIME:-60}
BACKING_DIR=${BACKING_DIR:-/var/tmp}
RESULTS=${RESULTS:-$BUILD/fio-results/$(date -u +%Y%m%dT%H%M%SZ)}
LOCK=/tmp/fzfs-zfs-fuse.lock
POOL=fzfiobench

# Sizes in bytes (fio's suffixes are powers of two, as here).
bytes() { numfmt --from=iec "${1%B}"; }
SIZE_B=$(bytes "$SIZE")
VDEV_SIZE=${VDEV_SIZE:-$((4 * SIZE_B))}
RAND_B=$(bytes "$RAND_SIZE")

[[ -x $CHURN ]] || { echo "missing $CHURN (ninja -C $BUILD fzfs_file_churn)" >&2; exit 1; }
WORK=$(mktemp -d "$BACKING_DIR/fzfs-fio.XXXXXX")
export FZFS_RUNDIR=$WORK/run
mkdir -p "$RESULTS" "$FZFS_RUNDIR"

log() { echo "[$(date -u +%T)] $*" >&2; }
drop_caches() { sync; echo 3 >/proc/sys/vm/drop_caches; }

# ---- fio ----

FIO_COMMON=(--ioengine=psync --fallocate=none --output-format=json)
RAND_QD16=(--numjobs=16 --thread --group_reporting --io_size=$((RAND_B / 16)))

# fio_job OUT_DIR NAME FILE ARGS...: one fio job on FILE, JSON kept as OUT_DIR/NAME.json.
fio_job() {
  local out=$1 name=$2 file=$3
  shift 3
  local cmd=(fio --name="$name" --filename="$file" --size="$SIZE" "${FIO_COMMON[@]}" "$@")
  echo "${cmd[*]}" >>"$out/commands.txt"
  "${cmd[@]}" --output="$out/$name.json"
}

# ---- targets: each defines TARGET_create, TARGET_cold (flush every cache the target
# has), TARGET_destroy; $MNT is where the files go. ----

fzfs_create() {
  mkdir -p "$WORK/fzfs-dev"
  truncate -s "$VDEV_SIZE" "$WORK/fzfs-dev/vdev0"
  MNT=$WORK/mnt/fzfs
  local err
  if ! err=$("$FZPOOL" create -O compression=off -m "$MNT" "$POOL" "$WORK/fzfs-dev/vdev0" 2>&1); then
    echo "fzpool create failed: ${err%%$'\n'*}" >&2
    return 1
  fi
  mountpoint -q "$MNT" || { echo "fzpool create: pool not mounted at $MNT" >&2; return 1; }
}
fzfs_cold() {
  "$FZPOOL" export "$POOL"
  drop_caches
  "$FZPOOL" import -d "$WORK/fzfs-dev" "$POOL"
}
fzfs_destroy() {
  "$FZPOOL" destroy "$POOL" 2>/dev/null || "$FZPOOL" export "$POOL" 2>/dev/null || true
  "$FZPOOL" list "$POOL" >/dev/null 2>&1 || rm -rf "$WORK/fzfs-dev"
}

ZF_PID=$WORK/zfs-fuse.pid
zfs-fuse_start() {
  rm -f "$ZF_PID"
  zfs-fuse -p "$ZF_PID"
  for _ in $(seq 50); do zpool list >/dev/null 2>&1 && break; sleep 0.2; done
  zpool list >/dev/null || { echo "zfs-fuse did not start" >&2; return 1; }
  # A pool of ours left in zpool.cache by an interrupted run comes back at start.
  if zpool list "$POOL" >/dev/null 2>&1; then
    zpool destroy -f "$POOL" 2>/dev/null || zpool export -f "$POOL" || true
  fi
}
zfs-fuse_stop() {
  [[ -f $ZF_PID ]] || return 0
  zpool export "$POOL" >/dev/null 2>&1 || true
  local pid
  pid=$(cat "$ZF_PID")
  kill "$pid"
  for _ in $(seq 100); do kill -0 "$pid" 2>/dev/null || break; sleep 0.2; done
  # A daemon that ignores SIGTERM for 20 s would hold the lock (it inherited fd 9).
  if kill -0 "$pid" 2>/dev/null; then
    echo "zfs-fuse $pid did not stop; killing it" >&2
    kill -KILL "$pid"
  fi
  rm -f "$ZF_PID"
}
zfs-fuse_create() {
  mkdir -p "$WORK/zfs-fuse-dev"
  truncate -s "$VDEV_SIZE" "$WORK/zfs-fuse-dev/vdev0"
  MNT=$WORK/mnt/zfs-fuse
  # cachefile=none: the pool never enters zfs-fuse's zpool.cache, so a run that dies
  # leaves nothing for the next zfs-fuse (another user's, perhaps) to re-import.
  zpool create -f -o cachefile=none -O compression=off -m "$MNT" "$POOL" "$WORK/zfs-fuse-dev/vdev0"
  mountpoint -q "$MNT" || { echo "zpool create: pool not mounted at $MNT" >&2; return 1; }
}
zfs-fuse_cold() {
  zpool export "$POOL"
  drop_caches
  zpool import -o cachefile=none -d "$WORK/zfs-fuse-dev" "$POOL"
}
zfs-fuse_destroy() {
  zpool destroy -f "$POOL" 2>/dev/null || zpool export -f "$POOL" 2>/dev/null || true
  # Deleting the vdev under a daemon that still has the pool hangs the daemon.
  zpool list "$POOL" >/dev/null 2>&1 || rm -rf "$WORK/zfs-fuse-dev"
}

raw_create() {
  MNT=$WORK/raw
  mkdir -p "$MNT"
}
raw_cold() { drop_caches; }
raw_destroy() { rm -rf "$WORK/raw"; }

# On any exit: stop what an interrupted run may have left, then remove the work
# directory without descending into a mount that is still there.
cleanup() {
  "$FZPOOL" export "$POOL" >/dev/null 2>&1 || true
  zfs-fuse_stop >/dev/null 2>&1 || true
  rm -rf --one-file-system "$WORK"
}
trap cleanup EXIT

# ---- one run of every workload on one target ----

# need_file FILE: the file the read jobs read is there in full (fio would silently
# create a missing one, and then measure reading its own new file).
need_file() {
  local got
  got=$(stat -c %s "$1" 2>/dev/null || echo missing)
  [[ $got == "$SIZE_B" ]] || { echo "$1: size $got after re-import, expected $SIZE_B" >&2; return 1; }
}

run_once() {
  local target=$1 out=$2
  mkdir -p "$out"
  "${target}_create"
  local f=$MNT/fio.bin
  log "$target: sequential write"
  fio_job "$out" seqwrite "$f" --rw=write --bs=1M --end_fsync=1
  "${target}_cold"
  log "$target: sequential read"
  need_file "$f"
  fio_job "$out" seqread "$f" --rw=read --bs=1M
  "${target}_cold"
  log "$target: random read QD1"
  need_file "$f"
  fio_job "$out" randread1 "$f" --rw=randread --bs=4k --io_size="$RAND_B" --runtime="$RAND_RUNTIME"
  "${target}_cold"
  log "$target: random read QD16"
  need_file "$f"
  fio_job "$out" randread16 "$f" --rw=randread --bs=4k --runtime="$RAND_RUNTIME" "${RAND_QD16[@]}"
  "${target}_cold"
  log "$target: random write QD1"
  need_file "$f"
  fio_job "$out" randwrite1 "$f" --rw=randwrite --bs=4k --io_size="$RAND_B" --runtime="$RAND_RUNTIME" --end_fsync=1
  "${target}_cold"
  log "$target: random write QD16"
  need_file "$f"
  fio_job "$out" randwrite16 "$f" --rw=randwrite --bs=4k --runtime="$RAND_RUNTIME" --end_fsync=1 "${RAND_QD16[@]}"
  log "$target: create/stat/remove $FILES files"
  mkdir "$MNT/churn"
  echo "$CHURN --files $FILES --drop-caches $MNT/churn" >>"$out/commands.txt"
  "$CHURN" --files "$FILES" --drop-caches "$MNT/churn" >"$out/churn.json"
  rmdir "$MNT/churn"
  "${target}_destroy"
}

# guarded TARGET CMD...: runs CMD in a subshell with errexit. A failure marks TARGET n/a
# (TARGET/error.txt holds the last line it printed) and removes its pool. Always returns
# 0 and is never called from a condition: bash ignores errexit, even in subshells, there.
guarded() {
  local target=$1 dir=$RESULTS/$1 rc why
  shift
  set +e
  (
    set -euo pipefail
    trap 'rc=$?; ((rc == 0)) || ${target}_destroy >/dev/null 2>&1' EXIT
    "$@"
  ) 2>&1 | tee -a "$dir/stderr.txt" >&2
  rc=${PIPESTATUS[0]}
  set -e
  ((rc == 0)) && return 0
  why=$(grep -v '^\[' "$dir/stderr.txt" | tail -n 1)
  echo "${why:-failed, see $dir/stderr.txt}" >"$dir/error.txt"
  log "$target: n/a: $(cat "$dir/error.txt")"
}

for t in $TARGETS; do
  case $t in
    fzfs | zfs-fuse | raw) mkdir -p "$RESULTS/$t" ;;
    *) echo "unknown target '$t' (fzfs, zfs-fuse, raw)" >&2; exit 2 ;;
  esac
done
# zfs-fuse runs from first to last run (idle while the others are measured), under the
# lock; the daemon inherits fd 9, so the lock outlives the script if the daemon does.
if [[ " $TARGETS " == *" zfs-fuse "* ]]; then
  log "zfs-fuse: waiting for $LOCK"
  exec 9>"$LOCK"
  flock 9
  guarded zfs-fuse zfs-fuse_start
fi
# The targets take turns within each run, so a change in the machine's load during the
# script reaches all of them alike.
for i in $(seq "$RUNS"); do
  for t in $TARGETS; do
    if [[ ! -e $RESULTS/$t/error.txt ]]; then guarded "$t" run_once "$t" "$RESULTS/$t/run$i"; fi
  done
done
if [[ " $TARGETS " == *" zfs-fuse "* ]]; then
  zfs-fuse_stop
  exec 9>&-
fi

# ---- summary: medians over the runs, one Markdown table ----

read -ra target_list <<<"$TARGETS"
python3 - "$RESULTS" "$RUNS" "$SIZE" "$FILES" "${target_list[@]}" <<'EOF' | tee "$RESULTS/table.md"
import json, os, statistics, sys

results, runs, size, files, targets = sys.argv[1], int(sys.argv[2]), sys.argv[3], sys.argv[4], sys.argv[5:]

def fio(metric, name):
    def get(run):
        job = json.load(open(os.path.join(run, name + ".json")))["jobs"][0]
        side = job["write" if "write" in name else "read"]
        return side["bw_bytes"] / 1e6 if metric == "MB/s" else side["iops"]
    return get

def churn(key):
    return lambda run: json.load(open(os.path.join(run, "churn.json")))[key]

# (label, unit, getter, higher is better)
rows = [
    (f"seq write {size}, bs=1M, fsync at end", "MB/s", fio("MB/s", "seqwrite"), True),
    (f"seq read {size}, bs=1M, cold", "MB/s", fio("MB/s", "seqread"), True),
    ("random read 4k, QD1", "IOPS", fio("IOPS", "randread1"), True),
    ("random read 4k, QD16 (16 threads)", "IOPS", fio("IOPS", "randread16"), True),
    ("random write 4k, QD1, fsync at end", "IOPS", fio("IOPS", "randwrite1"), True),
    ("random write 4k, QD16 (16 threads), fsync at end", "IOPS", fio("IOPS", "randwrite16"), True),
    (f"create {int(files):,} files", "s", churn("create_s"), False),
    ("fsync of the directory after the creates", "s", churn("fsync_dir_s"), False),
    (f"stat {int(files):,} files, cold", "s", churn("stat_s"), False),
    (f"remove {int(files):,} files, cold", "s", churn("remove_s"), False),
]

def each_run(target, getter):
    d = os.path.join(results, target)
    if os.path.exists(os.path.join(d, "error.txt")):
        return None
    return [getter(os.path.join(d, f"run{i}")) for i in range(1, runs + 1)]

def median(target, getter):
    values = each_run(target, getter)
    return None if values is None else statistics.median(values)

def shown(v, unit):
    if unit == "s":
        return f"{v:.3f}"
    return f"{v:,.0f}" if v >= 100 else f"{v:.1f}"

def ratio(row, a, b):
    # A speed ratio: above 1 means fzfs is faster, whatever the unit.
    if a is None or b is None or a == 0 or b == 0:
        return "-"
    return f"{(a / b if row[3] else b / a):.2f}x"

cols = targets + [f"fzfs vs {t}" for t in ("zfs-fuse", "raw") if "fzfs" in targets and t in targets]
print(f"median of {runs} run(s); ratios are speed ratios (above 1: fzfs faster)\n")
print("| workload | unit | " + " | ".join(cols) + " |")
print("|---|---|" + "---|" * len(cols))
for row in rows:
    vals = {t: median(t, row[2]) for t in targets}
    cells = []
    for t in targets:
        if vals[t] is None:
            why = open(os.path.join(results, t, "error.txt")).read().strip()
            cells.append(f"n/a ({t}: {why})")
        else:
            cells.append(shown(vals[t], row[1]))
    for t in ("zfs-fuse", "raw"):
        if "fzfs" in targets and t in targets:
            cells.append(ratio(row, vals["fzfs"], vals[t]))
    print(f"| {row[0]} | {row[1]} | " + " | ".join(cells) + " |")
# Every run's value, for the spread behind each median.
with open(os.path.join(results, "runs.md"), "w") as out:
    out.write("| workload | unit | " + " | ".join(targets) + " |\n|---|---|" + "---|" * len(targets) + "\n")
    for row in rows:
        cells = []
        for t in targets:
            values = each_run(t, row[2])
            cells.append("n/a" if values is None else " ".join(shown(v, row[1]) for v in values))
        out.write(f"| {row[0]} | {row[1]} | " + " | ".join(cells) + " |\n")
print(f"\nevery run: {results}/runs.md; fio JSON and commands: {results}/TARGET/runN/")
EOF
