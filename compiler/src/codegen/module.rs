//! Assembling a contract's WebAssembly module: host imports, runtime
//! helpers, compiled functions, entry-point wrappers (role checks, argument
//! decoding, result encoding), static data, and the ABI custom section.
//!
//! Invariant: function and data layout depend only on the program, in
//! source order, so the same source gives the same bytes.

use std::collections::HashMap;

use wasm_encoder::{
    BlockType, CodeSection, ConstExpr, CustomSection, DataSection, EntityType, ExportKind, ExportSection,
    Function, FunctionSection, GlobalSection, GlobalType, ImportSection, Instruction as I, MemorySection,
    MemoryType, Module, TypeSection, ValType,
};
use writ_abi::host::{self, AbortCode, HOST_FUNCTIONS, WasmType};

use super::core::{
    CodecOp, Compiled, Ctx, DATA_BASE, FnCompiler, HEAP, Job, MEMORY_PAGES_MAX, RUNTIME, Runtime, finish,
    finish_checked,
};
use super::repr::{Repr, repr};
use super::runtime::runtime_function;
use super::{Artifact, Typed, abi_doc, unsupported};
use crate::analysis::Analysis;
use crate::ast::{FnDef, FnKind, ItemKind, MemberKind};
use crate::diagnostic::{Code, Diagnostic};
use crate::types::{ConstId, ContractId, Def, FnId, Ty};

fn val(t: WasmType) -> ValType {
    match t {
        WasmType::I32 => ValType::I32,
        WasmType::I64 => ValType::I64,
    }
}

/// Interns function signatures into the type section.
#[derive(Default)]
struct Types {
    list: Vec<(Vec<ValType>, Vec<ValType>)>,
}

impl Types {
    fn index(&mut self, params: &[ValType], results: &[ValType]) -> u32 {
        if let Some(i) = self.list.iter().position(|(p, r)| p == params && r == results) {
            return i as u32;
        }
        self.list.push((params.to_vec(), results.to_vec()));
        (self.list.len() - 1) as u32
    }
}

/// Compiles contract `cid`; with `coverage`, every statement and branch
/// also reports to the test runner (and the module imports `writ_test`, so
/// only `writ test` can run it). Returns the probes placed, if any.
pub(super) fn compile_contract(
    analysis: &Analysis,
    typed: &Typed<'_>,
    cid: ContractId,
    source_hash: &str,
    coverage: Option<super::core::CoverageCtx>,
) -> Result<(Artifact, Vec<super::core::Probe>), Vec<Diagnostic>> {
    let tables = analysis.tables();
    let mut ctx = Ctx::new(analysis, typed, None, coverage);
    let contract = tables.contract(cid).ok_or_else(Vec::new)?;
    let mut diagnostics = Vec::new();
    let mut wrappers: Vec<(String, Compiled)> = Vec::new();
    // Entry points in declaration order: init first, then the others.
    for id in contract.init.iter().chain(contract.fns.iter()) {
        let Some(info) = tables.fn_info(*id) else { continue };
        if info.kind == FnKind::Private {
            continue;
        }
        match entry_wrapper(&mut ctx, *id) {
            Ok(c) => wrappers.push((host::entry_export(&info.name), c)),
            Err(d) => diagnostics.push(d),
        }
    }
    if contract.init.is_none() {
        wrappers.insert(0, (host::entry_export("init"), default_init(&mut ctx)));
    }
    let role_count = contract.roles.len() as u32;
    for name in ["grant_role", "revoke_role", "has_role"] {
        wrappers.push((host::entry_export(name), role_entry(&mut ctx, name, role_count)));
    }
    // Compile user functions reached from the entry points (and from each other).
    let compiled_users = ctx.compile_queued(&mut diagnostics);
    diagnostics.extend(ctx.internal_errors(contract.span));
    if let Some(name) = abi_doc::type_name_clash(tables, cid) {
        diagnostics.push(super::unsupported(
            contract.span,
            &format!(
                "`{}`, with two different types named `{name}` in its ABI (which names types by name alone: rename one),",
                contract.name
            ),
        ));
    }
    if !diagnostics.is_empty() {
        diagnostics.sort_by_key(|d| d.span);
        diagnostics.dedup_by_key(|d| d.span);
        return Err(diagnostics);
    }
    let mut abi = abi_doc::document(tables, cid, source_hash).ok_or_else(Vec::new)?;
    abi.package = package_record(analysis, contract.span.file);
    let abi_json = serde_json::to_vec(&abi).unwrap_or_default();
    let runtime: Vec<Compiled> = RUNTIME.iter().map(|r| runtime_function(&mut ctx, *r)).collect();
    let wasm = assemble(&ctx, runtime, compiled_users, wrappers, Some(&abi_json));
    if wasm.len() > writ_abi::limits::MODULE_BYTES_MAX {
        let message = format!(
            "contract `{}` compiles to {} bytes; the VM deploys modules of at most {} bytes",
            contract.name,
            wasm.len(),
            writ_abi::limits::MODULE_BYTES_MAX
        );
        return Err(vec![
            Diagnostic::error(Code::ModuleTooLarge, contract.span, message)
                .with_note("split it into smaller contracts, or move constant data out of it"),
        ]);
    }
    let probes = ctx.coverage.take().map(|c| c.probes).unwrap_or_default();
    Ok((Artifact { contract: contract.name.clone(), wasm, abi }, probes))
}

