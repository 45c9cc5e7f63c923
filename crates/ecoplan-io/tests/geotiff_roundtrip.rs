//! GeoTIFF write → read round trips (every cell type × compression × layout), windows,
//! COG structure, BigTIFF, the `raster` dispatch, and the real sample files.

use ecoplan_grid::{with_any_grid, AnyGrid, Cell, CellType, Crs, GeoTransform, Grid, GridSpec};
use ecoplan_io::geotiff::{self, BlockLayout, Compression, GeoTiff, OverviewResampling};
use ecoplan_io::raster::{self, RasterFormat, WriteOptions};
use std::path::{Path, PathBuf};

fn data_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/data/geotiff")
}

/// Deterministic cells with structure (so predictors matter) and extremes of the type.
fn sample_grid<T: Cell>(w: usize, h: usize, nodata: Option<T>) -> Grid<T> {
    let spec = GridSpec::new(
        w,
        h,
        GeoTransform::north_up(500_000.0, 4_500_000.0, 30.0),
        Some(Crs::Epsg(32650)),
    );
    let (lo, hi) = match T::TYPE {
        CellType::U8 => (0.0, 255.0),
        CellType::U16 => (0.0, 65535.0),
        CellType::I16 => (-32768.0, 32767.0),
        CellType::I32 => (-2147483648.0, 2147483647.0),
        CellType::U32 => (0.0, 4294967295.0),
        CellType::F32 | CellType::F64 => (-1e30, 1e30),
    };
    let data = (0..w * h)
        .map(|i| {
            let (x, y) = ((i % w) as f64, (i / w) as f64);
            match i % 97 {
                0 => T::from_f64(lo),
                1 => T::from_f64(hi),
                _ => {
                    let v = (x * 0.31).sin() * 50.0 + y * 1.5 + x * 0.25;
                    T::from_f64(if T::TYPE.is_float() {
                        v * 1.37
                    } else {
                        v.round().abs()
                    })
                }
            }
        })
        .collect();
    Grid::from_vec(&spec, data, nodata).unwrap()
}

fn grids(w: usize, h: usize) -> Vec<AnyGrid> {
    vec![
        sample_grid::<u8>(w, h, Some(255)).into(),
        sample_grid::<u16>(w, h, None).into(),
        sample_grid::<i16>(w, h, Some(-9999)).into(),
        sample_grid::<i32>(w, h, Some(-1)).into(),
        sample_grid::<u32>(w, h, None).into(),
        {
            let mut g = sample_grid::<f32>(w, h, Some(-9999.0));
            g.data[5] = f32::NAN;
            g.data[6] = -9999.0;
            g.into()
        },
        {
            let mut g = sample_grid::<f64>(w, h, Some(f64::NAN));
            g.data[7] = f64::NAN;
            g.crs = Some(Crs::Epsg(4490));
            g.transform = GeoTransform::north_up(110.5, 40.25, 0.0025);
            g.into()
        },
    ]
}

/// Bitwise equality of cells (NaN == NaN), and equal metadata.
fn assert_same(a: &AnyGrid, b: &AnyGrid, what: &str) {
    assert_eq!(a.cell_type(), b.cell_type(), "{what}");
    assert_eq!(a.width(), b.width(), "{what}");
    assert_eq!(a.height(), b.height(), "{what}");
    assert_eq!(a.transform(), b.transform(), "{what}");
    assert_eq!(a.crs(), b.crs(), "{what}");
    let (na, nb) = (a.nodata_f64(), b.nodata_f64());
    assert!(
        na == nb || (na.is_some_and(f64::is_nan) && nb.is_some_and(f64::is_nan)),
        "{what}: nodata {na:?} vs {nb:?}"
    );
    let fa = a.to_f64();
    let fb = b.to_f64();
    for i in 0..fa.data.len() {
        let (x, y) = (fa.data[i], fb.data[i]);
        assert!(
            x == y || (x.is_nan() && y.is_nan()),
            "{what}: cell {i}: {x} vs {y}"
        );
    }
}

