//! ESRI ASCII grid (`.asc`, and gzip-compressed `.asc.gz`).
//!
//! Header keys (any case, any order): `ncols`, `nrows`, `xllcorner`|`xllcenter`,
//! `yllcorner`|`yllcenter`, `cellsize` (or `dx` and `dy`), optional `nodata_value`.
//! Values are read as `I32` when every value is an integer literal, otherwise as `F64`, so
//! nothing is lost either way.

use crate::atomic::write_atomic;
use crate::IoError;
use ecoplan_grid::{with_any_grid, AnyGrid, Cell, GeoTransform, Grid, GridSpec};
use std::io::{Read, Write};
use std::path::Path;

/// Reads an ESRI ASCII grid; `.gz` files are decompressed on the fly.
pub fn read_ascii(path: &Path) -> Result<AnyGrid, IoError> {
    let bytes = std::fs::read(path).map_err(|e| IoError::io(path, e))?;
    let text = if path
        .extension()
        .is_some_and(|e| e.eq_ignore_ascii_case("gz"))
    {
        let mut s = String::new();
        flate2::read::GzDecoder::new(&bytes[..])
            .read_to_string(&mut s)
            .map_err(|e| {
                IoError::format(path, format!("not a readable gzip stream of text: {e}"))
            })?;
        s
    } else {
        String::from_utf8(bytes).map_err(|e| {
            IoError::format(
                path,
                format!(
                    "not text (byte {} is not UTF-8)",
                    e.utf8_error().valid_up_to()
                ),
            )
        })?
    };
    parse_ascii(&text).map_err(|detail| IoError::format(path, detail))
}

/// Parses the text of an ESRI ASCII grid. The error says which line or value is wrong.
pub fn parse_ascii(text: &str) -> Result<AnyGrid, String> {
    let mut ncols = None;
    let mut nrows = None;
    let (mut xll, mut yll, mut center) = (None, None, (false, false));
    let (mut cell, mut dx, mut dy) = (None, None, None);
    let mut nodata: Option<f64> = None;
    let mut lines = text.lines().enumerate().peekable();
    // Header: lines that start with a letter.
    while let Some(&(n, line)) = lines.peek() {
        let t = line.trim();
        if t.is_empty() {
            lines.next();
            continue;
        }
        if !t.chars().next().is_some_and(|c| c.is_ascii_alphabetic()) {
            break;
        }
        let mut parts = t.split_whitespace();
        let key = parts.next().unwrap_or("").to_ascii_lowercase();
        let val = parts
            .next()
            .ok_or_else(|| format!("line {}: header key `{key}` has no value", n + 1))?;
        let num: f64 = val.parse().map_err(|_| {
            format!(
                "line {}: header `{key}` value `{val}` is not a number",
                n + 1
            )
        })?;
        let as_count = |v: f64| -> Result<usize, String> {
            if v >= 1.0 && v.fract() == 0.0 && v < 1e9 {
                Ok(v as usize)
            } else {
                Err(format!(
                    "line {}: `{key}` must be a positive whole number, found `{val}`",
                    n + 1
                ))
            }
        };
        match key.as_str() {
            "ncols" => ncols = Some(as_count(num)?),
            "nrows" => nrows = Some(as_count(num)?),
            "xllcorner" => xll = Some(num),
            "xllcenter" => {
                xll = Some(num);
                center.0 = true
            }
            "yllcorner" => yll = Some(num),
            "yllcenter" => {
                yll = Some(num);
                center.1 = true
            }
            "cellsize" => cell = Some(num),
            "dx" => dx = Some(num),
            "dy" => dy = Some(num),
            "nodata_value" => nodata = Some(num),
            other => return Err(format!("line {}: unknown header key `{other}`", n + 1)),
        }
        lines.next();
    }
    let mut missing = Vec::new();
    for (name, v) in [
        ("ncols", ncols.is_some()),
        ("nrows", nrows.is_some()),
        ("xllcorner", xll.is_some()),
        ("yllcorner", yll.is_some()),
    ] {
        if !v {
            missing.push(name);
        }
    }
    let (cw, ch) = match (cell, dx, dy) {
        (Some(c), _, _) => (c, c),
        (None, Some(x), Some(y)) => (x, y),
        _ => {
            missing.push("cellsize");
            (0.0, 0.0)
        }
    };
    if !missing.is_empty() {
        return Err(format!("header lacks {}", missing.join(", ")));
    }
    if !(cw > 0.0 && ch > 0.0 && cw.is_finite() && ch.is_finite()) {
        return Err(format!(
            "cellsize must be a positive number, found {cw}×{ch}"
        ));
    }
    let (ncols, nrows) = (ncols.unwrap_or(0), nrows.unwrap_or(0));
    let n = ncols
        .checked_mul(nrows)
        .filter(|&n| n <= 2_000_000_000)
        .ok_or_else(|| {
            format!("{ncols}×{nrows} cells is more than an ASCII grid can sensibly hold")
        })?;
    let mut x0 = xll.unwrap_or(0.0);
    let mut ybottom = yll.unwrap_or(0.0);
    if center.0 {
        x0 -= cw / 2.0;
    }
    if center.1 {
        ybottom -= ch / 2.0;
    }
    let transform = GeoTransform {
        x0,
        dx: cw,
        rx: 0.0,
        y0: ybottom + ch * nrows as f64,
        ry: 0.0,
        dy: -ch,
    };
    let spec = GridSpec::new(ncols, nrows, transform, None);

    let mut values: Vec<f64> = Vec::with_capacity(n.min(1 << 26));
    let mut all_int = true;
    for (line_no, line) in lines {
        for tok in line.split_whitespace() {
            if values.len() == n {
                return Err(format!(
                    "line {}: more values than ncols×nrows = {n}",
                    line_no + 1
                ));
            }
            let v: f64 = tok
                .parse()
                .map_err(|_| format!("line {}: value `{tok}` is not a number", line_no + 1))?;
            if all_int
                && (tok.contains(['.', 'e', 'E'])
                    || v.fract() != 0.0
                    || !fits_i32(v)
                    || tok.eq_ignore_ascii_case("nan"))
            {
                all_int = false;
            }
            values.push(v);
        }
    }
    if values.len() != n {
        return Err(format!(
            "found {} values, but ncols×nrows = {ncols}×{nrows} = {n}",
            values.len()
        ));
    }
    let nodata_is_int = nodata.is_none_or(|v| v.fract() == 0.0 && fits_i32(v));
    Ok(if all_int && nodata_is_int {
        let data = values.into_iter().map(|v| v as i32).collect();
        AnyGrid::I32(
            Grid::from_vec(&spec, data, nodata.map(|v| v as i32)).map_err(|e| e.to_string())?,
        )
    } else {
        AnyGrid::F64(Grid::from_vec(&spec, values, nodata).map_err(|e| e.to_string())?)
    })
}

