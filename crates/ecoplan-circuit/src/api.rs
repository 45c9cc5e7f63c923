//! Entry points for other analyses (pinch points, barriers, centrality): effective resistance
//! between two nodes of a cell graph, and the current map between a source region and a ground
//! region of a conductance grid.

use crate::currents::node_currents;
use crate::graph::{CellGraph, GraphOptions, NO_NODE};
use crate::solver::{PreparedSolver, SolverKind, SolverOptions};
use crate::CircuitError;
use ecoplan_grid::{Grid, GridSpec};

/// Effective resistance between graph nodes `a` and `b` (ohms when conductances are siemens;
/// with resistance-per-cell inputs, in cell-resistance units). `f64::INFINITY` when they are
/// in different components, 0 when `a == b`.
///
/// ```
/// use ecoplan_circuit::{CellGraph, GraphOptions, Connectivity, SolverOptions};
/// // A 1×3 strip of unit conductances, rook moves: two unit resistors in series.
/// let g = CellGraph::new(3, 1, &[1.0, 1.0, 1.0], None, &GraphOptions {
///     connectivity: Connectivity::Four, avg_resistances: false }).unwrap();
/// let r = ecoplan_circuit::effective_resistance(&g, 0, 2, &SolverOptions::default()).unwrap();
/// assert!((r - 2.0).abs() < 1e-6);
/// ```
pub fn effective_resistance(
    graph: &CellGraph,
    a: u32,
    b: u32,
    opts: &SolverOptions,
) -> Result<f64, CircuitError> {
    let v = pair_voltages(graph, a, b, opts)?;
    Ok(match v {
        None => f64::INFINITY,
        Some((_, _, r)) => r,
    })
}

/// Voltages of the component holding `a` and `b` with 1 A from `b` to `a` (`v_a = 0`), the
/// component's node list and the resistance; `None` if disconnected.
#[allow(clippy::type_complexity)]
fn pair_voltages(
    graph: &CellGraph,
    a: u32,
    b: u32,
    opts: &SolverOptions,
) -> Result<Option<(Vec<u32>, Vec<f64>, f64)>, CircuitError> {
    let n = graph.n_nodes as u32;
    if a >= n || b >= n {
        return Err(CircuitError::Input(format!(
            "node {} is not in the graph ({} nodes)",
            a.max(b),
            n
        )));
    }
    if a == b {
        return Ok(Some((vec![a], vec![0.0], 0.0)));
    }
    let comps = graph.components();
    if comps.of_node[a as usize] != comps.of_node[b as usize] {
        return Ok(None);
    }
    let nodes = comps.nodes[comps.of_node[a as usize] as usize].clone();
    let la = nodes.binary_search(&a).expect("in component");
    let lb = nodes.binary_search(&b).expect("in component");
    let l = if nodes.len() == graph.n_nodes {
        graph.laplacian.clone()
    } else {
        graph.laplacian.principal_submatrix(&nodes)
    };
    // Ground `a`: the reduced system is positive definite for both solvers.
    let keep: Vec<u32> = (0..nodes.len() as u32)
        .filter(|&i| i as usize != la)
        .collect();
    let reduced = l.principal_submatrix(&keep);
    let mut rhs = vec![0.0; keep.len()];
    rhs[if lb > la { lb - 1 } else { lb }] = 1.0;
    let x = PreparedSolver::new(reduced, opts)?.solve(&rhs)?;
    let mut v = x;
    v.insert(la, 0.0);
    let r = v[lb];
    Ok(Some((nodes, v, r)))
}

/// Options of [`current_map_between`].
#[derive(Debug, Clone, Copy, PartialEq, Default)]
pub struct CurrentMapOptions {
    pub graph: GraphOptions,
    pub solver: SolverOptions,
    /// Zero the current inside the source and ground regions (Pinchpoint Mapper's
    /// `set_focal_node_currents_to_zero`), so cores do not dominate the map.
    pub zero_focal_currents: bool,
}

/// Current and voltage maps for 1 A flowing from a source region to a ground region.
#[derive(Debug, Clone, PartialEq)]
pub struct CurrentMap {
    /// Node current per cell (A); nodata (NaN) outside the connected habitat.
    pub current: Grid<f64>,
    /// Voltage per cell (ground region = 0); NaN outside the connected habitat.
    pub voltage: Grid<f64>,
    /// Effective resistance between the regions (`INFINITY` if not connected).
    pub resistance: f64,
}

