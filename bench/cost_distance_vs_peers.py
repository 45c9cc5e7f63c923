"""Cost-distance benchmark helpers for bench/cost_distance_vs_peers.sh.

  gen DIR N            deterministic synthetic landscape: DIR/resistance.tif (float32, 30 m,
                       EPSG:32649, values 1..500 by class) and DIR/sources.tif (uint8, 1 = source)
  skimage DIR OUT      scikit-image MCP_Geometric (8 neighbours), x cell size
  wbw DIR OUT          whitebox-workflows cost_distance

Each peer run prints one line: @@RESULT@@ {"timed_s", "check": {"mean_cd", "max_cd"}}; the timed
section covers reading the inputs, computing and writing the output GeoTIFF (as the shared
bench harness does); each tool's libraries are imported before its clock starts.
The landscape follows the shared bench generator's class table
(forest 1, shrub 5, grassland 10, wetland 20, cropland 30, water 50, barren 100,
impervious 500; sources = forest/grassland patches >= 100 ha) but uses a plain numpy
spectral field so it needs no InVEST/pygeoprocessing.
"""
import json
import os
import sys
import time

import numpy as np


def smooth_field(n, rng, k0):
    """Gaussian random field with power spectrum ~ (k^2 + k0^2)^-1.9, in float32."""
    noise = rng.standard_normal((n, n)).astype(np.float32)
    f = np.fft.rfft2(noise)
    ky = np.fft.fftfreq(n).astype(np.float32)[:, None]
    kx = np.fft.rfftfreq(n).astype(np.float32)[None, :]
    f *= ((kx * kx + ky * ky + k0 * k0) ** -0.95).astype(np.float32)
    out = np.fft.irfft2(f, s=(n, n)).astype(np.float32)
    del f
    return (out - out.mean()) / out.std()


def gen(d, n):
    import rasterio
    from rasterio.transform import from_origin
    from scipy import ndimage

    os.makedirs(d, exist_ok=True)
    if os.path.exists(os.path.join(d, "sources.tif")):
        return
    rng = np.random.default_rng(42)
    k0 = 30.0 / 20000.0  # 20 km correlation at 30 m cells
    a = smooth_field(n, rng, k0) + 0.35 * smooth_field(n, rng, k0 * 8)
    # Class by quantiles: fractions as the shared bench landscapes.
    classes = [(2, 0.40, 1.0), (3, 0.18, 5.0), (4, 0.10, 10.0), (9, 0.02, 20.0),
               (1, 0.20, 30.0), (5, 0.025, 50.0), (7, 0.015, 100.0), (8, 0.06, 500.0)]
    qs = np.quantile(a[:: max(1, n // 1000), :: max(1, n // 1000)], np.cumsum([c[1] for c in classes])[:-1])
    idx = np.searchsorted(qs, a).astype(np.uint8)
    del a
    lut = np.array([c[2] for c in classes], np.float32)
    res = lut[idx]
    # 1-cell roads every ~300 cells (impervious, as the shared generator's roads).
    for k in range(150, n, 300):
        res[k, :] = 500.0
        res[:, (k * 7) % n] = 500.0
    habitat = (res == 1.0) | (res == 10.0)
    del idx
    habitat = ndimage.binary_opening(habitat, structure=np.ones((5, 5), bool))
    lab, _ = ndimage.label(habitat, structure=np.ones((3, 3), int))
    sizes = np.bincount(lab.ravel())
    keep = sizes >= int(1_000_000 / 900 + 0.5)  # 100 ha at 30 m
    keep[0] = False
    src = keep[lab].astype(np.uint8)
    del lab
    t = from_origin(300000.0, 2900000.0 + 0.0, 30.0, 30.0)
    prof = dict(driver="GTiff", width=n, height=n, count=1, crs="EPSG:32649", transform=t,
                tiled=True, blockxsize=256, blockysize=256, compress="lzw")
    with rasterio.open(os.path.join(d, "resistance.tif"), "w", dtype="float32", nodata=-9999.0, **prof) as f:
        f.write(res, 1)
    with rasterio.open(os.path.join(d, "sources.tif"), "w", dtype="uint8", nodata=0, **prof) as f:
        f.write(src, 1)
    print(f"generated {d}: {n}x{n}, source cells {int(src.sum())} ({src.mean()*100:.1f} %)", file=sys.stderr)


def read(p):
    import rasterio
    with rasterio.open(p) as f:
        return f.read(1), f.profile


def write(p, a, prof):
    import rasterio
    prof = dict(prof, dtype="float32", nodata=-9999.0)
    with rasterio.open(p, "w", **prof) as f:
        f.write(a.astype(np.float32), 1)


def run_skimage(d, out):
    import rasterio  # noqa: F401  (loaded before the clock starts, as the other tools' libraries)
    from skimage.graph import MCP_Geometric
    t0 = time.perf_counter()
    res, prof = read(os.path.join(d, "resistance.tif"))
    src, _ = read(os.path.join(d, "sources.tif"))
    starts = np.argwhere(src == 1)
    mcp = MCP_Geometric(res.astype(np.float64), fully_connected=True)
    cum, _ = mcp.find_costs(starts)
    cum = (cum * prof["transform"].a).astype(np.float32)
    write(out, cum, prof)
    t = time.perf_counter() - t0
    return t, cum


def run_wbw(d, out):
    import whitebox_workflows as wbw
    t0 = time.perf_counter()
    wbe = wbw.WbEnvironment()
    src = wbe.read_raster(os.path.join(d, "sources.tif"))
    cost = wbe.read_raster(os.path.join(d, "resistance.tif"))
    acc, _ = wbe.cost_distance(source=src, cost=cost)
    wbe.write_raster(acc, out)
    t = time.perf_counter() - t0
    a, _ = read(out)
    return t, a


if __name__ == "__main__":
    cmd = sys.argv[1]
    if cmd == "gen":
        gen(sys.argv[2], int(sys.argv[3]))
        sys.exit(0)
    fn = {"skimage": run_skimage, "wbw": run_wbw}[cmd]
    t, a = fn(sys.argv[2], sys.argv[3])
    valid = a[a != -9999.0]
    print("@@RESULT@@ " + json.dumps({"timed_s": t, "result": {"check": {
        "mean_cd": float(valid.mean(dtype=np.float64)), "max_cd": float(valid.max())}}}))
