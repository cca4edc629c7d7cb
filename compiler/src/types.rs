//! Types as the checker sees them, and the tables of declared items.
//!
//! Invariant: `Ty::Error` stands for "already reported"; every rule accepts
//! it silently so one mistake gives one diagnostic, not a cascade.

use crate::ast::FnKind;
use crate::span::Span;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum IntTy {
    U8,
    U32,
    U64,
    U128,
    I64,
    I128,
}

impl IntTy {
    pub const ALL: [IntTy; 6] = [IntTy::U8, IntTy::U32, IntTy::U64, IntTy::U128, IntTy::I64, IntTy::I128];

    pub fn name(self) -> &'static str {
        match self {
            IntTy::U8 => "u8",
            IntTy::U32 => "u32",
            IntTy::U64 => "u64",
            IntTy::U128 => "u128",
            IntTy::I64 => "i64",
            IntTy::I128 => "i128",
        }
    }

    pub fn signed(self) -> bool {
        matches!(self, IntTy::I64 | IntTy::I128)
    }

    /// The largest value, as an unsigned magnitude.
    pub fn max_value(self) -> u128 {
        match self {
            IntTy::U8 => u8::MAX as u128,
            IntTy::U32 => u32::MAX as u128,
            IntTy::U64 => u64::MAX as u128,
            IntTy::U128 => u128::MAX,
            IntTy::I64 => i64::MAX as u128,
            IntTy::I128 => i128::MAX as u128,
        }
    }

    /// The magnitude of the smallest value (0 for unsigned types).
    pub fn min_magnitude(self) -> u128 {
        match self {
            IntTy::I64 => (i64::MAX as u128) + 1,
            IntTy::I128 => (i128::MAX as u128) + 1,
            _ => 0,
        }
    }
}

pub type StructId = u32;
pub type EnumId = u32;
pub type FnId = u32;
pub type ContractId = u32;
pub type ConstId = u32;
pub type LocalId = u32;

#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub enum Ty {
    Bool,
    Int(IntTy),
    Decimal,
    String,
    Bytes,
    Hash,
    Address,
    Timestamp,
    Date,
    /// `()`, the type of statements and of functions without a result.
    Unit,
    /// The type of `return`, `fail`, `break`: no value is ever produced.
    Never,
    Option(Box<Ty>),
    List(Box<Ty>),
    Map(Box<Ty>, Box<Ty>),
    Tuple(Vec<Ty>),
    Struct(StructId),
    Enum(EnumId),
    /// The built-in rounding mode enum `Rounding`.
    Rounding,
    /// A deployed contract, in tests: `let t = deploy Token();`.
    Handle(ContractId),
    /// A reference to a deployed contract of this interface, held by its
    /// address: the type `Registry` in a contract's storage or parameters,
    /// through which it calls the other contract's entry points.
    Ref(ContractId),
    /// A role of a contract, such as `Clerk`.
    Role(ContractId),
    /// Already reported; accepted everywhere.
    Error,
}

impl Ty {
    pub fn is_error(&self) -> bool {
        matches!(self, Ty::Error)
    }

    /// Error and Never fit wherever any type is expected.
    pub fn fits_anywhere(&self) -> bool {
        matches!(self, Ty::Error | Ty::Never)
    }

    pub fn is_numeric(&self) -> bool {
        matches!(self, Ty::Int(_) | Ty::Decimal)
    }

    /// Types with a total order usable by `<` and as map keys.
    pub fn is_ordered(&self) -> bool {
        match self {
            Ty::Int(_)
            | Ty::Decimal
            | Ty::String
            | Ty::Timestamp
            | Ty::Date
            | Ty::Error
            | Ty::Bool
            | Ty::Bytes
            | Ty::Hash
            | Ty::Address => true,
            Ty::Tuple(parts) => parts.iter().all(Ty::is_ordered),
            _ => false,
        }
    }

