//! Ecological nodes (生态节点), METHODS §3.5 "planning outputs": points where corridors meet
//! (least-cost path junctions), where corridors cross barriers (Barrier Mapper scores), and where
//! they cross main roads or rivers (when those layers are given as masks on the same grid).
//!
//! Rules (documented choices):
//! * **junction 廊道交汇点**: a path cell outside the cores where the set of corridors using the
//!   cell changes along a path and at least two corridors use it (paths that merge, split or
//!   cross), plus diagonal crossings of two paths that share no cell;
//! * **barrier 廊道障碍点**: path cells with a barrier score ≥ `barrier_threshold`;
//! * **road / river crossing 廊道-道路/河流交叉点**: path cells inside the road / river mask.
//!
//! Marked cells of one kind that touch (8-neighbourhood, or within `merge_cells`) form one node,
//! placed at the marked cell nearest the cluster's mean position (barriers: at the highest score).

use ecoplan_grid::{Cell, Grid, GridSpec};
use std::collections::{BTreeMap, BTreeSet, HashMap};

/// Kind of an ecological node.
#[derive(
    Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, serde::Serialize, serde::Deserialize,
)]
#[serde(rename_all = "snake_case")]
pub enum NodeKind {
    Junction,
    Barrier,
    Road,
    River,
}

impl NodeKind {
    pub fn zh(self) -> &'static str {
        match self {
            NodeKind::Junction => "廊道交汇点",
            NodeKind::Barrier => "廊道障碍点",
            NodeKind::Road => "廊道-道路交叉点",
            NodeKind::River => "廊道-河流交叉点",
        }
    }
    pub fn en(self) -> &'static str {
        match self {
            NodeKind::Junction => "corridor junction",
            NodeKind::Barrier => "corridor barrier",
            NodeKind::Road => "corridor × road crossing",
            NodeKind::River => "corridor × river crossing",
        }
    }
}

/// One ecological node.
#[derive(Debug, Clone, PartialEq, serde::Serialize, serde::Deserialize)]
pub struct EcoNode {
    pub id: u32,
    pub kind: NodeKind,
    pub col: usize,
    pub row: usize,
    /// Cell centre in map coordinates.
    pub x: f64,
    pub y: f64,
    /// Ids of the corridors (links) through the node's cells.
    pub links: Vec<u32>,
    /// Barrier score at the node (barrier nodes).
    pub score: Option<f64>,
    /// Number of marked cells merged into the node.
    pub cells: usize,
}

/// Parameters of [`ecological_nodes`].
#[derive(Debug, Clone, PartialEq, serde::Serialize, serde::Deserialize)]
pub struct NodeParams {
    /// Barrier score at or above which a path cell is a barrier node. Default: any positive
    /// improvement score (`f64::MIN_POSITIVE`).
    pub barrier_threshold: f64,
    /// Marked cells within this many cells (Chebyshev) merge into one node. Default 1.
    pub merge_cells: usize,
}

impl Default for NodeParams {
    fn default() -> Self {
        NodeParams {
            barrier_threshold: f64::MIN_POSITIVE,
            merge_cells: 1,
        }
    }
}

/// Optional layers, all aligned with the grid of the paths.
#[derive(Debug, Clone, Copy, Default)]
pub struct NodeLayers<'a, C: Cell> {
    /// Core / source ids (cells > 0 are excluded from junctions).
    pub cores: Option<&'a Grid<C>>,
    /// Barrier improvement score (e.g. [`crate::corridors::BarrierOutput::centers`]).
    pub barrier: Option<&'a Grid<f32>>,
    /// Main roads (cells ≠ 0).
    pub roads: Option<&'a Grid<u8>>,
    /// Rivers (cells ≠ 0).
    pub rivers: Option<&'a Grid<u8>>,
}

#[derive(Debug, thiserror::Error, Clone, PartialEq)]
pub enum NodesError {
    #[error("生态节点输入未对齐 node layers are not aligned: {0}")]
    NotAligned(String),
    #[error("路径像元越界 path cell {0} is outside the grid")]
    BadCell(usize),
}

