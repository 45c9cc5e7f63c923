//! GeoTIFF reading and writing, in pure Rust.
//!
//! **Reading** ([`GeoTiff::open`], [`read_geotiff`], [`read_geotiff_window`], [`geotiff_info`]):
//! classic TIFF and BigTIFF, either byte order, strips or tiles, chunky or planar samples,
//! compression none / deflate (8, 32946) / LZW / zstd / PackBits, predictors 1, 2 and 3, and
//! cell types u8, i8 (read as i16), u16, i16, u32, i32, f32, f64. Band 1 is read; the band count
//! is reported. GeoKeys give the [`Crs`] (EPSG codes directly; common user-defined projections
//! as a PROJ string, otherwise `None` plus a warning in [`GeoTiffInfo::warnings`]);
//! ModelPixelScale + ModelTiepoint or ModelTransformation give the [`GeoTransform`]
//! (shifted by half a cell for RasterPixelIsPoint, as GDAL does); GDAL_NODATA gives nodata.
//! Only the strips/tiles a window touches are read, and they are decoded in parallel.
//! Malformed files give [`IoError::Format`] naming the file and the problem, never a panic.
//!
//! **Writing** ([`write_geotiff`]): tiled or stripped, deflate/LZW/zstd/PackBits/none,
//! optional predictor, EPSG GeoKeys, GDAL_NODATA, BigTIFF when the file may pass 4 GiB, and a
//! cloud-optimized layout (IFDs first, overviews, GDAL's block leader/trailer) on request.

mod codec;
mod container;
mod geokeys;
mod image;
mod write;

use crate::IoError;
use container::{BytesSource, FileSource, Header, Ifd, Source, Tags};
use ecoplan_grid::{AnyGrid, Cell, CellType, Crs, GeoTransform, Grid, GridSpec};
use image::{Image, Sample};
use serde::Serialize;
use std::path::{Path, PathBuf};

pub use codec::compression_name;
pub use write::{write_geotiff, GeoTiffRowWriter};

/// Compression of strips/tiles (what ecoplan writes, and the codecs it reads).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default, Serialize, serde::Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Compression {
    None,
    #[default]
    Deflate,
    Lzw,
    Zstd,
    PackBits,
}

impl Compression {
    /// The TIFF `Compression` tag value written for this codec.
    pub fn tiff_code(self) -> u16 {
        match self {
            Compression::None => codec::code::NONE,
            Compression::Deflate => codec::code::DEFLATE,
            Compression::Lzw => codec::code::LZW,
            Compression::Zstd => codec::code::ZSTD,
            Compression::PackBits => codec::code::PACKBITS,
        }
    }
    /// The codec for a TIFF `Compression` tag value, if ecoplan reads it.
    pub fn from_tiff_code(c: u16) -> Option<Compression> {
        Some(match c {
            codec::code::NONE => Compression::None,
            codec::code::DEFLATE | codec::code::DEFLATE_OLD => Compression::Deflate,
            codec::code::LZW => Compression::Lzw,
            codec::code::ZSTD => Compression::Zstd,
            codec::code::PACKBITS => Compression::PackBits,
            _ => return None,
        })
    }
    /// Parses `none`, `deflate` (or `zip`), `lzw`, `zstd`, `packbits`, any case.
    pub fn parse(s: &str) -> Option<Compression> {
        Some(match s.to_ascii_lowercase().as_str() {
            "none" => Compression::None,
            "deflate" | "zip" => Compression::Deflate,
            "lzw" => Compression::Lzw,
            "zstd" => Compression::Zstd,
            "packbits" => Compression::PackBits,
            _ => return None,
        })
    }
    /// GDAL's name: `NONE`, `DEFLATE`, `LZW`, `ZSTD`, `PACKBITS`.
    pub fn name(self) -> &'static str {
        match self {
            Compression::None => "NONE",
            Compression::Deflate => "DEFLATE",
            Compression::Lzw => "LZW",
            Compression::Zstd => "ZSTD",
            Compression::PackBits => "PACKBITS",
        }
    }
}

/// How overviews are computed from the full-resolution cells.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default, Serialize, serde::Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum OverviewResampling {
    /// Mean of the valid cells of each block (nodata/NaN skipped; integers rounded).
    #[default]
    Average,
    /// One cell from the middle of each block: right for class maps (land cover).
    Nearest,
}

