//! CRS identification from WKT (.prj files, GeoPackage definitions) and WKT for EPSG codes.
//!
//! Recognition, in order: the top-level `AUTHORITY["EPSG",…]` / `ID["EPSG",…]`; the CRS name
//! matched against the EPSG registry snapshot (`crs-definitions`) after normalising ESRI spellings
//! (`CGCS2000_3_Degree_GK_CM_114E` = `CGCS2000 / 3-degree Gauss-Kruger CM 114E`,
//! `GCS_WGS_1984` = `WGS 84`), checked against the WKT's central meridian and false easting;
//! finally Transverse Mercator parameters on CGCS2000 / WGS 84 (GK 3°/6° zones, UTM).

use std::collections::HashMap;
use std::sync::OnceLock;

#[derive(Debug, Clone, PartialEq)]
enum Arg {
    Text(String),
    Num(f64),
    Node(Node),
    Word(String),
}

#[derive(Debug, Clone, PartialEq)]
struct Node {
    key: String,
    args: Vec<Arg>,
}

impl Node {
    fn name(&self) -> Option<&str> {
        match self.args.first() {
            Some(Arg::Text(s)) => Some(s),
            _ => None,
        }
    }
    fn child(&self, key: &str) -> Option<&Node> {
        self.args.iter().find_map(|a| match a {
            Arg::Node(n) if n.key.eq_ignore_ascii_case(key) => Some(n),
            _ => None,
        })
    }
    fn children<'a>(&'a self, key: &'a str) -> impl Iterator<Item = &'a Node> + 'a {
        self.args.iter().filter_map(move |a| match a {
            Arg::Node(n) if n.key.eq_ignore_ascii_case(key) => Some(n),
            _ => None,
        })
    }
    /// `PARAMETER["central_meridian",114]` → 114.
    fn parameter(&self, name: &str) -> Option<f64> {
        self.children("PARAMETER").find_map(|p| {
            let n = p.name()?;
            if normalise(n) == normalise(name) {
                p.args.iter().find_map(|a| match a {
                    Arg::Num(v) => Some(*v),
                    _ => None,
                })
            } else {
                None
            }
        })
    }
    /// EPSG code from this node's own AUTHORITY / ID.
    fn epsg(&self) -> Option<u32> {
        for key in ["AUTHORITY", "ID"] {
            if let Some(a) = self.child(key) {
                if let (Some(Arg::Text(org)), Some(code)) = (a.args.first(), a.args.get(1)) {
                    if org.eq_ignore_ascii_case("EPSG") {
                        match code {
                            Arg::Text(t) => return t.trim().parse().ok(),
                            Arg::Num(v) if *v > 0.0 => return Some(*v as u32),
                            _ => {}
                        }
                    }
                }
            }
        }
        None
    }
}

struct Parser<'a> {
    s: &'a [u8],
    pos: usize,
    depth: usize,
}

impl Parser<'_> {
    fn ws(&mut self) {
        while self.pos < self.s.len() && self.s[self.pos].is_ascii_whitespace() {
            self.pos += 1;
        }
    }
    fn node(&mut self) -> Option<Node> {
        self.depth += 1;
        let r = if self.depth > 64 {
            None
        } else {
            self.node_inner()
        };
        self.depth -= 1;
        r
    }
    fn node_inner(&mut self) -> Option<Node> {
        self.ws();
        let start = self.pos;
        while self.pos < self.s.len()
            && (self.s[self.pos].is_ascii_alphanumeric() || self.s[self.pos] == b'_')
        {
            self.pos += 1;
        }
        let key = std::str::from_utf8(&self.s[start..self.pos])
            .ok()?
            .to_string();
        if key.is_empty() {
            return None;
        }
        self.ws();
        let close = match self.s.get(self.pos)? {
            b'[' => b']',
            b'(' => b')',
            _ => return None,
        };
        self.pos += 1;
        let mut args = Vec::new();
        loop {
            self.ws();
            match *self.s.get(self.pos)? {
                c if c == close => {
                    self.pos += 1;
                    break;
                }
                b',' => self.pos += 1,
                b'"' => {
                    self.pos += 1;
                    let mut text = Vec::new();
                    loop {
                        let c = *self.s.get(self.pos)?;
                        self.pos += 1;
                        if c == b'"' {
                            if self.s.get(self.pos) == Some(&b'"') {
                                text.push(b'"');
                                self.pos += 1;
                                continue;
                            }
                            break;
                        }
                        text.push(c);
                    }
                    args.push(Arg::Text(String::from_utf8_lossy(&text).into_owned()));
                }
                c if c == b'-' || c == b'+' || c == b'.' || c.is_ascii_digit() => {
                    let start = self.pos;
                    while self.pos < self.s.len()
                        && matches!(
                            self.s[self.pos],
                            b'0'..=b'9' | b'.' | b'-' | b'+' | b'e' | b'E'
                        )
                    {
                        self.pos += 1;
                    }
                    let t = std::str::from_utf8(&self.s[start..self.pos]).ok()?;
                    args.push(Arg::Num(t.parse().ok()?));
                }
                _ => {
                    let save = self.pos;
                    if let Some(n) = self.node() {
                        args.push(Arg::Node(n));
                    } else {
                        // A bare word such as EAST/NORTH in AXIS[…].
                        self.pos = save;
                        let start = self.pos;
                        while self.pos < self.s.len()
                            && !matches!(self.s[self.pos], b',' | b']' | b')')
                        {
                            self.pos += 1;
                        }
                        if self.pos == start {
                            return None;
                        }
                        args.push(Arg::Word(
                            String::from_utf8_lossy(&self.s[start..self.pos])
                                .trim()
                                .to_string(),
                        ));
                    }
                }
            }
        }
        Some(Node { key, args })
    }
}

