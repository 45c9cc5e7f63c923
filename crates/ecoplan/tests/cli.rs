//! The `ecoplan` subcommands on small generated files.

mod common;
use common::*;
use ecoplan_grid::AnyGrid;
use ecoplan_io::raster::read_raster;

#[test]
fn info_reports_raster_facts_and_statistics() {
    let dir = tempfile::tempdir().unwrap();
    let tif = dir.path().join("v.tif");
    write_tif(&tif, sample_f32());
    let v = json(&["info", s(&tif), "--json"]);
    assert_eq!(v["driver"], "GTiff");
    assert_eq!(
        (v["width"].as_u64(), v["height"].as_u64()),
        (Some(20), Some(15))
    );
    assert_eq!(v["crs"], "EPSG:4547");
    assert_eq!(v["cell_type"], "Float32");
    assert_eq!(v["nodata"], -9999.0);
    assert_eq!(v["transform"][0], 420_000.0);
    let g = sample_f32();
    let valid: Vec<f64> = g
        .data
        .iter()
        .filter(|&&x| x != -9999.0)
        .map(|&x| x as f64)
        .collect();
    let st = &v["stats"];
    assert_eq!(st["count"].as_u64(), Some(valid.len() as u64));
    assert_eq!(st["min"], 0.0);
    assert_eq!(st["max"], 1419.0);
    let mean = valid.iter().sum::<f64>() / valid.len() as f64;
    assert!((st["mean"].as_f64().unwrap() - mean).abs() < 1e-9);
    // Text output names the same facts.
    let text = ok(&["info", s(&tif)]);
    assert!(
        text.contains("EPSG:4547") && text.contains("20 × 15") && text.contains("Float32"),
        "{text}"
    );
}

#[test]
fn info_describes_vectors() {
    let dir = tempfile::tempdir().unwrap();
    let gj = dir.path().join("sq.geojson");
    square_geojson(&gj);
    let v = json(&["info", s(&gj), "--json"]);
    assert_eq!(v["kind"], "vector");
    assert_eq!(v["geometry_type"], "Polygon");
    assert_eq!(v["feature_count"], 1);
    assert_eq!(v["crs"], "EPSG:4547");
    let fields: Vec<&str> = v["fields"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| f["name"].as_str().unwrap())
        .collect();
    assert_eq!(fields, ["id", "name"]);
}

#[test]
fn unreadable_files_fail_with_a_clear_message() {
    let dir = tempfile::tempdir().unwrap();
    let junk = dir.path().join("junk.tif");
    std::fs::write(&junk, b"this is not a tiff").unwrap();
    let (code, _, err) = run(&["info", s(&junk)]);
    assert_eq!(code, 1);
    assert!(
        err.contains("错误 error") && err.contains("junk.tif"),
        "{err}"
    );
    let (code, _, err) = run(&["info", s(&dir.path().join("missing.tif"))]);
    assert_eq!(code, 1);
    assert!(err.contains("not found"), "{err}");
    let bad_json = dir.path().join("bad.geojson");
    std::fs::write(
        &bad_json,
        b"{\"type\": \"FeatureCollection\", \"features\": [",
    )
    .unwrap();
    let (code, _, err) = run(&["info", s(&bad_json)]);
    assert_eq!(code, 1);
    assert!(err.contains("bad.geojson"), "{err}");
}