#[test]
fn every_cell_type_compression_and_layout_round_trips() {
    let dir = tempfile::tempdir().unwrap();
    // 37×23 is not a multiple of the tile size: edge tiles are partial.
    for g in grids(37, 23) {
        for compression in [
            Compression::None,
            Compression::Deflate,
            Compression::Lzw,
            Compression::Zstd,
            Compression::PackBits,
        ] {
            for tile_size in [Some(16), None] {
                for predictor in [false, true] {
                    let opts = WriteOptions {
                        compression,
                        tile_size,
                        predictor,
                        ..Default::default()
                    };
                    let what = format!(
                        "{} {compression:?} {tile_size:?} pred={predictor}",
                        g.cell_type()
                    );
                    let p = dir.path().join("rt.tif");
                    raster::write_raster(&p, &g, &opts).unwrap();
                    let back = raster::read_raster(&p).unwrap();
                    assert_same(&g, &back, &what);
                    let info = raster::raster_info(&p).unwrap();
                    assert_eq!(info.compression, compression.name(), "{what}");
                    assert_eq!(
                        info.tiling,
                        tile_size.map(|t| (t as usize, t as usize)),
                        "{what}"
                    );
                    assert_eq!(info.format, RasterFormat::GeoTiff);
                    assert!(info.warnings.is_empty(), "{what}: {:?}", info.warnings);
                }
            }
        }
    }
}

#[test]
fn windows_decode_only_what_they_cover_and_match_the_full_read() {
    let dir = tempfile::tempdir().unwrap();
    let g: AnyGrid = sample_grid::<f32>(100, 70, Some(-1.0)).into();
    for tile_size in [Some(32), None] {
        let p = dir.path().join("w.tif");
        let opts = WriteOptions {
            tile_size,
            predictor: true,
            ..Default::default()
        };
        raster::write_raster(&p, &g, &opts).unwrap();
        for (c, r, w, h) in [
            (0, 0, 100, 70),
            (31, 31, 2, 2),
            (33, 5, 60, 64),
            (99, 69, 1, 1),
        ] {
            let win = raster::read_raster_window(&p, c, r, w, h).unwrap();
            let expect = with_any_grid!(&g, g => AnyGrid::from(g.window(c, r, w, h).unwrap()));
            assert_same(
                &expect,
                &win,
                &format!("window {c},{r} {w}×{h} {tile_size:?}"),
            );
        }
        let e = raster::read_raster_window(&p, 90, 0, 20, 5)
            .unwrap_err()
            .to_string();
        assert!(e.contains("outside") && e.contains("w.tif"), "{e}");
    }
}

#[test]
fn a_window_of_a_damaged_file_reads_if_it_avoids_the_damage() {
    // Corrupt the last tile's data: windows elsewhere still read, the full read fails clearly.
    let dir = tempfile::tempdir().unwrap();
    let g: AnyGrid = sample_grid::<u16>(64, 64, None).into();
    let p = dir.path().join("d.tif");
    let opts = WriteOptions {
        tile_size: Some(32),
        ..Default::default()
    };
    raster::write_raster(&p, &g, &opts).unwrap();
    let mut bytes = std::fs::read(&p).unwrap();
    let n = bytes.len();
    for b in &mut bytes[n - 40..n - 20] {
        *b ^= 0x5a;
    }
    std::fs::write(&p, &bytes).unwrap();
    assert!(raster::read_raster_window(&p, 0, 0, 32, 32).is_ok());
    let e = raster::read_raster(&p).unwrap_err().to_string();
    assert!(e.contains("d.tif") && e.contains("tile 3"), "{e}");
}

#[test]
fn bigtiff_and_rotated_transforms_round_trip() {
    let dir = tempfile::tempdir().unwrap();
    let mut g = sample_grid::<i16>(50, 40, Some(-9999));
    g.transform = GeoTransform::from_gdal([1000.0, 10.0, 2.0, 5000.0, 1.5, -10.0]);
    let g: AnyGrid = g.into();
    let p = dir.path().join("big.tif");
    for tile_size in [Some(16), None] {
        let opts = WriteOptions {
            force_bigtiff: true,
            tile_size,
            compression: Compression::Zstd,
            ..Default::default()
        };
        raster::write_raster(&p, &g, &opts).unwrap();
        assert!(GeoTiff::open(&p).unwrap().info().bigtiff);
        assert_same(&g, &raster::read_raster(&p).unwrap(), "bigtiff");
    }
}

