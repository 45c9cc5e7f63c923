//! Vector layers: reading and writing GeoJSON, GeoPackage and Shapefile, plus the raster ↔ vector
//! bridges (rasterize, polygonize) and areas.
//!
//! The data model is deliberately small: a [`Layer`] is a name, a CRS, a list of typed fields and
//! a list of [`Feature`]s; each feature holds an optional 2-D [`geo_types::Geometry`] and one
//! [`FieldValue`] per field, in field order. Z and M ordinates are dropped on reading.
//!
//! ```
//! use ecoplan_io::vector::{parse_geojson, FieldValue};
//! let layer = parse_geojson(r#"{"type":"FeatureCollection","features":[
//!   {"type":"Feature","properties":{"adcode":140214,"name":"云冈区"},
//!    "geometry":{"type":"Point","coordinates":[113.1,40.0]}}]}"#).unwrap();
//! assert_eq!(layer.field_index("name"), Some(1));
//! let f = &layer.features[0];
//! assert_eq!(f.get(&layer, "adcode"), Some(&FieldValue::Int(140214)));
//! assert_eq!(layer.filter("adcode", &FieldValue::from("140214")).unwrap().features.len(), 1);
//! ```

pub mod area;
mod dbf;
mod geojson;
mod gpkg;
pub mod polygonize;
mod prj;
pub mod rasterize;
mod shapefile;
mod wkb;

pub use area::{geodesic_area, planar_area, Ellipsoid};
pub use geojson::{parse_geojson, to_geojson_string};
pub use gpkg::{geometry_from_gpkg_blob, list_gpkg_layers, write_gpkg_layers, GpkgLayerInfo};
pub use polygonize::{polygonize, Connectivity, PolygonizeOptions};
pub use prj::{epsg_from_wkt, wkt_for_epsg};
pub use rasterize::{rasterize_ids, rasterize_layer, rasterize_values, Burn, RasterizeOptions};
pub use shapefile::parse_shapefile;
pub use wkb::{geometry_from_wkb, geometry_to_wkb};

use crate::IoError;
use ecoplan_grid::Crs;
use geo_types::Geometry;
use std::fmt;
use std::path::Path;

/// The type of an attribute field.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum FieldType {
    /// 64-bit signed integer.
    Int,
    /// 64-bit float.
    Real,
    /// UTF-8 text (dates are read as `YYYY-MM-DD` text).
    Text,
    Bool,
}

impl FieldType {
    pub fn name(self) -> &'static str {
        match self {
            FieldType::Int => "Integer64",
            FieldType::Real => "Real",
            FieldType::Text => "String",
            FieldType::Bool => "Boolean",
        }
    }
}

impl fmt::Display for FieldType {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

/// One attribute value. A value's variant matches its field's [`FieldType`] or is `Null`.
#[derive(Debug, Clone, PartialEq, Default)]
pub enum FieldValue {
    #[default]
    Null,
    Int(i64),
    Real(f64),
    Text(String),
    Bool(bool),
}

impl FieldValue {
    pub fn is_null(&self) -> bool {
        matches!(self, FieldValue::Null)
    }
    /// Numeric value: integers and reals as they are, booleans as 0/1, text parsed if it is a number.
    pub fn as_f64(&self) -> Option<f64> {
        match self {
            FieldValue::Int(v) => Some(*v as f64),
            FieldValue::Real(v) => Some(*v),
            FieldValue::Bool(b) => Some(*b as u8 as f64),
            FieldValue::Text(s) => s.trim().parse().ok(),
            FieldValue::Null => None,
        }
    }
    /// Integer value: integers, reals with no fractional part, booleans, integer text.
    pub fn as_i64(&self) -> Option<i64> {
        match self {
            FieldValue::Int(v) => Some(*v),
            FieldValue::Real(v) if v.fract() == 0.0 && v.abs() < 9.2e18 => Some(*v as i64),
            FieldValue::Bool(b) => Some(*b as i64),
            FieldValue::Text(s) => s.trim().parse().ok(),
            _ => None,
        }
    }
    pub fn as_str(&self) -> Option<&str> {
        match self {
            FieldValue::Text(s) => Some(s),
            _ => None,
        }
    }
    /// Loose equality used by [`Layer::filter`]: numbers compare numerically (so `Int(5)`,
    /// `Real(5.0)` and `Text("5")` are equal), text compares exactly, `Null` equals only `Null`.
    pub fn loosely_equals(&self, other: &FieldValue) -> bool {
        use FieldValue::*;
        match (self, other) {
            (Null, Null) => true,
            (Null, _) | (_, Null) => false,
            (Text(a), Text(b)) => a == b,
            (Bool(a), Bool(b)) => a == b,
            (Bool(a), Text(t)) | (Text(t), Bool(a)) => {
                matches!(
                    (a, t.trim().to_ascii_lowercase().as_str()),
                    (true, "true" | "1") | (false, "false" | "0")
                )
            }
            _ => match (self.as_f64(), other.as_f64()) {
                (Some(a), Some(b)) => a == b,
                _ => false,
            },
        }
    }
}

impl fmt::Display for FieldValue {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            FieldValue::Null => Ok(()),
            FieldValue::Int(v) => write!(f, "{v}"),
            FieldValue::Real(v) => write!(f, "{v}"),
            FieldValue::Text(s) => f.write_str(s),
            FieldValue::Bool(b) => write!(f, "{b}"),
        }
    }
}

