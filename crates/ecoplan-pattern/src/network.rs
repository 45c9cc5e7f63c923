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
}
