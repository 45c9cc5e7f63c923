//! Raster and text-table input/output in the formats Circuitscape and Omniscape use.

use ecoplan_grid::{AnyGrid, GeoTransform, Grid, GridSpec};
use ecoplan_io::IoError;
use std::io::{Read, Write};
use std::path::{Path, PathBuf};

/// A raster read as f64 with NaN for nodata, plus what output writers need to mirror it.
#[derive(Debug, Clone)]
pub struct Raster {
    pub grid: Grid<f64>,
    /// The file's nodata value (NaN cells were this value), if it declared one.
    pub nodata: Option<f64>,
    pub is_tif: bool,
    pub path: PathBuf,
}

impl Raster {
    pub fn width(&self) -> usize {
        self.grid.width
    }
    pub fn height(&self) -> usize {
        self.grid.height
    }
    pub fn cellsize(&self) -> f64 {
        self.grid.transform.dx
    }
    pub fn xll(&self) -> f64 {
        self.grid.transform.x0
    }
    pub fn yll(&self) -> f64 {
        self.grid.transform.y0 + self.grid.transform.dy * self.grid.height as f64
    }
}

fn is_gz(path: &Path) -> bool {
    path.extension()
        .is_some_and(|e| e.eq_ignore_ascii_case("gz"))
}

/// True for `.tif`, `.tiff`, `.tif.gz`.
pub fn is_tif_name(path: &Path) -> bool {
    let n = path
        .file_name()
        .map(|n| n.to_string_lossy().to_ascii_lowercase())
        .unwrap_or_default();
    let n = n.strip_suffix(".gz").unwrap_or(&n);
    n.ends_with(".tif") || n.ends_with(".tiff")
}

/// Reads an ESRI ASCII grid (`.asc`, `.asc.gz`) or GeoTIFF (`.tif`, `.tif.gz`).
pub fn read_raster(path: &Path) -> Result<Raster, IoError> {
    let is_tif = is_tif_name(path);
    let any: AnyGrid = if is_tif && is_gz(path) {
        let bytes = std::fs::read(path).map_err(|e| IoError::io(path, e))?;
        let mut raw = Vec::new();
        flate2::read::GzDecoder::new(&bytes[..])
            .read_to_end(&mut raw)
            .map_err(|e| IoError::format(path, format!("not a readable gzip stream: {e}")))?;
        ecoplan_io::geotiff::GeoTiff::from_bytes(path, raw, Default::default())?.read()?
    } else {
        ecoplan_io::raster::read_raster(path)?
    };
    let nodata = any.nodata_f64();
    let grid = any.to_f64();
    Ok(Raster {
        grid,
        nodata,
        is_tif,
        path: path.to_path_buf(),
    })
}

/// Geometry and nodata of the output maps (those of the habitat raster).
#[derive(Debug, Clone)]
pub struct OutputMeta {
    pub width: usize,
    pub height: usize,
    pub transform: GeoTransform,
    pub crs: Option<ecoplan_grid::Crs>,
    pub nodata: f64,
    pub as_tif: bool,
    pub compress: bool,
    /// Round ASCII values to 8 decimals, as Circuitscape writes them.
    pub round_ascii: bool,
}

impl OutputMeta {
    pub fn from_raster(r: &Raster, compress: bool) -> OutputMeta {
        OutputMeta {
            width: r.width(),
            height: r.height(),
            transform: r.grid.transform,
            crs: r.grid.crs.clone(),
            nodata: r.nodata.filter(|v| v.is_finite()).unwrap_or(-9999.0),
            as_tif: r.is_tif,
            compress,
            round_ascii: true,
        }
    }

    /// `prefix` + `.asc` / `.asc.gz` / `.tif`.
    pub fn path(&self, prefix: &str) -> PathBuf {
        PathBuf::from(if self.as_tif {
            format!("{prefix}.tif")
        } else if self.compress {
            format!("{prefix}.asc.gz")
        } else {
            format!("{prefix}.asc")
        })
    }
}

