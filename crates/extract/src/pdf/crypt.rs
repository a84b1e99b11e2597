//! The PDF standard security handler (ISO 32000-1 §7.6.3, ISO 32000-2 for
//! AES-256): names the encryption from /Filter /V /R /Length /CF, and checks
//! whether the file opens with an EMPTY user password. Such a file (an owner
//! or "permissions" password only) opens for anyone and its text extracts, so
//! it is not protected: it is decrypted here and scanned like any other PDF.

use super::object::{get, Dict, Obj};
use crate::codec::rc4;
use aes::cipher::{block_padding::NoPadding, BlockDecryptMut, BlockEncryptMut, KeyIvInit};
use md5::{Digest, Md5};
use sha2::{Sha256, Sha384, Sha512};

const PAD: [u8; 32] = [
    0x28, 0xBF, 0x4E, 0x5E, 0x4E, 0x75, 0x8A, 0x41, 0x64, 0x00, 0x4E, 0x56, 0xFF, 0xFA, 0x01, 0x08,
    0x2E, 0x2E, 0x00, 0xB6, 0xD0, 0x68, 0x3E, 0x80, 0x2F, 0x0C, 0xA9, 0xFE, 0x64, 0x53, 0x69, 0x7A,
];

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Method {
    None,
    Rc4,
    Aes128,
    Aes256,
}

/// What the /Encrypt dictionary says, and the file key when the empty user
/// password opens the file.
#[derive(Debug, Clone)]
pub struct Security {
    /// `pdf-rc4-40`, `pdf-rc4-128`, `pdf-aes-128`, `pdf-aes-256`, `pdf-pubsec`, ...
    pub kind: String,
    pub method: Method,
    /// Set when the empty user password opens the file.
    pub key: Option<Vec<u8>>,
}

fn aes_cbc_decrypt(key: &[u8], iv: &[u8], data: &[u8]) -> Option<Vec<u8>> {
    let len = data.len() / 16 * 16;
    let mut buf = data.get(..len)?.to_vec();
    match key.len() {
        16 => {
            cbc::Decryptor::<aes::Aes128>::new_from_slices(key, iv)
                .ok()?
                .decrypt_padded_mut::<NoPadding>(&mut buf)
                .ok()?;
        }
        32 => {
            cbc::Decryptor::<aes::Aes256>::new_from_slices(key, iv)
                .ok()?
                .decrypt_padded_mut::<NoPadding>(&mut buf)
                .ok()?;
        }
        _ => return None,
    }
    Some(buf)
}

fn aes128_cbc_encrypt(key: &[u8], iv: &[u8], data: &[u8]) -> Option<Vec<u8>> {
    let mut buf = data.to_vec();
    let len = buf.len();
    cbc::Encryptor::<aes::Aes128>::new_from_slices(key, iv)
        .ok()?
        .encrypt_padded_mut::<NoPadding>(&mut buf, len)
        .ok()?;
    Some(buf)
}

/// ISO 32000-2 algorithm 2.B (revision 6 password hash).
fn hash_2b(password: &[u8], salt: &[u8], udata: &[u8]) -> Option<Vec<u8>> {
    let mut k: Vec<u8> = Sha256::new()
        .chain_update(password)
        .chain_update(salt)
        .chain_update(udata)
        .finalize()
        .to_vec();
    let mut i = 0u32;
    loop {
        let mut block = Vec::with_capacity(password.len() + k.len() + udata.len());
        block.extend_from_slice(password);
        block.extend_from_slice(&k);
        block.extend_from_slice(udata);
        let k1 = block.repeat(64);
        let e = aes128_cbc_encrypt(k.get(..16)?, k.get(16..32)?, &k1)?;
        let sum: u32 = e.get(..16)?.iter().map(|&b| u32::from(b)).sum();
        k = match sum % 3 {
            0 => Sha256::digest(&e).to_vec(),
            1 => Sha384::digest(&e).to_vec(),
            _ => Sha512::digest(&e).to_vec(),
        };
        i += 1;
        let last = u32::from(*e.last()?);
        if i >= 64 && last + 32 <= i {
            break;
        }
        if i > 10_000 {
            return None;
        }
    }
    k.truncate(32);
    Some(k)
}

fn bytes(d: &Dict, key: &[u8]) -> Vec<u8> {
    get(d, key)
        .and_then(Obj::as_str)
        .unwrap_or_default()
        .to_vec()
}

