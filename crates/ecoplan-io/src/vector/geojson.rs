//! GeoJSON (RFC 7946) reading and writing.
//!
//! Reads a FeatureCollection, a single Feature or a bare geometry. Coordinates are (lon, lat) in
//! CRS84 unless a legacy (2008) `"crs"` member names another CRS. Property types are inferred per
//! field over all features: all integers → Int, numbers → Real, all booleans → Bool, anything
//! else → Text; nested arrays/objects become their JSON text. Errors name the JSON path
//! (`features[3].geometry.coordinates[0][2]`).

use super::{FieldType, FieldValue, Layer, ParseError};
use ecoplan_grid::Crs;
use geo_types::{
    Coord, Geometry, GeometryCollection, LineString, MultiLineString, MultiPoint, MultiPolygon,
    Point, Polygon,
};
use serde_json::{Map, Value};
use std::io::Write;

const MAX_DEPTH: usize = 32;

/// Parses GeoJSON text into a layer (CRS EPSG:4326 unless a legacy `crs` member says otherwise).
pub fn parse_geojson(text: &str) -> Result<Layer, ParseError> {
    let root: Value = serde_json::from_str(text).map_err(|e| {
        ParseError::new(format!(
            "不是有效的 JSON (invalid JSON) at line {} column {}: {e}",
            e.line(),
            e.column()
        ))
    })?;
    let obj = root.as_object().ok_or_else(|| {
        ParseError::new("$: GeoJSON must be a JSON object with a \"type\" member")
    })?;
    let ty = member_str(obj, "type", "$")?;
    let mut layer = Layer::new(
        obj.get("name").and_then(Value::as_str).unwrap_or_default(),
        Some(Crs::Epsg(4326)),
    );
    if let Some(crs) = obj.get("crs") {
        match legacy_crs(crs) {
            Ok(c) => layer.crs = c,
            Err(w) => {
                layer.crs = None;
                layer.warnings.push(w);
            }
        }
    }
    // Raw (geometry, properties) pairs first: field types need all features.
    let mut raw: Vec<(Option<Geometry<f64>>, Option<&Map<String, Value>>)> = Vec::new();
    match ty {
        "FeatureCollection" => {
            let feats = obj
                .get("features")
                .ok_or_else(|| {
                    ParseError::new(
                        "$.features: missing (a FeatureCollection needs a \"features\" array)",
                    )
                })?
                .as_array()
                .ok_or_else(|| ParseError::new("$.features: must be an array"))?;
            raw.reserve(feats.len());
            for (i, f) in feats.iter().enumerate() {
                raw.push(feature(f, &format!("$.features[{i}]"))?);
            }
        }
        "Feature" => raw.push(feature(&root, "$")?),
        _ => raw.push((Some(geometry(&root, "$", 0)?), None)),
    }
    // Field order: first appearance.
    let mut index: std::collections::HashMap<&str, usize> = Default::default();
    let mut kinds: Vec<Kind> = Vec::new();
    for (_, props) in &raw {
        for (k, v) in props.iter().flat_map(|m| m.iter()) {
            let i = *index.entry(k.as_str()).or_insert_with(|| {
                layer.fields.push((k.clone(), FieldType::Text));
                kinds.push(Kind::Empty);
                kinds.len() - 1
            });
            kinds[i] = kinds[i].merge(Kind::of(v));
        }
    }
    for (i, k) in kinds.iter().enumerate() {
        layer.fields[i].1 = k.field_type();
    }
    let names: Vec<String> = layer.fields.iter().map(|(n, _)| n.clone()).collect();
    for (g, props) in raw {
        let mut values = vec![FieldValue::Null; names.len()];
        if let Some(m) = props {
            for (i, name) in names.iter().enumerate() {
                if let Some(v) = m.get(name) {
                    values[i] = convert(v, layer.fields[i].1);
                }
            }
        }
        layer.features.push(super::Feature {
            geometry: g,
            properties: values,
        });
    }
    Ok(layer)
}

#[derive(Clone, Copy, PartialEq)]
enum Kind {
    Empty,
    Int,
    Real,
    Bool,
    Text,
}

