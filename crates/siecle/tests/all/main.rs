//! Integration tests of the SIECLE parsers: hand-written fixtures, the shared samples,
//! spreadsheets built on the fly, and generator round trips.

mod return_file;
mod samples;
mod synth;
mod tableur;
mod xml_fixtures;

use std::path::PathBuf;

/// Path of a fixture in `tests/fixtures/`.
pub fn fixture(name: &str) -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("tests/fixtures")
        .join(name)
}

/// Bytes of a fixture.
pub fn fixture_bytes(name: &str) -> Vec<u8> {
    std::fs::read(fixture(name)).unwrap_or_else(|e| panic!("{name}: {e}"))
}
