//! The open documents and the analysis snapshot built from them.
//!
//! Invariant: all open documents are checked together in one `Analysis`
//! (sorted by URI, so file ids are stable for a given set of documents);
//! a snapshot is immutable and rebuilt lazily after any change, re-parsing
//! only the edited items of the snapshot before it (`Analysis::after`). Standard
//! library modules are written once to a cache folder so that go to
//! definition can open them as ordinary files; an open document inside
//! that folder is the library module itself, not a new user file.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::sync::Arc;

use tower_lsp_server::ls_types::Uri;
use writ_compiler::{Analysis, FileId};

use crate::line_index::LineIndex;

/// One open document.
#[derive(Debug, Clone)]
pub struct Document {
    pub text: String,
    pub version: i32,
    /// Set when a change to it was lost (it could not be decoded): the
    /// text here is stale, so incremental edits are not applied and
    /// queries are not answered until the editor sends the full text.
    pub lost: Option<String>,
}

/// A file of a snapshot: where it lives and how to convert positions.
#[derive(Debug)]
pub struct SnapshotFile {
    pub id: FileId,
    pub uri: Option<Uri>,
    /// Shared: library files keep theirs across snapshots.
    pub index: Arc<LineIndex>,
    /// The version of the open document, for user files.
    pub version: Option<i32>,
    /// Why the server's copy of this document is stale, if it is.
    pub lost: Option<String>,
}

/// An analysis of every open document, with the URI of each file.
#[derive(Debug)]
pub struct Snapshot {
    pub analysis: Analysis,
    /// In the order of `Analysis::files` (user files, then the library).
    pub files: Vec<SnapshotFile>,
    /// Open documents that are library modules, mapped to their file.
    pub library_docs: Vec<(Uri, FileId)>,
    /// The change counter this snapshot reflects.
    pub generation: u64,
    /// Each package an open document is in that could not be read (its
    /// folder and why): its documents are checked on their own meanwhile.
    pub package_errors: Vec<(PathBuf, String)>,
}

impl Snapshot {
    pub fn file_id(&self, uri: &Uri) -> Option<FileId> {
        if let Some(file) = self.files.iter().find(|f| f.uri.as_ref() == Some(uri)) {
            return Some(file.id);
        }
        self.library_docs.iter().find(|(u, _)| u == uri).map(|(_, id)| *id)
    }

    pub fn file(&self, id: FileId) -> Option<&SnapshotFile> {
        self.files.iter().find(|f| f.id == id)
    }

    /// The file of `uri` when its text can be trusted (no change to it was lost).
    pub fn current_file(&self, uri: &Uri) -> Option<FileId> {
        self.file_id(uri).filter(|id| self.file(*id).is_some_and(|f| f.lost.is_none()))
    }

    /// The user files: open documents that are not library modules.
    pub fn user_files(&self) -> impl Iterator<Item = (FileId, &SnapshotFile)> {
        self.analysis.files().filter(|f| !f.is_library).filter_map(|f| self.file(f.id).map(|s| (f.id, s)))
    }

    /// Whether file `id` is an interface written from an artifact (an
    /// `abi` dependency): no edit of it would reach the artifact.
    pub fn is_from_artifact(&self, id: FileId) -> bool {
        self.analysis.file(id).is_some_and(|f| f.artifact.is_some())
    }

    /// Whether `path` is an artifact an `abi` dependency was read from.
    pub fn reads_artifact(&self, path: &Path) -> bool {
        let path = std::fs::canonicalize(path).unwrap_or_else(|_| path.to_path_buf());
        self.analysis.user_files().iter().any(|f| f.artifact.is_some() && Path::new(&f.name) == path)
    }
}

#[derive(Debug, Default)]
pub struct State {
    pub docs: BTreeMap<Uri, Document>,
    pub generation: u64,
    /// The last proofs of each document, for the text they were made for
    /// (shared: every publish reads them).
    pub proofs: BTreeMap<Uri, Arc<crate::prove::Proofs>>,
    snapshot: Option<Arc<Snapshot>>,
    /// The snapshot before the last change, which the next one re-parses
    /// edited files from.
    base: Option<Arc<Snapshot>>,
    library_dir: Option<Option<PathBuf>>,
    /// The line index of each library module, built once.
    library_index: Option<Arc<BTreeMap<FileId, Arc<LineIndex>>>>,
}

/// The line index of each standard library module (the same text for the
/// whole process).
fn library_line_indexes() -> Arc<BTreeMap<FileId, Arc<LineIndex>>> {
    let analysis = Analysis::new(Vec::new());
    Arc::new(analysis.files().map(|f| (f.id, Arc::new(LineIndex::new(&f.text)))).collect())
}

