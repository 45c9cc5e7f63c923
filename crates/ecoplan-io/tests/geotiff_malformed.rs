//! Damaged and hostile GeoTIFFs give a clear error naming the file, never a panic; and the
//! fuzz target bodies (`fuzz/`) survive thousands of deterministic mutations of valid files.
//!
//! The corpus is generated here from valid files written by ecoplan, and also committed in
//! tests/data/geotiff/malformed/ (seed corpus for cargo-fuzz). Regenerate it with
//! `cargo test -p ecoplan-io --test geotiff_malformed -- --ignored write_malformed_corpus`.

use ecoplan_grid::{AnyGrid, Crs, GeoTransform, Grid, GridSpec};
use ecoplan_io::geotiff::{self, Compression, GeoTiff, ReadLimits};
use ecoplan_io::raster::{self, WriteOptions};
use std::path::{Path, PathBuf};

fn corpus_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/data/geotiff/malformed")
}

fn grid_u16(w: usize, h: usize) -> AnyGrid {
    let spec = GridSpec::new(
        w,
        h,
        GeoTransform::north_up(500_000.0, 4_400_000.0, 30.0),
        Some(Crs::Epsg(32650)),
    );
    let data = (0..w * h).map(|i| ((i * 37) % 1009) as u16).collect();
    Grid::from_vec(&spec, data, Some(0u16)).unwrap().into()
}

fn grid_f32(w: usize, h: usize) -> AnyGrid {
    let spec = GridSpec::new(
        w,
        h,
        GeoTransform::north_up(110.0, 40.0, 0.01),
        Some(Crs::Epsg(4326)),
    );
    let data = (0..w * h)
        .map(|i| (i as f32 * 0.37).sin() * 100.0)
        .collect();
    Grid::from_vec(&spec, data, Some(-9999.0f32))
        .unwrap()
        .into()
}

fn written(g: &AnyGrid, opts: &WriteOptions) -> Vec<u8> {
    let dir = tempfile::tempdir().unwrap();
    let p = dir.path().join("v.tif");
    raster::write_raster(&p, g, opts).unwrap();
    std::fs::read(p).unwrap()
}

/// 40×40 u16, 16² tiles, deflate, EPSG:32650, nodata 0 (classic little-endian, IFD at 8).
fn valid_tiled() -> Vec<u8> {
    written(
        &grid_u16(40, 40),
        &WriteOptions {
            tile_size: Some(16),
            ..Default::default()
        },
    )
}

fn valid_stripped_lzw() -> Vec<u8> {
    written(
        &grid_f32(30, 20),
        &WriteOptions {
            tile_size: None,
            compression: Compression::Lzw,
            predictor: true,
            ..Default::default()
        },
    )
}

fn u16_at(b: &[u8], o: usize) -> u16 {
    u16::from_le_bytes([b[o], b[o + 1]])
}
fn u32_at(b: &[u8], o: usize) -> u32 {
    u32::from_le_bytes(b[o..o + 4].try_into().unwrap())
}
fn put_u16(b: &mut [u8], o: usize, v: u16) {
    b[o..o + 2].copy_from_slice(&v.to_le_bytes());
}
fn put_u32(b: &mut [u8], o: usize, v: u32) {
    b[o..o + 4].copy_from_slice(&v.to_le_bytes());
}

/// Position of the 12-byte entry for `tag` in the first IFD of a classic little-endian TIFF.
fn entry(b: &[u8], tag: u16) -> usize {
    let ifd = u32_at(b, 4) as usize;
    let n = u16_at(b, ifd) as usize;
    (0..n)
        .map(|k| ifd + 2 + 12 * k)
        .find(|&e| u16_at(b, e) == tag)
        .unwrap_or_else(|| panic!("tag {tag} not in the test file"))
}

/// Position of the first value of `tag` (inline or out of line).
fn value(b: &[u8], tag: u16) -> usize {
    let e = entry(b, tag);
    let size = match u16_at(b, e + 2) {
        1 | 2 | 7 => 1,
        3 => 2,
        4 => 4,
        _ => 8,
    };
    if size * u32_at(b, e + 4) as usize <= 4 {
        e + 8
    } else {
        u32_at(b, e + 8) as usize
    }
}

