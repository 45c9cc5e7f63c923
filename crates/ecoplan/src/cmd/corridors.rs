//! `ecoplan corridors`: Linkage Mapper corridors (生态廊道) between cores, with the link table,
//! least-cost paths, gravity importance, and optionally Barrier Mapper, Pinchpoint Mapper and
//! ecological nodes.

use super::cost_distance::{path_arg, read_grid, read_zones, write_grid};
use anyhow::{bail, Context, Result};
use clap::{Arg, ArgAction, ArgMatches, Command};
use ecoplan_grid::{AnyGrid, Grid};
use ecoplan_io::atomic::write_atomic;
use ecoplan_io::vector::Layer;
use ecoplan_io::vector::{FieldType, FieldValue};
use ecoplan_pattern::corridors::{
    barrier_mapper, linkage_corridors, pinchpoint_mapper, AdjacencyMethod, BarrierParams,
    Corridors, GravityClasses, Link, LinkageParams, NeighbourMetric, PinchpointParams,
};
use ecoplan_pattern::cost_distance::BadCostPolicy;
use ecoplan_pattern::nodes::{ecological_nodes, EcoNode, NodeLayers, NodeParams};
use std::path::{Path, PathBuf};

fn num(name: &'static str, help: &'static str) -> Arg {
    Arg::new(name)
        .long(name)
        .value_name("X")
        .value_parser(clap::value_parser!(f64))
        .help(help)
}

