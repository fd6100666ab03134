//! A streaming XML reader for the GraphML loader. It splits text and tags itself, as they make up nearly all of any
//! document: memchr finds the next `<`, one pass reads a tag's names and attribute values, and the text, a `&str`,
//! is UTF-8 checked once, when it was read. quick-xml delimits the rarer comments, CDATA sections, processing
//! instructions and document type declarations. This module checks each piece as a conforming non-validating parser
//! does (names, characters, references, comments, the declaration, one root element, namespaces, unique
//! attributes), decodes text and attribute values (references, line ends, attribute whitespace) and resolves
//! namespaces. Of several errors in a document it reports the one the earlier reader did, which had quick-xml split
//! the whole text before checking any piece: first a tag left open, then a character XML does not allow anywhere up
//! to the end of the piece, then the piece's own errors. The reader keeps only the open elements' names and
//! namespace bindings, so reading takes memory of the nesting depth and, even on adversarial input, time O(n log n)
//! in the text: a prefix resolves through a map, and attributes given twice are found by sorting once a tag has
//! more than a few.
//!
//! Document type declarations are refused: without them only the five predefined entities exist, and no entity
//! can expand into markup. The documents accepted are those roxmltree (the reader before quick-xml) accepted, but
//! for its limit of 65,535 namespace declarations, which this reader does not need (its time and memory are
//! bounded as above whatever their number), for `xmlns:p=""`, which undeclares a prefix, and for `xmlns:xmlns`,
//! which declares the reserved prefix `xmlns`: Namespaces in XML 1.0 forbids both, and this reader refuses them (as
//! it refuses to bind `xml` to any other name than its own, or its name to any other prefix); and for a character
//! reference to a surrogate or past U+10FFFF, which roxmltree read as U+FFFD and XML 1.0 forbids (a reference
//! must name a character XML allows).

use std::borrow::Cow;
use std::collections::BTreeMap;

use memchr::{memchr, memchr3_iter};
use quick_xml::Reader as Splitter;
use quick_xml::errors::{Error as SplitError, IllFormedError, SyntaxError};
use quick_xml::events::Event as Piece;

const XML_URI: &str = "http://www.w3.org/XML/1998/namespace";
const XMLNS_URI: &str = "http://www.w3.org/2000/xmlns/";

/// Why a text is not well-formed XML, and the byte offset where that shows.
#[derive(Debug)]
pub(super) struct XmlError {
    pub(super) offset: usize,
    pub(super) message: String,
}

fn fail<T>(offset: usize, message: impl Into<String>) -> Result<T, XmlError> {
    Err(XmlError { offset, message: message.into() })
}

/// What the reader found next.
pub(super) enum Event<'r, 'a> {
    /// A start tag, or an empty-element tag (`empty`), for which no `End` follows.
    Start(Element<'r, 'a>),
    End,
    /// Character data inside the root element, decoded: one run of text between markup, or one CDATA section.
    /// Adjacent pieces belong to one text node.
    Text(Cow<'a, str>),
    /// A comment or processing instruction inside the root element: it ends a text node.
    Other,
    Eof,
}

/// A start tag.
pub(super) struct Element<'r, 'a> {
    pub(super) local: &'a str,
    /// The namespace URI, if the name is in one.
    pub(super) namespace: Option<&'r str>,
    pub(super) empty: bool,
    /// Byte offset of its `<`.
    pub(super) offset: usize,
    attributes: &'r [Attribute<'a>],
}

impl<'r, 'a> Element<'r, 'a> {
    /// The value of the first attribute with this local name, in whatever namespace.
    // Inlined: every edge looks up three attributes.
    #[inline]
    pub(super) fn attribute(&self, local: &str) -> Option<&'r Cow<'a, str>> {
        self.attributes.iter().find(|a| a.local == local).map(|a| &a.value)
    }
}

struct Attribute<'a> {
    prefix: &'a str,
    local: &'a str,
    value: Cow<'a, str>,
    offset: usize,
    /// Set once the whole tag is read: its declarations bind prefixes wherever in the tag they stand.
    namespace: Namespace,
}

/// An attribute's namespace.
#[derive(Clone, Copy)]
enum Namespace {
    None,
    Xml,
    /// The URI of this binding in `Scopes::bindings`.
    Bound(usize),
}

struct Binding<'a> {
    prefix: Option<&'a str>,
    uri: Cow<'a, str>,
    /// The binding of the same prefix that this one hides.
    hides: Option<usize>,
}

/// The namespace bindings in scope, outermost first, and the innermost binding of each prefix and of the
/// default namespace, so that a prefix resolves in logarithmic time however many bindings are in scope.
#[derive(Default)]
struct Scopes<'a> {
    bindings: Vec<Binding<'a>>,
    innermost: BTreeMap<&'a str, usize>,
    /// The innermost default namespace binding: kept apart, as every element without a prefix looks it up.
    default: Option<usize>,
}

impl<'a> Scopes<'a> {
    fn len(&self) -> usize {
        self.bindings.len()
    }

    fn push(&mut self, prefix: Option<&'a str>, uri: Cow<'a, str>) {
        let at = self.bindings.len();
        let hides = match prefix {
            Some(p) => self.innermost.insert(p, at),
            None => self.default.replace(at),
        };
        self.bindings.push(Binding { prefix, uri, hides });
    }

    /// Ends the scope of the bindings from `len` on.
    fn truncate(&mut self, len: usize) {
        while self.bindings.len() > len {
            let Binding { prefix, hides, .. } = self.bindings.pop().expect("longer than len");
            match (prefix, hides) {
                (None, _) => self.default = hides,
                (Some(p), Some(hidden)) => _ = self.innermost.insert(p, hidden),
                (Some(p), None) => _ = self.innermost.remove(p),
            }
        }
    }

    /// The index of the innermost binding of `prefix`.
    fn find(&self, prefix: Option<&'a str>) -> Option<usize> {
        match prefix {
            Some(p) => self.innermost.get(p).copied(),
            None => self.default,
        }
    }

    /// Whether a binding from `scope` on declares `prefix`.
    fn declared_since(&self, prefix: Option<&'a str>, scope: usize) -> bool {
        self.find(prefix).is_some_and(|b| b >= scope)
    }

    /// The namespace bound to `prefix` by the innermost declaration.
    fn resolve(&self, prefix: Option<&'a str>) -> Option<&str> {
        self.find(prefix).map(|b| &*self.bindings[b].uri)
    }

