//! Graph-based habitat connectivity indices (Conefor): IIC, PC, EC and the node importances
//! dIIC/dPC with their intra/flux/connector fractions (Pascual-Hortal & Saura 2006; Saura &
//! Pascual-Hortal 2007; Saura & Rubio 2010).
//!
//! Nodes carry an attribute a_i (area or quality-weighted area); A_L is the maximum landscape
//! attribute (e.g. the landscape area).
//! * IIC = Σ_i Σ_j a_i a_j / (1 + nl_ij) / A_L², nl_ij = links on the shortest topological path
//!   (unreachable pairs contribute 0, nl_ii = 0).
//! * PC = Σ_i Σ_j a_i a_j p*_ij / A_L², p*_ij = maximum product probability over all paths
//!   (Dijkstra on −ln p), p*_ii = 1; p_ij = exp(−k d_ij) with k = −ln(p₀)/d₀.
//! * EC = √(numerator) (equivalent connected area, same unit as a).
//! * dI_k = 100 (I − I_without_k)/I with A_L unchanged; intra = 100 a_k²/num,
//!   flux = 100 · 2 Σ_{i≠k} a_i a_k p*_ik / num, connector = dI − intra − flux.
//!
//! ```
//! use ecoplan_pattern::conefor::{probability_connectivity, ProbabilityGraph};
//! // METHODS worked check: a = (1, 2, 3), p12 = p23 = 0.5, p13 = 0.1 → p*13 = 0.25.
//! let g = ProbabilityGraph::from_links(3, &[(0, 1, 0.5), (1, 2, 0.5), (0, 2, 0.1)]).unwrap();
//! let r = probability_connectivity(&[1.0, 2.0, 3.0], &g, 10.0).unwrap();
//! assert!((r.numerator - 23.5).abs() < 1e-12);
//! assert!((r.nodes[1].d - 54.89).abs() < 0.01); // dPC of the middle node, in %
//! ```

use rayon::prelude::*;
use serde::{Deserialize, Serialize};
use std::cmp::Ordering;
use std::collections::{BinaryHeap, VecDeque};

/// Errors of connectivity indices.
#[derive(Debug, thiserror::Error, Clone, PartialEq)]
pub enum ConeforError {
    #[error("invalid connectivity input: {}", .0.join("; "))]
    Invalid(Vec<String>),
}

/// Dispersal kernel p = exp(−k·d) fixed by one (distance, probability) pair, e.g. p = 0.5 at the
/// median dispersal distance (Conefor `-confProb d p`).
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct DispersalKernel {
    /// Reference distance d₀ (same unit as the distances, e.g. m or cost units).
    pub distance: f64,
    /// Probability p₀ at d₀, in (0, 1).
    pub probability: f64,
}

impl DispersalKernel {
    pub fn validate(&self) -> Result<(), ConeforError> {
        let mut p = Vec::new();
        if !(self.distance.is_finite() && self.distance > 0.0) {
            p.push(format!(
                "kernel distance must be > 0, got {}",
                self.distance
            ));
        }
        if !(self.probability > 0.0 && self.probability < 1.0) {
            p.push(format!(
                "kernel probability must be in (0, 1), got {}",
                self.probability
            ));
        }
        if p.is_empty() {
            Ok(())
        } else {
            Err(ConeforError::Invalid(p))
        }
    }
    /// Decay rate k = −ln(p₀)/d₀.
    pub fn k(&self) -> f64 {
        -self.probability.ln() / self.distance
    }
    /// Direct dispersal probability at distance `d`.
    pub fn probability_at(&self, d: f64) -> f64 {
        (-self.k() * d).exp()
    }
}

/// Undirected graph of direct dispersal probabilities p_ij ∈ (0, 1].
#[derive(Debug, Clone, PartialEq)]
pub struct ProbabilityGraph {
    n: usize,
    /// Per node: (neighbour, −ln p).
    adj: Vec<Vec<(usize, f64)>>,
}

impl ProbabilityGraph {
    pub fn nodes(&self) -> usize {
        self.n
    }

