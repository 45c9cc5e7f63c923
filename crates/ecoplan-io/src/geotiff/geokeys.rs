//! GeoKeys (GeoTIFF 1.1 §7): the CRS of a GeoTIFF and whether pixels are areas or points.

use super::container::{format, Res};
use ecoplan_grid::Crs;

pub(crate) const GT_MODEL_TYPE: u16 = 1024;
pub(crate) const GT_RASTER_TYPE: u16 = 1025;
pub(crate) const GEOGRAPHIC_TYPE: u16 = 2048;
const GEOG_GEODETIC_DATUM: u16 = 2050;
const GEOG_ANGULAR_UNITS: u16 = 2054;
const GEOG_ELLIPSOID: u16 = 2056;
const GEOG_SEMI_MAJOR_AXIS: u16 = 2057;
const GEOG_SEMI_MINOR_AXIS: u16 = 2058;
const GEOG_INV_FLATTENING: u16 = 2059;
pub(crate) const PROJECTED_CS_TYPE: u16 = 3072;
const PROJECTION: u16 = 3074;
const PROJ_COORD_TRANS: u16 = 3075;
const PROJ_LINEAR_UNITS: u16 = 3076;
const PROJ_STD_PARALLEL1: u16 = 3078;
const PROJ_STD_PARALLEL2: u16 = 3079;
const PROJ_NAT_ORIGIN_LONG: u16 = 3080;
const PROJ_NAT_ORIGIN_LAT: u16 = 3081;
const PROJ_FALSE_EASTING: u16 = 3082;
const PROJ_FALSE_NORTHING: u16 = 3083;
const PROJ_FALSE_ORIGIN_LONG: u16 = 3084;
const PROJ_FALSE_ORIGIN_LAT: u16 = 3085;
const PROJ_FALSE_ORIGIN_EASTING: u16 = 3086;
const PROJ_FALSE_ORIGIN_NORTHING: u16 = 3087;
const PROJ_CENTER_LONG: u16 = 3088;
const PROJ_CENTER_LAT: u16 = 3089;
const PROJ_SCALE_AT_NAT_ORIGIN: u16 = 3092;
const PROJ_STRAIGHT_VERT_POLE_LONG: u16 = 3095;

const USER_DEFINED: u16 = 32767;

/// A GeoKey's value.
#[derive(Debug, Clone, PartialEq)]
pub(crate) enum KeyValue {
    Short(u16),
    Doubles(Vec<f64>),
    Ascii(String),
}

/// The parsed key directory.
#[derive(Debug, Clone, Default)]
pub(crate) struct GeoKeys {
    pub keys: Vec<(u16, KeyValue)>,
}