pub fn command() -> Command {
    Command::new("corridors")
        .about("生态廊道 Least-cost corridors between cores (Linkage Mapper workflow), link table, barriers, pinch points, nodes")
        .long_about(
            "生态廊道识别（Linkage Mapper 流程）。\n\
             1 adjacency of cores (cost-weighted and/or Euclidean allocation zones that touch); 2 Euclidean \
             edge-to-edge distances; 3 cost-weighted distance (CWD) from each core, least-cost distance \
             (LCD) and least-cost path (LCP) per link, links dropped when too long/short or crossing a \
             third core; 4 N nearest neighbours, reconnection of constellations; 5 normalised least-cost \
             corridors NLCC = CWD_A + CWD_B − LCD mosaicked by minimum, optionally truncated.\n\
             Gravity G = [(1/P_a)·ln S_a·(1/P_b)·ln S_b]/(L_ab/L_max)² (P mean core resistance, S area \
             in ha, L the LCD) is added to the link table.\n\
             Outputs in --out-dir: corridors_nlcc.tif, corridors_truncated.tif (--truncate), links.csv, \
             least_cost_paths.gpkg, corridors.json; with --barriers: barrier_circles.tif, \
             barrier_centers.tif, barrier_percent.tif, barrier_radius.tif; with --pinchpoints: \
             pinchpoint_current.tif; with --nodes: nodes.geojson and nodes.csv.",
        )
        .arg(path_arg("resistance", "阻力面 Resistance raster (.tif/.asc)").required(true))
        .arg(path_arg("cores", "生态源地 Cores: raster of ids > 0, or vector polygons").required(true))
        .arg(Arg::new("id-field").long("id-field").value_name("FIELD").help("矢量源地编号字段 Core id field of a vector (default: feature number)"))
        .arg(path_arg("out-dir", "输出目录 Output folder").required(true))
        .arg(Arg::new("adjacency").long("adjacency").value_name("cost|euclid|both").default_value("both").value_parser(["cost", "euclid", "both"]).help("邻接方法 Adjacency: cost-weighted, Euclidean or both (LM demo: both)"))
        .arg(Arg::new("keep-crossing").long("keep-crossing").action(ArgAction::SetTrue).help("保留穿越其他源地的廊道 Keep links whose path crosses a third core"))
        .arg(Arg::new("nn").long("nn").value_name("N|all").default_value("4").help("每个源地保留的近邻数 Keep each core's N nearest neighbours (all = no pruning)"))
        .arg(Arg::new("nn-metric").long("nn-metric").value_name("cwd|euclid").default_value("cwd").value_parser(["cwd", "euclid"]).help("近邻距离 Neighbour metric"))
        .arg(Arg::new("no-constellations").long("no-constellations").action(ArgAction::SetTrue).help("不连接孤立组团 Do not reconnect disjoint constellations"))
        .arg(num("max-cwd", "最大成本距离 Drop links with CWD above (LM demo 100000)"))
        .arg(num("min-cwd", "最小成本距离 Drop links with CWD below"))
        .arg(num("max-euclid", "最大欧氏距离 Drop links farther apart than (m; LM demo 40000)"))
        .arg(num("min-euclid", "最小欧氏距离 Drop links closer than (m)"))
        .arg(num("truncate", "廊道宽度阈值 Truncate corridors at this NLCC (LM demo 200000)"))
        .arg(Arg::new("gravity-classes").long("gravity-classes").value_name("jenks|off|G").default_value("jenks").help("重要/一般廊道划分 Split corridors by gravity G: jenks (natural breaks, 2 classes), off, or a threshold G (≥ G = 重要廊道)"))
        .arg(path_arg("euclid-table", "欧氏距离表 Conefor-style distances 'id1 id2 dist' replacing the raster ones"))
        .arg(Arg::new("bad-cost").long("bad-cost").value_name("error|barrier").default_value("error").value_parser(["error", "barrier"]).help("阻力 ≤ 0 的处理 Cells with resistance ≤ 0: error or barrier"))
        .arg(Arg::new("barriers").long("barriers").value_name("MIN,MAX,STEP").help("障碍点识别半径（米）Barrier Mapper radii in map units, e.g. 30,150,30"))
        .arg(num("pinchpoints", "夹点识别：廊道宽度 Pinchpoint Mapper: circuit inside NLCC ≤ this"))
        .arg(Arg::new("square-resistances").long("square-resistances").action(ArgAction::SetTrue).help("夹点计算使用阻力平方 Square resistances in the circuits"))
        .arg(Arg::new("nodes").long("nodes").action(ArgAction::SetTrue).help("生态节点 Ecological nodes (junctions, barriers with --barriers, road/river crossings)"))
        .arg(path_arg("roads", "主要道路 Main roads (raster mask ≠ 0, or lines) for nodes"))
        .arg(path_arg("rivers", "河流 Rivers (raster mask ≠ 0, or lines) for nodes"))
        .arg(Arg::new("format").long("format").value_name("tif|asc").default_value("tif").value_parser(["tif", "asc"]).help("栅格输出格式 Raster output format (GeoTIFF needs an EPSG CRS; use asc otherwise)"))
        .arg(num("barrier-node-threshold", "障碍节点阈值 Barrier score at or above which a path cell is a node (default: any improvement)"))
        .after_help(
            "示例 Examples:\n  \
             ecoplan corridors --resistance lm_resistances.tif --cores lm_cores.shp --id-field core_id \\\n    \
             --out-dir out/corridors --max-cwd 100000 --max-euclid 40000 --truncate 200000\n  \
             ecoplan corridors --resistance r.tif --cores sources.tif --out-dir out/c --nn all \\\n    \
             --barriers 30,150,30 --pinchpoints 20000 --nodes --roads roads.gpkg --rivers rivers.geojson",
        )
}

