//! Circuitscape's cell graph: one node per habitat cell (conductance > 0), every cell of a
//! short-circuit polygon merged into one node, edges to the 4 or 8 neighbours weighted by the
//! average conductance (or the conductance of the average resistance) of the two cells, and
//! diagonal edges divided by √2. The graph is stored as its Laplacian.

use crate::csr::Csr;
use crate::CircuitError;

/// Marks a cell without a node.
pub const NO_NODE: u32 = u32::MAX;

/// Neighbourhood of the cell graph.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Connectivity {
    /// Rook moves only (`connect_four_neighbors_only = True`).
    Four,
    /// Rook and bishop moves (Circuitscape's default).
    #[default]
    Eight,
}

/// How cell values become edge conductances.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct GraphOptions {
    pub connectivity: Connectivity,
    /// `connect_using_avg_resistances`: edge conductance = 1 / mean(1/g₁, 1/g₂) instead of
    /// mean(g₁, g₂).
    pub avg_resistances: bool,
}

impl GraphOptions {
    #[inline]
    fn edge(&self, g1: f64, g2: f64, diagonal: bool) -> f64 {
        let w = if self.avg_resistances {
            // 1/((1/g1 + 1/g2)/2); a zero-conductance end gives 0, as in Circuitscape.
            let s = 1.0 / g1 + 1.0 / g2;
            if s.is_finite() && s > 0.0 {
                2.0 / s
            } else {
                0.0
            }
        } else {
            (g1 + g2) / 2.0
        };
        if diagonal {
            w / std::f64::consts::SQRT_2
        } else {
            w
        }
    }
}

/// A raster cell graph.
#[derive(Debug, Clone)]
pub struct CellGraph {
    pub width: usize,
    pub height: usize,
    /// Node of each cell (row-major), [`NO_NODE`] where the cell is not part of the circuit.
    pub node_of_cell: Vec<u32>,
    pub n_nodes: usize,
    /// Graph Laplacian: off-diagonals −conductance, diagonal = sum of incident conductances.
    pub laplacian: Csr,
}

/// Node map of a conductance grid: habitat cells (g > 0) numbered row-major, then each polygon
/// (id ≠ 0) merged into the node of its first habitat cell — every cell of that polygon joins the
/// node, habitat or not, as Circuitscape does. Returns the map and the node count.
pub fn node_map(conductance: &[f64], polygons: Option<&[i64]>) -> (Vec<u32>, usize) {
    let mut map: Vec<u32> = Vec::with_capacity(conductance.len());
    let mut n: u32 = 0;
    for &g in conductance {
        if g > 0.0 {
            map.push(n);
            n += 1;
        } else {
            map.push(NO_NODE);
        }
    }
    let Some(poly) = polygons else {
        return (map, n as usize);
    };
    // First habitat node of each polygon id.
    let mut first: std::collections::HashMap<i64, u32> = std::collections::HashMap::new();
    for (i, &p) in poly.iter().enumerate() {
        if p != 0 && map[i] != NO_NODE {
            first.entry(p).or_insert(map[i]);
        }
    }
    if first.is_empty() {
        return (map, n as usize);
    }
    for (i, &p) in poly.iter().enumerate() {
        if p != 0 {
            if let Some(&node) = first.get(&p) {
                map[i] = node;
            }
        }
    }
    // Compact the labels, keeping their order.
    let mut used = vec![false; n as usize];
    for &m in &map {
        if m != NO_NODE {
            used[m as usize] = true;
        }
    }
    let mut new_label = vec![NO_NODE; n as usize];
    let mut k: u32 = 0;
    for (old, u) in used.iter().enumerate() {
        if *u {
            new_label[old] = k;
            k += 1;
        }
    }
    for m in map.iter_mut() {
        if *m != NO_NODE {
            *m = new_label[*m as usize];
        }
    }
    (map, k as usize)
}

