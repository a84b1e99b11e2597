//! Members the `zip` crate's index does not show. It keys entries by name:
//! when two central-directory records share one, it keeps the last
//! record's data under the first one's index and the others are gone from
//! its view. An attacker's second `a.csv` must still be scanned, so each such
//! record is read by the crate on its own: it is given the archive's bytes
//! followed by a made-up end-of-central-directory record pointing at that
//! one record, and reads it as a one-entry archive (same parsing, same
//! decoders, as every other member).

use std::io::{Read, Seek, SeekFrom};
use zip::read::{ArchiveOffset, Config};
use zip::result::ZipResult;
use zip::ZipArchive;

/// Length of the made-up end record (no comment).
const END_LEN: usize = 22;

/// The archive's bytes, then an end-of-central-directory record for one
/// central-directory record in them; a `Read + Seek` over the two.
pub struct OneRecord<'a> {
    data: &'a [u8],
    end: [u8; END_LEN],
    pos: u64,
}

impl<'a> OneRecord<'a> {
    /// The crate's view of the record at `start`, `len` bytes long, in an
    /// archive whose first `offset` bytes are not its own (as the crate
    /// found for the whole archive). `None` when the record does not fit
    /// a 32-bit end record (beyond 4 GiB: never an attachment).
    pub fn open(
        data: &'a [u8],
        start: u64,
        len: u64,
        offset: u64,
    ) -> Option<ZipResult<ZipArchive<Self>>> {
        let relative = u32::try_from(start.checked_sub(offset)?).ok()?;
        let len = u32::try_from(len).ok()?;
        let mut end = [0u8; END_LEN];
        end[..4].copy_from_slice(b"PK\x05\x06");
        // disk numbers 0; one entry on this disk and in all
        end[8..10].copy_from_slice(&1u16.to_le_bytes());
        end[10..12].copy_from_slice(&1u16.to_le_bytes());
        end[12..16].copy_from_slice(&len.to_le_bytes());
        end[16..20].copy_from_slice(&relative.to_le_bytes());
        let view = OneRecord { data, end, pos: 0 };
        let config = Config {
            archive_offset: ArchiveOffset::Known(offset),
        };
        Some(ZipArchive::with_config(config, view))
    }

    fn len(&self) -> u64 {
        (self.data.len() + END_LEN) as u64
    }
}

impl Read for OneRecord<'_> {
    fn read(&mut self, buf: &mut [u8]) -> std::io::Result<usize> {
        let at = usize::try_from(self.pos).unwrap_or(usize::MAX);
        let from: &[u8] = match at.checked_sub(self.data.len()) {
            None => self.data.get(at..).unwrap_or_default(),
            Some(in_end) => self.end.get(in_end..).unwrap_or_default(),
        };
        let n = from.len().min(buf.len());
        buf[..n].copy_from_slice(&from[..n]);
        self.pos += n as u64;
        Ok(n)
    }
}

impl Seek for OneRecord<'_> {
    fn seek(&mut self, to: SeekFrom) -> std::io::Result<u64> {
        let pos = match to {
            SeekFrom::Start(p) => Some(p),
            SeekFrom::End(d) => self.len().checked_add_signed(d),
            SeekFrom::Current(d) => self.pos.checked_add_signed(d),
        };
        self.pos = pos.ok_or_else(|| {
            std::io::Error::new(std::io::ErrorKind::InvalidInput, "seek before the start")
        })?;
        Ok(self.pos)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_span_the_archive_and_the_made_up_end() {
        let data = b"0123456789";
        let mut v = OneRecord {
            data,
            end: [7; END_LEN],
            pos: 0,
        };
        assert_eq!(v.seek(SeekFrom::End(-24)).unwrap(), 8);
        let mut buf = [0u8; 5];
        v.read_exact(&mut buf[..2]).unwrap();
        assert_eq!(&buf[..2], b"89");
        v.read_exact(&mut buf).unwrap();
        assert_eq!(buf, [7; 5]);
        let mut rest = Vec::new();
        v.read_to_end(&mut rest).unwrap();
        assert_eq!(rest.len(), END_LEN - 5);
        assert!(v.seek(SeekFrom::Current(-100)).is_err());
        // Past the end reads nothing, as a file does.
        v.seek(SeekFrom::Start(1000)).unwrap();
        assert_eq!(v.read(&mut buf).unwrap(), 0);
    }

    #[test]
    fn records_past_4_gib_or_before_the_archive_are_not_offered() {
        assert!(OneRecord::open(b"", 1 << 33, 46, 0).is_none());
        assert!(OneRecord::open(b"", 10, 46, 20).is_none());
    }
}