impl Kind {
    fn of(v: &Value) -> Kind {
        match v {
            Value::Null => Kind::Empty,
            Value::Bool(_) => Kind::Bool,
            Value::Number(n) if n.is_i64() => Kind::Int,
            Value::Number(_) => Kind::Real,
            _ => Kind::Text,
        }
    }
    fn merge(self, o: Kind) -> Kind {
        use Kind::*;
        match (self, o) {
            (a, Empty) => a,
            (Empty, b) => b,
            (a, b) if a == b => a,
            (Int, Real) | (Real, Int) => Real,
            _ => Text,
        }
    }
    fn field_type(self) -> FieldType {
        match self {
            Kind::Int => FieldType::Int,
            Kind::Real => FieldType::Real,
            Kind::Bool => FieldType::Bool,
            Kind::Empty | Kind::Text => FieldType::Text,
        }
    }
}

fn convert(v: &Value, t: FieldType) -> FieldValue {
    match (v, t) {
        (Value::Null, _) => FieldValue::Null,
        (Value::Number(n), FieldType::Int) => n.as_i64().map_or(FieldValue::Null, FieldValue::Int),
        (Value::Number(n), FieldType::Real) => {
            n.as_f64().map_or(FieldValue::Null, FieldValue::Real)
        }
        (Value::Bool(b), FieldType::Bool) => FieldValue::Bool(*b),
        (Value::String(s), _) => FieldValue::Text(s.clone()),
        (other, _) => FieldValue::Text(other.to_string()),
    }
}

fn member_str<'a>(
    obj: &'a Map<String, Value>,
    key: &str,
    path: &str,
) -> Result<&'a str, ParseError> {
    match obj.get(key) {
        Some(Value::String(s)) => Ok(s),
        Some(_) => Err(ParseError::new(format!("{path}.{key}: must be a string"))),
        None => Err(ParseError::new(format!("{path}.{key}: missing"))),
    }
}

/// CRS of a legacy `"crs": {"type":"name","properties":{"name":"urn:ogc:def:crs:EPSG::4547"}}`.
fn legacy_crs(crs: &Value) -> Result<Option<Crs>, String> {
    if crs.is_null() {
        return Ok(None);
    }
    let name = crs
        .get("properties")
        .and_then(|p| p.get("name"))
        .and_then(Value::as_str)
        .ok_or_else(|| format!("GeoJSON \"crs\" member not understood ({crs}); CRS left unset"))?;
    crs_from_name(name).map(Some).ok_or_else(|| {
        format!(
            "GeoJSON \"crs\" name \"{name}\" not recognised; CRS left unset (give it with --crs)"
        )
    })
}

/// `urn:ogc:def:crs:EPSG::4547`, `EPSG:4547`, `urn:ogc:def:crs:OGC:1.3:CRS84`, `CRS84`.
pub(crate) fn crs_from_name(name: &str) -> Option<Crs> {
    let n = name.trim();
    let upper = n.to_ascii_uppercase();
    if upper.ends_with("CRS84") || upper.ends_with("CRS:84") {
        return Some(Crs::Epsg(4326));
    }
    if let Some(pos) = upper.find("EPSG") {
        let digits: String = upper[pos + 4..]
            .chars()
            .skip_while(|c| !c.is_ascii_digit())
            .take_while(|c| c.is_ascii_digit())
            .collect();
        return digits.parse().ok().map(Crs::Epsg);
    }
    Crs::parse(n)
}

type RawFeature<'a> = (Option<Geometry<f64>>, Option<&'a Map<String, Value>>);

fn feature<'a>(v: &'a Value, path: &str) -> Result<RawFeature<'a>, ParseError> {
    let obj = v
        .as_object()
        .ok_or_else(|| ParseError::new(format!("{path}: a Feature must be an object")))?;
    let ty = member_str(obj, "type", path)?;
    if ty != "Feature" {
        return Err(ParseError::new(format!(
            "{path}.type: expected \"Feature\", found \"{ty}\""
        )));
    }
    let geom = match obj.get("geometry") {
        None | Some(Value::Null) => None,
        Some(g) => Some(geometry(g, &format!("{path}.geometry"), 0)?),
    };
    let props = match obj.get("properties") {
        None | Some(Value::Null) => None,
        Some(Value::Object(m)) => Some(m),
        Some(_) => {
            return Err(ParseError::new(format!(
                "{path}.properties: must be an object or null"
            )))
        }
    };
    Ok((geom, props))
}

