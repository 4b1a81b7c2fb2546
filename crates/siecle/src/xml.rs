//! The streaming XML engine shared by the four BEE parsers.
//!
//! Every BEE export has the same frame: a root element, a `PARAMETRES` block, then a
//! `DONNEES` block holding blocks (`ELEVES`, `OPTIONS`…) of records (`ELEVE`,
//! `OPTION`…). [`XmlStream`] reads events one by one and hands back each record as a
//! small tree ([`Node`]), built only for that record: memory stays bounded by the size
//! of one record, whatever the size of the file.
//!
//! Security: a DOCTYPE is refused before anything is expanded (quick-xml never expands
//! custom entities anyway; only the five predefined entities and character references
//! are resolved), nesting depth, text length, tag length and record size are bounded.

use std::io::BufRead;

use quick_xml::Reader;
use quick_xml::events::Event;

use crate::decode::{DecodeFailure, DecodingReader};
use crate::detect::FileKind;
use crate::error::{ErrorReason, Location, SiecleError};
use crate::text::{excerpt, non_empty, parse_date};
use crate::types::{Parametres, Uai};

/// Limits applied while parsing; the defaults suit real exports with a wide margin.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Limits {
    /// Deepest element nesting allowed (real exports go 6 deep).
    pub max_depth: usize,
    /// Longest text of one element, in bytes (SIECLE fields hold at most 254 characters).
    pub max_text_len: usize,
    /// Longest run of bytes between two `<`/`>` (a text or a tag).
    pub max_token_len: usize,
    /// Most elements in one record.
    pub max_record_nodes: usize,
    /// Most warnings kept (the rest are counted).
    pub max_warnings: usize,
    /// Largest spreadsheet file accepted, in bytes.
    pub max_spreadsheet_bytes: u64,
    /// Largest total uncompressed size of an XLSX, in bytes (zip bomb guard).
    pub max_uncompressed_bytes: u64,
    /// Most rows read from a spreadsheet.
    pub max_spreadsheet_rows: usize,
}

impl Default for Limits {
    fn default() -> Self {
        Limits {
            max_depth: 16,
            max_text_len: 16 * 1024,
            max_token_len: 64 * 1024,
            max_record_nodes: 10_000,
            max_warnings: 10_000,
            max_spreadsheet_bytes: 64 * 1024 * 1024,
            max_uncompressed_bytes: 256 * 1024 * 1024,
            max_spreadsheet_rows: 50_000,
        }
    }
}

/// One element of a record, with its attributes, text and children.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub(crate) struct Node {
    pub name: String,
    pub attrs: Vec<(String, String)>,
    pub text: String,
    pub children: Vec<Node>,
    pub line: u64,
}

impl Node {
    pub(crate) fn attr(&self, name: &str) -> Option<&str> {
        self.attrs
            .iter()
            .find(|(k, _)| k == name)
            .map(|(_, v)| v.as_str())
    }

    pub(crate) fn child(&self, name: &str) -> Option<&Node> {
        self.children.iter().find(|c| c.name == name)
    }

    pub(crate) fn children_named<'a>(
        &'a self,
        name: &'a str,
    ) -> impl Iterator<Item = &'a Node> + 'a {
        self.children.iter().filter(move |c| c.name == name)
    }
}

/// What the stream hands back.
#[derive(Debug)]
pub(crate) enum Captured {
    /// A record: the block it belongs to (`ELEVES`…) and the record itself.
    Record { block: String, node: Node },
}

pub(crate) struct XmlStream<R: BufRead> {
    reader: Reader<DecodingReader<R>>,
    buf: Vec<u8>,
    pub(crate) kind: FileKind,
    limits: Limits,
    names: Vec<String>,
    stack: Vec<Node>,
    record_nodes: usize,
    root_closed: bool,
    failed: bool,
    pub(crate) parametres: Parametres,
}

