//! `kind`-tagged enums of the scenario format: the generic reading is `models::tagged`; the variant
//! bodies here are read strictly (structs from objects only, see `json`).

use serde::de::DeserializeOwned;
use serde_json::{Map, Value};

pub(crate) use models::tagged::{Variant, split_kind, tagged};

/// Deserialises a variant body, prefixing errors with their path inside it.
pub(crate) fn body<T: DeserializeOwned>(map: Map<String, Value>) -> Result<T, String> {
    crate::json::from_value(Value::Object(map)).map_err(|(path, message)| format!("at `{path}`: {message}"))
}