impl<'a> Ctx<'a> {
    pub(super) fn new(
        analysis: &'a Analysis,
        typed: &'a Typed<'a>,
        harness: Option<super::core::HarnessCtx>,
        coverage: Option<super::core::CoverageCtx>,
    ) -> Ctx<'a> {
        let tables = analysis.tables();
        let imports = HOST_FUNCTIONS.len() as u32 + u32::from(harness.is_some() || coverage.is_some());
        Ctx {
            typed,
            imports,
            harness,
            coverage,
            tables,
            data: Vec::new(),
            data_index: HashMap::new(),
            user_order: Vec::new(),
            user_index: HashMap::new(),
            codec_index: HashMap::new(),
            fn_asts: collect_fns(analysis),
            consts: collect_consts(analysis),
            internal: Vec::new(),
        }
    }

    /// Compiles every user function queued so far (and those they reach).
    pub(super) fn compile_queued(&mut self, diagnostics: &mut Vec<Diagnostic>) -> Vec<Compiled> {
        let mut compiled = Vec::new();
        let mut next = 0;
        while let Some(job) = self.user_order.get(next).cloned() {
            next += 1;
            let result = match job {
                Job::User(id) => user_function(self, id),
                Job::Codec(op, ty) => codec_function(self, op, &ty),
            };
            match result {
                Ok(c) => compiled.push(c),
                Err(d) => diagnostics.push(d),
            }
        }
        compiled
    }
}

fn collect_fns<'a>(analysis: &'a Analysis) -> HashMap<FnId, &'a FnDef> {
    let mut out = HashMap::new();
    let mut add = |f: &'a FnDef| {
        if let Some(Def::Fn(id)) = analysis.def_of(&f.name) {
            out.insert(id, f);
        }
    };
    for file in analysis.files() {
        for item in &file.parsed.tree.items {
            match &item.kind {
                ItemKind::Fn(f) => add(f),
                ItemKind::Contract(c) => {
                    for m in &c.members {
                        // An interface's signature has no code to compile.
                        if let MemberKind::Fn(f) = &m.kind
                            && !f.signature
                        {
                            add(f);
                        }
                    }
                }
                _ => {}
            }
        }
    }
    out
}

