//! Pinchpoint Mapper (夹点识别; Linkage Mapper `s8_pinchpoints.py`, "adjacent pairs" mode;
//! METHODS §3.5, ANCHORS §3.2): Circuitscape inside each kept corridor.
//!
//! Per kept link (cores A, B): the circuit is the set of cells with
//! `NLCC_AB = CWD_A + CWD_B − LCD_AB ≤ cwd_cutoff`, plus the cells of both cores; conductance
//! `1/R` (or `1/R²` with `square_resistances`), Circuitscape's 8-neighbour average-conductance
//! graph; core A is the source region (1 A), core B the ground, both short-circuited, and their
//! cells' currents set to zero. Outputs: the current map mosaicked by maximum over links, and per
//! link the effective resistance × cell size (`Effective_Resistance`, comparable with the CWD)
//! and `cwd_to_Eff_Resist_Ratio = LCD / Effective_Resistance`.

use super::{core_cell_map, CorridorError, Corridors, CwdCache};
use crate::cost_distance::{BadCostPolicy, CostDistanceError, CostSurface};
use ecoplan_circuit::{current_map_between, CurrentMapOptions, SolverOptions};
use ecoplan_grid::{Cell, GeoTransform, Grid, GridSpec, Progress};

/// Nodata of the current map.
pub const CURRENT_NODATA: f32 = -9999.0;

/// Parameters of [`pinchpoint_mapper`].
#[derive(Debug, Clone, PartialEq, serde::Serialize, serde::Deserialize)]
pub struct PinchpointParams {
    /// Corridor width: cells with NLCC ≤ this value (cost units × map units) form the circuit.
    pub cwd_cutoff: f64,
    /// Use `1/R²` conductances (LM `SQUARERESISTANCES`) to sharpen pinch points. Default false.
    pub square_resistances: bool,
    pub bad_cost: BadCostPolicy,
    /// Memory for cached CWD grids (bytes), default 1 GiB.
    pub cache_bytes: usize,
}

impl PinchpointParams {
    pub fn new(cwd_cutoff: f64) -> Self {
        PinchpointParams {
            cwd_cutoff,
            square_resistances: false,
            bad_cost: BadCostPolicy::Error,
            cache_bytes: 1 << 30,
        }
    }
}

/// Per-link circuit result.
#[derive(Debug, Clone, PartialEq, serde::Serialize, serde::Deserialize)]
pub struct LinkCircuit {
    pub link_id: u32,
    /// Effective resistance × cell size (map units × resistance), `INFINITY` if disconnected.
    pub effective_resistance: f64,
    pub cwd_to_eff_resist: f64,
    /// Cells in the link's circuit.
    pub cells: usize,
}

/// Result of [`pinchpoint_mapper`].
#[derive(Debug, Clone, PartialEq)]
pub struct PinchpointOutput {
    /// Current (A, 1 A per link) mosaicked by maximum; [`CURRENT_NODATA`] outside all corridors.
    pub current: Grid<f32>,
    pub links: Vec<LinkCircuit>,
}

