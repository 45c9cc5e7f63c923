//! Well-known binary (ISO WKB, as GeoPackage stores it). Reading accepts both byte orders, ISO
//! Z/M/ZM type codes (1000/2000/3000 offsets) and the EWKB Z/M flag bits; Z and M are dropped.
//! Writing produces little-endian 2-D WKB.

use super::ParseError;
use geo_types::{
    Coord, Geometry, GeometryCollection, LineString, MultiLineString, MultiPoint, MultiPolygon,
    Point, Polygon,
};

/// Nesting limit for geometry collections (guards the recursion against hostile input).
const MAX_DEPTH: usize = 32;

struct Reader<'a> {
    b: &'a [u8],
    pos: usize,
}

impl Reader<'_> {
    fn take(&mut self, n: usize) -> Result<&[u8], ParseError> {
        if self.b.len() - self.pos < n {
            return Err(ParseError::new(format!(
                "WKB is truncated: needed {n} bytes at offset {}, only {} left",
                self.pos,
                self.b.len() - self.pos
            )));
        }
        let s = &self.b[self.pos..self.pos + n];
        self.pos += n;
        Ok(s)
    }
    fn u8(&mut self) -> Result<u8, ParseError> {
        Ok(self.take(1)?[0])
    }
    fn u32(&mut self, le: bool) -> Result<u32, ParseError> {
        let s: [u8; 4] = self.take(4)?.try_into().unwrap();
        Ok(if le {
            u32::from_le_bytes(s)
        } else {
            u32::from_be_bytes(s)
        })
    }
    fn f64(&mut self, le: bool) -> Result<f64, ParseError> {
        let s: [u8; 8] = self.take(8)?.try_into().unwrap();
        Ok(if le {
            f64::from_le_bytes(s)
        } else {
            f64::from_be_bytes(s)
        })
    }
    /// A count of items each at least `min_item_bytes` long; rejects counts the input cannot hold.
    fn count(&mut self, le: bool, min_item_bytes: usize) -> Result<usize, ParseError> {
        let n = self.u32(le)? as usize;
        if n.saturating_mul(min_item_bytes) > self.b.len() - self.pos {
            return Err(ParseError::new(format!(
                "WKB claims {n} items at offset {} but only {} bytes remain",
                self.pos,
                self.b.len() - self.pos
            )));
        }
        Ok(n)
    }
}

/// Decodes one WKB geometry. Returns the geometry and the number of bytes consumed.
pub fn geometry_from_wkb(bytes: &[u8]) -> Result<Geometry<f64>, ParseError> {
    let mut r = Reader { b: bytes, pos: 0 };
    read_geometry(&mut r, 0)
}

