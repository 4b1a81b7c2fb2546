//! placeholder
use super::model::ReturnFile;
use super::problem::Problem;
/// x
#[derive(Debug, Default)]
pub struct DryRunContext;
/// x
#[derive(Debug, Default)]
pub struct DryRun {
    /// x
    pub problems: Vec<Problem>,
}
/// x
pub fn dry_run(_f: &ReturnFile, _c: &DryRunContext) -> DryRun {
    DryRun::default()
}
