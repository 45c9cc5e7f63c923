//! Burning vector geometries into grids with GDAL's rules (`gdal_rasterize`,
//! `rasterio.features.rasterize`), pixel for pixel.
//!
//! * Polygons: a cell is burned when its **centre** is inside (scanline at each row's centre,
//!   even-odd rule over all rings, so holes stay empty; a centre exactly on a left edge is out, on a
//!   right edge in — GDAL's rounding). With `all_touched`, every cell an edge passes through is
//!   burned as well (edges lying exactly on cell boundaries do not add the cells beyond them).
//! * Lines: Bresenham between the cells holding the vertices; with `all_touched`, every cell the
//!   line passes through.
//! * Points: the cell containing the point.
//!
//! Features are burned in order; later features overwrite earlier ones where they overlap.
//! Geometry coordinates must be in the grid's CRS.
//!
//! One GDAL 3.10 behaviour is deliberately not reproduced: its all-touched walker can step past
//! the grid's right side (clipping a sloped segment at the top or bottom edge moves its end back
//! out to the right) and then writes column `width + k` of a row, which in memory is cell `k` of
//! the next row — a cell the geometry does not touch.

use super::{FieldValue, Layer, UnknownField};
use ecoplan_grid::{Cell, GeoTransform, Grid, GridSpec};
use geo_types::{Coord, Geometry, LineString, Polygon};

/// Rasterization rule.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct RasterizeOptions {
    /// Burn every cell a geometry touches, not only cells whose centre it covers (GDAL `-at`).
    pub all_touched: bool,
}

/// What value each feature burns in [`rasterize_layer`].
#[derive(Debug, Clone, PartialEq)]
pub enum Burn {
    /// The same value for every feature.
    Constant(f64),
    /// A numeric attribute (features with a null or non-numeric value are not burned).
    Field(String),
    /// The feature's position in the layer plus one (1, 2, …), as f64.
    FeatureNumber,
}

/// Map → pixel coordinates exactly as GDAL computes them (its inverse geotransform), so cells
/// whose centres lie on a polygon edge fall the same way as in GDAL.
#[derive(Debug, Clone, Copy)]
struct ToPixel([f64; 6]);

impl ToPixel {
    fn new(t: &GeoTransform) -> Option<ToPixel> {
        let g = t.to_gdal();
        if g[2] == 0.0 && g[4] == 0.0 && g[1] != 0.0 && g[5] != 0.0 {
            return Some(ToPixel([
                -g[0] / g[1],
                1.0 / g[1],
                0.0,
                -g[3] / g[5],
                0.0,
                1.0 / g[5],
            ]));
        }
        let det = g[1] * g[5] - g[2] * g[4];
        if det == 0.0 || !det.is_finite() {
            return None;
        }
        let inv = 1.0 / det;
        Some(ToPixel([
            (g[2] * g[3] - g[0] * g[5]) * inv,
            g[5] * inv,
            -g[2] * inv,
            (-g[1] * g[3] + g[0] * g[4]) * inv,
            -g[4] * inv,
            g[1] * inv,
        ]))
    }
    #[inline]
    fn apply(&self, c: Coord<f64>) -> (f64, f64) {
        let t = &self.0;
        (
            t[0] + c.x * t[1] + c.y * t[2],
            t[3] + c.x * t[4] + c.y * t[5],
        )
    }
}

/// Receives burned cells; spans are inclusive and already clipped to the grid.
trait Sink {
    fn span(&mut self, row: usize, col0: usize, col1: usize);
    fn cell(&mut self, row: usize, col: usize) {
        self.span(row, col, col);
    }
}

struct GridSink<'a, T: Cell> {
    data: &'a mut [T],
    width: usize,
    value: T,
}

impl<T: Cell> Sink for GridSink<'_, T> {
    #[inline]
    fn span(&mut self, row: usize, col0: usize, col1: usize) {
        let base = row * self.width;
        self.data[base + col0..=base + col1].fill(self.value);
    }
}

struct Canvas<'s, S: Sink> {
    w: i64,
    h: i64,
    sink: &'s mut S,
}

impl<S: Sink> Canvas<'_, S> {
    /// Burns columns `x0..=x1` of row `y` after clipping.
    #[inline]
    fn span(&mut self, y: i64, x0: i64, x1: i64) {
        if y < 0 || y >= self.h {
            return;
        }
        let (a, b) = (x0.max(0), x1.min(self.w - 1));
        if a <= b {
            self.sink.span(y as usize, a as usize, b as usize);
        }
    }
    #[inline]
    fn point(&mut self, y: i64, x: i64) {
        if x >= 0 && x < self.w && y >= 0 && y < self.h {
            self.sink.cell(y as usize, x as usize);
        }
    }
}

