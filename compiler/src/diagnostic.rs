//! The one diagnostic type, shared by the CLI, the tests and the editor.
//!
//! Invariant: a diagnostic is plain data. Rendering lives in `render.rs`
//! (terminal) and in the language server (LSP); neither adds meaning.
//! Codes are stable: a code is never reused for a different problem.

use serde::Serialize;

use crate::span::Span;

#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Severity {
    Error,
    Warning,
}

/// A secondary location with a short explanation.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Label {
    pub span: Span,
    pub message: String,
}

/// A suggested edit that fixes the problem, shown as a hint and offered by
/// the editor as a quick fix.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Fix {
    pub message: String,
    pub span: Span,
    pub replacement: String,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Diagnostic {
    pub code: Code,
    pub severity: Severity,
    /// What was expected and what was found, in plain words.
    pub message: String,
    pub span: Span,
    pub labels: Vec<Label>,
    pub notes: Vec<String>,
    pub fix: Option<Fix>,
}

impl Diagnostic {
    pub fn error(code: Code, span: Span, message: impl Into<String>) -> Diagnostic {
        Diagnostic {
            code,
            severity: Severity::Error,
            message: message.into(),
            span,
            labels: Vec::new(),
            notes: Vec::new(),
            fix: None,
        }
    }

    pub fn warning(code: Code, span: Span, message: impl Into<String>) -> Diagnostic {
        Diagnostic { severity: Severity::Warning, ..Diagnostic::error(code, span, message) }
    }

    pub fn with_label(mut self, span: Span, message: impl Into<String>) -> Diagnostic {
        self.labels.push(Label { span, message: message.into() });
        self
    }

    pub fn with_note(mut self, note: impl Into<String>) -> Diagnostic {
        self.notes.push(note.into());
        self
    }

    pub fn with_fix(
        mut self,
        message: impl Into<String>,
        span: Span,
        replacement: impl Into<String>,
    ) -> Diagnostic {
        self.fix = Some(Fix { message: message.into(), span, replacement: replacement.into() });
        self
    }

    pub fn is_error(&self) -> bool {
        self.severity == Severity::Error
    }
}

macro_rules! codes {
    ($($variant:ident = $code:literal, $title:literal;)*) => {
        /// Every diagnostic the compiler can report. `E0xxx` lexing,
        /// `E1xxx` parsing, `E2xxx` names and types, `E3xxx` code generation,
        /// `W0xxx` warnings.
        #[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
        pub enum Code {
            $($variant,)*
        }

        impl Code {
            pub const ALL: &'static [Code] = &[$(Code::$variant,)*];

            /// The stable code, such as `E2004`.
            pub fn as_str(self) -> &'static str {
                match self {
                    $(Code::$variant => $code,)*
                }
            }

            /// A short noun phrase naming the problem.
            pub fn title(self) -> &'static str {
                match self {
                    $(Code::$variant => $title,)*
                }
            }
        }
    };
}