impl<R: BufRead> XmlStream<R> {
    /// Opens a BEE export of the given kind: checks the root element and reads
    /// PARAMETRES (which must hold an UAJ).
    pub(crate) fn open(input: R, kind: FileKind, limits: Limits) -> Result<Self, SiecleError> {
        let decoder = DecodingReader::new(input, limits.max_token_len.max(limits.max_text_len))
            .map_err(|f| failure_to_error(kind, f))?;
        let mut reader = Reader::from_reader(decoder);
        {
            let config = reader.config_mut();
            config.expand_empty_elements = true;
            config.check_end_names = true;
            config.trim_text(false);
        }
        let mut stream = XmlStream {
            reader,
            buf: Vec::with_capacity(1024),
            kind,
            limits,
            names: Vec::new(),
            stack: Vec::new(),
            record_nodes: 0,
            root_closed: false,
            failed: false,
            parametres: Parametres::default(),
        };
        stream.read_prologue()?;
        Ok(stream)
    }

    fn location(&self) -> Location {
        let r = self.reader.get_ref();
        Location::Xml {
            line: r.line(),
            column: Some(r.column()),
        }
    }

    fn error(&self, reason: ErrorReason) -> SiecleError {
        SiecleError::new(self.kind, reason).at(self.location())
    }

    fn read_prologue(&mut self) -> Result<(), SiecleError> {
        // Up to the root element.
        loop {
            self.buf.clear();
            let event = self.reader.read_event_into(&mut self.buf);
            match event {
                Err(e) => return Err(self.map_xml_error(e)),
                Ok(Event::Decl(_) | Event::Comment(_) | Event::PI(_)) => {}
                Ok(Event::DocType(_)) => return Err(self.error(ErrorReason::Doctype)),
                Ok(Event::Text(t)) if t.xml10_content().trim().is_empty() => {}
                Ok(Event::Start(start)) => {
                    let name = start.name().as_ref().to_string();
                    let found = FileKind::from_root_element(&name);
                    let mut version = None;
                    for attr in start.attributes().flatten() {
                        if attr.key.as_ref() == "VERSION" {
                            version = Some(attr.value.trim().to_string());
                        }
                    }
                    if found == FileKind::Unknown {
                        return Err(
                            self.error(ErrorReason::NotSiecle(Some(crate::text::excerpt(&name))))
                        );
                    }
                    if found != self.kind {
                        return Err(self.error(ErrorReason::WrongKind {
                            expected: self.kind,
                            found,
                        }));
                    }
                    self.parametres.version = version;
                    self.names.push(name);
                    break;
                }
                Ok(Event::Eof) => {
                    return Err(SiecleError::new(self.kind, ErrorReason::NotSiecle(None)));
                }
                Ok(_) => return Err(self.error(ErrorReason::NotSiecle(None))),
            }
        }
        // PARAMETRES must come first.
        match self.next_raw(true)? {
            Some((block, node)) if block.is_empty() && node.name == "PARAMETRES" => {
                self.parametres =
                    parametres_from_node(&node, self.kind, self.parametres.version.take())?;
                Ok(())
            }
            _ => Err(self.error(ErrorReason::MissingUaj).element("PARAMETRES")),
        }
    }

    /// The next record of the DONNEES block, or `None` at the end of the document.
    pub(crate) fn next_record(&mut self) -> Result<Option<Captured>, SiecleError> {
        if self.failed {
            return Ok(None);
        }
        match self.next_raw(false) {
            Ok(Some((block, node))) => Ok(Some(Captured::Record { block, node })),
            Ok(None) => Ok(None),
            Err(e) => {
                self.failed = true;
                Err(e)
            }
        }
    }

