"""Print pylandstats class and landscape metrics of a raster as JSON (for ecoplan's interop test).

Usage: python pylandstats_metrics.py RASTER
Names are mapped to landscapemetrics' lowercase names. Requires pylandstats (pip install pylandstats).
"""
import json
import sys
import warnings

warnings.filterwarnings("ignore")
import pylandstats as pls  # noqa: E402

CLASS = {
    "total_area": "ca",
    "proportion_of_landscape": "pland",
    "number_of_patches": "np",
    "patch_density": "pd",
    "largest_patch_index": "lpi",
    "total_edge": "te",
    "edge_density": "ed",
    "landscape_shape_index": "lsi",
    "effective_mesh_size": "mesh",
    "area_mn": "area_mn",
}
LANDSCAPE = {
    "total_area": "ta",
    "number_of_patches": "np",
    "patch_density": "pd",
    "largest_patch_index": "lpi",
    "total_edge": "te",
    "edge_density": "ed",
    "landscape_shape_index": "lsi",
    "contagion": "contag",
    "shannon_diversity_index": "shdi",
    "effective_mesh_size": "mesh",
    "area_mn": "area_mn",
}

ls = pls.Landscape(sys.argv[1])
cm = ls.compute_class_metrics_df(metrics=list(CLASS))
lm = ls.compute_landscape_metrics_df(metrics=list(LANDSCAPE))
out = {
    "class": {
        str(int(c)): {CLASS[k]: float(v) for k, v in row.items()} for c, row in cm.iterrows()
    },
    "landscape": {LANDSCAPE[k]: float(v) for k, v in lm.iloc[0].items()},
}
print(json.dumps(out))
