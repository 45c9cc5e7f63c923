//! One circuit solve on a Circuitscape raster, timed phase by phase, for bench/circuit_vs_pyamg.sh.
//!
//! ```text
//! solve_bench CELLMAP POINTS.txt [--four] [--avg-res] [--conductance] [--solver cg+amg|cholmod]
//!             [--export DIR]
//! ```
//! 1 A enters at the first point's cell and leaves at the second (grounded, removed from the
//! system), as Circuitscape solves one pair. `--export` writes the reduced system (CSR arrays,
//! right-hand side) and our solution as raw little-endian arrays for the pyamg comparison.

use ecoplan_circuit::files::rasters::{read_raster, read_table};
use ecoplan_circuit::graph::{CellGraph, Connectivity, GraphOptions, NO_NODE};
use ecoplan_circuit::{PreparedSolver, SolverKind, SolverOptions};
use std::io::Write;
use std::path::PathBuf;
use std::time::Instant;

fn peak_rss_mb() -> f64 {
    std::fs::read_to_string("/proc/self/status")
        .ok()
        .and_then(|s| {
            s.lines().find(|l| l.starts_with("VmHWM:")).and_then(|l| {
                l.split_whitespace()
                    .nth(1)
                    .and_then(|v| v.parse::<f64>().ok())
            })
        })
        .map_or(f64::NAN, |kb| kb / 1024.0)
}

/// CPU seconds (user + system, all threads) used by this process so far, from /proc/self/stat:
/// on a shared machine the CPU time of a phase is steadier than its wall time.
fn cpu_seconds() -> f64 {
    std::fs::read_to_string("/proc/self/stat")
        .ok()
        .and_then(|s| {
            // Fields after the parenthesised command name; utime and stime are the 12th and 13th.
            let rest = &s[s.rfind(')')? + 2..];
            let f: Vec<&str> = rest.split_whitespace().collect();
            let ticks = f.get(11)?.parse::<f64>().ok()? + f.get(12)?.parse::<f64>().ok()?;
            Some(ticks / 100.0)
        })
        .unwrap_or(f64::NAN)
}

fn write_raw<T: Copy>(path: &std::path::Path, data: &[T]) {
    let bytes = unsafe {
        std::slice::from_raw_parts(data.as_ptr() as *const u8, std::mem::size_of_val(data))
    };
    let mut f = std::io::BufWriter::new(std::fs::File::create(path).expect("create export file"));
    f.write_all(bytes).expect("write export file");
}

fn main() {
    let args: Vec<String> = std::env::args().collect();
    if args.len() < 3 {
        eprintln!("usage: solve_bench CELLMAP POINTS.txt [--four] [--avg-res] [--conductance] [--solver NAME] [--export DIR]");
        std::process::exit(2);
    }
    let flag = |f: &str| args.iter().any(|a| a == f);
    let value = |f: &str| {
        args.iter()
            .position(|a| a == f)
            .and_then(|i| args.get(i + 1))
            .cloned()
    };
    let kind = value("--solver")
        .and_then(|s| SolverKind::from_name(&s))
        .unwrap_or(SolverKind::CgAmg);
    let t0 = Instant::now();
    let r = read_raster(&PathBuf::from(&args[1])).expect("read habitat raster");
    let cond: Vec<f64> = r
        .grid
        .data
        .iter()
        .map(|&v| {
            if v.is_nan() || v == -9999.0 || v <= 0.0 {
                0.0
            } else if flag("--conductance") {
                v
            } else {
                1.0 / v
            }
        })
        .collect();
    let t_read = t0.elapsed().as_secs_f64();
    let pts = read_table(&PathBuf::from(&args[2]), false).expect("read points");
    let cell = |x: f64, y: f64| {
        let row = (r.height() as f64 - (y - r.yll()) / r.cellsize()).ceil() as usize - 1;
        let col = ((x - r.xll()) / r.cellsize()).ceil() as usize - 1;
        row * r.width() + col
    };
    let (c1, c2) = (cell(pts[0][1], pts[0][2]), cell(pts[1][1], pts[1][2]));
    let t1 = Instant::now();
    let opts = GraphOptions {
        connectivity: if flag("--four") {
            Connectivity::Four
        } else {
            Connectivity::Eight
        },
        avg_resistances: flag("--avg-res"),
    };
    let g = CellGraph::new(r.width(), r.height(), &cond, None, &opts).expect("graph");
    drop(cond);
    let comps = g.components();
    let (n1, n2) = (g.node_of_cell[c1], g.node_of_cell[c2]);
    assert!(n1 != NO_NODE && n2 != NO_NODE, "focal points on nodata");
    let comp = &comps.nodes[comps.of_node[n1 as usize] as usize];
    assert_eq!(
        comps.of_node[n1 as usize], comps.of_node[n2 as usize],
        "points disconnected"
    );
    let l2 = comps.local_index(n2);
    let keep: Vec<u32> = comp
        .iter()
        .enumerate()
        .filter(|(k, _)| *k != l2)
        .map(|(_, &v)| v)
        .collect();
    let a = g.laplacian.principal_submatrix(&keep);
    let src = keep.binary_search(&n1).expect("source kept");
    drop(g);
    drop(comps);
    let mut b = vec![0.0; a.nrows];
    b[src] = 1.0;
    let t_graph = t1.elapsed().as_secs_f64();
    let (n, nnz) = (a.nrows, a.nnz());
    let export = value("--export").map(PathBuf::from);
    let a_export = export.as_ref().map(|_| a.clone());
    let c2 = cpu_seconds();
    let t2 = Instant::now();
    let solver = PreparedSolver::new(a, &SolverOptions::with_kind(kind)).expect("prepare");
    let t_setup = t2.elapsed().as_secs_f64();
    let c3 = cpu_seconds();
    let t3 = Instant::now();
    let (x, st) = solver.solve_with_stats(&b).expect("solve");
    let t_solve = t3.elapsed().as_secs_f64();
    let c4 = cpu_seconds();
    println!(
        "ecoplan {} n={n} nnz={nnz} read={t_read:.2}s graph={t_graph:.2}s setup={t_setup:.2}s solve={t_solve:.2}s \
         setup_cpu={:.2}s solve_cpu={:.2}s iterations={} rel_residual={:.2e} R={:.6} peak_rss_mb={:.0} threads={}",
        kind.name(),
        c3 - c2,
        c4 - c3,
        st.iterations,
        st.relative_residual,
        x[src],
        peak_rss_mb(),
        rayon::current_num_threads()
    );
    if let (Some(dir), Some(a)) = (export, a_export) {
        std::fs::create_dir_all(&dir).expect("export dir");
        let indptr: Vec<i64> = a.row_ptr.iter().map(|&v| v as i64).collect();
        let indices: Vec<i32> = a.col.iter().map(|&v| v as i32).collect();
        write_raw(&dir.join("indptr.i64"), &indptr);
        write_raw(&dir.join("indices.i32"), &indices);
        write_raw(&dir.join("data.f64"), &a.val);
        write_raw(&dir.join("rhs.f64"), &b);
        write_raw(&dir.join("x_ecoplan.f64"), &x);
    }
}