fn read_euclid_table(path: &Path) -> Result<Vec<(u32, u32, f64)>> {
    let text =
        std::fs::read_to_string(path).with_context(|| format!("reading {}", path.display()))?;
    let mut out = Vec::new();
    let mut problems = Vec::new();
    for (k, line) in text.lines().enumerate() {
        let t = line.trim();
        if t.is_empty() || t.starts_with('#') {
            continue;
        }
        let v: Vec<&str> = t
            .split(|c: char| c.is_whitespace() || c == ',')
            .filter(|s| !s.is_empty())
            .collect();
        match (
            v.first().and_then(|s| s.parse::<u32>().ok()),
            v.get(1).and_then(|s| s.parse::<u32>().ok()),
            v.get(2).and_then(|s| s.parse::<f64>().ok()),
        ) {
            (Some(a), Some(b), Some(d)) if v.len() == 3 => out.push((a, b, d)),
            _ => problems.push(format!(
                "line {}: expected 'id1 id2 distance', got '{t}'",
                k + 1
            )),
        }
    }
    if !problems.is_empty() {
        bail!("{}: {}", path.display(), problems.join("; "));
    }
    Ok(out)
}

fn mask_of(path: &Path, spec: &ecoplan_grid::GridSpec) -> Result<Grid<u8>> {
    let z = read_zones(path, spec, None, true)?;
    Ok(z.map(None, |v| (v > 0) as u8))
}

