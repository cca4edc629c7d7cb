//! The one table of built-ins: the built-in functions, the methods of
//! built-in types and contract handles, and the built-in type names, each
//! with where it may be used, its signature, its documentation and how the
//! back end lowers it. The checker, completion, signature help, hover,
//! semantic tokens and code generation all read this table; nothing else
//! lists built-ins.
//!
//! Invariant: a built-in whose typing is `Fixed` is typed from this table
//! alone. A `Special` one has a rule of its own in `check/call.rs` because
//! it is generic or takes optional arguments. Such a rule exists for every
//! `Special` name, and a test checks it.

use writ_abi::host::{self, HostFn};

use crate::types::{ContractId, IntTy, Tables, Ty};

/// Where a built-in may be used.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Allowed {
    /// Contract code, free functions, tests and properties.
    Anywhere,
    /// Inside a contract only (it needs the call's context).
    Contract,
    /// Inside a contract, or in a test (where the runner's ledger answers).
    ContractOrTest,
    /// In tests and properties only.
    Test,
    /// In tests, properties and invariants.
    Assertions,
    /// In a spec's `ensures` clauses only.
    Ensures,
}

/// A type in a built-in's signature, relative to where it is used.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Shape {
    Bool,
    U8,
    U32,
    U64,
    U128,
    I64,
    I128,
    Decimal,
    String,
    Bytes,
    Hash,
    Address,
    Timestamp,
    Date,
    Rounding,
    Unit,
    /// The roles of the contract being checked (functions) or of the
    /// handle's contract (handle methods).
    Role,
    /// The receiver's element type: `T` of `Option<T>` or `List<T>`.
    Elem,
    /// The key type of the receiver `Map<K, V>`.
    Key,
    /// The value type of the receiver `Map<K, V>`.
    Value,
    /// `Option<V>` of the receiver `Map<K, V>`.
    OptionOfValue,
    /// The receiver itself (a contract handle).
    Receiver,
    /// Shown as written; only `Special` built-ins use it (their rule checks it).
    Shown(&'static str),
}

/// One parameter: its name (for signature help) and type.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Param {
    pub name: &'static str,
    pub ty: Shape,
}

const fn p(name: &'static str, ty: Shape) -> Param {
    Param { name, ty }
}

/// How the checker types a call of the built-in.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Typing {
    /// From the table's parameters and result.
    Fixed,
    /// By a rule of its own in `check/call.rs` (generic, optional arguments).
    Special,
}

/// How the back end lowers a built-in (the instructions themselves are in
/// `codegen/calls.rs`, `codegen/tests.rs`, `codegen/maps.rs` and `codegen/lists.rs`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Lowering {
    /// A call of this host function; the back end marshals the arguments.
    Host(&'static HostFn),
    /// A helper every module carries (`codegen/runtime.rs`).
    Runtime,
    /// A few instructions in place.
    Inline,
    /// An operation of the test runner (`writ_test.op`), in tests only.
    TestRunner,
}

/// A built-in function.
#[derive(Debug, Clone, Copy)]
pub struct Function {
    pub name: &'static str,
    pub allowed: Allowed,
    pub params: &'static [Param],
    pub ret: Shape,
    pub typing: Typing,
    /// Changes state (refused in views and invariants).
    pub writes: bool,
    pub lowering: Lowering,
    pub doc: &'static str,
}

/// What a built-in method is called on.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Receiver {
    Decimal,
    String,
    Bytes,
    Hash,
    Option,
    List,
    Map,
    Timestamp,
    Date,
    /// A deployed contract in a test.
    Handle,
    /// A reference to a deployed contract, in contract code.
    Ref,
}

impl Receiver {
    pub fn of(ty: &Ty) -> Option<Receiver> {
        Some(match ty {
            Ty::Decimal => Receiver::Decimal,
            Ty::String => Receiver::String,
            Ty::Bytes => Receiver::Bytes,
            Ty::Hash => Receiver::Hash,
            Ty::Option(_) => Receiver::Option,
            Ty::List(_) => Receiver::List,
            Ty::Map(..) => Receiver::Map,
            Ty::Timestamp => Receiver::Timestamp,
            Ty::Date => Receiver::Date,
            Ty::Handle(_) => Receiver::Handle,
            Ty::Ref(_) => Receiver::Ref,
            _ => return None,
        })
    }
}

/// A method of a built-in type (or generated on every contract handle).
#[derive(Debug, Clone, Copy)]
pub struct Method {
    pub receiver: Receiver,
    pub name: &'static str,
    pub params: &'static [Param],
    pub ret: Shape,
    pub typing: Typing,
    /// Changes the value it is called on (which must be a place).
    pub mutating: bool,
    pub lowering: Lowering,
    pub doc: &'static str,
}

