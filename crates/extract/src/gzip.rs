//! gzip (.gz, .tgz): one member inflated through the bounded reader and
//! extracted as the file it contains (`list.csv.gz/list.csv`); a tar inside
//! is walked member by member.

use super::error::Result;
use super::inflate::{ratio_cap, read_bounded};
use super::{extract_into, Budget, Extraction};

/// Name of the file inside: the gzip FNAME field, else the outer name less `.gz`.
fn inner_name(path: &str, data: &[u8]) -> String {
    let flags = data.get(3).copied().unwrap_or(0);
    if flags & 0x08 != 0 {
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
    if lower.ends_with(".tgz") {
        format!("{}.tar", &base[..base.len() - 4])
    } else if lower.ends_with(".gz") {
        base[..base.len() - 3].to_string()
    } else {
        "content".to_string()
    }
}

pub fn extract(
    path: &str,
    data: &[u8],
    budget: &mut Budget,
    depth: usize,
    out: &mut Extraction,
) -> Result<()> {
    let cap = ratio_cap(data.len() as u64, budget);
    let bytes = read_bounded(flate2::read::MultiGzDecoder::new(data), cap, budget)?;
    let inner = super::inner_path(path, &inner_name(path, data));
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

/// A ustar archive: 512-byte headers, octal sizes; regular files only.
fn tar(path: &str, data: &[u8], budget: &mut Budget, depth: usize, out: &mut Extraction) {
    let mut p = 0usize;
    let mut n = 0usize;
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
        let name = String::from_utf8_lossy(h.get(..name_end).unwrap_or_default()).into_owned();
        let size_field = String::from_utf8_lossy(h.get(124..136).unwrap_or_default()).into_owned();
        let size =
            usize::from_str_radix(size_field.trim_matches(|c: char| c == '\0' || c == ' '), 8)
                .unwrap_or(0);
        let typeflag = h.get(156).copied().unwrap_or(0);
        let body = p + 512;
        if typeflag == b'0' || typeflag == 0 {
            match data.get(body..body.saturating_add(size)) {
                Some(content) => extract_into(
                    &super::inner_path(path, &name),
                    "",
                    content,
                    budget,
                    depth,
                    out,
                ),
                None => {
                    out.skip(
                        &super::inner_path(path, &name),
                        "corrupt tar: member truncated",
                        true,
                    );
                    return;
                }
            }
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
}