    /// Whether `self` contains an unresolved placeholder from an empty
    /// literal, such as the element type of `[]` with no context.
    pub fn contains_error(&self) -> bool {
        match self {
            Ty::Error => true,
            Ty::Option(t) | Ty::List(t) => t.contains_error(),
            Ty::Map(k, v) => k.contains_error() || v.contains_error(),
            Ty::Tuple(parts) => parts.iter().any(Ty::contains_error),
            _ => false,
        }
    }
}

/// A struct declared at module level or inside a contract.
#[derive(Debug, Clone)]
pub struct StructInfo {
    pub name: String,
    pub span: Span,
    pub fields: Vec<FieldInfo>,
    pub doc: Option<String>,
}

#[derive(Debug, Clone)]
pub struct FieldInfo {
    pub name: String,
    pub ty: Ty,
    pub span: Span,
}

#[derive(Debug, Clone)]
pub struct EnumInfo {
    pub name: String,
    pub span: Span,
    pub variants: Vec<VariantInfo>,
    pub doc: Option<String>,
}

#[derive(Debug, Clone)]
pub struct VariantInfo {
    pub name: String,
    pub fields: Vec<Ty>,
    pub span: Span,
}

#[derive(Debug, Clone)]
pub struct FnInfo {
    pub name: String,
    pub span: Span,
    pub kind: FnKind,
    pub contract: Option<ContractId>,
    pub params: Vec<FieldInfo>,
    pub ret: Ty,
    /// Indexes into the contract's roles.
    pub requires: Vec<u32>,
    pub doc: Option<String>,
}

#[derive(Debug, Clone)]
pub struct ConstInfo {
    pub name: String,
    pub ty: Ty,
    pub span: Span,
    pub doc: Option<String>,
}

/// An `event` or `error` of a contract.
#[derive(Debug, Clone)]
pub struct RecordInfo {
    pub name: String,
    pub fields: Vec<FieldInfo>,
    pub span: Span,
    pub doc: Option<String>,
}

#[derive(Debug, Clone)]
pub struct RoleInfo {
    pub name: String,
    /// Where it is declared; the implicit `Admin` points at the contract name.
    pub span: Span,
}

#[derive(Debug, Clone, Default)]
pub struct ContractInfo {
    pub name: String,
    pub span: Span,
    /// `Admin` is always first.
    pub roles: Vec<RoleInfo>,
    pub storage: Vec<FieldInfo>,
    pub events: Vec<RecordInfo>,
    pub errors: Vec<RecordInfo>,
    pub fns: Vec<FnId>,
    pub init: Option<FnId>,
    pub doc: Option<String>,
    /// Declared with `interface`: signatures only, nothing to build.
    pub interface: bool,
    /// An interface written from a built artifact, whose code tests may
    /// deploy (an `abi` dependency's).
    pub from_artifact: bool,
}

impl ContractInfo {
    pub fn role(&self, name: &str) -> Option<u32> {
        self.roles.iter().position(|r| r.name == name).map(|i| i as u32)
    }

    pub fn event(&self, name: &str) -> Option<u32> {
        self.events.iter().position(|r| r.name == name).map(|i| i as u32)
    }

    pub fn error(&self, name: &str) -> Option<u32> {
        self.errors.iter().position(|r| r.name == name).map(|i| i as u32)
    }

    pub fn storage_field(&self, name: &str) -> Option<u32> {
        self.storage.iter().position(|r| r.name == name).map(|i| i as u32)
    }
}

/// A local variable or parameter.
#[derive(Debug, Clone)]
pub struct LocalInfo {
    pub name: String,
    pub ty: Ty,
    pub span: Span,
    pub mutable: bool,
    /// Whether the `let` had no type annotation (for inlay hints).
    pub inferred: bool,
    /// Whether it is a function's, test's or property's parameter.
    pub param: bool,
}

