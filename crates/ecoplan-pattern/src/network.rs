//! Network structure indices of an ecological network (生态网络结构指数): α (闭合度),
//! β (线点率), γ (连接度) for a planar network of V nodes (sources) and L links (corridors),
//! and the network cost ratio (METHODS §3.6).
//!
//! * α = (L − V + 1) / (2V − 5)
//! * β = L / V
//! * γ = L / (3(V − 2))
//! * cost ratio = 1 − Σ corridor length / Σ least-cost distance
//!
//! ```
//! use ecoplan_pattern::network::network_indices;
//! // Turpan (吐鲁番) example: 18 sources, 26 corridors.
//! let n = network_indices(18, 26).unwrap();
//! assert!((n.alpha - 0.290).abs() < 5e-4 && (n.beta - 1.444).abs() < 5e-4 && (n.gamma - 0.542).abs() < 5e-4);
//! ```

use ecoplan_grid::Grid;
use serde::{Deserialize, Serialize};
use std::collections::BTreeSet;

/// Errors of network indices.
#[derive(Debug, thiserror::Error, Clone, PartialEq)]
pub enum NetworkError {
    #[error("α and γ need at least 3 nodes (sources 源地); got {0}")]
    TooFewNodes(usize),
    #[error("link {index} joins node {node}, but there are only {nodes} nodes (0-based ids)")]
    NodeOutOfRange {
        index: usize,
        node: usize,
        nodes: usize,
    },
    #[error("link {0} joins a node to itself")]
    SelfLoop(usize),
    #[error("{what}: {problem}")]
    InvalidLength { what: &'static str, problem: String },
}

/// α, β, γ of one network.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct NetworkIndices {
    pub nodes: usize,
    pub links: usize,
    /// Circuitry 闭合度 (L − V + 1)/(2V − 5).
    pub alpha: f64,
    /// Links per node 线点率 L/V.
    pub beta: f64,
    /// Connectivity 连接度 L/(3(V − 2)).
    pub gamma: f64,
}

/// Indices from the counts of nodes and links.
pub fn network_indices(nodes: usize, links: usize) -> Result<NetworkIndices, NetworkError> {
    if nodes < 3 {
        return Err(NetworkError::TooFewNodes(nodes));
    }
    let (v, l) = (nodes as f64, links as f64);
    Ok(NetworkIndices {
        nodes,
        links,
        alpha: (l - v + 1.0) / (2.0 * v - 5.0),
        beta: l / v,
        gamma: l / (3.0 * (v - 2.0)),
    })
}

/// Distinct undirected links among `nodes` nodes (duplicates and reversed pairs counted once).
pub fn distinct_links(
    nodes: usize,
    links: &[(usize, usize)],
) -> Result<BTreeSet<(usize, usize)>, NetworkError> {
    let mut set = BTreeSet::new();
    for (index, &(a, b)) in links.iter().enumerate() {
        for node in [a, b] {
            if node >= nodes {
                return Err(NetworkError::NodeOutOfRange { index, node, nodes });
            }
        }
        if a == b {
            return Err(NetworkError::SelfLoop(index));
        }
        set.insert((a.min(b), a.max(b)));
    }
    Ok(set)
}

/// Indices before and after adding planned corridors (规划廊道) to the same node set.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct NetworkComparison {
    pub before: NetworkIndices,
    pub after: NetworkIndices,
    /// Planned links that were not already in the network.
    pub added_links: usize,
}

/// Compares the existing network with existing + planned links (planned links that duplicate
/// existing ones are not counted twice).
pub fn compare_planned(
    nodes: usize,
    existing: &[(usize, usize)],
    planned: &[(usize, usize)],
) -> Result<NetworkComparison, NetworkError> {
    let before_set = distinct_links(nodes, existing)?;
    let planned_set = distinct_links(nodes, planned)?;
    let after_count = before_set.union(&planned_set).count();
    Ok(NetworkComparison {
        before: network_indices(nodes, before_set.len())?,
        after: network_indices(nodes, after_count)?,
        added_links: after_count - before_set.len(),
    })
}

