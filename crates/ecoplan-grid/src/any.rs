use crate::{CellType, Crs, GeoTransform, Grid, GridSpec};

/// A grid whose cell type is known only at run time.
#[derive(Debug, Clone, PartialEq)]
pub enum AnyGrid {
    U8(Grid<u8>),
    U16(Grid<u16>),
    I16(Grid<i16>),
    I32(Grid<i32>),
    U32(Grid<u32>),
    F32(Grid<f32>),
    F64(Grid<f64>),
}

/// Runs `$body` with `$g` bound to the inner `Grid<T>` whatever its cell type.
#[macro_export]
macro_rules! with_any_grid {
    ($any:expr, $g:ident => $body:expr) => {
        match $any {
            $crate::AnyGrid::U8($g) => $body,
            $crate::AnyGrid::U16($g) => $body,
            $crate::AnyGrid::I16($g) => $body,
            $crate::AnyGrid::I32($g) => $body,
            $crate::AnyGrid::U32($g) => $body,
            $crate::AnyGrid::F32($g) => $body,
            $crate::AnyGrid::F64($g) => $body,
        }
    };
}

impl AnyGrid {
    pub fn cell_type(&self) -> CellType {
        match self {
            AnyGrid::U8(_) => CellType::U8,
            AnyGrid::U16(_) => CellType::U16,
            AnyGrid::I16(_) => CellType::I16,
            AnyGrid::I32(_) => CellType::I32,
            AnyGrid::U32(_) => CellType::U32,
            AnyGrid::F32(_) => CellType::F32,
            AnyGrid::F64(_) => CellType::F64,
        }
    }
    pub fn spec(&self) -> GridSpec {
        with_any_grid!(self, g => g.spec())
    }
    pub fn width(&self) -> usize {
        with_any_grid!(self, g => g.width)
    }
    pub fn height(&self) -> usize {
        with_any_grid!(self, g => g.height)
    }
    pub fn transform(&self) -> GeoTransform {
        with_any_grid!(self, g => g.transform)
    }
    pub fn crs(&self) -> Option<&Crs> {
        with_any_grid!(self, g => g.crs.as_ref())
    }
    pub fn set_crs(&mut self, crs: Option<Crs>) {
        with_any_grid!(self, g => g.crs = crs)
    }
    pub fn nodata_f64(&self) -> Option<f64> {
        use crate::Cell;
        with_any_grid!(self, g => g.nodata.map(|v| v.to_f64()))
    }
    /// Value of cell `i` as f64, `None` when it is nodata.
    pub fn value_f64(&self, i: usize) -> Option<f64> {
        use crate::Cell;
        with_any_grid!(self, g => { let v = g.data[i]; if g.is_nodata(v) { None } else { Some(v.to_f64()) } })
    }
    pub fn stats(&self) -> Option<crate::grid::Stats> {
        with_any_grid!(self, g => g.stats())
    }
    /// Converts to f64 cells (nodata → NaN), for algorithms that want one type.
    pub fn to_f64(&self) -> Grid<f64> {
        with_any_grid!(self, g => g.cast::<f64>(Some(f64::NAN)))
    }
    /// Converts to f32 cells (nodata → NaN).
    pub fn to_f32(&self) -> Grid<f32> {
        with_any_grid!(self, g => g.cast::<f32>(Some(f32::NAN)))
    }
}

macro_rules! from_grid {
    ($t:ty, $v:ident) => {
        impl From<Grid<$t>> for AnyGrid {
            fn from(g: Grid<$t>) -> Self {
                AnyGrid::$v(g)
            }
        }
    };
}
from_grid!(u8, U8);
from_grid!(u16, U16);
from_grid!(i16, I16);
from_grid!(i32, I32);
from_grid!(u32, U32);
from_grid!(f32, F32);
from_grid!(f64, F64);
