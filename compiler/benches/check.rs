//! Front-end speed on a generated 10 000-line program: lexing, parsing,
//! the whole check (parse + names + types, standard library included),
//! both again after a one-line edit (re-parsing the edited item only) and
//! formatting; and the check of a package of 50 modules that import from
//! each other. Target: the whole check under 100 ms in release.
//!
//! Run: `cargo bench -p writ-compiler --bench check`.

use std::hint::black_box;
use std::time::Duration;

use criterion::{BatchSize, Criterion, criterion_group, criterion_main};
use writ_compiler::analysis::PackageFile;
use writ_compiler::check::PackageScope;
use writ_compiler::{Analysis, FileId};

/// One contract of about 100 lines; repeated with fresh names.
fn contract(n: usize) -> String {
    format!(
        r#"/// Register number {n}.
contract Register{n} {{
    roles {{ Clerk, Auditor }}

    struct Entry {{ owner: Address, amount: Decimal, at: Timestamp, note: String }}

    enum State {{ Open, Held(Decimal), Closed }}

    storage {{
        entries: Map<u64, Entry>,
        totals: Map<Address, Decimal>,
        state: Map<u64, State>,
        count: u64,
    }}

    event Added(id: u64, owner: Address, amount: Decimal);
    error Missing(id: u64);

    init() {{}}

    pub fn add(owner: Address, amount: Decimal, note: String) requires Clerk {{
        require(amount > 0.00, "amount must be positive");
        let id = self.count;
        self.entries[id] = Entry {{ owner, amount: amount.round(2), at: now(), note }};
        let previous = self.totals.get(owner).unwrap_or(0.00);
        self.totals[owner] = previous + amount.round(2);
        self.state[id] = State::Open;
        self.count += 1;
        emit Added(id, owner, amount);
    }}

    pub fn hold(id: u64, part: Decimal) requires Clerk | Auditor {{
        let entry = match self.entries.get(id) {{
            Some(e) => e,
            None => fail Missing(id),
        }};
        let held = min(part, entry.amount);
        self.state[id] = State::Held(held);
    }}

    pub view fn held(id: u64) -> Decimal {{
        return match self.state.get(id) {{
            Some(State::Held(amount)) => amount,
            Some(State::Open) | Some(State::Closed) => 0.00,
            None => 0.00,
        }};
    }}

    pub view fn total(owner: Address) -> Decimal {{
        return self.totals.get(owner).unwrap_or(0.00);
    }}

    pub view fn sum_of(ids: List<u64>) -> Decimal {{
        let mut sum = 0.00;
        for id in ids {{
            if self.entries.contains(id) {{
                sum += self.entries[id].amount;
            }}
        }}
        return sum;
    }}

    fn weight(amount: Decimal, years: u64) -> Decimal {{
        let mut w = amount;
        let mut i: u64 = 0;
        while i < years {{
            w = (w * 1.05).round(2, Rounding::HalfUp);
            i += 1;
        }}
        return w;
    }}

    pub view fn projected(owner: Address, years: u64) -> Decimal {{
        let base = self.totals.get(owner).unwrap_or(0.00);
        return weight(base, years);
    }}

    invariant "totals are never negative" {{
        for (_owner, total) in self.totals {{
            assert(total >= 0.00);
        }}
    }}
}}

test "register {n} adds and holds" {{
    let clerk = account("clerk");
    let r = deploy Register{n}();
    r.grant_role(Clerk, clerk);
    r.from(clerk).add(clerk, 10.50, "first");
    r.from(clerk).hold(0, 2.00);
    assert_eq(r.held(0), 2.00);
    assert_eq(r.total(clerk), 10.50);
    assert_aborts(r.hold(7, 1.00), MissingRole);
}}

"#
    )
}

fn program(lines_wanted: usize) -> String {
    let mut out = String::new();
    let mut n = 0;
    while out.lines().count() < lines_wanted {
        out.push_str(&contract(n));
        n += 1;
    }
    out
}

