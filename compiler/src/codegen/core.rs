//! The codegen core every other part builds on: the module-wide context
//! (`Ctx`: imports, static data, function indices, the compile queue), the
//! function compiler (`FnCompiler`: instructions, locals handed out and
//! given back by scope, calls of runtime helpers and host functions,
//! aborts), structured emit helpers, and finishing a function within the
//! VM's limits.
//!
//! Invariant: this module depends on no other part of `codegen` but
//! `repr.rs`; the per-construct modules (`func.rs`, `ops.rs`, `calls.rs`,
//! `records.rs`, ...) and the assembly (`module.rs`) build on it.

use std::collections::HashMap;

use wasm_encoder::{BlockType, Function, Instruction as I, MemArg, ValType};
use writ_abi::host::{self, AbortCode, HOST_FUNCTIONS};

use super::repr::repr;
use super::{Typed, unsupported};
use crate::ast::FnDef;
use crate::diagnostic::{Code, Diagnostic};
use crate::span::Span;
use crate::types::{ConstId, ContractId, FnId, LocalId, Tables, Ty};

type Out = Result<(), Diagnostic>;

/// Emits instructions written as in the WebAssembly text format, so a
/// helper reads like the code it generates:
/// `wasm!(f; local.get(a) i32.const(4) i32.add local.set(b))`. Operands
/// are Rust expressions in parentheses (locals, constants, `mem(..)`,
/// block types).
macro_rules! wasm {
    ($f:expr; $($rest:tt)*) => { wasm!(@$f; $($rest)*) };
    (@$f:expr;) => {};
    (@$f:expr; i32 . add $($rest:tt)*) => { $f.emit(I::I32Add); wasm!(@$f; $($rest)*) };
    (@$f:expr; i32 . sub $($rest:tt)*) => { $f.emit(I::I32Sub); wasm!(@$f; $($rest)*) };
    (@$f:expr; i32 . mul $($rest:tt)*) => { $f.emit(I::I32Mul); wasm!(@$f; $($rest)*) };
    (@$f:expr; i32 . and $($rest:tt)*) => { $f.emit(I::I32And); wasm!(@$f; $($rest)*) };
    (@$f:expr; i32 . or $($rest:tt)*) => { $f.emit(I::I32Or); wasm!(@$f; $($rest)*) };
    (@$f:expr; i32 . shl $($rest:tt)*) => { $f.emit(I::I32Shl); wasm!(@$f; $($rest)*) };
    (@$f:expr; i32 . shr_u $($rest:tt)*) => { $f.emit(I::I32ShrU); wasm!(@$f; $($rest)*) };
    (@$f:expr; i32 . eq $($rest:tt)*) => { $f.emit(I::I32Eq); wasm!(@$f; $($rest)*) };
    (@$f:expr; i32 . ne $($rest:tt)*) => { $f.emit(I::I32Ne); wasm!(@$f; $($rest)*) };
    (@$f:expr; i32 . eqz $($rest:tt)*) => { $f.emit(I::I32Eqz); wasm!(@$f; $($rest)*) };
    (@$f:expr; i32 . lt_u $($rest:tt)*) => { $f.emit(I::I32LtU); wasm!(@$f; $($rest)*) };
    (@$f:expr; i32 . lt_s $($rest:tt)*) => { $f.emit(I::I32LtS); wasm!(@$f; $($rest)*) };
    (@$f:expr; i32 . gt_u $($rest:tt)*) => { $f.emit(I::I32GtU); wasm!(@$f; $($rest)*) };
    (@$f:expr; i32 . ge_u $($rest:tt)*) => { $f.emit(I::I32GeU); wasm!(@$f; $($rest)*) };
    (@$f:expr; i32 . wrap_i64 $($rest:tt)*) => { $f.emit(I::I32WrapI64); wasm!(@$f; $($rest)*) };
    (@$f:expr; i64 . add $($rest:tt)*) => { $f.emit(I::I64Add); wasm!(@$f; $($rest)*) };
    (@$f:expr; i64 . sub $($rest:tt)*) => { $f.emit(I::I64Sub); wasm!(@$f; $($rest)*) };
    (@$f:expr; i64 . mul $($rest:tt)*) => { $f.emit(I::I64Mul); wasm!(@$f; $($rest)*) };
    (@$f:expr; i64 . and $($rest:tt)*) => { $f.emit(I::I64And); wasm!(@$f; $($rest)*) };
    (@$f:expr; i64 . or $($rest:tt)*) => { $f.emit(I::I64Or); wasm!(@$f; $($rest)*) };
    (@$f:expr; i64 . xor $($rest:tt)*) => { $f.emit(I::I64Xor); wasm!(@$f; $($rest)*) };
    (@$f:expr; i64 . shl $($rest:tt)*) => { $f.emit(I::I64Shl); wasm!(@$f; $($rest)*) };
    (@$f:expr; i64 . shr_u $($rest:tt)*) => { $f.emit(I::I64ShrU); wasm!(@$f; $($rest)*) };
    (@$f:expr; i64 . eq $($rest:tt)*) => { $f.emit(I::I64Eq); wasm!(@$f; $($rest)*) };
    (@$f:expr; i64 . ne $($rest:tt)*) => { $f.emit(I::I64Ne); wasm!(@$f; $($rest)*) };
    (@$f:expr; i64 . eqz $($rest:tt)*) => { $f.emit(I::I64Eqz); wasm!(@$f; $($rest)*) };
    (@$f:expr; i64 . lt_u $($rest:tt)*) => { $f.emit(I::I64LtU); wasm!(@$f; $($rest)*) };
    (@$f:expr; i64 . lt_s $($rest:tt)*) => { $f.emit(I::I64LtS); wasm!(@$f; $($rest)*) };
    (@$f:expr; i64 . gt_u $($rest:tt)*) => { $f.emit(I::I64GtU); wasm!(@$f; $($rest)*) };
    (@$f:expr; i64 . ge_u $($rest:tt)*) => { $f.emit(I::I64GeU); wasm!(@$f; $($rest)*) };
    (@$f:expr; i64 . extend_i32_u $($rest:tt)*) => { $f.emit(I::I64ExtendI32U); wasm!(@$f; $($rest)*) };
    (@$f:expr; i64 . add128 $($rest:tt)*) => { $f.emit(I::I64Add128); wasm!(@$f; $($rest)*) };
    (@$f:expr; i64 . sub128 $($rest:tt)*) => { $f.emit(I::I64Sub128); wasm!(@$f; $($rest)*) };
    (@$f:expr; i64 . mul_wide_u $($rest:tt)*) => { $f.emit(I::I64MulWideU); wasm!(@$f; $($rest)*) };
    (@$f:expr; else $($rest:tt)*) => { $f.emit(I::Else); wasm!(@$f; $($rest)*) };
    (@$f:expr; end $($rest:tt)*) => { $f.emit(I::End); wasm!(@$f; $($rest)*) };
    (@$f:expr; return $($rest:tt)*) => { $f.emit(I::Return); wasm!(@$f; $($rest)*) };
    (@$f:expr; unreachable $($rest:tt)*) => { $f.emit(I::Unreachable); wasm!(@$f; $($rest)*) };
    (@$f:expr; local . get($arg:expr) $($rest:tt)*) => { $f.emit(I::LocalGet($arg)); wasm!(@$f; $($rest)*) };
    (@$f:expr; local . set($arg:expr) $($rest:tt)*) => { $f.emit(I::LocalSet($arg)); wasm!(@$f; $($rest)*) };
    (@$f:expr; local . tee($arg:expr) $($rest:tt)*) => { $f.emit(I::LocalTee($arg)); wasm!(@$f; $($rest)*) };
    (@$f:expr; global . get($arg:expr) $($rest:tt)*) => { $f.emit(I::GlobalGet($arg)); wasm!(@$f; $($rest)*) };
    (@$f:expr; global . set($arg:expr) $($rest:tt)*) => { $f.emit(I::GlobalSet($arg)); wasm!(@$f; $($rest)*) };
    (@$f:expr; i32 . const($arg:expr) $($rest:tt)*) => { $f.emit(I::I32Const($arg)); wasm!(@$f; $($rest)*) };
    (@$f:expr; i64 . const($arg:expr) $($rest:tt)*) => { $f.emit(I::I64Const($arg)); wasm!(@$f; $($rest)*) };
    (@$f:expr; if($arg:expr) $($rest:tt)*) => { $f.emit(I::If($arg)); wasm!(@$f; $($rest)*) };
    (@$f:expr; i32 . load($arg:expr) $($rest:tt)*) => { $f.emit(I::I32Load($arg)); wasm!(@$f; $($rest)*) };
    (@$f:expr; i32 . load8_u($arg:expr) $($rest:tt)*) => { $f.emit(I::I32Load8U($arg)); wasm!(@$f; $($rest)*) };
    (@$f:expr; i32 . store($arg:expr) $($rest:tt)*) => { $f.emit(I::I32Store($arg)); wasm!(@$f; $($rest)*) };
    (@$f:expr; i32 . store16($arg:expr) $($rest:tt)*) => { $f.emit(I::I32Store16($arg)); wasm!(@$f; $($rest)*) };
    (@$f:expr; i32 . store8($arg:expr) $($rest:tt)*) => { $f.emit(I::I32Store8($arg)); wasm!(@$f; $($rest)*) };
    (@$f:expr; i64 . load($arg:expr) $($rest:tt)*) => { $f.emit(I::I64Load($arg)); wasm!(@$f; $($rest)*) };
    (@$f:expr; i64 . store($arg:expr) $($rest:tt)*) => { $f.emit(I::I64Store($arg)); wasm!(@$f; $($rest)*) };
    (@$f:expr; memory . size($arg:expr) $($rest:tt)*) => { $f.emit(I::MemorySize($arg)); wasm!(@$f; $($rest)*) };
    (@$f:expr; memory . grow($arg:expr) $($rest:tt)*) => { $f.emit(I::MemoryGrow($arg)); wasm!(@$f; $($rest)*) };
}

