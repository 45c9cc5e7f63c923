//! Morphological Spatial Pattern Analysis (MSPA, Soille & Vogt 2009) with GuidosToolbox byte codes.
//!
//! Input: a `u8` grid with 0 = missing, 1 = background, 2 = foreground (nodata cells count as
//! missing). Output: one byte per cell, identical to the GuidosToolbox / GWB MSPA engine:
//!
//! | class (类型) | external | internal (inside a core opening) |
//! |---|---|---|
//! | core 核心 | 17 | 117 |
//! | islet 孤岛 | 9 | 109 |
//! | perforation 孔隙 | 5 | 105 |
//! | edge 边缘 | 3 | 103 |
//! | loop 环道 | 65 (67 in edge, 69 in perforation) | 165 (167, 169) |
//! | bridge 桥接 | 33 (35 in edge, 37 in perforation) | 133 (135, 137) |
//! | branch 支线 | 1 | 101 |
//! | background 背景 | 0 | 100 = core opening, 220 = border opening |
//! | missing 缺失 | 129 | |
//!
//! The +100 variants and the opening classes 100/220 appear only with `intext = true`.
//! `transition` does not change any byte (as in the reference, where it only changes the colour
//! table); it decides how [`MspaHistogram`] counts the transition codes 35/37/67/69.
//!
//! ```
//! use ecoplan_grid::{Grid, NoProgress};
//! use ecoplan_pattern::mspa::{mspa, MspaParams};
//! // A 10×10 forest block in a 14×14 background.
//! let mut cells = vec![1u8; 14 * 14];
//! for r in 2..12 { for c in 2..12 { cells[r * 14 + c] = 2; } }
//! let input = Grid::from_rows(14, 14, cells).unwrap();
//! let out = mspa(&input, &MspaParams::default(), &NoProgress).unwrap();
//! assert_eq!(out.get(6, 6), 17); // core
//! assert_eq!(out.get(2, 6), 3);  // edge
//! assert_eq!(out.get(0, 0), 0);  // background
//! ```

mod ced;
mod ops;
mod thin;

use ecoplan_grid::{Grid, Progress};
use ops::{edt_distance, Graph, Plane};
use serde::{Deserialize, Serialize};

/// Parameters of MSPA (GuidosToolbox names). Defaults: 8-connectivity, edge width 1 pixel,
/// transition on, internal/external distinction on (GTB defaults, METHODS §3.1).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct MspaParams {
    /// Foreground connectivity: 8 (background then 4-connected) or 4.
    pub connectivity: u8,
    /// Edge width in pixels (≥ 1); the distance from background beyond which foreground is core.
    pub edge_width: u32,
    /// Count transition pixels (connector crossing an edge/perforation) as bridge/loop (true)
    /// or as edge/perforation (false) in statistics. Does not change the output bytes.
    pub transition: bool,
    /// Distinguish internal features (inside core openings, +100) and label openings (100/220).
    pub intext: bool,
}

impl Default for MspaParams {
    fn default() -> Self {
        MspaParams {
            connectivity: 8,
            edge_width: 1,
            transition: true,
            intext: true,
        }
    }
}

/// Largest supported edge width (pixels); wider edges make the padding frame larger than any
/// meaningful analysis needs.
pub const MAX_EDGE_WIDTH: u32 = 1000;

impl MspaParams {
    /// Reports every invalid parameter at once.
    pub fn validate(&self) -> Result<(), MspaError> {
        let mut problems = Vec::new();
        if self.connectivity != 8 && self.connectivity != 4 {
            problems.push(format!(
                "connectivity 前景连通性 must be 8 or 4, got {}",
                self.connectivity
            ));
        }
        if self.edge_width < 1 || self.edge_width > MAX_EDGE_WIDTH {
            problems.push(format!(
                "edge width 边缘宽度 must be 1..={MAX_EDGE_WIDTH} pixels, got {}",
                self.edge_width
            ));
        }
        if problems.is_empty() {
            Ok(())
        } else {
            Err(MspaError::InvalidParams(problems))
        }
    }
}