impl GeoKeys {
    pub fn parse(dir: &[u16], doubles: Option<&[f64]>, ascii: Option<&str>) -> Res<GeoKeys> {
        if dir.len() < 4 {
            return format(format!(
                "GeoKeyDirectoryTag has {} values; its header alone needs 4",
                dir.len()
            ));
        }
        if dir[0] != 1 {
            return format(format!(
                "GeoKeyDirectoryTag version is {} (only version 1 exists)",
                dir[0]
            ));
        }
        let n = dir[3] as usize;
        if dir.len() < 4 + 4 * n {
            return format(format!(
                "GeoKeyDirectoryTag announces {n} keys but holds only {}",
                (dir.len() - 4) / 4
            ));
        }
        let mut keys = Vec::with_capacity(n);
        for k in 0..n {
            let e = &dir[4 + 4 * k..8 + 4 * k];
            let (id, loc, count, val) = (e[0], e[1], e[2] as usize, e[3] as usize);
            let value = match loc {
                0 => KeyValue::Short(e[3]),
                super::container::tag::GEO_KEY_DIRECTORY => match dir.get(val) {
                    Some(&v) if count >= 1 => KeyValue::Short(v),
                    _ => {
                        return format(format!(
                            "GeoKey {id} points at value {val} beyond the key directory"
                        ))
                    }
                },
                super::container::tag::GEO_DOUBLE_PARAMS => {
                    let Some(d) = doubles else {
                        return format(format!(
                            "GeoKey {id} refers to GeoDoubleParamsTag, which the file lacks"
                        ));
                    };
                    match d.get(val..val.saturating_add(count)) {
                        Some(v) if count > 0 => KeyValue::Doubles(v.to_vec()),
                        _ => {
                            return format(format!(
                            "GeoKey {id} refers to doubles {val}..{} but GeoDoubleParamsTag has {}",
                            val + count,
                            d.len()
                        ))
                        }
                    }
                }
                super::container::tag::GEO_ASCII_PARAMS => {
                    let Some(a) = ascii else {
                        return format(format!(
                            "GeoKey {id} refers to GeoAsciiParamsTag, which the file lacks"
                        ));
                    };
                    let b = a.as_bytes();
                    match b.get(val..val.saturating_add(count)) {
                        Some(s) => KeyValue::Ascii(
                            String::from_utf8_lossy(s)
                                .trim_end_matches(['|', '\0'])
                                .to_string(),
                        ),
                        None => {
                            return format(format!(
                                "GeoKey {id} refers to characters {val}..{} but GeoAsciiParamsTag has {}",
                                val + count,
                                b.len()
                            ))
                        }
                    }
                }
                other => {
                    return format(format!(
                        "GeoKey {id} is stored in tag {other}, which is not a GeoTIFF parameter tag"
                    ))
                }
            };
            keys.push((id, value));
        }
        Ok(GeoKeys { keys })
    }

    pub fn short(&self, id: u16) -> Option<u16> {
        self.keys.iter().find_map(|(k, v)| match v {
            KeyValue::Short(s) if *k == id => Some(*s),
            _ => None,
        })
    }
    pub fn double(&self, id: u16) -> Option<f64> {
        self.keys.iter().find_map(|(k, v)| match v {
            KeyValue::Doubles(d) if *k == id => d.first().copied(),
            _ => None,
        })
    }

    /// True when GTRasterTypeGeoKey says RasterPixelIsPoint.
    pub fn pixel_is_point(&self) -> bool {
        self.short(GT_RASTER_TYPE) == Some(2)
    }

    /// The CRS, or `None` with a warning saying why it could not be identified.
    pub fn crs(&self, warnings: &mut Vec<String>) -> Option<Crs> {
        let model = self.short(GT_MODEL_TYPE);
        let projected = self.short(PROJECTED_CS_TYPE);
        let geographic = self.short(GEOGRAPHIC_TYPE);
        if model == Some(3) {
            warnings.push("the GeoKeys describe a geocentric CRS, which ecoplan does not use; no CRS assigned".into());
            return None;
        }
        if let Some(code) = projected.filter(|&c| c != 0 && c != USER_DEFINED) {
            return Some(Crs::Epsg(code as u32));
        }
        let is_projected = model == Some(1) || projected == Some(USER_DEFINED);
        if !is_projected {
            if let Some(code) = geographic.filter(|&c| c != 0 && c != USER_DEFINED) {
                return Some(Crs::Epsg(code as u32));
            }
        }
        if model.is_none() && projected.is_none() && geographic.is_none() {
            return None;
        }
        match self.user_defined_proj(is_projected) {
            Ok(crs) => Some(crs),
            Err(why) => {
                warnings.push(format!(
                    "user-defined CRS in the GeoKeys could not be read ({why}); no CRS assigned — \
                     set one explicitly (e.g. --crs EPSG:4547)"
                ));
                None
            }
        }
    }