fn parse_wkt(wkt: &str) -> Option<Node> {
    let mut p = Parser {
        s: wkt.trim_start_matches('\u{feff}').as_bytes(),
        pos: 0,
        depth: 0,
    };
    p.node()
}

/// Lowercase alphanumerics with ESRI/EPSG spelling differences removed.
fn normalise(name: &str) -> String {
    let lower = name.to_ascii_lowercase();
    let lower = lower.strip_prefix("gcs_").unwrap_or(&lower);
    let mut s: String = lower
        .replace("gauss-kruger", "gk")
        .replace("gauss_kruger", "gk")
        .replace("gauss kruger", "gk")
        .chars()
        .filter(|c| c.is_ascii_alphanumeric())
        .collect();
    for (from, to) in [
        ("wgs1984", "wgs84"),
        ("xian1980", "xian1980"),
        ("xian80", "xian1980"),
    ] {
        s = s.replace(from, to);
    }
    s
}

/// Normalised CRS name → EPSG code, over the geographic and projected CRSs of the registry.
fn name_index() -> &'static HashMap<String, u32> {
    static INDEX: OnceLock<HashMap<String, u32>> = OnceLock::new();
    INDEX.get_or_init(|| {
        let mut m = HashMap::new();
        for code in 1..=u16::MAX {
            if let Some(d) = crs_definitions::from_code(code) {
                if !(d.wkt.starts_with("GEOGCS[") || d.wkt.starts_with("PROJCS[")) {
                    continue;
                }
                if let Some(name) = d.wkt.split('"').nth(1) {
                    m.entry(normalise(name)).or_insert(code as u32);
                }
            }
        }
        m
    })
}

fn proj4_param(proj4: &str, key: &str) -> Option<f64> {
    proj4
        .split_whitespace()
        .find_map(|t| t.strip_prefix(key)?.strip_prefix('=')?.parse().ok())
}

/// Central meridian and false easting of a registry CRS (UTM spelled out).
fn registry_tm_params(code: u32) -> Option<(f64, f64)> {
    let d = crs_definitions::from_code(u16::try_from(code).ok()?)?;
    if let Some(zone) = proj4_param(d.proj4, "+zone") {
        return Some((zone * 6.0 - 183.0, 500_000.0));
    }
    Some((
        proj4_param(d.proj4, "+lon_0")?,
        proj4_param(d.proj4, "+x_0")?,
    ))
}

