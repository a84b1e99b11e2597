//! ZIP archives: the central directory is walked by hand first (entry count
//! cap before anything is allocated per entry, declared sizes for the ratio
//! check, encryption flags from the bytes, method, CRC and where each local
//! header is), then each member's local header is checked against it
//! ([`member_data`]) and the member is inflated with reused inflaters (`libdeflate` for a member of honest declared size,
//! `flate2` streaming otherwise) through [`inflate_raw_bounded`], which caps
//! what each entry may produce whatever its header claims.
//!
//! Encryption: general-purpose flag bit 0 (traditional PKWARE "ZipCrypto"),
//! WinZip AES (method 99 with extra field 0x9901), bit 6 (PKWARE strong
//! encryption). The archive counts as encrypted only when every file entry is;
//! a partly encrypted archive has its plain members scanned.

use super::error::{ExtractError, Result};
use super::inflate::{checksum_error, inflate_raw_bounded, ratio_cap, Deflated, Inflaters};
use super::{extract_into, Budget, Extraction, FileReport};

const FORMAT: &str = "zip";

/// Largest member buffer kept for reuse by the next member, and by the
/// scan thread for its next archive ([`MemberBuffer`]): at most this much
/// memory stays with an idle scan thread.
const REUSE_MAX: usize = 4 * 1024 * 1024;

thread_local! {
    /// The member buffer a scan thread keeps between archives ([`MemberBuffer`]).
    static SPARE: std::cell::RefCell<Vec<u8>> = const { std::cell::RefCell::new(Vec::new()) };
}

/// A buffer to read members into ([`Archive::read_into`]): the scan
/// thread's spare one, given back when dropped, so the archives a thread
/// reads one after another share one allocation.
///
/// Why: a new buffer per archive cost an allocation, page faults and
/// zeroing again what the last archive's buffer had already initialised
/// (`read_into` zeroes only growth); for an xlsx that was the zeroing of
/// its largest part, and for a small archive the allocation and a regrowth
/// were part of its fixed cost. A nested archive finds the spare lent out
/// and starts its own. Buffers over [`REUSE_MAX`] are not kept. What a kept
/// buffer still holds is never read: `read_into` replaces the content.
pub struct MemberBuffer(Vec<u8>);

impl MemberBuffer {
    /// The thread's spare buffer, or a new one while it is lent out.
    pub fn take() -> MemberBuffer {
        let spare = SPARE
            .try_with(|s| {
                s.try_borrow_mut()
                    .map(|mut s| std::mem::take(&mut *s))
                    .unwrap_or_default()
            })
            .unwrap_or_default();
        MemberBuffer(spare)
    }
}

impl std::ops::Deref for MemberBuffer {
    type Target = Vec<u8>;
    fn deref(&self) -> &Vec<u8> {
        &self.0
    }
}

impl std::ops::DerefMut for MemberBuffer {
    fn deref_mut(&mut self) -> &mut Vec<u8> {
        &mut self.0
    }
}

impl Drop for MemberBuffer {
    fn drop(&mut self) {
        let buf = std::mem::take(&mut self.0);
        if buf.capacity() == 0 || buf.capacity() > REUSE_MAX {
            return;
        }
        // Never panics, also while the thread is being torn down.
        let _ = SPARE.try_with(|s| {
            if let Ok(mut spare) = s.try_borrow_mut() {
                if spare.capacity() < buf.capacity() {
                    *spare = buf;
                }
            }
        });
    }
}

/// One central-directory record.
#[derive(Debug, Clone)]
pub struct Entry {
    /// Where the name's bytes are in the archive (checked against the local
    /// header's copy): a range, not a copy, so listing costs one allocation
    /// per entry, not two.
    pub name_at: std::ops::Range<usize>,
    pub name: String,
    pub flags: u16,
    pub method: u16,
    pub compressed: u64,
    pub size: u64,
    pub crc: u32,
    /// Where the member's local header starts.
    pub offset: u64,
    /// Extra field 0x9901 present (WinZip AES).
    pub aes: bool,
}

