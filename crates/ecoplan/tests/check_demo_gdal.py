"""Open every GeoTIFF of an ecoplan demo run with GDAL (rasterio) and compare with `ecoplan info --json`.

usage: python check_demo_gdal.py RUN_DIR ECOPLAN_BIN
Checks for each raster: EPSG:4547, size, geotransform, nodata, cell type, and the statistics of
valid cells (count, min, max, mean) that ecoplan reports; exits non-zero on any difference.
"""
import json
import math
import pathlib
import subprocess
import sys

import numpy as np
import rasterio

run, exe = pathlib.Path(sys.argv[1]), sys.argv[2]
GDAL_TYPES = {"uint8": "Byte", "uint16": "UInt16", "int16": "Int16", "int32": "Int32",
              "uint32": "UInt32", "float32": "Float32", "float64": "Float64"}
failures = []
tifs = sorted(run.rglob("*.tif"))
tifs = [t for t in tifs if "inputs" not in t.relative_to(run).parts]
assert tifs, f"no rasters under {run}"
for tif in tifs:
    rel = tif.relative_to(run)
    info = json.loads(subprocess.run([exe, "info", str(tif), "--json"], check=True,
                                     capture_output=True, text=True).stdout)
    with rasterio.open(tif) as ds:
        def check(what, ok, detail):
            if not ok:
                failures.append(f"{rel}: {what}: {detail}")
        check("crs", ds.crs is not None and ds.crs.to_epsg() == 4547, ds.crs)
        check("epsg in ecoplan", info["epsg"] == 4547, info["epsg"])
        check("size", (ds.width, ds.height) == (info["width"], info["height"]),
              ((ds.width, ds.height), (info["width"], info["height"])))
        check("transform", all(math.isclose(a, b, abs_tol=1e-9) for a, b in zip(ds.transform.to_gdal(), info["transform"])),
              (ds.transform.to_gdal(), info["transform"]))
        check("cell type", GDAL_TYPES[ds.dtypes[0]] == info["cell_type"], (ds.dtypes[0], info["cell_type"]))
        nd, ind = ds.nodata, info["nodata"]
        if nd is None:
            check("nodata", ind is None, (nd, ind))
        elif math.isnan(nd):
            check("nodata", ind == "nan", (nd, ind))
        else:
            check("nodata", ind == nd, (nd, ind))
        a = ds.read(1, masked=True).astype("float64")
        valid = a.compressed()
        valid = valid[~np.isnan(valid)]
        st = info["stats"]
        check("count", int(valid.size) == st["count"], (valid.size, st["count"]))
        if valid.size:
            check("min", float(valid.min()) == st["min"], (float(valid.min()), st["min"]))
            check("max", float(valid.max()) == st["max"], (float(valid.max()), st["max"]))
            check("mean", math.isclose(float(valid.mean()), st["mean"], rel_tol=1e-9, abs_tol=1e-9), (float(valid.mean()), st["mean"]))
    print(f"ok {rel}")
if failures:
    print("\n".join(failures))
    sys.exit(1)
print(f"{len(tifs)} rasters checked against GDAL {rasterio.__gdal_version__}")
