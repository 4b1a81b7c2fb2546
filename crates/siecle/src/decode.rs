//! A streaming decoding reader: turns an ISO-8859-15 (or UTF-8) byte stream into UTF-8
//! for quick-xml, chunk by chunk, so a file of hundreds of megabytes never has to be in
//! memory.
//!
//! It also:
//! - picks the encoding from a UTF-8 BOM, else from the XML declaration, else UTF-8;
//! - refuses bytes that cannot be right: C1 control bytes (0x80–0x9F, typically a
//!   Windows-1252 « € » or « ’ ») or UTF-8 sequences in a file declared ISO-8859-15,
//!   malformed UTF-8 in a file declared UTF-8 — with the line;
//! - counts the lines and columns of what the XML parser has consumed, for messages;
//! - bounds the length of any text or tag (bytes between two `<`/`>`), which bounds
//!   quick-xml's own buffer.

use std::io::{self, BufRead, Read};

use encoding_rs::{DecoderResult, Encoding};

use crate::error::ErrorReason;

const CHUNK: usize = 64 * 1024;
const SNIFF: usize = 4096;

/// A failure detected by the reader, with the line where it happened.
#[derive(Debug, Clone)]
pub(crate) struct DecodeFailure {
    pub reason: ErrorReason,
    pub line: u64,
}

pub(crate) struct DecodingReader<R> {
    inner: R,
    prefix: Vec<u8>,
    prefix_pos: usize,
    decoder: encoding_rs::Decoder,
    /// ISO-8859-15 (the official encoding): C1 bytes and UTF-8 sequences are refused.
    /// A file declaring ISO-8859-1 or Windows-1252 is decoded as Windows-1252, leniently.
    strict_latin9: bool,
    declared: String,
    out: Vec<u8>,
    out_pos: usize,
    finished: bool,
    in_line: u64,
    prev_byte: u8,
    line: u64,
    col: u64,
    since_markup: usize,
    max_token: usize,
    pub(crate) failure: Option<DecodeFailure>,
}

impl<R: BufRead> DecodingReader<R> {
    /// Sniffs the encoding from the first bytes. Fails on an empty input or an
    /// unsupported encoding.
    pub(crate) fn new(mut inner: R, max_token: usize) -> Result<Self, DecodeFailure> {
        let mut prefix = Vec::with_capacity(SNIFF);
        while prefix.len() < SNIFF {
            let chunk = inner.fill_buf().map_err(|e| DecodeFailure {
                reason: ErrorReason::Io(e.to_string()),
                line: 1,
            })?;
            if chunk.is_empty() {
                break;
            }
            let take = chunk.len().min(SNIFF - prefix.len());
            prefix.extend_from_slice(&chunk[..take]);
            inner.consume(take);
        }
        if prefix.iter().all(|b| b.is_ascii_whitespace()) {
            return Err(DecodeFailure {
                reason: ErrorReason::Empty,
                line: 1,
            });
        }
        let (encoding, prefix_pos, declared) = sniff_encoding(&prefix)?;
        Ok(DecodingReader {
            inner,
            prefix,
            prefix_pos,
            decoder: encoding.new_decoder_without_bom_handling(),
            strict_latin9: encoding == encoding_rs::ISO_8859_15,
            declared,
            out: Vec::with_capacity(CHUNK * 2),
            out_pos: 0,
            finished: false,
            in_line: 1,
            prev_byte: 0,
            line: 1,
            col: 0,
            since_markup: 0,
            max_token,
            failure: None,
        })
    }

    /// Line (from 1) of the position the parser has reached.
    pub(crate) fn line(&self) -> u64 {
        self.line
    }

    /// Column (from 1) of the position the parser has reached.
    pub(crate) fn column(&self) -> u64 {
        self.col + 1
    }

    fn fail(&mut self, reason: ErrorReason, line: u64) -> io::Error {
        self.failure = Some(DecodeFailure { reason, line });
        io::Error::other("siecle decoding failure")
    }

