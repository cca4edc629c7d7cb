//! The analysis API answers "what is at this offset" exactly: definition,
//! references, hover text and type, across contracts, tests and the
//! standard library. Fixtures mark the cursor with `$0` and, for
//! definitions, the expected target with `$1`.

use writ_compiler::{Analysis, FileId};

/// Removes the markers, returning the text and the offsets of `$0`, `$1`.
fn parse_markers(marked: &str) -> (String, u32, Option<u32>) {
    let mut text = String::new();
    let mut cursor = None;
    let mut target = None;
    let mut rest = marked;
    while let Some(i) = rest.find('$') {
        text.push_str(&rest[..i]);
        let marker = &rest[i..i + 2];
        match marker {
            "$0" => cursor = Some(text.len() as u32),
            "$1" => target = Some(text.len() as u32),
            _ => panic!("unknown marker {marker}"),
        }
        rest = &rest[i + 2..];
    }
    text.push_str(rest);
    (text, cursor.unwrap_or_else(|| panic!("no $0 in fixture")), target)
}

fn check_definition(marked: &str) {
    let (text, cursor, target) = parse_markers(marked);
    let analysis = Analysis::single("t.writ", &text);
    let errors: Vec<_> = analysis.diagnostics().into_iter().filter(|d| d.is_error()).collect();
    assert!(errors.is_empty(), "fixture has errors: {errors:?}");
    let span = analysis.definition_at(FileId(0), cursor);
    assert_eq!(span.map(|s| s.lo), target, "definition from {cursor} in:\n{text}");
}

const DEFINITIONS: &[&str] = &[
    // A local variable.
    "fn f() -> u64 { let $1total = 1; return to$0tal; }",
    // A parameter.
    "fn f($1amount: u64) -> u64 { return amo$0unt + 1; }",
    // A storage field through `self`.
    "contract C { storage { $1count: u64 } pub fn f() { self.cou$0nt += 1; } }",
    // A struct field.
    "struct P { $1x: u64 } fn f(p: P) -> u64 { return p.$0x; }",
    // A struct in a type annotation.
    "struct $1P { x: u64 } fn f(p: P$0) -> u64 { return p.x; }",
    // An enum variant in a pattern.
    "enum S { $1Open, Shut } fn f(s: S) -> bool { return match s { S::Op$0en => true, S::Shut => false }; }",
    // A role in `requires`.
    "contract C { roles { $1Clerk } init() {} pub fn f() requires Cl$0erk {} }",
    // An event in `emit`.
    "contract C { event $1Done(n: u64); init() {} pub fn f() { emit Do$0ne(1); } }",
    // A contract in `deploy`, and an entry point called through a handle.
    "contract $1C { init() {} pub fn g() {} } test \"t\" { let c = deploy C$0(); c.g(); }",
    "contract C { init() {} pub fn $1g() {} } test \"t\" { let c = deploy C(); c.g$0(); }",
    // A role named bare in a test, resolved through the handle's contract.
    "contract C { roles { $1Clerk } init() {} } test \"t\" { let c = deploy C(); c.grant_role(Cle$0rk, account(\"a\")); }",
    // An entry point of another contract, called through a reference,
    // and the contract named as a type.
    "contract R { pub view fn $1ok() -> bool { true } } contract O { storage { r: R } pub fn f() -> bool { self.r.o$0k() } }",
    "contract $1R { pub view fn ok() -> bool { true } } contract O { storage { r: R$0 } pub fn f() -> bool { self.r.ok() } }",
    "contract $1R { pub view fn ok() -> bool { true } } contract O { pub fn f(a: Address) -> bool { R$0::at(a).ok() } }",
    // A private function called from an entry point.
    "contract C { init() {} fn $1helper() -> u64 { return 1; } pub fn f() -> u64 { return help$0er(); } }",
    // The innermost binding wins in nested blocks.
    "fn f() -> u64 { let x = 1; { let $1y = x; return y$0; } }",
];

