//! Place names and where they are, to catch text copied from another region's plan.
//!
//! A small editable table (CSV: `name,kind,paths,aliases,confusable_with,note`); `paths` are
//! admin paths like `山西省/大同市/云冈区`, several separated by `;` for rivers crossing units.
//! The built-in table covers the provinces of the reference plans (山西 大同/长治/朔州, 新疆
//! 吐鲁番 and its neighbours) and is not a full gazetteer: extend it with `Gazetteer::from_csv`.

use crate::format::PlanError;

/// One named place.
#[derive(Debug, Clone, PartialEq)]
pub struct Place {
    pub name: String,
    /// 省 / 市 / 州 / 县 / 区 / 河 / 湖 / 山 …
    pub kind: String,
    /// Admin paths (top first). For an admin unit the last element is the unit itself.
    pub paths: Vec<Vec<String>>,
    pub aliases: Vec<String>,
    /// A similarly named place the name is often confused with (艾比湖 ↔ 艾丁湖).
    pub confusable_with: String,
    pub note: String,
}

impl Place {
    pub fn is_admin(&self) -> bool {
        matches!(
            self.kind.as_str(),
            "省" | "市" | "州" | "县" | "区" | "旗" | "盟"
        )
    }
}

/// A list of places.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Gazetteer {
    pub places: Vec<Place>,
}

const BUILTIN: &str = include_str!("../data/gazetteer.csv");

impl Gazetteer {
    /// The built-in table.
    pub fn builtin() -> Gazetteer {
        Gazetteer::from_csv(BUILTIN.as_bytes()).expect("built-in gazetteer parses")
    }

    /// Reads a gazetteer CSV.
    pub fn from_csv(bytes: &[u8]) -> Result<Gazetteer, PlanError> {
        let err = |m: String| PlanError::Csv {
            file: "gazetteer".into(),
            message: m,
        };
        let text = std::str::from_utf8(bytes).map_err(|_| err("not UTF-8".into()))?;
        let text = text.strip_prefix('\u{feff}').unwrap_or(text);
        let mut r = csv::ReaderBuilder::new()
            .flexible(true)
            .from_reader(text.as_bytes());
        let headers = r.headers().map_err(|e| err(e.to_string()))?.clone();
        let col = |name: &str| headers.iter().position(|h| h.trim() == name);
        let (Some(cn), Some(ck), Some(cp)) = (col("name"), col("kind"), col("paths")) else {
            return Err(err("需要列 needs columns name, kind, paths".into()));
        };
        let (ca, cc, cnote) = (col("aliases"), col("confusable_with"), col("note"));
        let mut places = Vec::new();
        for (i, rec) in r.records().enumerate() {
            let rec = rec.map_err(|e| err(e.to_string()))?;
            let get =
                |c: Option<usize>| c.and_then(|c| rec.get(c)).unwrap_or("").trim().to_string();
            let name = get(Some(cn));
            if name.is_empty() {
                return Err(err(format!(
                    "第{}行 row {}: name 为空 is empty",
                    i + 2,
                    i + 2
                )));
            }
            let paths = get(Some(cp))
                .split(';')
                .filter(|p| !p.trim().is_empty())
                .map(|p| p.split('/').map(|s| s.trim().to_string()).collect())
                .collect();
            places.push(Place {
                name,
                kind: get(Some(ck)),
                paths,
                aliases: get(ca)
                    .split('、')
                    .filter(|s| !s.is_empty())
                    .map(str::to_string)
                    .collect(),
                confusable_with: get(cc),
                note: get(cnote),
            });
        }
        Ok(Gazetteer { places })
    }

    pub fn get(&self, name: &str) -> Option<&Place> {
        self.places
            .iter()
            .find(|p| p.name == name || p.aliases.iter().any(|a| a == name))
    }

    /// Places named in `text` (full names and aliases; a name inside a longer matched name is
    /// skipped, so 木垒哈萨克自治县 does not also count as 木垒县).
    pub fn mentions<'a>(&'a self, text: &str) -> Vec<(&'a Place, String)> {
        let mut found: Vec<(&Place, String, usize, usize)> = Vec::new();
        for p in &self.places {
            for n in std::iter::once(&p.name).chain(p.aliases.iter()) {
                if n.chars().count() < 2 {
                    continue;
                }
                for (pos, _) in text.match_indices(n.as_str()) {
                    found.push((p, n.clone(), pos, pos + n.len()));
                }
            }
        }
        let mut out: Vec<(&Place, String)> = Vec::new();
        for (i, (p, n, s, e)) in found.iter().enumerate() {
            let inside_longer = found
                .iter()
                .enumerate()
                .any(|(j, (_, _, s2, e2))| j != i && s2 <= s && e <= e2 && (e2 - s2) > (e - s));
            if !inside_longer && !out.iter().any(|(q, _)| q.name == p.name) {
                out.push((p, n.clone()));
            }
        }
        out
    }
}
