//! Areas of polygonal geometries: planar (shoelace, in CRS units²) and geodesic (on the
//! ellipsoid, m², for longitude/latitude degrees). Holes are subtracted; ring orientation does not
//! matter; points and lines have zero area.
//!
//! ```
//! use ecoplan_io::vector::{geodesic_area, planar_area, Ellipsoid};
//! use geo_types::{polygon, Geometry};
//! let sq: Geometry<f64> = polygon![(x: 0., y: 0.), (x: 100., y: 0.), (x: 100., y: 100.), (x: 0., y: 100.)].into();
//! assert_eq!(planar_area(&sq), 10_000.0);
//! // A 0.01° × 0.01° cell at the equator is about 1.23 km².
//! let cell: Geometry<f64> = polygon![(x: 0., y: 0.), (x: 0.01, y: 0.), (x: 0.01, y: 0.01), (x: 0., y: 0.01)].into();
//! assert!((geodesic_area(&cell, Ellipsoid::Wgs84) / 1e6 - 1.2308).abs() < 1e-3);
//! ```

use geo::Area;
use geo_types::{Geometry, LineString, Polygon};
use geographiclib_rs::{Geodesic, PolygonArea, Winding};

/// Reference ellipsoids of the CRSs ecoplan meets. WGS 84 and GRS 80 (CGCS2000) differ by
/// ~0.1 mm in the semi-minor axis: areas agree to ~1e-9 relatively.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Ellipsoid {
    #[default]
    Wgs84,
    /// GRS 80 = CGCS2000's ellipsoid (to 0.1 mm).
    Grs80,
    /// Krassowsky 1940 (Beijing 1954).
    Krassowsky,
    /// IAG 1975 (Xian 1980).
    Iag1975,
}

impl Ellipsoid {
    /// Semi-major axis (m) and flattening.
    pub fn axes(self) -> (f64, f64) {
        match self {
            Ellipsoid::Wgs84 => (6_378_137.0, 1.0 / 298.257_223_563),
            Ellipsoid::Grs80 => (6_378_137.0, 1.0 / 298.257_222_101),
            Ellipsoid::Krassowsky => (6_378_245.0, 1.0 / 298.3),
            Ellipsoid::Iag1975 => (6_378_140.0, 1.0 / 298.257),
        }
    }
    /// The ellipsoid of a geographic EPSG CRS (WGS 84 for unknown ones).
    pub fn for_epsg(code: u32) -> Ellipsoid {
        match code {
            4490 => Ellipsoid::Grs80,
            4214 => Ellipsoid::Krassowsky,
            4610 => Ellipsoid::Iag1975,
            _ => Ellipsoid::Wgs84,
        }
    }
    /// Area (m²) of the cell between latitudes `lat1`, `lat2` and spanning `dlon` degrees of
    /// longitude, bounded by parallels and meridians (exact, via the authalic latitude).
    pub fn lat_lon_cell_area(self, lat1: f64, lat2: f64, dlon: f64) -> f64 {
        let (a, f) = self.axes();
        let e2 = f * (2.0 - f);
        let e = e2.sqrt();
        let b2 = a * a * (1.0 - e2);
        // q(φ) = sinφ/(1−e²sin²φ) + (1/2e)·ln((1+e·sinφ)/(1−e·sinφ)); area = b²/2 · Δλ · Δq
        let q = |lat: f64| {
            let s = lat.to_radians().sin();
            s / (1.0 - e2 * s * s) + (0.5 / e) * ((1.0 + e * s) / (1.0 - e * s)).ln()
        };
        (b2 / 2.0 * dlon.to_radians() * (q(lat2) - q(lat1))).abs()
    }
}

/// Planar area in squared CRS units (m² for projected CRSs in metres).
pub fn planar_area(g: &Geometry<f64>) -> f64 {
    g.unsigned_area()
}

fn ring_geodesic_area(geod: &Geodesic, r: &LineString<f64>) -> f64 {
    let pts = &r.0;
    let n = if pts.len() > 1 && pts[0] == pts[pts.len() - 1] {
        pts.len() - 1
    } else {
        pts.len()
    };
    if n < 3 {
        return 0.0;
    }
    let mut pa = PolygonArea::new(geod, Winding::CounterClockwise);
    for c in &pts[..n] {
        pa.add_point(c.y, c.x);
    }
    pa.compute(true).1.abs()
}

fn polygon_geodesic_area(geod: &Geodesic, p: &Polygon<f64>) -> f64 {
    let holes: f64 = p
        .interiors()
        .iter()
        .map(|r| ring_geodesic_area(geod, r))
        .sum();
    (ring_geodesic_area(geod, p.exterior()) - holes).max(0.0)
}

/// Geodesic area (m²) of a geometry in longitude/latitude degrees on `ellipsoid`
/// (edges are geodesics, as in GeographicLib / PostGIS `ST_Area(geography)`).
pub fn geodesic_area(g: &Geometry<f64>, ellipsoid: Ellipsoid) -> f64 {
    let (a, f) = ellipsoid.axes();
    let geod = Geodesic::new(a, f);
    geodesic_area_with(&geod, g)
}

fn geodesic_area_with(geod: &Geodesic, g: &Geometry<f64>) -> f64 {
    match g {
        Geometry::Polygon(p) => polygon_geodesic_area(geod, p),
        Geometry::MultiPolygon(m) => m.0.iter().map(|p| polygon_geodesic_area(geod, p)).sum(),
        Geometry::Rect(r) => polygon_geodesic_area(geod, &r.to_polygon()),
        Geometry::Triangle(t) => polygon_geodesic_area(geod, &t.to_polygon()),
        Geometry::GeometryCollection(c) => c.0.iter().map(|g| geodesic_area_with(geod, g)).sum(),
        _ => 0.0,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use geo_types::polygon;
    #[test]
    fn holes_are_subtracted_and_orientation_ignored() {
        let p: Geometry<f64> = polygon!(
            exterior: [(x: 0., y: 0.), (x: 0., y: 10.), (x: 10., y: 10.), (x: 10., y: 0.)],
            interiors: [[(x: 1., y: 1.), (x: 2., y: 1.), (x: 2., y: 2.), (x: 1., y: 2.)]]
        )
        .into();
        assert_eq!(planar_area(&p), 99.0);
        let deg: Geometry<f64> = polygon!(
            exterior: [(x: 113.0, y: 40.0), (x: 113.0, y: 40.1), (x: 113.1, y: 40.1), (x: 113.1, y: 40.0)],
            interiors: [[(x: 113.02, y: 40.02), (x: 113.04, y: 40.02), (x: 113.04, y: 40.04), (x: 113.02, y: 40.04)]]
        )
        .into();
        let cell = Ellipsoid::Wgs84.lat_lon_cell_area(40.0, 40.1, 0.1);
        let hole = Ellipsoid::Wgs84.lat_lon_cell_area(40.02, 40.04, 0.02);
        let a = geodesic_area(&deg, Ellipsoid::Wgs84);
        // Geodesic edges vs parallels differ slightly for the east–west edges.
        assert!(
            (a - (cell - hole)).abs() / a < 1e-5,
            "{a} vs {}",
            cell - hole
        );
        let grs = geodesic_area(&deg, Ellipsoid::Grs80);
        assert!((a - grs).abs() / a < 1e-8);
    }
}