/// Structure rules of the COG spec, checked on our own output.
#[test]
fn cog_layout_follows_the_spec() {
    let dir = tempfile::tempdir().unwrap();
    let g: AnyGrid = sample_grid::<f32>(1000, 600, Some(-9999.0)).into();
    let p = dir.path().join("cog.tif");
    let opts = WriteOptions {
        cog: true,
        tile_size: Some(128),
        compression: Compression::Deflate,
        predictor: true,
        overview_resampling: OverviewResampling::Average,
        ..Default::default()
    };
    raster::write_raster(&p, &g, &opts).unwrap();
    let t = GeoTiff::open(&p).unwrap();
    let info = t.info();
    assert!(info.cog_layout);
    // Overviews halve until one tile holds them: 500×300, 250×150, 125×75.
    assert_eq!(info.overviews, vec![(500, 300), (250, 150), (125, 75)]);
    assert_eq!(
        info.layout,
        BlockLayout::Tiled {
            width: 128,
            height: 128
        }
    );
    let layout = cog_check::inspect(&std::fs::read(&p).unwrap());
    cog_check::assert_valid(&layout);
    // Overview values: the average of each 2×2 block of valid cells.
    let AnyGrid::F32(full) = t.read().unwrap() else {
        panic!()
    };
    let AnyGrid::F32(ov) = t.read_overview(0).unwrap() else {
        panic!()
    };
    assert_eq!((ov.width, ov.height), (500, 300));
    assert_eq!(ov.transform.dx, full.transform.dx * 2.0);
    for (ox, oy) in [(0, 0), (17, 9), (499, 299)] {
        let mut vals = vec![];
        for y in 2 * oy..2 * oy + 2 {
            for x in 2 * ox..2 * ox + 2 {
                let v = full.get(x, y);
                if !full.is_nodata(v) {
                    vals.push(v as f64);
                }
            }
        }
        let mean = vals.iter().sum::<f64>() / vals.len() as f64;
        assert!((ov.get(ox, oy) as f64 - mean).abs() <= 1e-6 * mean.abs().max(1.0));
    }
}

/// A small reader of TIFF structure for the COG checks (independent of the crate's reader).
mod cog_check {
    pub struct Image {
        pub ifd_offset: u64,
        pub width: u64,
        pub tiled: bool,
        pub offsets: Vec<u64>,
        pub counts: Vec<u64>,
    }
    fn u16le(b: &[u8], o: usize) -> u16 {
        u16::from_le_bytes([b[o], b[o + 1]])
    }
    fn u32le(b: &[u8], o: usize) -> u32 {
        u32::from_le_bytes(b[o..o + 4].try_into().unwrap())
    }
    fn values(b: &[u8], e: usize) -> Vec<u64> {
        let (typ, count) = (u16le(b, e + 2), u32le(b, e + 4) as usize);
        let size = if typ == 3 { 2 } else { 4 };
        let at = if count * size <= 4 {
            e + 8
        } else {
            u32le(b, e + 8) as usize
        };
        (0..count)
            .map(|i| match size {
                2 => u16le(b, at + 2 * i) as u64,
                _ => u32le(b, at + 4 * i) as u64,
            })
            .collect()
    }
    pub fn inspect(b: &[u8]) -> Vec<Image> {
        assert_eq!(&b[..4], b"II*\0", "classic little-endian TIFF expected");
        let mut off = u32le(b, 4) as usize;
        let mut out = vec![];
        while off != 0 {
            let n = u16le(b, off) as usize;
            let mut img = Image {
                ifd_offset: off as u64,
                width: 0,
                tiled: false,
                offsets: vec![],
                counts: vec![],
            };
            for k in 0..n {
                let e = off + 2 + 12 * k;
                match u16le(b, e) {
                    256 => img.width = values(b, e)[0],
                    322 => img.tiled = true,
                    324 | 273 => img.offsets = values(b, e),
                    325 | 279 => img.counts = values(b, e),
                    _ => {}
                }
            }
            // Every block carries GDAL's leader (its size) and trailer (its last 4 bytes).
            for (&o, &c) in img.offsets.iter().zip(&img.counts) {
                let (o, c) = (o as usize, c as usize);
                assert_eq!(u32le(b, o - 4) as usize, c, "block leader");
                assert_eq!(&b[o + c - 4..o + c], &b[o + c..o + c + 4], "block trailer");
            }
            out.push(img);
            off = u32le(b, off + 2 + 12 * n) as usize;
        }
        out
    }
    pub fn assert_valid(images: &[Image]) {
        let main = &images[0];
        assert!(main.ifd_offset < 300, "main IFD must be near the start");
        assert!(main.tiled);
        for w in images.windows(2) {
            assert!(w[1].width < w[0].width, "overviews by decreasing size");
            assert!(w[1].ifd_offset > w[0].ifd_offset, "IFDs in order");
            // Data of smaller overviews comes first.
            assert!(
                w[1].offsets[0] < w[0].offsets[0],
                "overview data before larger images"
            );
        }
        let last_ifd = images.iter().map(|i| i.ifd_offset).max().unwrap();
        for img in images {
            assert!(img.tiled);
            assert!(img.offsets[0] > last_ifd, "all IFDs before any data");
            assert!(
                img.offsets.windows(2).all(|p| p[1] > p[0]),
                "row-major block order"
            );
        }
    }
}