/// Where static data starts; the first bytes stay zero so that pointer 0
/// never names real data (it is `None`).
pub(super) const DATA_BASE: u32 = 16;
/// The memory a contract may grow to, in 64 KiB pages (64 MiB); the VM may
/// impose a lower limit.
pub(super) const MEMORY_PAGES_MAX: u64 = 1024;

/// The heap pointer global.
pub(super) const HEAP: u32 = 0;

/// State shared by the functions of one module.
pub(super) struct Ctx<'a> {
    pub typed: &'a Typed<'a>,
    /// Imported functions: the host functions, plus `writ_test.op` in a
    /// test harness (right after them).
    pub(super) imports: u32,
    /// Set when compiling a test harness.
    pub harness: Option<HarnessCtx>,
    /// Set when compiling a contract for `writ test --coverage`.
    pub coverage: Option<CoverageCtx>,
    pub(super) tables: &'a Tables,
    pub(super) data: Vec<u8>,
    pub(super) data_index: HashMap<Vec<u8>, u32>,
    /// Functions to compile after the entry points, in index order: user
    /// functions and the encoding functions of record types.
    pub(super) user_order: Vec<Job>,
    pub(super) user_index: HashMap<FnId, u32>,
    pub(super) codec_index: HashMap<(CodecOp, Ty), u32>,
    pub(super) fn_asts: HashMap<FnId, &'a FnDef>,
    pub(super) consts: HashMap<ConstId, &'a crate::ast::Expr>,
    /// Compiler bugs found while generating code (never index 0 instead).
    pub(super) internal: Vec<String>,
}

