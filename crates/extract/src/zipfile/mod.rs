//! ZIP archives, read through the `zip` crate: it finds the central
//! directory (zip64 and prepended data too), parses every record and each
//! member's local header, and decodes deflate64, bzip2 and LZMA members.
//! What stays here is what the crate leaves to its caller:
//!
//! - **the caps, before any byte is inflated**: the entry count from the
//!   end-of-central-directory record before the crate reads a record, then
//!   each member's declared size against the ratio cap and the message's
//!   remaining budget, from the directory (`Archive::read_into`); while
//!   decoding, every member is cut off at those caps whatever its header
//!   says (`member.rs`, `inflate.rs`). The crate stops no bomb itself (its
//!   maintainers closed a bomb advisory as intended behaviour);
//! - **encryption from the raw flags**: general-purpose bit 0 (traditional
//!   PKWARE "ZipCrypto"), method 99 (WinZip AES), bit 6 (PKWARE strong
//!   encryption), and an encrypted central directory (`records.rs`). The
//!   archive counts as encrypted only when every file entry is; a partly
//!   encrypted archive has its plain members scanned;
//! - **every record read**, also when two share a name (`hidden.rs`), and
//!   each local header checked to name the file its record does;
//! - stored and deflate members, located by the crate, are copied or
//!   inflated from memory with reused state (`member.rs`), and zstd members
//!   are decoded by `ruzstd` (the crate's zstd feature is C libzstd).

mod hidden;
mod member;
mod records;

use super::error::{ExtractError, Result};
use super::inflate::{ratio_cap, Inflaters};
use super::{extract_into, Budget, Extraction, FileReport};
use hidden::OneRecord;
use records::{
    central_name, central_records, end_record, EndRecord, FLAG_ENCRYPTED, FLAG_STRONG, FLAG_UTF8,
};
use std::io::{Cursor, Read, Seek};
use zip::result::ZipError;
use zip::ZipArchive;

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

/// One central-directory record, as the caps and the encryption verdict need it.
#[derive(Debug, Clone)]
pub struct Entry {
    pub name: String,
    /// General-purpose flags as stored in the directory.
    pub flags: u16,
    /// Compression method number (APPNOTE 4.4.5).
    pub method: u16,
    pub compressed: u64,
    pub size: u64,
    pub crc: u32,
    source: Source,
}

/// Where the crate can read an entry.
#[derive(Debug, Clone, Copy)]
enum Source {
    /// At this index of the archive's own view.
    Index(usize),
    /// Not in its view (a second record of one name, a record beyond the
    /// count the end record claims): read on its own (`hidden.rs`), from
    /// the record at `start`, `len` bytes long, in an archive `prefix`
    /// bytes into the data.
    Hidden { start: u64, len: u64, prefix: u64 },
}

/// WinZip AES (APPNOTE appendix E): method 99, with the real method in its
/// extra field.
const METHOD_AES: u16 = 99;

impl Entry {
    pub fn is_dir(&self) -> bool {
        self.name.ends_with('/')
    }

