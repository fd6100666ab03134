//! Strict JSON for the files users write (scenarios, sweeps, `--set` values).
//!
//! serde_json keeps the last of two equal keys, so a second `"topology"` silently replaces the first; and a
//! struct derived with serde also reads an array of its fields in order, so `"network": []` would pass as
//! the defaults although the schema says object. [`parse`] reads text into a [`Value`], refusing duplicate
//! keys by their path; [`from_value`] deserialises a `Value`, reading structs from objects only, at any
//! depth. Both name the offending path as serde_path_to_error does (`topology.edges[2]`).

use serde::de::{
    self, DeserializeOwned, DeserializeSeed, Deserializer, EnumAccess, Error as _, MapAccess, SeqAccess, Unexpected,
    VariantAccess, Visitor,
};
use serde_json::{Map, Value};

/// Why a document cannot be read: `path` is the dotted path of the value being read when the error arose
/// (empty at the top level; a syntax error's message also says the line and column).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct JsonError {
    pub path: String,
    pub message: String,
    /// The text is JSON up to a key given twice in one object (otherwise it is not JSON at all).
    pub duplicate_key: bool,
}

/// Where reading failed: the path of the innermost value being read, and whether a key came twice.
type Failure = std::cell::RefCell<Option<(String, bool)>>;

/// Reads JSON text, refusing a key that appears twice in one object. A leading UTF-8 byte-order mark, which
/// some editors write, is skipped.
pub fn parse(text: &str) -> Result<Value, JsonError> {
    let text = text.strip_prefix('\u{feff}').unwrap_or(text);
    if text.trim().is_empty() {
        let message = "the text is empty; expected a JSON object".into();
        return Err(JsonError { path: String::new(), message, duplicate_key: false });
    }
    let failure = Failure::new(None);
    let mut de = serde_json::Deserializer::from_str(text);
    let value = ValueSeed { at: &At::Root, failure: &failure }.deserialize(&mut de).and_then(|v| de.end().map(|()| v));
    value.map_err(|e| {
        let (path, duplicate_key) = failure.take().unwrap_or_default();
        JsonError { path, message: e.to_string(), duplicate_key }
    })
}

/// Deserialises `T` from `value` as serde_json would, except that a struct must be an object. Errors:
/// (dotted path, message), the path `.` for the value itself.
pub fn from_value<T: DeserializeOwned>(value: Value) -> Result<T, (String, String)> {
    serde_path_to_error::deserialize(Strict(value))
        .map_err(|e| (e.path().to_string(), plain(&e.into_inner().to_string())))
}

/// The JSON values in `v`, itself included, counted without recursion (a document may nest deeper than the
/// stack).
pub fn count_values(v: &Value) -> u64 {
    let mut stack = vec![v];
    let mut count = 0;
    while let Some(v) = stack.pop() {
        count += 1;
        match v {
            Value::Array(items) => stack.extend(items),
            Value::Object(map) => stack.extend(map.values()),
            _ => {}
        }
    }
    count
}

/// The dotted path of the array in `v` that holds most of its values: from the top, the member holding
/// the most, until an array or a scalar (`.` for `v` itself).
pub fn bulkiest(v: &Value) -> String {
    let mut path = String::new();
    let mut at = v;
    while let Value::Object(map) = at {
        let Some((key, child)) = map.iter().max_by_key(|(_, child)| count_values(child)) else { break };
        path = if path.is_empty() { key.clone() } else { format!("{path}.{key}") };
        at = child;
    }
    if path.is_empty() { ".".into() } else { path }
}

/// serde names the expected Rust type (`expected u32`); a user reads the allowed range.
fn plain(message: &str) -> String {
    const TYPES: [(&str, &str); 6] = [
        ("expected u8", "expected an integer from 0 to 255"),
        ("expected u16", "expected an integer from 0 to 65535"),
        ("expected u32", "expected an integer from 0 to 4294967295"),
        ("expected u64", "expected an integer from 0 to 18446744073709551615"),
        ("expected usize", "expected an integer from 0 to 18446744073709551615"),
        ("expected f64", "expected a number"),
    ];
    TYPES
        .iter()
        .find_map(|(rust, words)| message.strip_suffix(rust).map(|head| format!("{head}{words}")))
        .unwrap_or_else(|| message.to_owned())
}