/// Errors of MSPA.
#[derive(Debug, thiserror::Error, Clone, PartialEq)]
pub enum MspaError {
    #[error("invalid MSPA parameters: {}", .0.join("; "))]
    InvalidParams(Vec<String>),
    #[error(
        "MSPA input must hold 0 (missing 缺失), 1 (background 背景) or 2 (foreground 前景); \
         cell (col {col}, row {row}) holds {value} ({count} such cells). Reclassify the raster first."
    )]
    InvalidValue {
        col: usize,
        row: usize,
        value: f64,
        count: usize,
    },
    #[error("MSPA input is empty")]
    Empty,
    #[error("cancelled")]
    Cancelled,
}

/// The MSPA classes (without the internal/transition variants).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, PartialOrd, Ord)]
pub enum MspaClass {
    Core,
    Islet,
    Perforation,
    Edge,
    Loop,
    Bridge,
    Branch,
    Background,
    CoreOpening,
    BorderOpening,
    Missing,
}

impl MspaClass {
    pub const ALL: [MspaClass; 11] = [
        MspaClass::Core,
        MspaClass::Islet,
        MspaClass::Perforation,
        MspaClass::Edge,
        MspaClass::Loop,
        MspaClass::Bridge,
        MspaClass::Branch,
        MspaClass::Background,
        MspaClass::CoreOpening,
        MspaClass::BorderOpening,
        MspaClass::Missing,
    ];

    /// Chinese name used in plans.
    pub fn zh(self) -> &'static str {
        match self {
            MspaClass::Core => "核心",
            MspaClass::Islet => "孤岛",
            MspaClass::Perforation => "孔隙",
            MspaClass::Edge => "边缘",
            MspaClass::Loop => "环道",
            MspaClass::Bridge => "桥接",
            MspaClass::Branch => "支线",
            MspaClass::Background => "背景",
            MspaClass::CoreOpening => "核心孔洞",
            MspaClass::BorderOpening => "边界孔洞",
            MspaClass::Missing => "缺失",
        }
    }

    /// English (GuidosToolbox) name.
    pub fn en(self) -> &'static str {
        match self {
            MspaClass::Core => "core",
            MspaClass::Islet => "islet",
            MspaClass::Perforation => "perforation",
            MspaClass::Edge => "edge",
            MspaClass::Loop => "loop",
            MspaClass::Bridge => "bridge",
            MspaClass::Branch => "branch",
            MspaClass::Background => "background",
            MspaClass::CoreOpening => "core opening",
            MspaClass::BorderOpening => "border opening",
            MspaClass::Missing => "missing",
        }
    }

    pub fn is_foreground(self) -> bool {
        !matches!(
            self,
            MspaClass::Background
                | MspaClass::CoreOpening
                | MspaClass::BorderOpening
                | MspaClass::Missing
        )
    }

    /// Class of an output byte; transition codes (35/37/67/69 and +100) go to bridge/loop when
    /// `transition` is true, else to edge/perforation. `None` for bytes MSPA never writes.
    pub fn from_code(code: u8, transition: bool) -> Option<MspaClass> {
        let c = match code {
            129 => return Some(MspaClass::Missing),
            100 => return Some(MspaClass::CoreOpening),
            220 => return Some(MspaClass::BorderOpening),
            0 => return Some(MspaClass::Background),
            101..=199 => code - 100,
            _ => code,
        };
        Some(match c {
            17 => MspaClass::Core,
            9 => MspaClass::Islet,
            5 => MspaClass::Perforation,
            3 => MspaClass::Edge,
            65 => MspaClass::Loop,
            33 => MspaClass::Bridge,
            1 => MspaClass::Branch,
            35 | 67 if !transition => MspaClass::Edge,
            37 | 69 if !transition => MspaClass::Perforation,
            35 | 37 => MspaClass::Bridge,
            67 | 69 => MspaClass::Loop,
            _ => return None,
        })
    }
}

/// True for core bytes (17 and 117): the input of ecological-source selection.
#[inline]
pub fn is_core(code: u8) -> bool {
    code == 17 || code == 117
}

/// 0/1 mask of the core pixels of an MSPA result (keeps the georeferencing).
pub fn core_mask(mspa_out: &Grid<u8>) -> Grid<u8> {
    Grid {
        width: mspa_out.width,
        height: mspa_out.height,
        data: mspa_out.data.iter().map(|&v| is_core(v) as u8).collect(),
        transform: mspa_out.transform,
        crs: mspa_out.crs.clone(),
        nodata: None,
    }
}