fn geometry(v: &Value, path: &str, depth: usize) -> Result<Geometry<f64>, ParseError> {
    if depth > MAX_DEPTH {
        return Err(ParseError::new(format!(
            "{path}: geometry collections nested too deeply"
        )));
    }
    let obj = v
        .as_object()
        .ok_or_else(|| ParseError::new(format!("{path}: a geometry must be an object")))?;
    let ty = member_str(obj, "type", path)?;
    if ty == "GeometryCollection" {
        let gs = obj
            .get("geometries")
            .and_then(Value::as_array)
            .ok_or_else(|| {
                ParseError::new(format!("{path}.geometries: missing or not an array"))
            })?;
        let mut out = Vec::with_capacity(gs.len());
        for (i, g) in gs.iter().enumerate() {
            out.push(geometry(g, &format!("{path}.geometries[{i}]"), depth + 1)?);
        }
        return Ok(Geometry::GeometryCollection(GeometryCollection(out)));
    }
    let cpath = format!("{path}.coordinates");
    let c = obj
        .get("coordinates")
        .ok_or_else(|| ParseError::new(format!("{cpath}: missing")))?;
    Ok(match ty {
        "Point" => Geometry::Point(Point(position(c, &cpath)?)),
        "LineString" => Geometry::LineString(line(c, &cpath)?),
        "Polygon" => Geometry::Polygon(polygon(c, &cpath)?),
        "MultiPoint" => Geometry::MultiPoint(MultiPoint(
            array(c, &cpath)?
                .iter()
                .enumerate()
                .map(|(i, p)| position(p, &format!("{cpath}[{i}]")).map(Point))
                .collect::<Result<_, _>>()?,
        )),
        "MultiLineString" => Geometry::MultiLineString(MultiLineString(
            array(c, &cpath)?
                .iter()
                .enumerate()
                .map(|(i, l)| line(l, &format!("{cpath}[{i}]")))
                .collect::<Result<_, _>>()?,
        )),
        "MultiPolygon" => Geometry::MultiPolygon(MultiPolygon(
            array(c, &cpath)?
                .iter()
                .enumerate()
                .map(|(i, p)| polygon(p, &format!("{cpath}[{i}]")))
                .collect::<Result<_, _>>()?,
        )),
        other => {
            return Err(ParseError::new(format!(
                "{path}.type: \"{other}\" is not a GeoJSON geometry type (Point, LineString, Polygon, MultiPoint, MultiLineString, MultiPolygon, GeometryCollection)"
            )))
        }
    })
}

fn array<'a>(v: &'a Value, path: &str) -> Result<&'a Vec<Value>, ParseError> {
    v.as_array().ok_or_else(|| {
        ParseError::new(format!("{path}: expected an array, found {}", kind_name(v)))
    })
}

fn kind_name(v: &Value) -> &'static str {
    match v {
        Value::Null => "null",
        Value::Bool(_) => "a boolean",
        Value::Number(_) => "a number",
        Value::String(_) => "a string",
        Value::Array(_) => "an array",
        Value::Object(_) => "an object",
    }
}

fn position(v: &Value, path: &str) -> Result<Coord<f64>, ParseError> {
    let a = array(v, path)?;
    if a.len() < 2 {
        return Err(ParseError::new(format!(
            "{path}: a position needs at least 2 numbers [x, y], found {}",
            a.len()
        )));
    }
    let num = |i: usize| {
        a[i].as_f64().ok_or_else(|| {
            ParseError::new(format!(
                "{path}[{i}]: expected a number, found {}",
                kind_name(&a[i])
            ))
        })
    };
    Ok(Coord {
        x: num(0)?,
        y: num(1)?,
    })
}

fn line(v: &Value, path: &str) -> Result<LineString<f64>, ParseError> {
    Ok(LineString(
        array(v, path)?
            .iter()
            .enumerate()
            .map(|(i, p)| position(p, &format!("{path}[{i}]")))
            .collect::<Result<_, _>>()?,
    ))
}

