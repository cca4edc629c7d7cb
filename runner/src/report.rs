//! Test results as text, in the shape of `cargo test`: one line per test,
//! then each failure with its location, message, inputs and call trace,
//! then a summary whose last words are `N passed, N failed`.

use std::fmt::Write as _;

use crate::{CaseOutcome, FileReport};

/// How many of a failing test's last calls the report shows.
const TRACE_SHOWN: usize = 12;

/// Totals over any number of files.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Totals {
    pub passed: usize,
    pub failed: usize,
    pub filtered_out: usize,
}

impl Totals {
    pub fn add(&mut self, report: &FileReport) {
        for result in &report.results {
            match result.outcome {
                CaseOutcome::Passed { .. } | CaseOutcome::Fuzzed { .. } => self.passed += 1,
                CaseOutcome::Failed(_) => self.failed += 1,
            }
        }
        self.filtered_out += report.filtered_out;
    }
}

/// The block for one file: `running N tests in FILE`, a line per test, and
/// the failures in full.
pub fn render_file(report: &FileReport) -> String {
    let mut out = String::new();
    let n = report.results.len();
    let _ = writeln!(out, "running {n} test{} in {}", if n == 1 { "" } else { "s" }, report.file);
    for result in &report.results {
        let kind = if result.fuzz {
            "fuzz from test"
        } else if result.property {
            "property"
        } else {
            "test"
        };
        let status = match &result.outcome {
            CaseOutcome::Fuzzed { sequences, calls, succeeded } => {
                format!("ok ({sequences} sequences, {calls} calls, {succeeded} succeeded; invariants held)")
            }
            CaseOutcome::Passed { cases } if result.property => format!("ok ({cases} cases)"),
            CaseOutcome::Passed { .. } => "ok".to_string(),
            CaseOutcome::Failed(_) => "FAILED".to_string(),
        };
        let _ = writeln!(out, "{kind} \"{}\" ... {status}", result.name);
    }
    let failures: Vec<_> = report
        .results
        .iter()
        .filter_map(|r| match &r.outcome {
            CaseOutcome::Failed(f) => Some((r, f)),
            CaseOutcome::Passed { .. } | CaseOutcome::Fuzzed { .. } => None,
        })
        .collect();
    if !failures.is_empty() {
        let _ = writeln!(out, "\nfailures:");
    }
    for (result, failure) in failures {
        let what = if result.fuzz { "fuzz from " } else { "" };
        let _ = writeln!(
            out,
            "\n---- {what}\"{}\" ({}:{}:{}) ----",
            result.name, report.file, result.line, result.column
        );
        if let Some(location) = &failure.location {
            let _ = write!(out, "{location}: ");
        }
        let _ = writeln!(out, "{}", failure.message);
        if let Some(inputs) = &failure.inputs {
            let label = if result.fuzz { "shortest failing sequence" } else { "smallest failing input" };
            let _ = writeln!(out, "  {label}: {inputs}");
        }
        if let Some(seed) = failure.seed {
            let fuzz = if result.fuzz { " --fuzz" } else { "" };
            let _ = writeln!(
                out,
                "  reproduce: writ test {} --exact \"{}\"{fuzz} --seed {seed}",
                report.file,
                result.name.replace('"', "\\\"")
            );
        }
        if let Some(test) = &failure.reproduction {
            let _ = writeln!(out, "  as a test to paste into the file:\n");
            for line in test.lines() {
                let _ = writeln!(out, "    {line}");
            }
            out.push('\n');
        }
        if !failure.trace.is_empty() {
            let skipped = failure.trace.len().saturating_sub(TRACE_SHOWN);
            let _ = writeln!(
                out,
                "  calls{}:",
                if skipped > 0 { format!(" (last {TRACE_SHOWN})") } else { String::new() }
            );
            for line in failure.trace.iter().skip(skipped) {
                let _ = writeln!(out, "    {line}");
            }
        }
    }
    out
}

/// The summary line: `test result: ok. 3 passed, 0 failed`.
pub fn render_summary(totals: &Totals) -> String {
    let verdict = if totals.failed == 0 { "ok" } else { "FAILED" };
    let filtered = if totals.filtered_out > 0 {
        format!(" ({} filtered out)", totals.filtered_out)
    } else {
        String::new()
    };
    format!("test result: {verdict}.{filtered} {} passed, {} failed", totals.passed, totals.failed)
}

/// `writ test --gas`: per contract entry point, how many successful calls
/// the run made and their least, median and most gas, as a table.
pub fn render_gas(reports: &[FileReport]) -> String {
    use std::collections::BTreeMap;
    let mut by_entry: BTreeMap<(String, String), Vec<u64>> = BTreeMap::new();
    for report in reports {
        for result in &report.results {
            for record in &result.gas {
                by_entry.entry((record.contract.clone(), record.entry.clone())).or_default().push(record.gas);
            }
        }
    }
    if by_entry.is_empty() {
        return "gas: no contract calls were made\n".to_string();
    }
    let rows: Vec<[String; 6]> = by_entry
        .into_iter()
        .map(|((contract, entry), mut gas)| {
            gas.sort_unstable();
            let median = match gas.len() {
                0 => 0,
                n if n % 2 == 1 => gas[n / 2],
                n => (gas[n / 2 - 1] + gas[n / 2]) / 2,
            };
            let min = gas.first().copied().unwrap_or(0);
            let max = gas.last().copied().unwrap_or(0);
            [contract, entry, gas.len().to_string(), min.to_string(), median.to_string(), max.to_string()]
        })
        .collect();
    let header = ["contract", "entry point", "calls", "min", "median", "max"];
    let mut widths = header.map(str::len);
    for row in &rows {
        for (w, cell) in widths.iter_mut().zip(row) {
            *w = (*w).max(cell.chars().count());
        }
    }
    let mut out = String::new();
    let line = |cells: [&str; 6], out: &mut String| {
        let _ = writeln!(
            out,
            "{:<w0$}  {:<w1$}  {:>w2$}  {:>w3$}  {:>w4$}  {:>w5$}",
            cells[0],
            cells[1],
            cells[2],
            cells[3],
            cells[4],
            cells[5],
            w0 = widths[0],
            w1 = widths[1],
            w2 = widths[2],
            w3 = widths[3],
            w4 = widths[4],
            w5 = widths[5]
        );
    };
    line(header, &mut out);
    for row in &rows {
        line([&row[0], &row[1], &row[2], &row[3], &row[4], &row[5]], &mut out);
    }
    out
}