/// Saturating float → int like a C cast on sane values (keeps huge coordinates from wrapping).
#[inline]
fn ifloor(v: f64) -> i64 {
    let f = v.floor();
    if f.is_nan() {
        i64::MIN / 4
    } else {
        f.clamp(-(1i64 << 52) as f64, (1i64 << 52) as f64) as i64
    }
}

/// Scanline fill of a set of rings (even-odd), GDAL's pixel-centre rule.
fn fill_rings<S: Sink>(rings: &[Vec<(f64, f64)>], c: &mut Canvas<S>) {
    let (mut ymin, mut ymax) = (f64::INFINITY, f64::NEG_INFINITY);
    for r in rings {
        for &(_, y) in r {
            ymin = ymin.min(y);
            ymax = ymax.max(y);
        }
    }
    if ymin.is_nan() || ymax.is_nan() || ymin > ymax {
        return;
    }
    let row0 = ifloor(ymin).max(0);
    let row1 = ifloor(ymax).min(c.h - 1);
    if row0 > row1 {
        return;
    }
    let nrows = (row1 - row0 + 1) as usize;
    let mut crossings: Vec<Vec<f64>> = vec![Vec::new(); nrows];
    let mut horizontal: Vec<(i64, i64, i64)> = Vec::new();
    for r in rings {
        let n = r.len();
        for i in 0..n {
            let (p1, p2) = (r[if i == 0 { n - 1 } else { i - 1 }], r[i]);
            let (y1, y2) = (p1.1, p2.1);
            if y1 == y2 {
                // An edge lying exactly on a row's centre line: GDAL fills it when it runs
                // towards −x (and skips it otherwise).
                let dy = y1 - 0.5;
                if dy == dy.floor() && p1.0 > p2.0 {
                    let row = dy as i64;
                    if row >= row0 && row <= row1 {
                        horizontal.push((row, ifloor(p2.0 + 0.5), ifloor(p1.0 + 0.5) - 1));
                    }
                }
                continue;
            }
            let ((ya, xa), (yb, xb)) = if y1 < y2 {
                ((y1, p1.0), (y2, p2.0))
            } else {
                ((y2, p2.0), (y1, p1.0))
            };
            // Rows whose centre dy satisfies ya <= dy < yb (checked exactly below).
            let first = (ifloor(ya - 0.5) - 1).max(row0);
            let last = (ifloor(yb - 0.5) + 1).min(row1);
            for row in first..=last {
                let dy = row as f64 + 0.5;
                if dy < yb && dy >= ya {
                    let x = (dy - ya) * (xb - xa) / (yb - ya) + xa;
                    crossings[(row - row0) as usize].push(x);
                }
            }
        }
    }
    for (k, xs) in crossings.iter_mut().enumerate() {
        if xs.len() < 2 {
            continue;
        }
        xs.sort_unstable_by(|a, b| a.total_cmp(b));
        let row = row0 + k as i64;
        for pair in xs.chunks_exact(2) {
            let (a, b) = (ifloor(pair[0] + 0.5), ifloor(pair[1] + 0.5));
            c.span(row, a, b - 1);
        }
    }
    for (row, a, b) in horizontal {
        c.span(row, a, b);
    }
}

/// GDAL's tolerance (in pixels) for coordinates on a cell boundary in the all-touched walker: an
/// axis-parallel polygon edge whose two ends are both this close to grid lines counts as lying on
/// one, and an axis-parallel segment ending less than this past a boundary does not enter the cell
/// beyond it.
const ON_BOUNDARY: f64 = 1e-4;

/// Index of the last cell an axis-parallel segment ending at coordinate `v` burns (GDAL's rule:
/// the end is pulled back by [`ON_BOUNDARY`], so an end on or just past a cell boundary stays in
/// the cell before it).
#[inline]
fn last_cell(v: f64) -> i64 {
    ifloor(v - ON_BOUNDARY)
}

fn near_integer(v: f64) -> bool {
    (v - v.round()).abs() < ON_BOUNDARY
}

