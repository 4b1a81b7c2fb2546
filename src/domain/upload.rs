//! What an uploaded piece really is, from its first bytes — never from its
//! name or the type the browser claims.

/// The kinds of files families may send.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum DocumentKind {
    Pdf,
    Jpeg,
    Png,
    Heic,
}

impl DocumentKind {
    pub fn mime(self) -> &'static str {
        match self {
            DocumentKind::Pdf => "application/pdf",
            DocumentKind::Jpeg => "image/jpeg",
            DocumentKind::Png => "image/png",
            DocumentKind::Heic => "image/heic",
        }
    }

    pub fn extension(self) -> &'static str {
        match self {
            DocumentKind::Pdf => "pdf",
            DocumentKind::Jpeg => "jpg",
            DocumentKind::Png => "png",
            DocumentKind::Heic => "heic",
        }
    }
}

/// Why a file is refused, with the message for the family.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum Refusal {
    #[error("Ce fichier est vide.")]
    Empty,
    #[error(
        "Ce type de fichier n'est pas accepté : envoyez un PDF ou une photo (JPEG, PNG, HEIC)."
    )]
    UnsupportedType,
    #[error(
        "Ce fichier semble abîmé ou incomplet : enregistrez-le à nouveau ou prenez une nouvelle photo."
    )]
    Corrupt,
    #[error("Ce fichier contient autre chose qu'un document ou une image : il n'est pas accepté.")]
    Suspicious,
}

/// Bytes to read before deciding (the head of the file).
pub const SNIFF_LEN: usize = 64;

/// Recognises the kind of a file from its head.
pub fn sniff(head: &[u8]) -> Result<DocumentKind, Refusal> {
    if head.is_empty() {
        return Err(Refusal::Empty);
    }
    if head.starts_with(b"%PDF-") {
        return Ok(DocumentKind::Pdf);
    }
    if head.starts_with(&[0xFF, 0xD8, 0xFF]) {
        return Ok(DocumentKind::Jpeg);
    }
    if head.starts_with(&[0x89, b'P', b'N', b'G', 0x0D, 0x0A, 0x1A, 0x0A]) {
        return Ok(DocumentKind::Png);
    }
    if head.len() >= 12 && &head[4..8] == b"ftyp" {
        let brand = &head[8..12];
        if [
            b"heic", b"heix", b"hevc", b"heim", b"heis", b"mif1", b"msf1",
        ]
        .iter()
        .any(|b| brand == *b)
        {
            return Ok(DocumentKind::Heic);
        }
    }
    Err(Refusal::UnsupportedType)
}

/// Markers looked for anywhere in a file: archives, scripts, documents or
/// executables hidden inside what should be only an image or a PDF.
const MARKERS: [&[u8]; 10] = [
    b"PK\x03\x04",
    b"PK\x05\x06",
    b"<script",
    b"<html",
    b"%PDF-",
    b"This program cannot be run in DOS mode",
    b"\x7fELF\x02\x01",
    b"/JavaScript",
    b"/Launch",
    b"/EmbeddedFile",
];
const OVERLAP: usize = 40;
const TAIL: usize = 1024;

/// Inspects a file chunk by chunk as it streams to storage, so that the whole
/// file is never held in memory.
#[derive(Debug)]
pub struct Scanner {
    kind: DocumentKind,
    found: [bool; MARKERS.len()],
    carry: Vec<u8>,
    tail: Vec<u8>,
    len: u64,
}

impl Scanner {
    pub fn new(kind: DocumentKind) -> Self {
        Self {
            kind,
            found: [false; MARKERS.len()],
            carry: Vec::new(),
            tail: Vec::new(),
            len: 0,
        }
    }

    pub fn feed(&mut self, chunk: &[u8]) {
        self.len += chunk.len() as u64;
        let mut window = std::mem::take(&mut self.carry);
        window.extend_from_slice(chunk);
        for (i, marker) in MARKERS.iter().enumerate() {
            if !self.found[i] && contains_ci(&window, marker) {
                self.found[i] = true;
            }
        }
        self.carry = window[window.len().saturating_sub(OVERLAP)..].to_vec();
        self.tail.extend_from_slice(chunk);
        if self.tail.len() > TAIL * 2 {
            self.tail.drain(..self.tail.len() - TAIL);
        }
    }

