//! 三生空间 (ecological / agricultural / urban space) from land-use classes.

use super::{check_aligned, csv_rows, ZoningError};
use ecoplan_grid::{Cell, Grid};
use rayon::prelude::*;

/// The three spaces. Grid value = the discriminant (0 = outside / nodata).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
#[repr(u8)]
pub enum Space {
    /// 生态空间.
    Ecological = 1,
    /// 农业空间 (production).
    Agricultural = 2,
    /// 城镇空间 (living).
    Urban = 3,
}

impl Space {
    pub const ALL: [Space; 3] = [Space::Ecological, Space::Agricultural, Space::Urban];
    pub fn zh(self) -> &'static str {
        match self {
            Space::Ecological => "生态空间",
            Space::Agricultural => "农业空间",
            Space::Urban => "城镇空间",
        }
    }
    pub fn en(self) -> &'static str {
        match self {
            Space::Ecological => "ecological",
            Space::Agricultural => "agricultural",
            Space::Urban => "urban",
        }
    }
    /// `ecological`/`生态`, `agricultural`/`农业`/`production`, `urban`/`城镇`/`living`.
    pub fn parse(s: &str) -> Option<Space> {
        match s.trim() {
            "ecological" | "生态" | "生态空间" => Some(Space::Ecological),
            "agricultural" | "production" | "农业" | "农业空间" => Some(Space::Agricultural),
            "urban" | "living" | "城镇" | "城镇空间" => Some(Space::Urban),
            _ => None,
        }
    }
    pub fn from_u8(v: u8) -> Option<Space> {
        match v {
            1 => Some(Space::Ecological),
            2 => Some(Space::Agricultural),
            3 => Some(Space::Urban),
            _ => None,
        }
    }
}

/// One row of the class→space table.
#[derive(Debug, Clone, PartialEq)]
pub struct SpaceClass {
    pub code: u32,
    pub name_zh: String,
    pub space: Space,
    /// Land-use resilience coefficient 0–1 (METHODS §4.3).
    pub resilience: f64,
}

/// The editable class→space table (`presets/zoning/space_common_classes.csv`).
#[derive(Debug, Clone, PartialEq)]
pub struct SpaceTable {
    pub classes: Vec<SpaceClass>,
    lut: Vec<u16>,
}

const MAX_CODE: u32 = 1 << 20;
const NONE: u16 = u16::MAX;

impl SpaceTable {
    /// Columns `code, class_zh, space, resilience` (others ignored). Reports every bad row.
    pub fn from_csv(text: &str) -> Result<SpaceTable, ZoningError> {
        let rows = csv_rows(
            text,
            "三生空间表 space table",
            &["code", "space", "resilience"],
        )?;
        let mut p = Vec::new();
        let mut classes = Vec::new();
        for (n, r) in rows.iter().enumerate() {
            let row = n + 2;
            let code = r["code"].parse::<u32>().ok().filter(|c| *c < MAX_CODE);
            let space = Space::parse(&r["space"]);
            let res = r["resilience"]
                .parse::<f64>()
                .ok()
                .filter(|v| (0.0..=1.0).contains(v));
            if code.is_none() {
                p.push(format!(
                    "row {row}: code `{}` 不是非负整数 is not a class code",
                    r["code"]
                ));
            }
            if space.is_none() {
                p.push(format!(
                    "row {row}: space `{}` 应为 ecological/agricultural/urban",
                    r["space"]
                ));
            }
            if res.is_none() {
                p.push(format!(
                    "row {row}: resilience `{}` 应在 0–1 之间 must be within 0–1",
                    r["resilience"]
                ));
            }
            if let (Some(code), Some(space), Some(resilience)) = (code, space, res) {
                if classes.iter().any(|c: &SpaceClass| c.code == code) {
                    p.push(format!("row {row}: code {code} 重复 listed twice"));
                }
                classes.push(SpaceClass {
                    code,
                    name_zh: r.get("class_zh").cloned().unwrap_or_default(),
                    space,
                    resilience,
                });
            }
        }
        if classes.is_empty() && p.is_empty() {
            p.push("表为空 the table has no rows".into());
        }
        if !p.is_empty() {
            return Err(ZoningError::Preset {
                table: "三生空间表 space table",
                problems: p,
            });
        }
        let max = classes.iter().map(|c| c.code).max().unwrap_or(0) as usize;
        let mut lut = vec![NONE; max + 1];
        for (i, c) in classes.iter().enumerate() {
            lut[c.code as usize] = i as u16;
        }
        Ok(SpaceTable { classes, lut })
    }

