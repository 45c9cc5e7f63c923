//! The demo pipeline. Each step reads what earlier steps left in the [`DemoContext`] and adds
//! layers and outputs. To add a step: write a `fn(&mut DemoContext) -> anyhow::Result<()>` in
//! your own module and append ONE line to the list in [`all`] (keep the marker comments).

use super::synth;
use super::{data, DemoContext, DemoStep};
use crate::config::classes::load_mapping;
use crate::tables::{Table, Value};
use anyhow::{bail, Context, Result};
use ecoplan_grid::units::{Area, AreaUnit};
use ecoplan_grid::{AnyGrid, Grid, GridSpec};
use ecoplan_io::align::{warp, Resampling};
use ecoplan_io::raster::read_raster;
use ecoplan_io::vector::{rasterize_ids, write_vector, RasterizeOptions};

/// Every step, in order. (`rustfmt::skip` keeps one line per step, so adding one is a one-line edit.)
#[rustfmt::skip]
pub fn all() -> Vec<DemoStep> {
    vec![
        // --- steps (one line each, in pipeline order) ---
        DemoStep { name: "region", zh: "规划范围与分析网格", run: region },
        DemoStep { name: "dem", zh: "30 m 高程（真实 30″ 细化）", run: dem },
        DemoStep { name: "hydrology", zh: "汇流累积与水系", run: hydrology },
        DemoStep { name: "landuse", zh: "30 m 土地利用（由 MODIS 细化）", run: landuse },
        DemoStep { name: "climate_soil_ndvi", zh: "降水、蒸散、降雨侵蚀力、土壤、NDVI", run: climate_soil_ndvi },
        DemoStep { name: "tables", zh: "地类面积与分区统计", run: tables },
        DemoStep { name: "assess", zh: "双评价 生态保护重要性", run: crate::cmd::assess::demo_step },
        DemoStep { name: "pattern", zh: "生态安全格局：源地、阻力面、廊道、电流、夹点、障碍点、节点、α/β/γ", run: crate::cmd::pattern::demo_step },
        DemoStep { name: "zoning", zh: "三生空间、修复分区、重点区域与指标表", run: crate::cmd::zoning::demo_step },
        DemoStep { name: "scenario", zh: "情景效益评估（示意项目）", run: crate::cmd::scenario::demo_step },
        // --- end steps ---
    ]
}

/// Region boundary (adcode 140214), automatic CRS (EPSG:4547), 30 m grid with buffer, mask.
fn region(cx: &mut DemoContext) -> Result<()> {
    let region = crate::region::load_region(&cx.plan)?;
    let ids = rasterize_ids(&region.boundary, &region.grid, &RasterizeOptions::default());
    let mask = ids.map(None, |v| u8::from(v > 0));
    let inside = mask.data.iter().filter(|&&v| v == 1).count();
    let cell_area = region.grid.transform.cell_area();
    cx.manifest.param("region", serde_json::json!({
        "crs": region.crs.label(),
        "crs_name": ecoplan_io::crs::name(&region.crs),
        "central_longitude": region.central_lon,
        "grid": { "width": region.grid.width, "height": region.grid.height, "cell_size_m": region.grid.transform.cell_width(),
                  "transform": region.grid.transform.to_gdal() },
        "boundary_area_km2_planar": region.area_m2 / 1e6,
        "cells_inside": inside,
        "area_inside_km2_cells": inside as f64 * cell_area / 1e6,
        "official_area_km2": 737.82,
    }));
    write_vector(&cx.out_path("region/boundary.gpkg")?, &region.boundary)?;
    cx.record(
        "region/boundary.gpkg",
        "云冈区 boundary (real, 天地图 2023) in the analysis CRS",
    );
    // Neighbouring districts, for maps and tables by district.
    let all = crate::region::read_boundary(&cx.inputs_dir.join(data::BOUNDARIES), &[])?;
    let mut districts = all.clone();
    let level = all
        .field_index("level")
        .context("boundary file lacks `level`")?;
    districts
        .features
        .retain(|f| f.properties.get(level).and_then(|v| v.as_str()) == Some("district"));
    districts.name = "districts".into();
    let districts = crate::vectors::reproject_layer(&districts, &region.crs)?;
    write_vector(&cx.out_path("region/districts.gpkg")?, &districts)?;
    cx.record(
        "region/districts.gpkg",
        "大同市 districts 140212–140215 (real) in the analysis CRS",
    );
    let mask_any = AnyGrid::U8(mask.clone());
    cx.write_raster(
        "region/mask.tif",
        &mask_any,
        "1 inside 云冈区, 0 outside (rasterized real boundary, cell-centre rule)",
    )?;
    cx.layers.insert(
        "districts".into(),
        AnyGrid::U32(rasterize_ids(
            &districts,
            &region.grid,
            &RasterizeOptions::default(),
        )),
    );
    cx.mask = Some(mask);
    cx.region = Some(region);
    Ok(())
}

