//! End-to-end tests of the real `writ` binary: exit codes, output, and bad
//! input of every kind (empty, binary, huge, deeply nested, unterminated,
//! invalid UTF-8, missing paths, unknown flags) never crashing it.

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

fn writ(args: &[&str], dir: &Path) -> Output {
    Command::new(env!("CARGO_BIN_EXE_writ"))
        .args(args)
        .arg("--color=never")
        .current_dir(dir)
        .output()
        .unwrap_or_else(|e| panic!("cannot run writ: {e}"))
}

fn repo() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("..")
}

fn stderr(out: &Output) -> String {
    String::from_utf8_lossy(&out.stderr).into_owned()
}

/// A scratch folder holding one file with the given bytes.
fn with_file(name: &str, bytes: &[u8]) -> tempfile::TempDir {
    let dir = tempfile::tempdir().unwrap_or_else(|e| panic!("tempdir: {e}"));
    std::fs::write(dir.path().join(name), bytes).unwrap_or_else(|e| panic!("write: {e}"));
    dir
}

// The shipped examples and library check clean: exit 0 and a summary line.
#[test]
fn check_examples_is_clean() {
    let out = writ(&["check", "examples", "stdlib/std"], &repo());
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    assert!(stderr(&out).contains("0 errors, 0 warnings"), "{}", stderr(&out));
}

// A program with errors exits 1 and names the code, place and fix.
#[test]
fn check_reports_errors_with_exit_1() {
    let src = "contract C {\n    storage { filings: u64 }\n    pub fn f() { self.filngs = 1; }\n}\n";
    let dir = with_file("c.writ", src.as_bytes());
    let out = writ(&["check", "c.writ", "--short"], dir.path());
    assert_eq!(out.status.code(), Some(1));
    let err = stderr(&out);
    assert!(err.contains("c.writ:3:23: error[E2006]"), "{err}");
    assert!(err.contains("did you mean `filings`?"), "{err}");
}

// Temporaries are reused from statement to statement, so a long
// straight-line test builds and passes; a body whose live variables really
// exceed the VM's locals limit is refused by `writ check` at the function
// (E3002), naming the real count, not first at build or deploy.
#[test]
fn bodies_too_large_for_the_vm_are_reported_by_check() {
    let mut long = String::from(
        "contract Big {\n    storage { n: u64 }\n    init() { self.n = 0; }\n    pub view fn get() -> u64 { self.n }\n}\ntest \"many\" {\n    let c = deploy Big();\n",
    );
    for i in 0..150 {
        long.push_str(&format!("    assert_eq(c.get() + {i}, {i});\n"));
    }
    long.push_str("}\n");
    let dir = with_file("long.writ", long.as_bytes());
    let out = writ(&["test", "long.writ"], dir.path());
    assert_eq!(out.status.code(), Some(0), "{}{}", stdout(&out), stderr(&out));
    assert!(stdout(&out).contains("1 passed"), "{}", stdout(&out));

    let mut wide = String::from("fn wide() -> u64 {\n");
    for i in 0..2100 {
        wide.push_str(&format!("    let _v{i}: u64 = {i};\n"));
    }
    wide.push_str(
        "    1\n}\ncontract C {\n    storage { n: u64 }\n    pub fn go() { self.n = wide(); }\n}\n",
    );
    let dir = with_file("wide.writ", wide.as_bytes());
    let out = writ(&["check", "wide.writ", "--short"], dir.path());
    assert_eq!(out.status.code(), Some(1), "{}", stderr(&out));
    let err = stderr(&out);
    assert!(err.contains("wide.writ:1:4: error[E3002]"), "{err}");
    assert!(err.contains("needs 2100 WebAssembly locals; the VM allows 2000"), "{err}");

    // A contract whose module would be over the VM's deploy limit is not
    // built (E3003), and no artifact is written.
    let mut huge = String::new();
    for f in 0..30 {
        huge.push_str(&format!("fn f{f}(x: u64) -> u64 {{\n"));
        for i in 0..1000 {
            huge.push_str(&format!("    let _v{i}: u64 = x * {i} + {i};\n"));
        }
        huge.push_str("    x\n}\n");
    }
    let calls: Vec<String> = (0..30).map(|f| format!("f{f}(1)")).collect();
    huge.push_str(&format!(
        "contract C {{\n    storage {{ n: u64 }}\n    pub fn go() {{ self.n = {}; }}\n}}\n",
        calls.join(" + ")
    ));
    let dir = with_file("huge.writ", huge.as_bytes());
    let out = writ(&["build", "huge.writ", "-o", "out"], dir.path());
    assert_eq!(out.status.code(), Some(1), "{}", stderr(&out));
    assert!(stderr(&out).contains("[E3003] Error: contract too large for the VM"), "{}", stderr(&out));
    assert!(!dir.path().join("out/C.wasm").exists());
}

// Warnings alone pass, unless `--deny-warnings` is given.
#[test]
fn warnings_pass_unless_denied() {
    let dir = with_file("w.writ", b"fn f() { let x = 1; }\n");
    assert_eq!(writ(&["check", "w.writ"], dir.path()).status.code(), Some(0));
    assert_eq!(writ(&["check", "--deny-warnings", "w.writ"], dir.path()).status.code(), Some(1));
}

// Usage errors exit 2 with a message: unknown command, flag, missing path.
#[test]
fn bad_usage_exits_2() {
    let dir = tempfile::tempdir().unwrap_or_else(|e| panic!("tempdir: {e}"));
    for args in [&["frobnicate"][..], &["check", "--no-such-flag"], &["check", "missing.writ"]] {
        let out = writ(args, dir.path());
        assert_eq!(out.status.code(), Some(2), "{args:?}: {}", stderr(&out));
        assert!(!stderr(&out).is_empty());
    }
}