impl<'a> Ctx<'a> {
    pub fn tables(&self) -> &'a Tables {
        self.tables
    }

    pub fn display(&self, ty: &Ty) -> String {
        self.tables.display(ty)
    }

    pub fn local_ty(&self, local: LocalId) -> Ty {
        self.tables.local(local).map_or(Ty::Error, |l| l.ty.clone())
    }

    /// The import index of host function `name`. A name the ABI does not
    /// export is a bug of the compiler: it is recorded, and the contract
    /// is refused with an internal error rather than calling import 0.
    pub fn host(&mut self, name: &str) -> u32 {
        match HOST_FUNCTIONS.iter().position(|f| f.name == name) {
            Some(index) => index as u32,
            None => {
                self.internal.push(format!("the host function `{name}` is not in the host ABI"));
                0
            }
        }
    }

    /// The function index of a runtime helper (they follow the imports, in
    /// `RUNTIME` order, which is declaration order: tested).
    pub fn runtime(&self, f: Runtime) -> u32 {
        self.imports + f as u32
    }

    /// Diagnostics for compiler bugs met while generating code for the item at `span`.
    pub fn internal_errors(&mut self, span: crate::span::Span) -> Vec<Diagnostic> {
        std::mem::take(&mut self.internal)
            .into_iter()
            .map(|why| {
                Diagnostic::error(Code::InternalError, span, format!("internal compiler error: {why}"))
                    .with_note("this is a bug in the Writ compiler; please report it with this file")
            })
            .collect()
    }

    /// The function index of `writ_test.op` (harnesses only).
    pub fn test_op(&self) -> u32 {
        HOST_FUNCTIONS.len() as u32
    }

    /// The function index of a user function, queuing it for compilation.
    pub fn user_fn(&mut self, id: FnId) -> u32 {
        if let Some(index) = self.user_index.get(&id) {
            return *index;
        }
        let index = self.next_queued();
        self.user_order.push(Job::User(id));
        self.user_index.insert(id, index);
        index
    }

    /// The function index of the encoding function `op` of the record type
    /// `ty`, queuing it for compilation (`records.rs` says when one is used
    /// instead of inline code).
    pub fn codec_fn(&mut self, op: CodecOp, ty: &Ty) -> u32 {
        if let Some(index) = self.codec_index.get(&(op, ty.clone())) {
            return *index;
        }
        let index = self.next_queued();
        self.user_order.push(Job::Codec(op, ty.clone()));
        self.codec_index.insert((op, ty.clone()), index);
        index
    }

    fn next_queued(&self) -> u32 {
        self.imports + (RUNTIME.len() + self.user_order.len()) as u32
    }

    /// The address of static bytes (deduplicated).
    pub fn data(&mut self, bytes: &[u8]) -> u32 {
        if let Some(at) = self.data_index.get(bytes) {
            return *at;
        }
        while !self.data.len().is_multiple_of(8) {
            self.data.push(0);
        }
        let at = DATA_BASE + self.data.len() as u32;
        self.data.extend_from_slice(bytes);
        self.data_index.insert(bytes.to_vec(), at);
        at
    }

    /// The address of the storage key `0x01 ++ field index`.
    pub fn field_key(&mut self, field: u32) -> u32 {
        self.data(&host::keys::field(field))
    }

    pub fn const_value(&self, id: ConstId) -> Option<&'a crate::ast::Expr> {
        self.consts.get(&id).copied()
    }
}

