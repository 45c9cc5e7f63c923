//! One image (IFD) of a TIFF: its sample layout and chunk grid, and decoding windows of it.
//! Chunks (strips or tiles) that intersect a window are decoded in parallel with rayon.

use super::codec;
use super::container::{format, tag, Fail, Res, Source, Tags};
use super::Compression;
use ecoplan_grid::{Cell, CellType};
use rayon::prelude::*;

/// Chunks larger than this (uncompressed) are rejected: real files use ≤ a few MiB.
const MAX_CHUNK_BYTES: u64 = 1 << 30;

/// The cell type stored in the file (signed bytes are widened to `I16` on reading).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum FileCell {
    Grid(CellType),
    I8,
}

impl FileCell {
    pub fn bytes(self) -> usize {
        match self {
            FileCell::Grid(c) => c.size_bytes(),
            FileCell::I8 => 1,
        }
    }
    pub fn cell_type(self) -> CellType {
        match self {
            FileCell::Grid(c) => c,
            FileCell::I8 => CellType::I16,
        }
    }
}

#[derive(Debug, Clone)]
pub(crate) struct Image {
    pub width: usize,
    pub height: usize,
    pub samples: usize,
    pub file_cell: FileCell,
    pub planar_separate: bool,
    pub compression_code: u16,
    pub predictor: u16,
    pub tiled: bool,
    pub chunk_w: usize,
    pub chunk_h: usize,
    pub offsets: Vec<u64>,
    pub counts: Vec<u64>,
    pub big_endian: bool,
}

fn need(t: &Tags, id: u16) -> Res<u64> {
    t.uint(id)?
        .ok_or_else(|| Fail::Format(format!("required tag {} is missing", tag::name(id))))
}

impl Image {
    /// Width, height and subfile type only (for listing overviews without full validation).
    pub fn peek_size(t: &Tags) -> Res<(usize, usize, u64)> {
        let w = need(t, tag::IMAGE_WIDTH)?;
        let h = need(t, tag::IMAGE_LENGTH)?;
        let s = t.uint(tag::NEW_SUBFILE_TYPE)?.unwrap_or(0);
        Ok((w as usize, h as usize, s))
    }

