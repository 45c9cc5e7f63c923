//! dBASE III/IV attribute tables (.dbf) of shapefiles, with text-encoding detection.
//!
//! Field types: C → Text, N/F → Int when it has no decimals and fits 18 digits else Real,
//! L → Bool, D → Text `YYYY-MM-DD`, I (4-byte int) → Int, others (memo, binary) → Null with a
//! warning. Encoding: an explicit label (from the caller or the .cpg file) wins; else the
//! language-driver byte 0x4D/0x7A (Chinese GBK); else UTF-8 when every text byte is valid UTF-8,
//! otherwise GBK (the usual encoding of Chinese shapefiles from ArcGIS/older tools).

use super::{FieldType, FieldValue, ParseError};
use encoding_rs::Encoding;

#[derive(Debug)]
pub(crate) struct DbfTable {
    pub fields: Vec<(String, FieldType)>,
    /// One entry per record: `None` for records marked deleted.
    pub records: Vec<Option<Vec<FieldValue>>>,
    #[cfg_attr(not(test), allow(dead_code))]
    pub encoding: &'static Encoding,
    pub warnings: Vec<String>,
}

struct FieldDesc {
    raw_name: Vec<u8>,
    kind: u8,
    offset: usize,
    len: usize,
    decimals: u8,
}

/// Resolves an encoding label such as "GBK", "UTF-8", "936", "cp936", "65001" (code pages as
/// ArcGIS writes them in .cpg files).
pub(crate) fn encoding_for_label(label: &str) -> Option<&'static Encoding> {
    let l = label.trim().trim_matches('\u{feff}').trim();
    let mapped = match l.to_ascii_lowercase().as_str() {
        "936" | "cp936" | "ansi 936" | "ms936" | "gb2312" | "gb_2312-80" | "gbk" | "cp_936" => {
            "gbk"
        }
        "54936" | "gb18030" => "gb18030",
        "65001" | "utf8" | "utf-8" | "cp65001" => "utf-8",
        "950" | "cp950" | "big5" => "big5",
        "1252" | "cp1252" | "ansi 1252" => "windows-1252",
        "88591" | "8859_1" | "iso-8859-1" | "latin1" => "windows-1252",
        other => return Encoding::for_label(other.as_bytes()),
    };
    Encoding::for_label(mapped.as_bytes())
}

fn decode(enc: &'static Encoding, bytes: &[u8]) -> String {
    let (s, _) = enc.decode_without_bom_handling(bytes);
    s.into_owned()
}

fn trim_field(b: &[u8]) -> &[u8] {
    let mut end = b.len();
    while end > 0 && (b[end - 1] == b' ' || b[end - 1] == 0) {
        end -= 1;
    }
    let mut start = 0;
    while start < end && (b[start] == b' ') {
        start += 1;
    }
    &b[start..end]
}

