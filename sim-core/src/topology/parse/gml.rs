//! GML, the Graph Modelling Language (Himsolt, "GML: A portable Graph File Format", 1997), as the Internet Topology
//! Zoo, networkx's `write_gml`, igraph, Gephi, Cytoscape and yEd write it:
//!
//! ```text
//! graph [ directed 1  node [ id 0 label "Seattle" Latitude 47.6 Longitude -122.3 ]  edge [ source 0 target 1 ] ]
//! ```
//!
//! A file is a list of `key value` pairs; a key is a letter then letters, digits and `_`; a value is an integer
//! (`-12`), a real (`4.5`, `-1.5E3`, and networkx's `+INF`, `-INF`, `NAN`), a string in double quotes or a list
//! `[ … ]` of pairs. White space separates tokens, and `#` starts a comment that runs to the end of the line.
//! Strings hold any text but `"`; `&` writes a character as an HTML 4 named entity (`&amp;`, `&eacute;`) or a
//! character reference (`&#233;`, `&#xE9;`), as networkx and the zoo escape quotes, ampersands and non-ASCII
//! text. An `&` that starts no reference (`AT&T`) stands for itself, but one that reads as a reference without
//! its `;` (`&amp`) or names no character (`&bogus;`, `&#0;`) is refused: it cannot be told what it means.
//!
//! Of the file, one `graph [ … ]` is read: its `directed`, and its `node` and `edge` lists. A node's `id` (an
//! integer or a string; every id of a file of the same kind) names it for the edges' `source` and `target`, its
//! `label` names it for the user, its `Latitude` and `Longitude` place it; every other key is skipped whatever it
//! holds. A key the loader reads given twice in one list is refused, as are a second graph and a graph nested in the
//! graph or in a node or edge (its nodes would vanish). The semantics and the
//! report are the GraphML loader's: nodes numbered densely in file order, links undirected whatever `directed`
//! says (noted), self-loops dropped and repeated links merged (counted and noted), weights by hops or distance.
//!
//! Deliberate differences from networkx's `read_gml`: a reference that names no character (`&bogus;`) or lacks
//! its `;` (`&amp`) is refused, where networkx leaves it as text; a string that spans lines keeps its line ends,
//! where networkx joins the lines with spaces; a real may be written without a `.` (`1e5`), which networkx
//! refuses. Lines end at `\n`, `\r\n` or a lone `\r`.
//!
//! The text is read in one pass, without recursion: the open lists are a stack of at most `MAX_DEPTH` entries.
//! Edges are resolved as they come, as files declare nodes first; from the first edge that names a node not yet
//! declared on, edges wait for the end of the file, so that links keep file order. Memory is the text, the graph
//! and the edges waiting.

#![expect(clippy::disallowed_types, reason = "maps are looked up, never iterated into the graph")]

use std::borrow::Cow;
use std::collections::HashMap;
use std::collections::hash_map::Entry;

use memchr::memchr;

use super::weights::{self, LinkWeights};
use super::{Links, Listing, Loaded, assemble, label_notes, line};
use crate::topology::Labels;
use crate::{NodeId, TopologyError};

/// Lists open at once, at most: GML files nest a handful (`graph`, `edge`, `graphics`, `Line`, `point`).
const MAX_DEPTH: usize = 64;
/// A string quoted in a message is cut after this many characters.
const QUOTED: usize = 40;