/// (file name, bytes, phrase the error must contain).
fn corpus() -> Vec<(&'static str, Vec<u8>, &'static str)> {
    let t = valid_tiled();
    let s = valid_stripped_lzw();
    let r = written(
        &grid_u16(40, 40),
        &WriteOptions {
            tile_size: Some(16),
            compression: Compression::None,
            ..Default::default()
        },
    );
    let mut out: Vec<(&'static str, Vec<u8>, &'static str)> = vec![];
    let mut case = |name: &'static str, f: &dyn Fn(&mut Vec<u8>), expect: &'static str| {
        let mut b = if name.starts_with("strip_") {
            s.clone()
        } else if name.starts_with("raw_") {
            r.clone()
        } else {
            t.clone()
        };
        f(&mut b);
        out.push((name, b, expect));
    };
    case("empty.tif", &|b| b.clear(), "too short");
    case("header_only.tif", &|b| b.truncate(6), "too short");
    case(
        "not_a_tiff.tif",
        &|b| b[..4].copy_from_slice(b"GIF8"),
        "not a TIFF",
    );
    case(
        "bad_version.tif",
        &|b| put_u16(b, 2, 44),
        "version number 44",
    );
    case(
        "bigtiff_bad_offset_size.tif",
        &|b| {
            put_u16(b, 2, 43);
            put_u16(b, 4, 4);
        },
        "offset size 4",
    );
    case(
        "first_ifd_zero.tif",
        &|b| put_u32(b, 4, 0),
        "first IFD offset is 0",
    );
    case(
        "ifd_past_eof.tif",
        &|b| put_u32(b, 4, 0x7fff_0000),
        "past the end",
    );
    case(
        "ifd_in_header.tif",
        &|b| put_u32(b, 4, 3),
        "into the file header",
    );
    case(
        "truncated_in_ifd.tif",
        &|b| b.truncate(8 + 2 + 12 * 5),
        "past the end",
    );
    case(
        "truncated_in_data.tif",
        &|b| {
            let n = b.len();
            b.truncate(n - 100)
        },
        "past the end of the file",
    );
    case(
        "ifd_entry_count_huge.tif",
        &|b| {
            let ifd = u32_at(b, 4) as usize;
            put_u16(b, ifd, 60000)
        },
        "claims 60000 entries",
    );
    case(
        "ifd_loop.tif",
        &|b| {
            // A second IFD pointer that leads back to the first IFD.
            let ifd = u32_at(b, 4) as usize;
            let n = u16_at(b, ifd) as usize;
            put_u32(b, ifd + 2 + 12 * n, ifd as u32)
        },
        "loops back",
    );
    case(
        "width_as_ascii.tif",
        &|b| {
            let e = entry(b, 256);
            put_u16(b, e + 2, 2)
        },
        "ImageWidth (256) has field type ASCII",
    );
    case(
        "tile_offsets_as_double.tif",
        &|b| {
            let e = entry(b, 324);
            put_u16(b, e + 2, 12)
        },
        "TileOffsets (324) has field type DOUBLE",
    );
    case(
        "unknown_field_type.tif",
        &|b| {
            let e = entry(b, 257);
            put_u16(b, e + 2, 99)
        },
        "field type unknown (99)",
    );
    case(
        "zero_width.tif",
        &|b| {
            let v = value(b, 256);
            put_u32(b, v, 0)
        },
        "both must be at least 1",
    );
    case(
        "huge_dimensions.tif",
        &|b| {
            let (w, h) = (value(b, 256), value(b, 257));
            put_u32(b, w, u32::MAX);
            put_u32(b, h, u32::MAX)
        },
        "do not add up",
    );
    case(
        "overflowing_chunk_count.tif",
        &|b| {
            // (2³²−1)² one-cell tiles × 4096 separate planes overflows 64 bits.
            for (tag, v) in [(256, u32::MAX), (257, u32::MAX), (322, 1), (323, 1)] {
                let p = value(b, tag);
                put_u32(b, p, v);
            }
            let spp = value(b, 277);
            put_u16(b, spp, 4096);
            let planar = value(b, 284);
            put_u16(b, planar, 2)
        },
        "is absurd",
    );
    case(
        "huge_tiles.tif",
        &|b| {
            let (w, h) = (value(b, 322), value(b, 323));
            put_u32(b, w, 1 << 20);
            put_u32(b, h, 1 << 20)
        },
        "absurdly large",
    );
    case(
        "zero_tile_size.tif",
        &|b| {
            let w = value(b, 322);
            put_u32(b, w, 0)
        },
        "tile size is 0×16",
    );
    case(
        "tile_count_mismatch.tif",
        &|b| {
            let e = entry(b, 324);
            let n = u32_at(b, e + 4);
            put_u32(b, e + 4, n - 1)
        },
        "do not add up",
    );
    case(
        "bytecount_count_mismatch.tif",
        &|b| {
            let e = entry(b, 325);
            let n = u32_at(b, e + 4);
            put_u32(b, e + 4, n - 2)
        },
        "TileByteCounts (325) has 7 entries",
    );
    case(
        "values_past_eof.tif",
        &|b| {
            let e = entry(b, 324);
            put_u32(b, e + 8, 0x7fff_fff0)
        },
        "past the end",
    );
    case(
        "count_larger_than_file.tif",
        &|b| {
            let e = entry(b, 325);
            put_u32(b, e + 4, 0x4000_0000)
        },
        "more than the whole file",
    );
    case(
        "tile_offset_past_eof.tif",
        &|b| {
            let v = value(b, 324);
            put_u32(b, v, 0x7fff_0000)
        },
        "past the end of the file",
    );
    case(
        "tile_bytecount_huge.tif",
        &|b| {
            let v = value(b, 325);
            put_u32(b, v, u32::MAX)
        },
        "past the end of the file",
    );
    case(
        "raw_impossible_size.tif",
        &|b| {
            let v = value(b, 325);
            put_u32(b, v, 1)
        },
        "cannot hold",
    );
    case(
        "impossible_compression_ratio.tif",
        &|b| {
            // Tiles of 16×65536 u16 cells (2 MiB) cannot come from a few hundred deflate bytes.
            let h = value(b, 323);
            put_u32(b, h, 65536);
            let (w, hh) = (value(b, 256), value(b, 257));
            put_u32(b, w, 48);
            put_u32(b, hh, 3 * 65536);
        },
        "cannot hold",
    );
    case(
        "corrupt_deflate.tif",
        &|b| {
            let v = u32_at(b, value(b, 324)) as usize;
            for x in &mut b[v..v + 12] {
                *x = 0xff;
            }
        },
        "deflate data is corrupt",
    );
    case(
        "missing_tile_offsets.tif",
        &|b| {
            let e = entry(b, 324);
            put_u16(b, e, 65000)
        },
        "TileOffsets (324) is missing",
    );
    case(
        "jpeg_compression.tif",
        &|b| {
            let v = value(b, 259);
            put_u16(b, v, 7)
        },
        "JPEG compression",
    );
    case(
        "one_bit_samples.tif",
        &|b| {
            let v = value(b, 258);
            put_u16(b, v, 1)
        },
        "1-bit",
    );
    case(
        "bad_predictor.tif",
        &|b| {
            // PlanarConfiguration (284) becomes Predictor (317) = 7; tags stay sorted.
            let e = entry(b, 284);
            put_u16(b, e, 317);
            put_u16(b, e + 8, 7)
        },
        "Predictor 7",
    );
    case(
        "geokeys_count_too_big.tif",
        &|b| {
            let v = value(b, 34735);
            put_u16(b, v + 6, 50)
        },
        "announces 50 keys",
    );
    case(
        "geokeys_bad_version.tif",
        &|b| {
            let v = value(b, 34735);
            put_u16(b, v, 9)
        },
        "version is 9",
    );
    case(
        "geokeys_missing_doubles.tif",
        &|b| {
            // Point the ProjectedCSTypeGeoKey at GeoDoubleParamsTag, which the file lacks.
            let v = value(b, 34735);
            put_u16(b, v + 2 * 13, 34736)
        },
        "lacks",
    );
    case(
        "geokeys_wrong_type.tif",
        &|b| {
            let e = entry(b, 34735);
            put_u16(b, e + 2, 4)
        },
        "GeoKeyDirectoryTag (34735) has field type LONG",
    );
    case(
        "nonfinite_pixel_scale.tif",
        &|b| {
            let v = value(b, 33550);
            b[v..v + 8].copy_from_slice(&f64::NAN.to_le_bytes())
        },
        "non-finite",
    );
    case(
        "short_tiepoint.tif",
        &|b| {
            let e = entry(b, 33922);
            put_u32(b, e + 4, 3)
        },
        "ModelTiepointTag has 3 values",
    );
    case(
        "strip_rows_per_strip_zero.tif",
        &|b| {
            let v = value(b, 278);
            put_u32(b, v, 0)
        },
        "RowsPerStrip is 0",
    );
    case(
        "strip_corrupt_lzw.tif",
        &|b| {
            let v = u32_at(b, value(b, 273)) as usize;
            for (i, x) in b[v + 2..v + 40].iter_mut().enumerate() {
                *x = (i * 91) as u8 | 0x80;
            }
        },
        "strip 0",
    );
    case(
        "strip_only_tile_width.tif",
        &|b| {
            // PlanarConfiguration (284) becomes TileWidth (322) without a TileLength.
            let e = entry(b, 284);
            put_u16(b, e, 322)
        },
        "only one of TileWidth and TileLength",
    );
    out
}