fn f32_values(g: &AnyGrid) -> Vec<f32> {
    g.to_f32().data
}

/// A grid of the cell ids of `spec` (0, 1, … row-major), used to learn which coarse cell each
/// fine cell falls in by nearest-neighbour warping.
fn id_grid(spec: &GridSpec) -> Grid<u32> {
    Grid::from_vec(spec, (0..spec.len() as u32).collect(), None).expect("sized")
}

const DETAIL_WAVELENGTH_M: f64 = 800.0;
const DETAIL_RELIEF_FACTOR: f32 = 1.5;

/// 30 m DEM: the real 30″ DEM interpolated, with seeded fractal detail whose 30″-block means are
/// zero, so every 30″ cell's mean over its 30 m cells equals the real value.
fn dem(cx: &mut DemoContext) -> Result<()> {
    let grid = cx.region()?.grid.clone();
    let src = read_raster(&cx.inputs_dir.join(data::DEM))?;
    let src_spec = src.spec();
    let coarse: Vec<f32> = f32_values(&src);
    let coarse_grid = AnyGrid::F32(Grid::from_vec(&src_spec, coarse.clone(), Some(f32::NAN))?);
    let p = cx.progress;
    let smooth = warp(&coarse_grid, &grid, Resampling::Bilinear, p)?.to_f32();
    let membership = match warp(
        &AnyGrid::U32(id_grid(&src_spec)),
        &grid,
        Resampling::Nearest,
        p,
    )? {
        AnyGrid::U32(g) => g.data,
        other => bail!("unexpected membership type {:?}", other.cell_type()),
    };
    let upsample = |vals: &[f32]| -> Grid<f32> {
        let g = AnyGrid::F32(Grid::from_vec(&src_spec, vals.to_vec(), None).expect("sized"));
        warp(&g, &grid, Resampling::Bilinear, &ecoplan_grid::NoProgress)
            .expect("same grids as above")
            .to_f32()
    };
    // Sub-cell relief follows the real relief: std of each 30″ cell's 3×3 neighbourhood.
    let (cw, ch) = (src_spec.width, src_spec.height);
    let relief: Vec<f32> = (0..cw * ch)
        .map(|i| {
            let (c, r) = ((i % cw) as isize, (i / cw) as isize);
            let vals: Vec<f32> = (-1..=1)
                .flat_map(|dr| (-1..=1).map(move |dc| (c + dc, r + dr)))
                .filter(|&(cc, rr)| cc >= 0 && rr >= 0 && (cc as usize) < cw && (rr as usize) < ch)
                .map(|(cc, rr)| coarse[rr as usize * cw + cc as usize])
                .filter(|v| v.is_finite())
                .collect();
            if vals.len() < 2 {
                return 0.0;
            }
            let m = vals.iter().sum::<f32>() / vals.len() as f32;
            (vals.iter().map(|v| (v - m) * (v - m)).sum::<f32>() / vals.len() as f32).sqrt()
        })
        .collect();
    let relief_fine = upsample(&relief);
    let noise = synth::noise_grid(&grid, cx.seed ^ 0xD3, DETAIL_WAVELENGTH_M, 5, 0.6);
    let detail: Vec<f32> = noise
        .data
        .iter()
        .zip(&relief_fine.data)
        .map(|(n, r)| n * (DETAIL_RELIEF_FACTOR * r).clamp(2.0, 90.0))
        .collect();
    let fine = synth::refine_mean_preserving(&smooth, &membership, &coarse, &upsample, &detail);
    // Check the promise: block means equal the real values (blocks wholly inside the grid).
    let sums = synth::block_sums(&fine.data, &membership, coarse.len());
    let full = {
        let mut n = vec![0u32; coarse.len()];
        for &m in &membership {
            if m != u32::MAX {
                n[m as usize] += 1;
            }
        }
        n
    };
    let max_n = full.iter().copied().max().unwrap_or(0);
    let mut max_err = 0.0f64;
    for (k, (&(s, n), &z)) in sums.iter().zip(&coarse).enumerate() {
        if n > 0 && z.is_finite() && full[k] + 4 >= max_n {
            max_err = max_err.max((s / n as f64 - z as f64).abs());
        }
    }
    if max_err > 0.05 {
        bail!("DEM refinement broke the 30″ block means (max error {max_err} m)");
    }
    cx.manifest.param("dem", serde_json::json!({
        "source": "real 30″ DEM (meteva), bilinear + seeded fractal detail, block-mean preserving",
        "detail_wavelength_m": DETAIL_WAVELENGTH_M, "octaves": 5, "gain": 0.6, "amplitude": format!("{DETAIL_RELIEF_FACTOR} × local 3×3 std of the real DEM, 2–90 m"),
        "max_block_mean_error_m": max_err,
    }));
    cx.write_raster(
        "layers/dem.tif",
        &AnyGrid::F32(fine.clone()),
        "DEM 30 m, m (synthesized from the real 30″ DEM; 30″ block means = real values)",
    )?;
    cx.insert_layer("dem", fine);
    Ok(())
}

