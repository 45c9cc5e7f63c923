//! Circuitscape's network (graph) mode: a graph given as weighted edges between node indices,
//! pairwise resistances between focal nodes, or one advanced solve with sources and grounds.
//! Node indices here are 0-based; the file layer shifts them to Circuitscape's 1-based ids.

use crate::circuitscape::{ConflictPolicy, PairFilter};
use crate::currents::{branch_currents, node_currents};
use crate::graph::{components, network_laplacian, Components};
use crate::solver::{PreparedSolver, SolverKind, SolverOptions};
use crate::CircuitError;
use ecoplan_grid::Progress;
use rayon::prelude::*;
use std::sync::Mutex;

/// A weighted undirected graph on nodes `0..n` (edge weights are conductances).
#[derive(Debug, Clone, PartialEq)]
pub struct Network {
    pub n: usize,
    pub edges: Vec<(u32, u32, f64)>,
}

/// Per-pair outputs of network pairwise mode.
#[derive(Debug, Clone, PartialEq)]
pub struct NetworkPairOutput {
    /// Focal ids of the pair (source first).
    pub ids: (i64, i64),
    /// `(node, voltage)` for the nodes of the pair's component, voltage 0 at the source.
    pub voltages: Vec<(u32, f64)>,
    /// `(node, current)` for the component's nodes.
    pub node_currents: Vec<(u32, f64)>,
    /// `(a, b, |I|)` nonzero branch currents of the component.
    pub branch_currents: Vec<(u32, u32, f64)>,
}

/// Result of network pairwise mode.
#[derive(Debug, Clone, PartialEq)]
pub struct NetworkPairwiseResult {
    pub ids: Vec<i64>,
    /// Row-major `ids.len()²`, −1 for disconnected/excluded pairs.
    pub resistances: Vec<f64>,
    /// Sum over pairs of node currents (all nodes).
    pub cum_node_currents: Vec<f64>,
    /// Sum over pairs of |branch current| per input edge (first occurrence of each node pair).
    pub cum_branch_currents: Vec<f64>,
}

fn component_matrix(net_l: &crate::csr::Csr, comps: &Components, c: usize) -> crate::csr::Csr {
    if comps.nodes[c].len() == net_l.nrows {
        net_l.clone()
    } else {
        net_l.principal_submatrix(&comps.nodes[c])
    }
}