/// Where a value sits in the document being read: a linked list up to the root, turned into text only when
/// an error needs it.
enum At<'a> {
    Root,
    Key(&'a At<'a>, &'a str),
    Index(&'a At<'a>, usize),
}

impl At<'_> {
    fn path(&self) -> String {
        match self {
            At::Root => String::new(),
            At::Key(parent, key) => match parent.path() {
                p if p.is_empty() => (*key).to_owned(),
                p => format!("{p}.{key}"),
            },
            At::Index(parent, i) => format!("{}[{i}]", parent.path()),
        }
    }
}

/// Builds a `Value` like serde_json's own, recording in `failure` where an error arose (the innermost value,
/// which records first as the error travels out).
#[derive(Clone, Copy)]
struct ValueSeed<'a> {
    at: &'a At<'a>,
    failure: &'a Failure,
}

impl ValueSeed<'_> {
    /// Records `at` as where reading failed, unless a value inside it already was.
    fn failed<E>(&self, at: &At, duplicate: bool, error: E) -> E {
        let mut failure = self.failure.borrow_mut();
        if failure.is_none() {
            *failure = Some((at.path(), duplicate));
        }
        error
    }
}

impl<'de> DeserializeSeed<'de> for ValueSeed<'_> {
    type Value = Value;

    fn deserialize<D: Deserializer<'de>>(self, d: D) -> Result<Value, D::Error> {
        d.deserialize_any(self)
    }
}

impl<'de> Visitor<'de> for ValueSeed<'_> {
    type Value = Value;

    fn expecting(&self, f: &mut std::fmt::Formatter) -> std::fmt::Result {
        f.write_str("any JSON value")
    }

    fn visit_bool<E>(self, v: bool) -> Result<Value, E> {
        Ok(Value::Bool(v))
    }

    fn visit_i64<E>(self, v: i64) -> Result<Value, E> {
        Ok(Value::from(v))
    }

    fn visit_u64<E>(self, v: u64) -> Result<Value, E> {
        Ok(Value::from(v))
    }

    fn visit_f64<E>(self, v: f64) -> Result<Value, E> {
        Ok(Value::from(v))
    }

    fn visit_str<E>(self, v: &str) -> Result<Value, E> {
        Ok(Value::String(v.to_owned()))
    }

    fn visit_string<E>(self, v: String) -> Result<Value, E> {
        Ok(Value::String(v))
    }

    fn visit_unit<E>(self) -> Result<Value, E> {
        Ok(Value::Null)
    }

    fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<Value, A::Error> {
        let mut items = Vec::new();
        loop {
            let at = At::Index(self.at, items.len());
            match seq.next_element_seed(ValueSeed { at: &at, ..self }) {
                Ok(Some(item)) => items.push(item),
                Ok(None) => return Ok(Value::Array(items)),
                Err(e) => return Err(self.failed(&at, false, e)),
            }
        }
    }

    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Value, A::Error> {
        let mut object = Map::new();
        while let Some(key) = map.next_key::<String>().map_err(|e| self.failed(self.at, false, e))? {
            let at = At::Key(self.at, &key);
            if object.contains_key(&key) {
                let message = format!(
                    "the key \"{}\" appears twice in one object; give each field once",
                    crate::error::shorten(&key)
                );
                return Err(self.failed(&at, true, A::Error::custom(message)));
            }
            let value = map.next_value_seed(ValueSeed { at: &at, ..self }).map_err(|e| self.failed(&at, false, e))?;
            object.insert(key, value);
        }
        Ok(Value::Object(object))
    }
}

/// A `Value` read as serde_json reads it, except that structs come from objects only, at every depth.
struct Strict(Value);

fn unexpected(v: &Value) -> Unexpected<'_> {
    match v {
        Value::Null => Unexpected::Unit,
        Value::Bool(b) => Unexpected::Bool(*b),
        Value::Number(n) => match (n.as_u64(), n.as_i64()) {
            (Some(u), _) => Unexpected::Unsigned(u),
            (None, Some(i)) => Unexpected::Signed(i),
            _ => Unexpected::Float(n.as_f64().unwrap_or(f64::NAN)),
        },
        Value::String(s) => Unexpected::Str(s),
        Value::Array(_) => Unexpected::Seq,
        Value::Object(_) => Unexpected::Map,
    }
}

