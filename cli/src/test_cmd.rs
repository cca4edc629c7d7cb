//! `writ test`: runs the tests and properties of `.writ` files and prints
//! the results the way `cargo test` does. The running is `writ_runner`'s.
//!
//! Exit codes: 0 all passed, 1 a test failed or a file did not compile,
//! 2 bad usage.

use std::io::Write as _;
use std::path::{Path, PathBuf};
use std::sync::Arc;

use writ_compiler::render::{RenderOptions, render};
use writ_runner::report::{Totals, render_file, render_gas, render_summary};
use writ_runner::{RunError, RunOptions, run_file};

pub fn run(paths: &[PathBuf], options: &RunOptions, gas: bool, lcov: Option<&Path>, color: bool) -> u8 {
    let analysis = match crate::build_cmd::load_checked(paths, color, "tests not run") {
        Ok(analysis) => analysis,
        Err(code) => return code,
    };
    let vm = match writ_vm::Vm::new(writ_vm::VmOptions::in_memory()) {
        Ok(vm) => Arc::new(vm),
        Err(e) => {
            errln!("error: cannot start the VM: {e}");
            return 1;
        }
    };
    let mut totals = Totals::default();
    let mut broken = 0;
    let mut reports = Vec::new();
    let mut stdout = std::io::stdout().lock();
    for file in analysis.own_files().filter(|f| crate::files::asked_for(paths, f)) {
        match run_file(&analysis, file.id, &vm, options) {
            Ok(report) if report.results.is_empty() => totals.add(&report),
            Ok(report) => {
                totals.add(&report);
                let _ = writeln!(stdout, "{}", render_file(&report));
                reports.push(report);
            }
            Err(RunError::Compile(diagnostics)) => {
                broken += 1;
                errout!(
                    "{}",
                    render(&diagnostics, &analysis.sources(), RenderOptions { color, ascii: false })
                );
                errln!("error: the tests of `{}` cannot run, because of the errors above", file.name);
            }
            Err(RunError::Prepare(message)) => {
                broken += 1;
                errln!("error: the tests of `{}` cannot run: {message}", file.name);
            }
        }
    }
    if let Some(lcov) = lcov {
        let mut all = writ_runner::coverage::Coverage::default();
        for report in &reports {
            if let Some(coverage) = &report.coverage {
                all.merge(coverage);
            }
        }
        let _ = write!(stdout, "{}", all.summary());
        let written = if lcov.extension().is_some_and(|e| e == "writ") {
            Err(std::io::Error::other("that is a Writ source file; give the LCOV file another name"))
        } else {
            std::fs::write(lcov, all.lcov())
        };
        match written {
            Ok(()) => {
                let _ = writeln!(stdout, "  LCOV written to {}\n", lcov.display());
            }
            Err(e) => {
                errln!("error: cannot write `{}`: {}", lcov.display(), crate::files::io_reason(&e));
                broken += 1;
            }
        }
    }
    if gas {
        let _ = writeln!(stdout, "gas per entry point (successful calls):\n{}", render_gas(&reports));
    }
    let mut summary = render_summary(&totals);
    if broken > 0 {
        // A file whose tests could not run is a failure, whatever passed.
        summary = summary.replacen("test result: ok.", "test result: FAILED.", 1);
        summary.push_str(&format!(" ({broken} file{} not run)", if broken == 1 { "" } else { "s" }));
    }
    let _ = writeln!(stdout, "{summary}");
    u8::from(totals.failed > 0 || broken > 0)
}
