//! The few ZIP bytes read here rather than through the `zip` crate, each
//! because the crate cannot say it (or only after work the caps must come
//! before). Nothing here locates, sizes or decodes member data.
//!
//! - [`end_record`]: the count the end-of-central-directory record claims,
//!   so the entry cap holds *before* the crate allocates a record per entry
//!   (it reads every record the directory holds first), and where the
//!   directory is when that count is zero (the crate then reads nothing,
//!   where `unzip` and Python walk the directory's records);
//! - [`central_name`]: a directory record's flags and name *as stored*. The
//!   crate replaces the name with an Info-ZIP Unicode Path extra field when
//!   there is one (and sets the UTF-8 flag to match), so its name is not the
//!   one the local header must repeat, nor the bytes member paths were
//!   always made from;
//! - [`local_name`]: the name in a member's local header, to check against
//!   the directory's (a mismatch is how some archives show one file to one
//!   reader and another to the next). The crate compares the two only in
//!   its full consistency check, which also refuses every archive with a
//!   duplicate name and compares timestamps and extra fields, on which
//!   real archivers differ;
//! - [`central_records`]: where each central-directory record starts and
//!   how long it is, to check the crate's view against: it keys its entries
//!   by name, so of two records named `a.csv` it shows one, and it reads only
//!   as many records as the end record claims; the others must still be
//!   read (`hidden.rs`);
//! - [`masked_directory`]: PKWARE strong encryption with an encrypted
//!   central directory, which the crate cannot parse: the first local
//!   header says so with flag bit 13.
//!
//! Every read is checked (`get`), so a short or hostile buffer gives `None`.

/// General-purpose flag bit 0: the member is encrypted.
pub const FLAG_ENCRYPTED: u16 = 1;
/// General-purpose flag bit 6: PKWARE strong encryption.
pub const FLAG_STRONG: u16 = 1 << 6;
/// General-purpose flag bit 11: the name is UTF-8.
pub const FLAG_UTF8: u16 = 1 << 11;
/// General-purpose flag bit 13: local-header values masked because the
/// central directory is encrypted.
const FLAG_MASKED: u16 = 1 << 13;

const LOCAL: &[u8; 4] = b"PK\x03\x04";
const CENTRAL: &[u8; 4] = b"PK\x01\x02";
const END: &[u8; 4] = b"PK\x05\x06";
const ZIP64_LOCATOR: &[u8; 4] = b"PK\x06\x07";
const ZIP64_END: &[u8; 4] = b"PK\x06\x06";

/// Fixed part of a central-directory record.
const CENTRAL_FIXED: usize = 46;
/// Fixed part of a local header.
const LOCAL_FIXED: usize = 30;

fn u16_at(d: &[u8], at: usize) -> Option<u16> {
    let b = d.get(at..at.checked_add(2)?)?;
    Some(u16::from_le_bytes([b[0], b[1]]))
}

fn u32_at(d: &[u8], at: usize) -> Option<u32> {
    let b = d.get(at..at.checked_add(4)?)?;
    Some(u32::from_le_bytes([b[0], b[1], b[2], b[3]]))
}

fn u64_at(d: &[u8], at: usize) -> Option<u64> {
    let b = d.get(at..at.checked_add(8)?)?;
    let mut a = [0u8; 8];
    a.copy_from_slice(b);
    Some(u64::from_le_bytes(a))
}

/// What the last end-of-central-directory record in the archive's tail
/// (where the crate looks first) says, or the zip64 end record it defers to.
#[derive(Debug, PartialEq, Eq)]
pub struct EndRecord {
    /// Entries it claims.
    pub entries: u64,
    /// Where the directory starts if it ends where the end record begins
    /// (how `unzip` finds it); `None` if its size is larger than that.
    pub directory: Option<u64>,
    /// Bytes before the archive proper (a self-extractor's stub): where
    /// the directory is less where the record says it is.
    pub prefix: u64,
}

