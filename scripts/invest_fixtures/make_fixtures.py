#!/usr/bin/env python3
"""Reference outputs for ecoplan-assess from natcap.invest 3.20.2 and pygeoprocessing 2.4.11.

Runs the peers on small inputs and writes inputs + outputs as gzip-compressed ESRI ASCII grids
(.asc.gz) plus CSV tables and an args.json (natcap.invest's args with paths relative to the case
folder, pointing at the .asc.gz copies) into

    crates/ecoplan-assess/tests/data/hydro/<case>/            (pygeoprocessing routing)
    crates/ecoplan-assess/tests/data/invest/<model>/<case>/   (natcap.invest models)

Landscapes:
  synth  - /work/shared/bench/gen_landscape.py at N=160 (deterministic synthetic, 30 m)
  zion   - real NLCD land cover + SRTM (spDataLarge "zion"), UTM 12N, cropped
  augusta- real NLCD land cover (landscapemetrics "augusta_nlcd"), made-up threats/climate
  datong - real DEM of Datong city (meteva dem30s), reprojected to UTM 49N 1 km, made-up LULC

Usage (needs the invest venv, see setup notes in README.md next to this script):
    /root/.cache/invest-venv/bin/python scripts/invest_fixtures/make_fixtures.py [--only hydro,carbon,...]
"""
import argparse
import csv
import gzip
import json
import logging
import os
import shutil
import subprocess
import sys
import tempfile

import numpy as np
from osgeo import gdal, ogr, osr

gdal.UseExceptions()
logging.basicConfig(level=logging.WARNING)

HERE = os.path.dirname(os.path.abspath(__file__))
REPO = os.path.abspath(os.path.join(HERE, "..", ".."))
SHARED = os.path.abspath(os.path.join(REPO, "..", "shared"))
if not os.path.isdir(SHARED):
    SHARED = "/work/shared"
OUT = os.path.join(REPO, "crates", "ecoplan-assess", "tests", "data")
TMP = tempfile.mkdtemp(prefix="ecoplan_fixtures_")


# ---------------------------------------------------------------- raster helpers
def write_tif(path, arr, gt, wkt, nodata):
    dtype = {np.dtype("uint8"): gdal.GDT_Byte, np.dtype("int16"): gdal.GDT_Int16,
             np.dtype("int32"): gdal.GDT_Int32, np.dtype("float32"): gdal.GDT_Float32,
             np.dtype("float64"): gdal.GDT_Float64, np.dtype("uint16"): gdal.GDT_UInt16}[arr.dtype]
    drv = gdal.GetDriverByName("GTiff")
    ds = drv.Create(path, arr.shape[1], arr.shape[0], 1, dtype,
                    options=["TILED=YES", "BLOCKXSIZE=256", "BLOCKYSIZE=256", "COMPRESS=LZW"])
    ds.SetGeoTransform(gt)
    ds.SetProjection(wkt)
    b = ds.GetRasterBand(1)
    if nodata is not None:
        b.SetNoDataValue(nodata)
    b.WriteArray(arr)
    ds = None


def read(path):
    ds = gdal.Open(path)
    b = ds.GetRasterBand(1)
    return b.ReadAsArray(), b.GetNoDataValue(), ds.GetGeoTransform(), ds.GetProjection()


def fmt_value(v, is_int, digits):
    if is_int:
        return str(int(v))
    if digits is None:
        # shortest text that reads back as the same float32
        return str(np.float32(v))
    return "%.*g" % (digits, v)


def to_asc_gz(src_tif, dst, nodata_override=None, digits=None):
    """digits: significant digits of float values; default: the shortest text that reads back as
    the same float32 (17 digits for float64). Outputs compared at a tolerance use 7 digits to keep
    fixtures small."""
    arr, nodata, gt, _ = read(src_tif)
    if nodata_override is not None:
        nodata = nodata_override
    is_int = np.issubdtype(arr.dtype, np.integer)
    h, w = arr.shape
    dx, dy = gt[1], -gt[5]
    lines = [f"ncols {w}", f"nrows {h}", f"xllcorner {gt[0]!r}",
             f"yllcorner {gt[3] - h * dy!r}"]
    if abs(dx - dy) < 1e-9 * dx:
        lines.append(f"cellsize {dx!r}")
    else:
        lines.append(f"dx {dx!r}")
        lines.append(f"dy {dy!r}")
    if nodata is not None:
        # same formatting as the cells, so nodata cells read back equal to the header value
        lines.append("NODATA_value " + fmt_value(nodata, is_int and float(nodata).is_integer(),
                                                 digits))
    body = [" ".join(fmt_value(v, is_int, digits) for v in row) for row in arr]
    os.makedirs(os.path.dirname(dst), exist_ok=True)
    with gzip.open(dst, "wt", compresslevel=9) as f:
        f.write("\n".join(lines + body) + "\n")