/// Pairwise effective resistances between focal nodes (`focal[i]` is a node index with user id
/// `ids[i]`). With `want_outputs`, every solved pair's voltages and currents go to `sink`.
#[allow(clippy::too_many_arguments)]
pub fn network_pairwise(
    net: &Network,
    focal: &[u32],
    ids: &[i64],
    filter: Option<&PairFilter>,
    want_outputs: bool,
    solver: &SolverOptions,
    sink: &(dyn Fn(&NetworkPairOutput) -> Result<(), CircuitError> + Sync),
    progress: &dyn Progress,
) -> Result<NetworkPairwiseResult, CircuitError> {
    for &f in focal {
        if f as usize >= net.n {
            return Err(CircuitError::Input(format!(
                "focal node {} is not a node of the graph (nodes 1…{})",
                f as u64 + 1,
                net.n
            )));
        }
    }
    let keep: Vec<usize> = (0..focal.len())
        .filter(|&i| filter.is_none_or(|f| f.keeps_point(ids[i])))
        .collect();
    let focal: Vec<u32> = keep.iter().map(|&i| focal[i]).collect();
    let ids: Vec<i64> = keep.iter().map(|&i| ids[i]).collect();
    let np = focal.len();
    let l = network_laplacian(net.n, &net.edges);
    let comps = components(&l);
    let mut res = vec![-1.0; np * np];
    let cum_nodes = Mutex::new(vec![0.0; net.n]);
    // Edge slot of each unordered node pair (first occurrence).
    let mut slot = std::collections::HashMap::new();
    for (k, &(a, b, _)) in net.edges.iter().enumerate() {
        slot.entry((a.min(b), a.max(b))).or_insert(k);
    }
    let cum_branch = Mutex::new(vec![0.0; net.edges.len()]);
    let mut comp_order: Vec<usize> = Vec::new();
    for &f in &focal {
        let c = comps.of_node[f as usize] as usize;
        if !comp_order.contains(&c) {
            comp_order.push(c);
        }
    }
    progress.begin("network pairwise 网络成对", comp_order.len().max(1) as u64);
    for (ci, &c) in comp_order.iter().enumerate() {
        let nodes = &comps.nodes[c];
        let lc = component_matrix(&l, &comps, c);
        let n = lc.nrows;
        let mut csub: Vec<u32> = Vec::new();
        for &f in &focal {
            if comps.of_node[f as usize] as usize == c && !csub.contains(&f) {
                csub.push(f);
            }
        }
        for i in 0..np {
            for j in 0..np {
                if i != j && focal[i] == focal[j] && csub.contains(&focal[i]) {
                    res[i * np + j] = 0.0;
                }
            }
        }
        if csub.len() < 2 {
            continue;
        }
        let loc = |nd: u32| nodes.binary_search(&nd).expect("node in component");
        // Ground the first focal node for Cholesky; CG runs on the singular Laplacian.
        let anchor = loc(csub[0]);
        let (prepared, grounded) = match solver.kind {
            SolverKind::CgAmg => (PreparedSolver::new(lc.clone(), solver)?, false),
            SolverKind::Cholesky => {
                let keep: Vec<u32> = (0..n as u32).filter(|&i| i as usize != anchor).collect();
                (
                    PreparedSolver::new(lc.principal_submatrix(&keep), solver)?,
                    true,
                )
            }
        };
        let solve = |b: Vec<f64>| -> Result<Vec<f64>, CircuitError> {
            if grounded {
                let mut rb = b;
                rb.remove(anchor);
                let mut x = prepared.solve(&rb)?;
                x.insert(anchor, 0.0);
                Ok(x)
            } else {
                prepared.solve(&b)
            }
        };
        let mut jobs = Vec::new();
        for a in 0..csub.len() {
            for b in a + 1..csub.len() {
                let combos: Vec<(usize, usize)> = (0..np)
                    .filter(|&i| focal[i] == csub[a])
                    .flat_map(|pi| {
                        (0..np)
                            .filter(|&j| focal[j] == csub[b])
                            .map(move |pj| (pi, pj))
                    })
                    .filter(|&(pi, pj)| !filter.is_some_and(|f| f.excluded(ids[pi], ids[pj])))
                    .collect();
                if !combos.is_empty() {
                    jobs.push((a, b, combos));
                }
            }
        }
        let results: Vec<Result<f64, CircuitError>> = jobs
            .par_iter()
            .map(|(a, b, combos)| {
                let (la, lb) = (loc(csub[*a]), loc(csub[*b]));
                let mut rhs = vec![0.0; n];
                rhs[la] = -1.0;
                rhs[lb] = 1.0;
                let mut v = solve(rhs)?;
                let s = v[la];
                v.iter_mut().for_each(|x| *x -= s);
                let r = v[lb];
                if want_outputs {
                    let nc = node_currents(&lc, &v, None);
                    let bc = branch_currents(&lc, &v);
                    for _ in combos {
                        let mut cn = cum_nodes.lock().expect("lock");
                        for (k, &nd) in nodes.iter().enumerate() {
                            cn[nd as usize] += nc[k];
                        }
                        drop(cn);
                        let mut cb = cum_branch.lock().expect("lock");
                        for &(p, q, i) in &bc {
                            let (gp, gq) = (nodes[p as usize], nodes[q as usize]);
                            if let Some(&k) = slot.get(&(gp.min(gq), gp.max(gq))) {
                                cb[k] += i;
                            }
                        }
                    }
                    for &(pi, pj) in combos {
                        sink(&NetworkPairOutput {
                            ids: (ids[pi], ids[pj]),
                            voltages: nodes.iter().zip(&v).map(|(&nd, &x)| (nd, x)).collect(),
                            node_currents: nodes.iter().zip(&nc).map(|(&nd, &x)| (nd, x)).collect(),
                            branch_currents: bc
                                .iter()
                                .map(|&(p, q, i)| (nodes[p as usize], nodes[q as usize], i))
                                .collect(),
                        })?;
                    }
                }
                Ok(r)
            })
            .collect();
        for ((_, _, combos), r) in jobs.iter().zip(results) {
            let r = r?;
            for &(pi, pj) in combos {
                res[pi * np + pj] = r;
                res[pj * np + pi] = r;
            }
        }
        progress.advance(ci as u64 + 1);
    }
    for i in 0..np {
        res[i * np + i] = 0.0;
    }
    progress.finish();
    Ok(NetworkPairwiseResult {
        ids,
        resistances: res,
        cum_node_currents: cum_nodes.into_inner().expect("lock"),
        cum_branch_currents: cum_branch.into_inner().expect("lock"),
    })
}

