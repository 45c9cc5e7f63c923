//! Class raster → polygons (GDAL `Polygonize` / `rasterio.features.shapes` equivalent).
//!
//! Each connected region of equal cells (4-connected by default, as in GDAL; 8 optional) becomes
//! one polygon feature with a `value` field. Polygons follow cell edges, carry their holes, have
//! only corner vertices, exterior rings counter-clockwise and holes clockwise (RFC 7946), and are
//! valid: where two cells of a region touch only at a corner, the boundary is split there, so
//! rings never cross or touch themselves (a hole may touch its exterior ring at one vertex, which
//! OGC allows). Rasterizing the result with the pixel-centre rule reproduces the raster.
//!
//! ```
//! use ecoplan_grid::Grid;
//! use ecoplan_io::vector::{polygonize, planar_area, PolygonizeOptions};
//! let g = Grid::from_rows(3, 3, vec![1u8, 1, 1, 1, 2, 1, 1, 1, 1]).unwrap();
//! let layer = polygonize(&g, &PolygonizeOptions::default());
//! assert_eq!(layer.features.len(), 2);
//! let ring = layer.features[0].geometry.as_ref().unwrap();
//! assert_eq!(planar_area(ring), 8.0); // 3×3 minus the 1-cell hole
//! ```

use super::{FieldType, FieldValue, Layer};
use ecoplan_grid::{Cell, Grid};
use geo_types::{Coord, Geometry, LineString, Polygon};

/// Which neighbours join cells into one region.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub enum Connectivity {
    /// Edge neighbours only (GDAL's default).
    #[default]
    Four,
    /// Edge and corner neighbours (GDAL `8CONNECTED=8`).
    Eight,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct PolygonizeOptions {
    pub connectivity: Connectivity,
    /// Leave nodata (and NaN) cells out, like `gdal_polygonize` with the band's mask; with `false`
    /// nodata regions become polygons too (`rasterio.features.shapes` without a mask).
    pub skip_nodata: bool,
}

impl Default for PolygonizeOptions {
    fn default() -> Self {
        PolygonizeOptions {
            connectivity: Connectivity::Four,
            skip_nodata: true,
        }
    }
}

const NONE: u32 = u32::MAX;

fn find(parent: &mut [u32], mut x: u32) -> u32 {
    while parent[x as usize] != x {
        let p = parent[x as usize];
        parent[x as usize] = parent[p as usize];
        x = p;
    }
    x
}

/// Region label of every cell (`NONE` for skipped cells) and the number of regions; regions are
/// numbered in order of their first cell in row-major order.
fn label<T: Cell>(grid: &Grid<T>, opts: &PolygonizeOptions) -> (Vec<u32>, usize) {
    let (w, h) = (grid.width, grid.height);
    let mut labels = vec![NONE; w * h];
    let mut parent: Vec<u32> = Vec::new();
    let skip = |v: T| (opts.skip_nodata && grid.is_nodata(v)) || v.is_nan();
    for r in 0..h {
        for c in 0..w {
            let i = r * w + c;
            let v = grid.data[i];
            if skip(v) {
                continue;
            }
            let mut neigh = [NONE; 4];
            let mut k = 0;
            let consider = |j: usize, neigh: &mut [u32; 4], k: &mut usize| {
                if labels[j] != NONE && grid.data[j] == v {
                    neigh[*k] = labels[j];
                    *k += 1;
                }
            };
            if c > 0 {
                consider(i - 1, &mut neigh, &mut k);
            }
            if r > 0 {
                consider(i - w, &mut neigh, &mut k);
                if opts.connectivity == Connectivity::Eight {
                    if c > 0 {
                        consider(i - w - 1, &mut neigh, &mut k);
                    }
                    if c + 1 < w {
                        consider(i - w + 1, &mut neigh, &mut k);
                    }
                }
            }
            if k == 0 {
                let l = parent.len() as u32;
                parent.push(l);
                labels[i] = l;
            } else {
                let mut root = find(&mut parent, neigh[0]);
                for &n in &neigh[1..k] {
                    let rn = find(&mut parent, n);
                    if rn != root {
                        let (lo, hi) = if rn < root { (rn, root) } else { (root, rn) };
                        parent[hi as usize] = lo;
                        root = lo;
                    }
                }
                labels[i] = root;
            }
        }
    }
    // Dense ids in first-cell order (roots are the smallest provisional label of their set,
    // and provisional labels are created in row-major order).
    let mut dense = vec![NONE; parent.len()];
    let mut n = 0u32;
    for l in 0..parent.len() as u32 {
        let root = find(&mut parent, l);
        if dense[root as usize] == NONE {
            dense[root as usize] = n;
            n += 1;
        }
        dense[l as usize] = dense[root as usize];
    }
    for l in labels.iter_mut() {
        if *l != NONE {
            *l = dense[*l as usize];
        }
    }
    (labels, n as usize)
}

