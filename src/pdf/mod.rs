//! A small PDF writer for text documents (receipts, letters): A4 pages of
//! lines in the standard Helvetica fonts, French text in WinAnsi encoding.
//! No dependency and no font to embed; enough for a receipt a family keeps.

use std::fmt::Write;

/// One line of a document.
#[derive(Debug, Clone)]
pub enum Line {
    Title(String),
    Heading(String),
    Text(String),
    Blank,
}

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

/// One printed line: font resource, size, baseline, encoded text.
type Printed = (&'static str, f32, f32, Vec<u8>);

/// Renders `lines` as a PDF file.
pub fn render(title: &str, lines: &[Line]) -> Vec<u8> {
    // Lay out: (font, size, text) per printed line, split into pages.
    let mut pages: Vec<Vec<Printed>> = vec![Vec::new()];
    let mut y = PAGE_HEIGHT - MARGIN;
    for line in lines {
        let (font, size, width, gap) = match line {
            Line::Title(_) => ("F2", 18.0, 45, 10.0),
            Line::Heading(_) => ("F2", 12.0, 75, 6.0),
            Line::Text(_) => ("F1", 10.5, 90, 2.0),
            Line::Blank => ("F1", 10.5, 90, 0.0),
        };
        let text = match line {
            Line::Title(t) | Line::Heading(t) | Line::Text(t) => t.as_str(),
            Line::Blank => "",
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
                .push((font, size, y, winansi(&part)));
        }
        y -= gap;
    }

    let mut objects: Vec<Vec<u8>> = Vec::new();
    // 1 catalog, 2 pages, 3 font regular, 4 font bold, 5 info, then page + content pairs.
    let page_count = pages.len();
    let kids: String = (0..page_count)
        .map(|i| format!("{} 0 R", 6 + i * 2))
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
    for (n, page) in pages.iter().enumerate() {
        let content_id = 7 + n * 2;
        objects.push(
            format!(
                "<< /Type /Page /Parent 2 0 R /MediaBox [0 0 {PAGE_WIDTH} {PAGE_HEIGHT}] \
                 /Resources << /Font << /F1 3 0 R /F2 4 0 R >> >> /Contents {content_id} 0 R >>"
            )
            .into_bytes(),
        );
        let mut stream = Vec::new();
        for (font, size, y, text) in page {
            stream.extend(format!("BT /{font} {size} Tf {MARGIN} {y:.1} Td (").into_bytes());
            stream.extend(text);
            stream.extend(b") Tj ET\n");
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