/// EPSG code of a WKT CRS (WKT1 / ESRI WKT; WKT2 by its ID), `None` if not recognised.
pub fn epsg_from_wkt(wkt: &str) -> Option<u32> {
    let root = parse_wkt(wkt)?;
    let key = root.key.to_ascii_uppercase();
    if let Some(code) = root.epsg() {
        return Some(code);
    }
    let projected = matches!(key.as_str(), "PROJCS" | "PROJCRS" | "PROJECTEDCRS");
    let geographic = matches!(
        key.as_str(),
        "GEOGCS" | "GEOGCRS" | "GEODCRS" | "GEOGRAPHICCRS"
    );
    if !projected && !geographic {
        return None;
    }
    let cm = root
        .parameter("central_meridian")
        .or_else(|| root.parameter("longitude_of_origin"));
    let fe = root.parameter("false_easting");
    if let Some(&code) = root.name().and_then(|n| name_index().get(&normalise(n))) {
        if !projected {
            return Some(code);
        }
        match (registry_tm_params(code), cm, fe) {
            (Some((rcm, rfe)), Some(cm), Some(fe))
                if (rcm - cm).abs() < 1e-6 && (rfe - fe).abs() < 1e-3 =>
            {
                return Some(code)
            }
            (_, None, _) | (_, _, None) | (None, _, _) => return Some(code),
            _ => {} // named like a registry CRS but with other parameters: try the parameters
        }
    }
    let geog = if projected {
        root.child("GEOGCS")
            .or_else(|| root.child("BASEGEOGCRS"))
            .or_else(|| root.child("BASEGEODCRS"))
    } else {
        Some(&root)
    };
    let datum_text = geog
        .map(|g| {
            let mut t = normalise(g.name().unwrap_or_default());
            if let Some(d) = g.child("DATUM") {
                t.push('|');
                t.push_str(&normalise(d.name().unwrap_or_default()));
            }
            t
        })
        .unwrap_or_default();
    let cgcs2000 = datum_text.contains("china2000")
        || datum_text.contains("cgcs2000")
        || datum_text.contains("chinageodeticcoordinatesystem2000");
    let wgs84 = datum_text.contains("wgs84");
    if geographic {
        return if cgcs2000 {
            Some(4490)
        } else if wgs84 {
            Some(4326)
        } else {
            None
        };
    }
    let method = root
        .child("PROJECTION")
        .and_then(|p| p.name())
        .map(normalise)
        .unwrap_or_default();
    if !(method.contains("transversemercator")
        || method.contains("gk")
        || method.contains("gausskruger"))
    {
        return None;
    }
    let (cm, fe) = (cm?, fe?);
    let k = root.parameter("scale_factor").unwrap_or(1.0);
    let fnorth = root.parameter("false_northing").unwrap_or(0.0);
    let lat0 = root.parameter("latitude_of_origin").unwrap_or(0.0);
    if lat0 != 0.0 || cm.fract() != 0.0 {
        return None;
    }
    let cm_i = cm as i64;
    if cgcs2000 && (k - 1.0).abs() < 1e-12 && fnorth == 0.0 {
        // 3° zones: CM 75..135 step 3; 6° zones: CM 75..135 step 6 (the 3° list wins where both fit).
        if (75..=135).contains(&cm_i) && cm_i % 3 == 0 {
            let zone3 = cm_i / 3;
            if fe == 500_000.0 {
                return Some(4534 + ((cm_i - 75) / 3) as u32);
            }
            if fe == (zone3 * 1_000_000 + 500_000) as f64 {
                return Some(4513 + (zone3 - 25) as u32);
            }
        }
        if (75..=135).contains(&cm_i) && (cm_i - 75) % 6 == 0 {
            let zone6 = (cm_i + 3) / 6;
            if fe == 500_000.0 {
                return Some(4502 + ((cm_i - 75) / 6) as u32);
            }
            if fe == (zone6 * 1_000_000 + 500_000) as f64 {
                return Some(4491 + (zone6 - 13) as u32);
            }
        }
    }
    if wgs84 && (k - 0.9996).abs() < 1e-9 && fe == 500_000.0 && (cm_i + 183) % 6 == 0 {
        let zone = ((cm_i + 183) / 6) as u32;
        if (1..=60).contains(&zone) {
            if fnorth == 0.0 {
                return Some(32600 + zone);
            }
            if fnorth == 10_000_000.0 {
                return Some(32700 + zone);
            }
        }
    }
    None
}

/// OGC WKT1 of an EPSG CRS from the registry snapshot (what .prj files and GeoPackage
/// `gpkg_spatial_ref_sys.definition` hold).
pub fn wkt_for_epsg(code: u32) -> Option<&'static str> {
    crs_definitions::from_code(u16::try_from(code).ok()?).map(|d| d.wkt)
}

/// A short display name of a WKT CRS (its first quoted string).
pub(crate) fn wkt_name(wkt: &str) -> Option<String> {
    parse_wkt(wkt).and_then(|n| n.name().map(str::to_string))
}

