//! The analysis API: parse and check a set of files together with the
//! standard library, then answer questions about them (diagnostics, what a
//! name refers to, its type, its references). The CLI, the tests and the
//! language server all go through this one entry point.
//!
//! Invariant: an `Analysis` is an immutable snapshot; edits make a new one.

use std::sync::Arc;

use crate::check::{self, CheckOutput, ModuleSource, PackageScope, Reference};
use crate::diagnostic::{Code, Diagnostic};
use crate::parser::{self, Parsed};
use crate::span::{FileId, Span};
use crate::types::{Def, Tables};

/// One file of the analysis.
#[derive(Debug)]
pub struct FileData {
    pub id: FileId,
    /// The name shown in diagnostics (a path for user files).
    pub name: String,
    /// The module path: `std::…` for the library, `package::a::b` for a
    /// package's file, the name for a file checked on its own.
    pub module: String,
    pub text: String,
    pub parsed: Parsed,
    pub is_library: bool,
    /// Which of the analysis's packages the file belongs to, if any.
    pub package: Option<usize>,
    /// The built artifact the file's interface was written from (an `abi`
    /// dependency): the code a test deploys for it.
    pub artifact: Option<Arc<[u8]>>,
}

impl FileData {
    /// A user file checked on its own: its module path is its name.
    fn alone(id: FileId, name: String, text: String, parsed: Parsed) -> FileData {
        FileData {
            id,
            module: name.clone(),
            name,
            text,
            parsed,
            is_library: false,
            package: None,
            artifact: None,
        }
    }
}

/// One file of a package, as `Analysis::packaged` takes it.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct PackageFile {
    /// The name shown in diagnostics (its path).
    pub name: String,
    /// Its module path: `registry::people` for `registry/src/people.writ`.
    pub module: String,
    /// Its package, an index into the packages given with it.
    pub package: usize,
    pub text: String,
    /// The artifact the text was written from, for an `abi` dependency.
    pub artifact: Option<Arc<[u8]>>,
}

/// What `Analysis::after` leaves of the analysis it re-parsed from: no
/// longer an analysis (parses it lent are gone), only something to free.
#[derive(Debug)]
pub struct Spent(#[allow(dead_code)] Analysis);

/// What the cursor is on, for hover.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Hover {
    pub span: Span,
    /// A signature or `name: Type` line.
    pub text: String,
    pub doc: Option<String>,
}

#[derive(Debug)]
pub struct Analysis {
    /// The user files, `FileId(0)` first.
    files: Vec<FileData>,
    /// The packages the files belong to (none for files on their own).
    packages: Vec<PackageScope>,
    library: &'static Library,
    output: CheckOutput,
}

/// The file ids of the standard library start here, far above any user
/// file, so the library's trees and check results can be shared by every
/// analysis whatever its number of user files.
pub const LIBRARY_FILE_BASE: u32 = 1 << 31;

/// The standard library, parsed and checked once per process.
#[derive(Debug)]
struct Library {
    files: &'static [FileData],
    checked: check::CheckedLibrary,
}

fn library() -> &'static Library {
    static LIBRARY: std::sync::OnceLock<Library> = std::sync::OnceLock::new();
    LIBRARY.get_or_init(|| {
        let files: Vec<FileData> = writ_stdlib::MODULES
            .iter()
            .enumerate()
            .map(|(i, (module, text))| {
                let id = FileId(LIBRARY_FILE_BASE + i as u32);
                FileData {
                    id,
                    name: format!("<{}>.writ", module.replace("::", "/")),
                    module: module.to_string(),
                    text: text.to_string(),
                    parsed: parser::parse(id, text),
                    is_library: true,
                    package: None,
                    artifact: None,
                }
            })
            .collect();
        // The trees must live as long as the checked state that points into
        // them: leak them once (one copy per process, never freed).
        let files: &'static [FileData] = Box::leak(files.into_boxed_slice());
        let modules: Vec<ModuleSource<'static>> = files
            .iter()
            .map(|f| ModuleSource {
                path: &f.module,
                package: None,
                tree: &f.parsed.tree,
                nodes: f.parsed.nodes,
                is_library: true,
                from_artifact: false,
            })
            .collect();
        let checked = check::CheckedLibrary::new(&modules);
        Library { files, checked }
    })
}

