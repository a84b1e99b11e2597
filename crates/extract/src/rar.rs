//! RAR (4.x and 5.0): encryption detected from the block headers, content not
//! extracted (no sound, maintained pure-Rust RAR decoder exists, and unrar's
//! licence does not fit GPL).
//!
//! - RAR 4: main header flag 0x0080 = headers encrypted; file header flag 0x04.
//! - RAR 5: an archive encryption header (type 4) = headers encrypted; a file
//!   header's extra area with an encryption record (type 1).

use super::error::{ExtractError, Result};
use super::Extraction;

const FORMAT: &str = "rar";
/// Blocks walked in one archive.
const MAX_BLOCKS: usize = 100_000;

fn bad() -> ExtractError {
    ExtractError::corrupt(FORMAT, "malformed block header")
}

/// RAR 5 variable-length integer at `p`: (value, bytes used).
fn vint(d: &[u8], p: usize) -> Result<(u64, usize)> {
    let mut v = 0u64;
    for i in 0..10 {
        let b = *d.get(p + i).ok_or_else(bad)?;
        v |= u64::from(b & 0x7F) << (7 * i);
        if b & 0x80 == 0 {
            return Ok((v, i + 1));
        }
    }
    Err(bad())
}

fn to_usize(v: u64) -> Result<usize> {
    usize::try_from(v).map_err(|_| bad())
}

/// (file entries, encrypted file entries, headers encrypted).
fn rar5(d: &[u8]) -> Result<(usize, usize, bool)> {
    let mut p = 8usize;
    let (mut files, mut enc) = (0, 0);
    for _ in 0..MAX_BLOCKS {
        if p >= d.len() {
            break;
        }
        let (size, n) = vint(d, p + 4)?;
        let body = p + 4 + n;
        let end = body.checked_add(to_usize(size)?).ok_or_else(bad)?;
        let (kind, n1) = vint(d, body)?;
        let (flags, n2) = vint(d, body + n1)?;
        let mut q = body + n1 + n2;
        let extra = if flags & 1 != 0 {
            let (e, n) = vint(d, q)?;
            q += n;
            to_usize(e)?
        } else {
            0
        };
        let data = if flags & 2 != 0 {
            let (e, _) = vint(d, q)?;
            to_usize(e)?
        } else {
            0
        };
        match kind {
            4 => return Ok((files, enc, true)),
            2 => {
                files += 1;
                let area = d.get(end.saturating_sub(extra)..end).ok_or_else(bad)?;
                let mut r = 0usize;
                while r < area.len() {
                    let (len, n) = vint(area, r)?;
                    let (t, _) = vint(area, r + n)?;
                    if t == 1 {
                        enc += 1;
                        break;
                    }
                    // Every sum of header-given sizes is checked: a
                    // record length near 2^64 made `n + len` wrap to 0 in
                    // release builds, and the walk looped on one record.
                    // Checked, each step moves at least the `n` >= 1
                    // bytes of the length itself.
                    let step = to_usize(len)?.checked_add(n).ok_or_else(bad)?;
                    r = r.checked_add(step).ok_or_else(bad)?;
                }
            }
            5 => break,
            _ => {}
        }
        p = end.checked_add(data).ok_or_else(bad)?;
    }
    Ok((files, enc, false))
}

fn rar4(d: &[u8]) -> Result<(usize, usize, bool)> {
    let mut p = 7usize;
    let (mut files, mut enc) = (0, 0);
    let u16_at = |at: usize| d.get(at..at + 2).map(|b| u16::from_le_bytes([b[0], b[1]]));
    for _ in 0..MAX_BLOCKS {
        let Some(kind) = d.get(p + 2).copied() else {
            break;
        };
        let flags = u16_at(p + 3).ok_or_else(bad)?;
        let size = usize::from(u16_at(p + 5).ok_or_else(bad)?);
        if size < 7 {
            return Err(bad());
        }
        let add = if flags & 0x8000 != 0 || kind == 0x74 {
            d.get(p + 7..p + 11)
                .map(|b| u32::from_le_bytes([b[0], b[1], b[2], b[3]]) as usize)
                .ok_or_else(bad)?
        } else {
            0
        };
        match kind {
            0x73 if flags & 0x0080 != 0 => return Ok((files, enc, true)),
            0x74 => {
                files += 1;
                if flags & 0x04 != 0 {
                    enc += 1;
                }
            }
            0x7B => break,
            _ => {}
        }
        p = p
            .checked_add(size)
            .and_then(|x| x.checked_add(add))
            .ok_or_else(bad)?;
    }
    Ok((files, enc, false))
}

