//! Checks of the demo's `scenario` step, recomputed here from the run's rasters and the shipped
//! carbon-pool preset (independently of the library code): Δcarbon of all projects equals the
//! pool difference summed over changed cells; per-project deltas of the (non-overlapping) demo
//! projects add up to the total for additive services; restoration never lowers carbon.

use super::util::{num, rows, u8_grid};
use std::collections::HashMap;
use std::path::Path;

fn pools() -> HashMap<u8, f64> {
    let p = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../../presets/scenario/carbon_pools_common_classes.csv");
    rows(&p)
        .iter()
        .map(|r| {
            let t: f64 = ["c_above", "c_below", "c_soil", "c_dead"]
                .iter()
                .map(|c| num(r, c))
                .sum();
            (r["lucode"].parse().unwrap(), t)
        })
        .collect()
}

fn close(a: f64, b: f64, rel: f64) -> bool {
    (a - b).abs() <= rel * a.abs().max(b.abs()).max(1.0)
}

pub fn check_scenario(out: &Path) {
    let dir = out.join("scenario");
    let mask = u8_grid(&out.join("region/mask.tif"));
    let before = u8_grid(&out.join("layers/landuse.tif"));
    let after = u8_grid(&dir.join("landuse_scenario.tif"));
    assert_eq!(before.len(), after.len());
    let cell_ha = 0.09;
    let pools = pools();
    let (mut d_carbon, mut changed, mut forest_before, mut forest_after, mut inside) =
        (0.0, 0u64, 0i64, 0i64, 0u64);
    for i in 0..mask.len() {
        if mask[i] != 1 {
            assert_eq!(
                after[i], 0,
                "cell {i} outside the region has a scenario class"
            );
            continue;
        }
        inside += 1;
        let (b, a) = (before[i], after[i]);
        forest_before += i64::from(b == 3);
        forest_after += i64::from(a == 3);
        if a != b {
            changed += 1;
            // restoration targets only: 林地, 草地, 湿地
            assert!([3, 5, 6].contains(&a), "cell {i}: {b} → {a}");
            d_carbon += (pools[&a] - pools[&b]) * cell_ha;
        }
    }
    assert!(changed > 100, "only {changed} cells changed");
    let t = rows(&dir.join("benefits.csv"));
    let total = t
        .iter()
        .find(|r| r["项目"].starts_with("合计"))
        .expect("合计 row");
    let projects: Vec<_> = t
        .iter()
        .filter(|r| !r["项目"].starts_with("合计") && !r["项目"].starts_with("基准"))
        .collect();
    assert!(
        (5..=8).contains(&projects.len()),
        "{} projects",
        projects.len()
    );
    // Δcarbon of the total = Σ over changed cells of the pool difference × cell area.
    assert!(
        close(num(total, "Δ碳储量 t"), d_carbon, 1e-6),
        "{} vs {d_carbon}",
        num(total, "Δ碳储量 t")
    );
    // Changed area = cells whose class changed + cells of P-only measures (坡改梯).
    let p_only: f64 = projects
        .iter()
        .filter(|r| r["项目"].contains("坡改梯"))
        .map(|r| num(r, "变化面积 公顷"))
        .sum();
    assert!(close(
        num(total, "变化面积 公顷"),
        changed as f64 * cell_ha + p_only,
        1e-9
    ));
    // 森林覆盖率 change recomputed from the two land-use rasters.
    let d_forest = (forest_after - forest_before) as f64 / inside as f64 * 100.0;
    assert!(
        close(num(total, "Δ森林覆盖率 %"), d_forest, 1e-9),
        "{} vs {d_forest}",
        num(total, "Δ森林覆盖率 %")
    );
    // Non-overlapping projects: additive services add up.
    for col in [
        "Δ碳储量 t",
        "Δ土壤保持量 t/a",
        "Δ水源涵养量 m³/a",
        "Δ森林覆盖率 %",
        "变化面积 公顷",
        "Δ湿地面积 公顷",
    ] {
        let s: f64 = projects.iter().map(|r| num(r, col)).sum();
        assert!(
            close(s, num(total, col), 1e-6),
            "{col}: Σ projects {s} vs total {}",
            num(total, col)
        );
    }
    for r in &projects {
        let name = &r["项目"];
        // converting cropland/mines/grass to forest, grass or wetland never lowers carbon
        assert!(
            num(r, "Δ碳储量 t") >= 0.0,
            "{name}: Δcarbon {}",
            num(r, "Δ碳储量 t")
        );
        assert!(num(r, "变化面积 公顷") > 0.0, "{name} changed nothing");
        if name.contains("坡改梯") {
            // a P-factor measure: no class change, soil conservation rises
            assert_eq!(num(r, "Δ碳储量 t"), 0.0);
            assert!(num(r, "Δ土壤保持量 t/a") > 0.0);
        }
        if name.contains("退耕还林") {
            assert!(num(r, "Δ森林覆盖率 %") > 0.0 && num(r, "Δ耕地面积 公顷") < 0.0);
        }
    }
    // 草原综合植被盖度, recomputed: cover = FVC of NDVI with the 5 %/95 % values of all valid NDVI
    // as end-members (f32, NaN outside the region); the base value is the mean cover of grassland
    // (5) cells; after all projects, cells that became grassland have at least the base grassland
    // median cover (0.001 bins). Projects that neither make nor remove grassland leave it alone.
    let ndvi = ecoplan_io::raster::read_raster(&out.join("layers/ndvi.tif"))
        .unwrap()
        .to_f32();
    let valid = |x: f32| x.is_finite() && !ndvi.is_nodata(x);
    let mut sorted: Vec<f32> = ndvi.data.iter().copied().filter(|&x| valid(x)).collect();
    sorted.sort_by(f32::total_cmp);
    let q = |f: f64| sorted[(f * (sorted.len() - 1) as f64).round() as usize] as f64;
    let (soil, veg) = (q(0.05), q(0.95));
    let cover: Vec<f32> = (0..mask.len())
        .map(|i| match ndvi.data[i] {
            x if mask[i] == 1 && valid(x) => {
                ((x as f64 - soil) / (veg - soil)).clamp(0.0, 1.0) as f32
            }
            _ => f32::NAN,
        })
        .collect();
    let mut hist = vec![0u64; 1001];
    for i in 0..mask.len() {
        if mask[i] == 1 && before[i] == 5 && cover[i].is_finite() {
            hist[(cover[i] * 1000.0).round() as usize] += 1;
        }
    }
    let n_grass: u64 = hist.iter().sum();
    let mut acc = 0;
    let median = hist
        .iter()
        .position(|&h| {
            acc += h;
            2 * acc >= n_grass
        })
        .unwrap() as f32
        / 1000.0;
    let mean_of = |class: &[u8], raise: bool| -> f64 {
        let (mut sum, mut n) = (0.0f64, 0u64);
        for i in 0..mask.len() {
            let mut c = cover[i];
            if raise && before[i] != 5 && after[i] == 5 && (c.is_nan() || c < median) {
                c = median;
            }
            if mask[i] == 1 && class[i] == 5 && c.is_finite() {
                sum += c as f64;
                n += 1;
            }
        }
        100.0 * sum / n as f64
    };
    let (fvc_base, fvc_after) = (mean_of(&before, false), mean_of(&after, true));
    let col = "Δ草原综合植被盖度 %";
    let base_row = t.iter().find(|r| r["项目"].starts_with("基准")).unwrap();
    assert!(
        (num(base_row, col) - fvc_base).abs() < 1e-6,
        "base {} vs {fvc_base}",
        num(base_row, col)
    );
    assert!(
        (num(total, col) - (fvc_after - fvc_base)).abs() < 1e-6,
        "total Δ {} vs {}",
        num(total, col),
        fvc_after - fvc_base
    );
    for r in &projects {
        if r["项目"].contains("坡改梯") || r["项目"].contains("退耕还林") {
            assert!(num(r, col).abs() < 1e-6, "{}: {}", r["项目"], num(r, col));
        }
    }
    // Removing cropland and mining threats and adding habitat raises habitat quality overall.
    assert!(num(total, "Δ生境质量面积加权 公顷") > 0.0);
    // The projects layer carries the synthesized-geometry note and the same Δ values.
    let gp =
        ecoplan_io::vector::read_vector(&dir.join("projects.gpkg"), &Default::default()).unwrap();
    assert_eq!(gp.features.len(), projects.len());
    for (f, r) in gp.features.iter().zip(&projects) {
        assert!(f
            .get(&gp, "note")
            .unwrap()
            .as_str()
            .unwrap()
            .contains("SYNTHESIZED"));
        assert!(close(
            f.get(&gp, "d_carbon_t").unwrap().as_f64().unwrap(),
            num(r, "Δ碳储量 t"),
            1e-9
        ));
    }
    // Network indices (METHODS §3.6, same node set): recomputed from network.csv's counts —
    // α = (L − V + 1)/(2V − 5), β = L/V, γ = L/(3(V − 2)) with L = existing + planned links —
    // for every row. The base has no planned links; the total adds the planned corridor's
    // link(s) to the base network, so Δγ = added/(3(V − 2)) > 0, and it is benefits.csv's Δγ.
    let net = rows(&dir.join("network.csv"));
    let find = |p: &str| {
        net.iter()
            .find(|r| r["scenario"].starts_with(p))
            .unwrap_or_else(|| panic!("no {p} row in scenario/network.csv"))
    };
    for r in &net {
        let (v, l) = (num(r, "nodes_V"), num(r, "links_L"));
        assert_eq!(
            l,
            num(r, "existing_links") + num(r, "planned_links_added"),
            "{r:?}"
        );
        assert!(
            close(num(r, "alpha"), (l - v + 1.0) / (2.0 * v - 5.0), 1e-9),
            "{r:?}"
        );
        assert!(close(num(r, "beta"), l / v, 1e-9), "{r:?}");
        assert!(close(num(r, "gamma"), l / (3.0 * (v - 2.0)), 1e-9), "{r:?}");
        // 1 − Σ length/Σ LCD with resistance ≥ 1 lies in [0, 1); it may be unknown (empty)
        // only when a planned pair has no least-cost distance.
        if !r["cost_ratio"].is_empty() || num(r, "planned_links_added") == 0.0 {
            let cr = num(r, "cost_ratio");
            assert!((0.0..1.0).contains(&cr), "cost ratio {cr}: {r:?}");
        }
        // Planned pairs name two distinct sources of the network.
        for pair in r["planned_pairs"].split(';').filter(|s| !s.is_empty()) {
            let (a, b) = pair.split_once('-').unwrap();
            let (a, b): (f64, f64) = (a.parse().unwrap(), b.parse().unwrap());
            assert!(
                a != b && (1.0..=v).contains(&a) && (1.0..=v).contains(&b),
                "{r:?}"
            );
        }
    }
    let (base_row, total_row) = (find("基准"), find("合计"));
    assert_eq!(num(base_row, "planned_links_added"), 0.0);
    // Same node set and existing links before and after.
    assert_eq!(num(base_row, "nodes_V"), num(total_row, "nodes_V"));
    assert_eq!(
        num(base_row, "existing_links"),
        num(total_row, "existing_links")
    );
    assert!(!total_row["planned_pairs"].is_empty(), "{total_row:?}");
    let added = num(total_row, "planned_links_added");
    assert!(added >= 1.0, "{total_row:?}");
    let v = num(base_row, "nodes_V");
    let d_gamma = num(total_row, "gamma") - num(base_row, "gamma");
    assert!(d_gamma > 0.0, "Δγ = {d_gamma} with planned corridors");
    assert!(
        close(d_gamma, added / (3.0 * (v - 2.0)), 1e-9),
        "Δγ {d_gamma}"
    );
    assert!(
        close(num(total, "Δ连通度γ"), d_gamma, 1e-6),
        "benefits Δγ {} vs network.csv {d_gamma}",
        num(total, "Δ连通度γ")
    );
    // Per project: only the planned corridor changes γ, by the links it adds.
    for r in net
        .iter()
        .filter(|r| !r["scenario"].starts_with("基准") && !r["scenario"].starts_with("合计"))
    {
        let dg = num(r, "gamma") - num(base_row, "gamma");
        if r["scenario"].contains("生态廊道") {
            assert!(dg > 0.0, "{r:?}");
        } else {
            assert_eq!(dg, 0.0, "{r:?}");
        }
    }
    assert!(
        projects.iter().any(|r| r["项目"].contains("生态廊道")),
        "a planned-corridor project"
    );
    let m: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(out.join("manifest.json")).unwrap()).unwrap();
    assert_eq!(m["parameters"]["scenario"]["synthesized"], true);
}
