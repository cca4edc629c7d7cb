//! `writ fmt`: rewrite files in the canonical layout, or check they are.
pub fn run(_paths: &[std::path::PathBuf], _check: bool, _color: bool) -> u8 {
    eprintln!("error: `writ fmt` is not available in this build yet");
    2
}
