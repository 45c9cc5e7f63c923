//! ESRI Shapefile reading (.shp geometry, .dbf attributes, .prj CRS, .cpg encoding).
//!
//! All 2-D, Z and M shape types are read (Z/M dropped); MultiPatch is skipped with a warning.
//! Polygon rings are assembled as the format prescribes — clockwise rings are outer rings,
//! counter-clockwise rings are holes of the smallest outer ring containing them — falling back to
//! nesting depth (even = outer, odd = hole) when a file's orientations are inconsistent.

use super::{dbf, prj, Feature, Layer, ParseError};
use crate::IoError;
use ecoplan_grid::Crs;
use geo_types::{
    Coord, Geometry, LineString, MultiLineString, MultiPoint, MultiPolygon, Point, Polygon,
};
use std::path::{Path, PathBuf};

fn be_i32(b: &[u8], at: usize) -> i32 {
    i32::from_be_bytes(b[at..at + 4].try_into().unwrap())
}
fn le_i32(b: &[u8], at: usize) -> i32 {
    i32::from_le_bytes(b[at..at + 4].try_into().unwrap())
}
fn le_f64(b: &[u8], at: usize) -> f64 {
    f64::from_le_bytes(b[at..at + 8].try_into().unwrap())
}

/// Parses shapefile parts held in memory. `dbf` may be `None` (geometry only); `prj` is the .prj
/// text; `encoding` a .dbf text-encoding label (see [`super::ReadOptions::encoding`]; `None` =
/// detect). Never panics on malformed input.
pub fn parse_shapefile(
    shp: &[u8],
    dbf: Option<&[u8]>,
    prj: Option<&str>,
    encoding: Option<&str>,
) -> Result<Layer, ParseError> {
    if shp.len() < 100 {
        return Err(ParseError::new(format!(
            ".shp is too short for a shapefile header ({} bytes, need 100)",
            shp.len()
        )));
    }
    if be_i32(shp, 0) != 9994 {
        return Err(ParseError::new(format!(
            ".shp header: file code {} is not 9994 — not a shapefile",
            be_i32(shp, 0)
        )));
    }
    let mut layer = Layer::new("", None);
    let declared_len = be_i32(shp, 24) as i64 * 2;
    if declared_len != shp.len() as i64 {
        layer.warnings.push(format!(
            ".shp header says {declared_len} bytes but the file has {}",
            shp.len()
        ));
    }
    let mut geoms: Vec<Option<Geometry<f64>>> = Vec::new();
    let mut pos = 100usize;
    let mut skipped_multipatch = 0usize;
    while pos + 8 <= shp.len() {
        let rec_no = be_i32(shp, pos);
        let words = be_i32(shp, pos + 4);
        if words < 0 {
            return Err(ParseError::new(format!(
                ".shp record {rec_no} at byte {pos}: negative content length {words}"
            )));
        }
        let len = words as usize * 2;
        let start = pos + 8;
        if start + len > shp.len() {
            return Err(ParseError::new(format!(
                ".shp is truncated: record {} at byte {pos} needs {len} bytes but the file ends at byte {} — the file was cut off; copy it again",
                geoms.len() + 1,
                shp.len()
            )));
        }
        let content = &shp[start..start + len];
        let g = shape(content).map_err(|e| {
            ParseError::new(format!(".shp record {} (byte {pos}): {e}", geoms.len() + 1))
        })?;
        if let Shape::MultiPatch = g {
            skipped_multipatch += 1;
        }
        geoms.push(match g {
            Shape::Geom(g) => Some(g),
            _ => None,
        });
        pos = start + len;
    }
    if pos != shp.len() && pos + 8 > shp.len() {
        layer.warnings.push(format!(
            ".shp has {} stray bytes after the last record",
            shp.len() - pos
        ));
    }
    if skipped_multipatch > 0 {
        layer.warnings.push(format!("{skipped_multipatch} MultiPatch shapes are not supported and were read without geometry"));
    }
    if let Some(text) = prj {
        match prj::epsg_from_wkt(text) {
            Some(code) => layer.crs = Some(Crs::Epsg(code)),
            None => layer.warnings.push(format!(
                "坐标系未识别 (.prj not recognised: {}); CRS left unset — give it with --crs",
                prj::wkt_name(text).unwrap_or_else(|| text.chars().take(80).collect())
            )),
        }
    }
    match dbf {
        None => {
            layer.features = geoms
                .into_iter()
                .map(|g| Feature {
                    geometry: g,
                    properties: vec![],
                })
                .collect();
        }
        Some(bytes) => {
            let table = dbf::parse_dbf(bytes, encoding)?;
            layer.fields = table.fields;
            layer.warnings.extend(table.warnings);
            if table.records.len() != geoms.len() {
                layer.warnings.push(format!(
                    ".shp has {} shapes but .dbf has {} records; unmatched ones get no geometry / null attributes",
                    geoms.len(),
                    table.records.len()
                ));
            }
            let n = geoms.len().max(table.records.len());
            let nf = layer.fields.len();
            let mut records = table.records.into_iter();
            let mut geoms = geoms.into_iter();
            let mut deleted = 0usize;
            for _ in 0..n {
                let g = geoms.next().flatten();
                match records.next() {
                    Some(None) => deleted += 1, // deleted record: skip the feature
                    Some(Some(values)) => layer.features.push(Feature {
                        geometry: g,
                        properties: values,
                    }),
                    None => layer.features.push(Feature {
                        geometry: g,
                        properties: vec![super::FieldValue::Null; nf],
                    }),
                }
            }
            if deleted > 0 {
                layer.warnings.push(format!(
                    "{deleted} records marked deleted in the .dbf were skipped"
                ));
            }
        }
    }
    Ok(layer)
}

