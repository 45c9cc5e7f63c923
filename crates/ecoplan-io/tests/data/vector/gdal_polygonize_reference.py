"""GDAL polygonize (rasterio.features.shapes) reference for ecoplan's polygonize tests.

  python gdal_polygonize_reference.py make OUT.tif      write a deterministic random class raster
  python gdal_polygonize_reference.py shapes IN.tif OUT.json
        for 4- and 8-connectivity: every polygon's value, area, hole count and first-vertex-free
        bounds, nodata cells masked out as gdal_polygonize does by default
"""
import json
import sys

import numpy as np
import rasterio
from rasterio.features import shapes
from rasterio.transform import from_origin
from shapely.geometry import shape


def make(out):
    rng = np.random.default_rng(20261121)
    h, w = 50, 60
    base = rng.integers(1, 5, size=(h // 5, w // 5))
    a = np.kron(base, np.ones((5, 5), dtype=np.int64))
    noise = rng.random((h, w)) < 0.25
    a[noise] = rng.integers(1, 6, size=noise.sum())
    a[rng.random((h, w)) < 0.03] = 255
    with rasterio.open(out, "w", driver="GTiff", width=w, height=h, count=1, dtype="uint8", nodata=255,
                       crs="EPSG:4547", transform=from_origin(500000.0, 4400000.0, 30.0, 30.0)) as ds:
        ds.write(a.astype(np.uint8), 1)


def run(path, out):
    with rasterio.open(path) as ds:
        a = ds.read(1)
        mask = ds.read_masks(1) > 0
        t = ds.transform
    res = {}
    for conn in (4, 8):
        rows = []
        for geom, value in shapes(a, mask=mask, connectivity=conn, transform=t):
            g = shape(geom)
            rows.append({"value": int(value), "area": g.area, "holes": len(g.interiors), "bounds": list(g.bounds)})
        rows.sort(key=lambda r: (r["value"], r["bounds"], r["area"]))
        res[str(conn)] = rows
    with open(out, "w") as f:
        json.dump(res, f)


if __name__ == "__main__":
    if sys.argv[1] == "make":
        make(sys.argv[2])
    else:
        run(sys.argv[2], sys.argv[3])
