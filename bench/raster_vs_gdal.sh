#!/usr/bin/env bash
# GeoTIFF read (and write) speed: ecoplan vs GDAL (rasterio), same files, same run.
# Generates 5000×5000 float32 tiled GeoTIFFs with GDAL, then times full reads of band 1.
# ratio = GDAL seconds / ecoplan seconds (best of REPS): > 1 means ecoplan is faster.
# GDAL runs single-threaded by default; the "GDAL_NUM_THREADS=ALL_CPUS" row lets it decode
# in parallel too. Usage: bench/raster_vs_gdal.sh [SIZE] [REPS]   (env ECOPLAN_PY = python)
set -euo pipefail
cd "$(dirname "$0")/.."
SIZE=${1:-5000}
REPS=${2:-5}
PY=${ECOPLAN_PY:-/root/.cache/ecoplan-venv/bin/python}
DIR=$(mktemp -d)
trap 'rm -rf "$DIR"' EXIT

cargo build --quiet --release -p ecoplan-io --example raster_timing
BIN=target/release/examples/raster_timing
"$PY" bench/raster_vs_gdal.py generate "$DIR" "$SIZE"

best() { "$PY" -c 'import json,sys; print(json.loads(sys.argv[1])["best"])' "$1"; }
row() { # name ours gdal
  "$PY" -c 'import sys; n,o,g=sys.argv[1],float(sys.argv[2]),float(sys.argv[3]); print(f"{n:<34} {o:>9.3f} {g:>9.3f} {g/o:>7.2f}")' "$1" "$2" "$3"
}
echo "GeoTIFF ${SIZE}x${SIZE} float32, 256x256 tiles, best of $REPS, $(nproc) cores"
printf '%-34s %9s %9s %7s\n' "case" "ecoplan_s" "gdal_s" "ratio"
for c in deflate deflate_pred3 lzw zstd; do
  f="$DIR/f32_$c.tif"
  ours=$(best "$("$BIN" read "$f" "$REPS")")
  gdal=$(best "$("$PY" bench/raster_vs_gdal.py read "$f" "$REPS")")
  row "read $c" "$ours" "$gdal"
done
f="$DIR/f32_deflate.tif"
ours=$(best "$("$BIN" read "$f" "$REPS")")
gdal=$(best "$(GDAL_NUM_THREADS=ALL_CPUS "$PY" bench/raster_vs_gdal.py read "$f" "$REPS")")
row "read deflate (GDAL all threads)" "$ours" "$gdal"
ours=$(best "$("$BIN" write "$f" "$DIR/ours_out.tif" "$REPS")")
gdal=$(best "$("$PY" bench/raster_vs_gdal.py write "$f" "$DIR/gdal_out.tif" "$REPS")")
row "write deflate+pred3" "$ours" "$gdal"
