//! stub
use super::error::Result;
use super::Extraction;
pub fn extract(_d: &[u8], _o: &mut Extraction, _i: usize) -> Result<()> {
    Ok(())
}
