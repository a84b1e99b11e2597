//! Special-category data about a named person (health, SEN/EHCP,
//! safeguarding, looked-after status, FSM/pupil premium, exclusions).

use super::{Detector, Finding, MessageContext, TextUnit};

pub struct SpecialCategoryDetector {}

impl SpecialCategoryDetector {
    pub fn new() -> Self {
        SpecialCategoryDetector {}
    }
}

impl Default for SpecialCategoryDetector {
    fn default() -> Self {
        Self::new()
    }
}

impl Detector for SpecialCategoryDetector {
    fn ids(&self) -> &'static [&'static str] {
        &["special_category"]
    }

    fn scan(&self, _unit: &TextUnit<'_>, _ctx: &MessageContext, _out: &mut Vec<Finding>) {}
}
