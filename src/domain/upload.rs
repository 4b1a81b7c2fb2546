//! What an uploaded piece really is, from its first bytes — never from its
//! name or the type the browser claims.

use super::limits::MAX_PIXELS;

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
    #[error(
        "Ce PDF contient du contenu actif (script, fichier joint, formulaire dynamique ou multimédia) : il n'est pas accepté. Enregistrez-le avec « Imprimer en PDF » ou envoyez une photo du document."
    )]
    ActiveContent,
    #[error(
        "Ce PDF est protégé par un mot de passe : enregistrez-le sans protection ou envoyez une photo du document."
    )]
    Protected,
    #[error(
        "Cette image est trop grande : {} millions de pixels au plus. Réduisez sa définition ou prenez une nouvelle photo.",
        MAX_PIXELS / 1_000_000
    )]
    TooManyPixels,
}

/// Bytes to read before deciding (the head of the file).
pub const SNIFF_LEN: usize = 64;

/// Recognises the kind of a file from its head. A PDF may be preceded by
/// whitespace only: anything else before `%PDF-` is how PDF/HTML polyglots
/// start, and PDF readers would skip it.
pub fn sniff(head: &[u8]) -> Result<DocumentKind, Refusal> {
    if head.is_empty() {
        return Err(Refusal::Empty);
    }
    if head.trim_ascii_start().starts_with(b"%PDF-") {
        return Ok(DocumentKind::Pdf);
    }
    if head.starts_with(&[0xFF, 0xD8, 0xFF]) {
        return Ok(DocumentKind::Jpeg);
    }
    if head.starts_with(PNG_SIGNATURE) {
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

const PNG_SIGNATURE: &[u8] = &[0x89, b'P', b'N', b'G', 0x0D, 0x0A, 0x1A, 0x0A];

/// Markers looked for anywhere in a file: archives, documents or executables
/// hidden inside what should be only an image or a PDF.
const MARKERS: [&[u8]; 5] = [
    b"PK\x03\x04",
    b"PK\x05\x06",
    b"%PDF-",
    b"This program cannot be run in DOS mode",
    b"\x7fELF\x02\x01",
];

/// HTML that a browser would run, looked for (case-insensitively) in the raw
/// bytes of every file and in the decoded strings and streams of PDFs. A
/// marker counts only when followed by whitespace, `>` or `/`, as in a real
/// tag: this keeps the chance of meeting one by accident in compressed data
/// negligible (about 2 × 10⁻⁵ for a 5 MB scan, for the shortest, `<svg`).
const HTML_MARKERS: [&[u8]; 5] = [b"<html", b"<script", b"<body", b"<svg", b"<iframe"];
const OVERLAP: usize = 40;
const TAIL: usize = 1024;

/// Whether `bytes` holds one of the HTML tags of [`HTML_MARKERS`].
pub fn contains_html(bytes: &[u8]) -> bool {
    HTML_MARKERS
        .iter()
        .any(|marker| contains_tag(bytes, marker))
}

fn contains_tag(haystack: &[u8], tag: &[u8]) -> bool {
    haystack.windows(tag.len() + 1).any(|w| {
        w[..tag.len()].eq_ignore_ascii_case(tag)
            && matches!(
                w[tag.len()],
                b' ' | b'\t' | b'\n' | b'\r' | 0x0C | b'>' | b'/'
            )
    })
}

/// Inspects a file chunk by chunk as it streams to storage, so that the whole
/// file is never held in memory.
#[derive(Debug)]
pub struct Scanner {
    kind: DocumentKind,
    found: [bool; MARKERS.len()],
    html: bool,
    carry: Vec<u8>,
    tail: Vec<u8>,
    len: u64,
    size: ImageSize,
}

impl Scanner {
    pub fn new(kind: DocumentKind) -> Self {
        Self {
            kind,
            found: [false; MARKERS.len()],
            html: false,
            carry: Vec::new(),
            tail: Vec::new(),
            len: 0,
            size: ImageSize::new(kind),
        }
    }

    pub fn feed(&mut self, chunk: &[u8]) {
        self.len += chunk.len() as u64;
        self.size.feed(chunk);
        let mut window = std::mem::take(&mut self.carry);
        window.extend_from_slice(chunk);
        for (i, marker) in MARKERS.iter().enumerate() {
            if !self.found[i] && contains_ci(&window, marker) {
                self.found[i] = true;
            }
        }
        self.html = self.html || contains_html(&window);
        self.carry = window[window.len().saturating_sub(OVERLAP)..].to_vec();
        self.tail.extend_from_slice(chunk);
        if self.tail.len() > TAIL * 2 {
            self.tail.drain(..self.tail.len() - TAIL);
        }
    }

    /// The verdict once the whole file went through: the end matches the
    /// kind (a truncated file is refused), an image's size can be read from
    /// its header and is within [`MAX_PIXELS`], and nothing else hides in
    /// the file. A PDF is then parsed (`documents::pdf_scan`).
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
        let [zip_start, zip_end, pdf, dos, elf] = self.found;
        let image = self.kind != DocumentKind::Pdf;
        if (zip_start && zip_end) || dos || elf || self.html || (image && pdf) {
            return Err(Refusal::Suspicious);
        }
        match self.size.dimensions() {
            Dimensions::Known(width, height)
                if u64::from(width) * u64::from(height) > MAX_PIXELS =>
            {
                Err(Refusal::TooManyPixels)
            }
            Dimensions::Known(0, _) | Dimensions::Known(_, 0) | Dimensions::Unreadable => {
                Err(Refusal::Corrupt)
            }
            Dimensions::Known(..) | Dimensions::NotAnImage | Dimensions::Unknown => Ok(()),
        }
    }
}

/// What the header of an image says of its size.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Dimensions {
    Known(u32, u32),
    /// The header is not what the format requires.
    Unreadable,
    /// Not read from the header (HEIC: libheif checks it when converting).
    Unknown,
    NotAnImage,
}