/// Decodes a file's bytes, reporting the first invalid UTF-8 byte. The
/// error is a whole diagnostic on purpose: callers print it with the rest.
#[allow(clippy::result_large_err)]
pub fn decode_source(file: FileId, bytes: Vec<u8>) -> Result<String, Diagnostic> {
    String::from_utf8(bytes).map_err(|e| {
        let at = e.utf8_error().valid_up_to();
        Diagnostic::error(
            Code::InvalidUtf8,
            Span::new(file, at, at + 1),
            format!("byte {at} is not valid UTF-8; Writ source files must be UTF-8 text"),
        )
    })
}

impl Analysis {
    /// Parses and checks `(name, text)` user files with the whole standard
    /// library (parsed and checked once per process).
    pub fn new(inputs: Vec<(String, String)>) -> Analysis {
        let files = inputs
            .into_iter()
            .enumerate()
            .map(|(i, (name, text))| {
                let id = FileId(i as u32);
                let parsed = parser::parse(id, &text);
                FileData::alone(id, name, text, parsed)
            })
            .collect();
        Analysis::checked(files, Vec::new())
    }

    /// Parses and checks the files of `packages` together (a package and
    /// its dependencies), with the standard library. A file's module path
    /// decides what `use` finds; `crate::` is its own package's name.
    pub fn packaged(packages: Vec<PackageScope>, inputs: Vec<PackageFile>) -> Analysis {
        let files = inputs
            .into_iter()
            .enumerate()
            .map(|(i, input)| {
                let id = FileId(i as u32);
                let parsed = parser::parse(id, &input.text);
                let package = (input.package < packages.len()).then_some(input.package);
                FileData {
                    id,
                    name: input.name,
                    module: input.module,
                    text: input.text,
                    parsed,
                    is_library: false,
                    package,
                    artifact: input.artifact,
                }
            })
            .collect();
        Analysis::checked(files, packages)
    }

    /// The files the analysis is about: every user file but a dependency's
    /// (for a package, the first package is the one being built; the
    /// others are its dependencies, checked with it but not built, tested
    /// or proved).
    pub fn own_files(&self) -> impl Iterator<Item = &FileData> {
        self.files.iter().filter(|f| f.package.is_none_or(|p| p == 0))
    }

    /// The package file `id` belongs to, if any.
    pub fn package_of(&self, id: FileId) -> Option<&PackageScope> {
        self.file(id).and_then(|f| f.package).and_then(|p| self.packages.get(p))
    }

    /// Like `new`, for the files of `previous` after edits, with the same
    /// result: a file with the same name and position as one of `previous`,
    /// whose parse there was clean, is re-parsed only in the item its edit
    /// touched (`reparse`), taking the rest of its tree from `previous`.
    /// Also returns what is left of `previous`, only to be freed: for a
    /// large file that takes a while, so the caller chooses where.
    pub fn after(mut previous: Analysis, inputs: Vec<(String, String)>) -> (Analysis, Spent) {
        let mut files = Vec::with_capacity(inputs.len());
        for (i, (name, text)) in inputs.into_iter().enumerate() {
            let id = FileId(i as u32);
            let reused = previous.files.get_mut(i).filter(|old| old.name == name).and_then(|old| {
                let ok = crate::reparse::reparse_in_place(id, &old.text, &mut old.parsed, &text);
                ok.then(|| std::mem::replace(&mut old.parsed, parser::parse(id, "")))
            });
            let parsed = reused.unwrap_or_else(|| parser::parse(id, &text));
            files.push(FileData::alone(id, name, text, parsed));
        }
        (Analysis::checked(files, Vec::new()), Spent(previous))
    }

    /// The same user files (names, modules, packages) with `texts`, in
    /// order, checked again: what an edit across files would give.
    pub fn with_texts(&self, texts: Vec<String>) -> Analysis {
        let files = self
            .files
            .iter()
            .zip(texts)
            .map(|(f, text)| FileData {
                id: f.id,
                name: f.name.clone(),
                module: f.module.clone(),
                parsed: parser::parse(f.id, &text),
                text,
                is_library: false,
                package: f.package,
                artifact: f.artifact.clone(),
            })
            .collect();
        Analysis::checked(files, self.packages.clone())
    }