// Hostile files get diagnostics and exit 1: never a crash (101) or a signal.
#[test]
fn bad_input_never_crashes() {
    let deep_parens = format!("fn f() {{ let x = {}1{}; }}", "(".repeat(10_000), ")".repeat(10_000));
    let long_chain = format!("fn f() {{ let x = 1{}; }}", " + 1".repeat(10_000));
    let deep_ops = format!("fn f() {{ let x = 1{}; }}", " + 1 * (1".repeat(300) + &")".repeat(300));
    let deep_unary = format!("fn f() {{ let x = {}1; }}", "-".repeat(10_000));
    let cases: Vec<(&str, Vec<u8>, &str)> = vec![
        ("binary", (0u8..=255).cycle().take(4096).collect(), "E0001"),
        ("invalid_utf8", b"fn f() {}\n\xff\xfe".to_vec(), "E0001"),
        ("unterminated_string", b"fn f() { let s = \"abc; }".to_vec(), "E0004"),
        ("unterminated_comment", b"fn f() {} /* never closed".to_vec(), "E0005"),
        ("deep_parens", deep_parens.into_bytes(), "E1003"),
        ("long_chain", long_chain.into_bytes(), "E1006"),
        ("deep_operators", deep_ops.into_bytes(), "E1003"),
        ("deep_unary", deep_unary.into_bytes(), "E1003"),
        ("garbage", "@#$ fn ( { [ ".repeat(2000).into_bytes(), "E1005"),
        ("huge", vec![b' '; 9 * 1024 * 1024], "E0002"),
    ];
    for (name, bytes, code) in cases {
        let file = format!("{name}.writ");
        let dir = with_file(&file, &bytes);
        let out = writ(&["check", &file, "--short"], dir.path());
        assert_eq!(out.status.code(), Some(1), "{name}: {}", stderr(&out));
        assert!(stderr(&out).contains(code), "{name}: expected {code} in {}", stderr(&out));
    }
}

// An empty file and an empty folder are fine: nothing to report.
#[test]
fn empty_inputs_are_clean() {
    let dir = with_file("empty.writ", b"");
    assert_eq!(writ(&["check", "empty.writ"], dir.path()).status.code(), Some(0));
    let empty = tempfile::tempdir().unwrap_or_else(|e| panic!("tempdir: {e}"));
    let out = writ(&["check"], empty.path());
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    assert!(stderr(&out).contains("checked 0 files"));
}

// `fmt --check` flags an unformatted file without touching it; `fmt`
// rewrites it, after which `--check` passes; broken files are left alone.
#[test]
fn fmt_rewrites_and_checks() {
    let messy = b"fn  f( a:u64 )->u64{return a+1;}\n";
    let dir = with_file("m.writ", messy);
    let path = dir.path().join("m.writ");
    assert_eq!(writ(&["fmt", "--check", "m.writ"], dir.path()).status.code(), Some(1));
    assert_eq!(std::fs::read(&path).unwrap_or_default(), messy.to_vec());
    assert_eq!(writ(&["fmt", "m.writ"], dir.path()).status.code(), Some(0));
    let formatted = std::fs::read_to_string(&path).unwrap_or_default();
    assert_eq!(formatted, "fn f(a: u64) -> u64 {\n    return a + 1;\n}\n");
    assert_eq!(writ(&["fmt", "--check", "m.writ"], dir.path()).status.code(), Some(0));

    let broken = b"fn f( {\n";
    let dir = with_file("b.writ", broken);
    let out = writ(&["fmt", "b.writ"], dir.path());
    assert_eq!(out.status.code(), Some(1));
    assert!(stderr(&out).contains("left unchanged"), "{}", stderr(&out));
    assert!(
        stderr(&out).contains("formatted 0 files (0 changed), 1 not formatted because of errors"),
        "{}",
        stderr(&out)
    );
    assert_eq!(std::fs::read(dir.path().join("b.writ")).unwrap_or_default(), broken.to_vec());

    // A file that cannot be decoded is not counted as formatted either.
    let dir = with_file("u.writ", b"fn f() {}\n\xff\n");
    std::fs::write(dir.path().join("ok.writ"), "fn g() {}\n").unwrap_or_default();
    let out = writ(&["fmt", "u.writ", "ok.writ"], dir.path());
    assert_eq!(out.status.code(), Some(1));
    assert!(
        stderr(&out).contains("formatted 1 file (0 changed), 1 not formatted because of errors"),
        "{}",
        stderr(&out)
    );
}

// The shipped sources are in canonical layout.
#[test]
fn shipped_sources_are_formatted() {
    let out = writ(&["fmt", "--check", "examples", "stdlib/std"], &repo());
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
}

// The demo walks the three examples, shows who may call what, and runs each
// workflow on the VM; the run is the same every time.
#[test]
fn demo_shows_the_examples() {
    let out = writ(&["demo"], &repo());
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    let text = String::from_utf8_lossy(&out.stdout);
    for needle in [
        "contract TaxOffice",
        "contract EvidenceRegister",
        "contract ShareRegister",
        "requires Registrar",
        // The workflows really ran: the assessment, the refused hand-over,
        // the exact dividend part.
        "event Assessed(",
        "1050, 71.93)",
        "aborted: MissingConsent(lab)",
        // The tax office consults the citizen registry across a call.
        "TaxOffice.init(60000, 0.0005, CitizenRegistry)",
        "aborted: NotEnrolled(li), in CitizenRegistry",
        "ok -> 55.56",
        "state root ",
    ] {
        assert!(text.contains(needle), "missing {needle} in:\n{text}");
    }
    assert!(!text.contains("(unexpected)"), "{text}");
    let again = writ(&["demo"], &repo());
    assert_eq!(again.stdout, out.stdout, "the demo is deterministic");
}

