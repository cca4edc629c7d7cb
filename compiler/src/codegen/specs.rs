//! Specs checked at run time: each `spec` of a contract a test deploys is
//! compiled into the harness as two entries. The runner runs the first
//! against the storage as the call finds it, the second against the
//! storage the call leaves, and compares what they report with how the
//! call ended (`runner/src/ledger.rs`).
//!
//! - `spec_pre.<contract>.<k>` decodes the call's arguments and a number
//!   `n`, and hands the runner (`TestOp::Keep`) the `n`-th of these
//!   values: in clause order, each `assumes` and `aborts_if` condition,
//!   then the value of every `old(..)` of the `ensures` clauses. The runner
//!   runs it once per value, so one that aborts (an `old` map entry that
//!   is absent before the call) spoils only its own clause.
//! - `spec_post.<contract>.<k>` decodes the arguments, the result (when
//!   the function returns one) and those `old` values, and fails at the
//!   first `ensures` that does not hold.
//!
//! Invariant: both read only, and both evaluate each expression exactly as
//! contract code would (checked arithmetic: a spec expression that aborts
//! is reported, never taken as true or false).

use wasm_encoder::{BlockType, Instruction as I};
use writ_abi::host::test::TestOp;

use super::core::{Compiled, Ctx, FnCompiler, finish_checked};
use super::module::decode_args;
use super::tests::{Output, Part};
use super::unsupported;
use crate::analysis::Analysis;
use crate::ast::{Expr, ExprKind, MemberKind, SpecDef};
use crate::check::{clause_text, old_calls};
use crate::diagnostic::Diagnostic;
use crate::span::Span;
use crate::types::{ContractId, Def, SpecInfo, Ty};

/// A spec, compiled into the harness.
#[derive(Debug, Clone)]
pub struct SpecCheck {
    /// Index into `TestHarness::contracts`.
    pub contract: usize,
    /// The entry point it describes, as the ABI names it.
    pub function: String,
    /// The spec's name in the source.
    pub span: Span,
    /// Harness entries (without the `entry.` prefix).
    pub pre: String,
    pub post: String,
    pub clauses: Vec<ClauseCheck>,
    /// How many values the pre entry hands over: the conditions, then
    /// the old values.
    pub values: u32,
    /// Without a `modifies` clause, `None`; with one, the storage fields
    /// (index, name) a successful call must leave exactly as they were.
    pub unchanged: Option<Vec<(u32, String)>>,
    /// Without an `emits` clause, `None`; with some, the events (by their
    /// index in the contract) a successful call may emit.
    pub emits: Option<Vec<u32>>,
}