/// Pit filling, D8 flow directions, accumulation (km²), streams (≥ 1 km²), slope and aspect —
/// the routing primitives of `ecoplan_assess::hydro` (pygeoprocessing conventions).
fn hydrology(cx: &mut DemoContext) -> Result<()> {
    use ecoplan_assess::hydro;
    let dem64 = cx.layer("dem")?.to_f64();
    let p = cx.progress;
    let filled = hydro::fill_pits(&dem64, p);
    let dir = hydro::flow_dir_d8(&filled, p);
    let acc = hydro::flow_accumulation_d8(&dir, None, p);
    let cell_km2 = dem64.transform.cell_area() / 1e6;
    let flow_km2 = acc.map(Some(f32::NAN), |a| (a * cell_km2) as f32);
    let streams = hydro::extract_streams_d8(&acc, STREAM_THRESHOLD_KM2 / cell_km2);
    // Degrees for the land-use rules; edges (no Horn window) count as flat.
    let slope = hydro::slope_percent_horn(&dem64)
        .map(Some(f32::NAN), |pct| (pct / 100.0).atan().to_degrees());
    let aspect =
        hydro::aspect_degrees(&dem64).map(Some(f32::NAN), |a| if a < 0.0 { f32::NAN } else { a });
    cx.manifest.param("hydrology", serde_json::json!({
        "method": "ecoplan_assess::hydro: Priority-Flood pit filling, D8 with pygeoprocessing flat resolution, D8 accumulation",
        "stream_threshold_km2": STREAM_THRESHOLD_KM2,
    }));
    cx.write_raster("layers/flow_direction.tif", &AnyGrid::U8(dir.clone()), "D8 flow direction, pygeoprocessing codes 0 E, 1 NE, 2 N, 3 NW, 4 W, 5 SW, 6 S, 7 SE; 128 nodata")?;
    cx.write_raster(
        "layers/flow_accumulation.tif",
        &AnyGrid::F32(flow_km2.clone()),
        "contributing area, km² (from the synthesized DEM)",
    )?;
    cx.write_raster(
        "layers/streams.tif",
        &AnyGrid::U8(streams.clone()),
        "1 = stream (contributing area ≥ 1 km²)",
    )?;
    cx.write_raster(
        "layers/slope.tif",
        &AnyGrid::F32(slope.clone()),
        "slope, degrees (Horn)",
    )?;
    cx.write_raster(
        "layers/aspect.tif",
        &AnyGrid::F32(aspect.clone()),
        "aspect, degrees clockwise from north (NaN on flats)",
    )?;
    cx.insert_layer("flow_km2", flow_km2);
    cx.insert_layer("flow_direction", dir);
    cx.insert_layer("streams", streams);
    cx.insert_layer("slope", slope);
    cx.insert_layer("aspect", aspect);
    Ok(())
}

