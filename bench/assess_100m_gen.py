#!/usr/bin/env python3
"""Synthesizes an N×N-cell (30 m, EPSG:4547) region with every layer `ecoplan assess` uses for all
services (水源涵养 by the retention correction, 水土保持, 防风固沙, 生物多样性维护) and 水土流失 /
土地沙化 sensitivity, plus plan.toml. Deterministic (smooth analytic fields + seeded noise);
the values are plausible for north China, not real. Needs numpy, rasterio, pyproj.

Usage: assess_100m_gen.py --n 10000 --out DIR
"""
import argparse, json, os
import numpy as np
import rasterio
from rasterio.transform import from_origin
from pyproj import Transformer

ap = argparse.ArgumentParser()
ap.add_argument("--n", type=int, default=10000)
ap.add_argument("--out", required=True)
a = ap.parse_args()
n, out = a.n, a.out
os.makedirs(out, exist_ok=True)
x0, y0, cs = 300000.0, 4500000.0, 30.0
tr = from_origin(x0, y0, cs, cs)
prof = dict(driver="GTiff", width=n, height=n, count=1, crs="EPSG:4547", transform=tr, tiled=True,
            blockxsize=256, blockysize=256, compress="lzw", BIGTIFF="IF_SAFER")
rng = np.random.default_rng(20210214)
rows = 500  # write in row bands to keep memory low

def noise_band(r0, r1, seed):
    # deterministic smooth-ish noise from sines of incommensurate frequencies
    y = np.arange(r0, r1, dtype=np.float32)[:, None]
    x = np.arange(n, dtype=np.float32)[None, :]
    return (np.sin(x * 0.0131 + y * 0.0077 + seed) * np.cos(x * 0.0049 - y * 0.0113 + 2 * seed)).astype(np.float32)

def fields(r0, r1):
    y = np.arange(r0, r1, dtype=np.float32)[:, None] * cs
    x = np.arange(n, dtype=np.float32)[None, :] * cs
    z = (1100 + 250 * np.sin(x / 9000) * np.cos(y / 11000) + 80 * np.sin(x / 1700 + y / 2300)
         + 25 * np.cos(x / 410 - y / 530)).astype(np.float32)
    nz = noise_band(r0, r1, 1.0)
    lu = np.full(z.shape, 1, np.uint8)                           # cropland
    lu[(z > 1150) & (nz > -0.2)] = 5                              # grassland
    lu[(z > 1250) & (nz > 0.1)] = 3                               # forest
    lu[(z > 1200) & (nz <= -0.5)] = 4                             # shrub
    lu[(z < 1000) & (nz > 0.6)] = 8                               # built-up
    lu[(np.abs(nz) < 0.02) & (z < 1050)] = 7                      # water
    lu[(nz < -0.9) & (z > 1000) & (z < 1150)] = 9                 # mining
    lu[(nz > 0.9) & (z > 1300)] = 10                              # barren
    ndvi = np.choose(lu.astype(np.int64), [0, .55, .5, .72, .52, .38, .45, .02, .15, .08, .1, 0]).astype(np.float32)
    ndvi += 0.05 * noise_band(r0, r1, 2.0)
    p = (400 + 0.3 * (z - 1100)).astype(np.float32)
    et0 = (1100 - 0.3 * (z - 1100)).astype(np.float32)
    k = (0.029 + 0.004 * np.clip((z - 1080) / 120, 0, 1)).astype(np.float32)
    depth = np.clip(1500 - 0.8 * np.clip(z - 1000, 0, 600), 200, None).astype(np.float32)
    # water yield (mm): a Budyko-like split of the synthetic climate, zero on water/built-up
    wy = np.clip(p - 0.8 * np.minimum(p, et0 * np.choose(lu.astype(np.int64), [0, .65, .8, 1, .75, .65, 1.2, 1.05, .3, .3, .3, .5])), 0, None).astype(np.float32)
    sand = 35 + 20 * np.clip((z - 1080) / 120, 0, 1)
    clay = 20 - 5 * np.clip((z - 1080) / 120, 0, 1)
    ksat = (10 ** (-0.6 + 0.0126 * sand - 0.0064 * clay) * 25.4 * 24).astype(np.float32)
    wf = (100 * 1.293 / 9.81 * np.clip((et0 - p) / et0, 0, 1) * 0.9).astype(np.float32)
    ef = np.clip((29.09 + 0.31 * sand + 0.17 * (100 - sand - clay) + 0.33 * sand / clay - 2.59 * 1.1 - 0.95 * 7) / 100, 0, 1).astype(np.float32)
    scf = (1 / (1 + 0.0066 * clay ** 2 + 0.021 * 1.1 ** 2)).astype(np.float32)
    kp = np.full(z.shape, 0.8, np.float32) + 0.1 * nz
    return dict(dem=z, landuse=lu, ndvi=ndvi, precipitation=p, soil_erodibility=k, soil_depth=depth,
                water_yield=wy, ksat=ksat, rweq_wf=wf, rweq_ef=ef, rweq_scf=scf, rweq_k=kp,
                humidity_index=(p / et0).astype(np.float32),
                wind_days=(40 * (1 + 0.0005 * (z - 1100)) ** 3).astype(np.float32))

