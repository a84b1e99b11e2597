//! Every attachment cap, proven on hostile archives built here: a 42.zip-style
//! nested bomb, a single entry claiming 10 GB, an entry whose header lies
//! about its size, too many entries, too deep, too slow. Each test also
//! checks that memory stays bounded (peak RSS from /proc/self/status), so the
//! tests run one at a time.

use dlp_milter::config::Config;
use dlp_milter::extract::{extract, Budget, Extraction, Limits, MAX_REPORTED};
use dlp_milter::scan::Engine;
use std::io::{Cursor, Write};
use std::sync::Mutex;
use std::time::{Duration, Instant};
use zip::write::SimpleFileOptions;

static ONE_AT_A_TIME: Mutex<()> = Mutex::new(());

const MB: u64 = 1024 * 1024;

fn status_kb(field: &str) -> u64 {
    std::fs::read_to_string("/proc/self/status")
        .ok()
        .and_then(|s| {
            s.lines()
                .find(|l| l.starts_with(field))
                .and_then(|l| l.split_whitespace().nth(1))
                .and_then(|v| v.parse().ok())
        })
        .unwrap_or(0)
}

/// Runs `f`, returning its result and the growth of peak RSS in bytes, from
/// VmRSS sampled every millisecond while it runs (VmHWM cannot be reset
/// everywhere, and the bombs' construction would dominate it).
fn peak_rss_growth<T>(f: impl FnOnce() -> T) -> (T, u64) {
    use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
    use std::sync::Arc;
    let before = status_kb("VmRSS:");
    let done = Arc::new(AtomicBool::new(false));
    let peak = Arc::new(AtomicU64::new(before));
    let sampler = {
        let (done, peak) = (done.clone(), peak.clone());
        std::thread::spawn(move || {
            while !done.load(Ordering::Relaxed) {
                peak.fetch_max(status_kb("VmRSS:"), Ordering::Relaxed);
                std::thread::sleep(Duration::from_millis(1));
            }
        })
    };
    let out = f();
    peak.fetch_max(status_kb("VmRSS:"), Ordering::Relaxed);
    done.store(true, Ordering::Relaxed);
    let _ = sampler.join();
    let peak = peak.load(Ordering::Relaxed);
    println!("  VmRSS before {before} KiB, peak while extracting {peak} KiB");
    (out, peak.saturating_sub(before) * 1024)
}

fn deflated() -> SimpleFileOptions {
    SimpleFileOptions::default()
        .compression_method(zip::CompressionMethod::Deflated)
        .compression_level(Some(9))
}

/// A zip holding `data` once as `name`.
fn zip_one(name: &str, data: &[u8]) -> Vec<u8> {
    let mut w = zip::ZipWriter::new(Cursor::new(Vec::new()));
    w.start_file(name, deflated()).unwrap();
    w.write_all(data).unwrap();
    w.finish().unwrap().into_inner()
}

/// A zip with `n` copies of the (only) entry of `single`, copied raw so
/// the data is compressed once.
fn copies(single: &[u8], n: usize, stem: &str, ext: &str) -> Vec<u8> {
    let mut src = zip::ZipArchive::new(Cursor::new(single)).unwrap();
    let mut w = zip::ZipWriter::new(Cursor::new(Vec::new()));
    for i in 0..n {
        let f = src.by_index_raw(0).unwrap();
        w.raw_copy_file_rename(f, format!("{stem}{i}.{ext}"))
            .unwrap();
    }
    w.finish().unwrap().into_inner()
}

/// 42.zip's shape: `levels` levels of 16 archives, the lowest holding 16
/// copies of a `leaf`-byte file of zeros.
fn nested_bomb(leaf: usize, levels: usize) -> Vec<u8> {
    let mut z = copies(&zip_one("zeros.bin", &vec![0u8; leaf]), 16, "zeros", "bin");
    for level in 0..levels {
        z = copies(&zip_one("x.zip", &z), 16, &format!("lib{level}-"), "zip");
    }
    z
}