/// Pixel counts per output byte and per class, with GuidosToolbox's summary ratios.
#[derive(Debug, Clone, PartialEq)]
pub struct MspaHistogram {
    /// Count of each byte value.
    pub by_code: [u64; 256],
    pub transition: bool,
}

impl MspaHistogram {
    pub fn new(mspa_out: &[u8], transition: bool) -> Self {
        let mut by_code = [0u64; 256];
        for &v in mspa_out {
            by_code[v as usize] += 1;
        }
        MspaHistogram {
            by_code,
            transition,
        }
    }

    /// Pixels of a class (all its byte variants).
    pub fn count(&self, class: MspaClass) -> u64 {
        (0..256)
            .filter(|&c| MspaClass::from_code(c as u8, self.transition) == Some(class))
            .map(|c| self.by_code[c])
            .sum()
    }

    /// Foreground pixels (the seven foreground classes).
    pub fn foreground(&self) -> u64 {
        MspaClass::ALL
            .iter()
            .filter(|c| c.is_foreground())
            .map(|&c| self.count(c))
            .sum()
    }

    /// Share of the foreground in percent.
    pub fn percent_of_foreground(&self, class: MspaClass) -> f64 {
        let fg = self.foreground();
        if fg == 0 {
            0.0
        } else {
            100.0 * self.count(class) as f64 / fg as f64
        }
    }

    /// GTB porosity: 100 − 100·contiguous/(contiguous + core openings), contiguous = core + edge
    /// + perforation (only meaningful with `intext`). `None` without contiguous pixels.
    pub fn porosity(&self) -> Option<f64> {
        let contiguous = self.count(MspaClass::Core)
            + self.count(MspaClass::Edge)
            + self.count(MspaClass::Perforation);
        let total = contiguous + self.count(MspaClass::CoreOpening);
        (total > 0).then(|| 100.0 - 100.0 * contiguous as f64 / total as f64)
    }
}

/// Runs MSPA on a georeferenced grid; the result has the same geometry (nodata = none).
pub fn mspa(
    input: &Grid<u8>,
    params: &MspaParams,
    progress: &dyn Progress,
) -> Result<Grid<u8>, MspaError> {
    let mut cells = input.data.clone();
    if let Some(nd) = input.nodata {
        // Nodata cells are missing (缺失), whatever value marks them.
        for v in cells.iter_mut().filter(|v| **v == nd) {
            *v = 0;
        }
    }
    let data = mspa_cells(&cells, input.width, input.height, params, progress)?;
    Ok(Grid {
        width: input.width,
        height: input.height,
        data,
        transform: input.transform,
        crs: input.crs.clone(),
        nodata: None,
    })
}

/// Checks that every cell is 0, 1 or 2 and reports the first offending cell.
pub fn check_input(cells: &[u8], width: usize) -> Result<(), MspaError> {
    let mut bad = cells.iter().enumerate().filter(|(_, &v)| v > 2);
    if let Some((i, &v)) = bad.next() {
        return Err(MspaError::InvalidValue {
            col: i % width.max(1),
            row: i / width.max(1),
            value: v as f64,
            count: 1 + bad.count(),
        });
    }
    Ok(())
}

/// MSPA on raw row-major cells (0 missing, 1 background, 2 foreground).
pub fn mspa_cells(
    cells: &[u8],
    width: usize,
    height: usize,
    params: &MspaParams,
    progress: &dyn Progress,
) -> Result<Vec<u8>, MspaError> {
    params.validate()?;
    if width == 0 || height == 0 || cells.len() != width * height {
        return Err(MspaError::Empty);
    }
    check_input(cells, width)?;
    Engine::new(width, height, params).run(cells, progress)
}

/// The reference engine's geometry constants, in its single-precision arithmetic.
struct Engine {
    /// Original size.
    w: usize,
    h: usize,
    /// Padding frame width on every side.
    frame: usize,
    plane: Plane,
    /// Distance threshold in pixels (edge width + 0.98).
    t: f32,
    /// Threshold of the one-pixel preprocessing (√2).
    t_one: f32,
    /// Geodesic widening of connectors (edge width − 0.43).
    t_geo: f32,
    fg: Graph,
    bg: Graph,
    intext: bool,
}

