//! Deserialisation of `{"kind": ..., ...}` objects that keeps the path of an error inside the variant.
//!
//! serde's internally tagged enums buffer their content and lose the field path, so a wrong type deep in
//! `topology` would be reported at `topology`. Here the variant body is deserialised on its own through
//! `json::from_value` and its inner path travels as an "at `path`: " message prefix.

use serde::de::{DeserializeOwned, Error};

use crate::error::shorten;
use serde::{Deserialize, Deserializer};
use serde_json::{Map, Value};

/// One variant: its tag and how to build the enum from the remaining fields.
pub(crate) type Variant<T> = (&'static str, fn(Map<String, Value>) -> Result<T, String>);

pub(crate) fn tagged<'de, D: Deserializer<'de>, T>(d: D, variants: &[Variant<T>]) -> Result<T, D::Error> {
    let tags = || {
        let names: Vec<String> = variants.iter().map(|(t, _)| format!("\"{t}\"")).collect();
        format!("one of {}", names.join(", "))
    };
    let (kind, map) = split_kind(d, &tags)?;
    let Some((_, build)) = variants.iter().find(|(t, _)| *t == kind) else {
        return Err(D::Error::custom(format!("at `kind`: unknown kind \"{}\"; expected {}", shorten(&kind), tags())));
    };
    build(map).map_err(D::Error::custom)
}

/// Splits `{"kind": "...", rest}` into the kind and the rest; `expected` describes the allowed kinds.
pub(crate) fn split_kind<'de, D: Deserializer<'de>>(
    d: D,
    expected: &dyn Fn() -> String,
) -> Result<(String, Map<String, Value>), D::Error> {
    let value = Value::deserialize(d)?;
    let Value::Object(mut map) = value else {
        return Err(D::Error::custom(format!("expected an object with a \"kind\" field, got {}", kind_of(&value))));
    };
    // shift_remove keeps the other fields in their order (remove would swap the last one into place).
    match map.shift_remove("kind") {
        Some(Value::String(kind)) => Ok((kind, map)),
        Some(other) => Err(D::Error::custom(format!("at `kind`: expected a string, got {}", kind_of(&other)))),
        None => Err(D::Error::custom(format!("missing field `kind`; expected {}", expected()))),
    }
}

/// Deserialises a variant body, prefixing errors with their path inside it.
pub(crate) fn body<T: DeserializeOwned>(map: Map<String, Value>) -> Result<T, String> {
    crate::json::from_value(Value::Object(map)).map_err(|(path, message)| format!("at `{path}`: {message}"))
}

fn kind_of(v: &Value) -> &'static str {
    match v {
        Value::Null => "null",
        Value::Bool(_) => "a boolean",
        Value::Number(_) => "a number",
        Value::String(_) => "a string",
        Value::Array(_) => "an array",
        Value::Object(_) => "an object",
    }
}