/// The end record, `None` when there is none (the crate then reports the
/// archive corrupt).
pub fn end_record(data: &[u8]) -> Option<EndRecord> {
    // The record is 22 bytes plus a comment of at most 65,535.
    let from = data.len().saturating_sub(22 + 65_535);
    let end = from + memchr::memmem::rfind(data.get(from..)?, END)?;
    let count = u16_at(data, end + 10)?;
    let size = u32_at(data, end + 12)?;
    let offset = u32_at(data, end + 16)?;
    let record = |entries: u64, size: u64, offset: u64, dir_end: usize| {
        let directory = (dir_end as u64).checked_sub(size);
        EndRecord {
            entries,
            directory,
            prefix: directory.map_or(0, |d| d.saturating_sub(offset)),
        }
    };
    if count != 0xFFFF && size != 0xFFFF_FFFF && offset != 0xFFFF_FFFF {
        return Some(record(count.into(), size.into(), offset.into(), end));
    }
    // Zip64: the locator just before the record points at the zip64 end
    // record. Without one, the 32-bit record's own values are the claim.
    let zip64 = end
        .checked_sub(20)
        .filter(|&l| data.get(l..l + 4) == Some(ZIP64_LOCATOR))
        .and_then(|l| u64_at(data, l + 8))
        .and_then(|r| usize::try_from(r).ok())
        .filter(|&r| data.get(r..r.saturating_add(4)) == Some(ZIP64_END));
    let Some(at) = zip64 else {
        return Some(record(count.into(), size.into(), offset.into(), end));
    };
    Some(record(
        u64_at(data, at + 32)?,
        u64_at(data, at + 40)?,
        u64_at(data, at + 48)?,
        at,
    ))
}

/// The general-purpose flags and the raw name of the central-directory
/// record at `at`.
pub fn central_name(data: &[u8], at: u64) -> Option<(u16, &[u8])> {
    let at = usize::try_from(at).ok()?;
    if data.get(at..at.saturating_add(4)) != Some(CENTRAL) {
        return None;
    }
    let flags = u16_at(data, at + 8)?;
    let len = usize::from(u16_at(data, at + 28)?);
    let name = at + CENTRAL_FIXED;
    Some((flags, data.get(name..name + len)?))
}

/// Why a member's local header does not vouch for the directory's record.
#[derive(Debug, PartialEq, Eq)]
pub enum LocalHeader {
    /// No local-header signature where the directory points.
    Missing,
    /// The header is cut short by the end of the archive.
    Truncated,
}

/// The file name in the local header at `at`.
pub fn local_name(data: &[u8], at: u64) -> Result<&[u8], LocalHeader> {
    let at = usize::try_from(at).map_err(|_| LocalHeader::Missing)?;
    if data.get(at..at.saturating_add(4)) != Some(LOCAL) {
        return Err(LocalHeader::Missing);
    }
    let len = u16_at(data, at + 26).ok_or(LocalHeader::Truncated)?;
    let name = at + LOCAL_FIXED;
    data.get(name..name + usize::from(len))
        .ok_or(LocalHeader::Truncated)
}

/// Start and length of each central-directory record from `start` on, in
/// directory order, stopping at the first thing that is not a whole record;
/// `Err(())` once there would be more than `max` of them.
pub fn central_records(data: &[u8], start: u64, max: usize) -> Result<Vec<(u64, u64)>, ()> {
    let mut records = Vec::new();
    let Ok(mut p) = usize::try_from(start) else {
        return Ok(records);
    };
    while data.get(p..p.saturating_add(4)) == Some(CENTRAL) {
        let lengths = (
            u16_at(data, p + 28),
            u16_at(data, p + 30),
            u16_at(data, p + 32),
        );
        let (Some(name), Some(extra), Some(comment)) = lengths else {
            break;
        };
        let len = CENTRAL_FIXED + usize::from(name) + usize::from(extra) + usize::from(comment);
        if p + len > data.len() {
            break;
        }
        if records.len() == max {
            return Err(());
        }
        records.push((p as u64, len as u64));
        p += len;
    }
    Ok(records)
}

