#!/usr/bin/env bash
# Reprojection speed: ecoplan's warp vs GDAL's warper (rasterio.warp.reproject, all cores) on the
# identical N×N lon/lat float32 grid → 30 m CGCS2000 GK CM 114E, in one run. Prints the ratio.
# Usage: bench/align_vs_gdal.sh [N=4000] [METHOD=bilinear]
set -euo pipefail
cd "$(dirname "$0")/.."
N=${1:-4000}; METHOD=${2:-bilinear}
PY=${ECOPLAN_PY:-$HOME/.cache/ecoplan-venv/bin/python}
cargo build -q --release -p ecoplan-io --example warp_timing
ours=$(./target/release/examples/warp_timing "$N" "$METHOD" | sed -n 's/^@@RESULT@@ //p')
echo "ecoplan: $ours"
gdal=$("$PY" - "$N" "$METHOD" "$ours" <<'PY'
import json, sys, time
import numpy as np
from affine import Affine
from rasterio.warp import reproject, Resampling
n, method, ours = int(sys.argv[1]), sys.argv[2], json.loads(sys.argv[3])
c, r = np.meshgrid(np.arange(n, dtype=np.float32), np.arange(n, dtype=np.float32))
src = (np.sin(c * np.float32(0.01)) + np.cos(r * np.float32(0.02))).astype(np.float32)
w, h, x0, y0 = ours["grid"]
dst = np.full((h, w), -9999.0, np.float32)
t = time.perf_counter()
reproject(src, dst, src_transform=Affine(0.0003, 0, 112.5, 0, -0.0003, 40.5), src_crs="EPSG:4490", src_nodata=-9999.0,
          dst_transform=Affine(30, 0, x0, 0, -30, y0), dst_crs="EPSG:4547", dst_nodata=-9999.0,
          resampling=getattr(Resampling, method), num_threads=2)
secs = time.perf_counter() - t
valid = dst[dst != -9999.0]
print(json.dumps({"seconds": round(secs, 4), "valid": int(valid.size), "mean": float(valid.mean())}))
PY
)
echo "GDAL:    $gdal"
"$PY" - "$ours" "$gdal" <<'PY'
import json, sys
o, g = json.loads(sys.argv[1]), json.loads(sys.argv[2])
print(f"reproject {o['cells']} cells: ecoplan {o['seconds']:.3f} s, GDAL {g['seconds']:.3f} s, "
      f"speed ratio GDAL/ecoplan = {g['seconds'] / o['seconds']:.2f}x; mean {o['mean']:.5f} vs {g['mean']:.5f}")
PY
