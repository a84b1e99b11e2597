//! Where scanning time goes: each stage timed alone on generated prose.
//! `cargo run --release --example breakdown`
use dlp_milter::detect::{default_detectors, Location, MessageContext, TextKind, TextUnit};
use std::time::Instant;

fn prose(len: usize) -> String {
    const WORDS: &[&str] = &[
        "the", "class", "will", "be", "going", "to", "museum", "on", "Friday", "please",
        "remember", "packed", "lunch", "and", "coat", "parents", "evening", "is", "booked", "for",
        "next", "week", "Year", "4", "Mrs", "Green", "Mr", "Shah", "school", "kindness",
    ];
    let mut s = String::new();
    let mut x: u64 = 7;
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
        s.push(if n % 14 == 0 { '.' } else { ' ' });
        if n % 12 == 0 {
            s.push_str("\r\n");
        }
    }
    s
}

fn main() {
    let text = prose(4_000_000);
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
    let start = Instant::now();
    let n = dlp_milter::message::normalize(&text).len();
    println!(
        "normalize: {:.1} MB/s",
        n as f64 / start.elapsed().as_secs_f64() / 1e6
    );
}
