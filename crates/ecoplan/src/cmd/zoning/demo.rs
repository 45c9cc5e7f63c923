//! The demo's `zoning` step: zones and key areas for 云冈区 from the run's layers and assessment,
//! and the plan's indicator table (the 19 indicators of the 云冈区 plan) with baselines computed
//! from the run's layers where a layer exists.

use super::{compute, csv_zh, round, write_outputs, ZoningInputs, ZoningSettings};
use crate::demo::DemoContext;
use crate::tables::{Table, Value};
use anyhow::{bail, Context, Result};
use ecoplan_grid::{AnyGrid, Grid};
use ecoplan_plan::indicators::{self, achievement_rate, IndicatorParams};
use ecoplan_plan::{Direction, Plan};
use std::path::Path;

/// The 云冈区 plan as transcribed (examples/plans/000_yungang/plan.toml).
pub const YUNGANG_PLAN: &str = include_str!("../../../../../examples/plans/000_yungang/plan.toml");

/// A baseline computed from layers, or why it was not.
#[derive(Debug, Clone, PartialEq)]
pub struct Baseline {
    /// `None` when it could not be computed.
    pub value: Option<f64>,
    /// How it was computed, or why not.
    pub method: String,
}

/// The layers the indicators read, all masked to the region (nodata outside).
pub struct IndicatorLayers<'a> {
    pub landuse: &'a Grid<u8>,
    pub ndvi: Option<&'a Grid<f32>>,
    pub soil_loss_class: Option<&'a Grid<u8>>,
    /// γ with where it came from.
    pub gamma: Option<(f64, String)>,
    /// 生态保护红线 mask (non-zero inside) with where it came from.
    pub red_line: Option<(&'a Grid<u8>, String)>,
    /// 自然保护地 mask (non-zero inside) with where it came from.
    pub protected: Option<(&'a Grid<u8>, String)>,
}

/// Baseline of a plan indicator from the layers (matched by the indicator's name; area results in
/// the indicator's own unit).
pub fn baseline_for(name: &str, unit: &str, l: &IndicatorLayers) -> Baseline {
    let p = IndicatorParams::default();
    let fail = |why: String| Baseline {
        value: None,
        method: why,
    };
    let ok = |v: f64, how: &str| Baseline {
        value: Some(v),
        method: how.to_string(),
    };
    let area = |classes: &[u32], how: &str| -> Baseline {
        match indicators::class_area(l.landuse, classes, "m²") {
            Ok(v) => match ecoplan_plan::qty::convert(v.value, "m²", unit) {
                Some(x) => ok(x, how),
                None => fail(format!("单位 {unit} 不是面积单位 not an area unit")),
            },
            Err(e) => fail(e.to_string()),
        }
    };
    let n = name.trim();
    if n == "耕地保有量" {
        return area(&p.cropland_classes, "class_area: 耕地 (地类 1) 面积");
    }
    if n == "水域空间保有量" {
        return area(&[6, 7], "class_area: 湿地 + 水域 (地类 6, 7) 面积");
    }
    if n == "森林覆盖率" {
        return match indicators::forest_cover(l.landuse, &p) {
            Ok(v) => ok(v.value, "forest_cover: 林地 (地类 3) / 土地总面积"),
            Err(e) => fail(e.to_string()),
        };
    }
    if n == "草原综合植被盖度" {
        let Some(ndvi) = l.ndvi else {
            return fail("无 NDVI 图层 no NDVI layer".into());
        };
        return match indicators::grassland_fvc(ndvi, l.landuse, &p) {
            Ok(v) => ok(
                v.value,
                "grassland_fvc: 草地 (地类 5) 像元二分 FVC 面积加权均值, NDVI 5%/95% 分位数为裸土/全覆盖",
            ),
            Err(e) => fail(e.to_string()),
        };
    }
    if n == "水土保持率" {
        let Some(c) = l.soil_loss_class else {
            return fail("无土壤侵蚀强度分级图层 no soil-loss class layer (assess step)".into());
        };
        return match indicators::soil_conservation_rate(c, &p) {
            Ok(v) => ok(v.value, "soil_conservation_rate: 微度侵蚀 (SL 190 class 1) 面积 / 土地总面积, assess/soil_loss_class.tif"),
            Err(e) => fail(e.to_string()),
        };
    }
    if n.starts_with("生态廊道连通") {
        return match &l.gamma {
            Some((g, src)) => ok(*g, &format!("corridor γ = L/(3(V−2)) from {src}")),
            None => fail("未计算：本次运行没有生态安全格局网络表 (pattern/ 中无 γ) not computed: the run has no pattern network table".into()),
        };
    }
    // The region: cells with a land-use class.
    let region = l.landuse;
    if n == "湿地保护率" {
        let Some((pa, src)) = &l.protected else {
            return fail("未计算：无自然保护地/湿地公园图层 not computed: no protected-area layer (wetland_protection_rate needs one)".into());
        };
        return match indicators::wetland_protection_rate(l.landuse, *pa, &p) {
            Ok(v) => ok(
                v.value,
                &format!("wetland_protection_rate: 自然保护地内湿地 (地类 6) / 湿地面积, {src}"),
            ),
            Err(e) => fail(e.to_string()),
        };
    }
    if n.starts_with("自然保护地") {
        let Some((pa, src)) = &l.protected else {
            return fail("未计算：无自然保护地图层 not computed: no protected-area layer".into());
        };
        return match indicators::mask_share(*pa, Some(region)) {
            Ok(v) if unit == "%" => ok(
                v.value,
                &format!("mask_share: 自然保护地面积 / 规划范围面积, {src}"),
            ),
            Ok(v) => match ecoplan_plan::qty::convert(v.part_m2, "m²", unit) {
                Some(x) => ok(x, &format!("自然保护地面积 protected area, {src}")),
                None => fail(format!("单位 {unit} 不是面积或 % not an area unit or %")),
            },
            Err(e) => fail(e.to_string()),
        };
    }
    if n.starts_with("生态保护红线") {
        let Some((rl, src)) = &l.red_line else {
            return fail("未计算：无生态保护红线图层 not computed: no red-line layer".into());
        };
        return match indicators::mask_share(*rl, Some(region)) {
            Ok(v) if unit == "%" => ok(
                v.value,
                &format!("mask_share: 红线面积 / 规划范围面积, {src}"),
            ),
            Ok(v) => match ecoplan_plan::qty::convert(v.part_m2, "m²", unit) {
                Some(x) => ok(x, &format!("红线面积 red-line area (mask ∩ region), {src}")),
                None => fail(format!("单位 {unit} 不是面积或 % not an area unit or %")),
            },
            Err(e) => fail(e.to_string()),
        };
    }
    if n.starts_with("永久基本农田") {
        return fail(
            "未计算：演示数据无永久基本农田图层 not computed: the demo has no 永久基本农田 layer"
                .into(),
        );
    }
    fail("未计算：需项目或监测数据，非图层指标 not computed from layers (project or monitoring data)".into())
}

/// A printed target cell as a number: "≥17.06" → 17.06, "达到0.48" → 0.48; "-" or text → None.
pub fn target_number(cell: &str) -> Option<f64> {
    let t = cell.trim();
    let start = t.find(|c: char| c.is_ascii_digit() || c == '.')?;
    let num: String = t[start..]
        .chars()
        .take_while(|c| c.is_ascii_digit() || *c == '.')
        .collect();
    num.parse().ok()
}

/// The indicator table: computed and stated baselines, targets and achievement rates.
pub fn indicator_table(plan: &Plan, l: &IndicatorLayers) -> Table {
    let years = ["2025", "2030", "2035"];
    let mut t = Table::new(&[
        ("id", "序号"),
        ("group", "类型"),
        ("indicator", "指标名称"),
        ("unit", "单位"),
        ("binding", "指标属性"),
        ("direction", "方向"),
        ("baseline_computed", "基期值（图层计算）"),
        ("baseline_stated", "基期值（规划文本）"),
        ("target_2025", "2025年目标"),
        ("target_2030", "2030年目标"),
        ("target_2035", "2035年目标"),
        ("achievement_2025", "2025年目标达成率"),
        ("achievement_2030", "2030年目标达成率"),
        ("achievement_2035", "2035年目标达成率"),
        ("method", "计算方法或未计算原因"),
    ]);
    for ind in &plan.indicators {
        let b = baseline_for(&ind.name, &ind.unit, l);
        let stated = target_number(&ind.baseline);
        let dir = ind.direction.unwrap_or(Direction::Increase);
        let mut row = vec![
            Value::Text(ind.id.clone()),
            Value::Text(ind.group.clone()),
            Value::Text(ind.name.clone()),
            Value::Text(ind.unit.clone()),
            Value::Text(ind.binding.map(|b| b.zh()).unwrap_or("").into()),
            Value::Text(dir.zh().into()),
            b.value.map_or(Value::Empty, |v| Value::Num(round(v, 4))),
            Value::Text(ind.baseline.clone()),
        ];
        for y in years {
            row.push(Value::Text(ind.targets.get(y).cloned().unwrap_or_default()));
        }
        // r = (X_t − X_0)/(X_T − X_0) with X_0 the stated baseline and X_t the computed value;
        // 保持 indicators: X_t / X_T.
        for y in years {
            let target = ind.targets.get(y).and_then(|c| target_number(c));
            let r = match (b.value, target) {
                (Some(cur), Some(tg)) => match dir {
                    Direction::Keep => achievement_rate(tg, tg, cur, dir).ok(),
                    _ => stated.and_then(|x0| achievement_rate(x0, tg, cur, dir).ok()),
                },
                _ => None,
            };
            row.push(r.map_or(Value::Empty, |r| Value::Num(round(r.rate, 4))));
        }
        row.push(Value::Text(b.method));
        t.push(row);
    }
    t
}

/// γ from a pattern network table under `<run>/pattern/` (a CSV column named γ / gamma).
pub fn gamma_from_pattern(dir: &Path) -> Option<(f64, String)> {
    let mut files: Vec<_> = std::fs::read_dir(dir)
        .ok()?
        .flatten()
        .map(|e| e.path())
        .collect();
    // The pattern step's network table first, then the rest by name.
    files.sort_by_key(|p| (p.file_name().is_none_or(|n| n != "network.csv"), p.clone()));
    for p in files
        .iter()
        .filter(|p| p.extension().is_some_and(|e| e == "csv"))
    {
        let Ok(text) = std::fs::read_to_string(p) else {
            continue;
        };
        let mut rd = csv::ReaderBuilder::new()
            .flexible(true)
            .from_reader(text.as_bytes());
        let Ok(h) = rd.headers().cloned() else {
            continue;
        };
        let Some(col) = h.iter().position(|c| {
            let c = c.trim().to_lowercase();
            c == "gamma"
                || c == "γ"
                || c.starts_with("gamma ")
                || c.starts_with("γ ")
                || c.contains("(γ)")
                || c.contains("（γ）")
        }) else {
            continue;
        };
        if let Some(Ok(rec)) = rd.records().next() {
            if let Some(v) = rec.get(col).and_then(|v| v.trim().parse::<f64>().ok()) {
                let name = p
                    .file_name()
                    .map(|n| n.to_string_lossy().into_owned())
                    .unwrap_or_default();
                return Some((v, format!("pattern/{name}")));
            }
        }
    }
    // Or a JSON summary with a numeric `gamma` (or `γ`) key at any depth.
    fn find(v: &serde_json::Value) -> Option<f64> {
        match v {
            serde_json::Value::Object(m) => m
                .iter()
                .find(|(k, v)| (k.as_str() == "gamma" || k.as_str() == "γ") && v.is_number())
                .and_then(|(_, v)| v.as_f64())
                .or_else(|| m.values().find_map(find)),
            serde_json::Value::Array(a) => a.iter().find_map(find),
            _ => None,
        }
    }
    for p in files
        .iter()
        .filter(|p| p.extension().is_some_and(|e| e == "json"))
    {
        let Ok(text) = std::fs::read_to_string(p) else {
            continue;
        };
        if let Some(g) = serde_json::from_str(&text).ok().as_ref().and_then(find) {
            let name = p
                .file_name()
                .map(|n| n.to_string_lossy().into_owned())
                .unwrap_or_default();
            return Some((g, format!("pattern/{name}")));
        }
    }
    None
}

/// Security-pattern elements for the key-area score: pinch points (`pinch_points.tif` = 1) and
/// barriers (`barrier_class.tif` > 0) of the pattern step, when present and on the run's grid.
pub(crate) fn pattern_mask(dir: &Path, region: &Grid<u8>) -> Option<Grid<u32>> {
    let mut out = Grid::filled(&region.spec(), 0u32, Some(u32::MAX));
    let mut any = false;
    for (file, hit) in [("pinch_points.tif", 1u8), ("barrier_class.tif", 0)] {
        let Ok(AnyGrid::U8(g)) = ecoplan_io::raster::read_raster(&dir.join(file)) else {
            continue;
        };
        if g.spec().check_aligned(&region.spec()).is_err() {
            continue;
        }
        for (o, v) in out.data.iter_mut().zip(&g.data) {
            let on = if hit == 1 {
                *v == 1
            } else {
                *v > 0 && !g.is_nodata(*v)
            };
            if on {
                *o = 1;
            }
        }
        any = true;
    }
    any.then_some(out)
}

/// Minimum patch size of the demo's SYNTHESIZED red line, 公顷.
pub const SYNTH_RED_LINE_MIN_HA: f64 = 100.0;

/// A SYNTHESIZED 生态保护红线 for the demo (no official red line is available for 云冈区): the
/// 8-connected patches of 极重要 importance (grade 3) inside the region of at least `min_area_m2`,
/// which is how red lines are first delineated from the 双评价 before adjustment. 1 inside, 0
/// outside.
pub fn synthesized_red_line(
    importance: &Grid<u8>,
    region: &Grid<u8>,
    min_area_m2: f64,
) -> Grid<u8> {
    let (w, h) = (importance.width, importance.height);
    let core = |i: usize| region.data[i] == 1 && importance.data[i] == 3;
    let cell = importance.transform.cell_area();
    let mut out = Grid::filled(&importance.spec(), 0u8, Some(255));
    let mut seen = vec![false; w * h];
    let (mut stack, mut patch) = (Vec::new(), Vec::new());
    for s in 0..w * h {
        if seen[s] || !core(s) {
            continue;
        }
        seen[s] = true;
        stack.push(s);
        patch.clear();
        while let Some(i) = stack.pop() {
            patch.push(i);
            let (r, c) = ((i / w) as isize, (i % w) as isize);
            for dr in -1..=1 {
                for dc in -1..=1 {
                    let (rr, cc) = (r + dr, c + dc);
                    if rr < 0 || cc < 0 || rr as usize >= h || cc as usize >= w {
                        continue;
                    }
                    let j = rr as usize * w + cc as usize;
                    if !seen[j] && core(j) {
                        seen[j] = true;
                        stack.push(j);
                    }
                }
            }
        }
        if patch.len() as f64 * cell >= min_area_m2 {
            for i in &patch {
                out.data[*i] = 1;
            }
        }
    }
    out
}

fn masked_u8(g: &Grid<u8>, mask: &Grid<u8>, nodata: u8) -> Grid<u8> {
    let mut out = g.clone();
    for (v, m) in out.data.iter_mut().zip(&mask.data) {
        if *m != 1 {
            *v = nodata;
        }
    }
    out.nodata = Some(nodata);
    out
}

pub fn demo_step(cx: &mut DemoContext) -> Result<()> {
    let mask = cx.mask()?.clone();
    let AnyGrid::U8(lu) = cx.layer("landuse")?.clone() else {
        bail!("landuse is not byte-typed")
    };
    let read_u8 = |rel: &str| -> Result<Grid<u8>> {
        let p = cx.run_dir.join(rel);
        match ecoplan_io::raster::read_raster(&p)
            .with_context(|| format!("reading {rel} (written by the assess step)"))?
        {
            AnyGrid::U8(g) => Ok(g),
            other => Ok(other
                .to_f32()
                .map(Some(0u8), |v| if v.is_finite() { v as u8 } else { 0 })),
        }
    };
    let importance = read_u8("assess/importance.tif")?;
    let soil_class = read_u8("assess/soil_loss_class.tif")?;
    let sensitivity = read_u8("assess/sensitivity_soil_erosion.tif").ok();
    let cat = |g: &Grid<u8>| g.map(Some(u32::MAX), |v| v as u32);
    let lu_masked = masked_u8(&lu, &mask, 0);
    let inputs = ZoningInputs {
        landuse: cat(&lu_masked).map(Some(0), |v| v),
        region: mask.clone(),
        importance: cat(&importance),
        soil_loss_class: Some(masked_u8(&soil_class, &mask, 0).map(Some(0), |v| v as u32)),
        sensitivity: sensitivity.as_ref().map(cat),
        slope: Some(cx.layer("slope")?.to_f32()),
        dem: Some(cx.layer("dem")?.to_f32()),
        units: None,
        masks: pattern_mask(&cx.run_dir.join("pattern"), &mask)
            .map(|g| vec![("pattern".to_string(), g)])
            .unwrap_or_default(),
    };
    let red_line = synthesized_red_line(&importance, &mask, SYNTH_RED_LINE_MIN_HA * 1e4);
    let mut inputs = inputs;
    inputs.masks.push((
        "red_line".to_string(),
        red_line.map(Some(u32::MAX), u32::from),
    ));
    let settings = ZoningSettings::default();
    let o = compute(&inputs, &settings, cx.progress)?;
    let dir = cx
        .out_path("zoning/zoning.gpkg")?
        .parent()
        .map(Path::to_path_buf)
        .unwrap_or_default();
    for (f, role) in write_outputs(&dir, &o)? {
        cx.record(&format!("zoning/{f}"), &role);
    }
    crate::rasters::write_raster(
        &dir.join("red_line_SYNTHESIZED.tif"),
        &AnyGrid::U8(red_line.clone()),
        &Default::default(),
    )?;
    cx.record(
        "zoning/red_line_SYNTHESIZED.tif",
        &format!(
            "SYNTHESIZED 合成生态保护红线（非官方）: 极重要 patches ≥ {SYNTH_RED_LINE_MIN_HA} 公顷 of assess/importance.tif — no official red line for 云冈区; used by the red-line conflict rule and the 生态保护红线 indicator"
        ),
    );
    // Indicator table.
    let plan = ecoplan_plan::from_toml(YUNGANG_PLAN).context("parsing the bundled 云冈区 plan")?;
    let ndvi = cx.layer("ndvi")?.to_f32();
    let mut ndvi_masked = ndvi.clone();
    for (v, m) in ndvi_masked.data.iter_mut().zip(&mask.data) {
        if *m != 1 {
            *v = f32::NAN;
        }
    }
    ndvi_masked.nodata = Some(f32::NAN);
    let soil_masked = masked_u8(&soil_class, &mask, 0);
    let gamma = gamma_from_pattern(&cx.run_dir.join("pattern"));
    let layers = IndicatorLayers {
        landuse: &lu_masked,
        ndvi: Some(&ndvi_masked),
        soil_loss_class: Some(&soil_masked),
        gamma: gamma.clone(),
        red_line: Some((
            &red_line,
            format!("SYNTHESIZED 合成红线 zoning/red_line_SYNTHESIZED.tif (极重要 patches ≥ {SYNTH_RED_LINE_MIN_HA} 公顷, not the official red line)"),
        )),
        protected: None,
    };
    let t = indicator_table(&plan, &layers);
    let csv = csv_zh(&t)?;
    cx.write_text(
        "tables/indicators.csv",
        &csv,
        "规划指标表：基期值由本次运行图层计算，并列规划文本基期值、2025/2030/2035 目标与达成率 (云冈区 plan's 19 indicators)",
    )?;
    t.write(&cx.out_path("tables/indicators.xlsx")?)?;
    cx.record(
        "tables/indicators.xlsx",
        "the indicator table as XLSX (Chinese and English header rows)",
    );
    let zones: Vec<serde_json::Value> = o
        .zonings
        .iter()
        .map(|(k, label, r, _)| {
            serde_json::json!({
                "layer": k, "method": label, "k": r.k, "silhouette": r.silhouette,
                "merged_fragments": r.merged_fragments,
                "zones": r.zones.iter().map(|z| serde_json::json!({"name": z.name, "km2": z.area_m2 / 1e6, "percent": z.percent})).collect::<Vec<_>>(),
            })
        })
        .collect();
    cx.manifest.param(
        "zoning",
        serde_json::json!({
            "space_table": "presets/zoning/space_common_classes.csv",
            "conflict_rules": "presets/zoning/conflict_rules.csv",
            "unit_size_m": settings.zoning.unit_size_m,
            "min_zone_share_pct": settings.zoning.min_zone_share_pct,
            "key_unit_size_m": settings.key.unit_size_m,
            "key_min_area_ha": settings.key.min_area_ha,
            "key_top_share": settings.key.top_share,
            "zonings": zones,
            "key_areas": o.keys.areas.len(),
            "red_line": format!("SYNTHESIZED: 极重要 patches ≥ {SYNTH_RED_LINE_MIN_HA} ha (8-connected) of assess/importance.tif"),
            "stability": super::summary_json(&o)["zonings"].as_array().map(|z| z.iter().map(|z| serde_json::json!({"layer": z["layer"], "ari_min": z["stability"]["ari_min"], "ari_mean": z["stability"]["ari_mean"]})).collect::<Vec<_>>()),
            "notes": o.notes,
            "gamma": gamma.as_ref().map(|g| g.0),
            "indicator_note": if gamma.is_some() { "γ from the pattern step's network table" } else { "γ not computed: no pattern network table in this run" },
        }),
    );
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn printed_targets_parse() {
        assert_eq!(target_number("≥165.29"), Some(165.29));
        assert_eq!(target_number("达到0.48"), Some(0.48));
        assert_eq!(target_number("61"), Some(61.0));
        assert_eq!(target_number("-"), None);
        assert_eq!(target_number(""), None);
    }

    #[test]
    fn table_fills_computed_baselines_and_rates() {
        // 2×2 region: forest, forest, cropland, grassland (900 m² cells).
        let spec = ecoplan_grid::GridSpec::new(
            2,
            2,
            ecoplan_grid::GeoTransform::north_up(0.0, 60.0, 30.0),
            None,
        );
        let lu = Grid::from_vec(&spec, vec![3u8, 3, 1, 5], Some(0)).unwrap();
        let plan = ecoplan_plan::from_toml(YUNGANG_PLAN).unwrap();
        let l = IndicatorLayers {
            landuse: &lu,
            ndvi: None,
            soil_loss_class: None,
            gamma: Some((0.5, "pattern/network.csv".into())),
            red_line: None,
            protected: None,
        };
        let t = indicator_table(&plan, &l);
        assert_eq!(t.rows.len(), 19);
        let row = |name: &str| {
            t.rows
                .iter()
                .find(|r| r[2] == Value::Text(name.into()))
                .unwrap()
        };
        // 森林覆盖率 50 %; stated 13.43, 2025 target 17.06 → r = (50 − 13.43)/(17.06 − 13.43).
        let f = row("森林覆盖率");
        assert_eq!(f[6], Value::Num(50.0));
        assert_eq!(
            f[11],
            Value::Num(round((50.0 - 13.43) / (17.06 - 13.43), 4))
        );
        // 耕地保有量: one 900 m² cell = 0.0009 km²; 保持 → r = 0.0009 / 165.29.
        let c = row("耕地保有量");
        assert_eq!(c[6], Value::Num(0.0009));
        assert_eq!(c[11], Value::Num(round(0.0009 / 165.29, 4)));
        // γ from the pattern table; stated baseline "-" → no rate.
        let g = row("生态廊道连通性");
        assert_eq!(g[6], Value::Num(0.5));
        assert_eq!(g[11], Value::Empty);
        // Without NDVI the FVC row says why.
        let v = row("草原综合植被盖度");
        assert_eq!(v[6], Value::Empty);
        assert!(matches!(&v[14], Value::Text(s) if s.contains("NDVI")));
    }

    #[test]
    fn gamma_is_read_from_a_pattern_table() {
        let d = tempfile::tempdir().unwrap();
        std::fs::write(d.path().join("a_sources.csv"), "id,area\n1,2\n").unwrap();
        std::fs::write(
            d.path().join("network.csv"),
            "nodes,links,alpha,beta,gamma\n5,6,0.4,1.2,0.6667\n",
        )
        .unwrap();
        let (g, src) = gamma_from_pattern(d.path()).unwrap();
        assert_eq!((g, src.as_str()), (0.6667, "pattern/network.csv"));
        assert!(gamma_from_pattern(&d.path().join("none")).is_none());
        let j = tempfile::tempdir().unwrap();
        std::fs::write(
            j.path().join("summary.json"),
            r#"{"network": {"alpha": 0.1, "gamma": 0.42}}"#,
        )
        .unwrap();
        assert_eq!(gamma_from_pattern(j.path()).unwrap().0, 0.42);
    }

    #[test]
    fn policy_layer_indicators_come_from_their_masks() {
        // 4×1 region (900 m² cells): wetland, wetland, forest, cropland; protected: cells 0 and 2;
        // red line: cells 0, 1, 2.
        let spec = ecoplan_grid::GridSpec::new(
            4,
            1,
            ecoplan_grid::GeoTransform::north_up(0.0, 30.0, 30.0),
            None,
        );
        let lu = Grid::from_vec(&spec, vec![6u8, 6, 3, 1], Some(0)).unwrap();
        let pa = Grid::from_vec(&spec, vec![1u8, 0, 1, 0], None).unwrap();
        let rl = Grid::from_vec(&spec, vec![1u8, 1, 1, 0], None).unwrap();
        let l = IndicatorLayers {
            landuse: &lu,
            ndvi: None,
            soil_loss_class: None,
            gamma: None,
            red_line: Some((&rl, "test red line".into())),
            protected: Some((&pa, "test protected areas".into())),
        };
        // Half of the wetland is protected.
        assert_eq!(baseline_for("湿地保护率", "%", &l).value, Some(50.0));
        // Protected share of the region: 2 of 4 cells.
        assert_eq!(
            baseline_for("自然保护地陆域面积占陆域国土面积比例", "%", &l).value,
            Some(50.0)
        );
        // Red line in km²: 3 × 900 m² = 0.0027 km²; as a share 75 %.
        let v = baseline_for("生态保护红线", "km2", &l);
        assert!((v.value.unwrap() - 0.0027).abs() < 1e-12, "{v:?}");
        assert!(v.method.contains("test red line"));
        assert_eq!(
            baseline_for("生态保护红线面积占比", "%", &l).value,
            Some(75.0)
        );
        // Without the layers each says why.
        let none = IndicatorLayers {
            red_line: None,
            protected: None,
            ..l
        };
        let b = baseline_for("湿地保护率", "%", &none);
        assert!(b.value.is_none() && b.method.contains("protected-area"));
        assert!(baseline_for("生态保护红线", "km2", &none).value.is_none());
    }

    #[test]
    fn synthesized_red_line_keeps_large_extreme_patches_only() {
        // 6×2: a 3-cell 极重要 patch (diagonal link counts), a 1-cell one, one outside the region.
        let spec = ecoplan_grid::GridSpec::new(
            6,
            2,
            ecoplan_grid::GeoTransform::north_up(0.0, 20.0, 10.0),
            None,
        );
        #[rustfmt::skip]
        let imp = Grid::from_vec(&spec, vec![
            3, 3, 1, 1, 3, 3,
            1, 1, 3, 1, 1, 2,
        ], Some(0)).unwrap();
        #[rustfmt::skip]
        let region = Grid::from_vec(&spec, vec![
            1, 1, 1, 1, 1, 0,
            1, 1, 1, 1, 1, 1,
        ], Some(0)).unwrap();
        // Cells are 100 m²: minimum 250 m² keeps only the 3-cell patch.
        let rl = synthesized_red_line(&imp, &region, 250.0);
        assert_eq!(rl.data, vec![1, 1, 0, 0, 0, 0, 0, 0, 1, 0, 0, 0]);
        let all = synthesized_red_line(&imp, &region, 0.0);
        assert_eq!(all.data.iter().filter(|v| **v == 1).count(), 4);
    }
}
