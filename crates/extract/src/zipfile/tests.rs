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

const NI: &str = "Amira Khan,JT 48 22 91 B\n";

/// A zip written field by field: (name, method, packed data, plain bytes)
/// per member, sizes and CRC from the plain bytes. For methods the `zip`
/// writer does not write (zstd), and for lying headers.
fn raw_zip(members: &[(&str, u16, &[u8], &[u8])]) -> Vec<u8> {
    let mut body = Vec::new();
    let mut central = Vec::new();
    for (name, method, packed, plain) in members {
        let fixed = |v: &mut Vec<u8>| {
            v.extend_from_slice(&63u16.to_le_bytes()); // version needed
            v.extend_from_slice(&0u16.to_le_bytes()); // flags
            v.extend_from_slice(&method.to_le_bytes());
            v.extend_from_slice(&[0; 4]); // time, date
            v.extend_from_slice(&libdeflater::crc32(plain).to_le_bytes());
            v.extend_from_slice(&(packed.len() as u32).to_le_bytes());
            v.extend_from_slice(&(plain.len() as u32).to_le_bytes());
            v.extend_from_slice(&(name.len() as u16).to_le_bytes());
            v.extend_from_slice(&0u16.to_le_bytes()); // extra
        };
        let offset = body.len() as u32;
        body.extend_from_slice(b"PK\x03\x04");
        fixed(&mut body);
        body.extend_from_slice(name.as_bytes());
        body.extend_from_slice(packed);
        central.extend_from_slice(b"PK\x01\x02");
        central.extend_from_slice(&63u16.to_le_bytes()); // made by
        fixed(&mut central);
        central.extend_from_slice(&[0; 10]); // comment, disk, attributes
        central.extend_from_slice(&offset.to_le_bytes());
        central.extend_from_slice(name.as_bytes());
    }
    let n = members.len() as u16;
    let mut end = b"PK\x05\x06\0\0\0\0".to_vec();
    end.extend_from_slice(&n.to_le_bytes());
    end.extend_from_slice(&n.to_le_bytes());
    end.extend_from_slice(&(central.len() as u32).to_le_bytes());
    end.extend_from_slice(&(body.len() as u32).to_le_bytes());
    end.extend_from_slice(&0u16.to_le_bytes());
    [body, central, end].concat()
}

fn zstd(data: &[u8]) -> Vec<u8> {
    ruzstd::encoding::compress_to_vec(data, ruzstd::encoding::CompressionLevel::Fastest)
}

/// A zip of one bzip2 member (the `zip` writer's encoder).
fn bzip2_zip(name: &str, data: &[u8]) -> Vec<u8> {
    let mut w = zip::ZipWriter::new(std::io::Cursor::new(Vec::new()));
    let opts = SimpleFileOptions::default().compression_method(zip::CompressionMethod::Bzip2);
    w.start_file(name, opts).unwrap();
    w.write_all(data).unwrap();
    w.finish().unwrap().into_inner()
}

/// Sets a member's declared uncompressed size, in its local header and in
/// the directory (a single-member zip as the writers here make it).
fn claim_size(mut z: Vec<u8>, size: u32) -> Vec<u8> {
    for sig in [&b"PK\x03\x04"[..], b"PK\x01\x02"] {
        let at = memchr::memmem::find(&z, sig).unwrap();
        let field = if sig == b"PK\x03\x04" {
            at + 22
        } else {
            at + 24
        };
        z[field..field + 4].copy_from_slice(&size.to_le_bytes());
    }
    z
}

#[test]
fn bzip2_and_zstd_members_are_read() {
    let rows = NI.repeat(50);
    let mut b = Budget::new(Limits::default());
    let z = bzip2_zip("list.csv", rows.as_bytes());
    let ex = extract("b.zip", "", &z, &mut b);
    assert!(ex.not_scanned.is_empty(), "{:?}", ex.not_scanned);
    assert!(ex
        .texts
        .iter()
        .any(|t| t.path == "b.zip/list.csv" && t.text.contains("JT 48 22 91 B")));
    let packed = zstd(rows.as_bytes());
    let z = raw_zip(&[("list.csv", 93, &packed, rows.as_bytes())]);
    let ex = extract("z.zip", "", &z, &mut b);
    assert!(ex.not_scanned.is_empty(), "{:?}", ex.not_scanned);
    assert!(ex
        .texts
        .iter()
        .any(|t| t.path == "z.zip/list.csv" && t.text.contains("JT 48 22 91 B")));
}

