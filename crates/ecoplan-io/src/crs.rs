//! Coordinate reference systems: definitions, transformations and the choice of a metric CRS.
//!
//! CRSs are named by EPSG code ([`Crs::Epsg`]) or PROJ string ([`Crs::Proj`]). Definitions come
//! from the EPSG registry snapshot in `crs-definitions`; transformations are done by `proj4rs`
//! (pure Rust, agrees with PROJ to well under a millimetre for the projections used here).
//!
//! Coordinates are always (x, y) = (easting, northing) or (longitude, latitude) in degrees — the
//! "traditional GIS order" GDAL uses — whatever axis order the EPSG definition declares.
//!
//! CGCS2000 (EPSG:4490) and WGS84 are treated as identical (no datum shift), as PROJ does.
//! China's Gauss–Krüger zones:
//! - EPSG:4513–4533: CGCS2000 3° GK zones 25–45, **with** the zone number prefixed to x
//!   (false easting = zone × 10⁶ + 500 000);
//! - EPSG:4534–4554: CGCS2000 3° GK CM 75°E–135°E, **without** prefix (false easting 500 000);
//! - EPSG:4491–4501 / 4502–4512: the 6° zones 13–23 with prefix / CM 75°E–135°E without.
//!
//! ```
//! use ecoplan_grid::Crs;
//! use ecoplan_io::crs::{gk3_crs_for_longitude, CrsTransform};
//! // 云冈区 lies near 113.1°E: its 3° zone is CM 114°E, EPSG:4547.
//! assert_eq!(gk3_crs_for_longitude(113.1, false), Crs::Epsg(4547));
//! let t = CrsTransform::new(&Crs::Epsg(4490), &Crs::Epsg(4547)).unwrap();
//! let (x, y) = t.transform(114.0, 40.0).unwrap();
//! // PROJ gives (500000.000, 4429529.030).
//! assert!((x - 500_000.0).abs() < 1e-6 && (y - 4_429_529.030).abs() < 1e-3);
//! ```

use crate::IoError;
use ecoplan_grid::Crs;
use proj4rs::Proj;

/// PROJ string of a CRS (EPSG codes are looked up in the registry snapshot).
pub fn proj_string(crs: &Crs) -> Result<String, IoError> {
    match crs {
        Crs::Proj(p) => Ok(p.clone()),
        Crs::Epsg(code) => {
            let def = u16::try_from(*code)
                .ok()
                .and_then(crs_definitions::from_code);
            def.map(|d| d.proj4.to_string()).ok_or_else(|| {
                IoError::Crs(format!(
                    "EPSG:{code} is not in ecoplan's EPSG registry; give the CRS as a PROJ string (e.g. \"+proj=tmerc +lon_0=114 +x_0=500000 +ellps=GRS80 +units=m\")"
                ))
            })
        }
    }
}

/// The EPSG code whose definition is the same CRS as a PROJ string, among the families Chinese
/// planning data arrive in: WGS84 (4326), CGCS2000 (4490) and its 6°/3° Gauss–Krüger zones
/// (4491–4554), Xian 1980 and Beijing 1954 Gauss–Krüger (2327–2442, 21413–21483), and WGS84 UTM
/// (32601–32660, 32701–32760). Parameters are compared by value in any order, with PROJ's
/// defaults filled in, so a GeoTIFF's user-defined Gauss–Krüger projection becomes EPSG again.
///
/// ```
/// use ecoplan_io::crs::epsg_for_proj;
/// let gk = "+proj=tmerc +lon_0=114 +k=1.0 +x_0=500000 +ellps=GRS80 +units=m +no_defs";
/// assert_eq!(epsg_for_proj(gk), Some(4547));
/// assert_eq!(epsg_for_proj("+proj=tmerc +lon_0=114.5 +x_0=500000 +ellps=GRS80"), None);
/// ```
pub fn epsg_for_proj(proj: &str) -> Option<u32> {
    let want = proj_params(proj)?;
    // 3° CM zones first: a 6° zone with the same meridian is the same CRS, and 3° is what
    // planning data use.
    let candidates = [
        4326..=4326,
        4490..=4490,
        4534..=4554,
        4513..=4533,
        4491..=4512,
        2327..=2442,
        21413..=21483,
        32601..=32660,
        32701..=32760,
    ];
    candidates
        .into_iter()
        .flatten()
        .find(|&code| {
            crs_definitions::from_code(code)
                .and_then(|d| proj_params(d.proj4))
                .is_some_and(|have| same_params(&want, &have))
        })
        .map(u32::from)
}