/// HTML 4's named entities (Python's `html.entities.name2codepoint`, which networkx reads them by) and XML's
/// `apos`, sorted by name.
#[rustfmt::skip]
const ENTITIES: [(&str, u32); 253] = [
    ("AElig", 198), ("Aacute", 193), ("Acirc", 194), ("Agrave", 192), ("Alpha", 913), ("Aring", 197),
    ("Atilde", 195), ("Auml", 196), ("Beta", 914), ("Ccedil", 199), ("Chi", 935), ("Dagger", 8225), ("Delta", 916),
    ("ETH", 208), ("Eacute", 201), ("Ecirc", 202), ("Egrave", 200), ("Epsilon", 917), ("Eta", 919), ("Euml", 203),
    ("Gamma", 915), ("Iacute", 205), ("Icirc", 206), ("Igrave", 204), ("Iota", 921), ("Iuml", 207), ("Kappa", 922),
    ("Lambda", 923), ("Mu", 924), ("Ntilde", 209), ("Nu", 925), ("OElig", 338), ("Oacute", 211), ("Ocirc", 212),
    ("Ograve", 210), ("Omega", 937), ("Omicron", 927), ("Oslash", 216), ("Otilde", 213), ("Ouml", 214), ("Phi", 934),
    ("Pi", 928), ("Prime", 8243), ("Psi", 936), ("Rho", 929), ("Scaron", 352), ("Sigma", 931), ("THORN", 222),
    ("Tau", 932), ("Theta", 920), ("Uacute", 218), ("Ucirc", 219), ("Ugrave", 217), ("Upsilon", 933), ("Uuml", 220),
    ("Xi", 926), ("Yacute", 221), ("Yuml", 376), ("Zeta", 918), ("aacute", 225), ("acirc", 226), ("acute", 180),
    ("aelig", 230), ("agrave", 224), ("alefsym", 8501), ("alpha", 945), ("amp", 38), ("and", 8743), ("ang", 8736),
    ("apos", 39), ("aring", 229), ("asymp", 8776), ("atilde", 227), ("auml", 228), ("bdquo", 8222), ("beta", 946),
    ("brvbar", 166), ("bull", 8226), ("cap", 8745), ("ccedil", 231), ("cedil", 184), ("cent", 162), ("chi", 967),
    ("circ", 710), ("clubs", 9827), ("cong", 8773), ("copy", 169), ("crarr", 8629), ("cup", 8746), ("curren", 164),
    ("dArr", 8659), ("dagger", 8224), ("darr", 8595), ("deg", 176), ("delta", 948), ("diams", 9830), ("divide", 247),
    ("eacute", 233), ("ecirc", 234), ("egrave", 232), ("empty", 8709), ("emsp", 8195), ("ensp", 8194),
    ("epsilon", 949), ("equiv", 8801), ("eta", 951), ("eth", 240), ("euml", 235), ("euro", 8364), ("exist", 8707),
    ("fnof", 402), ("forall", 8704), ("frac12", 189), ("frac14", 188), ("frac34", 190), ("frasl", 8260),
    ("gamma", 947), ("ge", 8805), ("gt", 62), ("hArr", 8660), ("harr", 8596), ("hearts", 9829), ("hellip", 8230),
    ("iacute", 237), ("icirc", 238), ("iexcl", 161), ("igrave", 236), ("image", 8465), ("infin", 8734),
    ("int", 8747), ("iota", 953), ("iquest", 191), ("isin", 8712), ("iuml", 239), ("kappa", 954), ("lArr", 8656),
    ("lambda", 955), ("lang", 9001), ("laquo", 171), ("larr", 8592), ("lceil", 8968), ("ldquo", 8220), ("le", 8804),
    ("lfloor", 8970), ("lowast", 8727), ("loz", 9674), ("lrm", 8206), ("lsaquo", 8249), ("lsquo", 8216), ("lt", 60),
    ("macr", 175), ("mdash", 8212), ("micro", 181), ("middot", 183), ("minus", 8722), ("mu", 956), ("nabla", 8711),
    ("nbsp", 160), ("ndash", 8211), ("ne", 8800), ("ni", 8715), ("not", 172), ("notin", 8713), ("nsub", 8836),
    ("ntilde", 241), ("nu", 957), ("oacute", 243), ("ocirc", 244), ("oelig", 339), ("ograve", 242), ("oline", 8254),
    ("omega", 969), ("omicron", 959), ("oplus", 8853), ("or", 8744), ("ordf", 170), ("ordm", 186), ("oslash", 248),
    ("otilde", 245), ("otimes", 8855), ("ouml", 246), ("para", 182), ("part", 8706), ("permil", 8240),
    ("perp", 8869), ("phi", 966), ("pi", 960), ("piv", 982), ("plusmn", 177), ("pound", 163), ("prime", 8242),
    ("prod", 8719), ("prop", 8733), ("psi", 968), ("quot", 34), ("rArr", 8658), ("radic", 8730), ("rang", 9002),
    ("raquo", 187), ("rarr", 8594), ("rceil", 8969), ("rdquo", 8221), ("real", 8476), ("reg", 174), ("rfloor", 8971),
    ("rho", 961), ("rlm", 8207), ("rsaquo", 8250), ("rsquo", 8217), ("sbquo", 8218), ("scaron", 353), ("sdot", 8901),
    ("sect", 167), ("shy", 173), ("sigma", 963), ("sigmaf", 962), ("sim", 8764), ("spades", 9824), ("sub", 8834),
    ("sube", 8838), ("sum", 8721), ("sup", 8835), ("sup1", 185), ("sup2", 178), ("sup3", 179), ("supe", 8839),
    ("szlig", 223), ("tau", 964), ("there4", 8756), ("theta", 952), ("thetasym", 977), ("thinsp", 8201),
    ("thorn", 254), ("tilde", 732), ("times", 215), ("trade", 8482), ("uArr", 8657), ("uacute", 250), ("uarr", 8593),
    ("ucirc", 251), ("ugrave", 249), ("uml", 168), ("upsih", 978), ("upsilon", 965), ("uuml", 252), ("weierp", 8472),
    ("xi", 958), ("yacute", 253), ("yen", 165), ("yuml", 255), ("zeta", 950), ("zwj", 8205), ("zwnj", 8204),
];

/// A problem at a byte offset of the text.
struct Problem {
    at: usize,
    message: String,
}

fn problem(at: usize, message: impl Into<String>) -> Problem {
    Problem { at, message: message.into() }
}

/// What numbers and keys look like, for messages.
const NUMBERS: &str = "a number is written `12`, `-3`, `4.5` or `6.02E23`";
const KEYS: &str = "a key is a letter followed by letters, digits and `_`";

/// Byte classes, one table lookup a byte: white space, the bytes that end a key or number (white
/// space, `#`, `[`, `]`, `"`), the bytes of keys.
const SPACE: u8 = 1;
const ENDS: u8 = 2;
const KEY: u8 = 4;
static CLASS: [u8; 256] = {
    let mut class = [0; 256];
    let mut c = 0;
    while c < 256 {
        let b = c as u8;
        if matches!(b, b' ' | b'\t' | b'\n' | b'\r') {
            class[c] = SPACE | ENDS;
        } else if matches!(b, b'#' | b'[' | b']' | b'"') {
            class[c] = ENDS;
        } else if b.is_ascii_alphanumeric() || b == b'_' {
            class[c] = KEY;
        }
        c += 1;
    }
    class
};

fn is(class: u8, c: u8) -> bool {
    CLASS[c as usize] & class != 0
}