fn collect_consts<'a>(analysis: &'a Analysis) -> HashMap<ConstId, &'a crate::ast::Expr> {
    let mut out = HashMap::new();
    let mut add = |c: &'a crate::ast::ConstDef| {
        if let Some(Def::Const(id)) = analysis.def_of(&c.name) {
            out.insert(id, &c.value);
        }
    };
    for file in analysis.files() {
        for item in &file.parsed.tree.items {
            match &item.kind {
                ItemKind::Const(c) => add(c),
                ItemKind::Contract(contract) => {
                    for m in &contract.members {
                        if let MemberKind::Const(c) = &m.kind {
                            add(c);
                        }
                    }
                }
                _ => {}
            }
        }
    }
    out
}

/// The body of an encoding function: the same code `records.rs` emits
/// inline, behind a call.
fn codec_function(ctx: &mut Ctx<'_>, op: CodecOp, ty: &Ty) -> Result<Compiled, Diagnostic> {
    let span = crate::span::Span::default();
    let mut f = FnCompiler::new(ctx);
    f.params = vec![ValType::I32];
    let results = match op {
        CodecOp::Encode => {
            let (p, len) = f.encode_record_inline(0, ty, span)?;
            f.emit(I::LocalGet(p));
            f.emit(I::LocalGet(len));
            vec![ValType::I32, ValType::I32]
        }
        CodecOp::Length => {
            f.record_len_inline(0, ty, span)?;
            vec![ValType::I32]
        }
        CodecOp::Decode => {
            f.decode_record_inline(0, ty, span)?;
            vec![ValType::I32]
        }
    };
    Ok(finish(f, results))
}

/// A user function: parameters and result in their representations.
fn user_function(ctx: &mut Ctx<'_>, id: FnId) -> Result<Compiled, Diagnostic> {
    let ast =
        *ctx.fn_asts.get(&id).ok_or_else(|| unsupported(crate::span::Span::default(), "this function"))?;
    let info = ctx.tables.fn_info(id).cloned().ok_or_else(|| unsupported(ast.name.span, "this function"))?;
    let ret = repr(&info.ret).ok_or_else(|| {
        unsupported(ast.name.span, &format!("a result of type `{}`", ctx.display(&info.ret)))
    })?;
    let mut f = FnCompiler::new(ctx);
    f.owned_lists = super::owned::owned_lists(&ast.body, f.ctx.typed);
    for (p, param) in ast.params.iter().zip(&info.params) {
        let vt = repr(&param.ty).and_then(Repr::val_type).ok_or_else(|| {
            unsupported(p.ty.span, &format!("a parameter of type `{}`", f.ctx.display(&param.ty)))
        })?;
        let Some(crate::types::Def::Local(local)) = f.ctx.typed.def(&p.name) else { continue };
        f.param(local, vt);
    }
    f.block(&ast.body)?;
    let results = ret.val_type().into_iter().collect();
    finish_checked(f, results, ast.name.span)
}

/// `entry.<name>(args_ptr, args_len) -> i64`: checks roles, decodes the
/// arguments, calls the function and encodes its result.
fn entry_wrapper(ctx: &mut Ctx<'_>, id: FnId) -> Result<Compiled, Diagnostic> {
    let info = ctx
        .tables
        .fn_info(id)
        .cloned()
        .ok_or_else(|| unsupported(crate::span::Span::default(), "this entry point"))?;
    let inner = ctx.user_fn(id);
    let mut f = FnCompiler::new(ctx);
    f.params = vec![ValType::I32, ValType::I32];
    if info.kind == FnKind::Init {
        // The deployer is the first Admin.
        grant_admin_to_caller(&mut f);
    }
    if !info.requires.is_empty() {
        require_roles(&mut f, &info.requires);
    }
    let types: Vec<Ty> = info.params.iter().map(|p| p.ty.clone()).collect();
    let values = decode_args(&mut f, &types, "an entry point parameter", info.span)?;
    for value in values.into_iter().flatten() {
        f.emit(I::LocalGet(value));
    }
    f.emit(I::Call(inner));
    encode_result(&mut f, &info.ret, info.span)?;
    finish_checked(f, vec![ValType::I64], info.span)
}