const STREAM_THRESHOLD_KM2: f64 = 1.0;

/// 30 m land use (common classes) refined from the real MODIS IGBP classes.
fn landuse(cx: &mut DemoContext) -> Result<()> {
    let grid = cx.region()?.grid.clone();
    let layer = cx
        .plan
        .layer("landuse")
        .context("the demo plan has no [layers.landuse]")?;
    let classes_spec = layer
        .classes
        .as_ref()
        .map(|c| c.value.clone())
        .unwrap_or_else(|| "modis_igbp".into());
    let mapping = load_mapping(&classes_spec, &cx.plan.base_dir, &cx.classes)
        .map_err(|e| anyhow::anyhow!(e.join("\n")))?;
    let src = read_raster(&cx.plan.resolve(&layer.file.value))?;
    let src_spec = src.spec();
    let n = src_spec.len();
    let mut mapped = vec![0u8; n];
    let mut urban = vec![0u8; n];
    for i in 0..n {
        if let Some(v) = src.value_f64(i) {
            mapped[i] = mapping
                .class_of(v as i64)
                .with_context(|| format!("MODIS class {v} is not in mapping {}", mapping.name))?;
            urban[i] = u8::from(v as i64 == 13);
        }
    }
    let p = cx.progress;
    let coarse_class = warp(
        &AnyGrid::U8(Grid::from_vec(&src_spec, mapped, Some(0))?),
        &grid,
        Resampling::Nearest,
        p,
    )?;
    let coarse_urban = warp(
        &AnyGrid::U8(Grid::from_vec(&src_spec, urban, None)?),
        &grid,
        Resampling::Nearest,
        p,
    )?;
    let (AnyGrid::U8(coarse_class), AnyGrid::U8(coarse_urban)) = (coarse_class, coarse_urban)
    else {
        bail!("warp changed the cell type");
    };
    let urban_mask: Vec<bool> = coarse_urban.data.iter().map(|&v| v == 1).collect();
    let dem = cx.layer("dem")?.to_f32();
    let slope = cx.layer("slope")?.to_f32();
    let aspect = cx.layer("aspect")?.to_f32();
    let flow = cx.layer("flow_km2")?.to_f32();
    let lu = synth::refine_landuse(&synth::LanduseInputs {
        coarse_class: &coarse_class,
        coarse_urban: &urban_mask,
        dem: &dem,
        slope: &slope,
        aspect: &aspect,
        flow_km2: &flow,
        seed: cx.seed,
    });
    cx.manifest.param("landuse", serde_json::json!({
        "source": "real MODIS MCD12C1 2019 IGBP 0.05°, mapped with presets/landuse/modis_igbp.csv, refined by terrain and drainage rules",
        "mapping": mapping.name,
        "rules": "water: ≥150 km² drainage; wetland: ≥25 km² on slopes <3°; built-up: smoothed intensity of the real urban cells (~1.5 km Gaussian) + seeded noise > 0.55 on slopes <10°, villages on flat land below 1300 m; mining: 1100–1450 m, 3–25° patches within 12 km of the real urban cells; barren >30°; forest: north-facing (>8°) above 1250 m; shrub: >8° above 1150 m; cropland on flat land, grassland on steep former cropland",
    }));
    cx.write_raster("layers/landuse_modis_coarse.tif", &AnyGrid::U8(coarse_class), "real MODIS 2019 classes mapped to common classes, nearest-resampled to 30 m (for comparison)")?;
    cx.write_raster("layers/landuse.tif", &AnyGrid::U8(lu.clone()), "land use 30 m, common class codes (presets/landuse/common_classes.csv) — SYNTHESIZED from real MODIS classes")?;
    cx.insert_layer("landuse", lu);
    Ok(())
}