impl CellGraph {
    /// Builds the graph of a `width × height` conductance grid (row-major; values ≤ 0 or NaN are
    /// barriers) with optional short-circuit polygon ids (0 = none).
    pub fn new(
        width: usize,
        height: usize,
        conductance: &[f64],
        polygons: Option<&[i64]>,
        opts: &GraphOptions,
    ) -> Result<CellGraph, CircuitError> {
        if conductance.len() != width * height {
            return Err(CircuitError::Input(format!(
                "conductance grid has {} cells, expected {width}×{height}",
                conductance.len()
            )));
        }
        if let Some(p) = polygons {
            if p.len() != conductance.len() {
                return Err(CircuitError::Input(format!(
                    "polygon grid has {} cells, expected {width}×{height}",
                    p.len()
                )));
            }
        }
        if width * height >= u32::MAX as usize {
            return Err(CircuitError::Input(format!(
                "{width}×{height} cells exceed the 4.29·10⁹ node limit; split the landscape"
            )));
        }
        let (node_of_cell, n_nodes) = node_map(conductance, polygons);
        let laplacian = grid_laplacian(width, height, conductance, &node_of_cell, n_nodes, opts);
        Ok(CellGraph {
            width,
            height,
            node_of_cell,
            n_nodes,
            laplacian,
        })
    }

    /// Connected components (see [`components`]).
    pub fn components(&self) -> Components {
        components(&self.laplacian)
    }
}

/// Neighbour offsets (dr, dc, diagonal) visited from each cell so that every edge is seen once.
fn forward_offsets(c: Connectivity) -> &'static [(i64, i64, bool)] {
    match c {
        Connectivity::Four => &[(0, 1, false), (1, 0, false)],
        Connectivity::Eight => &[(0, 1, false), (1, 0, false), (1, 1, true), (-1, 1, true)],
    }
}

fn grid_laplacian(
    width: usize,
    height: usize,
    g: &[f64],
    node: &[u32],
    n: usize,
    opts: &GraphOptions,
) -> Csr {
    let offs = forward_offsets(opts.connectivity);
    let cellval = |i: usize| {
        let v = g[i];
        if v > 0.0 {
            v
        } else {
            0.0
        }
    };
    // Visits every undirected edge (a, b, w) with a ≠ b and w ≠ 0.
    let for_each_edge = |f: &mut dyn FnMut(u32, u32, f64)| {
        for r in 0..height {
            for c in 0..width {
                let i = r * width + c;
                let a = node[i];
                if a == NO_NODE {
                    continue;
                }
                for &(dr, dc, diag) in offs {
                    let (rr, cc) = (r as i64 + dr, c as i64 + dc);
                    if rr < 0 || rr as usize >= height || cc as usize >= width {
                        continue;
                    }
                    let j = rr as usize * width + cc as usize;
                    let b = node[j];
                    if b == NO_NODE || b == a {
                        continue;
                    }
                    let w = opts.edge(cellval(i), cellval(j), diag);
                    if w != 0.0 && w.is_finite() {
                        f(a, b, w);
                    }
                }
            }
        }
    };
    // Pass 1: count entries per row (both directions + diagonal).
    let mut row_ptr = vec![0usize; n + 1];
    for_each_edge(&mut |a, b, _| {
        row_ptr[a as usize + 1] += 1;
        row_ptr[b as usize + 1] += 1;
    });
    for (i, v) in row_ptr.iter_mut().enumerate().skip(1) {
        let _ = i;
        *v += 1; // diagonal slot
    }
    for i in 0..n {
        row_ptr[i + 1] += row_ptr[i];
    }
    let nnz = row_ptr[n];
    let mut col = vec![0u32; nnz];
    let mut val = vec![0f64; nnz];
    let mut next: Vec<usize> = row_ptr[..n].to_vec();
    for (i, nx) in next.iter_mut().enumerate() {
        col[*nx] = i as u32;
        val[*nx] = 0.0;
        *nx += 1;
    }
    for_each_edge(&mut |a, b, w| {
        let (au, bu) = (a as usize, b as usize);
        col[next[au]] = b;
        val[next[au]] = -w;
        next[au] += 1;
        col[next[bu]] = a;
        val[next[bu]] = -w;
        next[bu] += 1;
        val[row_ptr[au]] += w;
        val[row_ptr[bu]] += w;
    });
    drop(next);
    let mut l = Csr {
        nrows: n,
        ncols: n,
        row_ptr,
        col,
        val,
    };
    // Rows of merged polygon nodes may repeat a neighbour: sort and sum (in place).
    l.sort_and_sum_duplicates();
    l
}

/// Laplacian of a network given as undirected weighted edges on nodes `0..n` (duplicate
/// edges are summed, self loops ignored).
pub fn network_laplacian(n: usize, edges: &[(u32, u32, f64)]) -> Csr {
    let mut trip = Vec::with_capacity(edges.len() * 2 + n);
    let mut diag = vec![0.0; n];
    for &(a, b, w) in edges {
        if a == b || w == 0.0 {
            continue;
        }
        trip.push((a, b, -w));
        trip.push((b, a, -w));
        diag[a as usize] += w;
        diag[b as usize] += w;
    }
    for (i, d) in diag.iter().enumerate() {
        trip.push((i as u32, i as u32, *d));
    }
    Csr::from_triplets(n, n, &trip)
}

