//! `--set PATH=VALUE`: overrides of any scenario field by its dotted path, applied to the JSON document
//! before it is checked, so that overridden values get exactly the same validation as written ones.

use serde_json::{Map, Value};

/// Splits `PATH=VALUE`; the value is JSON if it parses as JSON, otherwise a string. JSON with a key given
/// twice is an error, as in a file.
pub fn parse_assignment(text: &str) -> Result<(String, Value), String> {
    let (path, raw) = text.split_once('=').ok_or_else(|| format!("`{text}` is not of the form PATH=VALUE"))?;
    let path = path.trim();
    if path.is_empty() || path.split('.').any(str::is_empty) {
        return Err(format!("`{path}` is not a dotted field path such as topology.nodes"));
    }
    let value = match crate::json::parse(raw) {
        Ok(value) => value,
        Err(e) if e.duplicate_key => return Err(format!("`{path}`: at `{}`: {}", e.path, e.message)),
        Err(_) => Value::String(raw.to_owned()),
    };
    Ok((path.to_owned(), value))
}

/// Most fields a dotted path may name: scenarios nest a few levels deep, and JSON text is read at most 128
/// deep anyway.
const MAX_SEGMENTS: usize = 100;

/// Sets `path` (dotted; numeric segments index arrays) in `doc`, creating objects on the way.
pub fn set_path(doc: &mut Value, path: &str, value: Value) -> Result<(), String> {
    let mut cur = doc;
    let segments: Vec<&str> = path.split('.').collect();
    if segments.len() > MAX_SEGMENTS {
        return Err(format!("a dotted path names at most {MAX_SEGMENTS} fields, this one {}", segments.len()));
    }
    for (i, seg) in segments.iter().enumerate() {
        let last = i + 1 == segments.len();
        let here = || segments[..=i].join(".");
        cur = match cur {
            Value::Object(map) => {
                if last {
                    map.insert((*seg).to_owned(), value);
                    return Ok(());
                }
                map.entry(*seg).or_insert_with(|| Value::Object(Map::new()))
            }
            Value::Array(items) => {
                let idx: usize = seg.parse().map_err(|_| format!("`{}`: an array needs a numeric index", here()))?;
                let len = items.len();
                let slot = items
                    .get_mut(idx)
                    .ok_or_else(|| format!("`{}`: index {idx} out of range (length {len})", here()))?;
                if last {
                    *slot = value;
                    return Ok(());
                }
                slot
            }
            _ => return Err(format!("`{}`: cannot set a field inside a {}", here(), scalar_name(cur))),
        };
    }
    unreachable!("the loop returns at the last segment")
}

fn scalar_name(v: &Value) -> &'static str {
    match v {
        Value::String(_) => "string",
        Value::Number(_) => "number",
        Value::Bool(_) => "boolean",
        _ => "null",
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn sets_nested_fields_and_parses_values() {
        let mut doc = json!({"topology": {"kind": "ring", "nodes": 10}, "xs": [1, 2]});
        let (p, v) = parse_assignment("topology.nodes=1000").unwrap();
        set_path(&mut doc, &p, v).unwrap();
        let (p, v) = parse_assignment("model.kind=flooding").unwrap();
        set_path(&mut doc, &p, v).unwrap();
        set_path(&mut doc, "xs.1", json!(5)).unwrap();
        assert_eq!(
            doc,
            json!({"topology": {"kind": "ring", "nodes": 1000}, "xs": [1, 5], "model": {"kind": "flooding"}})
        );
    }

    #[test]
    fn rejects_bad_paths() {
        assert!(parse_assignment("nodes").is_err());
        assert!(parse_assignment("a..b=1").is_err());
        let mut doc = json!({"seed": 1});
        assert!(set_path(&mut doc, "seed.x", json!(1)).is_err());
        assert!(parse_assignment(r#"topology={"kind": "ring", "kind": "grid"}"#).unwrap_err().contains("twice"));
        // Text that is not JSON, even where it breaks off inside a value, is a string.
        assert_eq!(parse_assignment("name=[1, x").unwrap(), ("name".to_owned(), json!("[1, x")));
        // A million fields used to take quadratic time (the path so far was rebuilt at every field).
        let deep = vec!["a"; 1_000_000].join(".");
        assert!(set_path(&mut doc, &deep, json!(1)).unwrap_err().contains("at most 100 fields"));
    }
}
