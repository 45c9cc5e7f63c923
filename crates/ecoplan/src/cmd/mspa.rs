//! `ecoplan mspa INPUT --out OUT`: Morphological Spatial Pattern Analysis (GuidosToolbox codes).

use anyhow::{bail, Context};
use clap::{Arg, ArgAction, ArgMatches, Command};
use ecoplan_grid::{units, AnyGrid, Grid};
use ecoplan_pattern::mspa::{mspa, MspaClass, MspaHistogram, MspaParams};
use std::path::PathBuf;

pub fn command() -> Command {
    Command::new("mspa")
        .about("形态学空间格局分析 MSPA: core/islet/perforation/edge/loop/bridge/branch (GuidosToolbox codes)")
        .long_about(
            "形态学空间格局分析（MSPA，GuidosToolbox 编码）。\n\
             Runs MSPA on a binary raster (0 = missing 缺失, 1 = background 背景, 2 = foreground 前景; \
             nodata = missing) or, with --foreground, on a land-use raster whose listed codes are \
             foreground. Writes one byte per cell with GuidosToolbox codes: 17 core 核心, 9 islet 孤岛, \
             5 perforation 孔隙, 3 edge 边缘, 65 loop 环道, 33 bridge 桥接, 1 branch 支线, 0 background, \
             129 missing; +100 inside core openings, 100 core opening, 220 border opening (--intext 1); \
             35/37 and 67/69 are bridge/loop pixels crossing edge/perforation. Output is identical to \
             the GTB/GWB MSPA engine.",
        )
        .arg(Arg::new("input").value_name("INPUT").required(true).value_parser(clap::value_parser!(PathBuf)).help("输入栅格 Input raster (.tif/.asc)"))
        .arg(Arg::new("out").long("out").short('o').value_name("OUT").required(true).value_parser(clap::value_parser!(PathBuf)).help("输出栅格 Output raster (.tif/.asc), byte codes"))
        .arg(Arg::new("connectivity").long("connectivity").value_name("8|4").default_value("8").value_parser(clap::value_parser!(u8)).help("前景连通性 Foreground connectivity"))
        .arg(Arg::new("edge-width").long("edge-width").value_name("PIXELS").default_value("1").value_parser(clap::value_parser!(u32)).help("边缘宽度（像元）Edge width in pixels"))
        .arg(Arg::new("transition").long("transition").value_name("0|1").default_value("1").value_parser(clap::value_parser!(u8).range(0..=1)).help("过渡像元计为桥接/环道(1) 或边缘/孔隙(0) Transition pixels in statistics"))
        .arg(Arg::new("intext").long("intext").value_name("0|1").default_value("1").value_parser(clap::value_parser!(u8).range(0..=1)).help("区分内部/外部 Internal/external distinction"))
        .arg(Arg::new("foreground").long("foreground").value_name("CODES").value_delimiter(',').value_parser(clap::value_parser!(i64)).help("将这些地类代码作为前景 Treat these land-use codes as foreground (others background, nodata missing)"))
        .arg(Arg::new("json").long("json").action(ArgAction::SetTrue).help("以 JSON 输出统计 Print the class histogram as JSON"))
        .after_help(
            "示例 Examples:\n  \
             ecoplan mspa habitat.tif --out mspa.tif\n  \
             ecoplan mspa habitat.asc --connectivity 8 --edge-width 1 --transition 1 --intext 1 --out mspa.asc\n  \
             ecoplan mspa landuse.tif --foreground 1,2,3,4 --edge-width 2 --out mspa.tif",
        )
}