// `--help` explains every command, and exits 0.
#[test]
fn help_lists_commands() {
    let out = writ(&["--help"], &repo());
    assert_eq!(out.status.code(), Some(0));
    let text = String::from_utf8_lossy(&out.stdout);
    for command in ["check", "fmt", "demo"] {
        assert!(text.contains(command), "{text}");
    }
}

// `writ build` writes one artifact per contract; `writ abi` reads its ABI
// back; building twice gives the same bytes.
#[test]
fn build_and_abi() {
    let source = std::fs::read(repo().join("compiler/tests/data/build/token.writ")).unwrap_or_default();
    let dir = with_file("token.writ", &source);
    let out = writ(&["build", "token.writ", "-o", "out"], dir.path());
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    assert!(stderr(&out).contains("built Token -> out/Token.wasm"), "{}", stderr(&out));
    let first = std::fs::read(dir.path().join("out/Token.wasm")).unwrap_or_default();
    assert!(first.starts_with(b"\0asm"));
    assert_eq!(writ(&["build", "token.writ", "-o", "out"], dir.path()).status.code(), Some(0));
    assert_eq!(std::fs::read(dir.path().join("out/Token.wasm")).unwrap_or_default(), first);

    let abi = writ(&["abi", "out/Token.wasm"], dir.path());
    assert_eq!(abi.status.code(), Some(0), "{}", stderr(&abi));
    let json: serde_json::Value = serde_json::from_slice(&abi.stdout).unwrap_or_default();
    assert_eq!(json["name"], "Token");
    assert_eq!(json["roles"][1], "Minter");

    // Not an artifact: exit 1 with a reason; missing file: exit 2.
    let bad = with_file("x.wasm", b"not wasm");
    let out = writ(&["abi", "x.wasm"], bad.path());
    assert_eq!(out.status.code(), Some(1));
    assert!(stderr(&out).contains("not a WebAssembly module"), "{}", stderr(&out));
    assert_eq!(writ(&["abi", "missing.wasm"], bad.path()).status.code(), Some(2));
}

// A contract that cannot be compiled is refused and nothing is written
// (an enum with no finite value: E2037); a recursive type, once refused,
// now builds.
#[test]
fn build_refuses_unsupported_code() {
    let dir = with_file(
        "n.writ",
        b"enum Never { Again(Never) }\ncontract N { storage { c: Never } init() {} pub view fn c() -> Never { self.c } }\n",
    );
    let out = writ(&["build", "n.writ", "-o", "out"], dir.path());
    assert_eq!(out.status.code(), Some(1));
    assert!(stderr(&out).contains("E2037"), "{}", stderr(&out));
    assert!(!dir.path().join("out/N.wasm").exists());

    let dir = with_file(
        "n.writ",
        b"struct Node { v: u64, next: Option<Node> }\ncontract N { storage { h: Option<Node> } init() {} pub view fn h() -> Option<Node> { self.h } }\n",
    );
    let out = writ(&["build", "n.writ", "-o", "out"], dir.path());
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    assert!(dir.path().join("out/N.wasm").exists());
}

fn stdout(out: &Output) -> String {
    String::from_utf8_lossy(&out.stdout).into_owned()
}

// The examples' and the standard library's own tests pass on the VM.
#[test]
fn test_runs_the_shipped_suites() {
    let out = writ(&["test", "examples", "stdlib/std"], &repo());
    let text = stdout(&out);
    assert_eq!(out.status.code(), Some(0), "{text}{}", stderr(&out));
    assert!(text.contains("running 8 tests in examples/tax/tax.writ"), "{text}");
    assert!(text.contains("ok (256 cases)"), "{text}");
    assert!(text.trim_end().ends_with(" passed, 0 failed"), "{text}");
    assert!(text.contains("running 6 tests in examples/equity/equity.writ"), "{text}");
}

// A failing test exits 1; the report names the place, both values and the
// calls made; `--filter` and `--exact` pick tests; a bad gas limit is usage.
#[test]
fn test_reports_failures_and_filters() {
    let src = r#"contract Box {
    storage { value: u64 }
    pub fn put(v: u64) { self.value = v; }
    pub view fn get() -> u64 { self.value }
}

test "put then get" {
    let b = deploy Box();
    b.from(account("ann")).put(7);
    assert_eq(b.get(), 8);
}

test "empty box" {
    let b = deploy Box();
    assert_eq(b.get(), 0);
}
"#;
    let dir = with_file("box.writ", src.as_bytes());
    let out = writ(&["test", "box.writ"], dir.path());
    let text = stdout(&out);
    assert_eq!(out.status.code(), Some(1), "{text}");
    assert!(text.contains("test \"put then get\" ... FAILED"), "{text}");
    assert!(text.contains("test \"empty box\" ... ok"), "{text}");
    assert!(text.contains("box.writ:10:5: assert_eq(b.get(), 8) failed"), "{text}");
    assert!(text.contains("left:  7\n  right: 8"), "{text}");
    assert!(text.contains("Box#1.put(7) as ann -> ok"), "{text}");
    assert!(text.trim_end().ends_with("test result: FAILED. 1 passed, 1 failed"), "{text}");

    let out = writ(&["test", "box.writ", "--filter", "empty"], dir.path());
    assert_eq!(out.status.code(), Some(0), "{}", stdout(&out));
    assert!(stdout(&out).contains("(1 filtered out) 1 passed, 0 failed"), "{}", stdout(&out));
    let out = writ(&["test", "box.writ", "--exact", "put then get"], dir.path());
    assert_eq!(out.status.code(), Some(1));
    assert_eq!(writ(&["test", "box.writ", "--gas-limit", "lots"], dir.path()).status.code(), Some(2));
}

// A file that does not check is reported, not run.
#[test]
fn test_refuses_files_with_errors() {
    let dir = with_file("bad.writ", b"test \"t\" { assert(1); }\n");
    let out = writ(&["test", "bad.writ"], dir.path());
    assert_eq!(out.status.code(), Some(1));
    assert!(stderr(&out).contains("tests not run"), "{}", stderr(&out));
}