impl From<i64> for FieldValue {
    fn from(v: i64) -> Self {
        FieldValue::Int(v)
    }
}
impl From<i32> for FieldValue {
    fn from(v: i32) -> Self {
        FieldValue::Int(v as i64)
    }
}
impl From<f64> for FieldValue {
    fn from(v: f64) -> Self {
        FieldValue::Real(v)
    }
}
impl From<bool> for FieldValue {
    fn from(v: bool) -> Self {
        FieldValue::Bool(v)
    }
}
impl From<&str> for FieldValue {
    fn from(v: &str) -> Self {
        FieldValue::Text(v.to_string())
    }
}
impl From<String> for FieldValue {
    fn from(v: String) -> Self {
        FieldValue::Text(v)
    }
}

/// A geometry with its attributes (`properties[i]` belongs to `layer.fields[i]`).
#[derive(Debug, Clone, PartialEq, Default)]
pub struct Feature {
    pub geometry: Option<Geometry<f64>>,
    pub properties: Vec<FieldValue>,
}

impl Feature {
    /// The value of field `name`, `None` if the layer has no such field.
    pub fn get<'a>(&'a self, layer: &Layer, name: &str) -> Option<&'a FieldValue> {
        layer.field_index(name).and_then(|i| self.properties.get(i))
    }
}

/// A named collection of features sharing one CRS and one attribute schema.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct Layer {
    pub name: String,
    /// `None` when the file did not say (or said something ecoplan does not recognise; see `warnings`).
    pub crs: Option<Crs>,
    pub fields: Vec<(String, FieldType)>,
    pub features: Vec<Feature>,
    /// Things the reader noticed but could work around (unrecognised .prj, skipped records, …).
    pub warnings: Vec<String>,
}

/// `filter` was asked for a field the layer does not have.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
#[error("图层 {layer} 没有字段 \"{field}\" (layer has no field \"{field}\"); fields: {available}")]
pub struct UnknownField {
    pub layer: String,
    pub field: String,
    pub available: String,
}

