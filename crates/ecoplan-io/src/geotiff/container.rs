//! The TIFF container: header, image file directories (IFDs) and typed tag values.
//!
//! Every length and offset read from the file is checked against the file size before anything
//! is allocated or read, so a corrupt or hostile file yields a [`Fail`] that says what is wrong,
//! never a panic or an absurd allocation.

use std::fs::File;

/// Why reading failed, before the file name is attached (see `Fail::into_io_error`).
#[derive(Debug)]
pub(crate) enum Fail {
    /// The bytes contradict the TIFF/GeoTIFF format.
    Format(String),
    /// Valid TIFF, but a feature ecoplan does not read.
    Unsupported(String),
    Io(std::io::Error),
}

impl Fail {
    pub(crate) fn into_io_error(self, path: &std::path::Path) -> crate::IoError {
        match self {
            Fail::Format(d) => crate::IoError::format(path, d),
            Fail::Unsupported(d) => crate::IoError::unsupported(path, d),
            Fail::Io(e) => crate::IoError::io(path, e),
        }
    }
}

pub(crate) type Res<T> = Result<T, Fail>;

pub(crate) fn format<T>(detail: impl Into<String>) -> Res<T> {
    Err(Fail::Format(detail.into()))
}

/// Random access to the file's bytes; reads may run on several threads at once.
pub(crate) trait Source: Send + Sync {
    fn len(&self) -> u64;
    /// Fills `buf` from `offset`; the caller has checked that the range lies inside the file.
    fn read_at(&self, offset: u64, buf: &mut [u8]) -> std::io::Result<()>;
}

pub(crate) struct FileSource {
    #[cfg(unix)]
    file: File,
    #[cfg(not(unix))]
    file: std::sync::Mutex<File>,
    len: u64,
}

impl FileSource {
    pub(crate) fn new(file: File) -> std::io::Result<Self> {
        let len = file.metadata()?.len();
        #[cfg(not(unix))]
        let file = std::sync::Mutex::new(file);
        Ok(FileSource { file, len })
    }
}

impl Source for FileSource {
    fn len(&self) -> u64 {
        self.len
    }
    #[cfg(unix)]
    fn read_at(&self, offset: u64, buf: &mut [u8]) -> std::io::Result<()> {
        std::os::unix::fs::FileExt::read_exact_at(&self.file, buf, offset)
    }
    #[cfg(not(unix))]
    fn read_at(&self, offset: u64, buf: &mut [u8]) -> std::io::Result<()> {
        use std::io::{Read, Seek, SeekFrom};
        let mut f = self
            .file
            .lock()
            .map_err(|_| std::io::Error::other("file lock poisoned"))?;
        f.seek(SeekFrom::Start(offset))?;
        f.read_exact(buf)
    }
}

pub(crate) struct BytesSource(pub(crate) Vec<u8>);

impl Source for BytesSource {
    fn len(&self) -> u64 {
        self.0.len() as u64
    }
    fn read_at(&self, offset: u64, buf: &mut [u8]) -> std::io::Result<()> {
        let start = usize::try_from(offset).map_err(|_| std::io::ErrorKind::UnexpectedEof)?;
        let end = start
            .checked_add(buf.len())
            .filter(|&e| e <= self.0.len())
            .ok_or(std::io::ErrorKind::UnexpectedEof)?;
        buf.copy_from_slice(&self.0[start..end]);
        Ok(())
    }
}

/// Reads `len` bytes at `offset`, checking the range against the file size first.
pub(crate) fn read_checked(src: &dyn Source, offset: u64, len: u64, what: &str) -> Res<Vec<u8>> {
    let end = offset.checked_add(len);
    match end {
        Some(e) if e <= src.len() => {}
        _ => {
            return format(format!(
                "{what}: {len} bytes at offset {offset} run past the end of the file ({} bytes); \
                 the file is truncated or corrupt",
                src.len()
            ))
        }
    }
    let mut buf = vec![0u8; len as usize];
    src.read_at(offset, &mut buf).map_err(Fail::Io)?;
    Ok(buf)
}