    /// Reads until a captured subtree: PARAMETRES (depth 2, returned with an empty
    /// block name, only when `want_parametres`) or a record (depth 4 under DONNEES).
    fn next_raw(&mut self, want_parametres: bool) -> Result<Option<(String, Node)>, SiecleError> {
        loop {
            self.buf.clear();
            let event = match self.reader.read_event_into(&mut self.buf) {
                Ok(e) => e,
                Err(e) => return Err(self.map_xml_error(e)),
            };
            match event {
                Event::Start(start) => {
                    if self.root_closed {
                        return Err(self.error(ErrorReason::Malformed(
                            "contenu après la fin de l'élément racine".into(),
                        )));
                    }
                    let depth = self.names.len() + 1;
                    if depth > self.limits.max_depth {
                        return Err(self.error(ErrorReason::TooDeep(self.limits.max_depth)));
                    }
                    let name = start.name().as_ref().to_string();
                    let capturing = !self.stack.is_empty()
                        || (depth == 2 && name == "PARAMETRES")
                        || (depth == 4 && self.names.get(1).is_some_and(|n| n == "DONNEES"));
                    if capturing {
                        if self.stack.is_empty() {
                            self.record_nodes = 0;
                        }
                        self.record_nodes += 1;
                        if self.record_nodes > self.limits.max_record_nodes {
                            return Err(self
                                .error(ErrorReason::RecordTooLarge(self.limits.max_record_nodes))
                                .element(name));
                        }
                        let mut node = Node {
                            name: name.clone(),
                            line: self.reader.get_ref().line(),
                            ..Node::default()
                        };
                        for attr in start.attributes() {
                            let attr = match attr {
                                Ok(a) => a,
                                Err(e) => {
                                    return Err(self
                                        .error(ErrorReason::Malformed(format!(
                                            "attribut invalide ({e})"
                                        )))
                                        .element(name));
                                }
                            };
                            let value =
                                match attr.normalized_value(quick_xml::XmlVersion::Implicit1_0) {
                                    Ok(v) => v.into_owned(),
                                    Err(e) => {
                                        return Err(self
                                            .error(ErrorReason::Malformed(format!(
                                                "valeur d'attribut invalide ({e})"
                                            )))
                                            .element(name));
                                    }
                                };
                            if value.len() > self.limits.max_text_len {
                                return Err(self
                                    .error(ErrorReason::TooLong(self.limits.max_text_len))
                                    .element(name));
                            }
                            node.attrs.push((attr.key.as_ref().to_string(), value));
                        }
                        self.stack.push(node);
                    }
                    self.names.push(name);
                }
                Event::End(_) => {
                    self.names.pop();
                    if self.names.is_empty() {
                        self.root_closed = true;
                    }
                    if let Some(node) = self.stack.pop() {
                        match self.stack.last_mut() {
                            Some(parent) => parent.children.push(node),
                            None => {
                                let depth = self.names.len() + 1;
                                if depth == 2 {
                                    if want_parametres {
                                        return Ok(Some((String::new(), node)));
                                    }
                                } else {
                                    let block = self.names.get(2).cloned().unwrap_or_default();
                                    return Ok(Some((block, node)));
                                }
                            }
                        }
                    }
                }
                Event::Text(t) => {
                    let content = t.xml10_content().into_owned();
                    self.push_text(&content)?;
                }
                Event::CData(t) => {
                    let content = t.xml10_content().into_owned();
                    self.push_text(&content)?;
                }
                Event::GeneralRef(r) => {
                    let resolved = match r.resolve_char_ref() {
                        Ok(Some(c)) => c.to_string(),
                        Ok(None) => match quick_xml::escape::resolve_predefined_entity(&r) {
                            Some(s) => s.to_string(),
                            None => {
                                let msg =
                                    format!("entité inconnue « &{}; »", crate::text::excerpt(&r));
                                return Err(self.error(ErrorReason::Malformed(msg)));
                            }
                        },
                        Err(_) => {
                            let msg = format!(
                                "référence de caractère invalide « &{}; »",
                                crate::text::excerpt(&r)
                            );
                            return Err(self.error(ErrorReason::Malformed(msg)));
                        }
                    };
                    self.push_text(&resolved)?;
                }
                Event::DocType(_) => return Err(self.error(ErrorReason::Doctype)),
                Event::Decl(_) => {
                    return Err(self.error(ErrorReason::Malformed(
                        "déclaration XML au milieu du document".into(),
                    )));
                }
                Event::Comment(_) | Event::PI(_) => {}
                Event::Empty(_) => {}
                Event::Eof => {
                    if let Some(open) = self.names.last() {
                        return Err(self.error(ErrorReason::Truncated(Some(open.clone()))));
                    }
                    return Ok(None);
                }
            }
        }
    }