/// Every cell a polyline passes through (GDAL's all-touched line walker).
///
/// Segments (walked left to right) fall into three cases, decided like GDAL:
/// * both ends in the same column, or less than 0.01 px apart in x: one column (that of the
///   right end), rows `floor(y_low) ..= last_cell(y_high)`;
/// * else both ends in the same row, or less than 0.01 px apart in y: one row, columns
///   `floor(x_left) ..= last_cell(x_right)`;
/// * else a cell-by-cell walk along the segment.
///
/// With `edges_only` (polygon boundaries) a segment of one of the first two cases whose ends both
/// lie within [`ON_BOUNDARY`] of grid lines burns nothing: it runs along a cell boundary, and the
/// interior fill decides those cells. GDAL applies this also to a segment crossing one row (or
/// column) diagonally from one grid line to the next when rounding leaves its far end a hair
/// short of the line (y = 7 → 8 − 2e-15 is "in row 7"); we follow it, so the cells it crosses
/// come from the neighbouring edges and the fill. Only segment ends are pulled back, never
/// starts: a segment starting a hair before a boundary burns the cell it starts in.
fn walk_all_touched<S: Sink>(line: &[(f64, f64)], edges_only: bool, c: &mut Canvas<S>) {
    let (wf, hf) = (c.w as f64, c.h as f64);
    for seg in line.windows(2) {
        let ((mut x, mut y), (mut xe, mut ye)) = (seg[0], seg[1]);
        if (y < 0.0 && ye < 0.0)
            || (y > hf && ye > hf)
            || (x < 0.0 && xe < 0.0)
            || (x > wf && xe > wf)
        {
            continue;
        }
        if x > xe {
            std::mem::swap(&mut x, &mut xe);
            std::mem::swap(&mut y, &mut ye);
        }
        // Near-vertical: one column.
        if x.floor() == xe.floor() || (x - xe).abs() < 0.01 {
            if edges_only && near_integer(x) && near_integer(xe) {
                continue;
            }
            if ye < y {
                std::mem::swap(&mut y, &mut ye);
            }
            let ix = ifloor(xe);
            let (iy0, iy1) = (ifloor(y).max(0), last_cell(ye).min(c.h - 1));
            if ix < 0 || ix >= c.w {
                continue;
            }
            for iy in iy0..=iy1 {
                c.point(iy, ix);
            }
            continue;
        }
        // Near-horizontal: one row.
        if y.floor() == ye.floor() || (y - ye).abs() < 0.01 {
            if edges_only && near_integer(y) && near_integer(ye) {
                continue;
            }
            let iy = ifloor(y);
            if iy < 0 || iy >= c.h {
                continue;
            }
            c.span(iy, ifloor(x), last_cell(xe));
            continue;
        }
        // General case, left to right.
        let slope = (ye - y) / (xe - x);
        if xe > wf {
            ye -= (xe - wf) * slope;
            xe = wf;
        }
        if x < 0.0 {
            y += (0.0 - x) * slope;
            x = 0.0;
        }
        if ye > y {
            if y < 0.0 {
                x += (0.0 - y) / slope;
                y = 0.0;
            }
            if ye >= hf {
                xe += (ye - hf) / slope;
            }
        } else {
            if y >= hf {
                x += (hf - y) / slope;
                y = hf;
            }
            if ye < 0.0 {
                xe -= ye / slope;
            }
        }
        let mut guard = 0u64;
        let limit = 4 * (c.w + c.h) as u64 + 16;
        while x >= 0.0 && x < xe {
            guard += 1;
            if guard > limit {
                break; // numerical safety net; cannot loop longer than the grid is wide + high
            }
            let (ix, iy) = (ifloor(x), ifloor(y));
            if iy >= 0 && iy < c.h {
                c.point(iy, ix);
            }
            let mut step_x = (x + 1.0).floor() - x;
            let mut step_y = step_x * slope;
            if ifloor(y + step_y) == iy {
                x += step_x;
                y += step_y;
            } else if slope < 0.0 {
                step_y = iy as f64 - y;
                if step_y > -1e-9 {
                    step_y = -1e-9;
                }
                step_x = step_y / slope;
                x += step_x;
                y += step_y;
            } else {
                step_y = (iy + 1) as f64 - y;
                if step_y < 1e-9 {
                    step_y = 1e-9;
                }
                step_x = step_y / slope;
                x += step_x;
                y += step_y;
            }
        }
    }
}

