//! `ecoplan demo`: the 云冈区 demo region, prepared from the bundled real data and run through
//! every pipeline step that exists.
//!
//! A run writes into a temporary folder beside the target and renames it into place only when
//! every step succeeded, so a failed run leaves an earlier run folder intact.
//!
//! Later steps are added in [`steps`]: write `fn my_step(cx: &mut DemoContext) -> anyhow::Result<()>`
//! (read layers with [`DemoContext::layer`], write outputs with [`DemoContext::write_raster`] /
//! [`DemoContext::write_text`], record parameters with `cx.manifest.param`) and append one line to
//! the list in `steps::all()`.

pub mod data;
pub mod steps;
pub mod synth;

use crate::config::classes::ClassTable;
use crate::config::Plan;
use crate::manifest::Manifest;
use crate::region::RegionGrid;
use anyhow::{anyhow, bail, Context, Result};
use ecoplan_grid::{AnyGrid, Grid, Progress};
use ecoplan_io::raster::{write_raster, Compression, OverviewResampling, WriteOptions};
use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::time::Instant;

/// The default seed of the demo's synthesized layers (a number).
pub const DEFAULT_SEED_STR: &str = "20210214";

/// Everything a demo step can read and write.
pub struct DemoContext<'a> {
    /// The run folder being written (a temporary name until the run succeeds).
    pub run_dir: PathBuf,
    /// `<run>/inputs`: the real input files, copied from the bundle.
    pub inputs_dir: PathBuf,
    /// The demo plan (`inputs/plan.toml`).
    pub plan: Plan,
    /// Region, CRS and analysis grid; set by the `region` step.
    pub region: Option<RegionGrid>,
    /// 1 inside the region boundary, 0 outside (on the analysis grid); set by the `region` step.
    pub mask: Option<Grid<u8>>,
    /// Layers on the analysis grid, by name (`dem`, `landuse`, `ndvi`, …).
    pub layers: BTreeMap<String, AnyGrid>,
    pub classes: ClassTable,
    pub manifest: Manifest,
    pub progress: &'a dyn Progress,
    pub seed: u64,
    /// Description of each output file (relative path → role), copied into the manifest.
    pub roles: BTreeMap<String, String>,
}

impl<'a> DemoContext<'a> {
    /// A layer produced by an earlier step; the error names the missing layer.
    pub fn layer(&self, name: &str) -> Result<&AnyGrid> {
        self.layers.get(name).ok_or_else(|| {
            anyhow!(
                "layer `{name}` is not available yet (layers so far: {}); is the step that makes it earlier in demo::steps::all()?",
                self.layers.keys().cloned().collect::<Vec<_>>().join(", ")
            )
        })
    }
    pub fn region(&self) -> Result<&RegionGrid> {
        self.region
            .as_ref()
            .ok_or_else(|| anyhow!("the region step has not run"))
    }
    pub fn mask(&self) -> Result<&Grid<u8>> {
        self.mask
            .as_ref()
            .ok_or_else(|| anyhow!("the region step has not run"))
    }
    /// Path of an output inside the run folder (parents are created).
    pub fn out_path(&self, rel: &str) -> Result<PathBuf> {
        let p = self.run_dir.join(rel);
        if let Some(d) = p.parent() {
            std::fs::create_dir_all(d).with_context(|| format!("creating {}", d.display()))?;
        }
        Ok(p)
    }
    /// Writes a raster (GeoTIFF, deflate, tiled) into the run folder and records its role.
    pub fn write_raster(&mut self, rel: &str, grid: &AnyGrid, role: &str) -> Result<PathBuf> {
        let p = self.out_path(rel)?;
        let classes = matches!(grid, AnyGrid::U8(_) | AnyGrid::U16(_) | AnyGrid::U32(_));
        let opts = WriteOptions {
            compression: Compression::Deflate,
            predictor: true,
            overview_resampling: if classes {
                OverviewResampling::Nearest
            } else {
                OverviewResampling::Average
            },
            ..Default::default()
        };
        write_raster(&p, grid, &opts).with_context(|| format!("writing {rel}"))?;
        self.roles.insert(rel.to_string(), role.to_string());
        Ok(p)
    }
    /// Writes a text file (CSV, JSON, Markdown) atomically and records its role.
    pub fn write_text(&mut self, rel: &str, text: &str, role: &str) -> Result<PathBuf> {
        let p = self.out_path(rel)?;
        ecoplan_io::atomic::write_atomic(&p, |w| {
            use std::io::Write;
            w.write_all(text.as_bytes())
                .map_err(|e| ecoplan_io::IoError::io(&p, e))
        })?;
        self.roles.insert(rel.to_string(), role.to_string());
        Ok(p)
    }
    /// Records the role of a file a step wrote by other means.
    pub fn record(&mut self, rel: &str, role: &str) {
        self.roles.insert(rel.to_string(), role.to_string());
    }
    /// Adds a layer for later steps.
    pub fn insert_layer(&mut self, name: &str, grid: impl Into<AnyGrid>) {
        self.layers.insert(name.to_string(), grid.into());
    }
}

/// A step of the demo pipeline.
pub struct DemoStep {
    pub name: &'static str,
    pub zh: &'static str,
    pub run: fn(&mut DemoContext) -> Result<()>,
}

/// Options of one demo run.
pub struct DemoOptions {
    pub out: PathBuf,
    pub seed: u64,
    /// Run only the steps up to and including this one.
    pub until: Option<String>,
}