/// Converts the input raster into MSPA's 0/1/2 convention.
fn to_binary(grid: &AnyGrid, foreground: Option<&[i64]>) -> anyhow::Result<Grid<u8>> {
    let spec = grid.spec();
    let mut cells = vec![0u8; spec.len()];
    let mut bad: Option<(usize, f64)> = None;
    let mut bad_count = 0usize;
    for (i, c) in cells.iter_mut().enumerate() {
        let Some(v) = grid.value_f64(i) else {
            *c = 0;
            continue;
        };
        if let Some(codes) = foreground {
            *c = if v.fract() == 0.0 && codes.contains(&(v as i64)) {
                2
            } else {
                1
            };
        } else if v == 0.0 || v == 1.0 || v == 2.0 {
            *c = v as u8;
        } else {
            bad_count += 1;
            bad.get_or_insert((i, v));
        }
    }
    if let Some((i, v)) = bad {
        bail!(
            "输入值无效 invalid input: MSPA needs 0 (missing 缺失), 1 (background 背景), 2 (foreground 前景); \
             cell (col {}, row {}) holds {v} ({bad_count} such cells). Use --foreground CODES to \
             select foreground land-use codes instead.",
            i % spec.width,
            i / spec.width
        );
    }
    Ok(Grid::from_vec(&spec, cells, None)?)
}

pub fn run(m: &ArgMatches) -> anyhow::Result<()> {
    let input: &PathBuf = m.get_one("input").expect("required");
    let out: &PathBuf = m.get_one("out").expect("required");
    let params = MspaParams {
        connectivity: *m.get_one::<u8>("connectivity").expect("default"),
        edge_width: *m.get_one::<u32>("edge-width").expect("default"),
        transition: *m.get_one::<u8>("transition").expect("default") == 1,
        intext: *m.get_one::<u8>("intext").expect("default") == 1,
    };
    params.validate()?;
    let foreground: Option<Vec<i64>> = m
        .get_many::<i64>("foreground")
        .map(|v| v.copied().collect());
    let grid = ecoplan_io::raster::read_raster(input)
        .with_context(|| format!("reading {}", input.display()))?;
    let binary = to_binary(&grid, foreground.as_deref())
        .with_context(|| format!("in {}", input.display()))?;
    let bar = crate::progress::Bar::new();
    let result = mspa(&binary, &params, &bar)?;
    let hist = MspaHistogram::new(&result.data, params.transition);
    let cell_m2 = result.transform.cell_area();
    ecoplan_io::raster::write_raster(
        out,
        &AnyGrid::from(result),
        &ecoplan_io::raster::WriteOptions::default(),
    )
    .with_context(|| format!("writing {}", out.display()))?;

    if m.get_flag("json") {
        let classes: Vec<_> = MspaClass::ALL
            .iter()
            .map(|&c| {
                serde_json::json!({
                    "class": c.en(),
                    "zh": c.zh(),
                    "pixels": hist.count(c),
                    "area_ha": hist.count(c) as f64 * cell_m2 / units::M2_PER_HA,
                    "percent_of_foreground": if c.is_foreground() { Some(hist.percent_of_foreground(c)) } else { None },
                })
            })
            .collect();
        let codes: serde_json::Map<String, serde_json::Value> = (0..256)
            .filter(|&c| hist.by_code[c] > 0)
            .map(|c| (c.to_string(), hist.by_code[c].into()))
            .collect();
        let json = serde_json::json!({
            "output": out,
            "params": params,
            "classes": classes,
            "codes": codes,
            "porosity": hist.porosity(),
        });
        println!("{}", serde_json::to_string_pretty(&json)?);
    } else {
        println!(
            "MSPA 形态学空间格局分析: connectivity {} / edge width {} px / transition {} / intext {} → {}",
            params.connectivity,
            params.edge_width,
            params.transition as u8,
            params.intext as u8,
            out.display()
        );
        println!(
            "{:<22} {:>12} {:>14} {:>10}",
            "类型 class", "像元 pixels", "面积 area (ha)", "% 前景 FG"
        );
        for c in MspaClass::ALL {
            let n = hist.count(c);
            if n == 0 {
                continue;
            }
            let pct = if c.is_foreground() {
                format!("{:.2}", hist.percent_of_foreground(c))
            } else {
                "-".into()
            };
            println!(
                "{:<22} {:>12} {:>14.2} {:>10}",
                format!("{} {}", c.zh(), c.en()),
                n,
                n as f64 * cell_m2 / units::M2_PER_HA,
                pct
            );
        }
        if let Some(p) = hist.porosity().filter(|_| params.intext) {
            println!("孔隙度 porosity: {p:.2} %");
        }
    }
    Ok(())
}
