//! Terrain and hydrology primitives on grids: pit filling, D8 and MFD flow direction,
//! flow accumulation, slope/aspect, stream extraction, distance to channel and watersheds.
//!
//! Conventions follow pygeoprocessing 2.4 (the routing library under natcap.invest), so that the
//! InVEST models in [`crate::invest`] reproduce natcap.invest outputs:
//!
//! * D8 directions are numbered counter-clockwise from east:
//!   ```text
//!   3 2 1
//!   4 x 0
//!   5 6 7
//!   ```
//!   and a D8 raster stores [`D8_NODATA`] (128) where the DEM is nodata.
//! * MFD directions pack eight 4-bit flow weights into one 32-bit integer: the weight towards
//!   direction `d` is `(v >> (4*d)) & 0xF`; 0 means "no flow direction" (nodata).
//! * Where a routine depends on visiting order (flat resolution, MFD stream tracing), it visits
//!   pixels in pygeoprocessing's order: 256×256 tiles, row-major inside and across tiles.
//!
//! DEMs are `Grid<f64>`; nodata is the grid's nodata value or NaN.

mod accum;
mod dirs;
mod fill;
mod slope;
mod streams;

pub use accum::{
    distance_to_channel_d8, distance_to_channel_d8_ordered, distance_to_channel_mfd,
    distance_to_channel_mfd_ordered, flow_accumulation_d8, flow_accumulation_d8_ordered,
    flow_accumulation_mfd, flow_accumulation_mfd_ordered, topological_order_d8,
    topological_order_mfd, FLOW_ACCUM_NODATA,
};
pub use dirs::{flow_dir_d8, flow_dir_mfd};
pub use fill::{fill_pits, fill_pits_epsilon};
pub use slope::{aspect_degrees, slope_percent, slope_percent_horn, SLOPE_NODATA};
pub use streams::{extract_streams_d8, extract_streams_mfd, watersheds_d8, STREAM_NODATA};

use ecoplan_grid::Grid;

/// Row offset of each D8 direction.
pub const ROW_OFFSETS: [isize; 8] = [0, -1, -1, -1, 0, 1, 1, 1];
/// Column offset of each D8 direction.
pub const COL_OFFSETS: [isize; 8] = [1, 1, 0, -1, -1, -1, 0, 1];
/// If pixel `x` has neighbour `n` in direction `d`, then `x` is `n`'s neighbour in `INFLOW[d]`.
pub const INFLOW: [usize; 8] = [4, 5, 6, 7, 0, 1, 2, 3];
/// D8 nodata (pygeoprocessing's value).
pub const D8_NODATA: u8 = 128;
/// MFD nodata: no flow in any direction.
pub const MFD_NODATA: i32 = 0;

pub(crate) const SQRT2: f64 = std::f64::consts::SQRT_2;
pub(crate) const SQRT2_INV: f64 = 1.0 / std::f64::consts::SQRT_2;
const TILE: usize = 256;

/// Index of the neighbour of `i` in direction `d`, `None` outside the grid.
#[inline]
pub(crate) fn neighbor(w: usize, h: usize, i: usize, d: usize) -> Option<usize> {
    let c = (i % w) as isize + COL_OFFSETS[d];
    let r = (i / w) as isize + ROW_OFFSETS[d];
    if c < 0 || r < 0 || c as usize >= w || r as usize >= h {
        None
    } else {
        Some(r as usize * w + c as usize)
    }
}

/// Weight of MFD direction `d` in packed value `v`.
#[inline]
pub fn mfd_weight(v: i32, d: usize) -> u32 {
    ((v as u32) >> (4 * d)) & 0xF
}

/// Sum of the eight MFD weights of packed value `v`.
#[inline]
pub fn mfd_weight_sum(v: i32) -> u32 {
    (0..8).map(|d| mfd_weight(v, d)).sum()
}

/// Pixel indices in pygeoprocessing's block order (256×256 tiles).
pub(crate) fn tile_order(w: usize, h: usize) -> impl Iterator<Item = usize> {
    let ntx = w.div_ceil(TILE);
    let nty = h.div_ceil(TILE);
    (0..nty).flat_map(move |ty| {
        (0..ntx).flat_map(move |tx| {
            let r0 = ty * TILE;
            let c0 = tx * TILE;
            let r1 = (r0 + TILE).min(h);
            let c1 = (c0 + TILE).min(w);
            (r0..r1).flat_map(move |r| (c0..c1).map(move |c| r * w + c))
        })
    })
}

/// DEM values with nodata mapped to NaN.
pub(crate) fn dem_values(dem: &Grid<f64>) -> Vec<f64> {
    dem.data
        .iter()
        .map(|&v| if dem.is_nodata(v) { f64::NAN } else { v })
        .collect()
}

/// A grid with `dem`'s geometry and the given cells.
pub(crate) fn like<T: ecoplan_grid::Cell, U: ecoplan_grid::Cell>(
    base: &Grid<U>,
    data: Vec<T>,
    nodata: Option<T>,
) -> Grid<T> {
    Grid {
        width: base.width,
        height: base.height,
        data,
        transform: base.transform,
        crs: base.crs.clone(),
        nodata,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    #[test]
    fn tile_order_covers_every_pixel_once() {
        let (w, h) = (300, 260);
        let mut seen = vec![false; w * h];
        let order: Vec<usize> = tile_order(w, h).collect();
        assert_eq!(order.len(), w * h);
        for i in order.iter().copied() {
            assert!(!seen[i]);
            seen[i] = true;
        }
        // the first tile is 256 wide: pixel (256, 0) comes after row 255 of the first tile
        assert_eq!(order[256 * 256], 256);
    }
    #[test]
    fn inflow_is_reverse_direction() {
        for d in 0..8 {
            let e = INFLOW[d];
            assert_eq!(COL_OFFSETS[d], -COL_OFFSETS[e]);
            assert_eq!(ROW_OFFSETS[d], -ROW_OFFSETS[e]);
        }
    }
}