/// Decodes the arguments of an entry point (params 0 and 1: pointer and
/// length of the encoding of a tuple of `types`) into fresh locals, one
/// per argument (`None` for `()`). A cursor walks the encoding; a length
/// that does not match what the types use traps.
pub(super) fn decode_args(
    f: &mut FnCompiler<'_, '_>,
    types: &[Ty],
    what: &str,
    span: crate::span::Span,
) -> Result<Vec<Option<u32>>, Diagnostic> {
    let (args, args_len) = (0u32, 1u32);
    let cursor = f.temp(ValType::I32);
    let at = f.temp(ValType::I32);
    let mut values = Vec::new();
    for ty in types {
        if !super::records::encodable(f.ctx.tables(), ty) {
            return Err(unsupported(span, &format!("{what} of type `{}`", f.ctx.display(ty))));
        }
        let vt = repr(ty).and_then(Repr::val_type);
        wasm!(f;
            local.get(args) local.get(cursor) i32.add local.set(at)
        );
        match vt {
            Some(vt) => {
                let value = f.temp(vt);
                f.decode_value(at, ty, span)?;
                f.emit(I::LocalSet(value));
                values.push(Some(value));
            }
            None => values.push(None),
        }
        f.encoded_len_at(at, ty, span)?;
        wasm!(f;
            local.get(cursor) i32.add local.tee(cursor) local.get(args_len) i32.gt_u if(BlockType::Empty)
            unreachable end
        );
    }
    wasm!(f;
        local.get(cursor) local.get(args_len) i32.ne if(BlockType::Empty) unreachable end
    );
    Ok(values)
}

/// With the result on the stack, leaves `(ptr << 32) | len` of its encoding.
pub(super) fn encode_result(
    f: &mut FnCompiler<'_, '_>,
    ty: &Ty,
    span: crate::span::Span,
) -> Result<(), Diagnostic> {
    if *ty == Ty::Unit {
        f.emit(I::I64Const(0));
        return Ok(());
    }
    if !super::records::encodable(f.ctx.tables(), ty) {
        return Err(unsupported(span, &format!("an entry point result of type `{}`", f.ctx.display(ty))));
    }
    let (out, len) = f.encode_value(ty, span)?;
    pack(f, out, len);
    Ok(())
}

fn pack(f: &mut FnCompiler<'_, '_>, ptr: u32, len: u32) {
    wasm!(f;
        local.get(ptr) i64.extend_i32_u i64.const(32) i64.shl local.get(len) i64.extend_i32_u
        i64.or
    );
}

fn caller_address(f: &mut FnCompiler<'_, '_>) -> u32 {
    f.emit(I::I32Const(20));
    f.call_rt(Runtime::Alloc);
    let p = f.temp(ValType::I32);
    f.emit(I::LocalTee(p));
    f.call_host("caller");
    p
}

fn grant_admin_to_caller(f: &mut FnCompiler<'_, '_>) {
    let p = caller_address(f);
    wasm!(f;
        i32.const(0) local.get(p) i32.const(1)
    );
    f.call_rt(Runtime::SetRole);
}

/// Aborts with `MissingRole` (data: the role indexes) unless the caller
/// holds one of `roles`.
fn require_roles(f: &mut FnCompiler<'_, '_>, roles: &[u32]) {
    let p = caller_address(f);
    f.emit(I::I32Const(0));
    for role in roles {
        f.emit(I::I32Const(*role as i32));
        f.emit(I::LocalGet(p));
        f.call_rt(Runtime::HasRole);
        f.emit(I::I32Or);
    }
    f.emit(I::I32Eqz);
    f.emit(I::If(BlockType::Empty));
    let mut data = Vec::new();
    for role in roles {
        data.extend(role.to_be_bytes());
    }
    let at = f.ctx.data(&data);
    wasm!(f;
        i32.const(AbortCode::MissingRole as i32) i32.const(at as i32) i32.const(data.len() as i32)
    );
    f.call_host("abort");
    f.emit(I::Unreachable);
    f.emit(I::End);
}