def warp(src, dst, dst_wkt_epsg, res, bounds=None, resample="bilinear", dtype=gdal.GDT_Float32,
         nodata=-9999.0):
    opts = gdal.WarpOptions(dstSRS=f"EPSG:{dst_wkt_epsg}", xRes=res, yRes=res,
                            resampleAlg=resample, outputBounds=bounds, outputType=dtype,
                            dstNodata=nodata, creationOptions=["TILED=YES", "COMPRESS=LZW"])
    gdal.Warp(dst, src, options=opts)


def round_raster(path, step):
    """Rounds valid values to multiples of `step` in place (compact, exact fixture text)."""
    arr, nd, gt, wkt = read(path)
    valid = arr != nd if nd is not None else np.ones(arr.shape, bool)
    out = arr.copy()
    out[valid] = (np.round(arr[valid] / step) * step).astype(arr.dtype)
    write_tif(path, out, gt, wkt, nd)


def crop(src, dst, xoff, yoff, w, h, dtype=None):
    opts = gdal.TranslateOptions(srcWin=[xoff, yoff, w, h], creationOptions=["TILED=YES"],
                                 outputType=dtype or 0)
    gdal.Translate(dst, src, options=opts)


def rect_polygon(raster, dst, field="ws_id", parts=1):
    """Watershed polygon(s) exactly covering the raster (split into `parts` vertical strips on
    whole-pixel boundaries), plus the matching id raster."""
    arr, _, gt, wkt = read(raster)
    h, w = arr.shape
    drv = ogr.GetDriverByName("GPKG")
    if os.path.exists(dst):
        os.remove(dst)
    ds = drv.CreateDataSource(dst)
    srs = osr.SpatialReference()
    srs.ImportFromWkt(wkt)
    lyr = ds.CreateLayer("ws", srs, ogr.wkbPolygon)
    lyr.CreateField(ogr.FieldDefn(field, ogr.OFTInteger))
    ids = np.zeros((h, w), dtype=np.int32)
    edges = [round(w * k / parts) for k in range(parts + 1)]
    for k in range(parts):
        c0, c1 = edges[k], edges[k + 1]
        x0, x1 = gt[0] + c0 * gt[1], gt[0] + c1 * gt[1]
        y0, y1 = gt[3], gt[3] + h * gt[5]
        ring = ogr.Geometry(ogr.wkbLinearRing)
        for x, y in [(x0, y0), (x1, y0), (x1, y1), (x0, y1), (x0, y0)]:
            ring.AddPoint(x, y)
        poly = ogr.Geometry(ogr.wkbPolygon)
        poly.AddGeometry(ring)
        f = ogr.Feature(lyr.GetLayerDefn())
        f.SetField(field, k + 1)
        f.SetGeometry(poly)
        lyr.CreateFeature(f)
        ids[:, c0:c1] = k + 1
    ds = None
    return ids, gt, wkt


def dbf_rows(shp):
    ds = gdal.OpenEx(shp, gdal.OF_VECTOR)
    lyr = ds.GetLayer()
    rows = []
    for f in lyr:
        rows.append({lyr.GetLayerDefn().GetFieldDefn(i).GetName(): f.GetField(i)
                     for i in range(f.GetFieldCount())})
    return rows


def write_csv(path, header, rows):
    with open(path, "w", newline="") as f:
        wr = csv.writer(f)
        wr.writerow(header)
        for r in rows:
            wr.writerow(r)


# ---------------------------------------------------------------- landscapes
def synth():
    d = os.path.join(TMP, "gen")
    if not os.path.isdir(os.path.join(d, "N160")):
        subprocess.check_call([sys.executable, os.path.join(SHARED, "bench", "gen_landscape.py"),
                               "--sizes", "160", "--out", d], stdout=subprocess.DEVNULL)
    return os.path.join(d, "N160")