/// True when the archive starts with a local header whose flags say the
/// member is encrypted and the local values are masked: PKWARE strong
/// encryption of the central directory, which no reader here can parse.
pub fn masked_directory(data: &[u8]) -> bool {
    data.get(..4) == Some(LOCAL)
        && u16_at(data, 6).is_some_and(|f| f & FLAG_MASKED != 0 && f & FLAG_ENCRYPTED != 0)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn short_and_hostile_buffers_give_nothing() {
        for d in [
            &b""[..],
            b"PK",
            b"PK\x05\x06",
            b"PK\x03\x04\x00",
            b"PK\x01\x02xx",
        ] {
            assert_eq!(end_record(d), None);
            assert!(local_name(d, 0).is_err());
            assert_eq!(central_records(d, 0, 10), Ok(vec![]));
            assert!(local_name(d, u64::MAX).is_err());
            assert_eq!(central_records(d, u64::MAX, 10), Ok(vec![]));
        }
        assert_eq!(local_name(b"PK\x03\x04", 0), Err(LocalHeader::Truncated));
        assert_eq!(local_name(b"XK\x03\x04", 0), Err(LocalHeader::Missing));
    }

    #[test]
    fn the_end_record_count_and_its_zip64_count() {
        // 10 bytes of stub, a 30-byte directory the record places at 0.
        let mut d = vec![0u8; 40];
        d.extend_from_slice(b"PK\x05\x06");
        d.extend_from_slice(&[0, 0, 0, 0, 7, 0, 7, 0]);
        d.extend_from_slice(&30u32.to_le_bytes());
        d.extend_from_slice(&0u32.to_le_bytes());
        d.extend_from_slice(&[0; 2]);
        let want = EndRecord {
            entries: 7,
            directory: Some(10),
            prefix: 10,
        };
        assert_eq!(end_record(&d), Some(want));
        // 0xFFFF defers to the zip64 end record through the locator.
        let mut z = b"PK\x06\x06".to_vec();
        z.extend_from_slice(&[0; 28]);
        z.extend_from_slice(&70_000u64.to_le_bytes());
        z.extend_from_slice(&70_000u64.to_le_bytes());
        z.extend_from_slice(&[0; 16]);
        let mut loc = b"PK\x06\x07\0\0\0\0".to_vec();
        loc.extend_from_slice(&0u64.to_le_bytes());
        loc.extend_from_slice(&[1, 0, 0, 0]);
        z.extend_from_slice(&loc);
        z.extend_from_slice(b"PK\x05\x06");
        z.extend_from_slice(&[0, 0, 0, 0, 0xFF, 0xFF, 0xFF, 0xFF]);
        z.extend_from_slice(&[0; 10]);
        let e = end_record(&z).unwrap();
        assert_eq!((e.entries, e.directory), (70_000, None));
        // A broken locator leaves the 16-bit claim.
        z[64] = b'X';
        assert_eq!(end_record(&z).map(|e| e.entries), Some(0xFFFF));
    }

    #[test]
    fn the_record_walk_stops_at_its_cap_and_at_a_partial_record() {
        let mut d = Vec::new();
        for name in ["a.csv", "b.txt", "a.csv"] {
            d.extend_from_slice(b"PK\x01\x02");
            d.extend_from_slice(&[0; 24]);
            d.extend_from_slice(&(name.len() as u16).to_le_bytes());
            d.extend_from_slice(&[0; 16]);
            d.extend_from_slice(name.as_bytes());
        }
        let all = central_records(&d, 0, 10).unwrap();
        assert_eq!(central_name(&d, 51), Some((0, &b"b.txt"[..])));
        assert_eq!(central_name(&d, 50), None);
        assert_eq!(central_name(&d[..100], 51), None);
        assert_eq!(all, vec![(0, 51), (51, 51), (102, 51)]);
        assert_eq!(central_records(&d, 0, 2), Err(()));
        assert_eq!(central_records(&d[..150], 0, 10).unwrap().len(), 2);
    }

    #[test]
    fn a_masked_first_header_means_an_encrypted_directory() {
        let mut d = b"PK\x03\x04\x33\x00".to_vec();
        d.extend_from_slice(&(FLAG_ENCRYPTED | FLAG_STRONG | FLAG_MASKED).to_le_bytes());
        assert!(masked_directory(&d));
        d[6] = 0x41; // encrypted and strong, not masked
        d[7] = 0;
        assert!(!masked_directory(&d));
    }
}
