use std::fmt::Debug;

/// The cell types a raster may hold (the GeoTIFF sample formats ecoplan supports).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum CellType {
    U8,
    U16,
    I16,
    I32,
    U32,
    F32,
    F64,
}

impl CellType {
    /// Size of one cell in bytes.
    pub fn size_bytes(self) -> usize {
        match self {
            CellType::U8 => 1,
            CellType::U16 | CellType::I16 => 2,
            CellType::I32 | CellType::U32 | CellType::F32 => 4,
            CellType::F64 => 8,
        }
    }
    pub fn is_float(self) -> bool {
        matches!(self, CellType::F32 | CellType::F64)
    }
    /// GDAL's name for the type (`Byte`, `UInt16`, …), used in reports and `info`.
    pub fn gdal_name(self) -> &'static str {
        match self {
            CellType::U8 => "Byte",
            CellType::U16 => "UInt16",
            CellType::I16 => "Int16",
            CellType::I32 => "Int32",
            CellType::U32 => "UInt32",
            CellType::F32 => "Float32",
            CellType::F64 => "Float64",
        }
    }
}

impl std::fmt::Display for CellType {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.gdal_name())
    }
}

/// A value a grid cell can hold.
pub trait Cell: Copy + Send + Sync + PartialEq + PartialOrd + Default + Debug + 'static {
    const TYPE: CellType;
    fn to_f64(self) -> f64;
    /// Converts with saturation (and NaN → 0 for integer types), like a numeric cast.
    fn from_f64(v: f64) -> Self;
    /// True for NaN in float types; integers are never NaN.
    fn is_nan(self) -> bool {
        false
    }
}

macro_rules! int_cell {
    ($t:ty, $ct:ident) => {
        impl Cell for $t {
            const TYPE: CellType = CellType::$ct;
            #[inline]
            fn to_f64(self) -> f64 {
                self as f64
            }
            #[inline]
            fn from_f64(v: f64) -> Self {
                v as $t
            }
        }
    };
}
int_cell!(u8, U8);
int_cell!(u16, U16);
int_cell!(i16, I16);
int_cell!(i32, I32);
int_cell!(u32, U32);

impl Cell for f32 {
    const TYPE: CellType = CellType::F32;
    #[inline]
    fn to_f64(self) -> f64 {
        self as f64
    }
    #[inline]
    fn from_f64(v: f64) -> Self {
        v as f32
    }
    #[inline]
    fn is_nan(self) -> bool {
        f32::is_nan(self)
    }
}
impl Cell for f64 {
    const TYPE: CellType = CellType::F64;
    #[inline]
    fn to_f64(self) -> f64 {
        self
    }
    #[inline]
    fn from_f64(v: f64) -> Self {
        v
    }
    #[inline]
    fn is_nan(self) -> bool {
        f64::is_nan(self)
    }
}