def zion():
    """180×180 window of the Zion NLCD (UTM 12N, ~31.5 m) and SRTM warped onto it."""
    d = os.path.join(TMP, "zion")
    os.makedirs(d, exist_ok=True)
    lulc = os.path.join(d, "lulc.tif")
    # the source has 31.53 × 31.52 m pixels; natcap.invest would resample to square pixels,
    # so warp (nearest) to a square 30 m grid first and compare on identical grids
    sq = os.path.join(d, "nlcd_30m.tif")
    src = gdal.Open(os.path.join(SHARED, "data", "zion", "nlcd.tif"))
    sgt = src.GetGeoTransform()
    x0, y1 = sgt[0], sgt[3]
    gdal.Warp(sq, src, options=gdal.WarpOptions(
        xRes=30.0, yRes=30.0, outputBounds=(x0, y1 - 180 * 30.0, x0 + 180 * 30.0, y1),
        resampleAlg="near", creationOptions=["TILED=YES"]))
    src = None
    crop(sq, lulc, 0, 0, 180, 180)
    arr, nd, gt, wkt = read(lulc)
    # the spDataLarge raster stores NLCD level-1 classes as 1..8; recode to NLCD codes so the
    # coefficient tables below apply (int32, nodata 255 kept)
    recode = {1: 11, 2: 22, 3: 31, 4: 42, 5: 52, 6: 71, 7: 82, 8: 95}
    out = np.full(arr.shape, 255, dtype=np.int32)
    for k, v in recode.items():
        out[arr == k] = v
    write_tif(lulc, out, gt, wkt, 255)
    h, w = arr.shape
    bounds = (gt[0], gt[3] + h * gt[5], gt[0] + w * gt[1], gt[3])
    dem = os.path.join(d, "dem.tif")
    opts = gdal.WarpOptions(dstSRS=wkt, outputBounds=bounds, width=w, height=h,
                            resampleAlg="bilinear", outputType=gdal.GDT_Float32,
                            dstNodata=-9999.0, creationOptions=["TILED=YES"])
    gdal.Warp(dem, os.path.join(SHARED, "data", "zion", "srtm.tif"), options=opts)
    round_raster(dem, 1.0)
    return d


def augusta():
    d = os.path.join(TMP, "augusta")
    os.makedirs(d, exist_ok=True)
    src = os.path.join(SHARED, "conformance", "landscapemetrics", "landscapes", "augusta_nlcd.asc")
    defs = open(src.replace(".asc", ".terra_definition.txt")).read()
    wkt = defs[defs.index("crs='") + 5:defs.rindex("'")]
    tif = os.path.join(d, "full.tif")
    gdal.Translate(tif, src, options=gdal.TranslateOptions(outputSRS=wkt, outputType=gdal.GDT_Int32))
    lulc = os.path.join(d, "lulc.tif")
    crop(tif, lulc, 200, 100, 200, 200)
    arr, nd, gt, wkt = read(lulc)
    write_tif(lulc, arr.astype(np.int32), gt, wkt, nd if nd is not None else -2147483648)
    return d


def datong():
    d = os.path.join(TMP, "datong")
    os.makedirs(d, exist_ok=True)
    dem = os.path.join(d, "dem.tif")
    warp(os.path.join(SHARED, "data", "dem", "dem30s_datong_city.tif"), dem, 32649, 1000.0)
    round_raster(dem, 1.0)
    return d


# ---------------------------------------------------------------- hydrology (pygeoprocessing)
def hydro_case(name, dem_tif, threshold):
    import pygeoprocessing
    import pygeoprocessing.routing as r
    out = os.path.join(OUT, "hydro", name)
    shutil.rmtree(out, ignore_errors=True)
    os.makedirs(out)
    w = os.path.join(TMP, "hydro_" + name)
    os.makedirs(w, exist_ok=True)
    filled = os.path.join(w, "filled.tif")
    r.fill_pits((dem_tif, 1), filled)
    d8 = os.path.join(w, "d8.tif"); r.flow_dir_d8((filled, 1), d8)
    mfd = os.path.join(w, "mfd.tif"); r.flow_dir_mfd((filled, 1), mfd)
    acc8 = os.path.join(w, "acc_d8.tif"); r.flow_accumulation_d8((d8, 1), acc8)
    accm = os.path.join(w, "acc_mfd.tif"); r.flow_accumulation_mfd((mfd, 1), accm)
    slope = os.path.join(w, "slope.tif"); pygeoprocessing.calculate_slope((filled, 1), slope)
    sm = os.path.join(w, "streams_mfd.tif")
    r.extract_streams_mfd((accm, 1), (mfd, 1), threshold, sm, trace_threshold_proportion=0.7)
    s8 = os.path.join(w, "streams_d8.tif")
    r.extract_streams_d8((acc8, 1), threshold, s8)
    dd8 = os.path.join(w, "dist_d8.tif"); r.distance_to_channel_d8((d8, 1), (s8, 1), dd8)
    ddm = os.path.join(w, "dist_mfd.tif"); r.distance_to_channel_mfd((mfd, 1), (sm, 1), ddm)
    for tif, nm in [(dem_tif, "dem"), (filled, "filled"), (d8, "d8"), (mfd, "mfd"),
                    (acc8, "acc_d8"), (accm, "acc_mfd"), (slope, "slope"),
                    (sm, "streams_mfd"), (s8, "streams_d8"), (dd8, "dist_d8"), (ddm, "dist_mfd")]:
        exact = nm in ("dem", "filled")
        to_asc_gz(tif, os.path.join(out, nm + ".asc.gz"), digits=17 if exact else 7)
    json.dump({"threshold": threshold, "trace_threshold_proportion": 0.7,
               "peer": "pygeoprocessing 2.4.11"}, open(os.path.join(out, "params.json"), "w"))


