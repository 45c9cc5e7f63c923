//! Chunk (strip/tile) compression and the TIFF predictors.

use super::container::{Fail, Res};
use super::Compression;

/// TIFF compression codes.
pub(crate) mod code {
    pub const NONE: u16 = 1;
    pub const LZW: u16 = 5;
    pub const JPEG_OLD: u16 = 6;
    pub const JPEG: u16 = 7;
    pub const DEFLATE: u16 = 8;
    pub const PACKBITS: u16 = 32773;
    pub const DEFLATE_OLD: u16 = 32946;
    pub const LERC: u16 = 34887;
    pub const LZMA: u16 = 34925;
    pub const ZSTD: u16 = 50000;
    pub const WEBP: u16 = 50001;
    pub const JXL: u16 = 50002;
}

/// GDAL's name for a TIFF compression code (`DEFLATE`, `LZW`, …), or `code N` when unknown.
pub fn compression_name(c: u16) -> String {
    match c {
        code::NONE => "NONE".into(),
        code::LZW => "LZW".into(),
        code::JPEG_OLD | code::JPEG => "JPEG".into(),
        code::DEFLATE | code::DEFLATE_OLD => "DEFLATE".into(),
        code::PACKBITS => "PACKBITS".into(),
        code::LERC => "LERC".into(),
        code::LZMA => "LZMA".into(),
        code::ZSTD => "ZSTD".into(),
        code::WEBP => "WEBP".into(),
        code::JXL => "JXL".into(),
        2 => "CCITTRLE".into(),
        3 | 4 => "CCITTFAX".into(),
        34712 => "JPEG2000".into(),
        _ => format!("code {c}"),
    }
}

/// Largest possible expansion of one compressed byte, used to reject chunks whose declared
/// size could not possibly decompress to the image's chunk size (before allocating for them).
pub(crate) fn max_ratio(c: Compression) -> u64 {
    match c {
        Compression::None => 1,
        // Deflate's longest match (258 bytes) costs at least 2 bits: ratio ≤ 1032.
        Compression::Deflate => 1100,
        // A 9–12 bit LZW code expands to at most 4096 bytes.
        Compression::Lzw => 3700,
        // 2 bytes → 128 bytes.
        Compression::PackBits => 64,
        // An RLE block of up to 128 KiB costs 3 bytes, plus frame overhead.
        Compression::Zstd => 45_000,
    }
}

thread_local! {
    static INFLATER: std::cell::RefCell<libdeflater::Decompressor> =
        std::cell::RefCell::new(libdeflater::Decompressor::new());
    /// One compressor per thread and level (libdeflate compressors are tied to a level).
    static DEFLATERS: std::cell::RefCell<Vec<(i32, libdeflater::Compressor)>> =
        const { std::cell::RefCell::new(Vec::new()) };
}

/// Inflates the first `out.len()` bytes of a zlib stream that may hold more, then steps over the
/// rest so its Adler-32 checksum is still verified.
fn inflate_streaming(input: &[u8], out: &mut [u8], what: &dyn Fn() -> String) -> Res<()> {
    let mut d = flate2::Decompress::new(true);
    let status = d
        .decompress(input, out, flate2::FlushDecompress::Finish)
        .map_err(|e| Fail::Format(format!("{}: deflate data is corrupt: {e}", what())))?;
    let got = d.total_out() as usize;
    if got < out.len() {
        return Err(Fail::Format(format!(
            "{}: decompressed to {got} bytes, but the image layout needs {}; the data is truncated or corrupt",
            what(),
            out.len()
        )));
    }
    let mut status = status;
    let mut scratch = [0u8; 256];
    let mut rounds = 0;
    while status != flate2::Status::StreamEnd && rounds < 64 {
        let before = (d.total_in(), d.total_out());
        let used = d.total_in() as usize;
        status = d
            .decompress(
                &input[used.min(input.len())..],
                &mut scratch,
                flate2::FlushDecompress::Finish,
            )
            .map_err(|e| Fail::Format(format!("{}: deflate data is corrupt: {e}", what())))?;
        if (d.total_in(), d.total_out()) == before {
            break;
        }
        rounds += 1;
    }
    Ok(())
}

