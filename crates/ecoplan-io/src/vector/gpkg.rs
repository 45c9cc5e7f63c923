//! OGC GeoPackage (1.4) feature tables through SQLite (rusqlite, bundled).
//!
//! Reading: any feature table listed in `gpkg_contents`, geometries from the GeoPackage binary
//! header + WKB; the CRS from `gpkg_spatial_ref_sys` (organization EPSG, else recognised from the
//! WKT definition). Writing: a fresh file with `gpkg_spatial_ref_sys` (WKT1 from the EPSG registry
//! snapshot), `gpkg_contents` (with extent), `gpkg_geometry_columns`, one feature table per layer
//! (`fid` primary key, `geom` column, envelope in every geometry header) and the
//! `application_id`/`user_version` pragmas, and the R-tree spatial index (`gpkg_rtree_index`
//! extension, with the standard maintenance triggers).

use super::{prj, wkb, FieldType, FieldValue, Layer, ParseError};
use crate::IoError;
use ecoplan_grid::Crs;
use geo::BoundingRect;
use geo_types::Geometry;
use rusqlite::{params, types::ValueRef, Connection, OpenFlags};
use std::path::Path;

const APPLICATION_ID: i32 = 0x4750_4B47; // "GPKG"
const USER_VERSION: i32 = 10400; // GeoPackage 1.4.0
/// srs_id used for a CRS known only as a PROJ string (no WKT available).
const PROJ_STRING_SRS_ID: i64 = 990_001;
const PROJ_STRING_ORG: &str = "ecoplan-proj";

/// A feature table of a GeoPackage, as listed by [`list_gpkg_layers`].
#[derive(Debug, Clone, PartialEq)]
pub struct GpkgLayerInfo {
    pub name: String,
    pub geometry_type: String,
    pub crs: Option<Crs>,
    pub feature_count: u64,
}

fn sql_err(path: &Path, e: rusqlite::Error) -> IoError {
    let msg = e.to_string();
    if msg.contains("not a database") || msg.contains("file is encrypted") {
        IoError::format(
            path,
            "不是 GeoPackage (not a GeoPackage): the file is not an SQLite database; check the file or re-export it as .gpkg",
        )
    } else {
        IoError::format(path, format!("GeoPackage/SQLite error: {msg}"))
    }
}

fn quote(name: &str) -> String {
    format!("\"{}\"", name.replace('"', "\"\""))
}

fn open_read(path: &Path) -> Result<Connection, IoError> {
    if !path.exists() {
        return Err(IoError::io(
            path,
            std::io::Error::new(std::io::ErrorKind::NotFound, "file not found (文件不存在)"),
        ));
    }
    let conn = Connection::open_with_flags(
        path,
        OpenFlags::SQLITE_OPEN_READ_ONLY | OpenFlags::SQLITE_OPEN_NO_MUTEX,
    )
    .map_err(|e| sql_err(path, e))?;
    // Touch the schema now so "not a database" surfaces here with a clear message.
    let has_contents: i64 = conn
        .query_row(
            "SELECT count(*) FROM sqlite_master WHERE type IN ('table','view') AND name = 'gpkg_contents'",
            [],
            |r| r.get(0),
        )
        .map_err(|e| sql_err(path, e))?;
    if has_contents == 0 {
        return Err(IoError::format(
            path,
            "不是 GeoPackage (not a GeoPackage): SQLite file without a gpkg_contents table",
        ));
    }
    Ok(conn)
}