    fn uri(&self, namespace: Namespace) -> Option<&str> {
        match namespace {
            Namespace::None => None,
            Namespace::Xml => Some(XML_URI),
            Namespace::Bound(b) => Some(&self.bindings[b].uri),
        }
    }
}

struct Open<'a> {
    qname: &'a str,
    /// The name split, as end tags are matched: `<:a>` ends with `</a>`.
    name: (&'a str, &'a str),
    /// `bindings.len()` before its declarations.
    bindings: usize,
}

pub(super) struct Reader<'a> {
    text: &'a str,
    /// Where reading stands: after the byte-order mark and XML declaration at first, then after each piece.
    pos: usize,
    /// An error in the XML declaration, reported by the first call of `next`.
    pending: Option<XmlError>,
    /// The first character XML does not allow, if any: reported when reading reaches it.
    bad_char: Option<usize>,
    open: Vec<Open<'a>>,
    root_seen: bool,
    scopes: Scopes<'a>,
    attributes: Vec<Attribute<'a>>,
    /// The last event was an empty-element tag, whose namespace scope is still open.
    close_empty: Option<usize>,
}

/// A start tag as read, before its element is resolved.
struct StartTag<'a> {
    qname: &'a str,
    prefix: &'a str,
    local: &'a str,
    empty: bool,
    /// After its `>`.
    end: usize,
    /// `bindings.len()` before its declarations.
    scope: usize,
}

impl<'a> Reader<'a> {
    pub(super) fn new(text: &'a str) -> Self {
        // A byte-order mark is skipped, and the XML declaration read here.
        let mut pos = if text.starts_with('\u{feff}') { 3 } else { 0 };
        let mut pending = None;
        if opens_declaration(&text[pos..]) {
            match declaration(text, pos) {
                Ok(end) => pos = end,
                Err(e) => pending = Some(e),
            }
        }
        Reader {
            text,
            pos,
            pending,
            bad_char: first_bad_char(text),
            open: Vec::new(),
            root_seen: false,
            scopes: Scopes::default(),
            attributes: Vec::new(),
            close_empty: None,
        }
    }

    /// The next event; after an error or `Eof`, calling again is a logic error of the caller. Without `keep_text`,
    /// runs of text between markup are checked but not returned (CDATA sections still are).
    pub(super) fn next(&mut self, keep_text: bool) -> Result<Event<'_, 'a>, XmlError> {
        if let Some(e) = self.pending.take() {
            return Err(e);
        }
        if let Some(bindings) = self.close_empty.take() {
            self.scopes.truncate(bindings);
        }
        let bytes = self.text.as_bytes();
        loop {
            let start = self.pos;
            match bytes.get(start..start + 2).unwrap_or(&bytes[start..]) {
                [] => return self.eof(),
                [b'<', b'/'] => {
                    self.end_tag(start)?;
                    return Ok(Event::End);
                }
                [b'<', b'!' | b'?'] => {
                    if let Some(event) = self.markup(start)? {
                        return Ok(event);
                    }
                }
                [b'<', ..] => return self.start_tag(start),
                _ => {
                    let end = memchr(b'<', &bytes[start..]).map_or(bytes.len(), |p| start + p);
                    self.pos = end;
                    self.check_chars(end)?;
                    let raw = &self.text[start..end];
                    if self.open.is_empty() {
                        if let Some(p) = raw.bytes().position(|b| !is_space(b)) {
                            let place =
                                if self.root_seen { "after the root element" } else { "before the root element" };
                            return fail(start + p, format!("text {place}"));
                        }
                        continue;
                    }
                    let decoded = text(raw, start)?;
                    if keep_text {
                        return Ok(Event::Text(decoded));
                    }
                }
            }
        }
    }

    fn eof(&self) -> Result<Event<'_, 'a>, XmlError> {
        if let Some(open) = self.open.last() {
            return fail(self.text.len(), format!("the text ends inside <{}>", open.qname));
        }
        if !self.root_seen {
            return fail(self.text.len(), "the text has no root element");
        }
        Ok(Event::Eof)
    }

    /// Fails if reading up to `end` reached a character XML does not allow.
    fn check_chars(&self, end: usize) -> Result<(), XmlError> {
        match self.bad_char {
            Some(at) if at < end => {
                let c = self.text[at..].chars().next().unwrap_or_default();
                fail(at, format!("character U+{:04X} is not allowed in XML", c as u32))
            }
            _ => Ok(()),
        }
    }

    /// Where the tag at `start` ends (after its `>`): the first `>` outside quotes. If the text ends first, the
    /// error quick-xml reports, after a character XML does not allow before the tag.
    fn tag_end(&self, start: usize) -> Result<usize, XmlError> {
        let bytes = self.text.as_bytes();
        let mut quote = None;
        for at in memchr3_iter(b'>', b'\'', b'"', &bytes[start..]).map(|p| start + p) {
            match (quote, bytes[at]) {
                (None, b'>') => return Ok(at + 1),
                (None, q) => quote = Some(q),
                (Some(q), b) if q == b => quote = None,
                _ => {}
            }
        }
        self.check_chars(start)?;
        let error = match quote {
            None => SyntaxError::UnclosedTag,
            Some(b'\'') => SyntaxError::UnclosedSingleQuotedAttributeValue,
            Some(_) => SyntaxError::UnclosedDoubleQuotedAttributeValue,
        };
        fail(start, SplitError::Syntax(error).to_string())
    }