/// Bresenham between the cells holding consecutive vertices (GDAL's default line rule); the end
/// cell of each segment but the last is left to the next segment.
fn walk_bresenham<S: Sink>(line: &[(f64, f64)], c: &mut Canvas<S>) {
    let n = line.len();
    for j in 1..n {
        let (mut ix, mut iy) = (ifloor(line[j - 1].0), ifloor(line[j - 1].1));
        let (ix1, iy1) = (ifloor(line[j].0), ifloor(line[j].1));
        let (mut dx, mut dy) = ((ix1 - ix).abs(), (iy1 - iy).abs());
        if dx.max(dy) > 4 * (c.w + c.h) + 16 {
            // A segment far longer than the grid: clip-free walking would be needlessly slow.
            walk_all_touched(&line[j - 1..=j], false, c);
            continue;
        }
        let sx = if ix > ix1 { -1 } else { 1 };
        let sy = if iy > iy1 { -1 } else { 1 };
        if dx >= dy {
            let ex = dy << 1;
            let ey = ex - (dx << 1);
            let mut err = ex - dx;
            if j != n - 1 {
                dx -= 1;
            }
            while dx >= 0 {
                dx -= 1;
                c.point(iy, ix);
                ix += sx;
                if err > 0 {
                    iy += sy;
                    err += ey;
                } else {
                    err += ex;
                }
            }
        } else {
            let ex = dx << 1;
            let ey = ex - (dy << 1);
            let mut err = ex - dy;
            if j != n - 1 {
                dy -= 1;
            }
            while dy >= 0 {
                dy -= 1;
                c.point(iy, ix);
                iy += sy;
                if err > 0 {
                    ix += sx;
                    err += ey;
                } else {
                    err += ex;
                }
            }
        }
    }
}

fn to_pixels(t: &ToPixel, l: &LineString<f64>) -> Vec<(f64, f64)> {
    l.0.iter().map(|&c| t.apply(c)).collect()
}

/// True if a ring runs clockwise in map coordinates (y up).
fn is_clockwise(l: &LineString<f64>) -> bool {
    let p = &l.0;
    let n = p.len();
    if n < 3 {
        return false;
    }
    let mut s = 0.0;
    for i in 0..n {
        let (a, b) = (p[i], p[(i + 1) % n]);
        s += (b.x - a.x) * (b.y + a.y);
    }
    s > 0.0
}

/// A ring in pixel coordinates, walked clockwise in map coordinates as GDAL orders rings before
/// filling (this decides which edges lying exactly on a row's centre line are filled).
fn ring_pixels(t: &ToPixel, l: &LineString<f64>) -> Vec<(f64, f64)> {
    let mut v = to_pixels(t, l);
    if !is_clockwise(l) {
        v.reverse();
    }
    v
}

fn polygon_rings(t: &ToPixel, p: &Polygon<f64>, out: &mut Vec<Vec<(f64, f64)>>) {
    if p.exterior().0.is_empty() {
        return;
    }
    out.push(ring_pixels(t, p.exterior()));
    out.extend(p.interiors().iter().map(|r| ring_pixels(t, r)));
}

fn burn_polygons<S: Sink>(rings: &[Vec<(f64, f64)>], opts: &RasterizeOptions, c: &mut Canvas<S>) {
    if opts.all_touched {
        for r in rings {
            let mut closed = r.clone();
            if closed.first() != closed.last() {
                closed.push(closed[0]);
            }
            walk_all_touched(&closed, true, c);
        }
    }
    fill_rings(rings, c);
}

fn burn_geometry<S: Sink>(
    g: &Geometry<f64>,
    t: &ToPixel,
    opts: &RasterizeOptions,
    c: &mut Canvas<S>,
) {
    match g {
        Geometry::Point(p) => {
            let (x, y) = t.apply(p.0);
            c.point(ifloor(y), ifloor(x));
        }
        Geometry::MultiPoint(m) => {
            for p in &m.0 {
                burn_geometry(&Geometry::Point(*p), t, opts, c);
            }
        }
        Geometry::Line(l) => burn_geometry(
            &Geometry::LineString(LineString(vec![l.start, l.end])),
            t,
            opts,
            c,
        ),
        Geometry::LineString(l) => {
            // GDAL walks lines from their last vertex to their first.
            let mut px = to_pixels(t, l);
            px.reverse();
            if opts.all_touched {
                walk_all_touched(&px, false, c);
            } else {
                walk_bresenham(&px, c);
            }
        }
        Geometry::MultiLineString(m) => {
            for l in &m.0 {
                burn_geometry(&Geometry::LineString(l.clone()), t, opts, c);
            }
        }
        Geometry::Polygon(p) => {
            let mut rings = Vec::new();
            polygon_rings(t, p, &mut rings);
            burn_polygons(&rings, opts, c);
        }
        Geometry::MultiPolygon(m) => {
            // Parts are burned one by one (overlapping parts stay burned, as in GDAL with a
            // constant burn value).
            for p in &m.0 {
                let mut rings = Vec::new();
                polygon_rings(t, p, &mut rings);
                burn_polygons(&rings, opts, c);
            }
        }
        Geometry::Rect(r) => burn_geometry(&Geometry::Polygon(r.to_polygon()), t, opts, c),
        Geometry::Triangle(tr) => burn_geometry(&Geometry::Polygon(tr.to_polygon()), t, opts, c),
        Geometry::GeometryCollection(gc) => {
            for g in &gc.0 {
                burn_geometry(g, t, opts, c);
            }
        }
    }
}

