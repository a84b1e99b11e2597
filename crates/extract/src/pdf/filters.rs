//! The PDF stream filters beyond Flate and the ASCII ones: LZW (Acrobat
//! 2-4 era files, still produced by some scanners and old converters) and
//! RunLength. Without them such a file's content streams could not be
//! read; it would be reported as could not be checked rather than read.
//! Both decode through the bounded reader, so their output is charged to
//! the message like an inflated stream's.

use crate::error::Result;
use crate::inflate::{ratio_cap, read_bounded};
use crate::Budget;
use std::io::Read;

/// LZW as PDF writes it (ISO 32000-1 §7.4.4): MSB-first codes from 9 bits,
/// with the code width switching one code early unless `/EarlyChange 0`.
pub fn lzw(data: &[u8], early_change: bool, budget: &mut Budget) -> Result<Vec<u8>> {
    let decoder = if early_change {
        weezl::decode::Decoder::with_tiff_size_switch(weezl::BitOrder::Msb, 8)
    } else {
        weezl::decode::Decoder::new(weezl::BitOrder::Msb, 8)
    };
    let cap = ratio_cap(data.len() as u64, budget);
    read_bounded(
        LzwReader {
            decoder,
            input: data,
            done: false,
        },
        cap,
        budget,
    )
}

/// weezl's buffer-to-buffer decoder as a [`Read`], for the bounded reader.
struct LzwReader<'a> {
    decoder: weezl::decode::Decoder,
    input: &'a [u8],
    done: bool,
}

impl Read for LzwReader<'_> {
    fn read(&mut self, buf: &mut [u8]) -> std::io::Result<usize> {
        // A call may consume input (a clear code) without output; 0 would
        // read as the end, so decode until something comes out or it ends.
        while !self.done && !buf.is_empty() {
            let r = self.decoder.decode_bytes(self.input, buf);
            self.input = self.input.get(r.consumed_in..).unwrap_or_default();
            match r.status {
                Ok(weezl::LzwStatus::Done) => self.done = true,
                // Input used up without an end-of-data code: many writers
                // leave it out; what was decoded is the stream.
                Ok(weezl::LzwStatus::NoProgress) => self.done = true,
                Ok(weezl::LzwStatus::Ok) => {
                    if r.consumed_in == 0 && r.consumed_out == 0 {
                        self.done = true;
                    }
                }
                Err(e) => {
                    if r.consumed_out == 0 {
                        return Err(std::io::Error::new(std::io::ErrorKind::InvalidData, e));
                    }
                    self.done = true;
                }
            }
            if r.consumed_out > 0 {
                return Ok(r.consumed_out);
            }
        }
        Ok(0)
    }
}

/// RunLength (§7.4.5): a length byte `n` copies the next `n + 1` bytes
/// (`n` < 128) or repeats the next byte `257 - n` times (`n` > 128); 128
/// ends the data.
pub fn run_length(data: &[u8], budget: &mut Budget) -> Result<Vec<u8>> {
    let cap = ratio_cap(data.len() as u64, budget);
    read_bounded(
        RunLengthReader {
            input: data,
            run: (0, 0),
            literal: &[],
        },
        cap,
        budget,
    )
}

struct RunLengthReader<'a> {
    input: &'a [u8],
    /// A repeat being written out: (byte, times left).
    run: (u8, usize),
    /// Literal bytes still to copy.
    literal: &'a [u8],
}

impl Read for RunLengthReader<'_> {
    fn read(&mut self, buf: &mut [u8]) -> std::io::Result<usize> {
        let mut n = 0;
        while n < buf.len() {
            let room = buf.get_mut(n..).unwrap_or_default();
            if !self.literal.is_empty() {
                let k = self.literal.len().min(room.len());
                let (now, later) = self.literal.split_at(k);
                if let Some(dst) = room.get_mut(..k) {
                    dst.copy_from_slice(now);
                }
                self.literal = later;
                n += k;
                continue;
            }
            if self.run.1 > 0 {
                let k = self.run.1.min(room.len());
                if let Some(dst) = room.get_mut(..k) {
                    dst.fill(self.run.0);
                }
                self.run.1 -= k;
                n += k;
                continue;
            }
            let Some((&len, rest)) = self.input.split_first() else {
                break;
            };
            match len {
                128 => {
                    self.input = &[];
                    break;
                }
                0..=127 => {
                    let k = (usize::from(len) + 1).min(rest.len());
                    let (lit, after) = rest.split_at(k);
                    self.literal = lit;
                    self.input = after;
                }
                _ => {
                    let Some((&b, after)) = rest.split_first() else {
                        self.input = &[];
                        break;
                    };
                    self.run = (b, 257 - usize::from(len));
                    self.input = after;
                }
            }
        }
        Ok(n)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::Limits;

    #[test]
    fn run_length_literals_repeats_and_end() {
        let mut b = Budget::new(Limits::default());
        // "AB", then 'x' four times (257 - 253), then end; bytes after it ignored.
        let out = run_length(&[1, b'A', b'B', 253, b'x', 128, 0, b'z'], &mut b).unwrap();
        assert_eq!(out, b"ABxxxx");
        // A truncated literal keeps what is there.
        assert_eq!(run_length(&[5, b'q'], &mut b).unwrap(), b"q");
    }

    /// RunLength expands at most 64:1 (two bytes for 128), inside the
    /// ratio cap; what it produces is charged to the message like inflated
    /// bytes, so the message budget stops a large one.
    #[test]
    fn run_length_output_is_charged() {
        let mut b = Budget::new(Limits {
            max_decompressed_bytes: 1 << 20,
            ..Limits::default()
        });
        let big: Vec<u8> = [129u8, b'A'].repeat(4096);
        assert_eq!(
            run_length(&big, &mut b).map(|o| o.len()).ok(),
            Some(4096 * 128)
        );
        assert_eq!(b.decompressed, 4096 * 128);
        let again = run_length(&[&big[..], &big[..]].concat(), &mut b);
        assert!(again.is_err_and(|e| e.is_budget()));
    }

    #[test]
    fn lzw_round_trip_with_and_without_early_change() {
        let text = b"BT /F1 12 Tf 72 700 Td (NI number JT 48 22 91 B) Tj ET".repeat(20);
        for early in [true, false] {
            let mut enc = if early {
                weezl::encode::Encoder::with_tiff_size_switch(weezl::BitOrder::Msb, 8)
            } else {
                weezl::encode::Encoder::new(weezl::BitOrder::Msb, 8)
            };
            let z = enc.encode(&text).unwrap();
            let mut b = Budget::new(Limits::default());
            assert_eq!(lzw(&z, early, &mut b).unwrap(), text, "{early}");
            // Without its end-of-data code, what was decoded is kept.
            let cut = z.get(..z.len() - 2).unwrap();
            let part = lzw(cut, early, &mut b).unwrap();
            assert!(text.starts_with(&part) && part.len() > text.len() / 2);
        }
    }
}