fn crs_of_srs(conn: &Connection, srs_id: i64, warnings: &mut Vec<String>) -> Option<Crs> {
    if srs_id == 0 || srs_id == -1 {
        return None;
    }
    let row = conn
        .query_row(
            "SELECT organization, organization_coordsys_id, definition, description FROM gpkg_spatial_ref_sys WHERE srs_id = ?1",
            [srs_id],
            |r| {
                Ok((
                    r.get::<_, Option<String>>(0)?,
                    r.get::<_, Option<i64>>(1)?,
                    r.get::<_, Option<String>>(2)?,
                    r.get::<_, Option<String>>(3)?,
                ))
            },
        )
        .ok();
    let Some((org, org_id, def, desc)) = row else {
        warnings.push(format!(
            "srs_id {srs_id} is not in gpkg_spatial_ref_sys; CRS left unset"
        ));
        return None;
    };
    let org = org.unwrap_or_default();
    if org.eq_ignore_ascii_case("EPSG") {
        if let Some(id) = org_id.filter(|&i| i > 0) {
            return Some(Crs::Epsg(id as u32));
        }
    }
    if org == PROJ_STRING_ORG {
        if let Some(p) = desc.filter(|d| d.contains("+proj=")) {
            return Some(Crs::Proj(p));
        }
    }
    if let Some(code) = def.as_deref().and_then(prj::epsg_from_wkt) {
        return Some(Crs::Epsg(code));
    }
    warnings.push(format!(
        "坐标系未识别 (CRS not recognised): srs_id {srs_id} ({org} {}) — CRS left unset",
        def.as_deref().and_then(prj::wkt_name).unwrap_or_default()
    ));
    None
}

/// The feature tables of a GeoPackage.
pub fn list_gpkg_layers(path: &Path) -> Result<Vec<GpkgLayerInfo>, IoError> {
    let conn = open_read(path)?;
    let mut out = Vec::new();
    let mut stmt = conn
        .prepare(
            "SELECT c.table_name, g.geometry_type_name, g.srs_id FROM gpkg_contents c \
             LEFT JOIN gpkg_geometry_columns g ON g.table_name = c.table_name \
             WHERE c.data_type = 'features' ORDER BY c.rowid",
        )
        .map_err(|e| sql_err(path, e))?;
    let rows: Vec<(String, Option<String>, Option<i64>)> = stmt
        .query_map([], |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?)))
        .and_then(|it| it.collect())
        .map_err(|e| sql_err(path, e))?;
    for (name, gtype, srs) in rows {
        let count: i64 = conn
            .query_row(&format!("SELECT count(*) FROM {}", quote(&name)), [], |r| {
                r.get(0)
            })
            .map_err(|e| sql_err(path, e))?;
        let mut w = Vec::new();
        out.push(GpkgLayerInfo {
            crs: srs.and_then(|s| crs_of_srs(&conn, s, &mut w)),
            name,
            geometry_type: gtype.unwrap_or_default(),
            feature_count: count as u64,
        });
    }
    Ok(out)
}

/// Decodes a GeoPackage geometry blob (header + WKB); `None` for the empty geometry.
pub fn geometry_from_gpkg_blob(b: &[u8]) -> Result<Option<Geometry<f64>>, ParseError> {
    if b.len() < 8 || &b[0..2] != b"GP" {
        return Err(ParseError::new(
            "geometry blob does not start with the GeoPackage magic \"GP\"",
        ));
    }
    let flags = b[3];
    if flags & 0x20 != 0 {
        return Err(ParseError::new(
            "extended GeoPackage geometry (flag X) is not supported",
        ));
    }
    let env_len = match (flags >> 1) & 0x07 {
        0 => 0,
        1 => 32,
        2 | 3 => 48,
        4 => 64,
        e => {
            return Err(ParseError::new(format!(
                "invalid GeoPackage envelope code {e}"
            )))
        }
    };
    let start = 8 + env_len;
    if b.len() < start {
        return Err(ParseError::new(
            "GeoPackage geometry blob is shorter than its header",
        ));
    }
    if flags & 0x10 != 0 {
        return Ok(None);
    }
    wkb::geometry_from_wkb(&b[start..]).map(Some)
}

/// Encodes a geometry as a GeoPackage blob: little-endian header with an XY envelope, then WKB.
pub(crate) fn geometry_to_gpkg_blob(g: &Geometry<f64>, srs_id: i32) -> Vec<u8> {
    let mut out = Vec::with_capacity(64);
    out.extend_from_slice(b"GP");
    out.push(0);
    match g.bounding_rect() {
        Some(r) => {
            out.push(0x01 | (1 << 1));
            out.extend_from_slice(&srs_id.to_le_bytes());
            for v in [r.min().x, r.max().x, r.min().y, r.max().y] {
                out.extend_from_slice(&v.to_le_bytes());
            }
        }
        None => {
            out.push(0x01 | 0x10);
            out.extend_from_slice(&srs_id.to_le_bytes());
        }
    }
    wkb::geometry_to_wkb(g, &mut out);
    out
}

