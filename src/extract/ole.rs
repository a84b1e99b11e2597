//! stub
use super::error::Result;
use super::{Budget, Extraction};
pub fn extract(_p: &str, _d: &[u8], _b: &mut Budget, _o: &mut Extraction, _i: usize) -> Result<()> {
    Ok(())
}