/// Decompresses `input` into exactly `out.len()` bytes.
/// More output than needed is cut off (some writers store a full last strip); less is an error.
pub(crate) fn decompress(
    c: Compression,
    input: &[u8],
    out: &mut [u8],
    what: &dyn Fn() -> String,
) -> Res<()> {
    let short = |got: usize, out: &[u8]| {
        Fail::Format(format!(
            "{}: decompressed to {got} bytes, but the image layout needs {}; the data is truncated or corrupt",
            what(),
            out.len()
        ))
    };
    match c {
        Compression::None => {
            if input.len() < out.len() {
                return Err(short(input.len(), out));
            }
            out.copy_from_slice(&input[..out.len()]);
        }
        Compression::Deflate => {
            // libdeflate inflates a whole chunk at once, Adler-32 checked; a stream longer than
            // the chunk (a writer that stored a full last strip) takes the streaming path.
            let r = INFLATER.with(|d| d.borrow_mut().zlib_decompress(input, out));
            match r {
                Ok(got) if got == out.len() => {}
                Ok(got) => return Err(short(got, out)),
                Err(libdeflater::DecompressionError::InsufficientSpace) => {
                    inflate_streaming(input, out, what)?
                }
                Err(e) => {
                    return Err(Fail::Format(format!(
                        "{}: deflate data is corrupt: {e}",
                        what()
                    )))
                }
            }
        }
        Compression::Lzw => {
            if input.len() >= 2 && input[0] == 0 && input[1] & 1 == 1 {
                return Err(Fail::Unsupported(format!(
                    "{}: old-style (pre TIFF 6.0, LSB-first) LZW; rewrite the file with GDAL",
                    what()
                )));
            }
            let pos = lzw_decode(input, out)
                .map_err(|e| Fail::Format(format!("{}: LZW data is corrupt: {e}", what())))?;
            if pos < out.len() {
                return Err(short(pos, out));
            }
        }
        Compression::Zstd => {
            let mut d = zstd::bulk::Decompressor::new()
                .map_err(|e| Fail::Format(format!("{}: zstd: {e}", what())))?;
            match d.decompress_to_buffer(input, out) {
                Ok(n) if n == out.len() => {}
                Ok(n) => return Err(short(n, out)),
                Err(e) => {
                    // The destination may be too small when a writer stored a full last strip.
                    let mut big = Vec::new();
                    let ok = zstd::stream::copy_decode(input, &mut LimitedVec(&mut big, out.len()));
                    if big.len() >= out.len() {
                        out.copy_from_slice(&big[..out.len()]);
                    } else {
                        let _ = ok;
                        return Err(Fail::Format(format!(
                            "{}: zstd data is corrupt: {e}",
                            what()
                        )));
                    }
                }
            }
        }
        Compression::PackBits => {
            let (mut i, mut o) = (0usize, 0usize);
            while o < out.len() && i < input.len() {
                let n = input[i] as i8;
                i += 1;
                if n >= 0 {
                    let len = n as usize + 1;
                    let take = len.min(out.len() - o);
                    if i + take > input.len() {
                        return Err(short(o, out));
                    }
                    out[o..o + take].copy_from_slice(&input[i..i + take]);
                    i += len;
                    o += take;
                } else if n != -128 {
                    let len = (1 - n as isize) as usize;
                    let Some(&b) = input.get(i) else {
                        return Err(short(o, out));
                    };
                    i += 1;
                    let take = len.min(out.len() - o);
                    out[o..o + take].fill(b);
                    o += take;
                }
            }
            if o < out.len() {
                return Err(short(o, out));
            }
        }
    }
    Ok(())
}