/// A finished function: its signature and body.
pub(super) struct Compiled {
    pub(super) params: Vec<ValType>,
    pub(super) results: Vec<ValType>,
    pub(super) body: Function,
}

pub(super) fn finish(f: FnCompiler<'_, '_>, results: Vec<ValType>) -> Compiled {
    let mut body = Function::new(f.locals.iter().map(|t| (1, *t)));
    for instruction in &f.code {
        body.instruction(instruction);
    }
    body.instruction(&I::End);
    Compiled { params: f.params, results, body }
}

/// `finish` for code written by the user (a function, entry point, test or
/// invariant named at `span`): refuses a body the VM would refuse to
/// deploy, so a file that builds always deploys.
pub(super) fn finish_checked(
    f: FnCompiler<'_, '_>,
    results: Vec<ValType>,
    span: crate::span::Span,
) -> Result<Compiled, Diagnostic> {
    use writ_abi::limits::{FUNCTION_BODY_BYTES_MAX, LOCALS_PER_FUNCTION_MAX};
    let locals = u32::try_from(f.locals.len()).unwrap_or(u32::MAX);
    let compiled = finish(f, results);
    let bytes = u32::try_from(compiled.body.byte_len()).unwrap_or(u32::MAX);
    let problem = if locals > LOCALS_PER_FUNCTION_MAX {
        Some(format!("this body needs {locals} WebAssembly locals; the VM allows {LOCALS_PER_FUNCTION_MAX}"))
    } else if bytes > FUNCTION_BODY_BYTES_MAX {
        Some(format!(
            "this body compiles to {bytes} bytes; the VM allows {FUNCTION_BODY_BYTES_MAX} per function"
        ))
    } else {
        None
    };
    match problem {
        Some(message) => Err(Diagnostic::error(Code::FunctionTooLarge, span, message)
            .with_note("split it into smaller functions (or tests)")),
        None => Ok(compiled),
    }
}