    /// Encryption kind of this entry, from its method and flags.
    pub fn encryption(&self) -> Option<&'static str> {
        if self.method == METHOD_AES {
            Some("zip-aes")
        } else if self.flags & FLAG_STRONG != 0 {
            Some("zip-strong")
        } else if self.flags & FLAG_ENCRYPTED != 0 {
            Some("zip-crypto")
        } else {
            None
        }
    }

    /// Entry `index` of `zip`, its flags and name taken from the record's
    /// own bytes (see `records::central_name`).
    fn read<R: Read + Seek>(
        zip: &ZipArchive<R>,
        data: &[u8],
        index: usize,
        source: Source,
    ) -> Result<Entry> {
        let record = zip.by_index_data(index).map_err(zip_error)?;
        let (flags, raw) = central_name(data, record.central_header_start())
            .ok_or_else(|| ExtractError::corrupt(FORMAT, "directory record out of reach"))?;
        // Without the UTF-8 flag a name is read as Latin-1, which agrees
        // with UTF-8 on ASCII names: those are copied whole, not a char at a time.
        let name = if flags & FLAG_UTF8 != 0 || raw.is_ascii() {
            String::from_utf8_lossy(raw).into_owned()
        } else {
            raw.iter().map(|&b| b as char).collect()
        };
        #[allow(deprecated)] // the number, for the reports; there is no other accessor
        let method = record.compression().to_u16();
        Ok(Entry {
            name,
            flags,
            method,
            compressed: record.compressed_size(),
            size: record.size(),
            crc: record.crc32(),
            source,
        })
    }

    /// A record the crate could not read on its own: kept under its stored
    /// name, so reading it reports why instead of the member vanishing.
    fn unreadable(data: &[u8], start: u64, len: u64, prefix: u64) -> Entry {
        let (flags, raw) = central_name(data, start).unwrap_or((0, b"?"));
        Entry {
            name: String::from_utf8_lossy(raw).into_owned(),
            flags,
            method: 0,
            compressed: 0,
            size: 0,
            crc: 0,
            source: Source::Hidden { start, len, prefix },
        }
    }
}

/// The `zip` crate's error as this crate reports it. Reading errors keep
/// their words ("Invalid checksum", as before).
pub(crate) fn zip_error(e: ZipError) -> ExtractError {
    match e {
        ZipError::Io(io) => ExtractError::Io(io),
        ZipError::InvalidArchive(why) => ExtractError::corrupt(FORMAT, why),
        ZipError::CompressionMethodNotSupported(m) => {
            ExtractError::Unsupported(format!("member compression method {m} is not supported"))
        }
        ZipError::UnsupportedArchive(why) => ExtractError::Unsupported(format!("zip: {why}")),
        other => ExtractError::corrupt(FORMAT, other.to_string()),
    }
}

/// An opened archive: the crate's view of it, its entries in directory
/// order, and the inflate state all its deflate members share.
pub struct Archive<'a> {
    pub entries: Vec<Entry>,
    data: &'a [u8],
    zip: ZipArchive<Cursor<&'a [u8]>>,
    /// Raw-deflate states, made on first use and reused per member (zlib-rs
    /// state and window are ~40 KB to allocate and set up; a small member
    /// costs less than that to inflate).
    inflaters: Inflaters,
}

impl<'a> Archive<'a> {
    /// Reads the directory, refusing more than the entry cap before the
    /// crate reads a record (and again on what it read: it may have
    /// settled on another end record than the last).
    pub fn open(data: &'a [u8], budget: &Budget) -> Result<Archive<'a>> {
        let max = budget.limits.max_entries;
        let too_many = || ExtractError::Entries { limit: max };
        let end = end_record(data);
        if end.as_ref().is_some_and(|e| e.entries > max as u64) {
            return Err(too_many());
        }
        let zip = ZipArchive::new(Cursor::new(data)).map_err(|e| match e {
            ZipError::Io(io) => ExtractError::corrupt(FORMAT, io.to_string()),
            e => zip_error(e),
        })?;
        if zip.len() > max {
            return Err(too_many());
        }
        // The records as stored, to check the crate's view against: it
        // shows one entry per name, and as many as the end record claims
        // (none at all when it claims none: then where the end record
        // says the directory is).
        let (start, prefix) = match end {
            Some(EndRecord {
                directory: Some(d),
                prefix,
                ..
            }) if zip.is_empty() => (d, prefix),
            _ => (zip.central_directory_start(), zip.offset()),
        };
        let records = central_records(data, start, max).map_err(|()| too_many())?;
        let entries = if zip.has_duplicate_names() || records.len() != zip.len() {
            every_record(&zip, data, records, prefix, budget)?
        } else {
            (0..zip.len())
                .map(|i| Entry::read(&zip, data, i, Source::Index(i)))
                .collect::<Result<_>>()?
        };
        Ok(Archive {
            entries,
            data,
            zip,
            inflaters: Inflaters::default(),
        })
    }

    /// Index of the first entry called `name`.
    pub fn find(&self, name: &str) -> Option<usize> {
        self.entries.iter().position(|e| e.name == name)
    }

    /// Decodes entry `i` within the budget: refused up front when its
    /// declared sizes break the ratio cap or the remaining budget, and cut
    /// off while decoding when the real data does.
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
        match e.source {
            Source::Index(index) => {
                let m = member::Member {
                    index,
                    entry: e,
                    cap,
                };
                member::read(
                    &mut self.zip,
                    self.data,
                    &m,
                    &mut self.inflaters,
                    budget,
                    out,
                )
            }
            Source::Hidden { start, len, prefix } => {
                let mut one = OneRecord::open(self.data, start, len, prefix)
                    .ok_or_else(|| ExtractError::corrupt(FORMAT, "directory record out of reach"))?
                    .map_err(zip_error)?;
                let m = member::Member {
                    index: 0,
                    entry: e,
                    cap,
                };
                member::read(&mut one, self.data, &m, &mut self.inflaters, budget, out)
            }
        }
    }
}