/// Strips or tiles, and their size in cells.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase", tag = "kind")]
pub enum BlockLayout {
    Tiled { width: usize, height: usize },
    Striped { rows_per_strip: usize },
}

/// Everything about a GeoTIFF that can be known without decoding its cells.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct GeoTiffInfo {
    pub width: usize,
    pub height: usize,
    /// Type of the cells [`GeoTiff::read`] returns (8-bit signed files are widened to `I16`).
    pub cell_type: CellType,
    pub band_count: usize,
    pub transform: GeoTransform,
    pub crs: Option<Crs>,
    /// GDAL_NODATA as written in the file (also when the cell type cannot hold it).
    pub nodata: Option<f64>,
    /// TIFF compression code; see [`compression_name`].
    pub compression_code: u16,
    /// 1 none, 2 horizontal differencing, 3 floating point.
    pub predictor: u16,
    pub layout: BlockLayout,
    pub bigtiff: bool,
    pub big_endian: bool,
    /// RasterPixelIsPoint in the GeoKeys (the transform is already shifted to cell corners).
    pub pixel_is_point: bool,
    /// Sizes of the reduced-resolution images (overviews), largest first.
    pub overviews: Vec<(usize, usize)>,
    /// GDAL's structural metadata says LAYOUT=IFDS_BEFORE_DATA (cloud-optimized layout).
    pub cog_layout: bool,
    /// Things that were read with a fallback (unknown user-defined CRS, unusable nodata, …).
    pub warnings: Vec<String>,
}

/// Bounds on what a reader may allocate; checked before decoding.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ReadLimits {
    /// Most cells one read may return (default 2³⁴ ≈ 17·10⁹).
    pub max_cells: u64,
}

impl Default for ReadLimits {
    fn default() -> Self {
        ReadLimits { max_cells: 1 << 34 }
    }
}

/// An open GeoTIFF: header and directories parsed, cells read on demand.
pub struct GeoTiff {
    path: PathBuf,
    src: Box<dyn Source>,
    header: Header,
    ifds: Vec<Ifd>,
    image: Image,
    info: GeoTiffInfo,
    limits: ReadLimits,
    /// IFD indices of the overviews, matching `info.overviews`.
    overview_ifds: Vec<usize>,
}

impl std::fmt::Debug for GeoTiff {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("GeoTiff")
            .field("path", &self.path)
            .field("info", &self.info)
            .finish()
    }
}

impl GeoTiff {
    /// Opens a file and parses its header, directories and georeferencing (no cells yet).
    pub fn open(path: &Path) -> Result<GeoTiff, IoError> {
        let file = std::fs::File::open(path).map_err(|e| IoError::io(path, e))?;
        let src = FileSource::new(file).map_err(|e| IoError::io(path, e))?;
        Self::from_source(path.to_path_buf(), Box::new(src), ReadLimits::default())
    }

    /// Parses a GeoTIFF held in memory; `name` is used in error messages.
    pub fn from_bytes(
        name: impl Into<PathBuf>,
        bytes: Vec<u8>,
        limits: ReadLimits,
    ) -> Result<GeoTiff, IoError> {
        Self::from_source(name.into(), Box::new(BytesSource(bytes)), limits)
    }

    /// Replaces the read limits.
    pub fn with_limits(mut self, limits: ReadLimits) -> Self {
        self.limits = limits;
        self
    }