fn polygon(v: &Value, path: &str) -> Result<Polygon<f64>, ParseError> {
    let rings = array(v, path)?;
    let mut it = rings
        .iter()
        .enumerate()
        .map(|(i, r)| line(r, &format!("{path}[{i}]")));
    let ext = match it.next() {
        Some(r) => r?,
        None => LineString(vec![]),
    };
    Ok(Polygon::new(ext, it.collect::<Result<_, _>>()?))
}

// ---------------------------------------------------------------------------------------------
// Writing

fn num(v: f64) -> Value {
    serde_json::Number::from_f64(v).map_or(Value::Null, Value::Number)
}

fn coords_json(l: &LineString<f64>) -> Value {
    Value::Array(
        l.0.iter()
            .map(|c| Value::Array(vec![num(c.x), num(c.y)]))
            .collect(),
    )
}

fn polygon_json(p: &Polygon<f64>) -> Value {
    if p.exterior().0.is_empty() {
        return Value::Array(vec![]);
    }
    let mut rings = vec![coords_json(p.exterior())];
    rings.extend(p.interiors().iter().map(coords_json));
    Value::Array(rings)
}

/// GeoJSON geometry object of a geometry.
pub(crate) fn geometry_json(g: &Geometry<f64>) -> Value {
    let (ty, coords) = match g {
        Geometry::Point(p) => ("Point", Value::Array(vec![num(p.x()), num(p.y())])),
        Geometry::Line(l) => ("LineString", coords_json(&LineString(vec![l.start, l.end]))),
        Geometry::LineString(l) => ("LineString", coords_json(l)),
        Geometry::Polygon(p) => ("Polygon", polygon_json(p)),
        Geometry::Rect(r) => ("Polygon", polygon_json(&r.to_polygon())),
        Geometry::Triangle(t) => ("Polygon", polygon_json(&t.to_polygon())),
        Geometry::MultiPoint(m) => (
            "MultiPoint",
            Value::Array(
                m.0.iter()
                    .map(|p| Value::Array(vec![num(p.x()), num(p.y())]))
                    .collect(),
            ),
        ),
        Geometry::MultiLineString(m) => (
            "MultiLineString",
            Value::Array(m.0.iter().map(coords_json).collect()),
        ),
        Geometry::MultiPolygon(m) => (
            "MultiPolygon",
            Value::Array(m.0.iter().map(polygon_json).collect()),
        ),
        Geometry::GeometryCollection(c) => {
            let mut o = Map::new();
            o.insert("type".into(), "GeometryCollection".into());
            o.insert(
                "geometries".into(),
                Value::Array(c.0.iter().map(geometry_json).collect()),
            );
            return Value::Object(o);
        }
    };
    let mut o = Map::new();
    o.insert("type".into(), ty.into());
    o.insert("coordinates".into(), coords);
    Value::Object(o)
}

fn value_json(v: &FieldValue) -> Value {
    match v {
        FieldValue::Null => Value::Null,
        FieldValue::Int(i) => Value::from(*i),
        FieldValue::Real(r) => num(*r),
        FieldValue::Text(s) => Value::String(s.clone()),
        FieldValue::Bool(b) => Value::Bool(*b),
    }
}

/// Writes a FeatureCollection, one feature per line. A CRS other than EPSG:4326 is recorded in a
/// legacy `"crs"` member (GDAL and QGIS read it; RFC 7946 readers assume CRS84).
pub(crate) fn write_geojson<W: Write>(w: &mut W, layer: &Layer) -> std::io::Result<()> {
    w.write_all(b"{\n\"type\": \"FeatureCollection\",\n")?;
    if !layer.name.is_empty() {
        writeln!(w, "\"name\": {},", Value::String(layer.name.clone()))?;
    }
    match &layer.crs {
        Some(Crs::Epsg(4326)) | None => {}
        Some(Crs::Epsg(code)) => writeln!(
            w,
            "\"crs\": {{ \"type\": \"name\", \"properties\": {{ \"name\": \"urn:ogc:def:crs:EPSG::{code}\" }} }},"
        )?,
        Some(Crs::Proj(p)) => writeln!(
            w,
            "\"crs\": {{ \"type\": \"name\", \"properties\": {{ \"name\": {} }} }},",
            Value::String(p.clone())
        )?,
    }
    w.write_all(b"\"features\": [\n")?;
    for (i, f) in layer.features.iter().enumerate() {
        let mut props = Map::new();
        for ((name, _), v) in layer.fields.iter().zip(&f.properties) {
            props.insert(name.clone(), value_json(v));
        }
        let mut o = Map::new();
        o.insert("type".into(), "Feature".into());
        o.insert("properties".into(), Value::Object(props));
        o.insert(
            "geometry".into(),
            f.geometry.as_ref().map_or(Value::Null, geometry_json),
        );
        serde_json::to_writer(&mut *w, &Value::Object(o))?;
        w.write_all(if i + 1 < layer.features.len() {
            b",\n"
        } else {
            b"\n"
        })?;
    }
    w.write_all(b"]\n}\n")
}

