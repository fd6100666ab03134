//! Edge lists: one link `u v` or `u v weight` per line.
//!
//! Lines are split in one pass over the bytes, which also reads the value of tokens made of digits; a line with
//! non-ASCII text is split again by Unicode whitespace, so every line reads as `str::split_whitespace` would
//! read it. While reading, each label becomes a key: a decimal integer written the canonical way (no sign, no
//! leading zero) is its own key, so only other labels are hashed. Nodes are numbered in order of first
//! appearance as they are read (whether a number was seen is asked of a bitset, small enough to stay in
//! cache). Once the first link has shown the file unweighted, lines `u v` of two canonical integers are read by
//! a loop of their own, without the general splitting (which reads them alike).
//!
//! A second pass, over the links, replaces keys by node ids, sets self-loops apart and counts the degrees, so
//! that the CSR build needs no pass of its own to count them. Both the table of ids and the degrees are read at
//! random: the pass is a pipeline that prefetches each link's table entries, then its degrees, some links
//! before it needs them.

#![expect(clippy::disallowed_types, reason = "maps are looked up, never iterated into the graph")]

use std::collections::HashMap;

use super::{Links, Loaded, assemble};
use crate::topology::Labels;
use crate::{NodeId, TopologyError, prefetch};

/// An edge list: one link `u v` or `u v weight` per line; `#` starts a comment, blank lines are skipped. Node
/// tokens are labels, numbered densely in order of first appearance (so `7 3` makes `7` node 0); the graph keeps
/// them as its labels. Weights are positive integers, given on every line or on none (then every link weighs 1).
pub fn edge_list(text: &str) -> Result<Loaded, TopologyError> {
    let mut nodes = Nodes::new(text.len());
    let mut listed: Option<Listed> = None;
    // The first link's line; the others must agree with it on having a weight.
    let mut first_line = 0;
    let mut lines = Lines { text, pos: 0, line_no: 0 };
    loop {
        // The common line, `u v` of two integers in an unweighted file, takes a path of its own.
        if let Some(Listed { ends, weights: None }) = &mut listed {
            lines.integer_pairs(&mut nodes, ends)?;
        }
        let Some(Line { line_no, content, fields }) = lines.next() else {
            break;
        };
        if fields.count == 0 {
            continue;
        }
        let error = |message: String| TopologyError::Parse { line: line_no, message };
        let [u, v, w] = fields.tokens;
        let weight = match fields.count {
            2 => None,
            3 => Some(parse_weight(w.text).map_err(error)?),
            count => {
                return Err(error(format!(
                    "expected `u v` or `u v weight`, found {count} fields: `{}`",
                    content.trim()
                )));
            }
        };
        let Listed { ends, weights } = match &mut listed {
            None => {
                first_line = line_no;
                listed.insert(Listed::new(text, weight.is_some()))
            }
            Some(Listed { weights, .. }) if weights.is_some() != weight.is_some() => {
                let (this, that) = if weight.is_none() { ("no weight", "one") } else { ("a weight", "none") };
                return Err(error(format!(
                    "this link has {this} but the first link (line {first_line}) has {that}: give every link a \
                     weight or none"
                )));
            }
            Some(listed) => listed,
        };
        let (u, v) = (nodes.key(u), nodes.key(v));
        ends.push((u.ok_or_else(|| too_many(line_no))?, v.ok_or_else(|| too_many(line_no))?));
        if let (Some(weights), Some(w)) = (weights, weight) {
            weights.push(w);
        }
    }
    let Some(listed) = listed else {
        return Err(TopologyError::Invalid("edge list: no links found (expected lines `u v` or `u v weight`)".into()));
    };
    let notes = vec![if listed.weights.is_some() {
        "weights: as given in the file".to_string()
    } else {
        "weights: none given, every link weighs 1".to_string()
    }];
    let (labels, links) = nodes.resolve(listed);
    assemble(labels, links, notes, None)
}

/// Every link as listed, self-loops included, its ends as keys (see `Nodes`); weights parallel to it in a weighted
/// file.
struct Listed {
    ends: Vec<(u32, u32)>,
    weights: Option<Vec<u32>>,
}

