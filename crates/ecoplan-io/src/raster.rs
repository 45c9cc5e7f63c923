//! Format-independent raster I/O: pick the reader/writer from the file name (or, for
//! unknown extensions, from the first bytes) and return/accept an [`AnyGrid`].
//!
//! ```no_run
//! use ecoplan_io::raster::{raster_info, read_raster, write_raster, WriteOptions, Compression};
//! use std::path::Path;
//! let info = raster_info(Path::new("dem.tif"))?;
//! println!("{}×{} {} {}", info.width, info.height, info.cell_type, info.compression);
//! let grid = read_raster(Path::new("dem.tif"))?;
//! let opts = WriteOptions { compression: Compression::Zstd, cog: true, ..Default::default() };
//! write_raster(Path::new("out/dem_cog.tif"), &grid, &opts)?;
//! # Ok::<(), ecoplan_io::IoError>(())
//! ```

use crate::geotiff::{self, BlockLayout, GeoTiff};
use crate::IoError;
use ecoplan_grid::{AnyGrid, CellType, Crs, GeoTransform};
use serde::Serialize;
use std::io::Read;
use std::path::Path;

pub use crate::geotiff::{Compression, OverviewResampling};

/// How [`write_raster`] writes a GeoTIFF (ignored for ASCII grids).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct WriteOptions {
    pub compression: Compression,
    /// Square tiles of this many cells (a multiple of 16); `None` writes strips.
    pub tile_size: Option<u32>,
    /// Predictor 2 for integer cells, 3 for floating point: smaller files for smooth data.
    pub predictor: bool,
    /// Cloud-optimized layout with overviews (tiled; 256-cell tiles if `tile_size` is `None`).
    pub cog: bool,
    /// How COG overviews are computed (use `Nearest` for class maps).
    pub overview_resampling: OverviewResampling,
    /// Write BigTIFF even when the file would fit in 4 GiB (it is chosen automatically above).
    pub force_bigtiff: bool,
    /// Codec level: deflate 1–12 (GDAL's `ZLEVEL`, libdeflate), zstd 1–22 (`ZSTD_LEVEL`).
    /// `None` uses GDAL's defaults (deflate 6, zstd 9). Level 1 deflate is about 3× faster
    /// to write than 6, for files a little larger; readers need nothing special.
    pub level: Option<i32>,
}

impl Default for WriteOptions {
    /// Deflate, 256×256 tiles, no predictor, not COG, average overviews, BigTIFF only if needed.
    fn default() -> Self {
        WriteOptions {
            compression: Compression::Deflate,
            tile_size: Some(256),
            predictor: false,
            cog: false,
            overview_resampling: OverviewResampling::Average,
            force_bigtiff: false,
            level: None,
        }
    }
}

/// Raster file formats ecoplan reads.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub enum RasterFormat {
    /// GDAL short name `GTiff`.
    GeoTiff,
    /// ESRI ASCII grid, GDAL short name `AAIGrid` (optionally gzip-compressed).
    AsciiGrid,
}

impl RasterFormat {
    /// GDAL's short driver name.
    pub fn gdal_name(self) -> &'static str {
        match self {
            RasterFormat::GeoTiff => "GTiff",
            RasterFormat::AsciiGrid => "AAIGrid",
        }
    }
}

/// Facts about a raster file for `ecoplan info` and for planning reads.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct RasterInfo {
    pub format: RasterFormat,
    pub width: usize,
    pub height: usize,
    pub cell_type: CellType,
    pub band_count: usize,
    pub transform: GeoTransform,
    pub crs: Option<Crs>,
    pub nodata: Option<f64>,
    /// GDAL's compression name: `NONE`, `DEFLATE`, `LZW`, `ZSTD`, … (`NONE` for ASCII grids).
    pub compression: String,
    /// Tile size `(width, height)`, or `None` for strips and ASCII grids.
    pub tiling: Option<(usize, usize)>,
    /// Overview sizes, largest first.
    pub overviews: Vec<(usize, usize)>,
    /// GeoTIFF with GDAL's cloud-optimized layout marker.
    pub cog: bool,
    /// Fallbacks taken while reading the header (e.g. an unrecognised user-defined CRS).
    pub warnings: Vec<String>,
}

fn format_of(path: &Path) -> Result<RasterFormat, IoError> {
    let name = path
        .file_name()
        .map(|n| n.to_string_lossy().to_ascii_lowercase())
        .unwrap_or_default();
    if name.ends_with(".tif") || name.ends_with(".tiff") {
        return Ok(RasterFormat::GeoTiff);
    }
    if name.ends_with(".asc") || name.ends_with(".asc.gz") {
        return Ok(RasterFormat::AsciiGrid);
    }
    // Unknown extension: look at the first bytes.
    let mut head = [0u8; 64];
    let n = std::fs::File::open(path)
        .and_then(|mut f| f.read(&mut head))
        .map_err(|e| IoError::io(path, e))?;
    let head = &head[..n];
    if head.len() >= 4 && (head.starts_with(b"II") || head.starts_with(b"MM")) {
        let v = if head[0] == b'I' {
            u16::from_le_bytes([head[2], head[3]])
        } else {
            u16::from_be_bytes([head[2], head[3]])
        };
        if v == 42 || v == 43 {
            return Ok(RasterFormat::GeoTiff);
        }
    }
    if head.starts_with(&[0x1f, 0x8b]) {
        return Ok(RasterFormat::AsciiGrid);
    }
    let text = String::from_utf8_lossy(head).to_ascii_lowercase();
    if text.trim_start().starts_with("ncols") || text.trim_start().starts_with("nrows") {
        return Ok(RasterFormat::AsciiGrid);
    }
    Err(IoError::unsupported(
        path,
        "not a raster format ecoplan reads: expected a GeoTIFF (.tif/.tiff) or an ESRI ASCII \
         grid (.asc/.asc.gz); convert with gdal_translate -of GTiff",
    ))
}

