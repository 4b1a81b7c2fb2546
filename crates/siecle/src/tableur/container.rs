//! Guards on the container before a spreadsheet is parsed: the zip of an XLSX
//! (entry count, declared and actual inflated sizes, so a zip bomb is refused without
//! being expanded in memory) and the BIFF records of an XLS (rows, and the dense grid
//! calamine would allocate); then the sheets loaded with bounded memory.

use std::io::{Cursor, Read};

use calamine::{Data, Reader};

use crate::detect::FileKind;
use crate::error::{ErrorReason, SiecleError};
use crate::text::excerpt;

/// Refuses an XLSX whose content would inflate beyond `max` bytes: first from the
/// declared sizes, then by actually inflating each entry into a counting sink (the
/// declared sizes can lie). Nothing is kept in memory.
pub fn check_zip_size(bytes: &[u8], max: u64) -> Result<(), SiecleError> {
    let kind = FileKind::Xlsx;
    let mut archive = zip::ZipArchive::new(Cursor::new(bytes)).map_err(|e| {
        SiecleError::new(
            kind,
            ErrorReason::Spreadsheet(format!("archive zip illisible ({e})")),
        )
    })?;
    if archive.len() > 10_000 {
        return Err(SiecleError::new(kind, ErrorReason::ZipBomb(max)));
    }
    let mut declared: u64 = 0;
    for i in 0..archive.len() {
        let entry = archive.by_index_raw(i).map_err(|e| {
            SiecleError::new(
                kind,
                ErrorReason::Spreadsheet(format!("archive zip illisible ({e})")),
            )
        })?;
        declared = declared.saturating_add(entry.size());
        if declared > max {
            return Err(SiecleError::new(kind, ErrorReason::ZipBomb(max)));
        }
    }
    let mut total: u64 = 0;
    for i in 0..archive.len() {
        let mut entry = match archive.by_index(i) {
            Ok(e) => e,
            // Encrypted or unsupported entries: calamine will report them.
            Err(_) => continue,
        };
        let budget = max - total;
        let read =
            std::io::copy(&mut (&mut entry).take(budget + 1), &mut std::io::sink()).unwrap_or(0);
        total += read;
        if total > max {
            return Err(SiecleError::new(kind, ErrorReason::ZipBomb(max)));
        }
    }
    Ok(())
}

/// A sheet as rows of cells, built with bounded memory: at most [`MAX_COLUMNS`]
/// columns and `max_rows` rows are kept.
pub(super) type Sheet = (String, Vec<Vec<Data>>);

/// Columns read from a sheet (the export has 136); cells further right are ignored.
const MAX_COLUMNS: u32 = 512;

/// Most cell slots (rows × columns) kept for a workbook, and that calamine may
/// allocate for all the sheets of an XLS (it builds each sheet as a dense grid):
/// 8 million slots of 32 bytes is about 256 MB.
const MAX_XLS_CELL_SLOTS: u64 = 8_000_000;

pub(super) fn load_sheets(
    bytes: &[u8],
    kind: FileKind,
    max_rows: usize,
) -> Result<Vec<Sheet>, SiecleError> {
    let err = |e: String| SiecleError::new(kind, ErrorReason::Spreadsheet(excerpt(&e)));
    let too_big = || {
        SiecleError::new(
            kind,
            ErrorReason::Spreadsheet(format!("feuille de plus de {max_rows} lignes")),
        )
    };
    let mut out = Vec::new();
    match kind {
        FileKind::Xlsx => {
            // calamine's worksheet_range allocates the dense bounding box of the cells:
            // two cells far apart would ask for hundreds of gigabytes. Reading cell by
            // cell keeps memory proportional to the cells kept.
            let mut wb: calamine::Xlsx<_> =
                calamine::Xlsx::new(Cursor::new(bytes)).map_err(|e| err(e.to_string()))?;
            for name in wb.sheet_names() {
                let mut reader = wb
                    .worksheet_cells_reader(&name)
                    .map_err(|e| err(e.to_string()))?;
                let mut rows: Vec<Vec<Data>> = Vec::new();
                let mut slots: u64 = 0;
                while let Some(cell) = reader.next_cell().map_err(|e| err(e.to_string()))? {
                    let (r, c) = cell.get_position();
                    if c >= MAX_COLUMNS {
                        continue;
                    }
                    let (r, c) = (r as usize, c as usize);
                    if r >= max_rows {
                        return Err(too_big());
                    }
                    let value: Data = cell.get_value().clone().into();
                    if value == Data::Empty {
                        continue;
                    }
                    if rows.len() <= r {
                        rows.resize_with(r + 1, Vec::new);
                    }
                    let row = &mut rows[r];
                    if row.len() <= c {
                        slots += (c + 1 - row.len()) as u64;
                        if slots > MAX_XLS_CELL_SLOTS {
                            return Err(err("trop de cellules".into()));
                        }
                        row.resize(c + 1, Data::Empty);
                    }
                    row[c] = value;
                }
                out.push((name, rows));
            }
        }
        _ => {
            check_xls_dimensions(bytes, max_rows)?;
            let mut wb: calamine::Xls<_> =
                calamine::Xls::new(Cursor::new(bytes)).map_err(|e| err(e.to_string()))?;
            for name in wb.sheet_names() {
                let range = wb.worksheet_range(&name).map_err(|e| err(e.to_string()))?;
                let (start_row, start_col) = range.start().unwrap_or((0, 0));
                let mut rows: Vec<Vec<Data>> = vec![Vec::new(); start_row as usize];
                for row in range.rows() {
                    let mut cells = vec![Data::Empty; start_col as usize];
                    cells.extend(row.iter().take(MAX_COLUMNS as usize).cloned());
                    rows.push(cells);
                }
                out.push((name, rows));
            }
        }
    }
    Ok(out)
}