pub fn run(m: &ArgMatches) -> Result<()> {
    let get = |k: &str| m.get_one::<PathBuf>(k);
    let fnum = |k: &str| m.get_one::<f64>(k).copied();
    let res_path = get("resistance").expect("required");
    let out_dir = get("out-dir").expect("required");
    let ext = m
        .get_one::<String>("format")
        .map(|s| s.as_str())
        .unwrap_or("tif");
    let raster = |stem: &str| out_dir.join(format!("{stem}.{ext}"));
    let resistance = read_grid(res_path)?.to_f32();
    let spec = resistance.spec();
    let cores = read_zones(
        get("cores").expect("required"),
        &spec,
        m.get_one::<String>("id-field").map(|s| s.as_str()),
        false,
    )?;
    let nn = match m.get_one::<String>("nn").map(|s| s.as_str()) {
        Some("all") | None => None,
        Some(s) => Some(
            s.parse::<usize>()
                .with_context(|| format!("--nn {s}: a number or 'all'"))?,
        ),
    };
    let bad_cost = if m.get_one::<String>("bad-cost").map(|s| s.as_str()) == Some("barrier") {
        BadCostPolicy::AsBarrier
    } else {
        BadCostPolicy::Error
    };
    let params = LinkageParams {
        adjacency: match m.get_one::<String>("adjacency").map(|s| s.as_str()) {
            Some("cost") => AdjacencyMethod::CostWeighted,
            Some("euclid") => AdjacencyMethod::Euclidean,
            _ => AdjacencyMethod::CostWeightedAndEuclidean,
        },
        drop_crossing_cores: !m.get_flag("keep-crossing"),
        nearest_neighbours: nn,
        neighbour_metric: if m.get_one::<String>("nn-metric").map(|s| s.as_str()) == Some("euclid")
        {
            NeighbourMetric::Euclidean
        } else {
            NeighbourMetric::Cwd
        },
        connect_constellations: !m.get_flag("no-constellations"),
        max_cwd: fnum("max-cwd"),
        min_cwd: fnum("min-cwd"),
        max_euclidean: fnum("max-euclid"),
        min_euclidean: fnum("min-euclid"),
        truncate_cwd: fnum("truncate"),
        gravity_classes: gravity_classes_arg(
            m.get_one::<String>("gravity-classes").map(String::as_str),
        )?,
        bad_cost,
        euclidean_distances: get("euclid-table")
            .map(|p| read_euclid_table(p))
            .transpose()?,
        ..Default::default()
    };
    let barrier_params = match m.get_one::<String>("barriers") {
        Some(s) => {
            let v: Vec<f64> = s
                .split(',')
                .map(|x| x.trim().parse::<f64>())
                .collect::<std::result::Result<_, _>>()
                .with_context(|| format!("--barriers {s}: expected MIN,MAX,STEP in map units"))?;
            if v.len() != 3 {
                bail!("--barriers {s}: expected MIN,MAX,STEP in map units");
            }
            Some(BarrierParams {
                min_radius: v[0],
                max_radius: v[1],
                radius_step: v[2],
                bad_cost,
                ..BarrierParams::cells(spec.transform.cell_width())
            })
        }
        None => None,
    };
    let bar = crate::progress::Bar::new();
    let mut cor = linkage_corridors(&resistance, &cores, &params, &bar)
        .with_context(|| format!("corridors on {}", res_path.display()))?;
    std::fs::create_dir_all(out_dir).with_context(|| format!("creating {}", out_dir.display()))?;
    let barriers = match &barrier_params {
        Some(bp) => Some(barrier_mapper(&resistance, &cores, &cor, bp, &bar)?),
        None => None,
    };
    let pinch = match fnum("pinchpoints") {
        Some(cutoff) => {
            let mut p = PinchpointParams::new(cutoff);
            p.square_resistances = m.get_flag("square-resistances");
            p.bad_cost = bad_cost;
            Some(pinchpoint_mapper(&resistance, &cores, &mut cor, &p, &bar)?)
        }
        None => None,
    };

    write_grid(&raster("corridors_nlcc"), AnyGrid::from(cor.nlcc.clone()))?;
    if let Some(t) = params.truncate_cwd {
        write_grid(
            &raster("corridors_truncated"),
            AnyGrid::from(cor.truncated(t)),
        )?;
    }
    // Link table (every candidate, dropped ones with negative types, as Linkage Mapper) and
    // the least-cost paths of the kept links: the same writers as `ecoplan pattern`.
    write_link_table(&out_dir.join("links.csv"), &cor.links)?;
    let lcp = lcp_layer(&cor, &spec);
    let gpkg = out_dir.join("least_cost_paths.gpkg");
    ecoplan_io::vector::write_gpkg_layers(&gpkg, &[&lcp])
        .with_context(|| format!("writing {}", gpkg.display()))?;
    if let Some(b) = &barriers {
        write_grid(&raster("barrier_circles"), AnyGrid::from(b.circles.clone()))?;
        write_grid(&raster("barrier_centers"), AnyGrid::from(b.centers.clone()))?;
        write_grid(
            &raster("barrier_percent"),
            AnyGrid::from(b.percent_circles.clone()),
        )?;
        write_grid(
            &raster("barrier_radius"),
            AnyGrid::from(b.best_radius.clone()),
        )?;
    }
    if let Some(p) = &pinch {
        write_grid(
            &raster("pinchpoint_current"),
            AnyGrid::from(p.current.clone()),
        )?;
    }
    let mut node_count = None;
    if m.get_flag("nodes") {
        let roads = get("roads").map(|p| mask_of(p, &spec)).transpose()?;
        let rivers = get("rivers").map(|p| mask_of(p, &spec)).transpose()?;
        let kept: Vec<(u32, &[usize])> = cor
            .kept_links()
            .map(|l| (l.id, l.path_cells.as_slice()))
            .collect();
        let layers = NodeLayers {
            cores: Some(&cores),
            barrier: barriers.as_ref().map(|b| &b.centers),
            roads: roads.as_ref(),
            rivers: rivers.as_ref(),
        };
        let mut np = NodeParams::default();
        if let Some(t) = fnum("barrier-node-threshold") {
            np.barrier_threshold = t;
        }
        let nodes = ecological_nodes(&spec, &kept, &layers, &np)?;
        node_count = Some(nodes.len());
        use ecoplan_io::vector::write_vector;
        let layer = nodes_layer("ecological_nodes", spec.crs.clone(), &nodes);
        let p = out_dir.join("nodes.geojson");
        write_vector(&p, &layer).with_context(|| format!("writing {}", p.display()))?;
        let csv_path = out_dir.join("nodes.csv");
        write_atomic(&csv_path, |w| {
            let mut c = csv::Writer::from_writer(w);
            let io = |e: csv::Error| ecoplan_io::IoError::format(&csv_path, e.to_string());
            c.write_record([
                "node_id", "类型", "type", "x", "y", "col", "row", "links", "score",
            ])
            .map_err(io)?;
            for n in &nodes {
                c.write_record([
                    n.id.to_string(),
                    n.kind.zh().into(),
                    n.kind.en().into(),
                    n.x.to_string(),
                    n.y.to_string(),
                    n.col.to_string(),
                    n.row.to_string(),
                    n.links
                        .iter()
                        .map(|l| l.to_string())
                        .collect::<Vec<_>>()
                        .join(";"),
                    n.score.map(|s| s.to_string()).unwrap_or_default(),
                ])
                .map_err(io)?;
            }
            c.flush().map_err(|e| ecoplan_io::IoError::io(&csv_path, e))
        })?;
    }
    let kept = cor.kept_links().count();
    let summary = serde_json::json!({
        "resistance": res_path,
        "params": params,
        "barrier_params": barrier_params,
        "cores": cor.cores,
        "links_total": cor.links.len(),
        "links_kept": kept,
        "notes": cor.notes,
        "barrier_max_score_by_radius": barriers.as_ref().map(|b| b.max_score_by_radius.clone()),
        "pinchpoint_links": pinch.as_ref().map(|p| p.links.clone()),
        "nodes": node_count,
    });
    let json_path = out_dir.join("corridors.json");
    write_atomic(&json_path, |w| {
        use std::io::Write;
        w.write_all(
            serde_json::to_string_pretty(&summary)
                .expect("json")
                .as_bytes(),
        )
        .map_err(|e| ecoplan_io::IoError::io(&json_path, e))
    })?;
    eprintln!(
        "生态廊道 corridors: {} 源地 cores, {} 候选 candidate links, {} 保留 kept → {}",
        cor.cores.len(),
        cor.links.len(),
        kept,
        out_dir.display()
    );
    for n in &cor.notes {
        eprintln!("  {n}");
    }
    Ok(())
}