    /// Datum/ellipsoid part of a PROJ string (`+datum=WGS84`, `+ellps=GRS80`, `+a=… +rf=…`).
    fn datum_proj(&self) -> Result<String, String> {
        if let Some(g) = self
            .short(GEOGRAPHIC_TYPE)
            .filter(|&c| c != 0 && c != USER_DEFINED)
        {
            if let Some(d) = datum_of_geographic(g) {
                return Ok(d.to_string());
            }
            // Any other EPSG geographic CRS: take its definition.
            if let Some(def) = crs_definitions::from_code(g) {
                let p: Vec<&str> = def
                    .proj4
                    .split_whitespace()
                    .filter(|t| {
                        t.starts_with("+datum=")
                            || t.starts_with("+ellps=")
                            || t.starts_with("+towgs84=")
                            || t.starts_with("+a=")
                            || t.starts_with("+b=")
                            || t.starts_with("+rf=")
                    })
                    .collect();
                if !p.is_empty() {
                    return Ok(p.join(" "));
                }
            }
            return Err(format!("geographic CRS EPSG:{g} is not known"));
        }
        if let Some(datum) = self
            .short(GEOG_GEODETIC_DATUM)
            .filter(|&c| c != 0 && c != USER_DEFINED)
        {
            // Datum codes are the geographic CRS codes + 2000 for the common ones (6326 → 4326).
            if let Some(d) = datum_of_geographic(datum.wrapping_sub(2000)) {
                return Ok(d.to_string());
            }
        }
        if let Some(e) = self
            .short(GEOG_ELLIPSOID)
            .filter(|&c| c != 0 && c != USER_DEFINED)
        {
            let name = match e {
                7030 => "WGS84",
                7019 => "GRS80",
                7024 => "krass",
                7022 => "intl",
                7008 => "clrk66",
                7004 => "bessel",
                7043 => "WGS72",
                _ => return Err(format!("ellipsoid EPSG:{e} is not known")),
            };
            return Ok(format!("+ellps={name}"));
        }
        match (
            self.double(GEOG_SEMI_MAJOR_AXIS),
            self.double(GEOG_INV_FLATTENING),
            self.double(GEOG_SEMI_MINOR_AXIS),
        ) {
            (Some(a), Some(rf), _) if a > 0.0 && rf >= 0.0 => {
                if rf == 0.0 {
                    Ok(format!("+a={a} +b={a}"))
                } else {
                    Ok(format!("+a={a} +rf={rf}"))
                }
            }
            (Some(a), None, Some(b)) if a > 0.0 && b > 0.0 => Ok(format!("+a={a} +b={b}")),
            _ => Err("no datum or ellipsoid given".into()),
        }
    }

    /// Angles in GeoDoubleParams are in GeogAngularUnits; PROJ wants degrees.
    fn angle(&self, id: u16) -> Option<f64> {
        let v = self.double(id)?;
        Some(match self.short(GEOG_ANGULAR_UNITS) {
            Some(9101) => v.to_degrees(),
            Some(9105) => v * 0.9, // grad
            _ => v,
        })
    }

