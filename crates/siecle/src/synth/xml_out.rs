//! A small XML writer for the generated exports: ISO-8859-15 output, SIECLE's
//! indentation, and the value spellings of real files (« 0 »/« 1 », « true »/« false »,
//! `JJ/MM/AAAA` dates).

use std::io::{self, Write};

use chrono::{Datelike, NaiveDate};

/// Writes XML in ISO-8859-15, escaping text; characters outside ISO-8859-15 become
/// numeric character references.
pub(super) struct XmlOut<W: Write> {
    w: W,
    buf: String,
}

fn escape(s: &str, out: &mut String) {
    for c in s.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&apos;"),
            c => out.push(c),
        }
    }
}

impl<W: Write> XmlOut<W> {
    pub(super) fn new(w: W) -> Self {
        XmlOut {
            w,
            buf: String::with_capacity(16 * 1024),
        }
    }

    pub(super) fn raw(&mut self, s: &str) {
        self.buf.push_str(s);
    }

    pub(super) fn open(&mut self, indent: usize, tag: &str, attrs: &[(&str, &str)]) {
        self.indent(indent);
        self.buf.push('<');
        self.buf.push_str(tag);
        for (k, v) in attrs {
            self.buf.push(' ');
            self.buf.push_str(k);
            self.buf.push_str("=\"");
            escape(v, &mut self.buf);
            self.buf.push('"');
        }
        self.buf.push_str(">\n");
    }

    pub(super) fn close(&mut self, indent: usize, tag: &str) {
        self.indent(indent);
        self.buf.push_str("</");
        self.buf.push_str(tag);
        self.buf.push_str(">\n");
    }

    fn indent(&mut self, n: usize) {
        for _ in 0..n {
            self.buf.push_str("  ");
        }
    }

    /// `<TAG>value</TAG>`; nothing when `None`.
    pub(super) fn leaf(&mut self, indent: usize, tag: &str, value: Option<&str>) {
        if let Some(v) = value {
            self.indent(indent);
            self.buf.push('<');
            self.buf.push_str(tag);
            self.buf.push('>');
            escape(v, &mut self.buf);
            self.buf.push_str("</");
            self.buf.push_str(tag);
            self.buf.push_str(">\n");
        }
    }

    /// `<TAG>value</TAG>`, or `<TAG></TAG>` when `None` (as SIECLE does for address lines).
    pub(super) fn leaf_or_empty(&mut self, indent: usize, tag: &str, value: Option<&str>) {
        match value {
            Some(_) => self.leaf(indent, tag, value),
            None => {
                self.indent(indent);
                self.buf.push_str(&format!("<{tag}></{tag}>\n"));
            }
        }
    }

    pub(super) fn flush_if_big(&mut self) -> io::Result<()> {
        if self.buf.len() > 8 * 1024 {
            self.flush()
        } else {
            Ok(())
        }
    }

    pub(super) fn flush(&mut self) -> io::Result<()> {
        let (bytes, _, _) = encoding_rs::ISO_8859_15.encode(&self.buf);
        self.w.write_all(&bytes)?;
        self.buf.clear();
        Ok(())
    }
}

pub(super) fn b01(b: Option<bool>) -> Option<&'static str> {
    b.map(|b| if b { "1" } else { "0" })
}

pub(super) fn tf(b: Option<bool>) -> Option<&'static str> {
    b.map(|b| if b { "true" } else { "false" })
}

pub(super) fn date(d: Option<NaiveDate>) -> Option<String> {
    d.map(|d| format!("{:02}/{:02}/{:04}", d.day(), d.month(), d.year()))
}