/// Precipitation, ET0, rainfall erosivity R, soil erodibility K, soil depth, PAWC and NDVI.
fn climate_soil_ndvi(cx: &mut DemoContext) -> Result<()> {
    let grid = cx.region()?.grid.clone();
    let inside: Vec<bool> = cx.mask()?.data.iter().map(|&v| v == 1).collect();
    let kg = read_raster(&cx.inputs_dir.join(data::CLIMATE))?;
    let AnyGrid::U8(kg) = warp(&kg, &grid, Resampling::Nearest, cx.progress)? else {
        bail!("Köppen–Geiger raster is not byte-typed");
    };
    let dem = cx.layer("dem")?.to_f32();
    let aspect = cx.layer("aspect")?.to_f32();
    let flow = cx.layer("flow_km2")?.to_f32();
    let AnyGrid::U8(lu) = cx.layer("landuse")?.clone() else {
        bail!("landuse is not byte-typed")
    };
    // Published in the 云冈区 plan: mean annual precipitation 396.4 mm, pan evaporation 1896.06 mm.
    const MEAN_P_MM: f32 = 396.4;
    const LAPSE_MM_PER_M: f32 = 0.25;
    const PAN_MM: f32 = 1896.06;
    const PAN_COEFFICIENT: f32 = 0.55;
    let precip = synth::synth_precipitation(&dem, &kg, &inside, MEAN_P_MM, LAPSE_MM_PER_M);
    let et0 = synth::synth_et0(&dem, &aspect, &inside, PAN_MM, PAN_COEFFICIENT);
    let k = synth::synth_soil_k(&dem, &lu, cx.seed);
    let ndvi = synth::synth_ndvi(&lu, &aspect, &flow, cx.seed);
    let slope = cx.layer("slope")?.to_f32();
    let depth = synth::synth_soil_depth(&dem, &slope, &lu, cx.seed);
    let pawc = synth::synth_pawc(&dem, &lu, cx.seed);
    let erosivity = precip.map(Some(f32::NAN), |p| {
        synth::erosivity_from_annual(p, &synth::MONTHLY_SHARE)
    });
    cx.manifest.param("climate_soil_ndvi", serde_json::json!({
        "precipitation": { "mean_mm": MEAN_P_MM, "lapse_mm_per_m": LAPSE_MM_PER_M, "koppen_offset_mm": {"B (2)": -8, "D (4)": 8},
                           "source": "mean from the published 云冈区 plan; real Köppen–Geiger classes; lapse rate assumed" },
        "et0": { "pan_evaporation_mm": PAN_MM, "pan_coefficient": PAN_COEFFICIENT, "lapse_mm_per_m": -0.3 },
        "soil_erodibility_k": { "褐土 (<1080 m)": 0.029, "淡栗钙土 (>1200 m)": 0.033, "复配土 (mining)": 0.038, "variation": "±8% seeded noise", "unit": "t·ha·h/(ha·MJ·mm)" },
        "ndvi": "class means + north-aspect and drainage moisture terms + seeded noise",
        "soil_depth_mm": "1500 − 40·slope° − 0.8·(z − 1000 m), by class for built-up 600 / mining 300 / barren 250, ±15% seeded",
        "pawc": { "褐土 (<1080 m)": 0.16, "淡栗钙土 (>1200 m)": 0.11, "mining": 0.06, "barren": 0.05, "variation": "±10% seeded" },
        "rainfall_erosivity": { "formula": "METHODS.md §1.4 monthly Wischmeier fallback: 17.02·Σ 1.735·10^(1.5·lg(Pi²/P) − 0.8188)",
                                "monthly_share": synth::MONTHLY_SHARE, "source": "the plan: 75% of rain in July–September; the split within is assumed" },
    }));
    cx.write_raster(
        "layers/koppen_geiger.tif",
        &AnyGrid::U8(kg),
        "real Köppen–Geiger main class (2 B arid, 4 D cold), nearest-resampled to 30 m",
    )?;
    cx.write_raster(
        "layers/precipitation.tif",
        &AnyGrid::F32(precip.clone()),
        "mean annual precipitation, mm/a (SYNTHESIZED: plan mean 396.4 mm + elevation lapse)",
    )?;
    cx.write_raster(
        "layers/et0.tif",
        &AnyGrid::F32(et0.clone()),
        "reference evapotranspiration, mm/a (SYNTHESIZED: pan evaporation × 0.55, elevation lapse)",
    )?;
    cx.write_raster(
        "layers/soil_erodibility.tif",
        &AnyGrid::F32(k.clone()),
        "soil erodibility K, t·ha·h/(ha·MJ·mm) (SYNTHESIZED from the plan's soil zones)",
    )?;
    cx.write_raster(
        "layers/ndvi.tif",
        &AnyGrid::F32(ndvi.clone()),
        "growing-season NDVI (SYNTHESIZED from land use and terrain)",
    )?;
    cx.write_raster(
        "layers/soil_depth.tif",
        &AnyGrid::F32(depth.clone()),
        "depth to a root-restricting layer, mm (SYNTHESIZED)",
    )?;
    cx.write_raster(
        "layers/pawc.tif",
        &AnyGrid::F32(pawc.clone()),
        "plant-available water content, fraction (SYNTHESIZED from the plan's soil zones)",
    )?;
    cx.write_raster("layers/rainfall_erosivity.tif", &AnyGrid::F32(erosivity.clone()), "rainfall erosivity R, MJ·mm/(ha·h·a) (from the synthesized precipitation, METHODS §1.4 monthly formula)")?;
    cx.insert_layer("soil_depth", depth);
    cx.insert_layer("pawc", pawc);
    cx.insert_layer("rainfall_erosivity", erosivity);
    cx.insert_layer("precipitation", precip);
    cx.insert_layer("et0", et0);
    cx.insert_layer("soil_erodibility", k);
    cx.insert_layer("ndvi", ndvi);
    Ok(())
}

