//! The keystore: Ed25519 keys in a folder, one file per name, readable by
//! the owner only.
//!
//! Invariant: a key file is written whole (to a temporary file, then
//! renamed) with mode 0600, and is never overwritten; secret bytes are
//! never printed unless the caller asks.

use std::path::{Path, PathBuf};

use ed25519_dalek::SigningKey;

use crate::crypto::{Address, address_of, hex};

/// The default keystore folder.
pub const DEFAULT_DIR: &str = ".writ/keys";

#[derive(Debug, thiserror::Error)]
pub enum KeyError {
    #[error("`{0}` is not a valid key name (use letters, digits, `-` and `_`, at most 64)")]
    BadName(String),
    #[error("a key named `{0}` exists already")]
    Exists(String),
    #[error("no key named `{name}` in {dir}")]
    Missing { name: String, dir: String },
    #[error("the key file {path} is damaged: {why}")]
    Damaged { path: String, why: String },
    #[error("{path}: {why}")]
    Io { path: String, why: String },
}

fn io(path: &Path, error: std::io::Error) -> KeyError {
    KeyError::Io { path: path.display().to_string(), why: error.to_string() }
}

/// A named key's public part.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct KeyInfo {
    pub name: String,
    pub public_key: [u8; 32],
    pub address: Address,
}

pub struct Keystore {
    dir: PathBuf,
}

fn valid_name(name: &str) -> bool {
    !name.is_empty()
        && name.len() <= 64
        && name.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_')
}

impl Keystore {
    pub fn new(dir: impl Into<PathBuf>) -> Keystore {
        Keystore { dir: dir.into() }
    }

    fn path(&self, name: &str) -> Result<PathBuf, KeyError> {
        if !valid_name(name) {
            return Err(KeyError::BadName(name.to_string()));
        }
        Ok(self.dir.join(format!("{name}.key")))
    }

    /// Creates a new random key.
    pub fn create(&self, name: &str) -> Result<KeyInfo, KeyError> {
        let mut seed = [0u8; 32];
        getrandom::fill(&mut seed)
            .map_err(|e| KeyError::Io { path: "the OS random source".into(), why: e.to_string() })?;
        self.store(name, &SigningKey::from_bytes(&seed))
    }

    /// Stores a given key under `name` (for tests and imports).
    pub fn store(&self, name: &str, key: &SigningKey) -> Result<KeyInfo, KeyError> {
        let path = self.path(name)?;
        if path.exists() {
            return Err(KeyError::Exists(name.to_string()));
        }
        std::fs::create_dir_all(&self.dir).map_err(|e| io(&self.dir, e))?;
        let temporary = path.with_extension("key.tmp");
        let text = format!("{}\n", hex(&key.to_bytes()));
        write_private(&temporary, text.as_bytes()).map_err(|e| io(&temporary, e))?;
        std::fs::rename(&temporary, &path).map_err(|e| io(&path, e))?;
        Ok(info(name, key))
    }

    pub fn load(&self, name: &str) -> Result<SigningKey, KeyError> {
        let path = self.path(name)?;
        let text = match std::fs::read_to_string(&path) {
            Ok(text) => text,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => {
                return Err(KeyError::Missing {
                    name: name.to_string(),
                    dir: self.dir.display().to_string(),
                });
            }
            Err(e) => return Err(io(&path, e)),
        };
        let seed = crate::crypto::parse_hex::<32>(text.trim()).ok_or_else(|| KeyError::Damaged {
            path: path.display().to_string(),
            why: "expected 64 hex digits".into(),
        })?;
        Ok(SigningKey::from_bytes(&seed))
    }

    /// Every key, sorted by name, and the key files that could not be read
    /// (one damaged file does not hide the others).
    pub fn list(&self) -> Result<Listing, KeyError> {
        let entries = match std::fs::read_dir(&self.dir) {
            Ok(entries) => entries,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(Listing::default()),
            Err(e) => return Err(io(&self.dir, e)),
        };
        let mut names: Vec<String> = entries
            .flatten()
            .filter_map(|e| e.file_name().to_str().and_then(|n| n.strip_suffix(".key")).map(str::to_string))
            .filter(|n| valid_name(n))
            .collect();
        names.sort();
        let mut listing = Listing::default();
        for name in names {
            match self.load(&name) {
                Ok(key) => listing.keys.push(info(&name, &key)),
                Err(e) => listing.unreadable.push(e),
            }
        }
        Ok(listing)
    }