fn default_init(ctx: &mut Ctx<'_>) -> Compiled {
    let mut f = FnCompiler::new(ctx);
    f.params = vec![ValType::I32, ValType::I32];
    grant_admin_to_caller(&mut f);
    f.emit(I::I64Const(0));
    finish(f, vec![ValType::I64])
}

/// The generated `grant_role`, `revoke_role` (Admin only) and `has_role`.
fn role_entry(ctx: &mut Ctx<'_>, name: &str, role_count: u32) -> Compiled {
    let mut f = FnCompiler::new(ctx);
    f.params = vec![ValType::I32, ValType::I32];
    if name != "has_role" {
        require_roles(&mut f, &[0]);
    }
    // Arguments: u32 role index, 20-byte address.
    wasm!(f;
        local.get(1) i32.const(24) i32.ne if(BlockType::Empty) unreachable end
    );
    let role = f.temp(ValType::I32);
    f.emit(I::LocalGet(0));
    f.load_encoded(&Ty::Int(crate::types::IntTy::U32), crate::span::Span::default()).ok();
    wasm!(f;
        local.tee(role) i32.const(role_count as i32) i32.ge_u if(BlockType::Empty)
    );
    let message = b"no such role";
    let at = f.ctx.data(message);
    wasm!(f;
        i32.const(AbortCode::Require as i32) i32.const(at as i32) i32.const(message.len() as i32)
    );
    f.call_host("abort");
    wasm!(f;
        unreachable end local.get(role) local.get(0) i32.const(4) i32.add
    );
    if name == "has_role" {
        f.call_rt(Runtime::HasRole);
        let _ = encode_result(&mut f, &Ty::Bool, crate::span::Span::default());
    } else {
        f.emit(I::I32Const(i32::from(name == "grant_role")));
        f.call_rt(Runtime::SetRole);
        f.emit(I::I64Const(0));
    }
    finish(f, vec![ValType::I64])
}

