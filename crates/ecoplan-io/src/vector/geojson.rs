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
use json::{Json, Obj};
use serde_json::{Map, Value};
use std::io::Write;

const MAX_DEPTH: usize = 32;

/// A JSON document whose objects keep their member order (GeoJSON property order becomes the
/// field order, as in GDAL), without switching serde_json's `preserve_order` on for everyone.
mod json {
    use serde::de::{Deserialize, Deserializer, MapAccess, SeqAccess, Visitor};
    use std::fmt;

    #[derive(Debug, Clone, PartialEq)]
    pub enum Json {
        Null,
        Bool(bool),
        Num(serde_json::Number),
        Str(String),
        Arr(Vec<Json>),
        Obj(Obj),
    }

    /// Object members in document order (a repeated key: the last one wins on lookup).
    #[derive(Debug, Clone, PartialEq, Default)]
    pub struct Obj(pub Vec<(String, Json)>);

    impl Obj {
        pub fn get(&self, key: &str) -> Option<&Json> {
            self.0.iter().rev().find(|(k, _)| k == key).map(|(_, v)| v)
        }
        pub fn iter(&self) -> impl Iterator<Item = (&String, &Json)> {
            self.0.iter().map(|(k, v)| (k, v))
        }
    }

    impl Json {
        pub fn as_object(&self) -> Option<&Obj> {
            match self {
                Json::Obj(o) => Some(o),
                _ => None,
            }
        }
        pub fn as_array(&self) -> Option<&Vec<Json>> {
            match self {
                Json::Arr(a) => Some(a),
                _ => None,
            }
        }
        pub fn as_str(&self) -> Option<&str> {
            match self {
                Json::Str(s) => Some(s),
                _ => None,
            }
        }
        pub fn as_f64(&self) -> Option<f64> {
            match self {
                Json::Num(n) => n.as_f64(),
                _ => None,
            }
        }
        pub fn get(&self, key: &str) -> Option<&Json> {
            self.as_object().and_then(|o| o.get(key))
        }
        pub fn is_null(&self) -> bool {
            matches!(self, Json::Null)
        }
    }

    impl fmt::Display for Json {
        /// Compact JSON text.
        fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
            match self {
                Json::Null => f.write_str("null"),
                Json::Bool(b) => write!(f, "{b}"),
                Json::Num(n) => write!(f, "{n}"),
                Json::Str(s) => f.write_str(&serde_json::to_string(s).map_err(|_| fmt::Error)?),
                Json::Arr(a) => {
                    f.write_str("[")?;
                    for (i, v) in a.iter().enumerate() {
                        if i > 0 {
                            f.write_str(",")?;
                        }
                        write!(f, "{v}")?;
                    }
                    f.write_str("]")
                }
                Json::Obj(o) => {
                    f.write_str("{")?;
                    for (i, (k, v)) in o.0.iter().enumerate() {
                        if i > 0 {
                            f.write_str(",")?;
                        }
                        let key = serde_json::to_string(k).map_err(|_| fmt::Error)?;
                        write!(f, "{key}:{v}")?;
                    }
                    f.write_str("}")
                }
            }
        }
    }

    struct JsonVisitor;

    impl<'de> Visitor<'de> for JsonVisitor {
        type Value = Json;
        fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
            f.write_str("any JSON value")
        }
        fn visit_bool<E>(self, v: bool) -> Result<Json, E> {
            Ok(Json::Bool(v))
        }
        fn visit_i64<E>(self, v: i64) -> Result<Json, E> {
            Ok(Json::Num(v.into()))
        }
        fn visit_u64<E>(self, v: u64) -> Result<Json, E> {
            Ok(Json::Num(v.into()))
        }
        fn visit_f64<E>(self, v: f64) -> Result<Json, E> {
            Ok(serde_json::Number::from_f64(v).map_or(Json::Null, Json::Num))
        }
        fn visit_str<E>(self, v: &str) -> Result<Json, E> {
            Ok(Json::Str(v.to_string()))
        }
        fn visit_string<E>(self, v: String) -> Result<Json, E> {
            Ok(Json::Str(v))
        }
        fn visit_unit<E>(self) -> Result<Json, E> {
            Ok(Json::Null)
        }
        fn visit_none<E>(self) -> Result<Json, E> {
            Ok(Json::Null)
        }
        fn visit_some<D: Deserializer<'de>>(self, d: D) -> Result<Json, D::Error> {
            Json::deserialize(d)
        }
        fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<Json, A::Error> {
            let mut v = Vec::with_capacity(seq.size_hint().unwrap_or(0).min(4096));
            while let Some(x) = seq.next_element()? {
                v.push(x);
            }
            Ok(Json::Arr(v))
        }
        fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Json, A::Error> {
            let mut v = Vec::new();
            while let Some((k, x)) = map.next_entry::<String, Json>()? {
                v.push((k, x));
            }
            Ok(Json::Obj(Obj(v)))
        }
    }

    impl<'de> Deserialize<'de> for Json {
        fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Json, D::Error> {
            d.deserialize_any(JsonVisitor)
        }
    }
}