/// Reads an image's width and height from its header as the file streams
/// by, before anything decodes the pixels: a decompression bomb announces
/// its size there. PNG: the IHDR chunk that must come first. JPEG: the first
/// start-of-frame segment, found by skipping the segments before it (EXIF
/// and colour profiles can be large), without buffering them. HEIC: the
/// largest `ispe` (image spatial extent) property in the first 256 KiB.
#[derive(Debug)]
struct ImageSize {
    kind: DocumentKind,
    /// Bytes of the current header or segment start (a few dozen at most).
    head: Vec<u8>,
    /// JPEG: bytes of the current segment still to skip.
    skip: u64,
    /// JPEG: the start of image was read.
    started: bool,
    /// The header was read (found, or failed).
    done: bool,
    result: Dimensions,
    /// HEIC: the window searched for `ispe` boxes (carried across chunks).
    heic_seen: u64,
}

const HEIC_WINDOW: u64 = 256 * 1024;

impl ImageSize {
    fn new(kind: DocumentKind) -> Self {
        Self {
            kind,
            head: Vec::new(),
            skip: 0,
            started: false,
            done: false,
            result: match kind {
                DocumentKind::Pdf => Dimensions::NotAnImage,
                DocumentKind::Heic => Dimensions::Unknown,
                DocumentKind::Png | DocumentKind::Jpeg => Dimensions::Unreadable,
            },
            heic_seen: 0,
        }
    }

    fn dimensions(&self) -> Dimensions {
        self.result
    }

    fn feed(&mut self, chunk: &[u8]) {
        match self.kind {
            DocumentKind::Pdf => {}
            DocumentKind::Png => self.feed_png(chunk),
            DocumentKind::Jpeg => self.feed_jpeg(chunk),
            DocumentKind::Heic => self.feed_heic(chunk),
        }
    }

    fn feed_png(&mut self, chunk: &[u8]) {
        if self.done {
            return;
        }
        let wanted = 24 - self.head.len();
        self.head
            .extend_from_slice(&chunk[..wanted.min(chunk.len())]);
        if self.head.len() == 24 {
            self.done = true;
            if &self.head[12..16] == b"IHDR" {
                self.result = Dimensions::Known(be32(&self.head[16..20]), be32(&self.head[20..24]));
            }
        }
    }