/// A built-in type name.
#[derive(Debug, Clone, Copy)]
pub struct Type {
    pub name: &'static str,
    /// How many type arguments it takes (`Map<K, V>`: 2).
    pub arity: usize,
    /// The type itself when it takes no arguments.
    pub scalar: Option<Shape>,
    pub doc: &'static str,
}

use Allowed as A;
use Lowering as L;
use Shape as S;

const fn function(
    name: &'static str,
    allowed: Allowed,
    params: &'static [Param],
    ret: Shape,
    lowering: Lowering,
    doc: &'static str,
) -> Function {
    Function { name, allowed, params, ret, typing: Typing::Fixed, writes: false, lowering, doc }
}

const fn special(self_: Function) -> Function {
    Function { typing: Typing::Special, ..self_ }
}

const fn writes(self_: Function) -> Function {
    Function { writes: true, ..self_ }
}

/// Every built-in function, in the order completion offers them.
pub const FUNCTIONS: &[Function] = &[
    function(
        "require",
        A::Anywhere,
        &[p("condition", S::Bool), p("message", S::String)],
        S::Unit,
        L::Host(&host::ABORT),
        "Aborts the call with `message` unless `condition` holds.",
    ),
    special(function(
        "assert",
        A::Assertions,
        &[p("condition", S::Bool), p("message", S::String)],
        S::Unit,
        L::TestRunner,
        "Fails the test unless `condition` holds (message optional).",
    )),
    special(function(
        "assert_eq",
        A::Assertions,
        &[p("left", S::Shown("T")), p("right", S::Shown("T"))],
        S::Unit,
        L::TestRunner,
        "Fails the test and shows both values when they differ.",
    )),
    special(function(
        "assert_aborts",
        A::Test,
        &[p("call", S::Shown("T")), p("error", S::Shown("Name"))],
        S::Unit,
        L::TestRunner,
        "The call must abort, with that error or built-in abort when named.",
    )),
    special(function(
        "assert_emitted",
        A::Test,
        &[p("handle", S::Shown("contract")), p("event", S::Shown("Event"))],
        S::Unit,
        L::TestRunner,
        "The last call on `handle` emitted that event.",
    )),
    special(function(
        "old",
        A::Ensures,
        &[p("value", S::Shown("T"))],
        S::Shown("T"),
        L::Inline,
        "In a spec's `ensures`: the value `value` had before the call (the state as the call found it).",
    )),
    function(
        "account",
        A::Test,
        &[p("name", S::String)],
        S::Address,
        L::TestRunner,
        "A test account's address, the same for the same name.",
    ),
    function(
        "set_time",
        A::Test,
        &[p("time", S::Timestamp)],
        S::Unit,
        L::TestRunner,
        "Sets the ledger clock in a test.",
    ),
    function(
        "advance_time",
        A::Test,
        &[p("seconds", S::U64)],
        S::Unit,
        L::TestRunner,
        "Moves the ledger clock forward in a test.",
    ),
    special(function(
        "min",
        A::Anywhere,
        &[p("a", S::Shown("T")), p("b", S::Shown("T"))],
        S::Shown("T"),
        L::Inline,
        "The smaller of two numbers.",
    )),
    special(function(
        "max",
        A::Anywhere,
        &[p("a", S::Shown("T")), p("b", S::Shown("T"))],
        S::Shown("T"),
        L::Inline,
        "The larger of two numbers.",
    )),
    function(
        "caller",
        A::Contract,
        &[],
        S::Address,
        L::Host(&host::CALLER),
        "The account that called this entry point.",
    ),
    function(
        "contract_address",
        A::Contract,
        &[],
        S::Address,
        L::Host(&host::CONTRACT_ADDRESS),
        "This contract's address.",
    ),
    function(
        "now",
        A::ContractOrTest,
        &[],
        S::Timestamp,
        L::Host(&host::NOW),
        "The timestamp of the current block.",
    ),
    function(
        "block_height",
        A::ContractOrTest,
        &[],
        S::U64,
        L::Host(&host::BLOCK_HEIGHT),
        "The height of the current block.",
    ),
    function(
        "signed_by",
        A::Contract,
        &[p("account", S::Address)],
        S::Bool,
        L::Host(&host::SIGNED_BY),
        "Whether `account` signed the transaction.",
    ),
    function(
        "has_role",
        A::Contract,
        &[p("role", S::Role), p("account", S::Address)],
        S::Bool,
        L::Runtime,
        "Whether `account` holds `role`.",
    ),
    writes(function(
        "grant",
        A::Contract,
        &[p("role", S::Role), p("account", S::Address)],
        S::Unit,
        L::Runtime,
        "Gives `account` the role (changes state).",
    )),
    writes(function(
        "revoke",
        A::Contract,
        &[p("role", S::Role), p("account", S::Address)],
        S::Unit,
        L::Runtime,
        "Takes the role from `account` (changes state).",
    )),
    function(
        "sha256",
        A::Anywhere,
        &[p("data", S::Bytes)],
        S::Hash,
        L::Host(&host::SHA256),
        "The SHA-256 digest of `data`.",
    ),
    function(
        "sm3",
        A::Anywhere,
        &[p("data", S::Bytes)],
        S::Hash,
        L::Host(&host::SM3),
        "The SM3 digest of `data`.",
    ),
    function(
        "verify_ed25519",
        A::Anywhere,
        &[p("public_key", S::Bytes), p("message", S::Bytes), p("signature", S::Bytes)],
        S::Bool,
        L::Host(&host::VERIFY_ED25519),
        "Checks an Ed25519 signature.",
    ),
    function("zero_address", A::Anywhere, &[], S::Address, L::Inline, "The all-zero address."),
    function(
        "date",
        A::Anywhere,
        &[p("year", S::U32), p("month", S::U32), p("day", S::U32)],
        S::Date,
        L::Runtime,
        "A calendar date.",
    ),
    special(function(
        "Some",
        A::Anywhere,
        &[p("value", S::Shown("T"))],
        S::Shown("Option<T>"),
        L::Inline,
        "An `Option` holding `value`.",
    )),
];