    fn user_defined_proj(&self, projected: bool) -> Result<Crs, String> {
        if let Some(u) = self.short(GEOG_ANGULAR_UNITS) {
            if !matches!(u, 9101 | 9102 | 9105 | 9122 | 0 | USER_DEFINED) {
                return Err(format!("angular unit EPSG:{u} is not supported"));
            }
        }
        let datum = self.datum_proj()?;
        if !projected {
            return Ok(Crs::Proj(format!("+proj=longlat {datum} +no_defs")));
        }
        let units = match self.short(PROJ_LINEAR_UNITS) {
            None | Some(9001) => "+units=m",
            Some(9002) => "+units=ft",
            Some(9003) => "+units=us-ft",
            Some(9036) => "+units=km",
            Some(u) => return Err(format!("linear unit EPSG:{u} is not supported")),
        };
        // A standard EPSG projection (UTM zones are the common case).
        if let Some(p) = self
            .short(PROJECTION)
            .filter(|&c| c != 0 && c != USER_DEFINED)
        {
            let (zone, south) = match p {
                16001..=16060 => (p - 16000, false),
                16101..=16160 => (p - 16100, true),
                _ => return Err(format!("projection EPSG:{p} is not supported")),
            };
            // Prefer an EPSG code for the usual datums: what GDAL reports too.
            let g = self.short(GEOGRAPHIC_TYPE);
            match (g, south) {
                (Some(4326), false) => return Ok(Crs::Epsg(32600 + zone as u32)),
                (Some(4326), true) => return Ok(Crs::Epsg(32700 + zone as u32)),
                (Some(4269), false) if zone <= 23 => return Ok(Crs::Epsg(26900 + zone as u32)),
                _ => {}
            }
            let s = if south { " +south" } else { "" };
            return Ok(Crs::Proj(format!(
                "+proj=utm +zone={zone}{s} {datum} {units} +no_defs"
            )));
        }
        let Some(ct) = self.short(PROJ_COORD_TRANS) else {
            return Err("user-defined projection without ProjCoordTransGeoKey".into());
        };
        let ang = |id: u16, name: &str| -> Result<f64, String> {
            self.angle(id)
                .ok_or_else(|| format!("projection parameter {name} ({id}) is missing"))
        };
        let ang_or = |a: u16, b: u16, name: &str| -> Result<f64, String> {
            self.angle(a)
                .or_else(|| self.angle(b))
                .ok_or_else(|| format!("projection parameter {name} ({a}) is missing"))
        };
        let fe = self
            .double(PROJ_FALSE_EASTING)
            .or_else(|| self.double(PROJ_FALSE_ORIGIN_EASTING))
            .unwrap_or(0.0);
        let fn_ = self
            .double(PROJ_FALSE_NORTHING)
            .or_else(|| self.double(PROJ_FALSE_ORIGIN_NORTHING))
            .unwrap_or(0.0);
        let k = self.double(PROJ_SCALE_AT_NAT_ORIGIN).unwrap_or(1.0);
        let proj = match ct {
            1 => format!(
                "+proj=tmerc +lat_0={} +lon_0={} +k={k} +x_0={fe} +y_0={fn_}",
                self.angle(PROJ_NAT_ORIGIN_LAT).unwrap_or(0.0),
                ang_or(PROJ_NAT_ORIGIN_LONG, PROJ_CENTER_LONG, "ProjNatOriginLong")?
            ),
            7 => format!(
                "+proj=merc +lon_0={} +k={k} +x_0={fe} +y_0={fn_}",
                ang_or(PROJ_NAT_ORIGIN_LONG, PROJ_CENTER_LONG, "ProjNatOriginLong")?
            ),
            8 => format!(
                "+proj=lcc +lat_1={} +lat_2={} +lat_0={} +lon_0={} +x_0={fe} +y_0={fn_}",
                ang(PROJ_STD_PARALLEL1, "ProjStdParallel1")?,
                ang(PROJ_STD_PARALLEL2, "ProjStdParallel2")?,
                self.angle(PROJ_FALSE_ORIGIN_LAT)
                    .or_else(|| self.angle(PROJ_NAT_ORIGIN_LAT))
                    .unwrap_or(0.0),
                ang_or(
                    PROJ_FALSE_ORIGIN_LONG,
                    PROJ_NAT_ORIGIN_LONG,
                    "ProjFalseOriginLong"
                )?
            ),
            9 => format!(
                "+proj=lcc +lat_1={lat} +lat_0={lat} +lon_0={} +k_0={k} +x_0={fe} +y_0={fn_}",
                ang_or(PROJ_NAT_ORIGIN_LONG, PROJ_CENTER_LONG, "ProjNatOriginLong")?,
                lat = ang(PROJ_NAT_ORIGIN_LAT, "ProjNatOriginLat")?
            ),
            10 => format!(
                "+proj=laea +lat_0={} +lon_0={} +x_0={fe} +y_0={fn_}",
                ang_or(PROJ_CENTER_LAT, PROJ_NAT_ORIGIN_LAT, "ProjCenterLat")?,
                ang_or(PROJ_CENTER_LONG, PROJ_NAT_ORIGIN_LONG, "ProjCenterLong")?
            ),
            11 => format!(
                "+proj=aea +lat_1={} +lat_2={} +lat_0={} +lon_0={} +x_0={fe} +y_0={fn_}",
                ang(PROJ_STD_PARALLEL1, "ProjStdParallel1")?,
                ang(PROJ_STD_PARALLEL2, "ProjStdParallel2")?,
                self.angle(PROJ_FALSE_ORIGIN_LAT)
                    .or_else(|| self.angle(PROJ_NAT_ORIGIN_LAT))
                    .unwrap_or(0.0),
                ang_or(
                    PROJ_FALSE_ORIGIN_LONG,
                    PROJ_NAT_ORIGIN_LONG,
                    "ProjFalseOriginLong"
                )?
            ),
            15 => format!(
                "+proj=stere +lat_0={} +lat_ts={} +lon_0={} +k={k} +x_0={fe} +y_0={fn_}",
                if ang(PROJ_NAT_ORIGIN_LAT, "ProjNatOriginLat")? < 0.0 {
                    -90
                } else {
                    90
                },
                ang(PROJ_NAT_ORIGIN_LAT, "ProjNatOriginLat")?,
                ang_or(
                    PROJ_STRAIGHT_VERT_POLE_LONG,
                    PROJ_NAT_ORIGIN_LONG,
                    "ProjStraightVertPoleLong"
                )?
            ),
            17 => format!(
                "+proj=eqc +lat_ts={} +lon_0={} +x_0={fe} +y_0={fn_}",
                self.angle(PROJ_STD_PARALLEL1).unwrap_or(0.0),
                ang_or(PROJ_NAT_ORIGIN_LONG, PROJ_CENTER_LONG, "ProjNatOriginLong")?
            ),
            other => {
                return Err(format!(
                    "coordinate transformation {other} (ProjCoordTransGeoKey) is not supported"
                ));
            }
        };
        Ok(Crs::Proj(format!("{proj} {datum} {units} +no_defs")))
    }
}

