//! Name resolution and type checking of a set of modules.
//!
//! Invariant: checking never stops at the first problem and never panics;
//! it returns the tables it could build, every diagnostic, and an index of
//! what each name refers to (for the language server).

mod body;
mod call;
mod declare;
mod expr;
mod pattern;
mod spec;

use std::collections::{BTreeMap, HashMap};

pub use call::methods_of;
pub use expr::ROUNDING_MODES;
pub use spec::{CLAUSES as SPEC_CLAUSES, clause_text, old_calls};

use crate::ast::{Ident, NodeId, SourceFile};
use crate::diagnostic::{Code, Diagnostic};
use crate::limits::SUGGESTION_DISTANCE_MAX;
use crate::span::{FileId, Span};
use crate::types::{ContractId, Def, FnId, LocalId, Tables, Ty};

/// One module to check: a user file or a standard library module.
#[derive(Debug, Clone, Copy)]
pub struct ModuleSource<'a> {
    /// `std::tax` for library modules; `package::a::b` for a package's
    /// file; the file's name for a file checked on its own.
    pub path: &'a str,
    /// The package the module belongs to: `None` for the library and for
    /// files checked on their own.
    pub package: Option<&'a PackageScope>,
    pub tree: &'a SourceFile,
    /// How many node ids the tree uses (`parser::Parsed::nodes`): the
    /// typed tables are sized once instead of growing node by node.
    pub nodes: u32,
    /// Library modules are checked but their warnings are not reported.
    pub is_library: bool,
    /// Written from a built artifact (an `abi` dependency's interface): its
    /// interfaces have code, the artifact, that tests may deploy.
    pub from_artifact: bool,
}

/// A package as the checker sees it: its name, the first segment of its
/// modules' paths, what `crate::` means in its files; its version; and the
/// packages it may import from, by name.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PackageScope {
    pub name: String,
    pub version: String,
    pub dependencies: Vec<String>,
}

/// A use of a name (or its declaration) and what it refers to.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Reference {
    pub span: Span,
    pub def: Def,
    pub is_declaration: bool,
}

/// What the checker learned about the source, for queries.
#[derive(Debug, Clone, Default)]
pub struct SemanticIndex {
    pub references: Vec<Reference>,
    /// The typed program: per file, each expression's type and each name's
    /// definition by node id. Code generation, the editor queries and the
    /// verifier read this.
    pub typed: BTreeMap<FileId, TypedFile>,
}

/// The checker's results for the nodes of one file, indexed by
/// `ast::NodeId` (the shape of rust-analyzer's per-body inference
/// results): what every expression's type is and what every name refers
/// to, so no later pass looks a span up or infers anything again.
#[derive(Debug, Clone, Default)]
pub struct TypedFile {
    types: Vec<Option<Ty>>,
    defs: Vec<Option<Def>>,
}

impl TypedFile {
    /// The checked type of expression `id` (`Error` for one never checked,
    /// such as code after a parse error).
    pub fn ty(&self, id: NodeId) -> &Ty {
        const UNCHECKED: &Ty = &Ty::Error;
        self.types.get(id.0 as usize).and_then(Option::as_ref).unwrap_or(UNCHECKED)
    }

    /// What name `id` refers to (or declares), if it was resolved.
    pub fn def(&self, id: NodeId) -> Option<Def> {
        self.defs.get(id.0 as usize).copied().flatten()
    }

    fn presize(&mut self, nodes: u32) {
        let nodes = nodes as usize;
        if self.types.len() < nodes {
            self.types.resize_with(nodes, || None);
            self.defs.resize_with(nodes, || None);
        }
    }

    fn set_ty(&mut self, id: NodeId, ty: Ty) {
        if let Some(slot) = grown(&mut self.types, id) {
            *slot = Some(ty);
        }
    }

    fn set_def(&mut self, id: NodeId, def: Def) {
        if let Some(slot) = grown(&mut self.defs, id) {
            *slot = Some(def);
        }
    }
}

/// The slot of `id`, growing the table to hold it (ids are dense per file;
/// the placeholder id `u32::MAX` of synthesized names gets no slot).
fn grown<T>(table: &mut Vec<Option<T>>, id: NodeId) -> Option<&mut Option<T>> {
    let index = id.0 as usize;
    if id.0 == u32::MAX {
        return None;
    }
    if table.len() <= index {
        table.resize_with(index + 1, || None);
    }
    table.get_mut(index)
}

#[derive(Debug, Default)]
pub struct CheckOutput {
    pub tables: Tables,
    pub diagnostics: Vec<Diagnostic>,
    pub index: SemanticIndex,
}

