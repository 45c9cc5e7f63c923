//! Any bytes → Shapefile parser (.shp, and .dbf from the same input split at its first byte's
//! proportion): Ok or Err, never a panic.
#![no_main]
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    if data.is_empty() {
        return;
    }
    let split = (data[0] as usize * data.len() / 256).min(data.len());
    let (shp, dbf) = data[1..].split_at(split.saturating_sub(1).min(data.len() - 1));
    let _ = ecoplan_io::vector::parse_shapefile(shp, Some(dbf), None, None);
    let _ = ecoplan_io::vector::parse_shapefile(shp, None, Some("GEOGCS[\"x\""), Some("GBK"));
});