def do_hydro():
    z = zion()
    hydro_case("zion", os.path.join(z, "dem.tif"), 100)
    dt = datong()
    # datong has nodata outside the city boundary: a good test of nodata drains
    hydro_case("datong", os.path.join(dt, "dem.tif"), 50)


# ---------------------------------------------------------------- InVEST helpers
def run_model(model, args):
    import importlib
    mod = importlib.import_module("natcap.invest." + model)
    ws = args["workspace_dir"]
    shutil.rmtree(ws, ignore_errors=True)
    mod.execute(args)
    return ws


def export_case(case_dir, rasters_in, tables, args_for_us, outputs, ws, extra=None):
    """rasters_in: {name: tif}; tables: {name: csv path or (header, rows)};
    outputs: list of workspace-relative output paths (tif or csv)."""
    shutil.rmtree(case_dir, ignore_errors=True)
    os.makedirs(os.path.join(case_dir, "expected"))
    for nm, tif in rasters_in.items():
        to_asc_gz(tif, os.path.join(case_dir, nm + ".asc.gz"))
    for nm, t in tables.items():
        dst = os.path.join(case_dir, nm)
        if isinstance(t, str):
            shutil.copy(t, dst)
        else:
            write_csv(dst, t[0], t[1])
    for rel in outputs:
        src = os.path.join(ws, rel)
        base = os.path.basename(rel)
        if rel.endswith(".tif"):
            # float32 outputs: shortest exact text; float64 outputs: 10 significant digits
            f64 = read(src)[0].dtype == np.float64
            to_asc_gz(src, os.path.join(case_dir, "expected", base[:-4] + ".asc.gz"),
                      digits=10 if f64 else None)
        elif rel.endswith(".shp"):
            rows = dbf_rows(src)
            hdr = list(rows[0].keys())
            write_csv(os.path.join(case_dir, "expected", base[:-4] + ".csv"), hdr,
                      [[r[k] for k in hdr] for r in rows])
        else:
            shutil.copy(src, os.path.join(case_dir, "expected", base))
    a = dict(args_for_us)
    a["workspace_dir"] = "workspace"
    with open(os.path.join(case_dir, "args.json"), "w") as f:
        json.dump(a, f, indent=2, ensure_ascii=False)
    meta = {"peer": "natcap.invest 3.20.2", "outputs": [os.path.basename(o) for o in outputs]}
    if extra:
        meta.update(extra)
    with open(os.path.join(case_dir, "meta.json"), "w") as f:
        json.dump(meta, f, indent=2)


NLCD = {  # code: name, habitat, carbon (above, below, soil, dead), usle_c, usle_p, veg, root, kc
    11: ("open water", 0.0, (0, 0, 0, 0), 0.0, 1.0, 0, 1, 1.0),
    12: ("ice/snow", 0.0, (0, 0, 0, 0), 0.0, 1.0, 0, 1, 0.5),
    21: ("developed open", 0.2, (5, 2, 40, 0), 0.01, 1.0, 1, 500, 0.6),
    22: ("developed low", 0.0, (3, 1, 30, 0), 0.005, 1.0, 0, 1, 0.4),
    23: ("developed medium", 0.0, (1, 0, 20, 0), 0.003, 1.0, 0, 1, 0.3),
    24: ("developed high", 0.0, (0, 0, 10, 0), 0.001, 1.0, 0, 1, 0.2),
    31: ("barren", 0.1, (0, 0, 10, 0), 0.5, 1.0, 0, 1, 0.3),
    41: ("deciduous forest", 1.0, (60, 15, 90, 5), 0.006, 1.0, 1, 3000, 1.0),
    42: ("evergreen forest", 1.0, (70, 18, 95, 6), 0.005, 1.0, 1, 3500, 1.0),
    43: ("mixed forest", 1.0, (65, 16, 92, 5), 0.006, 1.0, 1, 3200, 1.0),
    52: ("shrub", 0.8, (20, 8, 70, 2), 0.02, 1.0, 1, 2000, 0.8),
    71: ("grassland", 0.7, (3, 10, 80, 1), 0.04, 1.0, 1, 1500, 0.75),
    81: ("pasture", 0.4, (4, 6, 70, 0), 0.08, 0.8, 1, 1000, 0.85),
    82: ("crops", 0.3, (5, 2, 60, 0), 0.23, 0.4, 1, 1200, 0.9),
    90: ("woody wetland", 0.9, (40, 10, 150, 4), 0.003, 1.0, 0, 1, 1.1),
    95: ("herbaceous wetland", 0.9, (10, 5, 150, 2), 0.003, 1.0, 0, 1, 1.1),
}