    fn from_source(
        path: PathBuf,
        src: Box<dyn Source>,
        limits: ReadLimits,
    ) -> Result<GeoTiff, IoError> {
        let parsed = (|| {
            let header = container::read_header(src.as_ref())?;
            let ifds = container::read_ifd_chain(src.as_ref(), &header)?;
            let tags = Tags {
                src: src.as_ref(),
                header,
                ifd: &ifds[0],
            };
            let image = Image::parse(&tags)?;
            let mut warnings = Vec::new();
            let (transform, crs, pixel_is_point) = georeferencing(&tags, &mut warnings)?;
            let nodata = match tags.ascii(container::tag::GDAL_NODATA)? {
                Some(s) => parse_nodata(&s, &mut warnings),
                None => None,
            };
            let mut overviews = Vec::new();
            let mut overview_ifds = Vec::new();
            for (i, ifd) in ifds.iter().enumerate().skip(1) {
                let t = Tags {
                    src: src.as_ref(),
                    header,
                    ifd,
                };
                match Image::peek_size(&t) {
                    // Reduced-resolution images that are not masks.
                    Ok((w, h, sub)) if sub & 1 == 1 && sub & 4 == 0 => {
                        overviews.push((w, h));
                        overview_ifds.push(i);
                    }
                    Ok(_) => {}
                    Err(_) => warnings.push(format!("IFD {i} is unreadable and was skipped")),
                }
            }
            let info = GeoTiffInfo {
                width: image.width,
                height: image.height,
                cell_type: image.file_cell.cell_type(),
                band_count: image.samples,
                transform,
                crs,
                nodata,
                compression_code: image.compression_code,
                predictor: image.predictor,
                layout: if image.tiled {
                    BlockLayout::Tiled {
                        width: image.chunk_w,
                        height: image.chunk_h,
                    }
                } else {
                    BlockLayout::Striped {
                        rows_per_strip: image.chunk_h,
                    }
                },
                bigtiff: header.bigtiff,
                big_endian: header.big_endian,
                pixel_is_point,
                overviews,
                cog_layout: has_cog_ghost_area(src.as_ref(), &header),
                warnings,
            };
            Ok((header, ifds, image, info, overview_ifds))
        })();
        let (header, ifds, image, info, overview_ifds) =
            parsed.map_err(|e: container::Fail| e.into_io_error(&path))?;
        Ok(GeoTiff {
            path,
            src,
            header,
            ifds,
            image,
            info,
            limits,
            overview_ifds,
        })
    }

    pub fn info(&self) -> &GeoTiffInfo {
        &self.info
    }
    pub fn path(&self) -> &Path {
        &self.path
    }

    /// Reads band 1 in full.
    pub fn read(&self) -> Result<AnyGrid, IoError> {
        self.read_window(0, 0, self.info.width, self.info.height)
    }

    /// Reads the `width × height` window of band 1 whose top-left cell is `(col_off, row_off)`;
    /// only the strips/tiles it touches are decoded. The window must lie inside the image.
    pub fn read_window(
        &self,
        col_off: usize,
        row_off: usize,
        width: usize,
        height: usize,
    ) -> Result<AnyGrid, IoError> {
        let (iw, ih) = (self.info.width, self.info.height);
        if width == 0
            || height == 0
            || col_off.checked_add(width).is_none_or(|e| e > iw)
            || row_off.checked_add(height).is_none_or(|e| e > ih)
        {
            return Err(IoError::unsupported(
                &self.path,
                format!(
                    "window {width}×{height} at column {col_off}, row {row_off} is empty or \
                     outside the {iw}×{ih} image"
                ),
            ));
        }
        let transform = self.info.transform.window(col_off, row_off);
        self.read_image(&self.image, col_off, row_off, width, height, transform)
    }

    /// Reads overview `index` (0 = largest, as listed in [`GeoTiffInfo::overviews`]) in full.
    /// Its transform is the full image's with cells scaled to the overview size.
    pub fn read_overview(&self, index: usize) -> Result<AnyGrid, IoError> {
        let Some(&ifd_index) = self.overview_ifds.get(index) else {
            return Err(IoError::unsupported(
                &self.path,
                format!(
                    "overview {index} does not exist (the file has {})",
                    self.overview_ifds.len()
                ),
            ));
        };
        let tags = Tags {
            src: self.src.as_ref(),
            header: self.header,
            ifd: &self.ifds[ifd_index],
        };
        let img = Image::parse(&tags).map_err(|e| e.into_io_error(&self.path))?;
        if img.file_cell != self.image.file_cell {
            return Err(IoError::format(
                &self.path,
                format!("overview {index} has a different cell type than the image"),
            ));
        }
        let t = self.info.transform;
        let (sx, sy) = (
            self.info.width as f64 / img.width as f64,
            self.info.height as f64 / img.height as f64,
        );
        let transform = GeoTransform {
            dx: t.dx * sx,
            rx: t.rx * sy,
            ry: t.ry * sx,
            dy: t.dy * sy,
            ..t
        };
        let (w, h) = (img.width, img.height);
        self.read_image(&img, 0, 0, w, h, transform)
    }