impl Entry {
    pub fn is_dir(&self) -> bool {
        self.name.ends_with('/')
    }

    /// Encryption kind of this entry, from its flags, method and extra fields.
    pub fn encryption(&self) -> Option<&'static str> {
        if self.aes || self.method == 99 {
            Some("zip-aes")
        } else if self.flags & 0x40 != 0 {
            Some("zip-strong")
        } else if self.flags & 1 != 0 {
            Some("zip-crypto")
        } else {
            None
        }
    }
}

/// An opened archive: the directory as read from the bytes and the
/// inflaters all its members share.
pub struct Archive<'a> {
    pub entries: Vec<Entry>,
    data: &'a [u8],
    /// Raw-deflate states, made on first use and reused per member (zlib-rs
    /// state and window are ~40 KB to allocate and set up; a small member
    /// costs less than that to inflate).
    inflaters: Inflaters,
}

fn u16_at(d: &[u8], at: usize) -> Option<u16> {
    d.get(at..at.checked_add(2)?)
        .map(|b| u16::from_le_bytes([b[0], b[1]]))
}

fn u32_at(d: &[u8], at: usize) -> Option<u32> {
    d.get(at..at.checked_add(4)?)
        .map(|b| u32::from_le_bytes([b[0], b[1], b[2], b[3]]))
}

fn u64_at(d: &[u8], at: usize) -> Option<u64> {
    let b = d.get(at..at.checked_add(8)?)?;
    let mut a = [0u8; 8];
    a.copy_from_slice(b);
    Some(u64::from_le_bytes(a))
}

/// Where the central directory is and how many entries it claims.
struct Directory {
    start: usize,
    end: usize,
    count: u64,
}

fn find_directory(data: &[u8]) -> Result<Directory> {
    // The end-of-central-directory record is in the last 22 + 65535 bytes.
    let from = data.len().saturating_sub(22 + 65_535);
    let eocd = memchr::memmem::rfind(data.get(from..).unwrap_or_default(), b"PK\x05\x06")
        .map(|p| p + from)
        .ok_or_else(|| ExtractError::corrupt(FORMAT, "no end of central directory"))?;
    let bad = || ExtractError::corrupt(FORMAT, "truncated end of central directory");
    let mut count = u64::from(u16_at(data, eocd + 10).ok_or_else(bad)?);
    let mut size = u64::from(u32_at(data, eocd + 12).ok_or_else(bad)?);
    let mut dir_end = eocd;
    let zip64 = count == 0xFFFF || size == 0xFFFF_FFFF;
    if zip64 {
        // Zip64 locator just before the EOCD points at the zip64 EOCD.
        let loc = eocd
            .checked_sub(20)
            .filter(|&l| data.get(l..l + 4) == Some(b"PK\x06\x07"))
            .ok_or_else(|| ExtractError::corrupt(FORMAT, "zip64 locator missing"))?;
        let rec = u64_at(data, loc + 8).ok_or_else(bad)?;
        let rec = usize::try_from(rec)
            .ok()
            .filter(|&r| data.get(r..r + 4) == Some(b"PK\x06\x06"))
            .ok_or_else(|| ExtractError::corrupt(FORMAT, "zip64 end record missing"))?;
        count = u64_at(data, rec + 32).ok_or_else(bad)?;
        size = u64_at(data, rec + 40).ok_or_else(bad)?;
        dir_end = rec;
    }
    let size = usize::try_from(size).map_err(|_| bad())?;
    let start = dir_end
        .checked_sub(size)
        .ok_or_else(|| ExtractError::corrupt(FORMAT, "central directory larger than the file"))?;
    Ok(Directory {
        start,
        end: dir_end,
        count,
    })
}