/// Like [`read_checked`], into a reusable buffer (grown as needed, never shrunk).
pub(crate) fn read_checked_into<'b>(
    src: &dyn Source,
    offset: u64,
    len: u64,
    buf: &'b mut Vec<u8>,
    what: &dyn Fn() -> String,
) -> Res<&'b [u8]> {
    match offset.checked_add(len) {
        Some(e) if e <= src.len() => {}
        _ => {
            return format(format!(
                "{}: {len} bytes at offset {offset} run past the end of the file ({} bytes); \
                 the file is truncated or corrupt",
                what(),
                src.len()
            ))
        }
    }
    let len = len as usize;
    if buf.len() < len {
        buf.resize(len, 0);
    }
    src.read_at(offset, &mut buf[..len]).map_err(Fail::Io)?;
    Ok(&buf[..len])
}

/// TIFF field types (TIFF 6.0 §2 and BigTIFF).
pub(crate) mod ty {
    pub const BYTE: u16 = 1;
    pub const ASCII: u16 = 2;
    pub const SHORT: u16 = 3;
    pub const LONG: u16 = 4;
    pub const RATIONAL: u16 = 5;
    pub const SBYTE: u16 = 6;
    pub const UNDEFINED: u16 = 7;
    pub const SSHORT: u16 = 8;
    pub const SLONG: u16 = 9;
    pub const SRATIONAL: u16 = 10;
    pub const FLOAT: u16 = 11;
    pub const DOUBLE: u16 = 12;
    pub const IFD: u16 = 13;
    pub const LONG8: u16 = 16;
    pub const SLONG8: u16 = 17;
    pub const IFD8: u16 = 18;

    pub fn size(t: u16) -> Option<u64> {
        Some(match t {
            BYTE | ASCII | SBYTE | UNDEFINED => 1,
            SHORT | SSHORT => 2,
            LONG | SLONG | FLOAT | IFD => 4,
            RATIONAL | SRATIONAL | DOUBLE | LONG8 | SLONG8 | IFD8 => 8,
            _ => return None,
        })
    }
    pub fn name(t: u16) -> &'static str {
        match t {
            BYTE => "BYTE",
            ASCII => "ASCII",
            SHORT => "SHORT",
            LONG => "LONG",
            RATIONAL => "RATIONAL",
            SBYTE => "SBYTE",
            UNDEFINED => "UNDEFINED",
            SSHORT => "SSHORT",
            SLONG => "SLONG",
            SRATIONAL => "SRATIONAL",
            FLOAT => "FLOAT",
            DOUBLE => "DOUBLE",
            IFD => "IFD",
            LONG8 => "LONG8",
            SLONG8 => "SLONG8",
            IFD8 => "IFD8",
            _ => "unknown",
        }
    }
}

/// Tag numbers ecoplan reads or writes.
pub(crate) mod tag {
    pub const NEW_SUBFILE_TYPE: u16 = 254;
    pub const IMAGE_WIDTH: u16 = 256;
    pub const IMAGE_LENGTH: u16 = 257;
    pub const BITS_PER_SAMPLE: u16 = 258;
    pub const COMPRESSION: u16 = 259;
    pub const PHOTOMETRIC: u16 = 262;
    pub const STRIP_OFFSETS: u16 = 273;
    pub const SAMPLES_PER_PIXEL: u16 = 277;
    pub const ROWS_PER_STRIP: u16 = 278;
    pub const STRIP_BYTE_COUNTS: u16 = 279;
    pub const PLANAR_CONFIGURATION: u16 = 284;
    pub const PREDICTOR: u16 = 317;
    pub const TILE_WIDTH: u16 = 322;
    pub const TILE_LENGTH: u16 = 323;
    pub const TILE_OFFSETS: u16 = 324;
    pub const TILE_BYTE_COUNTS: u16 = 325;
    pub const SAMPLE_FORMAT: u16 = 339;
    pub const MODEL_PIXEL_SCALE: u16 = 33550;
    pub const MODEL_TIEPOINT: u16 = 33922;
    pub const MODEL_TRANSFORMATION: u16 = 34264;
    pub const GEO_KEY_DIRECTORY: u16 = 34735;
    pub const GEO_DOUBLE_PARAMS: u16 = 34736;
    pub const GEO_ASCII_PARAMS: u16 = 34737;
    pub const GDAL_NODATA: u16 = 42113;

