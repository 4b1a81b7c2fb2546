//! Times the parsing of a generated school's exports (run in release):
//!
//! ```text
//! cargo run --release -p dossiersco-siecle --example parse_timing -- [PUPILS] [big]
//! ```
//! `-- PUPILS write-big PATH` also writes one ElevesAvecAdresses.xml of 100 × PUPILS
//! pupils; `-- stream PATH` then streams it in a fresh process and prints the peak
//! memory, to show it stays flat whatever the size.

use std::io::BufReader;
use std::time::Instant;

use dossiersco_siecle::eleves::{ElevesReader, parse_eleves};
use dossiersco_siecle::nomenclatures::parse_nomenclature;
use dossiersco_siecle::responsables::parse_responsables;
use dossiersco_siecle::synth;

fn peak_rss_kib() -> u64 {
    std::fs::read_to_string("/proc/self/status")
        .ok()
        .and_then(|s| {
            s.lines()
                .find(|l| l.starts_with("VmHWM:"))
                .map(|l| l.to_string())
        })
        .and_then(|l| l.split_whitespace().nth(1).and_then(|n| n.parse().ok()))
        .unwrap_or(0)
}

fn main() {
    let args: Vec<String> = std::env::args().collect();
    if let Some(i) = args.iter().position(|a| a == "stream") {
        let path = &args[i + 1];
        let start = Instant::now();
        let reader = ElevesReader::new(BufReader::new(std::fs::File::open(path).unwrap())).unwrap();
        let count = reader.filter(|r| r.is_ok()).count();
        let size = std::fs::metadata(path).unwrap().len();
        println!(
            "streamed {} MB ({count} records) in {:.2} s; peak RSS {} MiB",
            size / 1_000_000,
            start.elapsed().as_secs_f64(),
            peak_rss_kib() / 1024
        );
        return;
    }
    let pupils: usize = args.get(1).and_then(|a| a.parse().ok()).unwrap_or(1000);
    let school = synth::generate_school(0, pupils, 42);
    let mut eleves = Vec::new();
    let mut responsables = Vec::new();
    let mut nomenclature = Vec::new();
    school.write_eleves(&mut eleves).unwrap();
    school.write_responsables(&mut responsables).unwrap();
    school.write_nomenclature(&mut nomenclature).unwrap();
    println!(
        "school {}: {pupils} pupils, {} persons; files {} + {} + {} bytes",
        school.uai,
        school.personnes.len(),
        eleves.len(),
        responsables.len(),
        nomenclature.len()
    );
    let mut best = f64::MAX;
    for _ in 0..5 {
        let start = Instant::now();
        let n = parse_nomenclature(&nomenclature[..]).unwrap();
        let e = parse_eleves(&eleves[..]).unwrap();
        let r = parse_responsables(&responsables[..]).unwrap();
        let elapsed = start.elapsed().as_secs_f64() * 1000.0;
        assert_eq!(e.eleves.len(), pupils);
        assert!(n.warnings.is_empty() && e.warnings.is_empty() && r.warnings.is_empty());
        best = best.min(elapsed);
    }
    println!("parse of the three XML files: {best:.1} ms (best of 5)");

    // Streaming a big file: `write-big PATH` writes one, `stream PATH` reads it back
    // in a fresh process so that the peak memory shown is the reader's own.
    if let Some(i) = args.iter().position(|a| a == "write-big") {
        let path = &args[i + 1];
        let big = synth::generate_school(1, pupils * 100, 43);
        big.write_eleves(std::io::BufWriter::new(
            std::fs::File::create(path).unwrap(),
        ))
        .unwrap();
        println!(
            "wrote {} MB",
            std::fs::metadata(path).unwrap().len() / 1_000_000
        );
    }
}