    fn feed_jpeg(&mut self, mut chunk: &[u8]) {
        while !self.done && !chunk.is_empty() {
            if self.skip > 0 {
                let n = self.skip.min(chunk.len() as u64);
                self.skip -= n;
                chunk = &chunk[n as usize..];
                continue;
            }
            self.head.push(chunk[0]);
            chunk = &chunk[1..];
            self.step_jpeg();
        }
    }

    /// One more byte in `head`: the start of image, then a marker (`FF xx`),
    /// its length, and for a start of frame its height and width.
    fn step_jpeg(&mut self) {
        if !self.started {
            if self.head.len() == 2 {
                if self.head[..] != [0xFF, 0xD8] {
                    self.fail();
                    return;
                }
                self.started = true;
                self.head.clear();
            }
            return;
        }
        let head = &self.head;
        if head[0] != 0xFF {
            self.fail();
            return;
        }
        if head.len() < 2 {
            return;
        }
        let marker = head[1];
        match marker {
            // Fill bytes before a marker.
            0xFF => {
                self.head.pop();
            }
            // Markers without a segment.
            0x01 | 0xD0..=0xD7 => self.head.clear(),
            // End of image or start of scan before any frame: no size.
            0xD8 | 0xD9 | 0xDA | 0x00 => self.fail(),
            _ => {
                if head.len() < 4 {
                    return;
                }
                let length = u16::from_be_bytes([head[2], head[3]]) as u64;
                if length < 2 {
                    self.fail();
                    return;
                }
                let frame = matches!(marker, 0xC0..=0xCF) && !matches!(marker, 0xC4 | 0xC8 | 0xCC);
                if !frame {
                    self.skip = length - 2;
                    self.head.clear();
                    return;
                }
                // Length, precision, height, width.
                if head.len() < 9 {
                    return;
                }
                let height = u16::from_be_bytes([head[5], head[6]]) as u32;
                let width = u16::from_be_bytes([head[7], head[8]]) as u32;
                self.result = Dimensions::Known(width, height);
                self.done = true;
            }
        }
    }

    fn fail(&mut self) {
        self.result = Dimensions::Unreadable;
        self.done = true;
    }

    fn feed_heic(&mut self, chunk: &[u8]) {
        if self.heic_seen >= HEIC_WINDOW {
            return;
        }
        let take = ((HEIC_WINDOW - self.heic_seen) as usize).min(chunk.len());
        self.heic_seen += take as u64;
        // `ispe` box: size, "ispe", version and flags, width, height.
        let mut window = std::mem::take(&mut self.head);
        window.extend_from_slice(&chunk[..take]);
        let mut at = 0;
        while let Some(found) = find(&window[at..], b"ispe") {
            let start = at + found;
            if window.len() < start + 16 {
                break;
            }
            let (width, height) = (be32(&window[start + 8..]), be32(&window[start + 12..]));
            let larger = match self.result {
                Dimensions::Known(w, h) => {
                    u64::from(width) * u64::from(height) > u64::from(w) * u64::from(h)
                }
                _ => true,
            };
            if larger {
                self.result = Dimensions::Known(width, height);
            }
            at = start + 4;
        }
        self.head = window[window.len().saturating_sub(15)..].to_vec();
    }
}

fn be32(bytes: &[u8]) -> u32 {
    u32::from_be_bytes([bytes[0], bytes[1], bytes[2], bytes[3]])
}

/// Checks a whole file held in memory (see [`Scanner`] for streams).
pub fn check_complete(kind: DocumentKind, bytes: &[u8]) -> Result<(), Refusal> {
    let mut scanner = Scanner::new(kind);
    for chunk in bytes.chunks(7) {
        scanner.feed(chunk);
    }
    scanner.finish()
}

fn find(haystack: &[u8], needle: &[u8]) -> Option<usize> {
    haystack.windows(needle.len()).position(|w| w == needle)
}

