//! Engine throughput over a realistic mix of outbound school mail:
//! plain text, HTML, multipart with text/CSV attachments, from 2 KB to 2 MB.
//! `cargo bench --bench scan` — criterion reports time and throughput
//! (bytes of message per second) per message shape.

use criterion::{black_box, criterion_group, criterion_main, BenchmarkId, Criterion, Throughput};
use dlp_milter::config::Config;
use dlp_milter::scan::Engine;

const WORDS: &[&str] = &[
    "the",
    "class",
    "will",
    "be",
    "going",
    "to",
    "museum",
    "on",
    "Friday",
    "please",
    "remember",
    "packed",
    "lunch",
    "and",
    "coat",
    "parents",
    "evening",
    "is",
    "booked",
    "for",
    "next",
    "week",
    "reading",
    "books",
    "homework",
    "spelling",
    "test",
    "Year",
    "4",
    "assembly",
    "trip",
    "letter",
    "consent",
    "form",
    "office",
    "thank",
    "you",
    "for",
    "your",
    "support",
    "with",
    "this",
    "term's",
    "topic",
    "Mrs",
    "Green",
    "Mr",
    "Shah",
    "our",
    "school",
    "values",
    "kindness",
    "respect",
    "after-school",
    "club",
    "football",
    "netball",
    "choir",
    "rehearsal",
    "uniform",
    "PE",
    "kit",
    "library",
];

/// Deterministic pseudo-prose of about `len` bytes, with the numbers school
/// mail really carries (dates, phone numbers, order references) sprinkled in.
fn prose(len: usize, seed: u64) -> String {
    let mut s = String::with_capacity(len + 100);
    let mut x = seed | 1;
    let mut n = 0u32;
    while s.len() < len {
        x ^= x << 13;
        x ^= x >> 7;
        x ^= x << 17;
        s.push_str(WORDS[(x % WORDS.len() as u64) as usize]);
        n += 1;
        match n % 97 {
            13 => s.push_str(" on 14/10/2025"),
            41 => s.push_str(", call 01632 960 001"),
            67 => s.push_str(" (order 4010232138)"),
            _ => {}
        }
        s.push(if n.is_multiple_of(14) { '.' } else { ' ' });
        if n.is_multiple_of(60) {
            s.push_str("\r\n\r\n");
        } else if n.is_multiple_of(12) {
            s.push_str("\r\n");
        }
    }
    s
}

fn headers(subject: &str) -> String {
    format!(
        "From: office@greenlane.sch.uk\r\nTo: parent@gmail.com, head@greenlane.sch.uk\r\nSubject: {subject}\r\nDate: Tue, 14 Oct 2025 09:12:00 +0100\r\nMessage-ID: <bench@greenlane.sch.uk>\r\nMIME-Version: 1.0\r\n"
    )
}

fn plain(size: usize) -> Vec<u8> {
    format!(
        "{}Content-Type: text/plain; charset=utf-8\r\n\r\n{}",
        headers("Trip"),
        prose(size, 7)
    )
    .into_bytes()
}

fn html(size: usize) -> Vec<u8> {
    let body: String = prose(size * 3 / 4, 11)
        .split("\r\n\r\n")
        .map(|p| format!("<p style=\"margin:0\">{p}</p>\n"))
        .collect();
    format!(
        "{}Content-Type: text/html; charset=utf-8\r\n\r\n<html><body>{body}</body></html>",
        headers("News")
    )
    .into_bytes()
}

fn multipart(size: usize) -> Vec<u8> {
    let text = prose(size / 4, 3);
    let mut csv = String::from("name,class,club\r\n");
    let mut i = 0;
    while csv.len() < size / 2 {
        csv.push_str(&format!("Pupil {i},{}B,football\r\n", i % 6 + 1));
        i += 1;
    }
    let notes = prose(size / 4, 5);
    format!(
        "{}Content-Type: multipart/mixed; boundary=\"B\"\r\n\r\n--B\r\nContent-Type: text/plain\r\n\r\n{text}\r\n--B\r\nContent-Type: text/csv\r\nContent-Disposition: attachment; filename=\"clubs.csv\"\r\n\r\n{csv}\r\n--B\r\nContent-Type: text/plain\r\nContent-Disposition: attachment; filename=\"notes.txt\"\r\n\r\n{notes}\r\n--B--\r\n",
        headers("Clubs")
    )
    .into_bytes()
}

fn bench(c: &mut Criterion) {
    let engine = Engine::from_config(&Config::default()).expect("shipped rules");
    let mut g = c.benchmark_group("scan");
    let shapes: Vec<(&str, usize, Vec<u8>)> = vec![
        ("plain", 2_000, plain(2_000)),
        ("plain", 20_000, plain(20_000)),
        ("html", 20_000, html(20_000)),
        ("multipart", 20_000, multipart(20_000)),
        ("multipart", 200_000, multipart(200_000)),
        ("plain", 2_000_000, plain(2_000_000)),
        ("multipart", 2_000_000, multipart(2_000_000)),
    ];
    for (name, size, msg) in &shapes {
        g.throughput(Throughput::Bytes(msg.len() as u64));
        g.bench_with_input(BenchmarkId::new(*name, size), msg, |b, m| {
            b.iter(|| engine.scan(black_box(m), None))
        });
    }
    g.finish();
}

criterion_group! {
    name = benches;
    config = Criterion::default().sample_size(30).measurement_time(std::time::Duration::from_secs(3)).warm_up_time(std::time::Duration::from_secs(1));
    targets = bench
}
criterion_main!(benches);
