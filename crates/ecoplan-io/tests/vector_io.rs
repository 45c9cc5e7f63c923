//! Vector I/O: real fixtures, GDAL-written files, round trips, malformed inputs and (with
//! ECOPLAN_PY) GDAL reading our GeoJSON/GeoPackage.

use ecoplan_grid::Crs;
use ecoplan_io::vector::{
    geodesic_area, parse_geojson, parse_shapefile, planar_area, read_vector, write_vector,
    Ellipsoid, FieldType, FieldValue, Layer, ReadOptions,
};
use geo_types::{Coord, Geometry, LineString, MultiPolygon, Point, Polygon};
use std::io::Read;
use std::path::{Path, PathBuf};

fn data(p: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests/data/vector")
        .join(p)
}

fn gunzip_to(src: &str, dir: &Path, name: &str) -> PathBuf {
    let mut s = Vec::new();
    flate2::read::GzDecoder::new(std::fs::File::open(data(src)).unwrap())
        .read_to_end(&mut s)
        .unwrap();
    let p = dir.join(name);
    std::fs::write(&p, s).unwrap();
    p
}

/// Rings without closing point, rotated to start at their smallest vertex, counter-clockwise;
/// polygons and holes sorted. Two geometries describing the same rings compare equal.
fn normalize(g: &Geometry<f64>) -> Vec<Vec<Vec<(f64, f64)>>> {
    fn ring(l: &LineString<f64>) -> Vec<(f64, f64)> {
        let mut v: Vec<(f64, f64)> = l.0.iter().map(|c| (c.x, c.y)).collect();
        if v.len() > 1 && v[0] == v[v.len() - 1] {
            v.pop();
        }
        let area: f64 = (0..v.len())
            .map(|i| {
                let (a, b) = (v[i], v[(i + 1) % v.len()]);
                a.0 * b.1 - b.0 * a.1
            })
            .sum();
        if area < 0.0 {
            v.reverse();
        }
        let k = (0..v.len())
            .min_by(|&a, &b| v[a].partial_cmp(&v[b]).unwrap())
            .unwrap_or(0);
        v.rotate_left(k);
        v
    }
    let polys: Vec<&Polygon<f64>> = match g {
        Geometry::Polygon(p) => vec![p],
        Geometry::MultiPolygon(m) => m.0.iter().collect(),
        other => panic!("not polygonal: {other:?}"),
    };
    let mut out: Vec<Vec<Vec<(f64, f64)>>> = polys
        .iter()
        .map(|p| {
            let mut holes: Vec<_> = p.interiors().iter().map(ring).collect();
            holes.sort_by(|a, b| a.partial_cmp(b).unwrap());
            let mut r = vec![ring(p.exterior())];
            r.extend(holes);
            r
        })
        .collect();
    out.sort_by(|a, b| a.partial_cmp(b).unwrap());
    out
}

#[test]
fn demo_boundary_areas_match_their_geodesic_properties() {
    let dir = tempfile::tempdir().unwrap();
    let p = gunzip_to(
        "tianditu_seed_regions.geojson.gz",
        dir.path(),
        "regions.geojson",
    );
    let layer = read_vector(&p, &ReadOptions::default()).unwrap();
    assert_eq!(layer.features.len(), 17);
    assert_eq!(layer.crs, Some(Crs::Epsg(4326)));
    assert_eq!(layer.name, "tianditu_seed_regions"); // the FeatureCollection's "name" member
    let yungang = layer
        .filter("district_adcode", &FieldValue::Int(140214))
        .unwrap();
    assert_eq!(yungang.features.len(), 1);
    let f = &yungang.features[0];
    assert_eq!(
        f.get(&layer, "district_name"),
        Some(&FieldValue::Text("云冈区".into()))
    );
    let km2 = geodesic_area(f.geometry.as_ref().unwrap(), Ellipsoid::Wgs84) / 1e6;
    assert!((km2 - 737.4).abs() < 0.05, "云冈区 {km2} km²");
    // Every region agrees with its stored geodesic area (rounded to 0.1 km²).
    for f in &layer.features {
        let want = f
            .get(&layer, "area_km2_geodesic")
            .unwrap()
            .as_f64()
            .unwrap();
        let got = geodesic_area(f.geometry.as_ref().unwrap(), Ellipsoid::Grs80) / 1e6;
        assert!(
            (got - want).abs() <= 0.05 + 1e-9 * want,
            "{:?}: {got} vs {want}",
            f.get(&layer, "short_name")
        );
    }
}

