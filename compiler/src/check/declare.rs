//! Declaration passes: collect every item's name, resolve imports, then
//! resolve the types in signatures, fields and storage.
//!
//! Invariant: after these passes every id in `Tables` is valid and every
//! type in a signature is resolved (or `Ty::Error`, already reported), so
//! body checking can look anything up without failing.

use std::collections::HashMap;

use super::{Checker, ModuleScope, suggest, with_suggestion};
use crate::ast::*;
use crate::diagnostic::Code;
use crate::span::Span;
use crate::types::*;

/// The bodies left to check once all declarations are known.
#[derive(Default)]
pub(super) struct Work<'a> {
    pub fns: Vec<(FnId, &'a FnDef, usize)>,
    pub consts: Vec<(ConstId, &'a ConstDef, usize, Option<ContractId>)>,
    pub invariants: Vec<(&'a InvariantDef, usize, ContractId)>,
    pub specs: Vec<(&'a SpecDef, usize, ContractId)>,
    pub tests: Vec<(&'a TestDef, usize)>,
    pub properties: Vec<(&'a PropertyDef, usize)>,
    structs: Vec<(StructId, &'a StructDef, usize, Option<ContractId>)>,
    enums: Vec<(EnumId, &'a EnumDef, usize, Option<ContractId>)>,
    storage: Vec<(ContractId, &'a FieldDef, usize)>,
    records: Vec<(ContractId, bool, u32, &'a RecordDef, usize)>,
    uses: Vec<(&'a UseItem, usize)>,
}

impl<'a> Checker<'a> {
    /// Declares the items of the modules from `first` on.
    pub(super) fn declare_all(&mut self, first: usize) -> Work<'a> {
        let mut work = Work::default();
        for m in first..self.modules.len() {
            let tree = self.modules[m].tree;
            for item in &tree.items {
                self.declare_item(item, m, &mut work);
            }
        }
        for (use_item, m) in std::mem::take(&mut work.uses) {
            self.resolve_use(use_item, m);
        }
        self.resolve_signatures(&mut work);
        self.check_recursive_structs();
        self.check_endless_enums();
        work
    }

    fn declare_item(&mut self, item: &'a Item, m: usize, work: &mut Work<'a>) {
        match &item.kind {
            ItemKind::Use(u) => work.uses.push((u, m)),
            ItemKind::Struct(s) => {
                let id = self.declare_struct(s, item.doc.clone());
                self.bind_module(m, &s.name, Def::Struct(id));
                work.structs.push((id, s, m, None));
            }
            ItemKind::Enum(e) => {
                let id = self.declare_enum(e, item.doc.clone());
                self.bind_module(m, &e.name, Def::Enum(id));
                work.enums.push((id, e, m, None));
            }
            ItemKind::Const(c) => {
                let id = self.declare_const(c, item.doc.clone());
                self.bind_module(m, &c.name, Def::Const(id));
                work.consts.push((id, c, m, None));
            }
            ItemKind::Fn(f) => {
                // A module's `pub fn` is a function other modules may import;
                // a view is an entry point, and only a contract has those.
                if f.kind == FnKind::View {
                    self.error(
                        Code::ContractOnly,
                        f.name.span,
                        "`pub view fn` declares a view entry point, and only a contract has entry points",
                    )
                    .with_hint_text("write `pub fn` to share a plain function with other modules");
                }
                let id = self.declare_fn(f, None, item.doc.clone());
                self.bind_module(m, &f.name, Def::Fn(id));
                work.fns.push((id, f, m));
            }
            ItemKind::Contract(c) => self.declare_contract(c, item.doc.clone(), m, work),
            ItemKind::Test(t) => work.tests.push((t, m)),
            ItemKind::Property(p) => work.properties.push((p, m)),
            ItemKind::Error => {}
        }
    }

    fn reserved(&mut self, name: &Ident) {
        if crate::builtins::type_named(&name.name).is_some() {
            self.error(
                Code::ReservedName,
                name.span,
                format!("`{}` is a built-in type; choose another name", name.name),
            );
        }
    }

    fn declare_struct(&mut self, s: &StructDef, doc: Option<String>) -> StructId {
        self.reserved(&s.name);
        let id = self.t.structs.len() as StructId;
        self.t.structs.push(StructInfo {
            name: s.name.name.clone(),
            span: s.name.span,
            fields: Vec::new(),
            doc,
        });
        self.declaration(&s.name, Def::Struct(id));
        id
    }

    fn declare_enum(&mut self, e: &EnumDef, doc: Option<String>) -> EnumId {
        self.reserved(&e.name);
        let id = self.t.enums.len() as EnumId;
        let mut variants: Vec<VariantInfo> = Vec::new();
        for (i, v) in e.variants.iter().enumerate() {
            if variants.iter().any(|x| x.name == v.name.name) {
                self.duplicate(&v.name, "variant");
                continue;
            }
            variants.push(VariantInfo { name: v.name.name.clone(), fields: Vec::new(), span: v.name.span });
            self.declaration(&v.name, Def::Variant(id, i as u32));
        }
        self.t.enums.push(EnumInfo { name: e.name.name.clone(), span: e.name.span, variants, doc });
        self.declaration(&e.name, Def::Enum(id));
        id
    }

    fn declare_const(&mut self, c: &ConstDef, doc: Option<String>) -> ConstId {
        let id = self.t.consts.len() as ConstId;
        self.t.consts.push(ConstInfo { name: c.name.name.clone(), ty: Ty::Error, span: c.name.span, doc });
        self.declaration(&c.name, Def::Const(id));
        id
    }

    fn declare_fn(&mut self, f: &FnDef, contract: Option<ContractId>, doc: Option<String>) -> FnId {
        let id = self.t.fns.len() as FnId;
        self.t.fns.push(FnInfo {
            name: f.name.name.clone(),
            span: f.name.span,
            // Outside a contract, `pub` is visibility alone: the function
            // is a plain one.
            kind: if contract.is_none() { FnKind::Private } else { f.kind },
            contract,
            params: Vec::new(),
            ret: Ty::Unit,
            requires: Vec::new(),
            doc,
        });
        self.fn_writes.push(false);
        self.fn_calls.push(Vec::new());
        self.declaration(&f.name, Def::Fn(id));
        id
    }

    fn declare_contract(&mut self, c: &'a ContractDef, doc: Option<String>, m: usize, work: &mut Work<'a>) {
        // A contract's name is a type too (a reference to one).
        self.reserved(&c.name);
        let cid = self.t.contracts.len() as ContractId;
        self.t.contracts.push(ContractInfo {
            name: c.name.name.clone(),
            span: c.name.span,
            roles: vec![RoleInfo { name: "Admin".into(), span: c.name.span }],
            doc,
            interface: c.interface,
            from_artifact: c.interface && self.modules[m].from_artifact,
            ..ContractInfo::default()
        });
        self.contract_scopes.push(HashMap::new());
        self.contract_module.push(m);
        self.declaration(&c.name, Def::Contract(cid));
        self.bind_module(m, &c.name, Def::Contract(cid));
        self.contract_scopes[cid as usize].insert("Admin".into(), Def::Role(cid, 0));
        for member in &c.members {
            if c.interface && !self.interface_member(member) {
                continue;
            }
            self.declare_member(member, cid, m, work);
        }
    }

    /// Whether `member` of an interface is one it may hold: the roles its
    /// entry points require, and signatures (of `init` too, for deploying
    /// the contract's artifact in tests). Anything else is reported and
    /// left out.
    fn interface_member(&mut self, member: &Member) -> bool {
        let problem = match &member.kind {
            MemberKind::Fn(f) if f.signature && f.kind != FnKind::Private => return true,
            MemberKind::Roles(_) => return true,
            MemberKind::Broken => return false,
            MemberKind::Fn(f) if f.kind == FnKind::Private => {
                "an interface lists entry points only: `pub fn` or `pub view fn`"
            }
            MemberKind::Fn(_) => "an interface's entry point has no body: end its signature with `;`",
            _ => {
                "an interface holds roles and entry-point signatures only: storage, events, errors, types, invariants and specs belong to the contract"
            }
        };
        let span = match &member.kind {
            MemberKind::Fn(f) if !f.signature => Span { hi: f.body.span.lo, ..member.span },
            _ => member.span,
        };
        self.error(Code::InterfaceMember, span, problem);
        false
    }

    fn declare_member(&mut self, member: &'a Member, cid: ContractId, m: usize, work: &mut Work<'a>) {
        let doc = member.doc.clone();
        match &member.kind {
            MemberKind::Roles(names) => {
                for name in names {
                    let index = self.t.contracts[cid as usize].roles.len() as u32;
                    if self.bind_contract(cid, name, Def::Role(cid, index)) {
                        self.t.contracts[cid as usize]
                            .roles
                            .push(RoleInfo { name: name.name.clone(), span: name.span });
                        self.declaration(name, Def::Role(cid, index));
                    }
                }
            }
            MemberKind::Storage(fields) => {
                for field in fields {
                    let contract = &self.t.contracts[cid as usize];
                    if contract.storage_field(&field.name.name).is_some() {
                        self.duplicate(&field.name, "storage field");
                        continue;
                    }
                    let index = contract.storage.len() as u32;
                    self.t.contracts[cid as usize].storage.push(FieldInfo {
                        name: field.name.name.clone(),
                        ty: Ty::Error,
                        span: field.name.span,
                    });
                    self.declaration(&field.name, Def::Storage(cid, index));
                    work.storage.push((cid, field, m));
                }
            }
            MemberKind::Event(record) | MemberKind::Error(record) => {
                let is_event = matches!(member.kind, MemberKind::Event(_));
                let contract = &self.t.contracts[cid as usize];
                let taken = contract.event(&record.name.name).is_some()
                    || contract.error(&record.name.name).is_some();
                if taken {
                    self.duplicate(&record.name, if is_event { "event" } else { "error" });
                    return;
                }
                let info = RecordInfo {
                    name: record.name.name.clone(),
                    fields: Vec::new(),
                    span: record.name.span,
                    doc,
                };
                let contract = &mut self.t.contracts[cid as usize];
                let index = if is_event {
                    contract.events.push(info);
                    contract.events.len() - 1
                } else {
                    contract.errors.push(info);
                    contract.errors.len() - 1
                } as u32;
                let def = if is_event { Def::Event(cid, index) } else { Def::Error(cid, index) };
                self.declaration(&record.name, def);
                work.records.push((cid, is_event, index, record, m));
            }
            MemberKind::Fn(f) => {
                let id = self.declare_fn(f, Some(cid), doc);
                if f.kind == FnKind::Init {
                    if let Some(first) = self.t.contracts[cid as usize].init {
                        let first_span = self.t.fns[first as usize].span;
                        self.error(Code::DuplicateInit, f.name.span, "a contract has at most one `init`")
                            .labels
                            .push(crate::diagnostic::Label {
                                span: first_span,
                                message: "first `init` here".into(),
                            });
                    } else {
                        self.t.contracts[cid as usize].init = Some(id);
                    }
                } else if self.bind_contract(cid, &f.name, Def::Fn(id)) {
                    self.t.contracts[cid as usize].fns.push(id);
                }
                work.fns.push((id, f, m));
            }
            MemberKind::Struct(s) => {
                let id = self.declare_struct(s, doc);
                self.bind_contract(cid, &s.name, Def::Struct(id));
                work.structs.push((id, s, m, Some(cid)));
            }
            MemberKind::Enum(e) => {
                let id = self.declare_enum(e, doc);
                self.bind_contract(cid, &e.name, Def::Enum(id));
                work.enums.push((id, e, m, Some(cid)));
            }
            MemberKind::Const(c) => {
                let id = self.declare_const(c, doc);
                self.bind_contract(cid, &c.name, Def::Const(id));
                work.consts.push((id, c, m, Some(cid)));
            }
            MemberKind::Invariant(inv) => work.invariants.push((inv, m, cid)),
            MemberKind::Spec(spec) => work.specs.push((spec, m, cid)),
            MemberKind::Broken => {}
        }
    }

    fn duplicate(&mut self, name: &Ident, what: &str) {
        self.error(
            Code::DuplicateDefinition,
            name.span,
            format!("the {what} `{}` is defined more than once", name.name),
        );
    }

    /// Binds a module-level name; reports a duplicate and returns false if taken.
    fn bind_module(&mut self, m: usize, name: &Ident, def: Def) -> bool {
        if self.scopes[m].items.contains_key(&name.name) {
            self.duplicate(name, "name");
            return false;
        }
        self.scopes[m].items.insert(name.name.clone(), def);
        true
    }

    fn bind_contract(&mut self, cid: ContractId, name: &Ident, def: Def) -> bool {
        if name.name == "Admin" && !matches!(def, Def::Role(_, 0)) {
            self.error(Code::ReservedName, name.span, "`Admin` is the built-in role every contract has");
            return false;
        }
        if self.contract_scopes[cid as usize].contains_key(&name.name) {
            self.duplicate(name, "name");
            return false;
        }
        self.contract_scopes[cid as usize].insert(name.name.clone(), def);
        true
    }

    fn resolve_use(&mut self, u: &UseItem, m: usize) {
        let Some(path) = self.module_path_of(u, m) else { return };
        let Some(target) = self.modules.iter().position(|module| module.path == path) else {
            let package = self.modules[m].package;
            let mut paths: Vec<&str> = self
                .modules
                .iter()
                .filter(|x| x.is_library || (x.package.is_some() && x.package == package))
                .map(|x| x.path)
                .collect();
            paths.sort_unstable();
            let suggestion = suggest(&path, paths.iter().copied());
            let written = u.module.to_text();
            let message = match package {
                Some(_) if written != path => {
                    format!("there is no module `{written}` (`{path}`); there are {}", paths.join(", "))
                }
                Some(_) => format!("there is no module `{path}`; there are {}", paths.join(", ")),
                None => format!("there is no module `{path}`; the standard library has {}", paths.join(", ")),
            };
            let span = u.module.span;
            let d = self.error(Code::UnknownModule, span, message);
            with_suggestion(d, span, suggestion);
            return;
        };
        // Another module of a package shares only what it declares `pub`;
        // the standard library shares everything.
        let guarded = target != m && self.modules[target].package.is_some();
        for name in &u.names {
            if guarded
                && !declares_public(self.modules[target].tree, &name.name)
                && self.scopes[target].items.contains_key(&name.name)
            {
                // Bound below all the same, so its uses are not reported
                // again as unknown names.
                self.error(
                    Code::PrivateItem,
                    name.span,
                    format!(
                        "`{}` is private to module `{path}`; declare it `pub` there to share it",
                        name.name
                    ),
                );
            }
            let Some(def) = self.scopes[target].items.get(&name.name).copied() else {
                let names: Vec<String> = self.scopes[target].items.keys().cloned().collect();
                let suggestion = suggest(&name.name, names.iter().map(String::as_str));
                let d = self.error(
                    Code::UnknownImport,
                    name.span,
                    format!("module `{path}` has no item `{}`", name.name),
                );
                with_suggestion(d, name.span, suggestion);
                continue;
            };
            if self.scopes[m].items.contains_key(&name.name)
                || self.scopes[m].imports.contains_key(&name.name)
            {
                self.duplicate(name, "name");
                continue;
            }
            self.reference(name, def);
            self.scopes[m].imports.insert(name.name.clone(), (def, name.span));
        }
    }

    /// The module path a `use` in module `m` names: `crate::` is the
    /// package's own name, and a package may import only from itself, its
    /// dependencies and the standard library. `None` once reported.
    fn module_path_of(&mut self, u: &UseItem, m: usize) -> Option<String> {
        let written = u.module.to_text();
        let first = u.module.segments.first().map(|s| s.name.as_str()).unwrap_or("");
        let span = u.module.span;
        // A package's source does not import its tests (a dependency's are
        // never read, and the build leaves them out).
        if let Some(package) = self.modules[m].package
            && u.module.segments.get(1).is_some_and(|s| s.name == "tests")
            && self.modules[m].path.split("::").nth(1) != Some("tests")
        {
            self.error(
                Code::UnknownModule,
                span,
                format!("the tests of `{}` are not part of what its modules may import", package.name),
            );
            return None;
        }
        match (first, self.modules[m].package) {
            ("std", _) => Some(written),
            ("crate", Some(package)) => Some(written.replacen("crate", &package.name, 1)),
            ("crate", None) => {
                self.error(
                    Code::UnknownModule,
                    span,
                    "`crate::` names a module of this file's package, and this file is not in a package (a folder with `writ.toml`)",
                );
                None
            }
            (name, Some(package)) if name == package.name => {
                let d = self.error(
                    Code::UnknownModule,
                    span,
                    format!("a package names its own modules with `crate::`, not `{name}::`"),
                );
                with_suggestion(d, span, Some(written.replacen(name, "crate", 1)));
                None
            }
            (name, Some(package)) if package.dependencies.iter().any(|d| d == name) => Some(written),
            (name, Some(package)) => {
                let d = self.error(
                    Code::MissingDependency,
                    span,
                    format!(
                        "the package `{}` does not depend on a package `{name}`; add it under [dependencies] in its writ.toml",
                        package.name
                    ),
                );
                if package.dependencies.is_empty() {
                    d.notes.push("it has no dependencies".to_string());
                } else {
                    d.notes.push(format!("its dependencies are {}", package.dependencies.join(", ")));
                }
                // When the package is loaded all the same (another package
                // depends on it), the import resolves, so its uses are not
                // reported again as unknown names.
                self.modules.iter().any(|module| module.path == written).then_some(written)
            }
            (_, None) => Some(written),
        }
    }

    /// Warns about unused imports of the modules from `first` on.
    pub(super) fn report_unused_imports(&mut self, first: usize) {
        let mut unused = Vec::new();
        for scope in self.scopes.iter().skip(first) {
            for (name, (_, span)) in &scope.imports {
                if !scope.imports_used.contains(name) {
                    unused.push((name.clone(), *span));
                }
            }
        }
        for (name, span) in unused {
            self.warn(Code::UnusedImport, span, format!("`{name}` is imported but never used"));
        }
    }

    fn resolve_signatures(&mut self, work: &mut Work<'a>) {
        for &(id, s, m, c) in &work.structs {
            let mut fields: Vec<FieldInfo> = Vec::new();
            for (i, f) in s.fields.iter().enumerate() {
                let ty = self.resolve_type(&f.ty, m, c);
                if fields.iter().any(|x| x.name == f.name.name) {
                    self.duplicate(&f.name, "field");
                    continue;
                }
                self.declaration(&f.name, Def::Field(id, i as u32));
                fields.push(FieldInfo { name: f.name.name.clone(), ty, span: f.name.span });
            }
            self.t.structs[id as usize].fields = fields;
        }
        for &(id, e, m, c) in &work.enums {
            for v in &e.variants {
                let tys: Vec<Ty> = v.fields.iter().map(|t| self.resolve_type(t, m, c)).collect();
                if let Some(info) =
                    self.t.enums[id as usize].variants.iter_mut().find(|x| x.span == v.name.span)
                {
                    info.fields = tys;
                }
            }
        }
        for &(id, c, m, cid) in &work.consts {
            self.t.consts[id as usize].ty = self.resolve_type(&c.ty, m, cid);
        }
        for &(cid, field, m) in &work.storage {
            let ty = self.resolve_type(&field.ty, m, Some(cid));
            if let Some(slot) =
                self.t.contracts[cid as usize].storage.iter_mut().find(|s| s.span == field.name.span)
            {
                slot.ty = ty;
            }
        }
        for &(cid, is_event, index, record, m) in &work.records {
            let fields = self.resolve_params(&record.fields, m, Some(cid));
            let contract = &mut self.t.contracts[cid as usize];
            let list = if is_event { &mut contract.events } else { &mut contract.errors };
            if let Some(r) = list.get_mut(index as usize) {
                r.fields = fields;
            }
        }
        for &(id, f, m) in &work.fns {
            self.resolve_fn_signature(id, f, m);
        }
    }

    fn resolve_params(&mut self, params: &[Param], m: usize, c: Option<ContractId>) -> Vec<FieldInfo> {
        let mut out: Vec<FieldInfo> = Vec::new();
        for p in params {
            let ty = self.resolve_type(&p.ty, m, c);
            if out.iter().any(|x| x.name == p.name.name) {
                self.duplicate(&p.name, "parameter");
            }
            out.push(FieldInfo { name: p.name.name.clone(), ty, span: p.name.span });
        }
        out
    }

    fn resolve_fn_signature(&mut self, id: FnId, f: &FnDef, m: usize) {
        let contract = self.t.fns[id as usize].contract;
        let params = self.resolve_params(&f.params, m, contract);
        let ret = match &f.ret {
            Some(t) => self.resolve_type(t, m, contract),
            None => Ty::Unit,
        };
        let mut requires = Vec::new();
        if !f.requires.is_empty() && matches!(f.kind, FnKind::Private | FnKind::Init) {
            let what = if f.kind == FnKind::Init { "`init`" } else { "a private function" };
            let span = f.requires[0].span.to(f.requires[f.requires.len() - 1].span);
            self.error(
                Code::RequiresOnPrivate,
                span,
                format!("{what} cannot require a role: only entry points (`pub fn`) are called from outside"),
            );
        }
        for role in &f.requires {
            let found =
                contract.and_then(|cid| self.t.contracts[cid as usize].role(&role.name).map(|i| (cid, i)));
            match found {
                Some((cid, index)) => {
                    self.reference(role, Def::Role(cid, index));
                    requires.push(index);
                }
                None => self.unknown_role(role, contract),
            }
        }
        let info = &mut self.t.fns[id as usize];
        info.params = params;
        info.ret = ret;
        info.requires = requires;
    }

    pub(super) fn unknown_role(&mut self, role: &Ident, contract: Option<ContractId>) {
        let names: Vec<String> = contract
            .and_then(|c| self.t.contract(c))
            .map(|c| c.roles.iter().map(|r| r.name.clone()).collect())
            .unwrap_or_default();
        let suggestion = suggest(&role.name, names.iter().map(String::as_str));
        let message = match contract {
            Some(c) => format!("the contract `{}` declares no role `{}`", self.contract_name(c), role.name),
            None => format!("`{}` is not a role", role.name),
        };
        let d = self.error(Code::UnknownRole, role.span, message);
        d.notes.push(format!("declared roles: {}", names.join(", ")));
        with_suggestion(d, role.span, suggestion);
    }

    /// Resolves a written type in the scope of module `m` and contract `c`.
    pub(super) fn resolve_type(&mut self, t: &TypeExpr, m: usize, c: Option<ContractId>) -> Ty {
        match &t.kind {
            TypeKind::Tuple(parts) => {
                let tys: Vec<Ty> = parts.iter().map(|p| self.resolve_type(p, m, c)).collect();
                // `(T)` parses as `T` itself; a `Tuple` of one part was
                // written `(T,)` and is a one-element tuple (decision 15).
                match tys.len() {
                    0 => Ty::Unit,
                    _ => Ty::Tuple(tys),
                }
            }
            TypeKind::Named { path, args } => self.resolve_named_type(t.span, path, args, m, c),
        }
    }

    fn resolve_named_type(
        &mut self,
        span: Span,
        path: &Path,
        args: &[TypeExpr],
        m: usize,
        c: Option<ContractId>,
    ) -> Ty {
        let name = path.last().name.as_str();
        let user = self.lookup_path(path, m, c);
        let arity = |this: &mut Self, n: usize| -> bool {
            if args.len() != n {
                this.error(
                    Code::UnknownType,
                    span,
                    format!(
                        "`{name}` takes {n} type argument{}, found {}",
                        if n == 1 { "" } else { "s" },
                        args.len()
                    ),
                );
                return false;
            }
            true
        };
        match user {
            Some(Def::Struct(id)) => {
                self.reference(path.last(), Def::Struct(id));
                return if arity(self, 0) { Ty::Struct(id) } else { Ty::Error };
            }
            Some(Def::Enum(id)) => {
                self.reference(path.last(), Def::Enum(id));
                return if arity(self, 0) { Ty::Enum(id) } else { Ty::Error };
            }
            // A contract's name as a type: a reference to a deployed one.
            Some(Def::Contract(id)) => {
                self.reference(path.last(), Def::Contract(id));
                return if arity(self, 0) { Ty::Ref(id) } else { Ty::Error };
            }
            _ => {}
        }
        if !path.is_single() {
            return self.unknown_type(path, m, c);
        }
        let scalar =
            crate::builtins::type_named(name).and_then(|t| t.scalar).and_then(|s| s.resolve(None, None));
        if let Some(ty) = scalar {
            return if arity(self, 0) { ty } else { Ty::Error };
        }
        match name {
            "Option" | "List" => {
                if !arity(self, 1) {
                    return Ty::Error;
                }
                let inner = Box::new(self.resolve_type(&args[0], m, c));
                if name == "Option" { Ty::Option(inner) } else { Ty::List(inner) }
            }
            "Map" => {
                if !arity(self, 2) {
                    return Ty::Error;
                }
                let key = self.resolve_type(&args[0], m, c);
                let value = self.resolve_type(&args[1], m, c);
                if !key.is_ordered() && !matches!(key, Ty::Enum(_)) {
                    let shown = self.display(&key);
                    self.error(
                        Code::InvalidMapKey,
                        args[0].span,
                        format!("`{shown}` cannot be a map key: keys must be numbers, text, bytes, hashes, addresses, times, dates, enums or tuples of them"),
                    );
                    return Ty::Map(Box::new(Ty::Error), Box::new(value));
                }
                Ty::Map(Box::new(key), Box::new(value))
            }
            _ => self.unknown_type(path, m, c),
        }
    }

    fn unknown_type(&mut self, path: &Path, m: usize, c: Option<ContractId>) -> Ty {
        let mut names: Vec<String> = crate::builtins::TYPES.iter().map(|t| t.name.to_string()).collect();
        let scope = &self.scopes[m];
        for (name, def) in scope.items.iter().chain(scope.imports.iter().map(|(n, (d, _))| (n, d))) {
            if matches!(def, Def::Struct(_) | Def::Enum(_)) {
                names.push(name.clone());
            }
        }
        if let Some(cid) = c {
            for (name, def) in &self.contract_scopes[cid as usize] {
                if matches!(def, Def::Struct(_) | Def::Enum(_)) {
                    names.push(name.clone());
                }
            }
        }
        let text = path.to_text();
        let suggestion = suggest(&text, names.iter().map(String::as_str));
        let d = self.error(Code::UnknownType, path.span, format!("there is no type `{text}` here"));
        with_suggestion(d, path.span, suggestion);
        Ty::Error
    }

    /// Looks a single name up through contract, module and imports.
    pub(super) fn lookup_name(&mut self, name: &str, m: usize, c: Option<ContractId>) -> Option<Def> {
        if let Some(cid) = c
            && let Some(def) = self.contract_scopes.get(cid as usize).and_then(|s| s.get(name))
        {
            return Some(*def);
        }
        let scope: &mut ModuleScope = self.scopes.get_mut(m)?;
        if let Some(def) = scope.items.get(name) {
            return Some(*def);
        }
        if let Some((def, _)) = scope.imports.get(name) {
            let def = *def;
            scope.imports_used.insert(name.to_string());
            return Some(def);
        }
        None
    }

    /// Resolves a path: a single name, `module::item`, `Enum::Variant`,
    /// `Contract::Member`. Records no references; callers do.
    pub(super) fn lookup_path(&mut self, path: &Path, m: usize, c: Option<ContractId>) -> Option<Def> {
        if path.is_single() {
            return self.lookup_name(&path.last().name, m, c);
        }
        let segments = &path.segments;
        let (prefix, last) = segments.split_at(segments.len() - 1);
        let last = &last[0].name;
        let module_path: Vec<&str> = prefix.iter().map(|s| s.name.as_str()).collect();
        let module_path = module_path.join("::");
        // A qualified path reaches the standard library only: a package's
        // modules share their items through `use`, which holds them to
        // visibility and to the package's dependencies.
        if let Some(target) = self.modules.iter().position(|x| x.path == module_path && x.is_library) {
            return self.scopes[target].items.get(last).copied();
        }
        // `Enum::Variant`, `Contract::Member`, and through a contract,
        // `Contract::Enum::Variant`.
        let owner = match prefix {
            [single] => self.lookup_name(&single.name, m, c)?,
            _ => {
                let owner = Path { segments: prefix.to_vec(), span: path.span };
                self.lookup_path(&owner, m, c)?
            }
        };
        match owner {
            Def::Enum(id) => {
                let index = self.t.enum_info(id)?.variants.iter().position(|v| &v.name == last)?;
                Some(Def::Variant(id, index as u32))
            }
            Def::Contract(cid) => {
                let contract = self.t.contract(cid)?;
                if let Some(i) = contract.event(last) {
                    return Some(Def::Event(cid, i));
                }
                if let Some(i) = contract.error(last) {
                    return Some(Def::Error(cid, i));
                }
                self.contract_scopes.get(cid as usize)?.get(last).copied()
            }
            _ => None,
        }
    }

    /// Reports structs that contain themselves by value (never finite).
    fn check_recursive_structs(&mut self) {
        for id in 0..self.t.structs.len() as StructId {
            let mut stack: Vec<Ty> =
                self.t.structs[id as usize].fields.iter().map(|f| f.ty.clone()).collect();
            let mut seen = std::collections::HashSet::new();
            let mut recursive = false;
            while let Some(ty) = stack.pop() {
                match ty {
                    Ty::Struct(other) if other == id => {
                        recursive = true;
                        break;
                    }
                    Ty::Struct(other) if seen.insert(other) => {
                        stack.extend(self.t.structs[other as usize].fields.iter().map(|f| f.ty.clone()));
                    }
                    Ty::Tuple(parts) => stack.extend(parts),
                    _ => {}
                }
            }
            if recursive {
                let s = &self.t.structs[id as usize];
                let (span, name) = (s.span, s.name.clone());
                self.error(
                    Code::RecursiveType,
                    span,
                    format!("the struct `{name}` contains itself, so no value of it can ever be built"),
                )
                .notes
                .push("wrap the field in `Option<...>` or `List<...>` to allow an end".into());
            }
        }
    }
}

impl Checker<'_> {
    /// Reports enums no value of which can ever be built: every variant
    /// holds, by value, the enum itself or another such type (`enum Never
    /// { Again(Never) }`). A type is buildable when it is a scalar, text,
    /// an option, list or map (`None` and empty ones need nothing), or a
    /// record whose fields are, or an enum with such a variant; the least
    /// fixed point of that rule leaves exactly the endless ones out.
    fn check_endless_enums(&mut self) {
        let mut structs = vec![false; self.t.structs.len()];
        let mut enums = vec![false; self.t.enums.len()];
        fn buildable(ty: &Ty, structs: &[bool], enums: &[bool]) -> bool {
            match ty {
                Ty::Struct(id) => structs.get(*id as usize).copied().unwrap_or(true),
                Ty::Enum(id) => enums.get(*id as usize).copied().unwrap_or(true),
                Ty::Tuple(parts) => parts.iter().all(|p| buildable(p, structs, enums)),
                _ => true,
            }
        }
        loop {
            let mut changed = false;
            for (id, s) in self.t.structs.iter().enumerate() {
                if !structs[id] && s.fields.iter().all(|f| buildable(&f.ty, &structs, &enums)) {
                    structs[id] = true;
                    changed = true;
                }
            }
            for (id, e) in self.t.enums.iter().enumerate() {
                if !enums[id]
                    && e.variants.iter().any(|v| v.fields.iter().all(|f| buildable(f, &structs, &enums)))
                {
                    enums[id] = true;
                    changed = true;
                }
            }
            if !changed {
                break;
            }
        }
        for (id, done) in enums.iter().enumerate() {
            if *done {
                continue;
            }
            // An enum without variants got there through a syntax error,
            // already reported.
            let Some(e) = self.t.enums.get(id).filter(|e| !e.variants.is_empty()) else { continue };
            let (span, name) = (e.span, e.name.clone());
            self.error(
                Code::RecursiveType,
                span,
                format!("every variant of the enum `{name}` holds a value that never ends, so no value of it can ever be built"),
            )
            .notes
            .push("add a variant that does not hold the enum, or wrap a field in `Option<...>` or `List<...>`".into());
        }
    }
}

trait HintText {
    fn with_hint_text(&mut self, text: &str);
}

impl HintText for crate::diagnostic::Diagnostic {
    fn with_hint_text(&mut self, text: &str) {
        self.notes.push(text.to_string());
    }
}

/// Whether module `tree` declares an item `name` with `pub`.
fn declares_public(tree: &SourceFile, name: &str) -> bool {
    tree.items.iter().any(|item| {
        let declared = match &item.kind {
            ItemKind::Struct(s) => &s.name,
            ItemKind::Enum(e) => &e.name,
            ItemKind::Const(c) => &c.name,
            ItemKind::Fn(f) => &f.name,
            ItemKind::Contract(c) => &c.name,
            _ => return false,
        };
        declared.name == name && item.public
    })
}