const fn method(
    receiver: Receiver,
    name: &'static str,
    params: &'static [Param],
    ret: Shape,
    lowering: Lowering,
    doc: &'static str,
) -> Method {
    Method { receiver, name, params, ret, typing: Typing::Fixed, mutating: false, lowering, doc }
}

const fn mutating(self_: Method) -> Method {
    Method { mutating: true, ..self_ }
}

use Receiver as R;

/// Every built-in method, grouped by receiver in the order completion
/// offers them.
pub const METHODS: &[Method] = &[
    Method {
        typing: Typing::Special,
        ..method(
            R::Decimal,
            "round",
            &[p("places", S::U32), p("mode", S::Rounding)],
            S::Decimal,
            L::Runtime,
            "Rounds to `places` decimals; the mode defaults to `Rounding::HalfEven`.",
        )
    },
    method(R::Decimal, "trunc", &[], S::Decimal, L::Runtime, "Drops the fraction (toward zero)."),
    method(R::Decimal, "floor", &[], S::Decimal, L::Runtime, "The largest whole number not above it."),
    method(R::Decimal, "ceil", &[], S::Decimal, L::Runtime, "The smallest whole number not below it."),
    method(R::Decimal, "abs", &[], S::Decimal, L::Runtime, "The value without its sign."),
    method(R::String, "len", &[], S::U64, L::Inline, "The length in bytes of its UTF-8 text."),
    method(R::String, "as_bytes", &[], S::Bytes, L::Inline, "Its UTF-8 bytes."),
    method(R::Bytes, "len", &[], S::U64, L::Inline, "The number of bytes."),
    method(R::Hash, "as_bytes", &[], S::Bytes, L::Inline, "Its 32 bytes."),
    method(R::Option, "is_some", &[], S::Bool, L::Inline, "Whether it holds a value."),
    method(R::Option, "is_none", &[], S::Bool, L::Inline, "Whether it is `None`."),
    method(R::Option, "unwrap", &[], S::Elem, L::Inline, "The value; aborts with `NoneUnwrapped` on `None`."),
    method(
        R::Option,
        "unwrap_or",
        &[p("default", S::Elem)],
        S::Elem,
        L::Inline,
        "The value, or `default` on `None`.",
    ),
    method(R::List, "len", &[], S::U64, L::Inline, "The number of elements."),
    mutating(method(
        R::List,
        "push",
        &[p("value", S::Elem)],
        S::Unit,
        L::Runtime,
        "Appends `value` at the end.",
    )),
    method(R::Map, "get", &[p("key", S::Key)], S::OptionOfValue, L::Inline, "The value under `key`, if any."),
    method(R::Map, "contains", &[p("key", S::Key)], S::Bool, L::Inline, "Whether `key` has a value."),
    mutating(method(
        R::Map,
        "insert",
        &[p("key", S::Key), p("value", S::Value)],
        S::Unit,
        L::Inline,
        "Sets the value under `key`, replacing any.",
    )),
    mutating(method(
        R::Map,
        "remove",
        &[p("key", S::Key)],
        S::Unit,
        L::Inline,
        "Removes `key` and its value, if any.",
    )),
    method(R::Map, "len", &[], S::U64, L::Inline, "The number of entries."),
    method(R::Timestamp, "date", &[], S::Date, L::Inline, "The calendar date (UTC) of the timestamp."),
    method(R::Date, "year", &[], S::U32, L::Runtime, "The year."),
    method(R::Date, "month", &[], S::U32, L::Runtime, "The month, 1 to 12."),
    method(R::Date, "day", &[], S::U32, L::Runtime, "The day of the month, from 1."),
    method(
        R::Date,
        "add_days",
        &[p("days", S::I64)],
        S::Date,
        L::Inline,
        "The date `days` later (earlier when negative).",
    ),
    method(
        R::Handle,
        "address",
        &[],
        S::Address,
        L::Inline,
        "The deployed contract's address (to pass where a contract reference is made with `C::at`).",
    ),
    method(R::Ref, "address", &[], S::Address, L::Inline, "The referenced contract's address."),
    method(
        R::Handle,
        "from",
        &[p("account", S::Address)],
        S::Receiver,
        L::TestRunner,
        "The next call is made by `account`.",
    ),
    method(
        R::Handle,
        "signed_by",
        &[p("account", S::Address)],
        S::Receiver,
        L::TestRunner,
        "The next call also carries `account`'s signature.",
    ),
    method(
        R::Handle,
        "grant_role",
        &[p("role", S::Role), p("account", S::Address)],
        S::Unit,
        L::TestRunner,
        "Grants the contract's role to `account` (as the admin).",
    ),
    method(
        R::Handle,
        "revoke_role",
        &[p("role", S::Role), p("account", S::Address)],
        S::Unit,
        L::TestRunner,
        "Revokes the contract's role from `account` (as the admin).",
    ),
    method(
        R::Handle,
        "has_role",
        &[p("role", S::Role), p("account", S::Address)],
        S::Bool,
        L::TestRunner,
        "Whether `account` holds the contract's role.",
    ),
];

