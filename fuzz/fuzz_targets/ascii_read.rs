//! Any bytes → ESRI ASCII grid parser (plain or gzip): Ok or Err, never a panic.
#![no_main]
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let _ = ecoplan_io::raster::fuzz_ascii(data);
});
