//! Character sets and the stream cipher several formats share, in one place
//! so that no format module borrows them from another (the OLE reader used to
//! take RC4 and Windows-1252 from the PDF reader). Each is a thin layer over
//! a maintained crate: `encoding_rs` for Windows-1252 and UTF-16, `rc4` for
//! RC4.

mod charset;
mod rc4;

pub(crate) use self::rc4::rc4;
pub(crate) use charset::{cp1252_char, decode_cp1252, utf16be_lossy, utf16le_lossy};