// Go to definition lands on the declaring name for every kind of name.
#[test]
fn definitions() {
    for fixture in DEFINITIONS {
        check_definition(fixture);
    }
}

// Definitions reach into the standard library's own file.
#[test]
fn definition_into_the_standard_library() {
    let (text, cursor, _) =
        parse_markers("use std::tax::flat;\nfn f() -> Decimal { return fl$0at(100.00, 0.10); }");
    let analysis = Analysis::single("t.writ", &text);
    let span = analysis.definition_at(FileId(0), cursor).unwrap_or_else(|| panic!("no definition"));
    let file = analysis.file(span.file).unwrap_or_else(|| panic!("no file"));
    assert!(file.is_library && file.module == "std::tax", "{}", file.module);
    assert_eq!(&file.text[span.range()], "flat");
}

// References list the declaration and every use, and nothing else.
#[test]
fn references() {
    let (text, cursor, _) = parse_markers(
        "contract C { storage { n: u64, m: u64 } init() {} pub fn f() { self.n = self.n + self.m; } pub view fn g() -> u64 { return self.$0n; } }",
    );
    let analysis = Analysis::single("t.writ", &text);
    let spans = analysis.references_at(FileId(0), cursor);
    let texts: Vec<&str> = spans.iter().map(|s| &text[s.range()]).collect();
    assert_eq!(texts, vec!["n", "n", "n", "n"]);
}

// Hover shows signatures with roles, types of locals, and doc comments.
#[test]
fn hover() {
    let cases = [
        (
            "contract C { roles { Clerk } init() {} /// Records a payment.\npub fn pay(amount: Decimal) -> bool requires Clerk { return true; } } test \"t\" { let c = deploy C(); c.p$0ay(1.00); }",
            "pub fn pay(amount: Decimal) -> bool requires Clerk",
            Some("Records a payment."),
        ),
        ("fn f() -> u64 { let xs = [1, 2]; return x$0s.len(); }", "let xs: List<u64>", None),
        (
            "contract C { storage { m: Map<Address, Decimal> } init() {} pub fn f() { self.$0m[caller()] = 1.00; } }",
            "storage m: Map<Address, Decimal>",
            None,
        ),
        ("use std::tax::Bracket;\nfn f(b: Bra$0cket) -> Decimal { return b.rate; }", "struct Bracket", None),
        // Built-ins: the signature and doc from the table of built-ins.
        (
            "contract C { roles { Clerk } init() {} pub fn f() { gr$0ant(Clerk, caller()); } }",
            "fn grant(role: Role, account: Address)",
            Some("Gives `account` the role (changes state)."),
        ),
        (
            "fn f(d: Bytes) -> Hash { return sha$0256(d); }",
            "fn sha256(data: Bytes) -> Hash",
            Some("The SHA-256 digest of `data`."),
        ),
        // In a spec: its name is the function, `result` its value, `old` a built-in.
        (
            "contract C { storage { n: u64 } init() {} pub fn bump(by: u64) -> u64 { self.n += by; self.n } spec bu$0mp { ensures result == old(self.n) + by; } }",
            "pub fn bump(by: u64) -> u64",
            None,
        ),
        (
            "contract C { storage { n: u64 } init() {} pub fn bump(by: u64) -> u64 { self.n += by; self.n } spec bump { ensures res$0ult == old(self.n) + by; } }",
            "let result: u64",
            None,
        ),
        (
            "contract C { storage { n: u64 } init() {} pub fn bump(by: u64) -> u64 { self.n += by; self.n } spec bump { ensures result == ol$0d(self.n) + by; } }",
            "fn old(value: T) -> T",
            Some(
                "In a spec's `ensures`: the value `value` had before the call (the state as the call found it).",
            ),
        ),
    ];
    for (marked, want, doc) in cases {
        let (text, cursor, _) = parse_markers(marked);
        let analysis = Analysis::single("t.writ", &text);
        let hover = analysis.hover_at(FileId(0), cursor).unwrap_or_else(|| panic!("no hover in {text}"));
        assert_eq!(hover.text, want);
        if let Some(doc) = doc {
            assert_eq!(hover.doc.as_deref(), Some(doc));
        }
    }
}

