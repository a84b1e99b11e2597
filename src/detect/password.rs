//! Inline passwords written in prose, above all the password of an attached
//! encrypted file.

use super::{Detector, Finding, MessageContext, TextUnit};

pub struct PasswordDetector {}

impl PasswordDetector {
    pub fn new() -> Self {
        PasswordDetector {}
    }
}

impl Default for PasswordDetector {
    fn default() -> Self {
        Self::new()
    }
}

impl Detector for PasswordDetector {
    fn ids(&self) -> &'static [&'static str] {
        &["password"]
    }

    fn scan(&self, _unit: &TextUnit<'_>, _ctx: &MessageContext, _out: &mut Vec<Finding>) {}
}