#[test]
fn bombs_in_the_new_methods_are_refused_from_their_declared_size() {
    let zeros = vec![0u8; 8 * 1024 * 1024];
    let packed = zstd(&zeros);
    for (name, z) in [
        ("bzip2", bzip2_zip("zeros.bin", &zeros)),
        ("zstd", raw_zip(&[("zeros.bin", 93, &packed, &zeros)])),
    ] {
        let mut b = Budget::new(Limits::default());
        let ex = extract("bomb.zip", "", &z, &mut b);
        assert!(
            ex.not_scanned[0].reason.contains("ratio over 100:1"),
            "{name}: {:?}",
            ex.not_scanned
        );
        assert_eq!(b.decompressed, 0, "{name}: nothing decoded");
    }
}

#[test]
fn bombs_in_the_new_methods_that_lie_about_their_size_are_cut_off_while_decoding() {
    let zeros = vec![0u8; 8 * 1024 * 1024];
    let packed = zstd(&zeros);
    for (name, z) in [
        ("bzip2", claim_size(bzip2_zip("zeros.bin", &zeros), 1000)),
        (
            "zstd",
            claim_size(raw_zip(&[("zeros.bin", 93, &packed, &zeros)]), 1000),
        ),
    ] {
        let mut b = Budget::new(Limits::default());
        let ex = extract("liar.zip", "", &z, &mut b);
        assert_eq!(ex.not_scanned.len(), 1, "{name}: {:?}", ex.not_scanned);
        assert!(ex.texts.is_empty(), "{name}");
        // Stopped at the ratio cap (1 MiB for a member this small), or at
        // the declared size by the crate's reader: never the 8 MiB.
        assert!(
            b.decompressed <= crate::inflate::RATIO_FLOOR,
            "{name}: {} bytes decoded",
            b.decompressed
        );
    }
    // Without the crate's declared-size check (zstd is decoded here), the
    // streaming cap is what stops it: the ratio error, at the cap.
    let z = claim_size(raw_zip(&[("zeros.bin", 93, &packed, &zeros)]), 1000);
    let mut b = Budget::new(Limits::default());
    let ex = extract("liar.zip", "", &z, &mut b);
    assert!(
        ex.not_scanned[0].reason.contains("ratio over 100:1"),
        "{:?}",
        ex.not_scanned
    );
    assert_eq!(b.decompressed, crate::inflate::RATIO_FLOOR);
}

#[test]
fn a_zstd_frame_declaring_a_huge_window_is_refused_before_allocating() {
    // Magic, frame header descriptor (no content size, not single
    // segment), window descriptor 2^(10+21) = 2 GiB, then one raw block.
    let mut frame = vec![0x28, 0xB5, 0x2F, 0xFD, 0x00, 21 << 3];
    frame.extend_from_slice(&[0x09, 0x00, 0x00]); // last raw block, 1 byte
    frame.push(b'x');
    let z = raw_zip(&[
        ("big-window.txt", 93, &frame, b"x"),
        ("ok.txt", 0, b"fine", b"fine"),
    ]);
    let mut b = Budget::new(Limits::default());
    let ex = extract("w.zip", "", &z, &mut b);
    assert!(
        ex.not_scanned[0].reason.contains("zstd"),
        "{:?}",
        ex.not_scanned
    );
    assert!(ex.texts.iter().any(|t| t.path == "w.zip/ok.txt"));
}

#[test]
fn data_that_is_not_what_its_method_says_is_an_error_for_that_member_only() {
    let deflated = build(&[("a.txt", NI.repeat(20).as_bytes())]);
    let at = memchr::memmem::find(&deflated, b"a.txt").unwrap() + 5;
    let end = memchr::memmem::find(&deflated, b"PK\x01\x02").unwrap();
    let packed = &deflated[at..end];
    for method in [9u16, 12, 14, 93] {
        let z = raw_zip(&[
            ("bad.csv", method, packed, NI.repeat(20).as_bytes()),
            ("ok.txt", 0, b"fine", b"fine"),
        ]);
        let mut b = Budget::new(Limits::default());
        let ex = extract("m.zip", "", &z, &mut b);
        assert_eq!(ex.not_scanned.len(), 1, "{method}: {:?}", ex.not_scanned);
        assert_eq!(
            ex.not_scanned[0].location, "attachment:m.zip/bad.csv",
            "{method}"
        );
        assert!(
            !ex.not_scanned[0].reason.contains("panicked"),
            "{method}: {:?}",
            ex.not_scanned
        );
        assert_eq!(ex.texts.len(), 1, "{method}: the other member is read");
    }
}