    pub fn name(t: u16) -> String {
        let n = match t {
            NEW_SUBFILE_TYPE => "NewSubfileType",
            IMAGE_WIDTH => "ImageWidth",
            IMAGE_LENGTH => "ImageLength",
            BITS_PER_SAMPLE => "BitsPerSample",
            COMPRESSION => "Compression",
            PHOTOMETRIC => "PhotometricInterpretation",
            STRIP_OFFSETS => "StripOffsets",
            SAMPLES_PER_PIXEL => "SamplesPerPixel",
            ROWS_PER_STRIP => "RowsPerStrip",
            STRIP_BYTE_COUNTS => "StripByteCounts",
            PLANAR_CONFIGURATION => "PlanarConfiguration",
            PREDICTOR => "Predictor",
            TILE_WIDTH => "TileWidth",
            TILE_LENGTH => "TileLength",
            TILE_OFFSETS => "TileOffsets",
            TILE_BYTE_COUNTS => "TileByteCounts",
            SAMPLE_FORMAT => "SampleFormat",
            MODEL_PIXEL_SCALE => "ModelPixelScaleTag",
            MODEL_TIEPOINT => "ModelTiepointTag",
            MODEL_TRANSFORMATION => "ModelTransformationTag",
            GEO_KEY_DIRECTORY => "GeoKeyDirectoryTag",
            GEO_DOUBLE_PARAMS => "GeoDoubleParamsTag",
            GEO_ASCII_PARAMS => "GeoAsciiParamsTag",
            GDAL_NODATA => "GDAL_NODATA",
            _ => return format!("tag {t}"),
        };
        format!("{n} ({t})")
    }
}

/// The first bytes of the file.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Header {
    pub big_endian: bool,
    pub bigtiff: bool,
    pub first_ifd: u64,
}

/// Byte-order aware integer decoding.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Order {
    pub big_endian: bool,
}

impl Order {
    pub fn u16(self, b: &[u8]) -> u16 {
        let a = [b[0], b[1]];
        if self.big_endian {
            u16::from_be_bytes(a)
        } else {
            u16::from_le_bytes(a)
        }
    }
    pub fn u32(self, b: &[u8]) -> u32 {
        let a = [b[0], b[1], b[2], b[3]];
        if self.big_endian {
            u32::from_be_bytes(a)
        } else {
            u32::from_le_bytes(a)
        }
    }
    pub fn u64(self, b: &[u8]) -> u64 {
        let mut a = [0u8; 8];
        a.copy_from_slice(&b[..8]);
        if self.big_endian {
            u64::from_be_bytes(a)
        } else {
            u64::from_le_bytes(a)
        }
    }
}

pub(crate) fn read_header(src: &dyn Source) -> Res<Header> {
    if src.len() < 8 {
        return format(format!(
            "only {} bytes: too short for a TIFF header (8 bytes)",
            src.len()
        ));
    }
    let mut h = [0u8; 16];
    let n = src.len().min(16) as usize;
    src.read_at(0, &mut h[..n]).map_err(Fail::Io)?;
    let big_endian = match &h[..2] {
        b"II" => false,
        b"MM" => true,
        _ => {
            return format(format!(
                "not a TIFF file: it starts with bytes {:02x} {:02x}, not `II` or `MM`",
                h[0], h[1]
            ))
        }
    };
    let o = Order { big_endian };
    match o.u16(&h[2..4]) {
        42 => Ok(Header {
            big_endian,
            bigtiff: false,
            first_ifd: o.u32(&h[4..8]) as u64,
        }),
        43 => {
            if n < 16 {
                return format("BigTIFF header is truncated (needs 16 bytes)");
            }
            let (bytesize, zero) = (o.u16(&h[4..6]), o.u16(&h[6..8]));
            if bytesize != 8 || zero != 0 {
                return format(format!(
                    "BigTIFF header has offset size {bytesize} (must be 8)"
                ));
            }
            Ok(Header {
                big_endian,
                bigtiff: true,
                first_ifd: o.u64(&h[8..16]),
            })
        }
        v => format(format!(
            "not a TIFF file: version number {v} (expected 42, or 43 for BigTIFF)"
        )),
    }
}

/// One directory entry. Values of at most 4 (8 in BigTIFF) bytes are stored inline.
#[derive(Debug, Clone)]
pub(crate) struct Entry {
    pub tag: u16,
    pub typ: u16,
    pub count: u64,
    /// Inline value bytes, or the offset of the value.
    pub raw: [u8; 8],
}

/// An image file directory.
#[derive(Debug, Clone)]
pub(crate) struct Ifd {
    pub entries: Vec<Entry>,
    pub next: u64,
}