    /// The row of a land-use value, `None` when it is not an integer code in the table.
    #[inline]
    pub fn class_of(&self, value: f64) -> Option<&SpaceClass> {
        if value < 0.0 || value.fract() != 0.0 || value >= self.lut.len() as f64 {
            return None;
        }
        match self.lut[value as usize] {
            NONE => None,
            i => Some(&self.classes[i as usize]),
        }
    }
}

/// 三生空间 grid (u8: 1 生态, 2 农业, 3 城镇; 0 outside `region` or nodata). Land-use codes that
/// are valid but missing from the table are an error listing them all.
pub fn classify_spaces<T: Cell>(
    landuse: &Grid<T>,
    region: Option<&Grid<u8>>,
    table: &SpaceTable,
) -> Result<Grid<u8>, ZoningError> {
    if let Some(r) = region {
        check_aligned(&landuse.spec(), &r.spec(), "region mask")?;
    }
    let mut out = Grid::filled(&landuse.spec(), 0u8, Some(0));
    let unknown: std::collections::BTreeSet<i64> = out
        .data
        .par_chunks_mut(1 << 16)
        .enumerate()
        .map(|(ci, chunk)| {
            let mut unknown = std::collections::BTreeSet::new();
            for (j, o) in chunk.iter_mut().enumerate() {
                let i = ci * (1 << 16) + j;
                if !landuse.is_valid_at(i) || region.is_some_and(|r| r.data[i] == 0) {
                    continue;
                }
                let v = landuse.data[i].to_f64();
                match table.class_of(v) {
                    Some(c) => *o = c.space as u8,
                    None => {
                        if unknown.len() < 50 {
                            unknown.insert(v as i64);
                        }
                    }
                }
            }
            unknown
        })
        .reduce(Default::default, |mut a, b| {
            a.extend(b);
            a
        });
    if !unknown.is_empty() {
        return Err(ZoningError::UnknownClasses {
            codes: unknown.into_iter().collect(),
        });
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn preset_maps_methods_classes() {
        let t = SpaceTable::from_csv(super::super::SPACE_PRESET).unwrap();
        let space = |c: f64| t.class_of(c).unwrap().space;
        assert_eq!(space(1.0), Space::Agricultural); // 耕地
        assert_eq!(space(2.0), Space::Agricultural); // 园地
        for eco in [3.0, 4.0, 5.0, 6.0, 7.0, 10.0] {
            assert_eq!(space(eco), Space::Ecological, "{eco}");
        }
        assert_eq!(space(8.0), Space::Urban);
        assert_eq!(space(9.0), Space::Urban);
        assert!(t.class_of(12.0).is_none() && t.class_of(1.5).is_none());
    }

    #[test]
    fn bad_rows_are_all_reported() {
        let e =
            SpaceTable::from_csv("code,space,resilience\nx,ecological,0.5\n2,sea,0.5\n3,urban,7\n")
                .unwrap_err();
        let s = e.to_string();
        assert!(
            s.contains("row 2") && s.contains("row 3") && s.contains("row 4"),
            "{s}"
        );
    }

    #[test]
    fn unknown_codes_are_listed_and_region_masks() {
        let t = SpaceTable::from_csv(super::super::SPACE_PRESET).unwrap();
        let lu = Grid::<u8>::from_rows(4, 1, vec![1, 42, 43, 3]).unwrap();
        let e = classify_spaces(&lu, None, &t).unwrap_err();
        assert_eq!(
            e,
            ZoningError::UnknownClasses {
                codes: vec![42, 43]
            }
        );
        let region = Grid::<u8>::from_rows(4, 1, vec![1, 0, 0, 1]).unwrap();
        let s = classify_spaces(&lu, Some(&region), &t).unwrap();
        assert_eq!(s.data, vec![2, 0, 0, 1]);
    }
}