/// TIFF LZW decoder (MSB-first codes of 9–12 bits, "early change" width switch).
///
/// Every LZW string is an earlier piece of the output plus one byte, so the table stores only
/// where that piece was emitted and its length, and decoding a code is one copy inside `out`.
/// Returns the number of bytes written (bytes of `out` past it are unspecified); stops when
/// `out` is full or at EndOfInformation.
fn lzw_decode(input: &[u8], out: &mut [u8]) -> Result<usize, String> {
    const CLEAR: usize = 256;
    const EOI: usize = 257;
    const FIRST: usize = 258;
    const MAX_CODES: usize = 4096;
    // (start in `out`, length) of each code's string.
    let mut table = vec![(0usize, 0usize); MAX_CODES];
    let (mut next, mut width) = (FIRST, 9u32);
    let (mut bits, mut nbits, mut inpos) = (0u64, 0u32, 0usize);
    let mut pos = 0usize;
    // The previous code's string, where it was emitted.
    let mut prev: Option<(usize, usize)> = None;
    loop {
        while nbits < width {
            let Some(&b) = input.get(inpos) else {
                return Ok(pos); // End of data without EndOfInformation: some writers do that.
            };
            bits = (bits << 8) | b as u64;
            nbits += 8;
            inpos += 1;
        }
        let code = ((bits >> (nbits - width)) & ((1 << width) - 1)) as usize;
        nbits -= width;
        if code == CLEAR {
            next = FIRST;
            width = 9;
            prev = None;
            continue;
        }
        if code == EOI {
            return Ok(pos);
        }
        let (start, len) = if code < CLEAR {
            (usize::MAX, 1) // a literal byte, written below
        } else if code < next {
            table[code]
        } else if code == next {
            // The KwKwK case: the previous string plus its own first byte.
            match prev {
                Some((s, l)) => (s, l + 1),
                None => return Err(format!("code {code} before any string")),
            }
        } else {
            return Err(format!(
                "code {code} is not in the table (next free code {next})"
            ));
        };
        let room = out.len() - pos;
        if start == usize::MAX {
            if room == 0 {
                return Ok(pos);
            }
            out[pos] = code as u8;
        } else {
            let n = len.min(room);
            if len <= 16 && start + 16 <= pos && pos + 16 <= out.len() {
                // Short strings (most of them): one fixed 16-byte copy, which compiles to a
                // couple of moves instead of a memmove call; the bytes past `len` are
                // overwritten by the strings that follow.
                out.copy_within(start..start + 16, pos);
            } else if start + len <= pos {
                out.copy_within(start..start + n, pos);
            } else {
                // Overlapping copy (KwKwK): byte by byte, forwards.
                for k in 0..n {
                    out[pos + k] = out[start + k];
                }
            }
        }
        if let Some((ps, pl)) = prev {
            if next < MAX_CODES {
                table[next] = (ps, pl + 1);
                next += 1;
                if next + 1 >= (1 << width) && width < 12 {
                    width += 1;
                }
            }
        }
        if len > room {
            return Ok(out.len());
        }
        prev = Some((pos, len));
        pos += len;
        if pos == out.len() {
            return Ok(pos);
        }
    }
}

/// A writer that keeps at most `limit` bytes and then refuses more (bounds the zstd fallback).
struct LimitedVec<'a>(&'a mut Vec<u8>, usize);

impl std::io::Write for LimitedVec<'_> {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        let room = self.1.saturating_sub(self.0.len());
        if room == 0 {
            return Err(std::io::Error::other("enough output"));
        }
        let n = room.min(buf.len());
        self.0.extend_from_slice(&buf[..n]);
        Ok(n)
    }
    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

/// Deflate level GDAL uses by default (ZLEVEL=6).
pub(crate) const DEFLATE_LEVEL: i32 = 6;
/// zstd level GDAL uses by default (ZSTD_LEVEL=9).
pub(crate) const ZSTD_LEVEL: i32 = 9;