pub(crate) fn parse_dbf(data: &[u8], encoding: Option<&str>) -> Result<DbfTable, ParseError> {
    if data.len() < 32 {
        return Err(ParseError::new(format!(
            ".dbf is too short for a dBASE header ({} bytes, need at least 32)",
            data.len()
        )));
    }
    let version = data[0];
    if !(matches!(version & 0x07, 0x02..=0x05) || matches!(version, 0x30..=0x32 | 0xF5)) {
        return Err(ParseError::new(format!(
            ".dbf header: version byte 0x{version:02x} is not dBASE III/IV — the file is damaged or not a .dbf"
        )));
    }
    let n_records = u32::from_le_bytes(data[4..8].try_into().unwrap()) as usize;
    let header_len = u16::from_le_bytes(data[8..10].try_into().unwrap()) as usize;
    let record_len = u16::from_le_bytes(data[10..12].try_into().unwrap()) as usize;
    let ldid = data[29];
    if header_len < 33 || header_len > data.len() {
        return Err(ParseError::new(format!(
            ".dbf header: header length {header_len} is impossible for a {}-byte file",
            data.len()
        )));
    }
    let mut descs = Vec::new();
    let mut pos = 32;
    let mut offset = 1; // byte 0 of a record is the deletion flag
    while pos + 32 <= header_len && data[pos] != 0x0D {
        let d = &data[pos..pos + 32];
        let name_end = d[..11].iter().position(|&c| c == 0).unwrap_or(11);
        let len = d[16] as usize;
        descs.push(FieldDesc {
            raw_name: d[..name_end].to_vec(),
            kind: d[11].to_ascii_uppercase(),
            offset,
            len,
            decimals: d[17],
        });
        offset += len;
        pos += 32;
    }
    if offset > record_len {
        return Err(ParseError::new(format!(
            ".dbf header: fields need {offset} bytes per record but the record length is {record_len}"
        )));
    }
    let body = &data[header_len..];
    let available = body.len().checked_div(record_len).unwrap_or(0);
    let mut warnings = Vec::new();
    let n = if available < n_records {
        warnings.push(format!(
            ".dbf is truncated: header says {n_records} records, file holds {available}; the rest have no attributes"
        ));
        available
    } else {
        n_records
    };
    let enc = match encoding {
        Some(label) => encoding_for_label(label).ok_or_else(|| {
            ParseError::new(format!(
                "unknown text encoding \"{label}\" (use e.g. GBK, UTF-8, GB18030, Big5)"
            ))
        })?,
        None => detect(data, &descs, body, record_len, n, ldid),
    };
    let mut fields = Vec::with_capacity(descs.len());
    for d in &descs {
        let name = decode(enc, &d.raw_name).trim().to_string();
        let ty = match d.kind {
            b'C' | b'D' => FieldType::Text,
            b'N' | b'F' if d.decimals == 0 && d.len <= 18 => FieldType::Int,
            b'N' | b'F' | b'O' => FieldType::Real,
            b'L' => FieldType::Bool,
            b'I' | b'+' => FieldType::Int,
            other => {
                warnings.push(format!(
                    "field \"{name}\" has dBASE type '{}' (memo/binary), which is not read: values are null",
                    other as char
                ));
                FieldType::Text
            }
        };
        fields.push((name, ty));
    }
    let mut records = Vec::with_capacity(n);
    for r in 0..n {
        let rec = &body[r * record_len..(r + 1) * record_len];
        if rec[0] == b'*' {
            records.push(None);
            continue;
        }
        let mut values = Vec::with_capacity(descs.len());
        for (d, (_, ty)) in descs.iter().zip(&fields) {
            let raw = &rec[d.offset..d.offset + d.len];
            values.push(value(d, *ty, raw, enc));
        }
        records.push(Some(values));
    }
    Ok(DbfTable {
        fields,
        records,
        encoding: enc,
        warnings,
    })
}

fn value(d: &FieldDesc, ty: FieldType, raw: &[u8], enc: &'static Encoding) -> FieldValue {
    match d.kind {
        b'C' => {
            let t = trim_field(raw);
            if t.is_empty() {
                FieldValue::Null
            } else {
                FieldValue::Text(decode(enc, t))
            }
        }
        b'D' => {
            let t = trim_field(raw);
            if t.len() == 8 && t.iter().all(u8::is_ascii_digit) {
                let s = std::str::from_utf8(t).unwrap_or_default();
                FieldValue::Text(format!("{}-{}-{}", &s[..4], &s[4..6], &s[6..]))
            } else {
                FieldValue::Null
            }
        }
        b'N' | b'F' | b'O' => {
            let t = trim_field(raw);
            let s = std::str::from_utf8(t).unwrap_or("");
            if s.is_empty() || s.starts_with('*') {
                return FieldValue::Null;
            }
            match ty {
                FieldType::Int => s
                    .parse::<i64>()
                    .map(FieldValue::Int)
                    .or_else(|_| s.parse::<f64>().map(|v| FieldValue::Int(v as i64)))
                    .unwrap_or(FieldValue::Null),
                _ => s
                    .parse::<f64>()
                    .map(FieldValue::Real)
                    .unwrap_or(FieldValue::Null),
            }
        }
        b'L' => match raw.first() {
            Some(b'T' | b't' | b'Y' | b'y') => FieldValue::Bool(true),
            Some(b'F' | b'f' | b'N' | b'n') => FieldValue::Bool(false),
            _ => FieldValue::Null,
        },
        b'I' if raw.len() == 4 => {
            FieldValue::Int(i32::from_le_bytes(raw.try_into().unwrap()) as i64)
        }
        _ => FieldValue::Null,
    }
}