impl Listed {
    /// Room for every link of `text`: at most one per line.
    fn new(text: &str, weighted: bool) -> Self {
        let lines = newlines(text.as_bytes()) + 1;
        Listed { ends: Vec::with_capacity(lines), weights: weighted.then(|| Vec::with_capacity(lines)) }
    }
}

/// The top bit of a key, set for a label that is not a number (see `Nodes`).
const TEXT: u32 = 1 << 31;
/// At most this many nodes: node ids stay below `TEXT`, so that the bit tells a node id from a number.
const MAX_NODES: usize = TEXT as usize;
/// How many links ahead `Nodes::resolve` prefetches the table entries of their keys; the degrees of their ends
/// are prefetched half as far ahead.
const AHEAD: usize = 16;

fn too_many(line: usize) -> TopologyError {
    TopologyError::Parse { line, message: format!("more than {MAX_NODES} distinct nodes") }
}

fn parse_weight(token: &str) -> Result<u32, String> {
    match token.parse::<u32>() {
        Ok(w) if w > 0 => Ok(w),
        _ => Err(format!("weight `{token}` is not a positive integer (allowed: 1 to {})", u32::MAX)),
    }
}

/// A whitespace-separated field, with its value if it is a canonical decimal integer (see `canonical`).
#[derive(Clone, Copy, Default)]
struct Token<'a> {
    text: &'a str,
    number: Option<u64>,
}

/// The first three fields of a line, and how many there are.
#[derive(Clone, Copy, Default)]
struct Fields<'a> {
    count: usize,
    tokens: [Token<'a>; 3],
}

impl<'a> Fields<'a> {
    #[inline]
    fn push(&mut self, token: Token<'a>) {
        if let Some(slot) = self.tokens.get_mut(self.count) {
            *slot = token;
        }
        self.count += 1;
    }
}

/// A line: its number (as `str::lines` counts), its content before any '#', and its fields.
struct Line<'a> {
    line_no: usize,
    content: &'a str,
    fields: Fields<'a>,
}

struct Lines<'a> {
    text: &'a str,
    pos: usize,
    line_no: usize,
}

/// Byte classes for splitting lines: ASCII whitespace as `char::is_whitespace` sees it, bytes that end a line's
/// content (`\n`, and `#`, which starts a comment), non-ASCII bytes, and all others (0).
const SPACE: u8 = 1;
const END: u8 = 2;
const WIDE: u8 = 4;
static CLASS: [u8; 256] = {
    let mut class = [0; 256];
    let mut b = 0x80;
    while b < 256 {
        class[b] = WIDE;
        b += 1;
    }
    class[b' ' as usize] = SPACE;
    class[b'\t' as usize] = SPACE;
    class[b'\r' as usize] = SPACE;
    class[0x0b] = SPACE;
    class[0x0c] = SPACE;
    class[b'\n' as usize] = END;
    class[b'#' as usize] = END;
    class
};

/// Where the run of ASCII whitespace (not `\n`) starting at `pos` ends.
#[inline(always)]
fn skip_spaces(bytes: &[u8], mut pos: usize) -> usize {
    while bytes.get(pos).is_some_and(|&b| CLASS[b as usize] == SPACE) {
        pos += 1;
    }
    pos
}

impl<'a> Lines<'a> {
    /// Reads lines `u v` of two canonical integers (see `canonical`) separated and followed by ASCII whitespace
    /// only, for as long as they come, their keys into `ends`; stops before any other line, leaving it to `next`, which
    /// would read such a line the same way.
    fn integer_pairs(&mut self, nodes: &mut Nodes<'a>, ends: &mut Vec<(u32, u32)>) -> Result<(), TopologyError> {
        let text = self.text;
        let bytes = text.as_bytes();
        let (mut pos, mut line_no) = (self.pos, self.line_no);
        while let Some((u, u_end)) = integer(bytes, pos) {
            let v_start = skip_spaces(bytes, u_end);
            if v_start == u_end {
                break;
            }
            let Some((v, v_end)) = integer(bytes, v_start) else {
                break;
            };
            let mut end = skip_spaces(bytes, v_end);
            match bytes.get(end) {
                Some(b'\n') => end += 1,
                None => {}
                Some(_) => break,
            }
            line_no += 1;
            // Digits are ASCII, so the ends of a number are char boundaries.
            let u = nodes.integer(u, || &text[pos..u_end]);
            let v = nodes.integer(v, || &text[v_start..v_end]);
            let (Some(u), Some(v)) = (u, v) else {
                return Err(too_many(line_no));
            };
            ends.push((u, v));
            pos = end;
        }
        (self.pos, self.line_no) = (pos, line_no);
        Ok(())
    }

