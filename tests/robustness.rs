//! Any byte sequence gives a result, never a panic or a hang; pathological
//! MIME is capped and the cap is reported.

use dlp_milter::config::Config;
use dlp_milter::scan::Engine;
use std::time::{Duration, Instant};

/// A small deterministic generator (xorshift), so failures reproduce.
struct Rng(u64);
impl Rng {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 << 13;
        self.0 ^= self.0 >> 7;
        self.0 ^= self.0 << 17;
        self.0
    }
    fn below(&mut self, n: usize) -> usize {
        (self.next() % n as u64) as usize
    }
}

fn engine() -> Engine {
    Engine::from_config(&Config::default()).expect("shipped rules load")
}

#[test]
fn random_bytes_never_panic() {
    let e = engine();
    let mut rng = Rng(0x9E37_79B9_7F4A_7C15);
    for _ in 0..300 {
        let len = rng.below(4096);
        let bytes: Vec<u8> = (0..len).map(|_| rng.next() as u8).collect();
        let r = e.scan(&bytes, None);
        assert!(r.error.is_none(), "{:?}", r.error);
    }
}

#[test]
fn mutated_fixtures_never_panic() {
    let e = engine();
    let mut rng = Rng(42);
    let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("fixtures/messages");
    for entry in std::fs::read_dir(dir).unwrap().flatten() {
        if entry.path().extension().is_none_or(|x| x != "eml") {
            continue;
        }
        let orig = std::fs::read(entry.path()).unwrap();
        for _ in 0..20 {
            let mut m = orig.clone();
            match rng.below(3) {
                0 => m.truncate(rng.below(m.len().max(1))),
                1 => {
                    for _ in 0..8 {
                        let i = rng.below(m.len().max(1));
                        if let Some(b) = m.get_mut(i) {
                            *b = rng.next() as u8;
                        }
                    }
                }
                _ => {
                    let i = rng.below(m.len().max(1));
                    const JUNK: &[u8] = b"=?\r\n-:;<>\"\\\x00\xff";
                    let junk: Vec<u8> = (0..rng.below(64))
                        .map(|_| JUNK[rng.below(JUNK.len())])
                        .collect();
                    m.splice(i..i, junk);
                }
            }
            let r = e.scan(&m, None);
            assert!(
                r.error.is_none(),
                "{}: {:?}",
                entry.path().display(),
                r.error
            );
        }
    }
}

#[test]
fn deeply_nested_multipart_is_bounded() {
    let depth = 2000;
    let mut m = String::from(
        "From: a@school.example\r\nTo: b@x.example\r\nSubject: deep\r\nMIME-Version: 1.0\r\n",
    );
    for i in 0..depth {
        m.push_str(&format!(
            "Content-Type: multipart/mixed; boundary=\"b{i}\"\r\n\r\n--b{i}\r\n"
        ));
    }
    m.push_str("Content-Type: text/plain\r\n\r\nhello\r\n");
    for i in (0..depth).rev() {
        m.push_str(&format!("--b{i}--\r\n"));
    }
    let start = Instant::now();
    let r = engine().scan(m.as_bytes(), None);
    assert!(r.error.is_none());
    assert!(
        start.elapsed() < Duration::from_secs(20),
        "took {:?}",
        start.elapsed()
    );
}

#[test]
fn too_many_parts_are_capped_and_reported() {
    let mut m = String::from("From: a@school.example\r\nTo: b@x.example\r\nSubject: parts\r\nMIME-Version: 1.0\r\nContent-Type: multipart/mixed; boundary=\"B\"\r\n\r\n");
    for i in 0..2000 {
        m.push_str(&format!("--B\r\nContent-Type: text/plain\r\nContent-Disposition: attachment; filename=\"f{i}.txt\"\r\n\r\nnote {i}\r\n"));
    }
    m.push_str("--B--\r\n");
    let r = engine().scan(m.as_bytes(), None);
    assert!(r.error.is_none());
    assert!(
        r.not_scanned
            .iter()
            .any(|n| n.location == "message" && n.reason.contains("MIME parts")),
        "{:?}",
        r.not_scanned
    );
}

#[test]
fn oversized_message_is_capped_and_reported() {
    let cfg = Config::from_toml("t.toml", "[limits]\nmax_message_bytes = 100000\n").unwrap();
    let e = Engine::from_config(&cfg).unwrap();
    let mut m = String::from("From: a@school.example\r\nTo: b@x.example\r\nSubject: big\r\n\r\n");
    m.push_str(&"lorem ipsum dolor sit amet ".repeat(20_000));
    let r = e.scan(m.as_bytes(), None);
    assert!(
        r.not_scanned
            .iter()
            .any(|n| n.reason.contains("larger than 100000 bytes")),
        "{:?}",
        r.not_scanned
    );
}

#[test]
fn long_header_lines_and_nul_bytes_are_fine() {
    let mut m = String::from("From: a@school.example\r\nTo: ");
    m.push_str(
        &(0..3000)
            .map(|i| format!("p{i}@gmail.com"))
            .collect::<Vec<_>>()
            .join(", "),
    );
    m.push_str("\r\nSubject: x\x00y\r\n\r\nbody\x00with nul\r\n");
    let r = engine().scan(m.as_bytes(), None);
    assert!(r.error.is_none());
    assert_eq!(r.decision.verdict.as_str(), "rewrite");
}