#[test]
fn writing_refuses_what_it_cannot_store() {
    let dir = tempfile::tempdir().unwrap();
    let mut g = sample_grid::<u8>(4, 4, None);
    g.crs = Some(Crs::Proj("+proj=tmerc +lon_0=117".into()));
    let e = raster::write_raster(
        &dir.path().join("p.tif"),
        &g.into(),
        &WriteOptions::default(),
    )
    .unwrap_err()
    .to_string();
    assert!(e.contains("EPSG"), "{e}");
    let g: AnyGrid = sample_grid::<u8>(4, 4, None).into();
    let bad_tiles = WriteOptions {
        tile_size: Some(100),
        ..Default::default()
    };
    let e = raster::write_raster(&dir.path().join("t.tif"), &g, &bad_tiles)
        .unwrap_err()
        .to_string();
    assert!(e.contains("multiple of 16"), "{e}");
    let e = raster::write_raster(&dir.path().join("x.png"), &g, &WriteOptions::default())
        .unwrap_err()
        .to_string();
    assert!(e.contains(".tif"), "{e}");
    // A failed write leaves nothing behind.
    assert!(std::fs::read_dir(dir.path()).unwrap().next().is_none());
}

#[test]
fn raster_dispatches_by_extension_and_sniffs_unknown_ones() {
    let dir = tempfile::tempdir().unwrap();
    let spec = GridSpec::new(6, 5, GeoTransform::north_up(10.0, 20.0, 5.0), None);
    let g: AnyGrid = Grid::from_vec(
        &spec,
        (0..30).map(|i| i * 7 - 50).collect::<Vec<i32>>(),
        Some(-1),
    )
    .unwrap()
    .into();
    let asc = dir.path().join("g.asc");
    raster::write_raster(&asc, &g, &WriteOptions::default()).unwrap();
    assert!(std::fs::read_to_string(&asc).unwrap().starts_with("ncols"));
    assert_same(&g, &raster::read_raster(&asc).unwrap(), "ascii");
    let info = raster::raster_info(&asc).unwrap();
    assert_eq!(
        (info.format, info.width, info.height),
        (RasterFormat::AsciiGrid, 6, 5)
    );
    // A GeoTIFF and an ASCII grid under names without a known extension.
    let tif = dir.path().join("g.tif");
    raster::write_raster(&tif, &g, &WriteOptions::default()).unwrap();
    let odd = dir.path().join("g.dat");
    std::fs::copy(&tif, &odd).unwrap();
    assert_same(&g, &raster::read_raster(&odd).unwrap(), "sniffed tiff");
    let odd_asc = dir.path().join("g.grid");
    std::fs::copy(&asc, &odd_asc).unwrap();
    assert_eq!(
        raster::raster_info(&odd_asc).unwrap().format,
        RasterFormat::AsciiGrid
    );
    let junk = dir.path().join("j.bin");
    std::fs::write(&junk, b"\x89PNG\r\n\x1a\n....").unwrap();
    let e = raster::read_raster(&junk).unwrap_err().to_string();
    assert!(e.contains("j.bin") && e.contains("GeoTIFF"), "{e}");
    let win = raster::read_raster_window(&asc, 1, 1, 2, 3).unwrap();
    assert_eq!((win.width(), win.height()), (2, 3));
}

