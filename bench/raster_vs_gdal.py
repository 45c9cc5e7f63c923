"""GDAL (rasterio) side of bench/raster_vs_gdal.sh.

generate OUT_DIR SIZE : writes float32 SIZE×SIZE terrain as tiled GeoTIFFs (deflate, deflate +
                        predictor 3, LZW, zstd), 256² tiles, EPSG:32650.
read FILE REPS        : prints best/median seconds of REPS full reads of band 1.
write FILE OUT REPS   : reads FILE once, prints best/median seconds of writing it as deflate +
                        predictor 3, 256² tiles.
"""
import json, os, sys, time
import numpy as np
import rasterio
from rasterio.transform import from_origin


def summary(t):
    t = sorted(t)
    return json.dumps({"best": round(t[0], 4), "median": round(t[len(t) // 2], 4), "reps": len(t)})


def terrain(n):
    rng = np.random.default_rng(7)
    y, x = np.mgrid[0:n, 0:n].astype(np.float32)
    return (1200 + 300 * np.sin(x / 700) * np.cos(y / 500) + rng.random((n, n), dtype=np.float32) * 10).astype(np.float32)


def profile(n, **co):
    return dict(driver="GTiff", width=n, height=n, count=1, dtype="float32", crs="EPSG:32650",
                transform=from_origin(400000, 4500000, 30, 30), nodata=-9999, tiled=True,
                blockxsize=256, blockysize=256, **co)


def main():
    cmd = sys.argv[1]
    if cmd == "generate":
        out, n = sys.argv[2], int(sys.argv[3])
        a = terrain(n)
        for name, co in [("deflate", dict(compress="deflate")),
                         ("deflate_pred3", dict(compress="deflate", predictor=3)),
                         ("lzw", dict(compress="lzw")),
                         ("zstd", dict(compress="zstd"))]:
            with rasterio.open(os.path.join(out, f"f32_{name}.tif"), "w", **profile(n, **co)) as s:
                s.write(a, 1)
    elif cmd == "read":
        path, reps = sys.argv[2], int(sys.argv[3])
        times = []
        for _ in range(reps):
            t = time.perf_counter()
            with rasterio.open(path) as s:
                a = s.read(1)
            times.append(time.perf_counter() - t)
        print(summary(times))
    elif cmd == "write":
        path, out, reps = sys.argv[2], sys.argv[3], int(sys.argv[4])
        with rasterio.open(path) as s:
            a = s.read(1)
            n = s.width
        times = []
        for _ in range(reps):
            t = time.perf_counter()
            with rasterio.open(out, "w", **profile(n, compress="deflate", predictor=3)) as s:
                s.write(a, 1)
            times.append(time.perf_counter() - t)
        print(summary(times))
    else:
        sys.exit(__doc__)


if __name__ == "__main__":
    main()
