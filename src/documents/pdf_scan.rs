//! Uploaded PDFs parsed for real (with `lopdf`, pure Rust) and refused when
//! they carry anything a school never needs in a scanned certificate.
//!
//! The rule, checked on every object of the document, those packed in
//! compressed object streams included, with names decoded (`/J#61vaScript`
//! is `/JavaScript`):
//! - no name in [`REFUSED_NAMES`], as a dictionary key or a value: scripts
//!   (`/JavaScript`, `/JS`), launching programs (`/Launch`), attached or
//!   embedded files (`/EmbeddedFile(s)`, `/EF`, `/GoToE`), other documents
//!   (`/GoToR`), rich media, 3D and sound or movie (`/RichMedia…`, `/3D`,
//!   `/Rendition`, `/Movie`, `/Sound`), XFA forms (`/XFA`) and actions that
//!   send or import data (`/SubmitForm`, `/ImportData`). An `/OpenAction` or
//!   `/AA` is refused only through what it points to. Links (`/URI`),
//!   bookmarks and ordinary (AcroForm) form fields stay accepted;
//! - no HTML tag (`domain::upload::contains_html`) in any string, nor in any
//!   stream once decoded, images excepted (their decoded bytes are pixels,
//!   which no reader runs; the raw bytes of the whole file are checked while
//!   it streams in);
//! - the document must load, every object its cross-reference table lists
//!   must be readable (an object stream a reader could decode but `lopdf`
//!   cannot would hide its objects from this check), and it must not be
//!   encrypted with a password (then nothing could be checked, and agents
//!   could not open it either).
//!
//! The check runs after the file is stored, on the stored bytes read back
//! (at most the 20 MB upload limit), at most [`CONCURRENT_CHECKS`] at a time
//! off the async runtime: memory stays bounded whatever the number of
//! uploads in flight, instead of every upload buffering its PDF while it
//! streams in. A refused file is then deleted.

use lopdf::{Document, LoadOptions, Object};

use crate::domain::upload::{Refusal, contains_html};

/// Names refused wherever they appear in a PDF (see the module's rule).
const REFUSED_NAMES: [&[u8]; 18] = [
    b"JavaScript",
    b"JS",
    b"Launch",
    b"EmbeddedFile",
    b"EmbeddedFiles",
    b"EF",
    b"GoToE",
    b"GoToR",
    b"RichMedia",
    b"RichMediaContent",
    b"RichMediaSettings",
    b"3D",
    b"Rendition",
    b"Movie",
    b"Sound",
    b"XFA",
    b"SubmitForm",
    b"ImportData",
];

/// The most a single non-image stream may decode to. Page contents, fonts
/// and object streams of a school document are far smaller; above this it
/// is a decompression bomb.
const MAX_STREAM_BYTES: usize = 16 * 1024 * 1024;

/// PDF checks running at once (each holds a document of up to 20 MB and
/// its parsed objects).
pub const CONCURRENT_CHECKS: usize = 2;

static CHECKS: tokio::sync::Semaphore = tokio::sync::Semaphore::const_new(CONCURRENT_CHECKS);

/// Waits for a turn (at most [`CONCURRENT_CHECKS`] at a time), then runs
/// `load` (which reads the stored file) and [`inspect`] off the runtime.
pub async fn check<F, E>(load: F) -> Result<Result<(), Refusal>, E>
where
    F: Future<Output = Result<Vec<u8>, E>>,
{
    let _permit = CHECKS
        .acquire()
        .await
        .expect("the semaphore is never closed");
    let bytes = load.await?;
    Ok(tokio::task::spawn_blocking(move || inspect(&bytes))
        .await
        .unwrap_or(Err(Refusal::Corrupt)))
}

/// The verdict on a whole PDF (see the module's rule).
pub fn inspect(bytes: &[u8]) -> Result<(), Refusal> {
    if !bytes.trim_ascii_start().starts_with(b"%PDF-") {
        return Err(Refusal::UnsupportedType);
    }
    let options = LoadOptions {
        max_decompressed_size: Some(MAX_STREAM_BYTES),
        ..LoadOptions::default()
    };
    let document = Document::load_mem_with_options(bytes, options).map_err(|err| {
        tracing::info!(error = %err, "uploaded PDF does not load");
        Refusal::Corrupt
    })?;
    if document.trailer.has(b"Encrypt") && document.encryption_state.is_none() {
        return Err(Refusal::Protected);
    }
    let loaded: std::collections::BTreeSet<u32> =
        document.objects.keys().map(|(number, _)| *number).collect();
    let missing = document
        .reference_table
        .entries
        .iter()
        .filter(|(_, entry)| {
            matches!(
                entry,
                lopdf::xref::XrefEntry::Normal { .. } | lopdf::xref::XrefEntry::Compressed { .. }
            )
        })
        .filter(|(number, _)| !loaded.contains(number))
        .count();
    if missing > 0 {
        tracing::info!(missing, "uploaded PDF has unreadable objects");
        return Err(Refusal::Corrupt);
    }
    document.objects.values().try_for_each(check_object)
}