    #[inline]
    fn next(&mut self) -> Option<Line<'a>> {
        let text = self.text;
        let bytes = text.as_bytes();
        let start = self.pos;
        if start >= bytes.len() {
            return None;
        }
        self.line_no += 1;
        let mut pos = start;
        let mut fields = Fields::default();
        let mut wide = 0;
        loop {
            pos = skip_spaces(bytes, pos);
            if bytes.get(pos).is_none_or(|&b| CLASS[b as usize] == END) {
                break;
            }
            let token = pos;
            let mut value = 0u64;
            let mut digits = true;
            while let Some(&b) = bytes.get(pos) {
                let class = CLASS[b as usize];
                if class & (SPACE | END) != 0 {
                    break;
                }
                wide |= class;
                let digit;
                (value, digit) = next_digit(value, b);
                digits &= digit;
                pos += 1;
            }
            // Token bounds are next to ASCII bytes or the ends of the text: char boundaries.
            let token = &text[token..pos];
            fields.push(Token { text: token, number: canonical(token.as_bytes(), digits.then_some(value)) });
        }
        let content = &text[start..pos];
        if wide != 0 {
            // Unicode whitespace may hide inside what looked like one token.
            fields = Fields::default();
            for token in content.split_whitespace() {
                let (value, digits) = token.bytes().fold((0, true), |(value, digits), b| {
                    let (value, digit) = next_digit(value, b);
                    (value, digits && digit)
                });
                fields.push(Token { text: token, number: canonical(token.as_bytes(), digits.then_some(value)) });
            }
        }
        self.pos = match bytes[pos..].iter().position(|&b| b == b'\n') {
            Some(newline) => pos + newline + 1,
            None => bytes.len(),
        };
        Some(Line { line_no: self.line_no, content, fields })
    }
}

/// The nodes in order of first appearance, numbered while the file is read. A link's ends are first recorded as
/// keys: a canonical integer below `numbers_below` is its own key, and its node id goes to a table indexed by
/// it (whether it was seen is asked of a bitset, small enough to stay in cache); any other label is hashed
/// to its node id, and its key is `TEXT` plus that id.
struct Nodes<'a> {
    labels: Labels,
    numbers_below: u64,
    seen: Vec<u64>,
    by_number: Vec<NodeId>,
    by_text: HashMap<&'a str, NodeId>,
}

impl<'a> Nodes<'a> {
    fn new(text_len: usize) -> Self {
        Nodes {
            labels: Labels::new(),
            // The table of integer keys stays within the size of the text.
            numbers_below: (text_len as u64 / 4).clamp(1 << 16, u64::from(TEXT)),
            seen: Vec::new(),
            by_number: Vec::new(),
            by_text: HashMap::new(),
        }
    }

    /// The key of `token`, numbering its node if it is new; `None` past `MAX_NODES` nodes.
    #[inline(always)]
    fn key(&mut self, Token { text, number }: Token<'a>) -> Option<u32> {
        match number {
            Some(i) => self.integer(i, || text),
            None => self.text(text),
        }
    }

    /// The key of the canonical integer `i`, whose label `label` gives (asked only for a new node or a number
    /// beyond the table).
    #[inline(always)]
    fn integer(&mut self, i: u64, label: impl FnOnce() -> &'a str) -> Option<u32> {
        if i >= self.numbers_below {
            return self.text(label());
        }
        let i = i as usize;
        match self.seen.get(i / 64) {
            Some(&word) if word & (1 << (i % 64)) != 0 => Some(i as u32),
            _ => self.new_integer(i, label()),
        }
    }

