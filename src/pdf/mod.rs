//! A small PDF writer for text documents (receipts, letters): A4 pages of
//! lines in the standard Helvetica fonts, French text in WinAnsi encoding,
//! and QR codes drawn as filled squares (vector: sharp at any print size).
//! No dependency and no font to embed; enough for a receipt a family keeps.

use std::fmt::Write;

/// One line of a document.
#[derive(Debug, Clone)]
pub enum Line {
    Title(String),
    Heading(String),
    Text(String),
    /// A personal code: large, in a fixed-width font (no 0/O, 1/I doubt).
    Code(String),
    /// A QR code (see [`QrMatrix`]), at the left margin.
    Qr(QrMatrix),
    Blank,
    /// The next line starts a new page (one letter per page).
    PageBreak,
}

/// The modules of a QR code, row by row (`true`: dark), `width` × `width`.
/// The caller encodes it (`qrcode` crate); this module only draws it.
#[derive(Debug, Clone)]
pub struct QrMatrix {
    pub width: usize,
    pub dark: Vec<bool>,
}

/// The side of one QR module, in points (1/72 in): 3 pt is about 1 mm, read
/// by any phone at arm's length for a code of up to ~45 modules.
const QR_MODULE: f32 = 3.0;
/// The white margin QR readers need around the code, in modules.
const QR_QUIET_ZONE: f32 = 4.0;

const PAGE_WIDTH: f32 = 595.0;
const PAGE_HEIGHT: f32 = 842.0;
const MARGIN: f32 = 56.0;

/// Encodes text in WinAnsi (cp1252) for a PDF string literal; characters
/// outside it become `?`.
fn winansi(text: &str) -> Vec<u8> {
    let mut out = Vec::with_capacity(text.len());
    for c in text.chars() {
        let byte = match c {
            '\u{20}'..='\u{7e}' => c as u8,
            '\u{a0}'..='\u{ff}' => c as u32 as u8,
            '€' => 0x80,
            '‚' => 0x82,
            '…' => 0x85,
            '’' => 0x92,
            '“' => 0x93,
            '”' => 0x94,
            '–' => 0x96,
            '—' => 0x97,
            'œ' => 0x9c,
            'Œ' => 0x8c,
            'Ÿ' => 0x9f,
            _ => b'?',
        };
        if matches!(byte, b'(' | b')' | b'\\') {
            out.push(b'\\');
        }
        out.push(byte);
    }
    out
}

/// A PDF text string (the document information's title): UTF-16BE with its
/// byte order mark, written in hexadecimal. The WinAnsi bytes of the page
/// text would be read in PDFDocEncoding there, which differs from WinAnsi
/// ("—" read as "Š").
fn text_string(text: &str) -> String {
    let mut hex = String::from("<FEFF");
    for unit in text.encode_utf16() {
        let _ = write!(hex, "{unit:04X}");
    }
    hex.push('>');
    hex
}

/// Cuts a paragraph into lines of at most `width` characters.
fn wrap(text: &str, width: usize) -> Vec<String> {
    let mut lines = Vec::new();
    let mut current = String::new();
    for word in text.split_whitespace() {
        if !current.is_empty() && current.chars().count() + 1 + word.chars().count() > width {
            lines.push(std::mem::take(&mut current));
        }
        if !current.is_empty() {
            current.push(' ');
        }
        current.push_str(word);
    }
    if !current.is_empty() || lines.is_empty() {
        lines.push(current);
    }
    lines
}