/// A function queued for compilation after the entry points.
#[derive(Clone)]
pub(super) enum Job {
    User(FnId),
    Codec(CodecOp, Ty),
}

/// The encoding functions a record type may have.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub(super) enum CodecOp {
    /// `(record) -> (ptr, len)`: the record's canonical encoding.
    Encode,
    /// `(ptr) -> len`: the length of the encoding that starts at `ptr`.
    Length,
    /// `(ptr) -> record`: the record decoded from the encoding at `ptr`.
    Decode,
}

/// Helper functions every module carries.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub(super) enum Runtime {
    Alloc,
    Reset,
    Trap,
    Bswap32,
    Bswap64,
    MemEq,
    Copy,
    HasRole,
    SetRole,
    DecAdd,
    DecSub,
    DecMul,
    DecRound,
    DecCmp,
    DecEncode,
    DecDecode,
    KeyEscape,
    BytesEq,
    BytesCmp,
    Concat,
    DateFromYmd,
    DateParts,
    MemCmp,
    KeyUnescape,
    U128Add,
    U128Sub,
    U128Cmp,
    U128Encode,
    U128Decode,
    ListGrow,
}

pub(super) const RUNTIME: [Runtime; 30] = [
    Runtime::Alloc,
    Runtime::Reset,
    Runtime::Trap,
    Runtime::Bswap32,
    Runtime::Bswap64,
    Runtime::MemEq,
    Runtime::Copy,
    Runtime::HasRole,
    Runtime::SetRole,
    Runtime::DecAdd,
    Runtime::DecSub,
    Runtime::DecMul,
    Runtime::DecRound,
    Runtime::DecCmp,
    Runtime::DecEncode,
    Runtime::DecDecode,
    Runtime::KeyEscape,
    Runtime::BytesEq,
    Runtime::BytesCmp,
    Runtime::Concat,
    Runtime::DateFromYmd,
    Runtime::DateParts,
    Runtime::MemCmp,
    Runtime::KeyUnescape,
    Runtime::U128Add,
    Runtime::U128Sub,
    Runtime::U128Cmp,
    Runtime::U128Encode,
    Runtime::U128Decode,
    Runtime::ListGrow,
];

/// A coverage probe: a place in a contract that reports when reached.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Probe {
    pub span: Span,
    pub kind: ProbeKind,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ProbeKind {
    /// A statement or a block's value: line coverage.
    Line,
    /// One way through a branch point (`if` then/else, a `match` arm):
    /// `point` numbers the branch point, `arm` the way.
    Branch { point: u32, arm: u32 },
}