/// Runs the circuits of every kept link of `corridors` and writes the effective resistance and
/// the CWD:effective-resistance ratio into its link table.
pub fn pinchpoint_mapper<T: Cell, C: Cell>(
    resistance: &Grid<T>,
    cores: &Grid<C>,
    corridors: &mut Corridors,
    params: &PinchpointParams,
    progress: &dyn Progress,
) -> Result<PinchpointOutput, CorridorError> {
    if !(params.cwd_cutoff >= 0.0 && params.cwd_cutoff.is_finite()) {
        return Err(CorridorError::Params(vec![format!(
            "cwd_cutoff = {} must be a finite number ≥ 0",
            params.cwd_cutoff
        )]));
    }
    let spec = resistance.spec();
    spec.check_aligned(&cores.spec())
        .map_err(|e| CorridorError::NotAligned(e.to_string()))?;
    let (w, h) = (spec.width, spec.height);
    let cell = spec.transform.cell_width();
    let surface = CostSurface::new(resistance, params.bad_cost)?;
    let core_cells = core_cell_map(cores)?;
    let mut cache = CwdCache::new(&surface, &core_cells, None, params.cache_bytes);
    let mut current = vec![CURRENT_NODATA; w * h];
    let mut results = Vec::new();
    let kept: Vec<usize> = (0..corridors.links.len())
        .filter(|&k| corridors.links[k].link_type.is_kept())
        .collect();
    progress.begin("夹点 pinch points", kept.len() as u64);
    for (done, &k) in kept.iter().enumerate() {
        let (a, b, lcd, id) = {
            let l = &corridors.links[k];
            (l.core_a, l.core_b, l.cwd, l.id)
        };
        cache.ensure(a)?;
        cache.ensure(b)?;
        let (da, db) = (cache.dist(a), cache.dist(b));
        let limit = params.cwd_cutoff + lcd;
        let in_circuit = |i: usize| {
            let (x, y) = (da[i], db[i]);
            (x.is_finite() && y.is_finite() && (x as f64 + y as f64) <= limit)
                || ((x == 0.0 || y == 0.0) && surface.passable(i))
        };
        // Bounding box of the circuit, to solve on a window.
        let (mut r0, mut c0, mut r1, mut c1) = (usize::MAX, usize::MAX, 0, 0);
        let mut n_cells = 0usize;
        for i in 0..w * h {
            if in_circuit(i) {
                let (r, c) = (i / w, i % w);
                r0 = r0.min(r);
                c0 = c0.min(c);
                r1 = r1.max(r);
                c1 = c1.max(c);
                n_cells += 1;
            }
        }
        let (ww, wh) = (c1 - c0 + 1, r1 - r0 + 1);
        let wspec = GridSpec::new(ww, wh, GeoTransform::default(), None);
        let mut g = Grid::filled(&wspec, 0.0f64, None);
        let (mut src, mut gnd) = (Vec::new(), Vec::new());
        for r in r0..=r1 {
            for c in c0..=c1 {
                let i = r * w + c;
                if !in_circuit(i) {
                    continue;
                }
                let j = (r - r0) * ww + (c - c0);
                let rv = surface.cost(i);
                g.data[j] = if params.square_resistances {
                    1.0 / (rv * rv)
                } else {
                    1.0 / rv
                };
                if da[i] == 0.0 {
                    src.push(j);
                } else if db[i] == 0.0 {
                    gnd.push(j);
                }
            }
        }
        let opts = CurrentMapOptions {
            solver: SolverOptions::default(),
            zero_focal_currents: true,
            ..Default::default()
        };
        let map = current_map_between(&g, &src, &gnd, &opts)
            .map_err(|e| CorridorError::Params(vec![format!("link {id}: circuit: {e}")]))?;
        for r in r0..=r1 {
            for c in c0..=c1 {
                let x = map.current.data[(r - r0) * ww + (c - c0)];
                if x.is_nan() {
                    continue;
                }
                let i = r * w + c;
                let x = x as f32;
                if current[i] == CURRENT_NODATA || x > current[i] {
                    current[i] = x;
                }
            }
        }
        let r_eff = map.resistance * cell;
        let link = &mut corridors.links[k];
        link.effective_resistance = Some(r_eff);
        link.cwd_to_eff_resist = Some(lcd / r_eff);
        results.push(LinkCircuit {
            link_id: id,
            effective_resistance: r_eff,
            cwd_to_eff_resist: lcd / r_eff,
            cells: n_cells,
        });
        progress.advance(done as u64 + 1);
        if progress.cancelled() {
            return Err(CostDistanceError::Cancelled.into());
        }
    }
    progress.finish();
    Ok(PinchpointOutput {
        current: Grid::from_vec(&spec, current, Some(CURRENT_NODATA)).expect("sized"),
        links: results,
    })
}