fn run(name: &str, data: &[u8], limits: Limits) -> (Extraction, Budget, Duration, u64) {
    let mut b = Budget::new(limits);
    let start = Instant::now();
    let (ex, rss) = peak_rss_growth(|| extract(name, "application/zip", data, &mut b));
    (ex, b, start.elapsed(), rss)
}

fn reasons(ex: &Extraction) -> String {
    ex.not_scanned
        .iter()
        .map(|n| n.reason.as_str())
        .collect::<Vec<_>>()
        .join("; ")
}

#[test]
fn nested_42_zip_bomb_is_bounded_in_time_bytes_memory_and_report_size() {
    let _g = ONE_AT_A_TIME.lock().unwrap_or_else(|e| e.into_inner());
    let bomb = nested_bomb(4 * MB as usize, 5);
    let claimed: u64 = 16u64.pow(6) * 4 * MB;
    let (ex, b, elapsed, rss) = run("42.zip", &bomb, Limits::default());
    println!(
        "42-style bomb: {} bytes on the wire, {} TiB claimed; decompressed {} bytes, {} ms, peak RSS growth {} KiB, {} files and {} not_scanned listed",
        bomb.len(),
        claimed >> 40,
        b.decompressed,
        elapsed.as_millis(),
        rss / 1024,
        ex.files.len(),
        ex.not_scanned.len()
    );
    assert!(
        bomb.len() < 1024 * 1024,
        "bomb itself is small: {}",
        bomb.len()
    );
    assert!(b.decompressed <= Limits::default().max_decompressed_bytes);
    // 2 s budget plus the time to finish the entry being read (debug build).
    assert!(elapsed < Duration::from_secs(8), "{elapsed:?}");
    assert!(rss < 200 * MB, "peak RSS grew by {rss} bytes");
    assert!(ex.files.len() <= MAX_REPORTED && ex.not_scanned.len() <= MAX_REPORTED + 1);
    assert!(!ex.encrypted() && ex.texts.is_empty());
    let r = reasons(&ex);
    assert!(
        r.contains("ratio over 100:1"),
        "leaves refused by ratio: {r}"
    );
    assert!(
        r.contains("time budget") || r.contains("files in the message") || r.contains("not listed"),
        "{r}"
    );
}

#[test]
fn total_decompressed_bytes_cap_holds() {
    let _g = ONE_AT_A_TIME.lock().unwrap_or_else(|e| e.into_inner());
    // Leaves of exactly 1 MiB pass the ratio check (small entries are exempt),
    // so only the message total stops this one: 16^4 MiB = 64 GiB claimed.
    let bomb = nested_bomb(MB as usize, 2);
    let limits = Limits {
        time_budget: Duration::from_secs(120),
        ..Limits::default()
    };
    let (ex, b, elapsed, rss) = run("total.zip", &bomb, limits);
    println!(
        "total cap: decompressed {} bytes in {} ms, peak RSS growth {} KiB",
        b.decompressed,
        elapsed.as_millis(),
        rss / 1024
    );
    assert!(b.decompressed <= limits.max_decompressed_bytes);
    assert!(
        b.decompressed >= limits.max_decompressed_bytes - 2 * MB,
        "{}",
        b.decompressed
    );
    assert!(
        reasons(&ex).contains("decompressed-bytes limit"),
        "{}",
        reasons(&ex)
    );
    assert!(rss < 200 * MB, "peak RSS grew by {rss} bytes");
}

