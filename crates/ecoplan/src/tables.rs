//! Tables the CLI writes: CSV (English header, UTF-8) and XLSX (Chinese header row, then the
//! English header row, then data).

use anyhow::{Context, Result};
use std::path::Path;

#[derive(Debug, Clone, PartialEq)]
pub enum Value {
    Int(i64),
    Num(f64),
    Text(String),
    Empty,
}

impl Value {
    fn csv(&self) -> String {
        match self {
            Value::Int(i) => i.to_string(),
            Value::Num(x) if x.is_finite() => {
                // Shortest representation that round-trips.
                format!("{x}")
            }
            Value::Num(_) | Value::Empty => String::new(),
            Value::Text(s) => s.clone(),
        }
    }
}

#[derive(Debug, Clone, Default)]
pub struct Table {
    /// (English, Chinese) header of each column.
    pub columns: Vec<(String, String)>,
    pub rows: Vec<Vec<Value>>,
}

impl Table {
    pub fn new(columns: &[(&str, &str)]) -> Self {
        Table {
            columns: columns
                .iter()
                .map(|(e, z)| (e.to_string(), z.to_string()))
                .collect(),
            rows: Vec::new(),
        }
    }
    pub fn push(&mut self, row: Vec<Value>) {
        self.rows.push(row);
    }
    pub fn to_csv(&self) -> Result<String> {
        let mut w = csv::Writer::from_writer(Vec::new());
        w.write_record(self.columns.iter().map(|c| c.0.as_str()))?;
        for r in &self.rows {
            w.write_record(r.iter().map(Value::csv))?;
        }
        Ok(String::from_utf8(w.into_inner().context("flushing CSV")?)?)
    }
    /// Writes `.csv` or `.xlsx` by extension, atomically.
    pub fn write(&self, path: &Path) -> Result<()> {
        let ext = path
            .extension()
            .map(|e| e.to_string_lossy().to_ascii_lowercase())
            .unwrap_or_default();
        match ext.as_str() {
            "csv" => {
                let text = self.to_csv()?;
                ecoplan_io::atomic::write_atomic(path, |w| {
                    use std::io::Write;
                    w.write_all(text.as_bytes())
                        .map_err(|e| ecoplan_io::IoError::io(path, e))
                })?;
                Ok(())
            }
            "xlsx" => self.write_xlsx(path),
            _ => anyhow::bail!("{}: tables are written as .csv or .xlsx", path.display()),
        }
    }
    fn write_xlsx(&self, path: &Path) -> Result<()> {
        use rust_xlsxwriter::{Format, Workbook};
        let mut wb = Workbook::new();
        let ws = wb.add_worksheet();
        let bold = Format::new().set_bold();
        for (c, (en, zh)) in self.columns.iter().enumerate() {
            ws.write_string_with_format(0, c as u16, zh, &bold)?;
            ws.write_string_with_format(1, c as u16, en, &bold)?;
        }
        for (r, row) in self.rows.iter().enumerate() {
            let r = (r + 2) as u32;
            for (c, v) in row.iter().enumerate() {
                let c = c as u16;
                match v {
                    Value::Int(i) => {
                        ws.write_number(r, c, *i as f64)?;
                    }
                    Value::Num(x) if x.is_finite() => {
                        ws.write_number(r, c, *x)?;
                    }
                    Value::Num(_) | Value::Empty => {}
                    Value::Text(s) => {
                        ws.write_string(r, c, s)?;
                    }
                }
            }
        }
        ws.set_freeze_panes(2, 0)?;
        let bytes = wb.save_to_buffer()?;
        ecoplan_io::atomic::write_atomic(path, |w| {
            use std::io::Write;
            w.write_all(&bytes)
                .map_err(|e| ecoplan_io::IoError::io(path, e))
        })?;
        Ok(())
    }
}