    #[cold]
    #[inline(never)]
    fn new_integer(&mut self, i: usize, label: &str) -> Option<u32> {
        if i / 64 >= self.seen.len() {
            self.seen.resize((i / 64 + 1).max(2 * self.seen.len()), 0);
        }
        if i >= self.by_number.len() {
            self.by_number.resize((i + 1).max(2 * self.by_number.len()), 0);
        }
        self.by_number[i] = self.add(label)?;
        self.seen[i / 64] |= 1 << (i % 64);
        Some(i as u32)
    }

    #[inline]
    fn text(&mut self, label: &'a str) -> Option<u32> {
        if let Some(&id) = self.by_text.get(label) {
            return Some(TEXT | id);
        }
        let id = self.add(label)?;
        self.by_text.insert(label, id);
        Some(TEXT | id)
    }

    fn add(&mut self, label: &str) -> Option<NodeId> {
        let id = self.labels.len();
        if id >= MAX_NODES {
            return None;
        }
        self.labels.push(label);
        Some(id as NodeId)
    }

    /// The labels, and the listed links with node ids for keys, self-loops set apart (the others keep their
    /// order), and the degrees counted: one pass, each link's table entries prefetched `AHEAD` links before it
    /// is resolved, and its degrees `AHEAD / 2` links before they are counted. The tables go once read, before
    /// the CSR arrays are made.
    fn resolve(self, Listed { mut ends, mut weights }: Listed) -> (Labels, Links) {
        let node = |key: u32| if key & TEXT == 0 { self.by_number[key as usize] } else { key ^ TEXT };
        // Room for the entry the CSR build appends.
        let mut degrees = Vec::with_capacity(self.labels.len() + 1);
        degrees.resize(self.labels.len(), 0u32);
        let mut loops = Vec::new();
        let mut kept = 0;
        // The links `AHEAD / 2` ahead of the one counted are resolved; start with those.
        for link in ends.iter_mut().take(AHEAD / 2) {
            *link = (node(link.0), node(link.1));
        }
        for i in 0..ends.len() {
            if let Some(&(a, b)) = ends.get(i + AHEAD) {
                for key in [a, b] {
                    if key & TEXT == 0 {
                        prefetch::read_at(&self.by_number, key as usize);
                    }
                }
            }
            if let Some(link) = ends.get_mut(i + AHEAD / 2) {
                *link = (node(link.0), node(link.1));
                prefetch::read_at(&degrees, link.0 as usize);
                prefetch::read_at(&degrees, link.1 as usize);
            }
            // Links before `i` move down over the self-loops; those after it are not touched.
            let (u, v) = ends[i];
            if u == v {
                loops.push(u);
                continue;
            }
            degrees[u as usize] += 1;
            degrees[v as usize] += 1;
            ends[kept] = (u, v);
            if let Some(w) = &mut weights {
                w[kept] = w[i];
            }
            kept += 1;
        }
        ends.truncate(kept);
        if let Some(w) = &mut weights {
            w.truncate(kept);
        }
        (self.labels, Links { endpoints: ends, weights, loops, degrees })
    }
}

/// How many `\n` bytes `bytes` holds; counted in blocks of at most 255 bytes into a `u8`, which vectorises.
fn newlines(bytes: &[u8]) -> usize {
    bytes.chunks(255).map(|block| usize::from(block.iter().fold(0u8, |n, &b| n + u8::from(b == b'\n')))).sum()
}

/// The value of the canonical integer (see `canonical`) starting at `start` and where it ends, if one starts
/// there.
#[inline(always)]
fn integer(bytes: &[u8], start: usize) -> Option<(u64, usize)> {
    let chunk = bytes.get(start..).and_then(<[u8]>::first_chunk);
    if let Some(chunk) = chunk
        && let Some((value, len)) = eight_digits_at_most(chunk)
    {
        // At most 7 digits: canonical if there is one, or more without a leading zero.
        let canonical = len == 1 || (len > 1 && chunk[0] != b'0');
        return canonical.then_some((value, start + len));
    }
    let mut value = 0u64;
    let mut end = start;
    while let Some(&b) = bytes.get(end) {
        let digit = b.wrapping_sub(b'0');
        if digit >= 10 {
            break;
        }
        value = value.wrapping_mul(10).wrapping_add(u64::from(digit));
        end += 1;
    }
    Some((canonical(&bytes[start..end], Some(value))?, end))
}