fn visit_array<'de, V: Visitor<'de>>(items: Vec<Value>, visitor: V) -> Result<V::Value, serde_json::Error> {
    let len = items.len();
    let mut seq = StrictSeq(items.into_iter());
    let value = visitor.visit_seq(&mut seq)?;
    match seq.0.len() {
        0 => Ok(value),
        _ => Err(serde_json::Error::invalid_length(len, &"an array with fewer elements")),
    }
}

fn visit_object<'de, V: Visitor<'de>>(object: Map<String, Value>, visitor: V) -> Result<V::Value, serde_json::Error> {
    let len = object.len();
    let mut map = StrictMap { entries: object.into_iter(), value: None };
    let value = visitor.visit_map(&mut map)?;
    match map.entries.len() {
        0 => Ok(value),
        _ => Err(serde_json::Error::invalid_length(len, &"an object with fewer fields")),
    }
}

/// Scalars are read by `Value` itself; everything that can hold further values is read here.
macro_rules! scalars {
    ($($method:ident),*) => {
        $(fn $method<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, serde_json::Error> {
            self.0.$method(visitor)
        })*
    };
}

impl<'de> Deserializer<'de> for Strict {
    type Error = serde_json::Error;

    scalars!(
        deserialize_bool,
        deserialize_i8,
        deserialize_i16,
        deserialize_i32,
        deserialize_i64,
        deserialize_i128,
        deserialize_u8,
        deserialize_u16,
        deserialize_u32,
        deserialize_u64,
        deserialize_u128,
        deserialize_f32,
        deserialize_f64,
        deserialize_char,
        deserialize_str,
        deserialize_string,
        deserialize_bytes,
        deserialize_byte_buf,
        deserialize_unit,
        deserialize_identifier
    );

    fn deserialize_any<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, Self::Error> {
        match self.0 {
            Value::Array(items) => visit_array(items, visitor),
            Value::Object(object) => visit_object(object, visitor),
            scalar => scalar.deserialize_any(visitor),
        }
    }

    fn deserialize_option<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, Self::Error> {
        match self.0 {
            Value::Null => visitor.visit_none(),
            _ => visitor.visit_some(self),
        }
    }

    fn deserialize_unit_struct<V: Visitor<'de>>(self, _: &'static str, visitor: V) -> Result<V::Value, Self::Error> {
        self.0.deserialize_unit(visitor)
    }

    fn deserialize_newtype_struct<V: Visitor<'de>>(self, _: &'static str, visitor: V) -> Result<V::Value, Self::Error> {
        visitor.visit_newtype_struct(self)
    }

    fn deserialize_seq<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, Self::Error> {
        match self.0 {
            Value::Array(items) => visit_array(items, visitor),
            other => Err(serde_json::Error::invalid_type(unexpected(&other), &visitor)),
        }
    }

    fn deserialize_tuple<V: Visitor<'de>>(self, _: usize, visitor: V) -> Result<V::Value, Self::Error> {
        self.deserialize_seq(visitor)
    }

    fn deserialize_tuple_struct<V: Visitor<'de>>(
        self,
        _: &'static str,
        _: usize,
        visitor: V,
    ) -> Result<V::Value, Self::Error> {
        self.deserialize_seq(visitor)
    }

    fn deserialize_map<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, Self::Error> {
        match self.0 {
            Value::Object(object) => visit_object(object, visitor),
            other => Err(serde_json::Error::invalid_type(unexpected(&other), &visitor)),
        }
    }

    /// The point of this deserialiser: serde's derived structs would also take an array.
    fn deserialize_struct<V: Visitor<'de>>(
        self,
        _: &'static str,
        _: &'static [&'static str],
        visitor: V,
    ) -> Result<V::Value, Self::Error> {
        match self.0 {
            Value::Object(object) => visit_object(object, visitor),
            other => Err(serde_json::Error::invalid_type(unexpected(&other), &"an object")),
        }
    }

    fn deserialize_enum<V: Visitor<'de>>(
        self,
        name: &'static str,
        variants: &'static [&'static str],
        visitor: V,
    ) -> Result<V::Value, Self::Error> {
        match self.0 {
            Value::Object(object) if object.len() == 1 => {
                let (variant, value) = object.into_iter().next().expect("one entry");
                visitor.visit_enum(StrictEnum { variant, value })
            }
            // `Value` says only "expected map with a single key"; the user needs the keys allowed.
            Value::Object(object) => {
                let names = |keys: &mut dyn Iterator<Item = &str>| {
                    keys.map(|k| format!("`{}`", crate::error::shorten(k))).take(10).collect::<Vec<_>>().join(", ")
                };
                let got = match object.len() {
                    0 => "an empty object".to_owned(),
                    n => format!("an object with {n} keys: {}", names(&mut object.keys().map(String::as_str))),
                };
                Err(serde_json::Error::custom(format!(
                    "expected one of {} as a string, or an object with one of them as its only key; got {got}",
                    names(&mut variants.iter().copied())
                )))
            }
            // A string is a unit variant, read by `Value`; anything else is an error `Value` words well.
            other => other.deserialize_enum(name, variants, visitor),
        }
    }

    fn deserialize_ignored_any<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, Self::Error> {
        visitor.visit_unit()
    }
}