codes! {
    InvalidUtf8 = "E0001", "source is not valid UTF-8";
    SourceTooLarge = "E0002", "source file too large";
    UnexpectedCharacter = "E0003", "unexpected character";
    UnterminatedString = "E0004", "unterminated string";
    UnterminatedComment = "E0005", "unterminated block comment";
    InvalidEscape = "E0006", "invalid escape sequence";
    InvalidHexLiteral = "E0007", "invalid hex literal";

    UnexpectedToken = "E1001", "unexpected token";
    UnexpectedEof = "E1002", "unexpected end of file";
    NestingTooDeep = "E1003", "nesting too deep";
    InvalidAssignTarget = "E1004", "invalid assignment target";
    TooManyErrors = "E1005", "too many errors";
    ChainTooLong = "E1006", "operator chain too long";

    UnknownName = "E2001", "unknown name";
    UnknownType = "E2002", "unknown type";
    DuplicateDefinition = "E2003", "duplicate definition";
    TypeMismatch = "E2004", "type mismatch";
    ArgumentCount = "E2005", "wrong number of arguments";
    UnknownField = "E2006", "unknown field";
    MissingField = "E2007", "missing field";
    UnknownMethod = "E2008", "unknown method";
    NonExhaustiveMatch = "E2009", "non-exhaustive match";
    MissingReturn = "E2010", "missing return";
    WriteInView = "E2011", "storage write in a view function";
    EmitInView = "E2012", "event emitted in a view function";
    NonViewCallInView = "E2013", "state-changing call in a view function";
    UnknownRole = "E2014", "unknown role";
    UnknownEvent = "E2015", "unknown event";
    UnknownError = "E2016", "unknown error";
    EventArity = "E2017", "event or error arity mismatch";
    IntegerOutOfRange = "E2018", "integer literal out of range";
    DecimalPrecision = "E2019", "too many fractional digits";
    InvalidCast = "E2020", "invalid conversion";
    AssignToImmutable = "E2021", "assignment to an immutable binding";
    Shadowing = "E2022", "name already bound in this block";
    InvalidOperand = "E2023", "operator cannot be applied";
    NotOrdered = "E2024", "values cannot be ordered";
    BreakOutsideLoop = "E2025", "`break` or `continue` outside a loop";
    SelfOutsideContract = "E2026", "`self` outside a contract";
    UnknownModule = "E2027", "unknown module";
    UnknownImport = "E2028", "unknown item in module";
    ContractOnly = "E2029", "contract built-in outside a contract";
    TestOnly = "E2030", "test built-in outside a test";
    DuplicateInit = "E2031", "more than one `init`";
    NotCallable = "E2032", "not a function";
    InvalidPattern = "E2033", "invalid pattern";
    DuplicateField = "E2034", "field given twice";
    RequiresOnPrivate = "E2035", "`requires` on a private function";
    InvalidMapKey = "E2036", "invalid map key type";
    RecursiveType = "E2037", "recursive type";
    NotConstant = "E2038", "constant value is not a literal";
    InvalidPropertyParam = "E2039", "invalid property parameter";
    FailNonError = "E2040", "`fail` needs an error";
    UnknownContract = "E2041", "unknown contract";
    NotIndexable = "E2042", "value cannot be indexed";
    TupleIndex = "E2043", "no such tuple element";
    InvariantWrites = "E2044", "invariant changes state";
    ReturnInInvariant = "E2045", "`return` value where none is expected";
    InvalidLiteral = "E2046", "invalid literal";
    NoFields = "E2047", "value has no fields";
    NotIterable = "E2048", "value cannot be iterated";
    AmbiguousType = "E2049", "type cannot be inferred";
    MutateImmutable = "E2050", "mutating method on an immutable binding";
    ReservedName = "E2051", "reserved name";
    SpecTarget = "E2052", "spec of something that is not an entry point";
    InvalidClause = "E2053", "invalid spec clause";
    OldOutsideEnsures = "E2054", "`old` outside `ensures`";
    MisplacedLoopInvariant = "E2055", "loop invariant outside the start of a loop";
    ContractCallOutsideContract = "E2056", "call through a contract reference outside a contract";
    PrivateItem = "E2057", "private item";
    MissingDependency = "E2058", "package not among the dependencies";
    DeployInterface = "E2059", "deploy of an interface";
    InterfaceMember = "E2060", "not a signature or roles in an interface";
    OtherContractFn = "E2061", "another contract's function called directly";

    NotYetCompiled = "E3001", "not supported by code generation yet";
    FunctionTooLarge = "E3002", "function too large for the VM";
    ModuleTooLarge = "E3003", "contract too large for the VM";
    InternalError = "E3999", "internal compiler error";

    UnusedVariable = "W0001", "unused variable";
    UnreachableCode = "W0002", "unreachable code";
    UnusedImport = "W0003", "unused import";
    UnusedMut = "W0004", "variable does not need to be mutable";
    UnreachablePattern = "W0005", "unreachable pattern";
}

impl Serialize for Code {
    fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.serialize_str(self.as_str())
    }
}

/// Orders diagnostics by position so output is stable run to run.
pub fn sort(diagnostics: &mut [Diagnostic]) {
    diagnostics.sort_by(|a, b| {
        (a.span.file, a.span.lo, a.span.hi, a.code).cmp(&(b.span.file, b.span.lo, b.span.hi, b.code))
    });
}