// The type of a called or named expression at the cursor.
#[test]
fn types_at_cursor() {
    let (text, cursor, _) =
        parse_markers("fn f(m: Map<u64, String>) -> bool { return m.g$0et(1).is_some(); }");
    let analysis = Analysis::single("t.writ", &text);
    assert_eq!(analysis.type_at(FileId(0), cursor).as_deref(), Some("Option<String>"));
}

// Queries on broken code still answer for the parts that parsed.
#[test]
fn queries_survive_syntax_errors() {
    let (text, cursor, target) = parse_markers("fn f() -> u64 { let $1x = 1; let y = ; return x$0; }");
    let analysis = Analysis::single("t.writ", &text);
    assert!(analysis.has_errors());
    assert_eq!(analysis.definition_at(FileId(0), cursor).map(|s| s.lo), target);
}

// The typed program: every expression of a checked body has its type by
// node id and every name its definition; a shorthand field `P { x }` is a
// path of its own (its own ids), resolved to the local, while the field
// name resolves to the field.
#[test]
fn typed_program_by_node_id() {
    use writ_compiler::ast::{ExprKind, ItemKind};
    use writ_compiler::types::{Def, Ty};
    use writ_compiler::walk::{Node, walk_file};
    let src = "struct P { x: u64 }\nfn f(x: u64) -> P {\n    let y = x + 1;\n    return P { x: y } == P { x } && true;\n}\n";
    let analysis = Analysis::single("t.writ", src);
    let Some(file) = analysis.file(FileId(0)) else { panic!("no file") };
    let mut expressions = 0;
    let mut shorthands = Vec::new();
    walk_file(&file.parsed.tree, &mut |node| {
        if let Node::Expr(e) = node {
            expressions += 1;
            assert_ne!(*analysis.type_of(e), Ty::Error, "{:?} has no type", e.kind);
            if let ExprKind::StructLit { fields, .. } = &e.kind {
                shorthands.extend(fields.iter().filter(|f| f.shorthand).cloned());
            }
        }
    });
    assert!(expressions >= 10, "{expressions}");
    let [field] = shorthands.as_slice() else { panic!("{shorthands:?}") };
    let ExprKind::Path(path) = &field.value.kind else { panic!("{:?}", field.value.kind) };
    assert_ne!(field.name.id, path.last().id);
    assert!(matches!(analysis.def_of(&field.name), Some(Def::Field(..))));
    assert!(matches!(analysis.def_of(path.last()), Some(Def::Local(_))));
    assert_eq!(analysis.type_of(&field.value), &Ty::Int(writ_compiler::types::IntTy::U64));
    let ItemKind::Fn(f) = &file.parsed.tree.items[1].kind else { panic!("no fn") };
    assert!(matches!(analysis.def_of(&f.name), Some(Def::Fn(_))));
}

#[allow(clippy::unwrap_used)]
mod packages {
    use writ_compiler::Analysis;
    use writ_compiler::analysis::PackageFile;
    use writ_compiler::check::PackageScope;
    use writ_compiler::span::FileId;

    fn scope(name: &str, dependencies: &[&str]) -> PackageScope {
        PackageScope {
            name: name.into(),
            version: "1.0.0".into(),
            dependencies: dependencies.iter().map(|d| d.to_string()).collect(),
        }
    }

    fn file(module: &str, package: usize, text: &str) -> PackageFile {
        PackageFile {
            name: format!("{}.writ", module.replace("::", "/")),
            module: module.into(),
            package,
            text: text.into(),
            artifact: None,
        }
    }

    fn codes(analysis: &Analysis) -> Vec<String> {
        analysis.diagnostics().iter().map(|d| format!("{} {}", d.code.as_str(), d.message)).collect()
    }

