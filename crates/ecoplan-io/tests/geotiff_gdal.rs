//! GeoTIFF interoperability with GDAL (through rasterio at $ECOPLAN_PY), both directions:
//! GDAL reads what ecoplan writes, and ecoplan reads what GDAL writes, with the same CRS,
//! transform, nodata, cell type and every cell value (bit for bit).
//!
//! Skipped (with a message) when ECOPLAN_PY is unset, unless ECOPLAN_REQUIRE_INTEROP=1.

use ecoplan_grid::{with_any_grid, AnyGrid, Cell, CellType, Crs, GeoTransform, Grid, GridSpec};
use ecoplan_io::geotiff::{BlockLayout, Compression, GeoTiff, OverviewResampling};
use ecoplan_io::raster::{self, WriteOptions};
use serde_json::Value;
use std::path::{Path, PathBuf};
use std::process::Command;

fn python() -> Option<PathBuf> {
    match std::env::var_os("ECOPLAN_PY") {
        Some(p) if !p.is_empty() => Some(PathBuf::from(p)),
        _ => {
            if std::env::var("ECOPLAN_REQUIRE_INTEROP").as_deref() == Ok("1") {
                panic!("ECOPLAN_REQUIRE_INTEROP=1 but ECOPLAN_PY is not set");
            }
            eprintln!("skipped: ECOPLAN_PY not set");
            None
        }
    }
}

/// Floats travel as Python `repr` strings: exact, unlike JSON number parsing.
fn floats(v: &Value) -> Vec<f64> {
    v.as_array()
        .unwrap()
        .iter()
        .map(|x| x.as_str().unwrap().parse().unwrap())
        .collect()
}

fn nodata_of(v: &Value) -> Option<f64> {
    v.as_str().map(|s| s.parse().unwrap())
}

fn same_nodata(a: Option<f64>, b: Option<f64>) -> bool {
    match (a, b) {
        (Some(x), Some(y)) => x == y || (x.is_nan() && y.is_nan()),
        (None, None) => true,
        _ => false,
    }
}