/// Renames `from` to `to` (same length) in every header that has it: how
/// two records of one name are made, which the `zip` writer will not write.
fn rename(mut z: Vec<u8>, from: &str, to: &str) -> Vec<u8> {
    assert_eq!(from.len(), to.len());
    for at in memchr::memmem::find_iter(&z.clone(), from.as_bytes()) {
        z[at..at + to.len()].copy_from_slice(to.as_bytes());
    }
    z
}

#[test]
fn a_second_member_of_the_same_name_is_read_too() {
    // The directory holds a.csv, b.txt, a.csv: the `zip` crate keeps one
    // record per name, the attacker's second a.csv must still be scanned.
    let z = build(&[
        ("a.csv", b"name\nnobody\n"),
        ("b.txt", b"hello there"),
        ("c.csv", NI.as_bytes()),
    ]);
    let z = rename(z, "c.csv", "a.csv");
    let mut b = Budget::new(Limits::default());
    let ex = extract("dup.zip", "", &z, &mut b);
    assert!(ex.not_scanned.is_empty(), "{:?}", ex.not_scanned);
    let texts: Vec<(&str, &str)> = ex
        .texts
        .iter()
        .map(|t| (t.path.as_str(), t.text.as_str()))
        .collect();
    assert_eq!(texts.len(), 3, "{texts:?}");
    // In directory order, each with its own content.
    assert_eq!(texts[0].0, "dup.zip/a.csv");
    assert!(texts[0].1.contains("nobody"));
    assert_eq!(texts[1].0, "dup.zip/b.txt");
    assert_eq!(texts[2].0, "dup.zip/a.csv");
    assert!(texts[2].1.contains("JT 48 22 91 B"), "{texts:?}");
    // The first of a name is the one found by name (OOXML parts).
    let archive = Archive::open(&z, &b).unwrap();
    assert_eq!(archive.find("a.csv"), Some(0));
    // Encrypted duplicates are listed, the plain ones read.
    let both = mark_encrypted(z, Some("a.csv"));
    let ex = extract("dup.zip", "", &both, &mut b);
    assert_eq!(ex.texts.len(), 1);
    let encrypted = ex.files.iter().filter(|f| f.encrypted.is_some()).count();
    assert_eq!(encrypted, 2, "{:?}", ex.files);
}

/// Sets the end record's entry counts (this disk and total) to `n`.
fn claim_count(mut z: Vec<u8>, n: u16) -> Vec<u8> {
    let end = memchr::memmem::rfind(&z, b"PK\x05\x06").unwrap();
    z[end + 8..end + 10].copy_from_slice(&n.to_le_bytes());
    z[end + 10..end + 12].copy_from_slice(&n.to_le_bytes());
    z
}

#[test]
fn records_beyond_the_end_record_count_are_read_and_capped() {
    let z = build(&[
        ("a.txt", b"first"),
        ("b.txt", b"second"),
        ("c.csv", NI.as_bytes()),
    ]);
    for n in [0, 1, 2] {
        let mut b = Budget::new(Limits::default());
        let ex = extract("few.zip", "", &claim_count(z.clone(), n), &mut b);
        assert!(ex.not_scanned.is_empty(), "{n}: {:?}", ex.not_scanned);
        let paths: Vec<&str> = ex.texts.iter().map(|t| t.path.as_str()).collect();
        assert_eq!(
            paths,
            ["few.zip/a.txt", "few.zip/b.txt", "few.zip/c.csv"],
            "{n}"
        );
    }
    // The entry cap holds on the records walked, whatever the count says.
    let names: Vec<String> = (0..30).map(|i| format!("f{i}.txt")).collect();
    let members: Vec<(&str, &[u8])> = names.iter().map(|n| (n.as_str(), &b"x"[..])).collect();
    let many = claim_count(build(&members), 1);
    let mut b = Budget::new(Limits {
        max_entries: 20,
        ..Limits::default()
    });
    let ex = extract("many.zip", "", &many, &mut b);
    assert!(ex.texts.is_empty());
    assert!(ex.not_scanned[0].reason.contains("more than 20 entries"));
}