#[cfg(test)]
mod tests {
    use super::*;
    const ESRI_GK: &str = r#"PROJCS["CGCS2000_3_Degree_GK_CM_114E",GEOGCS["GCS_China_Geodetic_Coordinate_System_2000",DATUM["D_China_2000",SPHEROID["CGCS2000",6378137.0,298.257222101]],PRIMEM["Greenwich",0.0],UNIT["Degree",0.0174532925199433]],PROJECTION["Gauss_Kruger"],PARAMETER["False_Easting",500000.0],PARAMETER["False_Northing",0.0],PARAMETER["Central_Meridian",114.0],PARAMETER["Scale_Factor",1.0],PARAMETER["Latitude_Of_Origin",0.0],UNIT["Meter",1.0]]"#;
    #[test]
    fn recognises_common_chinese_and_world_crs() {
        assert_eq!(epsg_from_wkt(ESRI_GK), Some(4547));
        let zone = ESRI_GK
            .replace(
                "CGCS2000_3_Degree_GK_CM_114E",
                "CGCS2000_3_Degree_GK_Zone_38",
            )
            .replace("500000.0", "38500000.0");
        assert_eq!(epsg_from_wkt(&zone), Some(4526));
        // Same parameters under a custom name still resolve.
        assert_eq!(
            epsg_from_wkt(&ESRI_GK.replace("CGCS2000_3_Degree_GK_CM_114E", "my_gk")),
            Some(4547)
        );
        assert_eq!(
            epsg_from_wkt(
                r#"GEOGCS["GCS_WGS_1984",DATUM["D_WGS_1984",SPHEROID["WGS_1984",6378137.0,298.257223563]],PRIMEM["Greenwich",0.0],UNIT["Degree",0.0174532925199433]]"#
            ),
            Some(4326)
        );
        assert_eq!(
            epsg_from_wkt(
                r#"GEOGCS["GCS_China_Geodetic_Coordinate_System_2000",DATUM["D_China_2000",SPHEROID["CGCS2000",6378137.0,298.257222101]],PRIMEM["Greenwich",0.0],UNIT["Degree",0.0174532925199433]]"#
            ),
            Some(4490)
        );
        assert_eq!(
            epsg_from_wkt(
                r#"PROJCS["WGS_1984_UTM_Zone_50N",GEOGCS["GCS_WGS_1984",DATUM["D_WGS_1984",SPHEROID["WGS_1984",6378137.0,298.257223563]],PRIMEM["Greenwich",0.0],UNIT["Degree",0.0174532925199433]],PROJECTION["Transverse_Mercator"],PARAMETER["False_Easting",500000.0],PARAMETER["False_Northing",0.0],PARAMETER["Central_Meridian",117.0],PARAMETER["Scale_Factor",0.9996],PARAMETER["Latitude_Of_Origin",0.0],UNIT["Meter",1.0]]"#
            ),
            Some(32650)
        );
        assert_eq!(
            epsg_from_wkt(
                r#"PROJCS["Beijing_1954_3_Degree_GK_CM_114E",GEOGCS["GCS_Beijing_1954",DATUM["D_Beijing_1954",SPHEROID["Krasovsky_1940",6378245.0,298.3]],PRIMEM["Greenwich",0.0],UNIT["Degree",0.0174532925199433]],PROJECTION["Gauss_Kruger"],PARAMETER["False_Easting",500000.0],PARAMETER["False_Northing",0.0],PARAMETER["Central_Meridian",114.0],PARAMETER["Scale_Factor",1.0],PARAMETER["Latitude_Of_Origin",0.0],UNIT["Meter",1.0]]"#
            ),
            Some(2435)
        );
        assert_eq!(epsg_from_wkt(wkt_for_epsg(2383).unwrap()), Some(2383));
        let xian = ESRI_GK
            .replace(
                "CGCS2000_3_Degree_GK_CM_114E",
                "Xian_1980_3_Degree_GK_CM_114E",
            )
            .replace("GCS_China_Geodetic_Coordinate_System_2000", "GCS_Xian_1980")
            .replace("D_China_2000", "D_Xian_1980");
        assert_eq!(epsg_from_wkt(&xian), Some(2383));
        for code in [4326, 4490, 4513, 4547, 4554, 32650, 32750] {
            assert_eq!(
                epsg_from_wkt(wkt_for_epsg(code).unwrap()),
                Some(code),
                "{code}"
            );
        }
    }
    #[test]
    fn unknown_or_garbage_gives_none() {
        assert_eq!(epsg_from_wkt("LOCAL_CS[\"engineering\"]"), None);
        assert_eq!(epsg_from_wkt("garbage[[[["), None);
        assert_eq!(epsg_from_wkt(""), None);
        assert_eq!(epsg_from_wkt(&"[".repeat(10000)), None);
    }
}
