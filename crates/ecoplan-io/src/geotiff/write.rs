//! GeoTIFF writer.
//!
//! File layout (both plain and cloud-optimized): header, [GDAL ghost area], every IFD with its
//! out-of-line values, then the chunk data. IFD sizes depend only on the number of chunks, so
//! the IFD region is reserved first, chunks are compressed in parallel batches and streamed
//! out, and the IFDs are written into the reserved region at the end.
//! For COG the chunk data runs from the smallest overview to full resolution, each chunk with
//! GDAL's 4-byte size leader and 4-byte trailer (so GDAL reports `LAYOUT=COG`).

use super::codec;
use super::container::{tag, ty};
use super::geokeys;
use super::image::Sample;
use super::{Compression, OverviewResampling};
use crate::atomic::write_atomic;
use crate::raster::WriteOptions;
use crate::IoError;
use ecoplan_grid::{AnyGrid, Cell, CellType, GeoTransform, Grid};
use rayon::prelude::*;
use std::borrow::Cow;
use std::io::{Seek, SeekFrom, Write};
use std::path::Path;

/// Chunks compressed per parallel batch (bounds memory while keeping both cores busy).
const BATCH_BYTES: usize = 64 << 20;
/// Tile size used for COG output when `tile_size` is `None` (COG requires tiles).
const COG_DEFAULT_TILE: u32 = 256;

/// Writes band 1 of `grid` as a GeoTIFF (atomically: temp file, then rename).
pub fn write_geotiff(path: &Path, grid: &AnyGrid, opts: &WriteOptions) -> Result<(), IoError> {
    ecoplan_grid::with_any_grid!(grid, g => write_typed(path, g, opts))
}

struct Level<'a, T: Cell> {
    width: usize,
    height: usize,
    data: Cow<'a, [T]>,
}

/// Chunk geometry of one level.
#[derive(Clone, Copy)]
struct Chunks {
    tiled: bool,
    cw: usize,
    ch: usize,
    across: usize,
    down: usize,
}

impl Chunks {
    fn count(&self) -> usize {
        self.across * self.down
    }
}