def nlcd_codes(lulc_tif):
    arr, nd, _, _ = read(lulc_tif)
    codes = sorted(int(c) for c in np.unique(arr) if nd is None or c != nd)
    return [c for c in codes]


def made_up_threats(lulc_tif, d, groups):
    """Threat rasters (float32 0/1, no nodata) from land-cover groups."""
    arr, nd, gt, wkt = read(lulc_tif)
    paths = {}
    for name, codes in groups.items():
        m = np.isin(arr, codes).astype(np.float32)
        p = os.path.join(d, f"threat_{name}.tif")
        write_tif(p, m, gt, wkt, None)
        paths[name] = p
    return paths


# ---------------------------------------------------------------- Habitat quality
def hq_case(case, lulc_tif, base_tif, threats, threat_rows, sens_header, sens_rows, k):
    w = os.path.join(TMP, f"hq_{case}")
    os.makedirs(w, exist_ok=True)
    thr_csv = os.path.join(w, "threats.csv")
    write_csv(thr_csv, ["threat", "max_dist", "weight", "decay", "base_path", "cur_path", "fut_path"],
              [[t, md, wt, dc, "", threats[t], ""] for (t, md, wt, dc) in threat_rows])
    sens_csv = os.path.join(w, "sensitivity.csv")
    write_csv(sens_csv, sens_header, sens_rows)
    args = {"workspace_dir": os.path.join(w, "ws"), "lulc_cur_path": lulc_tif,
            "threats_table_path": thr_csv, "sensitivity_table_path": sens_csv,
            "half_saturation_constant": k, "n_workers": -1}
    if base_tif:
        args["lulc_bas_path"] = base_tif
    ws = run_model("habitat_quality", args)
    ours_thr = [[t, md, wt, dc, "", f"threat_{t}.asc.gz", ""] for (t, md, wt, dc) in threat_rows]
    rasters = {"lulc_cur": lulc_tif}
    rasters.update({f"threat_{t}": p for t, p in threats.items()})
    tables = {"threats.csv": (["threat", "max_dist", "weight", "decay", "base_path", "cur_path",
                               "fut_path"], ours_thr),
              "sensitivity.csv": sens_csv}
    ours = {"lulc_cur_path": "lulc_cur.asc.gz", "threats_table_path": "threats.csv",
            "sensitivity_table_path": "sensitivity.csv", "half_saturation_constant": k}
    outputs = ["deg_sum_c.tif", "quality_c.tif"]
    if base_tif:
        rasters["lulc_bas"] = base_tif
        ours["lulc_bas_path"] = "lulc_bas.asc.gz"
        outputs += ["rarity_c.tif", "rarity_c.csv"]
    export_case(os.path.join(OUT, "invest", "habitat_quality", case), rasters, tables, ours,
                outputs, ws)


def perturbed_baseline(lulc_tif, dst, seed, frac=0.1):
    """Baseline LULC: the current map with a fraction of pixels swapped to other present classes."""
    arr, nd, gt, wkt = read(lulc_tif)
    rng = np.random.default_rng(seed)
    codes = [c for c in np.unique(arr) if nd is None or c != nd]
    out = arr.copy()
    m = (rng.random(arr.shape) < frac) & (arr != nd if nd is not None else True)
    out[m] = rng.choice(codes, size=int(m.sum()))
    write_tif(dst, out.astype(arr.dtype), gt, wkt, nd)
    return dst


def do_hq():
    s = synth()
    thr = [("impervious", 8000.0, 1.0, "exponential"), ("road", 3000.0, 0.8, "linear"),
           ("cropland", 4000.0, 0.7, "linear"), ("mining", 6000.0, 0.6, "exponential")]
    threats = {t: os.path.join(s, f"threat_{t}.tif") for t, *_ in thr}
    with open(os.path.join(s, "invest", "sensitivity.csv")) as f:
        rows = list(csv.reader(f))
    hq_case("synth", os.path.join(s, "lulc.tif"), None, threats, thr, rows[0], rows[1:], 0.5)

    groups = {"urban": [22, 23, 24], "openurban": [21], "agri": [81, 82]}
    thr = [("urban", 1500.0, 1.0, "exponential"), ("openurban", 900.0, 0.5, "linear"),
           ("agri", 1200.0, 0.6, "linear")]
    for case, d in [("zion", zion()), ("augusta", augusta())]:
        lulc = os.path.join(d, "lulc.tif")
        threats = made_up_threats(lulc, d, groups)
        base = perturbed_baseline(lulc, os.path.join(d, "lulc_base.tif"), 7)
        codes = sorted(set(nlcd_codes(lulc)) | set(nlcd_codes(base)))
        hdr = ["lucode", "name", "habitat"] + [t for t, *_ in thr]
        rows = []
        for c in codes:
            nm, hab = NLCD[c][0], NLCD[c][1]
            sens = [round(hab * f, 3) for f in (1.0, 0.7, 0.5)]
            rows.append([c, nm, hab] + sens)
        hq_case(case, lulc, base, threats, thr, hdr, rows, 0.05)