    /// From explicit links (i, j, p_ij); a repeated pair keeps the highest probability.
    pub fn from_links(n: usize, links: &[(usize, usize, f64)]) -> Result<Self, ConeforError> {
        let mut problems = Vec::new();
        let mut adj = vec![Vec::new(); n];
        for (k, &(i, j, p)) in links.iter().enumerate() {
            if i >= n || j >= n {
                problems.push(format!(
                    "link {k}: node {} out of range (n = {n})",
                    i.max(j)
                ));
                continue;
            }
            if !(p > 0.0 && p <= 1.0) {
                problems.push(format!("link {k}: probability {p} not in (0, 1]"));
                continue;
            }
            if i == j {
                continue;
            }
            let w = -p.ln();
            for (a, b) in [(i, j), (j, i)] {
                match adj[a].iter_mut().find(|e: &&mut (usize, f64)| e.0 == b) {
                    Some(e) => e.1 = e.1.min(w),
                    None => adj[a].push((b, w)),
                }
            }
        }
        if problems.is_empty() {
            Ok(ProbabilityGraph { n, adj })
        } else {
            Err(ConeforError::Invalid(problems))
        }
    }

    /// From a symmetric n×n distance matrix (row-major; ∞ = no link) through a kernel. Pairs
    /// farther than `max_distance` (if given) are not linked.
    pub fn from_distances(
        n: usize,
        distances: &[f64],
        kernel: &DispersalKernel,
        max_distance: Option<f64>,
    ) -> Result<Self, ConeforError> {
        kernel.validate()?;
        if distances.len() != n * n {
            return Err(ConeforError::Invalid(vec![format!(
                "distance matrix has {} values, expected {n}×{n}",
                distances.len()
            )]));
        }
        let mut links = Vec::new();
        let mut problems = Vec::new();
        for i in 0..n {
            for j in i + 1..n {
                let d = distances[i * n + j];
                if d.is_nan() || d < 0.0 {
                    problems.push(format!("distance ({i}, {j}) = {d} is not a length"));
                    continue;
                }
                if d.is_infinite() || max_distance.is_some_and(|m| d > m) {
                    continue;
                }
                let p = kernel.probability_at(d);
                if p > 0.0 {
                    links.push((i, j, p));
                }
            }
        }
        if !problems.is_empty() {
            return Err(ConeforError::Invalid(problems));
        }
        Self::from_links(n, &links)
    }

    /// Binary graph of the pairs with distance ≤ `threshold` (for IIC).
    pub fn binary_links_within(n: usize, distances: &[f64], threshold: f64) -> Vec<(usize, usize)> {
        let mut v = Vec::new();
        for i in 0..n {
            for j in i + 1..n {
                let d = distances[i * n + j];
                if d.is_finite() && d <= threshold {
                    v.push((i, j));
                }
            }
        }
        v
    }

    /// Maximum-product probabilities p*_{s·} from `s`, ignoring node `skip`.
    fn best_from(&self, s: usize, skip: Option<usize>) -> Vec<f64> {
        #[derive(PartialEq)]
        struct Item(f64, usize);
        impl Eq for Item {}
        impl PartialOrd for Item {
            fn partial_cmp(&self, o: &Self) -> Option<Ordering> {
                Some(self.cmp(o))
            }
        }
        impl Ord for Item {
            fn cmp(&self, o: &Self) -> Ordering {
                o.0.total_cmp(&self.0).then(o.1.cmp(&self.1))
            }
        }
        let mut dist = vec![f64::INFINITY; self.n];
        let mut heap = BinaryHeap::new();
        dist[s] = 0.0;
        heap.push(Item(0.0, s));
        while let Some(Item(d, u)) = heap.pop() {
            if d > dist[u] {
                continue;
            }
            for &(v, w) in &self.adj[u] {
                if Some(v) == skip {
                    continue;
                }
                let nd = d + w;
                if nd < dist[v] {
                    dist[v] = nd;
                    heap.push(Item(nd, v));
                }
            }
        }
        dist.iter().map(|&d| (-d).exp()).collect()
    }

    /// All maximum-product probabilities p*_ij (row-major n×n).
    pub fn max_product_probabilities(&self) -> Vec<f64> {
        let rows: Vec<Vec<f64>> = (0..self.n)
            .into_par_iter()
            .map(|s| self.best_from(s, None))
            .collect();
        rows.concat()
    }
}

/// Importance of one node (all in %).
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct NodeImportance {
    /// dI = 100 (I − I_without_k)/I.
    pub d: f64,
    pub intra: f64,
    pub flux: f64,
    pub connector: f64,
}