/// Every declared thing a name can refer to; the analysis maps uses to these.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Def {
    Struct(StructId),
    Field(StructId, u32),
    Enum(EnumId),
    Variant(EnumId, u32),
    Fn(FnId),
    Const(ConstId),
    Contract(ContractId),
    Role(ContractId, u32),
    Event(ContractId, u32),
    Error(ContractId, u32),
    Storage(ContractId, u32),
    Local(LocalId),
}

/// All declarations of an analysis, indexed by the ids above.
#[derive(Debug, Clone, Default)]
pub struct Tables {
    pub structs: Vec<StructInfo>,
    pub enums: Vec<EnumInfo>,
    pub fns: Vec<FnInfo>,
    pub consts: Vec<ConstInfo>,
    pub contracts: Vec<ContractInfo>,
    pub locals: Vec<LocalInfo>,
    /// The `spec` members whose target was found, in source order.
    pub specs: Vec<SpecInfo>,
}

/// A checked `spec`: the entry point it describes and the locals its
/// clauses read. The parameters are the function's own locals, so a
/// spec's `amount` is the function's `amount`.
#[derive(Debug, Clone)]
pub struct SpecInfo {
    pub contract: ContractId,
    pub func: FnId,
    /// The spec's name (the function's name as written in the spec).
    pub span: Span,
    pub params: Vec<LocalId>,
    /// `result` in `ensures`, when the function returns a value.
    pub result: Option<LocalId>,
}

impl Tables {
    /// How a type is written in source.
    pub fn display(&self, ty: &Ty) -> String {
        match ty {
            Ty::Bool => "bool".into(),
            Ty::Int(i) => i.name().into(),
            Ty::Decimal => "Decimal".into(),
            Ty::String => "String".into(),
            Ty::Bytes => "Bytes".into(),
            Ty::Hash => "Hash".into(),
            Ty::Address => "Address".into(),
            Ty::Timestamp => "Timestamp".into(),
            Ty::Date => "Date".into(),
            Ty::Unit => "()".into(),
            Ty::Never => "!".into(),
            Ty::Option(t) => format!("Option<{}>", self.display(t)),
            Ty::List(t) => format!("List<{}>", self.display(t)),
            Ty::Map(k, v) => format!("Map<{}, {}>", self.display(k), self.display(v)),
            Ty::Tuple(parts) => {
                let inner: Vec<String> = parts.iter().map(|p| self.display(p)).collect();
                format!("({})", inner.join(", "))
            }
            Ty::Struct(id) => self.structs.get(*id as usize).map_or("?".into(), |s| s.name.clone()),
            Ty::Enum(id) => self.enums.get(*id as usize).map_or("?".into(), |e| e.name.clone()),
            Ty::Rounding => "Rounding".into(),
            Ty::Handle(id) => {
                format!("contract {}", self.contracts.get(*id as usize).map_or("?", |c| c.name.as_str()))
            }
            Ty::Role(id) => {
                format!("role of {}", self.contracts.get(*id as usize).map_or("?", |c| c.name.as_str()))
            }
            Ty::Ref(id) => self.contracts.get(*id as usize).map_or("?".into(), |c| c.name.clone()),
            Ty::Error => "{unknown}".into(),
        }
    }

    pub fn contract(&self, id: ContractId) -> Option<&ContractInfo> {
        self.contracts.get(id as usize)
    }

    pub fn struct_info(&self, id: StructId) -> Option<&StructInfo> {
        self.structs.get(id as usize)
    }

    pub fn enum_info(&self, id: EnumId) -> Option<&EnumInfo> {
        self.enums.get(id as usize)
    }

    pub fn fn_info(&self, id: FnId) -> Option<&FnInfo> {
        self.fns.get(id as usize)
    }

    /// The spec named at `span`.
    pub fn spec_at(&self, span: Span) -> Option<&SpecInfo> {
        self.specs.iter().find(|s| s.span == span)
    }

    pub fn local(&self, id: LocalId) -> Option<&LocalInfo> {
        self.locals.get(id as usize)
    }

