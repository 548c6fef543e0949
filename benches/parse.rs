//! Parse-stage throughput: `smtplog_core::parse::parse_line` over realistic lines.
//!
//! Inputs: 200,000 lines from the deterministic generator (default seed, timestamps mixed
//! per host), made once at start; and the real lines of every file under
//! `tests/fixtures/corpus/` (skipped with a note when that folder does not exist). Each is
//! measured twice, in bytes per second (group `parse_bytes`) and in lines per second
//! (group `parse_lines`), so a regression names its unit. The generator's own speed is
//! group `generate`.
//!
//! ```text
//! cargo bench -p smtplog-benches --bench parse -- --warm-up-time 1 --measurement-time 3
//! ```

use std::fs;
use std::hint::black_box;
use std::io::{Read, Write};
use std::path::{Path, PathBuf};

use criterion::{Criterion, Throughput, criterion_group, criterion_main};
use flate2::read::MultiGzDecoder;
use smtplog_benches::generator::{GenConfig, TimeFormat, generate};
use smtplog_core::parse::{decode, parse_line};

const GENERATED_LINES: usize = 200_000;
const CORPUS: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/../tests/fixtures/corpus");

/// One input: its name, its text and its lines.
struct Input {
    name: &'static str,
    text: String,
}

impl Input {
    fn lines(&self) -> Vec<&str> {
        self.text.lines().collect()
    }
}

fn generated() -> Input {
    let cfg = GenConfig {
        lines: GENERATED_LINES,
        format: TimeFormat::Mixed,
        ..GenConfig::default()
    };
    let mut out = Vec::with_capacity(GENERATED_LINES * 180);
    generate(&cfg, &mut out).expect("generating into memory");
    Input {
        name: "generated",
        text: String::from_utf8(out).expect("the generator writes UTF-8"),
    }
}

/// Every file under `dir`, in name order (so runs compare), recursively.
fn files(dir: &Path, out: &mut Vec<PathBuf>) {
    let Ok(entries) = fs::read_dir(dir) else {
        return;
    };
    let mut paths: Vec<PathBuf> = entries.filter_map(|e| e.ok().map(|e| e.path())).collect();
    paths.sort();
    for p in paths {
        if p.is_dir() {
            files(&p, out);
        } else if p.extension().is_none_or(|e| e != "md") {
            out.push(p);
        }
    }
}

/// The lines of all fixture files (gzip detected by content), or `None` without the folder.
fn corpus() -> Option<Input> {
    let dir = Path::new(CORPUS);
    if !dir.is_dir() {
        let _ = writeln!(
            std::io::stderr().lock(),
            "parse bench: {} does not exist; skipping the corpus inputs",
            dir.display()
        );
        return None;
    }
    let mut paths = Vec::new();
    files(dir, &mut paths);
    let mut text = String::new();
    for p in paths {
        let Ok(mut bytes) = fs::read(&p) else {
            continue;
        };
        if bytes.starts_with(&[0x1f, 0x8b]) {
            let mut plain = Vec::new();
            if MultiGzDecoder::new(&bytes[..])
                .read_to_end(&mut plain)
                .is_err()
            {
                continue;
            }
            bytes = plain;
        }
        for line in bytes.split(|&b| b == b'\n') {
            text.push_str(&decode(line));
            text.push('\n');
        }
    }
    Some(Input {
        name: "corpus",
        text,
    })
}

fn parse_all(lines: &[&str]) {
    for line in lines {
        black_box(parse_line(black_box(line)));
    }
}

fn bench_parse(c: &mut Criterion) {
    let inputs: Vec<Input> = std::iter::once(generated()).chain(corpus()).collect();
    let prepared: Vec<(&Input, Vec<&str>)> = inputs.iter().map(|i| (i, i.lines())).collect();

    let mut group = c.benchmark_group("parse_bytes");
    group.sample_size(10);
    for (input, lines) in &prepared {
        group.throughput(Throughput::Bytes(input.text.len() as u64));
        group.bench_function(input.name, |b| b.iter(|| parse_all(lines)));
    }
    group.finish();

    let mut group = c.benchmark_group("parse_lines");
    group.sample_size(10);
    for (input, lines) in &prepared {
        group.throughput(Throughput::Elements(lines.len() as u64));
        group.bench_function(input.name, |b| b.iter(|| parse_all(lines)));
    }
    group.finish();
}

fn bench_generate(c: &mut Criterion) {
    let cfg = GenConfig {
        lines: 100_000,
        ..GenConfig::default()
    };
    let lines = generate(&cfg, std::io::sink()).expect("a sink").lines;
    let mut group = c.benchmark_group("generate");
    group.sample_size(10);
    group.throughput(Throughput::Elements(lines));
    group.bench_function("mixed_100k", |b| {
        b.iter(|| generate(black_box(&cfg), std::io::sink()).expect("a sink"))
    });
    group.finish();
}

criterion_group!(benches, bench_parse, bench_generate);
criterion_main!(benches);
