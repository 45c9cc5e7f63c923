//! The GeoJSON and Shapefile fuzz targets' bodies (fuzz/fuzz_targets/{geojson,shapefile}_read.rs)
//! on stable Rust: valid seeds parse, and thousands of deterministic mutations of them return Ok
//! or Err but never panic.

use ecoplan_io::vector::{parse_geojson, parse_shapefile};

const GEOJSON_SEED: &str = r#"{"type":"FeatureCollection","features":[
 {"type":"Feature","properties":{"name":"云冈区","adcode":140214,"ok":true,"area":737.4,"none":null},
  "geometry":{"type":"MultiPolygon","coordinates":[[[[113.0,40.0],[113.2,40.0],[113.2,40.2],[113.0,40.0]],
   [[113.05,40.02],[113.1,40.02],[113.1,40.05],[113.05,40.02]]]]}},
 {"type":"Feature","properties":{"name":"line"},"geometry":{"type":"LineString","coordinates":[[1,2],[3,4]]}},
 {"type":"Feature","properties":{},"geometry":{"type":"GeometryCollection","geometries":[{"type":"Point","coordinates":[1,2]}]}}]}"#;

/// A one-record polygon shapefile (.shp bytes) with a hole.
fn polygon_shp() -> Vec<u8> {
    let rings: [&[(f64, f64)]; 2] = [
        &[
            (0.0, 0.0),
            (0.0, 10.0),
            (10.0, 10.0),
            (10.0, 0.0),
            (0.0, 0.0),
        ],
        &[(2.0, 2.0), (4.0, 2.0), (4.0, 4.0), (2.0, 4.0), (2.0, 2.0)],
    ];
    let npoints: usize = rings.iter().map(|r| r.len()).sum();
    let mut content = Vec::new();
    content.extend_from_slice(&5i32.to_le_bytes());
    for v in [0.0f64, 0.0, 10.0, 10.0] {
        content.extend_from_slice(&v.to_le_bytes());
    }
    content.extend_from_slice(&(rings.len() as i32).to_le_bytes());
    content.extend_from_slice(&(npoints as i32).to_le_bytes());
    let mut start = 0i32;
    for r in &rings {
        content.extend_from_slice(&start.to_le_bytes());
        start += r.len() as i32;
    }
    for r in &rings {
        for (x, y) in r.iter() {
            content.extend_from_slice(&x.to_le_bytes());
            content.extend_from_slice(&y.to_le_bytes());
        }
    }
    let file_len_words = ((100 + 8 + content.len()) / 2) as i32;
    let mut shp = Vec::new();
    shp.extend_from_slice(&9994i32.to_be_bytes());
    shp.extend_from_slice(&[0u8; 20]);
    shp.extend_from_slice(&file_len_words.to_be_bytes());
    shp.extend_from_slice(&1000i32.to_le_bytes());
    shp.extend_from_slice(&5i32.to_le_bytes());
    for v in [0.0f64, 0.0, 10.0, 10.0, 0.0, 0.0, 0.0, 0.0] {
        shp.extend_from_slice(&v.to_le_bytes());
    }
    shp.extend_from_slice(&1i32.to_be_bytes());
    shp.extend_from_slice(&((content.len() / 2) as i32).to_be_bytes());
    shp.extend_from_slice(&content);
    shp
}

/// A one-record .dbf with a text field (GBK-encoded Chinese) and a numeric field.
fn dbf() -> Vec<u8> {
    let (name_len, code_len) = (20usize, 6usize);
    let header_len = 32 + 2 * 32 + 1;
    let record_len = 1 + name_len + code_len;
    let mut d = vec![0x03, 126, 1, 1];
    d.extend_from_slice(&1u32.to_le_bytes());
    d.extend_from_slice(&(header_len as u16).to_le_bytes());
    d.extend_from_slice(&(record_len as u16).to_le_bytes());
    d.extend_from_slice(&[0u8; 20]);
    for (name, kind, len) in [("NAME", b'C', name_len), ("ADCODE", b'N', code_len)] {
        let mut f = [0u8; 32];
        f[..name.len()].copy_from_slice(name.as_bytes());
        f[11] = kind;
        f[16] = len as u8;
        d.extend_from_slice(&f);
    }
    d.push(0x0D);
    d.push(b' ');
    let (gbk, _, _) = encoding_rs::GBK.encode("云冈区");
    let mut name = gbk.to_vec();
    name.resize(name_len, b' ');
    d.extend_from_slice(&name);
    d.extend_from_slice(b"140214");
    d.push(0x1A);
    d
}