/// Result of network advanced mode (all nodes; 0 where no component was solved).
#[derive(Debug, Clone, PartialEq)]
pub struct NetworkAdvancedResult {
    pub voltages: Vec<f64>,
    pub node_currents: Vec<f64>,
    pub branch_currents: Vec<(u32, u32, f64)>,
    pub solved: bool,
}

/// Advanced mode on a network: node sources (A) and ground conductances (∞ = direct ground).
pub fn network_advanced(
    net: &Network,
    sources: &[f64],
    grounds: &[f64],
    policy: ConflictPolicy,
    solver: &SolverOptions,
) -> Result<NetworkAdvancedResult, CircuitError> {
    if sources.len() != net.n || grounds.len() != net.n {
        return Err(CircuitError::Input(format!(
            "sources and grounds must list values for the {} graph nodes",
            net.n
        )));
    }
    let l = network_laplacian(net.n, &net.edges);
    let comps = components(&l);
    let mut s = sources.to_vec();
    let mut g = grounds.to_vec();
    for k in 0..net.n {
        if s[k] != 0.0 && g[k] != 0.0 {
            match policy {
                ConflictPolicy::KeepAll => {}
                ConflictPolicy::RemoveSource => s[k] = 0.0,
                ConflictPolicy::RemoveGround => g[k] = 0.0,
                ConflictPolicy::RemoveAll => {
                    s[k] = 0.0;
                    g[k] = 0.0;
                }
            }
        }
        if g[k] == f64::INFINITY && s[k] > 0.0 {
            g[k] = 0.0;
        }
    }
    let mut voltages = vec![0.0; net.n];
    let mut node_cur = vec![0.0; net.n];
    let mut branches = Vec::new();
    let mut solved = false;
    for c in 0..comps.nodes.len() {
        let nodes = &comps.nodes[c];
        let ls: Vec<f64> = nodes.iter().map(|&v| s[v as usize]).collect();
        let lg: Vec<f64> = nodes.iter().map(|&v| g[v as usize]).collect();
        if ls.iter().sum::<f64>() == 0.0 || lg.iter().sum::<f64>() == 0.0 {
            continue;
        }
        let lc = component_matrix(&l, &comps, c);
        let finite: Vec<f64> = lg
            .iter()
            .map(|&x| if x.is_finite() { x } else { 0.0 })
            .collect();
        let keep: Vec<u32> = (0..nodes.len() as u32)
            .filter(|&i| lg[i as usize] != f64::INFINITY)
            .collect();
        let mut v = vec![0.0; nodes.len()];
        if !keep.is_empty() {
            let a = lc.add_diagonal(&finite).principal_submatrix(&keep);
            let b: Vec<f64> = keep.iter().map(|&i| ls[i as usize]).collect();
            let x = PreparedSolver::new(a, solver)?.solve(&b)?;
            for (k, &i) in keep.iter().enumerate() {
                v[i as usize] = x[k];
            }
        }
        solved = true;
        let nc = node_currents(&lc, &v, Some(&finite));
        for (k, &nd) in nodes.iter().enumerate() {
            voltages[nd as usize] = v[k];
            node_cur[nd as usize] = nc[k];
        }
        for (p, q, i) in branch_currents(&lc, &v) {
            branches.push((nodes[p as usize], nodes[q as usize], i));
        }
    }
    Ok(NetworkAdvancedResult {
        voltages,
        node_currents: node_cur,
        branch_currents: branches,
        solved,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn diamond_network() {
        // 0–1–3 and 0–2–3 with unit resistors: R(0,3) = 1, R(0,1) = 0.75.
        let net = Network {
            n: 4,
            edges: vec![(0, 1, 1.0), (1, 3, 1.0), (0, 2, 1.0), (2, 3, 1.0)],
        };
        for kind in [SolverKind::CgAmg, SolverKind::Cholesky] {
            let r = network_pairwise(
                &net,
                &[0, 1, 3],
                &[1, 2, 4],
                None,
                false,
                &SolverOptions::with_kind(kind),
                &|_| Ok(()),
                &ecoplan_grid::NoProgress,
            )
            .unwrap();
            assert!((r.resistances[2] - 1.0).abs() < 1e-9);
            assert!((r.resistances[1] - 0.75).abs() < 1e-9);
        }
        let a = network_advanced(
            &net,
            &[1.0, 0.0, 0.0, 0.0],
            &[0.0, 0.0, 0.0, f64::INFINITY],
            ConflictPolicy::KeepAll,
            &SolverOptions::default(),
        )
        .unwrap();
        assert!((a.voltages[0] - 1.0).abs() < 1e-9 && a.voltages[3] == 0.0);
        assert!((a.node_currents[3] - 1.0).abs() < 1e-9);
    }
}