    fn checked(files: Vec<FileData>, packages: Vec<PackageScope>) -> Analysis {
        let library = library();
        let modules: Vec<ModuleSource<'_>> = files
            .iter()
            .map(|f| ModuleSource {
                path: &f.module,
                package: f.package.and_then(|p| packages.get(p)),
                tree: &f.parsed.tree,
                nodes: f.parsed.nodes,
                is_library: false,
                from_artifact: f.artifact.is_some(),
            })
            .collect();
        let output = check::check(&library.checked, &modules);
        Analysis { files, packages, library, output }
    }

    /// Convenience for one file.
    pub fn single(name: &str, text: &str) -> Analysis {
        Analysis::new(vec![(name.to_string(), text.to_string())])
    }

    /// Every file: the user files in order, then the standard library.
    pub fn files(&self) -> impl Iterator<Item = &FileData> {
        self.files.iter().chain(self.library.files)
    }

    /// The user files, `FileId(0)` first.
    pub fn user_files(&self) -> &[FileData] {
        &self.files
    }

    pub fn file(&self, id: FileId) -> Option<&FileData> {
        match id.0.checked_sub(LIBRARY_FILE_BASE) {
            Some(i) => self.library.files.get(i as usize),
            None => self.files.get(id.0 as usize),
        }
    }

    pub fn file_id(&self, name: &str) -> Option<FileId> {
        self.files().find(|f| f.name == name).map(|f| f.id)
    }

    pub fn tables(&self) -> &Tables {
        &self.output.tables
    }

    /// Every diagnostic of one file: lexing and parsing first, then checking.
    pub fn diagnostics_for(&self, file: FileId) -> Vec<Diagnostic> {
        let mut out: Vec<Diagnostic> =
            self.file(file).map(|f| f.parsed.diagnostics.clone()).unwrap_or_default();
        out.extend(self.output.diagnostics.iter().filter(|d| d.span.file == file).cloned());
        crate::diagnostic::sort(&mut out);
        out
    }

    /// Diagnostics of the user files (library problems are reported too,
    /// as they are bugs of the library, not of the user).
    pub fn diagnostics(&self) -> Vec<Diagnostic> {
        let mut out = Vec::new();
        for f in self.files() {
            out.extend(self.diagnostics_for(f.id));
        }
        out
    }

    pub fn has_errors(&self) -> bool {
        self.diagnostics().iter().any(Diagnostic::is_error)
    }

    /// `(id, name, text)` of every file, for the renderer.
    pub fn sources(&self) -> Vec<(FileId, &str, &str)> {
        self.files().map(|f| (f.id, f.name.as_str(), f.text.as_str())).collect()
    }

    /// The innermost name at `offset`.
    pub fn reference_at(&self, file: FileId, offset: u32) -> Option<Reference> {
        self.output
            .index
            .references
            .iter()
            .filter(|r| r.span.file == file && r.span.contains(offset))
            .min_by_key(|r| r.span.len())
            .copied()
    }

    /// Where the thing named at `offset` is declared.
    pub fn definition_at(&self, file: FileId, offset: u32) -> Option<Span> {
        let reference = self.reference_at(file, offset)?;
        self.declaration_of(reference.def)
    }

    pub fn declaration_of(&self, def: Def) -> Option<Span> {
        self.output
            .index
            .references
            .iter()
            .find(|r| r.is_declaration && r.def == def)
            .map(|r| r.span)
            .or_else(|| match def {
                Def::Role(cid, 0) => self.tables().contract(cid).map(|c| c.span),
                _ => None,
            })
    }

    /// Every mention of the thing named at `offset`, its declaration included.
    pub fn references_at(&self, file: FileId, offset: u32) -> Vec<Span> {
        let Some(reference) = self.reference_at(file, offset) else { return Vec::new() };
        let mut spans: Vec<Span> =
            self.output.index.references.iter().filter(|r| r.def == reference.def).map(|r| r.span).collect();
        spans.sort();
        spans.dedup();
        spans
    }

    /// The type of the innermost named or called expression at `offset`.
    pub fn type_at(&self, file: FileId, offset: u32) -> Option<String> {
        let (_, ty) = self.named_expr_at(file, offset)?;
        Some(self.tables().display(ty))
    }