/// Sets `bits` in every local and central header's flags.
fn set_flags(mut z: Vec<u8>, bits: u16) -> Vec<u8> {
    for (sig, at) in [(&b"PK\x03\x04"[..], 6), (b"PK\x01\x02", 8)] {
        for p in memchr::memmem::find_iter(&z.clone(), sig) {
            let f = u16::from_le_bytes([z[p + at], z[p + at + 1]]) | bits;
            z[p + at..p + at + 2].copy_from_slice(&f.to_le_bytes());
        }
    }
    z
}

#[test]
fn strong_encryption_and_aes_are_read_from_the_stored_headers() {
    let z = build(&[("a.csv", NI.as_bytes()), ("b.txt", b"more")]);
    let mut b = Budget::new(Limits::default());
    // Bit 6 (with bit 0, as PKWARE writes it): strong encryption.
    let ex = extract("s.zip", "", &set_flags(z.clone(), 0x41), &mut b);
    assert_eq!(ex.files[0].encrypted.as_deref(), Some("zip-strong"));
    assert!(ex.texts.is_empty());
    // Method 99 in both headers: WinZip AES.
    let mut aes = set_flags(z, 1);
    for (sig, at) in [(&b"PK\x03\x04"[..], 8), (b"PK\x01\x02", 10)] {
        for p in memchr::memmem::find_iter(&aes.clone(), sig) {
            aes[p + at..p + at + 2].copy_from_slice(&99u16.to_le_bytes());
        }
    }
    let ex = extract("a.zip", "", &aes, &mut b);
    assert_eq!(ex.files[0].encrypted.as_deref(), Some("zip-aes"));
    assert!(ex.texts.is_empty());
}

#[test]
fn an_encrypted_central_directory_is_encryption_not_corruption() {
    // PKWARE strong encryption of the directory: the local header's values
    // are masked (bit 13) and the directory is ciphertext, so no record
    // can be read; the end record still points at it.
    let mut z = b"PK\x03\x04".to_vec();
    z.extend_from_slice(&62u16.to_le_bytes());
    z.extend_from_slice(&0x2041u16.to_le_bytes());
    z.extend_from_slice(&[0; 22]);
    let dir = z.len() as u32;
    z.extend_from_slice(&[0xA7; 200]);
    z.extend_from_slice(b"PK\x05\x06\0\0\0\0\x01\0\x01\0");
    z.extend_from_slice(&200u32.to_le_bytes());
    z.extend_from_slice(&dir.to_le_bytes());
    z.extend_from_slice(&0u16.to_le_bytes());
    let mut b = Budget::new(Limits::default());
    let ex = extract("cd.zip", "", &z, &mut b);
    assert_eq!(ex.files[0].encrypted.as_deref(), Some("zip-strong"));
    assert!(ex.not_scanned.is_empty(), "{:?}", ex.not_scanned);
    // The same bytes without the masked bit are just corrupt.
    z[7] = 0;
    let ex = extract("cd.zip", "", &z, &mut b);
    assert_eq!(ex.files[0].encrypted, None);
    assert!(ex.not_scanned[0].reason.contains("corrupt zip"));
}

#[test]
fn many_records_of_one_name_are_all_read_within_the_time_budget() {
    let names: Vec<String> = (0..50).map(|i| format!("f{i:02}.txt")).collect();
    let members: Vec<(&str, &[u8])> = names.iter().map(|n| (n.as_str(), &b"x"[..])).collect();
    let mut z = build(&members);
    for n in &names {
        z = rename(z, n, "dup.txt");
    }
    let mut b = Budget::new(Limits::default());
    let ex = extract("same.zip", "", &z, &mut b);
    assert_eq!(ex.texts.len(), 50, "{:?}", ex.not_scanned);
    assert!(ex.texts.iter().all(|t| t.path == "same.zip/dup.txt"));
    // Each hidden record is parsed on its own: a spent clock stops that.
    let mut b = Budget::new(Limits {
        time_budget: std::time::Duration::ZERO,
        ..Limits::default()
    });
    let ex = extract("same.zip", "", &z, &mut b);
    assert!(ex.texts.is_empty());
    assert!(
        ex.not_scanned
            .iter()
            .any(|n| n.reason.contains("time budget")),
        "{:?}",
        ex.not_scanned
    );
}