#[test]
fn reads_a_gdal_written_geopackage_with_a_custom_crs() {
    let layer = read_vector(&data("zion.gpkg"), &ReadOptions::default()).unwrap();
    assert_eq!(layer.name, "zion");
    assert_eq!(layer.features.len(), 1);
    assert_eq!(layer.fields.len(), 11);
    assert_eq!(
        layer.features[0].get(&layer, "UNIT_NAME"),
        Some(&FieldValue::Text("Zion National Park".into()))
    );
    assert_eq!(
        layer.features[0].get(&layer, "DATE_EDIT"),
        Some(&FieldValue::Text("2017-06-22".into()))
    );
    // GEOS (shapely) area of the same polygon: 601801921.3282466 m².
    let a = planar_area(layer.features[0].geometry.as_ref().unwrap());
    assert!((a - 601_801_921.328_246_6).abs() < 1e-3, "{a}");
    // "UTM Zone 12, Northern Hemisphere" on an unnamed GRS80 datum has no EPSG code: warned, not failed.
    assert_eq!(layer.crs, None);
    assert!(
        layer
            .warnings
            .iter()
            .any(|w| w.contains("CRS not recognised")),
        "{:?}",
        layer.warnings
    );
}

fn expected_layer() -> Layer {
    parse_geojson(&std::fs::read_to_string(data("gdal_written/expected.json")).unwrap()).unwrap()
}

fn assert_same_features(got: &Layer, want: &Layer, fields: [&str; 3]) {
    assert_eq!(got.features.len(), want.features.len());
    for (g, w) in got.features.iter().zip(&want.features) {
        assert_eq!(
            normalize(g.geometry.as_ref().unwrap()),
            normalize(w.geometry.as_ref().unwrap())
        );
        for (gf, wf) in fields.iter().zip(["name", "code", "score"]) {
            let (a, b) = (g.get(got, gf).unwrap(), w.get(want, wf).unwrap());
            assert!(a.loosely_equals(b), "{gf}: {a:?} vs {b:?}");
        }
    }
}

#[test]
fn reads_gdal_written_gbk_and_utf8_shapefiles_and_geopackage() {
    let want = expected_layer();
    let gbk = read_vector(
        &data("gdal_written/sample_gbk.shp"),
        &ReadOptions::default(),
    )
    .unwrap();
    assert_eq!(gbk.crs, Some(Crs::Epsg(4526)), "{:?}", gbk.warnings);
    assert_eq!(
        gbk.fields,
        vec![
            ("NAME".into(), FieldType::Text),
            ("CODE".into(), FieldType::Int),
            ("SCORE".into(), FieldType::Real)
        ]
    );
    assert_same_features(&gbk, &want, ["NAME", "CODE", "SCORE"]);
    assert_eq!(
        gbk.features[0].properties[0],
        FieldValue::Text("云冈区生态保护红线".into())
    );

    // Without the .cpg the GBK text is still detected.
    let dir = tempfile::tempdir().unwrap();
    for ext in ["shp", "shx", "dbf", "prj"] {
        std::fs::copy(
            data(&format!("gdal_written/sample_gbk.{ext}")),
            dir.path().join(format!("x.{ext}")),
        )
        .unwrap();
    }
    let auto = read_vector(&dir.path().join("x.shp"), &ReadOptions::default()).unwrap();
    assert_same_features(&auto, &want, ["NAME", "CODE", "SCORE"]);
    // Forcing the wrong encoding garbles the text, proving the option is honoured.
    let forced = read_vector(
        &dir.path().join("x.shp"),
        &ReadOptions {
            encoding: Some("UTF-8".into()),
            ..Default::default()
        },
    )
    .unwrap();
    assert_ne!(
        forced.features[0].properties[0],
        FieldValue::Text("云冈区生态保护红线".into())
    );

    let utf8 = read_vector(
        &data("gdal_written/sample_utf8.shp"),
        &ReadOptions::default(),
    )
    .unwrap();
    assert_eq!(utf8.crs, Some(Crs::Epsg(4326)));
    assert_same_features(&utf8, &want, ["NAME", "CODE", "SCORE"]);

    let gpkg = read_vector(
        &data("gdal_written/sample.gpkg"),
        &ReadOptions {
            layer: Some("zones".into()),
            ..Default::default()
        },
    )
    .unwrap();
    assert_eq!(gpkg.crs, Some(Crs::Epsg(4526)));
    assert_same_features(&gpkg, &want, ["名称", "code", "score"]);
    assert_eq!(gpkg.features[2].properties[0], FieldValue::Null);
    let e = read_vector(
        &data("gdal_written/sample.gpkg"),
        &ReadOptions {
            layer: Some("nope".into()),
            ..Default::default()
        },
    )
    .unwrap_err();
    assert!(e.to_string().contains("layers: zones"), "{e}");
}