// docs/stdlib.md is generated from the library's doc comments and current.
#[test]
fn stdlib_reference_is_current() {
    let out = writ(&["doc", "--std"], &repo());
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    let committed = std::fs::read_to_string(repo().join("docs/stdlib.md")).unwrap_or_default();
    assert!(
        stdout(&out) == committed,
        "docs/stdlib.md is out of date: run `cargo run -- doc --std -o docs/stdlib.md`"
    );
    // The examples document too: a contract with its entry points and events.
    let out = writ(&["doc", "examples/tax/tax.writ"], &repo());
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    let text = stdout(&out);
    assert!(text.contains("### contract `TaxOffice`"), "{text}");
    assert!(
        text.contains(
            "#### `pub fn file_return(year: u32, income: Decimal, deductions: Decimal) requires Taxpayer`"
        ),
        "{text}"
    );
    assert!(text.contains("- invariant: \"collected equals payments less refunds\""), "{text}");
}

// `--coverage` takes its file only after `=`: a path after it is a file to
// test, never the LCOV output (which once overwrote the source). An LCOV
// file named like a source file is refused.
#[test]
fn coverage_never_writes_over_a_source_file() {
    let source = b"contract C {\n    init() {}\n    pub view fn one() -> u64 {\n        1\n    }\n}\n\ntest \"one\" {\n    let c = deploy C();\n    assert_eq(c.one(), 1);\n}\n";
    let dir = with_file("c.writ", source);
    let out = writ(&["test", "--coverage", "c.writ"], dir.path());
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    assert_eq!(std::fs::read(dir.path().join("c.writ")).unwrap_or_default(), source.to_vec());
    let lcov = std::fs::read_to_string(dir.path().join("coverage.lcov")).unwrap_or_default();
    assert!(lcov.contains("SF:c.writ"), "{lcov}");

    let out = writ(&["test", "--coverage=out.lcov", "c.writ"], dir.path());
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    assert!(dir.path().join("out.lcov").exists());

    let out = writ(&["test", "--coverage=c.writ", "c.writ"], dir.path());
    assert_eq!(out.status.code(), Some(1));
    assert!(stderr(&out).contains("Writ source file"), "{}", stderr(&out));
    assert_eq!(std::fs::read(dir.path().join("c.writ")).unwrap_or_default(), source.to_vec());
}

// `writ net init` writes a network every node accepts, and refuses to
// write over one; a node configuration that names nothing real is refused
// with the file's name, never a panic.
#[test]
#[allow(clippy::unwrap_used)]
fn net_init_writes_a_network_once() {
    let dir = tempfile::tempdir().unwrap();
    let out = writ(&["net", "init", "net", "--nodes", "3", "--base-port", "19500"], dir.path());
    assert!(out.status.success(), "{}", stderr(&out));
    let genesis = std::fs::read(dir.path().join("net/genesis.json")).unwrap();
    let genesis = writ_proof::genesis::Genesis::parse(&genesis).unwrap();
    assert_eq!(genesis.validators.len(), 3);
    assert_eq!(genesis.validators[1].api, "127.0.0.1:19510");
    for k in 0..3 {
        assert!(dir.path().join(format!("net/node-{k}/config.json")).is_file());
        assert!(dir.path().join(format!("net/node-{k}/keys/node.key")).is_file());
    }
    let again = writ(&["net", "init", "net"], dir.path());
    assert_eq!(again.status.code(), Some(2));
    assert!(stderr(&again).contains("already"), "{}", stderr(&again));
    std::fs::write(dir.path().join("bad.json"), b"{\"format\": \"writ-node-config/1\"}").unwrap();
    let bad = writ(&["node", "--config", "bad.json"], dir.path());
    assert_eq!(bad.status.code(), Some(2));
    assert!(stderr(&bad).contains("bad.json"), "{}", stderr(&bad));
}

// The workflows run on an embedded network of validators, and every node
// ends at the same height with the same state root.
#[test]
#[allow(clippy::unwrap_used)]
fn demo_runs_on_a_network_of_validators() {
    let dir = tempfile::tempdir().unwrap();
    let out = writ(&["demo", "--nodes", "4"], dir.path());
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(out.status.success(), "{}\n{stdout}", stderr(&out));
    let roots: Vec<&str> = stdout.lines().filter(|l| l.starts_with("node ")).collect();
    assert_eq!(roots.len(), 4, "{stdout}");
    let root = |line: &str| line.split("state root ").nth(1).unwrap_or("").to_string();
    assert!(roots.iter().all(|l| root(l) == root(roots[0]) && !root(l).is_empty()), "{stdout}");
    assert!(stdout.contains("all 4 nodes hold the same chain"), "{stdout}");
}