fn check_object(object: &Object) -> Result<(), Refusal> {
    match object {
        Object::Name(name) => check_name(name),
        Object::String(bytes, _) => check_text(bytes),
        Object::Array(items) => items.iter().try_for_each(check_object),
        Object::Dictionary(dict) => check_dictionary(dict),
        Object::Stream(stream) => {
            check_dictionary(&stream.dict)?;
            check_stream(stream)
        }
        _ => Ok(()),
    }
}

fn check_dictionary(dict: &lopdf::Dictionary) -> Result<(), Refusal> {
    dict.iter().try_for_each(|(key, value)| {
        check_name(key)?;
        check_object(value)
    })
}

fn check_name(name: &[u8]) -> Result<(), Refusal> {
    if REFUSED_NAMES.contains(&name) {
        Err(Refusal::ActiveContent)
    } else {
        Ok(())
    }
}

/// A string, as bytes or (with a byte order mark) as UTF-16.
fn check_text(bytes: &[u8]) -> Result<(), Refusal> {
    let html = match bytes.strip_prefix(&[0xFE, 0xFF]) {
        Some(utf16) => {
            let units: Vec<u16> = utf16
                .chunks_exact(2)
                .map(|pair| u16::from_be_bytes([pair[0], pair[1]]))
                .collect();
            contains_html(String::from_utf16_lossy(&units).as_bytes())
        }
        None => contains_html(bytes),
    };
    if html {
        Err(Refusal::Suspicious)
    } else {
        Ok(())
    }
}

/// Image codecs: their data is pixels, not decoded here.
const IMAGE_FILTERS: [&[u8]; 4] = [
    b"DCTDecode",
    b"JPXDecode",
    b"JBIG2Decode",
    b"CCITTFaxDecode",
];

fn check_stream(stream: &lopdf::Stream) -> Result<(), Refusal> {
    let image = stream
        .dict
        .get(b"Subtype")
        .and_then(Object::as_name)
        .is_ok_and(|subtype| subtype == b"Image")
        || stream
            .filters()
            .is_ok_and(|filters| filters.iter().any(|f| IMAGE_FILTERS.contains(f)));
    if image {
        return Ok(());
    }
    match stream.get_plain_content_with_limit(MAX_STREAM_BYTES) {
        Ok(plain) => check_text(&plain),
        Err(lopdf::Error::Decompress(lopdf::DecompressError::MemoryLimitExceeded { .. })) => {
            Err(Refusal::Suspicious)
        }
        // A stream no reader can decode shows nothing either.
        Err(_) => Ok(()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_pdfs_this_application_writes_are_accepted() {
        let receipt = crate::pdf::render(
            "Accusé de réception",
            &[
                crate::pdf::Line::Heading("Dossier".into()),
                crate::pdf::Line::Text("Envoyé le 1er juin <b>".into()),
            ],
        );
        assert_eq!(inspect(&receipt), Ok(()));
    }

    #[test]
    fn refused_names_are_found_once_decoded_as_keys_or_values() {
        assert_eq!(check_name(b"JavaScript"), Err(Refusal::ActiveContent));
        assert_eq!(check_name(b"URI"), Ok(()));
        let mut names = lopdf::Dictionary::new();
        names.set("EmbeddedFiles", Object::Array(vec![]));
        assert_eq!(
            check_object(&Object::Dictionary(names)),
            Err(Refusal::ActiveContent)
        );
        assert_eq!(
            check_object(&Object::string_literal("<iframe src=x>")),
            Err(Refusal::Suspicious)
        );
        assert_eq!(check_object(&Object::string_literal("a < b")), Ok(()));
    }

    #[test]
    fn what_is_not_a_pdf_or_cannot_be_read_is_refused() {
        assert_eq!(inspect(b"<html>%PDF-1.4"), Err(Refusal::UnsupportedType));
        assert_eq!(
            inspect(b"%PDF-1.4\n\x00garbage\n%%EOF"),
            Err(Refusal::Corrupt)
        );
    }

    /// A document whose page content is `content` (a stream object).
    fn document_with(content: lopdf::Stream) -> Vec<u8> {
        use lopdf::dictionary;
        let mut doc = Document::with_version("1.7");
        let pages_id = doc.new_object_id();
        let content_id = doc.add_object(content);
        let page_id = doc.add_object(dictionary! {
            "Type" => "Page",
            "Parent" => pages_id,
            "MediaBox" => vec![0.into(), 0.into(), 595.into(), 842.into()],
            "Contents" => content_id,
        });
        doc.objects.insert(
            pages_id,
            Object::Dictionary(
                dictionary! { "Type" => "Pages", "Kids" => vec![page_id.into()], "Count" => 1 },
            ),
        );
        let catalog_id = doc.add_object(dictionary! { "Type" => "Catalog", "Pages" => pages_id });
        doc.trailer.set("Root", catalog_id);
        let mut out = Vec::new();
        doc.save_to(&mut out).unwrap();
        out
    }

    #[test]
    fn a_stream_that_inflates_beyond_the_limit_is_refused() {
        let mut bomb =
            lopdf::Stream::new(lopdf::Dictionary::new(), vec![b' '; MAX_STREAM_BYTES + 1]);
        bomb.compress().unwrap();
        let pdf = document_with(bomb);
        assert!(pdf.len() < 100_000, "{} bytes", pdf.len());
        assert_eq!(inspect(&pdf), Err(Refusal::Suspicious));
    }
}