/// Most IFDs have 15–30 entries; 4096 leaves room for any real file while bounding work.
const MAX_ENTRIES: u64 = 4096;
/// Files with more pages are not rasters ecoplan reads; the cap bounds the walk.
const MAX_IFDS: usize = 1024;

pub(crate) fn read_ifd(src: &dyn Source, h: &Header, offset: u64, index: usize) -> Res<Ifd> {
    let o = Order {
        big_endian: h.big_endian,
    };
    let what = format!("IFD {index} at offset {offset}");
    if offset < 8 {
        return format(format!(
            "{what}: offset points into the file header; the file is corrupt"
        ));
    }
    let (count_size, entry_size, next_size) = if h.bigtiff {
        (8u64, 20u64, 8u64)
    } else {
        (2, 12, 4)
    };
    let cb = read_checked(src, offset, count_size, &what)?;
    let n = if h.bigtiff {
        o.u64(&cb)
    } else {
        o.u16(&cb) as u64
    };
    if n == 0 {
        return format(format!("{what} has no entries"));
    }
    if n > MAX_ENTRIES {
        return format(format!(
            "{what} claims {n} entries (more than {MAX_ENTRIES}); the file is corrupt"
        ));
    }
    let body = read_checked(
        src,
        offset + count_size,
        n * entry_size + next_size,
        &format!("{what} with {n} entries"),
    )?;
    let mut entries = Vec::with_capacity(n as usize);
    for i in 0..n as usize {
        let e = &body[i * entry_size as usize..(i + 1) * entry_size as usize];
        let tag = o.u16(&e[0..2]);
        let typ = o.u16(&e[2..4]);
        let (count, rawb) = if h.bigtiff {
            (o.u64(&e[4..12]), &e[12..20])
        } else {
            (o.u32(&e[4..8]) as u64, &e[8..12])
        };
        let mut raw = [0u8; 8];
        raw[..rawb.len()].copy_from_slice(rawb);
        entries.push(Entry {
            tag,
            typ,
            count,
            raw,
        });
    }
    let nb = &body[(n * entry_size) as usize..];
    let next = if h.bigtiff {
        o.u64(nb)
    } else {
        o.u32(nb) as u64
    };
    // Tags must be sorted; tolerate writers that do not sort, but keep lookups by binary search.
    entries.sort_by_key(|e| e.tag);
    Ok(Ifd { entries, next })
}

/// Reads the chain of IFDs starting at the header's first offset.
pub(crate) fn read_ifd_chain(src: &dyn Source, h: &Header) -> Res<Vec<Ifd>> {
    let mut out = Vec::new();
    let mut seen = std::collections::HashSet::new();
    let mut off = h.first_ifd;
    if off == 0 {
        return format("the header points to no image (first IFD offset is 0)");
    }
    while off != 0 {
        if !seen.insert(off) {
            return format(format!(
                "IFD chain loops back to offset {off}; the file is corrupt"
            ));
        }
        if out.len() >= MAX_IFDS {
            return format(format!("more than {MAX_IFDS} IFDs; the file is corrupt"));
        }
        let ifd = match read_ifd(src, h, off, out.len()) {
            Ok(i) => i,
            // A broken link after the first image: keep what was read (GDAL does the same).
            Err(e) if !out.is_empty() => {
                let _ = e;
                break;
            }
            Err(e) => return Err(e),
        };
        off = ifd.next;
        out.push(ifd);
    }
    Ok(out)
}

/// Typed access to the values of an IFD's entries.
pub(crate) struct Tags<'a> {
    pub src: &'a dyn Source,
    pub header: Header,
    pub ifd: &'a Ifd,
}