/// Network cost ratio 1 − Σ corridor length / Σ least-cost distance (METHODS §3.6).
pub fn cost_ratio(
    corridor_lengths: &[f64],
    least_cost_distances: &[f64],
) -> Result<f64, NetworkError> {
    let check = |what: &'static str, v: &[f64]| -> Result<f64, NetworkError> {
        if let Some(x) = v.iter().find(|x| !x.is_finite() || **x < 0.0) {
            return Err(NetworkError::InvalidLength {
                what,
                problem: format!("{x} is not a finite non-negative length"),
            });
        }
        Ok(v.iter().sum())
    };
    let total = check("corridor lengths", corridor_lengths)?;
    let lcd = check("least-cost distances", least_cost_distances)?;
    if lcd == 0.0 {
        return Err(NetworkError::InvalidLength {
            what: "least-cost distances",
            problem: "they sum to 0".into(),
        });
    }
    Ok(1.0 - total / lcd)
}

/// A link a planned corridor (规划廊道) adds between two sources (1-based ids).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct PlannedLink {
    /// Index of the planned corridor in the caller's list.
    pub corridor: usize,
    pub source_a: u32,
    pub source_b: u32,
}

/// Links that planned corridors add between the sources they join.
///
/// `patches` holds source ids 1..=n (0 elsewhere), `centroids[k]` is the centroid of source
/// `k + 1` (map units), and each corridor is the list of grid cells it covers (a rasterized
/// line or polygon, any order). A corridor joins the sources whose cells it covers or touches
/// (8 neighbours, so a line ending at a patch edge counts). It adds `k − 1` links among the `k`
/// sources it joins: the minimum spanning tree of their centroid distances, so a corridor
/// running A → B → C adds A–B and B–C, not A–C. Corridors joining fewer than two sources add
/// nothing (the caller reports them).
pub fn planned_links(
    patches: &Grid<u32>,
    centroids: &[(f64, f64)],
    corridors: &[Vec<usize>],
) -> Vec<PlannedLink> {
    let (w, h) = (patches.width, patches.height);
    let mut out = Vec::new();
    for (k, cells) in corridors.iter().enumerate() {
        let mut joined: BTreeSet<u32> = BTreeSet::new();
        for &i in cells {
            if i >= w * h {
                continue;
            }
            let (r, c) = ((i / w) as i64, (i % w) as i64);
            for dr in -1..=1 {
                for dc in -1..=1 {
                    let (rr, cc) = (r + dr, c + dc);
                    if rr < 0 || cc < 0 || rr >= h as i64 || cc >= w as i64 {
                        continue;
                    }
                    let id = patches.data[rr as usize * w + cc as usize];
                    if id != 0 && (id as usize) <= centroids.len() {
                        joined.insert(id);
                    }
                }
            }
        }
        let ids: Vec<u32> = joined.into_iter().collect();
        if ids.len() < 2 {
            continue;
        }
        // Prim's minimum spanning tree on centroid distances (k is small).
        let dist = |a: u32, b: u32| {
            let (p, q) = (centroids[a as usize - 1], centroids[b as usize - 1]);
            (p.0 - q.0).hypot(p.1 - q.1)
        };
        let mut in_tree = vec![false; ids.len()];
        in_tree[0] = true;
        for _ in 1..ids.len() {
            let mut best: Option<(f64, usize, usize)> = None;
            for (x, &tx) in in_tree.iter().enumerate() {
                if !tx {
                    continue;
                }
                for (y, &ty) in in_tree.iter().enumerate() {
                    if ty {
                        continue;
                    }
                    let d = dist(ids[x], ids[y]);
                    if best.is_none_or(|(bd, _, _)| d < bd) {
                        best = Some((d, x, y));
                    }
                }
            }
            let (_, x, y) = best.expect("a node outside the tree remains");
            in_tree[y] = true;
            let (a, b) = (ids[x].min(ids[y]), ids[x].max(ids[y]));
            out.push(PlannedLink {
                corridor: k,
                source_a: a,
                source_b: b,
            });
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn turpan_worked_example() {
        // METHODS §3.6: V = 18, L = 26 → α = 0.290, β = 1.444, γ = 0.542 (paper: 0.29/1.44/0.54).
        let n = network_indices(18, 26).unwrap();
        assert!((n.alpha - 9.0 / 31.0).abs() < 1e-12);
        assert!((n.beta - 26.0 / 18.0).abs() < 1e-12);
        assert!((n.gamma - 26.0 / 48.0).abs() < 1e-12);
        assert_eq!(
            (
                format!("{:.3}", n.alpha),
                format!("{:.3}", n.beta),
                format!("{:.3}", n.gamma)
            ),
            ("0.290".into(), "1.444".into(), "0.542".into())
        );
    }

    #[test]
    fn planar_bounds() {
        // Maximal planar network: L = 3V − 6 → γ = 1 and α = 1; a tree: L = V − 1 → α = 0.
        let full = network_indices(10, 24).unwrap();
        assert!((full.gamma - 1.0).abs() < 1e-12 && (full.alpha - 1.0).abs() < 1e-12);
        assert_eq!(network_indices(10, 9).unwrap().alpha, 0.0);
        assert!(matches!(
            network_indices(2, 1),
            Err(NetworkError::TooFewNodes(2))
        ));
    }

    #[test]
    fn planned_links_raise_gamma() {
        // Ring of 5 nodes plus two planned chords, one of which duplicates an existing link.
        let ring = [(0, 1), (1, 2), (2, 3), (3, 4), (4, 0)];
        let planned = [(0, 2), (1, 0)];
        let c = compare_planned(5, &ring, &planned).unwrap();
        assert_eq!((c.before.links, c.after.links, c.added_links), (5, 6, 1));
        assert!((c.before.gamma - 5.0 / 9.0).abs() < 1e-12);
        assert!((c.after.gamma - 6.0 / 9.0).abs() < 1e-12);
        assert!(compare_planned(5, &ring, &[(0, 7)]).is_err());
        assert!(matches!(
            distinct_links(3, &[(1, 1)]),
            Err(NetworkError::SelfLoop(0))
        ));
    }

    #[test]
    fn cost_ratio_of_corridors() {
        assert!((cost_ratio(&[30.0, 20.0], &[100.0, 100.0]).unwrap() - 0.75).abs() < 1e-12);
        assert!(cost_ratio(&[1.0], &[0.0]).is_err());
        assert!(cost_ratio(&[-1.0], &[2.0]).is_err());
    }

    #[test]
    fn planned_corridor_lines_join_the_sources_they_touch() {
        // 10×3 grid: sources 1 (cols 0–1), 2 (cols 4–5), 3 (cols 8–9) in row 1.
        let mut data = vec![0u32; 30];
        for (id, cols) in [(1u32, 0..2), (2, 4..6), (3, 8..10)] {
            for c in cols {
                data[10 + c] = id;
            }
        }
        let patches = Grid::from_rows(10, 3, data).unwrap();
        let centroids = [(1.0, 1.0), (5.0, 1.0), (9.0, 1.0)];
        // Corridor 0 runs along row 0 over the whole width (touches all three diagonally):
        // A–B and B–C, not A–C. Corridor 1 covers cols 2–3 of row 1 only: it touches 1 and 2.
        // Corridor 2 touches source 3 only: nothing.
        let row0: Vec<usize> = (0..10).collect();
        let links = planned_links(&patches, &centroids, &[row0, vec![12, 13], vec![27]]);
        let pairs: Vec<(usize, u32, u32)> = links
            .iter()
            .map(|l| (l.corridor, l.source_a, l.source_b))
            .collect();
        assert_eq!(pairs, vec![(0, 1, 2), (0, 2, 3), (1, 1, 2)]);
    }

    #[test]
    fn planned_corridor_changes_gamma_by_hand() {
        // V = 5 sources, existing links 1–2, 2–3, 3–4, 4–5 (a chain, 0-based below):
        // γ = 4/(3·3) = 0.4444; α = (4 − 5 + 1)/(10 − 5) = 0.
        // A planned corridor joins 1 and 5 (closes the ring): L = 5, γ = 5/9 = 0.5556,
        // α = 1/5 = 0.2, β 0.8 → 1.0, Δγ = 1/9.
        let existing = [(0, 1), (1, 2), (2, 3), (3, 4)];
        let c = compare_planned(5, &existing, &[(0, 4)]).unwrap();
        assert_eq!(c.added_links, 1);
        assert!((c.before.gamma - 4.0 / 9.0).abs() < 1e-12);
        assert!((c.after.gamma - 5.0 / 9.0).abs() < 1e-12);
        assert!((c.after.gamma - c.before.gamma - 1.0 / 9.0).abs() < 1e-12);
        assert!(c.before.alpha.abs() < 1e-12 && (c.after.alpha - 0.2).abs() < 1e-12);
        assert!((c.before.beta - 0.8).abs() < 1e-12 && (c.after.beta - 1.0).abs() < 1e-12);
    }
}