enum Token<'a> {
    Key(&'a str),
    /// An integer, as written.
    Int(&'a str),
    /// A real, as written.
    Real(&'a str),
    /// A string's text, references resolved.
    Str(Cow<'a, str>),
    Open,
    Close,
    End,
}

/// Splits the text into tokens.
struct Lexer<'a> {
    text: &'a str,
    pos: usize,
}

impl<'a> Lexer<'a> {
    fn new(text: &'a str) -> Self {
        // A UTF-8 byte-order mark is not part of the text.
        Lexer { text, pos: if text.starts_with('\u{feff}') { '\u{feff}'.len_utf8() } else { 0 } }
    }

    /// The next token and where it starts.
    fn next(&mut self) -> Result<(usize, Token<'a>), Problem> {
        let b = self.text.as_bytes();
        loop {
            self.pos += b[self.pos..].iter().take_while(|&&c| is(SPACE, c)).count();
            match b.get(self.pos) {
                Some(b'#') => self.pos = memchr(b'\n', &b[self.pos..]).map_or(b.len(), |i| self.pos + i),
                _ => break,
            }
        }
        let start = self.pos;
        let Some(&c) = b.get(start) else { return Ok((start, Token::End)) };
        let token = match c {
            b'[' => {
                self.pos += 1;
                Token::Open
            }
            b']' => {
                self.pos += 1;
                Token::Close
            }
            b'"' => Token::Str(self.string(start)?),
            b'A'..=b'Z' | b'a'..=b'z' => {
                self.pos += b[start..].iter().take_while(|&&c| is(KEY, c)).count();
                self.boundary(start, KEYS)?;
                Token::Key(&self.text[start..self.pos])
            }
            b'0'..=b'9' | b'+' | b'-' | b'.' => self.number(start)?,
            _ => {
                let c = self.text[start..].chars().next().expect("not at the end");
                return Err(problem(
                    start,
                    format!(
                        "unexpected character `{}`: expected a key, a number, a string in double quotes, `[` or `]`",
                        c.escape_debug()
                    ),
                ));
            }
        };
        Ok((start, token))
    }

    /// Checks that the key or number that ends here is not run into more text (`1.2.3`, `5km`, `id-5`).
    #[inline]
    fn boundary(&self, start: usize, what: &str) -> Result<(), Problem> {
        match self.text.as_bytes().get(self.pos) {
            Some(&c) if !is(ENDS, c) => Err(self.run_on(start, what)),
            _ => Ok(()),
        }
    }

    #[cold]
    fn run_on(&self, start: usize, what: &str) -> Problem {
        let word = self.text[start..].split(|c: char| c.is_ascii() && is(ENDS, c as u8)).next().unwrap_or("");
        problem(
            start,
            format!("`{}` is neither a key nor a number: {what}, and tokens are separated by white space", cut(word)),
        )
    }

    fn number(&mut self, start: usize) -> Result<Token<'a>, Problem> {
        let b = self.text.as_bytes();
        let digits = |i: usize| b[i..].iter().take_while(|c| c.is_ascii_digit()).count();
        let mut i = start + usize::from(matches!(b[start], b'+' | b'-'));
        // networkx writes the infinities `+INF` and `-INF`.
        if i > start && b[i..].starts_with(b"INF") {
            self.pos = i + 3;
            self.boundary(start, NUMBERS)?;
            return Ok(Token::Real(&self.text[start..self.pos]));
        }
        let whole = digits(i);
        i += whole;
        let mut real = false;
        let mut fraction = 0;
        if b.get(i) == Some(&b'.') {
            real = true;
            fraction = digits(i + 1);
            i += 1 + fraction;
        }
        if matches!(b.get(i), Some(b'e' | b'E')) && whole + fraction > 0 {
            let sign = usize::from(matches!(b.get(i + 1), Some(b'+' | b'-')));
            let exponent = digits(i + 1 + sign);
            if exponent > 0 {
                real = true;
                i += 1 + sign + exponent;
            }
        }
        self.pos = i;
        if whole + fraction == 0 {
            // Past the sign or point, so that the message quotes the whole word.
            self.pos = i.max(start + 1);
            return Err(self.boundary(start, NUMBERS).err().unwrap_or_else(|| {
                problem(start, format!("`{}` is not a number: {NUMBERS}", &self.text[start..self.pos]))
            }));
        }
        self.boundary(start, NUMBERS)?;
        let text = &self.text[start..i];
        Ok(if real { Token::Real(text) } else { Token::Int(text) })
    }

    /// A string that starts at `start` (its opening quote).
    fn string(&mut self, start: usize) -> Result<Cow<'a, str>, Problem> {
        let body = start + 1;
        let Some(len) = memchr(b'"', &self.text.as_bytes()[body..]) else {
            return Err(problem(
                start,
                "this string is not closed: a string ends with `\"` (a `\"` inside one is written `&quot;`)",
            ));
        };
        self.pos = body + len + 1;
        decode(&self.text[body..body + len], body)
    }
}

/// Whether a byte of a string asks for more than copying: a reference, a line end to normalise, a control
/// character to refuse (tabs and line feeds are text).
fn special(c: u8) -> bool {
    c == b'&' || (c < 0x20 && c != b'\t' && c != b'\n') || c == 0x7f
}

/// A string's text, starting at offset `at`: references resolved, a line end `\r\n` or `\r` read as `\n` (as
/// XML reads them). Borrowed from the file unless the string holds one of those.
fn decode(s: &str, at: usize) -> Result<Cow<'_, str>, Problem> {
    let bytes = s.as_bytes();
    let Some(first) = bytes.iter().position(|&c| special(c)) else { return Ok(Cow::Borrowed(s)) };
    let mut out = String::with_capacity(s.len());
    let (mut copied, mut i) = (0, first);
    while i < bytes.len() {
        let c = bytes[i];
        if !special(c) {
            i += 1;
            continue;
        }
        out.push_str(&s[copied..i]);
        match c {
            b'&' => {
                let (ch, len) = reference(&s[i..], at + i)?;
                out.push(ch);
                i += len;
            }
            b'\r' => {
                out.push('\n');
                i += 1 + usize::from(bytes.get(i + 1) == Some(&b'\n'));
            }
            _ => {
                return Err(problem(
                    at + i,
                    format!("control character U+{c:04X} in a string: write it as the reference `&#{c};`"),
                ));
            }
        }
        copied = i;
    }
    out.push_str(&s[copied..]);
    Ok(Cow::Owned(out))
}

/// The character that the `&` starting `rest` stands for, and how many bytes say it: a named entity or character
/// reference, or `&` itself if it starts none.
fn reference(rest: &str, at: usize) -> Result<(char, usize), Problem> {
    let b = rest.as_bytes();
    if b.get(1) == Some(&b'#') {
        let hex = b.get(2) == Some(&b'x');
        let first = if hex { 3 } else { 2 };
        let n = b[first..].iter().take_while(|c| if hex { c.is_ascii_hexdigit() } else { c.is_ascii_digit() }).count();
        let end = first + n;
        let named = (n > 0 && b.get(end) == Some(&b';'))
            .then(|| u32::from_str_radix(&rest[first..end], if hex { 16 } else { 10 }).ok())
            .flatten()
            .and_then(char::from_u32)
            .filter(|&c| c != '\0');
        return named.map(|c| (c, end + 1)).ok_or_else(|| {
            let shown = rest[..end.min(rest.len())].to_string() + if b.get(end) == Some(&b';') { ";" } else { "" };
            problem(
                at,
                format!(
                    "`{}` is not a character reference: `&#N;` (decimal) or `&#xH;` (hexadecimal) names a character \
                     by its code (not 0, at most 10FFFF, no surrogate); a literal `&` is written `&amp;`",
                    cut(&shown)
                ),
            )
        });
    }
    let n = b[1..].iter().take_while(|c| c.is_ascii_alphanumeric()).count();
    let name = &rest[1..1 + n];
    let code = ENTITIES.binary_search_by(|(e, _)| e.cmp(&name)).ok().map(|i| ENTITIES[i].1);
    match (b.get(1 + n) == Some(&b';'), code) {
        (true, Some(code)) => Ok((char::from_u32(code).expect("entities name characters"), n + 2)),
        (true, None) if n > 0 => Err(problem(
            at,
            format!(
                "unknown entity `&{}`: allowed are HTML 4's named entities (`&amp;`, `&quot;`, `&eacute;`, …) and \
                 character references `&#N;`, `&#xH;`",
                cut(&format!("{name};"))
            ),
        )),
        (false, Some(_)) => Err(problem(
            at,
            format!("`&{name}` lacks its `;`: write `&{name};` for the character, or `&amp;{name}` for the text"),
        )),
        _ => Ok(('&', 1)),
    }
}

