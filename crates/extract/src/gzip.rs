//! Single compressed streams: gzip (.gz, .tgz), bzip2 (.bz2), xz (.xz) and
//! zstd (.zst). Each is decoded through the bounded reader and extracted as
//! the file it contains (`list.csv.gz/list.csv`); a tar inside, or a tar
//! attachment on its own, is walked member by member. All four decoders
//! are pure Rust; the xz and zstd ones refuse, before allocating, a
//! dictionary or window larger than the caps below (their headers declare
//! sizes up to GiBs).

use super::error::{ExtractError, Result};
use super::inflate::{ratio_cap, read_bounded};
use super::sniff::FileKind;
use super::{extract_into, Budget, Extraction};
use std::io::Read;

/// Largest xz dictionary decoded (KiB): `xz -9` uses 64 MiB.
const XZ_MEMORY_KIB: u32 = 96 * 1024;
/// Largest zstd window decoded: what `zstd --ultra -22` uses is 128 MiB;
/// ordinary levels stay within 8 MiB.
const ZSTD_WINDOW_MAX: u64 = 32 * 1024 * 1024;

/// Extensions a compressor adds, and the tar shorthands (`.tgz` is `.tar.gz`).
const SUFFIXES: &[(&str, &str)] = &[
    (".tgz", ".tar"),
    (".tbz2", ".tar"),
    (".tbz", ".tar"),
    (".txz", ".tar"),
    (".tzst", ".tar"),
    (".gz", ""),
    (".bz2", ""),
    (".xz", ""),
    (".zst", ""),
];

/// Name of the file inside: the gzip FNAME field, else the outer name less
/// its compressor's extension.
fn inner_name(path: &str, data: &[u8], gzip: bool) -> String {
    let flags = data.get(3).copied().unwrap_or(0);
    if gzip && flags & 0x08 != 0 {
        let mut p = 10usize;
        if flags & 0x04 != 0 {
            let xlen = data
                .get(10..12)
                .map(|b| usize::from(u16::from_le_bytes([b[0], b[1]])))
                .unwrap_or(0);
            p += 2 + xlen;
        }
        if let Some(rest) = data.get(p..) {
            if let Some(end) = memchr::memchr(0, rest) {
                let n: String = rest
                    .get(..end)
                    .unwrap_or_default()
                    .iter()
                    .map(|&b| b as char)
                    .collect();
                if !n.is_empty() && !n.contains('/') {
                    return n;
                }
            }
        }
    }
    let base = path.rsplit('/').next().unwrap_or(path);
    let lower = base.to_ascii_lowercase();
    for (suffix, replace) in SUFFIXES {
        if lower.ends_with(suffix) {
            let stem = base.get(..base.len() - suffix.len()).unwrap_or_default();
            if !stem.is_empty() {
                return format!("{stem}{replace}");
            }
        }
    }
    "content".to_string()
}

/// The decoder for a compressed stream of `kind`.
fn decoder<'a>(kind: FileKind, data: &'a [u8]) -> Result<Box<dyn Read + 'a>> {
    Ok(match kind {
        FileKind::Bzip2 => Box::new(bzip2::read::MultiBzDecoder::new(data)),
        FileKind::Xz => Box::new(lzma_rust2::XzReader::new_mem_limit(
            data,
            true,
            XZ_MEMORY_KIB,
        )),
        FileKind::Zstd => Box::new(
            ruzstd::decoding::StreamingDecoder::new_with_max_window_size(data, ZSTD_WINDOW_MAX)
                .map_err(|e| ExtractError::Unsupported(format!("zstd stream: {e}")))?,
        ),
        _ => Box::new(flate2::read::MultiGzDecoder::new(data)),
    })
}

pub fn extract(
    kind: FileKind,
    path: &str,
    data: &[u8],
    budget: &mut Budget,
    depth: usize,
    out: &mut Extraction,
) -> Result<()> {
    let cap = ratio_cap(data.len() as u64, budget);
    let bytes = read_bounded(decoder(kind, data)?, cap, budget)?;
    let inner = super::inner_path(path, &inner_name(path, data, kind == FileKind::Gzip));
    if is_tar(&bytes) {
        tar(&inner, &bytes, budget, depth + 1, out);
    } else {
        extract_into(&inner, "", &bytes, budget, depth + 1, out);
    }
    Ok(())
}

fn is_tar(b: &[u8]) -> bool {
    b.get(257..262) == Some(b"ustar")
}

/// The octal number in a header field (NUL- or space-terminated).
fn octal(field: &[u8]) -> Option<usize> {
    let s = std::str::from_utf8(field).ok()?;
    usize::from_str_radix(s.trim_matches(|c: char| c == '\0' || c == ' '), 8).ok()
}

