//! The web console: pages served by `dlp-milter console` beside the milter,
//! on the same quarantine store. Stage 8 of the flow, on top of the
//! quarantine service; nothing here runs on the milter's path.
//!
//! - [`selfservice`]: the sender's page behind the link in a hold notice
//!   (`/s/{token}`), no account needed.

pub mod selfservice;
