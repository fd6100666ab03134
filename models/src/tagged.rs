//! Deserialisation of `{"kind": ..., ...}` objects that keeps the path of an error inside the variant.
//!
//! serde's internally tagged enums buffer their content and lose the field path, so an unknown or mistyped
//! field inside `{"kind": "periodic", ...}` would be reported at the enum, and a unit variant would accept
//! any other field. Here the variant body is deserialised on its own (by the variant's builder, e.g.
//! [`body`]) and its inner path travels as an "at `path`: " message prefix, which the scenario loader
//! folds back into the dotted field path.

use serde::de::{DeserializeOwned, Error};
use serde::{Deserialize, Deserializer};
use serde_json::{Map, Value};

/// One variant: its tag and how to build the enum from the fields other than `kind`.
pub type Variant<T> = (&'static str, fn(Map<String, Value>) -> Result<T, String>);

/// Reads `{"kind": tag, fields…}` as the variant of `variants` with that tag.
pub fn tagged<'de, D: Deserializer<'de>, T>(d: D, variants: &[Variant<T>]) -> Result<T, D::Error> {
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
pub fn split_kind<'de, D: Deserializer<'de>>(
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

/// Deserialises a variant body, prefixing errors with their path inside it (`.` for the body itself).
pub fn body<T: DeserializeOwned>(map: Map<String, Value>) -> Result<T, String> {
    serde_path_to_error::deserialize(Value::Object(map)).map_err(|e| format!("at `{}`: {}", e.path(), e.inner()))
}

/// The body of a variant without fields: anything but `kind` is refused, by name.
pub fn no_fields(map: Map<String, Value>) -> Result<(), String> {
    match map.keys().next() {
        None => Ok(()),
        Some(key) => Err(format!("at `{}`: unknown field; this kind has no fields besides `kind`", shorten(key))),
    }
}

/// A user's string as an error message quotes it: at most 60 characters, so that a huge value does not
/// make a huge message.
pub fn shorten(text: &str) -> String {
    const MAX: usize = 60;
    match text.char_indices().nth(MAX) {
        Some((cut, _)) => format!("{}…", &text[..cut]),
        None => text.to_owned(),
    }
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