/// A PROJ string as sorted (key, value) pairs with defaults filled in and aliases unified.
fn proj_params(proj: &str) -> Option<Vec<(String, String)>> {
    let mut out: Vec<(String, String)> = Vec::new();
    for tok in proj.split_whitespace() {
        let tok = tok.trim_start_matches('+');
        let (k, v) = tok.split_once('=').unwrap_or((tok, ""));
        let k = match k {
            "k_0" => "k",
            "no_defs" | "type" | "wktext" => continue,
            k => k,
        };
        out.push((k.to_string(), v.to_string()));
    }
    let proj_name = out.iter().find(|(k, _)| k == "proj")?.1.clone();
    // `+datum=WGS84` implies the WGS84 ellipsoid with no datum shift.
    if out.iter().any(|(k, v)| k == "datum" && v == "WGS84") {
        out.retain(|(k, _)| k != "datum" && k != "towgs84");
        out.push(("ellps".into(), "WGS84".into()));
    }
    if proj_name == "utm" {
        let zone: f64 = out.iter().find(|(k, _)| k == "zone")?.1.parse().ok()?;
        let south = out.iter().any(|(k, _)| k == "south");
        out.retain(|(k, _)| k != "proj" && k != "zone" && k != "south");
        out.push(("proj".into(), "tmerc".into()));
        out.push(("lon_0".into(), format!("{}", zone * 6.0 - 183.0)));
        out.push(("k".into(), "0.9996".into()));
        out.push(("x_0".into(), "500000".into()));
        out.push(("y_0".into(), if south { "10000000" } else { "0" }.into()));
    }
    if proj_name != "longlat" && proj_name != "latlong" {
        for (k, default) in [
            ("lat_0", "0"),
            ("lon_0", "0"),
            ("k", "1"),
            ("x_0", "0"),
            ("y_0", "0"),
            ("units", "m"),
        ] {
            if !out.iter().any(|(have, _)| have == k) {
                out.push((k.into(), default.into()));
            }
        }
    }
    out.sort();
    Some(out)
}

fn same_params(a: &[(String, String)], b: &[(String, String)]) -> bool {
    a.len() == b.len()
        && a.iter().zip(b).all(|((ka, va), (kb, vb))| {
            ka == kb
                && (va == vb
                    || matches!((va.parse::<f64>(), vb.parse::<f64>()), (Ok(x), Ok(y)) if (x - y).abs() <= 1e-9 * x.abs().max(1.0)))
        })
}

/// OGC WKT (WKT1, as in .prj files and GeoPackage `gpkg_spatial_ref_sys`) of an EPSG CRS.
pub fn wkt(crs: &Crs) -> Option<&'static str> {
    crs.epsg()
        .and_then(|c| u16::try_from(c).ok())
        .and_then(crs_definitions::from_code)
        .map(|d| d.wkt)
}

/// True if the CRS has angular (degree) coordinates.
pub fn is_geographic(crs: &Crs) -> Result<bool, IoError> {
    Ok(parse_proj(crs)?.is_latlong())
}

/// Human-readable name, e.g. "CGCS2000 / 3-degree Gauss-Kruger CM 114E", taken from the WKT.
pub fn name(crs: &Crs) -> String {
    wkt(crs)
        .and_then(|w| w.split('"').nth(1).map(str::to_string))
        .unwrap_or_else(|| crs.label())
}