/// What is drawn on a page.
enum Printed {
    /// Font resource, size, baseline, encoded text.
    Text(&'static str, f32, f32, Vec<u8>),
    /// A QR code whose top left corner is at (`MARGIN`, top).
    Qr { top: f32, matrix: QrMatrix },
}

/// The drawing operators of a QR code: one filled rectangle per run of dark
/// modules in a row (fewer operators than one square per module).
fn qr_operators(top: f32, matrix: &QrMatrix) -> Vec<u8> {
    let mut out = String::from("q 0 g\n");
    let origin_x = MARGIN + QR_QUIET_ZONE * QR_MODULE;
    let origin_y = top - QR_QUIET_ZONE * QR_MODULE;
    for row in 0..matrix.width {
        let cells = &matrix.dark[row * matrix.width..(row + 1) * matrix.width];
        let mut col = 0;
        while col < matrix.width {
            if !cells[col] {
                col += 1;
                continue;
            }
            let start = col;
            while col < matrix.width && cells[col] {
                col += 1;
            }
            let x = origin_x + start as f32 * QR_MODULE;
            let y = origin_y - (row + 1) as f32 * QR_MODULE;
            let w = (col - start) as f32 * QR_MODULE;
            let _ = writeln!(out, "{x:.2} {y:.2} {w:.2} {QR_MODULE:.2} re");
        }
    }
    out.push_str("f Q\n");
    out.into_bytes()
}

/// Renders `lines` as a PDF file.
pub fn render(title: &str, lines: &[Line]) -> Vec<u8> {
    // Lay out: (font, size, text) per printed line, split into pages.
    let mut pages: Vec<Vec<Printed>> = vec![Vec::new()];
    let mut y = PAGE_HEIGHT - MARGIN;
    for line in lines {
        match line {
            Line::PageBreak => {
                pages.push(Vec::new());
                y = PAGE_HEIGHT - MARGIN;
                continue;
            }
            Line::Qr(matrix) => {
                let side = (matrix.width as f32 + 2.0 * QR_QUIET_ZONE) * QR_MODULE;
                if y - side < MARGIN {
                    pages.push(Vec::new());
                    y = PAGE_HEIGHT - MARGIN;
                }
                pages
                    .last_mut()
                    .expect("one page at least")
                    .push(Printed::Qr {
                        top: y,
                        matrix: matrix.clone(),
                    });
                y -= side;
                continue;
            }
            _ => {}
        }
        let (font, size, width, gap) = match line {
            Line::Title(_) => ("F2", 18.0, 45, 10.0),
            Line::Heading(_) => ("F2", 12.0, 75, 6.0),
            Line::Code(_) => ("F3", 20.0, 40, 8.0),
            _ => ("F1", 10.5, 90, 2.0),
        };
        let text = match line {
            Line::Title(t) | Line::Heading(t) | Line::Text(t) | Line::Code(t) => t.as_str(),
            _ => "",
        };
        let gap = if matches!(line, Line::Blank) {
            0.0
        } else {
            gap
        };
        for part in wrap(text, width) {
            let leading = size * 1.35;
            if y - leading < MARGIN {
                pages.push(Vec::new());
                y = PAGE_HEIGHT - MARGIN;
            }
            y -= leading;
            pages
                .last_mut()
                .expect("one page at least")
                .push(Printed::Text(font, size, y, winansi(&part)));
        }
        y -= gap;
    }
    // A break at the very end leaves no blank page.
    if pages.len() > 1 && pages.last().is_some_and(Vec::is_empty) {
        pages.pop();
    }

    let mut objects: Vec<Vec<u8>> = Vec::new();
    // 1 catalog, 2 pages, 3 font regular, 4 font bold, 5 info, 6 font fixed,
    // then page + content pairs.
    let page_count = pages.len();
    let kids: String = (0..page_count)
        .map(|i| format!("{} 0 R", 7 + i * 2))
        .collect::<Vec<_>>()
        .join(" ");
    objects.push(b"<< /Type /Catalog /Pages 2 0 R /Lang (fr-FR) >>".to_vec());
    objects.push(format!("<< /Type /Pages /Kids [{kids}] /Count {page_count} >>").into_bytes());
    objects.push(
        b"<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica /Encoding /WinAnsiEncoding >>"
            .to_vec(),
    );
    objects.push(
        b"<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica-Bold /Encoding /WinAnsiEncoding >>"
            .to_vec(),
    );
    let info = format!("<< /Producer (DossierSCO) /Title {} >>", text_string(title)).into_bytes();
    objects.push(info);
    objects.push(
        b"<< /Type /Font /Subtype /Type1 /BaseFont /Courier-Bold /Encoding /WinAnsiEncoding >>"
            .to_vec(),
    );
    for (n, page) in pages.iter().enumerate() {
        let content_id = 8 + n * 2;
        objects.push(
            format!(
                "<< /Type /Page /Parent 2 0 R /MediaBox [0 0 {PAGE_WIDTH} {PAGE_HEIGHT}] \
                 /Resources << /Font << /F1 3 0 R /F2 4 0 R /F3 6 0 R >> >> /Contents {content_id} 0 R >>"
            )
            .into_bytes(),
        );
        let mut stream = Vec::new();
        for printed in page {
            match printed {
                Printed::Text(font, size, y, text) => {
                    stream
                        .extend(format!("BT /{font} {size} Tf {MARGIN} {y:.1} Td (").into_bytes());
                    stream.extend(text);
                    stream.extend(b") Tj ET\n");
                }
                Printed::Qr { top, matrix } => stream.extend(qr_operators(*top, matrix)),
            }
        }
        let mut content = format!("<< /Length {} >>\nstream\n", stream.len()).into_bytes();
        content.extend(stream);
        content.extend(b"\nendstream");
        objects.push(content);
    }

    let mut out = b"%PDF-1.4\n%\xe2\xe3\xcf\xd3\n".to_vec();
    let mut offsets = Vec::with_capacity(objects.len());
    for (i, object) in objects.iter().enumerate() {
        offsets.push(out.len());
        out.extend(format!("{} 0 obj\n", i + 1).into_bytes());
        out.extend(object);
        out.extend(b"\nendobj\n");
    }
    let xref = out.len();
    let mut table = format!("xref\n0 {}\n0000000000 65535 f \n", objects.len() + 1);
    for offset in offsets {
        let _ = writeln!(table, "{offset:010} 00000 n ");
    }
    let _ = write!(
        table,
        "trailer\n<< /Size {} /Root 1 0 R /Info 5 0 R >>\nstartxref\n{xref}\n%%EOF\n",
        objects.len() + 1
    );
    out.extend(table.into_bytes());
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_receipt_is_a_well_formed_pdf_with_french_text() {
        let pdf = render(
            "Récépissé",
            &[
                Line::Title("Réinscription enregistrée".into()),
                Line::Text("Élève : Léa Martin (5e) — 12,50 €".into()),
            ],
        );
        assert!(pdf.starts_with(b"%PDF-1.4"));
        assert!(pdf.ends_with(b"%%EOF\n"));
        let text = String::from_utf8_lossy(&pdf);
        assert!(text.contains("/Count 1"));
        // "é" is 0xE9 and "€" 0x80 in WinAnsi.
        assert!(pdf.windows(3).any(|w| w == b"R\xe9i"));
        assert!(pdf.contains(&0x80));
        // The xref offsets point at the objects.
        let xref_at: usize = text
            .rsplit("startxref\n")
            .next()
            .unwrap()
            .lines()
            .next()
            .unwrap()
            .parse()
            .unwrap();
        assert!(pdf[xref_at..].starts_with(b"xref"));
    }

    #[test]
    fn the_title_in_the_document_information_reads_as_written() {
        let title = "Récépissé — Inès (5e) : œuvre à 12 €";
        let pdf = render(title, &[Line::Text("x".into())]);
        let document = lopdf::Document::load_mem(&pdf).unwrap();
        let info = document
            .trailer
            .get(b"Info")
            .unwrap()
            .as_reference()
            .unwrap();
        let info = document.get_dictionary(info).unwrap();
        let read = lopdf::decode_text_string(info.get(b"Title").unwrap()).unwrap();
        assert_eq!(read, title);
    }

    #[test]
    fn page_breaks_start_pages_and_a_qr_code_is_drawn_as_filled_runs() {
        let qr = QrMatrix {
            width: 3,
            dark: vec![true, true, false, false, false, false, true, false, true],
        };
        let pdf = render(
            "Courriers",
            &[
                Line::Code("K7QF-3MZA-9TXW".into()),
                Line::Qr(qr),
                Line::PageBreak,
                Line::Text("deuxième".into()),
                Line::PageBreak,
            ],
        );
        let text = String::from_utf8_lossy(&pdf);
        assert!(text.contains("/Count 2"), "two pages, no blank third");
        assert!(text.contains("/BaseFont /Courier-Bold"));
        // Row 0: one run of two modules; row 2: two runs of one.
        assert_eq!(text.matches(" re\n").count(), 3);
        assert!(text.contains(&format!("{:.2} {:.2} re", 2.0 * QR_MODULE, QR_MODULE)));
    }

    #[test]
    fn parentheses_are_escaped_and_long_texts_go_to_new_pages() {
        assert_eq!(winansi("a(b)c\\"), b"a\\(b\\)c\\\\".to_vec());
        let lines: Vec<Line> = (0..200).map(|i| Line::Text(format!("ligne {i}"))).collect();
        let pdf = render("x", &lines);
        assert!(
            String::from_utf8_lossy(&pdf).contains("/Count 5"),
            "200 lines of 45 a page"
        );
    }
}