/// A hand-built zip: one deflated entry whose headers claim `claimed` bytes
/// (zip64 extra fields when it does not fit 32 bits).
fn zip_claiming(deflate: &[u8], claimed: u64) -> Vec<u8> {
    let name = b"payroll.csv";
    let zip64 = claimed > u32::MAX as u64;
    let (u32_size, u32_csize) = if zip64 {
        (u32::MAX, u32::MAX)
    } else {
        (claimed as u32, deflate.len() as u32)
    };
    let mut z = Vec::new();
    // Local header.
    z.extend_from_slice(b"PK\x03\x04");
    z.extend_from_slice(&45u16.to_le_bytes());
    z.extend_from_slice(&0u16.to_le_bytes()); // flags
    z.extend_from_slice(&8u16.to_le_bytes()); // deflate
    z.extend_from_slice(&[0; 4]); // time, date
    z.extend_from_slice(&0u32.to_le_bytes()); // crc
    z.extend_from_slice(&u32_csize.to_le_bytes());
    z.extend_from_slice(&u32_size.to_le_bytes());
    z.extend_from_slice(&(name.len() as u16).to_le_bytes());
    let local_extra: Vec<u8> = if zip64 {
        let mut e = vec![1, 0, 16, 0];
        e.extend_from_slice(&claimed.to_le_bytes());
        e.extend_from_slice(&(deflate.len() as u64).to_le_bytes());
        e
    } else {
        Vec::new()
    };
    z.extend_from_slice(&(local_extra.len() as u16).to_le_bytes());
    z.extend_from_slice(name);
    z.extend_from_slice(&local_extra);
    z.extend_from_slice(deflate);
    // Central directory.
    let cd = z.len();
    z.extend_from_slice(b"PK\x01\x02");
    z.extend_from_slice(&45u16.to_le_bytes());
    z.extend_from_slice(&45u16.to_le_bytes());
    z.extend_from_slice(&0u16.to_le_bytes());
    z.extend_from_slice(&8u16.to_le_bytes());
    z.extend_from_slice(&[0; 4]);
    z.extend_from_slice(&0u32.to_le_bytes());
    z.extend_from_slice(&u32_csize.to_le_bytes());
    z.extend_from_slice(&u32_size.to_le_bytes());
    z.extend_from_slice(&(name.len() as u16).to_le_bytes());
    z.extend_from_slice(&(local_extra.len() as u16).to_le_bytes());
    z.extend_from_slice(&[0; 8]); // comment len, disk, int attr, ext attr (part)
    z.extend_from_slice(&[0; 2]);
    z.extend_from_slice(&0u32.to_le_bytes()); // local header offset
    z.extend_from_slice(name);
    z.extend_from_slice(&local_extra);
    let cd_len = z.len() - cd;
    z.extend_from_slice(b"PK\x05\x06");
    z.extend_from_slice(&[0; 4]);
    z.extend_from_slice(&1u16.to_le_bytes());
    z.extend_from_slice(&1u16.to_le_bytes());
    z.extend_from_slice(&(cd_len as u32).to_le_bytes());
    z.extend_from_slice(&(cd as u32).to_le_bytes());
    z.extend_from_slice(&0u16.to_le_bytes());
    z
}

fn raw_deflate(data: &[u8]) -> Vec<u8> {
    let mut e = flate2::write::DeflateEncoder::new(Vec::new(), flate2::Compression::best());
    e.write_all(data).unwrap();
    e.finish().unwrap()
}

#[test]
fn single_entry_claiming_10_gb_is_refused_from_the_directory() {
    let _g = ONE_AT_A_TIME.lock().unwrap_or_else(|e| e.into_inner());
    let z = zip_claiming(&raw_deflate(&vec![0u8; 256 * 1024]), 10 * 1024 * MB);
    let (ex, b, elapsed, rss) = run("claims-10gb.zip", &z, Limits::default());
    println!(
        "10 GB claim: {} bytes on the wire, decompressed {} bytes, {} ms, peak RSS growth {} KiB",
        z.len(),
        b.decompressed,
        elapsed.as_millis(),
        rss / 1024
    );
    assert_eq!(b.decompressed, 0, "refused before inflating anything");
    assert!(
        reasons(&ex).contains("ratio over 100:1"),
        "{}",
        reasons(&ex)
    );
    assert!(ex.not_scanned[0].document);
    assert!(rss < 50 * MB, "{rss}");
}