/// Connected components of a Laplacian's graph (nonzero off-diagonals are edges).
#[derive(Debug, Clone)]
pub struct Components {
    /// Component index of each node.
    pub of_node: Vec<u32>,
    /// Node lists, each sorted ascending; components ordered by their smallest node.
    pub nodes: Vec<Vec<u32>>,
}

impl Components {
    /// Position of `node` within its component's node list.
    pub fn local_index(&self, node: u32) -> usize {
        let c = &self.nodes[self.of_node[node as usize] as usize];
        c.binary_search(&node).expect("node in its component")
    }
}

/// Connected components by depth-first search.
pub fn components(l: &Csr) -> Components {
    let n = l.nrows;
    let mut of_node = vec![u32::MAX; n];
    let mut count: u32 = 0;
    let mut stack: Vec<u32> = Vec::new();
    for s in 0..n {
        if of_node[s] != u32::MAX {
            continue;
        }
        of_node[s] = count;
        stack.push(s as u32);
        while let Some(v) = stack.pop() {
            let (c, x) = l.row(v as usize);
            for (&w, &wv) in c.iter().zip(x) {
                if wv == 0.0 || of_node[w as usize] != u32::MAX {
                    continue;
                }
                of_node[w as usize] = count;
                stack.push(w);
            }
        }
        count += 1;
    }
    let mut sizes = vec![0usize; count as usize];
    for &c in &of_node {
        sizes[c as usize] += 1;
    }
    let mut nodes: Vec<Vec<u32>> = sizes.iter().map(|&s| Vec::with_capacity(s)).collect();
    for (v, &c) in of_node.iter().enumerate() {
        nodes[c as usize].push(v as u32);
    }
    Components { of_node, nodes }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn four_and_eight_neighbour_weights() {
        // 2×2 grid, conductances 1, 2 / 3, 4.
        let g = [1.0, 2.0, 3.0, 4.0];
        let o4 = GraphOptions {
            connectivity: Connectivity::Four,
            avg_resistances: false,
        };
        let cg = CellGraph::new(2, 2, &g, None, &o4).unwrap();
        assert_eq!(cg.n_nodes, 4);
        // node 0 connects to 1 (1.5) and 2 (2.0)
        assert_eq!(cg.laplacian.row(0).1, &[3.5, -1.5, -2.0]);
        let o8 = GraphOptions {
            connectivity: Connectivity::Eight,
            avg_resistances: true,
        };
        let cg = CellGraph::new(2, 2, &g, None, &o8).unwrap();
        // diagonal 0–3: 1/(√2·(1/1+1/4)/2)
        let d = 1.0 / (2f64.sqrt() * (1.0 + 0.25) / 2.0);
        let (c, v) = cg.laplacian.row(0);
        assert_eq!(c, &[0, 1, 2, 3]);
        assert!((v[3] + d).abs() < 1e-15);
        // row sums are zero
        for i in 0..4 {
            let s: f64 = cg.laplacian.row(i).1.iter().sum();
            assert!(s.abs() < 1e-12);
        }
    }

    #[test]
    fn polygons_merge_cells_and_barriers_split_components() {
        // 1×5: habitat, barrier, habitat, habitat, habitat; polygon 7 over cells 2 and 4.
        let g = [1.0, 0.0, 1.0, 1.0, 1.0];
        let poly = [0i64, 0, 7, 0, 7];
        let cg = CellGraph::new(5, 1, &g, Some(&poly), &GraphOptions::default()).unwrap();
        assert_eq!(cg.n_nodes, 3);
        assert_eq!(cg.node_of_cell[2], cg.node_of_cell[4]);
        assert_eq!(cg.node_of_cell[1], NO_NODE);
        let comps = cg.components();
        assert_eq!(comps.nodes.len(), 2);
        // merged node has two parallel unit edges to the middle cell: conductance 2
        let m = cg.node_of_cell[3] as usize;
        assert_eq!(
            cg.laplacian
                .row(m)
                .1
                .iter()
                .filter(|v| **v < 0.0)
                .sum::<f64>(),
            -2.0
        );
    }
}