/// Probe numbering while compiling contracts for coverage.
#[derive(Debug, Default)]
pub(crate) struct CoverageCtx {
    /// The id of this module's first probe (ids are unique over a harness).
    pub(super) base: u32,
    /// Branch points numbered from here.
    pub(super) next_point: u32,
    pub probes: Vec<Probe>,
}

/// Where a test operation was written, for the runner's messages.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Site {
    pub span: Span,
    /// The source text of the checked condition or call.
    pub text: String,
    /// `assert_eq`: the type of both sides, to show the values.
    pub ty: Option<writ_abi::AbiType>,
}

/// The harness part of a module's compilation state.
#[derive(Debug, Default)]
pub(crate) struct HarnessCtx {
    pub(super) contracts: Vec<ContractId>,
    pub(super) sites: Vec<Site>,
    pub(super) site_types: Vec<Ty>,
}

pub(super) fn mem(offset: u64, align: u32) -> MemArg {
    MemArg { offset, align, target: wasm_encoder::MemArgTarget::Memory(0), ordering: None }
}

/// What a loop's `break` and `continue` jump to, as block depths.
#[derive(Debug, Clone, Copy)]
pub(super) struct LoopLabels {
    pub(super) break_depth: u32,
    pub(super) continue_depth: u32,
}

pub(super) struct FnCompiler<'c, 'a> {
    pub ctx: &'c mut Ctx<'a>,
    pub params: Vec<ValType>,
    pub locals: Vec<ValType>,
    pub code: Vec<I<'static>>,
    pub(super) local_map: HashMap<LocalId, u32>,
    pub(super) depth: u32,
    pub(super) loops: Vec<LoopLabels>,
    /// How many record types encoding code is nested in (inline up to a
    /// bound, then through encoding functions).
    pub record_depth: u32,
    /// Set for test and property bodies: each statement first tells the
    /// runner where the body is (`TestOp::At`).
    pub track_statements: bool,
    /// List locals this function owns alone: `push` appends in place
    /// (`owned.rs`).
    pub owned_lists: std::collections::HashSet<LocalId>,
    /// In a spec's after-call entry: the local holding each `old(..)`'s
    /// value, by the call's span.
    pub old_values: HashMap<Span, u32>,
    /// Temporaries in the order they were handed out and not yet given
    /// back; a statement gives back what it took, a block what its
    /// bindings took.
    pub(super) live: Vec<u32>,
    /// Temporaries given back, each with its type, ready for reuse.
    pub(super) free: Vec<(ValType, u32)>,
    /// Temporaries that hold a named local (kept to the end of its block).
    pub(super) bound: std::collections::HashSet<u32>,
}

impl<'c, 'a> FnCompiler<'c, 'a> {
    pub fn new(ctx: &'c mut Ctx<'a>) -> Self {
        FnCompiler {
            ctx,
            params: Vec::new(),
            locals: Vec::new(),
            code: Vec::new(),
            local_map: HashMap::new(),
            depth: 0,
            loops: Vec::new(),
            record_depth: 0,
            track_statements: false,
            owned_lists: std::collections::HashSet::new(),
            old_values: HashMap::new(),
            live: Vec::new(),
            free: Vec::new(),
            bound: std::collections::HashSet::new(),
        }
    }

    pub fn emit(&mut self, i: I<'static>) {
        match i {
            I::Block(_) | I::Loop(_) | I::If(_) => self.depth += 1,
            I::End => self.depth = self.depth.saturating_sub(1),
            _ => {}
        }
        self.code.push(i);
    }

    /// A local of the given type that nothing else uses until the
    /// expression or statement that asked for it ends. It may have been used by an earlier
    /// statement, so its value is whatever was left there: set it before
    /// reading it.
    pub fn temp(&mut self, ty: ValType) -> u32 {
        let index = match self.free.iter().rposition(|(t, _)| *t == ty) {
            Some(position) => self.free.remove(position).1,
            None => {
                self.locals.push(ty);
                (self.params.len() + self.locals.len() - 1) as u32
            }
        };
        self.live.push(index);
        index
    }

