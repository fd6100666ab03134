//! Traces as JSON Lines: one object per step of a traced run (`dissem run --trace FILE`), in the order the run
//! took them, and a last line when the trace was cut at its size bound.

use sim_core::trace::Step;

/// The most lines a trace holds by default: at most about 110 bytes each (node ids below 2^32, times below
/// 2^64, message names of the models' own), so about 100 MB.
pub const DEFAULT_LIMIT: u64 = 1_000_000;

/// One step as a JSON line (with its newline): `time`, `kind` (`send`, `deliver`, `inform`, `link`), `from`,
/// `to`, `message`, `dropped`.
pub fn line(step: &Step<'_>) -> String {
    let message = serde_json::to_string(step.message).expect("a string serialises");
    format!(
        "{{\"time\":{},\"kind\":\"{}\",\"from\":{},\"to\":{},\"message\":{message},\"dropped\":{}}}\n",
        step.time,
        step.kind.name(),
        step.from,
        step.to,
        step.dropped
    )
}

/// The last line of a trace cut at `limit` lines: `{"kind":"truncated","limit":…,"omitted":…}`, `omitted`
/// being the steps of the run not written.
pub fn truncated(limit: u64, omitted: u64) -> String {
    format!("{{\"kind\":\"truncated\",\"limit\":{limit},\"omitted\":{omitted}}}\n")
}

#[cfg(test)]
mod tests {
    use super::*;
    use sim_core::trace::Kind;

    #[test]
    fn lines_are_json_with_escaped_names() {
        let step = Step { time: 3, kind: Kind::Send, from: 1, to: 2, message: "a\"b", dropped: true };
        let text = line(&step);
        assert_eq!(
            text,
            "{\"time\":3,\"kind\":\"send\",\"from\":1,\"to\":2,\"message\":\"a\\\"b\",\"dropped\":true}\n"
        );
        let v: serde_json::Value = serde_json::from_str(&text).unwrap();
        assert_eq!(v["message"], "a\"b");
        let cut: serde_json::Value = serde_json::from_str(&truncated(10, 5)).unwrap();
        assert_eq!(cut["omitted"], 5);
    }
}
