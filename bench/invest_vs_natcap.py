#!/usr/bin/env python3
"""Times natcap.invest 3.20 and `ecoplan invest` on the same inputs, in one run.

For each model (carbon, habitat_quality, annual_water_yield, sdr) it writes one ARGS.json used by
both tools, runs each tool in a fresh process under GNU time (wall seconds, peak RSS), checks
that the results agree (totals / means) and prints a table with the time and memory ratios.

Inputs come from /work/shared/bench/gen_landscape.py (deterministic synthetic landscape, 30 m);
annual water yield also needs ET0, root-restricting depth and PAWC rasters, derived here
deterministically from the landscape's DEM and land use.

Usage: invest_vs_natcap.py --n 5000 --ecoplan target/release/ecoplan --work /tmp/ecoplan-bench
       [--models carbon,habitat_quality,annual_water_yield,sdr] [--python PY]
"""
import argparse
import csv
import json
import os
import subprocess
import sys
import time

HERE = os.path.dirname(os.path.abspath(__file__))
SHARED = os.path.abspath(os.path.join(HERE, "..", "..", "shared"))
if not os.path.isdir(SHARED):
    SHARED = "/work/shared"


def timed(cmd, log):
    """Runs cmd under GNU time; returns (wall_s, peak_rss_mb, cpu_s = user + sys)."""
    tf = log + ".time"
    with open(log, "w") as out:
        r = subprocess.run(["/usr/bin/time", "-f", "%e %M %U %S", "-o", tf] + cmd, stdout=out,
                           stderr=subprocess.STDOUT)
    if r.returncode != 0:
        print(f"FAILED ({r.returncode}): {' '.join(cmd)}; see {log}", file=sys.stderr)
        sys.exit(1)
    return read_time(tf)


def read_time(tf):
    """(wall_s, peak_rss_mb, cpu_s) from a GNU time file written by `timed`, or None."""
    try:
        f = open(tf).read().split()[-4:]
        wall, rss, user, sys_ = float(f[0]), int(f[1]), float(f[2]), float(f[3])
    except (OSError, ValueError, IndexError):
        return None
    return wall, rss / 1024.0, user + sys_


def load():
    return os.getloadavg()[0]


def raster_stats(path):
    from osgeo import gdal
    import numpy as np
    ds = gdal.Open(path)
    b = ds.GetRasterBand(1)
    a = b.ReadAsArray().astype(np.float64)
    nd = b.GetNoDataValue()
    m = np.isfinite(a)
    if nd is not None:
        m &= a != nd
    return float(a[m].sum()), float(a[m].mean()), int(m.sum())