fn parse_proj(crs: &Crs) -> Result<Proj, IoError> {
    let s = proj_string(crs)?;
    Proj::from_proj_string(&s)
        .map_err(|e| IoError::Crs(format!("{}: cannot be used: {e:?}", crs.label())))
}

/// EPSG code of the CGCS2000 3° Gauss–Krüger zone whose central meridian is nearest `lon`.
///
/// `with_zone_prefix` selects the zone-numbered variant (EPSG:4513–4533) over the CM variant
/// (EPSG:4534–4554). Longitudes outside 73.5°E–136.5°E are clamped to the nearest zone.
pub fn gk3_crs_for_longitude(lon: f64, with_zone_prefix: bool) -> Crs {
    let zone = (lon / 3.0).round().clamp(25.0, 45.0) as u32; // CM = 3 × zone
    Crs::Epsg(if with_zone_prefix {
        4513 + (zone - 25)
    } else {
        4534 + (zone - 25)
    })
}

/// WGS84 UTM zone CRS (EPSG:326zz north, 327zz south) for a longitude/latitude.
pub fn utm_crs_for(lon: f64, lat: f64) -> Crs {
    let zone = (((lon + 180.0) / 6.0).floor() as i64).clamp(0, 59) as u32 + 1;
    Crs::Epsg(if lat >= 0.0 {
        32600 + zone
    } else {
        32700 + zone
    })
}

/// A transformation between two CRSs. Cheap to share across threads.
pub struct CrsTransform {
    src: Proj,
    dst: Proj,
    src_deg: bool,
    dst_deg: bool,
    identity: bool,
    label: String,
}

impl CrsTransform {
    pub fn new(from: &Crs, to: &Crs) -> Result<Self, IoError> {
        let src = parse_proj(from)?;
        let dst = parse_proj(to)?;
        let identity = from == to || proj_string(from)? == proj_string(to)?;
        Ok(CrsTransform {
            src_deg: src.is_latlong(),
            dst_deg: dst.is_latlong(),
            src,
            dst,
            identity,
            label: format!("{} → {}", from.label(), to.label()),
        })
    }

    pub fn is_identity(&self) -> bool {
        self.identity
    }

    /// Transforms one point; degrees in and out for geographic CRSs.
    pub fn transform(&self, x: f64, y: f64) -> Result<(f64, f64), IoError> {
        if self.identity {
            return Ok((x, y));
        }
        let mut p = if self.src_deg {
            (x.to_radians(), y.to_radians())
        } else {
            (x, y)
        };
        proj4rs::transform::transform(&self.src, &self.dst, &mut p).map_err(|e| {
            IoError::Crs(format!(
                "{}: cannot transform ({x}, {y}): {e:?}",
                self.label
            ))
        })?;
        if self.dst_deg {
            p = (p.0.to_degrees(), p.1.to_degrees());
        }
        if !(p.0.is_finite() && p.1.is_finite()) {
            return Err(IoError::Crs(format!(
                "{}: ({x}, {y}) has no finite image",
                self.label
            )));
        }
        Ok(p)
    }

    /// Transforms points in place; a point that cannot be transformed becomes (NaN, NaN).
    pub fn transform_points(&self, points: &mut [(f64, f64)]) {
        for p in points.iter_mut() {
            *p = self.transform(p.0, p.1).unwrap_or((f64::NAN, f64::NAN));
        }
    }

