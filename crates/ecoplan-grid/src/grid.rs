use crate::{Cell, Crs, GeoTransform, GridError};
use serde::{Deserialize, Serialize};

/// The geometry of a raster without its values: size, georeferencing and CRS.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct GridSpec {
    pub width: usize,
    pub height: usize,
    pub transform: GeoTransform,
    pub crs: Option<Crs>,
}

impl GridSpec {
    pub fn new(width: usize, height: usize, transform: GeoTransform, crs: Option<Crs>) -> Self {
        GridSpec {
            width,
            height,
            transform,
            crs,
        }
    }
    pub fn len(&self) -> usize {
        self.width * self.height
    }
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }
    /// Checks that `other` has the same CRS, size, cell size and origin; the error says which differs.
    pub fn check_aligned(&self, other: &GridSpec) -> Result<(), GridError> {
        let mut problems = Vec::new();
        if self.crs != other.crs {
            problems.push(format!(
                "CRS {} vs {}",
                self.crs.as_ref().map_or("none".into(), |c| c.label()),
                other.crs.as_ref().map_or("none".into(), |c| c.label())
            ));
        }
        let (a, b) = (&self.transform, &other.transform);
        if (a.dx - b.dx).abs() > 1e-9 * a.dx.abs() || (a.dy - b.dy).abs() > 1e-9 * a.dy.abs() {
            problems.push(format!(
                "cell size {}×{} vs {}×{}",
                a.dx, -a.dy, b.dx, -b.dy
            ));
        } else if (a.x0 - b.x0).abs() > 1e-6 * a.dx.abs() || (a.y0 - b.y0).abs() > 1e-6 * a.dy.abs()
        {
            problems.push(format!(
                "origin ({}, {}) vs ({}, {})",
                a.x0, a.y0, b.x0, b.y0
            ));
        }
        if self.width != other.width || self.height != other.height {
            problems.push(format!(
                "size {}×{} vs {}×{}",
                self.width, self.height, other.width, other.height
            ));
        }
        if problems.is_empty() {
            Ok(())
        } else {
            Err(GridError::NotAligned(problems.join("; ")))
        }
    }
}

/// A raster: row-major cells (`data[row * width + col]`), georeferencing, CRS and nodata.
#[derive(Debug, Clone, PartialEq)]
pub struct Grid<T: Cell> {
    pub width: usize,
    pub height: usize,
    pub data: Vec<T>,
    pub transform: GeoTransform,
    pub crs: Option<Crs>,
    pub nodata: Option<T>,
}

impl<T: Cell> Grid<T> {
    /// A grid filled with `value`.
    pub fn filled(spec: &GridSpec, value: T, nodata: Option<T>) -> Self {
        Grid {
            width: spec.width,
            height: spec.height,
            data: vec![value; spec.len()],
            transform: spec.transform,
            crs: spec.crs.clone(),
            nodata,
        }
    }
    /// Wraps existing cells; fails if `data.len() != width * height`.
    pub fn from_vec(spec: &GridSpec, data: Vec<T>, nodata: Option<T>) -> Result<Self, GridError> {
        if data.len() != spec.len() {
            return Err(GridError::SizeMismatch {
                width: spec.width,
                height: spec.height,
                expected: spec.len(),
                got: data.len(),
            });
        }
        Ok(Grid {
            width: spec.width,
            height: spec.height,
            data,
            transform: spec.transform,
            crs: spec.crs.clone(),
            nodata,
        })
    }
    /// An ungeoreferenced grid (identity transform, no CRS), handy in tests.
    pub fn from_rows(width: usize, height: usize, data: Vec<T>) -> Result<Self, GridError> {
        Self::from_vec(
            &GridSpec::new(width, height, GeoTransform::default(), None),
            data,
            None,
        )
    }
    pub fn spec(&self) -> GridSpec {
        GridSpec {
            width: self.width,
            height: self.height,
            transform: self.transform,
            crs: self.crs.clone(),
        }
    }
    pub fn len(&self) -> usize {
        self.data.len()
    }
    pub fn is_empty(&self) -> bool {
        self.data.is_empty()
    }
    #[inline]
    pub fn index(&self, col: usize, row: usize) -> usize {
        row * self.width + col
    }
    #[inline]
    pub fn get(&self, col: usize, row: usize) -> T {
        self.data[row * self.width + col]
    }
    /// `None` outside the grid.
    #[inline]
    pub fn get_checked(&self, col: i64, row: i64) -> Option<T> {
        if col < 0 || row < 0 || col as usize >= self.width || row as usize >= self.height {
            None
        } else {
            Some(self.data[row as usize * self.width + col as usize])
        }
    }
    #[inline]
    pub fn set(&mut self, col: usize, row: usize, value: T) {
        let w = self.width;
        self.data[row * w + col] = value;
    }
    pub fn row(&self, row: usize) -> &[T] {
        &self.data[row * self.width..(row + 1) * self.width]
    }
    /// True if `v` is this grid's nodata value, or NaN.
    #[inline]
    pub fn is_nodata(&self, v: T) -> bool {
        v.is_nan() || self.nodata.is_some_and(|nd| nd == v)
    }
    /// True if the cell holds a real value.
    #[inline]
    pub fn is_valid_at(&self, i: usize) -> bool {
        !self.is_nodata(self.data[i])
    }
    /// Applies `f` to every valid cell; nodata cells become `out_nodata`.
    pub fn map<U: Cell>(&self, out_nodata: Option<U>, f: impl Fn(T) -> U + Sync) -> Grid<U> {
        use rayon::prelude::*;
        let fill = out_nodata.unwrap_or_default();
        let data: Vec<U> = self
            .data
            .par_iter()
            .map(|&v| if self.is_nodata(v) { fill } else { f(v) })
            .collect();
        Grid {
            width: self.width,
            height: self.height,
            data,
            transform: self.transform,
            crs: self.crs.clone(),
            nodata: out_nodata,
        }
    }
    /// Casts every cell to `U` (saturating), mapping nodata onto `out_nodata`.
    pub fn cast<U: Cell>(&self, out_nodata: Option<U>) -> Grid<U> {
        self.map(out_nodata, |v| U::from_f64(v.to_f64()))
    }
    /// Cells of the window `[col_off, col_off + w) × [row_off, row_off + h)`, with its transform.
    pub fn window(
        &self,
        col_off: usize,
        row_off: usize,
        w: usize,
        h: usize,
    ) -> Result<Grid<T>, GridError> {
        if col_off + w > self.width || row_off + h > self.height {
            return Err(GridError::OutOfBounds {
                col: (col_off + w) as i64,
                row: (row_off + h) as i64,
                width: self.width,
                height: self.height,
            });
        }
        let mut data = Vec::with_capacity(w * h);
        for r in row_off..row_off + h {
            data.extend_from_slice(
                &self.data[r * self.width + col_off..r * self.width + col_off + w],
            );
        }
        Ok(Grid {
            width: w,
            height: h,
            data,
            transform: self.transform.window(col_off, row_off),
            crs: self.crs.clone(),
            nodata: self.nodata,
        })
    }
    /// Count, min, max, sum and mean of the valid cells (`None` if there are none).
    pub fn stats(&self) -> Option<Stats> {
        use rayon::prelude::*;
        let s = self
            .data
            .par_chunks(1 << 16)
            .map(|chunk| {
                let mut s = Stats::empty();
                for &v in chunk {
                    if !self.is_nodata(v) {
                        s.push(v.to_f64());
                    }
                }
                s
            })
            .reduce(Stats::empty, Stats::merge);
        (s.count > 0).then_some(s)
    }
}