struct StrictSeq(std::vec::IntoIter<Value>);

impl<'de> SeqAccess<'de> for StrictSeq {
    type Error = serde_json::Error;

    fn next_element_seed<T: DeserializeSeed<'de>>(&mut self, seed: T) -> Result<Option<T::Value>, Self::Error> {
        self.0.next().map(|v| seed.deserialize(Strict(v))).transpose()
    }

    fn size_hint(&self) -> Option<usize> {
        Some(self.0.len())
    }
}

struct StrictMap {
    entries: serde_json::map::IntoIter,
    value: Option<Value>,
}

impl<'de> MapAccess<'de> for StrictMap {
    type Error = serde_json::Error;

    fn next_key_seed<K: DeserializeSeed<'de>>(&mut self, seed: K) -> Result<Option<K::Value>, Self::Error> {
        let Some((key, value)) = self.entries.next() else { return Ok(None) };
        self.value = Some(value);
        seed.deserialize(Value::String(key)).map(Some)
    }

    fn next_value_seed<V: DeserializeSeed<'de>>(&mut self, seed: V) -> Result<V::Value, Self::Error> {
        let value = self.value.take().ok_or_else(|| serde_json::Error::custom("a value without its key"))?;
        seed.deserialize(Strict(value))
    }

    fn size_hint(&self) -> Option<usize> {
        Some(self.entries.len())
    }
}

struct StrictEnum {
    variant: String,
    value: Value,
}

impl<'de> EnumAccess<'de> for StrictEnum {
    type Error = serde_json::Error;
    type Variant = Strict;

    fn variant_seed<V: DeserializeSeed<'de>>(self, seed: V) -> Result<(V::Value, Strict), Self::Error> {
        Ok((seed.deserialize(Value::String(self.variant))?, Strict(self.value)))
    }
}

impl<'de> VariantAccess<'de> for Strict {
    type Error = serde_json::Error;

    fn unit_variant(self) -> Result<(), Self::Error> {
        de::Deserialize::deserialize(self.0)
    }