    fn refill(&mut self) -> io::Result<()> {
        self.out.clear();
        self.out_pos = 0;
        let from_prefix = self.prefix_pos < self.prefix.len();
        let chunk: &[u8] = if from_prefix {
            &self.prefix[self.prefix_pos..]
        } else {
            self.inner.fill_buf()?
        };
        let len = chunk.len().min(CHUNK);
        let last = len == 0;
        let input = &chunk[..len];

        if self.strict_latin9 {
            let mut line = self.in_line;
            let mut prev = self.prev_byte;
            for &b in input {
                let utf8_like = matches!(prev, 0xC2..=0xDF | 0xE2) && (0x80..=0xBF).contains(&b);
                if utf8_like {
                    let detail =
                        "suite d'octets UTF-8 (le fichier semble encodé en UTF-8)".to_string();
                    let declared = self.declared.clone();
                    return Err(self.fail(ErrorReason::Encoding { declared, detail }, line));
                }
                if (0x80..=0x9F).contains(&b) {
                    let detail = format!(
                        "octet 0x{b:02X} interdit (caractère de contrôle ; le fichier est peut-être en Windows-1252)"
                    );
                    let declared = self.declared.clone();
                    return Err(self.fail(ErrorReason::Encoding { declared, detail }, line));
                }
                if b == b'\n' {
                    line += 1;
                }
                prev = b;
            }
            self.prev_byte = prev;
        }

        let needed = self
            .decoder
            .max_utf8_buffer_length_without_replacement(len)
            .unwrap_or(len * 4 + 16);
        self.out.resize(needed, 0);
        let (result, read, written) =
            self.decoder
                .decode_to_utf8_without_replacement(input, &mut self.out, last);
        self.out.truncate(written);
        let newlines = input[..read].iter().filter(|&&b| b == b'\n').count() as u64;
        if let DecoderResult::Malformed(_, _) = result {
            let line = self.in_line + newlines;
            let declared = self.declared.clone();
            let detail = "suite d'octets invalide".to_string();
            return Err(self.fail(ErrorReason::Encoding { declared, detail }, line));
        }
        self.in_line += newlines;
        if from_prefix {
            self.prefix_pos += read;
        } else {
            self.inner.consume(read);
        }
        if last && matches!(result, DecoderResult::InputEmpty) {
            self.finished = true;
        }
        Ok(())
    }
}

impl<R: BufRead> Read for DecodingReader<R> {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        let available = self.fill_buf()?;
        let n = available.len().min(buf.len());
        buf[..n].copy_from_slice(&available[..n]);
        self.consume(n);
        Ok(n)
    }
}

impl<R: BufRead> BufRead for DecodingReader<R> {
    fn fill_buf(&mut self) -> io::Result<&[u8]> {
        loop {
            if self.failure.is_some() {
                return Err(io::Error::other("siecle decoding failure"));
            }
            if self.out_pos < self.out.len() {
                return Ok(&self.out[self.out_pos..]);
            }
            if self.finished {
                return Ok(&[]);
            }
            self.refill()?;
        }
    }

    fn consume(&mut self, amt: usize) {
        let end = (self.out_pos + amt).min(self.out.len());
        let chunk = &self.out[self.out_pos..end];
        let chars = |bytes: &[u8]| bytes.iter().filter(|&&b| b & 0xC0 != 0x80).count() as u64;
        match chunk.iter().rposition(|&b| b == b'\n') {
            Some(last) => {
                self.line += chunk.iter().filter(|&&b| b == b'\n').count() as u64;
                self.col = chars(&chunk[last + 1..]);
            }
            None => self.col += chars(chunk),
        }
        match chunk.iter().rposition(|&b| b == b'<' || b == b'>') {
            Some(p) => self.since_markup = chunk.len() - p - 1,
            None => self.since_markup += chunk.len(),
        }
        self.out_pos = end;
        if self.since_markup > self.max_token && self.failure.is_none() {
            self.failure = Some(DecodeFailure {
                reason: ErrorReason::TooLong(self.max_token),
                line: self.line,
            });
        }
    }
}

/// Picks the encoding: UTF-8 BOM, else the XML declaration, else UTF-8.
/// Returns the encoding, how many prefix bytes to skip (the BOM) and its name.
fn sniff_encoding(prefix: &[u8]) -> Result<(&'static Encoding, usize, String), DecodeFailure> {
    if prefix.starts_with(&[0xEF, 0xBB, 0xBF]) {
        return Ok((encoding_rs::UTF_8, 3, "UTF-8".into()));
    }
    if prefix.starts_with(&[0xFF, 0xFE]) || prefix.starts_with(&[0xFE, 0xFF]) {
        return Err(DecodeFailure {
            reason: ErrorReason::UnsupportedEncoding("UTF-16".into()),
            line: 1,
        });
    }
    let Some(label) = declared_encoding(prefix) else {
        return Ok((encoding_rs::UTF_8, 0, "UTF-8".into()));
    };
    match Encoding::for_label_no_replacement(label.as_bytes()) {
        Some(enc) if enc == encoding_rs::UTF_8 => Ok((enc, 0, "UTF-8".into())),
        Some(enc) if enc == encoding_rs::ISO_8859_15 => Ok((enc, 0, "ISO-8859-15".into())),
        // encoding_rs maps « ISO-8859-1 » and « latin1 » to Windows-1252, a superset.
        Some(enc) if enc == encoding_rs::WINDOWS_1252 => Ok((enc, 0, label.to_uppercase())),
        _ => Err(DecodeFailure {
            reason: ErrorReason::UnsupportedEncoding(crate::text::excerpt(&label)),
            line: 1,
        }),
    }
}