/// Summary statistics of valid cells.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct Stats {
    pub count: u64,
    pub min: f64,
    pub max: f64,
    pub sum: f64,
}

impl Stats {
    pub fn empty() -> Self {
        Stats {
            count: 0,
            min: f64::INFINITY,
            max: f64::NEG_INFINITY,
            sum: 0.0,
        }
    }
    #[inline]
    pub fn push(&mut self, v: f64) {
        self.count += 1;
        self.min = self.min.min(v);
        self.max = self.max.max(v);
        self.sum += v;
    }
    pub fn merge(a: Stats, b: Stats) -> Stats {
        Stats {
            count: a.count + b.count,
            min: a.min.min(b.min),
            max: a.max.max(b.max),
            sum: a.sum + b.sum,
        }
    }
    pub fn mean(&self) -> f64 {
        if self.count == 0 {
            f64::NAN
        } else {
            self.sum / self.count as f64
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    #[test]
    fn stats_skip_nodata_and_nan() {
        let mut g = Grid::from_rows(3, 1, vec![1.0f32, f32::NAN, 5.0]).unwrap();
        g.nodata = Some(5.0);
        let s = g.stats().unwrap();
        assert_eq!((s.count, s.min, s.max, s.sum), (1, 1.0, 1.0, 1.0));
    }
    #[test]
    fn window_keeps_georeferencing() {
        let spec = GridSpec::new(
            4,
            3,
            GeoTransform::north_up(100.0, 200.0, 10.0),
            Some(Crs::Epsg(4547)),
        );
        let g = Grid::from_vec(&spec, (0..12u8).collect(), None).unwrap();
        let w = g.window(1, 1, 2, 2).unwrap();
        assert_eq!(w.data, vec![5, 6, 9, 10]);
        assert_eq!((w.transform.x0, w.transform.y0), (110.0, 190.0));
        assert!(g.window(3, 0, 2, 1).is_err());
    }
    #[test]
    fn misalignment_is_explained() {
        let a = GridSpec::new(
            4,
            3,
            GeoTransform::north_up(0.0, 0.0, 30.0),
            Some(Crs::Epsg(4547)),
        );
        let mut b = a.clone();
        b.crs = Some(Crs::Epsg(4548));
        b.transform.x0 = 15.0;
        let msg = a.check_aligned(&b).unwrap_err().to_string();
        assert!(
            msg.contains("EPSG:4547 vs EPSG:4548") && msg.contains("origin"),
            "{msg}"
        );
        assert!(a.check_aligned(&a.clone()).is_ok());
    }
}