pub(super) fn assemble(
    ctx: &Ctx<'_>,
    runtime: Vec<Compiled>,
    users: Vec<Compiled>,
    wrappers: Vec<(String, Compiled)>,
    abi_json: Option<&[u8]>,
) -> Vec<u8> {
    let mut types = Types::default();
    let mut imports = ImportSection::new();
    for h in HOST_FUNCTIONS {
        let params: Vec<ValType> = h.params.iter().map(|t| val(*t)).collect();
        let results: Vec<ValType> = h.results.iter().map(|t| val(*t)).collect();
        let ty = types.index(&params, &results);
        imports.import(host::IMPORT_MODULE, h.name, EntityType::Function(ty));
    }
    if ctx.harness.is_some() || ctx.coverage.is_some() {
        let op = host::test::OP;
        let params: Vec<ValType> = op.params.iter().map(|t| val(*t)).collect();
        let results: Vec<ValType> = op.results.iter().map(|t| val(*t)).collect();
        let ty = types.index(&params, &results);
        imports.import(host::test::IMPORT_MODULE, op.name, EntityType::Function(ty));
    }
    let heap_base = (DATA_BASE + ctx.data.len() as u32).next_multiple_of(8);
    let mut functions = FunctionSection::new();
    let mut code = CodeSection::new();
    let mut exports = ExportSection::new();
    let first_defined = ctx.imports;
    let reset_index = first_defined + Runtime::Reset as u32;
    let wrapper_start = first_defined + (runtime.len() + users.len()) as u32;
    let mut names = Vec::new();
    let mut all = runtime;
    all.extend(users);
    for (name, compiled) in wrappers {
        names.push(name);
        all.push(compiled);
    }
    for (index, c) in (first_defined..).zip(&all) {
        let ty = types.index(&c.params, &c.results);
        functions.function(ty);
        if index == reset_index {
            // The reset helper sets the heap pointer to the real base,
            // known only now that all static data is laid out.
            let mut body = Function::new([]);
            body.instruction(&I::I32Const(heap_base as i32));
            body.instruction(&I::GlobalSet(HEAP));
            body.instruction(&I::End);
            code.function(&body);
        } else {
            code.function(&c.body);
        }
    }
    exports.export(host::EXPORT_MEMORY, ExportKind::Memory, 0);
    exports.export(host::EXPORT_ALLOC, ExportKind::Func, first_defined);
    exports.export(host::EXPORT_RESET, ExportKind::Func, reset_index);
    for (name, index) in names.iter().zip(wrapper_start..) {
        exports.export(name, ExportKind::Func, index);
    }
    let mut type_section = TypeSection::new();
    for (params, results) in &types.list {
        type_section.ty().function(params.iter().copied(), results.iter().copied());
    }
    let mut memory = MemorySection::new();
    let pages = u64::from(heap_base).div_ceil(65536).max(1);
    memory.memory(MemoryType {
        minimum: pages,
        maximum: Some(MEMORY_PAGES_MAX),
        memory64: false,
        shared: false,
        page_size_log2: None,
    });
    let mut globals = GlobalSection::new();
    globals.global(
        GlobalType { val_type: ValType::I32, mutable: true, shared: false },
        &ConstExpr::i32_const(heap_base as i32),
    );
    let mut data = DataSection::new();
    data.active(0, &ConstExpr::i32_const(DATA_BASE as i32), ctx.data.iter().copied());
    let mut module = Module::new();
    module.section(&type_section);
    module.section(&imports);
    module.section(&functions);
    module.section(&memory);
    module.section(&globals);
    module.section(&exports);
    module.section(&code);
    module.section(&data);
    if let Some(abi_json) = abi_json {
        module.section(&CustomSection { name: host::ABI_SECTION.into(), data: abi_json.into() });
    }
    module.finish()
}

/// What the ABI document records of the package `file` belongs to: its
/// name and version, and the hash of every source file of the analysis
/// (the package's and its dependencies', tests left out), by module path.
fn package_record(
    analysis: &crate::Analysis,
    file: crate::FileId,
) -> Option<writ_abi::document::PackageRecord> {
    let package = analysis.package_of(file)?;
    let sources = analysis
        .user_files()
        .iter()
        // Tests are not part of what is built: changing one changes no
        // artifact.
        .filter(|f| f.package.is_some() && f.module.split("::").nth(1) != Some("tests"))
        // An `abi` dependency's module is the artifact's: its bytes are
        // hashed, not the interface text written from them (which a newer
        // compiler may write differently).
        .map(|f| (f.module.clone(), super::sha256_hex(f.artifact.as_deref().unwrap_or(f.text.as_bytes()))))
        .collect();
    Some(writ_abi::document::PackageRecord {
        name: package.name.clone(),
        version: package.version.clone(),
        sources,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    // A host function the ABI does not export is an internal error at the
    // item, never a call of import 0.
    #[test]
    fn unknown_host_functions_are_internal_errors() {
        let analysis = Analysis::single("t.writ", "contract C {}\n");
        let typed = Typed::new(&analysis);
        let mut ctx = Ctx::new(&analysis, &typed, None, None);
        assert_eq!(
            ctx.host("caller"),
            HOST_FUNCTIONS.iter().position(|f| f.name == "caller").unwrap_or(99) as u32
        );
        assert!(ctx.internal_errors(crate::span::Span::default()).is_empty());
        ctx.host("no_such_host_function");
        let errors = ctx.internal_errors(crate::span::Span::default());
        assert_eq!(errors.len(), 1);
        assert_eq!(errors[0].code, Code::InternalError);
        assert!(errors[0].message.contains("`no_such_host_function`"), "{}", errors[0].message);
    }
}