names = ["dem", "landuse", "ndvi", "precipitation", "soil_erodibility", "soil_depth", "water_yield",
         "ksat", "rweq_wf", "rweq_ef", "rweq_scf", "rweq_k", "humidity_index", "wind_days"]
dss = {}
for nm in names:
    dt = "uint8" if nm == "landuse" else "float32"
    dss[nm] = rasterio.open(os.path.join(out, nm + ".tif"), "w", dtype=dt,
                            nodata=0 if nm == "landuse" else -9999.0, **prof)
for r0 in range(0, n, rows):
    r1 = min(n, r0 + rows)
    f = fields(r0, r1)
    for nm in names:
        dss[nm].write(f[nm], 1, window=((r0, r1), (0, n)))
for d in dss.values():
    d.close()
# region = the grid extent shrunk by 1 km, as a lon/lat polygon
t = Transformer.from_crs("EPSG:4547", "EPSG:4326", always_xy=True)
m = 1000.0
ring = [(x0 + m, y0 - m), (x0 + n * cs - m, y0 - m), (x0 + n * cs - m, y0 - n * cs + m), (x0 + m, y0 - n * cs + m)]
dense = []
for (ax, ay), (bx, by) in zip(ring, ring[1:] + ring[:1]):
    for s in np.linspace(0, 1, 20, endpoint=False):
        dense.append(t.transform(ax + (bx - ax) * s, ay + (by - ay) * s))
dense.append(dense[0])
json.dump({"type": "FeatureCollection", "features": [{"type": "Feature", "properties": {"name": "bench"},
          "geometry": {"type": "Polygon", "coordinates": [dense]}}]}, open(os.path.join(out, "region.geojson"), "w"))
with open(os.path.join(out, "classes.csv"), "w") as fh:
    fh.write("source_code,class\n1,cropland\n3,forest\n4,shrub\n5,grassland\n7,water\n8,built_up\n9,mining\n10,barren\n")
kinds = dict(dem="dem", landuse="landuse", ndvi="ndvi", precipitation="precipitation",
             soil_erodibility="soil_erodibility", soil_depth="soil_depth")
with open(os.path.join(out, "plan.toml"), "w") as fh:
    fh.write(f'[plan]\nname = "assess benchmark {n}x{n}"\n\n[region]\nboundary = "region.geojson"\nbuffer_m = 0\n\n'
             '[grid]\ncrs = "EPSG:4547"\ncell_size = 30\n\n')
    for nm in names:
        fh.write(f'[layers.{nm}]\nfile = "{nm}.tif"\nkind = "{kinds.get(nm, "raster")}"\n')
        if nm == "landuse":
            fh.write('classes = "classes.csv"\n')
        fh.write("\n")
    fh.write('[output]\ndir = "out"\n')
print(f"wrote {n}x{n} region into {out}")