    pub fn parse(t: &Tags) -> Res<Image> {
        let width = need(t, tag::IMAGE_WIDTH)?;
        let height = need(t, tag::IMAGE_LENGTH)?;
        if width == 0 || height == 0 {
            return format(format!(
                "image is {width}×{height} cells; both must be at least 1"
            ));
        }
        if width > u32::MAX as u64 || height > u32::MAX as u64 {
            return format(format!("image size {width}×{height} is absurd"));
        }
        let samples = t.uint(tag::SAMPLES_PER_PIXEL)?.unwrap_or(1);
        if samples == 0 || samples > 4096 {
            return format(format!("SamplesPerPixel is {samples}"));
        }
        let bits = t.uint(tag::BITS_PER_SAMPLE)?.unwrap_or(1);
        let sample_format = t.uint(tag::SAMPLE_FORMAT)?.unwrap_or(1);
        let file_cell = match (sample_format, bits) {
            (1, 8) | (4, 8) => FileCell::Grid(CellType::U8),
            (2, 8) => FileCell::I8,
            (1, 16) | (4, 16) => FileCell::Grid(CellType::U16),
            (2, 16) => FileCell::Grid(CellType::I16),
            (1, 32) | (4, 32) => FileCell::Grid(CellType::U32),
            (2, 32) => FileCell::Grid(CellType::I32),
            (3, 32) => FileCell::Grid(CellType::F32),
            (3, 64) => FileCell::Grid(CellType::F64),
            (f, b) => {
                let kind = match f {
                    1 | 4 => "unsigned integer",
                    2 => "signed integer",
                    3 => "floating point",
                    5 | 6 => "complex",
                    _ => "unknown",
                };
                return Err(Fail::Unsupported(format!(
                    "{b}-bit {kind} samples (SampleFormat {f}); ecoplan reads 8/16/32-bit integers \
                     and 32/64-bit floats — convert with gdal_translate -ot Float32"
                )));
            }
        };
        let planar = t.uint(tag::PLANAR_CONFIGURATION)?.unwrap_or(1);
        if planar != 1 && planar != 2 {
            return format(format!("PlanarConfiguration is {planar} (must be 1 or 2)"));
        }
        let planar_separate = planar == 2 && samples > 1;
        let compression_code = t.uint(tag::COMPRESSION)?.unwrap_or(1) as u16;
        let predictor = t.uint(tag::PREDICTOR)?.unwrap_or(1) as u16;
        let has_tw = t.entry(tag::TILE_WIDTH).is_some();
        let has_th = t.entry(tag::TILE_LENGTH).is_some();
        let (tiled, chunk_w, chunk_h, off_tag, cnt_tag) = match (has_tw, has_th) {
            (true, true) => {
                let tw = need(t, tag::TILE_WIDTH)?;
                let th = need(t, tag::TILE_LENGTH)?;
                if tw == 0 || th == 0 {
                    return format(format!("tile size is {tw}×{th}; both must be at least 1"));
                }
                (true, tw, th, tag::TILE_OFFSETS, tag::TILE_BYTE_COUNTS)
            }
            (false, false) => {
                let rps = t.uint(tag::ROWS_PER_STRIP)?.unwrap_or(height);
                if rps == 0 {
                    return format("RowsPerStrip is 0");
                }
                (
                    false,
                    width,
                    rps.min(height),
                    tag::STRIP_OFFSETS,
                    tag::STRIP_BYTE_COUNTS,
                )
            }
            _ => return format("the file has only one of TileWidth and TileLength"),
        };
        let bytes = file_cell.bytes() as u64;
        let chunk_samples = if planar_separate { 1 } else { samples };
        let chunk_bytes = chunk_w
            .checked_mul(chunk_h)
            .and_then(|v| v.checked_mul(chunk_samples))
            .and_then(|v| v.checked_mul(bytes));
        if chunk_bytes.is_none_or(|b| b > MAX_CHUNK_BYTES) {
            return format(format!(
                "{} of {chunk_w}×{chunk_h} cells × {chunk_samples} samples is absurdly large",
                if tiled { "a tile" } else { "a strip" }
            ));
        }
        let across = width.div_ceil(chunk_w);
        let down = height.div_ceil(chunk_h);
        let planes = if planar_separate { samples } else { 1 };
        let Some(expected) = across.checked_mul(down).and_then(|n| n.checked_mul(planes)) else {
            return format(format!(
                "a {width}×{height} image in {chunk_w}×{chunk_h} chunks × {planes} planes is absurd"
            ));
        };
        let offsets = t.uints(off_tag)?.ok_or_else(|| {
            Fail::Format(format!("required tag {} is missing", tag::name(off_tag)))
        })?;
        let counts = t.uints(cnt_tag)?.ok_or_else(|| {
            Fail::Format(format!("required tag {} is missing", tag::name(cnt_tag)))
        })?;
        if offsets.len() as u64 != expected {
            return format(format!(
                "{} has {} entries, but a {width}×{height} image in {chunk_w}×{chunk_h} {} needs {expected}; \
                 the tile/strip sizes do not add up",
                tag::name(off_tag),
                offsets.len(),
                if tiled { "tiles" } else { "strips" }
            ));
        }
        if counts.len() != offsets.len() {
            return format(format!(
                "{} has {} entries but {} has {}",
                tag::name(cnt_tag),
                counts.len(),
                tag::name(off_tag),
                offsets.len()
            ));
        }
        Ok(Image {
            width: width as usize,
            height: height as usize,
            samples: samples as usize,
            file_cell,
            planar_separate,
            compression_code,
            predictor,
            tiled,
            chunk_w: chunk_w as usize,
            chunk_h: chunk_h as usize,
            offsets,
            counts,
            big_endian: t.header.big_endian,
        })
    }

    fn compression(&self) -> Res<Compression> {
        Compression::from_tiff_code(self.compression_code).ok_or_else(|| {
            Fail::Unsupported(format!(
                "{} compression (TIFF code {}); convert with gdal_translate -co COMPRESS=DEFLATE",
                codec::compression_name(self.compression_code),
                self.compression_code
            ))
        })
    }