fn detect(
    header: &[u8],
    descs: &[FieldDesc],
    body: &[u8],
    record_len: usize,
    n: usize,
    ldid: u8,
) -> &'static Encoding {
    // Language driver IDs for Chinese code pages (ArcGIS: 0x4D = 936).
    if matches!(ldid, 0x4D | 0x7A) {
        return encoding_rs::GBK;
    }
    let _ = header;
    let mut all_ascii = true;
    let mut check = |b: &[u8]| -> bool {
        if !b.is_ascii() {
            all_ascii = false;
            std::str::from_utf8(b).is_ok()
        } else {
            true
        }
    };
    for d in descs {
        if !check(&d.raw_name) {
            return encoding_rs::GBK;
        }
    }
    for r in 0..n {
        let rec = &body[r * record_len..(r + 1) * record_len];
        for d in descs.iter().filter(|d| d.kind == b'C') {
            if !check(trim_field(&rec[d.offset..d.offset + d.len])) {
                return encoding_rs::GBK;
            }
        }
    }
    encoding_rs::UTF_8
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A one-field (C, 10) dbf with the given raw values.
    fn dbf(values: &[&[u8]], ldid: u8) -> Vec<u8> {
        let mut h = vec![0u8; 32];
        h[0] = 3;
        h[4..8].copy_from_slice(&(values.len() as u32).to_le_bytes());
        h[8..10].copy_from_slice(&(65u16).to_le_bytes());
        h[10..12].copy_from_slice(&(11u16).to_le_bytes());
        h[29] = ldid;
        let mut f = vec![0u8; 32];
        f[..4].copy_from_slice(b"NAME");
        f[11] = b'C';
        f[16] = 10;
        h.extend(f);
        h.push(0x0D);
        for v in values {
            h.push(b' ');
            let mut cell = v.to_vec();
            cell.resize(10, b' ');
            h.extend(cell);
        }
        h.push(0x1A);
        h
    }

    #[test]
    fn detects_gbk_and_utf8() {
        let (gbk, _, _) = encoding_rs::GBK.encode("云冈区");
        let t = parse_dbf(&dbf(&[&gbk], 0), None).unwrap();
        assert_eq!(
            t.records[0].as_ref().unwrap()[0],
            FieldValue::Text("云冈区".into())
        );
        let t = parse_dbf(&dbf(&["云冈".as_bytes()], 0), None).unwrap();
        assert_eq!(t.encoding, encoding_rs::UTF_8);
        assert_eq!(
            t.records[0].as_ref().unwrap()[0],
            FieldValue::Text("云冈".into())
        );
        // Explicit label wins.
        let t = parse_dbf(&dbf(&[&gbk], 0), Some("936")).unwrap();
        assert_eq!(t.encoding, encoding_rs::GBK);
        assert!(parse_dbf(&dbf(&[&gbk], 0), Some("klingon")).is_err());
    }

    #[test]
    fn bad_headers_are_errors() {
        assert!(parse_dbf(&[3u8; 10], None)
            .unwrap_err()
            .0
            .contains("too short"));
        let mut d = dbf(&[b"a"], 0);
        d[0] = 0x00;
        assert!(parse_dbf(&d, None).unwrap_err().0.contains("version"));
        let mut d = dbf(&[b"a"], 0);
        d[8] = 0xff;
        d[9] = 0xff;
        assert!(parse_dbf(&d, None).unwrap_err().0.contains("header length"));
        let mut d = dbf(&[b"a", b"b"], 0);
        d[4] = 9; // claims 9 records
        let t = parse_dbf(&d, None).unwrap();
        assert_eq!(t.records.len(), 2);
        assert!(t.warnings[0].contains("truncated"));
    }
}