/// Burns `value` into `grid` wherever `geometry` covers a cell (see the module rules).
/// Does nothing for a grid whose transform cannot be inverted.
pub fn rasterize_into<T: Cell>(
    grid: &mut Grid<T>,
    geometry: &Geometry<f64>,
    value: T,
    opts: &RasterizeOptions,
) {
    let Some(t) = ToPixel::new(&grid.transform) else {
        return;
    };
    let (w, h) = (grid.width as i64, grid.height as i64);
    let mut sink = GridSink {
        data: &mut grid.data,
        width: grid.width,
        value,
    };
    let mut canvas = Canvas {
        w,
        h,
        sink: &mut sink,
    };
    burn_geometry(geometry, &t, opts, &mut canvas);
}

/// Feature-number grid of a layer: cell = 1 + index of the last feature covering it, 0 where no
/// feature does (`nodata = 0`). This is the zone grid for zonal statistics.
pub fn rasterize_ids(layer: &Layer, spec: &GridSpec, opts: &RasterizeOptions) -> Grid<u32> {
    let mut grid = Grid::filled(spec, 0u32, Some(0));
    for (i, f) in layer.features.iter().enumerate() {
        if let Some(g) = &f.geometry {
            rasterize_into(&mut grid, g, (i + 1) as u32, opts);
        }
    }
    grid
}

/// Burns `(geometry, value)` pairs in order onto a grid filled with `fill` (`nodata = fill`).
pub fn rasterize_values(
    shapes: &[(&Geometry<f64>, f64)],
    spec: &GridSpec,
    fill: f64,
    opts: &RasterizeOptions,
) -> Grid<f64> {
    let mut grid = Grid::filled(spec, fill, Some(fill));
    for (g, v) in shapes {
        rasterize_into(&mut grid, g, *v, opts);
    }
    grid
}

/// Burns a layer's features (values per [`Burn`]) onto a grid of `spec`; background NaN (nodata).
pub fn rasterize_layer(
    layer: &Layer,
    spec: &GridSpec,
    burn: &Burn,
    opts: &RasterizeOptions,
) -> Result<Grid<f64>, UnknownField> {
    let field = match burn {
        Burn::Field(name) => Some(layer.field_index(name).ok_or_else(|| {
            UnknownField {
                layer: layer.name.clone(),
                field: name.clone(),
                available: layer
                    .fields
                    .iter()
                    .map(|(n, _)| n.as_str())
                    .collect::<Vec<_>>()
                    .join(", "),
            }
        })?),
        _ => None,
    };
    let mut grid = Grid::filled(spec, f64::NAN, Some(f64::NAN));
    for (i, f) in layer.features.iter().enumerate() {
        let Some(g) = &f.geometry else { continue };
        let v = match (burn, field) {
            (Burn::Constant(v), _) => *v,
            (Burn::FeatureNumber, _) => (i + 1) as f64,
            (Burn::Field(_), Some(k)) => match f.properties.get(k).and_then(FieldValue::as_f64) {
                Some(v) => v,
                None => continue,
            },
            (Burn::Field(_), None) => continue,
        };
        rasterize_into(&mut grid, g, v, opts);
    }
    Ok(grid)
}

#[cfg(test)]
mod tests {
    use super::*;
    use ecoplan_grid::GeoTransform;
    use geo_types::{line_string, polygon, Point};