// A court's check: a state proof from one node of a network, and the
// block's certificate from another, verified offline under the genesis;
// a tampered certificate or another network's genesis is refused.
#[test]
#[allow(clippy::unwrap_used)]
fn verify_proof_checks_a_networks_certificate() {
    let dir = tempfile::tempdir().unwrap();
    let runtime = tokio::runtime::Builder::new_multi_thread().enable_all().build().unwrap();
    let tune = |s: &mut writ_consensus::network::Settings| {
        s.block_interval = std::time::Duration::from_millis(100);
        s.empty_block_wait = std::time::Duration::from_millis(100);
    };
    let net =
        runtime.block_on(writ_consensus::testnet::Testnet::start(&dir.path().join("net"), 4, tune)).unwrap();
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(60);
    while net.heights().iter().flatten().min().copied().unwrap_or(0) < 2 {
        assert!(std::time::Instant::now() < deadline, "no blocks: {:?}", net.heights());
        std::thread::sleep(std::time::Duration::from_millis(50));
    }
    let (one, two) = (net.api(1).unwrap(), net.api(2).unwrap());
    let proof: serde_json::Value = ureq::get(&format!("{one}/v1/contracts/{}/proof?key=01", "11".repeat(20)))
        .call()
        .unwrap()
        .into_json()
        .unwrap();
    let height = proof["header"]["height"].as_u64().unwrap();
    let block: serde_json::Value =
        ureq::get(&format!("{two}/v1/blocks/{height}")).call().unwrap().into_json().unwrap();
    runtime.block_on(net.stop());
    std::fs::write(dir.path().join("proof.json"), proof.to_string()).unwrap();
    std::fs::write(dir.path().join("block.json"), block.to_string()).unwrap();
    let args = ["verify-proof", "proof.json", "--genesis", "net/genesis.json", "--certificate", "block.json"];
    let out = writ(&args, dir.path());
    let stdout = String::from_utf8_lossy(&out.stdout).to_string();
    assert!(out.status.success(), "{}", stderr(&out));
    assert!(stdout.starts_with("absent") && stdout.contains("decided by chain `testnet`"), "{stdout}");
    // One flipped signature bit.
    let mut tampered = block.clone();
    let signature = tampered["certificate"]["signatures"][0]["signature"].as_str().unwrap().to_string();
    let flipped = if signature.starts_with('0') { "1" } else { "0" };
    tampered["certificate"]["signatures"][0]["signature"] = format!("{flipped}{}", &signature[1..]).into();
    std::fs::write(dir.path().join("tampered.json"), tampered.to_string()).unwrap();
    let args =
        ["verify-proof", "proof.json", "--genesis", "net/genesis.json", "--certificate", "tampered.json"];
    let out = writ(&args, dir.path());
    assert_eq!(out.status.code(), Some(1), "{}", stderr(&out));
    assert!(stderr(&out).contains("not its precommit"), "{}", stderr(&out));
    // Another network's genesis: its validators signed nothing here.
    let other = writ(&["net", "init", "other", "--nodes", "4", "--base-port", "19700"], dir.path());
    assert!(other.status.success());
    let args =
        ["verify-proof", "proof.json", "--genesis", "other/genesis.json", "--certificate", "block.json"];
    let out = writ(&args, dir.path());
    assert_eq!(out.status.code(), Some(1), "{}", stderr(&out));
}

/// A ledger whose `transfer` reads both balances before writing either, so
/// paying oneself mints; `{fixed}` puts the reads in the right order.
fn ledger(fixed: bool) -> String {
    let transfer = if fixed {
        "        self.balances[from] = have - amount;\n        let theirs = self.balances.get(to).unwrap_or(0);\n"
    } else {
        "        let theirs = self.balances.get(to).unwrap_or(0);\n        self.balances[from] = have - amount;\n"
    };
    format!(
        "contract Ledger {{\n    storage {{\n        balances: Map<Address, u64>,\n        supply: u64,\n    }}\n\n    init() {{}}\n\n    pub fn mint(to: Address, amount: u64) {{\n        let held = self.balances.get(to).unwrap_or(0);\n        self.balances[to] = held + amount;\n        self.supply += amount;\n    }}\n\n    pub fn transfer(to: Address, amount: u64) {{\n        let from = caller();\n        let have = self.balances.get(from).unwrap_or(0);\n        require(have >= amount, \"not enough\");\n{transfer}        self.balances[to] = theirs + amount;\n    }}\n\n    invariant \"the balances sum to the supply\" {{\n        let mut total: u64 = 0;\n        for (_, b) in self.balances {{\n            total += b;\n        }}\n        assert_eq(total, self.supply);\n    }}\n}}\n"
    )
}

/// Whether Z3 can be run here; under CI it must be (`.ci/run` installs it).
fn z3_present(out: &Output) -> bool {
    let missing = stderr(out).contains("install Z3");
    assert!(!(missing && std::env::var_os("CI").is_some()), "{}", stderr(out));
    !missing
}

// `writ prove` proves a correct ledger (exit 0), finds the self-transfer
// that mints in a buggy one, prints it as a test that it replayed on the
// VM (exit 1) — and that test, pasted into the file, fails `writ test`.
#[test]
fn prove_proves_and_finds_counterexamples() {
    let dir = with_file("ledger.writ", ledger(true).as_bytes());
    let out = writ(&["prove", "ledger.writ"], dir.path());
    if !z3_present(&out) {
        return;
    }
    assert_eq!(out.status.code(), Some(0), "{}{}", stdout(&out), stderr(&out));
    assert!(stdout(&out).contains("proved          \"the balances sum to the supply\""), "{}", stdout(&out));
    assert!(stdout(&out).contains("prove result: 0 counterexample, 1 proved"), "{}", stdout(&out));

    std::fs::write(dir.path().join("ledger.writ"), ledger(false)).unwrap_or_else(|e| panic!("{e}"));
    let out = writ(&["prove", "ledger.writ", "--json"], dir.path());
    assert_eq!(out.status.code(), Some(1), "{}{}", stdout(&out), stderr(&out));
    let report: serde_json::Value = serde_json::from_str(&stdout(&out)).unwrap_or_else(|e| panic!("{e}"));
    let found = &report["invariants"][0];
    assert_eq!(found["verdict"], "counterexample", "{report}");
    assert_eq!(report["summary"]["counterexample"], 1, "{report}");
    let test = found["test"].as_str().unwrap_or_else(|| panic!("{report}"));
    assert!(test.contains(".transfer(account("), "{test}");

    std::fs::write(dir.path().join("ledger.writ"), format!("{}\n{test}\n", ledger(false)))
        .unwrap_or_else(|e| panic!("{e}"));
    let out = writ(&["test", "ledger.writ"], dir.path());
    assert_eq!(out.status.code(), Some(1), "{}", stdout(&out));
    assert!(stdout(&out).contains("invariant \"the balances sum to the supply\""), "{}", stdout(&out));
}