impl Engine {
    fn new(w: usize, h: usize, params: &MspaParams) -> Self {
        let edu = 2f64.sqrt() as f32;
        let size = ((params.edge_width as f32 as f64 + 0.98) / 2f64.sqrt()) as f32;
        let bufsize = (size as f64 * 1.5 + 0.5) as usize;
        let frame = bufsize + 1;
        let (fg, bg) = if params.connectivity == 8 {
            (Graph::Eight, Graph::Four)
        } else {
            (Graph::Four, Graph::Eight)
        };
        Engine {
            w,
            h,
            frame,
            plane: Plane {
                w: w + 2 * frame,
                h: h + 2 * frame,
            },
            t: size * edu,
            t_one: 1f32 * edu,
            t_geo: (size - 1.0) * edu,
            fg,
            bg,
            intext: params.intext,
        }
    }

    /// Foreground ∪ missing cells within `t` of foreground (missing never erodes a patch).
    fn preprocess(&self, padded: &[u8], t: f32, edt: &mut Vec<u32>) -> Vec<u8> {
        let p = &self.plane;
        let valid: Vec<u8> = padded.iter().map(|&v| (v >= 1) as u8).collect();
        let near_valid = p.external_boundary(&valid, t, edt);
        drop(valid);
        let fg: Vec<u8> = padded.iter().map(|&v| (v >= 2) as u8).collect();
        let near_fg = p.external_boundary(&fg, t, edt);
        fg.iter()
            .zip(near_fg.iter().zip(near_valid.iter()))
            .map(|(&f, (&nf, &nv))| (f != 0 || (nf != 0 && nv != 0)) as u8)
            .collect()
    }

    /// Re-frames the cropped foreground by replicating its border rows/columns and corners.
    fn replicate_frame(&self, i0: &[u8]) -> Vec<u8> {
        let (w, h, f) = (self.w, self.h, self.frame);
        let pw = self.plane.w;
        let mut out = vec![0u8; self.plane.len()];
        for py in 0..self.plane.h {
            let y = py.saturating_sub(f).min(h - 1);
            for px in 0..pw {
                let x = px.saturating_sub(f).min(w - 1);
                out[py * pw + px] = i0[y * w + x];
            }
        }
        out
    }

