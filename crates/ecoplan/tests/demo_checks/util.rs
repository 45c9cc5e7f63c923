//! Readers the demo checks share: rasters by cell type, CSV rows by (Chinese) header.

use ecoplan_grid::AnyGrid;
use std::collections::BTreeMap;
use std::path::Path;

pub fn u8_grid(path: &Path) -> Vec<u8> {
    match ecoplan_io::raster::read_raster(path)
        .unwrap_or_else(|e| panic!("{}: {e}", path.display()))
    {
        AnyGrid::U8(g) => g.data,
        other => panic!("{} is {:?}, expected u8", path.display(), other.cell_type()),
    }
}

/// Rows of a CSV with Chinese headers, as header → cell.
pub fn rows(path: &Path) -> Vec<BTreeMap<String, String>> {
    let mut rd = csv::Reader::from_path(path).unwrap();
    let h: Vec<String> = rd.headers().unwrap().iter().map(str::to_string).collect();
    rd.records()
        .map(|r| {
            h.iter()
                .cloned()
                .zip(r.unwrap().iter().map(str::to_string))
                .collect()
        })
        .collect()
}

pub fn num(r: &BTreeMap<String, String>, col: &str) -> f64 {
    r.get(col)
        .unwrap_or_else(|| panic!("no column {col} in {r:?}"))
        .parse()
        .unwrap_or_else(|_| panic!("{col} = {:?} is not a number", r[col]))
}