/// `--gravity-classes jenks|off|G`.
pub fn gravity_classes_arg(s: Option<&str>) -> Result<GravityClasses> {
    Ok(match s {
        None | Some("jenks") => GravityClasses::NaturalBreaks,
        Some("off") => GravityClasses::Off,
        Some(x) => GravityClasses::Threshold(x.parse().with_context(|| {
            format!("--gravity-classes {x}: expected jenks, off or a number G")
        })?),
    })
}

fn fin(x: f64) -> String {
    if x.is_finite() {
        x.to_string()
    } else {
        String::new()
    }
}

fn opt(x: Option<f64>) -> String {
    x.map(fin).unwrap_or_default()
}

/// 重要廊道 / 一般廊道 label of a link's gravity class (empty when not classified).
pub fn corridor_class(l: &Link) -> &'static str {
    match l.important {
        Some(true) => "重要廊道 important",
        Some(false) => "一般廊道 general",
        None => "",
    }
}

/// Writes the Linkage Mapper link table (every candidate link; dropped ones have negative
/// types) with the LCP attributes, gravity and its class: one writer for `ecoplan corridors`
/// and `ecoplan pattern`.
pub fn write_link_table(path: &Path, links: &[Link]) -> Result<()> {
    let mut w = csv::Writer::from_writer(Vec::new());
    w.write_record([
        "link_id",
        "source_a",
        "source_b",
        "link_type",
        "link_type_label",
        "kept",
        "euclid_dist_m",
        "cwd",
        "lcp_length_m",
        "cwd_to_euclid",
        "cwd_to_path",
        "gravity",
        "corridor_class",
        "effective_resistance",
        "cwd_to_eff_resist",
    ])?;
    for l in links {
        w.write_record([
            l.id.to_string(),
            l.core_a.to_string(),
            l.core_b.to_string(),
            l.link_type.code().to_string(),
            l.link_type.label().to_string(),
            u8::from(l.link_type.is_kept()).to_string(),
            fin(l.euclidean),
            fin(l.cwd),
            fin(l.lcp_length),
            fin(l.cwd_to_euclidean),
            fin(l.cwd_to_path),
            opt(l.gravity),
            corridor_class(l).to_string(),
            opt(l.effective_resistance),
            opt(l.cwd_to_eff_resist),
        ])?;
    }
    let bytes = w.into_inner().map_err(|e| anyhow::anyhow!("{e}"))?;
    write_atomic(path, |f| {
        use std::io::Write;
        f.write_all(&bytes)
            .map_err(|e| ecoplan_io::IoError::io(path, e))
    })?;
    Ok(())
}