fn write_typed<T: Sample>(path: &Path, g: &Grid<T>, opts: &WriteOptions) -> Result<(), IoError> {
    let bad = |d: String| Err(IoError::unsupported(path, d));
    if g.width == 0 || g.height == 0 {
        return bad(format!(
            "cannot write an empty {}×{} grid",
            g.width, g.height
        ));
    }
    if g.width > u32::MAX as usize || g.height > u32::MAX as usize {
        return bad(format!("{}×{} is too large for TIFF", g.width, g.height));
    }
    let tile = match (opts.tile_size, opts.cog) {
        (Some(t), _) => Some(t),
        (None, true) => Some(COG_DEFAULT_TILE),
        (None, false) => None,
    };
    if let Some(t) = tile {
        if t == 0 || t % 16 != 0 || t > 4096 {
            return bad(format!(
                "tile size {t} is invalid: TIFF tiles are a multiple of 16 cells (16–4096)"
            ));
        }
    }
    let keys = geokeys::keys_for_crs(g.crs.as_ref()).map_err(|d| IoError::unsupported(path, d))?;
    let size = T::SIZE;
    let chunks_for = |w: usize, h: usize| chunk_geometry(tile, w, h, size);
    // Full resolution plus, for COG, overviews halving until one tile holds them.
    let mut levels = vec![Level {
        width: g.width,
        height: g.height,
        data: Cow::Borrowed(&g.data[..]),
    }];
    if opts.cog {
        let t = tile.unwrap_or(COG_DEFAULT_TILE) as usize;
        let mut f = 2usize;
        while {
            let last = levels.last().map(|l| (l.width, l.height)).unwrap_or((0, 0));
            last.0 > t || last.1 > t
        } {
            let data = overview(g, f, opts.overview_resampling);
            levels.push(Level {
                width: g.width.div_ceil(f),
                height: g.height.div_ceil(f),
                data: Cow::Owned(data),
            });
            f *= 2;
        }
    }
    let geometry: Vec<Chunks> = levels
        .iter()
        .map(|l| chunks_for(l.width, l.height))
        .collect();
    let predictor = match (opts.predictor, T::TYPE.is_float()) {
        (false, _) => 1u16,
        (true, false) => 2,
        (true, true) => 3,
    };
    let nodata_text = g.nodata.map(|v| nodata_string(v.to_f64()));
    let georef = georef_tags(&g.transform, keys.is_some());

    // Decide classic vs BigTIFF from a safe upper bound of the file size.
    let raw: u64 = levels
        .iter()
        .zip(&geometry)
        .map(|(_, c)| (c.count() * c.cw * c.ch * size) as u64 + 16 * c.count() as u64)
        .sum();
    let bigtiff = opts.force_bigtiff || needs_bigtiff(raw, opts.compression);

    let meta = IfdMeta {
        sample_format: match T::TYPE {
            CellType::U8 | CellType::U16 | CellType::U32 => 1,
            CellType::I16 | CellType::I32 => 2,
            CellType::F32 | CellType::F64 => 3,
        },
        bits: (size * 8) as u16,
        compression: opts.compression.tiff_code(),
        predictor,
        nodata: nodata_text,
        keys,
        georef,
    };
    let header_len: u64 = if bigtiff { 16 } else { 8 };
    let ghost = if opts.cog { ghost_area() } else { Vec::new() };
    // Pass 1: IFD sizes with placeholder offsets.
    let mut ifd_pos = Vec::with_capacity(levels.len());
    let mut pos = header_len + ghost.len() as u64;
    for (i, (l, c)) in levels.iter().zip(&geometry).enumerate() {
        let zeros = vec![0u64; c.count()];
        let entries = meta.entries(i > 0, l.width, l.height, c, &zeros, &zeros, bigtiff);
        ifd_pos.push(pos);
        pos += encode_ifd(&entries, pos, 0, bigtiff).len() as u64;
    }
    let data_start = pos;

    write_atomic(path, |w| {
        let io = |e: std::io::Error| IoError::io(path, e);
        // Header.
        let mut head = Vec::with_capacity(16);
        head.extend_from_slice(b"II");
        if bigtiff {
            head.extend_from_slice(&43u16.to_le_bytes());
            head.extend_from_slice(&8u16.to_le_bytes());
            head.extend_from_slice(&0u16.to_le_bytes());
            head.extend_from_slice(&ifd_pos[0].to_le_bytes());
        } else {
            head.extend_from_slice(&42u16.to_le_bytes());
            head.extend_from_slice(&(ifd_pos[0] as u32).to_le_bytes());
        }
        w.write_all(&head).map_err(io)?;
        w.write_all(&ghost).map_err(io)?;
        // Reserve the IFD region.
        let reserve = (data_start - header_len - ghost.len() as u64) as usize;
        w.write_all(&vec![0u8; reserve]).map_err(io)?;
        let mut pos = data_start;
        // Chunk data: COG wants the smallest overview first, full resolution last.
        let mut placed: Vec<(Vec<u64>, Vec<u64>)> = vec![(vec![], vec![]); levels.len()];
        let order: Vec<usize> = (0..levels.len()).rev().collect();
        for li in order {
            let (l, c) = (&levels[li], geometry[li]);
            let chunk_raw = c.cw * c.ch * size;
            let batch = (BATCH_BYTES / chunk_raw.max(1)).max(rayon::current_num_threads());
            let (offs, cnts) = &mut placed[li];
            for start in (0..c.count()).step_by(batch) {
                let end = (start + batch).min(c.count());
                let compressed: Vec<std::io::Result<Vec<u8>>> = (start..end)
                    .into_par_iter()
                    .map(|i| {
                        let raw = chunk_bytes(l, &c, i, predictor);
                        codec::compress(opts.compression, opts.level, &raw)
                    })
                    .collect();
                for z in compressed {
                    let z = z.map_err(io)?;
                    if opts.cog {
                        w.write_all(&(z.len() as u32).to_le_bytes()).map_err(io)?;
                        pos += 4;
                    }
                    offs.push(pos);
                    cnts.push(z.len() as u64);
                    w.write_all(&z).map_err(io)?;
                    pos += z.len() as u64;
                    if opts.cog {
                        let tail = &z[z.len().saturating_sub(4)..];
                        w.write_all(tail).map_err(io)?;
                        pos += tail.len() as u64;
                    }
                }
            }
        }
        if !bigtiff && pos > u32::MAX as u64 {
            return Err(IoError::unsupported(
                path,
                "the file grew past 4 GiB; write it again with BigTIFF (force_bigtiff)",
            ));
        }
        // The IFDs, into the reserved region.
        w.seek(SeekFrom::Start(ifd_pos[0])).map_err(io)?;
        for (i, (l, c)) in levels.iter().zip(&geometry).enumerate() {
            let (offs, cnts) = &placed[i];
            let entries = meta.entries(i > 0, l.width, l.height, c, offs, cnts, bigtiff);
            let next = ifd_pos.get(i + 1).copied().unwrap_or(0);
            let bytes = encode_ifd(&entries, ifd_pos[i], next, bigtiff);
            let expected_end = ifd_pos.get(i + 1).copied().unwrap_or(data_start);
            if ifd_pos[i] + bytes.len() as u64 != expected_end {
                return Err(IoError::format(
                    path,
                    "internal error: IFD size changed between layout and write",
                ));
            }
            w.write_all(&bytes).map_err(io)?;
        }
        w.seek(SeekFrom::Start(pos)).map_err(io)?;
        Ok(())
    })
}