/// Reads band 1 of a GeoTIFF (`.tif`, `.tiff`) or an ESRI ASCII grid (`.asc`, `.asc.gz`);
/// other extensions are recognised by their first bytes.
pub fn read_raster(path: &Path) -> Result<AnyGrid, IoError> {
    match format_of(path)? {
        RasterFormat::GeoTiff => geotiff::read_geotiff(path),
        RasterFormat::AsciiGrid => crate::ascii::read_ascii(path),
    }
}

/// Reads the `width × height` window at `(col_off, row_off)`. For GeoTIFF only the
/// strips/tiles it touches are decoded; ASCII grids are read whole and cut.
pub fn read_raster_window(
    path: &Path,
    col_off: usize,
    row_off: usize,
    width: usize,
    height: usize,
) -> Result<AnyGrid, IoError> {
    match format_of(path)? {
        RasterFormat::GeoTiff => {
            geotiff::read_geotiff_window(path, col_off, row_off, width, height)
        }
        RasterFormat::AsciiGrid => {
            let g = crate::ascii::read_ascii(path)?;
            let cut = ecoplan_grid::with_any_grid!(&g, g => g
                .window(col_off, row_off, width, height)
                .map(AnyGrid::from));
            cut.map_err(|e| IoError::unsupported(path, format!("window: {e}")))
        }
    }
}

/// Size, cell type, georeferencing and layout. GeoTIFF cells are not decoded; an ASCII grid
/// has to be parsed in full (its cell type depends on every value).
pub fn raster_info(path: &Path) -> Result<RasterInfo, IoError> {
    match format_of(path)? {
        RasterFormat::GeoTiff => {
            let t = GeoTiff::open(path)?;
            let i = t.info().clone();
            Ok(RasterInfo {
                format: RasterFormat::GeoTiff,
                width: i.width,
                height: i.height,
                cell_type: i.cell_type,
                band_count: i.band_count,
                transform: i.transform,
                crs: i.crs,
                nodata: i.nodata,
                compression: geotiff::compression_name(i.compression_code),
                tiling: match i.layout {
                    BlockLayout::Tiled { width, height } => Some((width, height)),
                    BlockLayout::Striped { .. } => None,
                },
                overviews: i.overviews,
                cog: i.cog_layout,
                warnings: i.warnings,
            })
        }
        RasterFormat::AsciiGrid => {
            let g = crate::ascii::read_ascii(path)?;
            Ok(RasterInfo {
                format: RasterFormat::AsciiGrid,
                width: g.width(),
                height: g.height(),
                cell_type: g.cell_type(),
                band_count: 1,
                transform: g.transform(),
                crs: g.crs().cloned(),
                nodata: g.nodata_f64(),
                compression: "NONE".into(),
                tiling: None,
                overviews: vec![],
                cog: false,
                warnings: vec![],
            })
        }
    }
}

/// Writes `grid` atomically: `.tif`/`.tiff` as GeoTIFF with `opts`, `.asc`/`.asc.gz` as an
/// ESRI ASCII grid; other extensions are refused.
pub fn write_raster(path: &Path, grid: &AnyGrid, opts: &WriteOptions) -> Result<(), IoError> {
    let name = path
        .file_name()
        .map(|n| n.to_string_lossy().to_ascii_lowercase())
        .unwrap_or_default();
    if name.ends_with(".asc") || name.ends_with(".asc.gz") {
        crate::ascii::write_ascii(path, grid)
    } else if name.ends_with(".tif") || name.ends_with(".tiff") {
        geotiff::write_geotiff(path, grid, opts)
    } else {
        Err(IoError::unsupported(
            path,
            "unknown raster extension: name the output .tif/.tiff (GeoTIFF) or .asc/.asc.gz \
             (ESRI ASCII grid)",
        ))
    }
}

/// Parses an ESRI ASCII grid (plain or gzip) from memory: the body of the `ascii_read` fuzz
/// target, kept here so the stable no-panic test runs exactly what the fuzzer runs.
pub fn fuzz_ascii(bytes: &[u8]) -> Result<AnyGrid, String> {
    let text = if bytes.starts_with(&[0x1f, 0x8b]) {
        let mut s = Vec::new();
        flate2::read::GzDecoder::new(bytes)
            .take(16 << 20)
            .read_to_end(&mut s)
            .map_err(|e| e.to_string())?;
        String::from_utf8_lossy(&s).into_owned()
    } else {
        String::from_utf8_lossy(bytes).into_owned()
    };
    crate::ascii::parse_ascii(&text)
}
