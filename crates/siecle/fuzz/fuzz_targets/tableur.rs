//! The spreadsheet reader must return a result on any input, never panic.
//!
//! calamine 0.38 panics on some malformed XLS (e.g. `cfb.rs:320`, slice index out of
//! range on a truncated compound file); the reader catches that with `catch_unwind`
//! and returns an error. libFuzzer's panic hook aborts on any panic, even a caught
//! one, so this target installs the default (non-aborting) hook: a panic caught by
//! the reader is then an ordinary error, and a panic escaping the reader still aborts
//! through libfuzzer-sys's own `catch_unwind` check and is reported.
#![no_main]

use dossiersco_siecle::Limits;
use dossiersco_siecle::tableur::read_spreadsheet_with_limits;
use libfuzzer_sys::fuzz_target;

static QUIET_HOOK: std::sync::Once = std::sync::Once::new();

fuzz_target!(|data: &[u8]| {
    QUIET_HOOK.call_once(|| std::panic::set_hook(Box::new(|_| {})));
    let limits = Limits { max_uncompressed_bytes: 16 * 1024 * 1024, ..Limits::default() };
    match read_spreadsheet_with_limits(data, limits) {
        Ok(t) => {
            for w in &t.warnings {
                let _ = w.to_string();
            }
        }
        Err(e) => {
            let _ = e.to_string();
        }
    }
});