/// Whether chunks holding `raw` uncompressed bytes may push a file past 4 GiB: the worst-case
/// growth of each codec on incompressible data, plus 16 MiB for directories.
fn needs_bigtiff(raw: u64, compression: Compression) -> bool {
    let expansion = match compression {
        Compression::None | Compression::Deflate | Compression::Zstd => 1.01,
        Compression::PackBits => 1.02,
        // 9–12 bit codes for 8-bit input: random data grows by up to half.
        Compression::Lzw => 1.6,
    };
    raw as f64 * expansion + (16u64 << 20) as f64 > u32::MAX as f64
}

/// The bytes of chunk `i` of a level: native-order samples, edge tiles padded with zeros,
/// predictor applied, then little-endian (the byte order ecoplan writes).
fn chunk_bytes<T: Sample>(l: &Level<T>, c: &Chunks, i: usize, predictor: u16) -> Vec<u8> {
    let size = T::SIZE;
    let (tr, tc) = (i / c.across, i % c.across);
    let (x0, y0) = (tc * c.cw, tr * c.ch);
    let rows = if c.tiled {
        c.ch
    } else {
        c.ch.min(l.height - y0)
    };
    let mut buf = vec![0u8; rows * c.cw * size];
    let x_end = (x0 + c.cw).min(l.width);
    for r in 0..rows {
        let y = y0 + r;
        if y >= l.height {
            break;
        }
        let src = &l.data[y * l.width + x0..y * l.width + x_end];
        let dst = &mut buf[r * c.cw * size..(r * c.cw + src.len()) * size];
        for (v, d) in src.iter().zip(dst.chunks_exact_mut(size)) {
            v.write_ne(d);
        }
    }
    match predictor {
        2 => codec::apply_horizontal(&mut buf, size, c.cw, 1),
        3 => codec::apply_float(&mut buf, size, c.cw, 1),
        _ => {}
    }
    if cfg!(target_endian = "big") && predictor != 3 {
        codec::swap_samples(&mut buf, size);
    }
    buf
}

/// Overview at `factor` computed from the full-resolution cells.
fn overview<T: Sample>(g: &Grid<T>, factor: usize, how: OverviewResampling) -> Vec<T> {
    let (ow, oh) = (g.width.div_ceil(factor), g.height.div_ceil(factor));
    let fill = g.nodata.unwrap_or(if T::TYPE.is_float() {
        T::from_f64(f64::NAN)
    } else {
        T::default()
    });
    let mut out = vec![fill; ow * oh];
    out.par_chunks_mut(ow).enumerate().for_each(|(oy, row)| {
        let y0 = oy * factor;
        let y1 = (y0 + factor).min(g.height);
        match how {
            OverviewResampling::Nearest => {
                let y = (y0 + factor / 2).min(g.height - 1);
                for (ox, o) in row.iter_mut().enumerate() {
                    let x = (ox * factor + factor / 2).min(g.width - 1);
                    *o = g.data[y * g.width + x];
                }
            }
            OverviewResampling::Average => {
                let mut sums = vec![(0f64, 0u32); ow];
                for y in y0..y1 {
                    let src = &g.data[y * g.width..(y + 1) * g.width];
                    for (x, &v) in src.iter().enumerate() {
                        if !g.is_nodata(v) {
                            let s = &mut sums[x / factor];
                            s.0 += v.to_f64();
                            s.1 += 1;
                        }
                    }
                }
                for (o, (sum, n)) in row.iter_mut().zip(sums) {
                    if n > 0 {
                        let mean = sum / n as f64;
                        *o = T::from_f64(if T::TYPE.is_float() {
                            mean
                        } else {
                            mean.round()
                        });
                    }
                }
            }
        }
    });
    out
}

/// How GDAL writes GDAL_NODATA: shortest round-trip decimal, `nan`, `inf`, `-inf`.
fn nodata_string(v: f64) -> String {
    if v.is_nan() {
        "nan".into()
    } else if v.is_infinite() {
        if v > 0.0 { "inf" } else { "-inf" }.into()
    } else if v == 0.0 || (1e-4..1e16).contains(&v.abs()) {
        format!("{v}")
    } else {
        // Exponent form for extremes (f32::MIN is 39 digits in plain form).
        format!("{v:e}")
    }
}