/// Reads an /Encrypt dictionary; `id0` is the first string of the trailer /ID.
pub fn security(enc: &Dict, id0: &[u8]) -> Security {
    let filter = get(enc, b"Filter")
        .and_then(Obj::as_name)
        .unwrap_or(b"Standard");
    let v = get(enc, b"V").and_then(Obj::as_int).unwrap_or(0);
    let r = get(enc, b"R").and_then(Obj::as_int).unwrap_or(2);
    let length = get(enc, b"Length").and_then(Obj::as_int).unwrap_or(40);
    // Crypt filter method for streams (V4/V5).
    let cfm = get(enc, b"StmF").and_then(Obj::as_name).and_then(|stmf| {
        get(enc, b"CF")
            .and_then(Obj::as_dict)
            .and_then(|cf| get(cf, stmf))
            .and_then(Obj::as_dict)
            .and_then(|f| get(f, b"CFM"))
            .and_then(Obj::as_name)
            .map(<[u8]>::to_vec)
    });
    let (method, kind) = match (v, cfm.as_deref()) {
        (5 | 6, _) | (_, Some(b"AESV3")) => (Method::Aes256, "pdf-aes-256".to_string()),
        (4, Some(b"AESV2")) => (Method::Aes128, "pdf-aes-128".to_string()),
        (4, Some(b"None")) => (Method::None, "pdf-identity".to_string()),
        (4, _) => (Method::Rc4, "pdf-rc4-128".to_string()),
        (2 | 3, _) => (Method::Rc4, format!("pdf-rc4-{length}")),
        _ => (Method::Rc4, "pdf-rc4-40".to_string()),
    };
    if filter != b"Standard" {
        return Security {
            kind: format!(
                "pdf-{}",
                String::from_utf8_lossy(filter).to_ascii_lowercase()
            ),
            method,
            key: None,
        };
    }
    let o = bytes(enc, b"O");
    let u = bytes(enc, b"U");
    let key = match r {
        2..=4 => {
            let p = get(enc, b"P").and_then(Obj::as_int).unwrap_or(0) as i32;
            let encrypt_metadata = !matches!(get(enc, b"EncryptMetadata"), Some(Obj::Bool(false)));
            let n = if r == 2 {
                5
            } else {
                usize::try_from(length / 8).unwrap_or(5).clamp(5, 16)
            };
            let mut h = Md5::new();
            h.update(PAD);
            h.update(o.get(..32).unwrap_or(&o));
            h.update(p.to_le_bytes());
            h.update(id0);
            if r >= 4 && !encrypt_metadata {
                h.update([0xFF; 4]);
            }
            let mut key = h.finalize().to_vec();
            if r >= 3 {
                for _ in 0..50 {
                    key = Md5::digest(key.get(..n).unwrap_or(&key)).to_vec();
                }
            }
            key.truncate(n);
            let ok = if r == 2 {
                u.get(..32) == Some(&rc4(&key, &PAD)[..])
            } else {
                let mut x = rc4(
                    &key,
                    &Md5::new().chain_update(PAD).chain_update(id0).finalize(),
                );
                for i in 1..=19u8 {
                    let k: Vec<u8> = key.iter().map(|b| b ^ i).collect();
                    x = rc4(&k, &x);
                }
                u.get(..16) == x.get(..16)
            };
            ok.then_some(key)
        }
        5 | 6 => {
            let ue = bytes(enc, b"UE");
            let (check, kdf): (Option<Vec<u8>>, Option<Vec<u8>>) =
                match (u.get(32..40), u.get(40..48)) {
                    (Some(vsalt), Some(ksalt)) if r == 5 => (
                        Some(Sha256::new().chain_update(vsalt).finalize().to_vec()),
                        Some(Sha256::new().chain_update(ksalt).finalize().to_vec()),
                    ),
                    (Some(vsalt), Some(ksalt)) => {
                        (hash_2b(b"", vsalt, b""), hash_2b(b"", ksalt, b""))
                    }
                    _ => (None, None),
                };
            match (check, kdf) {
                (Some(c), Some(k)) if u.get(..32) == Some(&c[..]) => {
                    aes_cbc_decrypt(&k, &[0u8; 16], ue.get(..32).unwrap_or_default())
                        .filter(|key| key.len() == 32)
                }
                _ => None,
            }
        }
        _ => None,
    };
    Security { kind, method, key }
}

impl Security {
    /// Decrypts one stream of object `num gen`.
    pub fn decrypt(&self, num: u32, gen: u16, data: &[u8]) -> Option<Vec<u8>> {
        let key = self.key.as_ref()?;
        let object_key = |salt: &[u8]| -> Vec<u8> {
            let mut h = Md5::new();
            h.update(key);
            h.update(&num.to_le_bytes()[..3]);
            h.update(gen.to_le_bytes());
            h.update(salt);
            let mut k = h.finalize().to_vec();
            k.truncate((key.len() + 5).min(16));
            k
        };
        match self.method {
            Method::None => Some(data.to_vec()),
            Method::Rc4 => Some(rc4(&object_key(b""), data)),
            Method::Aes128 | Method::Aes256 => {
                let k = if self.method == Method::Aes128 {
                    object_key(b"sAlT")
                } else {
                    key.clone()
                };
                let iv = data.get(..16)?;
                let mut plain = aes_cbc_decrypt(&k, iv, data.get(16..)?)?;
                // PKCS#7 padding, tolerated when missing.
                if let Some(&p) = plain.last() {
                    if (1..=16).contains(&p) && plain.len() >= usize::from(p) {
                        plain.truncate(plain.len() - usize::from(p));
                    }
                }
                Some(plain)
            }
        }
    }
}