impl Layer {
    pub fn new(name: impl Into<String>, crs: Option<Crs>) -> Self {
        Layer {
            name: name.into(),
            crs,
            ..Default::default()
        }
    }
    /// Index of field `name` (exact match first, then ASCII case-insensitive).
    pub fn field_index(&self, name: &str) -> Option<usize> {
        self.fields.iter().position(|(n, _)| n == name).or_else(|| {
            self.fields
                .iter()
                .position(|(n, _)| n.eq_ignore_ascii_case(name))
        })
    }
    /// Adds a field (all existing features get `Null`) and returns its index; an existing field of
    /// that name is reused.
    pub fn add_field(&mut self, name: impl Into<String>, ty: FieldType) -> usize {
        let name = name.into();
        if let Some(i) = self.fields.iter().position(|(n, _)| *n == name) {
            return i;
        }
        self.fields.push((name, ty));
        for f in &mut self.features {
            f.properties.resize(self.fields.len(), FieldValue::Null);
        }
        self.fields.len() - 1
    }
    /// Appends a feature; `properties` is padded with `Null` (or truncated) to the field count.
    pub fn push(&mut self, geometry: Option<Geometry<f64>>, mut properties: Vec<FieldValue>) {
        properties.resize(self.fields.len(), FieldValue::Null);
        self.features.push(Feature {
            geometry,
            properties,
        });
    }
    /// A copy of the layer holding only the features whose `field` loosely equals `value`
    /// (see [`FieldValue::loosely_equals`]: `140214` matches the text `"140214"`).
    pub fn filter(&self, field: &str, value: &FieldValue) -> Result<Layer, UnknownField> {
        let i = self.field_index(field).ok_or_else(|| UnknownField {
            layer: self.name.clone(),
            field: field.to_string(),
            available: self
                .fields
                .iter()
                .map(|(n, _)| n.as_str())
                .collect::<Vec<_>>()
                .join(", "),
        })?;
        Ok(Layer {
            name: self.name.clone(),
            crs: self.crs.clone(),
            fields: self.fields.clone(),
            features: self
                .features
                .iter()
                .filter(|f| f.properties.get(i).is_some_and(|v| v.loosely_equals(value)))
                .cloned()
                .collect(),
            warnings: self.warnings.clone(),
        })
    }
    /// `(x_min, y_min, x_max, y_max)` of all geometries, `None` if there are none.
    pub fn bounds(&self) -> Option<(f64, f64, f64, f64)> {
        use geo::BoundingRect;
        let mut b: Option<(f64, f64, f64, f64)> = None;
        for g in self.features.iter().filter_map(|f| f.geometry.as_ref()) {
            if let Some(r) = g.bounding_rect() {
                let (lo, hi) = (r.min(), r.max());
                b = Some(match b {
                    None => (lo.x, lo.y, hi.x, hi.y),
                    Some(o) => (o.0.min(lo.x), o.1.min(lo.y), o.2.max(hi.x), o.3.max(hi.y)),
                });
            }
        }
        b
    }
    /// The geometry type shared by all features (`"Polygon"`, `"MultiPolygon"`, …), `"Geometry"`
    /// when they differ, `"None"` when no feature has a geometry.
    pub fn geometry_type(&self) -> &'static str {
        let mut t: Option<&'static str> = None;
        for g in self.features.iter().filter_map(|f| f.geometry.as_ref()) {
            let n = geometry_type_name(g);
            match t {
                None => t = Some(n),
                Some(o) if o != n => return "Geometry",
                _ => {}
            }
        }
        t.unwrap_or("None")
    }
    /// The feature geometries in order (`None` for features without one).
    pub fn geometries(&self) -> Vec<Option<&Geometry<f64>>> {
        self.features.iter().map(|f| f.geometry.as_ref()).collect()
    }
}

/// OGC name of a geometry's type.
pub fn geometry_type_name(g: &Geometry<f64>) -> &'static str {
    match g {
        Geometry::Point(_) => "Point",
        Geometry::Line(_) | Geometry::LineString(_) => "LineString",
        Geometry::Polygon(_) | Geometry::Rect(_) | Geometry::Triangle(_) => "Polygon",
        Geometry::MultiPoint(_) => "MultiPoint",
        Geometry::MultiLineString(_) => "MultiLineString",
        Geometry::MultiPolygon(_) => "MultiPolygon",
        Geometry::GeometryCollection(_) => "GeometryCollection",
    }
}

/// How to read a vector file.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct ReadOptions {
    /// GeoPackage: the layer (table) to read; default the only/first feature layer.
    pub layer: Option<String>,
    /// Shapefile: text encoding of the .dbf (`"GBK"`, `"UTF-8"`, `"cp936"`, …). Default: the .cpg
    /// file if present, else UTF-8 when all text is valid UTF-8, else GBK.
    pub encoding: Option<String>,
}

/// A parse failure of in-memory vector data; `read_vector` adds the file path.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
#[error("{0}")]
pub struct ParseError(pub String);

impl ParseError {
    pub(crate) fn new(s: impl Into<String>) -> Self {
        ParseError(s.into())
    }
}