# ---------------------------------------------------------------- Carbon
def do_carbon():
    s = synth()
    w = os.path.join(TMP, "carbon_synth")
    os.makedirs(w, exist_ok=True)
    lulc = os.path.join(s, "lulc.tif")
    alt = perturbed_baseline(lulc, os.path.join(w, "lulc_alt.tif"), 11, 0.2)
    cases = [("synth", lulc, alt, os.path.join(s, "invest", "carbon_pools.csv"), True)]
    for case, d in [("zion", zion()), ("augusta", augusta())]:
        lulc = os.path.join(d, "lulc.tif")
        alt = perturbed_baseline(lulc, os.path.join(d, "lulc_alt.tif"), 13, 0.15)
        codes = sorted(set(nlcd_codes(lulc)) | set(nlcd_codes(alt)))
        pools = os.path.join(d, "carbon_pools.csv")
        write_csv(pools, ["lucode", "name", "c_above", "c_below", "c_soil", "c_dead"],
                  [[c, NLCD[c][0], *NLCD[c][2]] for c in codes])
        cases.append((case, lulc, alt, pools, case == "zion"))
    for case, lulc, alt, pools, valuation in cases:
        w = os.path.join(TMP, f"carbon_{case}")
        args = {"workspace_dir": os.path.join(w, "ws"), "lulc_bas_path": lulc,
                "calc_sequestration": True, "lulc_alt_path": alt, "carbon_pools_path": pools,
                "do_valuation": valuation, "n_workers": -1}
        ours = {"lulc_bas_path": "lulc_bas.asc.gz", "calc_sequestration": True,
                "lulc_alt_path": "lulc_alt.asc.gz", "carbon_pools_path": "carbon_pools.csv",
                "do_valuation": valuation}
        if valuation:
            val = {"lulc_bas_year": 2020, "lulc_alt_year": 2035,
                   "price_per_metric_ton_of_c": 43.0, "discount_rate": 7.0, "rate_change": 2.0}
            args.update(val)
            ours.update(val)
        ws = run_model("carbon", args)
        outs = ["c_storage_bas.tif", "c_storage_alt.tif", "c_change_bas_alt.tif",
                "raster_values_summary.csv"] + (["npv_alt.tif"] if valuation else [])
        export_case(os.path.join(OUT, "invest", "carbon", case),
                    {"lulc_bas": lulc, "lulc_alt": alt}, {"carbon_pools.csv": pools}, ours,
                    outs, ws)


# ---------------------------------------------------------------- Annual water yield
def climate(lulc_tif, d, dem_tif=None, seed=0):
    """Made-up but plausible climate/soil rasters on the LULC grid (float32, nodata -1)."""
    arr, nd, gt, wkt = read(lulc_tif)
    h, w = arr.shape
    rng = np.random.default_rng(seed)
    yy, xx = np.mgrid[0:h, 0:w] / max(h, w)
    if dem_tif:
        dem, dnd, _, _ = read(dem_tif)
        elev = np.where(dem == dnd, np.nanmean(dem[dem != dnd]), dem).astype(np.float64)
        e = (elev - elev.min()) / max(np.ptp(elev), 1)
    else:
        e = 0.5 * (xx + yy)
    # smooth fields rounded to realistic precision (compact fixtures); a little noise on P
    precip = np.round(350 + 500 * e + 20 * rng.integers(-2, 3, (h, w))).clip(50, None)
    eto = np.round(1100 - 300 * e + 100 * xx).clip(300, None)
    depth = np.round((400 + 1600 * (1 - e)) / 50) * 50
    pawc = np.round(0.05 + 0.2 * (0.5 + 0.5 * np.sin(6 * xx) * np.cos(5 * yy)), 2)
    out = {}
    for nm, a in [("precip", precip), ("eto", eto), ("depth", depth), ("pawc", pawc)]:
        a = a.astype(np.float32)
        if nd is not None:
            a[arr == nd] = -1.0
        # a few holes in the climate layers, to test nodata handling
        a[5:8, 10:14] = -1.0
        p = os.path.join(d, f"{nm}.tif")
        write_tif(p, a, gt, wkt, -1.0)
        out[nm] = p
    return out