fn read_geometry(r: &mut Reader, depth: usize) -> Result<Geometry<f64>, ParseError> {
    if depth > MAX_DEPTH {
        return Err(ParseError::new(
            "WKB geometry collections are nested too deeply",
        ));
    }
    let order = r.u8()?;
    let le = match order {
        0 => false,
        1 => true,
        o => {
            return Err(ParseError::new(format!(
                "WKB byte-order flag must be 0 or 1, found {o} at offset {}",
                r.pos - 1
            )))
        }
    };
    let raw = r.u32(le)?;
    // EWKB flags (PostGIS): 0x80000000 Z, 0x40000000 M, 0x20000000 SRID.
    let mut dims = 2usize;
    if raw & 0x8000_0000 != 0 {
        dims += 1;
    }
    if raw & 0x4000_0000 != 0 {
        dims += 1;
    }
    if raw & 0x2000_0000 != 0 {
        r.u32(le)?; // embedded SRID: ignored, the container says the CRS
    }
    let code = raw & 0x0fff_ffff;
    let (base, extra) = (code % 1000, code / 1000);
    dims += match extra {
        0 => 0,
        1 | 2 => 1,
        3 => 2,
        _ => {
            return Err(ParseError::new(format!(
                "unknown WKB geometry type code {code}"
            )))
        }
    };
    let coord = |r: &mut Reader| -> Result<Coord<f64>, ParseError> {
        let x = r.f64(le)?;
        let y = r.f64(le)?;
        for _ in 2..dims {
            r.f64(le)?;
        }
        Ok(Coord { x, y })
    };
    let line = |r: &mut Reader| -> Result<LineString<f64>, ParseError> {
        let n = r.count(le, 16)?;
        let mut pts = Vec::with_capacity(n);
        for _ in 0..n {
            pts.push(coord(r)?);
        }
        Ok(LineString(pts))
    };
    let polygon = |r: &mut Reader| -> Result<Polygon<f64>, ParseError> {
        let n = r.count(le, 4)?;
        let mut rings = Vec::with_capacity(n);
        for _ in 0..n {
            rings.push(line(r)?);
        }
        let mut it = rings.into_iter();
        let ext = it.next().unwrap_or_else(|| LineString(vec![]));
        Ok(Polygon::new(ext, it.collect()))
    };
    let sub = |r: &mut Reader, want: u32| -> Result<Geometry<f64>, ParseError> {
        let g = read_geometry(r, depth + 1)?;
        let ok = matches!(
            (want, &g),
            (1, Geometry::Point(_)) | (2, Geometry::LineString(_)) | (3, Geometry::Polygon(_))
        );
        if ok {
            Ok(g)
        } else {
            Err(ParseError::new(format!(
                "a WKB multi-geometry holds a {} where type {want} was expected",
                super::geometry_type_name(&g)
            )))
        }
    };
    Ok(match base {
        1 => {
            let c = coord(r)?;
            // GeoPackage writes an empty point as NaN coordinates.
            Geometry::Point(Point(c))
        }
        2 => Geometry::LineString(line(r)?),
        3 => Geometry::Polygon(polygon(r)?),
        4 => {
            let n = r.count(le, 21)?;
            let mut v = Vec::with_capacity(n);
            for _ in 0..n {
                if let Geometry::Point(p) = sub(r, 1)? {
                    v.push(p);
                }
            }
            Geometry::MultiPoint(MultiPoint(v))
        }
        5 => {
            let n = r.count(le, 9)?;
            let mut v = Vec::with_capacity(n);
            for _ in 0..n {
                if let Geometry::LineString(l) = sub(r, 2)? {
                    v.push(l);
                }
            }
            Geometry::MultiLineString(MultiLineString(v))
        }
        6 => {
            let n = r.count(le, 9)?;
            let mut v = Vec::with_capacity(n);
            for _ in 0..n {
                if let Geometry::Polygon(p) = sub(r, 3)? {
                    v.push(p);
                }
            }
            Geometry::MultiPolygon(MultiPolygon(v))
        }
        7 => {
            let n = r.count(le, 9)?;
            let mut v = Vec::with_capacity(n);
            for _ in 0..n {
                v.push(read_geometry(r, depth + 1)?);
            }
            Geometry::GeometryCollection(GeometryCollection(v))
        }
        8..=17 => {
            return Err(ParseError::new(format!(
                "curved WKB geometry type {code} (CircularString/CompoundCurve/CurvePolygon/…) is not supported: convert to linear geometries first (ogr2ogr -nlt CONVERT_TO_LINEAR)"
            )))
        }
        _ => return Err(ParseError::new(format!("unknown WKB geometry type code {code}"))),
    })
}