/// The names visible at module level.
#[derive(Debug, Default, Clone)]
struct ModuleScope {
    items: HashMap<String, Def>,
    /// Imported names: what they refer to, where imported, whether used.
    imports: HashMap<String, (Def, Span)>,
    imports_used: std::collections::HashSet<String>,
}

/// What kind of body is being checked; decides which built-ins and
/// effects are allowed.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum BodyKind {
    /// A function body, with the function's id.
    Fn(FnId),
    Test,
    Property,
    Invariant,
    /// A clause of the spec of this function; `true` in `ensures`, where
    /// `old(..)` and `result` may be used.
    Spec(FnId, bool),
    /// A constant's value or a property range bound.
    Const,
}

#[derive(Clone)]
pub(crate) struct Checker<'a> {
    modules: Vec<ModuleSource<'a>>,
    scopes: Vec<ModuleScope>,
    contract_scopes: Vec<HashMap<String, Def>>,
    contract_module: Vec<usize>,
    t: Tables,
    diags: Vec<Diagnostic>,
    index: SemanticIndex,
    /// Per local: (used, mutated).
    local_use: Vec<(bool, bool)>,
    /// Per function: whether its own body writes storage or emits.
    fn_writes: Vec<bool>,
    /// Per function: the functions it calls.
    fn_calls: Vec<Vec<FnId>>,
    /// Calls made from read-only contexts, checked once all bodies are done.
    read_only_calls: Vec<(FnId, Span, BodyKind)>,
}

/// The standard library, checked once: the checker's whole state after
/// its modules, ready to have user modules checked on top.
///
/// Why: the library is the same for every analysis, and checking it again
/// on every keystroke in the editor was a third of the work on a large file.
#[derive(Clone)]
pub struct CheckedLibrary(Checker<'static>);

impl std::fmt::Debug for CheckedLibrary {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("CheckedLibrary").field("modules", &self.0.modules.len()).finish()
    }
}