/// At most `QUOTED` characters of `s`, to quote it in a message.
fn cut(s: &str) -> Cow<'_, str> {
    match s.char_indices().nth(QUOTED) {
        Some((end, _)) => Cow::Owned(format!("{}…", &s[..end])),
        None => Cow::Borrowed(s),
    }
}

fn describe(token: &Token<'_>) -> String {
    match token {
        Token::Key(t) | Token::Int(t) | Token::Real(t) => format!("`{t}`"),
        Token::Str(s) => format!("the string \"{}\"", cut(s)),
        Token::Open => "`[`".into(),
        Token::Close => "`]`".into(),
        Token::End => "the end of the file".into(),
    }
}

/// A value of a key.
enum Value<'a> {
    Int(&'a str),
    Real(&'a str),
    Str(Cow<'a, str>),
    /// `[`: the list that follows.
    List,
}

impl<'a> Value<'a> {
    /// The value as text, for a key that holds a string or a number.
    fn text(self, key: &str, at: usize) -> Result<Cow<'a, str>, Problem> {
        match self {
            Value::Int(t) | Value::Real(t) => Ok(Cow::Borrowed(t)),
            Value::Str(s) => Ok(s),
            Value::List => Err(problem(at, format!("`{key}` holds a string or a number, not a list"))),
        }
    }

    /// The value as a node id, and its text.
    fn id(self, key: &str, at: usize) -> Result<(Id<'a>, Cow<'a, str>), Problem> {
        match self {
            Value::Int(t) => match t.parse::<i64>() {
                Ok(v) => Ok((Id::Int(v), Cow::Borrowed(t))),
                Err(_) => Err(problem(at, format!("`{key}` {t} is out of range: integer ids fit in 64 bits"))),
            },
            Value::Str(s) => Ok((Id::Str(s.clone()), s)),
            Value::Real(t) => Err(problem(at, format!("`{key}` is an integer or a string, not the real {t}"))),
            Value::List => Err(problem(at, format!("`{key}` is an integer or a string, not a list"))),
        }
    }
}

/// A node id: integers are compared by value, strings by text.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
enum Id<'a> {
    Int(i64),
    Str(Cow<'a, str>),
}

impl std::fmt::Display for Id<'_> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Id::Int(v) => write!(f, "{v}"),
            Id::Str(s) => write!(f, "\"{}\"", cut(s)),
        }
    }
}

/// The nodes' ids, in file order. Files number their nodes (`0`, `1`, … or from any first id) in file order more
/// often than not: node k whose id is the first id plus k is marked plain, and found from its id; only other ids
/// are hashed.
#[derive(Default)]
struct NodeIds<'a> {
    /// Each node's id as the file writes it.
    written: Vec<Cow<'a, str>>,
    /// Whether the ids are strings, set by the first node.
    strings: Option<bool>,
    /// The first node's id, if an integer.
    base: i64,
    plain: Vec<bool>,
    hashed: HashMap<Id<'a>, NodeId>,
}

impl<'a> NodeIds<'a> {
    fn get(&self, id: &Id<'_>) -> Option<NodeId> {
        if let Id::Int(v) = id
            && let Some(k) = v.checked_sub(self.base).and_then(|k| usize::try_from(k).ok())
            && self.plain.get(k) == Some(&true)
        {
            return Some(k as NodeId);
        }
        self.hashed.get(id).copied()
    }

    /// Declares the next node; false, and nothing declared, if the id is taken.
    fn declare(&mut self, id: Id<'a>, written: Cow<'a, str>) -> bool {
        let next = self.written.len();
        if let (0, Id::Int(v)) = (next, &id) {
            self.base = *v;
        }
        if self.get(&id).is_some() {
            return false;
        }
        let plain = matches!(id, Id::Int(v) if v.checked_sub(self.base) == i64::try_from(next).ok());
        if !plain {
            match self.hashed.entry(id) {
                Entry::Occupied(_) => return false,
                Entry::Vacant(slot) => {
                    slot.insert(next as NodeId);
                }
            }
        }
        self.plain.push(plain);
        self.written.push(written);
        true
    }
}

/// What a list of the file is to the loader.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Scope {
    Graph,
    Node,
    Edge,
    /// A list that is not read (graphics, other attributes).
    Skipped,
}

/// A value and where it was given.
type At<T> = Option<(usize, T)>;

/// The node being read: where its `node` key is, and what it says.
#[derive(Default)]
struct NodeRead<'a> {
    at: usize,
    id: At<(Id<'a>, Cow<'a, str>)>,
    label: At<Cow<'a, str>>,
    latitude: At<Cow<'a, str>>,
    longitude: At<Cow<'a, str>>,
}

/// The edge being read.
#[derive(Default)]
struct EdgeRead<'a> {
    at: usize,
    source: At<Id<'a>>,
    target: At<Id<'a>>,
}

/// An edge waiting for the end of the file: where its `edge` key is, its source and target.
type Waiting<'a> = (usize, Id<'a>, Id<'a>);

struct Reader<'a> {
    text: &'a str,
    distance: bool,
    /// The open lists: where each one's key is, and what it is.
    open: Vec<(usize, Scope)>,
    graph_seen: bool,
    directed: At<bool>,
    node: NodeRead<'a>,
    edge: EdgeRead<'a>,
    ids: NodeIds<'a>,
    labels: Labels,
    unlabelled: Listing,
    places: Vec<(f64, f64)>,
    links: Links,
    /// Edges from the first one that named a node not declared before it on, resolved at the end.
    waiting: Option<Vec<Waiting<'a>>>,
}

impl<'a> Reader<'a> {
    fn new(text: &'a str, distance: bool) -> Self {
        Reader {
            text,
            distance,
            open: Vec::new(),
            graph_seen: false,
            directed: None,
            node: NodeRead::default(),
            edge: EdgeRead::default(),
            ids: NodeIds::default(),
            labels: Labels::new(),
            unlabelled: Listing::default(),
            places: Vec::new(),
            links: Links::with_capacity(0, distance),
            waiting: None,
        }
    }