const fn scalar(name: &'static str, shape: Shape, doc: &'static str) -> Type {
    Type { name, arity: 0, scalar: Some(shape), doc }
}

/// Every built-in type name.
pub const TYPES: &[Type] = &[
    scalar("bool", S::Bool, "`true` or `false`."),
    scalar("u8", S::U8, "An unsigned 8-bit integer."),
    scalar("u32", S::U32, "An unsigned 32-bit integer."),
    scalar("u64", S::U64, "An unsigned 64-bit integer."),
    scalar("u128", S::U128, "An unsigned 128-bit integer."),
    scalar("i64", S::I64, "A signed 64-bit integer."),
    scalar("i128", S::I128, "A signed 128-bit integer."),
    scalar("Decimal", S::Decimal, "A signed decimal with 18 fractional digits, exact."),
    scalar("String", S::String, "UTF-8 text."),
    scalar("Bytes", S::Bytes, "A byte string."),
    scalar("Hash", S::Hash, "A 32-byte digest."),
    scalar("Address", S::Address, "A 20-byte account or contract address."),
    scalar("Timestamp", S::Timestamp, "Seconds since 1970-01-01 UTC."),
    scalar("Date", S::Date, "A calendar date."),
    Type { name: "Option", arity: 1, scalar: None, doc: "A value or `None`." },
    Type { name: "List", arity: 1, scalar: None, doc: "A sequence of values." },
    Type { name: "Map", arity: 2, scalar: None, doc: "Values by key, in key order." },
    scalar("Rounding", S::Rounding, "How `round` breaks ties and directs rounding."),
];

impl Function {
    /// Each parameter as `name: Type` (no contract at hand: a role is `Role`).
    pub fn param_texts(&self) -> Vec<String> {
        self.params.iter().map(|p| format!("{}: {}", p.name, p.ty.show_alone())).collect()
    }

    /// `name(params) -> Result`, as signature help, completion and hover show it.
    pub fn signature(&self) -> String {
        let ret = match self.ret {
            S::Unit => String::new(),
            other => format!(" -> {}", other.show_alone()),
        };
        format!("{}({}){ret}", self.name, self.param_texts().join(", "))
    }
}

/// The built-in function `name`.
pub fn function_named(name: &str) -> Option<&'static Function> {
    FUNCTIONS.iter().find(|f| f.name == name)
}

/// The built-in type `name`.
pub fn type_named(name: &str) -> Option<&'static Type> {
    TYPES.iter().find(|t| t.name == name)
}