/// The vector formats ecoplan reads (and, except Shapefile, writes).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum VectorFormat {
    GeoJson,
    GeoPackage,
    Shapefile,
}

impl VectorFormat {
    /// The format implied by a file's extension (`.geojson`/`.json`, `.gpkg`, `.shp`).
    pub fn from_path(path: &Path) -> Option<VectorFormat> {
        let ext = path.extension()?.to_str()?.to_ascii_lowercase();
        match ext.as_str() {
            "geojson" | "json" => Some(VectorFormat::GeoJson),
            "gpkg" => Some(VectorFormat::GeoPackage),
            "shp" => Some(VectorFormat::Shapefile),
            _ => None,
        }
    }
}

fn unknown_format(path: &Path) -> IoError {
    IoError::unsupported(
        path,
        "不支持的矢量格式 (unknown vector format): use .geojson/.json, .gpkg or .shp",
    )
}

/// Reads a vector file, choosing the format by extension (see [`ReadOptions`]).
pub fn read_vector(path: &Path, opts: &ReadOptions) -> Result<Layer, IoError> {
    match VectorFormat::from_path(path) {
        Some(VectorFormat::GeoJson) => {
            let bytes = std::fs::read(path).map_err(|e| IoError::io(path, e))?;
            let text = std::str::from_utf8(&bytes).map_err(|e| {
                IoError::format(
                    path,
                    format!(
                        "GeoJSON must be UTF-8 text: invalid byte at offset {}",
                        e.valid_up_to()
                    ),
                )
            })?;
            let mut layer = parse_geojson(text).map_err(|e| IoError::format(path, e.0))?;
            if layer.name.is_empty() {
                layer.name = file_stem(path);
            }
            Ok(layer)
        }
        Some(VectorFormat::GeoPackage) => gpkg::read_gpkg(path, opts.layer.as_deref()),
        Some(VectorFormat::Shapefile) => shapefile::read_shapefile(path, opts.encoding.as_deref()),
        None => Err(unknown_format(path)),
    }
}

/// Writes a layer as GeoJSON (`.geojson`/`.json`) or GeoPackage (`.gpkg`), atomically.
/// A GeoPackage is written fresh: an existing file at `path` is replaced.
pub fn write_vector(path: &Path, layer: &Layer) -> Result<(), IoError> {
    match VectorFormat::from_path(path) {
        Some(VectorFormat::GeoJson) => crate::atomic::write_atomic(path, |w| {
            use std::io::Write;
            geojson::write_geojson(w, layer).map_err(|e| IoError::io(path, e))?;
            w.flush().map_err(|e| IoError::io(path, e))
        }),
        Some(VectorFormat::GeoPackage) => gpkg::write_gpkg(path, layer),
        Some(VectorFormat::Shapefile) => Err(IoError::unsupported(
            path,
            "ecoplan 不写 Shapefile (writing Shapefile is not supported): write .gpkg or .geojson instead",
        )),
        None => Err(unknown_format(path)),
    }
}

/// The layer with every geometry transformed to `to` (a clone when it is already there).
/// Fails when the layer has no CRS or a point cannot be transformed.
pub fn reproject(layer: &Layer, to: &Crs) -> Result<Layer, IoError> {
    let from = layer.crs.as_ref().ok_or_else(|| {
        IoError::Crs(format!(
            "图层 {} 没有坐标系 (layer has no CRS): give it with --crs before reprojecting",
            layer.name
        ))
    })?;
    if from == to {
        return Ok(layer.clone());
    }
    let t = crate::crs::CrsTransform::new(from, to)?;
    let mut out = layer.clone();
    out.crs = Some(to.clone());
    let tf = |c: &mut geo_types::Coord<f64>| -> Result<(), IoError> {
        let (x, y) = t.transform(c.x, c.y)?;
        *c = geo_types::Coord { x, y };
        Ok(())
    };
    for f in &mut out.features {
        if let Some(g) = &mut f.geometry {
            map_coords(g, &tf)?;
        }
    }
    Ok(out)
}