#[test]
fn convert_preserves_values_transform_crs_and_nodata() {
    let dir = tempfile::tempdir().unwrap();
    let tif = dir.path().join("v.tif");
    write_tif(&tif, sample_f32());
    let asc = dir.path().join("v.asc");
    ok(&["convert", s(&tif), s(&asc)]);
    assert!(
        dir.path().join("v.prj").exists(),
        "ASCII grids get a .prj sidecar"
    );
    let back = dir.path().join("back.tif");
    ok(&["convert", s(&asc), s(&back), "--compress", "zstd"]);
    let cog = dir.path().join("cog.tif");
    ok(&["convert", s(&tif), s(&cog), "--cog"]);
    let orig = sample_f32();
    for p in [&back, &cog] {
        let g = read_raster(p).unwrap();
        assert_eq!((g.width(), g.height()), (20, 15));
        assert_eq!(g.transform(), orig.transform);
        assert_eq!(g.nodata_f64(), Some(-9999.0));
        for (i, b) in orig.data.iter().enumerate() {
            let want = (*b != -9999.0).then_some(*b as f64);
            assert_eq!(g.value_f64(i), want, "cell {i}");
        }
    }
    // The ASCII round trip keeps the CRS through the .prj (ecoplan reads it back).
    let v = json(&["info", s(&back), "--json"]);
    assert_eq!(v["crs"], "EPSG:4547");
    assert_eq!(v["compression"], "ZSTD");
    let v = json(&["info", s(&cog), "--json"]);
    assert_eq!(v["cog"], true);
    // Vectors: GeoJSON → GeoPackage → GeoJSON keeps features and attributes.
    let gj = dir.path().join("sq.geojson");
    square_geojson(&gj);
    let gpkg = dir.path().join("sq.gpkg");
    ok(&["convert", s(&gj), s(&gpkg)]);
    let v = json(&["info", s(&gpkg), "--json"]);
    assert_eq!(v["feature_count"], 1);
    assert_eq!(v["crs"], "EPSG:4547");
    // Raster → vector is refused with a pointer to the right command.
    let (code, _, err) = run(&["convert", s(&tif), s(&gpkg)]);
    assert_eq!(code, 1);
    assert!(err.contains("polygonize"), "{err}");
}