/// `path=` of a pax extended header's records (`LEN path=VALUE\n`).
fn pax_path(records: &[u8]) -> Option<String> {
    let mut rest = records;
    while !rest.is_empty() {
        let sp = memchr::memchr(b' ', rest)?;
        let len: usize = std::str::from_utf8(rest.get(..sp)?).ok()?.parse().ok()?;
        let record = rest.get(sp + 1..len)?;
        if let Some(v) = record.strip_prefix(b"path=") {
            let v = v.strip_suffix(b"\n").unwrap_or(v);
            return Some(String::from_utf8_lossy(v).into_owned());
        }
        rest = rest.get(len..)?;
    }
    None
}

/// A tar archive: 512-byte headers, octal sizes; regular files are
/// extracted, their names taken from a GNU long-name (`L`) or pax (`x`)
/// header before them where there is one.
pub fn tar(path: &str, data: &[u8], budget: &mut Budget, depth: usize, out: &mut Extraction) {
    let mut p = 0usize;
    let mut n = 0usize;
    let mut long_name: Option<String> = None;
    while let Some(h) = data.get(p..p + 512) {
        if h.iter().all(|&b| b == 0) {
            break;
        }
        n += 1;
        if n > budget.limits.max_entries {
            out.skip(
                path,
                format!(
                    "archive has more than {} entries",
                    budget.limits.max_entries
                ),
                true,
            );
            return;
        }
        let name_end = h.iter().take(100).position(|&b| b == 0).unwrap_or(100);
        let mut name = String::from_utf8_lossy(h.get(..name_end).unwrap_or_default()).into_owned();
        // ustar keeps a longer path's directories in the prefix field.
        if h.get(257..262) == Some(b"ustar") && h.get(262) == Some(&0) {
            let prefix = h.get(345..500).unwrap_or_default();
            let end = prefix.iter().position(|&b| b == 0).unwrap_or(prefix.len());
            if end > 0 {
                name = format!(
                    "{}/{name}",
                    String::from_utf8_lossy(prefix.get(..end).unwrap_or_default())
                );
            }
        }
        let size = octal(h.get(124..136).unwrap_or_default()).unwrap_or(0);
        let typeflag = h.get(156).copied().unwrap_or(0);
        let body = p + 512;
        let Some(content) = data.get(body..body.saturating_add(size)) else {
            out.skip(
                &super::inner_path(path, &name),
                "corrupt tar: member truncated",
                true,
            );
            return;
        };
        match typeflag {
            b'0' | 0 | b'7' => {
                let name = long_name.take().unwrap_or(name);
                extract_into(
                    &super::inner_path(path, &name),
                    "",
                    content,
                    budget,
                    depth,
                    out,
                );
            }
            b'L' => {
                let end = content
                    .iter()
                    .position(|&b| b == 0)
                    .unwrap_or(content.len());
                long_name = Some(
                    String::from_utf8_lossy(content.get(..end).unwrap_or_default()).into_owned(),
                );
            }
            b'x' => long_name = pax_path(content),
            _ => long_name = None,
        }
        p = body.saturating_add(size.div_ceil(512).saturating_mul(512));
        if budget.out_of_time() {
            out.skip(path, super::ExtractError::Time.to_string(), true);
            return;
        }
    }
}

#[cfg(test)]
mod tests {
    use crate::{extract, Budget, Limits};
    use std::io::Write;

