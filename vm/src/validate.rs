//! Deploy-time validation of a contract module, before anything compiles:
//! structure (wasmparser), size limits, the host ABI's imports and exports,
//! and the absence of floating point and of a start function.
//!
//! Invariant: a module that passes compiles and runs under the limits of
//! `limits.rs`; every refusal is one variant of `ValidationError` saying
//! what was wrong and where.

use wasmparser::{
    BlockType, CompositeInnerType, ExternalKind, FuncValidatorAllocations, FunctionBody, Parser, Payload,
    TypeRef, ValType, Validator, WasmFeatures,
};
use writ_abi::host::{self, WasmType};

use crate::limits;

/// Why a module was refused at deploy.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ValidationError {
    #[error("module is {bytes} bytes; the limit is {max}")]
    ModuleTooLarge { bytes: usize, max: usize },
    #[error("not a valid WebAssembly module (at byte {offset}): {message}")]
    Malformed { offset: usize, message: String },
    #[error("import `{module}.{name}`: contracts may import only from module `writ`")]
    ImportModule { module: String, name: String },
    #[error("import `writ.{name}` is not a host function")]
    UnknownImport { name: String },
    #[error("import `writ.{name}` has signature {found}; the host ABI says {expected}")]
    ImportSignature { name: String, expected: String, found: String },
    #[error("import `{module}.{name}` is a {kind}; only functions may be imported")]
    NonFunctionImport { module: String, name: String, kind: &'static str },
    #[error("module defines {count} memories; it must define exactly one")]
    MemoryCount { count: u32 },
    #[error("memory is 64-bit or shared; it must be one plain 32-bit memory")]
    MemoryKind,
    #[error("memory declares {pages} pages ({what}); the limit is {max} pages")]
    MemoryTooLarge { what: &'static str, pages: u64, max: u64 },
    #[error("module defines {count} tables; at most one is allowed")]
    TableCount { count: u32 },
    #[error("table declares {elements} elements; the limit is {max}")]
    TableTooLarge { elements: u64, max: u64 },
    /// An active data or element segment that does not fit the initial
    /// memory or table: instantiating the module would fail, on every node
    /// and at every call, so it is refused at deployment.
    #[error("{what} segment {index} ends at {end}, past the initial {what_in} of {size}")]
    SegmentOutOfBounds { what: &'static str, what_in: &'static str, index: u32, end: u64, size: u64 },
    /// An active segment's offset is not a plain `i32.const`.
    #[error("{what} segment {index} has an offset that is not a constant")]
    SegmentOffset { what: &'static str, index: u32 },
    #[error("module has {count} functions; the limit is {max}")]
    TooManyFunctions { count: u32, max: u32 },
    #[error("function {func} body is {bytes} bytes; the limit is {max}")]
    FunctionTooLarge { func: u32, bytes: u32, max: u32 },
    #[error("function {func} declares {count} locals; the limit is {max}")]
    TooManyLocals { func: u32, count: u32, max: u32 },
    #[error("module has {count} globals; the limit is {max}")]
    TooManyGlobals { count: u32, max: u32 },
    #[error("data segments hold {bytes} bytes; the limit is {max}")]
    DataTooLarge { bytes: usize, max: usize },
    #[error("type {type_index} uses floating point or vectors ({found})")]
    FloatType { type_index: u32, found: String },
    #[error("function {func} declares a {found} local; floating point is not allowed")]
    FloatLocal { func: u32, found: String },
    #[error("global {global} has type {found}; floating point is not allowed")]
    FloatGlobal { global: u32, found: String },
    #[error(
        "function {func} uses instruction `{instruction}` at byte {offset}; floating point and vectors are not allowed"
    )]
    FloatInstruction { func: u32, offset: usize, instruction: String },
    #[error("module has a start function ({func}); contracts run only through entry points")]
    StartFunction { func: u32 },
    #[error("required export `{name}` is missing")]
    MissingExport { name: &'static str },
    #[error("export `{name}` is a {found}; it must be a {expected}")]
    ExportKind { name: String, expected: &'static str, found: &'static str },
    #[error("export `{name}` has signature {found}; the host ABI says {expected}")]
    ExportSignature { name: String, expected: String, found: String },
    #[error("export `{name}` is not part of the host ABI")]
    UnexpectedExport { name: String },
    #[error("module exports no entry point (`entry.<name>`)")]
    NoEntryPoint,
}

/// The WebAssembly features a contract may use: 1.0 plus multi-value,
/// sign extension, bulk memory and wide arithmetic (128-bit integer
/// results). Floats stay enabled in the parser only so that the checks
/// below can name the offending type or instruction.
fn features() -> WasmFeatures {
    WasmFeatures::WASM1
        | WasmFeatures::MULTI_VALUE
        | WasmFeatures::SIGN_EXTENSION
        | WasmFeatures::BULK_MEMORY
        | WasmFeatures::WIDE_ARITHMETIC
        | WasmFeatures::CALL_INDIRECT_OVERLONG
}

/// A function signature, in the ABI's types where possible.
#[derive(Debug, Clone, PartialEq, Eq)]
struct Signature {
    params: Vec<ValType>,
    results: Vec<ValType>,
}

impl Signature {
    fn matches(&self, params: &[WasmType], results: &[WasmType]) -> bool {
        fn same(ours: &[ValType], abi: &[WasmType]) -> bool {
            ours.len() == abi.len()
                && ours.iter().zip(abi).all(|(ours, abi)| {
                    matches!((ours, abi), (ValType::I32, WasmType::I32) | (ValType::I64, WasmType::I64))
                })
        }
        same(&self.params, params) && same(&self.results, results)
    }

    fn render(&self) -> String {
        let list = |types: &[ValType]| types.iter().map(|t| t.to_string()).collect::<Vec<_>>().join(", ");
        format!("({}) -> ({})", list(&self.params), list(&self.results))
    }
}

fn render_abi(params: &[WasmType], results: &[WasmType]) -> String {
    let name = |t: &WasmType| match t {
        WasmType::I32 => "i32",
        WasmType::I64 => "i64",
    };
    let list = |types: &[WasmType]| types.iter().map(name).collect::<Vec<_>>().join(", ");
    format!("({}) -> ({})", list(params), list(results))
}

fn is_float(ty: ValType) -> bool {
    matches!(ty, ValType::F32 | ValType::F64 | ValType::V128)
}

/// What the walk over the module collected for the export checks.
#[derive(Default)]
struct Facts {
    types: Vec<Signature>,
    /// Type index of every function, imports first.
    func_types: Vec<u32>,
    imported_funcs: u32,
    memories: u32,
    tables: u32,
    globals: u32,
    data_bytes: usize,
    /// The initial memory in bytes and table in elements (0 if none).
    memory_bytes: u64,
    table_elements: u64,
    exports: Vec<(String, ExternalKind, u32)>,
    next_body: u32,
    /// A test harness may also import `writ_test.op`; contracts may not.
    harness: bool,
}

impl Facts {
    fn signature_of_func(&self, func: u32) -> Option<&Signature> {
        let ty = *self.func_types.get(func as usize)?;
        self.types.get(ty as usize)
    }
}

fn malformed(error: wasmparser::BinaryReaderError) -> ValidationError {
    ValidationError::Malformed { offset: error.offset(), message: error.message().to_string() }
}

/// Validates a module for deployment.
pub fn validate(bytes: &[u8]) -> Result<(), ValidationError> {
    validate_module(bytes, false)
}

/// Validates a test harness (`writ test`): the rules of a contract, plus
/// the one import of `writ_abi::host::test`. Never used for deployments.
pub fn validate_harness(bytes: &[u8]) -> Result<(), ValidationError> {
    validate_module(bytes, true)
}

fn validate_module(bytes: &[u8], harness: bool) -> Result<(), ValidationError> {
    if bytes.len() > limits::MODULE_BYTES_MAX {
        return Err(ValidationError::ModuleTooLarge { bytes: bytes.len(), max: limits::MODULE_BYTES_MAX });
    }
    let mut validator = Validator::new_with_features(features());
    let mut facts = Facts { harness, ..Facts::default() };
    let mut allocations = FuncValidatorAllocations::default();
    for payload in Parser::new(0).parse_all(bytes) {
        let payload = payload.map_err(malformed)?;
        check_payload(&payload, &mut facts)?;
        match validator.payload(&payload).map_err(malformed)? {
            wasmparser::ValidPayload::Func(to_validate, body) => {
                let func = facts.imported_funcs + facts.next_body;
                facts.next_body += 1;
                check_body(func, &body)?;
                let mut func_validator = to_validate.into_validator(allocations);
                func_validator.validate(&body).map_err(malformed)?;
                allocations = func_validator.into_allocations();
            }
            wasmparser::ValidPayload::End(_) => {}
            _ => {}
        }
    }
    check_memory_and_tables(&facts)?;
    check_exports(&facts)
}

/// Checks one section as it streams past.
fn check_payload(payload: &Payload<'_>, facts: &mut Facts) -> Result<(), ValidationError> {
    match payload {
        Payload::TypeSection(reader) => {
            for group in reader.clone() {
                for sub in group.map_err(malformed)?.into_types() {
                    let type_index = facts.types.len() as u32;
                    let CompositeInnerType::Func(func) = &sub.composite_type.inner else {
                        // Not a function type: the validator refuses it (GC is off).
                        facts.types.push(Signature { params: vec![], results: vec![] });
                        continue;
                    };
                    let signature =
                        Signature { params: func.params().to_vec(), results: func.results().to_vec() };
                    if signature.params.iter().chain(&signature.results).any(|t| is_float(*t)) {
                        return Err(ValidationError::FloatType { type_index, found: signature.render() });
                    }
                    facts.types.push(signature);
                }
            }
        }
        Payload::ImportSection(reader) => {
            for import in reader.clone().into_imports() {
                check_import(&import.map_err(malformed)?, facts)?;
            }
        }
        Payload::FunctionSection(reader) => {
            for ty in reader.clone() {
                facts.func_types.push(ty.map_err(malformed)?);
            }
            let count = facts.func_types.len();
            if count > limits::FUNCTIONS_MAX as usize {
                return Err(ValidationError::TooManyFunctions {
                    count: count as u32,
                    max: limits::FUNCTIONS_MAX,
                });
            }
        }
        Payload::MemorySection(reader) => {
            for memory in reader.clone() {
                let memory = memory.map_err(malformed)?;
                facts.memories += 1;
                facts.memory_bytes = memory.initial.saturating_mul(limits::WASM_PAGE_BYTES);
                if memory.memory64 || memory.shared {
                    return Err(ValidationError::MemoryKind);
                }
                let max = limits::MEMORY_PAGES_MAX;
                if memory.initial > max {
                    return Err(ValidationError::MemoryTooLarge {
                        what: "minimum",
                        pages: memory.initial,
                        max,
                    });
                }
                // No maximum is accepted: the VM's limit applies at run time.
                if let Some(pages) = memory.maximum.filter(|pages| *pages > max) {
                    return Err(ValidationError::MemoryTooLarge { what: "maximum", pages, max });
                }
            }
        }
        Payload::TableSection(reader) => {
            for table in reader.clone() {
                let table = table.map_err(malformed)?;
                facts.tables += 1;
                facts.table_elements = table.ty.initial;
                let max = limits::TABLE_ELEMENTS_MAX;
                if table.ty.initial > max {
                    return Err(ValidationError::TableTooLarge { elements: table.ty.initial, max });
                }
            }
        }
        Payload::GlobalSection(reader) => {
            for global in reader.clone() {
                let global = global.map_err(malformed)?;
                if is_float(global.ty.content_type) {
                    return Err(ValidationError::FloatGlobal {
                        global: facts.globals,
                        found: global.ty.content_type.to_string(),
                    });
                }
                facts.globals += 1;
            }
            if facts.globals > limits::GLOBALS_MAX {
                return Err(ValidationError::TooManyGlobals {
                    count: facts.globals,
                    max: limits::GLOBALS_MAX,
                });
            }
        }
        Payload::DataSection(reader) => {
            for (index, data) in reader.clone().into_iter().enumerate() {
                let data = data.map_err(malformed)?;
                facts.data_bytes = facts.data_bytes.saturating_add(data.data.len());
                if let wasmparser::DataKind::Active { offset_expr, .. } = &data.kind {
                    let segment = Segment { what: "data", what_in: "memory", index: index as u32 };
                    segment.check(offset_expr, data.data.len() as u64, facts.memory_bytes)?;
                }
            }
            if facts.data_bytes > limits::DATA_SEGMENT_BYTES_MAX {
                return Err(ValidationError::DataTooLarge {
                    bytes: facts.data_bytes,
                    max: limits::DATA_SEGMENT_BYTES_MAX,
                });
            }
        }
        Payload::ElementSection(reader) => {
            for (index, element) in reader.clone().into_iter().enumerate() {
                let element = element.map_err(malformed)?;
                if let wasmparser::ElementKind::Active { offset_expr, .. } = &element.kind {
                    let count = match &element.items {
                        wasmparser::ElementItems::Functions(items) => items.count(),
                        wasmparser::ElementItems::Expressions(_, items) => items.count(),
                    };
                    let segment = Segment { what: "element", what_in: "table", index: index as u32 };
                    segment.check(offset_expr, u64::from(count), facts.table_elements)?;
                }
            }
        }
        Payload::StartSection { func, .. } => return Err(ValidationError::StartFunction { func: *func }),
        Payload::ExportSection(reader) => {
            for export in reader.clone() {
                let export = export.map_err(malformed)?;
                facts.exports.push((export.name.to_string(), export.kind, export.index));
            }
        }
        _ => {}
    }
    Ok(())
}

/// An active segment, for the bounds check.
struct Segment {
    what: &'static str,
    what_in: &'static str,
    index: u32,
}

impl Segment {
    /// Refuses the segment unless its offset is an `i32.const` and its
    /// `len` units from there fit in `size`.
    fn check(&self, offset: &wasmparser::ConstExpr<'_>, len: u64, size: u64) -> Result<(), ValidationError> {
        let refused = || ValidationError::SegmentOffset { what: self.what, index: self.index };
        let mut ops = offset.get_operators_reader();
        let start = match ops.read() {
            Ok(wasmparser::Operator::I32Const { value }) => u64::from(value as u32),
            _ => return Err(refused()),
        };
        if !matches!(ops.read(), Ok(wasmparser::Operator::End)) {
            return Err(refused());
        }
        let end = start.saturating_add(len);
        if end > size {
            return Err(ValidationError::SegmentOutOfBounds {
                what: self.what,
                what_in: self.what_in,
                index: self.index,
                end,
                size,
            });
        }
        Ok(())
    }
}

fn check_import(import: &wasmparser::Import<'_>, facts: &mut Facts) -> Result<(), ValidationError> {
    let kind = match import.ty {
        TypeRef::Func(_) | TypeRef::FuncExact(_) => None,
        TypeRef::Memory(_) => Some("memory"),
        TypeRef::Table(_) => Some("table"),
        TypeRef::Global(_) => Some("global"),
        TypeRef::Tag(_) => Some("tag"),
    };
    if let Some(kind) = kind {
        return Err(ValidationError::NonFunctionImport {
            module: import.module.to_string(),
            name: import.name.to_string(),
            kind,
        });
    }
    let test_op =
        facts.harness && import.module == host::test::IMPORT_MODULE && import.name == host::test::OP.name;
    if import.module != host::IMPORT_MODULE && !test_op {
        return Err(ValidationError::ImportModule {
            module: import.module.to_string(),
            name: import.name.to_string(),
        });
    }
    let expected = if test_op { Some(&host::test::OP) } else { host::host_function(import.name) };
    let Some(expected) = expected else {
        return Err(ValidationError::UnknownImport { name: import.name.to_string() });
    };
    let (TypeRef::Func(type_index) | TypeRef::FuncExact(type_index)) = import.ty else {
        return Ok(());
    };
    let found = facts
        .types
        .get(type_index as usize)
        .cloned()
        .unwrap_or(Signature { params: vec![], results: vec![] });
    if !found.matches(expected.params, expected.results) {
        return Err(ValidationError::ImportSignature {
            name: import.name.to_string(),
            expected: render_abi(expected.params, expected.results),
            found: found.render(),
        });
    }
    facts.func_types.push(type_index);
    facts.imported_funcs += 1;
    Ok(())
}

/// Size, locals and instructions of one function body.
fn check_body(func: u32, body: &FunctionBody<'_>) -> Result<(), ValidationError> {
    let bytes = body.range().len() as u32;
    if bytes > limits::FUNCTION_BODY_BYTES_MAX {
        return Err(ValidationError::FunctionTooLarge { func, bytes, max: limits::FUNCTION_BODY_BYTES_MAX });
    }
    let mut count = 0u32;
    for local in body.get_locals_reader().map_err(malformed)? {
        let (n, ty) = local.map_err(malformed)?;
        if is_float(ty) {
            return Err(ValidationError::FloatLocal { func, found: ty.to_string() });
        }
        count = count.saturating_add(n);
    }
    // Counted in full first, so the error names the real count, not the
    // first one past the limit.
    if count > limits::LOCALS_PER_FUNCTION_MAX {
        return Err(ValidationError::TooManyLocals { func, count, max: limits::LOCALS_PER_FUNCTION_MAX });
    }
    let mut operators = body.get_operators_reader().map_err(malformed)?;
    while !operators.eof() {
        let offset = operators.original_position();
        let operator = operators.read().map_err(malformed)?;
        if let Some(instruction) = float_instruction(&operator) {
            return Err(ValidationError::FloatInstruction { func, offset, instruction });
        }
    }
    Ok(())
}

/// The name of an instruction that involves floats or vectors: an `f32`/
/// `f64`/`v128` operator, a conversion from or to one, or a block or
/// `select` typed with one.
fn float_instruction(operator: &wasmparser::Operator<'_>) -> Option<String> {
    use wasmparser::Operator;
    let typed_float = match operator {
        Operator::Block { blockty } | Operator::Loop { blockty } | Operator::If { blockty } => {
            matches!(blockty, BlockType::Type(ty) if is_float(*ty))
        }
        Operator::TypedSelect { ty } => is_float(*ty),
        Operator::TypedSelectMulti { tys } => tys.iter().any(|ty| is_float(*ty)),
        _ => false,
    };
    let text = format!("{operator:?}");
    let name: String = text.chars().take_while(|c| c.is_alphanumeric()).collect();
    let named_float =
        ["F32", "F64", "V128", "I8x16", "I16x8", "I32x4", "I64x2"].iter().any(|part| name.contains(part));
    (typed_float || named_float).then_some(name)
}

fn check_memory_and_tables(facts: &Facts) -> Result<(), ValidationError> {
    if facts.memories != 1 {
        return Err(ValidationError::MemoryCount { count: facts.memories });
    }
    if facts.tables > 1 {
        return Err(ValidationError::TableCount { count: facts.tables });
    }
    let count = facts.func_types.len() as u32;
    if count > limits::FUNCTIONS_MAX {
        return Err(ValidationError::TooManyFunctions { count, max: limits::FUNCTIONS_MAX });
    }
    Ok(())
}

fn kind_name(kind: ExternalKind) -> &'static str {
    match kind {
        ExternalKind::Func | ExternalKind::FuncExact => "function",
        ExternalKind::Table => "table",
        ExternalKind::Memory => "memory",
        ExternalKind::Global => "global",
        ExternalKind::Tag => "tag",
    }
}