#[test]
fn an_entry_lying_about_its_size_is_cut_off_while_streaming() {
    let _g = ONE_AT_A_TIME.lock().unwrap_or_else(|e| e.into_inner());
    // Declares 1,000 bytes; really inflates to 24 MiB (ratio about 1000:1).
    let d = raw_deflate(&vec![b'A'; 24 * MB as usize]);
    let z = zip_claiming(&d, 1000);
    let (ex, b, _, rss) = run("liar.zip", &z, Limits::default());
    let cap = (d.len() as u64 * 100).max(MB);
    println!(
        "lying entry: {} compressed bytes, decompressed {} bytes (cap {cap}), peak RSS growth {} KiB",
        d.len(),
        b.decompressed,
        rss / 1024
    );
    assert!(b.decompressed <= cap, "{} > {cap}", b.decompressed);
    // Either our streaming cap or the zip crate's own size check stopped it.
    assert!(
        !ex.not_scanned.is_empty(),
        "read past the declared size silently"
    );
    assert!(rss < 100 * MB, "{rss}");
}

#[test]
fn entries_per_archive_cap_holds() {
    let _g = ONE_AT_A_TIME.lock().unwrap_or_else(|e| e.into_inner());
    let mut w = zip::ZipWriter::new(Cursor::new(Vec::new()));
    let stored = SimpleFileOptions::default().compression_method(zip::CompressionMethod::Stored);
    for i in 0..10_001 {
        w.start_file(format!("f{i}.txt"), stored).unwrap();
        w.write_all(b"x").unwrap();
    }
    let z = w.finish().unwrap().into_inner();
    let (ex, b, _, _) = run("many.zip", &z, Limits::default());
    assert!(
        reasons(&ex).contains("more than 10000 entries"),
        "{}",
        reasons(&ex)
    );
    assert_eq!(b.decompressed, 0);
    assert!(ex.texts.is_empty());
}

#[test]
fn nesting_depth_cap_holds() {
    let _g = ONE_AT_A_TIME.lock().unwrap_or_else(|e| e.into_inner());
    let mut z = zip_one("deep.csv", b"name,upn\nAmira Khan,P801200216001\n");
    // Ten levels: past the default depth of 8 (raised from 5 so seven
    // forwards or seven zips deep are read, issue 20).
    for i in 0..10 {
        z = zip_one(&format!("level{i}.zip"), &z);
    }
    let (ex, _, _, _) = run("deep.zip", &z, Limits::default());
    assert!(
        reasons(&ex).contains("nested deeper than 8 levels"),
        "{}",
        reasons(&ex)
    );
    assert!(ex.texts.is_empty());
    assert!(ex.not_scanned.iter().all(|n| n.document));
}

#[test]
fn time_budget_cap_holds() {
    let _g = ONE_AT_A_TIME.lock().unwrap_or_else(|e| e.into_inner());
    let bomb = nested_bomb(MB as usize, 3);
    // Only the clock may stop this one: 64 GB claimed, and no bytes cap to
    // reach first (an optimised build inflates zeros at several GB/s, so
    // the 100 MB default cap would otherwise win the race in ~15 ms).
    let limits = Limits {
        time_budget: Duration::from_millis(100),
        max_decompressed_bytes: u64::MAX,
        ..Limits::default()
    };
    let (ex, _, elapsed, _) = run("slow.zip", &bomb, limits);
    println!("time cap: stopped after {} ms", elapsed.as_millis());
    assert!(reasons(&ex).contains("time budget"), "{}", reasons(&ex));
    assert!(elapsed < Duration::from_secs(2), "{elapsed:?}");
}