enum Shape {
    Null,
    MultiPatch,
    Geom(Geometry<f64>),
}

fn shape(c: &[u8]) -> Result<Shape, String> {
    if c.len() < 4 {
        return Err("record shorter than its shape type".into());
    }
    let ty = le_i32(c, 0);
    let need = |n: usize| -> Result<(), String> {
        if c.len() < n {
            Err(format!(
                "shape type {ty} needs {n} bytes, record has {}",
                c.len()
            ))
        } else {
            Ok(())
        }
    };
    match ty {
        0 => Ok(Shape::Null),
        1 | 11 | 21 => {
            need(20)?;
            Ok(Shape::Geom(Geometry::Point(Point::new(
                le_f64(c, 4),
                le_f64(c, 12),
            ))))
        }
        8 | 18 | 28 => {
            need(40)?;
            let n = le_i32(c, 36);
            if n < 0 || (c.len() - 40) / 16 < n as usize {
                return Err(format!("{n} points do not fit in the record"));
            }
            let pts = (0..n as usize)
                .map(|i| Point::new(le_f64(c, 40 + 16 * i), le_f64(c, 48 + 16 * i)))
                .collect();
            Ok(Shape::Geom(Geometry::MultiPoint(MultiPoint(pts))))
        }
        3 | 13 | 23 | 5 | 15 | 25 => {
            need(44)?;
            let (np, npts) = (le_i32(c, 36), le_i32(c, 40));
            if np < 0 || npts < 0 {
                return Err(format!("negative part/point count ({np}, {npts})"));
            }
            let (np, npts) = (np as usize, npts as usize);
            let pts_at = 44usize
                .checked_add(np.checked_mul(4).ok_or("part count overflows")?)
                .ok_or("part count overflows")?;
            let end = npts
                .checked_mul(16)
                .and_then(|b| b.checked_add(pts_at))
                .ok_or("point count overflows")?;
            if end > c.len() {
                return Err(format!(
                    "{np} parts and {npts} points do not fit in a {}-byte record",
                    c.len()
                ));
            }
            let mut starts = Vec::with_capacity(np);
            for i in 0..np {
                let s = le_i32(c, 44 + 4 * i);
                if s < 0
                    || s as usize > npts
                    || starts.last().is_some_and(|&l: &usize| (s as usize) < l)
                {
                    return Err(format!(
                        "part {i} starts at point {s}, outside 0..{npts} or out of order"
                    ));
                }
                starts.push(s as usize);
            }
            let coord = |i: usize| Coord {
                x: le_f64(c, pts_at + 16 * i),
                y: le_f64(c, pts_at + 16 * i + 8),
            };
            let parts: Vec<LineString<f64>> = (0..np)
                .map(|i| {
                    let e = if i + 1 < np { starts[i + 1] } else { npts };
                    LineString((starts[i]..e).map(coord).collect())
                })
                .filter(|l| !l.0.is_empty())
                .collect();
            if parts.is_empty() {
                return Ok(Shape::Null);
            }
            if matches!(ty, 3 | 13 | 23) {
                Ok(Shape::Geom(if parts.len() == 1 {
                    Geometry::LineString(parts.into_iter().next().unwrap())
                } else {
                    Geometry::MultiLineString(MultiLineString(parts))
                }))
            } else {
                Ok(Shape::Geom(assemble_polygons(parts)))
            }
        }
        31 => Ok(Shape::MultiPatch),
        other => Err(format!("unknown shape type {other}")),
    }
}