/// Writes a map like Circuitscape: ASCII grid with values rounded to 8 decimals (gzipped when
/// asked), or a Float32 GeoTIFF when the habitat was a GeoTIFF. NaN cells are written as nodata.
pub fn write_map(
    path: &Path,
    values: &[f64],
    meta: &OutputMeta,
    f32_tif: bool,
) -> Result<(), IoError> {
    if meta.as_tif {
        let spec = GridSpec::new(meta.width, meta.height, meta.transform, meta.crs.clone());
        let any: AnyGrid = if f32_tif {
            let data: Vec<f32> = values
                .iter()
                .map(|&v| {
                    if v.is_nan() {
                        meta.nodata as f32
                    } else {
                        v as f32
                    }
                })
                .collect();
            Grid::from_vec(&spec, data, Some(meta.nodata as f32))?.into()
        } else {
            let data: Vec<f64> = values
                .iter()
                .map(|&v| if v.is_nan() { meta.nodata } else { v })
                .collect();
            Grid::from_vec(&spec, data, Some(meta.nodata))?.into()
        };
        return ecoplan_io::raster::write_raster(path, &any, &Default::default());
    }
    let mut body = String::with_capacity(values.len() * 8 + 256);
    use std::fmt::Write as _;
    let t = &meta.transform;
    let _ = writeln!(body, "ncols         {}", meta.width);
    let _ = writeln!(body, "nrows         {}", meta.height);
    let _ = writeln!(body, "xllcorner     {}", t.x0);
    let _ = writeln!(body, "yllcorner     {}", t.y0 + t.dy * meta.height as f64);
    let _ = writeln!(body, "cellsize      {}", t.dx);
    let _ = writeln!(body, "NODATA_value  {}", meta.nodata);
    for r in 0..meta.height {
        for c in 0..meta.width {
            if c > 0 {
                body.push(' ');
            }
            let v = values[r * meta.width + c];
            let v = if v.is_nan() {
                meta.nodata
            } else if meta.round_ascii {
                (v * 1e8).round() / 1e8
            } else {
                v
            };
            let _ = write!(body, "{}", v);
        }
        body.push('\n');
    }
    let gz = is_gz(path);
    ecoplan_io::atomic::write_atomic(path, |w| {
        if gz {
            let mut enc = flate2::write::GzEncoder::new(w, flate2::Compression::default());
            enc.write_all(body.as_bytes())
                .and_then(|_| enc.finish().map(|_| ()))
                .map_err(|e| IoError::io(path, e))
        } else {
            w.write_all(body.as_bytes())
                .map_err(|e| IoError::io(path, e))
        }
    })
}

/// Writes text atomically.
pub fn write_text(path: &Path, text: &str) -> Result<(), IoError> {
    ecoplan_io::atomic::write_atomic(path, |w| {
        w.write_all(text.as_bytes())
            .map_err(|e| IoError::io(path, e))
    })
}

/// Reads a whitespace-separated numeric table (blank lines skipped). Tokens that are not
/// numbers give an error naming the line, unless `allow_missing` and the token is `missing`
/// (quoted or not), which reads as NaN.
pub fn read_table(path: &Path, allow_missing: bool) -> Result<Vec<Vec<f64>>, IoError> {
    let bytes = std::fs::read(path).map_err(|e| IoError::io(path, e))?;
    let text = if is_gz(path) {
        let mut s = String::new();
        flate2::read::GzDecoder::new(&bytes[..])
            .read_to_string(&mut s)
            .map_err(|e| IoError::format(path, format!("not a readable gzip stream: {e}")))?;
        s
    } else {
        String::from_utf8_lossy(&bytes).into_owned()
    };
    parse_table(&text, allow_missing).map_err(|d| IoError::format(path, d))
}

/// See [`read_table`].
pub fn parse_table(text: &str, allow_missing: bool) -> Result<Vec<Vec<f64>>, String> {
    let mut rows = Vec::new();
    for (n, line) in text.lines().enumerate() {
        let t = line.trim();
        if t.is_empty() {
            continue;
        }
        let mut row = Vec::new();
        for tok in t.split(|c: char| c.is_whitespace() || c == ',') {
            if tok.is_empty() {
                continue;
            }
            let tk = tok.trim_matches('"');
            match tk.parse::<f64>() {
                Ok(v) => row.push(v),
                Err(_) if allow_missing && tk.eq_ignore_ascii_case("missing") => row.push(f64::NAN),
                Err(_) => return Err(format!("line {}: `{tok}` is not a number", n + 1)),
            }
        }
        rows.push(row);
    }
    Ok(rows)
}

/// First non-blank line of a (possibly gzipped) text file, lower-cased.
pub fn first_line(path: &Path) -> Result<String, IoError> {
    let bytes = std::fs::read(path).map_err(|e| IoError::io(path, e))?;
    let head = if is_gz(path) {
        let mut s = Vec::new();
        let _ = flate2::read::GzDecoder::new(&bytes[..])
            .take(4096)
            .read_to_end(&mut s);
        s
    } else {
        bytes[..bytes.len().min(4096)].to_vec()
    };
    Ok(String::from_utf8_lossy(&head)
        .lines()
        .map(str::trim)
        .find(|l| !l.is_empty())
        .unwrap_or("")
        .to_ascii_lowercase())
}

#[cfg(test)]
mod tests {
    use super::*;
    #[test]
    fn tables_and_maps_round_trip() {
        let t = parse_table("1\t2 3\n\n4,5\n5 \"missing\"\n", true).unwrap();
        assert_eq!(t[0], vec![1.0, 2.0, 3.0]);
        assert!(t[2][1].is_nan());
        assert!(parse_table("a b\n", false).unwrap_err().contains("line 1"));
        let dir = tempfile::tempdir().unwrap();
        let meta = OutputMeta {
            width: 2,
            height: 1,
            transform: GeoTransform::north_up(10.0, 20.0, 5.0),
            crs: None,
            nodata: -9999.0,
            as_tif: false,
            compress: true,
            round_ascii: true,
        };
        let p = meta.path(&dir.path().join("x_curmap").to_string_lossy());
        assert!(p.to_string_lossy().ends_with(".asc.gz"));
        write_map(&p, &[0.123456789, f64::NAN], &meta, true).unwrap();
        let r = read_raster(&p).unwrap();
        assert!((r.grid.data[0] - 0.12345679).abs() < 1e-12);
        assert!(r.grid.data[1].is_nan());
        assert_eq!(r.yll(), 15.0);
    }
}
