//! The structures reader must return records, warnings or one error on any input, never
//! panic, and stop after an error.
#![no_main]

use dossiersco_siecle::structures::StructuresReader;
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    if let Ok(mut reader) = StructuresReader::new(data) {
        let _ = reader.uaj();
        let mut failed = false;
        for record in &mut reader {
            assert!(!failed, "a record after a fatal error");
            if let Err(e) = record {
                let _ = e.to_string();
                failed = true;
            }
        }
        for w in reader.warnings() {
            let _ = w.to_string();
        }
    }
});