/// A layer exercising every field type, Chinese text, nulls, holes and multipolygons.
fn sample_layer(crs: u32) -> Layer {
    let mut l = Layer::new("分区 zones", Some(Crs::Epsg(crs)));
    l.add_field("名称", FieldType::Text);
    l.add_field("code", FieldType::Int);
    l.add_field("score", FieldType::Real);
    l.add_field("core", FieldType::Bool);
    let (x0, y0) = (500_000.0, 4_400_000.0);
    let sq = |x: f64, y: f64, s: f64| {
        LineString::from(vec![(x, y), (x + s, y), (x + s, y + s), (x, y + s), (x, y)])
    };
    l.push(
        Some(Polygon::new(sq(x0, y0, 1000.0), vec![sq(x0 + 100.0, y0 + 100.0, 50.5)]).into()),
        vec![
            "生态保护红线".into(),
            FieldValue::Int(140214),
            FieldValue::Real(0.1 + 0.2),
            FieldValue::Bool(true),
        ],
    );
    l.push(
        Some(
            MultiPolygon(vec![
                Polygon::new(sq(x0 + 2000.0, y0, 10.0), vec![]),
                Polygon::new(sq(x0 + 3000.0, y0, 1.0 / 3.0), vec![]),
            ])
            .into(),
        ),
        vec![
            FieldValue::Null,
            FieldValue::Int(-5),
            FieldValue::Null,
            FieldValue::Bool(false),
        ],
    );
    l.push(
        None,
        vec![
            "无几何 no geometry".into(),
            FieldValue::Null,
            FieldValue::Real(1e-300),
            FieldValue::Null,
        ],
    );
    l
}

#[test]
fn geojson_and_geopackage_round_trip() {
    let dir = tempfile::tempdir().unwrap();
    for (name, crs) in [
        ("a.geojson", 4547),
        ("b.gpkg", 4547),
        ("c.gpkg", 4326),
        ("d.json", 4326),
    ] {
        let layer = sample_layer(crs);
        let p = dir.path().join(name);
        write_vector(&p, &layer).unwrap();
        let back = read_vector(&p, &ReadOptions::default()).unwrap();
        assert_eq!(back.crs, layer.crs, "{name}");
        assert_eq!(back.features, layer.features, "{name}");
        assert_eq!(
            back.fields.iter().map(|f| &f.0).collect::<Vec<_>>(),
            layer.fields.iter().map(|f| &f.0).collect::<Vec<_>>()
        );
        assert_eq!(back.name, "分区 zones");
        assert!(back.warnings.is_empty(), "{:?}", back.warnings);
    }
    // Writing replaces an existing GeoPackage and leaves no temporary file behind.
    let p = dir.path().join("b.gpkg");
    let mut one = sample_layer(4547);
    one.features.truncate(1);
    write_vector(&p, &one).unwrap();
    assert_eq!(
        read_vector(&p, &ReadOptions::default())
            .unwrap()
            .features
            .len(),
        1
    );
    let leftovers: Vec<_> = std::fs::read_dir(dir.path())
        .unwrap()
        .filter_map(|e| e.ok())
        .filter(|e| e.file_name().to_string_lossy().contains(".tmp"))
        .collect();
    assert!(leftovers.is_empty());
    assert!(write_vector(&dir.path().join("x.shp"), &one).is_err());
}

