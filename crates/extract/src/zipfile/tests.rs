//! The ZIP reader on archives built here: members and nesting, the caps
//! before and while decoding, encryption flags, broken headers, the
//! compression methods beyond deflate.

use super::*;
use crate::{extract, Limits};
use std::io::Write;
use zip::write::SimpleFileOptions;

/// Builds a zip in memory from (name, bytes, stored?) members.
pub fn build(members: &[(&str, &[u8])]) -> Vec<u8> {
    let mut w = zip::ZipWriter::new(std::io::Cursor::new(Vec::new()));
    for (name, data) in members {
        // ODF requires `mimetype` first and stored, as real files have it.
        let method = if *name == "mimetype" {
            zip::CompressionMethod::Stored
        } else {
            zip::CompressionMethod::Deflated
        };
        let opts = SimpleFileOptions::default()
            .compression_method(method)
            .compression_level(if *name == "mimetype" { None } else { Some(9) });
        w.start_file(*name, opts).unwrap();
        w.write_all(data).unwrap();
    }
    w.finish().unwrap().into_inner()
}

#[test]
fn members_are_extracted_with_nested_paths() {
    let inner = build(&[("pupils.csv", b"name,upn\nAmira Khan,P801200216001\n")]);
    let outer = build(&[("notes.txt", b"hello there"), ("inner.zip", &inner)]);
    let mut b = Budget::new(Limits::default());
    let ex = extract("outer.zip", "application/zip", &outer, &mut b);
    assert!(!ex.encrypted());
    let t = ex
        .texts
        .iter()
        .find(|t| t.path == "outer.zip/inner.zip/pupils.csv")
        .expect("nested csv");
    assert!(t.text.contains("upn: P801200216001"), "{}", t.text);
    assert!(ex.texts.iter().any(|t| t.path == "outer.zip/notes.txt"));
    assert!(ex.not_scanned.is_empty(), "{:?}", ex.not_scanned);
}

#[test]
fn the_member_buffer_is_kept_per_thread_and_never_shows_old_bytes() {
    // Runs on its own thread: the spare starts empty there.
    std::thread::spawn(|| {
        let long = "Amira Khan P801200216001 ".repeat(2_000);
        let big = build(&[("big.txt", long.as_bytes())]);
        let small = build(&[("small.txt", b"hello there")]);
        let mut b = Budget::new(Limits::default());
        let mut archive = Archive::open(&big, &b).unwrap();
        let mut buf = MemberBuffer::take();
        assert_eq!(buf.capacity(), 0);
        archive.read_into(0, &mut b, &mut buf).unwrap();
        let kept = buf.capacity();
        assert!(kept >= long.len());
        // Lent out: a nested archive gets a buffer of its own.
        assert_eq!(MemberBuffer::take().capacity(), 0);
        drop(buf);
        // Given back: the next archive on this thread reuses it, and
        // reads only its own member's bytes into it.
        let mut again = MemberBuffer::take();
        assert_eq!(again.capacity(), kept);
        let mut archive = Archive::open(&small, &b).unwrap();
        archive.read_into(0, &mut b, &mut again).unwrap();
        assert_eq!(again.as_slice(), b"hello there");
        // A stored member is copied into the same buffer, not swapped
        // for a fresh allocation (which gave the buffer up).
        let stored = build(&[("mimetype", b"text/plain stored")]);
        let mut archive = Archive::open(&stored, &b).unwrap();
        let at = again.as_ptr();
        archive.read_into(0, &mut b, &mut again).unwrap();
        assert_eq!(again.as_slice(), b"text/plain stored");
        assert_eq!((again.as_ptr(), again.capacity()), (at, kept));
        drop(again);
        // Whole extractions in turn see only their own text.
        let ex = extract("big.zip", "application/zip", &big, &mut b);
        assert!(ex.texts.iter().any(|t| t.text.contains("P801200216001")));
        let ex = extract("small.zip", "application/zip", &small, &mut b);
        assert_eq!(ex.texts.len(), 1);
        assert_eq!(ex.texts[0].text.trim(), "hello there");
        // A buffer over the reuse limit is not kept.
        let mut huge = MemberBuffer::take();
        *huge = Vec::with_capacity(REUSE_MAX + 1);
        drop(huge);
        assert!(MemberBuffer::take().capacity() <= REUSE_MAX);
    })
    .join()
    .unwrap();
}

/// Sets flag bit 0 on every local and central header: ZipCrypto as far as the bytes say.
pub fn mark_encrypted(mut z: Vec<u8>, only: Option<&str>) -> Vec<u8> {
    let mut p = 0;
    while p + 46 < z.len() {
        let sig = &z[p..p + 4];
        if sig == b"PK\x03\x04" || sig == b"PK\x01\x02" {
            let (flag_at, name_at, len_at) = if sig == b"PK\x03\x04" {
                (p + 6, p + 30, p + 26)
            } else {
                (p + 8, p + 46, p + 28)
            };
            let n = u16::from_le_bytes([z[len_at], z[len_at + 1]]) as usize;
            let name = String::from_utf8_lossy(&z[name_at..name_at + n]).into_owned();
            if only.is_none_or(|o| o == name) {
                z[flag_at] |= 1;
            }
        }
        p += 1;
    }
    z
}