    /// Reads the whole text.
    fn read(&mut self) -> Result<(), Problem> {
        let mut lexer = Lexer::new(self.text);
        loop {
            let (at, token) = lexer.next()?;
            match token {
                Token::Key(key) => {
                    let (value_at, value) = lexer.next()?;
                    let value = match value {
                        Token::Int(t) => Value::Int(t),
                        Token::Real(t) | Token::Key(t @ ("INF" | "NAN")) => Value::Real(t),
                        Token::Str(s) => Value::Str(s),
                        Token::Open => Value::List,
                        other => {
                            return Err(problem(
                                value_at,
                                format!(
                                    "expected a value after the key `{key}`: an integer, a real, a string in double \
                                     quotes or a list `[ … ]`; found {}",
                                    describe(&other)
                                ),
                            ));
                        }
                    };
                    if let Some(scope) = self.pair(at, key, value_at, value)? {
                        if self.open.len() == MAX_DEPTH {
                            return Err(problem(
                                value_at,
                                format!("lists nest deeper than {MAX_DEPTH} levels (GML files nest a few)"),
                            ));
                        }
                        self.open.push((at, scope));
                    }
                }
                Token::Close => match self.open.pop() {
                    None => return Err(problem(at, "`]` closes no list")),
                    Some((_, Scope::Node)) => self.node_end()?,
                    Some((_, Scope::Edge)) => self.edge_end()?,
                    Some(_) => {}
                },
                Token::End => {
                    return match self.open.last() {
                        None => Ok(()),
                        Some(&(list_at, _)) => {
                            Err(problem(list_at, "this list is not closed: the file ends before its `]`"))
                        }
                    };
                }
                other => {
                    let close = if self.open.is_empty() { "" } else { " or the `]` that closes the list" };
                    return Err(problem(
                        at,
                        format!(
                            "expected a key (a letter, then letters, digits or `_`){close}; found {}",
                            describe(&other)
                        ),
                    ));
                }
            }
        }
    }

    /// Takes `key value`; the scope of the list the value opens, if it is one.
    fn pair(&mut self, at: usize, key: &'a str, value_at: usize, value: Value<'a>) -> Result<Option<Scope>, Problem> {
        let list = matches!(value, Value::List);
        let scope = self.open.last().map(|&(_, scope)| scope);
        match (scope, key) {
            (None, "graph") if list => {
                if self.graph_seen {
                    return Err(problem(at, "a second `graph`: dissem reads one graph per file"));
                }
                self.graph_seen = true;
                return Ok(Some(Scope::Graph));
            }
            (Some(Scope::Graph | Scope::Node | Scope::Edge), "graph") if list => {
                return Err(problem(at, "nested graphs are not supported: dissem reads one graph per file"));
            }
            (None, "graph") | (Some(Scope::Graph), "node" | "edge") if !list => {
                return Err(problem(value_at, format!("`{key}` holds a list: `{key} [ … ]`")));
            }
            (Some(Scope::Graph), "node") => {
                self.node = NodeRead { at, ..NodeRead::default() };
                return Ok(Some(Scope::Node));
            }
            (Some(Scope::Graph), "edge") => {
                self.edge = EdgeRead { at, ..EdgeRead::default() };
                return Ok(Some(Scope::Edge));
            }
            (Some(Scope::Graph), "directed") => {
                self.once(self.directed.as_ref().map(|d| d.0), at, key, "graph")?;
                let directed = match value {
                    Value::Int(t) => t.parse::<i64>().ok().filter(|d| matches!(d, 0 | 1)),
                    _ => None,
                };
                let Some(directed) = directed else {
                    return Err(problem(value_at, "`directed` is 0 (undirected) or 1 (directed)"));
                };
                self.directed = Some((at, directed == 1));
            }
            (Some(Scope::Node), "id") => {
                self.once(self.node.id.as_ref().map(|d| d.0), at, key, "node")?;
                self.node.id = Some((at, value.id(key, value_at)?));
            }
            (Some(Scope::Node), "label") => {
                self.once(self.node.label.as_ref().map(|d| d.0), at, key, "node")?;
                self.node.label = Some((at, value.text(key, value_at)?));
            }
            (Some(Scope::Node), _) if self.distance && key.eq_ignore_ascii_case("latitude") => {
                self.once(self.node.latitude.as_ref().map(|d| d.0), at, key, "node")?;
                self.node.latitude = Some((at, value.text(key, value_at)?));
            }
            (Some(Scope::Node), _) if self.distance && key.eq_ignore_ascii_case("longitude") => {
                self.once(self.node.longitude.as_ref().map(|d| d.0), at, key, "node")?;
                self.node.longitude = Some((at, value.text(key, value_at)?));
            }
            (Some(Scope::Edge), "source") => {
                self.once(self.edge.source.as_ref().map(|d| d.0), at, key, "edge")?;
                self.edge.source = Some((at, value.id(key, value_at)?.0));
            }
            (Some(Scope::Edge), "target") => {
                self.once(self.edge.target.as_ref().map(|d| d.0), at, key, "edge")?;
                self.edge.target = Some((at, value.id(key, value_at)?.0));
            }
            _ if list => return Ok(Some(Scope::Skipped)),
            _ => {}
        }
        Ok(None)
    }

    /// Refuses a key the loader reads given a second time in one list (`first`: where it was given before).
    fn once(&self, first: Option<usize>, at: usize, key: &str, list: &str) -> Result<(), Problem> {
        match first {
            None => Ok(()),
            Some(first) => Err(problem(
                at,
                format!(
                    "`{key}` is given twice in this {list} (first on line {}): give it once",
                    line(self.text, first)
                ),
            )),
        }
    }

    fn node_end(&mut self) -> Result<(), Problem> {
        let node = std::mem::take(&mut self.node);
        let Some((id_at, (id, written))) = node.id else {
            return Err(problem(node.at, "a node without an `id`: edges name nodes by their id"));
        };
        let string = matches!(id, Id::Str(_));
        match self.ids.strings {
            Some(strings) if strings != string => {
                return Err(problem(id_at, format!("node id {id} is {}", kinds(strings))));
            }
            _ => self.ids.strings = Some(string),
        }
        if !self.ids.declare(id, written.clone()) {
            return Err(problem(id_at, format!("node id `{}` is declared twice", cut(&written))));
        }
        fn text<'s>(slot: &'s At<Cow<'_, str>>) -> Option<&'s str> {
            slot.as_ref().map(|(_, t)| t.trim()).filter(|t| !t.is_empty())
        }
        let label = text(&node.label).unwrap_or_else(|| {
            self.unlabelled.push_with(|| written.to_string());
            &written
        });
        self.labels.push(label);
        if self.distance {
            let place = weights::place(
                format_args!("{} ({})", cut(&written), cut(label)),
                text(&node.latitude),
                text(&node.longitude),
            );
            self.places.push(place.map_err(|message| problem(node.at, message))?);
        }
        Ok(())
    }