    fn read_image(
        &self,
        img: &Image,
        col_off: usize,
        row_off: usize,
        width: usize,
        height: usize,
        transform: GeoTransform,
    ) -> Result<AnyGrid, IoError> {
        let cells = width as u64 * height as u64;
        if cells > self.limits.max_cells {
            return Err(IoError::unsupported(
                &self.path,
                format!(
                    "reading {width}×{height} = {cells} cells exceeds the limit of {} cells; \
                     read it in windows",
                    self.limits.max_cells
                ),
            ));
        }
        let spec = GridSpec::new(width, height, transform, self.info.crs.clone());
        Ok(match img.file_cell.cell_type() {
            CellType::U8 => self.typed::<u8>(img, &spec, col_off, row_off)?.into(),
            CellType::U16 => self.typed::<u16>(img, &spec, col_off, row_off)?.into(),
            CellType::I16 => self.typed::<i16>(img, &spec, col_off, row_off)?.into(),
            CellType::I32 => self.typed::<i32>(img, &spec, col_off, row_off)?.into(),
            CellType::U32 => self.typed::<u32>(img, &spec, col_off, row_off)?.into(),
            CellType::F32 => self.typed::<f32>(img, &spec, col_off, row_off)?.into(),
            CellType::F64 => self.typed::<f64>(img, &spec, col_off, row_off)?.into(),
        })
    }

    fn typed<T: Sample>(
        &self,
        img: &Image,
        spec: &GridSpec,
        col_off: usize,
        row_off: usize,
    ) -> Result<Grid<T>, IoError> {
        let nodata = self.info.nodata.and_then(exact_cell::<T>);
        let data = img
            .read_window(
                self.src.as_ref(),
                col_off,
                row_off,
                spec.width,
                spec.height,
                nodata.unwrap_or_default(),
            )
            .map_err(|e| e.into_io_error(&self.path))?;
        Ok(Grid::from_vec(spec, data, nodata)?)
    }
}

/// `v` as a `T` if `T` holds it exactly (NaN counts for float types).
fn exact_cell<T: Cell>(v: f64) -> Option<T> {
    let c = T::from_f64(v);
    if v.is_nan() {
        return c.is_nan().then_some(c);
    }
    let back = c.to_f64();
    // f32 nodata values are stored in decimal; accept the nearest f32.
    let ok = back == v || (T::TYPE == CellType::F32 && (v as f32) as f64 == back);
    ok.then_some(c)
}

fn parse_nodata(text: &str, warnings: &mut Vec<String>) -> Option<f64> {
    let t = text.trim().trim_end_matches('\0');
    let v = match t.to_ascii_lowercase().as_str() {
        "nan" | "-nan" | "+nan" => Some(f64::NAN),
        "inf" | "+inf" | "infinity" => Some(f64::INFINITY),
        "-inf" | "-infinity" => Some(f64::NEG_INFINITY),
        s => s.parse::<f64>().ok(),
    };
    if v.is_none() {
        warnings.push(format!(
            "GDAL_NODATA `{t}` is not a number; the image is read without nodata"
        ));
    }
    v
}