/// Reads `encoding="…"` from an XML declaration at the very start.
fn declared_encoding(prefix: &[u8]) -> Option<String> {
    let start = prefix.iter().position(|b| !b.is_ascii_whitespace())?;
    let rest = &prefix[start..];
    if !rest.starts_with(b"<?xml") {
        return None;
    }
    let end = rest.windows(2).position(|w| w == b"?>")?;
    let decl = std::str::from_utf8(&rest[..end]).ok()?;
    let at = decl.find("encoding")?;
    let after = decl[at + "encoding".len()..]
        .trim_start()
        .strip_prefix('=')?
        .trim_start();
    let quote = after.chars().next().filter(|c| *c == '"' || *c == '\'')?;
    let value = &after[1..];
    let close = value.find(quote)?;
    Some(value[..close].trim().to_string())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn decode_all(bytes: &[u8]) -> Result<String, ErrorReason> {
        let mut r = DecodingReader::new(bytes, 1 << 20).map_err(|f| f.reason)?;
        let mut s = String::new();
        match r.read_to_string(&mut s) {
            Ok(_) => Ok(s),
            Err(_) => Err(r.failure.unwrap().reason),
        }
    }

    #[test]
    fn decodes_iso_8859_15_with_euro_and_oe() {
        let mut bytes = b"<?xml version=\"1.0\" encoding=\"ISO-8859-15\"?><A>".to_vec();
        bytes.extend_from_slice(&[0xA4, b' ', 0xBD, 0xE9]); // € œ é
        bytes.extend_from_slice(b"</A>");
        assert!(decode_all(&bytes).unwrap().contains("€ œé"));
    }

    #[test]
    fn refuses_windows_1252_bytes_in_iso_8859_15() {
        let bytes = b"<?xml version=\"1.0\" encoding=\"ISO-8859-15\"?>\n<A>\n\x80</A>";
        match decode_all(bytes) {
            Err(ErrorReason::Encoding { declared, .. }) => assert_eq!(declared, "ISO-8859-15"),
            other => panic!("{other:?}"),
        }
    }

    #[test]
    fn refuses_utf8_declared_iso_8859_15_and_bad_utf8() {
        let bytes = "<?xml version=\"1.0\" encoding=\"ISO-8859-15\"?><A>Chloé</A>".as_bytes();
        assert!(matches!(
            decode_all(bytes),
            Err(ErrorReason::Encoding { .. })
        ));
        let bytes = b"<?xml version=\"1.0\" encoding=\"UTF-8\"?><A>Chlo\xE9</A>";
        assert!(matches!(
            decode_all(bytes),
            Err(ErrorReason::Encoding { .. })
        ));
    }

    #[test]
    fn bom_means_utf8_and_no_declaration_means_utf8() {
        let bytes = "\u{feff}<A>é</A>".as_bytes();
        assert_eq!(decode_all(bytes).unwrap(), "<A>é</A>");
        assert_eq!(decode_all("<A>é</A>".as_bytes()).unwrap(), "<A>é</A>");
        assert!(matches!(decode_all(b"   "), Err(ErrorReason::Empty)));
        assert!(matches!(
            decode_all(b"<?xml version=\"1.0\" encoding=\"EBCDIC\"?><A/>"),
            Err(ErrorReason::UnsupportedEncoding(_))
        ));
    }

    #[test]
    fn counts_lines_of_consumed_output() {
        let mut r = DecodingReader::new(&b"a\nb\r\nc"[..], 100).unwrap();
        let mut s = String::new();
        r.read_to_string(&mut s).unwrap();
        assert_eq!(r.line(), 3);
    }

    #[test]
    fn bounds_the_length_of_a_token() {
        let long = format!("<A>{}</A>", "x".repeat(5000));
        let mut r = DecodingReader::new(long.as_bytes(), 1000).unwrap();
        let mut s = String::new();
        assert!(r.read_to_string(&mut s).is_err());
        assert!(matches!(
            r.failure.unwrap().reason,
            ErrorReason::TooLong(1000)
        ));
    }
}