/// Finds ecological nodes along corridor paths `(link id, cells)` (module docs).
pub fn ecological_nodes<C: Cell>(
    spec: &GridSpec,
    paths: &[(u32, &[usize])],
    layers: &NodeLayers<'_, C>,
    params: &NodeParams,
) -> Result<Vec<EcoNode>, NodesError> {
    let (w, h) = (spec.width, spec.height);
    let mut problems = Vec::new();
    if let Some(g) = layers.cores {
        if let Err(e) = spec.check_aligned(&g.spec()) {
            problems.push(format!("cores: {e}"));
        }
    }
    if let Some(g) = layers.barrier {
        if let Err(e) = spec.check_aligned(&g.spec()) {
            problems.push(format!("barriers: {e}"));
        }
    }
    for (name, g) in [("roads", layers.roads), ("rivers", layers.rivers)] {
        if let Some(g) = g {
            if let Err(e) = spec.check_aligned(&g.spec()) {
                problems.push(format!("{name}: {e}"));
            }
        }
    }
    if !problems.is_empty() {
        return Err(NodesError::NotAligned(problems.join("; ")));
    }
    if let Some(&c) = paths.iter().flat_map(|p| p.1.iter()).find(|&&c| c >= w * h) {
        return Err(NodesError::BadCell(c));
    }
    let in_core = |i: usize| {
        layers.cores.is_some_and(|g| {
            let v = g.data[i];
            !g.is_nodata(v) && v.to_f64() > 0.0
        })
    };
    // Links through each path cell.
    let mut users: HashMap<usize, BTreeSet<u32>> = HashMap::new();
    for (id, cells) in paths {
        for &c in cells.iter() {
            users.entry(c).or_default().insert(*id);
        }
    }
    let mut marked: BTreeMap<NodeKind, BTreeMap<usize, f64>> = BTreeMap::new();
    let mut mark = |kind: NodeKind, cell: usize, score: f64| {
        let e = marked.entry(kind).or_default().entry(cell).or_insert(score);
        if score > *e {
            *e = score;
        }
    };
    for (id, cells) in paths {
        // Junctions: changes of the user set along the path.
        for k in 1..cells.len() {
            let (p, c) = (cells[k - 1], cells[k]);
            let (sp, sc) = (&users[&p], &users[&c]);
            if sp != sc {
                if sc.len() >= 2 && !in_core(c) {
                    mark(NodeKind::Junction, c, 0.0);
                }
                if sp.len() >= 2 && !in_core(p) {
                    mark(NodeKind::Junction, p, 0.0);
                }
            }
            // Diagonal crossing of another path between the two other cells of the 2×2 block.
            let (rp, cp, rc, cc) = (p / w, p % w, c / w, c % w);
            if rp != rc && cp != cc {
                let q1 = rp * w + cc;
                let q2 = rc * w + cp;
                if let (Some(a), Some(b)) = (users.get(&q1), users.get(&q2)) {
                    if a.iter().any(|m| *m != *id && b.contains(m)) && !in_core(p) {
                        mark(NodeKind::Junction, p, 0.0);
                    }
                }
            }
        }
        for &c in cells.iter() {
            if let Some(b) = layers.barrier {
                let v = b.data[c];
                if !b.is_nodata(v) && v as f64 >= params.barrier_threshold {
                    mark(NodeKind::Barrier, c, v as f64);
                }
            }
            if layers
                .roads
                .is_some_and(|g| g.data[c] != 0 && !g.is_nodata(g.data[c]))
            {
                mark(NodeKind::Road, c, 0.0);
            }
            if layers
                .rivers
                .is_some_and(|g| g.data[c] != 0 && !g.is_nodata(g.data[c]))
            {
                mark(NodeKind::River, c, 0.0);
            }
        }
    }
    let mut nodes = Vec::new();
    let reach = params.merge_cells.max(1) as i64;
    for (kind, cells) in &marked {
        for cluster in clusters(cells.keys().copied().collect(), w, h, reach) {
            let links: BTreeSet<u32> = cluster
                .iter()
                .flat_map(|c| users[c].iter().copied())
                .collect();
            if *kind == NodeKind::Junction && links.len() < 2 {
                continue;
            }
            let at = if *kind == NodeKind::Barrier {
                *cluster
                    .iter()
                    .max_by(|a, b| cells[a].total_cmp(&cells[b]).then(b.cmp(a)))
                    .expect("non-empty")
            } else {
                let n = cluster.len() as f64;
                let (mr, mc) = cluster.iter().fold((0.0, 0.0), |(r, c), &i| {
                    (r + (i / w) as f64 / n, c + (i % w) as f64 / n)
                });
                *cluster
                    .iter()
                    .min_by(|&&a, &&b| {
                        let d = |i: usize| {
                            ((i / w) as f64 - mr).powi(2) + ((i % w) as f64 - mc).powi(2)
                        };
                        d(a).total_cmp(&d(b)).then(a.cmp(&b))
                    })
                    .expect("non-empty")
            };
            let (col, row) = (at % w, at / w);
            let (x, y) = spec.transform.cell_center(col, row);
            nodes.push(EcoNode {
                id: 0,
                kind: *kind,
                col,
                row,
                x,
                y,
                links: links.into_iter().collect(),
                score: (*kind == NodeKind::Barrier).then(|| cells[&at]),
                cells: cluster.len(),
            });
        }
    }
    nodes.sort_by(|a, b| (a.kind, a.row, a.col).cmp(&(b.kind, b.row, b.col)));
    for (k, n) in nodes.iter_mut().enumerate() {
        n.id = k as u32 + 1;
    }
    Ok(nodes)
}