/// The structural metadata GDAL writes after the header of a COG.
fn ghost_area() -> Vec<u8> {
    let body = "LAYOUT=IFDS_BEFORE_DATA\nBLOCK_ORDER=ROW_MAJOR\nBLOCK_LEADER=SIZE_AS_UINT4\n\
                BLOCK_TRAILER=LAST_4_BYTES_REPEATED\nKNOWN_INCOMPATIBLE_EDITION=NO\n "
        .to_string();
    format!(
        "GDAL_STRUCTURAL_METADATA_SIZE={:06} bytes\n{body}",
        body.len()
    )
    .into_bytes()
}

enum Georef {
    None,
    ScaleTiepoint([f64; 3], [f64; 6]),
    Matrix([f64; 16]),
}

fn georef_tags(t: &GeoTransform, has_crs: bool) -> Georef {
    if *t == GeoTransform::default() && !has_crs {
        return Georef::None;
    }
    if t.rx == 0.0 && t.ry == 0.0 && t.dy < 0.0 {
        Georef::ScaleTiepoint([t.dx, -t.dy, 0.0], [0.0, 0.0, 0.0, t.x0, t.y0, 0.0])
    } else {
        Georef::Matrix([
            t.dx, t.rx, 0.0, t.x0, //
            t.ry, t.dy, 0.0, t.y0, //
            0.0, 0.0, 0.0, 0.0, //
            0.0, 0.0, 0.0, 1.0,
        ])
    }
}

struct IfdMeta {
    sample_format: u16,
    bits: u16,
    compression: u16,
    predictor: u16,
    nodata: Option<String>,
    keys: Option<Vec<u16>>,
    georef: Georef,
}

/// A tag ready to encode: little-endian value bytes.
struct Field {
    tag: u16,
    typ: u16,
    count: u64,
    bytes: Vec<u8>,
}

fn short(tag: u16, v: u16) -> Field {
    Field {
        tag,
        typ: ty::SHORT,
        count: 1,
        bytes: v.to_le_bytes().to_vec(),
    }
}
fn long(tag: u16, v: u32) -> Field {
    Field {
        tag,
        typ: ty::LONG,
        count: 1,
        bytes: v.to_le_bytes().to_vec(),
    }
}
fn shorts(tag: u16, v: &[u16]) -> Field {
    Field {
        tag,
        typ: ty::SHORT,
        count: v.len() as u64,
        bytes: v.iter().flat_map(|x| x.to_le_bytes()).collect(),
    }
}
fn doubles(tag: u16, v: &[f64]) -> Field {
    Field {
        tag,
        typ: ty::DOUBLE,
        count: v.len() as u64,
        bytes: v.iter().flat_map(|x| x.to_le_bytes()).collect(),
    }
}
fn ascii(tag: u16, s: &str) -> Field {
    let mut bytes = s.as_bytes().to_vec();
    bytes.push(0);
    Field {
        tag,
        typ: ty::ASCII,
        count: bytes.len() as u64,
        bytes,
    }
}
fn offsets(tag: u16, v: &[u64], big: bool) -> Field {
    if big {
        Field {
            tag,
            typ: ty::LONG8,
            count: v.len() as u64,
            bytes: v.iter().flat_map(|x| x.to_le_bytes()).collect(),
        }
    } else {
        Field {
            tag,
            typ: ty::LONG,
            count: v.len() as u64,
            bytes: v.iter().flat_map(|&x| (x as u32).to_le_bytes()).collect(),
        }
    }
}

impl IfdMeta {
    #[allow(clippy::too_many_arguments)]
    fn entries(
        &self,
        overview: bool,
        width: usize,
        height: usize,
        c: &Chunks,
        offs: &[u64],
        cnts: &[u64],
        big: bool,
    ) -> Vec<Field> {
        let mut f = Vec::with_capacity(24);
        if overview {
            f.push(long(tag::NEW_SUBFILE_TYPE, 1));
        }
        f.push(long(tag::IMAGE_WIDTH, width as u32));
        f.push(long(tag::IMAGE_LENGTH, height as u32));
        f.push(short(tag::BITS_PER_SAMPLE, self.bits));
        f.push(short(tag::COMPRESSION, self.compression));
        f.push(short(tag::PHOTOMETRIC, 1));
        if !c.tiled {
            f.push(offsets(tag::STRIP_OFFSETS, offs, big));
        }
        f.push(short(tag::SAMPLES_PER_PIXEL, 1));
        if !c.tiled {
            f.push(long(tag::ROWS_PER_STRIP, c.ch as u32));
            f.push(offsets(tag::STRIP_BYTE_COUNTS, cnts, big));
        }
        f.push(short(tag::PLANAR_CONFIGURATION, 1));
        if self.predictor != 1 {
            f.push(short(tag::PREDICTOR, self.predictor));
        }
        if c.tiled {
            f.push(long(tag::TILE_WIDTH, c.cw as u32));
            f.push(long(tag::TILE_LENGTH, c.ch as u32));
            f.push(offsets(tag::TILE_OFFSETS, offs, big));
            f.push(offsets(tag::TILE_BYTE_COUNTS, cnts, big));
        }
        f.push(short(tag::SAMPLE_FORMAT, self.sample_format));
        if !overview {
            match &self.georef {
                Georef::None => {}
                Georef::ScaleTiepoint(s, t) => {
                    f.push(doubles(tag::MODEL_PIXEL_SCALE, s));
                    f.push(doubles(tag::MODEL_TIEPOINT, t));
                }
                Georef::Matrix(m) => f.push(doubles(tag::MODEL_TRANSFORMATION, m)),
            }
            if let Some(k) = &self.keys {
                f.push(shorts(tag::GEO_KEY_DIRECTORY, k));
            }
        }
        if let Some(nd) = &self.nodata {
            f.push(ascii(tag::GDAL_NODATA, nd));
        }
        f.sort_by_key(|e| e.tag);
        f
    }
}