/// The value and length of the digits that `chunk` (8 bytes) starts with, read as one word without a branch per
/// digit; `None` if all 8 bytes are digits (the number may go on).
#[inline(always)]
fn eight_digits_at_most(chunk: &[u8; 8]) -> Option<(u64, usize)> {
    const ONES: u64 = 0x0101_0101_0101_0101;
    let word = u64::from_le_bytes(*chunk);
    // Digits become 0..=9 bytes. A byte is not a digit if its top bit is set, or if adding 0x76 sets it; a carry
    // out of a byte can only disturb the bytes after the first non-digit, which are not read.
    let digits = word ^ (0x30 * ONES);
    let other = (digits.wrapping_add(0x76 * ONES) | digits) & (0x80 * ONES);
    if other == 0 {
        return None;
    }
    let len = (other.trailing_zeros() / 8) as usize;
    if len == 0 {
        return Some((0, 0));
    }
    // The digits moved to the top bytes, the first (most significant) lowest, zeros below them; then pairs,
    // quads and the halves are combined.
    let v = digits << (64 - 8 * len);
    let v = (v & (0x0f * ONES)).wrapping_mul(10 << 8 | 1) >> 8;
    let v = (v & 0x00ff_00ff_00ff_00ff).wrapping_mul(100 << 16 | 1) >> 16;
    let v = (v & 0x0000_ffff_0000_ffff).wrapping_mul(10_000 << 32 | 1) >> 32;
    Some((v, len))
}

/// `value` followed by the digit `b`, and whether `b` is a digit (wrapping: `canonical` discards overflows).
#[inline(always)]
fn next_digit(value: u64, b: u8) -> (u64, bool) {
    let digit = b.wrapping_sub(b'0');
    (value.wrapping_mul(10).wrapping_add(u64::from(digit)), digit < 10)
}

/// `value` (the token's digits read as a number, if it has only digits) if the token is a canonical decimal
/// integer: no sign, no leading zero, below 10^19 (so the value did not overflow). Such a token is the one
/// spelling of its value, so that labels and values correspond one to one.
#[inline(always)]
fn canonical(digits: &[u8], value: Option<u64>) -> Option<u64> {
    value.filter(|_| !digits.is_empty() && digits.len() <= 19 && (digits[0] != b'0' || digits.len() == 1))
}

#[cfg(test)]
mod tests {
    use super::super::LoadReport;
    use super::*;
    use proptest::prelude::*;

    fn error(text: &str) -> (usize, String) {
        match edge_list(text) {
            Err(TopologyError::Parse { line, message }) => (line, message),
            other => panic!("expected a parse error, got {other:?}"),
        }
    }

    #[test]
    fn reads_labels_comments_and_weights() {
        let text = "# a comment\n\nparis berlin 5\nberlin rome 7  # trailing comment\n  rome paris 2\n";
        let loaded = edge_list(text).unwrap();
        let g = &loaded.graph;
        assert_eq!(g.labels().unwrap().iter().collect::<Vec<_>>(), ["paris", "berlin", "rome"]);
        assert_eq!((g.node_count(), g.edge_count()), (3, 3));
        assert_eq!((g.endpoints(2), g.weight(2)), ((2, 0), 2));
        assert_eq!(loaded.report.edges_in_file, 3);
        assert!(g.is_weighted());
    }

