//! The ZIP of the pieces families sent, by class (`4A/DURAND Inès -
//! Attestation d'assurance.pdf`) or by type (`Attestation d'assurance/4A -
//! DURAND Inès.pdf`), streamed: each upload is read from the documents store
//! chunk by chunk into the archive, which is written to the store as it
//! grows. Memory stays flat whatever the number of pieces (a few chunks in
//! flight); the entries are stored, not compressed (photos and PDFs are
//! already compressed).

use std::collections::HashSet;
use std::io::Write;
use std::sync::{Arc, Mutex};

use bytes::Bytes;
use futures::channel::mpsc;
use futures::{SinkExt, TryStreamExt};
use zip::write::SimpleFileOptions;
use zip::{CompressionMethod, ZipWriter};

use crate::db::exports::PieceRow;
use crate::documents::{DocumentError, DocumentStore};

/// How the archive's folders are made.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Grouping {
    ByClass,
    ByType,
}

/// The largest archive written (the store refuses beyond).
pub const ZIP_LIMIT: u64 = 64 * 1024 * 1024 * 1024;

/// `text` usable as one part of a file name on Windows, macOS and Linux:
/// no separator, reserved or control character, no leading or trailing dot
/// or space, at most 80 characters.
pub fn sanitise(text: &str) -> String {
    let replaced: String = text
        .chars()
        .map(|c| match c {
            '/' | '\\' | ':' | '*' | '?' | '"' | '<' | '>' | '|' => '_',
            c if c.is_control() => ' ',
            c => c,
        })
        .collect();
    let collapsed = replaced.split_whitespace().collect::<Vec<_>>().join(" ");
    let trimmed: String = collapsed
        .trim_matches(|c: char| c == '.' || c == ' ')
        .chars()
        .take(80)
        .collect();
    let trimmed = trimmed.trim_end().to_owned();
    if trimmed.is_empty() {
        "_".into()
    } else {
        trimmed
    }
}

/// The extension of a sent file's name (lower case, letters and digits
/// only), or `bin`.
fn extension(original_name: &str) -> String {
    original_name
        .rsplit_once('.')
        .map(|(_, ext)| ext.to_lowercase())
        .filter(|ext| {
            !ext.is_empty() && ext.len() <= 5 && ext.chars().all(|c| c.is_ascii_alphanumeric())
        })
        .unwrap_or_else(|| "bin".into())
}

/// The name of each piece in the archive, in order; a second file for the
/// same pupil and piece gets « (2) », and so on.
pub fn entry_names(pieces: &[PieceRow], grouping: Grouping) -> Vec<String> {
    let mut seen: HashSet<String> = HashSet::new();
    pieces
        .iter()
        .map(|p| {
            let class = sanitise(if p.division.is_empty() {
                "Sans classe"
            } else {
                &p.division
            });
            let pupil = sanitise(&format!("{} {}", p.last_name, p.first_name));
            let piece = sanitise(&p.piece);
            let stem = match grouping {
                Grouping::ByClass => format!("{class}/{pupil} - {piece}"),
                Grouping::ByType => format!("{piece}/{class} - {pupil}"),
            };
            let ext = extension(&p.original_name);
            let mut name = format!("{stem}.{ext}");
            let mut n = 2;
            while !seen.insert(name.to_lowercase()) {
                name = format!("{stem} ({n}).{ext}");
                n += 1;
            }
            name
        })
        .collect()
}

/// What the zip writer writes into: taken out, chunk by chunk, by the
/// caller, who sends it on to the store.
#[derive(Clone, Default)]
struct Sink(Arc<Mutex<Vec<u8>>>);

impl Sink {
    fn take(&self) -> Bytes {
        let mut buf = self.0.lock().unwrap_or_else(|e| e.into_inner());
        Bytes::from(std::mem::take(&mut *buf))
    }
}

impl Write for Sink {
    fn write(&mut self, data: &[u8]) -> std::io::Result<usize> {
        self.0
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .extend_from_slice(data);
        Ok(data.len())
    }

    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

fn io_error(err: impl std::fmt::Display) -> std::io::Error {
    std::io::Error::other(err.to_string())
}

/// Writes the archive of `pieces` to `key` in the store; `progress` is
/// called every 20 pieces and at the end with (done, total). Returns the archive's size.
pub async fn write_zip<F, Fut>(
    documents: &DocumentStore,
    key: &str,
    pieces: &[PieceRow],
    grouping: Grouping,
    mut progress: F,
) -> anyhow::Result<u64>
where
    F: FnMut(usize, usize) -> Fut + Send,
    Fut: Future<Output = anyhow::Result<()>> + Send,
{
    let names = entry_names(pieces, grouping);
    let (mut tx, rx) = mpsc::channel::<Result<Bytes, std::io::Error>>(4);
    let store = documents.put_stream(key, rx, ZIP_LIMIT);
    let write = async move {
        let sink = Sink::default();
        let mut zip = ZipWriter::new_stream(sink.clone());
        let options = SimpleFileOptions::default()
            .compression_method(CompressionMethod::Stored)
            .large_file(false);
        let total = pieces.len();
        for (done, (piece, name)) in pieces.iter().zip(&names).enumerate() {
            let options = options.large_file(piece.size_bytes >= 0xFFFF_0000);
            zip.start_file(name.as_str(), options).map_err(io_error)?;
            match documents.get_stream(&piece.storage_key).await {
                Ok((_, stream)) => {
                    let mut stream = std::pin::pin!(stream);
                    while let Some(chunk) = stream.try_next().await.map_err(io_error)? {
                        zip.write_all(&chunk)?;
                        let out = sink.take();
                        if !out.is_empty() {
                            tx.send(Ok(out)).await.map_err(io_error)?;
                        }
                    }
                }
                // A file gone from the store: the archive says so instead.
                Err(DocumentError::NotFound) => {
                    zip.write_all("Fichier introuvable dans le stockage.".as_bytes())?;
                }
                Err(err) => return Err(io_error(err)),
            }
            let out = sink.take();
            if !out.is_empty() {
                tx.send(Ok(out)).await.map_err(io_error)?;
            }
            if (done + 1) % 20 == 0 || done + 1 == total {
                progress(done + 1, total).await.map_err(io_error)?;
            }
        }
        zip.finish().map_err(io_error)?;
        let out = sink.take();
        if !out.is_empty() {
            tx.send(Ok(out)).await.map_err(io_error)?;
        }
        tx.close_channel();
        Ok::<(), std::io::Error>(())
    };
    let (stored, written) = futures::join!(store, write);
    if let Err(err) = written {
        let _ = documents.delete(key).await;
        return Err(err.into());
    }
    Ok(stored?)
}
