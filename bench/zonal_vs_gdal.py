"""Helper of bench/zonal_vs_gdal.sh.

  make DIR N ZONES        write DIR/values.tif (float32, deflate, 256² tiles, NaN nodata, 1% holes)
                          and DIR/zones.tif (uint16, deflate, 256² tiles, ZONES zones, 0 = nodata)
  compare DIR OURS_S [CLI_S]
                          time GDAL (rasterio) reading both files + numpy bincount for
                          count/sum/mean per zone, check ecoplan's CSV against it, print the ratio
"""
import csv
import sys
import time

import numpy as np
import rasterio
from rasterio.transform import from_origin


def make(d, n, zones):
    profile = dict(driver="GTiff", width=n, height=n, count=1, crs="EPSG:4547",
                   transform=from_origin(500000, 4500000, 30, 30), tiled=True,
                   blockxsize=256, blockysize=256, compress="deflate")
    r, c = np.mgrid[0:n, 0:n]
    vals = (np.sin(c * 0.003) * 50 + np.cos(r * 0.002) * 30 + (r * 7 + c * 13) % 17).astype(np.float32)
    vals[(r * 31 + c * 17) % 101 == 0] = np.nan
    with rasterio.open(f"{d}/values.tif", "w", dtype="float32", nodata=float("nan"), **profile) as ds:
        ds.write(vals, 1)
    k = int(round(zones ** 0.5))
    z = ((r * k // n) * k + (c * k // n) + 1).astype(np.uint16)
    z[(r + c) % 997 == 0] = 0
    with rasterio.open(f"{d}/zones.tif", "w", dtype="uint16", nodata=0, **profile) as ds:
        ds.write(z, 1)


def gdal_bincount(d):
    t = time.perf_counter()
    with rasterio.open(f"{d}/values.tif") as ds:
        v = ds.read(1)
    with rasterio.open(f"{d}/zones.tif") as ds:
        z = ds.read(1)
    ok = (z != 0) & ~np.isnan(v)
    zz = z[ok].astype(np.int64)
    vv = v[ok].astype(np.float64)
    count = np.bincount(zz)
    total = np.bincount(zz, weights=vv)
    with np.errstate(invalid="ignore", divide="ignore"):
        mean = total / count
    return time.perf_counter() - t, count, total, mean


def compare(d, ours_s, cli_s):
    secs, count, total, mean = gdal_bincount(d)
    rows = list(csv.DictReader(open(f"{d}/ours.csv")))
    worst = 0.0
    for row in rows:
        z = int(row["zone"])
        assert int(row["count"]) == count[z], (z, row["count"], count[z])
        worst = max(worst, abs(float(row["sum"]) - total[z]) / max(abs(total[z]), 1.0))
        worst = max(worst, abs(float(row["mean"]) - mean[z]) / max(abs(mean[z]), 1.0))
    assert len(rows) == int((count > 0).sum())
    ours = float(ours_s)
    print(f"GDAL read + numpy bincount: {secs:.3f} s; ecoplan end-to-end: {ours:.3f} s; "
          f"speed ratio GDAL/ecoplan = {secs / ours:.2f}x; {len(rows)} zones agree (max rel diff {worst:.1e})")
    if cli_s:
        print(f"ecoplan zonal CLI: {float(cli_s):.3f} s; ratio GDAL/CLI = {secs / float(cli_s):.2f}x")


if __name__ == "__main__":
    if sys.argv[1] == "make":
        make(sys.argv[2], int(sys.argv[3]), int(sys.argv[4]))
    else:
        compare(sys.argv[2], sys.argv[3], sys.argv[4] if len(sys.argv) > 4 else "")
