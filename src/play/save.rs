//! Save files on disk: read with the bounded reader and written by the one JSON writer;
//! the format, its checks and resuming are the runtime's (`threshold_runtime::save`).

use std::path::Path;

pub use threshold_runtime::save::{fingerprint, restore, SaveError, SaveFile};

/// The bytes of a save file.
pub fn to_bytes(save: &SaveFile) -> Vec<u8> {
    let mut s = crate::text::json_pretty(save);
    s.push('\n');
    s.into_bytes()
}

/// Reads and parses a save, with the bytes read (so that a later save can tell whether
/// another session has written the file since). The read is bounded like a story's: a
/// FIFO or a device is refused, and so is a file over 64 MiB.
pub fn read(path: &Path) -> Result<(SaveFile, Vec<u8>), SaveError> {
    let bytes = crate::load::read_bounded(path, "a save", "a save is the file `--save` wrote")
        .map_err(|e| {
            SaveError::Unreadable(match &e.help {
                Some(h) => format!("{}\n  help: {h}", e.message),
                None => e.message.clone(),
            })
        })?;
    let save = threshold_runtime::save::parse(&bytes)?;
    Ok((save, bytes))
}