#[test]
fn malformed_inputs_give_clear_errors() {
    let cases = [
        (
            "invalid_coordinates.geojson",
            "$.features[0].geometry.coordinates[0][2][1]",
        ),
        ("truncated.geojson", "invalid JSON"),
        ("truncated.shp", "truncated"),
        ("no_dbf.shp", "missing no_dbf.dbf"),
        ("bad_header.shp", "header length"),
        ("not_sqlite.gpkg", "not a GeoPackage"),
        ("sqlite_without_gpkg_tables.gpkg", "gpkg_contents"),
    ];
    for (file, needle) in cases {
        let e = read_vector(&data(&format!("malformed/{file}")), &ReadOptions::default())
            .unwrap_err()
            .to_string();
        assert!(e.contains(needle), "{file}: {e}");
        assert!(
            e.contains(file.split('.').next().unwrap()),
            "error should name the file: {e}"
        );
    }
    let e = read_vector(
        &data("malformed/nothing_here.gpkg"),
        &ReadOptions::default(),
    )
    .unwrap_err();
    assert!(e.to_string().contains("not found"), "{e}");
    assert!(read_vector(Path::new("x.kml"), &ReadOptions::default()).is_err());
}

#[test]
fn shapefile_parser_survives_mutations() {
    // Flip, truncate and overwrite bytes of a real shapefile: errors are fine, panics are not.
    let shp = std::fs::read(data("gdal_written/sample_gbk.shp")).unwrap();
    let dbf = std::fs::read(data("gdal_written/sample_gbk.dbf")).unwrap();
    let mut seed = 99u64;
    for _ in 0..3000 {
        seed = seed
            .wrapping_mul(6364136223846793005)
            .wrapping_add(1442695040888963407);
        let (mut s, mut d) = (shp.clone(), dbf.clone());
        let target = if seed & 1 == 0 { &mut s } else { &mut d };
        let pos = (seed >> 8) as usize % target.len();
        match (seed >> 40) % 3 {
            0 => target[pos] = (seed >> 16) as u8,
            1 => target.truncate(pos),
            _ => target[pos..].iter_mut().take(4).for_each(|b| *b = 0xff),
        }
        let _ = parse_shapefile(&s, Some(&d), None, None);
    }
    let text = std::fs::read_to_string(data("gdal_written/expected.json")).unwrap();
    for (cut, _) in text.char_indices().step_by(7) {
        let _ = parse_geojson(&text[..cut]);
    }
}

#[test]
fn points_and_lines_round_trip_through_geojson() {
    let mut l = Layer::new("pts", Some(Crs::Epsg(4326)));
    l.push(Some(Point::new(113.1, 40.05).into()), vec![]);
    l.push(
        Some(LineString(vec![Coord { x: 1.0, y: 2.0 }, Coord { x: 3.0, y: 4.5 }]).into()),
        vec![],
    );
    let dir = tempfile::tempdir().unwrap();
    for f in ["p.geojson", "p.gpkg"] {
        let p = dir.path().join(f);
        write_vector(&p, &l).unwrap();
        assert_eq!(
            read_vector(&p, &ReadOptions::default()).unwrap().features,
            l.features
        );
    }
}

// ---------------------------------------------------------------------------------------------
// GDAL reads what we write.

fn python() -> Option<String> {
    match std::env::var("ECOPLAN_PY") {
        Ok(p) if !p.is_empty() => Some(p),
        _ => {
            if std::env::var("ECOPLAN_REQUIRE_INTEROP").as_deref() == Ok("1") {
                panic!("ECOPLAN_REQUIRE_INTEROP=1 but ECOPLAN_PY is not set");
            }
            eprintln!("skipped: ECOPLAN_PY not set");
            None
        }
    }
}

fn gdal_read(py: &str, file: &Path) -> serde_json::Value {
    let out = file.with_extension("gdal.json");
    let st = std::process::Command::new(py)
        .arg(data("gdal_vector_interop.py"))
        .args(["read"])
        .arg(file)
        .arg(&out)
        .status()
        .unwrap();
    assert!(st.success(), "GDAL could not read {}", file.display());
    serde_json::from_str(&std::fs::read_to_string(out).unwrap()).unwrap()
}

