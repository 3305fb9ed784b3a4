#!/usr/bin/env bash
# Runs stress-ng's file system stressors, one after the other, in a fresh directory
# under DIR, with --verify (checked by the stressors that support it). Exits 1 if any
# stressor fails; stressors that declare themselves unsupported on DIR's file system
# (stress-ng says "skipped"/"skipping") are reported as skipped, or count as failures
# with --strict. See tests/posix/README.md.
#
#   run_stress_ng.sh [--timeout SECONDS] [--instances N] [--only "a b ..."] [--strict] DIR
set -uo pipefail

timeout=2      # seconds per stressor
strict=0       # 1: a skipped stressor is a failure
instances=1    # workers per stressor (the test machines are small)
# File system stressors that work in --temp-path. Left out on purpose: io and the sync
# stressors of whole machines (they sync every disk), getdent and fstat (they read /proc,
# /dev and /sys, not DIR), bind-mount, binderfs, procfs, verity, inode-flags, chattr,
# file-ioctl, fanotify, dnotify, inotify, handle (kernel or ext4 specific features).
stressors="access chdir chmod chown copy-file dentry dir dirdeep dirmany fallocate fiemap
  filename flock fpunch fsize hdd iomix lease link locka lockf lockofd mknod open readahead
  rename seek symlink sync-file touch utime xattr"
# Bound the bytes the data stressors write (their defaults are up to gigabytes).
declare -A extra_opts=(
  [hdd]="--hdd-bytes 64M" [iomix]="--iomix-bytes 64M" [fallocate]="--fallocate-bytes 64M"
  [sync-file]="--sync-file-bytes 64M" [seek]="--seek-size 16M" [readahead]="--readahead-bytes 16M"
)

usage() {
  echo "usage: $0 [--timeout SECONDS] [--instances N] [--only \"stressor ...\"] [--strict] DIR" >&2
  exit 2
}

while (($# > 1)); do
  case "$1" in
    --timeout) timeout="$2"; shift 2 ;;
    --instances) instances="$2"; shift 2 ;;
    --only) stressors="$2"; shift 2 ;;
    --strict) strict=1; shift ;;
    *) usage ;;
  esac
done
(($# == 1)) || usage
base="$1"
[[ -d "$base" ]] || { echo "run_stress_ng: $base is not a directory" >&2; exit 2; }
# 77: "skipped" for CTest (SKIP_RETURN_CODE) when the tool is missing.
command -v stress-ng >/dev/null || { echo "run_stress_ng: stress-ng not installed (scripts/install-deps.sh)" >&2; exit 77; }

work=$(mktemp -d "$base/stress-ng.XXXXXX") || exit 2
echo "run_stress_ng: $(stress-ng --version) in $work, ${timeout}s x $instances per stressor"

passed=() skipped=() failed=()
for s in $stressors; do
  dir="$work/$s"
  mkdir "$dir"
  log="$work/$s.log"
  # shellcheck disable=SC2086  # the option list is meant to split
  stress-ng --"$s" "$instances" --timeout "${timeout}s" --verify --temp-path "$dir" \
    --log-brief ${extra_opts[$s]:-} >"$log" 2>&1
  rc=$?
  # stress-ng exits 0 (or 3, "no resource") when a stressor skips itself.
  skip_reason=$(grep -i -m1 -E "skipping stressor|will be skipped" "$log")
  if ((rc == 0 || rc == 3)) && [[ -n $skip_reason ]]; then
    status="SKIP ($skip_reason)"
  elif ((rc == 4)); then
    status="SKIP (not implemented here)"
  elif ((rc == 0)); then
    status=PASS
  else
    status="FAIL (exit $rc)"
  fi
  if [[ $status == SKIP* ]] && ((strict)); then
    status="FAIL (--strict: ${status#SKIP })"
  fi
  case "$status" in
    PASS) passed+=("$s") ;;
    SKIP*) skipped+=("$s") ;;
    *) failed+=("$s") ;;
  esac
  printf 'run_stress_ng: %-10s %s\n' "$s" "$status"
  if [[ $status == FAIL* ]]; then
    sed 's/^/    /' "$log" | tail -20
  fi
done

echo "run_stress_ng: ${#passed[@]} passed, ${#skipped[@]} skipped (${skipped[*]:-none}), ${#failed[@]} failed (${failed[*]:-none})"
if ((${#failed[@]} > 0)); then
  echo "run_stress_ng: logs and files kept in $work" >&2
  exit 1
fi
rm -rf "$work"
exit 0