fn read_all(name: &str, bytes: Vec<u8>) -> Result<AnyGrid, String> {
    let limits = ReadLimits { max_cells: 1 << 24 };
    let t = GeoTiff::from_bytes(name, bytes, limits).map_err(|e| e.to_string())?;
    t.read().map_err(|e| e.to_string())
}

#[test]
fn malformed_files_give_clear_errors() {
    // The valid originals read fine, so every failure below comes from the damage.
    assert!(read_all("t.tif", valid_tiled()).is_ok());
    assert!(read_all("s.tif", valid_stripped_lzw()).is_ok());
    let cases = corpus();
    assert!(cases.len() >= 35);
    for (name, bytes, expect) in cases {
        let r = std::panic::catch_unwind(|| read_all(name, bytes.clone()));
        let e = match r {
            Err(_) => panic!("{name}: reader panicked"),
            Ok(Ok(_)) => panic!("{name}: damaged file was read without error"),
            Ok(Err(e)) => e,
        };
        assert!(
            e.starts_with(name),
            "{name}: error does not name the file: {e}"
        );
        assert!(e.contains(expect), "{name}: expected `{expect}` in: {e}");
    }
}

#[test]
fn committed_corpus_still_fails_clearly() {
    let dir = corpus_dir();
    let expected = std::fs::read_to_string(dir.join("EXPECTED.txt")).unwrap();
    let mut n = 0;
    for line in expected.lines().filter(|l| !l.trim().is_empty()) {
        let (name, phrase) = line.split_once('\t').unwrap();
        let path = dir.join(name);
        // Through the public file API, as the CLI calls it.
        let e = match raster::read_raster(&path) {
            Ok(_) => panic!("{name}: damaged file was read without error"),
            Err(e) => e.to_string(),
        };
        assert!(e.contains(name) && e.contains(phrase), "{name}: {e}");
        n += 1;
    }
    assert!(n >= 35, "{n}");
}