    /// Gives back the temporaries handed out since `mark` (a length of
    /// `live`), except those holding a named local when `keep_bound`.
    ///
    /// Why: without reuse, every temporary of every statement stays
    /// allocated, and long straight-line bodies (a test of a hundred
    /// `assert_eq`) exceed the VM's locals limit.
    pub(super) fn give_back(&mut self, mark: usize, keep_bound: bool) {
        let Some(taken) = self.live.get(mark..).map(<[u32]>::to_vec) else { return };
        self.live.truncate(mark);
        for index in taken {
            if keep_bound && self.bound.contains(&index) {
                self.live.push(index);
                continue;
            }
            self.bound.remove(&index);
            let ty = self.locals.get((index as usize).wrapping_sub(self.params.len())).copied();
            if let Some(ty) = ty {
                self.free.push((ty, index));
            }
        }
    }

    pub(super) fn depth(&self) -> u32 {
        self.depth
    }

    pub(super) fn local_index(&self, local: LocalId) -> Option<u32> {
        self.local_map.get(&local).copied()
    }

    /// A fresh local for a pattern binding.
    pub(super) fn bind_local(
        &mut self,
        local: LocalId,
        ty: &Ty,
        span: Span,
    ) -> Result<Option<u32>, Diagnostic> {
        self.bind(local, ty, span)
    }

    /// Makes `local` name the existing Wasm local `index`.
    pub(super) fn alias_local(&mut self, local: LocalId, index: u32) {
        self.local_map.insert(local, index);
        self.bound.insert(index);
    }

    pub fn param(&mut self, local: LocalId, ty: ValType) -> u32 {
        self.params.push(ty);
        let index = (self.params.len() - 1) as u32;
        self.local_map.insert(local, index);
        index
    }

    pub(super) fn bind(&mut self, local: LocalId, ty: &Ty, span: Span) -> Result<Option<u32>, Diagnostic> {
        let r = repr(ty)
            .ok_or_else(|| unsupported(span, &format!("a value of type `{}`", self.ctx.display(ty))))?;
        Ok(r.val_type().map(|vt| {
            let index = self.temp(vt);
            self.local_map.insert(local, index);
            self.bound.insert(index);
            index
        }))
    }

    pub fn call_rt(&mut self, f: Runtime) {
        let index = self.ctx.runtime(f);
        self.emit(I::Call(index));
    }

    pub fn call_host(&mut self, name: &str) {
        let index = self.ctx.host(name);
        self.emit(I::Call(index));
    }

    /// Calls the host function the built-in `name` lowers to (the table in
    /// `builtins.rs` says which).
    pub fn call_builtin_host(&mut self, name: &str) {
        match crate::builtins::function_named(name).and_then(|f| crate::builtins::host_of(f.lowering)) {
            Some(host) => self.call_host(host.name),
            None => self.call_host(&format!("(the lowering of the built-in `{name}`)")),
        }
    }

    /// Aborts the call with a code and no data.
    pub fn abort(&mut self, code: AbortCode) {
        self.emit(I::I32Const(code as i32));
        self.call_rt(Runtime::Trap);
        self.emit(I::Unreachable);
    }

    /// `if <top of stack> { abort(code) }`.
    pub fn abort_if(&mut self, code: AbortCode) {
        self.emit(I::If(BlockType::Empty));
        self.abort(code);
        self.emit(I::End);
    }