#[test]
fn gdal_reads_our_geojson_and_geopackage() {
    let Some(py) = python() else { return };
    let dir = tempfile::tempdir().unwrap();
    for (name, crs) in [
        ("ours.gpkg", 4547u32),
        ("ours.geojson", 4547),
        ("ours4326.geojson", 4326),
        ("ours4490.gpkg", 4490),
    ] {
        let layer = sample_layer(crs);
        let p = dir.path().join(name);
        write_vector(&p, &layer).unwrap();
        let g = gdal_read(&py, &p);
        assert_eq!(
            g["crs_epsg"].as_u64(),
            Some(crs as u64),
            "{name}: {}",
            g["crs_epsg"]
        );
        let feats = g["features"].as_array().unwrap();
        assert_eq!(feats.len(), layer.features.len());
        for (f, ours) in feats.iter().zip(&layer.features) {
            match &ours.geometry {
                None => assert!(f["geometry"].is_null()),
                Some(geom) => {
                    let theirs = parse_geojson(&f["geometry"].to_string()).unwrap();
                    assert_eq!(
                        normalize(theirs.features[0].geometry.as_ref().unwrap()),
                        normalize(geom),
                        "{name}"
                    );
                }
            }
            for (k, (field, _)) in layer.fields.iter().enumerate() {
                let theirs = &f["properties"][field];
                let want = &ours.properties[k];
                let ok = match want {
                    FieldValue::Null => theirs.is_null(),
                    FieldValue::Text(s) => theirs.as_str() == Some(s),
                    // pyogrio hands integer columns with nulls over as floats.
                    FieldValue::Int(i) => theirs.as_f64() == Some(*i as f64),
                    FieldValue::Real(r) => theirs.as_f64() == Some(*r),
                    FieldValue::Bool(b) => {
                        theirs.as_bool() == Some(*b) || theirs.as_f64() == Some(*b as u8 as f64)
                    }
                };
                assert!(ok, "{name} field {field}: GDAL {theirs} vs ours {want:?}");
            }
        }
        if name.ends_with(".gpkg") {
            assert_eq!(
                g["spatial_index"].as_bool(),
                Some(true),
                "GDAL should find our R-tree"
            );
            // GDAL appends a feature (firing our R-tree triggers) and finds it by bounding box.
            let out = dir.path().join("append.json");
            let st = std::process::Command::new(&py)
                .arg(data("gdal_vector_interop.py"))
                .arg("append")
                .arg(&p)
                .arg(&out)
                .status()
                .unwrap();
            assert!(st.success(), "GDAL could not append to {name}");
            let q: serde_json::Value =
                serde_json::from_str(&std::fs::read_to_string(&out).unwrap()).unwrap();
            assert_eq!(q["far"].as_u64(), Some(1), "{name}: {q}");
            assert_eq!(q["original_extent"].as_u64(), Some(2), "{name}: {q}");
            assert_eq!(
                read_vector(&p, &ReadOptions::default())
                    .unwrap()
                    .features
                    .len(),
                4
            );
            assert_eq!(g["layer"].as_str(), Some("分区 zones"));
            assert_eq!(
                g["fields"]["core"].as_str(),
                Some("OFTInteger"),
                "{}",
                g["fields"]
            );
        }
    }
}

#[test]
fn we_read_fresh_gdal_written_files() {
    let Some(py) = python() else { return };
    let dir = tempfile::tempdir().unwrap();
    let st = std::process::Command::new(&py)
        .arg(data("gdal_vector_interop.py"))
        .arg("write")
        .arg(dir.path())
        .status()
        .unwrap();
    assert!(st.success());
    let want =
        parse_geojson(&std::fs::read_to_string(dir.path().join("expected.json")).unwrap()).unwrap();
    let gbk = read_vector(&dir.path().join("sample_gbk.shp"), &ReadOptions::default()).unwrap();
    assert_same_features(&gbk, &want, ["NAME", "CODE", "SCORE"]);
    std::fs::remove_file(dir.path().join("sample_gbk.cpg")).unwrap();
    let auto = read_vector(&dir.path().join("sample_gbk.shp"), &ReadOptions::default()).unwrap();
    assert_same_features(&auto, &want, ["NAME", "CODE", "SCORE"]);
    let gpkg = read_vector(&dir.path().join("sample.gpkg"), &ReadOptions::default()).unwrap();
    assert_same_features(&gpkg, &want, ["名称", "code", "score"]);
    assert_eq!(gpkg.crs, Some(Crs::Epsg(4526)));
}
