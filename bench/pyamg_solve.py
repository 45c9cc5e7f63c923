"""pyamg side of bench/circuit_vs_pyamg.sh: smoothed-aggregation AMG + CG on the exact system
ecoplan solved (CSR arrays exported by the solve_bench example), rtol 1e-6, one thread."""
import os
import resource
import sys
import time

import numpy as np
import pyamg
import scipy.sparse as sp

d = sys.argv[1]
indptr = np.fromfile(os.path.join(d, "indptr.i64"), dtype=np.int64)
indices = np.fromfile(os.path.join(d, "indices.i32"), dtype=np.int32)
data = np.fromfile(os.path.join(d, "data.f64"), dtype=np.float64)
b = np.fromfile(os.path.join(d, "rhs.f64"), dtype=np.float64)
ours = np.fromfile(os.path.join(d, "x_ecoplan.f64"), dtype=np.float64)
n = len(b)
A = sp.csr_matrix((data, indices, indptr.astype(np.int32)), shape=(n, n))
del data, indices, indptr
rss_loaded = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024.0

c0 = time.process_time()
t0 = time.perf_counter()
ml = pyamg.smoothed_aggregation_solver(A)  # symmetric strength θ=0, standard aggregation,
t_setup = time.perf_counter() - t0          # Jacobi-smoothed P (ω=4/3), symmetric Gauss-Seidel
c1 = time.process_time()
res = []
t1 = time.perf_counter()
x = ml.solve(b, tol=1e-6, accel="cg", maxiter=2000, residuals=res)
t_solve = time.perf_counter() - t1
c2 = time.process_time()
rel = np.linalg.norm(b - A @ x) / np.linalg.norm(b)
src = int(np.argmax(b))
diff = np.abs(x - ours).max() / np.abs(ours).max()
print(
    f"pyamg {pyamg.__version__} n={n} nnz={A.nnz} setup={t_setup:.2f}s solve={t_solve:.2f}s "
    f"setup_cpu={c1 - c0:.2f}s solve_cpu={c2 - c1:.2f}s "
    f"iterations={len(res) - 1} rel_residual={rel:.2e} R={x[src]:.6f} "
    f"levels={len(ml.levels)} peak_rss_mb={resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024.0:.0f} "
    f"rss_after_load_mb={rss_loaded:.0f} max_rel_diff_vs_ecoplan={diff:.2e}"
)