/// Runs the demo into `opts.out` (atomically: temp folder, then rename).
pub fn run_demo(opts: &DemoOptions, progress: &dyn Progress) -> Result<Manifest> {
    let out = &opts.out;
    let parent = out
        .parent()
        .filter(|p| !p.as_os_str().is_empty())
        .map_or_else(|| PathBuf::from("."), Path::to_path_buf);
    std::fs::create_dir_all(&parent).with_context(|| format!("creating {}", parent.display()))?;
    let name = out
        .file_name()
        .ok_or_else(|| anyhow!("--out {} has no folder name", out.display()))?
        .to_string_lossy()
        .into_owned();
    if out.is_file() {
        bail!("--out {} is a file; give a folder", out.display());
    }
    let tmp = parent.join(format!(".{name}.tmp-{}", std::process::id()));
    if tmp.exists() {
        std::fs::remove_dir_all(&tmp)
            .with_context(|| format!("removing stale {}", tmp.display()))?;
    }
    std::fs::create_dir_all(&tmp).with_context(|| format!("creating {}", tmp.display()))?;
    let result = run_into(&tmp, opts, progress);
    match result {
        Ok(manifest) => {
            let old = parent.join(format!(".{name}.old-{}", std::process::id()));
            if out.exists() {
                std::fs::rename(out, &old)
                    .with_context(|| format!("moving the earlier run {} aside", out.display()))?;
            }
            if let Err(e) = std::fs::rename(&tmp, out) {
                if old.exists() {
                    let _ = std::fs::rename(&old, out);
                }
                return Err(e)
                    .with_context(|| format!("renaming {} to {}", tmp.display(), out.display()));
            }
            if old.exists() {
                std::fs::remove_dir_all(&old)
                    .with_context(|| format!("removing the earlier run {}", old.display()))?;
            }
            Ok(manifest)
        }
        Err(e) => {
            let _ = std::fs::remove_dir_all(&tmp);
            Err(e.context(format!(
                "the demo failed; {} was left as it was 演示失败，原有结果未改动",
                out.display()
            )))
        }
    }
}

fn run_into(dir: &Path, opts: &DemoOptions, progress: &dyn Progress) -> Result<Manifest> {
    let t0 = Instant::now();
    let mut manifest = Manifest::new();
    let inputs_dir = dir.join("inputs");
    std::fs::create_dir_all(&inputs_dir)?;
    for f in data::FILES {
        let p = inputs_dir.join(f.name);
        std::fs::write(&p, f.bytes).with_context(|| format!("writing {}", p.display()))?;
        manifest.add_input(&p, &format!("data/demo/{}", f.name), f.role)?;
    }
    let plan_path = inputs_dir.join("plan.toml");
    let v = crate::config::validate_plan(&plan_path, progress);
    if !v.is_ok() {
        let msgs: Vec<String> = v.errors().map(|p| p.to_string()).collect();
        bail!("the bundled demo plan is invalid:\n{}", msgs.join("\n"));
    }
    let plan = v.plan.expect("valid plan");
    manifest.param("seed", opts.seed);
    manifest.param("plan", serde_json::json!({
        "name": plan.meta.name,
        "boundary": plan.region.boundary.value,
        "filter": plan.region.filter.iter().map(|f| format!("{} = {}", f.value.0, f.value.1)).collect::<Vec<_>>(),
        "buffer_m": plan.region.buffer_m,
        "cell_size_m": plan.grid.cell_size.value,
        "crs": plan.grid.crs.as_ref().map(|c| c.value.label()),
    }));
    let mut cx = DemoContext {
        run_dir: dir.to_path_buf(),
        inputs_dir,
        plan,
        region: None,
        mask: None,
        layers: BTreeMap::new(),
        classes: ClassTable::builtin(),
        manifest,
        progress,
        seed: opts.seed,
        roles: BTreeMap::new(),
    };
    let all = steps::all();
    if let Some(u) = &opts.until {
        if !all.iter().any(|s| s.name == u) {
            bail!(
                "--until {u}: no such step; steps: {}",
                all.iter().map(|s| s.name).collect::<Vec<_>>().join(", ")
            );
        }
    }
    for step in &all {
        let ts = Instant::now();
        eprintln!("▶ {} {}", step.zh, step.name);
        let before: Vec<String> = cx.roles.keys().cloned().collect();
        (step.run)(&mut cx)
            .with_context(|| format!("demo step `{}` ({}) failed", step.name, step.zh))?;
        let outputs = cx
            .roles
            .keys()
            .filter(|k| !before.contains(k))
            .cloned()
            .collect();
        let secs = ts.elapsed().as_secs_f64();
        eprintln!("  ✓ {:.1} s", secs);
        cx.manifest.steps.push(crate::manifest::StepRecord {
            name: step.name.to_string(),
            seconds: secs,
            outputs,
        });
        if opts.until.as_deref() == Some(step.name) {
            break;
        }
    }
    let roles = cx.roles.clone();
    let mut manifest = cx.manifest;
    manifest.collect_outputs(dir, &roles)?;
    // inputs/ are listed as inputs, not outputs.
    manifest.outputs.retain(|o| !o.path.starts_with("inputs/"));
    manifest.finished = Some(crate::manifest::utc_now());
    manifest.seconds = t0.elapsed().as_secs_f64();
    manifest.write(&dir.join("manifest.json"))?;
    Ok(manifest)
}
