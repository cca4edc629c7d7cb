//! Deploy-time validation: a minimal module that follows the host ABI is
//! accepted, and each way of breaking the rules is refused with its own
//! `ValidationError` variant, naming what and where.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::indexing_slicing)]

use writ_vm::{ValidationError, validate, validate_harness};

/// A minimal valid module with places to break it.
struct Module {
    imports: &'static str,
    memory: &'static str,
    exports: &'static str,
    body: &'static str,
    extra: &'static str,
}

const BASE: Module = Module {
    imports: r#"(import "writ" "storage_read" (func (param i32 i32) (result i32)))"#,
    memory: r#"(memory (export "memory") 1)"#,
    exports: r#"(func (export "writ_alloc") (param i32) (result i32) (i32.const 0))
                (func (export "writ_reset"))"#,
    body: "(i64.const 0)",
    extra: "",
};

impl Module {
    fn check(&self) -> Result<(), ValidationError> {
        validate(&self.bytes())
    }

    fn bytes(&self) -> Vec<u8> {
        let text = format!(
            "(module {} {} {} (func (export \"entry.run\") (param i32 i32) (result i64) {}) {})",
            self.imports, self.memory, self.exports, self.body, self.extra
        );
        wat::parse_str(text).unwrap()
    }
}

#[test]
fn only_test_harnesses_may_import_the_test_runner() {
    let harness = Module {
        imports: r#"(import "writ" "storage_read" (func (param i32 i32) (result i32)))
                    (import "writ_test" "op" (func (param i32 i32 i32) (result i32)))"#,
        ..BASE
    };
    // A contract that imports the runner's operation is refused at deploy…
    let err = harness.check().unwrap_err();
    assert_eq!(err, ValidationError::ImportModule { module: "writ_test".into(), name: "op".into() });
    // …while a harness may, with the exact signature and nothing else from that module.
    validate_harness(&harness.bytes()).unwrap();
    let wrong = Module { imports: r#"(import "writ_test" "op" (func (param i32) (result i32)))"#, ..BASE };
    assert!(matches!(validate_harness(&wrong.bytes()), Err(ValidationError::ImportSignature { .. })));
    let other = Module { imports: r#"(import "writ_test" "deploy" (func))"#, ..BASE };
    assert!(matches!(validate_harness(&other.bytes()), Err(ValidationError::ImportModule { .. })));
    // A VM refuses a harness deployed as a contract.
    let vm = writ_vm::Vm::new(writ_vm::VmOptions::in_memory()).unwrap();
    assert!(matches!(vm.prepare(&harness.bytes()), Err(writ_vm::DeployError::Invalid(_))));
    assert!(vm.prepare_harness(&harness.bytes()).is_ok());
}

#[test]
fn the_minimal_module_is_valid() {
    BASE.check().unwrap();
    Module { memory: r#"(memory (export "memory") 1 1024)"#, ..BASE }.check().unwrap();
    // Every host function, with its exact signature, may be imported.
    let counter = wat::parse_str(include_str!("data/counter.wat")).unwrap();
    validate(&counter).unwrap();
}

#[test]
fn float_instructions_are_refused_with_function_and_instruction() {
    let err = Module { body: "(drop (f64.add (f64.const 1) (f64.const 2))) (i64.const 0)", ..BASE }
        .check()
        .unwrap_err();
    match err {
        // Function 0 is the import, 1 and 2 the allocator and reset.
        ValidationError::FloatInstruction { func: 3, instruction, .. } => assert_eq!(instruction, "F64Const"),
        other => panic!("{other:?}"),
    }
    let err = Module { body: "(i64.extend_i32_s (i32.reinterpret_f32 (f32.const 0)))", ..BASE }
        .check()
        .unwrap_err();
    assert!(matches!(err, ValidationError::FloatInstruction { func: 3, .. }), "{err:?}");
    let err = Module { body: "(i64.trunc_f64_s (f64.const 1))", ..BASE }.check().unwrap_err();
    assert!(matches!(err, ValidationError::FloatInstruction { .. }), "{err:?}");
}

#[test]
fn float_locals_params_globals_and_vectors_are_refused() {
    let err = Module { body: "(local f32) (i64.const 0)", ..BASE }.check().unwrap_err();
    assert!(matches!(err, ValidationError::FloatLocal { func: 3, .. }), "{err:?}");
    let err = Module { extra: "(func (param f64))", ..BASE }.check().unwrap_err();
    assert!(matches!(err, ValidationError::FloatType { .. }), "{err:?}");
    let err = Module { extra: "(func (result f32) (unreachable))", ..BASE }.check().unwrap_err();
    assert!(matches!(err, ValidationError::FloatType { .. }), "{err:?}");
    let err = Module { extra: "(global f32 (f32.const 0))", ..BASE }.check().unwrap_err();
    assert!(matches!(err, ValidationError::FloatGlobal { global: 0, .. }), "{err:?}");
    let err = Module { extra: "(func (param v128))", ..BASE }.check().unwrap_err();
    assert!(matches!(err, ValidationError::FloatType { .. }), "{err:?}");
}

#[test]
fn imports_must_be_host_functions_with_exact_signatures() {
    let err = Module { imports: r#"(import "writ" "launch" (func))"#, ..BASE }.check().unwrap_err();
    assert_eq!(err, ValidationError::UnknownImport { name: "launch".into() });
    let err =
        Module { imports: r#"(import "env" "storage_read" (func (param i32 i32) (result i32)))"#, ..BASE }
            .check()
            .unwrap_err();
    assert!(matches!(err, ValidationError::ImportModule { .. }), "{err:?}");
    let err = Module { imports: r#"(import "writ" "storage_read" (func (param i32) (result i32)))"#, ..BASE }
        .check()
        .unwrap_err();
    match err {
        ValidationError::ImportSignature { name, expected, found } => {
            assert_eq!(
                (name.as_str(), expected.as_str(), found.as_str()),
                ("storage_read", "(i32, i32) -> (i32)", "(i32) -> (i32)")
            );
        }
        other => panic!("{other:?}"),
    }
    let err = Module {
        imports: r#"(import "writ" "memory" (memory 1))"#,
        memory: r#"(export "memory" (memory 0))"#,
        ..BASE
    }
    .check()
    .unwrap_err();
    assert!(matches!(err, ValidationError::NonFunctionImport { kind: "memory", .. }), "{err:?}");
    let err = Module { imports: r#"(import "writ" "g" (global i32))"#, ..BASE }.check().unwrap_err();
    assert!(matches!(err, ValidationError::NonFunctionImport { kind: "global", .. }), "{err:?}");
}

#[test]
fn exports_follow_the_abi() {
    let err =
        Module { exports: r#"(func (export "writ_alloc") (param i32) (result i32) (i32.const 0))"#, ..BASE }
            .check()
            .unwrap_err();
    assert_eq!(err, ValidationError::MissingExport { name: "writ_reset" });
    let err = Module { memory: "(memory 1)", ..BASE }.check().unwrap_err();
    assert_eq!(err, ValidationError::MissingExport { name: "memory" });
    let err =
        Module { extra: r#"(func (export "entry.bad") (param i32) (result i64) (i64.const 0))"#, ..BASE }
            .check()
            .unwrap_err();
    assert!(matches!(err, ValidationError::ExportSignature { .. }), "{err:?}");
    let err = Module { extra: r#"(global (export "g") i32 (i32.const 0))"#, ..BASE }.check().unwrap_err();
    assert_eq!(err, ValidationError::UnexpectedExport { name: "g".into() });
    let text = r#"(module (memory (export "memory") 1)
        (func (export "writ_alloc") (param i32) (result i32) (i32.const 0)) (func (export "writ_reset")))"#;
    assert_eq!(validate(&wat::parse_str(text).unwrap()), Err(ValidationError::NoEntryPoint));
}

#[test]
fn memory_and_size_limits() {
    let err = Module { memory: r#"(memory (export "memory") 1 2000)"#, ..BASE }.check().unwrap_err();
    assert!(matches!(err, ValidationError::MemoryTooLarge { what: "maximum", pages: 2000, .. }), "{err:?}");
    let err = Module { memory: r#"(memory (export "memory") 1025)"#, ..BASE }.check().unwrap_err();
    assert!(matches!(err, ValidationError::MemoryTooLarge { what: "minimum", .. }), "{err:?}");
    let err = Module { body: "(local i64 i64) (local i32) (i64.const 0)", ..BASE }.check();
    assert!(err.is_ok());
    let huge = vec![0u8; writ_vm::limits::MODULE_BYTES_MAX + 1];
    assert!(matches!(validate(&huge), Err(ValidationError::ModuleTooLarge { .. })));
    let err =
        Module { extra: "(data (i32.const 0) \"\")", memory: r#"(memory (export "memory") 1)"#, ..BASE }
            .check();
    assert!(err.is_ok());
}

#[test]
fn a_start_function_is_refused() {
    let err = Module { extra: "(func $s) (start $s)", ..BASE }.check().unwrap_err();
    assert!(matches!(err, ValidationError::StartFunction { .. }), "{err:?}");
}

#[test]
fn garbage_is_refused_as_malformed() {
    for bytes in [&b""[..], b"\0asm", b"hello world", b"\0asm\x01\0\0\0\x01\xff\xff"] {
        assert!(matches!(validate(bytes), Err(ValidationError::Malformed { .. })), "{bytes:?}");
    }
}

#[test]
fn refusals_read_as_sentences() {
    let err = Module { body: "(drop (f32.const 1)) (i64.const 0)", ..BASE }.check().unwrap_err();
    let text = err.to_string();
    assert!(text.starts_with("function 3 uses instruction `F32Const` at byte "), "{text}");
}

// A segment that would not fit the initial memory or table makes every
// instantiation fail: refused at deployment, so no call can hit it.
#[test]
fn segments_must_fit_the_initial_memory_and_table() {
    Module { extra: r#"(data (i32.const 65532) "abcd")"#, ..BASE }.check().unwrap();
    let err = Module { extra: r#"(data (i32.const 65533) "abcd")"#, ..BASE }.check().unwrap_err();
    assert_eq!(
        err,
        ValidationError::SegmentOutOfBounds {
            what: "data",
            what_in: "memory",
            index: 0,
            end: 65537,
            size: 65536
        }
    );
    let err = Module { extra: r#"(data (i32.const -1) "a")"#, ..BASE }.check().unwrap_err();
    assert!(matches!(err, ValidationError::SegmentOutOfBounds { end: 4294967296, .. }), "{err:?}");
    let table = r#"(table 2 funcref) (func $f) (elem (i32.const 1) $f $f)"#;
    let err = Module { extra: table, ..BASE }.check().unwrap_err();
    assert_eq!(
        err,
        ValidationError::SegmentOutOfBounds { what: "element", what_in: "table", index: 0, end: 3, size: 2 }
    );
    Module { extra: r#"(table 2 funcref) (func $f) (elem (i32.const 0) $f $f)"#, ..BASE }.check().unwrap();
    let err = Module { extra: r#"(global i32 (i32.const 0)) (data (global.get 0) "a")"#, ..BASE }.check();
    assert!(
        matches!(err, Err(ValidationError::SegmentOffset { .. }) | Err(ValidationError::Malformed { .. })),
        "{err:?}"
    );
}