    fn edge_end(&mut self) -> Result<(), Problem> {
        let edge = std::mem::take(&mut self.edge);
        let missing = if edge.source.is_none() { "source" } else { "target" };
        let (Some((_, source)), Some((_, target))) = (edge.source, edge.target) else {
            return Err(problem(
                edge.at,
                format!("an edge without a `{missing}`: an edge joins its source and target"),
            ));
        };
        if let Some(waiting) = &mut self.waiting {
            waiting.push((edge.at, source, target));
            return Ok(());
        }
        match (self.ids.get(&source), self.ids.get(&target)) {
            (Some(u), Some(v)) => self.links.push(u, v, 1),
            _ => self.waiting = Some(vec![(edge.at, source, target)]),
        }
        Ok(())
    }

    /// The node an edge end names, once every node is declared.
    fn end(&self, at: usize, which: &str, id: &Id<'_>) -> Result<NodeId, Problem> {
        self.ids.get(id).ok_or_else(|| {
            let string = matches!(id, Id::Str(_));
            let message = match self.ids.strings {
                Some(strings) if strings != string => format!("edge {which} {id} is {}", kinds(strings)),
                _ => format!("edge {which} {id} is not a declared node"),
            };
            problem(at, message)
        })
    }

    /// The loaded graph, once the text is read.
    fn finish(mut self, weights: LinkWeights) -> Result<Loaded, TopologyError> {
        let parse = |Problem { at, message }| TopologyError::Parse { line: line(self.text, at), message };
        for (at, source, target) in self.waiting.take().unwrap_or_default() {
            let u = self.end(at, "source", &source).map_err(parse)?;
            let v = self.end(at, "target", &target).map_err(parse)?;
            self.links.push(u, v, 1);
        }
        let Reader { ids, labels, unlabelled, places, mut links, directed, .. } = self;
        let mut notes = Vec::new();
        if directed.is_some_and(|(_, d)| d) {
            notes.push(
                "directed edges read as undirected links (the file says `directed 1`): dissem's links carry messages \
                 both ways, and a zoo file lists each physical link once, in either direction"
                    .to_string(),
            );
        }
        notes.push(weights.note());
        notes.push("labels: from the nodes' `label`".to_string());
        label_notes(&labels, &unlabelled, &mut notes);
        weights::weigh(&mut links, &places);
        let file_ids: Vec<&str> = ids.written.iter().map(|id| &**id).collect();
        assemble(labels, links, notes, Some(&file_ids))
    }
}

/// Why an id of the other kind is refused, the file's ids being strings or not.
fn kinds(strings: bool) -> &'static str {
    if strings {
        "an integer, but the file's node ids are strings: give every id one kind"
    } else {
        "a string, but the file's node ids are integers: give every id one kind"
    }
}