/// Headings in pixel space (x right, y down): east, south, west, north.
const DX: [i64; 4] = [1, 0, -1, 0];
const DY: [i64; 4] = [0, 1, 0, -1];

struct Tracer<'a> {
    w: i64,
    h: i64,
    labels: &'a [u32],
    /// Horizontal edges (w × (h+1)): bit 1 = walked east, bit 2 = walked west.
    hvis: Vec<u8>,
    /// Vertical edges ((w+1) × h): bit 1 = walked south, bit 2 = walked north.
    vvis: Vec<u8>,
}

impl Tracer<'_> {
    #[inline]
    fn label_at(&self, x: i64, y: i64) -> u32 {
        if x < 0 || y < 0 || x >= self.w || y >= self.h {
            NONE
        } else {
            self.labels[(y * self.w + x) as usize]
        }
    }
    /// Pixels on the left and right of the edge leaving vertex (x, y) with heading `d`.
    #[inline]
    fn sides(&self, x: i64, y: i64, d: usize) -> (u32, u32) {
        let ((lx, ly), (rx, ry)) = match d {
            0 => ((x, y - 1), (x, y)),
            1 => ((x, y), (x - 1, y)),
            2 => ((x - 1, y), (x - 1, y - 1)),
            _ => ((x - 1, y - 1), (x, y - 1)),
        };
        (self.label_at(lx, ly), self.label_at(rx, ry))
    }
    /// Marks the edge leaving (x, y) with heading `d`; false if it was already walked.
    fn mark(&mut self, x: i64, y: i64, d: usize) -> bool {
        let (vec, idx, bit) = match d {
            0 => (&mut self.hvis, y * self.w + x, 1u8),
            2 => (&mut self.hvis, y * self.w + x - 1, 2u8),
            1 => (&mut self.vvis, y * (self.w + 1) + x, 1u8),
            _ => (&mut self.vvis, (y - 1) * (self.w + 1) + x, 2u8),
        };
        let cell = &mut vec[idx as usize];
        let fresh = *cell & bit == 0;
        *cell |= bit;
        fresh
    }
    /// Walks the ring of region `l` that starts with the edge leaving (x, y) heading `d`,
    /// keeping the region on the left; returns the corner vertices (pixel coordinates).
    fn trace(&mut self, l: u32, x0: i64, y0: i64, d0: usize) -> Vec<(i64, i64)> {
        let mut pts = vec![(x0, y0)];
        let (mut x, mut y, mut d) = (x0, y0, d0);
        self.mark(x, y, d);
        loop {
            x += DX[d];
            y += DY[d];
            // Ahead: prefer turning right (joins cells that touch at a corner into one ring
            // walk only when they are the same region, which keeps rings simple), then straight,
            // then left.
            let (ahead_left, ahead_right) = self.sides(x, y, d);
            let nd = if ahead_right == l {
                (d + 1) % 4
            } else if ahead_left == l {
                d
            } else {
                (d + 3) % 4
            };
            if x == x0 && y == y0 && nd == d0 {
                break;
            }
            if nd != d {
                pts.push((x, y));
            }
            d = nd;
            self.mark(x, y, d);
        }
        pts
    }
}

/// Twice the signed area of a closed pixel-vertex ring (negative = a region's outer boundary,
/// since rings keep their region on the left in y-down pixel space).
fn signed_area2(r: &[(i64, i64)]) -> i64 {
    let n = r.len();
    (0..n)
        .map(|i| {
            let (a, b) = (r[i], r[(i + 1) % n]);
            a.0 * b.1 - b.0 * a.1
        })
        .sum()
}

/// Splits a ring that passes a vertex more than once (two cells of an 8-connected region meeting
/// only at a corner) into simple rings.
fn split_simple(ring: Vec<(i64, i64)>) -> Vec<Vec<(i64, i64)>> {
    let mut out = Vec::new();
    let mut stack: Vec<(i64, i64)> = Vec::with_capacity(ring.len());
    let mut pos: std::collections::HashMap<(i64, i64), usize> = std::collections::HashMap::new();
    for p in ring {
        if let Some(&k) = pos.get(&p) {
            let lp = stack.split_off(k + 1);
            for q in &lp {
                pos.remove(q);
            }
            let mut closed = vec![p];
            closed.extend(lp);
            out.push(closed);
        } else {
            pos.insert(p, stack.len());
            stack.push(p);
        }
    }
    out.push(stack);
    out.retain(|r| r.len() >= 3);
    out
}

