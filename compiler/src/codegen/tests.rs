//! Test harnesses: the `test` and `property` blocks of a file compiled into
//! one WebAssembly module that imports `writ_test.op` besides the host
//! functions (`writ_abi::host::test`). The test runner answers that import:
//! it deploys and calls the contracts compiled here, on the same VM path a
//! node uses, and checks assertions it cannot check in Wasm (`assert_eq`
//! compares encodings and prints both values; `assert_emitted` looks at
//! the events of the last call).
//!
//! Invariant: test code is compiled by the same back end as contracts; the
//! only difference is what the test built-ins lower to.

use wasm_encoder::{BlockType, Instruction as I, ValType};
use writ_abi::host::test::{PROPERTY_PREFIX, TEST_PREFIX, TestOp};
use writ_abi::{AbiType, Decimal, TypeDefs, Value};

use super::core::FnCompiler;
use super::core::{Compiled, CoverageCtx, Ctx, HarnessCtx, Probe, ProbeKind, RUNTIME, Site, finish_checked};
use super::module::{assemble, decode_args};
use super::repr::{Repr, repr};
use super::runtime::runtime_function;
use super::specs::{SpecCheck, compile_spec, contract_specs};
use super::{Artifact, Typed, abi_doc, unsupported};
use crate::analysis::Analysis;
use crate::ast::{Block, Expr, ExprKind, Ident, ItemKind, Lit, PropertyDef, UnOp};
use crate::diagnostic::Diagnostic;
use crate::span::{FileId, Span};
use crate::types::{ContractId, Def, IntTy, Ty};

type Out = Result<(), Diagnostic>;

/// A file's tests, ready for the runner.
#[derive(Debug, Clone)]
pub struct TestHarness {
    /// The harness module (no ABI section: it is never deployed).
    pub wasm: Vec<u8>,
    /// Tests and properties in source order.
    pub cases: Vec<TestCase>,
    /// Assertion and call sites, by the index the harness passes.
    pub sites: Vec<Site>,
    /// The contracts the tests deploy, by the index `Deploy` passes.
    pub contracts: Vec<Artifact>,
    /// The structs and enums that site types refer to by name.
    pub types: TypeDefs,
    /// The invariants of the deployed contracts.
    pub invariants: Vec<Invariant>,
    /// With coverage: every probe in the contracts, by id.
    pub probes: Vec<Probe>,
    /// The specs of the deployed contracts, checked around every call.
    pub specs: Vec<SpecCheck>,
}

/// A contract's `invariant` block, compiled into the harness. The runner
/// runs its entry against the contract's storage, read-only.
#[derive(Debug, Clone)]
pub struct Invariant {
    /// Index into `TestHarness::contracts`.
    pub contract: usize,
    pub name: String,
    pub span: Span,
    pub entry: String,
}

/// Export prefix of an invariant: `invariant.<contract>.<index>`.
pub const INVARIANT_PREFIX: &str = "invariant.";