/// The methods a value of type `ty` has.
pub fn methods_of(ty: &Ty) -> impl Iterator<Item = &'static Method> {
    let receiver = Receiver::of(ty);
    METHODS.iter().filter(move |m| Some(m.receiver) == receiver)
}

/// The method `name` of a value of type `ty`.
pub fn method_of(ty: &Ty, name: &str) -> Option<&'static Method> {
    methods_of(ty).find(|m| m.name == name)
}

impl Shape {
    /// The type this shape stands for where it is used: `receiver` is the
    /// value a method is called on, `contract` the contract whose roles
    /// `Role` means. `None` for shapes only `Special` rules use, or when
    /// the context lacks what the shape needs.
    pub fn resolve(self, receiver: Option<&Ty>, contract: Option<ContractId>) -> Option<Ty> {
        Some(match self {
            S::Bool => Ty::Bool,
            S::U8 => Ty::Int(IntTy::U8),
            S::U32 => Ty::Int(IntTy::U32),
            S::U64 => Ty::Int(IntTy::U64),
            S::U128 => Ty::Int(IntTy::U128),
            S::I64 => Ty::Int(IntTy::I64),
            S::I128 => Ty::Int(IntTy::I128),
            S::Decimal => Ty::Decimal,
            S::String => Ty::String,
            S::Bytes => Ty::Bytes,
            S::Hash => Ty::Hash,
            S::Address => Ty::Address,
            S::Timestamp => Ty::Timestamp,
            S::Date => Ty::Date,
            S::Rounding => Ty::Rounding,
            S::Unit => Ty::Unit,
            S::Role => Ty::Role(contract?),
            S::Elem => match receiver? {
                Ty::Option(inner) | Ty::List(inner) => (**inner).clone(),
                _ => return None,
            },
            S::Key => match receiver? {
                Ty::Map(key, _) => (**key).clone(),
                _ => return None,
            },
            S::Value => match receiver? {
                Ty::Map(_, value) => (**value).clone(),
                _ => return None,
            },
            S::OptionOfValue => match receiver? {
                Ty::Map(_, value) => Ty::Option(value.clone()),
                _ => return None,
            },
            S::Receiver => receiver?.clone(),
            S::Shown(_) => return None,
        })
    }

    /// The shape as source text where it is used (`Role` needs the
    /// contract to name its role type).
    pub fn show(self, tables: &Tables, receiver: Option<&Ty>, contract: Option<ContractId>) -> String {
        match (self, self.resolve(receiver, contract)) {
            (S::Shown(text), _) => text.to_string(),
            (S::Unit, _) => "()".to_string(),
            (S::Role, None) => "Role".to_string(),
            (_, Some(ty)) => tables.display(&ty),
            (_, None) => "_".to_string(),
        }
    }
}

impl Shape {
    /// The shape as written in a built-in function's signature, where no
    /// contract or receiver is at hand.
    pub fn show_alone(self) -> String {
        match self {
            S::Role => "Role".to_string(),
            other => other.show(&Tables::default(), None, None),
        }
    }
}

/// The host function a built-in's lowering names, for the back end.
pub fn host_of(lowering: Lowering) -> Option<&'static HostFn> {
    match lowering {
        L::Host(f) => Some(f),
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    // Names are unique in each table, and every host function a lowering
    // names is one the ABI exports (the back end imports it by position).
    #[test]
    fn the_table_is_consistent() {
        let mut names: Vec<&str> = FUNCTIONS.iter().map(|f| f.name).collect();
        names.sort_unstable();
        names.dedup();
        assert_eq!(names.len(), FUNCTIONS.len(), "a built-in function is listed twice");
        let mut methods: Vec<(String, &str)> =
            METHODS.iter().map(|m| (format!("{:?}", m.receiver), m.name)).collect();
        methods.sort_unstable();
        methods.dedup();
        assert_eq!(methods.len(), METHODS.len(), "a method is listed twice");
        let lowerings = FUNCTIONS.iter().map(|f| f.lowering).chain(METHODS.iter().map(|m| m.lowering));
        for f in lowerings.filter_map(host_of) {
            assert!(host::host_function(f.name).is_some(), "`{}` is not a host function", f.name);
        }
        for f in FUNCTIONS.iter().filter(|f| f.typing == Typing::Fixed) {
            let shapes = f.params.iter().map(|p| p.ty).chain([f.ret]);
            assert!(
                shapes.into_iter().all(|s| !matches!(s, S::Shown(_))),
                "`{}` needs a special rule",
                f.name
            );
        }
    }
}