#[test]
#[ignore = "writes tests/data/geotiff/malformed; run after changing the corpus"]
fn write_malformed_corpus() {
    let dir = corpus_dir();
    std::fs::create_dir_all(&dir).unwrap();
    let mut index = String::new();
    for (name, bytes, expect) in corpus() {
        std::fs::write(dir.join(name), bytes).unwrap();
        index.push_str(&format!("{name}\t{expect}\n"));
    }
    std::fs::write(dir.join("EXPECTED.txt"), index).unwrap();
}

/// xorshift64*: deterministic mutations without a dependency.
struct Rng(u64);
impl Rng {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 >> 12;
        self.0 ^= self.0 << 25;
        self.0 ^= self.0 >> 27;
        self.0.wrapping_mul(0x2545_f491_4f6c_dd1d)
    }
    fn below(&mut self, n: usize) -> usize {
        (self.next() % n.max(1) as u64) as usize
    }
}

/// One random structural damage: byte flips (mostly in the header/IFD area), interesting
/// values, truncation, or duplicated/removed ranges.
fn mutate(rng: &mut Rng, src: &[u8]) -> Vec<u8> {
    let mut b = src.to_vec();
    let rounds = 1 + rng.below(4);
    for _ in 0..rounds {
        if b.is_empty() {
            break;
        }
        let hot = b.len().min(600);
        let pos = if rng.below(4) < 3 {
            rng.below(hot)
        } else {
            rng.below(b.len())
        };
        match rng.below(7) {
            0 => b[pos] ^= 1 << rng.below(8),
            1 => b[pos] = [0, 0xff, 0x7f, 0x80, 1][rng.below(5)],
            2 => {
                let v: u32 = [0, u32::MAX, 0x7fff_ffff, 1 << 16, b.len() as u32, 16][rng.below(6)];
                let p = pos.min(b.len().saturating_sub(4));
                let end = (p + 4).min(b.len());
                b[p..end].copy_from_slice(&v.to_le_bytes()[..end - p]);
            }
            3 => b.truncate(pos),
            4 => {
                let n = rng.below(16).min(b.len() - pos);
                b.drain(pos..pos + n);
            }
            5 => {
                let n = rng.below(16).min(b.len() - pos);
                let chunk: Vec<u8> = b[pos..pos + n].to_vec();
                b.splice(pos..pos, chunk);
            }
            _ => b[pos] = rng.next() as u8,
        }
    }
    b
}