    fn newtype_variant_seed<T: DeserializeSeed<'de>>(self, seed: T) -> Result<T::Value, Self::Error> {
        seed.deserialize(self)
    }

    fn tuple_variant<V: Visitor<'de>>(self, _: usize, visitor: V) -> Result<V::Value, Self::Error> {
        self.deserialize_seq(visitor)
    }

    fn struct_variant<V: Visitor<'de>>(
        self,
        fields: &'static [&'static str],
        visitor: V,
    ) -> Result<V::Value, Self::Error> {
        self.deserialize_struct("", fields, visitor)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde::Deserialize;
    use serde_json::json;

    #[derive(Debug, Deserialize, PartialEq)]
    #[serde(deny_unknown_fields)]
    struct Inner {
        a: u32,
        #[serde(default)]
        b: Vec<u32>,
    }

    #[derive(Debug, Deserialize, PartialEq)]
    struct Outer {
        inner: Inner,
        #[serde(default)]
        more: Option<Vec<Inner>>,
    }

    #[test]
    fn duplicate_keys_are_refused_by_path() {
        let e = parse(r#"{"topology": {"kind": "ring"}, "topology": {"kind": "complete"}}"#).unwrap_err();
        assert_eq!(e.path, "topology");
        assert!(e.message.contains("appears twice") && e.message.contains("line 1"), "{e:?}");
        let e = parse(r#"{"a": [{"x": 1}, {"x": 1, "y": {"z": 2, "z": 3}}]}"#).unwrap_err();
        assert_eq!(e.path, "a[1].y.z");
        assert_eq!(parse(r#"{"a": {"x": 1}, "b": {"x": 1}}"#).unwrap(), json!({"a": {"x": 1}, "b": {"x": 1}}));
    }

    #[test]
    fn syntax_errors_name_the_value_being_read() {
        for (text, path) in [
            (r#"{"topology": {"kind": "ring", "nodes": 1e400}}"#, "topology.nodes"),
            (r#"{"topology": {"kind": "ri"#, "topology.kind"),
            (r#"{"a": [1, 2, tru]}"#, "a[2]"),
            (r#"{"a": {"b": 1,}}"#, "a"),
            ("[1, 2", "[2]"),
            ("{1: 2}", ""),
        ] {
            let e = parse(text).unwrap_err();
            assert_eq!((e.path.as_str(), e.duplicate_key), (path, false), "{text}: {e:?}");
            assert!(e.message.contains("line 1"), "{e:?}");
        }
        let deep = format!(r#"{{"a": {}{}}}"#, "[".repeat(1000), "]".repeat(1000));
        let e = parse(&deep).unwrap_err();
        assert!(e.message.contains("recursion limit") && e.path.starts_with("a[0][0]"), "{e:?}");
        assert!(parse(r#"{"a": {"b": 1, "b": 2}}"#).unwrap_err().duplicate_key);
    }

    #[test]
    fn byte_order_marks_and_empty_text() {
        assert_eq!(parse("\u{feff}{\"a\": 1}").unwrap(), json!({"a": 1}));
        assert!(parse(" \n").unwrap_err().message.contains("empty"));
        assert!(parse("{} {}").unwrap_err().message.contains("trailing"));
    }

    #[test]
    fn structs_are_read_from_objects_only() {
        let ok: Outer = from_value(json!({"inner": {"a": 1, "b": [2]}, "more": [{"a": 3}]})).unwrap();
        assert_eq!(ok.more.unwrap()[0], Inner { a: 3, b: vec![] });
        let (path, message) = from_value::<Outer>(json!([{"a": 1}])).unwrap_err();
        assert_eq!(path, ".");
        assert!(message.contains("expected an object"), "{message}");
        let (path, _) = from_value::<Outer>(json!({"inner": [1, []]})).unwrap_err();
        assert_eq!(path, "inner");
        let (path, _) = from_value::<Outer>(json!({"inner": {"a": 1}, "more": [{"a": 1}, [2]]})).unwrap_err();
        assert_eq!(path, "more[1]");
    }

    #[derive(Debug, Deserialize, PartialEq)]
    #[serde(rename_all = "snake_case")]
    enum Members {
        All,
        Count(u32),
    }

    #[test]
    fn enums_name_their_variants() {
        assert_eq!(from_value::<Members>(json!({"count": 3})).unwrap(), Members::Count(3));
        assert_eq!(from_value::<Members>(json!("all")).unwrap(), Members::All);
        for (value, got) in [
            (json!({"count": 3, "extra": 1}), "got an object with 2 keys: `count`, `extra`"),
            (json!({}), "got an empty object"),
        ] {
            let (path, message) = from_value::<Members>(value).unwrap_err();
            assert_eq!(path, ".");
            assert!(message.contains("expected one of `all`, `count`") && message.ends_with(got), "{message}");
        }
    }

    #[test]
    fn values_are_counted_and_the_bulkiest_member_found() {
        let doc = serde_json::json!({"a": [1, {"b": null}], "c": {"d": [1, 2, 3, 4]}});
        assert_eq!(count_values(&doc), 11);
        assert_eq!(bulkiest(&doc), "c.d");
        assert_eq!(bulkiest(&serde_json::json!([1, 2])), ".");
    }

    #[test]
    fn messages_say_the_allowed_range() {
        let (path, message) = from_value::<Outer>(json!({"inner": {"a": -1}})).unwrap_err();
        assert_eq!(path, "inner.a");
        assert_eq!(message, "invalid value: integer `-1`, expected an integer from 0 to 4294967295");
    }
}