    #[test]
    fn gzip_member_is_extracted() {
        let mut e = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::best());
        e.write_all(b"name,upn\nAmira,P801200216001\n").unwrap();
        let gz = e.finish().unwrap();
        let mut b = Budget::new(Limits::default());
        let ex = extract("list.csv.gz", "application/gzip", &gz, &mut b);
        assert_eq!(ex.texts[0].path, "list.csv.gz/list.csv");
        assert!(ex.texts[0].text.contains("upn: P801200216001"));
    }

    #[test]
    fn gzip_bomb_is_capped() {
        let mut e = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::best());
        e.write_all(&vec![0u8; 20 * 1024 * 1024]).unwrap();
        let gz = e.finish().unwrap();
        let mut b = Budget::new(Limits::default());
        let ex = extract("x.gz", "", &gz, &mut b);
        assert!(
            ex.not_scanned[0].reason.contains("ratio"),
            "{:?}",
            ex.not_scanned
        );
        assert!(b.decompressed <= 2 * 1024 * 1024);
    }

    const CSV: &[u8] = b"Name,Note\nPriya Shah,JT 48 22 91 B\n";

    /// A tar header for `name` (typeflag `kind`) and `size` bytes, ustar
    /// magic, no checksum (the reader does not check it).
    fn header(name: &[u8], kind: u8, size: usize) -> Vec<u8> {
        let mut h = vec![0u8; 512];
        h[..name.len().min(100)].copy_from_slice(&name[..name.len().min(100)]);
        let sz = format!("{size:011o}\0");
        h[124..136].copy_from_slice(sz.as_bytes());
        h[156] = kind;
        h[257..263].copy_from_slice(b"ustar\0");
        h
    }

    fn member(out: &mut Vec<u8>, name: &[u8], kind: u8, data: &[u8]) {
        out.extend_from_slice(&header(name, kind, data.len()));
        out.extend_from_slice(data);
        out.resize(out.len().next_multiple_of(512), 0);
    }

    fn csv_found(ex: &crate::Extraction, path: &str) -> bool {
        ex.texts
            .iter()
            .any(|t| t.path == path && t.text.contains("JT 48 22 91 B"))
    }

    /// Issue 20 variants: a tar attachment on its own (was taken for
    /// unknown binary and passed unread), with GNU long names and pax
    /// paths, and inside bzip2, xz and zstd as well as gzip.
    #[test]
    fn tar_on_its_own_and_in_every_compressor_is_read() {
        let long = format!("exports/{}/pupils.csv", "autumn-term".repeat(12));
        let mut t = Vec::new();
        member(&mut t, b"notes.txt", b'0', b"nothing here");
        member(
            &mut t,
            b"././@LongLink",
            b'L',
            format!("{long}\0").as_bytes(),
        );
        member(&mut t, b"exports/truncated-name", b'0', CSV);
        // A pax record counts its own length: "23 path=pax/pupils.csv\n".
        let pax = "23 path=pax/pupils.csv\n";
        assert_eq!(pax.len(), 23);
        member(&mut t, b"PaxHeader", b'x', pax.as_bytes());
        member(&mut t, b"short.csv", b'0', CSV);
        t.extend_from_slice(&[0u8; 1024]);

        let mut b = Budget::new(Limits::default());
        let ex = extract("backup.tar", "application/x-tar", &t, &mut b);
        assert_eq!(ex.files[0].sniffed, "tar");
        assert!(
            csv_found(&ex, &format!("backup.tar/{long}")),
            "{:?}",
            ex.texts
        );
        assert!(
            csv_found(&ex, "backup.tar/pax/pupils.csv"),
            "{:?}",
            ex.texts
        );
        assert!(ex.not_scanned.is_empty(), "{:?}", ex.not_scanned);

        let mut bz = bzip2::write::BzEncoder::new(Vec::new(), bzip2::Compression::best());
        bz.write_all(&t).unwrap();
        let bz = bz.finish().unwrap();
        let zst =
            ruzstd::encoding::compress_to_vec(&t[..], ruzstd::encoding::CompressionLevel::Fastest);
        for (name, data, kind) in [
            ("backup.tar.bz2", bz, "bzip2"),
            ("backup.tar.zst", zst, "zstd"),
        ] {
            let mut b = Budget::new(Limits::default());
            let ex = extract(name, "", &data, &mut b);
            assert_eq!(ex.files[0].sniffed, kind);
            let inner = format!("{name}/backup.tar/pax/pupils.csv");
            assert!(csv_found(&ex, &inner), "{name}: {:?}", ex.texts);
        }
    }

    /// `xz` of [`CSV`] (made with the xz tool: this build has no xz
    /// encoder), named as a single compressed file.
    #[test]
    fn xz_file_is_read() {
        let xz = hex::decode(
            "fd377a585a000004e6d6b4460200210116000000742fe5a30100224e616d652c4e6f74650a\
             507269796120536861682c4a5420343820323220393120420a00002cb833c87ba0680f0001\
             3b23612b53be1fb6f37d010000000004595a",
        )
        .unwrap();
        let mut b = Budget::new(Limits::default());
        let ex = extract("pupils.csv.xz", "application/x-xz", &xz, &mut b);
        assert_eq!(ex.files[0].sniffed, "xz");
        assert!(csv_found(&ex, "pupils.csv.xz/pupils.csv"), "{:?}", ex.texts);
        // Cut short: could not be checked, never read as nothing.
        let ex = extract("pupils.csv.xz", "", &xz[..xz.len() - 20], &mut b);
        assert_eq!(ex.not_scanned.len(), 1, "{:?}", ex.not_scanned);
        assert!(ex.not_scanned[0].document);
    }

    /// A tar whose member claims more bytes than follow: reported.
    #[test]
    fn truncated_tar_member_is_reported() {
        let mut t = header(b"pupils.csv", b'0', 1 << 30);
        t.extend_from_slice(CSV);
        let mut b = Budget::new(Limits::default());
        let ex = extract("a.tar", "", &t, &mut b);
        assert!(ex.not_scanned[0].reason.contains("truncated"));
        assert!(ex.not_scanned[0].document);
    }
}