/// A GML file (see the module's documentation for the grammar). Nodes are numbered densely in file order and
/// labelled by their `label`, else by their id. Links are undirected whatever `directed` says (noted in the
/// report); self-loops are dropped and repeated links merged, all counted in the report. What the grammar does
/// not allow, a key the loader reads given twice, a second graph and an edge to an undeclared node are errors
/// that name their line.
pub fn gml(text: &str, weights: LinkWeights) -> Result<Loaded, TopologyError> {
    let mut reader = Reader::new(text, weights == LinkWeights::Distance);
    reader.read().map_err(|Problem { at, message }| TopologyError::Parse { line: line(text, at), message })?;
    if !reader.graph_seen {
        return Err(TopologyError::Invalid("gml: the file has no `graph [ … ]`".into()));
    }
    reader.finish(weights)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::topology::parse::graphml;

    /// London, Paris and New York with their coordinates, as networkx writes them; a self-loop, a link listed in
    /// both directions.
    const CITIES: &str = r#"graph [
  directed 1
  Network "Test &amp; Co"
  node [
    id 0
    label "London"
    Latitude 51.5074
    Longitude -0.1278
    graphics [ x 1.0 y 2.0 Line [ point [ x 0 y 0 ] ] ]
  ]
  node [ id 1 label "Paris" Latitude 48.8566 Longitude 2.3522 ]
  node [ id 2 label "New York" Latitude 40.7128 Longitude -74.006 ]
  edge [ source 0 target 1 LinkLabel "10G" ]
  edge [ source 1 target 0 ]
  edge [ source 2 target 2 ]
  edge [ source 0 target 2 ]
]
"#;

    fn labels(loaded: &Loaded) -> Vec<&str> {
        loaded.graph.labels().unwrap().iter().collect()
    }

    fn parse_error(text: &str) -> (usize, String) {
        parse_error_with(text, LinkWeights::Hops)
    }

    fn parse_error_with(text: &str, weights: LinkWeights) -> (usize, String) {
        match gml(text, weights) {
            Err(TopologyError::Parse { line, message }) => (line, message),
            other => panic!("{text:?}: expected a parse error, got {other:?}"),
        }
    }

    #[test]
    fn hops_read_labels_and_account_for_repeats() {
        let loaded = gml(CITIES, LinkWeights::Hops).unwrap();
        let (g, r) = (&loaded.graph, &loaded.report);
        assert_eq!(labels(&loaded), ["London", "Paris", "New York"]);
        assert!(!g.is_weighted());
        assert_eq!((r.nodes, r.edges_in_file, r.edges, r.self_loops_dropped, r.parallel_merged), (3, 4, 2, 1, 1));
        let notes = r.notes.join("\n");
        assert!(notes.contains("directed edges read as undirected links (the file says `directed 1`)"), "{notes}");
        assert!(notes.contains("at New York (2)"), "{notes}");
        assert!(notes.contains("both directions into one undirected link, keeping one link: London (0) -- Paris (1)"));
        assert!(notes.contains("labels: from the nodes' `label`"), "{notes}");
        let undirected = gml(&CITIES.replace("directed 1", "directed 0"), LinkWeights::Hops).unwrap();
        assert!(!undirected.report.notes.join("\n").contains("directed edges"));
    }

    /// The same graph written as GraphML loads to the same graph and report, but for the file's own words.
    #[test]
    fn the_graphml_loader_reads_the_same_file_alike() {
        let nodes = [("London", 51.5074, -0.1278), ("Paris", 48.8566, 2.3522), ("New York", 40.7128, -74.006)];
        let nodes: String = nodes
            .iter()
            .enumerate()
            .map(|(i, (label, lat, lon))| {
                format!(
                    r#"<node id="{i}"><data key="la">{lat}</data><data key="lo">{lon}</data><data key="l">{label}</data></node>"#
                )
            })
            .collect();
        let edges: String =
            [(0, 1), (1, 0), (2, 2), (0, 2)].map(|(u, v)| format!(r#"<edge source="{u}" target="{v}"/>"#)).concat();
        let xml = format!(
            r#"<graphml><key id="la" for="node" attr.name="Latitude"/><key id="lo" for="node" attr.name="Longitude"/>
<key id="l" for="node" attr.name="label"/><graph edgedefault="directed">{nodes}{edges}</graph></graphml>"#
        );
        for weights in [LinkWeights::Hops, LinkWeights::Distance] {
            let (a, b) = (gml(CITIES, weights).unwrap(), graphml(&xml, weights).unwrap());
            assert_eq!(format!("{:?}", a.graph), format!("{:?}", b.graph), "{weights:?}");
            // Past the notes on direction, weights and where labels come from.
            assert_eq!(a.report.notes[3..], b.report.notes[3..]);
            assert_eq!(a.report.notes[1], b.report.notes[1]);
        }
        // London–Paris is 343.5 km, 1719 µs at 2/3 c (checked against the formula in `weights`).
        let g = gml(CITIES, LinkWeights::Distance).unwrap().graph;
        assert!((1_715..=1_723).contains(&g.weight(0)), "{}", g.weight(0));
    }

    #[test]
    fn the_grammar_as_files_write_it() {
        let text = "\u{feff}# a comment\nCreator \"me\" Version 1.0\ngraph[ # after a bracket\n\
            node[id -3 label \"AT&T &amp; R&D &eacute;&#233;&#xE9; &apos;q&quot;\" x .5 y 5. z -1.5E3 w +INF v NAN u -INF]\n\
            node [ id -2 label \"two\r\nlines\" empty [ ] list [ a [ b [ c 1 ] ] ] ]\n\
            node [ id -1 ]\n\
            edge [ source -1 target -3 ] edge [ source -3 target -2 ]\n]\n# trailing comment";
        let loaded = gml(text, LinkWeights::Hops).unwrap();
        assert_eq!(labels(&loaded), ["AT&T & R&D ééé 'q\"", "two\nlines", "-1"]);
        assert_eq!((loaded.graph.endpoints(0), loaded.graph.endpoints(1)), ((2, 0), (0, 1)));
        let notes = loaded.report.notes.join("\n");
        assert!(notes.contains("1 node(s) have no label and are labelled by their id: -1"), "{notes}");
    }

    /// Ids in any order and of either kind; edges before their nodes keep file order.
    #[test]
    fn ids_of_any_order_and_kind() {
        let text = r#"graph [ edge [ source 7 target 1 ] node [ id 1 ] node [ id 2 ] node [ id 7 ]
            edge [ source 2 target 7 ] node [ id 3 label "again" ] node [ id 4 label "again" ] ]"#;
        let loaded = gml(text, LinkWeights::Hops).unwrap();
        let g = &loaded.graph;
        assert_eq!(labels(&loaded), ["1", "2", "7", "again", "again"]);
        assert_eq!((g.endpoints(0), g.endpoints(1)), ((2, 0), (1, 2)));
        let notes = loaded.report.notes.join("\n");
        assert!(notes.contains("1 label(s) name more than one node (kept; the nodes stay distinct): again ×2"));
        let strings = r#"graph [ node [ id "a" ] node [ id "b&amp;" ] edge [ source "a" target "b&" ] ]"#;
        let g = gml(strings, LinkWeights::Hops).unwrap().graph;
        assert_eq!((g.label(1), g.endpoints(0)), (Some("b&"), (0, 1)));
        // Plain ids from any first id, then others, then plain again.
        let text = "graph [ node [ id 10 ] node [ id 11 ] node [ id 5 ] node [ id 13 ] node [ id 12 ] \
                    edge [ source 12 target 13 ] edge [ source 5 target 10 ] ]";
        let g = gml(text, LinkWeights::Hops).unwrap().graph;
        assert_eq!((g.endpoints(0), g.endpoints(1)), ((4, 3), (2, 0)));
        for ids in [[10, 11, 10], [10, 5, 5], [10, 5, 10], [0, 1, 1]] {
            let text = format!("graph [ {} ]", ids.map(|id| format!("node [ id {id} ]")).concat());
            assert!(parse_error(&text).1.ends_with("is declared twice"), "{ids:?}");
        }
    }

    #[test]
    fn errors_name_the_line_and_what_is_allowed() {
        let cases: &[(&str, usize, &str)] = &[
            ("graph [\nnode [ id 0 ]\nedge [ source 0 target 1 ] ]", 3, "edge target 1 is not a declared node"),
            ("graph [\nedge [ source 0 target 1 ]\nnode [ id 0 ] ]", 2, "edge target 1 is not a declared node"),
            ("graph [ node [ id 0 ]\n node [\n id 0 ] ]", 3, "node id `0` is declared twice"),
            (
                "graph [ node [ id 0 ]\n node [ id \"a\" ] ]",
                2,
                "node id \"a\" is a string, but the file's node ids are integers",
            ),
            (
                "graph [ node [ id \"a\" ]\n edge [ source \"a\" target 0 ] ]",
                2,
                "edge target 0 is an integer, but the file's node ids are strings",
            ),
            ("graph [\n node [ label \"x\" ] ]", 2, "a node without an `id`"),
            ("graph [ node [ id 0 ]\n edge [ target 0 ] ]", 2, "an edge without a `source`"),
            ("graph [ node [ id 0\n id 1 ] ]", 2, "`id` is given twice in this node (first on line 1)"),
            ("graph [ node [ id 0 label \"a\"\n label \"b\" ] ]", 2, "`label` is given twice"),
            ("graph [ directed 1\n directed 0 ]", 2, "`directed` is given twice in this graph"),
            ("graph [\n directed 2 ]", 2, "`directed` is 0 (undirected) or 1 (directed)"),
            ("graph [ ]\ngraph [ ]", 2, "a second `graph`: dissem reads one graph per file"),
            (
                "graph [\n graph [ node [ id 0 ] ] ]",
                2,
                "nested graphs are not supported: dissem reads one graph per file",
            ),
            ("graph [ node [ id 0\n graph [ ] ] ]", 2, "nested graphs are not supported"),
            ("graph [ edge [ source 0 target 0\n graph [ ] ] ]", 2, "nested graphs are not supported"),
            ("graph [\r x 1\r ]\rgraph [ ]", 4, "a second `graph`"),
            ("graph [\r\n x 1\r\n ]\r\ngraph [ ]", 4, "a second `graph`"),
            ("graph\n 1", 2, "`graph` holds a list: `graph [ … ]`"),
            ("graph [ node\n \"x\" ]", 2, "`node` holds a list"),
            ("graph [ node [ id\n 1.5 ] ]", 2, "`id` is an integer or a string, not the real 1.5"),
            ("graph [ node [ id [ ] ] ]", 1, "`id` is an integer or a string, not a list"),
            ("graph [ node [ id 0 label [ ] ] ]", 1, "`label` holds a string or a number, not a list"),
            ("graph [ node [ id 99999999999999999999 ] ]", 1, "out of range: integer ids fit in 64 bits"),
            ("graph [\n node [ id 0", 2, "this list is not closed: the file ends before its `]`"),
            ("graph [ ]\n]", 2, "`]` closes no list"),
            ("graph [\n label \"open ]", 2, "this string is not closed"),
            ("graph [\n { ]", 2, "unexpected character `{`"),
            ("graph [\n x 1.2.3 ]", 2, "`1.2.3` is neither a key nor a number"),
            ("graph [\n x 5km ]", 2, "`5km` is neither a key nor a number"),
            ("graph [\n id-5 1 ]", 2, "`id-5` is neither a key nor a number"),
            ("graph [\n x - ]", 2, "`-` is not a number"),
            ("graph [\n x 1e ]", 2, "`1e` is neither a key nor a number"),
            ("graph [\n x ]", 2, "expected a value after the key `x`"),
            (
                "graph [\n 1 ]",
                2,
                "expected a key (a letter, then letters, digits or `_`) or the `]` that closes the list",
            ),
            ("\"x\"", 1, "expected a key (a letter, then letters, digits or `_`); found the string \"x\""),
            ("graph [ x\n \"&bogus;\" ]", 2, "unknown entity `&bogus;`"),
            ("graph [ x\n \"Tom &amp Jerry\" ]", 2, "`&amp` lacks its `;`"),
            ("graph [ x \"\n&#0;\" ]", 2, "`&#0;` is not a character reference"),
            ("graph [ x \"&#xD800;\" ]", 1, "`&#xD800;` is not a character reference"),
            ("graph [ x \"&#X41;\" ]", 1, "`&#` is not a character reference"),
            ("graph [ x \"&#1114112;\" ]", 1, "`&#1114112;` is not a character reference"),
            ("graph [ x \"a\u{1}\" ]", 1, "control character U+0001 in a string: write it as the reference `&#1;`"),
        ];
        for &(text, line, message) in cases {
            let (l, m) = parse_error(text);
            assert!(m.contains(message), "{text:?}: {m}");
            assert_eq!(l, line, "{text:?}: {m}");
        }
        // Coordinates are read for distance weights only.
        for (text, message) in [
            (
                "graph [ node [ id 0\n latitude 95 Longitude 0 ] node [ id 1 ] ]",
                "node 0 (0): Latitude `95` is not a number in [-90, 90]",
            ),
            (
                "graph [ node [ id 0 label \"Atlantis\"\n Longitude 0 ] node [ id 1 ] ]",
                "node 0 (Atlantis) has no Latitude",
            ),
            (
                "graph [ node [ id 0 Latitude 1 Longitude [ ] ] node [ id 1 ] ]",
                "`Longitude` holds a string or a number, not a list",
            ),
        ] {
            let (line, m) = parse_error_with(text, LinkWeights::Distance);
            assert!(line == 1 && m.starts_with(message), "{text:?}: {line} {m}");
            assert!(gml(text, LinkWeights::Hops).is_ok_and(|l| l.report.nodes == 2), "{text:?}");
        }
        // Long ids and labels are quoted cut.
        let long = "i".repeat(100_000);
        let (_, m) = parse_error(&format!("graph [ node [ id \"{long}\" ] node [ id \"{long}\" ] ]"));
        assert!(m.len() < 200 && m.starts_with(&format!("node id `{}…` is declared twice", &long[..QUOTED])), "{m}");
        let (_, m) =
            parse_error_with(&format!("graph [ node [ id \"{long}\" label \"{long}\" ] ]"), LinkWeights::Distance);
        assert!(m.len() < 200 && m.contains("has no Latitude"), "{m}");
        for text in ["", "Creator \"me\"", "# only a comment", "other [ graph [ ] ]"] {
            let err = gml(text, LinkWeights::Hops).unwrap_err();
            assert!(matches!(&err, TopologyError::Invalid(m) if m.contains("no `graph")), "{text:?}: {err:?}");
        }
    }

    /// Nesting is bounded, and read without recursion whatever its depth.
    #[test]
    fn nesting_is_bounded() {
        let nested = |depth: usize| {
            format!("graph [ node [ id 0 ] node [ id 1 ] {}]", "a [ ".repeat(depth - 1) + &"] ".repeat(depth - 1))
        };
        assert!(gml(&nested(MAX_DEPTH), LinkWeights::Hops).is_ok());
        let (line, message) = parse_error(&nested(MAX_DEPTH + 1));
        assert_eq!((line, message.as_str()), (1, "lists nest deeper than 64 levels (GML files nest a few)"));
        assert!(parse_error(&"a [ ".repeat(1_000_000)).1.starts_with("lists nest deeper"));
    }

    #[test]
    fn entities_are_sorted_for_lookup() {
        assert!(ENTITIES.windows(2).all(|w| w[0].0 < w[1].0));
        assert!(ENTITIES.iter().all(|&(_, code)| char::from_u32(code).is_some()));
    }
}
