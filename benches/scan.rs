//! Engine throughput over a realistic mix of outbound school mail:
//! plain text, HTML, multipart with text/CSV attachments, from 2 KB to 2 MB.
//! `cargo bench --bench scan` — criterion reports time and throughput
//! (bytes of message per second) per message shape.

use criterion::{black_box, criterion_group, criterion_main, BenchmarkId, Criterion, Throughput};
use dlp_milter::config::Config;
use dlp_milter::scan::Engine;

#[path = "common/prose.rs"]
mod prose;
use prose::prose;

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

    // The "typical" mix a school's outbound flow looks like (the same shares
    // as the milter load test): mostly ~20 KB text mail, some short notes,
    // HTML newsletters, a tenth with a CSV/text attachment, and a few
    // newsletters with the parents in To. Throughput is messages per second.
    let mut mix: Vec<Vec<u8>> = Vec::new();
    for i in 0..100u64 {
        let m = match i {
            0..=54 => plain(20_000 + (i as usize * 97) % 4_000),
            55..=69 => plain(2_000),
            70..=81 => html(20_000),
            82..=91 => multipart(20_000),
            _ => exposed(5_000),
        };
        mix.push(m);
    }
    let bytes: usize = mix.iter().map(Vec::len).sum();
    let mut g = c.benchmark_group("mix");
    g.throughput(Throughput::Elements(mix.len() as u64));
    g.bench_function(
        BenchmarkId::new(
            "typical",
            format!("{} msgs, {} KB avg", mix.len(), bytes / mix.len() / 1000),
        ),
        |b| {
            b.iter(|| {
                for m in &mix {
                    black_box(engine.scan(black_box(m), None));
                }
            })
        },
    );
    g.finish();
}

/// A newsletter with 30 parents visible in To (rewritten by the policy).
fn exposed(size: usize) -> Vec<u8> {
    let to: Vec<String> = (0..30).map(|i| format!("parent{i}@gmail.com")).collect();
    format!(
        "From: office@greenlane.sch.uk\r\nTo: {}\r\nSubject: Trip\r\nMIME-Version: 1.0\r\nContent-Type: text/plain\r\n\r\n{}",
        to.join(",\r\n "),
        prose(size, 13)
    )
    .into_bytes()
}

criterion_group! {
    name = benches;
    config = Criterion::default().sample_size(30).measurement_time(std::time::Duration::from_secs(3)).warm_up_time(std::time::Duration::from_secs(1));
    targets = bench
}
criterion_main!(benches);