    fn run(&self, cells: &[u8], progress: &dyn Progress) -> Result<Vec<u8>, MspaError> {
        let p = self.plane;
        let (w, h, f) = (self.w, self.h, self.frame);
        let n = p.len();
        progress.begin("MSPA 形态学空间格局分析", 8);
        let step = |k: u64| -> Result<(), MspaError> {
            progress.advance(k);
            if progress.cancelled() {
                Err(MspaError::Cancelled)
            } else {
                Ok(())
            }
        };
        let mut edt = Vec::new();

        // Input framed by missing cells.
        let mut padded = vec![0u8; n];
        for y in 0..h {
            let dst = (y + f) * p.w + f;
            padded[dst..dst + w].copy_from_slice(&cells[y * w..(y + 1) * w]);
        }
        let all_holes = if self.intext {
            let one = self.preprocess(&padded, self.t_one, &mut edt);
            let filled = p.fill_holes(&one, self.bg);
            Some(
                filled
                    .iter()
                    .zip(one.iter())
                    .map(|(&a, &b)| (a != 0 && b == 0) as u8)
                    .collect::<Vec<u8>>(),
            )
        } else {
            None
        };
        let pre = self.preprocess(&padded, self.t, &mut edt);
        drop(padded);
        let mut cropped = vec![0u8; w * h];
        for y in 0..h {
            let src = (y + f) * p.w + f;
            cropped[y * w..(y + 1) * w].copy_from_slice(&pre[src..src + w]);
        }
        drop(pre);
        let i0 = self.replicate_frame(&cropped);
        drop(cropped);
        step(1)?;

        let mut out = i0.clone();
        let mut core = p.core(&i0, self.t, &mut edt);
        let patch: Vec<u8> = {
            let with_core = p.reconstruct(&core, &i0, self.fg);
            i0.iter()
                .zip(with_core.iter())
                .map(|(&a, &b)| (a != 0 && b == 0) as u8)
                .collect()
        };
        let mut opening = p.external_boundary(&core, self.t, &mut edt);
        for (o, &c) in opening.iter_mut().zip(core.iter()) {
            *o += c;
        }
        step(2)?;
        let (edges, perforation) = self.edges_and_perforations(&core, &mut edt);
        step(3)?;
        let residues: Vec<u8> = (0..n)
            .map(|i| {
                (i0[i] != 0
                    && core[i] == 0
                    && patch[i] == 0
                    && perforation[i] == 0
                    && edges[i] == 0) as u8
            })
            .collect();
        for i in 0..n {
            out[i] |= (patch[i] << 3) | (perforation[i] << 2) | (edges[i] << 1);
        }
        drop((patch, perforation, edges, i0));

        // Connectors: anchored skeleton of opening ∪ residues, minus core, widened geodesically.
        let mut skeleton: Vec<u8> = opening
            .iter()
            .zip(residues.iter())
            .map(|(&o, &r)| o | r)
            .collect();
        thin::thin_anchored(&p, &mut skeleton, &mut core, self.fg == Graph::Eight);
        step(4)?;
        for (s, &c) in skeleton.iter_mut().zip(core.iter()) {
            *s = s.saturating_sub(c);
        }
        let domain: Vec<u8> = (0..n)
            .map(|i| (opening[i].saturating_sub(core[i]) | residues[i]) as u8)
            .collect();
        drop(residues);
        let mut connector = if self.t_geo >= 1.0 {
            ced::constrained_distance_band(&p, &skeleton, &domain, 0.0001, self.t_geo)
        } else {
            // Constrained distances are 0 or ≥ 1: nothing lies in (0.0001, t_geo].
            vec![0u8; n]
        };
        for i in 0..n {
            connector[i] = (connector[i] | skeleton[i]) & domain[i];
        }
        let reached = p.reconstruct(&skeleton, &domain, self.fg);
        for i in 0..n {
            connector[i] &= reached[i];
        }
        drop((skeleton, domain, reached));
        step(5)?;

        let corridor = self.bridges(&connector, &core, &opening);
        drop(opening);
        step(6)?;
        for i in 0..n {
            let shortcut = connector[i].saturating_sub(corridor[i]);
            out[i] |= (core[i] << 4) | (corridor[i] << 5) | (shortcut << 6);
        }
        drop((connector, corridor));

        if let Some(mut all_holes) = all_holes {
            let filled_core = p.fill_holes(&core, self.bg);
            let core_holes: Vec<u8> = filled_core
                .iter()
                .zip(core.iter())
                .map(|(&a, &c)| a.saturating_sub(c))
                .collect();
            for i in 0..n {
                all_holes[i] = if all_holes[i] != 0 && core_holes[i] == 0 {
                    220
                } else {
                    0
                };
            }
            let inside = p.fill_holes(&core_holes, self.bg);
            for i in 0..n {
                if inside[i] != 0 {
                    out[i] = out[i].saturating_add(100);
                }
                out[i] = out[i].max(all_holes[i]);
            }
        }
        step(7)?;

        let mut result = vec![0u8; w * h];
        for y in 0..h {
            let src = (y + f) * p.w + f;
            result[y * w..(y + 1) * w].copy_from_slice(&out[src..src + w]);
        }
        for (r, &c) in result.iter_mut().zip(cells.iter()) {
            if c == 0 {
                *r = 129;
            } else if *r == 2 {
                // The reference can leave a lone edge bit on a background cell; GTB tools
                // (pyguidos) report it as background.
                *r = 0;
            }
        }
        step(8)?;
        progress.finish();
        Ok(result)
    }