impl State {
    /// Records a change: the next query rebuilds the snapshot.
    pub fn changed(&mut self) -> u64 {
        self.generation += 1;
        if let Some(old) = self.snapshot.take() {
            // The next snapshot re-parses from this one.
            if let Some(retired) = self.base.replace(old) {
                free(retired);
            }
        }
        self.generation
    }

    /// The snapshot of the current documents, built if needed.
    pub fn snapshot(&mut self) -> Arc<Snapshot> {
        if let Some(snapshot) = &self.snapshot {
            return snapshot.clone();
        }
        let library_dir =
            self.library_dir.get_or_insert_with(|| write_library(&Analysis::new(Vec::new()))).clone();
        let library_index = self.library_index.get_or_insert_with(library_line_indexes).clone();
        // The base is taken apart if nothing else holds it (a request still
        // answering from it); otherwise every file is parsed whole.
        let base = self.base.take().and_then(|base| Arc::try_unwrap(base).map_err(free).ok());
        let (snapshot, spent) =
            build(&self.docs, base, library_dir.as_deref(), &library_index, self.generation);
        if let Some(spent) = spent {
            free(spent);
        }
        let snapshot = Arc::new(snapshot);
        self.snapshot = Some(snapshot.clone());
        snapshot
    }
}

/// The file in the cache folder holding library module `module` (`std::tax`).
fn library_path(dir: &Path, module: &str) -> PathBuf {
    let mut path = dir.to_path_buf();
    for part in module.split("::") {
        path.push(part);
    }
    path.set_extension("writ");
    path
}

/// Writes the library modules to a per-version cache folder (once; files
/// already holding the right text are left alone). `None` when the folder
/// cannot be written, in which case definitions in the library are not
/// offered.
fn write_library(analysis: &Analysis) -> Option<PathBuf> {
    let dir = cache_dir().join("stdlib");
    for file in analysis.files().filter(|f| f.is_library) {
        write_if_changed(&library_path(&dir, &file.module), &file.text)?;
    }
    Some(dir)
}

/// The per-version folder where the server writes files for editors to
/// open: the library's modules, the interfaces of `abi` dependencies.
fn cache_dir() -> PathBuf {
    std::env::temp_dir().join(format!("writ-lsp-{}", env!("CARGO_PKG_VERSION")))
}

/// Writes `text` to `path` (and its folder) unless it already holds it.
fn write_if_changed(path: &Path, text: &str) -> Option<()> {
    if std::fs::read_to_string(path).ok().as_deref() != Some(text) {
        std::fs::create_dir_all(path.parent()?).ok()?;
        std::fs::write(path, text).ok()?;
    }
    Some(())
}

/// Writes the interface an `abi` dependency `package` reads from its
/// `artifact` to the cache folder, for definitions to open; its path. The
/// file is named for the artifact too, so two workspaces whose
/// dependencies share a name but not an artifact keep a file each.
fn write_interface(artifact: &Path, package: &str, text: &str) -> Option<PathBuf> {
    // FNV-1a of the artifact's path: a stable, short file name.
    let key = artifact
        .as_os_str()
        .as_encoded_bytes()
        .iter()
        .fold(0xcbf2_9ce4_8422_2325_u64, |h, b| (h ^ u64::from(*b)).wrapping_mul(0x0100_0000_01b3));
    let path = cache_dir().join("interfaces").join(format!("{package}-{key:016x}.writ"));
    write_if_changed(&path, text)?;
    Some(path)
}

/// Frees a large value on another thread: dropping a big file's trees and
/// tables takes a while, and must not delay the next diagnostics.
fn free<T: Send + 'static>(value: T) {
    let _ = std::thread::Builder::new().name("writ-lsp-free".into()).spawn(move || drop(value));
}

/// A user file of a snapshot: its URI and, when it is open, its document.
struct Member<'d> {
    uri: Option<Uri>,
    doc: Option<&'d Document>,
}

/// What is left of a snapshot's analysis, to be freed.
enum Spent {
    Parts(#[allow(dead_code)] writ_compiler::analysis::Spent),
    Whole(#[allow(dead_code)] Analysis),
}

/// The analysis of the packages the open documents are in, checked as one
/// set with every open document: the packages' files (an open one's text
/// as edited, the others from disk), their dependencies', then the open
/// documents in no package on their own. Also each package that could not
/// be read, by folder, with why (its documents are then checked on their
/// own). `None` for the analysis when no open document is in a package
/// that can be read.
type PackageResult<'d> = (Option<(Analysis, Vec<Member<'d>>)>, Vec<(PathBuf, String)>);

