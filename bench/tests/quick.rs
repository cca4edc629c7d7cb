//! `writ-bench --quick`: every workload on small inputs, so the test suite
//! checks that native Rust, Writ and (when solc's output is present) revm
//! still compute the same results. The figures of a quick run mean nothing.
// Test code: a failure is reported by panicking.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::path::Path;
use std::process::Command;

#[test]
fn quick_run_finds_every_engine_equal() {
    let solc_output = Path::new(env!("CARGO_MANIFEST_DIR")).join("build/evm");
    let mut command = Command::new(env!("CARGO_BIN_EXE_writ-bench"));
    command.arg("--quick");
    if solc_output.join("solc.txt").is_file() {
        command.arg(&solc_output);
    } else {
        println!(
            "note: {} is absent (scripts/bench.sh writes it): native Rust and Writ are compared, revm is skipped",
            solc_output.display()
        );
    }
    let output = command.output().expect("writ-bench runs");
    let stdout = String::from_utf8_lossy(&output.stdout);
    let stderr = String::from_utf8_lossy(&output.stderr);
    println!("{stdout}");
    assert!(output.status.success(), "writ-bench --quick failed:\n{stderr}");
    assert!(stdout.contains("All results equal across the engines."), "{stdout}");
}
