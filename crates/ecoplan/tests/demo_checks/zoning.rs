//! Checks of the demo's `zoning` step: zones partition the region, percentages add up, key areas
//! respect the minimum area, conflicts and indicator baselines equal what these checks recompute
//! from the run's rasters (independently of the library code).

use super::util::{num, rows, u8_grid};
use ecoplan_grid::AnyGrid;
use std::path::Path;

pub fn check_zoning(out: &Path) {
    let mask = u8_grid(&out.join("region/mask.tif"));
    let lu = u8_grid(&out.join("layers/landuse.tif"));
    let importance = u8_grid(&out.join("assess/importance.tif"));
    let soil = u8_grid(&out.join("assess/soil_loss_class.tif"));
    let inside: Vec<bool> = mask.iter().map(|v| *v == 1).collect();
    let n_inside = inside.iter().filter(|v| **v).count() as f64;
    let cell_m2 = 900.0;
    let region_km2 = n_inside * cell_m2 / 1e6;
    let z = out.join("zoning");

    // Zones partition the region (both methods): areas sum to the region within one cell,
    // percentages to 100, every zone has a generated name ending in 区, and the zone raster agrees.
    for layer in ["zones_matrix", "zones_kmeans", "zones_sofm"] {
        let zs = rows(&z.join(format!("{layer}.csv")));
        assert!(
            !zs.is_empty() && zs.len() <= 12,
            "{layer}: {} zones",
            zs.len()
        );
        let km2: f64 = zs.iter().map(|r| num(r, "面积（平方千米）")).sum();
        assert!(
            (km2 - region_km2).abs() <= cell_m2 / 1e6 + 1e-5,
            "{layer}: {km2} vs {region_km2}"
        );
        let pct: f64 = zs.iter().map(|r| num(r, "占比（%）")).sum();
        assert!(
            (pct - 100.0).abs() < 0.01,
            "{layer}: percentages sum to {pct}"
        );
        for r in &zs {
            let name = &r["分区名称"];
            assert!(name.ends_with("区") && name.chars().count() >= 6, "{name}");
            // 公顷, 亩 and km² agree (1 km² = 100 公顷 = 1500 亩).
            let (ha, mu) = (num(r, "面积（公顷）"), num(r, "面积（亩）"));
            assert!(
                (ha * 15.0 - mu).abs() < 0.01
                    && (ha / 100.0 - num(r, "面积（平方千米）")).abs() < 1e-5
            );
        }
        let ids = match ecoplan_io::raster::read_raster(&z.join(format!("{layer}.tif"))).unwrap() {
            AnyGrid::U32(g) => g.data,
            other => panic!("{layer}.tif is {:?}", other.cell_type()),
        };
        for (i, id) in ids.iter().enumerate() {
            assert_eq!(
                *id != 0,
                inside[i],
                "{layer}.tif cell {i}: zoned iff inside the region"
            );
        }
        for r in &zs {
            let id: u32 = r["编号"].parse().unwrap();
            let cells = ids.iter().filter(|v| **v == id).count() as f64;
            assert!(
                (cells * cell_m2 / 1e4 - num(r, "面积（公顷）")).abs() < 0.01,
                "{layer} zone {id}"
            );
        }
    }

    // Key areas: each at least the minimum area (100 公顷 by default, from the manifest).
    let m: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(out.join("manifest.json")).unwrap()).unwrap();
    let min_ha = m["parameters"]["zoning"]["key_min_area_ha"]
        .as_f64()
        .unwrap();
    let ks = rows(&z.join("key_areas.csv"));
    assert!(!ks.is_empty(), "no key areas");
    for r in &ks {
        assert!(num(r, "面积（公顷）") >= min_ha, "{r:?}");
    }

    // 三生空间 areas sum to the region; conflict rule 1 (城镇空间 ∩ 极重要) recomputed.
    let sp = rows(&z.join("spaces.csv"));
    let sp_km2: f64 = sp.iter().map(|r| num(r, "面积（平方千米）")).sum();
    assert!(
        (sp_km2 - region_km2).abs() < 1e-4,
        "{sp_km2} vs {region_km2}"
    );
    let urban_extreme = (0..lu.len())
        .filter(|&i| inside[i] && (lu[i] == 8 || lu[i] == 9) && importance[i] == 3)
        .count() as i64;
    let cf = rows(&z.join("conflicts.csv"));
    let r1 = cf
        .iter()
        .find(|r| r["规则"] == "urban_in_extreme_importance")
        .unwrap();
    assert_eq!(r1["栅格数"].parse::<i64>().unwrap(), urban_extreme);
    let steep = cf.iter().find(|r| r["规则"] == "steep_cropland").unwrap();
    assert_eq!(steep["是否评价"], "是");

    // Indicator table: baselines recomputed from the rasters.
    let ind = rows(&out.join("tables/indicators.csv"));
    assert_eq!(ind.len(), 19, "the 云冈区 plan has 19 indicators");
    let get = |name: &str| -> f64 {
        let r = ind
            .iter()
            .find(|r| r["指标名称"] == name)
            .unwrap_or_else(|| panic!("{name}"));
        num(r, "基期值（图层计算）")
    };
    let count =
        |f: &dyn Fn(usize) -> bool| (0..lu.len()).filter(|&i| inside[i] && f(i)).count() as f64;
    let forest = 100.0 * count(&|i| lu[i] == 3) / n_inside;
    assert!(
        (get("森林覆盖率") - forest).abs() < 1e-3,
        "{} vs {forest}",
        get("森林覆盖率")
    );
    let crop_km2 = count(&|i| lu[i] == 1) * cell_m2 / 1e6;
    assert!((get("耕地保有量") - crop_km2).abs() < 1e-3);
    let water_wanmu = count(&|i| lu[i] == 6 || lu[i] == 7) * cell_m2 / (1e4 / 15.0) / 1e4;
    assert!((get("水域空间保有量") - water_wanmu).abs() < 1e-3);
    let classed = count(&|i| (1..=6).contains(&soil[i]));
    let rate = 100.0 * count(&|i| soil[i] == 1) / classed;
    assert!(
        (get("水土保持率") - rate).abs() < 1e-3,
        "{} vs {rate}",
        get("水土保持率")
    );
    // 草原综合植被盖度: FVC with NDVI 5 %/95 % percentiles of the region's NDVI (exact sort here;
    // the library bins NDVI at 1e-4, hence the tolerance).
    let ndvi = ecoplan_io::raster::read_raster(&out.join("layers/ndvi.tif"))
        .unwrap()
        .to_f32()
        .data;
    let mut v: Vec<f32> = (0..ndvi.len())
        .filter(|&i| inside[i] && ndvi[i].is_finite())
        .map(|i| ndvi[i])
        .collect();
    v.sort_by(|a, b| a.partial_cmp(b).unwrap());
    let pct = |p: f64| v[((p / 100.0) * (v.len() - 1) as f64).round() as usize] as f64;
    let (soil_n, veg_n) = (pct(5.0), pct(95.0));
    let (mut sum, mut n) = (0.0, 0.0);
    for i in 0..lu.len() {
        if inside[i] && lu[i] == 5 && ndvi[i].is_finite() {
            sum += ((ndvi[i] as f64 - soil_n) / (veg_n - soil_n)).clamp(0.0, 1.0);
            n += 1.0;
        }
    }
    let fvc = 100.0 * sum / n;
    assert!(
        (get("草原综合植被盖度") - fvc).abs() < 0.1,
        "{} vs {fvc}",
        get("草原综合植被盖度")
    );
    // Achievement rate of a 保持 indicator = computed / target (耕地保有量 ≥ 165.29 km²).
    let crop = ind.iter().find(|r| r["指标名称"] == "耕地保有量").unwrap();
    assert!((num(crop, "2025年目标达成率") - get("耕地保有量") / 165.29).abs() < 1e-3);
    // γ is the pattern step's (network.csv) when the run has one.
    let gamma_row = ind
        .iter()
        .find(|r| r["指标名称"] == "生态廊道连通性")
        .unwrap();
    let net = out.join("pattern/network.csv");
    if net.exists() {
        let n = rows(&net);
        let g: f64 = n[0]["gamma"].parse().unwrap();
        assert!(
            (num(gamma_row, "基期值（图层计算）") - g).abs() < 1e-4,
            "{gamma_row:?}"
        );
    } else {
        assert_eq!(gamma_row["基期值（图层计算）"], "");
    }
    // Stated baselines are the printed ones.
    let forest_row = ind.iter().find(|r| r["指标名称"] == "森林覆盖率").unwrap();
    assert_eq!(forest_row["基期值（规划文本）"], "13.43");

    // SYNTHESIZED red line, recomputed: 8-connected 极重要 (3) patches inside the region of at
    // least 100 公顷 (1112 cells of 900 m²).
    let (w, h) = {
        let g = ecoplan_io::raster::read_raster(&out.join("assess/importance.tif")).unwrap();
        (g.spec().width, g.spec().height)
    };
    let core = |i: usize| inside[i] && importance[i] == 3;
    let mut red = vec![false; w * h];
    let mut seen = vec![false; w * h];
    for s0 in 0..w * h {
        if seen[s0] || !core(s0) {
            continue;
        }
        seen[s0] = true;
        let (mut stack, mut patch) = (vec![s0], Vec::new());
        while let Some(i) = stack.pop() {
            patch.push(i);
            let (r, c) = (i / w, i % w);
            for rr in r.saturating_sub(1)..=(r + 1).min(h - 1) {
                for cc in c.saturating_sub(1)..=(c + 1).min(w - 1) {
                    let j = rr * w + cc;
                    if !seen[j] && core(j) {
                        seen[j] = true;
                        stack.push(j);
                    }
                }
            }
        }
        if patch.len() as f64 * cell_m2 >= 100.0 * 1e4 {
            for i in patch {
                red[i] = true;
            }
        }
    }
    let synth = u8_grid(&z.join("red_line_SYNTHESIZED.tif"));
    for i in 0..w * h {
        assert_eq!(synth[i] == 1, red[i], "red_line_SYNTHESIZED.tif cell {i}");
    }
    let red_cells = red.iter().filter(|v| **v).count() as f64;
    assert!(red_cells > 0.0, "the synthesized red line is empty");
    let rl = ind
        .iter()
        .find(|r| r["指标名称"] == "生态保护红线")
        .unwrap();
    assert!(
        (num(rl, "基期值（图层计算）") - red_cells * cell_m2 / 1e6).abs() < 1e-4,
        "{rl:?}"
    );
    assert!(rl["计算方法或未计算原因"].contains("SYNTHESIZED"), "{rl:?}");
    // The red-line conflict rule is evaluated on it: 采矿用地 (9) inside the red line.
    let mining_red = count(&|i| lu[i] == 9 && red[i]) as i64;
    let r4 = cf
        .iter()
        .find(|r| r["规则"] == "mining_in_red_line")
        .unwrap();
    assert_eq!(r4["是否评价"], "是");
    assert_eq!(r4["栅格数"].parse::<i64>().unwrap(), mining_red);

    // Stability check: every clustering perturbed 8 ways, the matrix 6; ARI within [−1, 1].
    let st = rows(&z.join("zoning_stability.csv"));
    for (layer, n) in [("zones_matrix", 6), ("zones_kmeans", 8), ("zones_sofm", 8)] {
        let aris: Vec<f64> = st
            .iter()
            .filter(|r| r["分区图层"] == layer)
            .map(|r| num(r, "调整兰德指数 ARI"))
            .collect();
        assert_eq!(aris.len(), n, "{layer}");
        assert!(aris.iter().all(|a| (-1.0..=1.0).contains(a)), "{aris:?}");
    }

    // SCCI per zoning unit: areas partition the region, values 0–1 with both ends, grades are
    // the quarters of the value, CI ≥ 1 (fractal dimension), FI within 1/6…1.
    let sc = rows(&z.join("scci.csv"));
    let km2: f64 = sc.iter().map(|r| num(r, "面积（平方千米）")).sum();
    assert!((km2 - region_km2).abs() < 1e-3, "{km2} vs {region_km2}");
    let grades = ["稳定可控", "基本可控", "基本失控", "严重失控"];
    let (mut lo, mut hi) = (f64::MAX, f64::MIN);
    for r in &sc {
        let v = num(r, "景观冲突指数 SCCI（0–1）");
        lo = lo.min(v);
        hi = hi.max(v);
        let q = ((v * 4.0).floor() as usize).min(3);
        // Rounded to 6 places in the table: allow the quarter boundary either way.
        let g = grades.iter().position(|g| *g == r["冲突等级"]).unwrap();
        assert!(
            g == q || (v * 4.0 - (v * 4.0).round()).abs() < 1e-5,
            "{r:?}"
        );
        assert!(num(r, "复杂性指数 CI") >= 1.0 - 1e-9, "{r:?}");
        let fi = num(r, "脆弱性指数 FI");
        assert!((1.0 / 6.0 - 1e-6..=1.0 + 1e-9).contains(&fi), "{r:?}");
        let raw = num(r, "复杂性指数 CI") + fi - num(r, "稳定性指数 SI");
        assert!(
            (raw - num(r, "冲突指数原值 CI+FI−SI")).abs() < 1e-5,
            "{r:?}"
        );
    }
    assert_eq!((lo, hi), (0.0, 1.0));
}