/// Walks the central directory, refusing more than `max_entries` records.
pub fn read_directory(data: &[u8], max_entries: usize) -> Result<Vec<Entry>> {
    let dir = find_directory(data)?;
    if dir.count > max_entries as u64 {
        return Err(ExtractError::Entries { limit: max_entries });
    }
    let mut entries = Vec::with_capacity(dir.count.min(1024) as usize);
    let mut p = dir.start;
    let bad = || ExtractError::corrupt(FORMAT, "truncated central directory record");
    while p + 4 <= dir.end && data.get(p..p + 4) == Some(b"PK\x01\x02") {
        if entries.len() >= max_entries {
            return Err(ExtractError::Entries { limit: max_entries });
        }
        let flags = u16_at(data, p + 8).ok_or_else(bad)?;
        let method = u16_at(data, p + 10).ok_or_else(bad)?;
        let mut compressed = u64::from(u32_at(data, p + 20).ok_or_else(bad)?);
        let mut size = u64::from(u32_at(data, p + 24).ok_or_else(bad)?);
        let crc = u32_at(data, p + 16).ok_or_else(bad)?;
        let mut offset = u64::from(u32_at(data, p + 42).ok_or_else(bad)?);
        let name_len = usize::from(u16_at(data, p + 28).ok_or_else(bad)?);
        let extra_len = usize::from(u16_at(data, p + 30).ok_or_else(bad)?);
        let comment_len = usize::from(u16_at(data, p + 32).ok_or_else(bad)?);
        let name_at = p + 46..p + 46 + name_len;
        let name_bytes = data.get(name_at.clone()).ok_or_else(bad)?;
        let extra = data
            .get(p + 46 + name_len..p + 46 + name_len + extra_len)
            .ok_or_else(bad)?;
        let mut aes = false;
        let mut q = 0;
        while q + 4 <= extra.len() {
            let id = u16_at(extra, q).unwrap_or(0);
            let len = usize::from(u16_at(extra, q + 2).unwrap_or(0));
            let body = extra.get(q + 4..q + 4 + len).unwrap_or_default();
            match id {
                0x9901 => aes = true,
                0x0001 => {
                    // Zip64: only the fields that were 0xFFFFFFFF, in this order.
                    let mut r = 0;
                    if size == 0xFFFF_FFFF {
                        size = u64_at(body, r).unwrap_or(size);
                        r += 8;
                    }
                    if compressed == 0xFFFF_FFFF {
                        compressed = u64_at(body, r).unwrap_or(compressed);
                        r += 8;
                    }
                    if offset == 0xFFFF_FFFF {
                        offset = u64_at(body, r).unwrap_or(offset);
                    }
                }
                _ => {}
            }
            q += 4 + len;
        }
        // Without the UTF-8 flag a name is read as Latin-1, which agrees
        // with UTF-8 on ASCII names: those are copied whole, not a char at a time.
        let name = if flags & 0x800 != 0 || name_bytes.is_ascii() {
            String::from_utf8_lossy(name_bytes).into_owned()
        } else {
            name_bytes.iter().map(|&b| b as char).collect()
        };
        entries.push(Entry {
            name_at,
            name,
            flags,
            method,
            compressed,
            size,
            crc,
            offset,
            aes,
        });
        p += 46 + name_len + extra_len + comment_len;
    }
    Ok(entries)
}