#[test]
fn real_dem_files_read_with_their_georeferencing() {
    // Values below are what GDAL 3.10 (rasterio) reports for these files.
    let t = GeoTiff::open(&data_dir().join("dem30s_datong_city.tif")).unwrap();
    let i = t.info();
    assert_eq!((i.width, i.height, i.cell_type), (252, 218, CellType::I16));
    assert_eq!(i.crs, Some(Crs::Epsg(4326)));
    assert_eq!(i.nodata, Some(-999.0));
    assert_eq!(i.predictor, 2);
    assert!((i.transform.x0 - 112.51779378255078).abs() < 1e-12);
    assert!((i.transform.dy + 0.008333333333333).abs() < 1e-15);
    let AnyGrid::I16(g) = t.read().unwrap() else {
        panic!()
    };
    let s = g.stats().unwrap();
    assert!(s.min > 0.0 && s.max < 3500.0, "{s:?}");

    let t = GeoTiff::open(&data_dir().join("srtm.tif")).unwrap();
    assert_eq!(t.info().cell_type, CellType::U16);
    assert_eq!(t.info().nodata, Some(65535.0));
    let t = GeoTiff::open(&data_dir().join("nlcd.tif")).unwrap();
    let i = t.info();
    assert_eq!((i.width, i.height, i.cell_type), (1073, 1359, CellType::U8));
    assert_eq!(geotiff::compression_name(i.compression_code), "LZW");
    assert!(i.crs.is_some(), "{:?}", i.warnings);
    let AnyGrid::U8(g) = t.read().unwrap() else {
        panic!()
    };
    assert!(g.data.iter().any(|&v| v != 0 && v != 255));
}

/// Writes a 66000×66000 u8 grid (4.36·10⁹ cells, more than 4 GiB uncompressed): the writer must
/// pick BigTIFF by itself. Needs ~5 GB of memory and ~30 s; run with `-- --ignored`.
#[test]
#[ignore = "needs ~5 GB of memory; run explicitly"]
fn files_over_4_gib_become_bigtiff_automatically() {
    let n = 66_000usize;
    let spec = GridSpec::new(
        n,
        n,
        GeoTransform::north_up(0.0, 0.0, 1.0),
        Some(Crs::Epsg(32650)),
    );
    let data: Vec<u8> = (0..n * n)
        .map(|i| ((i % n) / 1000 + (i / n) / 1000) as u8)
        .collect();
    let g: AnyGrid = Grid::from_vec(&spec, data, None).unwrap().into();
    let dir = tempfile::tempdir().unwrap();
    let p = dir.path().join("huge.tif");
    raster::write_raster(&p, &g, &WriteOptions::default()).unwrap();
    let t = GeoTiff::open(&p).unwrap();
    assert!(t.info().bigtiff);
    let win = t.read_window(n - 300, n - 200, 300, 200).unwrap();
    let expect =
        with_any_grid!(&g, g => AnyGrid::from(g.window(n - 300, n - 200, 300, 200).unwrap()));
    assert_same(&expect, &win, "corner of the huge file");
}

/// Writes grid `$g` (of cell type `$t`) through [`geotiff::GeoTiffRowWriter`] in bands of
/// `$step` rows (the writer's API is per concrete cell type).
macro_rules! write_by_rows {
    ($t:ty, $path:expr, $g:expr, $opts:expr, $step:expr) => {{
        let g: &Grid<$t> = $g;
        let mut w =
            geotiff::GeoTiffRowWriter::<$t>::create($path, &g.spec(), g.nodata, $opts).unwrap();
        for band in g.data.chunks($step * g.width) {
            w.push_rows(band).unwrap();
        }
        w.finish().unwrap();
    }};
}