/// A connectivity index with its node importances.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ConnectivityResult {
    /// Index value (numerator / A_L²).
    pub index: f64,
    /// Numerator Σ_i Σ_j a_i a_j w_ij.
    pub numerator: f64,
    /// Equivalent connectivity EC = √numerator (unit of a).
    pub ec: f64,
    pub nodes: Vec<NodeImportance>,
}

fn check_attributes(a: &[f64], landscape: f64) -> Result<(), ConeforError> {
    let mut p = Vec::new();
    for (i, &x) in a.iter().enumerate() {
        if !(x.is_finite() && x >= 0.0) {
            p.push(format!("node {i}: attribute {x} must be finite and ≥ 0"));
        }
    }
    if !(landscape.is_finite() && landscape > 0.0) {
        p.push(format!(
            "landscape attribute A_L must be > 0, got {landscape}"
        ));
    }
    if p.is_empty() {
        Ok(())
    } else {
        Err(ConeforError::Invalid(p))
    }
}

/// Builds the result from a pairwise weight function w(i, j) (p* or 1/(1+nl)) and a function
/// giving the numerator without node k.
fn assemble(
    a: &[f64],
    landscape: f64,
    w: &[f64],
    without: impl Fn(usize) -> f64 + Sync,
) -> ConnectivityResult {
    let n = a.len();
    let mut num = 0.0;
    for i in 0..n {
        for j in 0..n {
            num += a[i] * a[j] * w[i * n + j];
        }
    }
    let nodes = (0..n)
        .into_par_iter()
        .map(|k| {
            if num == 0.0 {
                return NodeImportance {
                    d: 0.0,
                    intra: 0.0,
                    flux: 0.0,
                    connector: 0.0,
                };
            }
            let rest = without(k);
            let d = 100.0 * (num - rest) / num;
            let intra = 100.0 * a[k] * a[k] / num;
            let flux = 100.0
                * 2.0
                * (0..n)
                    .filter(|&i| i != k)
                    .map(|i| a[i] * a[k] * w[i * n + k])
                    .sum::<f64>()
                / num;
            NodeImportance {
                d,
                intra,
                flux,
                connector: d - intra - flux,
            }
        })
        .collect();
    ConnectivityResult {
        index: num / (landscape * landscape),
        numerator: num,
        ec: num.sqrt(),
        nodes,
    }
}

/// Probability of connectivity PC, EC(PC) and dPC (with fractions) of every node.
pub fn probability_connectivity(
    attributes: &[f64],
    graph: &ProbabilityGraph,
    landscape: f64,
) -> Result<ConnectivityResult, ConeforError> {
    check_attributes(attributes, landscape)?;
    let n = attributes.len();
    if graph.nodes() != n {
        return Err(ConeforError::Invalid(vec![format!(
            "{n} attributes for a graph of {} nodes",
            graph.nodes()
        )]));
    }
    let w = graph.max_product_probabilities();
    let a = attributes;
    Ok(assemble(a, landscape, &w, |k| {
        // Only pairs whose best path may run through k change when k is removed; recompute the
        // sources that have such a pair.
        let mut total = 0.0;
        for i in 0..n {
            if i == k {
                continue;
            }
            let through_k = (0..n).any(|j| {
                j != k && j != i && {
                    let via = w[i * n + k] * w[k * n + j];
                    via > 0.0 && via >= w[i * n + j] * (1.0 - 1e-12)
                }
            });
            if through_k {
                let row = graph.best_from(i, Some(k));
                for j in 0..n {
                    if j != k {
                        total += a[i] * a[j] * row[j];
                    }
                }
            } else {
                for j in 0..n {
                    if j != k {
                        total += a[i] * a[j] * w[i * n + j];
                    }
                }
            }
        }
        total
    }))
}

/// Shortest topological path lengths (number of links) from `s`, ignoring node `skip`.
fn hops_from(adj: &[Vec<usize>], s: usize, skip: Option<usize>) -> Vec<Option<u32>> {
    let mut d = vec![None; adj.len()];
    d[s] = Some(0);
    let mut q = VecDeque::from([s]);
    while let Some(u) = q.pop_front() {
        let du = d[u].unwrap();
        for &v in &adj[u] {
            if Some(v) != skip && d[v].is_none() {
                d[v] = Some(du + 1);
                q.push_back(v);
            }
        }
    }
    d
}

