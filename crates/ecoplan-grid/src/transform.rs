use serde::{Deserialize, Serialize};

/// Affine georeferencing in GDAL's order:
/// `x = x0 + col·dx + row·rx`, `y = y0 + col·ry + row·dy` where `(col, row)` is the cell's
/// top-left corner in pixel units. North-up grids have `rx = ry = 0` and `dy < 0`.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct GeoTransform {
    pub x0: f64,
    pub dx: f64,
    pub rx: f64,
    pub y0: f64,
    pub ry: f64,
    pub dy: f64,
}

impl GeoTransform {
    /// North-up transform from the top-left corner and a square cell size.
    pub fn north_up(x_min: f64, y_max: f64, cell_size: f64) -> Self {
        GeoTransform {
            x0: x_min,
            dx: cell_size,
            rx: 0.0,
            y0: y_max,
            ry: 0.0,
            dy: -cell_size,
        }
    }
    /// From GDAL's 6-element array `[x0, dx, rx, y0, ry, dy]`.
    pub fn from_gdal(a: [f64; 6]) -> Self {
        GeoTransform {
            x0: a[0],
            dx: a[1],
            rx: a[2],
            y0: a[3],
            ry: a[4],
            dy: a[5],
        }
    }
    pub fn to_gdal(&self) -> [f64; 6] {
        [self.x0, self.dx, self.rx, self.y0, self.ry, self.dy]
    }
    pub fn is_north_up(&self) -> bool {
        self.rx == 0.0 && self.ry == 0.0 && self.dx > 0.0 && self.dy < 0.0
    }
    /// Cell width (x) in CRS units; for north-up grids the absolute pixel size.
    pub fn cell_width(&self) -> f64 {
        (self.dx * self.dx + self.ry * self.ry).sqrt()
    }
    pub fn cell_height(&self) -> f64 {
        (self.rx * self.rx + self.dy * self.dy).sqrt()
    }
    /// Area of one cell in CRS units squared (|determinant|).
    pub fn cell_area(&self) -> f64 {
        (self.dx * self.dy - self.rx * self.ry).abs()
    }
    /// Map coordinates of a (fractional) pixel position.
    pub fn pixel_to_map(&self, col: f64, row: f64) -> (f64, f64) {
        (
            self.x0 + col * self.dx + row * self.rx,
            self.y0 + col * self.ry + row * self.dy,
        )
    }
    /// Centre of cell `(col, row)`.
    pub fn cell_center(&self, col: usize, row: usize) -> (f64, f64) {
        self.pixel_to_map(col as f64 + 0.5, row as f64 + 0.5)
    }
    /// Fractional pixel position of a map coordinate (inverse affine); `None` if singular.
    pub fn map_to_pixel(&self, x: f64, y: f64) -> Option<(f64, f64)> {
        let det = self.dx * self.dy - self.rx * self.ry;
        if det == 0.0 || !det.is_finite() {
            return None;
        }
        let (px, py) = (x - self.x0, y - self.y0);
        Some((
            (px * self.dy - py * self.rx) / det,
            (py * self.dx - px * self.ry) / det,
        ))
    }
    /// Bounds `(x_min, y_min, x_max, y_max)` of a `width × height` grid.
    pub fn bounds(&self, width: usize, height: usize) -> (f64, f64, f64, f64) {
        let corners = [
            self.pixel_to_map(0.0, 0.0),
            self.pixel_to_map(width as f64, 0.0),
            self.pixel_to_map(0.0, height as f64),
            self.pixel_to_map(width as f64, height as f64),
        ];
        let mut b = (
            f64::INFINITY,
            f64::INFINITY,
            f64::NEG_INFINITY,
            f64::NEG_INFINITY,
        );
        for (x, y) in corners {
            b.0 = b.0.min(x);
            b.1 = b.1.min(y);
            b.2 = b.2.max(x);
            b.3 = b.3.max(y);
        }
        b
    }
    /// Transform of the window starting at `(col_off, row_off)`.
    pub fn window(&self, col_off: usize, row_off: usize) -> Self {
        let (x0, y0) = self.pixel_to_map(col_off as f64, row_off as f64);
        GeoTransform { x0, y0, ..*self }
    }
    /// Same cell size and rotation, and origins that differ by whole cells (within `tol` of a cell).
    pub fn is_grid_aligned_with(&self, other: &GeoTransform, tol: f64) -> bool {
        let rel = |a: f64, b: f64| (a - b).abs() <= tol * a.abs().max(b.abs()).max(1e-300);
        if !(rel(self.dx, other.dx) && rel(self.dy, other.dy))
            || self.rx != other.rx
            || self.ry != other.ry
        {
            return false;
        }
        match self.map_to_pixel(other.x0, other.y0) {
            Some((c, r)) => {
                (c - c.round()).abs() <= tol * 10.0 && (r - r.round()).abs() <= tol * 10.0
            }
            None => false,
        }
    }
}

impl Default for GeoTransform {
    fn default() -> Self {
        // GDAL's default for a raster without georeferencing.
        GeoTransform {
            x0: 0.0,
            dx: 1.0,
            rx: 0.0,
            y0: 0.0,
            ry: 0.0,
            dy: 1.0,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    #[test]
    fn inverse_round_trips() {
        let t = GeoTransform::north_up(500_000.0, 4_450_000.0, 30.0);
        let (x, y) = t.cell_center(10, 20);
        assert_eq!((x, y), (500_315.0, 4_449_385.0));
        let (c, r) = t.map_to_pixel(x, y).unwrap();
        assert!((c - 10.5).abs() < 1e-9 && (r - 20.5).abs() < 1e-9);
        assert_eq!(
            t.bounds(100, 50),
            (500_000.0, 4_448_500.0, 503_000.0, 4_450_000.0)
        );
        assert_eq!(t.cell_area(), 900.0);
    }
    #[test]
    fn alignment_needs_whole_cell_offsets() {
        let a = GeoTransform::north_up(0.0, 0.0, 30.0);
        assert!(a.is_grid_aligned_with(&GeoTransform::north_up(90.0, -300.0, 30.0), 1e-9));
        assert!(!a.is_grid_aligned_with(&GeoTransform::north_up(15.0, 0.0, 30.0), 1e-9));
        assert!(!a.is_grid_aligned_with(&GeoTransform::north_up(0.0, 0.0, 25.0), 1e-9));
    }
}