pub fn extract(data: &[u8], out: &mut Extraction, file_index: usize) -> Result<()> {
    let (files, enc, headers, v5) = if data.starts_with(b"Rar!\x1A\x07\x01\x00") {
        let (f, e, h) = rar5(data)?;
        (f, e, h, true)
    } else {
        let (f, e, h) = rar4(data)?;
        (f, e, h, false)
    };
    let kind = match (headers, files > 0 && enc == files, v5) {
        (true, _, true) => Some("rar5-aes-headers"),
        (true, _, false) => Some("rar-headers-encrypted"),
        (false, true, true) => Some("rar5-aes"),
        (false, true, false) => Some("rar-encrypted"),
        _ => None,
    };
    if let Some(k) = kind {
        if let Some(f) = out.files.get_mut(file_index) {
            f.encrypted = Some(k.to_string());
        }
        return Ok(());
    }
    Err(ExtractError::Unsupported(
        "RAR content is not extracted (archive is not encrypted)".into(),
    ))
}

#[cfg(test)]
mod tests {
    use crate::{extract, Budget, Limits};

    /// A RAR 5 block: CRC (unchecked), size, type, flags, [extra size], body.
    fn block5(kind: u8, extra: &[u8]) -> Vec<u8> {
        let flags = if extra.is_empty() { 0u8 } else { 1 };
        let mut h = vec![kind, flags];
        if !extra.is_empty() {
            h.push(extra.len() as u8);
        }
        h.extend_from_slice(extra);
        let mut b = vec![0, 0, 0, 0, h.len() as u8];
        b.extend(h);
        b
    }

    fn rar5(file_extra: &[u8], headers_encrypted: bool) -> Vec<u8> {
        let mut r = b"Rar!\x1A\x07\x01\x00".to_vec();
        if headers_encrypted {
            r.extend(block5(4, &[]));
        }
        r.extend(block5(1, &[]));
        r.extend(block5(2, file_extra));
        r.extend(block5(5, &[]));
        r
    }

    fn run(data: &[u8]) -> crate::Extraction {
        let mut b = Budget::new(Limits::default());
        extract("a.rar", "", data, &mut b)
    }

    #[test]
    fn rar5_flags() {
        // Extra record: size 2, type 1 (encryption), one byte of data.
        let ex = run(&rar5(&[2, 1, 0], false));
        assert_eq!(ex.files[0].encrypted.as_deref(), Some("rar5-aes"));
        let ex = run(&rar5(&[], true));
        assert_eq!(ex.files[0].encrypted.as_deref(), Some("rar5-aes-headers"));
        let ex = run(&rar5(&[], false));
        assert!(ex.files[0].encrypted.is_none());
        assert!(ex.not_scanned[0].reason.contains("not extracted"));
    }

    /// Found by the extract_rar fuzz target: an extra-area record whose
    /// length is 2^64 - 10 (10 bytes of vint) made the step `n + len` wrap to
    /// 0, so the walk stood still for ever in a release build (and panicked
    /// on overflow in a checked one). Now a malformed header, at once.
    #[test]
    fn rar5_record_length_that_wraps_is_malformed() {
        let mut huge = vec![0xF6];
        huge.extend([0xFF; 8]);
        huge.push(0x01); // 0xFFFF_FFFF_FFFF_FFF6 = 2^64 - 10
        huge.push(2); // record type: not encryption
        let start = std::time::Instant::now();
        let ex = run(&rar5(&huge, false));
        assert!(start.elapsed() < std::time::Duration::from_secs(5));
        assert!(ex.files[0].encrypted.is_none());
        assert!(
            ex.not_scanned[0].reason.contains("malformed"),
            "{:?}",
            ex.not_scanned
        );
    }

    fn block4(kind: u8, flags: u16, add: Option<u32>) -> Vec<u8> {
        let mut b = vec![0, 0, kind];
        b.extend_from_slice(&flags.to_le_bytes());
        let size: u16 = if add.is_some() { 11 } else { 7 };
        b.extend_from_slice(&size.to_le_bytes());
        if let Some(a) = add {
            b.extend_from_slice(&a.to_le_bytes());
        }
        b
    }

    #[test]
    fn rar4_flags() {
        let mut r = b"Rar!\x1A\x07\x00".to_vec();
        r.extend(block4(0x73, 0, None));
        r.extend(block4(0x74, 0x8004, Some(3)));
        r.extend_from_slice(b"xyz");
        r.extend(block4(0x7B, 0, None));
        assert_eq!(run(&r).files[0].encrypted.as_deref(), Some("rar-encrypted"));
        let mut h = b"Rar!\x1A\x07\x00".to_vec();
        h.extend(block4(0x73, 0x0080, None));
        assert_eq!(
            run(&h).files[0].encrypted.as_deref(),
            Some("rar-headers-encrypted")
        );
    }
}
