//! Small CSV tables (coefficient, biophysical, threat and sensitivity tables).
//!
//! Parsing takes the text, not a path (the CLI reads the file). Header names are matched
//! case-insensitively after trimming, as natcap.invest does. Typed accessors push every problem
//! they find into a list so a caller can report them all at once.

use std::collections::HashMap;

/// A parsed CSV table: lower-cased trimmed headers and string cells.
#[derive(Debug, Clone, PartialEq)]
pub struct Table {
    /// Name used in messages (usually the file name).
    pub name: String,
    pub headers: Vec<String>,
    pub rows: Vec<Vec<String>>,
}

impl Table {
    /// Parses CSV text. Blank lines are skipped; a UTF-8 BOM is ignored; short rows are padded.
    pub fn parse(name: &str, text: &str) -> Result<Table, String> {
        let text = text.strip_prefix('\u{feff}').unwrap_or(text);
        let mut lines = text
            .lines()
            .enumerate()
            .filter(|(_, l)| !l.trim().is_empty());
        let Some((_, header)) = lines.next() else {
            return Err(format!("{name}: the table is empty (no header line)"));
        };
        let headers: Vec<String> = split_csv_line(header)
            .into_iter()
            .map(|h| h.trim().to_lowercase())
            .collect();
        let mut rows = Vec::new();
        for (n, line) in lines {
            let mut cells: Vec<String> = split_csv_line(line)
                .into_iter()
                .map(|c| c.trim().to_string())
                .collect();
            if cells.len() > headers.len() && cells[headers.len()..].iter().any(|c| !c.is_empty()) {
                return Err(format!(
                    "{name}: line {} has {} values but the header has {} columns",
                    n + 1,
                    cells.len(),
                    headers.len()
                ));
            }
            cells.resize(headers.len(), String::new());
            rows.push(cells);
        }
        Ok(Table {
            name: name.to_string(),
            headers,
            rows,
        })
    }

    /// Column index of `name` (case-insensitive).
    pub fn column(&self, name: &str) -> Option<usize> {
        let lname = name.to_lowercase();
        self.headers.iter().position(|h| *h == lname)
    }

    /// Records a problem for each of `names` that is missing.
    pub fn require_columns(&self, names: &[&str], problems: &mut Vec<String>) {
        for n in names {
            if self.column(n).is_none() {
                problems.push(format!(
                    "{}: missing column `{n}` (columns present: {})",
                    self.name,
                    self.headers.join(", ")
                ));
            }
        }
    }

    /// Numbers of column `name` (None per row where blank or not a number, with a problem
    /// recorded unless `allow_blank` and the cell is blank).
    pub fn numbers(
        &self,
        name: &str,
        allow_blank: bool,
        problems: &mut Vec<String>,
    ) -> Vec<Option<f64>> {
        let Some(c) = self.column(name) else {
            return vec![None; self.rows.len()];
        };
        self.rows
            .iter()
            .enumerate()
            .map(|(r, row)| {
                let cell = &row[c];
                if cell.is_empty() {
                    if !allow_blank {
                        problems.push(format!(
                            "{}: row {} column `{name}` is blank; a number is required",
                            self.name,
                            r + 2
                        ));
                    }
                    return None;
                }
                match cell.parse::<f64>() {
                    Ok(v) if v.is_finite() => Some(v),
                    _ => {
                        problems.push(format!(
                            "{}: row {} column `{name}` is `{cell}`, not a number",
                            self.name,
                            r + 2
                        ));
                        None
                    }
                }
            })
            .collect()
    }

    /// Integer codes of column `name` (e.g. `lucode`); records blanks, non-integers and
    /// duplicates.
    pub fn codes(&self, name: &str, problems: &mut Vec<String>) -> Vec<Option<i64>> {
        let Some(c) = self.column(name) else {
            return vec![None; self.rows.len()];
        };
        let mut seen: HashMap<i64, usize> = HashMap::new();
        self.rows
            .iter()
            .enumerate()
            .map(|(r, row)| {
                let cell = &row[c];
                let v = cell.parse::<i64>().ok().or_else(|| {
                    cell.parse::<f64>()
                        .ok()
                        .filter(|f| f.fract() == 0.0 && f.abs() < 9e15)
                        .map(|f| f as i64)
                });
                match v {
                    None => {
                        problems.push(format!(
                            "{}: row {} column `{name}` is `{cell}`, not an integer code",
                            self.name,
                            r + 2
                        ));
                        None
                    }
                    Some(v) => {
                        if let Some(prev) = seen.insert(v, r) {
                            problems.push(format!(
                                "{}: code {v} in column `{name}` appears twice (rows {} and {})",
                                self.name,
                                prev + 2,
                                r + 2
                            ));
                        }
                        Some(v)
                    }
                }
            })
            .collect()
    }

    /// Text cells of column `name` (empty strings when the column is missing).
    pub fn texts(&self, name: &str) -> Vec<String> {
        match self.column(name) {
            Some(c) => self.rows.iter().map(|r| r[c].clone()).collect(),
            None => vec![String::new(); self.rows.len()],
        }
    }

    /// Map from the integer key column to a numeric column, recording all problems.
    pub fn code_map(
        &self,
        key: &str,
        value: &str,
        problems: &mut Vec<String>,
    ) -> HashMap<i64, f64> {
        let keys = self.codes(key, problems);
        let vals = self.numbers(value, false, problems);
        keys.into_iter()
            .zip(vals)
            .filter_map(|(k, v)| Some((k?, v?)))
            .collect()
    }
}

/// Splits one CSV line, honouring double quotes ("" inside quotes is a quote).
fn split_csv_line(line: &str) -> Vec<String> {
    let mut out = Vec::new();
    let mut cur = String::new();
    let mut quoted = false;
    let mut chars = line.chars().peekable();
    while let Some(ch) = chars.next() {
        match ch {
            '"' if quoted && chars.peek() == Some(&'"') => {
                cur.push('"');
                chars.next();
            }
            '"' => quoted = !quoted,
            ',' if !quoted => out.push(std::mem::take(&mut cur)),
            '\r' if !quoted => {}
            _ => cur.push(ch),
        }
    }
    out.push(cur);
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    #[test]
    fn parses_and_reports_every_problem() {
        let t = Table::parse(
            "pools.csv",
            "\u{feff}LUCODE, C_Above ,name\n1,10.5,\"forest, dense\"\n2,,grass\n2,x,dup\n",
        )
        .unwrap();
        assert_eq!(t.headers, vec!["lucode", "c_above", "name"]);
        assert_eq!(t.texts("name")[0], "forest, dense");
        let mut p = Vec::new();
        let m = t.code_map("lucode", "c_above", &mut p);
        assert_eq!(m.get(&1), Some(&10.5));
        assert_eq!(p.len(), 3, "{p:?}");
        assert!(p.iter().any(|s| s.contains("blank")));
        assert!(p.iter().any(|s| s.contains("twice")));
        assert!(p.iter().any(|s| s.contains("`x`")));
        let mut p = Vec::new();
        t.require_columns(&["lucode", "c_soil"], &mut p);
        assert_eq!(p.len(), 1);
    }
}