def do_awy():
    s = synth()
    cases = []
    w = os.path.join(TMP, "awy_synth")
    os.makedirs(w, exist_ok=True)
    cl = climate(os.path.join(s, "lulc.tif"), w, os.path.join(s, "dem.tif"), 1)
    synth_bio = {1: (1, 1200, 0.9), 2: (1, 3000, 1.0), 3: (1, 2000, 0.8), 4: (1, 1500, 0.75),
                 5: (0, 1, 1.05), 7: (0, 1, 0.3), 8: (0, 1, 0.2), 9: (0, 1, 1.1)}
    bio = os.path.join(w, "biophysical.csv")
    write_csv(bio, ["lucode", "lulc_veg", "root_depth", "kc"],
              [[c, *v] for c, v in synth_bio.items()])
    cases.append(("synth", os.path.join(s, "lulc.tif"), cl, bio, 5.0, w))
    for case, d, seed in [("zion", zion(), 2), ("augusta", augusta(), 3)]:
        lulc = os.path.join(d, "lulc.tif")
        dem = os.path.join(d, "dem.tif") if case == "zion" else None
        cl = climate(lulc, d, dem, seed)
        bio = os.path.join(d, "biophysical_awy.csv")
        write_csv(bio, ["lucode", "lulc_veg", "root_depth", "kc"],
                  [[c, NLCD[c][5], NLCD[c][6], NLCD[c][7]] for c in nlcd_codes(lulc)])
        cases.append((case, lulc, cl, bio, 12.0 if case == "zion" else 3.0, d))
    for case, lulc, cl, bio, z, d in cases:
        ws_gpkg = os.path.join(d, "watersheds.gpkg")
        sub_gpkg = os.path.join(d, "subwatersheds.gpkg")
        ids, gt, wkt = rect_polygon(lulc, ws_gpkg, "ws_id", 1)
        sub_ids, _, _ = rect_polygon(lulc, sub_gpkg, "subws_id", 3)
        ws_tif = os.path.join(d, "ws_ids.tif"); write_tif(ws_tif, ids, gt, wkt, 0)
        sub_tif = os.path.join(d, "subws_ids.tif"); write_tif(sub_tif, sub_ids, gt, wkt, 0)
        args = {"workspace_dir": os.path.join(d, "awy_ws"), "lulc_path": lulc,
                "depth_to_root_rest_layer_path": cl["depth"], "precipitation_path": cl["precip"],
                "pawc_path": cl["pawc"], "eto_path": cl["eto"], "watersheds_path": ws_gpkg,
                "sub_watersheds_path": sub_gpkg, "biophysical_table_path": bio,
                "seasonality_constant": z, "n_workers": -1}
        ws = run_model("annual_water_yield", args)
        ours = {"lulc_path": "lulc.asc.gz", "depth_to_root_rest_layer_path": "depth.asc.gz",
                "precipitation_path": "precip.asc.gz", "pawc_path": "pawc.asc.gz",
                "eto_path": "eto.asc.gz", "watersheds_path": "watersheds.asc.gz",
                "sub_watersheds_path": "subwatersheds.asc.gz",
                "biophysical_table_path": "biophysical.csv", "seasonality_constant": z}
        export_case(os.path.join(OUT, "invest", "annual_water_yield", case),
                    {"lulc": lulc, "depth": cl["depth"], "precip": cl["precip"],
                     "pawc": cl["pawc"], "eto": cl["eto"], "watersheds": ws_tif,
                     "subwatersheds": sub_tif},
                    {"biophysical.csv": bio}, ours,
                    ["output/per_pixel/fractp.tif", "output/per_pixel/aet.tif",
                     "output/per_pixel/wyield.tif", "output/watershed_results_wyield.csv",
                     "output/subwatershed_results_wyield.csv"], ws,
                    {"watershed_note": "watersheds are rectangles on whole-pixel edges, so the "
                                       "id rasters reproduce the polygons exactly"})