/// Twice the signed area (positive = counter-clockwise with y up).
fn signed_area2(r: &LineString<f64>) -> f64 {
    let p = &r.0;
    if p.len() < 3 {
        return 0.0;
    }
    let mut s = 0.0;
    for i in 0..p.len() {
        let (a, b) = (p[i], p[(i + 1) % p.len()]);
        s += a.x * b.y - b.x * a.y;
    }
    s
}

fn bbox(r: &LineString<f64>) -> (f64, f64, f64, f64) {
    r.0.iter()
        .fold((f64::MAX, f64::MAX, f64::MIN, f64::MIN), |b, c| {
            (b.0.min(c.x), b.1.min(c.y), b.2.max(c.x), b.3.max(c.y))
        })
}

/// Even-odd point-in-ring test.
fn ring_contains(r: &LineString<f64>, p: Coord<f64>) -> bool {
    let v = &r.0;
    let mut inside = false;
    let n = v.len();
    let mut j = n.wrapping_sub(1);
    for i in 0..n {
        let (a, b) = (v[i], v[j]);
        if (a.y > p.y) != (b.y > p.y) && p.x < (b.x - a.x) * (p.y - a.y) / (b.y - a.y) + a.x {
            inside = !inside;
        }
        j = i;
    }
    inside
}

/// A point representative of a ring for containment tests: the midpoint of its first edge
/// (less likely than a vertex to lie on a neighbouring ring).
fn probe(r: &LineString<f64>) -> Coord<f64> {
    match r.0.len() {
        0 => Coord {
            x: f64::NAN,
            y: f64::NAN,
        },
        1 => r.0[0],
        _ => Coord {
            x: (r.0[0].x + r.0[1].x) / 2.0,
            y: (r.0[0].y + r.0[1].y) / 2.0,
        },
    }
}

fn contains(outer: &LineString<f64>, ob: (f64, f64, f64, f64), p: Coord<f64>) -> bool {
    p.x >= ob.0 && p.x <= ob.2 && p.y >= ob.1 && p.y <= ob.3 && ring_contains(outer, p)
}