    /// A one-line description of a definition, for hover.
    pub fn describe(&self, def: Def) -> Option<(String, Option<String>)> {
        let out = match def {
            Def::Struct(id) => {
                let s = self.struct_info(id)?;
                (format!("struct {}", s.name), s.doc.clone())
            }
            Def::Field(id, i) => {
                let s = self.struct_info(id)?;
                let f = s.fields.get(i as usize)?;
                (format!("{}.{}: {}", s.name, f.name, self.display(&f.ty)), None)
            }
            Def::Enum(id) => {
                let e = self.enum_info(id)?;
                (format!("enum {}", e.name), e.doc.clone())
            }
            Def::Variant(id, i) => {
                let e = self.enum_info(id)?;
                let v = e.variants.get(i as usize)?;
                let fields: Vec<String> = v.fields.iter().map(|t| self.display(t)).collect();
                let suffix =
                    if fields.is_empty() { String::new() } else { format!("({})", fields.join(", ")) };
                (format!("{}::{}{}", e.name, v.name, suffix), None)
            }
            Def::Fn(id) => {
                let f = self.fn_info(id)?;
                (self.signature(f), f.doc.clone())
            }
            Def::Const(id) => {
                let c = self.consts.get(id as usize)?;
                (format!("const {}: {}", c.name, self.display(&c.ty)), c.doc.clone())
            }
            Def::Contract(id) => {
                let c = self.contract(id)?;
                let keyword = if c.interface { "interface" } else { "contract" };
                (format!("{keyword} {}", c.name), c.doc.clone())
            }
            Def::Role(id, i) => {
                let c = self.contract(id)?;
                (format!("role {} of {}", c.roles.get(i as usize)?.name, c.name), None)
            }
            Def::Event(id, i) => {
                let c = self.contract(id)?;
                let r = c.events.get(i as usize)?;
                (format!("event {}", self.record(r)), r.doc.clone())
            }
            Def::Error(id, i) => {
                let c = self.contract(id)?;
                let r = c.errors.get(i as usize)?;
                (format!("error {}", self.record(r)), r.doc.clone())
            }
            Def::Storage(id, i) => {
                let c = self.contract(id)?;
                let f = c.storage.get(i as usize)?;
                (format!("storage {}: {}", f.name, self.display(&f.ty)), None)
            }
            Def::Local(id) => {
                let l = self.local(id)?;
                let m = if l.mutable { "mut " } else { "" };
                let text = if l.param {
                    format!("parameter {}: {}", l.name, self.display(&l.ty))
                } else {
                    format!("let {m}{}: {}", l.name, self.display(&l.ty))
                };
                (text, None)
            }
        };
        Some(out)
    }

    fn record(&self, r: &RecordInfo) -> String {
        let fields: Vec<String> =
            r.fields.iter().map(|f| format!("{}: {}", f.name, self.display(&f.ty))).collect();
        format!("{}({})", r.name, fields.join(", "))
    }

    /// `pub view fn name(a: T) -> R requires A`.
    pub fn signature(&self, f: &FnInfo) -> String {
        let params: Vec<String> =
            f.params.iter().map(|p| format!("{}: {}", p.name, self.display(&p.ty))).collect();
        let prefix = match f.kind {
            FnKind::Private => "fn ",
            FnKind::Entry => "pub fn ",
            FnKind::View => "pub view fn ",
            FnKind::Init => "",
        };
        let ret = if f.ret == Ty::Unit { String::new() } else { format!(" -> {}", self.display(&f.ret)) };
        let mut out = format!("{prefix}{}({}){ret}", f.name, params.join(", "));
        if let Some(contract) = f.contract.and_then(|c| self.contract(c)) {
            let roles: Vec<&str> = f
                .requires
                .iter()
                .filter_map(|r| contract.roles.get(*r as usize).map(|r| r.name.as_str()))
                .collect();
            if !roles.is_empty() {
                out.push_str(&format!(" requires {}", roles.join(" | ")));
            }
        }
        out
    }
}
