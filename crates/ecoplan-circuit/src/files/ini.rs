//! The `.ini` dialect of Circuitscape and Omniscape: `key = value` lines, `[section]` headers
//! ignored, `#`/`;` comments, the last occurrence of a key wins.

use std::collections::BTreeMap;

/// Parsed key/value pairs (keys lower-cased and trimmed).
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Ini {
    pub values: BTreeMap<String, String>,
    /// 1-based line of each key's last occurrence, for messages.
    pub lines: BTreeMap<String, usize>,
}

impl Ini {
    pub fn parse(text: &str) -> Ini {
        let mut ini = Ini::default();
        for (n, line) in text.lines().enumerate() {
            let t = line.trim();
            if t.is_empty() || t.starts_with('[') || t.starts_with('#') || t.starts_with(';') {
                continue;
            }
            let Some(eq) = t.find('=') else { continue };
            let key = t[..eq].trim().to_ascii_lowercase();
            if key.is_empty() {
                continue;
            }
            let val = t[eq + 1..].trim().to_string();
            ini.values.insert(key.clone(), val);
            ini.lines.insert(key, n + 1);
        }
        ini
    }

    pub fn get(&self, key: &str) -> Option<&str> {
        self.values.get(key).map(String::as_str)
    }

    /// A boolean (`true/false`, `yes/no`, `1/0`, any case); `default` when absent; a problem
    /// message when unreadable.
    pub fn bool(&self, key: &str, default: bool, problems: &mut Vec<String>) -> bool {
        match self.get(key) {
            None => default,
            Some(v) => match v.to_ascii_lowercase().as_str() {
                "true" | "yes" | "1" | "t" => true,
                "false" | "no" | "0" | "f" | "" => false,
                _ => {
                    problems.push(format!(
                        "{key} = {v}: expected True or False{}",
                        self.at(key)
                    ));
                    default
                }
            },
        }
    }

    /// A number; `default` when absent.
    pub fn num(&self, key: &str, default: f64, problems: &mut Vec<String>) -> f64 {
        match self.get(key) {
            None => default,
            Some(v) => match v.parse::<f64>() {
                Ok(x) => x,
                Err(_) if v.eq_ignore_ascii_case("inf") => f64::INFINITY,
                Err(_) => {
                    problems.push(format!("{key} = {v}: not a number{}", self.at(key)));
                    default
                }
            },
        }
    }

    /// A file entry: `None` when absent or a placeholder (`None`, `(Browse for …)`).
    pub fn file(&self, key: &str) -> Option<&str> {
        self.get(key).filter(|v| {
            let l = v.to_ascii_lowercase();
            !(l.is_empty() || l == "none" || l.starts_with('(') || l == "false")
        })
    }

    /// " (line N)" for messages.
    pub fn at(&self, key: &str) -> String {
        self.lines
            .get(key)
            .map(|n| format!(" (line {n})"))
            .unwrap_or_default()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    #[test]
    fn last_value_wins_and_placeholders_are_none() {
        let ini = Ini::parse(
            "[Options]\nsolver = cg+amg\n# note\nSolver = cholmod\npoint_file = (Browse for file)\nx=1\nflag = maybe\n",
        );
        assert_eq!(ini.get("solver"), Some("cholmod"));
        assert_eq!(ini.file("point_file"), None);
        let mut p = Vec::new();
        assert_eq!(ini.num("x", 0.0, &mut p), 1.0);
        assert!(!ini.bool("flag", false, &mut p));
        assert_eq!(p.len(), 1);
        assert!(p[0].contains("line 7"), "{p:?}");
    }
}
