//! `writ test --coverage`: which lines and branches of the contracts the
//! tests executed, from the probes the compiler placed (one per statement
//! and block value, one per way through each `if` and `match`), as a
//! terminal summary and as an LCOV file for editors and CI tools.
//!
//! Invariant: counts are exact: a probe's count is how many times the
//! code after it began to run, over every test and property of the run.

use std::collections::BTreeMap;
use std::fmt::Write as _;

use writ_compiler::Analysis;
use writ_compiler::codegen::{Probe, ProbeKind};

/// Coverage by file name.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Coverage {
    pub files: BTreeMap<String, FileCoverage>,
}

#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct FileCoverage {
    /// Line → how many times it ran (the most of its statements).
    pub lines: BTreeMap<u32, u64>,
    /// (line, branch point, way) → how many times that way was taken.
    pub branches: BTreeMap<(u32, u32, u32), u64>,
}

impl Coverage {
    /// Counts per line and branch from probe hits.
    pub fn from_probes(analysis: &Analysis, probes: &[Probe], hits: &[u64]) -> Coverage {
        let mut coverage = Coverage::default();
        for (probe, count) in probes.iter().zip(hits) {
            let Some(file) = analysis.file(probe.span.file) else { continue };
            let (line, _) = writ_compiler::span::line_col(&file.text, probe.span.lo);
            let entry = coverage.files.entry(file.name.clone()).or_default();
            match probe.kind {
                ProbeKind::Line => {
                    let seen = entry.lines.entry(line).or_insert(0);
                    *seen = (*seen).max(*count);
                }
                ProbeKind::Branch { point, arm } => {
                    *entry.branches.entry((line, point, arm)).or_insert(0) += count;
                }
            }
        }
        coverage
    }

    /// Adds another run's counts (files are disjoint or the same program).
    pub fn merge(&mut self, other: &Coverage) {
        for (name, file) in &other.files {
            let mine = self.files.entry(name.clone()).or_default();
            for (line, count) in &file.lines {
                *mine.lines.entry(*line).or_insert(0) += count;
            }
            for (key, count) in &file.branches {
                *mine.branches.entry(*key).or_insert(0) += count;
            }
        }
    }

    /// A table per file: lines and branches covered, and the lines never run.
    pub fn summary(&self) -> String {
        let mut out = String::from("coverage (lines and branches the tests ran):\n");
        for (name, file) in &self.files {
            let lines_hit = file.lines.values().filter(|c| **c > 0).count();
            let branches_hit = file.branches.values().filter(|c| **c > 0).count();
            let _ = writeln!(
                out,
                "  {name}: lines {lines_hit}/{} ({}), branches {branches_hit}/{} ({})",
                file.lines.len(),
                percent(lines_hit, file.lines.len()),
                file.branches.len(),
                percent(branches_hit, file.branches.len()),
            );
            let missed: Vec<u32> = file.lines.iter().filter(|(_, c)| **c == 0).map(|(l, _)| *l).collect();
            if !missed.is_empty() {
                let _ = writeln!(out, "    lines never run: {}", ranges(&missed));
            }
            let untaken: Vec<String> = file
                .branches
                .iter()
                .filter(|(_, c)| **c == 0)
                .map(|((line, _, arm), _)| format!("{line} (way {})", arm + 1))
                .collect();
            if !untaken.is_empty() {
                let _ = writeln!(out, "    branches never taken at lines: {}", untaken.join(", "));
            }
        }
        out
    }

    /// The LCOV tracefile (`DA` per line, `BRDA` per branch way).
    pub fn lcov(&self) -> String {
        let mut out = String::new();
        for (name, file) in &self.files {
            let _ = writeln!(out, "TN:writ\nSF:{name}");
            for (line, count) in &file.lines {
                let _ = writeln!(out, "DA:{line},{count}");
            }
            for ((line, point, arm), count) in &file.branches {
                let taken = if *count == 0 { "-".to_string() } else { count.to_string() };
                let _ = writeln!(out, "BRDA:{line},{point},{arm},{taken}");
            }
            let _ = writeln!(out, "BRF:{}", file.branches.len());
            let _ = writeln!(out, "BRH:{}", file.branches.values().filter(|c| **c > 0).count());
            let _ = writeln!(out, "LF:{}", file.lines.len());
            let _ = writeln!(out, "LH:{}", file.lines.values().filter(|c| **c > 0).count());
            out.push_str("end_of_record\n");
        }
        out
    }
}

fn percent(hit: usize, total: usize) -> String {
    if total == 0 { "-".to_string() } else { format!("{:.1} %", hit as f64 * 100.0 / total as f64) }
}

/// `3, 5-7, 10`.
fn ranges(lines: &[u32]) -> String {
    let mut parts: Vec<String> = Vec::new();
    let mut iter = lines.iter().copied().peekable();
    while let Some(start) = iter.next() {
        let mut end = start;
        while iter.peek() == Some(&(end + 1)) {
            end += 1;
            iter.next();
        }
        parts.push(if start == end { start.to_string() } else { format!("{start}-{end}") });
    }
    parts.join(", ")
}