    /// A comment, CDATA section, processing instruction or document type declaration at `start`, which quick-xml
    /// delimits: its event, if it stands inside the root element.
    fn markup<'r>(&mut self, start: usize) -> Result<Option<Event<'r, 'a>>, XmlError> {
        let text = self.text;
        let mut splitter = Splitter::from_str(&text[start..]);
        // This module checks comments itself, as the XML specification has them.
        splitter.config_mut().check_comments = false;
        let piece = match splitter.read_event() {
            Ok(piece) => piece,
            Err(e) => {
                let offset = (start + splitter.error_position() as usize).min(text.len());
                self.check_chars(offset)?;
                return fail(offset, e.to_string());
            }
        };
        let end = start + splitter.buffer_position() as usize;
        self.pos = end;
        self.check_chars(end)?;
        let raw = &text[start..end];
        let inside = !self.open.is_empty();
        match piece {
            Piece::CData(_) => {
                if !inside {
                    return fail(start, "a CDATA section outside the root element");
                }
                let Some(content) = raw.strip_prefix("<![CDATA[").and_then(|c| c.strip_suffix("]]>")) else {
                    return fail(start, "malformed CDATA section");
                };
                return Ok(Some(Event::Text(line_ends(content))));
            }
            Piece::Comment(_) => comment(raw, start)?,
            Piece::Decl(_) | Piece::PI(_) => instruction(raw, start)?,
            Piece::DocType(_) => return fail(start, "document type declarations (DTD) are not supported"),
            _ => return fail(start, "unreadable markup"),
        }
        Ok(inside.then_some(Event::Other))
    }

    fn start_tag(&mut self, start: usize) -> Result<Event<'_, 'a>, XmlError> {
        let tag = match self.read_start_tag(start) {
            Ok(tag) => tag,
            Err(e) => {
                // The tag's own errors come after those of the text up to its end.
                let end = self.tag_end(start)?;
                self.check_chars(end)?;
                return Err(e);
            }
        };
        self.pos = tag.end;
        self.check_chars(tag.end)?;
        let StartTag { qname, prefix, local, empty, scope, .. } = tag;
        if empty {
            self.close_empty = Some(scope);
        } else {
            self.open.push(Open { qname, name: (prefix, local), bindings: scope });
        }
        let namespace = self.scopes.resolve((!prefix.is_empty()).then_some(prefix));
        Ok(Event::Start(Element { local, namespace, empty, offset: start, attributes: &self.attributes }))
    }

    /// Reads the start tag at `start` and its attributes, declaring its namespaces and resolving its names.
    fn read_start_tag(&mut self, start: usize) -> Result<StartTag<'a>, XmlError> {
        if self.open.is_empty() && self.root_seen {
            return fail(start, "a second root element");
        }
        self.root_seen = true;
        let mut s = Scan { text: self.text, pos: start + 1, base: 0 };
        let (prefix, local) = s.qname()?;
        let qname = &self.text[start + 1..s.pos];
        if prefix == "xmlns" {
            return fail(start + 1, "`xmlns` is not allowed as an element prefix");
        }
        let scope = self.scopes.len();
        self.attributes.clear();
        let empty = loop {
            let spaced = s.skip_spaces();
            match s.peek() {
                Some(b'/') if s.text[s.pos..].starts_with("/>") => break true,
                Some(b'>') => break false,
                Some(_) if spaced => {}
                _ => return s.fail("expected whitespace, `>` or `/>`"),
            }
            let at = s.offset();
            let a = s.attribute()?;
            let value =
                if a.plain { Cow::Borrowed(a.value) } else { Cow::Owned(attribute_value(a.value, a.value_at)?) };
            self.attribute(scope, a.prefix, a.local, value, at)?;
        };
        // The first error in document order: an undeclared prefix, or an attribute given twice before it.
        let mut resolved = self.attributes.len();
        for (i, a) in self.attributes.iter_mut().enumerate() {
            a.namespace = match a.prefix {
                "" => Namespace::None,
                "xml" => Namespace::Xml,
                p => match self.scopes.find(Some(p)) {
                    Some(b) => Namespace::Bound(b),
                    None => {
                        resolved = i;
                        break;
                    }
                },
            };
        }
        if let Some(i) = first_repeat(&self.scopes, &self.attributes[..resolved]) {
            let a = &self.attributes[i];
            return fail(a.offset, format!("attribute `{}` is given twice", a.local));
        }
        if let Some(a) = self.attributes.get(resolved) {
            return Err(unknown(a.prefix, a.offset));
        }
        if !prefix.is_empty() && self.scopes.find(Some(prefix)).is_none() {
            return Err(unknown(prefix, start + 1));
        }
        let end = s.pos + if empty { 2 } else { 1 };
        Ok(StartTag { qname, prefix, local, empty, end, scope })
    }

    /// Takes one attribute of a start tag: a namespace declaration, or an attribute for the element.
    fn attribute(
        &mut self,
        scope: usize,
        prefix: &'a str,
        local: &'a str,
        value: Cow<'a, str>,
        offset: usize,
    ) -> Result<(), XmlError> {
        if prefix == "xmlns" && local == "xmlns" {
            return fail(
                offset,
                "the prefix `xmlns` cannot be declared: Namespaces in XML 1.0 reserves it for namespace declarations",
            );
        }
        if value == XMLNS_URI && (prefix == "xmlns" || local == "xmlns") {
            return fail(offset, format!("the namespace {XMLNS_URI} cannot be declared"));
        }
        if prefix == "xmlns" {
            if (local == "xml") != (value == XML_URI) {
                return fail(offset, format!("only the prefix `xml` is bound to {XML_URI}, and always"));
            }
            if value.is_empty() {
                return fail(
                    offset,
                    format!(
                        "the prefix `{local}` cannot be undeclared (`xmlns:{local}` with an empty value): Namespaces in \
                         XML 1.0 allows an empty value only for the default namespace (`xmlns=\"\"`)"
                    ),
                );
            }
            if self.scopes.declared_since(Some(local), scope) {
                return fail(offset, format!("namespace prefix `{local}` is declared twice"));
            }
            if local != "xml" {
                self.scopes.push(Some(local), value);
            }
        } else if local == "xmlns" {
            if value == XML_URI {
                return fail(offset, format!("the namespace {XML_URI} cannot be the default"));
            }
            // A repeated default declaration on one tag: the first holds.
            if !self.scopes.declared_since(None, scope) {
                self.scopes.push(None, value);
            }
        } else {
            self.attributes.push(Attribute { prefix, local, value, offset, namespace: Namespace::None });
        }
        Ok(())
    }

    fn end_tag(&mut self, start: usize) -> Result<(), XmlError> {
        let mut s = Scan { text: self.text, pos: start + 2, base: 0 };
        let read = s.qname().and_then(|name| {
            let name_end = s.pos;
            s.skip_spaces();
            if s.peek() == Some(b'>') { Ok((name, name_end)) } else { s.fail("expected `>` to end the end tag") }
        });
        let end = match read {
            Ok(_) => s.pos + 1,
            // An end tag holds no attribute, so a quote in it opens no value: the tag ends at the first `>`.
            Err(_) => match memchr(b'>', &self.text.as_bytes()[start..]) {
                Some(p) => start + p + 1,
                None => {
                    self.check_chars(start)?;
                    return fail(start, SplitError::Syntax(SyntaxError::UnclosedTag).to_string());
                }
            },
        };
        self.pos = end;
        let Some(open) = self.open.pop() else {
            // quick-xml reports this as it splits the text, before the characters within the tag.
            self.check_chars(start)?;
            let content = &self.text[start + 2..end - 1];
            // quick-xml trims whitespace after the name, unless there is nothing else.
            let name = match content.bytes().rposition(|b| !is_space(b)) {
                Some(last) => &content[..=last],
                None => content,
            };
            return fail(start, SplitError::IllFormed(IllFormedError::UnmatchedEndTag(name.to_owned())).to_string());
        };
        self.check_chars(end)?;
        let (name, name_end) = read?;
        if open.name != name {
            let qname = &self.text[start + 2..name_end];
            return fail(start, format!("end tag </{qname}> does not match <{}>", open.qname));
        }
        self.scopes.truncate(open.bindings);
        Ok(())
    }
}

