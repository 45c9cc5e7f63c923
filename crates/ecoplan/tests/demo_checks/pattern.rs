//! Checks of the demo's `pattern` step (生态安全格局): the network table is consistent with the
//! link and source tables (γ = L/(3(V−2)), α = (L−V+1)/(2V−5)), the GeoPackage holds one line
//! per kept link and one polygon per source, sources lie inside the region with the areas the
//! table states, current flows along every least-cost path, pinch points lie in corridors,
//! barrier classes match their scores; GDAL reads the GeoPackage (with ECOPLAN_PY).

use ecoplan_grid::{AnyGrid, Grid};
use std::collections::BTreeMap;
use std::path::Path;

fn grid(path: &Path) -> AnyGrid {
    ecoplan_io::raster::read_raster(path).unwrap_or_else(|e| panic!("{}: {e}", path.display()))
}

fn f32_grid(path: &Path) -> Grid<f32> {
    match grid(path) {
        AnyGrid::F32(g) => g,
        other => panic!(
            "{} is {:?}, expected f32",
            path.display(),
            other.cell_type()
        ),
    }
}

fn csv_rows(path: &Path) -> (Vec<String>, Vec<Vec<String>>) {
    let text = std::fs::read_to_string(path).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
    let mut rd = csv::Reader::from_reader(text.as_bytes());
    let header = rd.headers().unwrap().iter().map(String::from).collect();
    let rows = rd
        .records()
        .map(|r| r.unwrap().iter().map(String::from).collect())
        .collect();
    (header, rows)
}

fn col(header: &[String], name: &str) -> usize {
    header
        .iter()
        .position(|h| h == name)
        .unwrap_or_else(|| panic!("no column {name} in {header:?}"))
}

