//! dlp-milter: an outbound-email data-loss-prevention milter.
//!
//! The modules follow the data flow:
//! milter session → [`message`] (MIME parts, text) and [`extract`]
//! (attachments) → [`detect`] (findings) → [`policy`] (decision) →
//! [`action`] (rewrite / hold) → [`quarantine`] + [`audit`] → [`notice`].
//! [`scan::Engine`] is the synchronous core shared by the `scan` command and
//! the milter.
#![forbid(unsafe_code)]

pub mod action;
pub mod audit;
pub mod config;
pub mod detect;
pub mod extract;
pub mod message;
pub mod milter;
pub mod notice;
pub mod policy;
pub mod quarantine;
pub mod report;
pub mod scan;