/// Once the clock has run out, a container's remaining files are listed as
/// not scanned, each by its own path, and none is read: the ZIP loop, the
/// tar loop and a forwarded message's attachment loop check the time before
/// each file (extract_into checks it itself only for a top-level attachment).
#[test]
fn nested_files_after_the_time_budget_are_skipped_unread() {
    use dlp_milter::extract::extract_into;
    let expired = || {
        Budget::new(Limits {
            time_budget: Duration::ZERO,
            ..Limits::default()
        })
    };
    let csv = b"Name,UPN\nAmira Khan,P801200216001\n";
    let skipped = |ex: &Extraction, path: &str| {
        ex.not_scanned
            .iter()
            .any(|n| n.location == format!("attachment:{path}") && n.reason.contains("time budget"))
    };

    // A ZIP reached one level down (as inside another archive).
    let mut w = zip::ZipWriter::new(Cursor::new(Vec::new()));
    for name in ["a.csv", "b.csv"] {
        w.start_file(name, deflated()).unwrap();
        w.write_all(csv).unwrap();
    }
    let zip = w.finish().unwrap().into_inner();
    let mut ex = Extraction::default();
    let mut b = expired();
    extract_into("outer.zip/inner.zip", "", &zip, &mut b, 1, &mut ex);
    assert!(
        skipped(&ex, "outer.zip/inner.zip/a.csv"),
        "{}",
        reasons(&ex)
    );
    assert!(
        skipped(&ex, "outer.zip/inner.zip/b.csv"),
        "{}",
        reasons(&ex)
    );
    assert!(ex.texts.is_empty(), "{:?}", ex.texts);
    assert_eq!(
        b.decompressed, 0,
        "a member was inflated after the deadline"
    );

    // A forwarded message's attachments.
    use base64::Engine as _;
    let fwd = format!(
        "From: a@b.example\r\nTo: c@d.example\r\nSubject: list\r\nMIME-Version: 1.0\r\n\
         Content-Type: multipart/mixed; boundary=\"b\"\r\n\r\n--b\r\nContent-Type: text/plain\r\n\r\nsee attached\r\n\
         --b\r\nContent-Type: text/csv\r\nContent-Disposition: attachment; filename=\"list.csv\"\r\n\
         Content-Transfer-Encoding: base64\r\n\r\n{}\r\n--b--\r\n",
        base64::engine::general_purpose::STANDARD.encode(csv)
    );
    let mut ex = Extraction::default();
    extract_into(
        "fwd.eml",
        "message/rfc822",
        fwd.as_bytes(),
        &mut expired(),
        1,
        &mut ex,
    );
    assert!(skipped(&ex, "fwd.eml/list.csv"), "{}", reasons(&ex));
    assert!(
        !ex.texts.iter().any(|t| t.path.ends_with("list.csv")),
        "{:?}",
        ex.texts
    );

    // A top-level attachment is itself refused once the clock has run out.
    let ex = extract("list.csv", "text/csv", csv, &mut expired());
    assert!(skipped(&ex, "list.csv"), "{}", reasons(&ex));
    assert!(ex.texts.is_empty());
}

#[test]
fn engine_reports_a_bomb_and_carries_on() {
    let _g = ONE_AT_A_TIME.lock().unwrap_or_else(|e| e.into_inner());
    let bomb = nested_bomb(4 * MB as usize, 4);
    let csv = b"Name,UPN\nAmira Khan,P801200216001\n";
    let mut m = String::from(
        "From: a@school.example.sch.uk\r\nTo: b@example.com\r\nSubject: x\r\nMIME-Version: 1.0\r\n\
         Content-Type: multipart/mixed; boundary=\"b\"\r\n\r\n--b\r\nContent-Type: text/plain\r\n\r\nhi\r\n",
    );
    use base64::Engine as _;
    for (name, data) in [("42.zip", &bomb[..]), ("list.csv", &csv[..])] {
        m.push_str(&format!(
            "--b\r\nContent-Type: application/octet-stream\r\nContent-Disposition: attachment; filename=\"{name}\"\r\nContent-Transfer-Encoding: base64\r\n\r\n{}\r\n",
            base64::engine::general_purpose::STANDARD.encode(data)
        ));
    }
    m.push_str("--b--\r\n");
    let e = Engine::from_config(&Config::default()).unwrap();
    let r = e.scan(m.as_bytes(), None);
    assert!(r.error.is_none(), "{:?}", r.error);
    assert!(r
        .not_scanned
        .iter()
        .any(|n| n.location.starts_with("attachment:42.zip")));
    assert!(r
        .decision
        .rule_ids()
        .iter()
        .any(|id| id == "unscanned-document"));
    assert!(r.elapsed_us < 8_000_000, "{}", r.elapsed_us);
}