#[test]
fn fuzz_bodies_survive_thousands_of_mutations() {
    let data = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/data/geotiff");
    let seeds: Vec<Vec<u8>> = vec![
        valid_tiled(),
        valid_stripped_lzw(),
        written(
            &grid_f32(70, 50),
            &WriteOptions {
                compression: Compression::Zstd,
                predictor: true,
                tile_size: Some(16),
                cog: true,
                ..Default::default()
            },
        ),
        written(
            &grid_u16(33, 17),
            &WriteOptions {
                compression: Compression::PackBits,
                tile_size: None,
                force_bigtiff: true,
                ..Default::default()
            },
        ),
        written(
            &grid_u16(20, 20),
            &WriteOptions {
                compression: Compression::None,
                ..Default::default()
            },
        ),
        std::fs::read(data.join("mongon_peru_dem.tif")).unwrap(),
    ];
    let per_seed: usize = std::env::var("ECOPLAN_FUZZ_ITERS")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(700);
    let mut rng = Rng(0x0123_4567_89ab_cdef);
    let mut outcomes = [0usize; 2];
    for (si, seed) in seeds.iter().enumerate() {
        assert!(geotiff::fuzz_read(seed).is_ok(), "seed {si} must be valid");
        for it in 0..per_seed {
            let m = mutate(&mut rng, seed);
            let r = std::panic::catch_unwind(|| geotiff::fuzz_read(&m));
            match r {
                Ok(res) => outcomes[res.is_ok() as usize] += 1,
                Err(_) => {
                    let p = std::env::temp_dir().join(format!("geotiff_crash_{si}_{it}.tif"));
                    std::fs::write(&p, &m).unwrap();
                    panic!(
                        "geotiff_read panicked on mutation {it} of seed {si}; saved {}",
                        p.display()
                    );
                }
            }
        }
    }
    // The mutations must exercise both paths: many fail, some still decode.
    assert!(outcomes[0] > 500 && outcomes[1] > 50, "{outcomes:?}");
    // The committed corpus goes through the fuzz body too.
    for entry in std::fs::read_dir(corpus_dir()).unwrap() {
        let p = entry.unwrap().path();
        if p.extension().is_some_and(|e| e == "tif") {
            let bytes = std::fs::read(&p).unwrap();
            assert!(geotiff::fuzz_read(&bytes).is_err(), "{}", p.display());
        }
    }
}

#[test]
fn ascii_fuzz_body_survives_mutations() {
    let texts = [
        "ncols 4\nnrows 3\nxllcorner 10\nyllcorner 20\ncellsize 5\nNODATA_value -9999\n1 2 3 4\n5 -9999 7 8\n9 10 11 12\n".to_string(),
        "NCOLS 3\nNROWS 2\nXLLCENTER 0.5\nYLLCENTER 0.5\nDX 1\nDY 2\n0.25 1e3 nan\n-1.5 2 3\n".to_string(),
    ];
    let mut seeds: Vec<Vec<u8>> = texts.iter().map(|t| t.clone().into_bytes()).collect();
    {
        use std::io::Write;
        let mut gz = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::default());
        gz.write_all(texts[0].as_bytes()).unwrap();
        seeds.push(gz.finish().unwrap());
    }
    let mut rng = Rng(42);
    let mut ok = 0;
    for seed in &seeds {
        assert!(raster::fuzz_ascii(seed).is_ok());
        for it in 0..600 {
            let m = mutate(&mut rng, seed);
            match std::panic::catch_unwind(|| raster::fuzz_ascii(&m)) {
                Ok(r) => ok += r.is_ok() as usize,
                Err(_) => panic!(
                    "ascii_read panicked on mutation {it}: {:?}",
                    String::from_utf8_lossy(&m)
                ),
            }
        }
    }
    assert!(ok > 20, "{ok}");
}