    // Modules of a package and of its dependencies import each other's
    // `pub` items; `crate::` is the package's own name.
    #[test]
    fn packages_share_what_they_declare_pub() {
        let analysis = Analysis::packaged(
            vec![scope("office", &["registry"]), scope("registry", &[])],
            vec![
                file(
                    "office::office",
                    0,
                    "use registry::people::{Registry, Person, MAX};\nuse crate::fees::{fee};\npub contract Office {\n    storage { registry: Registry, last: Person }\n    pub fn charge() -> u64 { fee(self.registry.count()) + MAX }\n}\n",
                ),
                file("office::fees", 0, "pub fn fee(n: u64) -> u64 { n * 2 }\n"),
                file(
                    "registry::people",
                    1,
                    "pub struct Person { name: String }\npub const MAX: u64 = 10;\npub contract Registry {\n    storage { n: u64 }\n    pub view fn count() -> u64 { self.n }\n}\n",
                ),
            ],
        );
        assert_eq!(codes(&analysis), Vec::<String>::new());
        // Go to definition crosses files and packages.
        let text = &analysis.file(FileId(0)).unwrap().text;
        let at = text.find("count()").unwrap() as u32 + 1;
        let target = analysis.definition_at(FileId(0), at).unwrap();
        assert_eq!(target.file, FileId(2));
    }

    #[test]
    fn private_items_missing_dependencies_and_crate_outside_a_package_are_refused() {
        let analysis = Analysis::packaged(
            vec![scope("office", &[]), scope("registry", &[])],
            vec![
                file(
                    "office::a",
                    0,
                    "use crate::b::{hidden, shown};\nuse registry::people::{x};\nuse office::b::{shown};\nfn f() -> u64 { shown() }\n",
                ),
                file("office::b", 0, "fn hidden() -> u64 { 1 }\npub fn shown() -> u64 { 2 }\n"),
                file("registry::people", 1, "pub fn x() -> u64 { 3 }\n"),
            ],
        );
        let found = codes(&analysis);
        assert!(found.iter().any(|c| c.starts_with("E2057 `hidden` is private")), "{found:?}");
        assert!(
            found
                .iter()
                .any(|c| c.starts_with("E2058 the package `office` does not depend on a package `registry`")),
            "{found:?}"
        );
        assert!(
            found.iter().any(|c| c.starts_with("E2027 a package names its own modules with `crate::`")),
            "{found:?}"
        );
        let alone = Analysis::single("a.writ", "use crate::b::{c};\n");
        assert!(
            codes(&alone).iter().any(|c| c.contains("this file is not in a package")),
            "{:?}",
            codes(&alone)
        );
    }

    // A qualified path reaches the standard library only: a package's items
    // are imported with `use`, which holds them to visibility and to the
    // package's dependencies; and a package's source cannot import its tests.
    #[test]
    fn qualified_paths_do_not_bypass_use() {
        let analysis = Analysis::packaged(
            vec![scope("office", &[]), scope("registry", &[])],
            vec![
                file(
                    "office::a",
                    0,
                    "use crate::tests::t::{helper};\nfn f() -> u64 { registry::people::hidden() + office::b::private() + std::tax::china_iit_annual().len() }\n",
                ),
                file("office::b", 0, "fn private() -> u64 { 1 }\n"),
                file("office::tests::t", 0, "pub fn helper() -> u64 { 1 }\n"),
                file("registry::people", 1, "fn hidden() -> u64 { 2 }\n"),
            ],
        );
        let found = codes(&analysis);
        assert!(found.iter().any(|c| c.contains("the tests of `office` are not part")), "{found:?}");
        assert!(found.iter().any(|c| c.contains("registry::people::hidden")), "{found:?}");
        assert!(found.iter().any(|c| c.contains("office::b::private")), "{found:?}");
        assert!(!found.iter().any(|c| c.contains("china_iit_annual")), "{found:?}");
    }
}