fn datum_of_geographic(code: u16) -> Option<&'static str> {
    Some(match code {
        4326 => "+datum=WGS84",
        4269 => "+datum=NAD83",
        4267 => "+datum=NAD27",
        4490 => "+ellps=GRS80",
        4258 => "+ellps=GRS80 +towgs84=0,0,0,0,0,0,0",
        4283 => "+ellps=GRS80 +towgs84=0,0,0,0,0,0,0",
        4214 => "+ellps=krass",
        4610 => "+ellps=IAU76",
        4322 => "+ellps=WGS72",
        _ => return None,
    })
}

/// The key directory ecoplan writes for an EPSG CRS: model type, PixelIsArea and the code.
/// Geographic vs projected is decided from the EPSG definition (WKT `GEOGCS` vs `PROJCS`).
pub(crate) fn keys_for_crs(crs: Option<&Crs>) -> Result<Option<Vec<u16>>, String> {
    let Some(crs) = crs else {
        return Ok(None);
    };
    let code = match crs {
        Crs::Epsg(c) => *c,
        Crs::Proj(p) => match crate::crs::epsg_for_proj(p) {
            Some(c) => c,
            None => {
                return Err(format!(
                    "the CRS `{p}` is a PROJ string that matches no EPSG code ecoplan knows; \
                     GeoTIFF output needs an EPSG code (assign one, e.g. --crs EPSG:4547)"
                ))
            }
        },
    };
    let Ok(code16) = u16::try_from(code) else {
        return Err(format!(
            "EPSG:{code} does not fit in a GeoKey (codes up to 65535 do)"
        ));
    };
    let geographic = match crs_definitions::from_code(code16) {
        Some(def) => def.wkt.starts_with("GEOGCS"),
        None => crs.is_geographic(),
    };
    let (model, key) = if geographic {
        (2, GEOGRAPHIC_TYPE)
    } else {
        (1, PROJECTED_CS_TYPE)
    };
    let mut dir = vec![1u16, 1, 0, 3];
    dir.extend_from_slice(&[GT_MODEL_TYPE, 0, 1, model]);
    dir.extend_from_slice(&[GT_RASTER_TYPE, 0, 1, 1]);
    dir.extend_from_slice(&[key, 0, 1, code16]);
    if geographic {
        // GeogAngularUnitsGeoKey = degree, as GDAL writes.
        dir[3] = 4;
        dir.extend_from_slice(&[GEOG_ANGULAR_UNITS, 0, 1, 9102]);
    }
    Ok(Some(dir))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn dir(keys: &[[u16; 4]]) -> Vec<u16> {
        let mut d = vec![1, 1, 0, keys.len() as u16];
        for k in keys {
            d.extend_from_slice(k);
        }
        d
    }

    #[test]
    fn epsg_codes_are_read() {
        let k = GeoKeys::parse(
            &dir(&[[1024, 0, 1, 1], [1025, 0, 1, 2], [3072, 0, 1, 32650]]),
            None,
            None,
        )
        .unwrap();
        let mut w = vec![];
        assert_eq!(k.crs(&mut w), Some(Crs::Epsg(32650)));
        assert!(k.pixel_is_point());
        let k = GeoKeys::parse(&dir(&[[1024, 0, 1, 2], [2048, 0, 1, 4490]]), None, None).unwrap();
        assert_eq!(k.crs(&mut w), Some(Crs::Epsg(4490)));
        assert!(w.is_empty());
    }

    #[test]
    fn user_defined_transverse_mercator_becomes_a_proj_string() {
        let doubles = [117.0, 0.0, 500000.0, 0.0, 1.0];
        let k = GeoKeys::parse(
            &dir(&[
                [1024, 0, 1, 1],
                [2048, 0, 1, 4490],
                [3072, 0, 1, 32767],
                [3075, 0, 1, 1],
                [3076, 0, 1, 9001],
                [3080, 34736, 1, 0],
                [3081, 34736, 1, 1],
                [3082, 34736, 1, 2],
                [3083, 34736, 1, 3],
                [3092, 34736, 1, 4],
            ]),
            Some(&doubles),
            None,
        )
        .unwrap();
        let mut w = vec![];
        assert_eq!(
            k.crs(&mut w),
            Some(Crs::Proj(
                "+proj=tmerc +lat_0=0 +lon_0=117 +k=1 +x_0=500000 +y_0=0 +ellps=GRS80 +units=m +no_defs"
                    .into()
            ))
        );
    }

    #[test]
    fn unsupported_user_defined_crs_warns() {
        let k = GeoKeys::parse(
            &dir(&[[1024, 0, 1, 1], [3072, 0, 1, 32767], [3075, 0, 1, 23]]),
            None,
            None,
        )
        .unwrap();
        let mut w = vec![];
        assert_eq!(k.crs(&mut w), None);
        assert!(w[0].contains("could not be read"), "{w:?}");
    }

    #[test]
    fn broken_directories_are_errors() {
        assert!(GeoKeys::parse(&[1, 1, 0, 5, 1024, 0, 1, 1], None, None).is_err());
        assert!(GeoKeys::parse(&dir(&[[3080, 34736, 1, 7]]), Some(&[1.0]), None).is_err());
        assert!(GeoKeys::parse(&dir(&[[1026, 34737, 10, 0]]), None, Some("abc")).is_err());
        assert!(GeoKeys::parse(&dir(&[[1026, 999, 10, 0]]), None, None).is_err());
        assert!(GeoKeys::parse(&[2, 1, 0, 0], None, None).is_err());
    }

    #[test]
    fn written_keys_read_back() {
        for (crs, geog) in [(Crs::Epsg(4326), true), (Crs::Epsg(4547), false)] {
            let d = keys_for_crs(Some(&crs)).unwrap().unwrap();
            let k = GeoKeys::parse(&d, None, None).unwrap();
            assert_eq!(k.crs(&mut vec![]), Some(crs));
            assert_eq!(k.short(GT_MODEL_TYPE), Some(if geog { 2 } else { 1 }));
        }
        assert!(keys_for_crs(Some(&Crs::Proj("+proj=longlat".into()))).is_err());
        // A user-defined Gauss–Krüger projection read from a GeoTIFF is written back as its EPSG code.
        let gk = Crs::Proj("+proj=tmerc +lat_0=0 +lon_0=114 +k=1 +x_0=500000 +y_0=0 +ellps=GRS80 +units=m +no_defs".into());
        assert_eq!(
            keys_for_crs(Some(&gk)),
            keys_for_crs(Some(&Crs::Epsg(4547)))
        );
    }
}