pub(crate) fn read_gpkg(path: &Path, layer: Option<&str>) -> Result<Layer, IoError> {
    let conn = open_read(path)?;
    let tables: Vec<String> = {
        let mut stmt = conn
            .prepare(
                "SELECT table_name FROM gpkg_contents WHERE data_type = 'features' ORDER BY rowid",
            )
            .map_err(|e| sql_err(path, e))?;
        let rows = stmt
            .query_map([], |r| r.get(0))
            .and_then(|it| it.collect::<Result<Vec<String>, _>>())
            .map_err(|e| sql_err(path, e))?;
        rows
    };
    let mut warnings = Vec::new();
    let table = match layer {
        Some(want) => tables
            .iter()
            .find(|t| t.as_str() == want)
            .or_else(|| tables.iter().find(|t| t.eq_ignore_ascii_case(want)))
            .cloned()
            .ok_or_else(|| {
                IoError::format(
                    path,
                    format!(
                        "没有图层 \"{want}\" (no feature layer \"{want}\"); layers: {}",
                        tables.join(", ")
                    ),
                )
            })?,
        None => {
            let first = tables.first().cloned().ok_or_else(|| {
                IoError::format(
                    path,
                    "GeoPackage 中没有要素图层 (no feature layer in this GeoPackage)",
                )
            })?;
            if tables.len() > 1 {
                warnings.push(format!(
                    "GeoPackage has {} feature layers ({}); read \"{first}\" — choose another with --layer",
                    tables.len(),
                    tables.join(", ")
                ));
            }
            first
        }
    };
    let (geom_col, srs_id): (Option<String>, i64) = conn
        .query_row(
            "SELECT column_name, srs_id FROM gpkg_geometry_columns WHERE table_name = ?1",
            [&table],
            |r| Ok((Some(r.get(0)?), r.get(1)?)),
        )
        .unwrap_or((None, 0));
    let crs = crs_of_srs(&conn, srs_id, &mut warnings);
    // Columns: skip the integer primary key and the geometry column.
    let mut cols: Vec<(String, FieldType)> = Vec::new();
    let mut pk: Option<String> = None;
    {
        let mut stmt = conn
            .prepare(&format!("PRAGMA table_info({})", quote(&table)))
            .map_err(|e| sql_err(path, e))?;
        let infos: Vec<(String, String, i64)> = stmt
            .query_map([], |r| {
                Ok((
                    r.get(1)?,
                    r.get::<_, Option<String>>(2)?.unwrap_or_default(),
                    r.get(5)?,
                ))
            })
            .and_then(|it| it.collect())
            .map_err(|e| sql_err(path, e))?;
        for (name, decl, is_pk) in infos {
            if is_pk > 0 && pk.is_none() {
                pk = Some(name);
                continue;
            }
            if geom_col
                .as_deref()
                .is_some_and(|g| g.eq_ignore_ascii_case(&name))
            {
                continue;
            }
            let d = decl.to_ascii_uppercase();
            let ty = if d.starts_with("BOOL") {
                FieldType::Bool
            } else if d.contains("INT") {
                FieldType::Int
            } else if d.starts_with("REAL")
                || d.starts_with("DOUBLE")
                || d.starts_with("FLOAT")
                || d.starts_with("NUMERIC")
            {
                FieldType::Real
            } else if d.starts_with("BLOB") {
                warnings.push(format!("BLOB column \"{name}\" skipped"));
                continue;
            } else {
                FieldType::Text
            };
            cols.push((name, ty));
        }
    }
    let mut select: Vec<String> = Vec::new();
    select.push(
        geom_col
            .as_deref()
            .map(quote)
            .unwrap_or_else(|| "NULL".into()),
    );
    select.extend(cols.iter().map(|(n, _)| quote(n)));
    let order = pk.as_deref().map(quote).unwrap_or_else(|| "rowid".into());
    let sql = format!(
        "SELECT {} FROM {} ORDER BY {order}",
        select.join(", "),
        quote(&table)
    );
    let mut out = Layer::new(table.clone(), crs);
    out.fields = cols.clone();
    out.warnings = warnings;
    let mut stmt = conn.prepare(&sql).map_err(|e| sql_err(path, e))?;
    let mut rows = stmt.query([]).map_err(|e| sql_err(path, e))?;
    let mut row_no = 0usize;
    while let Some(row) = rows.next().map_err(|e| sql_err(path, e))? {
        row_no += 1;
        let geometry = match row.get_ref(0).map_err(|e| sql_err(path, e))? {
            ValueRef::Blob(b) => geometry_from_gpkg_blob(b).map_err(|e| {
                IoError::format(path, format!("layer {table}, feature #{row_no}: {}", e.0))
            })?,
            _ => None,
        };
        let mut props = Vec::with_capacity(cols.len());
        for (i, (_, ty)) in cols.iter().enumerate() {
            let v = row.get_ref(i + 1).map_err(|e| sql_err(path, e))?;
            props.push(match (v, ty) {
                (ValueRef::Null, _) => FieldValue::Null,
                (ValueRef::Integer(x), FieldType::Bool) => FieldValue::Bool(x != 0),
                (ValueRef::Integer(x), FieldType::Real) => FieldValue::Real(x as f64),
                (ValueRef::Integer(x), FieldType::Text) => FieldValue::Text(x.to_string()),
                (ValueRef::Integer(x), _) => FieldValue::Int(x),
                (ValueRef::Real(x), FieldType::Text) => FieldValue::Text(x.to_string()),
                (ValueRef::Real(x), _) => FieldValue::Real(x),
                (ValueRef::Text(t), _) => FieldValue::Text(String::from_utf8_lossy(t).into_owned()),
                (ValueRef::Blob(_), _) => FieldValue::Null,
            });
        }
        out.features.push(super::Feature {
            geometry,
            properties: props,
        });
    }
    Ok(out)
}