/// Every central-directory record (`records`, as walked from the bytes),
/// in directory order, for an archive the crate shows only part of: two
/// records share a name (it keeps one per name), or the end record claims
/// fewer entries than the directory holds (it reads as many as claimed,
/// where `unzip`-like readers walk the directory). The crate's own entry
/// where it shows that record; the record read on its own where it does
/// not (`hidden.rs`).
fn every_record<R: Read + Seek>(
    zip: &ZipArchive<R>,
    data: &[u8],
    records: Vec<(u64, u64)>,
    prefix: u64,
    budget: &Budget,
) -> Result<Vec<Entry>> {
    let max = budget.limits.max_entries;
    let shown: std::collections::HashMap<u64, usize> = (0..zip.len())
        .filter_map(|i| Some((zip.by_index_data(i).ok()?.central_header_start(), i)))
        .collect();
    let mut listed = vec![false; zip.len()];
    let mut entries = Vec::with_capacity(records.len());
    for (start, len) in records {
        if let Some(&i) = shown.get(&start) {
            entries.push(Entry::read(zip, data, i, Source::Index(i))?);
            if let Some(l) = listed.get_mut(i) {
                *l = true;
            }
            continue;
        }
        // Each costs a parse of its own: thousands of one name must not
        // run past the message's time.
        if budget.out_of_time() {
            return Err(ExtractError::Time);
        }
        let source = Source::Hidden { start, len, prefix };
        let entry = match OneRecord::open(data, start, len, prefix) {
            Some(Ok(one)) => Entry::read(&one, data, 0, source).ok(),
            _ => None,
        };
        entries.push(entry.unwrap_or_else(|| Entry::unreadable(data, start, len, prefix)));
    }
    // Whatever the walk did not reach is still the crate's to read.
    for (i, _) in listed.iter().enumerate().filter(|(_, l)| !**l) {
        entries.push(Entry::read(zip, data, i, Source::Index(i))?);
    }
    if entries.len() > max {
        return Err(ExtractError::Entries { limit: max });
    }
    Ok(entries)
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
    let mut archive = match Archive::open(data, budget) {
        Ok(archive) => archive,
        Err(ExtractError::Corrupt { .. }) if records::masked_directory(data) => {
            // PKWARE strong encryption of the directory itself: nothing
            // can be listed, and nothing is readable without the key.
            if let Some(f) = out.files.get_mut(file_index) {
                f.encrypted = Some("zip-strong".to_string());
            }
            return Ok(());
        }
        Err(err) => return Err(err),
    };
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
pub(crate) mod tests;