/// The layer as GeoJSON text.
pub fn to_geojson_string(layer: &Layer) -> String {
    let mut buf = Vec::new();
    write_geojson(&mut buf, layer).expect("writing to memory cannot fail");
    String::from_utf8(buf).expect("serde_json writes UTF-8")
}

#[cfg(test)]
mod tests {
    use super::*;
    #[test]
    fn types_are_inferred_per_field() {
        let l = parse_geojson(
            r#"{"type":"FeatureCollection","features":[
            {"type":"Feature","properties":{"a":1,"b":1,"c":true,"d":"x","e":[1,2]},"geometry":null},
            {"type":"Feature","properties":{"a":2,"b":2.5,"c":null,"d":3},"geometry":{"type":"Point","coordinates":[1,2,3]}}]}"#,
        )
        .unwrap();
        let t: Vec<FieldType> = l.fields.iter().map(|f| f.1).collect();
        assert_eq!(
            t,
            [
                FieldType::Int,
                FieldType::Real,
                FieldType::Bool,
                FieldType::Text,
                FieldType::Text
            ]
        );
        assert_eq!(
            l.features[0].properties[4],
            FieldValue::Text("[1,2]".into())
        );
        assert_eq!(l.features[1].properties[3], FieldValue::Text("3".into()));
        assert_eq!(l.features[1].properties[4], FieldValue::Null);
        assert_eq!(
            l.features[1].geometry,
            Some(Geometry::Point(Point::new(1.0, 2.0)))
        );
        assert_eq!(l.crs, Some(Crs::Epsg(4326)));
    }
    #[test]
    fn errors_name_the_json_path() {
        let e = parse_geojson(
            r#"{"type":"FeatureCollection","features":[{"type":"Feature","properties":{},"geometry":{"type":"Polygon","coordinates":[[[0,0],[1,"a"],[0,1]]]}}]}"#,
        )
        .unwrap_err();
        assert!(
            e.0.contains("$.features[0].geometry.coordinates[0][1][1]"),
            "{e}"
        );
        assert!(parse_geojson("{\"type\":")
            .unwrap_err()
            .0
            .contains("line 1"));
        assert!(parse_geojson("[1]").is_err());
        assert!(parse_geojson(r#"{"type":"Blob","coordinates":[]}"#)
            .unwrap_err()
            .0
            .contains("Blob"));
    }
    #[test]
    fn legacy_crs_and_round_trip() {
        let text = r#"{"type":"FeatureCollection","crs":{"type":"name","properties":{"name":"urn:ogc:def:crs:EPSG::4547"}},
            "features":[{"type":"Feature","properties":{"n":"云冈"},"geometry":{"type":"MultiPolygon","coordinates":[[[[0,0],[1,0],[1,1],[0,0]]]]}}]}"#;
        let l = parse_geojson(text).unwrap();
        assert_eq!(l.crs, Some(Crs::Epsg(4547)));
        let back = parse_geojson(&to_geojson_string(&l)).unwrap();
        assert_eq!(back.crs, l.crs);
        assert_eq!(back.features, l.features);
        assert_eq!(
            crs_from_name("urn:ogc:def:crs:OGC:1.3:CRS84"),
            Some(Crs::Epsg(4326))
        );
        assert_eq!(crs_from_name("EPSG:4490"), Some(Crs::Epsg(4490)));
        let w = parse_geojson(r#"{"type":"Point","crs":{"type":"name","properties":{"name":"foo"}},"coordinates":[1,2]}"#).unwrap();
        assert_eq!(w.crs, None);
        assert_eq!(w.warnings.len(), 1);
    }
}