/// Walks the BIFF records of an XLS workbook stream and refuses a file whose sheets
/// would make calamine allocate more than [`MAX_XLS_CELL_SLOTS`] cells (it allocates
/// the bounding box of each sheet's cells) or that has more than `max_rows` rows.
fn check_xls_dimensions(bytes: &[u8], max_rows: usize) -> Result<(), SiecleError> {
    let kind = FileKind::Xls;
    let unreadable = |e: std::io::Error| {
        SiecleError::new(
            kind,
            ErrorReason::Spreadsheet(format!(
                "fichier XLS illisible ({})",
                excerpt(&e.to_string())
            )),
        )
    };
    let mut file = cfb::CompoundFile::open(Cursor::new(bytes)).map_err(unreadable)?;
    let name = ["/Workbook", "/Book"]
        .into_iter()
        .find(|n| file.is_stream(n));
    let Some(name) = name else {
        return Err(SiecleError::new(
            kind,
            ErrorReason::Spreadsheet("flux « Workbook » absent".into()),
        ));
    };
    let mut stream = Vec::new();
    file.open_stream(name)
        .map_err(unreadable)?
        .take(bytes.len() as u64)
        .read_to_end(&mut stream)
        .map_err(unreadable)?;
    let mut slots: u64 = 0;
    let mut bounds: Option<(u32, u32, u32, u32)> = None;
    let close = |bounds: &mut Option<(u32, u32, u32, u32)>, slots: &mut u64| {
        if let Some((r0, r1, c0, c1)) = bounds.take() {
            *slots = slots.saturating_add(u64::from(r1 - r0 + 1) * u64::from(c1 - c0 + 1));
        }
    };
    let mut at = 0usize;
    while at + 4 <= stream.len() {
        let typ = u16::from_le_bytes([stream[at], stream[at + 1]]);
        let len = u16::from_le_bytes([stream[at + 2], stream[at + 3]]) as usize;
        let data = &stream[at + 4..(at + 4 + len).min(stream.len())];
        at += 4 + len;
        let u16_at = |i: usize| {
            data.get(i..i + 2)
                .map(|b| u32::from(u16::from_le_bytes([b[0], b[1]])))
        };
        match typ {
            // BOF / EOF of a substream (a sheet).
            0x0809 | 0x000A => close(&mut bounds, &mut slots),
            // FORMULA, MULRK, MULBLANK, RSTRING, LABELSST, BLANK, NUMBER, LABEL, BOOLERR, RK.
            0x0006 | 0x00BD | 0x00BE | 0x00D6 | 0x00FD | 0x0201 | 0x0203 | 0x0204 | 0x0205
            | 0x027E => {
                let (Some(row), Some(col)) = (u16_at(0), u16_at(2)) else {
                    continue;
                };
                let last_col = if matches!(typ, 0x00BD | 0x00BE) {
                    data.len().checked_sub(2).and_then(u16_at).unwrap_or(col)
                } else {
                    col
                };
                if row as usize >= max_rows {
                    return Err(SiecleError::new(
                        kind,
                        ErrorReason::Spreadsheet(format!("feuille de plus de {max_rows} lignes")),
                    ));
                }
                let (lo, hi) = (col.min(last_col), col.max(last_col));
                bounds = Some(match bounds {
                    None => (row, row, lo, hi),
                    Some((r0, r1, c0, c1)) => (r0.min(row), r1.max(row), c0.min(lo), c1.max(hi)),
                });
            }
            _ => {}
        }
    }
    close(&mut bounds, &mut slots);
    // calamine builds a value grid and a formula grid per sheet.
    if slots.saturating_mul(2) > MAX_XLS_CELL_SLOTS {
        return Err(SiecleError::new(
            kind,
            ErrorReason::Spreadsheet("feuilles aux dimensions démesurées".into()),
        ));
    }
    Ok(())
}
