#!/usr/bin/env bash
# Regenerates fuzz/seeds/ (one directory per fuzz target, named without "fuzz_") from
# pools of the conformance corpus: zf-stripe (v23, little-endian, lzjb/gzip), v15-pool
# (big-endian) and testpool_zstd (v5000: SA, lz4, zstd). make_seeds comes from a
# -DFZFS_FUZZ=ON build (BUILD_DIR/fuzz/tools/make_seeds).
# Usage: fuzz/make_seeds.sh BUILD_DIR [CORPUS_DIR]
set -euo pipefail

ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
BUILD=${1:?usage: fuzz/make_seeds.sh BUILD_DIR [CORPUS_DIR]}
CORPUS=${2:-${FZFS_CONFORMANCE_DIR:-$ROOT/../shared/conformance}}
TOOL=$BUILD/fuzz/tools/make_seeds
[[ -x $TOOL ]] || { echo "make_seeds not built: ninja -C $BUILD make_seeds" >&2; exit 1; }

work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
# Devices are mostly holes: keep them sparse in the scratch directory.
sparse() { dd of="$1" bs=64K conv=sparse iflag=fullblock status=none; }
mkdir -p "$work/stripe" "$work/v15" "$work/zstd"
zstd -dc "$CORPUS/zfs-fuse/zf-stripe/A.zst" | sparse "$work/stripe/A"
bzip2 -dc "$CORPUS/openzfs/cli_root/zpool_upgrade/blockfiles/zfs-pool-v15.dat.bz2" | sparse "$work/v15/v15.dat"
tar -xzOf "$CORPUS/openzfs/compression/testpool_zstd.tar.gz" testpool_zstd | sparse "$work/zstd/testpool_zstd"

rm -rf "$ROOT/fuzz/seeds.new"
ASAN_OPTIONS=detect_leaks=0 "$TOOL" "$ROOT/fuzz/seeds.new" \
  "$work/stripe" zf-stripe "$work/v15" v15-pool "$work/zstd" testpool_zstd
rm -rf "$ROOT/fuzz/seeds"
mv "$ROOT/fuzz/seeds.new" "$ROOT/fuzz/seeds"
echo "fuzz/seeds: $(find "$ROOT/fuzz/seeds" -type f | wc -l) files, $(du -sh --apparent-size "$ROOT/fuzz/seeds" | cut -f1)"
