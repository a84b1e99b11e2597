//! Extracts one attachment in a loop, for profiling a format with `perf`:
//! `cargo run --release --example extract_loop -- FILE [ITERATIONS]`
use dlp_milter::extract::{extract, Budget, Limits};
use std::time::Instant;

fn main() {
    let mut args = std::env::args().skip(1);
    let path = args.next().expect("usage: extract_loop FILE [ITERATIONS]");
    let n: u32 = args.next().and_then(|s| s.parse().ok()).unwrap_or(1000);
    let data = std::fs::read(&path).expect("readable file");
    let name = std::path::Path::new(&path)
        .file_name()
        .map(|s| s.to_string_lossy().into_owned())
        .unwrap_or_default();
    let start = Instant::now();
    for _ in 0..n {
        let mut b = Budget::new(Limits::default());
        std::hint::black_box(extract(&name, "application/octet-stream", &data, &mut b));
    }
    let per = start.elapsed().as_secs_f64() / f64::from(n);
    println!(
        "{name}: {:.1} µs each, {:.1} MiB/s",
        per * 1e6,
        data.len() as f64 / per / (1024.0 * 1024.0)
    );
}
