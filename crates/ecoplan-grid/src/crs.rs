use serde::{Deserialize, Serialize};

/// Identity of a coordinate reference system.
///
/// ecoplan names CRSs by EPSG code wherever one exists (what GeoTIFF GeoKeys and GeoPackage
/// `gpkg_spatial_ref_sys` carry); a PROJ string covers the rest. Turning either into a
/// transformation is the io crate's job (`ecoplan_io::crs`).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(untagged)]
pub enum Crs {
    Epsg(u32),
    Proj(String),
}

impl Crs {
    pub fn epsg(&self) -> Option<u32> {
        match self {
            Crs::Epsg(c) => Some(*c),
            Crs::Proj(_) => None,
        }
    }
    /// Geographic (degrees) rather than projected (metres).
    pub fn is_geographic(&self) -> bool {
        match self {
            Crs::Epsg(c) => matches!(c, 4326 | 4490 | 4214 | 4610 | 4269 | 4258 | 4283),
            Crs::Proj(p) => p.contains("+proj=longlat") || p.contains("+proj=latlong"),
        }
    }
    /// `EPSG:4547` or the PROJ string, for messages and reports.
    pub fn label(&self) -> String {
        match self {
            Crs::Epsg(c) => format!("EPSG:{c}"),
            Crs::Proj(p) => p.clone(),
        }
    }
    /// Parses `EPSG:4547`, `epsg:4547`, `4547` or a PROJ string starting with `+proj=`.
    pub fn parse(text: &str) -> Option<Crs> {
        let t = text.trim();
        let digits = t
            .strip_prefix("EPSG:")
            .or_else(|| t.strip_prefix("epsg:"))
            .unwrap_or(t);
        if let Ok(code) = digits.parse::<u32>() {
            return Some(Crs::Epsg(code));
        }
        if t.starts_with("+proj=") || t.contains(" +proj=") {
            return Some(Crs::Proj(t.to_string()));
        }
        None
    }
}

impl std::fmt::Display for Crs {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.label())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    #[test]
    fn parses_codes_and_proj_strings() {
        assert_eq!(Crs::parse("EPSG:4547"), Some(Crs::Epsg(4547)));
        assert_eq!(Crs::parse("4490"), Some(Crs::Epsg(4490)));
        assert!(matches!(
            Crs::parse("+proj=tmerc +lon_0=114"),
            Some(Crs::Proj(_))
        ));
        assert_eq!(Crs::parse("nonsense"), None);
        assert!(Crs::Epsg(4490).is_geographic());
        assert!(!Crs::Epsg(4547).is_geographic());
    }
}