/// Encodes an IFD at absolute position `at`; values that do not fit inline follow the IFD.
fn encode_ifd(fields: &[Field], at: u64, next: u64, big: bool) -> Vec<u8> {
    let n = fields.len();
    let (entry, inline, head) = if big { (20, 8, 8) } else { (12, 4, 2) };
    let table = head + n * entry + if big { 8 } else { 4 };
    let mut out = Vec::with_capacity(table + 256);
    let mut extra: Vec<u8> = Vec::new();
    if big {
        out.extend_from_slice(&(n as u64).to_le_bytes());
    } else {
        out.extend_from_slice(&(n as u16).to_le_bytes());
    }
    for f in fields {
        out.extend_from_slice(&f.tag.to_le_bytes());
        out.extend_from_slice(&f.typ.to_le_bytes());
        if big {
            out.extend_from_slice(&f.count.to_le_bytes());
        } else {
            out.extend_from_slice(&(f.count as u32).to_le_bytes());
        }
        if f.bytes.len() <= inline {
            let mut v = f.bytes.clone();
            v.resize(inline, 0);
            out.extend_from_slice(&v);
        } else {
            // Values start on a word boundary.
            if extra.len() % 2 == 1 {
                extra.push(0);
            }
            let off = at + table as u64 + extra.len() as u64;
            if big {
                out.extend_from_slice(&off.to_le_bytes());
            } else {
                out.extend_from_slice(&(off as u32).to_le_bytes());
            }
            extra.extend_from_slice(&f.bytes);
        }
    }
    if big {
        out.extend_from_slice(&next.to_le_bytes());
    } else {
        out.extend_from_slice(&(next as u32).to_le_bytes());
    }
    out.extend_from_slice(&extra);
    if out.len() % 2 == 1 {
        out.push(0);
    }
    out
}

/// Writes a GeoTIFF band by band, so a caller never holds the whole grid: rows go in from top
/// to bottom ([`GeoTiffRowWriter::push_rows`]), each completed row of tiles (or strip) is
/// compressed in parallel and written at once, and the directories are filled in by
/// [`GeoTiffRowWriter::finish`]. The file is written under a temporary name beside `path` and
/// renamed only by `finish` (dropping an unfinished writer removes the temporary file), as
/// [`crate::atomic::write_atomic`] does. Same layout and tags as [`write_geotiff`]; COG output
/// is refused (its overviews need the whole grid).
///
/// ```
/// # let dir = tempfile::tempdir().unwrap();
/// use ecoplan_grid::{GeoTransform, GridSpec};
/// use ecoplan_io::geotiff::GeoTiffRowWriter;
/// let spec = GridSpec::new(300, 2, GeoTransform::north_up(0.0, 2.0, 1.0), None);
/// let path = dir.path().join("rows.tif");
/// let mut w = GeoTiffRowWriter::<f32>::create(&path, &spec, Some(-1.0), &Default::default()).unwrap();
/// w.push_rows(&vec![1.0; 300]).unwrap();
/// w.push_rows(&vec![2.0; 300]).unwrap();
/// w.finish().unwrap();
/// let g = ecoplan_io::geotiff::read_geotiff(&path).unwrap().to_f32();
/// assert_eq!(g.data[300], 2.0);
/// ```
pub struct GeoTiffRowWriter<T: Cell> {
    path: std::path::PathBuf,
    tmp: std::path::PathBuf,
    file: Option<std::io::BufWriter<std::fs::File>>,
    width: usize,
    height: usize,
    chunks: Chunks,
    predictor: u16,
    compression: Compression,
    level: Option<i32>,
    meta: IfdMeta,
    bigtiff: bool,
    ifd_at: u64,
    data_start: u64,
    /// Rows compressed together: one row of tiles, or several strips.
    band_rows: usize,
    /// Rows received but not yet written (fewer than `band_rows`).
    band: Vec<T>,
    rows_written: usize,
    offs: Vec<u64>,
    cnts: Vec<u64>,
    pos: u64,
}