// A spec clause broken (a missing role check) is a counterexample in the
// JSON's `specs`, and its test, pasted into the file, fails `writ test` on
// that spec; with the role check in place every clause is proved.
#[test]
fn prove_reports_spec_clauses() {
    let buggy = std::fs::read_to_string(repo().join("runner/tests/prove/permits.writ"))
        .unwrap_or_else(|e| panic!("{e}"));
    let dir = with_file("permits.writ", buggy.as_bytes());
    let out = writ(&["prove", "permits.writ", "--json"], dir.path());
    if !z3_present(&out) {
        return;
    }
    assert_eq!(out.status.code(), Some(1), "{}{}", stdout(&out), stderr(&out));
    let report: serde_json::Value = serde_json::from_str(&stdout(&out)).unwrap_or_else(|e| panic!("{e}"));
    let specs = report["specs"].as_array().unwrap_or_else(|| panic!("{report}"));
    assert_eq!(specs.len(), 4, "{report}");
    let broken: Vec<&serde_json::Value> = specs.iter().filter(|s| s["verdict"] == "counterexample").collect();
    assert_eq!(broken.len(), 1, "{report}");
    assert_eq!(broken[0]["function"], "issue", "{report}");
    assert_eq!(broken[0]["clause"], "aborts_if !has_role(Issuer, caller()) with MissingRole", "{report}");
    assert_eq!(report["invariants"][0]["verdict"], "proved", "{report}");
    let test = broken[0]["test"].as_str().unwrap_or_else(|| panic!("{report}"));
    std::fs::write(dir.path().join("permits.writ"), format!("{buggy}\n{test}\n"))
        .unwrap_or_else(|e| panic!("{e}"));
    let out = writ(&["test", "permits.writ"], dir.path());
    assert_eq!(out.status.code(), Some(1), "{}", stdout(&out));
    assert!(stdout(&out).contains("the call breaks the spec of `issue`"), "{}", stdout(&out));

    let fixed = buggy.replace("pub fn issue(to: Address) {", "pub fn issue(to: Address) requires Issuer {");
    std::fs::write(dir.path().join("permits.writ"), fixed).unwrap_or_else(|e| panic!("{e}"));
    let out = writ(&["prove", "permits.writ"], dir.path());
    assert_eq!(out.status.code(), Some(0), "{}{}", stdout(&out), stderr(&out));
    assert!(
        stdout(&out)
            .contains("proved          spec issue: aborts_if !has_role(Issuer, caller()) with MissingRole"),
        "{}",
        stdout(&out)
    );
    assert!(stdout(&out).contains("prove result: 0 counterexample, 5 proved"), "{}", stdout(&out));
}

// `--from-test`: the docket's late bug is out of reach from deploying
// (exit 0, bounded) and two calls after the named test (exit 1, the test
// printed starts with that test's body); a name no file has is bad usage.
#[test]
fn prove_searches_from_a_tests_state() {
    let docket = std::fs::read_to_string(repo().join("runner/tests/prove/docket.writ"))
        .unwrap_or_else(|e| panic!("{e}"));
    let dir = with_file("docket.writ", docket.as_bytes());
    let out = writ(&["prove", "docket.writ"], dir.path());
    if !z3_present(&out) {
        return;
    }
    assert_eq!(out.status.code(), Some(0), "{}{}", stdout(&out), stderr(&out));
    assert!(
        stdout(&out).contains("bounded         \"refunds never exceed the fees taken\""),
        "{}",
        stdout(&out)
    );
    let out = writ(&["prove", "docket.writ", "--from-test", "a case is decided"], dir.path());
    assert_eq!(out.status.code(), Some(1), "{}{}", stdout(&out), stderr(&out));
    assert!(stdout(&out).contains("2 call(s) after test \"a case is decided\" break it"), "{}", stdout(&out));
    assert!(stdout(&out).contains("// the calls that break it:"), "{}", stdout(&out));
    let out = writ(&["prove", "docket.writ", "--from-test", "a case is heard"], dir.path());
    assert_eq!(out.status.code(), Some(2), "{}", stderr(&out));
    assert!(stderr(&out).contains("no test named \"a case is heard\""), "{}", stderr(&out));
}

// `--timeout`: a run out of wall time starts no more contracts; their
// claims are unknown and say why (the exit code is not a failure's).
#[test]
fn prove_starts_no_contract_after_its_timeout() {
    let docket = std::fs::read_to_string(repo().join("runner/tests/prove/docket.writ"))
        .unwrap_or_else(|e| panic!("{e}"));
    let dir = with_file("docket.writ", docket.as_bytes());
    let out = writ(&["prove", "docket.writ", "--timeout", "0"], dir.path());
    if !z3_present(&out) {
        return;
    }
    assert_eq!(out.status.code(), Some(0), "{}{}", stdout(&out), stderr(&out));
    let text = stdout(&out);
    assert!(text.contains("prove result: 0 counterexample, 0 proved, 0 bounded, 3 unknown"), "{text}");
    assert_eq!(
        text.matches("not proved: the run's --timeout ran out before this contract was started").count(),
        3,
        "{text}"
    );
    let out = writ(&["prove", "docket.writ", "--timeout", "soon"], dir.path());
    assert_eq!(out.status.code(), Some(2), "{}", stderr(&out));
}

// What the prover does not model yet is named, with its place, and is not
// a counterexample.
#[test]
fn prove_names_what_it_cannot_model() {
    let source = "contract Notes {\n    storage { notes: List<Bytes>, count: u64 }\n    init() {}\n    pub fn add(n: u64) {\n        self.notes.push(b\"note\");\n        self.count += 1;\n    }\n    invariant \"count is small\" { assert(self.count < 1000000, \"big\"); }\n}\n";
    let dir = with_file("notes.writ", source.as_bytes());
    let out = writ(&["prove", "notes.writ"], dir.path());
    if !z3_present(&out) {
        return;
    }
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    assert!(
        stdout(&out).contains("unknown         \"count is small\": not modelled yet: the storage field `notes` of type `List<Bytes>` (`Bytes` is not modelled yet) (notes.writ:5:14)"),
        "{}",
        stdout(&out)
    );
    let out = writ(&["prove", "notes.writ", "--depth", "99"], dir.path());
    assert_eq!(out.status.code(), Some(2), "{}", stderr(&out));
}