/// Whether an integral value is representable as i32 (GDAL's Int32 nodata -2147483648 included).
fn fits_i32(v: f64) -> bool {
    (i32::MIN as f64..=i32::MAX as f64).contains(&v)
}

/// Writes an ESRI ASCII grid (gzip-compressed if the name ends in `.gz`), atomically.
/// The grid must be north-up with square cells.
pub fn write_ascii(path: &Path, grid: &AnyGrid) -> Result<(), IoError> {
    let t = grid.transform();
    if !t.is_north_up() || (t.dx + t.dy).abs() > 1e-9 * t.dx {
        return Err(IoError::unsupported(
            path,
            "an ASCII grid needs a north-up grid with square cells; resample first",
        ));
    }
    let gz = path
        .extension()
        .is_some_and(|e| e.eq_ignore_ascii_case("gz"));
    write_atomic(path, |w| {
        let mut body = Vec::with_capacity(grid.width() * grid.height() * 4);
        with_any_grid!(grid, g => write_body(&mut body, g)).map_err(|e| IoError::io(path, e))?;
        if gz {
            let mut enc = flate2::write::GzEncoder::new(w, flate2::Compression::default());
            enc.write_all(&body)
                .and_then(|_| enc.finish().map(|_| ()))
                .map_err(|e| IoError::io(path, e))
        } else {
            w.write_all(&body).map_err(|e| IoError::io(path, e))
        }
    })
}

fn write_body<T: Cell>(out: &mut Vec<u8>, g: &Grid<T>) -> std::io::Result<()> {
    let t = g.transform;
    writeln!(out, "ncols         {}", g.width)?;
    writeln!(out, "nrows         {}", g.height)?;
    writeln!(out, "xllcorner     {}", t.x0)?;
    writeln!(out, "yllcorner     {}", t.y0 + t.dy * g.height as f64)?;
    writeln!(out, "cellsize      {}", t.dx)?;
    // NaN cells need a nodata value to be written as; pick the file's or -9999.
    let nodata = g.nodata.map(|v| v.to_f64()).unwrap_or(-9999.0);
    let has_nan = T::TYPE.is_float() && g.data.iter().any(|v| v.is_nan());
    if g.nodata.is_some() || has_nan {
        writeln!(out, "NODATA_value  {}", fmt_value(nodata))?;
    }
    for row in 0..g.height {
        let cells = g.row(row);
        for (i, v) in cells.iter().enumerate() {
            if i > 0 {
                out.push(b' ');
            }
            let v = if v.is_nan() { nodata } else { v.to_f64() };
            write!(out, "{}", fmt_value(v))?;
        }
        out.push(b'\n');
    }
    Ok(())
}

