"""rasterstats reference for ecoplan's zonal statistics tests.

Usage: python rasterstats_reference.py BOUNDARIES.geojson RASTER.tif OUT.json [ADCODE ...]
Runs rasterstats.zonal_stats (pixel-centre rule, the raster's nodata) over the districts whose
district_adcode is listed (default: the five Datong districts) and writes a JSON list of
{adcode, count, min, max, mean, sum, majority} in the given order.
"""
import json
import sys

from rasterstats import zonal_stats


def main(boundaries, raster, out, codes):
    with open(boundaries, encoding="utf-8") as f:
        fc = json.load(f)
    by_code = {f["properties"].get("district_adcode"): f for f in fc["features"]}
    feats = [by_code[c] for c in codes]
    stats = zonal_stats(feats, raster, stats="count min max mean sum majority", all_touched=False)
    rows = [{"adcode": c, **{k: (None if v is None else float(v)) for k, v in s.items()}} for c, s in zip(codes, stats)]
    with open(out, "w") as f:
        json.dump(rows, f, indent=1)


if __name__ == "__main__":
    codes = [int(c) for c in sys.argv[4:]] or [140212, 140213, 140214, 140215, 140221]
    main(sys.argv[1], sys.argv[2], sys.argv[3], codes)