/// Encodes a geometry as little-endian 2-D ISO WKB (appends to `out`).
pub fn geometry_to_wkb(g: &Geometry<f64>, out: &mut Vec<u8>) {
    fn head(out: &mut Vec<u8>, t: u32) {
        out.push(1);
        out.extend_from_slice(&t.to_le_bytes());
    }
    fn coords(out: &mut Vec<u8>, l: &LineString<f64>) {
        out.extend_from_slice(&(l.0.len() as u32).to_le_bytes());
        for c in &l.0 {
            out.extend_from_slice(&c.x.to_le_bytes());
            out.extend_from_slice(&c.y.to_le_bytes());
        }
    }
    fn polygon(out: &mut Vec<u8>, p: &Polygon<f64>) {
        head(out, 3);
        if p.exterior().0.is_empty() {
            out.extend_from_slice(&0u32.to_le_bytes());
            return;
        }
        out.extend_from_slice(&(1 + p.interiors().len() as u32).to_le_bytes());
        coords(out, p.exterior());
        for r in p.interiors() {
            coords(out, r);
        }
    }
    match g {
        Geometry::Point(p) => {
            head(out, 1);
            out.extend_from_slice(&p.x().to_le_bytes());
            out.extend_from_slice(&p.y().to_le_bytes());
        }
        Geometry::Line(l) => {
            geometry_to_wkb(&Geometry::LineString(LineString(vec![l.start, l.end])), out)
        }
        Geometry::LineString(l) => {
            head(out, 2);
            coords(out, l);
        }
        Geometry::Polygon(p) => polygon(out, p),
        Geometry::Rect(r) => polygon(out, &r.to_polygon()),
        Geometry::Triangle(t) => polygon(out, &t.to_polygon()),
        Geometry::MultiPoint(m) => {
            head(out, 4);
            out.extend_from_slice(&(m.0.len() as u32).to_le_bytes());
            for p in &m.0 {
                geometry_to_wkb(&Geometry::Point(*p), out);
            }
        }
        Geometry::MultiLineString(m) => {
            head(out, 5);
            out.extend_from_slice(&(m.0.len() as u32).to_le_bytes());
            for l in &m.0 {
                head(out, 2);
                coords(out, l);
            }
        }
        Geometry::MultiPolygon(m) => {
            head(out, 6);
            out.extend_from_slice(&(m.0.len() as u32).to_le_bytes());
            for p in &m.0 {
                polygon(out, p);
            }
        }
        Geometry::GeometryCollection(c) => {
            head(out, 7);
            out.extend_from_slice(&(c.0.len() as u32).to_le_bytes());
            for g in &c.0 {
                geometry_to_wkb(g, out);
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use geo_types::{line_string, polygon};
    #[test]
    fn round_trips_every_type() {
        let poly: Polygon<f64> = polygon!(
            exterior: [(x: 0., y: 0.), (x: 4., y: 0.), (x: 4., y: 4.), (x: 0., y: 0.)],
            interiors: [[(x: 1., y: 1.), (x: 2., y: 1.), (x: 2., y: 2.), (x: 1., y: 1.)]]
        );
        let ls = line_string![(x: 1., y: 2.), (x: 3., y: 4.)];
        let geoms: Vec<Geometry<f64>> = vec![
            Point::new(1.5, -2.0).into(),
            ls.clone().into(),
            poly.clone().into(),
            MultiPoint(vec![Point::new(1., 1.), Point::new(2., 2.)]).into(),
            MultiLineString(vec![ls.clone(), ls]).into(),
            MultiPolygon(vec![poly.clone(), poly]).into(),
            Geometry::GeometryCollection(GeometryCollection(vec![Point::new(0., 0.).into()])),
        ];
        for g in geoms {
            let mut b = Vec::new();
            geometry_to_wkb(&g, &mut b);
            assert_eq!(geometry_from_wkb(&b).unwrap(), g);
        }
    }
    #[test]
    fn reads_big_endian_and_z() {
        // POINT Z (1 2 3), big-endian ISO
        let mut b = vec![0u8];
        b.extend_from_slice(&1001u32.to_be_bytes());
        for v in [1.0f64, 2.0, 3.0] {
            b.extend_from_slice(&v.to_be_bytes());
        }
        assert_eq!(
            geometry_from_wkb(&b).unwrap(),
            Geometry::Point(Point::new(1.0, 2.0))
        );
    }
    #[test]
    fn hostile_counts_fail_cleanly() {
        let mut b = vec![1u8];
        b.extend_from_slice(&2u32.to_le_bytes());
        b.extend_from_slice(&u32::MAX.to_le_bytes());
        assert!(geometry_from_wkb(&b).unwrap_err().0.contains("claims"));
        assert!(geometry_from_wkb(&[1, 3]).is_err());
        assert!(geometry_from_wkb(&[7]).is_err());
    }
}