    fn across(&self) -> usize {
        self.width.div_ceil(self.chunk_w)
    }

    fn chunk_samples(&self) -> usize {
        if self.planar_separate {
            1
        } else {
            self.samples
        }
    }

    /// Decodes chunk `index` (of band 1) into native-order sample bytes held in `scratch`;
    /// `None` for a sparse (absent) chunk.
    fn decode_chunk<'s>(
        &self,
        src: &dyn Source,
        index: usize,
        comp: Compression,
        scratch: &'s mut Scratch,
    ) -> Res<Option<&'s [u8]>> {
        let (offset, count) = (self.offsets[index], self.counts[index]);
        let kind = if self.tiled { "tile" } else { "strip" };
        if count == 0 {
            return Ok(None);
        }
        let size = self.file_cell.bytes();
        let row_samples = self.chunk_w * self.chunk_samples();
        let rows = if self.tiled {
            self.chunk_h
        } else {
            let first = (index % self.height.div_ceil(self.chunk_h)) * self.chunk_h;
            self.chunk_h.min(self.height - first)
        };
        let need = rows * row_samples * size;
        let what = || format!("{kind} {index} (offset {offset}, {count} bytes)");
        if (need as u64) > count.saturating_mul(codec::max_ratio(comp)) {
            return format(format!(
                "{}: {count} compressed bytes cannot hold the {need} bytes the {kind} needs \
                 with {} compression; the file is corrupt",
                what(),
                codec::compression_name(self.compression_code)
            ));
        }
        let Scratch { packed, plain } = scratch;
        let data = super::container::read_checked_into(src, offset, count, packed, &what)?;
        if plain.len() < need {
            plain.resize(need, 0);
        }
        let buf = &mut plain[..need];
        codec::decompress(comp, data, buf, &what)?;
        let swap = self.big_endian != cfg!(target_endian = "big");
        match self.predictor {
            1 => {
                if swap {
                    codec::swap_samples(buf, size);
                }
            }
            2 => {
                if swap {
                    codec::swap_samples(buf, size);
                }
                codec::undo_horizontal(buf, size, row_samples, self.chunk_samples());
            }
            3 => {
                if !matches!(self.file_cell.cell_type(), CellType::F32 | CellType::F64) {
                    return Err(Fail::Unsupported(format!(
                        "floating point predictor (3) on {} samples",
                        self.file_cell.cell_type()
                    )));
                }
                codec::undo_float(buf, size, row_samples, self.chunk_samples());
            }
            p => {
                return Err(Fail::Unsupported(format!(
                    "Predictor {p} (only 1, 2 and 3 exist)"
                )))
            }
        }
        Ok(Some(&plain[..need]))
    }

    /// Reads band 1 of the window into a new row-major vector; sparse chunks read as `fill`.
    pub fn read_window<T: Sample>(
        &self,
        src: &dyn Source,
        col_off: usize,
        row_off: usize,
        w: usize,
        h: usize,
        fill: T,
    ) -> Res<Vec<T>> {
        let comp = self.compression()?;
        let cells = w
            .checked_mul(h)
            .ok_or_else(|| Fail::Format("window size overflows".into()))?;
        let mut out: Vec<T> = Vec::new();
        out.try_reserve_exact(cells).map_err(|_| {
            Fail::Unsupported(format!(
                "cannot allocate {w}×{h} cells of {}: not enough memory; read a window",
                T::TYPE
            ))
        })?;
        out.resize(cells, fill);
        let (cw, ch) = (self.chunk_w, self.chunk_h);
        let (first_band, last_band) = (row_off / ch, (row_off + h - 1) / ch);
        let (c0, c1) = (col_off / cw, (col_off + w - 1) / cw);
        // One job per chunk, each owning the row segments of the output it fills: the jobs
        // write disjoint parts of `out`, so they run in parallel without locks or unsafe code.
        let mut jobs: Vec<(usize, usize, Vec<&mut [T]>)> = Vec::new();
        let mut rest: &mut [T] = &mut out;
        for b in first_band..=last_band {
            let rows = ((b + 1) * ch).min(row_off + h) - (b * ch).max(row_off);
            let first_job = jobs.len();
            for c in c0..=c1 {
                jobs.push((b, c, Vec::with_capacity(rows)));
            }
            for _ in 0..rows {
                let (mut row, tail) = std::mem::take(&mut rest).split_at_mut(w);
                rest = tail;
                for (k, c) in (c0..=c1).enumerate() {
                    let x_end = ((c + 1) * cw).min(col_off + w);
                    let x_start = (c * cw).max(col_off);
                    let (seg, r) = std::mem::take(&mut row).split_at_mut(x_end - x_start);
                    row = r;
                    jobs[first_job + k].2.push(seg);
                }
            }
        }
        let across = self.across();
        let stride = self.chunk_samples();
        let file_cell = self.file_cell;
        jobs.into_par_iter()
            .try_for_each(|(b, c, segs)| -> Res<()> {
                SCRATCH.with(|s| {
                    // Nothing below calls into rayon, so this thread cannot re-enter the borrow.
                    let mut scratch = s.borrow_mut();
                    let result = self
                        .decode_chunk(src, b * across + c, comp, &mut scratch)
                        .map(|chunk| {
                            let Some(chunk) = chunk else { return };
                            let band_row0 = (b * ch).max(row_off);
                            let x_start = (c * cw).max(col_off);
                            for (i, seg) in segs.into_iter().enumerate() {
                                let chunk_row = band_row0 + i - b * ch;
                                let src_first = (chunk_row * cw + (x_start - c * cw)) * stride;
                                T::copy_from(seg, chunk, src_first, stride, file_cell);
                            }
                        });
                    // Do not keep huge buffers (big strips) alive in the thread pool.
                    let Scratch { packed, plain } = &mut *scratch;
                    for buf in [packed, plain] {
                        if buf.len() > SCRATCH_KEEP {
                            *buf = Vec::new();
                        }
                    }
                    result
                })
            })?;
        Ok(out)
    }
}