def prepare(data, work, models):
    from osgeo import gdal
    import numpy as np
    inv = os.path.join(data, "invest")
    args = {}
    if "carbon" in models:
        args["carbon"] = {"lulc_bas_path": os.path.join(data, "lulc.tif"),
                          "carbon_pools_path": os.path.join(inv, "carbon_pools.csv"),
                          "calc_sequestration": False, "do_valuation": False}
    if "habitat_quality" in models:
        args["habitat_quality"] = {"lulc_cur_path": os.path.join(data, "lulc.tif"),
                                   "threats_table_path": os.path.join(inv, "threats.csv"),
                                   "sensitivity_table_path": os.path.join(inv, "sensitivity.csv"),
                                   "half_saturation_constant": 0.5}
    if "sdr" in models:
        args["sdr"] = {"dem_path": os.path.join(data, "dem.tif"),
                       "erosivity_path": os.path.join(data, "erosivity.tif"),
                       "erodibility_path": os.path.join(data, "erodibility.tif"),
                       "lulc_path": os.path.join(data, "lulc.tif"),
                       "watersheds_path": os.path.join(data, "watershed.gpkg"),
                       "biophysical_table_path": os.path.join(inv, "biophysical_sdr.csv"),
                       "threshold_flow_accumulation": 1000, "k_param": 2, "sdr_max": 0.8,
                       "ic_0_param": 0.5, "l_max": 122, "flow_dir_algorithm": "mfd"}
    if "annual_water_yield" in models:
        d = os.path.join(work, "awy_inputs")
        os.makedirs(d, exist_ok=True)
        ds = gdal.Open(os.path.join(data, "dem.tif"))
        gt, wkt = ds.GetGeoTransform(), ds.GetProjection()
        dem = ds.GetRasterBand(1).ReadAsArray().astype(np.float64)
        e = (dem - dem.min()) / max(np.ptp(dem), 1.0)
        h, w = dem.shape
        xx = np.arange(w)[None, :] / w
        layers = {"eto": np.round(1150 - 350 * e + 60 * xx), "depth": np.round((300 + 1700 * (1 - e)) / 50) * 50,
                  "pawc": np.round(0.08 + 0.12 * (1 - e), 2)}
        drv = gdal.GetDriverByName("GTiff")
        for k, a in layers.items():
            p = os.path.join(d, k + ".tif")
            if not os.path.exists(p):
                o = drv.Create(p, w, h, 1, gdal.GDT_Float32, options=["TILED=YES", "COMPRESS=LZW", "BIGTIFF=IF_SAFER"])
                o.SetGeoTransform(gt)
                o.SetProjection(wkt)
                o.GetRasterBand(1).SetNoDataValue(-1)
                o.GetRasterBand(1).WriteArray(a.astype(np.float32))
                o = None
        bio = os.path.join(d, "biophysical_awy.csv")
        with open(bio, "w", newline="") as f:
            wr = csv.writer(f)
            wr.writerow(["lucode", "lulc_veg", "root_depth", "kc"])
            for row in [[1, 1, 1200, 0.9], [2, 1, 3000, 1.0], [3, 1, 2000, 0.8], [4, 1, 1500, 0.75],
                        [5, 0, 1, 1.05], [7, 0, 1, 0.3], [8, 0, 1, 0.2], [9, 0, 1, 1.1]]:
                wr.writerow(row)
        args["annual_water_yield"] = {"lulc_path": os.path.join(data, "lulc.tif"),
                                      "precipitation_path": os.path.join(data, "precip.tif"),
                                      "eto_path": os.path.join(d, "eto.tif"),
                                      "depth_to_root_rest_layer_path": os.path.join(d, "depth.tif"),
                                      "pawc_path": os.path.join(d, "pawc.tif"),
                                      "watersheds_path": os.path.join(data, "watershed.gpkg"),
                                      "biophysical_table_path": bio, "seasonality_constant": 5}
    return args


