//! Any bytes → GeoTIFF reader: must return Ok or Err, never panic or allocate without bound.
//! Seed corpus: crates/ecoplan-io/tests/data/geotiff (and its malformed/ folder).
#![no_main]
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let _ = ecoplan_io::geotiff::fuzz_read(data);
});