impl<'a> Archive<'a> {
    /// Reads the directory (capped).
    pub fn open(data: &'a [u8], budget: &Budget) -> Result<Archive<'a>> {
        let entries = read_directory(data, budget.limits.max_entries)?;
        Ok(Archive {
            entries,
            data,
            inflaters: Inflaters::default(),
        })
    }

    /// Index of the first entry called `name`.
    pub fn find(&self, name: &str) -> Option<usize> {
        self.entries.iter().position(|e| e.name == name)
    }

    /// Inflates entry `i` within the budget: refused up front when its
    /// declared sizes break the ratio cap or the remaining budget, and cut
    /// off while streaming when the real data does.
    pub fn read(&mut self, i: usize, budget: &mut Budget) -> Result<Vec<u8>> {
        let mut out = Vec::new();
        self.read_into(i, budget, &mut out)?;
        Ok(out)
    }

    /// Reserves room in `out` for the largest of entries `which` that
    /// [`Archive::read_into`] would inflate in one call (declared size
    /// within the caps), so reading them in turn into one buffer never
    /// regrows it: growing copied the previous part (a megabyte of shared
    /// strings before an xlsx sheet) only to overwrite it. A lying size
    /// costs untouched capacity, nothing more.
    pub fn reserve_for(&self, which: &[usize], budget: &Budget, out: &mut Vec<u8>) {
        let largest = which
            .iter()
            .filter_map(|&i| self.entries.get(i))
            .map(|e| {
                e.size
                    .min(ratio_cap(e.compressed, budget))
                    .min(budget.remaining_bytes())
                    .min(super::inflate::WHOLE_MAX)
            })
            .max()
            .unwrap_or(0);
        // The whole-member inflate asks for slack beyond the declared size.
        let want = usize::try_from(largest + super::inflate::WHOLE_SLACK).unwrap_or(0);
        if want > out.capacity() {
            // Nothing in `out` is worth copying into the new allocation.
            out.clear();
            *out = Vec::with_capacity(want);
        }
    }

    /// [`Archive::read`] into `out` (its old content replaced; unspecified
    /// after an error), so one buffer can be reused for every member.
    pub fn read_into(&mut self, i: usize, budget: &mut Budget, out: &mut Vec<u8>) -> Result<()> {
        let e = self
            .entries
            .get(i)
            .ok_or_else(|| ExtractError::corrupt(FORMAT, "no such entry"))?;
        if let Some(kind) = e.encryption() {
            return Err(ExtractError::Unsupported(format!(
                "member is encrypted ({kind})"
            )));
        }
        let cap = ratio_cap(e.compressed, budget);
        if e.size > cap {
            return Err(ExtractError::Ratio {
                ratio: budget.limits.max_ratio,
                cap,
            });
        }
        if e.size > budget.remaining_bytes() {
            return Err(ExtractError::TotalBytes {
                limit: budget.limits.max_decompressed_bytes,
            });
        }
        let hint = e.size;
        let raw = member_data(self.data, e)?;
        match e.method {
            8 => inflate_raw_bounded(&mut self.inflaters, raw, e.crc, cap, hint, budget, out),
            0 => {
                super::inflate::copy_bounded(raw.declared(), cap, budget, out)?;
                if libdeflater::crc32(out) != e.crc {
                    return Err(checksum_error());
                }
                Ok(())
            }
            m => Err(ExtractError::Unsupported(format!(
                "member compression method {m} is not supported"
            ))),
        }
    }
}

/// A member's compressed bytes, after its local header, which must be
/// there and name the same file as the central directory (a mismatch is
/// how some archive tricks hide a member from one reader or the other).
/// Sizes and CRC come from the central directory, as `unzip` takes them.
/// They come as a [`Deflated`]: the declared bytes, and what follows them
/// for libdeflate to read ahead.
///
/// Why by hand and not the `zip` crate's reader: the central directory is
/// already walked by hand (the entry cap must hold before anything is
/// allocated per entry), and a local header is 30 bytes at a known place;
/// the crate's reader parsed the whole directory a second time, allocating
/// per entry, which was a tenth of the time of a small archive.
fn member_data<'d>(data: &'d [u8], e: &Entry) -> Result<Deflated<'d>> {
    let at = usize::try_from(e.offset).unwrap_or(usize::MAX);
    if data.get(at..at.saturating_add(4)) != Some(b"PK\x03\x04") {
        return Err(ExtractError::corrupt(
            FORMAT,
            "no local header where the directory says",
        ));
    }
    let bad = || ExtractError::corrupt(FORMAT, "truncated local header");
    let name_len = usize::from(u16_at(data, at + 26).ok_or_else(bad)?);
    let extra_len = usize::from(u16_at(data, at + 28).ok_or_else(bad)?);
    let name = data.get(at + 30..at + 30 + name_len).ok_or_else(bad)?;
    if Some(name) != data.get(e.name_at.clone()) {
        return Err(ExtractError::corrupt(FORMAT, "entry names disagree"));
    }
    // A size running past the end reads what is there (the CRC then tells).
    let start = at + 30 + name_len + extra_len;
    let rest = data.get(start..).unwrap_or_default();
    let len = usize::try_from(e.compressed).unwrap_or(usize::MAX);
    Ok(Deflated::new(rest, len))
}