#[derive(Debug, Clone)]
pub struct TestCase {
    pub name: String,
    /// The name's string literal.
    pub span: Span,
    /// The entry point (without `entry.`) that runs it.
    pub entry: String,
    /// `Some` for a property: its generated parameters.
    pub params: Option<Vec<PropertyParam>>,
    /// The body's braces and what is between them.
    pub body: Span,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PropertyParam {
    pub name: String,
    pub ty: AbiType,
    /// `in lo..hi`: lowest value and the excluded end.
    pub range: Option<(Value, Value)>,
}

/// Compiles the tests and properties of `file`, and every contract they
/// deploy. `Ok(None)` when the file has none. The caller has checked the
/// analysis has no errors.
pub fn build_tests(
    analysis: &Analysis,
    file: FileId,
    coverage: bool,
) -> Result<Option<TestHarness>, Vec<Diagnostic>> {
    let Some(data) = analysis.file(file) else { return Ok(None) };
    let typed = Typed::new(analysis);
    let mut ctx = Ctx::new(analysis, &typed, Some(HarnessCtx::default()), None);
    let mut diagnostics = Vec::new();
    let mut cases = Vec::new();
    let mut entries: Vec<(String, Compiled)> = Vec::new();
    for item in &data.parsed.tree.items {
        let (name, params, body, entry) = match &item.kind {
            ItemKind::Test(t) => (&t.name, None, &t.body, format!("{TEST_PREFIX}{}", cases.len())),
            ItemKind::Property(p) => (&p.name, Some(p), &p.body, format!("{PROPERTY_PREFIX}{}", cases.len())),
            _ => continue,
        };
        match case_function(&mut ctx, params, body, name.span) {
            Ok((compiled, params)) => {
                entries.push((writ_abi::host::entry_export(&entry), compiled));
                cases.push(TestCase {
                    name: name.value.clone(),
                    span: name.span,
                    entry,
                    params,
                    body: body.span,
                });
            }
            Err(d) => diagnostics.push(d),
        }
    }
    if cases.is_empty() && diagnostics.is_empty() {
        return Ok(None);
    }
    // Invariants of every contract the tests deploy. Their bodies read the
    // contract's storage through the ordinary host calls: the runner runs
    // them with the contract's state.
    let mut invariants = Vec::new();
    let deployed = ctx.harness.as_ref().map(|h| h.contracts.clone()).unwrap_or_default();
    for (index, cid) in deployed.iter().enumerate() {
        for def in contract_invariants(analysis, *cid) {
            let entry = format!("{INVARIANT_PREFIX}{index}.{}", invariants.len());
            match case_function(&mut ctx, None, &def.body, def.name.span) {
                Ok((compiled, _)) => {
                    entries.push((writ_abi::host::entry_export(&entry), compiled));
                    invariants.push(Invariant {
                        contract: index,
                        name: def.name.value.clone(),
                        span: def.name.span,
                        entry,
                    });
                }
                Err(d) => diagnostics.push(d),
            }
        }
    }
    // Specs of the same contracts, checked around each call they describe.
    let mut specs = Vec::new();
    for (index, cid) in deployed.iter().enumerate() {
        for (def, info) in contract_specs(analysis, *cid) {
            match compile_spec(&mut ctx, def, &info, index, specs.len(), &mut entries) {
                Ok(check) => specs.push(check),
                Err(d) => diagnostics.push(d),
            }
        }
    }
    let users = ctx.compile_queued(&mut diagnostics);
    let first_test = cases.first().map(|c| c.span).unwrap_or_default();
    diagnostics.extend(ctx.internal_errors(first_test));
    let harness = ctx.harness.take().unwrap_or_default();
    let mut contracts = Vec::new();
    let mut probes: Vec<Probe> = Vec::new();
    let mut next_point = 0;
    for cid in &harness.contracts {
        // An interface written from an artifact deploys the artifact itself.
        if let Some(found) = artifact_of(analysis, *cid) {
            match found {
                Ok(artifact) => contracts.push(artifact),
                Err(d) => diagnostics.push(d),
            }
            continue;
        }
        let source_hash = contract_source_hash(analysis, *cid);
        let counting =
            coverage.then(|| CoverageCtx { base: probes.len() as u32, next_point, probes: Vec::new() });
        match super::module::compile_contract(analysis, &typed, *cid, &source_hash, counting) {
            Ok((artifact, placed)) => {
                next_point +=
                    placed.iter().filter(|p| matches!(p.kind, ProbeKind::Branch { arm: 0, .. })).count()
                        as u32;
                probes.extend(placed);
                contracts.push(artifact);
            }
            Err(mut d) => diagnostics.append(&mut d),
        }
    }
    if !diagnostics.is_empty() {
        diagnostics.sort_by_key(|d| d.span);
        diagnostics.dedup_by_key(|d| d.span);
        return Err(diagnostics);
    }
    let types = abi_doc::type_defs_of(analysis.tables(), harness.site_types.clone());
    // `assemble` needs to know this is a harness (the extra import).
    ctx.harness = Some(HarnessCtx::default());
    let runtime: Vec<Compiled> = RUNTIME.iter().map(|r| runtime_function(&mut ctx, *r)).collect();
    let wasm = assemble(&ctx, runtime, users, entries, None);
    Ok(Some(TestHarness { wasm, cases, sites: harness.sites, contracts, types, invariants, probes, specs }))
}

/// The `invariant` blocks of contract `cid`, in source order.
fn contract_invariants(analysis: &Analysis, cid: ContractId) -> Vec<&crate::ast::InvariantDef> {
    contract_members(analysis, cid)
        .into_iter()
        .filter_map(|m| match &m.kind {
            crate::ast::MemberKind::Invariant(def) => Some(def),
            _ => None,
        })
        .collect()
}

/// The members of contract `cid` as written, in source order.
pub(super) fn contract_members(analysis: &Analysis, cid: ContractId) -> Vec<&crate::ast::Member> {
    let Some(info) = analysis.tables().contract(cid) else { return Vec::new() };
    let Some(file) = analysis.file(info.span.file) else { return Vec::new() };
    file.parsed
        .tree
        .items
        .iter()
        .filter_map(|item| match &item.kind {
            ItemKind::Contract(c) if analysis.def_of(&c.name) == Some(Def::Contract(cid)) => Some(c),
            _ => None,
        })
        .flat_map(|c| c.members.iter())
        .collect()
}

/// The built artifact behind interface `cid`, when it was written from one;
/// an error when those bytes no longer read as an artifact of it.
fn artifact_of(analysis: &Analysis, cid: ContractId) -> Option<Result<Artifact, Diagnostic>> {
    let contract = analysis.tables().contract(cid).filter(|c| c.from_artifact)?;
    let bytes = analysis.file(contract.span.file)?.artifact.clone()?;
    let abi = match writ_abi::document::read_from_module(&bytes) {
        Ok(abi) if abi.name == contract.name => abi,
        Ok(abi) => {
            let message = format!("the artifact behind `{}` is the contract `{}`", contract.name, abi.name);
            return Some(Err(Diagnostic::error(crate::Code::InternalError, contract.span, message)));
        }
        Err(e) => {
            let message = format!("the artifact behind `{}` cannot be read: {e}", contract.name);
            return Some(Err(Diagnostic::error(crate::Code::InternalError, contract.span, message)));
        }
    };
    Some(Ok(Artifact { contract: contract.name.clone(), wasm: bytes.to_vec(), abi }))
}

fn contract_source_hash(analysis: &Analysis, cid: ContractId) -> String {
    let file = analysis.tables().contract(cid).map(|c| c.span.file);
    let text = file.and_then(|f| analysis.file(f)).map_or("", |f| f.text.as_str());
    super::sha256_hex(text.as_bytes())
}

/// One test or property as an entry point `(args_ptr, args_len) -> i64`:
/// decodes the property's parameters (none for a test), runs the body and
/// returns `()`.
fn case_function(
    ctx: &mut Ctx<'_>,
    property: Option<&PropertyDef>,
    body: &Block,
    span: Span,
) -> Result<(Compiled, Option<Vec<PropertyParam>>), Diagnostic> {
    let mut f = FnCompiler::new(ctx);
    f.params = vec![ValType::I32, ValType::I32];
    f.track_statements = true;
    f.owned_lists = super::owned::owned_lists(body, f.ctx.typed);
    let mut params = None;
    match property {
        None => {
            decode_args(&mut f, &[], "a test parameter", span)?;
        }
        Some(p) => {
            let mut locals = Vec::new();
            let mut types = Vec::new();
            let mut described = Vec::new();
            for param in &p.params {
                let Some(Def::Local(local)) = f.ctx.typed.def(&param.name) else {
                    return Err(unsupported(param.span, "this property parameter"));
                };
                let ty = f.ctx.local_ty(local);
                let abi = abi_doc::abi_type(f.ctx.tables(), &ty)
                    .ok_or_else(|| unsupported(param.span, "this property parameter"))?;
                let range = match &param.range {
                    Some((lo, hi)) => Some((bound(lo, &ty)?, bound(hi, &ty)?)),
                    None => None,
                };
                described.push(PropertyParam { name: param.name.name.clone(), ty: abi, range });
                locals.push(local);
                types.push(ty);
            }
            let values = decode_args(&mut f, &types, "a property parameter", p.name.span)?;
            for (local, value) in locals.into_iter().zip(values) {
                if let Some(index) = value {
                    f.alias_local(local, index);
                }
            }
            params = Some(described);
        }
    }
    f.block(body)?;
    f.emit(I::I64Const(0));
    Ok((finish_checked(f, vec![ValType::I64], span)?, params))
}

/// A literal range bound as a value of the parameter's type.
fn bound(e: &Expr, ty: &Ty) -> Result<Value, Diagnostic> {
    let (negative, lit) = match &e.kind {
        ExprKind::Lit(lit) => (false, lit),
        ExprKind::Unary { op: UnOp::Neg, operand } => match &operand.kind {
            ExprKind::Lit(lit) => (true, lit),
            _ => return Err(unsupported(e.span, "a computed range bound")),
        },
        _ => return Err(unsupported(e.span, "a computed range bound")),
    };
    let text = match lit {
        Lit::Int(d) | Lit::Decimal(d) => format!("{}{d}", if negative { "-" } else { "" }),
        _ => return Err(unsupported(e.span, "this range bound")),
    };
    let value = match ty {
        Ty::Int(IntTy::U8) => text.parse().ok().map(Value::U8),
        Ty::Int(IntTy::U32) => text.parse().ok().map(Value::U32),
        Ty::Int(IntTy::U64) => text.parse().ok().map(Value::U64),
        Ty::Int(IntTy::U128) => text.parse().ok().map(Value::U128),
        Ty::Int(IntTy::I64) => text.parse().ok().map(Value::I64),
        Ty::Int(IntTy::I128) => text.parse().ok().map(Value::I128),
        Ty::Decimal => text.parse::<Decimal>().ok().map(Value::Decimal),
        _ => None,
    };
    value.ok_or_else(|| unsupported(e.span, "this range bound"))
}

/// One part of an operation's input tuple.
pub(super) enum Part<'e> {
    U32(u32),
    Str(&'e str),
    /// An expression, encoded as the given type.
    Expr(&'e Expr, Ty),
    /// A value already in a local, encoded as the given type.
    Local(u32, Ty),
}

/// What to do with an operation's output.
pub(super) enum Output<'t> {
    /// Nothing comes back.
    None,
    /// Leave a pointer to the output bytes (a handle, an address).
    Pointer,
    /// Decode the output as a value of this type.
    Value(&'t Ty),
}

impl<'c, 'a> FnCompiler<'c, 'a> {
    /// With coverage on, places a probe: the runner counts how often it runs.
    pub(super) fn probe(&mut self, span: Span, kind: ProbeKind) {
        let Some(coverage) = self.ctx.coverage.as_mut() else { return };
        let id = coverage.base + coverage.probes.len() as u32;
        coverage.probes.push(Probe { span, kind });
        let at = self.ctx.data(&id.to_be_bytes());
        wasm!(self;
            i32.const(TestOp::Cover as i32) i32.const(at as i32) i32.const(4)
        );
        let index = self.ctx.test_op();
        self.emit(I::Call(index));
        self.emit(I::Drop);
    }

    /// A new branch point's number (coverage only).
    pub(super) fn branch_point(&mut self) -> u32 {
        match self.ctx.coverage.as_mut() {
            Some(coverage) => {
                coverage.next_point += 1;
                coverage.next_point - 1
            }
            None => 0,
        }
    }

    /// In a test or property body, tells the runner which statement runs
    /// next (its site), so that an abort of the body itself has a place.
    pub(super) fn mark_statement(&mut self, span: Span) -> Out {
        if !self.track_statements {
            return Ok(());
        }
        let site = self.site(span, span, None)?;
        self.test_op(TestOp::At, &[Part::U32(site)], Output::None, span)
    }

    fn harness(&mut self, span: Span) -> Result<&mut HarnessCtx, Diagnostic> {
        self.ctx.harness.as_mut().ok_or_else(|| unsupported(span, "a test built-in outside a test"))
    }

    /// Records a site and returns its index.
    pub(super) fn site(
        &mut self,
        span: Span,
        text_span: Span,
        ty: Option<(&Ty, AbiType)>,
    ) -> Result<u32, Diagnostic> {
        let text = self
            .ctx
            .typed
            .analysis
            .file(text_span.file)
            .and_then(|f| f.text.get(text_span.lo as usize..text_span.hi as usize))
            .unwrap_or("")
            .to_string();
        let harness = self.harness(span)?;
        let (site_ty, abi) = match ty {
            Some((ty, abi)) => (Some(ty.clone()), Some(abi)),
            None => (None, None),
        };
        harness.sites.push(Site { span, text, ty: abi });
        harness.site_types.extend(site_ty);
        Ok((harness.sites.len() - 1) as u32)
    }

    /// Encodes `parts` as a tuple, calls `writ_test.op` and handles the output.
    pub(super) fn test_op(&mut self, op: TestOp, parts: &[Part<'_>], output: Output<'_>, span: Span) -> Out {
        let mut encoded = Vec::new();
        for part in parts {
            match part {
                Part::U32(n) => {
                    let at = self.ctx.data(&n.to_be_bytes());
                    encoded.push(self.constant_part(at, 4));
                }
                Part::Str(text) => {
                    let mut bytes = (text.len() as u32).to_be_bytes().to_vec();
                    bytes.extend_from_slice(text.as_bytes());
                    let at = self.ctx.data(&bytes);
                    encoded.push(self.constant_part(at, bytes.len() as u32));
                }
                Part::Expr(e, ty) => {
                    self.expr(e)?;
                    encoded.push(self.encode_value(ty, e.span)?);
                }
                Part::Local(local, ty) => {
                    self.emit(I::LocalGet(*local));
                    encoded.push(self.encode_value(ty, span)?);
                }
            }
        }
        let (p, len) = (self.temp(ValType::I32), self.temp(ValType::I32));
        self.concat_parts(&encoded, None, p, len);
        wasm!(self;
            i32.const(op as i32) local.get(p) local.get(len)
        );
        let index = self.ctx.test_op();
        self.emit(I::Call(index));
        if let Output::None = output {
            self.emit(I::Drop);
            return Ok(());
        }
        let out = self.copy_return_buffer();
        match output {
            Output::Value(ty) => self.decode_value(out, ty, span),
            _ => {
                self.emit(I::LocalGet(out));
                Ok(())
            }
        }
    }

    fn constant_part(&mut self, at: u32, len: u32) -> (u32, u32) {
        let (p, l) = (self.temp(ValType::I32), self.temp(ValType::I32));
        wasm!(self;
            i32.const(at as i32) local.set(p) i32.const(len as i32) local.set(l)
        );
        (p, l)
    }

    /// The test built-ins called as functions; `Ok(false)` if `name` is not one.
    pub(super) fn test_builtin(&mut self, name: &str, args: &[Expr], span: Span) -> Result<bool, Diagnostic> {
        match (name, args) {
            ("account", [who]) => {
                self.test_op(TestOp::Account, &[Part::Expr(who, Ty::String)], Output::Pointer, span)?
            }
            ("set_time", [time]) => {
                self.test_op(TestOp::SetTime, &[Part::Expr(time, Ty::Timestamp)], Output::None, span)?
            }
            ("advance_time", [seconds]) => self.test_op(
                TestOp::AdvanceTime,
                &[Part::Expr(seconds, Ty::Int(IntTy::U64))],
                Output::None,
                span,
            )?,
            ("assert", [cond, rest @ ..]) if rest.len() <= 1 => {
                let site = self.site(span, cond.span, None)?;
                self.expr(cond)?;
                self.emit(I::I32Eqz);
                self.emit(I::If(BlockType::Empty));
                let message = match rest.first() {
                    Some(m) => Part::Expr(m, Ty::String),
                    None => Part::Str(""),
                };
                self.test_op(TestOp::Fail, &[Part::U32(site), message], Output::None, span)?;
                self.emit(I::Unreachable);
                self.emit(I::End);
            }
            ("assert_eq", [left, right]) => {
                let ty = match self.ty(left) {
                    Ty::Never | Ty::Error => self.ty(right),
                    ty => ty,
                };
                let abi = abi_doc::abi_type(self.ctx.tables(), &ty).ok_or_else(|| {
                    unsupported(span, &format!("comparing `{}` values", self.ctx.display(&ty)))
                })?;
                let site = self.site(span, span, Some((&ty, abi)))?;
                let parts = [Part::U32(site), Part::Expr(left, ty.clone()), Part::Expr(right, ty.clone())];
                self.test_op(TestOp::AssertEq, &parts, Output::None, span)?;
            }
            ("assert_aborts", [call, rest @ ..]) if rest.len() <= 1 => {
                let expected = match rest.first().map(|e| &e.kind) {
                    Some(ExprKind::Path(path)) => path.last().name.clone(),
                    Some(_) => return Err(unsupported(span, "this expected error")),
                    None => String::new(),
                };
                let ExprKind::MethodCall { receiver, method, args } = &call.kind else {
                    return Err(unsupported(call.span, "this call in `assert_aborts`"));
                };
                let site = self.site(span, call.span, None)?;
                let mut parts = vec![Part::U32(site), Part::Str(&expected)];
                self.call_parts(receiver, method, args, &mut parts)?;
                self.test_op(TestOp::CallAborts, &parts, Output::None, span)?;
            }
            ("assert_emitted", [handle, event]) => {
                let ExprKind::Call { callee, args: fields } = &event.kind else {
                    return Err(unsupported(event.span, "this event"));
                };
                let ExprKind::Path(path) = &callee.kind else {
                    return Err(unsupported(event.span, "this event"));
                };
                let Some(Def::Event(cid, index)) = self.ctx.typed.def(path.last()) else {
                    return Err(unsupported(event.span, "this event"));
                };
                let types: Vec<Ty> = self
                    .ctx
                    .tables()
                    .contract(cid)
                    .and_then(|c| c.events.get(index as usize))
                    .map(|r| r.fields.iter().map(|f| f.ty.clone()).collect())
                    .unwrap_or_default();
                let site = self.site(span, event.span, None)?;
                let mut parts = vec![Part::U32(site), Part::Expr(handle, Ty::Handle(cid)), Part::U32(index)];
                parts.extend(fields.iter().zip(types).map(|(e, t)| Part::Expr(e, t)));
                self.test_op(TestOp::Emitted, &parts, Output::None, span)?;
            }
            _ => return Ok(false),
        }
        Ok(true)
    }

    /// The handle, method name and arguments of `h.method(args)`.
    fn call_parts<'e>(
        &mut self,
        receiver: &'e Expr,
        method: &'e Ident,
        args: &'e [Expr],
        parts: &mut Vec<Part<'e>>,
    ) -> Out {
        let Ty::Handle(cid) = self.ty(receiver) else {
            return Err(unsupported(receiver.span, "a call that is not through a contract handle"));
        };
        let params: Vec<Ty> = match method.name.as_str() {
            "grant_role" | "revoke_role" | "has_role" => vec![Ty::Role(cid), Ty::Address],
            _ => match self.ctx.typed.def(method) {
                Some(Def::Fn(id)) => {
                    self.ctx.tables().fn_info(id).map(|i| i.params.iter().map(|p| p.ty.clone()).collect())
                }
                _ => None,
            }
            .ok_or_else(|| unsupported(method.span, "this entry point"))?,
        };
        parts.push(Part::Expr(receiver, Ty::Handle(cid)));
        parts.push(Part::Str(&method.name));
        parts.extend(args.iter().zip(params).map(|(e, t)| Part::Expr(e, t)));
        Ok(())
    }

    /// `h.method(args)`, `h.from(a)`, `h.signed_by(a)` in a test.
    pub(super) fn handle_method(
        &mut self,
        receiver: &Expr,
        method: &Ident,
        args: &[Expr],
        ty: &Ty,
        span: Span,
    ) -> Out {
        match (method.name.as_str(), args) {
            ("from" | "signed_by", [who]) => {
                let op = if method.name == "from" { TestOp::From } else { TestOp::SignedBy };
                let handle = self.ty(receiver);
                let parts = [Part::Expr(receiver, handle), Part::Expr(who, Ty::Address)];
                self.test_op(op, &parts, Output::Pointer, span)
            }
            _ => {
                let site = self.site(span, span, None)?;
                let mut parts = vec![Part::U32(site)];
                self.call_parts(receiver, method, args, &mut parts)?;
                let output = if repr(ty) == Some(Repr::None) { Output::None } else { Output::Value(ty) };
                self.test_op(TestOp::Call, &parts, output, span)
            }
        }
    }

    /// `deploy C(args)` or `deploy C(args) from addr`.
    pub(super) fn deploy(&mut self, args: &[Expr], from: Option<&Expr>, ty: &Ty, span: Span) -> Out {
        let Ty::Handle(cid) = ty else { return Err(unsupported(span, "this `deploy`")) };
        let cid = *cid;
        let params: Vec<Ty> = self
            .ctx
            .tables()
            .contract(cid)
            .and_then(|c| c.init)
            .and_then(|f| self.ctx.tables().fn_info(f))
            .map(|f| f.params.iter().map(|p| p.ty.clone()).collect())
            .unwrap_or_default();
        let site = self.site(span, span, None)?;
        let harness = self.harness(span)?;
        let index = match harness.contracts.iter().position(|c| *c == cid) {
            Some(i) => i,
            None => {
                harness.contracts.push(cid);
                harness.contracts.len() - 1
            }
        } as u32;
        let caller_ty = Ty::Option(Box::new(Ty::Address));
        let caller = self.temp(ValType::I32);
        match from {
            Some(addr) => self.boxed(addr, &Ty::Address)?,
            None => self.emit(I::I32Const(0)),
        }
        self.emit(I::LocalSet(caller));
        let mut parts = vec![Part::U32(site), Part::U32(index), Part::Local(caller, caller_ty)];
        parts.extend(args.iter().zip(params).map(|(e, t)| Part::Expr(e, t)));
        self.test_op(TestOp::Deploy, &parts, Output::Pointer, span)
    }
}