    /// The checked expressions of `file` that name or call something
    /// (paths, calls, method calls, fields), with their types from the
    /// typed program.
    pub fn named_exprs(&self, file: FileId) -> Vec<(&crate::ast::Expr, &crate::types::Ty)> {
        use crate::ast::ExprKind;
        let mut out = Vec::new();
        let Some(data) = self.file(file) else { return out };
        let typed = self.typed_file(file);
        crate::walk::walk_file(&data.parsed.tree, &mut |node| {
            if let crate::walk::Node::Expr(e) = node
                && matches!(
                    e.kind,
                    ExprKind::Path(_)
                        | ExprKind::Call { .. }
                        | ExprKind::MethodCall { .. }
                        | ExprKind::Field { .. }
                )
            {
                out.push((e, typed.ty(e.id)));
            }
        });
        out
    }

    /// The innermost named or called expression at `offset`, with its type.
    fn named_expr_at(&self, file: FileId, offset: u32) -> Option<(&crate::ast::Expr, &crate::types::Ty)> {
        self.named_exprs(file)
            .into_iter()
            .filter(|(e, _)| e.span.contains(offset))
            .min_by_key(|(e, _)| e.span.len())
    }

    /// What to show when hovering at `offset`.
    pub fn hover_at(&self, file: FileId, offset: u32) -> Option<Hover> {
        if let Some(reference) = self.reference_at(file, offset)
            && let Some((text, doc)) = self.tables().describe(reference.def)
        {
            return Some(Hover { span: reference.span, text, doc });
        }
        if let Some(hover) = self.builtin_hover(file, offset) {
            return Some(hover);
        }
        let (e, ty) = self.named_expr_at(file, offset)?;
        Some(Hover { span: e.span, text: self.tables().display(ty), doc: None })
    }

    /// A call of a built-in function under the cursor: its signature and
    /// documentation from the table of built-ins.
    fn builtin_hover(&self, file: FileId, offset: u32) -> Option<Hover> {
        let text = &self.file(file)?.text;
        let is_word = |b: u8| b.is_ascii_alphanumeric() || b == b'_';
        let bytes = text.as_bytes();
        let at = (offset as usize).min(bytes.len());
        let lo = bytes[..at].iter().rposition(|b| !is_word(*b)).map_or(0, |i| i + 1);
        let hi = bytes[at..].iter().position(|b| !is_word(*b)).map_or(bytes.len(), |i| at + i);
        let word = text.get(lo..hi).filter(|w| !w.is_empty())?;
        let called = text.get(hi..).is_some_and(|rest| rest.trim_start().starts_with('('));
        let after_dot = text.get(..lo).is_some_and(|before| before.trim_end().ends_with('.'));
        let builtin = crate::builtins::function_named(word).filter(|_| called && !after_dot)?;
        Some(Hover {
            span: Span::new(file, lo, hi),
            text: format!("fn {}", builtin.signature()),
            doc: Some(builtin.doc.to_string()),
        })
    }

    /// The checked type of an expression.
    pub fn type_of(&self, e: &crate::ast::Expr) -> &crate::types::Ty {
        self.typed_file(e.span.file).ty(e.id)
    }

    /// What the name refers to (or declares), as the checker resolved it.
    pub fn def_of(&self, name: &crate::ast::Ident) -> Option<Def> {
        self.typed_file(name.span.file).def(name.id)
    }

    /// The checker's results for the nodes of `file`.
    pub fn typed_file(&self, file: FileId) -> &check::TypedFile {
        static NOTHING: std::sync::OnceLock<check::TypedFile> = std::sync::OnceLock::new();
        self.output.index.typed.get(&file).unwrap_or_else(|| NOTHING.get_or_init(check::TypedFile::default))
    }

    /// What the name with exactly this span refers to.
    pub fn def_at(&self, span: Span) -> Option<Def> {
        self.output.index.references.iter().find(|r| r.span == span).map(|r| r.def)
    }

    /// Every reference recorded in a file (declarations included), for
    /// semantic highlighting and symbol lists.
    pub fn references_in(&self, file: FileId) -> impl Iterator<Item = &Reference> {
        self.output.index.references.iter().filter(move |r| r.span.file == file)
    }
}