/// Groups cells whose rows and columns both differ by at most `reach`.
fn clusters(cells: BTreeSet<usize>, w: usize, h: usize, reach: i64) -> Vec<Vec<usize>> {
    let mut left = cells;
    let mut out = Vec::new();
    while let Some(&start) = left.iter().next() {
        left.remove(&start);
        let mut cluster = vec![start];
        let mut k = 0;
        while k < cluster.len() {
            let c = cluster[k];
            let (r, col) = ((c / w) as i64, (c % w) as i64);
            for dr in -reach..=reach {
                for dc in -reach..=reach {
                    let (r2, c2) = (r + dr, col + dc);
                    if r2 < 0 || c2 < 0 || r2 >= h as i64 || c2 >= w as i64 {
                        continue;
                    }
                    let j = r2 as usize * w + c2 as usize;
                    if left.remove(&j) {
                        cluster.push(j);
                    }
                }
            }
            k += 1;
        }
        out.push(cluster);
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use ecoplan_grid::GeoTransform;

    fn spec(w: usize, h: usize) -> GridSpec {
        GridSpec::new(w, h, GeoTransform::north_up(0.0, h as f64, 1.0), None)
    }

    #[test]
    fn crossing_paths_make_one_junction() {
        let s = spec(9, 9);
        // Horizontal path on row 4 and vertical path on column 4: they share cell (4,4).
        let horiz: Vec<usize> = (0..9).map(|c| 4 * 9 + c).collect();
        let vert: Vec<usize> = (0..9).map(|r| r * 9 + 4).collect();
        let nodes = ecological_nodes::<u8>(
            &s,
            &[(1, &horiz), (2, &vert)],
            &NodeLayers::default(),
            &NodeParams::default(),
        )
        .unwrap();
        assert_eq!(nodes.len(), 1);
        assert_eq!(
            (nodes[0].col, nodes[0].row, nodes[0].kind),
            (4, 4, NodeKind::Junction)
        );
        assert_eq!(nodes[0].links, vec![1, 2]);
        assert_eq!(NodeKind::Junction.zh(), "廊道交汇点");
    }

    #[test]
    fn diagonal_crossing_without_shared_cell_is_found() {
        let s = spec(6, 6);
        let a: Vec<usize> = (0..6).map(|k| k * 6 + k).collect(); // main diagonal
        let b: Vec<usize> = vec![2 * 6 + 3, 3 * 6 + 2]; // anti-diagonal step crossing it between rows 2–3
        let nodes = ecological_nodes::<u8>(
            &s,
            &[(1, &a), (2, &b)],
            &NodeLayers::default(),
            &NodeParams::default(),
        )
        .unwrap();
        assert_eq!(
            nodes
                .iter()
                .filter(|n| n.kind == NodeKind::Junction)
                .count(),
            1
        );
    }

    #[test]
    fn merging_paths_give_merge_and_split_points_and_road_crossings() {
        // Paths share the middle stretch of row 5 (cols 3..=6), then part.
        let s = spec(10, 10);
        let a: Vec<usize> = vec![
            2 * 10 + 0,
            3 * 10 + 1,
            4 * 10 + 2,
            5 * 10 + 3,
            5 * 10 + 4,
            5 * 10 + 5,
            5 * 10 + 6,
            4 * 10 + 7,
            3 * 10 + 8,
        ];
        let b: Vec<usize> = vec![
            8 * 10 + 0,
            7 * 10 + 1,
            6 * 10 + 2,
            5 * 10 + 3,
            5 * 10 + 4,
            5 * 10 + 5,
            5 * 10 + 6,
            6 * 10 + 7,
            7 * 10 + 8,
        ];
        let mut roads = Grid::filled(&s, 0u8, None);
        for r in 0..10 {
            roads.data[r * 10 + 8] = 1; // a road along column 8
        }
        let layers = NodeLayers::<u8> {
            roads: Some(&roads),
            ..Default::default()
        };
        let nodes =
            ecological_nodes(&s, &[(1, &a), (2, &b)], &layers, &NodeParams::default()).unwrap();
        let j: Vec<_> = nodes
            .iter()
            .filter(|n| n.kind == NodeKind::Junction)
            .collect();
        assert_eq!(j.len(), 2, "{nodes:?}");
        assert_eq!((j[0].col, j[1].col), (3, 6));
        let r: Vec<_> = nodes.iter().filter(|n| n.kind == NodeKind::Road).collect();
        assert_eq!(r.len(), 2);
        assert!(r.iter().all(|n| n.col == 8 && n.links.len() == 1));
    }
}
