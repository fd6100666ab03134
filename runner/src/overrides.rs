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
        Err(e) if !e.path.is_empty() => return Err(format!("`{path}`: at `{}`: {}", e.path, e.message)),
        Err(_) => Value::String(raw.to_owned()),
    };
    Ok((path.to_owned(), value))
}

/// Sets `path` (dotted; numeric segments index arrays) in `doc`, creating objects on the way.
pub fn set_path(doc: &mut Value, path: &str, value: Value) -> Result<(), String> {
    let mut cur = doc;
    let segments: Vec<&str> = path.split('.').collect();
    for (i, seg) in segments.iter().enumerate() {
        let last = i + 1 == segments.len();
        let here = segments[..=i].join(".");
        cur = match cur {
            Value::Object(map) => {
                if last {
                    map.insert((*seg).to_owned(), value);
                    return Ok(());
                }
                map.entry(*seg).or_insert_with(|| Value::Object(Map::new()))
            }
            Value::Array(items) => {
                let idx: usize = seg.parse().map_err(|_| format!("`{here}`: an array needs a numeric index"))?;
                let len = items.len();
                let slot =
                    items.get_mut(idx).ok_or_else(|| format!("`{here}`: index {idx} out of range (length {len})"))?;
                if last {
                    *slot = value;
                    return Ok(());
                }
                slot
            }
            _ => return Err(format!("`{here}`: cannot set a field inside a {}", scalar_name(cur))),
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
    }
}