/// Writes one layer to a fresh GeoPackage (atomically: temporary file, then rename).
pub(crate) fn write_gpkg(path: &Path, layer: &Layer) -> Result<(), IoError> {
    write_gpkg_layers(path, &[layer])
}

/// Writes several layers (one feature table each) to a fresh GeoPackage, atomically.
pub fn write_gpkg_layers(path: &Path, layers: &[&Layer]) -> Result<(), IoError> {
    if let Some(dir) = path.parent().filter(|d| !d.as_os_str().is_empty()) {
        std::fs::create_dir_all(dir).map_err(|e| IoError::io(dir, e))?;
    }
    let tmp = crate::atomic::temp_path(path);
    let _ = std::fs::remove_file(&tmp);
    let result = (|| {
        let mut conn = Connection::open(&tmp).map_err(|e| sql_err(&tmp, e))?;
        fill_gpkg(&mut conn, layers).map_err(|e| match e {
            WriteError::Sql(e) => sql_err(path, e),
            WriteError::Msg(m) => IoError::format(path, m),
        })?;
        conn.close().map_err(|(_, e)| sql_err(path, e))?;
        std::fs::rename(&tmp, path).map_err(|e| IoError::io(path, e))
    })();
    if result.is_err() {
        let _ = std::fs::remove_file(&tmp);
    }
    result
}

enum WriteError {
    Sql(rusqlite::Error),
    Msg(String),
}
impl From<rusqlite::Error> for WriteError {
    fn from(e: rusqlite::Error) -> Self {
        WriteError::Sql(e)
    }
}

fn srs_row(crs: &Option<Crs>) -> (i64, String, String, i64, String, Option<String>) {
    // A PROJ string that is an EPSG CRS is stored as that code, which GDAL and QGIS recognise.
    let as_epsg = match crs {
        Some(Crs::Proj(p)) => crate::crs::epsg_for_proj(p).map(Crs::Epsg),
        _ => None,
    };
    match as_epsg.as_ref().or(crs.as_ref()) {
        Some(Crs::Epsg(code)) => {
            let wkt = prj::wkt_for_epsg(*code).map(str::to_string);
            let name = wkt
                .as_deref()
                .and_then(prj::wkt_name)
                .unwrap_or_else(|| format!("EPSG:{code}"));
            (
                *code as i64,
                name,
                "EPSG".into(),
                *code as i64,
                wkt.unwrap_or_else(|| "undefined".into()),
                None,
            )
        }
        Some(Crs::Proj(p)) => (
            PROJ_STRING_SRS_ID,
            "PROJ string CRS".into(),
            PROJ_STRING_ORG.into(),
            PROJ_STRING_SRS_ID,
            "undefined".into(),
            Some(p.clone()),
        ),
        None => (
            -1,
            "Undefined cartesian SRS".into(),
            "NONE".into(),
            -1,
            "undefined".into(),
            None,
        ),
    }
}