    fn spec(w: usize, h: usize) -> GridSpec {
        GridSpec::new(w, h, GeoTransform::north_up(0.0, h as f64, 1.0), None)
    }
    fn burned(g: &Geometry<f64>, w: usize, h: usize, all: bool) -> Vec<u8> {
        let mut grid = Grid::filled(&spec(w, h), 0u8, None);
        rasterize_into(&mut grid, g, 1, &RasterizeOptions { all_touched: all });
        grid.data
    }

    #[test]
    fn square_with_hole_centre_rule() {
        // 6×6 grid, y up: square [1,5]² minus hole [2,4]² → ring of 12 cells.
        let p: Geometry<f64> = polygon!(
            exterior: [(x: 1., y: 1.), (x: 5., y: 1.), (x: 5., y: 5.), (x: 1., y: 5.)],
            interiors: [[(x: 2., y: 2.), (x: 4., y: 2.), (x: 4., y: 4.), (x: 2., y: 4.)]]
        )
        .into();
        let d = burned(&p, 6, 6, false);
        assert_eq!(d.iter().filter(|&&v| v == 1).count(), 12);
        assert_eq!(d[2 * 6 + 2], 0, "hole stays empty");
        // Edges on cell boundaries: all-touched adds nothing.
        assert_eq!(burned(&p, 6, 6, true), d);
    }

    #[test]
    fn all_touched_adds_partially_covered_cells() {
        let tri: Geometry<f64> =
            polygon![(x: 0.2, y: 0.2), (x: 3.7, y: 0.4), (x: 1.1, y: 3.6)].into();
        let centre = burned(&tri, 4, 4, false)
            .iter()
            .filter(|&&v| v == 1)
            .count();
        let all = burned(&tri, 4, 4, true).iter().filter(|&&v| v == 1).count();
        assert!(all > centre && centre > 0, "{centre} {all}");
    }

    #[test]
    fn all_touched_segment_ends_are_pulled_back_starts_are_not() {
        // Row 1 is map y 2..3. A line entering column 2 by only 5e-5 px stops in column 1
        // (GDAL's 1e-4 px tolerance at segment ends); entering it by 2e-4 px burns it.
        let row1 = |x_end: f64| {
            let l: Geometry<f64> = line_string![(x: 0.5, y: 2.5), (x: x_end, y: 2.5)].into();
            burned(&l, 4, 4, true)[4..8].to_vec()
        };
        assert_eq!(row1(2.00005), [1, 1, 0, 0]);
        assert_eq!(row1(2.0002), [1, 1, 1, 0]);
        // A start a hair before column 1 stays in column 0 (walked left to right, so the vertex
        // at x = 3.5 is the end).
        let l: Geometry<f64> = line_string![(x: 3.5, y: 2.5), (x: 1.0 - 1e-9, y: 2.5)].into();
        assert_eq!(&burned(&l, 4, 4, true)[4..8], &[1, 1, 1, 1]);
    }

    #[test]
    fn points_lines_and_ids() {
        let mut layer = Layer::new("t", None);
        layer.push(Some(Point::new(0.5, 3.5).into()), vec![]);
        layer.push(
            Some(line_string![(x: 0.5, y: 0.5), (x: 3.5, y: 0.5)].into()),
            vec![],
        );
        let ids = rasterize_ids(&layer, &spec(4, 4), &RasterizeOptions::default());
        assert_eq!(ids.data[0], 1);
        assert_eq!(&ids.data[12..16], &[2, 2, 2, 2]);
        assert_eq!(ids.data.iter().filter(|&&v| v == 0).count(), 11);
    }

    #[test]
    fn burn_field_and_far_away_geometry() {
        let mut layer = Layer::new("t", None);
        layer.add_field("v", super::super::FieldType::Real);
        layer.push(
            Some(polygon![(x: -1e9, y: -1e9), (x: 1e9, y: -1e9), (x: 1e9, y: 1e9)].into()),
            vec![FieldValue::Real(2.5)],
        );
        layer.push(
            Some(line_string![(x: -1e12, y: 2.5), (x: 1e12, y: 2.5)].into()),
            vec![FieldValue::Null],
        );
        let g = rasterize_layer(
            &layer,
            &spec(3, 3),
            &Burn::Field("v".into()),
            &RasterizeOptions { all_touched: true },
        )
        .unwrap();
        assert!(g.data.iter().all(|v| *v == 2.5 || v.is_nan()));
        assert!(rasterize_layer(
            &layer,
            &spec(3, 3),
            &Burn::Field("x".into()),
            &RasterizeOptions::default()
        )
        .is_err());
    }
}