/// Parses GeoJSON text into a layer (CRS EPSG:4326 unless a legacy `crs` member says otherwise).
pub fn parse_geojson(text: &str) -> Result<Layer, ParseError> {
    let root: Json = serde_json::from_str(text).map_err(|e| {
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
        obj.get("name").and_then(Json::as_str).unwrap_or_default(),
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
    let mut raw: Vec<(Option<Geometry<f64>>, Option<&Obj>)> = Vec::new();
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
    fn of(v: &Json) -> Kind {
        match v {
            Json::Null => Kind::Empty,
            Json::Bool(_) => Kind::Bool,
            Json::Num(n) if n.is_i64() => Kind::Int,
            Json::Num(_) => Kind::Real,
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

fn convert(v: &Json, t: FieldType) -> FieldValue {
    match (v, t) {
        (Json::Null, _) => FieldValue::Null,
        (Json::Num(n), FieldType::Int) => n.as_i64().map_or(FieldValue::Null, FieldValue::Int),
        (Json::Num(n), FieldType::Real) => n.as_f64().map_or(FieldValue::Null, FieldValue::Real),
        (Json::Bool(b), FieldType::Bool) => FieldValue::Bool(*b),
        (Json::Str(s), _) => FieldValue::Text(s.clone()),
        (other, _) => FieldValue::Text(other.to_string()),
    }
}

fn member_str<'a>(obj: &'a Obj, key: &str, path: &str) -> Result<&'a str, ParseError> {
    match obj.get(key) {
        Some(Json::Str(s)) => Ok(s),
        Some(_) => Err(ParseError::new(format!("{path}.{key}: must be a string"))),
        None => Err(ParseError::new(format!("{path}.{key}: missing"))),
    }
}

/// CRS of a legacy `"crs": {"type":"name","properties":{"name":"urn:ogc:def:crs:EPSG::4547"}}`.
fn legacy_crs(crs: &Json) -> Result<Option<Crs>, String> {
    if crs.is_null() {
        return Ok(None);
    }
    let name = crs
        .get("properties")
        .and_then(|p| p.get("name"))
        .and_then(Json::as_str)
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

type RawFeature<'a> = (Option<Geometry<f64>>, Option<&'a Obj>);

fn feature<'a>(v: &'a Json, path: &str) -> Result<RawFeature<'a>, ParseError> {
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
        None | Some(Json::Null) => None,
        Some(g) => Some(geometry(g, &format!("{path}.geometry"), 0)?),
    };
    let props = match obj.get("properties") {
        None | Some(Json::Null) => None,
        Some(Json::Obj(m)) => Some(m),
        Some(_) => {
            return Err(ParseError::new(format!(
                "{path}.properties: must be an object or null"
            )))
        }
    };
    Ok((geom, props))
}

fn geometry(v: &Json, path: &str, depth: usize) -> Result<Geometry<f64>, ParseError> {
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
            .and_then(Json::as_array)
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

fn array<'a>(v: &'a Json, path: &str) -> Result<&'a Vec<Json>, ParseError> {
    v.as_array().ok_or_else(|| {
        ParseError::new(format!("{path}: expected an array, found {}", kind_name(v)))
    })
}

fn kind_name(v: &Json) -> &'static str {
    match v {
        Json::Null => "null",
        Json::Bool(_) => "a boolean",
        Json::Num(_) => "a number",
        Json::Str(_) => "a string",
        Json::Arr(_) => "an array",
        Json::Obj(_) => "an object",
    }
}

fn position(v: &Json, path: &str) -> Result<Coord<f64>, ParseError> {
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

fn line(v: &Json, path: &str) -> Result<LineString<f64>, ParseError> {
    Ok(LineString(
        array(v, path)?
            .iter()
            .enumerate()
            .map(|(i, p)| position(p, &format!("{path}[{i}]")))
            .collect::<Result<_, _>>()?,
    ))
}

fn polygon(v: &Json, path: &str) -> Result<Polygon<f64>, ParseError> {
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
        // Properties in field order (a serde_json Map would sort them).
        w.write_all(b"{\"type\": \"Feature\", \"properties\": {")?;
        for (k, ((name, _), v)) in layer.fields.iter().zip(&f.properties).enumerate() {
            if k > 0 {
                w.write_all(b", ")?;
            }
            serde_json::to_writer(&mut *w, name)?;
            w.write_all(b": ")?;
            serde_json::to_writer(&mut *w, &value_json(v))?;
        }
        w.write_all(b"}, \"geometry\": ")?;
        serde_json::to_writer(
            &mut *w,
            &f.geometry.as_ref().map_or(Value::Null, geometry_json),
        )?;
        w.write_all(b"}")?;
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