def check(model, ws_n, ws_e):
    """Agreement of the two runs: (label, natcap value, ecoplan value)."""
    if model == "carbon":
        f = "c_storage_bas.tif"
        return ("sum c_storage_bas (t/ha)", raster_stats(os.path.join(ws_n, f))[0],
                raster_stats(os.path.join(ws_e, f))[0])
    if model == "habitat_quality":
        f = "quality_c.tif"
        return ("mean quality_c", raster_stats(os.path.join(ws_n, f))[1],
                raster_stats(os.path.join(ws_e, f))[1])
    if model == "annual_water_yield":
        f = "output/per_pixel/wyield.tif"
        return ("mean wyield (mm)", raster_stats(os.path.join(ws_n, f))[1],
                raster_stats(os.path.join(ws_e, f))[1])
    if model == "sdr":
        from osgeo import gdal
        ds = gdal.OpenEx(os.path.join(ws_n, "watershed_results_sdr.shp"), gdal.OF_VECTOR)
        nat = sum(ft.GetField("sed_export") for ft in ds.GetLayer())
        with open(os.path.join(ws_e, "watershed_results_sdr.csv")) as fh:
            ours = sum(float(r["sed_export"]) for r in csv.DictReader(fh))
        return ("total sed_export (t/yr)", nat, ours)


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--n", type=int, default=5000)
    ap.add_argument("--ecoplan", required=True)
    ap.add_argument("--work", default="/tmp/ecoplan-bench")
    ap.add_argument("--models", default="carbon,habitat_quality,annual_water_yield,sdr")
    ap.add_argument("--python", default=sys.executable, help="python with natcap.invest 3.20")
    ap.add_argument("--data", help="folder holding N<n>/ from gen_landscape.py (default WORK/data)")
    ap.add_argument("--reuse-natcap", action="store_true",
                    help="keep a finished natcap.invest run of an earlier call (same N) instead of "
                         "running it again: for iterating on ecoplan only")
    ap.add_argument("--ecoplan-args", default="", help="extra `ecoplan invest` flags, e.g. --ecoplan-args='--compress none'")
    a = ap.parse_args()
    models = a.models.split(",")
    os.makedirs(a.work, exist_ok=True)
    data_root = a.data or os.path.join(a.work, "data")
    data = os.path.join(data_root, f"N{a.n}")
    if not os.path.exists(os.path.join(data, "meta.json")):
        t0 = time.time()
        subprocess.check_call([a.python, os.path.join(SHARED, "bench", "gen_landscape.py"),
                               "--sizes", str(a.n), "--out", data_root])
        print(f"generated N={a.n} in {time.time() - t0:.0f} s", flush=True)
    all_args = prepare(data, a.work, models)
    rows = []
    for model in models:
        base = os.path.join(a.work, f"N{a.n}", model)
        os.makedirs(base, exist_ok=True)
        ws_n, ws_e = os.path.join(base, "natcap"), os.path.join(base, "ecoplan")
        log_n = os.path.join(base, "natcap.log")
        reuse = a.reuse_natcap and os.path.isdir(ws_n) and read_time(log_n + ".time")
        for ws in ((ws_e,) if reuse else (ws_n, ws_e)):
            subprocess.run(["rm", "-rf", ws])
        args = dict(all_args[model])
        args_n = dict(args, workspace_dir=ws_n, n_workers=-1)
        args_e = dict(args, workspace_dir=ws_e)
        pn, pe = os.path.join(base, "args_natcap.json"), os.path.join(base, "args_ecoplan.json")
        json.dump(args_n, open(pn, "w"), indent=1)
        json.dump(args_e, open(pe, "w"), indent=1)
        code = ("import json, logging, sys; logging.disable(logging.WARNING); "
                f"import natcap.invest.{model} as m; m.execute(json.load(open(sys.argv[1])))")
        l0 = load()
        if reuse:
            tn, mn, cn = reuse
            ln = float("nan")
        else:
            tn, mn, cn = timed([a.python, "-c", code, pn], log_n)
            ln = load()
        te, me, ce = timed([a.ecoplan, "invest", model, pe] + a.ecoplan_args.split(),
                           os.path.join(base, "ecoplan.log"))
        le = load()
        label, vn, ve = check(model, ws_n, ws_e)
        rows.append((model, tn, te, mn, me, cn, ce, label, vn, ve, (l0, ln, le), bool(reuse)))
        print(f"{model}: natcap {tn:.1f} s ({cn:.1f} s CPU) {mn:.0f} MB{' (reused)' if reuse else ''} | "
              f"ecoplan {te:.2f} s ({ce:.2f} s CPU) {me:.0f} MB | {label}: {vn:.6g} vs {ve:.6g} | "
              f"load {l0:.1f}/{ln:.1f}/{le:.1f}", flush=True)
    print()
    print(f"N = {a.n} ({a.n * a.n / 1e6:.1f} M cells), 30 m; wall and CPU (user + sys) = whole process "
          "(imports included), peak RSS from GNU time; natcap.invest with n_workers=-1; "
          f"ecoplan flags: '{a.ecoplan_args}'; {os.cpu_count()} cores")
    print("| model | natcap.invest s | ecoplan s | speed-up (wall) | natcap CPU s | ecoplan CPU s | "
          "CPU ratio | natcap MB | ecoplan MB | memory ratio (natcap ÷ ecoplan) | check | natcap | ecoplan | rel. diff | "
          "1-min load before / after natcap / after ecoplan |")
    print("|---|---|---|---|---|---|---|---|---|---|---|---|---|---|---|")
    for model, tn, te, mn, me, cn, ce, label, vn, ve, (l0, ln, le), reused in rows:
        rel = abs(ve - vn) / abs(vn) if vn else float("nan")
        print(f"| {model} | {tn:.1f}{' (earlier run)' if reused else ''} | {te:.2f} | {tn / te:.1f}× | "
              f"{cn:.1f} | {ce:.2f} | {cn / ce:.1f}× | {mn:.0f} | {me:.0f} | {mn / me:.1f}× | "
              f"{label} | {vn:.6g} | {ve:.6g} | {rel:.1e} | {l0:.1f} / {ln:.1f} / {le:.1f} |")


if __name__ == "__main__":
    main()