/// Area of each land-use class inside the region (公顷, 亩, km²) and layer statistics by district.
fn tables(cx: &mut DemoContext) -> Result<()> {
    let AnyGrid::U8(lu) = cx.layer("landuse")?.clone() else {
        bail!("landuse is not byte-typed")
    };
    let mask = cx.mask()?;
    let cell_m2 = lu.transform.cell_area();
    let mut counts = [0u64; 256];
    for (v, m) in lu.data.iter().zip(&mask.data) {
        if *m == 1 && *v != 0 {
            counts[*v as usize] += 1;
        }
    }
    let total: u64 = counts.iter().sum();
    let mut t = Table::new(&[
        ("code", "代码"),
        ("class", "地类"),
        ("class_en", "class (English)"),
        ("cells", "栅格数"),
        ("area_ha", "面积（公顷）"),
        ("area_mu", "面积（亩）"),
        ("area_km2", "面积（平方千米）"),
        ("share_pct", "占比（%）"),
    ]);
    for c in &cx.classes.classes {
        let n = counts[c.code as usize];
        let a = Area::from_m2(n as f64 * cell_m2);
        t.push(vec![
            Value::Int(c.code as i64),
            Value::Text(c.name_zh.clone()),
            Value::Text(c.name_en.clone()),
            Value::Int(n as i64),
            Value::Num(round2(a.ha())),
            Value::Num(round2(a.mu())),
            Value::Num(round4(a.in_unit(AreaUnit::SquareKilometre))),
            Value::Num(round2(100.0 * n as f64 / total.max(1) as f64)),
        ]);
    }
    let a = Area::from_m2(total as f64 * cell_m2);
    t.push(vec![
        Value::Empty,
        Value::Text("合计".into()),
        Value::Text("total".into()),
        Value::Int(total as i64),
        Value::Num(round2(a.ha())),
        Value::Num(round2(a.mu())),
        Value::Num(round4(a.km2())),
        Value::Num(100.0),
    ]);
    let csv = t.to_csv()?;
    cx.write_text(
        "tables/landuse_area.csv",
        &csv,
        "land-use area by class inside 云冈区 (synthesized land use)",
    )?;
    t.write(&cx.out_path("tables/landuse_area.xlsx")?)?;
    cx.record(
        "tables/landuse_area.xlsx",
        "the same table as XLSX with Chinese headers",
    );
    Ok(())
}

fn round2(x: f64) -> f64 {
    (x * 100.0).round() / 100.0
}
fn round4(x: f64) -> f64 {
    (x * 10_000.0).round() / 10_000.0
}