    /// The verdict once the whole file went through: the end matches the
    /// kind (a truncated file is refused) and nothing else hides in it.
    pub fn finish(self) -> Result<(), Refusal> {
        let tail = &self.tail[self.tail.len().saturating_sub(TAIL)..];
        let complete = match self.kind {
            DocumentKind::Pdf => contains(tail, b"%%EOF"),
            DocumentKind::Jpeg => self.len > 4 && contains(tail, &[0xFF, 0xD9]),
            DocumentKind::Png => self.len > 20 && contains(tail, b"IEND"),
            DocumentKind::Heic => self.len > 32,
        };
        if !complete {
            return Err(Refusal::Corrupt);
        }
        let [
            zip_start,
            zip_end,
            script,
            html,
            pdf,
            dos,
            elf,
            js,
            launch,
            embedded,
        ] = self.found;
        let image = self.kind != DocumentKind::Pdf;
        let suspicious = (zip_start && zip_end)
            || dos
            || elf
            || (image && (script || html || pdf))
            || (!image && (js || launch || embedded));
        if suspicious {
            Err(Refusal::Suspicious)
        } else {
            Ok(())
        }
    }
}

/// Checks a whole file held in memory (see [`Scanner`] for streams).
pub fn check_complete(kind: DocumentKind, bytes: &[u8]) -> Result<(), Refusal> {
    let mut scanner = Scanner::new(kind);
    for chunk in bytes.chunks(7) {
        scanner.feed(chunk);
    }
    scanner.finish()
}

fn contains(haystack: &[u8], needle: &[u8]) -> bool {
    haystack.windows(needle.len()).any(|w| w == needle)
}

fn contains_ci(haystack: &[u8], needle: &[u8]) -> bool {
    haystack
        .windows(needle.len())
        .any(|w| w.eq_ignore_ascii_case(needle))
}

#[cfg(test)]
mod tests {
    use super::*;

    const PNG_HEAD: &[u8] = &[0x89, b'P', b'N', b'G', 0x0D, 0x0A, 0x1A, 0x0A];

    fn png(extra: &[u8]) -> Vec<u8> {
        let mut v = PNG_HEAD.to_vec();
        v.extend_from_slice(&[0; 16]);
        v.extend_from_slice(extra);
        v.extend_from_slice(b"IEND\xAE\x42\x60\x82");
        v
    }

    #[test]
    fn documents_are_recognised_from_their_content() {
        assert_eq!(sniff(b"%PDF-1.7\n..."), Ok(DocumentKind::Pdf));
        assert_eq!(
            sniff(&[0xFF, 0xD8, 0xFF, 0xE0, 0, 0x10]),
            Ok(DocumentKind::Jpeg)
        );
        assert_eq!(sniff(PNG_HEAD), Ok(DocumentKind::Png));
        assert_eq!(sniff(b"\0\0\0\x18ftypheic\0\0\0\0"), Ok(DocumentKind::Heic));
    }

    #[test]
    fn an_executable_renamed_pdf_or_a_text_is_refused() {
        assert_eq!(sniff(b"MZ\x90\0\x03\0\0\0"), Err(Refusal::UnsupportedType));
        assert_eq!(sniff(b"\x7fELF\x02\x01\x01"), Err(Refusal::UnsupportedType));
        assert_eq!(sniff(b"<html><script>"), Err(Refusal::UnsupportedType));
        assert_eq!(sniff(b""), Err(Refusal::Empty));
    }

    #[test]
    fn a_truncated_file_is_refused_as_corrupt() {
        assert_eq!(
            check_complete(DocumentKind::Pdf, b"%PDF-1.4\n1 0 obj"),
            Err(Refusal::Corrupt)
        );
        assert_eq!(
            check_complete(DocumentKind::Png, PNG_HEAD),
            Err(Refusal::Corrupt)
        );
        assert_eq!(
            check_complete(DocumentKind::Pdf, b"%PDF-1.4\n...\n%%EOF\n"),
            Ok(())
        );
        assert_eq!(check_complete(DocumentKind::Png, &png(b"")), Ok(()));
    }

    #[test]
    fn polyglots_are_refused() {
        assert_eq!(
            check_complete(DocumentKind::Png, &png(b"PK\x03\x04 zip PK\x05\x06")),
            Err(Refusal::Suspicious)
        );
        assert_eq!(
            check_complete(DocumentKind::Png, &png(b"<SCRIPT>alert(1)</script>")),
            Err(Refusal::Suspicious)
        );
        assert_eq!(
            check_complete(DocumentKind::Png, &png(b"%PDF-1.4")),
            Err(Refusal::Suspicious)
        );
        assert_eq!(
            check_complete(
                DocumentKind::Pdf,
                b"%PDF-1.4\n/OpenAction << /S /JavaScript >>\n%%EOF"
            ),
            Err(Refusal::Suspicious)
        );
        // Markers split across chunks are still found (check_complete feeds 7 bytes at a time).
        assert_eq!(
            check_complete(
                DocumentKind::Jpeg,
                b"\xFF\xD8\xFF....This program cannot be run in DOS mode..\xFF\xD9"
            ),
            Err(Refusal::Suspicious)
        );
    }
}
