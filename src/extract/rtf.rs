//! stub
use super::error::Result;
use super::Extraction;
pub fn extract(_p: &str, _d: &[u8], _o: &mut Extraction) -> Result<()> {
    Ok(())
}