/// Transform, CRS and PixelIsPoint from the georeferencing tags.
fn georeferencing(
    t: &Tags,
    warnings: &mut Vec<String>,
) -> container::Res<(GeoTransform, Option<Crs>, bool)> {
    use container::tag;
    let keys = match t.shorts(tag::GEO_KEY_DIRECTORY)? {
        Some(dir) => {
            let doubles = t.doubles(tag::GEO_DOUBLE_PARAMS)?;
            let ascii = t.ascii(tag::GEO_ASCII_PARAMS)?;
            Some(geokeys::GeoKeys::parse(
                &dir,
                doubles.as_deref(),
                ascii.as_deref(),
            )?)
        }
        None => None,
    };
    let crs = keys.as_ref().and_then(|k| k.crs(warnings));
    let pixel_is_point = keys.as_ref().is_some_and(|k| k.pixel_is_point());
    let finite = |name: u16, v: &[f64]| -> container::Res<()> {
        if v.iter().all(|x| x.is_finite()) {
            Ok(())
        } else {
            container::format(format!("{} holds non-finite numbers", tag::name(name)))
        }
    };
    let mut transform = None;
    if let Some(m) = t.doubles(tag::MODEL_TRANSFORMATION)? {
        if m.len() < 16 {
            return container::format(format!(
                "ModelTransformationTag has {} values (needs 16)",
                m.len()
            ));
        }
        finite(tag::MODEL_TRANSFORMATION, &m)?;
        transform = Some(GeoTransform {
            x0: m[3],
            dx: m[0],
            rx: m[1],
            y0: m[7],
            ry: m[4],
            dy: m[5],
        });
    } else {
        let scale = t.doubles(tag::MODEL_PIXEL_SCALE)?;
        let ties = t.doubles(tag::MODEL_TIEPOINT)?;
        match (scale, ties) {
            (Some(s), Some(tp)) => {
                if s.len() < 2 {
                    return container::format(format!(
                        "ModelPixelScaleTag has {} values (needs 3)",
                        s.len()
                    ));
                }
                if tp.len() < 6 {
                    return container::format(format!(
                        "ModelTiepointTag has {} values (needs 6 per tie point)",
                        tp.len()
                    ));
                }
                finite(tag::MODEL_PIXEL_SCALE, &s)?;
                finite(tag::MODEL_TIEPOINT, &tp)?;
                let (i, j, x, y) = (tp[0], tp[1], tp[3], tp[4]);
                transform = Some(GeoTransform {
                    x0: x - i * s[0],
                    dx: s[0],
                    rx: 0.0,
                    y0: y + j * s[1],
                    ry: 0.0,
                    dy: -s[1],
                });
            }
            (None, Some(tp)) if tp.len() > 6 => warnings.push(format!(
                "georeferenced by {} ground control points, which ecoplan does not use; \
                 warp the file first (gdalwarp)",
                tp.len() / 6
            )),
            (Some(_), None) => warnings
                .push("ModelPixelScaleTag without ModelTiepointTag: no georeferencing".to_string()),
            _ => {}
        }
    }
    let mut transform = transform.unwrap_or_default();
    if pixel_is_point {
        // GDAL's convention: the tie point names a cell centre; move to the corner.
        transform.x0 -= 0.5 * transform.dx + 0.5 * transform.rx;
        transform.y0 -= 0.5 * transform.ry + 0.5 * transform.dy;
    }
    Ok((transform, crs, pixel_is_point))
}

/// GDAL's ghost area after the header announces a cloud-optimized layout.
fn has_cog_ghost_area(src: &dyn Source, h: &Header) -> bool {
    let start = if h.bigtiff { 16 } else { 8 };
    let n = src.len().saturating_sub(start).min(200) as usize;
    let mut buf = vec![0u8; n];
    if src.read_at(start, &mut buf).is_err() {
        return false;
    }
    let text = String::from_utf8_lossy(&buf);
    text.starts_with("GDAL_STRUCTURAL_METADATA_SIZE=") && text.contains("LAYOUT=IFDS_BEFORE_DATA")
}

/// Reads band 1 of a GeoTIFF.
pub fn read_geotiff(path: &Path) -> Result<AnyGrid, IoError> {
    GeoTiff::open(path)?.read()
}

/// Reads a window of band 1 of a GeoTIFF, decoding only the strips/tiles it touches.
pub fn read_geotiff_window(
    path: &Path,
    col_off: usize,
    row_off: usize,
    width: usize,
    height: usize,
) -> Result<AnyGrid, IoError> {
    GeoTiff::open(path)?.read_window(col_off, row_off, width, height)
}

/// Size, cell type, georeferencing and layout of a GeoTIFF, without decoding cells.
pub fn geotiff_info(path: &Path) -> Result<GeoTiffInfo, IoError> {
    Ok(GeoTiff::open(path)?.info)
}

/// Decodes a GeoTIFF from memory with the given limits: the body of the `geotiff_read` fuzz
/// target, kept here so the stable no-panic test runs exactly what the fuzzer runs.
pub fn fuzz_read(bytes: &[u8]) -> Result<AnyGrid, IoError> {
    let limits = ReadLimits { max_cells: 1 << 22 };
    let tif = GeoTiff::from_bytes("fuzz.tif", bytes.to_vec(), limits)?;
    let info = tif.info().clone();
    // Exercise windows and overviews too.
    if info.width > 2 && info.height > 2 {
        let _ = tif.read_window(1, 1, info.width - 2, info.height - 2);
    }
    for i in 0..info.overviews.len().min(2) {
        let _ = tif.read_overview(i);
    }
    tif.read()
}