fn assemble_polygons(rings: Vec<LineString<f64>>) -> Geometry<f64> {
    let boxes: Vec<_> = rings.iter().map(bbox).collect();
    let areas: Vec<f64> = rings.iter().map(signed_area2).collect();
    let outer_idx: Vec<usize> = (0..rings.len()).filter(|&i| areas[i] < 0.0).collect();
    let hole_idx: Vec<usize> = (0..rings.len()).filter(|&i| areas[i] >= 0.0).collect();
    // Orientation-based assignment: each hole to the smallest clockwise ring containing it.
    let mut owner: Vec<Option<usize>> = vec![None; rings.len()];
    let mut consistent = !outer_idx.is_empty();
    if consistent {
        for &h in &hole_idx {
            let p = probe(&rings[h]);
            let best = outer_idx
                .iter()
                .copied()
                .filter(|&o| contains(&rings[o], boxes[o], p))
                .min_by(|&a, &b| areas[a].abs().total_cmp(&areas[b].abs()));
            match best {
                Some(o) => owner[h] = Some(o),
                None => {
                    consistent = false;
                    break;
                }
            }
        }
    }
    let (outers, owner) = if consistent {
        (outer_idx, owner)
    } else {
        // Nesting depth decides: rings inside an even number of others are outer rings.
        let n = rings.len();
        let mut parents: Vec<Vec<usize>> = vec![Vec::new(); n];
        for i in 0..n {
            let p = probe(&rings[i]);
            for j in 0..n {
                if i != j && areas[j].abs() > areas[i].abs() && contains(&rings[j], boxes[j], p) {
                    parents[i].push(j);
                }
            }
        }
        let depth: Vec<usize> = parents.iter().map(Vec::len).collect();
        let outers: Vec<usize> = (0..n).filter(|&i| depth[i] & 1 == 0).collect();
        let mut owner = vec![None; n];
        for i in (0..n).filter(|&i| depth[i] & 1 == 1) {
            owner[i] = parents[i]
                .iter()
                .copied()
                .filter(|&j| depth[j] + 1 == depth[i])
                .min_by(|&a, &b| areas[a].abs().total_cmp(&areas[b].abs()));
        }
        (outers, owner)
    };
    let mut polys: Vec<Polygon<f64>> = Vec::with_capacity(outers.len());
    let mut slot = vec![usize::MAX; rings.len()];
    for (k, &o) in outers.iter().enumerate() {
        slot[o] = k;
    }
    let mut holes: Vec<Vec<LineString<f64>>> = vec![Vec::new(); outers.len()];
    for (i, r) in rings.iter().enumerate() {
        if let Some(o) = owner[i] {
            if slot[o] != usize::MAX {
                holes[slot[o]].push(r.clone());
            }
        }
    }
    for (k, &o) in outers.iter().enumerate() {
        polys.push(Polygon::new(
            rings[o].clone(),
            std::mem::take(&mut holes[k]),
        ));
    }
    if polys.len() == 1 {
        Geometry::Polygon(polys.pop().unwrap())
    } else {
        Geometry::MultiPolygon(MultiPolygon(polys))
    }
}

/// A sibling file with extension `ext` (any letter case), if present.
fn sibling(path: &Path, ext: &str) -> Option<PathBuf> {
    for e in [ext.to_ascii_lowercase(), ext.to_ascii_uppercase()] {
        let p = path.with_extension(&e);
        if p.exists() {
            return Some(p);
        }
    }
    None
}

pub(crate) fn read_shapefile(path: &Path, encoding: Option<&str>) -> Result<Layer, IoError> {
    let shp = std::fs::read(path).map_err(|e| IoError::io(path, e))?;
    let dbf_path = sibling(path, "dbf").ok_or_else(|| {
        let stem = super::file_stem(path);
        IoError::format(
            path,
            format!(
                "缺少属性表 {stem}.dbf (missing {stem}.dbf): a shapefile needs its .dbf attribute table beside the .shp with the same name — copy {stem}.shp, .shx, .dbf, .prj (and .cpg) together, or convert the data to .gpkg"
            ),
        )
    })?;
    let dbf = std::fs::read(&dbf_path).map_err(|e| IoError::io(&dbf_path, e))?;
    let prj = match sibling(path, "prj") {
        Some(p) => Some(
            String::from_utf8_lossy(&std::fs::read(&p).map_err(|e| IoError::io(&p, e))?)
                .into_owned(),
        ),
        None => None,
    };
    let cpg = match sibling(path, "cpg") {
        Some(p) => Some(
            String::from_utf8_lossy(&std::fs::read(&p).map_err(|e| IoError::io(&p, e))?)
                .trim()
                .to_string(),
        ),
        None => None,
    };
    let label = encoding.map(str::to_string).or(cpg);
    let mut layer =
        parse_shapefile(&shp, Some(&dbf), prj.as_deref(), label.as_deref()).map_err(|e| {
            // dbf errors mention ".dbf"; point at that file.
            if e.0.starts_with(".dbf") || e.0.starts_with("unknown text encoding") {
                IoError::format(&dbf_path, e.0)
            } else {
                IoError::format(path, e.0)
            }
        })?;
    if prj.is_none() {
        layer.warnings.push(format!(
            "{}.prj 不存在 (no .prj): CRS unknown — give it with --crs",
            super::file_stem(path)
        ));
    }
    layer.name = super::file_stem(path);
    Ok(layer)
}

