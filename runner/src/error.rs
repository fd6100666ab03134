//! Errors that name the file, the field and what is allowed.

use std::fmt;

pub(crate) use models::tagged::shorten;

/// A scenario that cannot be run as written.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub struct ScenarioError {
    /// Where the scenario came from (a path, or a description such as `--set`).
    pub origin: String,
    /// Dotted path of the offending field; empty for the document as a whole.
    pub field: String,
    pub message: String,
}

impl fmt::Display for ScenarioError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if self.field.is_empty() {
            write!(f, "{}: {}", self.origin, self.message)
        } else {
            write!(f, "{}: field `{}`: {}", self.origin, self.field, self.message)
        }
    }
}

impl ScenarioError {
    /// An error; each part is [`bounded`], since all three may quote what the user wrote.
    pub fn new(origin: &str, field: impl Into<String>, message: impl Into<String>) -> Self {
        let field: String = field.into();
        let field = field.split('.').map(shorten).collect::<Vec<_>>().join(".");
        let field = match field.char_indices().nth(MAX_FIELD) {
            Some((cut, _)) => format!("{}…", &field[..cut]),
            None => field,
        };
        ScenarioError { origin: bounded(origin), field, message: bounded(&message.into()) }
    }

    /// A document that is not valid JSON, or has a key twice.
    pub(crate) fn from_json(origin: &str, e: crate::json::JsonError) -> Self {
        ScenarioError::new(origin, e.path, format!("not valid JSON: {}", e.message))
    }

    /// From a serde error at `path`; nested tagged values report their inner path as a message prefix
    /// (see `tagged`), which is folded back into the field path here.
    pub(crate) fn from_serde(origin: &str, path: &str, message: &str) -> Self {
        let mut field = if path == "." { String::new() } else { path.to_owned() };
        let mut message = message;
        while let Some(rest) = message.strip_prefix("at `")
            && let Some((inner, tail)) = rest.split_once("`: ")
        {
            if !field.is_empty() && inner != "." {
                field.push('.');
            }
            if inner != "." {
                field.push_str(inner);
            }
            message = tail;
        }
        // serde_json appends " at line L column C" for syntax errors; keep it, it locates the problem.
        ScenarioError::new(origin, field, message)
    }
}

/// Longest field path kept, in characters (each of its fields is cut at 60 first).
const MAX_FIELD: usize = 300;

/// Longest message [`bounded`] keeps, in characters.
const MAX_MESSAGE: usize = 2000;

/// `text` with every quoted span (between backticks or double quotes) longer than 60 characters cut, and at
/// most 2,000 characters in all: errors quote what the user wrote, and a 50 MB field name must not
/// make a 50 MB message.
pub fn bounded(text: &str) -> String {
    let mut out = String::new();
    let mut rest = text;
    while let Some(open) = rest.find(['`', '"']) {
        let quote = rest[open..].chars().next().expect("found a quote");
        out.push_str(&rest[..=open]);
        rest = &rest[open + 1..];
        let Some(close) = rest.find(quote) else { break };
        out.push_str(&shorten(&rest[..close]));
        out.push(quote);
        rest = &rest[close + 1..];
    }
    out.push_str(rest);
    match out.char_indices().nth(MAX_MESSAGE) {
        Some((cut, _)) => format!("{}… (message cut at {MAX_MESSAGE} characters)", &out[..cut]),
        None => out,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn quoted_user_text_is_cut() {
        let huge = "x".repeat(50_000_000);
        let e = ScenarioError::new(
            &format!("point 3 (p=\"{huge}\")"),
            format!("set.{huge}"),
            format!("unknown field `{huge}`, expected `kind`"),
        );
        assert!(e.to_string().len() < 1000, "{}", e.to_string().len());
        assert!(e.message.ends_with("…`, expected `kind`"), "{}", e.message);
        assert_eq!(bounded("no quotes, \"short\" `ones`"), "no quotes, \"short\" `ones`");
        assert!(bounded(&huge).chars().count() < MAX_MESSAGE + 100);
        let deep = ScenarioError::new("s.json", vec!["a"; 1_000_000].join("."), "m");
        assert_eq!(deep.field.chars().count(), MAX_FIELD + 1);
    }
}