#[test]
fn the_row_writer_writes_the_same_file_as_the_whole_grid_writer() {
    let dir = tempfile::tempdir().unwrap();
    let variants = [
        WriteOptions::default(),
        WriteOptions {
            level: Some(1),
            predictor: true,
            tile_size: Some(32),
            ..Default::default()
        },
        WriteOptions {
            compression: Compression::Lzw,
            tile_size: None,
            predictor: true,
            ..Default::default()
        },
        WriteOptions {
            compression: Compression::Zstd,
            tile_size: Some(16),
            force_bigtiff: true,
            ..Default::default()
        },
        WriteOptions {
            compression: Compression::None,
            tile_size: None,
            ..Default::default()
        },
    ];
    // 70×45: partial edge tiles; bands of 1, 7 and 45 rows cross the tile rows differently.
    let f = sample_grid::<f32>(70, 45, Some(-1.0));
    let u = sample_grid::<u8>(70, 45, Some(255));
    let d = sample_grid::<f64>(70, 45, None);
    for (vi, v) in variants.iter().enumerate() {
        for step in [1, 7, 45] {
            let what = format!("variant {vi} ({v:?}), bands of {step} rows");
            let whole = dir.path().join(format!("whole_{vi}.tif"));
            let rows = dir.path().join(format!("rows_{vi}_{step}.tif"));
            raster::write_raster(&whole, &AnyGrid::F32(f.clone()), v).unwrap();
            write_by_rows!(f32, &rows, &f, v, step);
            assert_eq!(
                std::fs::read(&whole).unwrap(),
                std::fs::read(&rows).unwrap(),
                "f32 {what}"
            );
            assert_same(
                &raster::read_raster(&rows).unwrap(),
                &AnyGrid::F32(f.clone()),
                &what,
            );
            raster::write_raster(&whole, &AnyGrid::U8(u.clone()), v).unwrap();
            write_by_rows!(u8, &rows, &u, v, step);
            assert_eq!(
                std::fs::read(&whole).unwrap(),
                std::fs::read(&rows).unwrap(),
                "u8 {what}"
            );
            raster::write_raster(&whole, &AnyGrid::F64(d.clone()), v).unwrap();
            write_by_rows!(f64, &rows, &d, v, step);
            assert_eq!(
                std::fs::read(&whole).unwrap(),
                std::fs::read(&rows).unwrap(),
                "f64 {what}"
            );
        }
    }
    // Nothing but the finished files: no temporaries left behind.
    let names: Vec<String> = std::fs::read_dir(dir.path())
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .collect();
    assert!(names.iter().all(|n| !n.starts_with('.')), "{names:?}");
}

#[test]
fn an_unfinished_or_overfull_row_writer_leaves_no_file() {
    let dir = tempfile::tempdir().unwrap();
    let g = sample_grid::<f32>(40, 30, Some(-1.0));
    let p = dir.path().join("out.tif");
    std::fs::write(&p, b"old").unwrap();
    // Dropped part way: the old file stays, the temporary file is gone.
    {
        let mut w =
            geotiff::GeoTiffRowWriter::<f32>::create(&p, &g.spec(), g.nodata, &Default::default())
                .unwrap();
        w.push_rows(&g.data[..40 * 10]).unwrap();
    }
    assert_eq!(std::fs::read(&p).unwrap(), b"old");
    // finish before the last row, rows past the end, and ragged rows are errors.
    let mut w =
        geotiff::GeoTiffRowWriter::<f32>::create(&p, &g.spec(), g.nodata, &Default::default())
            .unwrap();
    assert!(w.push_rows(&g.data[..39]).is_err());
    w.push_rows(&g.data[..40 * 29]).unwrap();
    let e = w.finish().unwrap_err().to_string();
    assert!(e.contains("29 of 30 rows"), "{e}");
    assert_eq!(std::fs::read(&p).unwrap(), b"old");
    let mut w =
        geotiff::GeoTiffRowWriter::<f32>::create(&p, &g.spec(), g.nodata, &Default::default())
            .unwrap();
    w.push_rows(&g.data).unwrap();
    assert!(w.push_rows(&g.data[..40]).is_err());
    w.finish().unwrap();
    assert_same(
        &raster::read_raster(&p).unwrap(),
        &AnyGrid::F32(g.clone()),
        "finished",
    );
    assert_eq!(std::fs::read_dir(dir.path()).unwrap().count(), 1);
    // COG needs the whole grid.
    let cog = WriteOptions {
        cog: true,
        ..Default::default()
    };
    assert!(geotiff::GeoTiffRowWriter::<f32>::create(&p, &g.spec(), None, &cog).is_err());
}