/// Whether `text` opens with the XML declaration: `<?xml` and whitespace (any of XML's four kinds).
fn opens_declaration(text: &str) -> bool {
    text.starts_with("<?xml") && text.as_bytes().get(5).copied().is_some_and(is_space)
}

/// The XML declaration, or a processing instruction.
fn instruction(raw: &str, offset: usize) -> Result<(), XmlError> {
    if opens_declaration(raw) {
        return fail(offset, "the XML declaration must open the text");
    }
    let mut s = Scan { text: raw, pos: 2, base: offset };
    // XML 1.0 reserves the targets xml, XML, Xml, … (production 17), as `<?xml?>` would be a declaration.
    if s.name()?.eq_ignore_ascii_case("xml") {
        return fail(offset, "the processing-instruction target `xml` is reserved (in any case)");
    }
    match raw[s.pos..].find("?>") {
        Some(p) if s.pos + p + 2 == raw.len() => Ok(()),
        _ => fail(offset, "malformed processing instruction"),
    }
}

fn unknown(prefix: &str, offset: usize) -> XmlError {
    XmlError { offset, message: format!("namespace prefix `{prefix}` is not declared") }
}

/// Where the first character XML does not allow stands: a control character other than tab, line feed and
/// carriage return, or U+FFFE or U+FFFF (EF BF BE/BF). One pass over the text, 32 bytes at a time.
fn first_bad_char(text: &str) -> Option<usize> {
    let bytes = text.as_bytes();
    let suspect = |b: u8| (b < 0x20) & (b != b'\t') & (b != b'\n') & (b != b'\r') | (b == 0xEF);
    let bad = |at: usize| match bytes[at] {
        0xEF => matches!(bytes.get(at + 1..at + 3), Some([0xBF, 0xBE | 0xBF])),
        b => suspect(b),
    };
    let mut chunks = bytes.chunks_exact(32);
    for (i, chunk) in chunks.by_ref().enumerate() {
        if chunk.iter().fold(false, |any, &b| any | suspect(b))
            && let Some(at) = (i * 32..i * 32 + 32).find(|&at| bad(at))
        {
            return Some(at);
        }
    }
    (bytes.len() - chunks.remainder().len()..bytes.len()).find(|&at| bad(at))
}

/// The first of `attributes`, in document order, with the local name and namespace of an earlier one.
fn first_repeat(scopes: &Scopes, attributes: &[Attribute]) -> Option<usize> {
    // Most tags have a few attributes: comparing each with those before it is then quickest.
    if attributes.len() <= 16 {
        return (1..attributes.len()).find(|&i| {
            let a = &attributes[i];
            attributes[..i].iter().any(|b| b.local == a.local && scopes.uri(b.namespace) == scopes.uri(a.namespace))
        });
    }
    let name = |i: usize| (attributes[i].local, scopes.uri(attributes[i].namespace));
    let mut order: Vec<usize> = (0..attributes.len()).collect();
    order.sort_unstable_by(|&i, &j| name(i).cmp(&name(j)).then(i.cmp(&j)));
    order.windows(2).filter(|w| name(w[0]) == name(w[1])).map(|w| w[1]).min()
}

fn comment(raw: &str, offset: usize) -> Result<(), XmlError> {
    let content = raw.strip_prefix("<!--").and_then(|c| c.strip_suffix("-->"));
    match content {
        Some(c) if raw.len() >= 7 && !c.contains("--") && !c.ends_with('-') => Ok(()),
        _ => fail(offset, "a comment must not contain `--` nor end with `-`"),
    }
}

/// The XML declaration `<?xml version=… encoding=… standalone=… ?>` at `start`, each value quoted and free of
/// `<`: where it ends.
fn declaration(text: &str, start: usize) -> Result<usize, XmlError> {
    let mut s = Scan { text, pos: start + 5, base: 0 };
    let mut spaced = s.skip_spaces();
    for (name, required) in [("version", true), ("encoding", false), ("standalone", false)] {
        if !s.text[s.pos..].starts_with(name) {
            if required {
                return s.fail("the XML declaration needs a version");
            }
            continue;
        }
        if !spaced {
            return s.fail("expected whitespace in the XML declaration");
        }
        let at = s.offset();
        let pseudo = s.attribute()?;
        if !pseudo.prefix.is_empty() || pseudo.local != name {
            return fail(at, format!("expected `{name}` in the XML declaration"));
        }
        declared_value(name, pseudo.value, pseudo.value_at)?;
        spaced = s.skip_spaces();
    }
    if s.text[s.pos..].starts_with("?>") { Ok(s.pos + 2) } else { s.fail("expected `?>` to end the XML declaration") }
}

/// A value of the XML declaration as XML 1.0 writes it: VersionNum `1.` and digits, EncName (a letter, then
/// letters, digits, `.`, `_`, `-`), and `yes` or `no` for standalone.
fn declared_value(name: &str, value: &str, at: usize) -> Result<(), XmlError> {
    let (fine, allowed) = match name {
        "version" => {
            (value.strip_prefix("1.").is_some_and(|d| !d.is_empty() && d.bytes().all(|b| b.is_ascii_digit())), "1.0")
        }
        "encoding" => (
            value.bytes().next().is_some_and(|b| b.is_ascii_alphabetic())
                && value.bytes().all(|b| b.is_ascii_alphanumeric() || matches!(b, b'.' | b'_' | b'-')),
            "an encoding name such as UTF-8",
        ),
        _ => (matches!(value, "yes" | "no"), "yes or no"),
    };
    if fine { Ok(()) } else { fail(at, format!("the XML declaration's {name} is `{value}`; allowed: {allowed}")) }
}

/// A cursor over one piece of markup.
struct Scan<'t> {
    text: &'t str,
    pos: usize,
    /// Offset of `text` in the document.
    base: usize,
}

