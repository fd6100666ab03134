//! Errors that name the file, the field and what is allowed.

use std::fmt;

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
    pub fn new(origin: &str, field: impl Into<String>, message: impl Into<String>) -> Self {
        ScenarioError { origin: origin.to_owned(), field: field.into(), message: message.into() }
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
        ScenarioError { origin: origin.to_owned(), field, message: message.to_owned() }
    }
}