    /// Edges (boundary of core towards the outside, level by level of nested core openings)
    /// and perforations (boundary of core towards its openings).
    fn edges_and_perforations(&self, core0: &[u8], edt: &mut Vec<u32>) -> (Vec<u8>, Vec<u8>) {
        let p = &self.plane;
        let n = p.len();
        let mut core = core0.to_vec();
        let mut corefill = p.fill_holes(&core, self.bg);
        let mut holes: Vec<u8> = (0..n)
            .map(|i| corefill[i] - core[i].min(corefill[i]))
            .collect();
        let mut edges = vec![0u8; n];
        while corefill.iter().any(|&v| v != 0) {
            let boundary = p.external_boundary(&corefill, self.t, edt);
            for (e, &b) in edges.iter_mut().zip(boundary.iter()) {
                *e |= b;
            }
            let enclosed = p.fill_holes(&holes, self.fg);
            let mut progressed = false;
            for i in 0..n {
                corefill[i] = corefill[i].saturating_sub(enclosed[i]);
                if corefill[i] != 0 && core[i] != 0 {
                    core[i] = 0;
                    progressed = true;
                }
            }
            if !progressed {
                // Nothing left to peel (the reference would loop forever here).
                break;
            }
            corefill = p.fill_holes(&core, self.bg);
            holes = (0..n)
                .map(|i| corefill[i].saturating_sub(core[i]))
                .collect();
        }
        let outer = p.external_boundary(core0, self.t, edt);
        for (e, &c) in edges.iter_mut().zip(core0.iter()) {
            if c != 0 {
                *e = 0;
            }
        }
        let perforation = outer
            .iter()
            .zip(edges.iter())
            .map(|(&o, &e)| o.saturating_sub(e))
            .collect();
        (edges, perforation)
    }

    /// Connector pixels whose component touches the zones of two different core components
    /// (bridges); the rest of the connector are loops. Zones grow from each core through the
    /// opening and connectors, breadth first in the reference's neighbour order.
    fn bridges(&self, connector: &[u8], core: &[u8], opening: &[u8]) -> Vec<u8> {
        const LABEL_MAX: u32 = 0x7FFF_FFFF;
        let p = &self.plane;
        let n = p.len();
        let mut zone = p.label(core, self.fg);
        // The outer ring is a barrier during flooding and unlabelled afterwards.
        for i in 0..n {
            if p.on_ring(i) {
                zone[i] = u32::MAX;
            }
        }
        let floodable = |i: usize| opening[i] != 0 || connector[i] != 0;
        let offs: Vec<isize> = p
            .offsets(self.fg)
            .iter()
            .map(|&(dx, dy)| p.shift(dx, dy))
            .collect();
        const PENDING: u32 = 0x8000_0000;
        let mut queue = std::collections::VecDeque::new();
        // Seeds: 4-neighbours of every core cell first, then (8-connectivity) the diagonals.
        let passes: &[std::ops::Range<usize>] = if self.fg == Graph::Eight {
            &[0..4, 4..8]
        } else {
            &[0..4]
        };
        for range in passes {
            for i in 0..n {
                let l = zone[i];
                if l == 0 || l >= LABEL_MAX {
                    continue;
                }
                for &o in &offs[range.clone()] {
                    let j = (i as isize + o) as usize;
                    if zone[j] == 0 {
                        if floodable(j) {
                            zone[j] = l | PENDING;
                            queue.push_back(j);
                        } else {
                            zone[j] = LABEL_MAX;
                        }
                    }
                }
            }
        }
        for z in zone.iter_mut() {
            if *z > LABEL_MAX {
                *z ^= PENDING;
            }
        }
        while let Some(i) = queue.pop_front() {
            for &o in &offs {
                let j = (i as isize + o) as usize;
                if zone[j] == 0 {
                    if floodable(j) {
                        zone[j] = zone[i];
                        queue.push_back(j);
                    } else {
                        zone[j] = LABEL_MAX;
                    }
                }
            }
        }
        for i in 0..n {
            if p.on_ring(i) {
                zone[i] = 0;
            }
        }
        // Range of zone labels over each connector component (component 0 = everything else).
        let comp = p.label(connector, self.fg);
        let ncomp = comp.iter().copied().max().unwrap_or(0) as usize + 1;
        let mut lo = vec![u32::MAX; ncomp];
        let mut hi = vec![0u32; ncomp];
        let mut seen = vec![false; ncomp];
        for i in 0..n {
            let c = comp[i] as usize;
            lo[c] = lo[c].min(zone[i]);
            hi[c] = hi[c].max(zone[i]);
            seen[c] = true;
        }
        comp.iter()
            .map(|&c| {
                let c = c as usize;
                let range = if seen[c] { hi[c] - lo[c] } else { 0 };
                (range >= 1 && range < LABEL_MAX) as u8
            })
            .collect()
    }
}

/// Distance helper re-exported for tests of the threshold conventions.
#[doc(hidden)]
pub fn reference_distance(d2: u32) -> f32 {
    edt_distance(d2)
}