// `--dump-smt` writes the session as a script Z3 runs on its own, with
// the same answers the run got.
#[test]
fn prove_dumps_its_queries() {
    let dir = with_file("ledger.writ", ledger(true).as_bytes());
    let out = writ(&["prove", "ledger.writ", "--dump-smt", "smt"], dir.path());
    if !z3_present(&out) {
        return;
    }
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    let (script, answers) = replay_dump(dir.path());
    assert!(script.contains("(check-sat)"), "{script}");
    assert!(answers.contains("unsat") && !answers.contains("error"), "{answers}");
}

// A query that spends its budget can leave Z3 4.8 refusing every later
// `push`; `writ prove` resets the session, encodes the call again for the
// obligations left and goes on. With a small budget the tax example's
// `assess` does that: that obligation is unknown (the search from `init`
// spends its budget too), and the other invariants are still proved. The
// dumped script (with its `(reset)`s) still replays cleanly.
#[test]
fn prove_goes_on_after_a_query_stops_the_solver() {
    let source = include_str!("../examples/tax/tax.writ");
    let dir = with_file("tax.writ", source.as_bytes());
    let out = writ(&["prove", "tax.writ", "--budget", "100000", "--dump-smt", "smt"], dir.path());
    if !z3_present(&out) {
        return;
    }
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    let text = stdout(&out);
    assert!(text.contains("proved          \"collected equals payments less refunds\""), "{text}");
    assert!(text.contains("the solver's budget ran out proving it after assess"), "{text}");
    assert!(text.contains("proved          \"the penalty rate is never negative\""), "{text}");
    let (script, answers) = replay_dump(dir.path());
    assert!(script.contains("(reset)"), "no reset in the script");
    assert!(answers.contains("canceled") && !answers.contains("error"), "{answers}");
}

/// The script `--dump-smt smt` wrote in `dir`, and what Z3 answers when it
/// runs that script on its own.
fn replay_dump(dir: &std::path::Path) -> (String, String) {
    let script = std::fs::read_to_string(dir.join("smt/prove.smt2")).unwrap_or_else(|e| panic!("{e}"));
    let replayed = Command::new("z3").arg("smt/prove.smt2").current_dir(dir).output();
    let replayed = replayed.unwrap_or_else(|e| panic!("z3: {e}"));
    (script, String::from_utf8_lossy(&replayed.stdout).into_owned())
}

// Packages end to end: `writ new` makes one whose tests pass; a second
// package depends on it by path and calls its contract; `check`, `test`,
// `build` and `fmt` take the package folder, the build records the package
// and its sources in the ABI and builds only the package's own contracts;
// a circular or missing dependency is a usage error naming it.
#[test]
#[allow(clippy::unwrap_used, clippy::expect_used)]
fn packages_from_new_to_build() {
    let dir = tempfile::tempdir().unwrap();
    let made = writ(&["new", "registry"], dir.path());
    assert_eq!(made.status.code(), Some(0), "{}", stderr(&made));
    assert!(stderr(&made).contains("created package `registry`"), "{}", stderr(&made));
    let tested = writ(&["test", "registry"], dir.path());
    assert_eq!(tested.status.code(), Some(0), "{}{}", stdout(&tested), stderr(&tested));
    assert!(stdout(&tested).contains("test \"a clerk records a name\" ... ok"), "{}", stdout(&tested));
    let again = writ(&["new", "registry"], dir.path());
    assert_eq!(again.status.code(), Some(2), "{}", stderr(&again));
    // One file of a package: the package is checked whole, that file's
    // tests alone run.
    let one = writ(&["test", "registry/tests/registry.writ"], dir.path());
    assert!(stdout(&one).contains("a clerk records a name"), "{}{}", stdout(&one), stderr(&one));
    let other = writ(&["test", "registry/src/registry.writ"], dir.path());
    assert_eq!(other.status.code(), Some(0), "{}{}", stdout(&other), stderr(&other));
    assert!(!stdout(&other).contains("a clerk records a name"), "{}", stdout(&other));

    let office = dir.path().join("office");
    std::fs::create_dir_all(office.join("src")).unwrap();
    std::fs::create_dir_all(office.join("tests")).unwrap();
    std::fs::write(
        office.join("writ.toml"),
        "[package]\nname = \"office\"\nversion = \"0.3.0\"\n\n[dependencies]\nregistry = { path = \"../registry\" }\n",
    )
    .unwrap();
    std::fs::write(
        office.join("src/office.writ"),
        "use registry::registry::{Registry};\n\npub contract Office {\n    storage {\n        registry: Registry,\n    }\n\n    init(registry: Registry) {\n        self.registry = registry;\n    }\n\n    pub view fn known(who: Address) -> bool {\n        self.registry.name_of(who).is_some()\n    }\n}\n",
    )
    .unwrap();
    std::fs::write(
        office.join("tests/office.writ"),
        "use registry::registry::{Registry};\nuse crate::office::{Office};\n\ntest \"the office asks the registry\" {\n    let clerk = account(\"clerk\");\n    let registry = deploy Registry();\n    registry.grant_role(Clerk, clerk);\n    registry.from(clerk).record(account(\"alice\"), \"Alice\");\n    let office = deploy Office(Registry::at(registry.address()));\n    assert(office.known(account(\"alice\")));\n    assert(!office.known(account(\"bob\")));\n}\n",
    )
    .unwrap();
    let checked = writ(&["check", "office"], dir.path());
    assert_eq!(checked.status.code(), Some(0), "{}", stderr(&checked));
    assert!(stderr(&checked).contains("checked 3 files"), "{}", stderr(&checked));
    let tested = writ(&["test"], &office);
    assert_eq!(tested.status.code(), Some(0), "{}{}", stdout(&tested), stderr(&tested));
    assert!(stdout(&tested).contains("1 passed"), "{}", stdout(&tested));
    let out = dir.path().join("out");
    let built = writ(&["build", "office", "-o", out.to_str().unwrap()], dir.path());
    assert_eq!(built.status.code(), Some(0), "{}", stderr(&built));
    assert!(stderr(&built).contains("built 1 contract"), "only the package's own: {}", stderr(&built));
    let abi = writ_abi::document::read_from_module(&std::fs::read(out.join("Office.wasm")).unwrap()).unwrap();
    let package = abi.package.expect("the package is recorded");
    assert_eq!((package.name.as_str(), package.version.as_str()), ("office", "0.3.0"));
    let modules: Vec<&str> = package.sources.keys().map(String::as_str).collect();
    assert_eq!(modules, ["office::office", "registry::registry"], "tests are not part of the build");
    let formatted = writ(&["fmt", "--check", "office"], dir.path());
    assert_eq!(formatted.status.code(), Some(0), "{}", stderr(&formatted));

    // A dependency back on the office: a cycle.
    std::fs::write(
        dir.path().join("registry/writ.toml"),
        "[package]\nname = \"registry\"\nversion = \"0.1.0\"\n\n[dependencies]\noffice = { path = \"../office\" }\n",
    )
    .unwrap();
    let cycle = writ(&["check", "office"], dir.path());
    assert_eq!(cycle.status.code(), Some(2), "{}", stderr(&cycle));
    assert!(
        stderr(&cycle).contains("circular dependencies: office -> registry -> office"),
        "{}",
        stderr(&cycle)
    );
    std::fs::write(
        dir.path().join("registry/writ.toml"),
        "[package]\nname = \"registry\"\nversion = \"0.1.0\"\n\n[dependencies]\nledger = { path = \"../ledger\" }\n",
    )
    .unwrap();
    let missing = writ(&["test", "office"], dir.path());
    assert_eq!(missing.status.code(), Some(2), "{}", stderr(&missing));
    assert!(stderr(&missing).contains("the dependency `ledger`"), "{}", stderr(&missing));
}