# ---------------------------------------------------------------- SDR
def do_sdr():
    s = synth()
    sd = os.path.join(TMP, "sdr_synth_in")
    os.makedirs(sd, exist_ok=True)
    for nm, step in [("dem", 1.0), ("erosivity", 1.0), ("erodibility", 0.001)]:
        shutil.copy(os.path.join(s, nm + ".tif"), os.path.join(sd, nm + ".tif"))
        round_raster(os.path.join(sd, nm + ".tif"), step)
    cases = [("synth", os.path.join(sd, "dem.tif"), os.path.join(s, "lulc.tif"),
              os.path.join(sd, "erosivity.tif"), os.path.join(sd, "erodibility.tif"),
              os.path.join(s, "invest", "biophysical_sdr.csv"), 300, "mfd")]
    # zion: real DEM + real NLCD, made-up R and K
    z = zion()
    lulc = os.path.join(z, "lulc.tif")
    arr, nd, gt, wkt = read(lulc)
    dem, dnd, _, _ = read(os.path.join(z, "dem.tif"))
    r = np.round((1500 + 2 * (dem - 1200)).clip(800, 4000)).astype(np.float32)
    r[dem == dnd] = -1
    rng = np.random.default_rng(5)
    k = np.round(0.02 + 0.03 * rng.random(arr.shape), 3).astype(np.float32)
    write_tif(os.path.join(z, "erosivity.tif"), r, gt, wkt, -1.0)
    write_tif(os.path.join(z, "erodibility.tif"), k, gt, wkt, -1.0)
    bio = os.path.join(z, "biophysical_sdr.csv")
    write_csv(bio, ["lucode", "usle_c", "usle_p"], [[c, NLCD[c][3], NLCD[c][4]] for c in nlcd_codes(lulc)])
    cases.append(("zion", os.path.join(z, "dem.tif"), lulc, os.path.join(z, "erosivity.tif"),
                  os.path.join(z, "erodibility.tif"), bio, 200, "d8"))
    # datong: real DEM (1 km), LULC made up from elevation bands
    dt = datong()
    dem, dnd, gt, wkt = read(os.path.join(dt, "dem.tif"))
    valid = dem != dnd
    q = np.quantile(dem[valid], [0.2, 0.5, 0.8])
    lu = np.full(dem.shape, 255, dtype=np.int32)
    lu[valid] = np.select([dem[valid] < q[0], dem[valid] < q[1], dem[valid] < q[2]], [82, 71, 52], 42)
    lu[valid & (np.arange(dem.size).reshape(dem.shape) % 97 == 0)] = 22
    write_tif(os.path.join(dt, "lulc.tif"), lu, gt, wkt, 255)
    r = np.where(valid, np.round(300 + 0.2 * (dem - dem[valid].min())), -1).astype(np.float32)
    kk = np.where(valid, 0.03, -1).astype(np.float32)
    write_tif(os.path.join(dt, "erosivity.tif"), r, gt, wkt, -1.0)
    write_tif(os.path.join(dt, "erodibility.tif"), kk, gt, wkt, -1.0)
    bio = os.path.join(dt, "biophysical_sdr.csv")
    write_csv(bio, ["lucode", "usle_c", "usle_p"], [[c, NLCD[c][3], NLCD[c][4]] for c in [22, 42, 52, 71, 82]])
    cases.append(("datong", os.path.join(dt, "dem.tif"), os.path.join(dt, "lulc.tif"),
                  os.path.join(dt, "erosivity.tif"), os.path.join(dt, "erodibility.tif"), bio,
                  40, "mfd"))
    for case, dem, lulc, rr, kk, bio, tfa, algo in cases:
        d = os.path.join(TMP, f"sdr_{case}")
        os.makedirs(d, exist_ok=True)
        ws_gpkg = os.path.join(d, "watersheds.gpkg")
        ids, gt, wkt = rect_polygon(dem, ws_gpkg, "ws_id", 1)
        ws_tif = os.path.join(d, "ws_ids.tif"); write_tif(ws_tif, ids, gt, wkt, 0)
        args = {"workspace_dir": os.path.join(d, "ws"), "dem_path": dem, "erosivity_path": rr,
                "erodibility_path": kk, "lulc_path": lulc, "watersheds_path": ws_gpkg,
                "biophysical_table_path": bio, "threshold_flow_accumulation": tfa,
                "k_param": 2.0, "sdr_max": 0.8, "ic_0_param": 0.5, "l_max": 122,
                "flow_dir_algorithm": algo, "n_workers": -1}
        ws = run_model("sdr", args)
        ours = {"dem_path": "dem.asc.gz", "erosivity_path": "erosivity.asc.gz",
                "erodibility_path": "erodibility.asc.gz", "lulc_path": "lulc.asc.gz",
                "watersheds_path": "watersheds.asc.gz",
                "biophysical_table_path": "biophysical.csv",
                "threshold_flow_accumulation": tfa, "k_param": 2.0, "sdr_max": 0.8,
                "ic_0_param": 0.5, "l_max": 122, "flow_dir_algorithm": algo}
        export_case(os.path.join(OUT, "invest", "sdr", case),
                    {"dem": dem, "lulc": lulc, "erosivity": rr, "erodibility": kk,
                     "watersheds": ws_tif},
                    {"biophysical.csv": bio}, ours,
                    ["intermediate_outputs/ls.tif", "rkls.tif",
                     "intermediate_outputs/sdr_factor.tif", "sed_export.tif",
                     "sed_deposition.tif", "stream.tif", "watershed_results_sdr.shp"], ws)


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--only", default="hydro,carbon,hq,awy,sdr")
    a = ap.parse_args()
    steps = {"hydro": do_hydro, "carbon": do_carbon, "hq": do_hq, "awy": do_awy, "sdr": do_sdr}
    for s in a.only.split(","):
        print("fixtures:", s, flush=True)
        steps[s]()
    shutil.rmtree(TMP, ignore_errors=True)


if __name__ == "__main__":
    main()
