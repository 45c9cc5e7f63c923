"""Generate MSPA conformance cases with the GuidosToolbox MSPA engine (pyguidos' bundled miallib).

Usage: python gen_cases.py OUT_DIR N_CASES SEED [EDGE_WIDTHS] [MIN_SIZE] [MAX_SIZE]

Writes OUT_DIR/cNNNN/input.asc (0 missing, 1 background, 2 foreground) and, for connectivity 4
and 8 and every edge width, mspa_<conn>_<ew>_<transition>_<intext>.asc (transition and intext
drawn at random), in the layout of ../shared/conformance/mspa. Inputs mix smooth blobs, thin
random lines, rectangles and rings, missing data, dense foreground with holes and degenerate
images (all foreground / background / missing, 1-pixel rows).

Output bytes equal to 2 are set to 0 exactly as pyguidos.mspa() does (a miallib quirk).
Requires: numpy, scipy, pyguidos (pip install pyguidos).
"""
import os
import shutil
import sys

import numpy as np
from scipy import ndimage as ndi
from pyguidos._mspa import _mspa


def write_asc(path, a):
    with open(path, "w") as f:
        f.write(f"ncols {a.shape[1]}\nnrows {a.shape[0]}\nxllcorner 0\nyllcorner 0\ncellsize 1\n")
        for r in a:
            f.write(" ".join(map(str, r)) + "\n")


def random_input(rng, k, smin, smax):
    kind = k % 8
    h, w = rng.integers(smin, smax, 2)
    if kind == 0:  # smooth blobs
        z = ndi.gaussian_filter(rng.random((h, w)), rng.uniform(0.8, 3))
        a = np.where(z > np.quantile(z, rng.uniform(0.3, 0.7)), 2, 1)
    elif kind == 1:  # salt and pepper
        a = np.where(rng.random((h, w)) < rng.uniform(0.3, 0.8), 2, 1)
    elif kind == 2:  # blobs with straight and random-walk lines
        z = ndi.gaussian_filter(rng.random((h, w)), 2)
        a = np.where(z > np.quantile(z, 0.6), 2, 1)
        for _ in range(rng.integers(1, 6)):
            if rng.random() < 0.5:
                a[rng.integers(0, h), :] = 2
            else:
                a[:, rng.integers(0, w)] = 2
            r0, c0 = rng.integers(0, h), rng.integers(0, w)
            for _ in range(rng.integers(3, 30)):
                if 0 <= r0 < h and 0 <= c0 < w:
                    a[r0, c0] = 2
                r0 += rng.integers(-1, 2)
                c0 += rng.integers(-1, 2)
    elif kind == 3:  # blobs with missing areas
        z = ndi.gaussian_filter(rng.random((h, w)), 1.5)
        a = np.where(z > np.quantile(z, 0.5), 2, 1)
        m = ndi.gaussian_filter(rng.random((h, w)), 2)
        a[m > np.quantile(m, rng.uniform(0.7, 0.95))] = 0
    elif kind == 4:  # rectangles and rings
        a = np.ones((h, w), int)
        for _ in range(rng.integers(1, 5)):
            r0, c0 = rng.integers(0, h), rng.integers(0, w)
            rh, cw = rng.integers(2, 20, 2)
            a[r0:r0 + rh, c0:c0 + cw] = 2
            if rng.random() < 0.5:
                t = rng.integers(1, 4)
                a[r0 + t:r0 + rh - t, c0 + t:c0 + cw - t] = 1
    elif kind == 5:  # dense foreground with holes and missing cells
        a = np.full((h, w), 2)
        a[rng.random((h, w)) < rng.uniform(0.02, 0.2)] = 1
        a[rng.random((h, w)) < rng.uniform(0, 0.1)] = 0
    elif kind == 6:  # degenerate images
        choice = rng.integers(0, 6)
        h, w = rng.integers(1, 12, 2)
        if choice == 0:
            a = np.full((h, w), 2)
        elif choice == 1:
            a = np.full((h, w), 1)
        elif choice == 2:
            a = np.full((h, w), 0)
        elif choice == 3:
            a = rng.integers(0, 3, (h, w))
        elif choice == 4:
            a = np.full((h, w), 2)
            a[rng.random((h, w)) < 0.3] = 0
        else:
            a = rng.integers(1, 3, (h, w))
    else:  # smooth three-level mix
        z = ndi.gaussian_filter(rng.random((h, w)), 1.2)
        a = np.digitize(z, np.quantile(z, [0.15, 0.5]))
    return np.ascontiguousarray(a.astype(np.uint8))


def main():
    root, n, seed = sys.argv[1], int(sys.argv[2]), int(sys.argv[3])
    ews = [int(x) for x in sys.argv[4].split(",")] if len(sys.argv) > 4 else [1, 2, 3]
    smin = int(sys.argv[5]) if len(sys.argv) > 5 else 5
    smax = int(sys.argv[6]) if len(sys.argv) > 6 else 48
    shutil.rmtree(root, ignore_errors=True)
    os.makedirs(root)
    rng = np.random.default_rng(seed)
    for k in range(n):
        a = random_input(rng, k, smin, smax)
        d = os.path.join(root, f"c{k:04d}")
        os.makedirs(d)
        write_asc(os.path.join(d, "input.asc"), a)
        for conn in (4, 8):
            for ew in ews:
                intext = int(rng.integers(0, 2))
                trans = int(rng.integers(0, 2))
                out, _ = _mspa.mspa(a, float(ew), conn, trans, intext)
                out = np.array(out)
                out[out == 2] = 0
                write_asc(os.path.join(d, f"mspa_{conn}_{ew}_{trans}_{intext}.asc"), out)


if __name__ == "__main__":
    main()