// A package whose dependency is only a built artifact (`abi`) tests
// against that artifact's own code: its tests deploy it through the
// interface written from it, with its `init`, roles and entry points.
#[test]
#[allow(clippy::unwrap_used)]
fn a_package_tests_against_a_built_artifact() {
    let dir = tempfile::tempdir().unwrap();
    let write = |path: &str, text: &str| {
        let path = dir.path().join(path);
        std::fs::create_dir_all(path.parent().unwrap()).unwrap();
        std::fs::write(path, text).unwrap();
    };
    write("registry/writ.toml", "[package]\nname = \"registry\"\nversion = \"2.0.0\"\n");
    write(
        "registry/src/registry.writ",
        "pub contract Registry {\n    roles { Clerk }\n\n    storage {\n        known: Map<Address, bool>,\n        fee: u64,\n    }\n\n    init(fee: u64) {\n        self.fee = fee;\n    }\n\n    pub fn enrol(who: Address) requires Clerk {\n        self.known[who] = true;\n    }\n\n    pub view fn fee_of(who: Address) -> u64 {\n        if self.known.get(who).unwrap_or(false) { self.fee } else { 0 }\n    }\n}\n",
    );
    let built = writ(&["build", "registry", "-o", "vendor"], dir.path());
    assert_eq!(built.status.code(), Some(0), "{}", stderr(&built));
    write(
        "office/writ.toml",
        "[package]\nname = \"office\"\nversion = \"1.0.0\"\n\n[dependencies]\nregistry = { abi = \"../vendor/Registry.wasm\" }\n",
    );
    write(
        "office/src/office.writ",
        "use registry::Registry;\n\npub contract Office {\n    storage {\n        registry: Registry,\n    }\n\n    init(registry: Registry) {\n        self.registry = registry;\n    }\n\n    pub view fn fee_for(who: Address) -> u64 {\n        self.registry.fee_of(who) * 2\n    }\n}\n",
    );
    write(
        "office/tests/flows.writ",
        "use crate::office::Office;\nuse registry::Registry;\n\ntest \"the office consults the registry's own code\" {\n    let registry = deploy Registry(5);\n    let office = deploy Office(Registry::at(registry.address()));\n    let alice = account(\"alice\");\n    assert_eq(office.fee_for(alice), 0);\n    registry.grant_role(Clerk, account(\"clerk\"));\n    registry.from(account(\"clerk\")).enrol(alice);\n    assert_eq(office.fee_for(alice), 10);\n    assert_aborts(registry.from(alice).enrol(alice), MissingRole);\n}\n",
    );
    let interface = writ(&["abi", "--interface", "vendor/Registry.wasm"], dir.path());
    assert!(
        stdout(&interface).contains(
            "    roles { Clerk }\n\n    init(fee: u64);\n    pub fn enrol(who: Address) requires Clerk;\n"
        ),
        "{}",
        stdout(&interface)
    );
    let tested = writ(&["test", "office"], dir.path());
    assert_eq!(tested.status.code(), Some(0), "{}{}", stdout(&tested), stderr(&tested));
    assert!(
        stdout(&tested).contains("the office consults the registry's own code\" ... ok"),
        "{}",
        stdout(&tested)
    );
    // Only the office is built: the registry's code is the artifact's.
    let office = writ(&["build", "office", "-o", "out"], dir.path());
    assert!(stderr(&office).contains("built 1 contract"), "{}", stderr(&office));
    assert!(!dir.path().join("out/Registry.wasm").exists());
}