/// The ABI's exports: `memory`, `writ_alloc`, `writ_reset`, entry points.
fn check_exports(facts: &Facts) -> Result<(), ValidationError> {
    use WasmType::{I32, I64};
    let mut seen_memory = false;
    let mut seen_alloc = false;
    let mut seen_reset = false;
    let mut entries = 0usize;
    for (name, kind, index) in &facts.exports {
        let (params, results): (&[WasmType], &[WasmType]) = if name == host::EXPORT_MEMORY {
            if *kind != ExternalKind::Memory {
                return Err(ValidationError::ExportKind {
                    name: name.clone(),
                    expected: "memory",
                    found: kind_name(*kind),
                });
            }
            seen_memory = true;
            continue;
        } else if name == host::EXPORT_ALLOC {
            seen_alloc = true;
            (&[I32], &[I32])
        } else if name == host::EXPORT_RESET {
            seen_reset = true;
            (&[], &[])
        } else if name.starts_with(host::ENTRY_PREFIX) {
            entries += 1;
            (&[I32, I32], &[I64])
        } else {
            return Err(ValidationError::UnexpectedExport { name: name.clone() });
        };
        if !matches!(kind, ExternalKind::Func | ExternalKind::FuncExact) {
            return Err(ValidationError::ExportKind {
                name: name.clone(),
                expected: "function",
                found: kind_name(*kind),
            });
        }
        let found =
            facts.signature_of_func(*index).cloned().unwrap_or(Signature { params: vec![], results: vec![] });
        if !found.matches(params, results) {
            return Err(ValidationError::ExportSignature {
                name: name.clone(),
                expected: render_abi(params, results),
                found: found.render(),
            });
        }
    }
    for (seen, name) in [
        (seen_memory, host::EXPORT_MEMORY),
        (seen_alloc, host::EXPORT_ALLOC),
        (seen_reset, host::EXPORT_RESET),
    ] {
        if !seen {
            return Err(ValidationError::MissingExport { name });
        }
    }
    if entries == 0 {
        return Err(ValidationError::NoEntryPoint);
    }
    Ok(())
}