    #[test]
    fn integer_labels_keep_first_appearance_numbering_and_their_spelling() {
        let text = "7 3\n3 100000000000\n007 7\n18446744073709551615 0\n";
        let g = edge_list(text).unwrap().graph;
        let labels: Vec<&str> = g.labels().unwrap().iter().collect();
        // `007` is another label than `7`; the huge values and 0 are labels like any other.
        assert_eq!(labels, ["7", "3", "100000000000", "007", "18446744073709551615", "0"]);
        assert_eq!((0..4).map(|e| g.endpoints(e)).collect::<Vec<_>>(), [(0, 1), (1, 2), (3, 0), (4, 5)]);
        let number = |token: &str| {
            let mut lines = Lines { text: token, pos: 0, line_no: 0 };
            lines.next().map(|line| line.fields.tokens[0].number)
        };
        assert_eq!(
            (number("0"), number("42"), number("9999999999999999999")),
            (Some(Some(0)), Some(Some(42)), Some(Some(9_999_999_999_999_999_999)))
        );
        for not_canonical in ["00", "01", "+1", "-1", "1a", "a1", "10000000000000000000", "1\u{e9}"] {
            assert_eq!(number(not_canonical), Some(None), "{not_canonical}");
        }
        // A line with non-ASCII text is split again, by Unicode whitespace; its integers are still integers.
        assert_eq!(number("12\u{a0}x"), Some(Some(12)));
    }

    proptest! {
        /// The word-at-a-time reading of a number's digits agrees with reading them one by one, whatever follows.
        #[test]
        fn eight_bytes_read_like_digit_by_digit(chunk in proptest::array::uniform8(prop::sample::select(
            b"0123456789 \t\n#/:a\x80\xff\x00".to_vec(),
        ))) {
            let len = chunk.iter().position(|b| !b.is_ascii_digit());
            let value = chunk[..len.unwrap_or(8)].iter().fold(0u64, |v, &b| v * 10 + u64::from(b - b'0'));
            prop_assert_eq!(eight_digits_at_most(&chunk), len.map(|len| (value, len)));
        }
    }

    #[test]
    fn drops_loops_and_merges_repeats_with_a_report() {
        let text = "a b 4\nb a 3\na b 9\nc c 1\nb c 2\n";
        let loaded = edge_list(text).unwrap();
        let r = &loaded.report;
        assert_eq!((r.nodes, r.edges_in_file, r.edges, r.self_loops_dropped, r.parallel_merged), (3, 5, 2, 1, 2));
        // The merged link keeps the first listing's direction and the smallest weight.
        assert_eq!((loaded.graph.endpoints(0), loaded.graph.weight(0)), ((0, 1), 3));
        let notes = r.notes.join("\n");
        assert!(notes.contains("dropped 1 self-loop(s), which carry nothing between nodes: at c"), "{notes}");
        assert!(
            notes.contains(
                "merged 1 parallel link(s) (the same pair listed again), keeping one link with \
                                the smaller weight: a -- b"
            ),
            "{notes}"
        );
        assert!(notes.contains("merged 1 link(s) listed in both directions"), "{notes}");
    }

    #[test]
    fn unweighted_lists_weigh_one_and_long_notes_are_cut() {
        let text: String = (0..12).map(|i| format!("x{i} x{i}\nx{i} y\n")).collect();
        let loaded = edge_list(&text).unwrap();
        assert!(!loaded.graph.is_weighted());
        assert_eq!(loaded.report.self_loops_dropped, 12);
        assert!(loaded.report.notes.iter().any(|n| n.ends_with("x7, and 4 more")), "{:?}", loaded.report.notes);
        assert!(loaded.report.notes.iter().any(|n| n == "weights: none given, every link weighs 1"));
    }

    #[test]
    fn every_malformed_line_is_named() {
        assert_eq!(error("a b\nc\n"), (2, "expected `u v` or `u v weight`, found 1 fields: `c`".into()));
        assert_eq!(error("a b 1 2 # x"), (1, "expected `u v` or `u v weight`, found 4 fields: `a b 1 2`".into()));
        for bad in ["0", "-3", "1.5", "heavy", "4294967296"] {
            let (line, message) = error(&format!("a b 1\n\nb c {bad}\n"));
            assert_eq!(line, 3);
            assert_eq!(message, format!("weight `{bad}` is not a positive integer (allowed: 1 to 4294967295)"));
        }
        let (line, message) = error("# header\na b 1\nb c\n");
        assert_eq!(line, 3);
        assert!(message.starts_with("this link has no weight but the first link (line 2) has one"), "{message}");
        let (line, message) = error("a b\nb c 4\n");
        assert_eq!(line, 2);
        assert!(message.starts_with("this link has a weight but the first link (line 1) has none"), "{message}");
    }

