//! The run manifest (`manifest.json`): what went in (with sha256), which parameters, which
//! versions, how long each step took and what came out — enough to reproduce or audit a run.

use anyhow::{Context, Result};
use serde::Serialize;
use sha2::{Digest, Sha256};
use std::io::Read;
use std::path::{Path, PathBuf};
use std::time::{SystemTime, UNIX_EPOCH};

#[derive(Debug, Clone, Serialize)]
pub struct FileRecord {
    /// Path as given (inputs) or relative to the run folder (outputs).
    pub path: String,
    pub bytes: u64,
    pub sha256: String,
    /// What the file is (e.g. "DEM 30″, real" or "land use 30 m, synthesized").
    #[serde(skip_serializing_if = "String::is_empty")]
    pub role: String,
}

#[derive(Debug, Clone, Serialize)]
pub struct StepRecord {
    pub name: String,
    pub seconds: f64,
    pub outputs: Vec<String>,
}

#[derive(Debug, Clone, Serialize)]
pub struct Manifest {
    pub tool: String,
    pub version: String,
    pub command: Vec<String>,
    /// UTC, RFC 3339.
    pub started: String,
    pub finished: Option<String>,
    pub seconds: f64,
    pub parameters: serde_json::Map<String, serde_json::Value>,
    pub inputs: Vec<FileRecord>,
    pub steps: Vec<StepRecord>,
    pub outputs: Vec<FileRecord>,
    pub versions: serde_json::Map<String, serde_json::Value>,
}

impl Manifest {
    pub fn new() -> Self {
        let mut versions = serde_json::Map::new();
        versions.insert("ecoplan".into(), env!("CARGO_PKG_VERSION").into());
        versions.insert("os".into(), std::env::consts::OS.into());
        versions.insert("arch".into(), std::env::consts::ARCH.into());
        Manifest {
            tool: "ecoplan".into(),
            version: env!("CARGO_PKG_VERSION").into(),
            command: std::env::args().collect(),
            started: utc_now(),
            finished: None,
            seconds: 0.0,
            parameters: Default::default(),
            inputs: Vec::new(),
            steps: Vec::new(),
            outputs: Vec::new(),
            versions,
        }
    }
    pub fn param(&mut self, key: &str, value: impl Serialize) {
        self.parameters.insert(
            key.into(),
            serde_json::to_value(value).unwrap_or(serde_json::Value::Null),
        );
    }
    /// Records an input file with its hash.
    pub fn add_input(&mut self, path: &Path, label: &str, role: &str) -> Result<()> {
        let (bytes, sha256) = hash_file(path)?;
        self.inputs.push(FileRecord {
            path: label.to_string(),
            bytes,
            sha256,
            role: role.to_string(),
        });
        Ok(())
    }
    /// Hashes every file under `root` (recursively) as the run's outputs, sorted by path.
    pub fn collect_outputs(
        &mut self,
        root: &Path,
        roles: &std::collections::BTreeMap<String, String>,
    ) -> Result<()> {
        let mut files = Vec::new();
        walk(root, &mut files)?;
        files.sort();
        self.outputs.clear();
        for f in files {
            let rel = f
                .strip_prefix(root)
                .unwrap_or(&f)
                .to_string_lossy()
                .replace('\\', "/");
            if rel == "manifest.json" {
                continue;
            }
            let (bytes, sha256) = hash_file(&f)?;
            self.outputs.push(FileRecord {
                role: roles.get(&rel).cloned().unwrap_or_default(),
                path: rel,
                bytes,
                sha256,
            });
        }
        Ok(())
    }
    pub fn write(&self, path: &Path) -> Result<()> {
        let text = serde_json::to_string_pretty(self)?;
        ecoplan_io::atomic::write_atomic(path, |w| {
            use std::io::Write;
            w.write_all(text.as_bytes())
                .map_err(|e| ecoplan_io::IoError::io(path, e))
        })?;
        Ok(())
    }
}

impl Default for Manifest {
    fn default() -> Self {
        Self::new()
    }
}

fn walk(dir: &Path, out: &mut Vec<PathBuf>) -> Result<()> {
    for e in std::fs::read_dir(dir).with_context(|| format!("listing {}", dir.display()))? {
        let p = e?.path();
        if p.is_dir() {
            walk(&p, out)?;
        } else {
            out.push(p);
        }
    }
    Ok(())
}

/// Size and lower-case hex sha256 of a file.
pub fn hash_file(path: &Path) -> Result<(u64, String)> {
    let mut f = std::fs::File::open(path).with_context(|| format!("opening {}", path.display()))?;
    let mut h = Sha256::new();
    let mut buf = vec![0u8; 1 << 20];
    let mut n = 0u64;
    loop {
        let k = f
            .read(&mut buf)
            .with_context(|| format!("reading {}", path.display()))?;
        if k == 0 {
            break;
        }
        h.update(&buf[..k]);
        n += k as u64;
    }
    Ok((n, hex(&h.finalize())))
}

fn hex(b: &[u8]) -> String {
    b.iter().map(|x| format!("{x:02x}")).collect()
}

/// Current UTC time as RFC 3339 (`2026-11-21T18:10:12Z`), without a date crate.
pub fn utc_now() -> String {
    let secs = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0, |d| d.as_secs());
    rfc3339(secs)
}

fn rfc3339(secs: u64) -> String {
    let days = (secs / 86_400) as i64;
    let rem = secs % 86_400;
    // Civil-from-days (Howard Hinnant's algorithm).
    let z = days + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z - era * 146_097;
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let d = doy - (153 * mp + 2) / 5 + 1;
    let m = if mp < 10 { mp + 3 } else { mp - 9 };
    let y = yoe + era * 400 + i64::from(m <= 2);
    format!(
        "{y:04}-{m:02}-{d:02}T{:02}:{:02}:{:02}Z",
        rem / 3600,
        rem % 3600 / 60,
        rem % 60
    )
}

#[cfg(test)]
mod tests {
    use super::*;
    #[test]
    fn dates_and_hashes() {
        assert_eq!(rfc3339(0), "1970-01-01T00:00:00Z");
        assert_eq!(rfc3339(1_795_284_612), "2026-11-21T18:10:12Z");
        assert_eq!(rfc3339(951_782_400), "2000-02-29T00:00:00Z");
        assert_eq!(
            hex(&Sha256::digest(b"abc")),
            "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad"
        );
    }
}