fn fill_gpkg(conn: &mut Connection, layers: &[&Layer]) -> Result<(), WriteError> {
    conn.execute_batch(&format!(
        "PRAGMA application_id = {APPLICATION_ID}; PRAGMA user_version = {USER_VERSION}; PRAGMA journal_mode = OFF; PRAGMA synchronous = OFF;"
    ))?;
    let tx = conn.transaction()?;
    tx.execute_batch(
        "CREATE TABLE gpkg_spatial_ref_sys (
            srs_name TEXT NOT NULL, srs_id INTEGER PRIMARY KEY, organization TEXT NOT NULL,
            organization_coordsys_id INTEGER NOT NULL, definition TEXT NOT NULL, description TEXT);
         CREATE TABLE gpkg_contents (
            table_name TEXT NOT NULL PRIMARY KEY, data_type TEXT NOT NULL, identifier TEXT UNIQUE,
            description TEXT DEFAULT '',
            last_change DATETIME NOT NULL DEFAULT (strftime('%Y-%m-%dT%H:%M:%fZ','now')),
            min_x DOUBLE, min_y DOUBLE, max_x DOUBLE, max_y DOUBLE, srs_id INTEGER,
            CONSTRAINT fk_gc_r_srs_id FOREIGN KEY (srs_id) REFERENCES gpkg_spatial_ref_sys(srs_id));
         CREATE TABLE gpkg_geometry_columns (
            table_name TEXT NOT NULL, column_name TEXT NOT NULL, geometry_type_name TEXT NOT NULL,
            srs_id INTEGER NOT NULL, z TINYINT NOT NULL, m TINYINT NOT NULL,
            CONSTRAINT pk_geom_cols PRIMARY KEY (table_name, column_name),
            CONSTRAINT uk_gc_table_name UNIQUE (table_name),
            CONSTRAINT fk_gc_tn FOREIGN KEY (table_name) REFERENCES gpkg_contents(table_name),
            CONSTRAINT fk_gc_srs FOREIGN KEY (srs_id) REFERENCES gpkg_spatial_ref_sys (srs_id));
         CREATE TABLE gpkg_extensions (
            table_name TEXT, column_name TEXT, extension_name TEXT NOT NULL, definition TEXT NOT NULL,
            scope TEXT NOT NULL, CONSTRAINT ge_tce UNIQUE (table_name, column_name, extension_name));",
    )?;
    let insert_srs =
        |row: (i64, String, String, i64, String, Option<String>)| -> Result<(), WriteError> {
            tx.execute(
                "INSERT OR IGNORE INTO gpkg_spatial_ref_sys VALUES (?1, ?2, ?3, ?4, ?5, ?6)",
                params![row.1, row.0, row.2, row.3, row.4, row.5],
            )?;
            Ok(())
        };
    insert_srs((
        -1,
        "Undefined cartesian SRS".into(),
        "NONE".into(),
        -1,
        "undefined".into(),
        Some("undefined cartesian coordinate reference system".into()),
    ))?;
    insert_srs((
        0,
        "Undefined geographic SRS".into(),
        "NONE".into(),
        0,
        "undefined".into(),
        Some("undefined geographic coordinate reference system".into()),
    ))?;
    insert_srs(srs_row(&Some(Crs::Epsg(4326))))?;
    let mut seen = std::collections::HashSet::new();
    for layer in layers {
        let table = if layer.name.trim().is_empty() {
            "layer".to_string()
        } else {
            layer.name.clone()
        };
        if !seen.insert(table.to_ascii_lowercase()) {
            return Err(WriteError::Msg(format!(
                "two layers are both named \"{table}\"; GeoPackage tables need distinct names"
            )));
        }
        let srs = srs_row(&layer.crs);
        let srs_id = srs.0;
        insert_srs(srs)?;
        let gtype = layer.geometry_type().to_ascii_uppercase();
        let gtype = match gtype.as_str() {
            "NONE" => "GEOMETRY".to_string(),
            _ => gtype,
        };
        // Column names: avoid the two reserved names (case-insensitively, as SQLite does).
        let mut names: Vec<String> = Vec::new();
        for (n, _) in &layer.fields {
            let mut name = n.clone();
            let mut k = 1;
            while name.eq_ignore_ascii_case("fid")
                || name.eq_ignore_ascii_case("geom")
                || names.iter().any(|o| o.eq_ignore_ascii_case(&name))
            {
                name = format!("{n}_{k}");
                k += 1;
            }
            names.push(name);
        }
        let mut ddl = format!(
            "CREATE TABLE {} (fid INTEGER PRIMARY KEY AUTOINCREMENT NOT NULL, geom {gtype}",
            quote(&table)
        );
        for (name, (_, ty)) in names.iter().zip(&layer.fields) {
            let sql_ty = match ty {
                FieldType::Int => "INTEGER",
                FieldType::Real => "REAL",
                FieldType::Text => "TEXT",
                FieldType::Bool => "BOOLEAN",
            };
            ddl.push_str(&format!(", {} {sql_ty}", quote(name)));
        }
        ddl.push(')');
        tx.execute_batch(&ddl)?;
        let b = layer.bounds();
        tx.execute(
            "INSERT INTO gpkg_contents (table_name, data_type, identifier, description, min_x, min_y, max_x, max_y, srs_id) VALUES (?1, 'features', ?1, '', ?2, ?3, ?4, ?5, ?6)",
            params![table, b.map(|b| b.0), b.map(|b| b.1), b.map(|b| b.2), b.map(|b| b.3), srs_id],
        )?;
        tx.execute(
            "INSERT INTO gpkg_geometry_columns VALUES (?1, 'geom', ?2, ?3, 0, 0)",
            params![table, gtype, srs_id],
        )?;
        let placeholders: Vec<String> = (0..=layer.fields.len())
            .map(|i| format!("?{}", i + 1))
            .collect();
        let mut cols = vec!["geom".to_string()];
        cols.extend(names.iter().map(|n| quote(n)));
        let sql = format!(
            "INSERT INTO {} ({}) VALUES ({})",
            quote(&table),
            cols.join(", "),
            placeholders.join(", ")
        );
        let mut stmt = tx.prepare(&sql)?;
        let mut boxes = Vec::with_capacity(layer.features.len());
        for f in &layer.features {
            let mut values: Vec<rusqlite::types::Value> =
                Vec::with_capacity(layer.fields.len() + 1);
            values.push(match &f.geometry {
                Some(g) => rusqlite::types::Value::Blob(geometry_to_gpkg_blob(g, srs_id as i32)),
                None => rusqlite::types::Value::Null,
            });
            for i in 0..layer.fields.len() {
                values.push(match f.properties.get(i).unwrap_or(&FieldValue::Null) {
                    FieldValue::Null => rusqlite::types::Value::Null,
                    FieldValue::Int(v) => rusqlite::types::Value::Integer(*v),
                    FieldValue::Real(v) if v.is_nan() => rusqlite::types::Value::Null,
                    FieldValue::Real(v) => rusqlite::types::Value::Real(*v),
                    FieldValue::Text(s) => rusqlite::types::Value::Text(s.clone()),
                    FieldValue::Bool(b) => rusqlite::types::Value::Integer(*b as i64),
                });
            }
            stmt.execute(rusqlite::params_from_iter(values))?;
            if let Some(r) = f.geometry.as_ref().and_then(|g| g.bounding_rect()) {
                boxes.push((tx.last_insert_rowid(), r));
            }
        }
        drop(stmt);
        create_rtree(&tx, &table, &boxes)?;
    }
    tx.commit()?;
    Ok(())
}