pub fn check_pattern(out: &Path) {
    let dir = out.join("pattern");
    // Network table.
    let (h, rows) = csv_rows(&dir.join("network.csv"));
    assert_eq!(rows.len(), 1, "one network row");
    let r = &rows[0];
    let v: usize = r[col(&h, "nodes_V")].parse().unwrap();
    let l: usize = r[col(&h, "links_L")].parse().unwrap();
    let alpha: f64 = r[col(&h, "alpha")].parse().unwrap();
    let gamma: f64 = r[col(&h, "gamma")].parse().unwrap();
    assert!(v >= 3, "the demo finds at least 3 sources, got {v}");
    assert!((0.0..=1.0).contains(&gamma), "γ = {gamma}");
    assert!((gamma - l as f64 / (3.0 * (v as f64 - 2.0))).abs() < 1e-5);
    assert!((alpha - (l as f64 - v as f64 + 1.0) / (2.0 * v as f64 - 5.0)).abs() < 1e-5);
    // A connected network of V sources has at least V − 1 links (constellations reconnected).
    assert!(l + 1 >= v, "V = {v}, L = {l}");

    // Link table: kept links = L, each joins two distinct sources 1..=V, finite CWD/length.
    let (lh, links) = csv_rows(&dir.join("links.csv"));
    let kept: Vec<&Vec<String>> = links
        .iter()
        .filter(|r| r[col(&lh, "kept")] == "1")
        .collect();
    assert_eq!(kept.len(), l, "kept links in links.csv = L");
    for k in &kept {
        let a: usize = k[col(&lh, "source_a")].parse().unwrap();
        let b: usize = k[col(&lh, "source_b")].parse().unwrap();
        assert!(
            a != b && (1..=v).contains(&a) && (1..=v).contains(&b),
            "{k:?}"
        );
        let cwd: f64 = k[col(&lh, "cwd")].parse().unwrap();
        let len: f64 = k[col(&lh, "lcp_length_m")].parse().unwrap();
        // CWD ≥ path length × the smallest resistance (1) along it; ratio column agrees.
        assert!(cwd >= len * 0.999 && len > 0.0, "cwd {cwd} len {len}");
        let ratio: f64 = k[col(&lh, "cwd_to_path")].parse().unwrap();
        assert!((ratio - cwd / len).abs() <= 1e-6 * ratio.max(1.0));
    }

    // Network cost ratio = 1 − Σ LCP length / Σ LCD over the kept links (METHODS §3.6),
    // recomputed from the link table.
    let (sum_len, sum_cwd) = kept.iter().fold((0.0, 0.0), |(a, b), k| {
        (
            a + k[col(&lh, "lcp_length_m")].parse::<f64>().unwrap(),
            b + k[col(&lh, "cwd")].parse::<f64>().unwrap(),
        )
    });
    let cost_ratio: f64 = r[col(&h, "cost_ratio")].parse().unwrap();
    assert!(
        (cost_ratio - (1.0 - sum_len / sum_cwd)).abs() < 1e-5,
        "cost ratio {cost_ratio} vs {}",
        1.0 - sum_len / sum_cwd
    );
    assert!((0.0..1.0).contains(&cost_ratio));
    // Gravity classes: natural breaks of G over the kept links — every 重要 G ≥ every 一般 G,
    // both classes present when G varies, and the threshold in pattern.json separates them.
    let g_of = |k: &Vec<String>| k[col(&lh, "gravity")].parse::<f64>().unwrap();
    let important: Vec<f64> = kept
        .iter()
        .filter(|k| k[col(&lh, "corridor_class")].starts_with("重要"))
        .map(|k| g_of(k))
        .collect();
    let general: Vec<f64> = kept
        .iter()
        .filter(|k| k[col(&lh, "corridor_class")].starts_with("一般"))
        .map(|k| g_of(k))
        .collect();
    assert_eq!(
        important.len() + general.len(),
        l,
        "every kept link has a class"
    );
    assert!(
        !important.is_empty() && !general.is_empty(),
        "both gravity classes present"
    );
    let min_imp = important.iter().copied().fold(f64::INFINITY, f64::min);
    let max_gen = general.iter().copied().fold(f64::NEG_INFINITY, f64::max);
    assert!(
        min_imp > max_gen,
        "重要 min G {min_imp} ≤ 一般 max G {max_gen}"
    );
    let pj: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(dir.join("pattern.json")).unwrap()).unwrap();
    assert!((pj["gravity_threshold"].as_f64().unwrap() - min_imp).abs() <= 1e-9 * min_imp.abs());
    // The resistance table used is written next to the raster and recorded in the manifest.
    let table_csv = std::fs::read_to_string(dir.join("resistance_table.csv")).unwrap();
    assert!(table_csv.contains("# name: common_default"), "{table_csv}");

    // Planned corridor (synthesized): before = the current network, after adds its links;
    // γ, α, β recomputed from V and L, and Δγ = added/(3(V − 2)) > 0.
    let (ph, prow) = csv_rows(&dir.join("planned_network.csv"));
    assert_eq!(prow.len(), 3, "current, planned, change rows");
    let pv = |k: usize, c: &str| prow[k][col(&ph, c)].parse::<f64>().unwrap();
    assert_eq!(pv(0, "nodes_V") as usize, v);
    assert_eq!(pv(0, "links_L") as usize, l);
    assert_eq!(pv(1, "nodes_V") as usize, v);
    let added = pv(1, "added_links") as usize;
    assert!(added >= 1, "the planned corridor adds a link");
    assert_eq!(pv(1, "links_L") as usize, l + added);
    let vf = v as f64;
    for k in 0..2 {
        let lk = pv(k, "links_L");
        assert!((pv(k, "gamma") - lk / (3.0 * (vf - 2.0))).abs() < 1e-5);
        assert!((pv(k, "alpha") - (lk - vf + 1.0) / (2.0 * vf - 5.0)).abs() < 1e-5);
        assert!((pv(k, "beta") - lk / vf).abs() < 1e-5);
    }
    assert!((pv(2, "gamma") - added as f64 / (3.0 * (vf - 2.0))).abs() < 1e-5);
    // The planned pair was not a kept link before.
    let pairs_kept: Vec<(usize, usize)> = kept
        .iter()
        .map(|k| {
            let a: usize = k[col(&lh, "source_a")].parse().unwrap();
            let b: usize = k[col(&lh, "source_b")].parse().unwrap();
            (a.min(b), a.max(b))
        })
        .collect();
    let planned = ecoplan_io::vector::read_vector(
        &dir.join("pattern.gpkg"),
        &ecoplan_io::vector::ReadOptions {
            layer: Some("planned_corridors".into()),
            ..Default::default()
        },
    )
    .unwrap();
    assert_eq!(planned.features.len(), 1);
    let links_text = planned.features[0]
        .get(&planned, "links")
        .unwrap()
        .as_str()
        .unwrap()
        .to_string();
    let new_pairs = links_text
        .split(';')
        .map(|p| {
            let (a, b) = p.split_once('-').unwrap();
            (a.parse::<usize>().unwrap(), b.parse::<usize>().unwrap())
        })
        .filter(|p| !pairs_kept.contains(p))
        .count();
    assert_eq!(
        new_pairs, added,
        "planned links {links_text} vs kept {pairs_kept:?}"
    );

    // Sources: V rows, dPC descending, areas = cells × 0.09 ha, cells inside the region.
    let (sh, srcs) = csv_rows(&dir.join("sources.csv"));
    assert_eq!(srcs.len(), v);
    let dpc: Vec<f64> = srcs
        .iter()
        .map(|r| r[col(&sh, "dpc_percent")].parse().unwrap())
        .collect();
    assert!(dpc.windows(2).all(|w| w[0] >= w[1]), "dPC ranking {dpc:?}");
    let ids = match grid(&dir.join("sources.tif")) {
        AnyGrid::U32(g) => g,
        other => panic!("sources.tif is {:?}", other.cell_type()),
    };
    let mask = match grid(&out.join("region/mask.tif")) {
        AnyGrid::U8(g) => g,
        other => panic!("mask is {:?}", other.cell_type()),
    };
    let mut cells: BTreeMap<u32, u64> = BTreeMap::new();
    for (i, &id) in ids.data.iter().enumerate() {
        if id != 0 {
            assert_eq!(mask.data[i], 1, "source cell {i} outside the region");
            *cells.entry(id).or_default() += 1;
        }
    }
    assert_eq!(cells.len(), v);
    for r in &srcs {
        let id: u32 = r[col(&sh, "source_id")].parse().unwrap();
        let area: f64 = r[col(&sh, "area_ha")].parse().unwrap();
        assert!(
            (area - cells[&id] as f64 * 0.09).abs() < 1e-3,
            "source {id}"
        );
        assert!(
            area >= 100.0,
            "source {id} is {area} ha < the 100 ha minimum"
        );
    }

    // GeoPackage: one line per kept link, one (multi)polygon per source.
    let gpkg = dir.join("pattern.gpkg");
    let layers = ecoplan_io::vector::list_gpkg_layers(&gpkg).unwrap();
    let count = |name: &str| {
        layers
            .iter()
            .find(|x| x.name == name)
            .unwrap_or_else(|| panic!("no layer {name} in pattern.gpkg"))
            .feature_count as usize
    };
    assert_eq!(count("corridors"), l);
    assert_eq!(count("sources"), v);
    let lines = ecoplan_io::vector::read_vector(
        &gpkg,
        &ecoplan_io::vector::ReadOptions {
            layer: Some("corridors".into()),
            ..Default::default()
        },
    )
    .unwrap();
    assert_eq!(lines.crs, Some(ecoplan_grid::Crs::Epsg(4547)));

    // Current along the least-cost paths (NLCC = 0 there), outside the sources.
    let cur = f32_grid(&dir.join("current.tif"));
    let cor = f32_grid(&dir.join("corridors.tif"));
    let mut on_path = 0;
    for i in 0..cor.data.len() {
        let c = cor.data[i];
        if !cor.is_nodata(c) && c <= 1.0 && ids.data[i] == 0 {
            on_path += 1;
            assert!(cur.data[i] > 0.0, "no current on least-cost path cell {i}");
        }
    }
    assert!(on_path > 0, "no least-cost path cells found");

    // Pinch points lie in corridors; barrier classes 1/2 have positive scores, class 1 the
    // highest.
    if dir.join("pinch_points.tif").exists() {
        let pp = match grid(&dir.join("pinch_points.tif")) {
            AnyGrid::U8(g) => g,
            other => panic!("pinch_points.tif is {:?}", other.cell_type()),
        };
        let n = pp.data.iter().filter(|&&x| x == 1).count();
        assert!(n > 0, "no pinch points");
        for (i, &x) in pp.data.iter().enumerate() {
            if x == 1 {
                assert!(
                    !cor.is_nodata(cor.data[i]),
                    "pinch point {i} outside the corridors"
                );
            }
        }
    }
    if dir.join("barrier_class.tif").exists() {
        let class = match grid(&dir.join("barrier_class.tif")) {
            AnyGrid::U8(g) => g,
            other => panic!("barrier_class.tif is {:?}", other.cell_type()),
        };
        let score = f32_grid(&dir.join("barriers.tif"));
        let (mut min1, mut max2) = (f32::INFINITY, f32::NEG_INFINITY);
        for (i, &k) in class.data.iter().enumerate() {
            match k {
                0 => {}
                1 => min1 = min1.min(score.data[i]),
                2 => max2 = max2.max(score.data[i]),
                other => panic!("barrier class {other}"),
            }
            if k != 0 {
                assert!(score.data[i] > 0.0);
            }
        }
        assert!(min1 >= max2, "一级 scores ≥ 二级 scores ({min1} vs {max2})");
    }

    // The manifest records the parameters and the same γ.
    let m: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(out.join("manifest.json")).unwrap()).unwrap();
    let p = &m["parameters"]["pattern"];
    assert!((p["network"]["gamma"].as_f64().unwrap() - gamma).abs() < 1e-9);
    assert_eq!(p["params"]["min_area_ha"].as_f64(), Some(100.0));

    // GDAL (pyogrio) reads the GeoPackage with the same feature counts.
    let Some(py) = std::env::var_os("ECOPLAN_PY") else {
        if std::env::var("ECOPLAN_REQUIRE_INTEROP").as_deref() == Ok("1") {
            panic!("ECOPLAN_REQUIRE_INTEROP=1 but ECOPLAN_PY is not set");
        }
        eprintln!("skipped: ECOPLAN_PY not set");
        return;
    };
    let script = "import sys, pyogrio\n\
                  p = sys.argv[1]\n\
                  for name in ('corridors', 'sources', 'nodes'):\n    \
                      print(name, pyogrio.read_info(p, layer=name)['features'])\n";
    let res = std::process::Command::new(py)
        .args(["-c", script])
        .arg(&gpkg)
        .output()
        .expect("run python");
    let stdout = String::from_utf8_lossy(&res.stdout);
    assert!(
        res.status.success(),
        "pyogrio failed: {stdout}\n{}",
        String::from_utf8_lossy(&res.stderr)
    );
    assert!(stdout.contains(&format!("corridors {l}\n")), "{stdout}");
    assert!(stdout.contains(&format!("sources {v}\n")), "{stdout}");
}