#[cfg(test)]
mod tests {
    use super::*;
    fn ring(pts: &[(f64, f64)]) -> LineString<f64> {
        LineString(pts.iter().map(|&(x, y)| Coord { x, y }).collect())
    }
    #[test]
    fn holes_go_to_their_outer_rings() {
        // Two outer squares (clockwise), one hole (counter-clockwise) in the second.
        let a = ring(&[(0., 0.), (0., 1.), (1., 1.), (1., 0.), (0., 0.)]);
        let b = ring(&[(10., 0.), (10., 5.), (15., 5.), (15., 0.), (10., 0.)]);
        let h = ring(&[(11., 1.), (12., 1.), (12., 2.), (11., 2.), (11., 1.)]);
        match assemble_polygons(vec![a.clone(), b.clone(), h.clone()]) {
            Geometry::MultiPolygon(m) => {
                assert_eq!(m.0.len(), 2);
                assert!(m.0[0].interiors().is_empty());
                assert_eq!(m.0[1].interiors(), std::slice::from_ref(&h));
            }
            g => panic!("{g:?}"),
        }
        // Wrong orientation everywhere: nesting decides.
        let rev = |r: &LineString<f64>| LineString(r.0.iter().rev().copied().collect());
        match assemble_polygons(vec![rev(&b), rev(&h)]) {
            Geometry::Polygon(p) => assert_eq!(p.interiors().len(), 1),
            g => panic!("{g:?}"),
        }
    }
    #[test]
    fn malformed_records_are_errors() {
        assert!(parse_shapefile(&[0u8; 50], None, None, None)
            .unwrap_err()
            .0
            .contains("too short"));
        let mut h = vec![0u8; 100];
        assert!(parse_shapefile(&h, None, None, None)
            .unwrap_err()
            .0
            .contains("9994"));
        h[0..4].copy_from_slice(&9994i32.to_be_bytes());
        h[24..28].copy_from_slice(&60i32.to_be_bytes());
        // record claiming 1000 words
        h.extend_from_slice(&1i32.to_be_bytes());
        h.extend_from_slice(&1000i32.to_be_bytes());
        h.extend_from_slice(&5i32.to_le_bytes());
        assert!(parse_shapefile(&h, None, None, None)
            .unwrap_err()
            .0
            .contains("truncated"));
        // polygon record with absurd counts
        let mut r = vec![0u8; 100];
        r[0..4].copy_from_slice(&9994i32.to_be_bytes());
        let mut content = 5i32.to_le_bytes().to_vec();
        content.extend_from_slice(&[0u8; 32]);
        content.extend_from_slice(&i32::MAX.to_le_bytes());
        content.extend_from_slice(&i32::MAX.to_le_bytes());
        r.extend_from_slice(&1i32.to_be_bytes());
        r.extend_from_slice(&((content.len() / 2) as i32).to_be_bytes());
        r.extend_from_slice(&content);
        assert!(parse_shapefile(&r, None, None, None).is_err());
    }
}