/// Applies `f` to every coordinate (geo's `MapCoordsInPlace` recurses too deeply in generics
/// for geometry collections).
fn map_coords(
    g: &mut Geometry<f64>,
    f: &dyn Fn(&mut geo_types::Coord<f64>) -> Result<(), IoError>,
) -> Result<(), IoError> {
    use geo_types::{LineString, Polygon};
    fn line(
        l: &mut LineString<f64>,
        f: &dyn Fn(&mut geo_types::Coord<f64>) -> Result<(), IoError>,
    ) -> Result<(), IoError> {
        l.0.iter_mut().try_for_each(f)
    }
    fn poly(
        p: &mut Polygon<f64>,
        f: &dyn Fn(&mut geo_types::Coord<f64>) -> Result<(), IoError>,
    ) -> Result<(), IoError> {
        let mut r = Ok(());
        p.exterior_mut(|e| r = line(e, f));
        r?;
        let mut r = Ok(());
        p.interiors_mut(|rings| r = rings.iter_mut().try_for_each(|l| line(l, f)));
        r
    }
    match g {
        Geometry::Point(p) => f(&mut p.0),
        Geometry::Line(l) => {
            f(&mut l.start)?;
            f(&mut l.end)
        }
        Geometry::LineString(l) => line(l, f),
        Geometry::Polygon(p) => poly(p, f),
        Geometry::MultiPoint(m) => m.0.iter_mut().try_for_each(|p| f(&mut p.0)),
        Geometry::MultiLineString(m) => m.0.iter_mut().try_for_each(|l| line(l, f)),
        Geometry::MultiPolygon(m) => m.0.iter_mut().try_for_each(|p| poly(p, f)),
        Geometry::Rect(r) => {
            let mut p = r.to_polygon();
            poly(&mut p, f)?;
            *g = Geometry::Polygon(p);
            Ok(())
        }
        Geometry::Triangle(t) => {
            let mut p = t.to_polygon();
            poly(&mut p, f)?;
            *g = Geometry::Polygon(p);
            Ok(())
        }
        Geometry::GeometryCollection(c) => c.0.iter_mut().try_for_each(|g| map_coords(g, f)),
    }
}

pub(crate) fn file_stem(path: &Path) -> String {
    path.file_stem()
        .map(|s| s.to_string_lossy().into_owned())
        .unwrap_or_default()
}

#[cfg(test)]
mod tests {
    use super::*;
    #[test]
    fn reprojects_to_a_gk_zone() {
        let mut l = Layer::new("p", Some(Crs::Epsg(4490)));
        l.push(Some(geo_types::Point::new(114.0, 40.0).into()), vec![]);
        let p = reproject(&l, &Crs::Epsg(4547)).unwrap();
        let Some(Geometry::Point(pt)) = p.features[0].geometry else {
            panic!()
        };
        // PROJ (pyproj): (500000.0, 4429529.030236589).
        assert!(
            (pt.x() - 500_000.0).abs() < 1e-6 && (pt.y() - 4_429_529.030_236_589).abs() < 1e-3,
            "{pt:?}"
        );
        assert_eq!(p.crs, Some(Crs::Epsg(4547)));
        assert!(reproject(&Layer::new("n", None), &Crs::Epsg(4547)).is_err());
    }

    #[test]
    fn loose_equality_and_filter() {
        assert!(FieldValue::Int(5).loosely_equals(&FieldValue::Real(5.0)));
        assert!(FieldValue::Text("5".into()).loosely_equals(&FieldValue::Int(5)));
        assert!(!FieldValue::Text("a".into()).loosely_equals(&FieldValue::Int(5)));
        assert!(!FieldValue::Null.loosely_equals(&FieldValue::Int(0)));
        let mut l = Layer::new("t", None);
        l.add_field("k", FieldType::Int);
        l.push(None, vec![FieldValue::Int(1)]);
        l.push(None, vec![FieldValue::Int(2)]);
        l.push(None, vec![]);
        assert_eq!(
            l.filter("K", &FieldValue::Int(2)).unwrap().features.len(),
            1
        );
        let e = l.filter("nope", &FieldValue::Int(2)).unwrap_err();
        assert!(e.to_string().contains("fields: k"), "{e}");
        assert_eq!(l.features[2].properties, vec![FieldValue::Null]);
    }
}
