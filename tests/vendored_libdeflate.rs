//! The vendored libdeflate (vendor/README.md) against zlib-rs, through
//! `flate2`: the patch changes how libdeflate builds its decode tables, so
//! every kind of code a stream can carry is decoded both ways and must agree.
//! Streams come from both compressors at every level (stored, static and
//! dynamic blocks; one-symbol, two-symbol, text and full-byte alphabets;
//! literal/length and distance code counts of every residue mod 8), and
//! from random corruptions of them (overfull, incomplete and nonsense
//! codes), where the two decoders must reject and accept the same streams.

use rand::{rngs::StdRng, Rng, SeedableRng};
use std::io::{Read, Write};

/// Data of `len` bytes from one of several alphabets, with repeats, so the
/// compressors emit codes of many shapes.
fn sample(rng: &mut StdRng, len: usize) -> Vec<u8> {
    let kind = rng.gen_range(0..6);
    let alphabet: Vec<u8> = match kind {
        0 => vec![rng.gen()],
        1 => vec![b'a', b'b'],
        2 => b"etaoin shrdlu,.0123456789\n".to_vec(),
        3 => (0..=255).collect(),
        4 => (0..rng.gen_range(3..40)).map(|_| rng.gen()).collect(),
        _ => b"Name,Date of birth,UPN\nAmira Khan,04/02/2010,P801200216001\n".to_vec(),
    };
    let mut out = Vec::with_capacity(len);
    while out.len() < len {
        if out.len() > 8 && rng.gen_bool(0.2) {
            // A repeat: matches of every length and distance.
            let start = rng.gen_range(0..out.len());
            let n = rng.gen_range(1..300).min(len - out.len());
            for k in 0..n {
                let b = out[start + k % (out.len() - start)];
                out.push(b);
            }
        } else {
            out.push(alphabet[rng.gen_range(0..alphabet.len())]);
        }
    }
    out
}

fn zlib_rs_compress(data: &[u8], level: u32) -> Vec<u8> {
    let mut e = flate2::write::DeflateEncoder::new(Vec::new(), flate2::Compression::new(level));
    e.write_all(data).unwrap();
    e.finish().unwrap()
}

/// zlib-rs's verdict on a raw stream: its output, or None when it rejects
/// the stream (or it inflates past `max`).
fn zlib_rs_inflate(z: &[u8], max: usize) -> Option<Vec<u8>> {
    let mut out = Vec::new();
    flate2::read::DeflateDecoder::new(z)
        .take(max as u64 + 1)
        .read_to_end(&mut out)
        .ok()?;
    (out.len() <= max).then_some(out)
}

/// libdeflate's verdict, with `room` bytes of output space.
fn libdeflate_inflate(d: &mut libdeflater::Decompressor, z: &[u8], room: usize) -> Option<Vec<u8>> {
    let mut out = vec![0u8; room];
    let n = d.deflate_decompress(z, &mut out).ok()?;
    out.truncate(n);
    Some(out)
}

#[test]
fn valid_streams_of_every_shape_decode_as_zlib_decodes_them() {
    let mut rng = StdRng::seed_from_u64(0x5EED_DEF1);
    let mut d = libdeflater::Decompressor::new();
    for case in 0..3000 {
        let len = if case % 4 == 0 {
            rng.gen_range(0..20_000)
        } else {
            rng.gen_range(0..1500)
        };
        let data = sample(&mut rng, len);
        let z = if rng.gen_bool(0.5) {
            zlib_rs_compress(&data, rng.gen_range(0..=9))
        } else {
            let level = libdeflater::CompressionLvl::new(rng.gen_range(0..=12)).unwrap();
            let mut c = libdeflater::Compressor::new(level);
            let mut z = vec![0u8; c.deflate_compress_bound(data.len())];
            let n = c.deflate_compress(&data, &mut z).unwrap();
            z.truncate(n);
            assert_eq!(zlib_rs_inflate(&z, data.len()).as_deref(), Some(&data[..]));
            z
        };
        // Exact room (the slow loop to the end) and slack (the fast loop).
        for room in [data.len(), data.len() + 320] {
            let got = libdeflate_inflate(&mut d, &z, room);
            assert_eq!(got.as_deref(), Some(&data[..]), "case {case}, room {room}");
        }
    }
}

/// SHA-256 of stock libdeflate 1.26.1's verdicts on the corrupted streams of
/// [`corrupted_streams_get_stock_libdeflates_verdicts`], recorded with the
/// `[patch.crates-io]` entry removed from Cargo.toml (the crates.io build).
const STOCK_VERDICTS: &str = "9517a9929d1cf76c7df778c2eba4e8de6452b3116162bd0f97b5c6d5729cfea6";

/// 20,000 streams from the vendored compressor (pinned with the decoder, so
/// the streams do not change under a dependency update), each with one to
/// three bits flipped, most often in the block header where the code
/// lengths are: overfull, incomplete, empty and nonsense codes. The
/// patched decoder must accept and reject exactly the streams stock
/// libdeflate does, with the same output. (zlib-rs is no reference here:
/// the two decoders legitimately differ on some corrupt streams.)
#[test]
fn corrupted_streams_get_stock_libdeflates_verdicts() {
    use sha2::{Digest, Sha256};
    let mut rng = StdRng::seed_from_u64(0xBAD_C0DE);
    let mut d = libdeflater::Decompressor::new();
    let mut digest = Sha256::new();
    let (mut accepted, mut rejected) = (0, 0);
    for _ in 0..20_000 {
        let len = rng.gen_range(1..800);
        let data = sample(&mut rng, len);
        let level = libdeflater::CompressionLvl::new(rng.gen_range(1..=12)).unwrap();
        let mut c = libdeflater::Compressor::new(level);
        let mut z = vec![0u8; c.deflate_compress_bound(data.len())];
        let n = c.deflate_compress(&data, &mut z).unwrap();
        z.truncate(n);
        for _ in 0..rng.gen_range(1..=3) {
            let at = if rng.gen_bool(0.7) {
                rng.gen_range(0..z.len().min(40))
            } else {
                rng.gen_range(0..z.len())
            };
            z[at] ^= 1 << rng.gen_range(0..8);
        }
        match libdeflate_inflate(&mut d, &z, 4096) {
            Some(out) => {
                digest.update([1]);
                digest.update((out.len() as u32).to_le_bytes());
                digest.update(&out);
                accepted += 1;
            }
            None => {
                digest.update([0]);
                rejected += 1;
            }
        }
    }
    // Both outcomes were exercised many times.
    assert!(
        accepted > 1000 && rejected > 1000,
        "{accepted} accepted, {rejected} rejected"
    );
    assert_eq!(hex::encode(digest.finalize()), STOCK_VERDICTS);
}