impl<'t> Scan<'t> {
    fn offset(&self) -> usize {
        self.base + self.pos
    }

    fn fail<T>(&self, message: &str) -> Result<T, XmlError> {
        fail(self.offset(), message)
    }

    fn peek(&self) -> Option<u8> {
        self.text.as_bytes().get(self.pos).copied()
    }

    /// Skips whitespace; whether there was any.
    fn skip_spaces(&mut self) -> bool {
        let start = self.pos;
        while self.peek().is_some_and(is_space) {
            self.pos += 1;
        }
        self.pos > start
    }

    /// Where the name characters from `self.pos` end, and whether a colon is among them.
    fn name_span(&self) -> (usize, bool) {
        let bytes = self.text.as_bytes();
        let rest = &bytes[self.pos..];
        let mut seen = 0;
        let ascii = rest
            .iter()
            .position(|&b| {
                let class = NAME_BYTE[usize::from(b)];
                seen |= class;
                class == 0
            })
            .unwrap_or(rest.len());
        let mut end = self.pos + ascii;
        if bytes.get(end).is_some_and(|b| !b.is_ascii()) {
            let more = self.text[end..].find(|c: char| !is_name_char(c)).unwrap_or(self.text.len() - end);
            seen |= if bytes[end..end + more].contains(&b':') { COLON } else { 0 };
            end += more;
        }
        (end, seen & COLON != 0)
    }

    /// A name: a name-start character, then name characters.
    fn name(&mut self) -> Result<&'t str, XmlError> {
        let start = self.pos;
        if !self.text[start..].chars().next().is_some_and(is_name_start) {
            return self.fail("invalid name");
        }
        self.pos = self.name_span().0;
        Ok(&self.text[start..self.pos])
    }

    /// An attribute `name = "value"` (or in single quotes), the value free of `<`.
    fn attribute(&mut self) -> Result<RawAttribute<'t>, XmlError> {
        let (prefix, local) = self.qname()?;
        self.skip_spaces();
        if self.peek() != Some(b'=') {
            return self.fail("expected `=` after an attribute name");
        }
        self.pos += 1;
        self.skip_spaces();
        let quote = match self.peek() {
            Some(q @ (b'"' | b'\'')) => q,
            _ => return self.fail("expected a quoted attribute value"),
        };
        let bytes = self.text.as_bytes();
        let start = self.pos + 1;
        let mut end = start;
        let mut seen = 0;
        loop {
            let rest = &bytes[end..];
            let Some(p) = rest.iter().position(|&b| {
                let class = VALUE_BYTE[usize::from(b)];
                seen |= class;
                class == ENDS
            }) else {
                self.pos = start;
                return self.fail("unterminated attribute value");
            };
            end += p;
            if bytes[end] == quote {
                break;
            }
            if bytes[end] == b'<' {
                self.pos = end;
                return self.fail("`<` is not allowed in an attribute value");
            }
            end += 1;
        }
        let plain = seen & DECODED == 0;
        self.pos = end + 1;
        Ok(RawAttribute { prefix, local, value: &self.text[start..end], value_at: self.base + start, plain })
    }

    /// A qualified name `prefix:local` or `local`: (prefix, local), the prefix empty if absent.
    fn qname(&mut self) -> Result<(&'t str, &'t str), XmlError> {
        let start = self.pos;
        let (end, colon) = self.name_span();
        let name = &self.text[start..end];
        let (prefix, local) = match colon.then(|| name.bytes().position(|b| b == b':')).flatten() {
            None => ("", name),
            Some(colon) if name.as_bytes()[colon + 1..].contains(&b':') => {
                return self.fail("invalid name (more than one `:`)");
            }
            Some(colon) => (&name[..colon], &name[colon + 1..]),
        };
        if !starts_name(local) || !(prefix.is_empty() || starts_name(prefix)) {
            return self.fail("invalid name");
        }
        self.pos = end;
        Ok((prefix, local))
    }
}

/// Whether `s` starts with a character that can start a name (a colon aside).
fn starts_name(s: &str) -> bool {
    match s.as_bytes().first() {
        Some(&b) if b.is_ascii() => b.is_ascii_alphabetic() || b == b'_',
        _ => s.chars().next().is_some_and(is_name_start),
    }
}

/// An attribute as written.
struct RawAttribute<'t> {
    prefix: &'t str,
    local: &'t str,
    value: &'t str,
    /// The value's offset in the document.
    value_at: usize,
    /// Whether the value reads as written: no reference, tab or line end to decode.
    plain: bool,
}

/// What a byte of an attribute value can do: end it (a quote, or `<`, which is not allowed), or need decoding.
const ENDS: u8 = 1;
const DECODED: u8 = 2;
static VALUE_BYTE: [u8; 256] = {
    let mut table = [0; 256];
    table[b'"' as usize] = ENDS;
    table[b'\'' as usize] = ENDS;
    table[b'<' as usize] = ENDS;
    table[b'&' as usize] = DECODED;
    table[b'\t' as usize] = DECODED;
    table[b'\n' as usize] = DECODED;
    table[b'\r' as usize] = DECODED;
    table
};

/// The ASCII bytes that name characters can be (`NAME`), the colon apart (`COLON`); 0 for the others.
const NAME: u8 = 1;
const COLON: u8 = 2;
static NAME_BYTE: [u8; 256] = {
    let mut table = [0; 256];
    let mut b = 0;
    while b < 128 {
        if matches!(b as u8, b'a'..=b'z' | b'A'..=b'Z' | b'0'..=b'9' | b'_' | b'-' | b'.') {
            table[b] = NAME;
        }
        b += 1;
    }
    table[b':' as usize] = COLON;
    table
};

fn is_space(b: u8) -> bool {
    matches!(b, b' ' | b'\t' | b'\n' | b'\r')
}

/// XML 1.0 NameStartChar.
fn is_name_start(c: char) -> bool {
    matches!(c as u32,
        0x3A | 0x41..=0x5A | 0x5F | 0x61..=0x7A
        | 0xC0..=0xD6 | 0xD8..=0xF6 | 0xF8..=0x2FF | 0x370..=0x37D | 0x37F..=0x1FFF | 0x200C..=0x200D
        | 0x2070..=0x218F | 0x2C00..=0x2FEF | 0x3001..=0xD7FF | 0xF900..=0xFDCF | 0xFDF0..=0xFFFD
        | 0x10000..=0xEFFFF)
}