// Private methods only: the public API is per concrete cell type (`row_writer_api!`).
#[allow(private_bounds)]
impl<T: Sample> GeoTiffRowWriter<T> {
    fn create_typed(
        path: &Path,
        spec: &ecoplan_grid::GridSpec,
        nodata: Option<T>,
        opts: &WriteOptions,
    ) -> Result<Self, IoError> {
        let bad = |d: String| Err(IoError::unsupported(path, d));
        if opts.cog {
            return bad("a row-by-row writer cannot write a cloud-optimized GeoTIFF (its overviews need the whole grid); write it with write_geotiff".into());
        }
        let (width, height) = (spec.width, spec.height);
        if width == 0 || height == 0 {
            return bad(format!("cannot write an empty {width}×{height} grid"));
        }
        if width > u32::MAX as usize || height > u32::MAX as usize {
            return bad(format!("{width}×{height} is too large for TIFF"));
        }
        if let Some(t) = opts.tile_size {
            if t == 0 || t % 16 != 0 || t > 4096 {
                return bad(format!(
                    "tile size {t} is invalid: TIFF tiles are a multiple of 16 cells (16–4096)"
                ));
            }
        }
        let keys =
            geokeys::keys_for_crs(spec.crs.as_ref()).map_err(|d| IoError::unsupported(path, d))?;
        let size = T::SIZE;
        let chunks = chunk_geometry(opts.tile_size, width, height, size);
        let predictor = match (opts.predictor, T::TYPE.is_float()) {
            (false, _) => 1u16,
            (true, false) => 2,
            (true, true) => 3,
        };
        let raw =
            (chunks.count() * chunks.cw * chunks.ch * size) as u64 + 16 * chunks.count() as u64;
        let bigtiff = opts.force_bigtiff || needs_bigtiff(raw, opts.compression);
        let meta = IfdMeta {
            sample_format: sample_format(T::TYPE),
            bits: (size * 8) as u16,
            compression: opts.compression.tiff_code(),
            predictor,
            nodata: nodata.map(|v| nodata_string(v.to_f64())),
            keys,
            georef: georef_tags(&spec.transform, spec.crs.is_some()),
        };
        let header_len: u64 = if bigtiff { 16 } else { 8 };
        // Strips: enough per band to keep every thread busy (about 8 MiB of cells).
        let band_rows = if chunks.tiled {
            chunks.ch
        } else {
            let strips =
                ((8usize << 20) / (chunks.ch * width * size)).max(rayon::current_num_threads());
            (chunks.ch * strips).min(height)
        };
        let zeros = vec![0u64; chunks.count()];
        let entries = meta.entries(false, width, height, &chunks, &zeros, &zeros, bigtiff);
        let data_start = header_len + encode_ifd(&entries, header_len, 0, bigtiff).len() as u64;
        if let Some(dir) = path.parent().filter(|d| !d.as_os_str().is_empty()) {
            std::fs::create_dir_all(dir).map_err(|e| IoError::io(dir, e))?;
        }
        let tmp = crate::atomic::temp_path(path);
        let f = std::fs::File::create(&tmp).map_err(|e| IoError::io(&tmp, e))?;
        let mut w = GeoTiffRowWriter {
            path: path.to_path_buf(),
            tmp,
            file: Some(std::io::BufWriter::with_capacity(1 << 20, f)),
            width,
            height,
            chunks,
            predictor,
            compression: opts.compression,
            level: opts.level,
            meta,
            bigtiff,
            ifd_at: header_len,
            data_start,
            band_rows,
            band: Vec::with_capacity(band_rows * width),
            rows_written: 0,
            offs: Vec::with_capacity(chunks.count()),
            cnts: Vec::with_capacity(chunks.count()),
            pos: data_start,
        };
        // Header, then the reserved directory region (filled in by `finish`).
        let mut head = Vec::with_capacity(data_start as usize);
        head.extend_from_slice(b"II");
        if bigtiff {
            head.extend_from_slice(&43u16.to_le_bytes());
            head.extend_from_slice(&8u16.to_le_bytes());
            head.extend_from_slice(&0u16.to_le_bytes());
            head.extend_from_slice(&header_len.to_le_bytes());
        } else {
            head.extend_from_slice(&42u16.to_le_bytes());
            head.extend_from_slice(&(header_len as u32).to_le_bytes());
        }
        head.resize(data_start as usize, 0);
        w.write(&head)?;
        Ok(w)
    }