fn contains(haystack: &[u8], needle: &[u8]) -> bool {
    find(haystack, needle).is_some()
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

    fn png_of(width: u32, height: u32, extra: &[u8]) -> Vec<u8> {
        let mut v = PNG_HEAD.to_vec();
        v.extend_from_slice(&13u32.to_be_bytes());
        v.extend_from_slice(b"IHDR");
        v.extend_from_slice(&width.to_be_bytes());
        v.extend_from_slice(&height.to_be_bytes());
        v.extend_from_slice(&[8, 6, 0, 0, 0, 0, 0, 0, 0]);
        v.extend_from_slice(extra);
        v.extend_from_slice(b"IEND\xAE\x42\x60\x82");
        v
    }

    fn png(extra: &[u8]) -> Vec<u8> {
        png_of(1, 1, extra)
    }

    /// A JPEG head: start of image, a large APP1 segment (EXIF), fill bytes,
    /// then a start of frame.
    fn jpeg_of(width: u16, height: u16) -> Vec<u8> {
        let mut v = vec![0xFF, 0xD8, 0xFF, 0xE1, 0x40, 0x00];
        v.extend(std::iter::repeat_n(0xFF, 0x4000 - 2));
        v.extend_from_slice(&[0xFF, 0xFF, 0xC2, 0x00, 0x11, 0x08]);
        v.extend_from_slice(&height.to_be_bytes());
        v.extend_from_slice(&width.to_be_bytes());
        v.extend_from_slice(&[3, 1, 0x22, 0, 2, 0x11, 1, 3, 0x11, 1]);
        v.extend_from_slice(&[0xFF, 0xDA, 0, 2, 0x42, 0x42, 0xFF, 0xD9]);
        v
    }

    #[test]
    fn images_are_measured_from_their_header_and_bombs_are_refused() {
        assert_eq!(
            check_complete(DocumentKind::Png, &png_of(4000, 3000, b"")),
            Ok(())
        );
        assert_eq!(
            check_complete(DocumentKind::Png, &png_of(30_000, 30_000, b"")),
            Err(Refusal::TooManyPixels)
        );
        assert_eq!(
            check_complete(DocumentKind::Jpeg, &jpeg_of(8000, 6000)),
            Ok(())
        );
        assert_eq!(
            check_complete(DocumentKind::Jpeg, &jpeg_of(65_000, 65_000)),
            Err(Refusal::TooManyPixels)
        );
        assert!(
            Refusal::TooManyPixels
                .to_string()
                .contains("64 millions de pixels")
        );
    }

    #[test]
    fn an_image_whose_header_cannot_be_read_is_refused() {
        let mut no_ihdr = png(b"");
        no_ihdr[12..16].copy_from_slice(b"IDAT");
        assert_eq!(
            check_complete(DocumentKind::Png, &no_ihdr),
            Err(Refusal::Corrupt)
        );
        assert_eq!(
            check_complete(DocumentKind::Png, &png_of(0, 10, b"")),
            Err(Refusal::Corrupt)
        );
        // A scan before any frame, and garbage where a marker should be.
        assert_eq!(
            check_complete(DocumentKind::Jpeg, b"\xFF\xD8\xFF\xDA\x00\x02\xFF\xD9"),
            Err(Refusal::Corrupt)
        );
        assert_eq!(
            check_complete(
                DocumentKind::Jpeg,
                b"\xFF\xD8\xFF\xE0\x00\x04ab\x42\x42\xFF\xD9"
            ),
            Err(Refusal::Corrupt)
        );
    }

    #[test]
    fn html_is_found_only_as_a_tag() {
        assert!(contains_html(b"..<SVG onload=alert(1)>"));
        assert!(contains_html(b"<html>"));
        assert!(contains_html(b"x<iframe/src=y"));
        assert!(!contains_html(b"<svgz"));
        assert!(!contains_html(b"<bodyguard"));
    }

    #[test]
    fn documents_are_recognised_from_their_content() {
        assert_eq!(sniff(b"%PDF-1.7\n..."), Ok(DocumentKind::Pdf));
        assert_eq!(sniff(b"\r\n %PDF-1.7\n..."), Ok(DocumentKind::Pdf));
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
        assert_eq!(sniff(b"<!-- -->%PDF-1.4"), Err(Refusal::UnsupportedType));
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
                b"%PDF-1.4\n% <body onload=alert(1)>\n%%EOF"
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