#[test]
fn encrypted_only_when_every_member_is() {
    let z = build(&[("a.csv", b"name\nAmira\n"), ("b.txt", b"secret text")]);
    let all = mark_encrypted(z.clone(), None);
    let mut b = Budget::new(Limits::default());
    let ex = extract("all.zip", "", &all, &mut b);
    assert_eq!(ex.files[0].encrypted.as_deref(), Some("zip-crypto"));
    assert!(ex.texts.is_empty());

    let part = mark_encrypted(z, Some("a.csv"));
    let ex = extract("part.zip", "", &part, &mut b);
    assert!(!ex.encrypted());
    assert!(ex.texts.iter().any(|t| t.path == "part.zip/b.txt"));
    assert!(ex
        .files
        .iter()
        .any(|f| f.path == "part.zip/a.csv" && f.encrypted.is_some()));
}

#[test]
fn entry_count_cap_is_enforced_from_the_directory() {
    let names: Vec<String> = (0..30).map(|i| format!("f{i}.txt")).collect();
    let members: Vec<(&str, &[u8])> = names.iter().map(|n| (n.as_str(), &b"x"[..])).collect();
    let z = build(&members);
    let mut b = Budget::new(Limits {
        max_entries: 20,
        ..Limits::default()
    });
    let ex = extract("many.zip", "", &z, &mut b);
    assert!(ex.texts.is_empty());
    assert!(ex.not_scanned[0].reason.contains("more than 20 entries"));
    assert!(ex.not_scanned[0].document);
}

#[test]
fn depth_cap_is_enforced() {
    let mut z = build(&[("deep.txt", b"bottom")]);
    for i in 0..8 {
        z = build(&[(&format!("level{i}.zip"), &z)]);
    }
    let mut b = Budget::new(Limits {
        max_depth: 3,
        ..Limits::default()
    });
    let ex = extract("top.zip", "", &z, &mut b);
    assert!(ex.texts.is_empty());
    assert!(ex
        .not_scanned
        .iter()
        .any(|n| n.reason.contains("nested deeper than 3")));
}

#[test]
fn declared_ratio_is_refused_before_inflating() {
    let z = build(&[("zeros.txt", &vec![b'0'; 4 * 1024 * 1024])]);
    let mut b = Budget::new(Limits::default());
    let ex = extract("bomb.zip", "", &z, &mut b);
    assert!(
        ex.not_scanned[0].reason.contains("ratio over 100:1"),
        "{:?}",
        ex.not_scanned
    );
    assert_eq!(
        b.decompressed, 0,
        "refused from the directory, nothing inflated"
    );
}

#[test]
fn stored_and_deflated_members_are_checked_against_their_crc() {
    let z = build(&[
        ("mimetype", b"text/plain stored member"),
        ("b.txt", b"deflated member text"),
    ]);
    let mut b = Budget::new(Limits::default());
    let ex = extract("ok.zip", "", &z, &mut b);
    assert_eq!(ex.texts.len(), 2, "{:?}", ex.not_scanned);
    // Flip one byte of each member's data (after its local header).
    for (name, data) in [("mimetype", &b"text/plain"[..]), ("b.txt", b"")] {
        let mut bad = z.clone();
        let at = memchr::memmem::find(&bad, name.as_bytes()).unwrap() + name.len();
        let at = if data.is_empty() { at + 2 } else { at + 3 };
        bad[at] ^= 0x20;
        let ex = extract("bad.zip", "", &bad, &mut b);
        assert!(
            ex.not_scanned.iter().any(|n| n.location.ends_with(name)
                && (n.reason.contains("checksum") || n.reason.contains("deflate"))),
            "{name}: {:?}",
            ex.not_scanned
        );
    }
}

#[test]
fn local_headers_must_agree_with_the_directory() {
    let z = build(&[("a.csv", b"Name,UPN\nLeo,x\n"), ("b.txt", b"hello")]);
    let local_b = memchr::memmem::find_iter(&z, b"PK\x03\x04").nth(1).unwrap();
    let central_b = memchr::memmem::find_iter(&z, b"PK\x01\x02").nth(1).unwrap();
    let reason = |z: &[u8]| {
        let mut b = Budget::new(Limits::default());
        let ex = extract("x.zip", "", z, &mut b);
        assert_eq!(ex.texts.len(), 1, "the other member is still read");
        ex.not_scanned[0].reason.clone()
    };
    // The second member's local name differs from the directory's.
    let mut renamed = z.clone();
    renamed[local_b + 30] = b'c';
    assert!(reason(&renamed).contains("entry names disagree"));
    // No local header where the directory points.
    let mut moved = z.clone();
    moved[local_b] = b'X';
    assert!(reason(&moved).contains("no local header"));
    // A compression method this reader does not have (98, PPMd; it was
    // 12, bzip2, until bzip2 members were read).
    let mut ppmd = z.clone();
    ppmd[central_b + 10] = 98;
    assert!(reason(&ppmd).contains("compression method 98"));
    // Deflate data under the bzip2 method: the decoder's error, not text.
    let mut bzip = z.clone();
    bzip[central_b + 10] = 12;
    let why = reason(&bzip);
    assert!(why.contains("read error"), "{why}");
}

#[test]
fn garbage_is_reported_not_crashed_on() {
    let mut b = Budget::new(Limits::default());
    let ex = extract("x.zip", "", b"PK\x03\x04garbage", &mut b);
    assert!(ex.not_scanned[0].reason.contains("corrupt zip"));
}
