"""Reference rasterizations from GDAL (via rasterio.features.rasterize) for ecoplan's tests.

Usage: python gdal_rasterize_cases.py OUT.json SEED N
Writes N random cases (concave polygons with holes, multipolygons with overlapping parts,
vertices on cell corners/centres, lines, points, shapes crossing the grid edge), each rasterized
with all_touched False and True. Cells are listed as burned flat indices.
"""
import json
import math
import random
import sys

import numpy as np
from rasterio.features import rasterize
from rasterio.transform import Affine


def main(out, seed, n):
    rng = random.Random(seed)
    cases = []
    for k in range(n):
        w, h = rng.randint(5, 48), rng.randint(5, 40)
        cell = rng.choice([1.0, 30.0, 0.05, 12.5, 0.008333333333333333])
        x0 = rng.choice([0.0, 500000.0 + rng.randint(0, 1000) * cell, 113.0, -7.3])
        y0 = rng.choice([float(h) * cell, 4400000.0, 40.5, 12.0])
        t = Affine(cell, 0.0, x0, 0.0, -cell, y0)
        mode = rng.choice(["free", "corner", "centre", "mixed"])

        def px(v):
            if mode == "corner" or (mode == "mixed" and rng.random() < 0.5):
                return float(round(v))
            if mode == "centre" or (mode == "mixed" and rng.random() < 0.5):
                return math.floor(v) + 0.5
            return v

        def to_map(c, r):
            return (x0 + c * cell, y0 - r * cell)

        def ring(cx, cy, rmin, rmax, nv, ccw=True):
            pts = []
            for i in range(nv):
                a = 2 * math.pi * i / nv + rng.uniform(-0.2, 0.2)
                rr = rng.uniform(rmin, rmax)
                pts.append(to_map(px(cx + rr * math.cos(a)), px(cy + rr * math.sin(a))))
            if not ccw:
                pts.reverse()
            pts.append(pts[0])
            return pts

        kind = rng.choice(["polygon", "polygon", "holes", "multi", "line", "points", "rect"])
        cx, cy = rng.uniform(-3, w + 3), rng.uniform(-3, h + 3)
        size = rng.uniform(2, max(w, h))
        if kind == "polygon":
            geom = {"type": "Polygon", "coordinates": [ring(cx, cy, size * 0.2, size, rng.randint(3, 14), rng.random() < 0.5)]}
        elif kind == "holes":
            outer = ring(cx, cy, size * 0.7, size, rng.randint(5, 14), rng.random() < 0.5)
            holes = [ring(cx + rng.uniform(-0.2, 0.2) * size, cy + rng.uniform(-0.2, 0.2) * size, size * 0.1, size * 0.35, rng.randint(3, 8), rng.random() < 0.5)]
            geom = {"type": "Polygon", "coordinates": [outer] + holes}
        elif kind == "multi":
            parts = []
            for _ in range(rng.randint(2, 4)):
                c2x, c2y = rng.uniform(-3, w + 3), rng.uniform(-3, h + 3)
                s2 = rng.uniform(1, max(w, h) / 2)
                parts.append([ring(c2x, c2y, s2 * 0.3, s2, rng.randint(3, 9), rng.random() < 0.5)])
            geom = {"type": "MultiPolygon", "coordinates": parts}
        elif kind == "rect":
            c0, r0 = rng.randint(-2, w), rng.randint(-2, h)
            c1, r1 = c0 + rng.randint(1, w), r0 + rng.randint(1, h)
            pts = [to_map(c0, r0), to_map(c1, r0), to_map(c1, r1), to_map(c0, r1), to_map(c0, r0)]
            geom = {"type": "Polygon", "coordinates": [pts]}
        elif kind == "line":
            nv = rng.randint(2, 8)
            pts = [to_map(px(rng.uniform(-2, w + 2)), px(rng.uniform(-2, h + 2))) for _ in range(nv)]
            geom = {"type": "LineString", "coordinates": pts}
        else:
            pts = [to_map(px(rng.uniform(-1, w + 1)), px(rng.uniform(-1, h + 1))) for _ in range(rng.randint(1, 6))]
            geom = {"type": "MultiPoint", "coordinates": pts}
        case = {"id": k, "kind": kind, "mode": mode, "width": w, "height": h,
                "transform": [t.c, t.a, t.b, t.f, t.d, t.e], "geometry": geom}
        for at in (False, True):
            arr = rasterize([(geom, 1)], out_shape=(h, w), transform=t, fill=0, all_touched=at, dtype="uint8")
            case["all_touched" if at else "centre"] = [int(i) for i in np.flatnonzero(arr.ravel())]
        cases.append(case)
    with open(out, "w") as f:
        json.dump({"gdal": __import__("rasterio").__gdal_version__, "cases": cases}, f)


if __name__ == "__main__":
    main(sys.argv[1], int(sys.argv[2]), int(sys.argv[3]))