/// The GeoPackage R-tree spatial index (extension `gpkg_rtree_index`) with the standard triggers
/// that keep it current when GDAL/QGIS later edit the table. SQLite stores the boxes as 32-bit
/// floats rounded outwards.
fn create_rtree(
    tx: &rusqlite::Transaction,
    table: &str,
    boxes: &[(i64, geo_types::Rect<f64>)],
) -> Result<(), WriteError> {
    let t = quote(table);
    let rt_name = format!("rtree_{table}_geom");
    let rt = quote(&rt_name);
    tx.execute_batch(&format!(
        "CREATE VIRTUAL TABLE {rt} USING rtree(id, minx, maxx, miny, maxy)"
    ))?;
    {
        let mut ins = tx.prepare(&format!("INSERT INTO {rt} VALUES (?1, ?2, ?3, ?4, ?5)"))?;
        for (id, r) in boxes {
            ins.execute(params![id, r.min().x, r.max().x, r.min().y, r.max().y])?;
        }
    }
    let tr = |suffix: &str| quote(&format!("{rt_name}_{suffix}"));
    let values = "VALUES (NEW.\"fid\", ST_MinX(NEW.\"geom\"), ST_MaxX(NEW.\"geom\"), ST_MinY(NEW.\"geom\"), ST_MaxY(NEW.\"geom\"))";
    tx.execute_batch(&format!(
        "CREATE TRIGGER {ins} AFTER INSERT ON {t} WHEN (new.\"geom\" NOT NULL AND NOT ST_IsEmpty(NEW.\"geom\"))
         BEGIN INSERT OR REPLACE INTO {rt} {values}; END;
         CREATE TRIGGER {u1} AFTER UPDATE OF \"geom\" ON {t} WHEN OLD.\"fid\" = NEW.\"fid\" AND (NEW.\"geom\" NOTNULL AND NOT ST_IsEmpty(NEW.\"geom\"))
         BEGIN INSERT OR REPLACE INTO {rt} {values}; END;
         CREATE TRIGGER {u2} AFTER UPDATE OF \"geom\" ON {t} WHEN OLD.\"fid\" = NEW.\"fid\" AND (NEW.\"geom\" ISNULL OR ST_IsEmpty(NEW.\"geom\"))
         BEGIN DELETE FROM {rt} WHERE id = OLD.\"fid\"; END;
         CREATE TRIGGER {u3} AFTER UPDATE ON {t} WHEN OLD.\"fid\" != NEW.\"fid\" AND (NEW.\"geom\" NOTNULL AND NOT ST_IsEmpty(NEW.\"geom\"))
         BEGIN DELETE FROM {rt} WHERE id = OLD.\"fid\"; INSERT OR REPLACE INTO {rt} {values}; END;
         CREATE TRIGGER {u4} AFTER UPDATE ON {t} WHEN OLD.\"fid\" != NEW.\"fid\" AND (NEW.\"geom\" ISNULL OR ST_IsEmpty(NEW.\"geom\"))
         BEGIN DELETE FROM {rt} WHERE id IN (OLD.\"fid\", NEW.\"fid\"); END;
         CREATE TRIGGER {del} AFTER DELETE ON {t} WHEN old.\"geom\" NOT NULL
         BEGIN DELETE FROM {rt} WHERE id = OLD.\"fid\"; END;",
        ins = tr("insert"),
        u1 = tr("update1"),
        u2 = tr("update2"),
        u3 = tr("update3"),
        u4 = tr("update4"),
        del = tr("delete"),
    ))?;
    tx.execute(
        "INSERT INTO gpkg_extensions VALUES (?1, 'geom', 'gpkg_rtree_index', 'http://www.geopackage.org/spec120/#extension_rtree', 'write-only')",
        [table],
    )?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use geo_types::{polygon, Point};
    #[test]
    fn blob_round_trip_and_empty() {
        let p: Geometry<f64> = polygon![(x: 0., y: 0.), (x: 2., y: 0.), (x: 2., y: 3.)].into();
        let b = geometry_to_gpkg_blob(&p, 4547);
        assert_eq!(&b[..4], &[b'G', b'P', 0, 3]);
        assert_eq!(geometry_from_gpkg_blob(&b).unwrap(), Some(p));
        let pt: Geometry<f64> = Point::new(1.0, 2.0).into();
        assert_eq!(
            geometry_from_gpkg_blob(&geometry_to_gpkg_blob(&pt, 4326)).unwrap(),
            Some(pt)
        );
        assert!(geometry_from_gpkg_blob(b"XX").is_err());
        assert!(geometry_from_gpkg_blob(&[b'G', b'P', 0, 0x3, 0, 0, 0, 0]).is_err());
    }
}