fn run_python(py: &Path, script: &str, args: &[&Path]) -> String {
    let out = Command::new(py)
        .arg("-c")
        .arg(script)
        .args(args)
        .output()
        .expect("cannot run ECOPLAN_PY");
    assert!(
        out.status.success(),
        "python failed:\n{}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8(out.stdout).unwrap()
}

fn cells_le(g: &AnyGrid) -> Vec<u8> {
    fn bytes<T: Cell>(g: &Grid<T>) -> Vec<u8> {
        let n = T::TYPE.size_bytes();
        let mut out = Vec::with_capacity(g.data.len() * n);
        for v in &g.data {
            // Every cell type is at most 8 bytes: go through the f64/i64 bit patterns by type.
            let b: Vec<u8> = match T::TYPE {
                CellType::U8 => vec![v.to_f64() as u8],
                CellType::U16 => (v.to_f64() as u16).to_le_bytes().to_vec(),
                CellType::I16 => (v.to_f64() as i16).to_le_bytes().to_vec(),
                CellType::I32 => (v.to_f64() as i32).to_le_bytes().to_vec(),
                CellType::U32 => (v.to_f64() as u32).to_le_bytes().to_vec(),
                CellType::F32 => (v.to_f64() as f32).to_bits().to_le_bytes().to_vec(),
                CellType::F64 => v.to_f64().to_bits().to_le_bytes().to_vec(),
            };
            out.extend_from_slice(&b);
        }
        out
    }
    with_any_grid!(g, g => bytes(g))
}

/// Compares cells bit for bit, except that all NaNs are equal.
fn assert_cells_equal(ours: &AnyGrid, gdal_raw: &[u8], what: &str) {
    let mine = cells_le(ours);
    assert_eq!(mine.len(), gdal_raw.len(), "{what}: byte length");
    if mine == gdal_raw {
        return;
    }
    let size = ours.cell_type().size_bytes();
    for (i, (a, b)) in mine.chunks(size).zip(gdal_raw.chunks(size)).enumerate() {
        if a != b {
            let nan = |c: &[u8]| match size {
                4 if ours.cell_type() == CellType::F32 => {
                    f32::from_le_bytes(c.try_into().unwrap()).is_nan()
                }
                8 => f64::from_le_bytes(c.try_into().unwrap()).is_nan(),
                _ => false,
            };
            assert!(nan(a) && nan(b), "{what}: cell {i} differs: {a:?} vs {b:?}");
        }
    }
}

fn test_grid<T: Cell>(w: usize, h: usize, crs: Crs, nodata: Option<T>) -> Grid<T> {
    let t = if crs.is_geographic() {
        GeoTransform::north_up(112.25, 40.5, 0.001)
    } else {
        GeoTransform::north_up(420_000.0, 3_850_000.0, 25.0)
    };
    let spec = GridSpec::new(w, h, t, Some(crs));
    let data = (0..w * h)
        .map(|i| {
            let (x, y) = ((i % w) as f64, (i / w) as f64);
            let v = (x / 9.0).sin() * 40.0 + (y / 7.0).cos() * 30.0 + 80.0;
            T::from_f64(if T::TYPE.is_float() {
                v * 1.000123 - 50.0
            } else {
                v.round()
            })
        })
        .collect();
    let mut g = Grid::from_vec(&spec, data, nodata).unwrap();
    if let Some(nd) = nodata {
        g.data[3] = nd;
    }
    g
}

const GDAL_READ: &str = r#"
import json, sys, os, numpy as np, rasterio
out = {}
for p in sys.argv[1:]:
    with rasterio.open(p) as s:
        a = s.read(1)
        raw = p + '.raw'
        a.astype(a.dtype.newbyteorder('<')).tofile(raw)
        d = dict(dtype=s.dtypes[0], width=s.width, height=s.height, count=s.count,
                 epsg=s.crs.to_epsg() if s.crs else None,
                 transform=[repr(v) for v in s.get_transform()],
                 nodata=None if s.nodata is None else repr(float(s.nodata)),
                 structure=s.tags(ns='IMAGE_STRUCTURE'), blocks=[list(b) for b in s.block_shapes],
                 overviews=s.overviews(1))
        if s.overviews(1):
            with rasterio.open(p, OVERVIEW_LEVEL=0) as o:
                oa = o.read(1)
                oa.astype(oa.dtype.newbyteorder('<')).tofile(p + '.ov0.raw')
                d['ov0'] = [o.width, o.height]
        out[os.path.basename(p)] = d
print(json.dumps(out))
"#;

#[test]
fn gdal_reads_what_ecoplan_writes() {
    let Some(py) = python() else { return };
    let dir = tempfile::tempdir().unwrap();
    let mut cases: Vec<(PathBuf, AnyGrid, WriteOptions)> = vec![];
    let grids: Vec<AnyGrid> = vec![
        test_grid::<u8>(300, 200, Crs::Epsg(32650), Some(255)).into(),
        test_grid::<u16>(300, 200, Crs::Epsg(4547), Some(0)).into(),
        test_grid::<i16>(300, 200, Crs::Epsg(4326), Some(-9999)).into(),
        test_grid::<i32>(300, 200, Crs::Epsg(32617), Some(-2147483648)).into(),
        test_grid::<u32>(300, 200, Crs::Epsg(4490), None).into(),
        {
            let mut g = test_grid::<f32>(300, 200, Crs::Epsg(3857), Some(f32::MIN));
            g.data[10] = f32::NAN;
            g.into()
        },
        test_grid::<f64>(300, 200, Crs::Epsg(4326), Some(f64::NAN)).into(),
    ];
    let variants = [
        WriteOptions::default(),
        WriteOptions {
            compression: Compression::Zstd,
            predictor: true,
            tile_size: Some(64),
            ..Default::default()
        },
        WriteOptions {
            compression: Compression::Lzw,
            tile_size: None,
            predictor: true,
            ..Default::default()
        },
        WriteOptions {
            compression: Compression::Deflate,
            cog: true,
            tile_size: Some(64),
            ..Default::default()
        },
        WriteOptions {
            compression: Compression::None,
            tile_size: None,
            force_bigtiff: true,
            ..Default::default()
        },
        // The fastest deflate level (what `ecoplan invest` writes by default) and zstd level 1.
        WriteOptions {
            level: Some(1),
            ..Default::default()
        },
        WriteOptions {
            compression: Compression::Zstd,
            level: Some(1),
            ..Default::default()
        },
    ];
    for (gi, g) in grids.iter().enumerate() {
        for (vi, v) in variants.iter().enumerate() {
            let p = dir.path().join(format!("g{gi}_v{vi}.tif"));
            raster::write_raster(&p, g, v).unwrap();
            cases.push((p, g.clone(), v.clone()));
        }
    }
    let paths: Vec<&Path> = cases.iter().map(|c| c.0.as_path()).collect();
    let report: Value = serde_json::from_str(&run_python(&py, GDAL_READ, &paths)).unwrap();
    for (p, g, opts) in &cases {
        let name = p.file_name().unwrap().to_str().unwrap();
        let r = &report[name];
        let what = format!("{name} ({} {opts:?})", g.cell_type());
        assert_gdal_header(r, g, &what);
        let s = &r["structure"];
        let comp = match opts.compression {
            Compression::None => Value::Null,
            c => Value::from(if c == Compression::Zstd {
                "ZSTD"
            } else {
                c.name()
            }),
        };
        assert_eq!(s["COMPRESSION"], comp, "{what}");
        if opts.predictor {
            let pred = if g.cell_type().is_float() { "3" } else { "2" };
            assert_eq!(s["PREDICTOR"], pred, "{what}");
        }
        if let Some(t) = opts.tile_size {
            assert_eq!(r["blocks"][0], serde_json::json!([t, t]), "{what}");
        }
        let raw = std::fs::read(format!("{}.raw", p.display())).unwrap();
        assert_cells_equal(g, &raw, &what);
        if opts.cog {
            assert_eq!(s["LAYOUT"], "COG", "{what}: GDAL must see a COG layout");
            // 300×200 in 64² tiles: 150×100, 75×50, 38×25.
            assert_eq!(r["overviews"], serde_json::json!([2, 4, 8]), "{what}");
            let ours = GeoTiff::open(p).unwrap().read_overview(0).unwrap();
            let ov = std::fs::read(format!("{}.ov0.raw", p.display())).unwrap();
            assert_cells_equal(&ours, &ov, &format!("{what} overview 0"));
        }
    }
}

const GDAL_WRITE: &str = r#"
import json, sys, os, numpy as np, rasterio
from rasterio.transform import from_origin
from rasterio.crs import CRS
d = sys.argv[1]
W, H = 150, 97
y, x = np.mgrid[0:H, 0:W]
base = np.sin(x / 11.0) * 40 + np.cos(y / 5.0) * 30 + 80
ranges = {'uint8': (0, 255), 'int8': (-128, 127), 'uint16': (0, 65535), 'int16': (-32768, 32767),
          'int32': (-2**31, 2**31 - 1), 'uint32': (0, 2**32 - 1)}
def data(dt):
    if dt.startswith('float'):
        a = (base * 1.37 - 20).astype(dt)
        a[0, 5] = np.nan
        return a
    a = np.round(base).astype(dt)
    lo, hi = ranges[dt]
    a[1, 1] = lo; a[2, 2] = hi
    return a
cases = []
def write(name, dt, crs='EPSG:32650', nodata=None, count=1, driver='GTiff', **co):
    a = data(dt)
    t = from_origin(500000.0, 4400000.0, 30.0, 30.0) if 'EPSG:4' not in str(crs) else from_origin(110.0, 41.0, 0.001, 0.001)
    p = os.path.join(d, name)
    with rasterio.open(p, 'w', driver=driver, width=W, height=H, count=count, dtype=dt, crs=crs,
                       transform=t, nodata=nodata, **co) as s:
        for b in range(count):
            s.write(a + np.array(b * 3).astype(dt), b + 1)
    a.astype(a.dtype.newbyteorder('<')).tofile(p + '.raw')
    cases.append(name)
for dt in ['uint8', 'uint16', 'int16', 'int32', 'uint32', 'float32', 'float64']:
    pred = 3 if dt.startswith('float') else 2
    nd = -9999 if dt in ('int16', 'int32', 'float32', 'float64') else None
    write(f'{dt}_strip_deflate.tif', dt, nodata=nd, compress='deflate')
    write(f'{dt}_tile_lzw.tif', dt, nodata=nd, compress='lzw', tiled=True, blockxsize=32, blockysize=32)
    write(f'{dt}_tile_zstd_pred.tif', dt, nodata=nd, compress='zstd', predictor=pred, tiled=True, blockxsize=64, blockysize=16)
    write(f'{dt}_strip_deflate_pred.tif', dt, crs='EPSG:4490', nodata=nd, compress='deflate', predictor=pred, blockysize=7)
    write(f'{dt}_bigtiff.tif', dt, nodata=nd, compress='deflate', tiled=True, blockxsize=48, blockysize=48, BIGTIFF='YES')
    write(f'{dt}_bigendian.tif', dt, nodata=nd, compress='lzw', predictor=pred, ENDIANNESS='BIG')
    write(f'{dt}_cog.tif', dt, nodata=nd, driver='COG', compress='deflate', predictor=pred, blocksize=32,
          overview_resampling='average')
write('int8_strip.tif', 'int8', compress='deflate')
write('float32_nan_nodata.tif', 'float32', nodata=float('nan'), compress='zstd')
write('uint16_pixel_interleaved_3band.tif', 'uint16', count=3, compress='deflate', predictor=2, interleave='pixel', tiled=True, blockxsize=32, blockysize=32)
write('float32_band_interleaved_2band.tif', 'float32', count=2, compress='lzw', predictor=3, interleave='band')
write('int16_packbits.tif', 'int16', compress='packbits')
write('uint8_uncompressed_tiles.tif', 'uint8', tiled=True, blockxsize=16, blockysize=16)
write('float32_tmerc_user.tif', 'float32', crs=CRS.from_proj4('+proj=tmerc +lat_0=0 +lon_0=117 +k=1 +x_0=500000 +y_0=0 +ellps=GRS80 +units=m +no_defs'), compress='deflate')
write('uint8_albers_user.tif', 'uint8', crs=CRS.from_proj4('+proj=aea +lat_1=25 +lat_2=47 +lat_0=0 +lon_0=105 +x_0=0 +y_0=0 +datum=WGS84 +units=m +no_defs'), compress='deflate')
write('int16_lcc_user.tif', 'int16', crs=CRS.from_proj4('+proj=lcc +lat_1=30 +lat_2=62 +lat_0=0 +lon_0=105 +x_0=0 +y_0=0 +ellps=krass +units=m +no_defs'), compress='deflate')
# Pixel-is-point: GDAL stores the tie point at the cell centre and reports corners.
write('int16_point.tif', 'int16', compress='deflate', AREA_OR_POINT='Point')
with rasterio.open(os.path.join(d, 'int16_point.tif'), 'r+') as s:
    s.update_tags(AREA_OR_POINT='Point')
res = {}
for name in cases:
    p = os.path.join(d, name)
    with rasterio.open(p) as s:
        res[name] = dict(dtype=s.dtypes[0], width=s.width, height=s.height, count=s.count,
                         epsg=s.crs.to_epsg() if s.crs else None,
                         proj4=s.crs.to_proj4() if s.crs else None,
                         transform=[repr(v) for v in s.get_transform()],
                         nodata=None if s.nodata is None else repr(float(s.nodata)),
                         overviews=s.overviews(1), blocks=[list(b) for b in s.block_shapes],
                         point=s.tags().get('AREA_OR_POINT'),
                         structure=s.tags(ns='IMAGE_STRUCTURE'))
print(json.dumps(res))
"#;

/// The key=value parameters of a PROJ string that define the projection.
fn proj_params(p: &str) -> std::collections::BTreeMap<String, f64> {
    p.split_whitespace()
        .filter_map(|t| t.strip_prefix('+'))
        .filter_map(|t| t.split_once('='))
        .filter_map(|(k, v)| v.parse::<f64>().ok().map(|v| (k.to_string(), v)))
        .collect()
}

#[test]
fn ecoplan_reads_what_gdal_writes() {
    let Some(py) = python() else { return };
    let dir = tempfile::tempdir().unwrap();
    let report: Value = serde_json::from_str(&run_python(&py, GDAL_WRITE, &[dir.path()])).unwrap();
    let cases = report.as_object().unwrap();
    assert!(cases.len() >= 57, "{}", cases.len());
    for (name, r) in cases {
        let p = dir.path().join(name);
        let t = GeoTiff::open(&p).unwrap_or_else(|e| panic!("{name}: {e}"));
        let info = t.info().clone();
        let g = t.read().unwrap_or_else(|e| panic!("{name}: {e}"));
        let what = name.as_str();
        let expect_type = match r["dtype"].as_str().unwrap() {
            "uint8" => CellType::U8,
            "int8" => CellType::I16,
            "uint16" => CellType::U16,
            "int16" => CellType::I16,
            "int32" => CellType::I32,
            "uint32" => CellType::U32,
            "float32" => CellType::F32,
            "float64" => CellType::F64,
            other => panic!("{other}"),
        };
        assert_eq!(g.cell_type(), expect_type, "{what}");
        assert_eq!(
            info.band_count as u64,
            r["count"].as_u64().unwrap(),
            "{what}"
        );
        assert_eq!(g.width() as u64, r["width"].as_u64().unwrap(), "{what}");
        assert_eq!(g.height() as u64, r["height"].as_u64().unwrap(), "{what}");
        let gt = floats(&r["transform"]);
        let ours = g.transform().to_gdal();
        assert_eq!(gt, ours.to_vec(), "{what}: transform");
        match (r["epsg"].as_u64(), g.crs()) {
            (Some(code), Some(Crs::Epsg(c))) => assert_eq!(code, *c as u64, "{what}"),
            (None, Some(Crs::Proj(p))) => {
                let (a, b) = (proj_params(p), proj_params(r["proj4"].as_str().unwrap()));
                for (k, v) in &b {
                    assert!(
                        a.get(k).is_some_and(|x| (x - v).abs() < 1e-9),
                        "{what}: {k}={v} missing or different in our `{p}` (GDAL: {})",
                        r["proj4"]
                    );
                }
                let ours_name = p.split_whitespace().find(|t| t.starts_with("+proj="));
                assert!(
                    r["proj4"].as_str().unwrap().contains(ours_name.unwrap()),
                    "{what}"
                );
            }
            (e, c) => panic!("{what}: GDAL EPSG {e:?}, ours {c:?} ({:?})", info.warnings),
        }
        assert!(
            same_nodata(g.nodata_f64(), nodata_of(&r["nodata"])),
            "{what}: nodata {:?} vs {}",
            g.nodata_f64(),
            r["nodata"]
        );
        assert_eq!(info.pixel_is_point, r["point"] == "Point", "{what}");
        if name.contains("_point") {
            assert!(
                info.pixel_is_point,
                "{what}: the pixel-is-point case must be exercised"
            );
        }
        if name.contains("_user") {
            assert!(
                matches!(g.crs(), Some(Crs::Proj(_))),
                "{what}: {:?}",
                g.crs()
            );
        }
        if name == "float32_tmerc_user.tif" {
            // GDAL's user-defined CGCS2000 GK CM 117E is EPSG:4548, and is written back as such.
            let Some(Crs::Proj(p)) = g.crs() else {
                panic!("{what}")
            };
            assert_eq!(ecoplan_io::crs::epsg_for_proj(p), Some(4548), "{what}: {p}");
            let out = dir.path().join("tmerc_user_rewritten.tif");
            ecoplan_io::raster::write_raster(&out, &g, &Default::default()).unwrap();
            let back = GeoTiff::open(&out).unwrap().read().unwrap();
            assert_eq!(back.crs(), Some(&Crs::Epsg(4548)), "{what}");
        }
        let raw = std::fs::read(format!("{}.raw", p.display())).unwrap();
        if expect_type == CellType::I16 && r["dtype"] == "int8" {
            let want: Vec<i16> = raw.iter().map(|&b| b as i8 as i16).collect();
            let AnyGrid::I16(g16) = &g else { panic!() };
            assert_eq!(g16.data, want, "{what}");
        } else {
            assert_cells_equal(&g, &raw, what);
        }
        // Overviews GDAL made: same sizes, and the same stored values.
        let ovs: Vec<u64> = serde_json::from_value(r["overviews"].clone()).unwrap();
        assert_eq!(info.overviews.len(), ovs.len(), "{what}");
        if name.ends_with("_cog.tif") {
            assert!(info.cog_layout, "{what}");
            assert!(matches!(
                info.layout,
                BlockLayout::Tiled {
                    width: 32,
                    height: 32
                }
            ));
            let o = t.read_overview(0).unwrap();
            assert_eq!((o.width(), o.height()), info.overviews[0]);
        }
        // Windowed reads agree with the full read.
        let win = t.read_window(13, 5, 70, 40).unwrap();
        let full = with_any_grid!(&g, g => AnyGrid::from(g.window(13, 5, 70, 40).unwrap()));
        assert_eq!(cells_le(&win), cells_le(&full), "{what}: window");
    }
}

#[test]
fn gdal_reads_our_cog_overviews_for_class_maps() {
    // Nearest overviews keep class codes; GDAL sees the same values.
    let Some(py) = python() else { return };
    let dir = tempfile::tempdir().unwrap();
    let mut g = test_grid::<u8>(513, 257, Crs::Epsg(32650), Some(0));
    for v in g.data.iter_mut() {
        *v = (*v / 20) * 10 + 1;
    }
    let g: AnyGrid = g.into();
    let p = dir.path().join("classes.tif");
    let opts = WriteOptions {
        cog: true,
        tile_size: Some(128),
        overview_resampling: OverviewResampling::Nearest,
        compression: Compression::Zstd,
        ..Default::default()
    };
    raster::write_raster(&p, &g, &opts).unwrap();
    let report: Value = serde_json::from_str(&run_python(&py, GDAL_READ, &[&p])).unwrap();
    let r = &report["classes.tif"];
    assert_eq!(r["structure"]["LAYOUT"], "COG");
    assert_eq!(r["overviews"], serde_json::json!([2, 4, 8]));
    let ov = GeoTiff::open(&p).unwrap().read_overview(0).unwrap();
    let raw = std::fs::read(format!("{}.ov0.raw", p.display())).unwrap();
    assert_cells_equal(&ov, &raw, "nearest overview");
    let AnyGrid::U8(o) = ov else { panic!() };
    let classes: std::collections::BTreeSet<u8> = o.data.iter().copied().collect();
    assert!(classes.iter().all(|c| c % 10 == 1), "{classes:?}");
}

#[test]
fn real_files_agree_with_gdal() {
    let Some(py) = python() else { return };
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/data/geotiff");
    let tmp = tempfile::tempdir().unwrap();
    let mut paths = vec![];
    for f in [
        "dem30s_datong_city.tif",
        "srtm.tif",
        "nlcd.tif",
        "mongon_peru_dem.tif",
    ] {
        let p = tmp.path().join(f);
        std::fs::copy(dir.join(f), &p).unwrap();
        paths.push(p);
    }
    let refs: Vec<&Path> = paths.iter().map(|p| p.as_path()).collect();
    let report: Value = serde_json::from_str(&run_python(&py, GDAL_READ, &refs)).unwrap();
    for p in &paths {
        let name = p.file_name().unwrap().to_str().unwrap();
        let r = &report[name];
        let g = raster::read_raster(p).unwrap();
        let info = raster::raster_info(p).unwrap();
        assert_eq!(
            info.crs.as_ref().and_then(|c| c.epsg()),
            r["epsg"].as_u64().map(|c| c as u32),
            "{name}"
        );
        assert_eq!(
            g.transform().to_gdal().to_vec(),
            floats(&r["transform"]),
            "{name}"
        );
        assert!(
            same_nodata(g.nodata_f64(), nodata_of(&r["nodata"])),
            "{name}"
        );
        let raw = std::fs::read(format!("{}.raw", p.display())).unwrap();
        assert_cells_equal(&g, &raw, name);
    }
}

#[test]
fn gdal_reads_what_the_row_writer_writes() {
    use ecoplan_io::geotiff::GeoTiffRowWriter;
    let Some(py) = python() else { return };
    let dir = tempfile::tempdir().unwrap();
    let f = test_grid::<f32>(300, 200, Crs::Epsg(32650), Some(-1.0));
    let u = test_grid::<u8>(300, 200, Crs::Epsg(4326), Some(255));
    let variants = [
        WriteOptions {
            level: Some(1),
            ..Default::default()
        },
        WriteOptions {
            compression: Compression::Lzw,
            tile_size: None,
            predictor: true,
            ..Default::default()
        },
    ];
    let mut cases: Vec<(PathBuf, AnyGrid)> = vec![];
    for (vi, v) in variants.iter().enumerate() {
        // Bands of 9 rows: not aligned with the 256-row tiles nor the strips.
        let p = dir.path().join(format!("rows_f32_{vi}.tif"));
        let mut w = GeoTiffRowWriter::<f32>::create(&p, &f.spec(), f.nodata, v).unwrap();
        for band in f.data.chunks(9 * f.width) {
            w.push_rows(band).unwrap();
        }
        w.finish().unwrap();
        cases.push((p, f.clone().into()));
        let p = dir.path().join(format!("rows_u8_{vi}.tif"));
        let mut w = GeoTiffRowWriter::<u8>::create(&p, &u.spec(), u.nodata, v).unwrap();
        for band in u.data.chunks(9 * u.width) {
            w.push_rows(band).unwrap();
        }
        w.finish().unwrap();
        cases.push((p, u.clone().into()));
    }
    let paths: Vec<&Path> = cases.iter().map(|c| c.0.as_path()).collect();
    let report: Value = serde_json::from_str(&run_python(&py, GDAL_READ, &paths)).unwrap();
    for (p, g) in &cases {
        let name = p.file_name().unwrap().to_str().unwrap();
        let r = &report[name];
        assert_eq!((g.width(), g.height()), (300, 200), "{name}");
        assert_gdal_header(r, g, name);
        let raw = std::fs::read(format!("{}.raw", p.display())).unwrap();
        assert_cells_equal(g, &raw, name);
    }
}

/// What GDAL reports of the file written from `g` (`r`, one entry of GDAL_READ's report):
/// cell type, size, EPSG code, transform and nodata as ecoplan wrote them.
fn assert_gdal_header(r: &Value, g: &AnyGrid, what: &str) {
    let dtype = match g.cell_type() {
        CellType::U8 => "uint8",
        CellType::U16 => "uint16",
        CellType::I16 => "int16",
        CellType::I32 => "int32",
        CellType::U32 => "uint32",
        CellType::F32 => "float32",
        CellType::F64 => "float64",
    };
    assert_eq!(r["dtype"], dtype, "{what}");
    assert_eq!(r["width"], g.width() as u64, "{what}");
    assert_eq!(r["height"], g.height() as u64, "{what}");
    assert_eq!(r["epsg"], g.crs().unwrap().epsg().unwrap(), "{what}");
    assert_eq!(
        floats(&r["transform"]),
        g.transform().to_gdal().to_vec(),
        "{what}"
    );
    assert!(
        same_nodata(g.nodata_f64(), nodata_of(&r["nodata"])),
        "{what}: nodata {:?} vs {}",
        g.nodata_f64(),
        r["nodata"]
    );
}