/// Ecological nodes as a point layer (id, type in English and Chinese, the links through the
/// node, score; one writer for `ecoplan corridors` and `ecoplan pattern`).
pub fn nodes_layer(name: &str, crs: Option<ecoplan_grid::Crs>, nodes: &[EcoNode]) -> Layer {
    let mut layer = Layer::new(name, crs);
    for (n, t) in [
        ("node_id", FieldType::Int),
        ("type", FieldType::Text),
        ("type_zh", FieldType::Text),
        ("links", FieldType::Text),
        ("score", FieldType::Real),
    ] {
        layer.add_field(n, t);
    }
    for n in nodes {
        let links: Vec<String> = n.links.iter().map(|l| l.to_string()).collect();
        layer.push(
            Some(geo::Geometry::Point(geo::Point::new(n.x, n.y))),
            vec![
                FieldValue::Int(n.id as i64),
                FieldValue::Text(n.kind.en().into()),
                FieldValue::Text(n.kind.zh().into()),
                FieldValue::Text(links.join(";")),
                n.score
                    .filter(|v| v.is_finite())
                    .map(FieldValue::Real)
                    .unwrap_or(FieldValue::Null),
            ],
        );
    }
    layer
}

/// The least-cost paths of the kept links as a line layer `corridors` with the link table's
/// attributes (one writer for `ecoplan corridors` and `ecoplan pattern`).
pub fn lcp_layer(cor: &Corridors, spec: &ecoplan_grid::GridSpec) -> Layer {
    let mut lines = Layer::new("corridors", spec.crs.clone());
    for (n, t) in [
        ("link_id", FieldType::Int),
        ("source_a", FieldType::Int),
        ("source_b", FieldType::Int),
        ("link_type", FieldType::Int),
        ("euclid_m", FieldType::Real),
        ("cwd", FieldType::Real),
        ("lcp_len_m", FieldType::Real),
        ("cwd_euclid", FieldType::Real),
        ("cwd_path", FieldType::Real),
        ("gravity", FieldType::Real),
        ("class", FieldType::Text),
        ("eff_resist", FieldType::Real),
        ("cwd_eff_res", FieldType::Real),
    ] {
        lines.add_field(n, t);
    }
    let real = |x: Option<f64>| {
        x.filter(|v| v.is_finite())
            .map(FieldValue::Real)
            .unwrap_or(FieldValue::Null)
    };
    for l in cor.kept_links() {
        lines.push(
            Some(geo::Geometry::LineString(geo::LineString::from(
                l.polyline(spec),
            ))),
            vec![
                FieldValue::Int(l.id as i64),
                FieldValue::Int(l.core_a as i64),
                FieldValue::Int(l.core_b as i64),
                FieldValue::Int(l.link_type.code() as i64),
                real(Some(l.euclidean)),
                real(Some(l.cwd)),
                real(Some(l.lcp_length)),
                real(Some(l.cwd_to_euclidean)),
                real(Some(l.cwd_to_path)),
                real(l.gravity),
                FieldValue::Text(corridor_class(l).into()),
                real(l.effective_resistance),
                real(l.cwd_to_eff_resist),
            ],
        );
    }
    lines
}