    fn push_text(&mut self, content: &str) -> Result<(), SiecleError> {
        let max = self.limits.max_text_len;
        if let Some(node) = self.stack.last_mut() {
            if node.text.len() + content.len() > max {
                let name = node.name.clone();
                return Err(self.error(ErrorReason::TooLong(max)).element(name));
            }
            node.text.push_str(content);
            Ok(())
        } else if self.names.is_empty() && !content.trim().is_empty() {
            Err(self.error(ErrorReason::Malformed(
                "texte en dehors de l'élément racine".into(),
            )))
        } else {
            Ok(())
        }
    }

    fn map_xml_error(&mut self, e: quick_xml::Error) -> SiecleError {
        use quick_xml::errors::{IllFormedError, SyntaxError};
        if let Some(f) = self.reader.get_mut().failure.take() {
            return failure_to_error(self.kind, f);
        }
        let reason = match e {
            quick_xml::Error::Io(io) => ErrorReason::Io(io.to_string()),
            quick_xml::Error::Syntax(
                SyntaxError::UnclosedTag
                | SyntaxError::UnclosedComment
                | SyntaxError::UnclosedCData
                | SyntaxError::UnclosedPI
                | SyntaxError::UnclosedXmlDecl
                | SyntaxError::UnclosedSingleQuotedAttributeValue
                | SyntaxError::UnclosedDoubleQuotedAttributeValue,
            ) => ErrorReason::Truncated(self.names.last().cloned()),
            quick_xml::Error::Syntax(SyntaxError::UnclosedDoctype) => ErrorReason::Doctype,
            quick_xml::Error::Syntax(s) => {
                ErrorReason::Malformed(format!("erreur de syntaxe ({s})"))
            }
            quick_xml::Error::IllFormed(IllFormedError::MismatchedEndTag { expected, found }) => {
                ErrorReason::Malformed(format!(
                    "balise fermante </{}> alors que </{}> est attendue",
                    crate::text::excerpt(&found),
                    crate::text::excerpt(&expected)
                ))
            }
            quick_xml::Error::IllFormed(IllFormedError::UnmatchedEndTag(name)) => {
                ErrorReason::Malformed(format!(
                    "balise fermante </{}> sans balise ouvrante",
                    crate::text::excerpt(&name)
                ))
            }
            quick_xml::Error::IllFormed(IllFormedError::UnclosedReference) => {
                ErrorReason::Malformed("référence « & » non terminée par « ; »".into())
            }
            quick_xml::Error::IllFormed(other) => ErrorReason::Malformed(other.to_string()),
            quick_xml::Error::Encoding(_) => ErrorReason::Encoding {
                declared: "UTF-8".into(),
                detail: "suite d'octets invalide".into(),
            },
            other => ErrorReason::Malformed(other.to_string()),
        };
        self.error(reason)
    }
}

/// Reads the PARAMETRES block: a missing or invalid UAJ is fatal, the other values
/// are optional.
fn parametres_from_node(
    node: &Node,
    kind: FileKind,
    version: Option<String>,
) -> Result<Parametres, SiecleError> {
    let location = Location::Xml {
        line: node.line,
        column: None,
    };
    let uaj_text = node.child("UAJ").and_then(|n| non_empty(&n.text));
    let Some(uaj_text) = uaj_text else {
        return Err(SiecleError::new(kind, ErrorReason::MissingUaj)
            .at(location)
            .element("UAJ"));
    };
    let Some(uaj) = Uai::parse(&uaj_text) else {
        return Err(
            SiecleError::new(kind, ErrorReason::InvalidUaj(excerpt(&uaj_text)))
                .at(location)
                .element("UAJ"),
        );
    };
    let text = |name: &str| node.child(name).and_then(|n| non_empty(&n.text));
    Ok(Parametres {
        uaj: Some(uaj),
        annee_scolaire: text("ANNEE_SCOLAIRE").and_then(|s| s.parse().ok()),
        date_export: text("DATE_EXPORT").and_then(|s| parse_date(&s)),
        horodatage: text("HORODATAGE").and_then(|s| crate::text::parse_datetime(&s)),
        version,
    })
}

fn failure_to_error(kind: FileKind, f: DecodeFailure) -> SiecleError {
    if f.reason == ErrorReason::Empty {
        return SiecleError::new(kind, f.reason);
    }
    SiecleError::new(kind, f.reason).at(Location::Xml {
        line: f.line,
        column: None,
    })
}