/// Compresses one chunk. `level`: deflate 1–12 (libdeflate; GDAL's ZLEVEL), zstd 1–22;
/// `None` (or a level out of range) takes GDAL's defaults; other codecs ignore it.
pub(crate) fn compress(
    c: Compression,
    level: Option<i32>,
    data: &[u8],
) -> std::io::Result<Vec<u8>> {
    Ok(match c {
        Compression::None => data.to_vec(),
        Compression::Deflate => DEFLATERS.with(|cs| {
            let lvl = level
                .filter(|l| (1..=12).contains(l))
                .unwrap_or(DEFLATE_LEVEL);
            let mut cs = cs.borrow_mut();
            let at = match cs.iter().position(|(l, _)| *l == lvl) {
                Some(i) => i,
                None => {
                    let cl = libdeflater::CompressionLvl::new(lvl).unwrap_or_default();
                    cs.push((lvl, libdeflater::Compressor::new(cl)));
                    cs.len() - 1
                }
            };
            let c = &mut cs[at].1;
            let mut out = vec![0u8; c.zlib_compress_bound(data.len())];
            let n = c
                .zlib_compress(data, &mut out)
                .map_err(std::io::Error::other)?;
            out.truncate(n);
            Ok::<_, std::io::Error>(out)
        })?,
        Compression::Lzw => weezl::encode::Encoder::with_tiff_size_switch(weezl::BitOrder::Msb, 8)
            .encode(data)
            .map_err(std::io::Error::other)?,
        Compression::Zstd => {
            let lvl = level.filter(|l| (1..=22).contains(l)).unwrap_or(ZSTD_LEVEL);
            zstd::bulk::compress(data, lvl)?
        }
        Compression::PackBits => packbits_encode(data),
    })
}

fn packbits_encode(data: &[u8]) -> Vec<u8> {
    let mut out = Vec::with_capacity(data.len() + data.len() / 128 + 1);
    let mut i = 0;
    while i < data.len() {
        // Run of equal bytes?
        let mut run = 1;
        while i + run < data.len() && run < 128 && data[i + run] == data[i] {
            run += 1;
        }
        if run >= 3 {
            out.push((1i16 - run as i16) as i8 as u8);
            out.push(data[i]);
            i += run;
            continue;
        }
        // Literal stretch until the next run of 3 or 128 bytes.
        let start = i;
        while i < data.len() && i - start < 128 {
            if i + 2 < data.len() && data[i] == data[i + 1] && data[i] == data[i + 2] {
                break;
            }
            i += 1;
        }
        out.push((i - start - 1) as u8);
        out.extend_from_slice(&data[start..i]);
    }
    out
}

/// Swaps the bytes of each `size`-byte sample in place (file byte order ↔ native).
pub(crate) fn swap_samples(buf: &mut [u8], size: usize) {
    if size > 1 {
        for c in buf.chunks_exact_mut(size) {
            c.reverse();
        }
    }
}

/// Undoes horizontal differencing (predictor 2) on native-order samples.
/// `row_samples` samples per row, `stride` = samples per pixel in the chunk.
pub(crate) fn undo_horizontal(buf: &mut [u8], size: usize, row_samples: usize, stride: usize) {
    let row_bytes = row_samples * size;
    if row_bytes == 0 {
        return;
    }
    macro_rules! acc {
        ($t:ty) => {{
            const S: usize = std::mem::size_of::<$t>();
            let get = |c: &[u8]| <$t>::from_ne_bytes(c.try_into().unwrap());
            for row in buf.chunks_exact_mut(row_bytes) {
                if stride == 1 {
                    // Running sum kept in a register: the common single-band case.
                    let mut acc: $t = 0;
                    for c in row.chunks_exact_mut(S) {
                        acc = acc.wrapping_add(get(c));
                        c.copy_from_slice(&acc.to_ne_bytes());
                    }
                } else {
                    for i in stride..row_samples {
                        let p = get(&row[(i - stride) * S..(i - stride + 1) * S]);
                        let c = get(&row[i * S..(i + 1) * S]);
                        row[i * S..(i + 1) * S].copy_from_slice(&c.wrapping_add(p).to_ne_bytes());
                    }
                }
            }
        }};
    }
    match size {
        1 => acc!(u8),
        2 => acc!(u16),
        4 => acc!(u32),
        _ => acc!(u64),
    }
}