    fn write(&mut self, bytes: &[u8]) -> Result<(), IoError> {
        let f = self.file.as_mut().expect("open until finish");
        f.write_all(bytes).map_err(|e| IoError::io(&self.tmp, e))
    }

    fn push_typed(&mut self, rows: &[T]) -> Result<(), IoError> {
        if rows.len() % self.width != 0 {
            return Err(IoError::unsupported(
                &self.path,
                format!(
                    "push_rows got {} cells, not a whole number of {}-cell rows",
                    rows.len(),
                    self.width
                ),
            ));
        }
        let pushed = self.rows_written + self.band.len() / self.width + rows.len() / self.width;
        if pushed > self.height {
            return Err(IoError::unsupported(
                &self.path,
                format!("push_rows went past the {} rows of the grid", self.height),
            ));
        }
        let band_cells = self.band_rows * self.width;
        let mut rest = rows;
        while !rest.is_empty() {
            if self.band.is_empty() && rest.len() >= band_cells {
                // Whole chunk rows straight from the caller's slice.
                let (now, later) = rest.split_at(band_cells);
                self.flush_band(now)?;
                rest = later;
                continue;
            }
            let take = (band_cells - self.band.len()).min(rest.len());
            self.band.extend_from_slice(&rest[..take]);
            rest = &rest[take..];
            if self.band.len() == band_cells {
                let band = std::mem::take(&mut self.band);
                self.flush_band(&band)?;
                self.band = band;
                self.band.clear();
            }
        }
        // The last, partial chunk row is complete once the grid's last row is in.
        if self.rows_written + self.band.len() / self.width == self.height && !self.band.is_empty()
        {
            let band = std::mem::take(&mut self.band);
            self.flush_band(&band)?;
        }
        Ok(())
    }

    /// Compresses the chunks of one band (whole rows, starting on a chunk boundary) in
    /// parallel and writes them in order.
    fn flush_band(&mut self, band: &[T]) -> Result<(), IoError> {
        let rows = band.len() / self.width;
        let level = Level {
            width: self.width,
            height: rows,
            data: Cow::Borrowed(band),
        };
        let c = self.chunks;
        let (predictor, compression, lvl) = (self.predictor, self.compression, self.level);
        let n = if c.tiled {
            c.across
        } else {
            rows.div_ceil(c.ch)
        };
        let compressed: Vec<std::io::Result<Vec<u8>>> = (0..n)
            .into_par_iter()
            .map(|i| codec::compress(compression, lvl, &chunk_bytes(&level, &c, i, predictor)))
            .collect();
        for z in compressed {
            let z = z.map_err(|e| IoError::io(&self.tmp, e))?;
            self.offs.push(self.pos);
            self.cnts.push(z.len() as u64);
            self.write(&z)?;
            self.pos += z.len() as u64;
        }
        self.rows_written += rows;
        Ok(())
    }

    fn finish_typed(mut self) -> Result<(), IoError> {
        if self.rows_written != self.height {
            let got = self.rows_written + self.band.len() / self.width;
            return Err(IoError::unsupported(
                &self.path,
                format!(
                    "finish after {got} of {} rows; nothing was written",
                    self.height
                ),
            ));
        }
        if !self.bigtiff && self.pos > u32::MAX as u64 {
            return Err(IoError::unsupported(
                &self.path,
                "the file grew past 4 GiB; write it again with BigTIFF (force_bigtiff)",
            ));
        }
        let entries = self.meta.entries(
            false,
            self.width,
            self.height,
            &self.chunks,
            &self.offs,
            &self.cnts,
            self.bigtiff,
        );
        let bytes = encode_ifd(&entries, self.ifd_at, 0, self.bigtiff);
        if self.ifd_at + bytes.len() as u64 != self.data_start {
            return Err(IoError::format(
                &self.path,
                "internal error: IFD size changed between layout and write",
            ));
        }
        let tmp = self.tmp.clone();
        let io = |e: std::io::Error| IoError::io(&tmp, e);
        let mut w = self.file.take().expect("open until finish");
        w.seek(SeekFrom::Start(self.ifd_at)).map_err(io)?;
        w.write_all(&bytes).map_err(io)?;
        w.flush().map_err(io)?;
        let file = w.into_inner().map_err(|e| io(e.into_error()))?;
        file.sync_all().map_err(io)?;
        drop(file);
        std::fs::rename(&self.tmp, &self.path).map_err(|e| IoError::io(&self.path, e))?;
        Ok(())
    }
}