/// Shortest text that parses back to the same f64 (Rust's `Display` for f64 round-trips).
fn fmt_value(v: f64) -> String {
    format!("{v}")
}

#[cfg(test)]
mod tests {
    use super::*;
    #[test]
    fn reads_integers_and_floats() {
        let g = parse_ascii("ncols 3\nnrows 2\nxllcorner 10\nyllcorner 20\ncellsize 5\nNODATA_value -9999\n1 2 3\n4 -9999 6\n").unwrap();
        let AnyGrid::I32(g) = g else {
            panic!("integers expected")
        };
        assert_eq!(g.data, vec![1, 2, 3, 4, -9999, 6]);
        assert_eq!(g.nodata, Some(-9999));
        assert_eq!(
            (g.transform.x0, g.transform.y0, g.transform.dy),
            (10.0, 30.0, -5.0)
        );
        let f =
            parse_ascii("ncols 2\nnrows 1\nxllcenter 0.5\nyllcenter 0.5\ncellsize 1\n0.25 1e3\n")
                .unwrap();
        let AnyGrid::F64(f) = f else {
            panic!("floats expected")
        };
        assert_eq!(f.data, vec![0.25, 1000.0]);
        assert_eq!((f.transform.x0, f.transform.y0), (0.0, 1.0));
    }
    #[test]
    fn int32_extremes_stay_integers() {
        let g = parse_ascii("ncols 2\nnrows 1\nxllcorner 0\nyllcorner 0\ncellsize 1\nNODATA_value -2147483648\n-2147483648 2147483647\n").unwrap();
        let AnyGrid::I32(g) = g else {
            panic!("integers expected")
        };
        assert_eq!(g.data, vec![i32::MIN, i32::MAX]);
        assert_eq!(g.nodata, Some(i32::MIN));
        let f = parse_ascii("ncols 1\nnrows 1\nxllcorner 0\nyllcorner 0\ncellsize 1\n2147483648\n")
            .unwrap();
        assert!(matches!(f, AnyGrid::F64(_)), "2^31 does not fit i32");
    }
    #[test]
    fn broken_headers_say_what_is_wrong() {
        let e = parse_ascii("ncols 3\nnrows x\n").unwrap_err();
        assert!(e.contains("line 2") && e.contains("nrows"), "{e}");
        let e = parse_ascii("ncols 2\nnrows 2\nxllcorner 0\nyllcorner 0\ncellsize 1\n1 2 3\n")
            .unwrap_err();
        assert!(e.contains("found 3 values"), "{e}");
        let e = parse_ascii("ncols 2\nnrows 1\ncellsize 1\n1 2\n").unwrap_err();
        assert!(e.contains("xllcorner") && e.contains("yllcorner"), "{e}");
        let e = parse_ascii("ncols 2\nnrows 1\nxllcorner 0\nyllcorner 0\ncellsize -1\n1 2\n")
            .unwrap_err();
        assert!(e.contains("cellsize"), "{e}");
        assert!(parse_ascii(
            "ncols 99999999999\nnrows 99999999999\nxllcorner 0\nyllcorner 0\ncellsize 1\n"
        )
        .is_err());
    }
    #[test]
    fn round_trips_through_files() {
        let dir = tempfile::tempdir().unwrap();
        let spec = GridSpec::new(3, 2, GeoTransform::north_up(100.0, 200.0, 30.0), None);
        let g: AnyGrid = Grid::from_vec(
            &spec,
            vec![0.1f64, f64::NAN, 3.0, -4.5, 1e-7, 6.0],
            Some(-9999.0),
        )
        .unwrap()
        .into();
        for name in ["a.asc", "a.asc.gz"] {
            let p = dir.path().join(name);
            write_ascii(&p, &g).unwrap();
            let AnyGrid::F64(back) = read_ascii(&p).unwrap() else {
                panic!()
            };
            assert_eq!(back.transform, spec.transform);
            assert_eq!(back.data[0], 0.1);
            assert_eq!(back.data[1], -9999.0);
            assert_eq!(back.data[4], 1e-7);
        }
    }
}