/// Current map between `source_cells` and `ground_cells` (row-major indices) of a conductance
/// grid (values ≤ 0 or NaN are barriers). Each region is short-circuited into one node, as
/// Circuitscape does with focal regions; 1 A is injected at the source region.
pub fn current_map_between(
    conductance: &Grid<f64>,
    source_cells: &[usize],
    ground_cells: &[usize],
    opts: &CurrentMapOptions,
) -> Result<CurrentMap, CircuitError> {
    let (w, h) = (conductance.width, conductance.height);
    let cells = w * h;
    let mut problems = Vec::new();
    if source_cells.is_empty() {
        problems.push("no source cells given".to_string());
    }
    if ground_cells.is_empty() {
        problems.push("no ground cells given".to_string());
    }
    if let Some(&c) = source_cells
        .iter()
        .chain(ground_cells)
        .find(|&&c| c >= cells)
    {
        problems.push(format!("cell index {c} is outside the {w}×{h} grid"));
    }
    if source_cells.iter().any(|c| ground_cells.contains(c)) {
        problems.push("source and ground regions overlap".to_string());
    }
    if !problems.is_empty() {
        return Err(CircuitError::Input(problems.join("; ")));
    }
    let g: Vec<f64> = conductance
        .data
        .iter()
        .map(|&v| if conductance.is_nodata(v) { 0.0 } else { v })
        .collect();
    let mut poly = vec![0i64; cells];
    for &c in source_cells {
        poly[c] = 1;
    }
    for &c in ground_cells {
        poly[c] = 2;
    }
    let graph = CellGraph::new(w, h, &g, Some(&poly), &opts.graph)?;
    let node = |cells: &[usize]| {
        cells
            .iter()
            .map(|&c| graph.node_of_cell[c])
            .find(|&n| n != NO_NODE)
    };
    let spec = GridSpec::new(w, h, conductance.transform, conductance.crs.clone());
    let nan = Grid::filled(&spec, f64::NAN, Some(f64::NAN));
    let (Some(src), Some(gnd)) = (node(source_cells), node(ground_cells)) else {
        return Ok(CurrentMap {
            current: nan.clone(),
            voltage: nan,
            resistance: f64::INFINITY,
        });
    };
    let mut solver = opts.solver;
    if solver.kind == SolverKind::CgAmg {
        solver.rtol = solver.rtol.min(1e-8);
    }
    let Some((nodes, v, r)) = pair_voltages(&graph, gnd, src, &solver)? else {
        return Ok(CurrentMap {
            current: nan.clone(),
            voltage: nan,
            resistance: f64::INFINITY,
        });
    };
    let l = if nodes.len() == graph.n_nodes {
        graph.laplacian.clone()
    } else {
        graph.laplacian.principal_submatrix(&nodes)
    };
    let mut nc = node_currents(&l, &v, None);
    if opts.zero_focal_currents {
        for nd in [src, gnd] {
            nc[nodes.binary_search(&nd).expect("in component")] = 0.0;
        }
    }
    let mut current = nan.clone();
    let mut voltage = nan;
    for (i, &nd) in graph.node_of_cell.iter().enumerate() {
        if nd == NO_NODE {
            continue;
        }
        if let Ok(k) = nodes.binary_search(&nd) {
            current.data[i] = nc[k];
            voltage.data[i] = v[k];
        }
    }
    Ok(CurrentMap {
        current,
        voltage,
        resistance: r,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::graph::Connectivity;

    #[test]
    fn current_between_strip_ends() {
        // 1×5 strip; source region = 2 left cells, ground = right cell: 2 unit resistors
        // in series between the regions.
        let spec = GridSpec::new(
            5,
            1,
            ecoplan_grid::GeoTransform::north_up(0.0, 1.0, 1.0),
            None,
        );
        let g = Grid::from_vec(&spec, vec![1.0; 5], None).unwrap();
        let opts = CurrentMapOptions {
            graph: GraphOptions {
                connectivity: Connectivity::Four,
                avg_resistances: false,
            },
            ..Default::default()
        };
        let m = current_map_between(&g, &[0, 1], &[4], &opts).unwrap();
        assert!((m.resistance - 3.0).abs() < 1e-6, "{}", m.resistance);
        assert!((m.current.data[2] - 1.0).abs() < 1e-6);
        assert!((m.voltage.data[0] - 3.0).abs() < 1e-6 && m.voltage.data[4] == 0.0);
        assert!(current_map_between(&g, &[0], &[0], &opts).is_err());
    }
}