/// Applies horizontal differencing (predictor 2) to native-order samples, from the right.
pub(crate) fn apply_horizontal(buf: &mut [u8], size: usize, row_samples: usize, stride: usize) {
    let row_bytes = row_samples * size;
    if row_bytes == 0 {
        return;
    }
    macro_rules! diff {
        ($t:ty) => {{
            const S: usize = std::mem::size_of::<$t>();
            let get = |c: &[u8]| <$t>::from_ne_bytes(c.try_into().unwrap());
            for row in buf.chunks_exact_mut(row_bytes) {
                for i in (stride..row_samples).rev() {
                    let p = get(&row[(i - stride) * S..(i - stride + 1) * S]);
                    let c = get(&row[i * S..(i + 1) * S]);
                    row[i * S..(i + 1) * S].copy_from_slice(&c.wrapping_sub(p).to_ne_bytes());
                }
            }
        }};
    }
    match size {
        1 => diff!(u8),
        2 => diff!(u16),
        4 => diff!(u32),
        _ => diff!(u64),
    }
}

/// Byte `j` (counted from the most significant) of a native-order value of `size` bytes.
#[inline]
fn ne_index(j: usize, size: usize) -> usize {
    if cfg!(target_endian = "little") {
        size - 1 - j
    } else {
        j
    }
}

/// Undoes the floating point predictor (3): byte differencing, then the byte planes
/// (most significant first) are interleaved back into native-order values.
pub(crate) fn undo_float(buf: &mut [u8], size: usize, row_samples: usize, stride: usize) {
    let row_bytes = row_samples * size;
    if row_bytes == 0 {
        return;
    }
    let mut tmp = vec![0u8; row_bytes];
    for row in buf.chunks_exact_mut(row_bytes) {
        if stride == 1 {
            let mut acc = 0u8;
            for (t, &b) in tmp.iter_mut().zip(row.iter()) {
                acc = acc.wrapping_add(b);
                *t = acc;
            }
        } else {
            tmp.copy_from_slice(row);
            for i in stride..row_bytes {
                tmp[i] = tmp[i].wrapping_add(tmp[i - stride]);
            }
        }
        let n = row_samples;
        match size {
            4 => {
                let (p0, p1, p2, p3) =
                    (&tmp[..n], &tmp[n..2 * n], &tmp[2 * n..3 * n], &tmp[3 * n..]);
                for ((((out, &a), &b), &c), &d) in
                    row.chunks_exact_mut(4).zip(p0).zip(p1).zip(p2).zip(p3)
                {
                    out.copy_from_slice(&u32::from_be_bytes([a, b, c, d]).to_ne_bytes());
                }
            }
            8 => {
                let p: Vec<&[u8]> = tmp.chunks_exact(n).collect();
                for (k, out) in row.chunks_exact_mut(8).enumerate() {
                    let v = u64::from_be_bytes([
                        p[0][k], p[1][k], p[2][k], p[3][k], p[4][k], p[5][k], p[6][k], p[7][k],
                    ]);
                    out.copy_from_slice(&v.to_ne_bytes());
                }
            }
            _ => {
                for k in 0..n {
                    for j in 0..size {
                        row[k * size + ne_index(j, size)] = tmp[j * n + k];
                    }
                }
            }
        }
    }
}