#[derive(Debug, Clone)]
pub struct ClauseCheck {
    pub kind: ClauseKind,
    /// The clause as written, for reports.
    pub text: String,
    pub span: Span,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ClauseKind {
    /// Its condition is one `Keep`d flag.
    Assumes,
    /// Its condition is one `Keep`d flag; the abort it names, if any.
    AbortsIf {
        error: Option<String>,
    },
    /// The post entry fails at this site when it does not hold; its
    /// `old(..)` values are these among all the spec's old values.
    Ensures {
        site: u32,
        olds: std::ops::Range<u32>,
    },
    Modifies,
    Emits,
}

/// Export prefixes of a spec's two entries.
pub const SPEC_PRE_PREFIX: &str = "spec_pre.";
pub const SPEC_POST_PREFIX: &str = "spec_post.";

/// The specs of contract `cid` with their checked form, in source order.
pub(super) fn contract_specs(analysis: &Analysis, cid: ContractId) -> Vec<(&SpecDef, SpecInfo)> {
    super::tests::contract_members(analysis, cid)
        .into_iter()
        .filter_map(|m| match &m.kind {
            MemberKind::Spec(def) => Some((def, analysis.tables().spec_at(def.name.span)?.clone())),
            _ => None,
        })
        .collect()
}

/// Compiles the two entries of one spec; `entries` receives them.
pub(super) fn compile_spec(
    ctx: &mut Ctx<'_>,
    def: &SpecDef,
    info: &SpecInfo,
    contract: usize,
    index: usize,
    entries: &mut Vec<(String, Compiled)>,
) -> Result<SpecCheck, Diagnostic> {
    let tables = ctx.tables();
    let function = tables.fn_info(info.func).map(|f| f.name.clone()).unwrap_or_default();
    let storage: Vec<String> = tables
        .contract(info.contract)
        .map(|c| c.storage.iter().map(|f| f.name.clone()).collect())
        .unwrap_or_default();
    let pre = format!("{SPEC_PRE_PREFIX}{contract}.{index}");
    let post = format!("{SPEC_POST_PREFIX}{contract}.{index}");
    let olds: Vec<&Expr> = def
        .clauses
        .iter()
        .filter(|c| c.keyword.name == "ensures")
        .flat_map(|c| c.exprs.iter())
        .flat_map(old_calls)
        .collect();

    // Before the call: the `n`-th of the conditions, then the old values.
    let mut f = FnCompiler::new(ctx);
    f.params = vec![wasm_encoder::ValType::I32, wasm_encoder::ValType::I32];
    let which = bind_params(&mut f, info, None, &[], true, def.name.span)?
        .ok_or_else(|| unsupported(def.name.span, "this spec"))?;
    let mut values: Vec<(&Expr, Span)> = Vec::new();
    for clause in def.clauses.iter().filter(|c| matches!(c.keyword.name.as_str(), "assumes" | "aborts_if")) {
        values.extend(clause.exprs.first().map(|e| (e, clause.span)));
    }
    let flags = values.len() as u32;
    for old in &olds {
        let ExprKind::Call { args, .. } = &old.kind else { continue };
        values.extend(args.first().map(|value| (value, old.span)));
    }
    for (n, (value, span)) in values.iter().enumerate() {
        let ty = if (n as u32) < flags { Ty::Bool } else { f.ty(value) };
        f.emit(I::LocalGet(which));
        f.emit(I::I32Const(n as i32));
        f.emit(I::I32Eq);
        f.emit(I::If(BlockType::Empty));
        f.test_op(TestOp::Keep, &[Part::Expr(value, ty)], Output::None, *span)?;
        f.emit(I::End);
    }
    f.emit(I::I64Const(0));
    entries.push((
        writ_abi::host::entry_export(&pre),
        finish_checked(f, vec![wasm_encoder::ValType::I64], def.name.span)?,
    ));

    // After a successful call: every `ensures`.
    let mut f = FnCompiler::new(ctx);
    f.params = vec![wasm_encoder::ValType::I32, wasm_encoder::ValType::I32];
    bind_params(&mut f, info, info.result, &olds, false, def.name.span)?;
    let mut clauses = Vec::new();
    let mut unchanged: Option<Vec<u32>> = None;
    let mut next_old = 0u32;
    let mut emits: Option<Vec<u32>> = None;
    for clause in &def.clauses {
        let text = clause_text(f.ctx.typed.analysis, clause);
        let kind = match clause.keyword.name.as_str() {
            "assumes" => ClauseKind::Assumes,
            "aborts_if" => {
                ClauseKind::AbortsIf { error: clause.with.as_ref().map(|(_, p)| p.last().name.clone()) }
            }
            "ensures" => {
                let site = f.site(clause.span, clause.span, None)?;
                let count = clause.exprs.iter().map(|e| old_calls(e).len() as u32).sum::<u32>();
                let olds = next_old..next_old + count;
                next_old += count;
                for e in &clause.exprs {
                    f.expr(e)?;
                    f.emit(I::I32Eqz);
                    f.emit(I::If(BlockType::Empty));
                    f.test_op(TestOp::Fail, &[Part::U32(site), Part::Str("")], Output::None, clause.span)?;
                    f.emit(I::Unreachable);
                    f.emit(I::End);
                }
                ClauseKind::Ensures { site, olds }
            }
            "emits" => {
                let allowed = emits.get_or_insert_with(Vec::new);
                for e in &clause.exprs {
                    if let ExprKind::Path(path) = &e.kind
                        && let Some(Def::Event(_, index)) = f.ctx.typed.def(path.last())
                    {
                        allowed.push(index);
                    }
                }
                ClauseKind::Emits
            }
            _ => {
                let listed = unchanged.get_or_insert_with(|| (0..storage.len() as u32).collect());
                for e in &clause.exprs {
                    if let ExprKind::Field { name, .. } = &e.kind
                        && let Some(Def::Storage(_, field)) = f.ctx.typed.def(name)
                    {
                        listed.retain(|i| *i != field);
                    }
                }
                ClauseKind::Modifies
            }
        };
        clauses.push(ClauseCheck { kind, text, span: clause.span });
    }
    f.emit(I::I64Const(0));
    entries.push((
        writ_abi::host::entry_export(&post),
        finish_checked(f, vec![wasm_encoder::ValType::I64], def.name.span)?,
    ));
    let unchanged = unchanged.map(|fields| {
        fields.into_iter().map(|i| (i, storage.get(i as usize).cloned().unwrap_or_default())).collect()
    });
    let values = values.len() as u32;
    Ok(SpecCheck { contract, function, span: def.name.span, pre, post, clauses, values, unchanged, emits })
}

/// Decodes the call's arguments into the function's parameter locals,
/// then `result` and the `old` values when given; before the call, a
/// `u32` after the arguments (which value to hand over), whose local is
/// returned.
fn bind_params(
    f: &mut FnCompiler<'_, '_>,
    info: &SpecInfo,
    result: Option<crate::types::LocalId>,
    olds: &[&Expr],
    before: bool,
    span: Span,
) -> Result<Option<u32>, Diagnostic> {
    let mut locals: Vec<crate::types::LocalId> = info.params.clone();
    locals.extend(result);
    let mut types: Vec<Ty> = locals.iter().map(|l| f.ctx.local_ty(*l)).collect();
    let old_types: Vec<Ty> = olds.iter().map(|e| f.ty(e)).collect();
    types.extend(old_types);
    if before {
        types.push(Ty::Int(crate::types::IntTy::U32));
    }
    let values = decode_args(f, &types, "a value a spec reads", span)?;
    for (local, value) in locals.iter().zip(&values) {
        if let Some(index) = value {
            f.alias_local(*local, *index);
        }
    }
    for (old, value) in olds.iter().zip(values.iter().skip(locals.len())) {
        let index = value.ok_or_else(|| unsupported(old.span, "an `old` value of this type"))?;
        f.old_values.insert(old.span, index);
    }
    Ok(if before { values.last().copied().flatten() } else { None })
}