    // ------------------------------------------------------------ structured emit
    /// `block { loop { if <exit> { break } <body> continue } }`: `exit` runs
    /// before each pass and leaves an `i32` (non-zero: leave the loop). The
    /// body gets the depths that `break` (out of the loop) and `continue`
    /// (back to the test) branch to.
    /// Generic over the error, so the runtime helpers (which cannot fail)
    /// use it with `Infallible`.
    pub fn while_loop<E>(
        &mut self,
        exit: impl FnOnce(&mut Self) -> Result<(), E>,
        body: impl FnOnce(&mut Self, LoopLabels) -> Result<(), E>,
    ) -> Result<(), E> {
        self.emit(I::Block(BlockType::Empty));
        let break_depth = self.depth();
        self.emit(I::Loop(BlockType::Empty));
        let continue_depth = self.depth();
        exit(self)?;
        self.emit(I::BrIf(self.depth() - break_depth));
        body(self, LoopLabels { break_depth, continue_depth })?;
        self.emit(I::Br(self.depth() - continue_depth));
        self.emit(I::End);
        self.emit(I::End);
        Ok(())
    }

    /// `while i < count { body }` over `i32` locals; the body moves `i`
    /// on itself (where it does so varies: before `continue` is possible,
    /// or after).
    pub fn while_below<E>(
        &mut self,
        i: u32,
        count: u32,
        body: impl FnOnce(&mut Self, LoopLabels) -> Result<(), E>,
    ) -> Result<(), E> {
        self.while_loop(
            |f| {
                f.below(i, count);
                Ok(())
            },
            body,
        )
    }

    /// `for i in 0..count { body }` over `i32` locals (the counter is set
    /// here: an enclosing loop runs this code again). The body gets the
    /// depth `break` branches to.
    pub fn counted_loop(&mut self, i: u32, count: u32, body: impl FnOnce(&mut Self, u32) -> Out) -> Out {
        self.emit(I::I32Const(0));
        self.emit(I::LocalSet(i));
        self.while_below(i, count, |f, labels| {
            body(f, labels.break_depth)?;
            f.increment(i);
            Ok(())
        })
    }

    /// Leaves whether `i32` local `i` is no longer below `count` (the exit
    /// test of a counted loop).
    pub fn below(&mut self, i: u32, count: u32) {
        self.emit(I::LocalGet(i));
        self.emit(I::LocalGet(count));
        self.emit(I::I32GeU);
    }

    /// `local += 1` on an `i32` counter that stays below a count (so it
    /// cannot overflow).
    pub fn increment(&mut self, local: u32) {
        self.advance(local, 1);
    }

    /// `local += by` on an `i32` address or counter (never past memory).
    pub fn advance(&mut self, local: u32, by: i32) {
        self.emit(I::LocalGet(local));
        self.emit(I::I32Const(by));
        self.emit(I::I32Add);
        self.emit(I::LocalSet(local));
    }

    /// Allocates `total` bytes into `p`, writes the `u32` `count` big-endian
    /// at their start (the header of an encoded list or map), and points
    /// `at` just after it.
    pub fn alloc_counted(&mut self, total: u32, count: u32, p: u32, at: u32) {
        self.emit(I::LocalGet(total));
        self.call_rt(Runtime::Alloc);
        self.emit(I::LocalTee(p));
        self.emit(I::LocalGet(count));
        self.call_rt(Runtime::Bswap32);
        self.emit(I::I32Store(mem(0, 0)));
        self.emit(I::LocalGet(p));
        self.emit(I::I32Const(4));
        self.emit(I::I32Add);
        self.emit(I::LocalSet(at));
    }

    /// `block { body }`: what `continue` in a loop body branches out of;
    /// the body gets its depth.
    pub fn continue_block(&mut self, body: impl FnOnce(&mut Self, u32) -> Out) -> Out {
        self.emit(I::Block(BlockType::Empty));
        let continue_depth = self.depth();
        body(self, continue_depth)?;
        self.emit(I::End);
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    // A helper's function index is its declaration position (`Ctx::runtime`).
    #[test]
    fn runtime_order_is_declaration_order() {
        for (position, helper) in RUNTIME.iter().enumerate() {
            assert_eq!(*helper as usize, position, "{helper:?}");
        }
    }
}