/// Applies the floating point predictor (3) to native-order values.
pub(crate) fn apply_float(buf: &mut [u8], size: usize, row_samples: usize, stride: usize) {
    let row_bytes = row_samples * size;
    if row_bytes == 0 {
        return;
    }
    let n = row_samples;
    let mut tmp = vec![0u8; row_bytes];
    for row in buf.chunks_exact_mut(row_bytes) {
        for (k, v) in row.chunks_exact(size).enumerate() {
            for j in 0..size {
                tmp[j * n + k] = v[ne_index(j, size)];
            }
        }
        if stride == 1 {
            let mut prev = 0u8;
            for (out, &t) in row.iter_mut().zip(tmp.iter()) {
                *out = t.wrapping_sub(prev);
                prev = t;
            }
        } else {
            for i in (stride..row_bytes).rev() {
                tmp[i] = tmp[i].wrapping_sub(tmp[i - stride]);
            }
            row.copy_from_slice(&tmp);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_codec_round_trips() {
        let data: Vec<u8> = (0..5000u32)
            .map(|i| ((i / 7) % 13) as u8 ^ (i % 3) as u8)
            .chain(std::iter::repeat_n(9, 700))
            .collect();
        for c in [
            Compression::None,
            Compression::Deflate,
            Compression::Lzw,
            Compression::Zstd,
            Compression::PackBits,
        ] {
            let z = compress(c, None, &data).unwrap();
            let mut out = vec![0u8; data.len()];
            decompress(c, &z, &mut out, &|| "test".into()).unwrap();
            assert_eq!(out, data, "{c:?}");
            // Every level decodes to the same bytes.
            for level in [1, 3, 12] {
                let zl = compress(c, Some(level), &data).unwrap();
                let mut back = vec![0u8; data.len()];
                decompress(c, &zl, &mut back, &|| "test".into()).unwrap();
                assert_eq!(back, data, "{c:?} level {level}");
            }
            // One byte more than the data holds must be reported, not invented.
            let mut longer = vec![0u8; data.len() + 1];
            assert!(
                decompress(c, &z, &mut longer, &|| "test".into()).is_err(),
                "{c:?}"
            );
        }
    }

    #[test]
    fn lzw_decoder_matches_the_encoder_on_awkward_data() {
        // Long runs (KwKwK codes, table resets past 4094 entries) and random bytes.
        let mut state = 7u64;
        let mut data: Vec<u8> = vec![0; 20000];
        data.extend((0..50000).map(|_| {
            state ^= state << 13;
            state ^= state >> 7;
            state ^= state << 17;
            (state % 251) as u8
        }));
        data.extend((0..30000u32).map(|i| (i / 300) as u8));
        let z = compress(Compression::Lzw, None, &data).unwrap();
        let mut out = vec![0u8; data.len()];
        assert_eq!(lzw_decode(&z, &mut out).unwrap(), data.len());
        assert_eq!(out, data);
        // A prefix of the output can be decoded alone.
        let mut part = vec![0u8; 12345];
        assert_eq!(lzw_decode(&z, &mut part).unwrap(), 12345);
        assert_eq!(part, data[..12345]);
        // Codes beyond the table are reported: literal 65, then code 300 (9-bit codes).
        let e = lzw_decode(&[0x20, 0xCB, 0x00], &mut out).unwrap_err();
        assert!(e.contains("code 300"), "{e}");
        // EndOfInformation first: nothing decoded.
        assert_eq!(lzw_decode(&[0x80, 0x80], &mut out).unwrap(), 0);
    }

    #[test]
    fn predictors_invert() {
        let vals: Vec<f32> = (0..24).map(|i| (i as f32 * 0.37).sin() * 100.0).collect();
        let orig: Vec<u8> = vals.iter().flat_map(|v| v.to_ne_bytes()).collect();
        let mut b = orig.clone();
        apply_float(&mut b, 4, 12, 1);
        assert_ne!(b, orig);
        undo_float(&mut b, 4, 12, 1);
        assert_eq!(b, orig);
        let mut b = orig.clone();
        apply_horizontal(&mut b, 2, 24, 2);
        undo_horizontal(&mut b, 2, 24, 2);
        assert_eq!(b, orig);
        let mut b = orig.clone();
        apply_horizontal(&mut b, 4, 6, 1);
        undo_horizontal(&mut b, 4, 6, 1);
        assert_eq!(b, orig);
    }

    #[test]
    fn packbits_matches_the_spec_example() {
        // Example from the TIFF 6.0 specification, section 9.
        let packed = [
            0xFEu8, 0xAA, 0x02, 0x80, 0x00, 0x2A, 0xFD, 0xAA, 0x03, 0x80, 0x00, 0x2A, 0x22, 0xF7,
            0xAA,
        ];
        let unpacked = [
            0xAAu8, 0xAA, 0xAA, 0x80, 0x00, 0x2A, 0xAA, 0xAA, 0xAA, 0xAA, 0x80, 0x00, 0x2A, 0x22,
            0xAA, 0xAA, 0xAA, 0xAA, 0xAA, 0xAA, 0xAA, 0xAA, 0xAA, 0xAA,
        ];
        let mut out = vec![0u8; unpacked.len()];
        decompress(Compression::PackBits, &packed, &mut out, &|| "t".into()).unwrap();
        assert_eq!(out, unpacked);
    }
}
