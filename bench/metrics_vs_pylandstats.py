"""Helper of bench/metrics_vs_pylandstats.sh.

  make DIR N        write DIR/lulc.tif: N×N uint8 land use (30 m, EPSG:32649), 8 classes, fragmented
  time DIR          time pylandstats on DIR/lulc.tif (10 class + 9 landscape metrics, as
                    ../shared/bench does): read + compute + write CSV, cold and warm; prints JSON
  compare DIR OURS_S  compare NP/CONTAG/SHDI of DIR/ours.csv with pylandstats and print the ratio
"""
import json
import sys
import time

import numpy as np

CLASS_METRICS = ["proportion_of_landscape", "number_of_patches", "patch_density",
                 "largest_patch_index", "edge_density", "landscape_shape_index",
                 "area_mn", "shape_index_mn", "fractal_dimension_mn", "effective_mesh_size"]
LANDSCAPE_METRICS = ["number_of_patches", "patch_density", "largest_patch_index",
                     "edge_density", "landscape_shape_index", "area_mn",
                     "contagion", "shannon_diversity_index", "effective_mesh_size"]


def make(d, n):
    import rasterio
    from rasterio.transform import from_origin
    from scipy import ndimage as ndi
    rng = np.random.default_rng(2024)
    # Smooth random fields -> 8 classes with organic patch shapes, plus 2 % salt noise.
    z = np.zeros((n, n))
    for sigma, w in ((40, 1.0), (12, 0.6), (3, 0.3)):
        z += w * ndi.gaussian_filter(rng.standard_normal((n, n)), sigma) * sigma
    edges = np.quantile(z, np.linspace(0, 1, 9)[1:-1])
    lulc = (np.digitize(z, edges) + 1).astype(np.uint8)
    noise = rng.random((n, n)) < 0.02
    lulc[noise] = rng.integers(1, 9, noise.sum())
    with rasterio.open(f"{d}/lulc.tif", "w", driver="GTiff", width=n, height=n, count=1,
                       dtype="uint8", crs="EPSG:32649", nodata=0, tiled=True, compress="deflate",
                       transform=from_origin(300000.0, 3000000.0, 30.0, 30.0)) as dst:
        dst.write(lulc, 1)


def run_pylandstats(d):
    import pylandstats as pls
    t0 = time.perf_counter()
    ls = pls.Landscape(f"{d}/lulc.tif")
    cdf = ls.compute_class_metrics_df(metrics=CLASS_METRICS)
    ldf = ls.compute_landscape_metrics_df(metrics=LANDSCAPE_METRICS)
    cdf.to_csv(f"{d}/pls_class.csv")
    ldf.to_csv(f"{d}/pls_landscape.csv")
    return time.perf_counter() - t0, ldf.iloc[0]


def time_pls(d):
    import warnings
    warnings.filterwarnings("ignore")
    cold, row = run_pylandstats(d)
    warm, _ = run_pylandstats(d)
    print(json.dumps({"cold_s": cold, "warm_s": warm, "np": float(row["number_of_patches"]),
                      "contag": float(row["contagion"]),
                      "shdi": float(row["shannon_diversity_index"])}))


def compare(d, ours_s, pls_json):
    p = json.loads(pls_json)
    vals = {}
    with open(f"{d}/ours.csv") as f:
        next(f)
        for line in f:
            level, _, _, metric, value = line.strip().split(",")
            if level == "landscape":
                vals[metric] = float(value)
    print(f"pylandstats: cold {p['cold_s']:.3f} s, warm {p['warm_s']:.3f} s "
          f"(NP {p['np']:.0f}, CONTAG {p['contag']:.4f}, SHDI {p['shdi']:.4f})")
    print(f"ecoplan metrics (process wall, release): {ours_s:.3f} s "
          f"(NP {vals['np']:.0f}, CONTAG {vals['contag']:.4f}, SHDI {vals['shdi']:.4f})")
    if vals["np"] != p["np"]:
        print("WARNING: patch counts differ")
    print(f"speed-up vs pylandstats: {p['cold_s'] / ours_s:.1f}x (cold), "
          f"{p['warm_s'] / ours_s:.1f}x (warm)")


if __name__ == "__main__":
    cmd = sys.argv[1]
    if cmd == "make":
        make(sys.argv[2], int(sys.argv[3]))
    elif cmd == "time":
        time_pls(sys.argv[2])
    elif cmd == "compare":
        compare(sys.argv[2], float(sys.argv[3]), sys.argv[4])