/// A package of `modules` modules: each holds one register contract (about
/// 100 lines) and a function that calls the one before it, imported with
/// `use crate::…`; each contract also holds a reference to the previous
/// module's contract and calls it.
fn package(modules: usize) -> (Vec<PackageScope>, Vec<PackageFile>) {
    let files = (0..modules)
        .map(|n| {
            let mut text = String::new();
            if n > 0 {
                let p = n - 1;
                text.push_str(&format!("use crate::m{p}::{{Register{p}, weight{p}}};\n\n"));
            }
            text.push_str(&format!("pub {}", contract(n)));
            let previous = if n > 0 { format!("weight{}(x) + 1", n - 1) } else { "x".to_string() };
            text.push_str(&format!("\npub fn weight{n}(x: u64) -> u64 {{\n    {previous}\n}}\n"));
            if n > 0 {
                let p = n - 1;
                text.push_str(&format!(
                    "\npub contract Link{n} {{\n    storage {{\n        previous: Register{p},\n    }}\n\n    pub view fn total(owner: Address) -> Decimal {{\n        self.previous.total(owner)\n    }}\n}}\n"
                ));
            }
            PackageFile {
                name: format!("src/m{n}.writ"),
                module: format!("bench::m{n}"),
                package: 0,
                text,
                artifact: None,
            }
        })
        .collect();
    let scope = PackageScope { name: "bench".into(), version: "1.0.0".into(), dependencies: Vec::new() };
    (vec![scope], files)
}

fn bench(c: &mut Criterion) {
    let (scopes, files) = package(50);
    let lines: usize = files.iter().map(|f| f.text.lines().count()).sum();
    let analysis = Analysis::packaged(scopes.clone(), files.clone());
    let errors: Vec<_> = analysis.diagnostics();
    assert!(errors.is_empty(), "generated package has diagnostics: {:?}", errors.first());
    println!("package: 50 modules, {lines} lines");
    let mut group = c.benchmark_group("package_50_modules");
    group.measurement_time(Duration::from_secs(4)).sample_size(20);
    group.bench_function("check", |b| {
        b.iter_batched(
            || (scopes.clone(), files.clone()),
            |(scopes, files)| Analysis::packaged(scopes, files),
            BatchSize::LargeInput,
        )
    });
    group.finish();

    let source = program(10_000);
    let lines = source.lines().count();
    // The generated program must be valid, or the figures would measure
    // error paths instead of the real work.
    let analysis = Analysis::single("bench.writ", &source);
    let errors: Vec<_> = analysis.diagnostics();
    assert!(errors.is_empty(), "generated program has diagnostics: {:?}", errors.first());
    println!("program: {lines} lines, {} bytes", source.len());

    let mut group = c.benchmark_group("front_end_10k_lines");
    group.measurement_time(Duration::from_secs(4)).sample_size(20);
    group.bench_function("lex", |b| b.iter(|| writ_compiler::lexer::lex(FileId(0), black_box(&source))));
    group.bench_function("parse", |b| b.iter(|| writ_compiler::parser::parse(FileId(0), black_box(&source))));
    group.bench_function("check", |b| b.iter(|| Analysis::single("bench.writ", black_box(&source))));
    // An editor's keystroke: a line added inside a function in the middle
    // of the file, parsed again from the parse before it.
    let at = source.len() / 2 + source[source.len() / 2..].find("\n        let ").unwrap_or(0);
    let edited = format!("{}\n        let typed = 1;{}", &source[..at], &source[at..]);
    // The editor frees the previous tree and tables on another thread, so
    // what the routines return is dropped outside the timing.
    let before = writ_compiler::parser::parse(FileId(0), &source);
    group.bench_function("reparse_after_edit", |b| {
        b.iter_batched(
            || before.clone(),
            |mut parsed| {
                let reused =
                    writ_compiler::reparse::reparse_in_place(FileId(0), &source, &mut parsed, &edited);
                assert!(reused, "the edit should re-parse one item");
                parsed
            },
            BatchSize::LargeInput,
        )
    });
    group.bench_function("check_after_edit", |b| {
        b.iter_batched(
            || Analysis::single("bench.writ", &source),
            |previous| Analysis::after(previous, vec![("bench.writ".to_string(), edited.clone())]),
            BatchSize::LargeInput,
        )
    });
    group.bench_function("format", |b| {
        b.iter(|| writ_compiler::format::format_source(FileId(0), black_box(&source)))
    });
    group.finish();
}

criterion_group!(benches, bench);
criterion_main!(benches);
