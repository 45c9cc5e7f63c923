//! Checks of the demo's `assess` step (双评价 生态保护重要性): every service and sensitivity
//! raster is there, the cumulative 50 %/80 % grading holds on the written rasters (recomputed
//! here from values and grades), the integrated map is the max rule, and the area tables add up
//! to the region.

use super::util::u8_grid;
use ecoplan_grid::AnyGrid;
use std::collections::BTreeMap;
use std::path::Path;

fn f32_grid(path: &Path) -> Vec<f32> {
    match ecoplan_io::raster::read_raster(path)
        .unwrap_or_else(|e| panic!("{}: {e}", path.display()))
    {
        AnyGrid::F32(g) => g.data,
        other => panic!(
            "{} is {:?}, expected f32",
            path.display(),
            other.cell_type()
        ),
    }
}

const SERVICES: [&str; 4] = [
    "water_conservation",
    "soil_conservation",
    "sand_fixation",
    "biodiversity",
];
const SENSITIVITY: [&str; 2] = ["soil_erosion", "desertification"];

pub fn check_assess(out: &Path) {
    let dir = out.join("assess");
    let mask = u8_grid(&out.join("region/mask.tif"));
    let inside: Vec<bool> = mask.iter().map(|v| *v == 1).collect();
    let n_inside = inside.iter().filter(|v| **v).count();
    let cell_km2 = 900.0 / 1e6;
    let mut all_grades: Vec<Vec<u8>> = Vec::new();
    let mut valid_cells: BTreeMap<String, usize> = BTreeMap::new();
    for key in SERVICES {
        let v = f32_grid(&dir.join(format!("service_{key}.tif")));
        let g = u8_grid(&dir.join(format!("grade_{key}.tif")));
        assert_eq!(v.len(), mask.len(), "{key}");
        let (mut total, mut top) = (0.0f64, 0.0f64);
        let (mut min3, mut max2, mut min2, mut max1) = (f32::MAX, f32::MIN, f32::MAX, f32::MIN);
        let mut n_valid = 0;
        for i in 0..v.len() {
            if g[i] == 0 {
                assert!(
                    !inside[i] || !v[i].is_finite(),
                    "{key}: cell {i} has value {} but no grade",
                    v[i]
                );
                continue;
            }
            assert!(inside[i], "{key}: graded cell {i} outside the region");
            assert!(
                v[i].is_finite() && v[i] >= 0.0,
                "{key}: cell {i} = {}",
                v[i]
            );
            n_valid += 1;
            total += v[i] as f64;
            match g[i] {
                3 => {
                    top += v[i] as f64;
                    min3 = min3.min(v[i]);
                }
                2 => {
                    max2 = max2.max(v[i]);
                    min2 = min2.min(v[i]);
                }
                1 => max1 = max1.max(v[i]),
                other => panic!("{key}: grade {other} at cell {i}"),
            }
        }
        assert!(
            n_valid as f64 >= 0.95 * n_inside as f64,
            "{key}: only {n_valid} of {n_inside} cells graded"
        );
        assert!(total > 0.0, "{key}: total value is {total}");
        // the bar: 极重要 holds ≥ 50 % of the service's total value
        assert!(
            top >= 0.5 * total,
            "{key}: 极重要 holds {:.4} of the total",
            top / total
        );
        // … and is the smallest such set: without its lowest value (ties included) it is < 50 %
        let above_min3: f64 = (0..v.len())
            .filter(|&i| g[i] != 0 && v[i] > min3)
            .map(|i| v[i] as f64)
            .sum();
        assert!(
            above_min3 < 0.5 * total,
            "{key}: 极重要 is larger than the cumulative 50 % rule needs"
        );
        // grades are monotone in the value; 重要 and above hold the values whose cumulative share
        // stays within 80 % (METHODS §1.2 worked example: 10, 8, 6, 4, 2, 1 → 6 is 重要, 4 is 一般)
        assert!(min3 >= max2 && min3 > max1, "{key}: {min3} {max2} {max1}");
        if max2 > f32::MIN {
            assert!(min2 >= max1, "{key}: {min2} < {max1}");
        }
        let top2: f64 = (0..v.len())
            .filter(|&i| g[i] >= 2)
            .map(|i| v[i] as f64)
            .sum();
        let next_block: f64 = (0..v.len())
            .filter(|&i| g[i] == 1 && v[i] == max1)
            .map(|i| v[i] as f64)
            .sum();
        assert!(
            top2 <= 0.8 * total * (1.0 + 1e-9) && (max1 <= 0.0 || top2 + next_block > 0.8 * total),
            "{key}: 重要+极重要 hold {}, the next block {}",
            top2 / total,
            next_block / total
        );
        valid_cells.insert(key.to_string(), n_valid);
        all_grades.push(g);
    }
    for p in SENSITIVITY {
        let class = u8_grid(&dir.join(format!("sensitivity_{p}.tif")));
        let grade = u8_grid(&dir.join(format!("fragility_{p}.tif")));
        let mut n_valid = 0;
        for i in 0..class.len() {
            if class[i] == 0 {
                assert_eq!(grade[i], 0, "{p}: cell {i}");
                continue;
            }
            assert!(inside[i] && class[i] <= 5, "{p}: class {} at {i}", class[i]);
            n_valid += 1;
            // 双评价 collapse: 极敏感 → 极脆弱 (3), 高度 → 脆弱 (2), else 一般 (1)
            let expect = match class[i] {
                5 => 3,
                4 => 2,
                _ => 1,
            };
            assert_eq!(grade[i], expect, "{p}: class {} at {i}", class[i]);
        }
        assert!(
            n_valid as f64 >= 0.95 * n_inside as f64,
            "{p}: only {n_valid} of {n_inside} cells"
        );
        valid_cells.insert(p.to_string(), n_valid);
        all_grades.push(grade);
    }
    // integration: the max of all grades; only 极重要 patches under 1 ha may drop to 重要
    let imp = u8_grid(&dir.join("importance.tif"));
    let (mut demoted, mut n3) = (0usize, 0usize);
    for i in 0..imp.len() {
        let max = all_grades.iter().map(|g| g[i]).max().unwrap();
        if !inside[i] {
            assert_eq!(imp[i], 0, "importance outside the region at {i}");
            continue;
        }
        if max == 3 {
            n3 += 1;
        }
        if imp[i] != max {
            assert!(
                max == 3 && imp[i] == 2,
                "importance {} vs max {max} at {i}",
                imp[i]
            );
            demoted += 1;
        }
    }
    assert!(
        n3 > 0 && demoted * 10 < n3,
        "{demoted} of {n3} 极重要 cells demoted"
    );
    // area tables: region rows add up; ha, 亩, km², % agree with the cell counts
    let mut rd = csv::Reader::from_path(dir.join("area_by_grade.csv")).unwrap();
    let h: Vec<String> = rd.headers().unwrap().iter().map(str::to_string).collect();
    let col = |n: &str| h.iter().position(|c| c == n).unwrap();
    let mut sums: BTreeMap<String, (f64, f64, u64)> = BTreeMap::new();
    for r in rd.records() {
        let r = r.unwrap();
        let num = |n: &str| -> f64 { r[col(n)].parse().unwrap() };
        if !r[col("unit")].starts_with("全域") {
            continue;
        }
        let cells = num("cells");
        assert!((num("area_ha") - cells * 0.09).abs() < 1e-3, "{r:?}");
        assert!(
            (num("area_mu") - num("area_ha") * 15.0).abs() < 1e-2,
            "{r:?}"
        );
        assert!((num("area_km2") - cells * cell_km2).abs() < 1e-5, "{r:?}");
        let e = sums.entry(r[col("layer")].to_string()).or_default();
        e.0 += num("area_km2");
        e.1 += num("percent");
        e.2 += cells as u64;
    }
    let region_km2 = n_inside as f64 * cell_km2;
    let imp_row = sums
        .iter()
        .find(|(k, _)| k.contains("importance"))
        .expect("importance table");
    assert!(
        (imp_row.1 .0 - region_km2).abs() < 1e-3,
        "importance table {} km² vs region {region_km2} km²",
        imp_row.1 .0
    );
    for (key, n) in &valid_cells {
        let (layer, (km2, pct, cells)) = sums
            .iter()
            .find(|(k, _)| k.ends_with(&format!(" {key}")))
            .unwrap_or_else(|| panic!("no area table for {key}: {:?}", sums.keys()));
        assert_eq!(*cells as usize, *n, "{layer}");
        assert!((km2 - *n as f64 * cell_km2).abs() < 1e-3, "{layer}");
        assert!((pct - 100.0).abs() < 0.01, "{layer}: % sum {pct}");
    }
    // the manifest says what was not assessed, and why
    let m: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(out.join("manifest.json")).unwrap()).unwrap();
    let a = &m["parameters"]["assess"];
    assert!(a["not_assessed"]["rocky_desertification"]
        .as_str()
        .unwrap()
        .contains("karst"));
    for key in SERVICES {
        assert!(
            a["services"].as_array().unwrap().iter().any(|s| s == key),
            "{key} not in the manifest"
        );
    }
}
