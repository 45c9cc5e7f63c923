//! Zone and key-area names in the style of the seed plans: 方位 + 地貌 + 功能 + 问题 + 区.

/// 方位 of a point relative to the region centre; `dx`, `dy` are offsets scaled by the region's
/// half-extent (east and north positive). Near the centre (< 0.25) → 中部.
pub fn direction_zh(dx: f64, dy: f64) -> &'static str {
    if dx.hypot(dy) < 0.25 || !dx.is_finite() || !dy.is_finite() {
        return "中部";
    }
    // Eight 45° sectors, counter-clockwise from east.
    let a = dy.atan2(dx).to_degrees().rem_euclid(360.0);
    const S: [&str; 8] = [
        "东部",
        "东北部",
        "北部",
        "西北部",
        "西部",
        "西南部",
        "南部",
        "东南部",
    ];
    S[(((a + 22.5) / 45.0).floor() as usize) % 8]
}

/// 地貌 word from the mean slope (°): ≥ 15 山地, ≥ 6 丘陵, else 平川; empty without slope.
pub fn terrain_zh(mean_slope_deg: f64) -> &'static str {
    if mean_slope_deg.is_nan() {
        ""
    } else if mean_slope_deg >= 15.0 {
        "山地"
    } else if mean_slope_deg >= 6.0 {
        "丘陵"
    } else {
        "平川"
    }
}

/// Appends （一）, （二）… to names that occur more than once, in order.
pub(crate) fn make_unique(names: &mut [String]) {
    const NUM: [&str; 10] = ["一", "二", "三", "四", "五", "六", "七", "八", "九", "十"];
    let orig = names.to_vec();
    for (i, n) in orig.iter().enumerate() {
        let total = orig.iter().filter(|m| *m == n).count();
        if total > 1 {
            let k = orig[..i].iter().filter(|m| *m == n).count();
            let num = NUM
                .get(k)
                .map_or_else(|| (k + 1).to_string(), |s| s.to_string());
            names[i] = format!("{n}（{num}）");
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn directions_and_terrain() {
        assert_eq!(direction_zh(0.0, 0.9), "北部");
        assert_eq!(direction_zh(-0.7, 0.7), "西北部");
        assert_eq!(direction_zh(0.8, -0.1), "东部");
        assert_eq!(direction_zh(0.1, 0.1), "中部");
        assert_eq!(direction_zh(0.0, -0.5), "南部");
        assert_eq!(terrain_zh(20.0), "山地");
        assert_eq!(terrain_zh(7.0), "丘陵");
        assert_eq!(terrain_zh(2.0), "平川");
        let mut n = vec!["甲区".to_string(), "乙区".into(), "甲区".into()];
        make_unique(&mut n);
        assert_eq!(n, ["甲区（一）", "乙区", "甲区（二）"]);
    }
}