#[test]
fn reproject_rasters_and_vectors() {
    let dir = tempfile::tempdir().unwrap();
    // A vector point at 114°E 40°N lands on the central meridian of EPSG:4547.
    let pt = dir.path().join("pt.geojson");
    std::fs::write(&pt, r#"{"type":"FeatureCollection","features":[{"type":"Feature","properties":{},"geometry":{"type":"Point","coordinates":[114.0,40.0]}}]}"#).unwrap();
    let out = dir.path().join("pt_4547.geojson");
    ok(&["reproject", s(&pt), s(&out), "--to", "EPSG:4547"]);
    let v = json(&["info", s(&out), "--json"]);
    assert_eq!(v["crs"], "EPSG:4547");
    let x = v["extent"]["xmin"].as_f64().unwrap();
    let y = v["extent"]["ymin"].as_f64().unwrap();
    assert!((x - 500_000.0).abs() < 1e-3, "{x}");
    assert!((y - 4_429_529.030).abs() < 0.01, "{y} (PROJ: 4429529.030)");
    // Raster 4547 → 4326 → 4547 (nearest, same cell size) gives back the values at the centre.
    let tif = dir.path().join("c.tif");
    write_tif(&tif, sample_classes());
    let geo = dir.path().join("c_4326.tif");
    ok(&[
        "reproject",
        s(&tif),
        s(&geo),
        "--to",
        "EPSG:4326",
        "--cell-size",
        "0.0002",
    ]);
    let v = json(&["info", s(&geo), "--json"]);
    assert_eq!(v["crs"], "EPSG:4326");
    assert_eq!(v["cell_type"], "Byte");
    let lon = v["extent"]["xmin"].as_f64().unwrap();
    assert!((112.0..115.0).contains(&lon), "{lon}");
    let back = dir.path().join("c_back.tif");
    ok(&[
        "reproject",
        s(&geo),
        s(&back),
        "--to",
        "EPSG:4547",
        "--cell-size",
        "30",
        "--resampling",
        "mode",
    ]);
    let g = read_raster(&back).unwrap();
    let t = g.transform();
    let (cx, cy) = (420_000.0 + 5.5 * 30.0, 4_430_460.0 - 7.5 * 30.0); // class 1
    let (c, r) = t.map_to_pixel(cx, cy).unwrap();
    let i = r.floor() as usize * g.width() + c.floor() as usize;
    assert_eq!(g.value_f64(i), Some(1.0));
    let (cx, cy) = (420_000.0 + 14.5 * 30.0, 4_430_460.0 - 7.5 * 30.0); // class 2
    let (c, r) = t.map_to_pixel(cx, cy).unwrap();
    assert_eq!(
        g.value_f64(r.floor() as usize * g.width() + c.floor() as usize),
        Some(2.0)
    );
    // A raster without CRS cannot be reprojected.
    let asc = dir.path().join("nocrs.asc");
    std::fs::write(
        &asc,
        "ncols 2\nnrows 1\nxllcorner 0\nyllcorner 0\ncellsize 1\n1 2\n",
    )
    .unwrap();
    let (code, _, err) = run(&[
        "reproject",
        s(&asc),
        s(&dir.path().join("x.tif")),
        "--to",
        "EPSG:4547",
    ]);
    assert_eq!(code, 1);
    assert!(err.contains("no CRS"), "{err}");
    let (code, _, err) = run(&[
        "reproject",
        s(&tif),
        s(&dir.path().join("x.tif")),
        "--to",
        "EPSG:nonsense",
    ]);
    assert_eq!(code, 1);
    assert!(err.contains("not a CRS"), "{err}");
}

#[test]
fn rasterize_burns_the_cells_whose_centres_are_covered() {
    let dir = tempfile::tempdir().unwrap();
    let tif = dir.path().join("ref.tif");
    write_tif(&tif, sample_f32());
    let gj = dir.path().join("sq.geojson");
    square_geojson(&gj);
    let out = dir.path().join("mask.tif");
    ok(&["rasterize", s(&gj), s(&out), "--like", s(&tif)]);
    let AnyGrid::U8(g) = read_raster(&out).unwrap() else {
        panic!("mask should be Byte")
    };
    assert_eq!(g.spec(), sample_f32().spec());
    let burned: Vec<(usize, usize)> = (0..g.len())
        .filter(|&i| g.data[i] == 1)
        .map(|i| (i % 20, i / 20))
        .collect();
    assert_eq!(burned.len(), 20);
    assert!(burned
        .iter()
        .all(|&(c, r)| (2..7).contains(&c) && (3..7).contains(&r)));
    // --attribute burns the field; --all-touched takes cells the edges touch too.
    let out2 = dir.path().join("ids.tif");
    ok(&[
        "rasterize",
        s(&gj),
        s(&out2),
        "--like",
        s(&tif),
        "--attribute",
        "id",
        "--all-touched",
    ]);
    let g2 = read_raster(&out2).unwrap();
    let s2 = g2.stats().unwrap();
    assert_eq!((s2.min, s2.max), (7.0, 7.0));
    assert!(s2.count >= 20, "{}", s2.count);
    // --cell-size builds a grid over the layer's extent.
    let out3 = dir.path().join("own.tif");
    ok(&[
        "rasterize",
        s(&gj),
        s(&out3),
        "--cell-size",
        "30",
        "--burn",
        "3",
    ]);
    let g3 = read_raster(&out3).unwrap();
    assert_eq!((g3.width(), g3.height()), (5, 4));
    assert_eq!(g3.stats().unwrap().count, 20);
    let (code, _, err) = run(&[
        "rasterize",
        s(&gj),
        s(&out3),
        "--like",
        s(&tif),
        "--attribute",
        "nope",
    ]);
    assert_eq!(code, 1);
    assert!(err.contains("nope") && err.contains("id"), "{err}");
}

#[test]
fn polygonize_makes_one_polygon_per_region() {
    let dir = tempfile::tempdir().unwrap();
    let tif = dir.path().join("c.tif");
    write_tif(&tif, sample_classes());
    let out = dir.path().join("c.geojson");
    ok(&["polygonize", s(&tif), s(&out)]);
    let v = json(&["info", s(&out), "--json"]);
    assert_eq!(
        v["feature_count"], 2,
        "class 1 and class 2; nodata row skipped"
    );
    assert_eq!(v["crs"], "EPSG:4547");
    let e = &v["extent"];
    assert_eq!(e["xmin"], 420_000.0);
    assert_eq!(e["xmax"], 420_600.0);
    assert_eq!(e["ymax"], 4_430_430.0); // row 0 is nodata
    let gpkg = dir.path().join("c.gpkg");
    ok(&["polygonize", s(&tif), s(&gpkg)]);
    assert_eq!(json(&["info", s(&gpkg), "--json"])["feature_count"], 2);
}

#[test]
fn zonal_tables_have_areas_in_ha_mu_km2() {
    let dir = tempfile::tempdir().unwrap();
    let vals = dir.path().join("v.tif");
    write_tif(&vals, sample_f32());
    let zones = dir.path().join("z.tif");
    write_tif(&zones, sample_classes());
    let csv_path = dir.path().join("z.csv");
    ok(&[
        "zonal",
        s(&vals),
        "--zones",
        s(&zones),
        "--out",
        s(&csv_path),
    ]);
    let text = std::fs::read_to_string(&csv_path).unwrap();
    let mut rows = text.lines();
    assert_eq!(
        rows.next().unwrap(),
        "zone,count,area_ha,area_mu,area_km2,sum,mean,min,max,majority"
    );
    let g = sample_f32();
    let cls = sample_classes();
    for (line, zone) in rows.zip([1u8, 2]) {
        let f: Vec<&str> = line.split(',').collect();
        let vals: Vec<f64> = (0..g.len())
            .filter(|&i| cls.data[i] == zone && g.data[i] != -9999.0)
            .map(|i| g.data[i] as f64)
            .collect();
        assert_eq!(f[0], zone.to_string());
        assert_eq!(f[1].parse::<usize>().unwrap(), vals.len());
        let ha: f64 = f[2].parse().unwrap();
        assert!((ha - vals.len() as f64 * 900.0 / 10_000.0).abs() < 1e-9);
        let mu: f64 = f[3].parse().unwrap();
        assert!((mu - ha * 15.0).abs() < 1e-6, "1 公顷 = 15 亩");
        let km2: f64 = f[4].parse().unwrap();
        assert!((km2 - ha / 100.0).abs() < 1e-12);
        assert_eq!(f[5].parse::<f64>().unwrap(), vals.iter().sum::<f64>());
        let mean = vals.iter().sum::<f64>() / vals.len() as f64;
        assert!((f[6].parse::<f64>().unwrap() - mean).abs() < 1e-9);
        assert_eq!(
            f[7].parse::<f64>().unwrap(),
            vals.iter().cloned().fold(f64::INFINITY, f64::min)
        );
        assert_eq!(
            f[8].parse::<f64>().unwrap(),
            vals.iter().cloned().fold(f64::NEG_INFINITY, f64::max)
        );
    }
    // Polygon zones with a name field, written as XLSX with a Chinese header row.
    let gj = dir.path().join("sq.geojson");
    square_geojson(&gj);
    let xlsx = dir.path().join("z.xlsx");
    ok(&[
        "zonal",
        s(&zones),
        "--zones",
        s(&gj),
        "--zone-field",
        "name",
        "--out",
        s(&xlsx),
    ]);
    use calamine::{open_workbook, Reader, Xlsx};
    let mut wb: Xlsx<_> = open_workbook(&xlsx).unwrap();
    let sheet = wb.worksheet_range_at(0).unwrap().unwrap();
    let cell = |r: u32, c: u32| {
        sheet
            .get_value((r, c))
            .map(|v| v.to_string())
            .unwrap_or_default()
    };
    assert_eq!(cell(0, 0), "分区");
    assert_eq!(cell(0, 2), "面积（公顷）");
    assert_eq!(cell(1, 0), "zone");
    assert_eq!(cell(2, 0), "甲");
    assert_eq!(cell(2, 1), "20");
    assert_eq!(
        cell(2, 9),
        "1",
        "majority class under the square (cols 2..7 are class 1)"
    );
    let (code, _, err) = run(&[
        "zonal",
        s(&vals),
        "--zones",
        s(&zones),
        "--out",
        s(&dir.path().join("z.txt")),
    ]);
    assert_eq!(code, 1);
    assert!(err.contains(".csv or .xlsx"), "{err}");
}

#[test]
fn every_subcommand_has_bilingual_examples() {
    let out = ok(&["--help"]);
    for sub in [
        "info",
        "convert",
        "reproject",
        "rasterize",
        "polygonize",
        "zonal",
        "validate",
        "demo",
    ] {
        assert!(out.contains(sub), "{sub} missing from --help");
        let help = ok(&[sub, "--help"]);
        assert!(
            help.contains("示例 Examples:"),
            "{sub} --help lacks examples"
        );
        assert!(
            help.contains(&format!("ecoplan {sub}")) || sub == "demo",
            "{sub} --help example does not show the command"
        );
    }
}