/// Integral index of connectivity IIC, EC(IIC) and dIIC of every node, for a binary graph.
pub fn integral_index_connectivity(
    attributes: &[f64],
    links: &[(usize, usize)],
    landscape: f64,
) -> Result<ConnectivityResult, ConeforError> {
    check_attributes(attributes, landscape)?;
    let n = attributes.len();
    let mut adj = vec![Vec::new(); n];
    let mut problems = Vec::new();
    for (k, &(i, j)) in links.iter().enumerate() {
        if i >= n || j >= n {
            problems.push(format!(
                "link {k}: node {} out of range (n = {n})",
                i.max(j)
            ));
        } else if i != j {
            adj[i].push(j);
            adj[j].push(i);
        }
    }
    if !problems.is_empty() {
        return Err(ConeforError::Invalid(problems));
    }
    let weight = |h: Option<u32>| h.map_or(0.0, |h| 1.0 / (1.0 + h as f64));
    let w: Vec<f64> = (0..n)
        .into_par_iter()
        .flat_map_iter(|s| hops_from(&adj, s, None).into_iter().map(weight))
        .collect();
    let a = attributes;
    Ok(assemble(a, landscape, &w, |k| {
        let mut total = 0.0;
        for i in (0..n).filter(|&i| i != k) {
            let h = hops_from(&adj, i, Some(k));
            for j in (0..n).filter(|&j| j != k) {
                total += a[i] * a[j] * weight(h[j]);
            }
        }
        total
    }))
}

/// Number of connected components (Conefor NC) of a probability graph.
pub fn components(graph: &ProbabilityGraph) -> usize {
    let mut seen = vec![false; graph.n];
    let mut count = 0;
    for s in 0..graph.n {
        if seen[s] {
            continue;
        }
        count += 1;
        seen[s] = true;
        let mut stack = vec![s];
        while let Some(u) = stack.pop() {
            for &(v, _) in &graph.adj[u] {
                if !seen[v] {
                    seen[v] = true;
                    stack.push(v);
                }
            }
        }
    }
    count
}

#[cfg(test)]
mod tests {
    use super::*;

    fn close(a: f64, b: f64, tol: f64) -> bool {
        (a - b).abs() <= tol
    }

    #[test]
    fn worked_example_of_methods() {
        // ANCHORS §5.1: PCnum = 23.5; without node 2: 10.6; dPC_2 = 54.89 %,
        // intra 17.02 %, flux 34.04 %, connector 3.83 %.
        let g = ProbabilityGraph::from_links(3, &[(0, 1, 0.5), (1, 2, 0.5), (0, 2, 0.1)]).unwrap();
        let p = g.max_product_probabilities();
        assert!(close(p[2], 0.25, 1e-12) && close(p[6], 0.25, 1e-12));
        let r = probability_connectivity(&[1.0, 2.0, 3.0], &g, 10.0).unwrap();
        assert!(close(r.numerator, 23.5, 1e-12));
        assert!(close(r.index, 0.235, 1e-12));
        assert!(close(r.ec, 23.5f64.sqrt(), 1e-12));
        let m = r.nodes[1];
        assert!(close(m.d, 100.0 * (23.5 - 10.6) / 23.5, 1e-9));
        assert!(close(m.intra, 100.0 * 4.0 / 23.5, 1e-9));
        assert!(close(m.flux, 100.0 * 8.0 / 23.5, 1e-9));
        assert!(close(m.connector, 100.0 * 0.9 / 23.5, 1e-9));
        assert_eq!(
            format!("{:.2} {:.2} {:.2} {:.2}", m.d, m.intra, m.flux, m.connector),
            "54.89 17.02 34.04 3.83"
        );
        // End nodes are no connectors: dPC = intra + flux.
        for k in [0, 2] {
            assert!(r.nodes[k].connector.abs() < 1e-9, "{:?}", r.nodes[k]);
        }
    }