/// Drops vertices where the ring goes straight on (only the start vertex can be one).
fn drop_collinear(mut r: Vec<(i64, i64)>) -> Vec<(i64, i64)> {
    let n = r.len();
    if n >= 3 {
        let (a, b, c) = (r[n - 1], r[0], r[1]);
        if (b.0 - a.0) * (c.1 - b.1) == (b.1 - a.1) * (c.0 - b.0) {
            r.remove(0);
        }
    }
    r
}

/// Even-odd point-in-ring test in pixel space.
fn ring_contains(r: &[(i64, i64)], px: f64, py: f64) -> bool {
    let mut inside = false;
    let n = r.len();
    for i in 0..n {
        let (a, b) = (r[i], r[(i + n - 1) % n]);
        let (ax, ay, bx, by) = (a.0 as f64, a.1 as f64, b.0 as f64, b.1 as f64);
        if (ay > py) != (by > py) && px < (bx - ax) * (py - ay) / (by - ay) + ax {
            inside = !inside;
        }
    }
    inside
}

/// Polygons of the regions of equal value (see the module documentation).
pub fn polygonize<T: Cell>(grid: &Grid<T>, opts: &PolygonizeOptions) -> Layer {
    let (labels, n) = label(grid, opts);
    let (w, h) = (grid.width as i64, grid.height as i64);
    let mut tr = Tracer {
        w,
        h,
        labels: &labels,
        hvis: vec![0; (grid.width * (grid.height + 1)).max(1)],
        vvis: vec![0; ((grid.width + 1) * grid.height).max(1)],
    };
    let mut rings: Vec<Vec<Vec<(i64, i64)>>> = vec![Vec::new(); n];
    let mut value_of: Vec<Option<T>> = vec![None; n];
    for y in 0..h {
        for x in 0..w {
            let l = labels[(y * w + x) as usize];
            if l == NONE {
                continue;
            }
            value_of[l as usize].get_or_insert(grid.data[(y * w + x) as usize]);
            // Top edge (walked west from its right end) and bottom edge (walked east).
            if tr.label_at(x, y - 1) != l && tr.hvis[(y * w + x) as usize] & 2 == 0 {
                let ring = tr.trace(l, x + 1, y, 2);
                rings[l as usize].extend(split_simple(ring));
            }
            if tr.label_at(x, y + 1) != l && tr.hvis[((y + 1) * w + x) as usize] & 1 == 0 {
                let ring = tr.trace(l, x, y + 1, 0);
                rings[l as usize].extend(split_simple(ring));
            }
        }
    }
    let t = grid.transform;
    let to_map = |r: &[(i64, i64)], want_positive: bool| -> LineString<f64> {
        let mut c: Vec<Coord<f64>> = r
            .iter()
            .map(|&(px, py)| {
                let (x, y) = t.pixel_to_map(px as f64, py as f64);
                Coord { x, y }
            })
            .collect();
        c.push(c[0]);
        let a: f64 = c
            .windows(2)
            .map(|p| p[0].x * p[1].y - p[1].x * p[0].y)
            .sum();
        if (a > 0.0) != want_positive {
            c.reverse();
        }
        LineString(c)
    };
    let float = T::TYPE.is_float();
    let mut layer = Layer::new("polygons", grid.crs.clone());
    layer.add_field(
        "value",
        if float {
            FieldType::Real
        } else {
            FieldType::Int
        },
    );
    for (l, region) in rings.into_iter().enumerate() {
        let region: Vec<Vec<(i64, i64)>> = region.into_iter().map(drop_collinear).collect();
        let (shells, holes): (Vec<_>, Vec<_>) =
            region.into_iter().partition(|r| signed_area2(r) < 0);
        if shells.is_empty() {
            continue;
        }
        // (shell, holes) per part, in pixel vertices.
        type Part = (Vec<(i64, i64)>, Vec<Vec<(i64, i64)>>);
        let mut polys: Vec<Part> = shells.into_iter().map(|s| (s, Vec::new())).collect();
        for hole in holes {
            let k = if polys.len() == 1 {
                0
            } else {
                // The region cell left of the hole's first edge lies inside exactly one shell.
                let (a, b) = (hole[0], hole[1]);
                let d = ((b.0 - a.0).signum(), (b.1 - a.1).signum());
                let (cx, cy) = match d {
                    (1, 0) => (a.0, a.1 - 1),
                    (0, 1) => (a.0, a.1),
                    (-1, 0) => (a.0 - 1, a.1),
                    _ => (a.0 - 1, a.1 - 1),
                };
                let (px, py) = (cx as f64 + 0.5, cy as f64 + 0.5);
                polys
                    .iter()
                    .position(|(s, _)| ring_contains(s, px, py))
                    .unwrap_or(0)
            };
            polys[k].1.push(hole);
        }
        // Exteriors counter-clockwise, holes clockwise, in map coordinates.
        let mut out: Vec<Polygon<f64>> = polys
            .iter()
            .map(|(s, hs)| {
                Polygon::new(
                    to_map(s, true),
                    hs.iter().map(|h| to_map(h, false)).collect(),
                )
            })
            .collect();
        let v = value_of[l].unwrap_or_default();
        let value = if float {
            FieldValue::Real(v.to_f64())
        } else {
            FieldValue::Int(v.to_f64() as i64)
        };
        let geometry = if out.len() == 1 {
            Geometry::Polygon(out.pop().unwrap())
        } else {
            Geometry::MultiPolygon(geo_types::MultiPolygon(out))
        };
        layer.features.push(super::Feature {
            geometry: Some(geometry),
            properties: vec![value],
        });
    }
    layer
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::vector::{planar_area, rasterize::rasterize_into, RasterizeOptions};
    use ecoplan_grid::{GeoTransform, GridSpec};
    use geo::Validation;

    /// Burns each polygon's value back and compares with the source grid.
    fn round_trip(g: &Grid<u8>, conn: Connectivity) {
        let layer = polygonize(
            g,
            &PolygonizeOptions {
                connectivity: conn,
                skip_nodata: true,
            },
        );
        let mut back = Grid::filled(&g.spec(), 255u8, None);
        let mut total = 0.0;
        for f in &layer.features {
            let geom = f.geometry.as_ref().unwrap();
            assert!(geom.is_valid(), "invalid polygon {geom:?}");
            total += planar_area(geom);
            rasterize_into(
                &mut back,
                geom,
                f.properties[0].as_i64().unwrap() as u8,
                &RasterizeOptions::default(),
            );
        }
        let valid = g.data.iter().filter(|&&v| Some(v) != g.nodata).count();
        assert!((total - valid as f64 * g.transform.cell_area()).abs() < 1e-6);
        for (i, (&a, &b)) in g.data.iter().zip(&back.data).enumerate() {
            let expect = if Some(a) == g.nodata { 255 } else { a };
            assert_eq!(expect, b, "cell {i}");
        }
    }

    #[test]
    fn diagonal_touches_and_holes() {
        let spec = GridSpec::new(6, 5, GeoTransform::north_up(100.0, 50.0, 2.0), None);
        #[rustfmt::skip]
        let data = vec![
            1, 1, 1, 1, 2, 2,
            1, 2, 1, 1, 2, 0,
            1, 1, 2, 1, 1, 0,
            3, 1, 1, 1, 2, 2,
            3, 3, 0, 2, 2, 2u8,
        ];
        let mut g = Grid::from_vec(&spec, data, Some(0)).unwrap();
        round_trip(&g, Connectivity::Four);
        round_trip(&g, Connectivity::Eight);
        let four = polygonize(&g, &PolygonizeOptions::default());
        let eight = polygonize(
            &g,
            &PolygonizeOptions {
                connectivity: Connectivity::Eight,
                skip_nodata: true,
            },
        );
        assert!(eight.features.len() < four.features.len());
        g.nodata = None;
        let with_zero = polygonize(
            &g,
            &PolygonizeOptions {
                connectivity: Connectivity::Four,
                skip_nodata: true,
            },
        );
        assert_eq!(with_zero.features.len(), four.features.len() + 2);
    }

    #[test]
    fn checkerboard_and_random_grids() {
        let mut seed = 12345u64;
        for size in [1usize, 2, 7, 23] {
            for classes in [2u64, 3, 5] {
                let data: Vec<u8> = (0..size * size)
                    .map(|_| {
                        seed = seed
                            .wrapping_mul(6364136223846793005)
                            .wrapping_add(1442695040888963407);
                        ((seed >> 33) % classes) as u8
                    })
                    .collect();
                let g = Grid::from_rows(size, size, data).unwrap();
                round_trip(&g, Connectivity::Four);
                round_trip(&g, Connectivity::Eight);
            }
        }
        let cb: Vec<u8> = (0..64).map(|i| ((i % 8 + i / 8) % 2) as u8).collect();
        let g = Grid::from_rows(8, 8, cb).unwrap();
        assert_eq!(
            polygonize(&g, &PolygonizeOptions::default()).features.len(),
            64
        );
        round_trip(&g, Connectivity::Eight);
    }
}