fn package_analysis<'d>(user: &[(&Uri, &'d Document)]) -> PackageResult<'d> {
    let mut roots: Vec<PathBuf> = Vec::new();
    for root in user.iter().filter_map(|(uri, _)| writ_package::find_root(&uri.to_file_path()?)) {
        if !roots.contains(&root) {
            roots.push(root);
        }
    }
    let mut errors = Vec::new();
    let mut merged: Option<writ_package::Loaded> = None;
    for root in roots {
        let read = writ_package::load(&root).and_then(|loaded| match merged.as_mut() {
            Some(all) => all.merge(loaded),
            None => {
                merged = Some(loaded);
                Ok(())
            }
        });
        if let Err(error) = read {
            errors.push((root, error.to_string()));
        }
    }
    let Some(loaded) = merged else { return (None, errors) };
    // The loader names files by their canonical paths; so are the
    // documents' paths compared (a folder may be reached through a link).
    let paths: Vec<Option<PathBuf>> =
        user.iter().map(|(uri, _)| uri.to_file_path().and_then(|p| std::fs::canonicalize(p).ok())).collect();
    let open = |path: &Path| paths.iter().position(|p| p.as_deref() == Some(path)).and_then(|i| user.get(i));
    let mut members = Vec::new();
    let mut files = loaded.package_files(|file| {
        let found = open(&file.path);
        let text = match found {
            Some((_, doc)) => doc.text.clone(),
            None => String::from_utf8(file.bytes.clone()).ok()?,
        };
        let uri = match found {
            Some((uri, _)) => Some((*uri).clone()),
            // An editor cannot show the artifact: definitions go to the
            // interface's text, written out like the library's.
            None if file.artifact.is_some() => {
                write_interface(&file.path, &file.module, &text).and_then(Uri::from_file_path)
            }
            None => Uri::from_file_path(&file.path),
        };
        members.push(Member { uri, doc: found.map(|(_, doc)| *doc) });
        Some(text)
    });
    for (uri, doc) in user {
        if members.iter().any(|m| m.uri.as_ref() == Some(*uri)) {
            continue;
        }
        files.push(writ_compiler::analysis::PackageFile {
            name: uri.to_string(),
            module: uri.to_string(),
            package: usize::MAX,
            text: doc.text.clone(),
            artifact: None,
        });
        members.push(Member { uri: Some((*uri).clone()), doc: Some(*doc) });
    }
    (Some((Analysis::packaged(loaded.scopes(), files), members)), errors)
}

/// The snapshot of `docs`, re-parsing edited files from `base`; also what
/// is left of `base`, to be freed.
fn build(
    docs: &BTreeMap<Uri, Document>,
    base: Option<Snapshot>,
    library_dir: Option<&Path>,
    library_index: &BTreeMap<FileId, Arc<LineIndex>>,
    generation: u64,
) -> (Snapshot, Option<impl Send + 'static>) {
    let is_library_doc = |uri: &Uri| {
        let (Some(dir), Some(path)) = (library_dir, uri.to_file_path()) else { return false };
        path.starts_with(dir)
    };
    let user: Vec<(&Uri, &Document)> = docs.iter().filter(|(uri, _)| !is_library_doc(uri)).collect();
    // A document inside a package is checked with the whole package (its
    // other files read from disk) and its dependencies.
    let (found, package_errors) = package_analysis(&user);
    let (analysis, spent, user) = match found {
        Some((analysis, members)) => (analysis, base.map(|b| (Spent::Whole(b.analysis), b.files)), members),
        None => {
            let inputs = user.iter().map(|(uri, doc)| (uri.to_string(), doc.text.clone())).collect();
            let members =
                user.iter().map(|(uri, doc)| Member { uri: Some((*uri).clone()), doc: Some(*doc) }).collect();
            match base {
                Some(base) => {
                    let (analysis, spent) = Analysis::after(base.analysis, inputs);
                    (analysis, Some((Spent::Parts(spent), base.files)), members)
                }
                None => (Analysis::new(inputs), None, members),
            }
        }
    };
    let mut files = Vec::new();
    for file in analysis.files() {
        let (uri, version, lost) = match user.get(file.id.0 as usize) {
            Some(member) if !file.is_library => (
                member.uri.clone(),
                member.doc.map(|doc| doc.version),
                member.doc.and_then(|doc| doc.lost.clone()),
            ),
            _ => {
                (library_dir.and_then(|dir| Uri::from_file_path(library_path(dir, &file.module))), None, None)
            }
        };
        let index = match library_index.get(&file.id) {
            Some(shared) if file.is_library => shared.clone(),
            _ => Arc::new(LineIndex::new(&file.text)),
        };
        files.push(SnapshotFile { id: file.id, uri, index, version, lost });
    }
    let library_docs = docs
        .keys()
        .filter(|uri| is_library_doc(uri))
        .filter_map(|uri| {
            let file = files.iter().find(|f| f.uri.as_ref() == Some(uri))?;
            Some((uri.clone(), file.id))
        })
        .collect();
    (Snapshot { analysis, files, library_docs, generation, package_errors }, spent)
}