    /// Why the key file of `name` is not private, if it is not: readable or
    /// writable by anyone but its owner. Such a key still works (the owner
    /// may have reasons), but whoever could read it can sign as it, so
    /// every command that uses it says so.
    pub fn exposure(&self, name: &str) -> Option<String> {
        let path = self.path(name).ok()?;
        exposure(&path)
    }
}

/// The keys a keystore holds, and the files in it that are not keys.
#[derive(Debug, Default)]
pub struct Listing {
    pub keys: Vec<KeyInfo>,
    pub unreadable: Vec<KeyError>,
}

#[cfg(unix)]
fn exposure(path: &Path) -> Option<String> {
    use std::os::unix::fs::PermissionsExt;
    let mode = std::fs::metadata(path).ok()?.permissions().mode() & 0o777;
    (mode & 0o077 != 0).then(|| {
        format!(
            "the key file {} can be read or changed by others (mode {mode:03o}); `chmod 600` it",
            path.display()
        )
    })
}

#[cfg(not(unix))]
fn exposure(_: &Path) -> Option<String> {
    None
}

fn info(name: &str, key: &SigningKey) -> KeyInfo {
    let public_key = key.verifying_key().to_bytes();
    KeyInfo { name: name.to_string(), public_key, address: address_of(&public_key) }
}

#[cfg(unix)]
fn write_private(path: &Path, bytes: &[u8]) -> std::io::Result<()> {
    use std::io::Write;
    use std::os::unix::fs::OpenOptionsExt;
    let mut file = std::fs::OpenOptions::new().write(true).create_new(true).mode(0o600).open(path)?;
    file.write_all(bytes)?;
    file.sync_all()
}

#[cfg(not(unix))]
fn write_private(path: &Path, bytes: &[u8]) -> std::io::Result<()> {
    std::fs::write(path, bytes)
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;

    #[test]
    fn create_list_load_and_refuse() {
        let dir = tempfile::tempdir().unwrap();
        let store = Keystore::new(dir.path().join("keys"));
        let alice = store.create("alice").unwrap();
        let bob = store.create("bob").unwrap();
        assert_ne!(alice.address, bob.address);
        assert_eq!(store.list().unwrap().keys, vec![alice.clone(), bob.clone()]);
        assert_eq!(store.exposure("alice"), None);
        assert_eq!(store.load("alice").unwrap().verifying_key().to_bytes(), alice.public_key);
        assert!(matches!(store.create("alice"), Err(KeyError::Exists(_))));
        assert!(matches!(store.create("../x"), Err(KeyError::BadName(_))));
        assert!(matches!(store.load("carol"), Err(KeyError::Missing { .. })));
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt;
            let mode = std::fs::metadata(dir.path().join("keys/alice.key")).unwrap().permissions().mode();
            assert_eq!(mode & 0o777, 0o600);
        }
    }

    // A damaged key file is reported beside the keys that load, not
    // instead of them; a key file others can read is named as exposed.
    #[test]
    fn damaged_and_exposed_files_are_reported() {
        let dir = tempfile::tempdir().unwrap();
        let store = Keystore::new(dir.path());
        let alice = store.create("alice").unwrap();
        let carol = store.create("carol").unwrap();
        std::fs::write(dir.path().join("bob.key"), "not hex\n").unwrap();
        let listing = store.list().unwrap();
        assert_eq!(listing.keys, vec![alice, carol]);
        assert_eq!(listing.unreadable.len(), 1);
        assert!(
            listing.unreadable[0].to_string().contains("bob.key is damaged"),
            "{}",
            listing.unreadable[0]
        );
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt;
            let path = dir.path().join("carol.key");
            std::fs::set_permissions(&path, std::fs::Permissions::from_mode(0o644)).unwrap();
            let warning = store.exposure("carol").unwrap();
            assert!(warning.contains("mode 644") && warning.contains("carol.key"), "{warning}");
            assert_eq!(store.exposure("alice"), None);
        }
    }
}