/// XML 1.0 NameChar.
fn is_name_char(c: char) -> bool {
    is_name_start(c) || matches!(c as u32, 0x2D | 0x2E | 0x30..=0x39 | 0xB7 | 0x300..=0x36F | 0x203F..=0x2040)
}

fn is_xml_char(c: char) -> bool {
    if (c as u32) < 0x20 { matches!(c, '\t' | '\n' | '\r') } else { !matches!(c as u32, 0xFFFE | 0xFFFF) }
}

/// The reference at the start of `s` (which starts with `&`): the character it stands for and its length.
fn reference(s: &str, offset: usize) -> Result<(char, usize), XmlError> {
    let body_len = s.find(';').filter(|&p| p > 1);
    let body = body_len.map_or("", |p| &s[1..p]);
    let c = if let Some(number) = body.strip_prefix('#') {
        let (digits, radix) = match number.strip_prefix('x') {
            Some(hex) => (hex, 16),
            None => (number, 10),
        };
        let valid = !digits.is_empty()
            && digits.bytes().all(|b| if radix == 16 { b.is_ascii_hexdigit() } else { b.is_ascii_digit() });
        // A reference must name a Char (the Legal Character constraint): surrogates and numbers past U+10FFFF,
        // which are no char, are refused as U+0 and U+FFFE are.
        let c = u32::from_str_radix(digits, radix).ok().filter(|_| valid).and_then(char::from_u32);
        c.filter(|&c| is_xml_char(c))
    } else {
        let mut scan = Scan { text: body, pos: 0, base: 0 };
        match scan.name() {
            Ok(name) if name.len() == body.len() => match name {
                "quot" => Some('"'),
                "amp" => Some('&'),
                "apos" => Some('\''),
                "lt" => Some('<'),
                "gt" => Some('>'),
                _ => {
                    return fail(
                        offset,
                        format!("unknown entity `&{name};` (only amp, lt, gt, apos and quot are defined)"),
                    );
                }
            },
            _ => None,
        }
    };
    match (c, body_len) {
        (Some(c), Some(len)) => Ok((c, len + 1)),
        _ => fail(offset, "malformed character or entity reference"),
    }
}

/// A run of text between markup, decoded: references replaced, line ends normalised to `\n` (a line end just
/// after a character reference is kept as written, as roxmltree and lxml do).
fn text(raw: &str, offset: usize) -> Result<Cow<'_, str>, XmlError> {
    if !raw.bytes().any(|b| matches!(b, b'>' | b'&' | b'\r')) {
        return Ok(Cow::Borrowed(raw));
    }
    if let Some(p) = raw.find("]]>") {
        return fail(offset + p, "`]]>` is not allowed in text");
    }
    if !raw.bytes().any(|b| b == b'&' || b == b'\r') {
        return Ok(Cow::Borrowed(raw));
    }
    let bytes = raw.as_bytes();
    let mut out: Vec<u8> = Vec::with_capacity(raw.len());
    let mut as_is = false;
    let mut i = 0;
    while i < bytes.len() {
        if bytes[i] == b'&' {
            let (c, len) = reference(&raw[i..], offset + i)?;
            out.extend_from_slice(c.encode_utf8(&mut [0; 4]).as_bytes());
            as_is = true;
            i += len;
            continue;
        }
        let b = bytes[i];
        i += 1;
        if as_is {
            out.push(b);
            as_is = false;
        } else if out.last() == Some(&b'\r') {
            *out.last_mut().expect("not empty") = b'\n';
            if i == bytes.len() && b == b'\r' {
                out.push(b'\n');
            } else if b != b'\n' {
                out.push(b);
            }
        } else if i == bytes.len() && b == b'\r' {
            out.push(b'\n');
        } else {
            out.push(b);
        }
    }
    Ok(Cow::Owned(String::from_utf8(out).expect("whole characters were copied")))
}

/// CDATA content with its line ends normalised to `\n`.
fn line_ends(content: &str) -> Cow<'_, str> {
    if content.contains('\r') {
        Cow::Owned(content.replace("\r\n", "\n").replace('\r', "\n"))
    } else {
        Cow::Borrowed(content)
    }
}