/// xorshift64*: deterministic mutations without a dependency.
struct Rng(u64);
impl Rng {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 >> 12;
        self.0 ^= self.0 << 25;
        self.0 ^= self.0 >> 27;
        self.0.wrapping_mul(0x2545_F491_4F6C_DD1D)
    }
    fn below(&mut self, n: usize) -> usize {
        (self.next() % n.max(1) as u64) as usize
    }
}

fn mutate(seed: &[u8], rng: &mut Rng) -> Vec<u8> {
    let mut m = seed.to_vec();
    for _ in 0..1 + rng.below(4) {
        match rng.below(5) {
            0 if !m.is_empty() => {
                let i = rng.below(m.len());
                m[i] = rng.next() as u8;
            }
            1 if !m.is_empty() => {
                let i = rng.below(m.len());
                m[i] ^= 1 << rng.below(8);
            }
            2 => m.truncate(rng.below(m.len() + 1)),
            3 if !m.is_empty() => {
                // Overwrite 4 bytes with an extreme integer: lengths, counts, offsets.
                let i = rng.below(m.len());
                let v =
                    [0u32, 1, 0x7FFF_FFFF, 0xFFFF_FFFF, 0x8000_0000][rng.below(5)].to_le_bytes();
                for (k, b) in v.iter().enumerate() {
                    if let Some(slot) = m.get_mut(i + k) {
                        *slot = *b;
                    }
                }
            }
            _ => {
                let i = rng.below(m.len() + 1);
                let b = rng.next() as u8;
                m.insert(i, b);
            }
        }
    }
    m
}

#[test]
fn geojson_body_never_panics() {
    let layer = parse_geojson(GEOJSON_SEED).expect("the seed is valid GeoJSON");
    assert_eq!(layer.features.len(), 3);
    let mut rng = Rng(0x9E37_79B9_7F4A_7C15);
    for _ in 0..5000 {
        let m = mutate(GEOJSON_SEED.as_bytes(), &mut rng);
        let r = std::panic::catch_unwind(|| {
            if let Ok(text) = std::str::from_utf8(&m) {
                let _ = parse_geojson(text);
            }
        });
        assert!(
            r.is_ok(),
            "parse_geojson panicked on {:?}",
            String::from_utf8_lossy(&m)
        );
    }
}

#[test]
fn shapefile_body_never_panics() {
    let (shp, dbf) = (polygon_shp(), dbf());
    let layer =
        parse_shapefile(&shp, Some(&dbf), None, None).expect("the seed is a valid shapefile");
    assert_eq!(layer.features.len(), 1);
    let name = layer.field_index("NAME").expect("NAME field");
    assert_eq!(
        format!("{:?}", layer.features[0].properties[name]),
        format!(
            "{:?}",
            ecoplan_io::vector::FieldValue::Text("云冈区".into())
        )
    );
    let mut rng = Rng(0xD1B5_4A32_D192_ED03);
    for i in 0..6000 {
        let (s, d) = if i % 2 == 0 {
            (mutate(&shp, &mut rng), dbf.clone())
        } else {
            (shp.clone(), mutate(&dbf, &mut rng))
        };
        let r = std::panic::catch_unwind(|| {
            let _ = parse_shapefile(&s, Some(&d), None, None);
            let _ = parse_shapefile(&s, None, Some("GEOGCS[\"x\""), Some("GBK"));
        });
        assert!(r.is_ok(), "parse_shapefile panicked on mutation {i}");
    }
}