    #[test]
    fn empty_lists_and_single_nodes_are_errors() {
        assert!(matches!(edge_list("# nothing\n\n"), Err(TopologyError::Invalid(_))));
        assert_eq!(edge_list("a a\n").unwrap_err(), TopologyError::TooFewNodes { nodes: 1 });
    }

    /// The straightforward reading the fast one must equal (the loader as it was before it was made fast):
    /// `str::lines`, `split_whitespace`, a map from label text to id, and a map from node pair to its first
    /// link. Returns the labels, the kept links with their weights, whether the graph is weighted, and the
    /// report.
    #[allow(clippy::type_complexity)]
    fn reference(text: &str) -> Result<(Vec<String>, Vec<(NodeId, NodeId, u32)>, bool, LoadReport), TopologyError> {
        let listing = |items: &[String]| {
            let mut text = items[..items.len().min(8)].join(", ");
            if items.len() > 8 {
                text += &format!(", and {} more", items.len() - 8);
            }
            text
        };
        let mut ids: HashMap<&str, NodeId> = HashMap::new();
        let mut labels: Vec<String> = Vec::new();
        let mut links = Vec::new();
        let mut first: Option<(usize, bool)> = None;
        for (i, line) in text.lines().enumerate() {
            let content = line.split_once('#').map_or(line, |(before, _)| before);
            let fields: Vec<&str> = content.split_whitespace().collect();
            if fields.is_empty() {
                continue;
            }
            let error = |message: String| TopologyError::Parse { line: i + 1, message };
            let (u, v, weight) = match fields[..] {
                [u, v] => (u, v, None),
                [u, v, w] => (u, v, Some(parse_weight(w).map_err(error)?)),
                _ => {
                    let count = fields.len();
                    return Err(error(format!(
                        "expected `u v` or `u v weight`, found {count} fields: `{}`",
                        content.trim()
                    )));
                }
            };
            match first {
                None => first = Some((i + 1, weight.is_some())),
                Some((line, had)) if had != weight.is_some() => {
                    let (this, that) = if had { ("no weight", "one") } else { ("a weight", "none") };
                    return Err(error(format!(
                        "this link has {this} but the first link (line {line}) has {that}: give every link a \
                         weight or none"
                    )));
                }
                Some(_) => {}
            }
            let mut intern = |token| {
                *ids.entry(token).or_insert_with(|| {
                    labels.push(token.to_string());
                    (labels.len() - 1) as NodeId
                })
            };
            let (u, v) = (intern(u), intern(v));
            links.push((u, v, weight.unwrap_or(1)));
        }
        let Some((_, weighted)) = first else {
            return Err(TopologyError::Invalid(
                "edge list: no links found (expected lines `u v` or `u v weight`)".into(),
            ));
        };
        if labels.len() < 2 {
            return Err(TopologyError::TooFewNodes { nodes: labels.len() as u64 });
        }
        let mut kept: Vec<(NodeId, NodeId, u32)> = Vec::new();
        let mut index: HashMap<(NodeId, NodeId), usize> = HashMap::new();
        let (mut loops, mut same_direction, mut reversed) = (Vec::new(), Vec::new(), Vec::new());
        for &(u, v, w) in &links {
            if u == v {
                loops.push(labels[u as usize].clone());
                continue;
            }
            match index.get(&(u.min(v), u.max(v))) {
                Some(&k) => {
                    let first = &mut kept[k];
                    first.2 = first.2.min(w);
                    let pair = format!("{} -- {}", labels[first.0 as usize], labels[first.1 as usize]);
                    if first.0 == u { same_direction.push(pair) } else { reversed.push(pair) }
                }
                None => {
                    index.insert((u.min(v), u.max(v)), kept.len());
                    kept.push((u, v, w));
                }
            }
        }
        let mut notes = vec![
            if weighted { "weights: as given in the file" } else { "weights: none given, every link weighs 1" }
                .to_string(),
        ];
        let keeping = if weighted { "one link with the smaller weight" } else { "one link" };
        if !loops.is_empty() {
            notes.push(format!(
                "dropped {} self-loop(s), which carry nothing between nodes: at {}",
                loops.len(),
                listing(&loops)
            ));
        }
        if !same_direction.is_empty() {
            notes.push(format!(
                "merged {} parallel link(s) (the same pair listed again), keeping {keeping}: {}",
                same_direction.len(),
                listing(&same_direction)
            ));
        }
        if !reversed.is_empty() {
            notes.push(format!(
                "merged {} link(s) listed in both directions into one undirected link, keeping {keeping}: {}",
                reversed.len(),
                listing(&reversed)
            ));
        }
        let report = LoadReport {
            nodes: labels.len() as u32,
            edges_in_file: links.len(),
            edges: kept.len(),
            self_loops_dropped: loops.len(),
            parallel_merged: same_direction.len() + reversed.len(),
            notes,
        };
        let weighted = weighted && !kept.is_empty();
        Ok((labels, kept, weighted, report))
    }