impl<T: Cell> GeoTiffRowWriter<T> {
    /// Rows compressed together (a row of tiles, or a few strips): pushing bands of this
    /// many rows avoids copying them into the internal buffer.
    pub fn rows_per_band(&self) -> usize {
        self.band_rows
    }
}

impl<T: Cell> Drop for GeoTiffRowWriter<T> {
    fn drop(&mut self) {
        // Unfinished (an error or an early return): no half-written file is left behind.
        if self.file.take().is_some() {
            let _ = std::fs::remove_file(&self.tmp);
        }
    }
}

macro_rules! row_writer_api {
    ($($t:ty),*) => {$(
        impl GeoTiffRowWriter<$t> {
            /// Starts writing `path` (a temporary file until [`Self::finish`]) for a grid of
            /// `spec`'s size and georeferencing, with `nodata` as GDAL_NODATA.
            pub fn create(
                path: &Path,
                spec: &ecoplan_grid::GridSpec,
                nodata: Option<$t>,
                opts: &WriteOptions,
            ) -> Result<Self, IoError> {
                Self::create_typed(path, spec, nodata, opts)
            }
            /// Appends whole rows (a multiple of the width, top to bottom); full chunk rows are
            /// compressed in parallel and written at once.
            pub fn push_rows(&mut self, rows: &[$t]) -> Result<(), IoError> {
                self.push_typed(rows)
            }
            /// Writes the directory and renames the file into place; every row must be in.
            pub fn finish(self) -> Result<(), IoError> {
                self.finish_typed()
            }
        }
    )*};
}
row_writer_api!(u8, u16, i16, i32, u32, f32, f64);

fn sample_format(t: CellType) -> u16 {
    match t {
        CellType::U8 | CellType::U16 | CellType::U32 => 1,
        CellType::I16 | CellType::I32 => 2,
        CellType::F32 | CellType::F64 => 3,
    }
}

/// Chunk geometry of a full-resolution image: square tiles, or strips of about 256 KiB.
fn chunk_geometry(tile: Option<u32>, w: usize, h: usize, size: usize) -> Chunks {
    match tile {
        Some(t) => {
            let t = t as usize;
            Chunks {
                tiled: true,
                cw: t,
                ch: t,
                across: w.div_ceil(t),
                down: h.div_ceil(t),
            }
        }
        None => {
            // Strips of about 256 KiB: small enough for windowed reads, big enough to compress.
            let rps = ((256 << 10) / (w * size)).clamp(1, h);
            Chunks {
                tiled: false,
                cw: w,
                ch: rps,
                across: 1,
                down: h.div_ceil(rps),
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use ecoplan_grid::GridSpec;

    #[test]
    fn averages_skip_nodata_and_nearest_takes_block_middles() {
        let spec = GridSpec::new(3, 2, GeoTransform::default(), None);
        let g = Grid::from_vec(&spec, vec![1u16, 2, 9, 3, 0, 9], Some(0)).unwrap();
        // Blocks: [1,2,3,(0)] → 2; [9,9] → 9.
        assert_eq!(overview(&g, 2, OverviewResampling::Average), vec![2, 9]);
        let all_nodata = Grid::from_vec(&spec, vec![0u16; 6], Some(0)).unwrap();
        assert_eq!(
            overview(&all_nodata, 2, OverviewResampling::Average),
            vec![0, 0]
        );
        assert_eq!(overview(&g, 2, OverviewResampling::Nearest), vec![0, 9]);
        let f = Grid::from_vec(&spec, vec![1.0f32, f32::NAN, 2.0, 4.0, 2.0, 2.5], None).unwrap();
        let o = overview(&f, 2, OverviewResampling::Average);
        assert!((o[0] - 7.0 / 3.0).abs() < 1e-6 && o[1] == 2.25, "{o:?}");
    }

    #[test]
    fn bigtiff_is_chosen_before_4_gib_can_be_reached() {
        assert!(!needs_bigtiff(1 << 30, Compression::Deflate));
        assert!(!needs_bigtiff(4_000_000_000, Compression::Zstd));
        assert!(needs_bigtiff(4_250_000_000, Compression::Deflate));
        assert!(needs_bigtiff(3_000_000_000, Compression::Lzw));
        assert!(needs_bigtiff(u32::MAX as u64, Compression::None));
    }

    #[test]
    fn ghost_area_declares_its_size() {
        let g = String::from_utf8(ghost_area()).unwrap();
        let (first, rest) = g.split_once('\n').unwrap();
        let n: usize = first
            .trim_start_matches("GDAL_STRUCTURAL_METADATA_SIZE=")
            .trim_end_matches(" bytes")
            .parse()
            .unwrap();
        assert_eq!(n, rest.len());
    }
}