    /// Bounds `(x_min, y_min, x_max, y_max)` of a rectangle after transformation, found by
    /// densifying its edges (21 points a side), so curved edges are covered.
    pub fn transform_bounds(
        &self,
        b: (f64, f64, f64, f64),
    ) -> Result<(f64, f64, f64, f64), IoError> {
        const N: usize = 21;
        let mut out = (
            f64::INFINITY,
            f64::INFINITY,
            f64::NEG_INFINITY,
            f64::NEG_INFINITY,
        );
        for i in 0..N {
            let t = i as f64 / (N - 1) as f64;
            let x = b.0 + t * (b.2 - b.0);
            let y = b.1 + t * (b.3 - b.1);
            for (px, py) in [(x, b.1), (x, b.3), (b.0, y), (b.2, y)] {
                let (qx, qy) = self.transform(px, py)?;
                out = (out.0.min(qx), out.1.min(qy), out.2.max(qx), out.3.max(qy));
            }
        }
        Ok(out)
    }
}

// proj4rs::Proj holds plain data; the transform functions take it by shared reference.
#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn proj_strings_find_their_epsg_code() {
        for code in (4534..=4554)
            .chain(4513..=4533)
            .chain([4326, 4490, 32650, 32750])
        {
            let def = crs_definitions::from_code(code).unwrap();
            assert_eq!(
                epsg_for_proj(def.proj4),
                Some(u32::from(code)),
                "{}",
                def.proj4
            );
        }
        // UTM written out as a transverse Mercator, parameters shuffled.
        let utm = "+units=m +y_0=0 +x_0=500000 +k_0=0.9996 +lon_0=117 +proj=tmerc +datum=WGS84";
        assert_eq!(epsg_for_proj(utm), Some(32650));
        // A 6° CGCS2000 zone (EPSG:4508, CM 111°E) is the same CRS as the 3° CM zone EPSG:4546.
        assert_eq!(epsg_for_proj(crs_definitions::EPSG_4508.proj4), Some(4546));
        assert_eq!(
            epsg_for_proj("+proj=tmerc +lon_0=114 +x_0=500000 +ellps=krass"),
            None
        );
        assert_eq!(epsg_for_proj("not a proj string"), None);
    }

    #[test]
    fn chinese_zones_resolve() {
        assert_eq!(gk3_crs_for_longitude(114.0, false), Crs::Epsg(4547));
        assert_eq!(gk3_crs_for_longitude(113.1, true), Crs::Epsg(4526));
        assert_eq!(gk3_crs_for_longitude(89.2, false), Crs::Epsg(4539)); // 吐鲁番 → CM 90E
        assert_eq!(utm_crs_for(113.1, 40.0), Crs::Epsg(32649));
        for code in [
            4326, 4490, 4513, 4526, 4533, 4534, 4547, 4554, 4491, 4502, 32649, 32650, 3857,
        ] {
            assert!(proj_string(&Crs::Epsg(code)).is_ok(), "EPSG:{code}");
        }
        assert!(proj_string(&Crs::Epsg(999_999))
            .unwrap_err()
            .to_string()
            .contains("PROJ string"));
        assert!(is_geographic(&Crs::Epsg(4490)).unwrap());
        assert!(!is_geographic(&Crs::Epsg(4547)).unwrap());
        assert_eq!(
            name(&Crs::Epsg(4547)),
            "CGCS2000 / 3-degree Gauss-Kruger CM 114E"
        );
    }

    #[test]
    fn zone_prefix_adds_the_zone_number_to_x() {
        let plain = CrsTransform::new(&Crs::Epsg(4490), &Crs::Epsg(4547)).unwrap();
        let prefixed = CrsTransform::new(&Crs::Epsg(4490), &Crs::Epsg(4526)).unwrap();
        let (x1, y1) = plain.transform(113.2, 40.1).unwrap();
        let (x2, y2) = prefixed.transform(113.2, 40.1).unwrap();
        assert!((x2 - x1 - 38_000_000.0).abs() < 1e-6 && (y2 - y1).abs() < 1e-6);
        let back = CrsTransform::new(&Crs::Epsg(4547), &Crs::Epsg(4490)).unwrap();
        let (lon, lat) = back.transform(x1, y1).unwrap();
        assert!((lon - 113.2).abs() < 1e-9 && (lat - 40.1).abs() < 1e-9);
    }
}