/// A plain ZIP: every member is extracted in turn (`outer.zip/inner.csv`).
pub fn extract(
    path: &str,
    data: &[u8],
    budget: &mut Budget,
    depth: usize,
    out: &mut Extraction,
    file_index: usize,
) -> Result<()> {
    let mut archive = Archive::open(data, budget)?;
    let files: Vec<usize> = (0..archive.entries.len())
        .filter(|&i| archive.entries.get(i).is_some_and(|e| !e.is_dir()))
        .collect();
    let encrypted: Vec<&'static str> = files
        .iter()
        .filter_map(|&i| archive.entries.get(i).and_then(Entry::encryption))
        .collect();
    if !files.is_empty() && encrypted.len() == files.len() {
        // Every member is encrypted: the archive is protected, nothing to read.
        let kind = if encrypted.contains(&"zip-aes") {
            "zip-aes"
        } else {
            encrypted.first().copied().unwrap_or("zip-crypto")
        };
        if let Some(f) = out.files.get_mut(file_index) {
            f.encrypted = Some(kind.to_string());
        }
        return Ok(());
    }
    // One buffer for every member in turn.
    let mut bytes = MemberBuffer::take();
    for i in files {
        let Some(e) = archive.entries.get(i) else {
            continue;
        };
        let inner = super::inner_path(path, &e.name);
        if let Some(kind) = e.encryption() {
            // Partly encrypted archive: this member is protected, the others are scanned.
            if out.files.len() < super::MAX_REPORTED {
                out.files.push(FileReport {
                    path: inner,
                    sniffed: "encrypted",
                    declared: String::new(),
                    encrypted: Some(kind.to_string()),
                    type_mismatch: None,
                });
            }
            continue;
        }
        if budget.out_of_time() {
            out.skip(&inner, ExtractError::Time.to_string(), true);
            continue;
        }
        match archive.read_into(i, budget, &mut bytes) {
            Ok(()) => {
                extract_into(&inner, "", &bytes, budget, depth + 1, out);
                // A big member's buffer is not kept for the next ones (a
                // nested archive among them would hold it while recursing).
                if bytes.capacity() > REUSE_MAX {
                    *bytes = Vec::new();
                }
            }
            Err(err) => {
                let doc = super::sniff(&[], &inner).is_document() || looks_like_document(&inner);
                out.skip(&inner, err.to_string(), doc);
            }
        }
    }
    Ok(())
}

/// By name only (the bytes could not be read): is this member a document?
fn looks_like_document(name: &str) -> bool {
    let lower = name.to_ascii_lowercase();
    [
        ".pdf", ".doc", ".docx", ".xls", ".xlsx", ".ppt", ".pptx", ".odt", ".ods", ".odp", ".zip",
        ".7z", ".rar", ".rtf", ".csv", ".gz",
    ]
    .iter()
    .any(|e| lower.ends_with(e))
}

#[cfg(test)]
pub(crate) mod tests {
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
        // A compression method this reader does not have (12, bzip2).
        let mut bzip = z.clone();
        bzip[central_b + 10] = 12;
        assert!(reason(&bzip).contains("compression method 12"));
    }

    #[test]
    fn garbage_is_reported_not_crashed_on() {
        let mut b = Budget::new(Limits::default());
        let ex = extract("x.zip", "", b"PK\x03\x04garbage", &mut b);
        assert!(ex.not_scanned[0].reason.contains("corrupt zip"));
    }
}