    /// One line: two labels (canonical and other integers, words, non-ASCII), a weight if `weighted`, any kind of
    /// whitespace, maybe a comment; or, now and then, loose pieces.
    fn line(weighted: bool) -> impl Strategy<Value = String> {
        let label = prop::sample::select(vec![
            "0",
            "1",
            "2",
            "7",
            "07",
            "00",
            "+3",
            "42",
            // Numbers of 8 digits or more are read digit by digit; 19 digits is the most a key can have.
            "12345678",
            "123456789",
            "1234567890123456789",
            "4294967296",
            "18446744073709551616",
            "a",
            "b",
            "é",
            "x\u{a0}y",
        ]);
        let space = prop::sample::select(vec![" ", "\t", "  ", "\u{2003}", "\x0b", " \r ", "\u{85}"]);
        let weight = prop::sample::select(vec!["1", "5", "07", "+2", "0", "x", "4294967295"]);
        let end = prop::sample::select(vec!["\n", "\r\n", " # note\n", "#\n"]);
        let loose = prop::sample::select(vec!["a", "7", " ", "\n", "#", "\r", "3 4 5 6", "\u{a0}"]);
        prop_oneof![
            12 => (label.clone(), space.clone(), label, space, weight, end).prop_map(move |(u, s, v, t, w, e)| {
                if weighted { format!("{u}{s}{v}{t}{w}{e}") } else { format!("{u}{s}{v}{t}{e}") }
            }),
            1 => proptest::collection::vec(loose, 0..6).prop_map(|pieces| pieces.concat()),
        ]
    }

    fn text() -> impl Strategy<Value = String> {
        any::<bool>()
            .prop_flat_map(|weighted| proptest::collection::vec(line(weighted), 0..40))
            .prop_map(|lines| lines.concat())
    }

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(500))]

        /// Any text reads like the reference, or fails with the same error.
        #[test]
        fn reads_like_split_whitespace(text in text()) {
            match (edge_list(&text), reference(&text)) {
                (Ok(loaded), Ok((labels, kept, weighted, report))) => {
                    let g = &loaded.graph;
                    prop_assert_eq!(g.labels().unwrap().iter().collect::<Vec<_>>(), labels);
                    let edges: Vec<_> =
                        (0..g.edge_count() as u32).map(|e| (g.endpoints(e).0, g.endpoints(e).1, g.weight(e))).collect();
                    prop_assert_eq!(edges, kept);
                    prop_assert_eq!(g.is_weighted(), weighted);
                    prop_assert_eq!(loaded.report, report);
                }
                (Err(fast), Err(slow)) => prop_assert_eq!(fast, slow),
                (fast, slow) => prop_assert!(false, "{:?} vs {:?}", fast.map(|l| l.report), slow.map(|r| r.3)),
            }
        }
    }
}