    #[test]
    fn pc_matches_brute_force_on_random_graphs() {
        let mut s = 99u64;
        let mut rnd = || {
            s = s
                .wrapping_mul(6364136223846793005)
                .wrapping_add(1442695040888963407);
            (s >> 11) as f64 / (1u64 << 53) as f64
        };
        for _ in 0..20 {
            let n = 6;
            let mut links = Vec::new();
            for i in 0..n {
                for j in i + 1..n {
                    if rnd() < 0.6 {
                        links.push((i, j, 0.05 + 0.9 * rnd()));
                    }
                }
            }
            let a: Vec<f64> = (0..n).map(|_| rnd() * 10.0).collect();
            // Brute force p*: max over all simple paths via Floyd–Warshall on products.
            let pstar = |skip: Option<usize>| {
                let mut p = vec![0.0f64; n * n];
                for i in 0..n {
                    p[i * n + i] = 1.0;
                }
                for &(i, j, q) in &links {
                    if Some(i) != skip && Some(j) != skip {
                        p[i * n + j] = p[i * n + j].max(q);
                        p[j * n + i] = p[j * n + i].max(q);
                    }
                }
                for k in 0..n {
                    if Some(k) == skip {
                        continue;
                    }
                    for i in 0..n {
                        for j in 0..n {
                            p[i * n + j] = p[i * n + j].max(p[i * n + k] * p[k * n + j]);
                        }
                    }
                }
                p
            };
            let num = |skip: Option<usize>| {
                let p = pstar(skip);
                let mut t = 0.0;
                for i in 0..n {
                    for j in 0..n {
                        if Some(i) != skip && Some(j) != skip {
                            t += a[i] * a[j] * p[i * n + j];
                        }
                    }
                }
                t
            };
            let g = ProbabilityGraph::from_links(n, &links).unwrap();
            let r = probability_connectivity(&a, &g, 100.0).unwrap();
            let full = num(None);
            assert!(close(r.numerator, full, 1e-9 * full));
            for k in 0..n {
                let d = 100.0 * (full - num(Some(k))) / full;
                assert!(
                    close(r.nodes[k].d, d, 1e-7),
                    "k {k}: {} vs {d}",
                    r.nodes[k].d
                );
                assert!(r.nodes[k].connector > -1e-7);
            }
        }
    }

    #[test]
    fn iic_on_a_chain() {
        // Chain 0–1–2, a = (1, 1, 1): IICnum = 3·1 + 2·(1/2 + 1/2 + 1/3) = 17/3.
        let r = integral_index_connectivity(&[1.0, 1.0, 1.0], &[(0, 1), (1, 2)], 3.0).unwrap();
        assert!(close(r.numerator, 17.0 / 3.0, 1e-12));
        assert!(close(r.index, 17.0 / 27.0, 1e-12));
        // Removing the middle node leaves 2 isolated nodes: 2.
        let d1 = 100.0 * (17.0 / 3.0 - 2.0) / (17.0 / 3.0);
        assert!(close(r.nodes[1].d, d1, 1e-9));
        assert!(close(r.nodes[1].intra, 100.0 / (17.0 / 3.0), 1e-9));
        assert!(close(
            r.nodes[1].flux,
            100.0 * 2.0 * (0.5 + 0.5) / (17.0 / 3.0),
            1e-9
        ));
        // Unreachable pairs contribute nothing.
        let r = integral_index_connectivity(&[2.0, 3.0], &[], 5.0).unwrap();
        assert!(close(r.numerator, 13.0, 1e-12));
    }

    #[test]
    fn kernel_and_distance_matrix() {
        let k = DispersalKernel {
            distance: 1500.0,
            probability: 0.5,
        };
        assert!(close(k.probability_at(1500.0), 0.5, 1e-12));
        assert!(close(k.probability_at(3000.0), 0.25, 1e-12));
        let inf = f64::INFINITY;
        let d = [0.0, 1500.0, inf, 1500.0, 0.0, 3000.0, inf, 3000.0, 0.0];
        let g = ProbabilityGraph::from_distances(3, &d, &k, None).unwrap();
        let p = g.max_product_probabilities();
        assert!(close(p[2], 0.125, 1e-12));
        assert_eq!(components(&g), 1);
        let g = ProbabilityGraph::from_distances(3, &d, &k, Some(2000.0)).unwrap();
        assert_eq!(components(&g), 2);
        assert_eq!(
            ProbabilityGraph::binary_links_within(3, &d, 1500.0),
            vec![(0, 1)]
        );
        assert!(ProbabilityGraph::from_links(2, &[(0, 5, 0.5)]).is_err());
        assert!(ProbabilityGraph::from_links(2, &[(0, 1, 1.5)]).is_err());
        assert!(probability_connectivity(&[1.0, -1.0], &g, 1.0).is_err());
        assert!(DispersalKernel {
            distance: 0.0,
            probability: 0.5
        }
        .validate()
        .is_err());
    }
}