/// Per-thread buffers for compressed and decompressed chunk bytes, reused across chunks
/// (fresh 100 KiB+ allocations per tile cost page faults that showed up in profiles).
#[derive(Default)]
struct Scratch {
    packed: Vec<u8>,
    plain: Vec<u8>,
}

/// Scratch buffers above this size are freed after use.
const SCRATCH_KEEP: usize = 16 << 20;

thread_local! {
    static SCRATCH: std::cell::RefCell<Scratch> = std::cell::RefCell::new(Scratch::default());
}

/// Cell types the reader and writer move between grids and native-order bytes.
pub(crate) trait Sample: Cell {
    const SIZE: usize;
    fn from_ne_slice(b: &[u8]) -> Self;
    fn write_ne(self, out: &mut [u8]);
    /// Copies `dst.len()` samples, every `stride`-th starting at sample `first` of `src`.
    fn copy_from(dst: &mut [Self], src: &[u8], first: usize, stride: usize, file: FileCell) {
        if file == FileCell::I8 {
            for (k, d) in dst.iter_mut().enumerate() {
                *d = Self::from_f64(src[first + k * stride] as i8 as f64);
            }
            return;
        }
        let s = Self::SIZE;
        if stride == 1 {
            let bytes = &src[first * s..(first + dst.len()) * s];
            for (d, c) in dst.iter_mut().zip(bytes.chunks_exact(s)) {
                *d = Self::from_ne_slice(c);
            }
        } else {
            for (k, d) in dst.iter_mut().enumerate() {
                let p = (first + k * stride) * s;
                *d = Self::from_ne_slice(&src[p..p + s]);
            }
        }
    }
}

macro_rules! sample {
    ($t:ty) => {
        impl Sample for $t {
            const SIZE: usize = std::mem::size_of::<$t>();
            #[inline]
            fn from_ne_slice(b: &[u8]) -> Self {
                let mut a = [0u8; std::mem::size_of::<$t>()];
                a.copy_from_slice(b);
                <$t>::from_ne_bytes(a)
            }
            #[inline]
            fn write_ne(self, out: &mut [u8]) {
                out.copy_from_slice(&self.to_ne_bytes());
            }
        }
    };
}
sample!(u8);
sample!(u16);
sample!(i16);
sample!(i32);
sample!(u32);
sample!(f32);
sample!(f64);
