//! Where scanning time goes: each stage timed alone on generated prose.
//! `cargo run --release --example breakdown`
use dlp_milter::detect::{default_detectors, Location, MessageContext, TextKind, TextUnit};
use std::time::Instant;

#[path = "../benches/common/prose.rs"]
mod prose;

fn main() {
    let text = prose::prose(4_000_000, 7);
    let mut csv = String::from("name: Pupil 1 | class: 1B | club: football\n");
    while csv.len() < 4_000_000 {
        csv.push_str("name: Pupil 123 | class: 4B | club: football\n");
    }
    let ctx = MessageContext::default();
    for d in default_detectors() {
        for (label, t, kind) in [
            ("prose", &text, TextKind::Body),
            ("table", &csv, TextKind::Table),
        ] {
            let unit = TextUnit {
                location: Location::Body,
                kind,
                text: t,
            };
            let start = Instant::now();
            let mut out = Vec::new();
            for _ in 0..3 {
                d.scan(&unit, &ctx, &mut out);
            }
            let secs = start.elapsed().as_secs_f64() / 3.0;
            println!(
                "{:>16} {label}: {:7.1} MB/s ({} findings)",
                d.ids()[0],
                t.len() as f64 / secs / 1e6,
                out.len() / 3
            );
        }
    }
    let html: String = text[..20_000]
        .split("\r\n")
        .map(|p| format!("<p style=\"margin:0\">{p}</p>\n"))
        .collect();
    rate("html_to_text 20KB", html.len(), 200, || {
        std::hint::black_box(dlp_milter::message::html_to_text(&html));
    });
    let mut csvraw = String::from("name,class,club\r\n");
    let mut i = 0;
    while csvraw.len() < 10_000 {
        csvraw.push_str(&format!("Pupil {i},{}B,football\r\n", i % 6 + 1));
        i += 1;
    }
    rate("csv extract 10KB", csvraw.len(), 500, || {
        let mut b = dlp_milter::extract::Budget::new(dlp_milter::extract::Limits::default());
        std::hint::black_box(dlp_milter::extract::extract(
            "a.csv",
            "text/csv",
            csvraw.as_bytes(),
            &mut b,
        ));
    });
    let msg = format!("From: a@b.c\r\nTo: d@e.f\r\nSubject: x\r\nContent-Type: multipart/mixed; boundary=\"B\"\r\n\r\n--B\r\nContent-Type: text/plain\r\n\r\n{}\r\n--B\r\nContent-Type: text/csv\r\nContent-Disposition: attachment; filename=\"c.csv\"\r\n\r\n{csvraw}\r\n--B--\r\n", &text[..5000]);
    rate("parse multipart 15KB", msg.len(), 500, || {
        std::hint::black_box(dlp_milter::message::parse(
            msg.as_bytes(),
            &Default::default(),
        ));
    });
    let mut b = dlp_milter::extract::Budget::new(dlp_milter::extract::Limits::default());
    let ex = dlp_milter::extract::extract("a.csv", "text/csv", csvraw.as_bytes(), &mut b);
    let table = ex.texts[0].text.clone();
    for d in default_detectors() {
        let unit = TextUnit {
            location: Location::Body,
            kind: TextKind::Table,
            text: &table,
        };
        rate(
            &format!("{} on csv table", d.ids()[0]),
            table.len(),
            300,
            || {
                let mut out = Vec::new();
                d.scan(&unit, &ctx, &mut out);
            },
        );
    }
    let start = Instant::now();
    let n = dlp_milter::message::normalize(&text).len();
    println!(
        "normalize: {:.1} MB/s",
        n as f64 / start.elapsed().as_secs_f64() / 1e6
    );
}

/// Times `f` over `bytes` of input, `iters` times; MB/s.
pub fn rate(label: &str, bytes: usize, iters: usize, mut f: impl FnMut()) {
    let start = Instant::now();
    for _ in 0..iters {
        f();
    }
    let secs = start.elapsed().as_secs_f64();
    println!(
        "{label}: {:.1} MB/s, {:.1} µs each",
        (bytes * iters) as f64 / secs / 1e6,
        secs / iters as f64 * 1e6
    );
}
