//! dlp-extract: attachments, bytes → text the detectors can read, and whether the file is
//! encrypted, decided from the bytes (never from the name or the sender's word).
//!
//! Stage 2b of the flow. Every extractor works within a shared [`Budget`]
//! (decompressed bytes, entries, nesting depth, time), so a zip bomb or a
//! pathological document costs a bounded amount and is reported, not crashed on.
//!
//! Layout, in the order a file's bytes take:
//! - `dispatch`: sniff the type, apply the depth and file caps, call the one
//!   format module for it; containers call back for their members;
//! - `budget`: the caps and what is spent of them; `report`: the texts,
//!   files and not-scanned reasons handed back;
//! - `decode`: plain text of unknown encoding; `mail`: forwarded messages;
//! - format modules: `zipfile` (+ `inflate`), `gzip`, `sevenz`, `rar`,
//!   `tnef` (Outlook's winmail.dat),
//!   `ooxml`/`odf` (+ `xml_text` over `xml_tokenizer`), `ole`, `pdf`, `rtf`,
//!   `table` (CSV and the table rendering every format shares);
//! - `html`: HTML to text (HTML attachments, and the application's HTML bodies).
//!
//! The crate depends on nothing else in dlp-milter, so the compiler keeps
//! the arrows honest and fuzz targets link only the parsers they test. The
//! one thing it does not parse itself is a forwarded message's MIME: the
//! application hands a [`MailReader`] in through the [`Budget`].

#![forbid(unsafe_code)]

mod budget;
pub mod bytes;
mod codec;
mod dates;
mod decode;
mod dispatch;
mod error;
mod gzip;
pub mod html;
mod inflate;
mod mail;
mod odf;
mod ole;
mod ooxml;
mod pdf;
mod rar;
mod report;
mod rtf;
mod sevenz;
mod sniff;
mod table;
pub mod table_line;
mod tnef;
mod xml_text;
mod xml_tokenizer;
mod zipfile;

pub use budget::{Budget, Limits, MailReader, NestedAttachment, NestedMail, MESSAGE_FILES_FACTOR};
pub use decode::decode_text;
pub(crate) use decode::decode_text_cow;
pub(crate) use dispatch::inner_path;
pub use dispatch::{extract, extract_as, extract_into};
pub use error::ExtractError;
pub use html::html_to_text;
pub(crate) use report::push_text;
pub use report::{ExtractedText, Extraction, FileReport, NotScanned, TextKind, MAX_REPORTED};
pub use sniff::{sniff, FileKind};
