//! Times the parsing of a generated school's exports (run in release):
//!
//! ```text
//! cargo run --release -p dossiersco-siecle --example parse_timing -- [PUPILS] [big]
//! ```
//! With `big`, also streams a single ElevesAvecAdresses.xml of 100 × PUPILS pupils
//! from a temporary file and prints the peak memory, to show it stays flat.

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

    if args.iter().any(|a| a == "big") {
        let path = std::env::temp_dir().join("dossiersco-siecle-big-eleves.xml");
        let big = synth::generate_school(1, pupils * 100, 43);
        big.write_eleves(std::io::BufWriter::new(
            std::fs::File::create(&path).unwrap(),
        ))
        .unwrap();
        let size = std::fs::metadata(&path).unwrap().len();
        drop(big);
        let before = peak_rss_kib();
        let start = Instant::now();
        let reader =
            ElevesReader::new(BufReader::new(std::fs::File::open(&path).unwrap())).unwrap();
        let count = reader.filter(|r| r.is_ok()).count();
        println!(
            "streamed {} MB ({count} records) in {:.2} s; peak RSS before {} MiB, after {} MiB",
            size / 1_000_000,
            start.elapsed().as_secs_f64(),
            before / 1024,
            peak_rss_kib() / 1024
        );
        std::fs::remove_file(&path).ok();
    }
}