impl CheckedLibrary {
    /// Checks the library modules (they may use each other, never user code).
    pub fn new(modules: &[ModuleSource<'static>]) -> CheckedLibrary {
        let mut checker = Checker::empty();
        checker.check_modules(modules);
        CheckedLibrary(checker)
    }
}

/// Checks user modules on top of the checked library (which they may use).
pub fn check(library: &CheckedLibrary, modules: &[ModuleSource<'_>]) -> CheckOutput {
    let mut checker = library.0.clone();
    checker.check_modules(modules);
    let library_files: Vec<_> =
        checker.modules.iter().filter(|m| m.is_library).map(|m| m.tree.span.file).collect();
    let mut diagnostics = checker.diags;
    diagnostics.retain(|d| !(d.severity == crate::Severity::Warning && library_files.contains(&d.span.file)));
    crate::diagnostic::sort(&mut diagnostics);
    diagnostics.dedup();
    CheckOutput { tables: checker.t, diagnostics, index: checker.index }
}

impl<'a> Checker<'a> {
    fn empty() -> Checker<'a> {
        Checker {
            modules: Vec::new(),
            scopes: Vec::new(),
            contract_scopes: Vec::new(),
            contract_module: Vec::new(),
            t: Tables::default(),
            diags: Vec::new(),
            index: SemanticIndex::default(),
            local_use: Vec::new(),
            fn_writes: Vec::new(),
            fn_calls: Vec::new(),
            read_only_calls: Vec::new(),
        }
    }

    /// Declares and checks `modules` after those checked already.
    fn check_modules(&mut self, modules: &[ModuleSource<'a>]) {
        let first = self.modules.len();
        self.modules.extend_from_slice(modules);
        self.scopes.extend(modules.iter().map(|_| ModuleScope::default()));
        for module in modules {
            self.index.typed.entry(module.tree.span.file).or_default().presize(module.nodes);
        }
        let work = self.declare_all(first);
        self.check_bodies(&work);
        self.check_read_only_calls();
        self.report_unused_imports(first);
    }

    fn error(&mut self, code: Code, span: Span, message: impl Into<String>) -> &mut Diagnostic {
        self.diags.push(Diagnostic::error(code, span, message));
        let last = self.diags.len() - 1;
        &mut self.diags[last]
    }

    fn warn(&mut self, code: Code, span: Span, message: impl Into<String>) {
        self.diags.push(Diagnostic::warning(code, span, message));
    }

    fn push(&mut self, diagnostic: Diagnostic) {
        self.diags.push(diagnostic);
    }

    /// Records what `name` refers to: for the editor by position, and for
    /// the back end and the verifier by node id.
    fn reference(&mut self, name: &Ident, def: Def) {
        self.index.references.push(Reference { span: name.span, def, is_declaration: false });
        self.index.typed.entry(name.span.file).or_default().set_def(name.id, def);
    }

    fn declaration(&mut self, name: &Ident, def: Def) {
        self.index.references.push(Reference { span: name.span, def, is_declaration: true });
        self.index.typed.entry(name.span.file).or_default().set_def(name.id, def);
    }

    fn display(&self, ty: &Ty) -> String {
        self.t.display(ty)
    }

    fn new_local(&mut self, name: &Ident, info: crate::types::LocalInfo) -> LocalId {
        let id = self.t.locals.len() as LocalId;
        self.t.locals.push(info);
        self.local_use.push((false, false));
        self.declaration(name, Def::Local(id));
        id
    }

    fn contract_name(&self, id: ContractId) -> String {
        self.t.contract(id).map_or_else(String::new, |c| c.name.clone())
    }

    /// Reports a type mismatch unless either side is already an error.
    fn mismatch(&mut self, span: Span, expected: &Ty, found: &Ty) {
        if expected.fits_anywhere() || found.fits_anywhere() {
            return;
        }
        let message = format!("expected `{}`, found `{}`", self.display(expected), self.display(found));
        self.error(Code::TypeMismatch, span, message);
    }

    /// Checks that `found` can be used where `expected` is required.
    fn expect_type(&mut self, span: Span, expected: &Ty, found: &Ty) {
        if !compatible(expected, found) {
            self.mismatch(span, expected, found);
        }
    }
}

/// Whether a value of type `found` fits where `expected` is required. Error
/// and Never fit anywhere, also inside generic types (`[]` in `List<T>`).
fn compatible(expected: &Ty, found: &Ty) -> bool {
    if expected.fits_anywhere() || found.fits_anywhere() {
        return true;
    }
    match (expected, found) {
        (Ty::Option(a), Ty::Option(b)) | (Ty::List(a), Ty::List(b)) => compatible(a, b),
        (Ty::Map(ka, va), Ty::Map(kb, vb)) => compatible(ka, kb) && compatible(va, vb),
        (Ty::Tuple(a), Ty::Tuple(b)) => a.len() == b.len() && a.iter().zip(b).all(|(x, y)| compatible(x, y)),
        _ => expected == found,
    }
}

/// The candidate closest to `name` within the suggestion distance.
fn suggest<'n>(name: &str, candidates: impl IntoIterator<Item = &'n str>) -> Option<String> {
    let mut best: Option<(usize, &str)> = None;
    for candidate in candidates {
        if candidate == name {
            continue;
        }
        let distance = edit_distance(name, candidate);
        let limit = SUGGESTION_DISTANCE_MAX.min(name.chars().count().max(1) / 2 + 1);
        if distance <= limit && best.is_none_or(|(d, c)| (distance, candidate) < (d, c)) {
            best = Some((distance, candidate));
        }
    }
    best.map(|(_, c)| c.to_string())
}

fn edit_distance(a: &str, b: &str) -> usize {
    let a: Vec<char> = a.chars().collect();
    let b: Vec<char> = b.chars().collect();
    let mut previous: Vec<usize> = (0..=b.len()).collect();
    for (i, ca) in a.iter().enumerate() {
        let mut current = vec![i + 1];
        for (j, cb) in b.iter().enumerate() {
            let substitute = previous.get(j).copied().unwrap_or(0) + usize::from(ca != cb);
            let delete = previous.get(j + 1).copied().unwrap_or(0) + 1;
            let insert = current.get(j).copied().unwrap_or(0) + 1;
            current.push(substitute.min(delete).min(insert));
        }
        previous = current;
    }
    previous.last().copied().unwrap_or(0)
}

/// Adds "did you mean" to a diagnostic, with a fix replacing `span`.
fn with_suggestion(diagnostic: &mut Diagnostic, span: Span, suggestion: Option<String>) {
    if let Some(s) = suggestion {
        diagnostic.fix =
            Some(crate::diagnostic::Fix { message: format!("did you mean `{s}`?"), span, replacement: s });
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    // Suggestions pick the nearest name, and nothing when all are far.
    #[test]
    fn suggestions() {
        assert_eq!(suggest("filngs", ["filings", "payments"]), Some("filings".to_string()));
        assert_eq!(suggest("x", ["filings"]), None);
        assert_eq!(edit_distance("kitten", "sitting"), 3);
    }
}
