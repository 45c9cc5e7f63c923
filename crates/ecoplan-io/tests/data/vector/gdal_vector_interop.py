"""GDAL (pyogrio) side of ecoplan's vector interoperability tests.

  python gdal_vector_interop.py read FILE OUT.json   dump what GDAL reads from FILE
  python gdal_vector_interop.py write DIR            write sample files with GDAL into DIR

`read` output: {"crs_epsg": int|null, "fields": {name: ogr type}, "layer": name,
"features": [{"geometry": GeoJSON geometry|null, "properties": {...}}]}.
`write` creates sample.gpkg (EPSG:4547), sample_gbk.shp (GBK .dbf, with .cpg),
sample_utf8.shp (UTF-8 .dbf) and expected.json (the same features as GeoJSON).
"""
import json
import math
import os
import sys

import pyogrio
from pyproj import CRS
from shapely.geometry import mapping, shape


def clean(v):
    if v is None:
        return None
    if isinstance(v, float) and math.isnan(v):
        return None
    if hasattr(v, "item"):
        v = v.item()
    if hasattr(v, "isoformat"):
        return v.isoformat()[:10]
    return v


def read(path, out):
    meta, fids, geoms, field_data = pyogrio.raw.read(path, return_fids=True)
    crs = meta.get("crs")
    epsg = CRS.from_user_input(crs).to_epsg() if crs else None
    feats = []
    names = list(meta["fields"])
    for i in range(len(fids)):
        g = geoms[i]
        geom = mapping(__import__("shapely").from_wkb(g)) if g is not None else None
        if geom is not None:
            geom = json.loads(json.dumps(geom))
        feats.append({"geometry": geom, "properties": {n: clean(field_data[k][i]) for k, n in enumerate(names)}})
    info = pyogrio.read_info(path)
    with open(out, "w", encoding="utf-8") as f:
        json.dump({"crs_epsg": epsg, "layer": info["layer_name"], "fields": dict(zip(info["fields"], info["ogr_types"])),
                   "spatial_index": info["capabilities"]["fast_spatial_filter"], "features": feats}, f, ensure_ascii=False)


def append_and_query(path, out):
    """Append a feature with GDAL (its R-tree triggers must fire), then query by bounding box."""
    import numpy as np
    import shapely

    info = pyogrio.read_info(path)
    b = info["total_bounds"]
    far = shapely.box(b[2] + 1000, b[3] + 1000, b[2] + 1010, b[3] + 1010)
    pyogrio.raw.write(path, np.array([shapely.to_wkb(far)], dtype=object), [], [], layer=info["layer_name"],
                      driver="GPKG", append=True, geometry_type=info["geometry_type"], crs=info["crs"])
    near_far = pyogrio.raw.read(path, bbox=(b[2] + 999, b[3] + 999, b[2] + 1011, b[3] + 1011))[2]
    whole = pyogrio.raw.read(path, bbox=tuple(b))[2]
    with open(out, "w") as f:
        json.dump({"far": len(near_far), "original_extent": len(whole)}, f)


def write(d):
    import numpy as np
    import shapely

    x0, y0 = 38_400_000.0, 4_430_000.0
    polys = [
        shapely.Polygon([(x0, y0), (x0 + 1000, y0), (x0 + 1000, y0 + 800), (x0, y0 + 800)],
                        [[(x0 + 100, y0 + 100), (x0 + 100, y0 + 200), (x0 + 300, y0 + 200), (x0 + 300, y0 + 100)]]),
        shapely.MultiPolygon([
            shapely.Polygon([(x0 + 2000, y0), (x0 + 2500, y0), (x0 + 2500, y0 + 333.25), (x0 + 2000, y0)]),
            shapely.Polygon([(x0 + 3000, y0), (x0 + 3100.5, y0), (x0 + 3100.5, y0 + 50), (x0 + 3000, y0)]),
        ]),
        shapely.Polygon([(x0 - 50, y0 - 50), (x0 - 10, y0 - 50), (x0 - 10, y0 - 10.125)]),
    ]
    names = np.array(["云冈区生态保护红线", "平城区·一般生态空间", None], dtype=object)
    codes = np.array([140214, 140213, 0], dtype=np.int64)
    score = np.array([0.75, 12.5, -3.0], dtype=np.float64)
    wkb = np.array([shapely.to_wkb(p) for p in polys], dtype=object)
    crs = CRS.from_epsg(4526).to_wkt()
    fields = ["名称", "code", "score"]
    data = [names, codes, score]
    pyogrio.raw.write(os.path.join(d, "sample.gpkg"), wkb, data, fields, layer="zones", driver="GPKG", crs="EPSG:4526", geometry_type="MultiPolygon")
    shp_fields = ["NAME", "CODE", "SCORE"]
    pyogrio.raw.write(os.path.join(d, "sample_gbk.shp"), wkb, data, shp_fields, driver="ESRI Shapefile", crs=crs, geometry_type="Polygon", encoding="GBK")
    pyogrio.raw.write(os.path.join(d, "sample_utf8.shp"), wkb, data, shp_fields, driver="ESRI Shapefile", crs="EPSG:4326", geometry_type="Polygon")
    expected = {"type": "FeatureCollection", "features": [
        {"type": "Feature", "geometry": json.loads(json.dumps(mapping(p))),
         "properties": {"name": clean(n), "code": int(c), "score": float(s)}}
        for p, n, c, s in zip(polys, names, codes, score)]}
    with open(os.path.join(d, "expected.json"), "w", encoding="utf-8") as f:
        json.dump(expected, f, ensure_ascii=False)


if __name__ == "__main__":
    if sys.argv[1] == "read":
        read(sys.argv[2], sys.argv[3])
    elif sys.argv[1] == "append":
        append_and_query(sys.argv[2], sys.argv[3])
    elif sys.argv[1] == "write":
        write(sys.argv[2])
    else:
        sys.exit("usage: read FILE OUT.json | write DIR")