/// An attribute value, decoded: references replaced, tabs and line ends written as spaces (a `\r\n` as one).
fn attribute_value(raw: &str, offset: usize) -> Result<String, XmlError> {
    let bytes = raw.as_bytes();
    let mut out: Vec<u8> = Vec::with_capacity(raw.len());
    let mut i = 0;
    while i < bytes.len() {
        match bytes[i] {
            b'&' => {
                let (c, len) = reference(&raw[i..], offset + i)?;
                out.extend_from_slice(c.encode_utf8(&mut [0; 4]).as_bytes());
                i += len;
                continue;
            }
            b'\r' if bytes.get(i + 1) == Some(&b'\n') => {}
            b'\t' | b'\n' | b'\r' => out.push(b' '),
            b => out.push(b),
        }
        i += 1;
    }
    Ok(String::from_utf8(out).expect("whole characters were copied"))
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    /// Reads a whole text: the elements' local names with their namespaces, and the text pieces.
    fn read(text: &str) -> Result<Vec<String>, XmlError> {
        let mut reader = Reader::new(text);
        let mut seen = Vec::new();
        loop {
            match reader.next(true)? {
                Event::Start(e) => {
                    seen.push(format!("<{} {:?} {}", e.local, e.namespace, if e.empty { "/>" } else { ">" }))
                }
                Event::End => seen.push("</>".into()),
                Event::Text(t) => seen.push(format!("{t:?}")),
                Event::Other => seen.push("other".into()),
                Event::Eof => return Ok(seen),
            }
        }
    }

    #[test]
    fn reads_namespaces_text_and_references() {
        let text = "\u{feff}<?xml version='1.0' encoding=\"UTF-8\"?>\n<!-- c --><g:a xmlns:g='u' xmlns='d'><b x='1'>t&amp;&#65;\r\nu<![CDATA[<v>\r]]></b><?pi x?><c xmlns=''/></g:a>\n";
        assert_eq!(
            read(text).unwrap(),
            [
                "<a Some(\"u\") >",
                "<b Some(\"d\") >",
                "\"t&A\\nu\"",
                "\"<v>\\n\"",
                "</>",
                "other",
                "<c Some(\"\") />",
                "</>"
            ]
        );
        let mut reader = Reader::new("<a p:id=' 1\t2&#9;' xmlns:p='q'/>");
        let Ok(Event::Start(e)) = reader.next(true) else { panic!() };
        assert_eq!(e.attribute("id").map(|v| &**v), Some(" 1 2\t"));
    }

    /// Any XML whitespace may follow `<?xml` in the declaration, and targets that merely begin with `xml` are
    /// ordinary processing instructions.
    #[test]
    fn reads_a_declaration_opened_by_any_space_and_xml_prefixed_targets() {
        for good in ["<?xml\nversion='1.0'?><a/>", "<?xml\r\n version='1.0'?><a><?xml-stylesheet href='s'?></a>"] {
            assert!(read(good).is_ok(), "{good:?} was refused");
        }
        assert!(read("<?xml\nversion='1.0' encoding='junk'?><a/>").is_ok());
        for bad in ["standalone='maybe'", "encoding='8bit'", "encoding=''"] {
            assert!(read(&format!("<?xml version='1.0' {bad}?><a/>")).is_err(), "{bad} was accepted");
        }
        for bad in ["<?xml version='2.0'?><a/>", "<?xml version='1.'?><a/>", "<?xml versions='1.0'?><a/>"] {
            assert!(read(bad).is_err(), "{bad} was accepted");
        }
        assert!(read("<?xml version='1.1' encoding='iso-8859-1' standalone='no'?><a/>").is_ok());
    }

    #[test]
    fn rejects_what_is_not_well_formed() {
        for bad in [
            "",
            "<a>",
            "<a></b>",
            "<a/><b/>",
            "x<a/>",
            "<a/>x",
            "<a>&foo;</a>",
            "<a>&amp</a>",
            "<a>&#0;</a>",
            "<a>&#xD800;</a>",
            "<a b='&#57343;'/>",
            "<a>&#x110000;</a>",
            "<a>&#xFFFFFFFFF;</a>",
            "<a>\u{1}</a>",
            "<a>\u{fffe}</a>",
            "<a>]]></a>",
            "<a b='1' b='2'/>",
            "<a b='1'c='2'/>",
            "<a b=1/>",
            "<a b='<'/>",
            "<a xmlns:p='u' xmlns:q='u' p:b='1' q:b='2'/>",
            "<p:a/>",
            "<xml:a/>",
            "<xmlns:a/>",
            "<a xmlns:p='u' xmlns:p='v'/>",
            "<a xmlns:xml='u'/>",
            "<a xmlns:p='http://www.w3.org/XML/1998/namespace'/>",
            "<a xmlns='http://www.w3.org/2000/xmlns/'/>",
            "<!DOCTYPE a><a/>",
            "<a><!-- a -- b --></a>",
            "<a><!-- a ---></a>",
            "<a><??></a>",
            " <?xml version='1.0'?><a/>",
            "<a/><?xml\nversion='1.0'?>",
            "<a><?xml?></a>",
            "<a><?XmL x?></a>",
            "<?xml\tencoding='UTF-8'?><a/>",
            "<?xml encoding='UTF-8'?><a/>",
            "<a:b:c/>",
            "<1a/>",
            "<a / >",
            "</a>",
            "<![CDATA[x]]><a/>",
        ] {
            assert!(read(bad).is_err(), "{bad:?} was accepted");
        }
    }

    /// Where quick-xml split the whole text first (the reader before this one), its errors and the characters up to
    /// the end of a piece still come first: a tag left open, an end tag without a start tag, a bad character.
    #[test]
    fn errors_come_in_the_order_the_text_is_split() {
        let unclosed = "syntax error: tag not closed: `>` not found before end of input";
        let bad_char = "character U+0001 is not allowed in XML";
        for (text, offset, message) in [
            ("<a><b c='x", 3, "syntax error: attribute value not closed: `'` not found before end of input"),
            ("<a><b c=\"x", 3, "syntax error: attribute value not closed: `\"` not found before end of input"),
            ("<a><b c", 3, unclosed),
            ("<a><", 3, unclosed),
            ("<a><b \u{1} c='1'", 3, unclosed),
            ("<a><b c='<'", 3, unclosed),
            ("<a><b \u{1} c='1'>", 6, bad_char),
            ("<a><b c='1' c='2' \u{1}></b></a>", 18, bad_char),
            ("<a><!DOCTYPE x [\u{1}]></a>", 16, bad_char),
            ("<a/></b  >", 4, "ill-formed document: close tag `</b>` does not match any open tag"),
            ("<a/></ >", 4, "ill-formed document: close tag `</ >` does not match any open tag"),
            ("<a/></b \u{1}>", 4, "ill-formed document: close tag `</b \u{1}>` does not match any open tag"),
            ("<a><b c='<'></b></a>", 9, "`<` is not allowed in an attribute value"),
            ("<a></a >x", 8, "text after the root element"),
            ("<a></a '>", 7, "expected `>` to end the end tag"),
            ("<a><b></b \"x\"></a>", 10, "expected `>` to end the end tag"),
            ("<a><b></b '", 6, unclosed),
            ("<a/></b '>", 4, "ill-formed document: close tag `</b '>` does not match any open tag"),
        ] {
            let e = read(text).unwrap_err();
            assert_eq!((e.offset, e.message.as_str()), (offset, message), "{text:?}");
        }
    }

    /// Namespaces in XML 1.0 lets `xmlns=""` undeclare the default namespace, but no prefix be undeclared.
    #[test]
    fn refuses_to_undeclare_a_prefix() {
        for (text, offset) in [("<a xmlns:p=''/>", 3), ("<a xmlns:p='u'><b xmlns=\"\" xmlns:p=\"\"/></a>", 27)] {
            let e = read(text).unwrap_err();
            assert_eq!(e.offset, offset, "{text:?}");
            assert!(e.message.starts_with("the prefix `p` cannot be undeclared"), "{}", e.message);
        }
        assert_eq!(read("<a xmlns='u'><b xmlns=''/></a>").unwrap(), ["<a Some(\"u\") >", "<b Some(\"\") />", "</>"]);
    }

    /// Namespaces in XML 1.0 reserves the prefix `xmlns`, and the prefix `xml` for its own name alone.
    #[test]
    fn refuses_to_rebind_reserved_prefixes() {
        for (text, message) in [
            ("<a xmlns:xmlns='u'/>", "the prefix `xmlns` cannot be declared"),
            ("<a><b xmlns:xml='u'/></a>", "only the prefix `xml` is bound to"),
            ("<a xmlns:x='http://www.w3.org/XML/1998/namespace'/>", "only the prefix `xml` is bound to"),
            ("<a xmlns:xmlns='http://www.w3.org/2000/xmlns/'/>", "the prefix `xmlns` cannot be declared"),
        ] {
            let e = read(text).unwrap_err();
            assert!(e.message.starts_with(message), "{text:?}: {}", e.message);
            assert_eq!(&text[e.offset..e.offset + 6], "xmlns:", "{text:?}");
        }
        assert!(read("<a xmlns:xml='http://www.w3.org/XML/1998/namespace' xml:lang='en'/>").is_ok());
    }

    /// One byte-order mark opens the text; another, even after the declaration, is text before the root.
    #[test]
    fn a_second_byte_order_mark_is_text() {
        assert!(read("\u{feff}<a/>").is_ok());
        for (text, offset) in [("\u{feff}\u{feff}<a/>", 3), ("<?xml version='1.0'?>\u{feff}<a/>", 21)] {
            let e = read(text).unwrap_err();
            assert_eq!((e.offset, e.message.as_str()), (offset, "text before the root element"), "{text:?}");
        }
    }

    #[test]
    fn checks_many_attributes_in_one_tag() {
        const N: usize = 200_000;
        let mut tag = String::from("<e xmlns:p='u' xmlns:q='u'");
        for i in 0..N {
            tag += &format!(" p:a{i}='' a{i}=''");
        }
        assert_eq!(read(&(tag.clone() + "/>")).unwrap().len(), 1);
        // `q:a…` names the namespace of `p:a…`; the later repeat is not the first.
        let repeat = tag.len() + 1;
        tag += &format!(" q:a{}='' p:a{}='' xml:b='' xml:b=''/>", N - 10, N - 20);
        let e = read(&tag).unwrap_err();
        assert_eq!((e.offset, e.message), (repeat, format!("attribute `a{}` is given twice", N - 10)));
    }

    #[test]
    fn resolves_prefixes_under_many_scopes() {
        const N: usize = 100_000;
        let mut text = String::from("<r:e xmlns:r='u'>");
        for i in 0..N {
            text += &format!("<r:e xmlns:p{i}='v{i}' p{}:a=''>", i / 2);
        }
        text += "<e xmlns:r='w' r:a=''/>";
        text += &"</r:e>".repeat(N + 1);
        let seen = read(&text).unwrap();
        assert_eq!(seen.len(), 2 * N + 3);
        assert_eq!(seen[N], "<e Some(\"u\") >");
        assert_eq!(seen[N + 1], "<e None />");
        // A binding ends with its element, and the one it hid is back.
        for (text, offset) in [("<e><e xmlns:q='u'/><e q:a=''/></e>", 22), ("<e><e xmlns:q='u'></e><q:e/></e>", 23)] {
            let e = read(text).unwrap_err();
            assert_eq!((e.offset, e.message.as_str()), (offset, "namespace prefix `q` is not declared"));
        }
        assert_eq!(
            read("<e xmlns:q='u'><e xmlns:q='v'/><q:e/></e>").unwrap(),
            ["<e None >", "<e None />", "<e Some(\"u\") />", "</>"]
        );

        let mut tag = String::from("<e");
        for i in 0..N {
            tag += &format!(" xmlns:p{i}='u' xmlns='d{i}'");
        }
        assert_eq!(read(&(tag.clone() + "/>")).unwrap(), ["<e Some(\"d0\") />"]);
        let repeat = tag.len() + 1;
        tag += &format!(" xmlns:p{}='u'/>", N - 1);
        let e = read(&tag).unwrap_err();
        assert_eq!((e.offset, e.message), (repeat, format!("namespace prefix `p{}` is declared twice", N - 1)));
    }

    /// The attribute check as first written: each attribute against every earlier one, each prefix looked up in
    /// the declarations in scope (outermost first) from the innermost. The first error: offset and message.
    fn pairwise(declared: &[(&str, &str)], attributes: &[(&str, &str, usize)]) -> Option<(usize, String)> {
        let resolve = |prefix: &str| match prefix {
            "" => Some(None),
            "xml" => Some(Some(XML_URI)),
            p => declared.iter().rev().find(|d| d.0 == p).map(|d| Some(d.1)),
        };
        for (i, &(prefix, local, offset)) in attributes.iter().enumerate() {
            let Some(uri) = resolve(prefix) else {
                return Some((offset, format!("namespace prefix `{prefix}` is not declared")));
            };
            if attributes[..i].iter().any(|b| b.1 == local && resolve(b.0) == Some(uri)) {
                return Some((offset, format!("attribute `{local}` is given twice")));
            }
        }
        None
    }

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(256))]

        /// Short tags and long ones (sorted), prefixes bound to one namespace or to two, declared on the tag or
        /// on its parent, or not at all: the first error is the one the pairwise check finds.
        #[test]
        fn repeated_attributes_are_found_as_pairwise(
            attributes in proptest::collection::vec((0usize..5, 0usize..20), 0..40),
            inner in proptest::collection::vec((0usize..2, 0usize..2, 0usize..40), 0..3),
            outer_r: bool,
        ) {
            let prefixes = ["", "xml", "p", "q", "r"];
            let mut declared = vec![("p", "w")];
            let mut text = String::from("<o xmlns:p='w'");
            if outer_r {
                declared.push(("r", "u"));
                text += " xmlns:r='u'";
            }
            text += "><e";
            let mut inner = inner;
            inner.sort_by_key(|d| d.0);
            inner.dedup_by_key(|d| d.0);
            let mut written = Vec::new();
            for (i, &(prefix, local)) in attributes.iter().enumerate() {
                for &(p, uri, _) in inner.iter().filter(|d| d.2 == i) {
                    text += &format!(" xmlns:{}='{}'", ["p", "q"][p], ["u", "v"][uri]);
                }
                text += " ";
                let prefix = prefixes[prefix];
                written.push((prefix, &"abcdefghijklmnopqrst"[local..=local], text.len()));
                if !prefix.is_empty() {
                    text += prefix;
                    text += ":";
                }
                text += &format!("{}=''", written[i].1);
            }
            for &(p, uri, _) in inner.iter().filter(|d| d.2 >= attributes.len()) {
                text += &format!(" xmlns:{}='{}'", ["p", "q"][p], ["u", "v"][uri]);
            }
            text += "/></o>";
            declared.extend(inner.iter().map(|&(p, uri, _)| (["p", "q"][p], ["u", "v"][uri])));
            let expected = pairwise(&declared, &written);
            prop_assert_eq!(read(&text).err().map(|e| (e.offset, e.message)), expected, "{}", text);
        }
    }
}
