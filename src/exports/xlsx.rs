//! A [`Sheet`] written as an `.xlsx` file (`rust_xlsxwriter`): bold French
//! headers, frozen first row, dates as dates, euros as numbers in euros,
//! text always as text (a family's « =1+1 » stays those characters, never a
//! formula).

use chrono::{Datelike, Timelike};
use rust_xlsxwriter::{ExcelDateTime, Format, Workbook, XlsxError};

use super::sheets::{Cell, Sheet};

/// The file of `sheet`.
pub fn write(sheet: &Sheet) -> Result<Vec<u8>, XlsxError> {
    let mut workbook = Workbook::new();
    let bold = Format::new().set_bold();
    let date_time = Format::new().set_num_format("dd/mm/yyyy hh:mm");
    let euros = Format::new().set_num_format("#,##0.00 \"€\"");
    let ws = workbook.add_worksheet();
    ws.set_name(sheet.name)?;
    let mut widths: Vec<usize> = sheet.headers.iter().map(|h| h.chars().count()).collect();
    for (col, header) in sheet.headers.iter().enumerate() {
        ws.write_string_with_format(0, col as u16, header, &bold)?;
    }
    for (r, cells) in sheet.rows.iter().enumerate() {
        let row = r as u32 + 1;
        for (c, cell) in cells.iter().enumerate() {
            let col = c as u16;
            let width = match cell {
                Cell::Text(text) => {
                    ws.write_string(row, col, text)?;
                    text.chars().count()
                }
                Cell::Number(n) => {
                    ws.write_number(row, col, *n as f64)?;
                    n.to_string().len()
                }
                Cell::Euros(cents) => {
                    ws.write_number_with_format(row, col, *cents as f64 / 100.0, &euros)?;
                    10
                }
                Cell::DateTime(at) => {
                    let value = ExcelDateTime::from_ymd(
                        at.year() as u16,
                        at.month() as u8,
                        at.day() as u8,
                    )?
                    .and_hms(
                        at.hour() as u16,
                        at.minute() as u8,
                        at.second() as f64,
                    )?;
                    ws.write_datetime_with_format(row, col, value, &date_time)?;
                    16
                }
                Cell::Empty => 0,
            };
            if let Some(w) = widths.get_mut(c) {
                *w = (*w).max(width);
            }
        }
    }
    for (col, width) in widths.iter().enumerate() {
        ws.set_column_width(col as u16, (*width).clamp(8, 60) as f64 + 2.0)?;
    }
    ws.set_freeze_panes(1, 0)?;
    workbook.save_to_buffer()
}