impl<'a> Tags<'a> {
    pub fn order(&self) -> Order {
        Order {
            big_endian: self.header.big_endian,
        }
    }
    pub fn entry(&self, tag: u16) -> Option<&'a Entry> {
        self.ifd
            .entries
            .binary_search_by_key(&tag, |e| e.tag)
            .ok()
            .map(|i| &self.ifd.entries[i])
    }
    /// The raw value bytes of an entry (inline or read from its offset), size-checked.
    fn value_bytes(&self, e: &Entry) -> Res<Vec<u8>> {
        let Some(size) = ty::size(e.typ) else {
            return format(format!(
                "{} has unknown field type {}",
                tag::name(e.tag),
                e.typ
            ));
        };
        let total = e.count.checked_mul(size).filter(|&t| t <= self.src.len());
        let Some(total) = total else {
            return format(format!(
                "{} claims {} values of {} bytes, more than the whole file ({} bytes)",
                tag::name(e.tag),
                e.count,
                size,
                self.src.len()
            ));
        };
        let inline = if self.header.bigtiff { 8 } else { 4 };
        if total <= inline {
            Ok(e.raw[..total as usize].to_vec())
        } else {
            let o = self.order();
            let off = if self.header.bigtiff {
                o.u64(&e.raw)
            } else {
                o.u32(&e.raw) as u64
            };
            read_checked(self.src, off, total, &tag::name(e.tag))
        }
    }
    fn wrong_type<T>(&self, e: &Entry, expected: &str) -> Res<T> {
        format(format!(
            "{} has field type {} ({}); expected {expected}",
            tag::name(e.tag),
            ty::name(e.typ),
            e.typ
        ))
    }
    /// Unsigned integer values (BYTE, SHORT, LONG, LONG8, IFD, IFD8).
    pub fn uints(&self, t: u16) -> Res<Option<Vec<u64>>> {
        let Some(e) = self.entry(t) else {
            return Ok(None);
        };
        let size = match e.typ {
            ty::BYTE | ty::UNDEFINED => 1,
            ty::SHORT => 2,
            ty::LONG | ty::IFD => 4,
            ty::LONG8 | ty::IFD8 => 8,
            _ => return self.wrong_type(e, "an unsigned integer type (SHORT, LONG or LONG8)"),
        };
        let b = self.value_bytes(e)?;
        let o = self.order();
        Ok(Some(
            b.chunks_exact(size)
                .map(|c| match size {
                    1 => c[0] as u64,
                    2 => o.u16(c) as u64,
                    4 => o.u32(c) as u64,
                    _ => o.u64(c),
                })
                .collect(),
        ))
    }
    /// A single unsigned integer; more values than one is tolerated only if all are equal
    /// (BitsPerSample and SampleFormat repeat per sample).
    pub fn uint(&self, t: u16) -> Res<Option<u64>> {
        match self.uints(t)? {
            None => Ok(None),
            Some(v) if v.is_empty() => format(format!("{} has no value", tag::name(t))),
            Some(v) => Ok(Some(v[0])),
        }
    }
    /// Floating point values (DOUBLE or FLOAT; also integer types, widened).
    pub fn doubles(&self, t: u16) -> Res<Option<Vec<f64>>> {
        let Some(e) = self.entry(t) else {
            return Ok(None);
        };
        let o = self.order();
        let b = match e.typ {
            ty::DOUBLE | ty::FLOAT | ty::SHORT | ty::LONG => self.value_bytes(e)?,
            _ => return self.wrong_type(e, "DOUBLE"),
        };
        Ok(Some(match e.typ {
            ty::DOUBLE => b
                .chunks_exact(8)
                .map(|c| f64::from_bits(o.u64(c)))
                .collect(),
            ty::FLOAT => b
                .chunks_exact(4)
                .map(|c| f32::from_bits(o.u32(c)) as f64)
                .collect(),
            ty::SHORT => b.chunks_exact(2).map(|c| o.u16(c) as f64).collect(),
            _ => b.chunks_exact(4).map(|c| o.u32(c) as f64).collect(),
        }))
    }
    /// SHORT values (GeoKeyDirectory).
    pub fn shorts(&self, t: u16) -> Res<Option<Vec<u16>>> {
        let Some(e) = self.entry(t) else {
            return Ok(None);
        };
        if e.typ != ty::SHORT {
            return self.wrong_type(e, "SHORT");
        }
        let o = self.order();
        Ok(Some(
            self.value_bytes(e)?
                .chunks_exact(2)
                .map(|c| o.u16(c))
                .collect(),
        ))
    }
    /// ASCII text, without the trailing NUL(s).
    pub fn ascii(&self, t: u16) -> Res<Option<String>> {
        let Some(e) = self.entry(t) else {
            return Ok(None);
        };
        if e.typ != ty::ASCII && e.typ != ty::BYTE && e.typ != ty::UNDEFINED {
            return self.wrong_type(e, "ASCII");
        }
        let b = self.value_bytes(e)?;
        let end = b.iter().rposition(|&c| c != 0).map_or(0, |p| p + 1);
        Ok(Some(String::from_utf8_lossy(&b[..end]).into_owned()))
    }
}
