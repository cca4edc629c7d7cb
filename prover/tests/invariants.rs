//! The inductive check of invariants on small contracts: a correct one is
//! proved after `init` and after every entry point; planted bugs (a total
//! not updated, a limit checked before the amount is added) each give a
//! counterexample, and the counterexample really breaks the invariant when
//! the call is worked through by hand; storage the encoding does not model
//! is refused by name.
//!
//! Needs Z3 on `PATH`; see `tests/common/mod.rs`.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::indexing_slicing, clippy::panic)]

mod common;

use std::collections::BTreeMap;

use writ_abi::Decimal;
use writ_compiler::ast::ItemKind;
use writ_compiler::{Analysis, FileId};
use writ_prover::Budget;
use writ_prover::body::EncodeError;
use writ_prover::invariant::{Obligation, Verdict, check_contract};

const TREASURY: &str = r#"
contract Treasury {
    roles { Clerk }

    storage {
        collected: Decimal,
        payments: Decimal,
        refunds: Decimal,
        limit: u64,
        issued: u64,
    }

    error TooMuch(amount: Decimal);

    init(limit: u64) {
        self.limit = limit;
    }

    pub fn pay(amount: Decimal) requires Clerk {
        require(amount > 0.00, "amount must be positive");
        self.payments += amount;
        self.collected += amount;
    }

    pub fn refund(amount: Decimal) requires Clerk {
        require(amount > 0.00, "amount must be positive");
        if amount > self.collected {
            fail TooMuch(amount);
        }
        self.refunds += amount;
        self.collected -= amount;
    }

    pub fn issue(n: u64) requires Clerk {
        require(self.issued + n <= self.limit, "over the limit");
        self.issued += n;
    }

    pub view fn remaining() -> u64 {
        return self.limit - self.issued;
    }

    invariant "collected equals payments less refunds" {
        assert_eq(self.collected, self.payments - self.refunds);
    }

    invariant "issued within the limit" {
        assert(self.issued <= self.limit, "over");
    }

    invariant "collected is never negative" {
        assert(self.collected >= 0.00, "negative");
    }
}
"#;

fn check(source: &str) -> Result<Vec<Obligation>, EncodeError> {
    let mut solver = common::solver().expect("z3");
    let analysis = Analysis::single("t.writ", source);
    assert!(!analysis.has_errors(), "{:?}", analysis.diagnostics());
    let ItemKind::Contract(contract) = &analysis.user_files()[0].parsed.tree.items[0].kind else { panic!() };
    check_contract(&mut solver, &analysis, FileId(0), contract, Budget::default())
}

fn verdicts(obligations: &[Obligation]) -> Vec<(String, String, &'static str)> {
    obligations
        .iter()
        .map(|o| {
            let verdict = match o.verdict {
                Verdict::Proved => "proved",
                Verdict::Counterexample(_) => "counterexample",
                Verdict::Unknown => "unknown",
                Verdict::Vacuous => "vacuous",
                Verdict::Refused(_) => "refused",
            };
            (o.after.clone(), o.invariant.clone(), verdict)
        })
        .collect()
}

fn z3() -> bool {
    common::solver().is_some()
}

#[test]
fn a_correct_contract_is_proved() {
    if !z3() {
        return;
    }
    let obligations = check(TREASURY).unwrap();
    let all = verdicts(&obligations);
    // init, pay, refund and issue times three invariants; the view is not
    // an obligation.
    assert_eq!(all.len(), 12, "{all:?}");
    assert!(all.iter().all(|(_, _, v)| *v == "proved"), "{all:?}");
}

fn counterexample<'a>(
    obligations: &'a [Obligation],
    after: &str,
    invariant: &str,
) -> BTreeMap<&'a str, &'a str> {
    let found = obligations.iter().find(|o| o.after == after && o.invariant == invariant).unwrap();
    let Verdict::Counterexample(values) = &found.verdict else { panic!("{found:?}") };
    values.iter().map(|(k, v)| (k.as_str(), v.as_str())).collect()
}

fn dec(text: &str) -> Decimal {
    text.parse().unwrap()
}

#[test]
fn a_total_not_updated_is_found() {
    if !z3() {
        return;
    }
    let buggy = TREASURY.replace("        self.refunds += amount;\n", "");
    let obligations = check(&buggy).unwrap();
    let all = verdicts(&obligations);
    let broken: Vec<_> = all.iter().filter(|(_, _, v)| *v != "proved").collect();
    assert_eq!(
        broken,
        vec![&("refund".to_string(), "collected equals payments less refunds".to_string(), "counterexample")]
    );
    // Worked through: the state satisfied the invariant, the call returned,
    // and the state after it does not.
    let cx = counterexample(&obligations, "refund", "collected equals payments less refunds");
    let (amount, collected) = (dec(cx["amount"]), dec(cx["self.collected"]));
    let (payments, refunds) = (dec(cx["self.payments"]), dec(cx["self.refunds"]));
    assert_eq!(payments.checked_sub(refunds).ok(), Some(collected), "{cx:?}");
    assert!(amount > Decimal::ZERO && amount <= collected, "{cx:?}");
    let after = collected.checked_sub(amount).unwrap();
    assert_ne!(payments.checked_sub(refunds).ok(), Some(after), "{cx:?}");
}

#[test]
fn a_limit_checked_before_adding_is_found() {
    if !z3() {
        return;
    }
    let buggy =
        TREASURY.replace("require(self.issued + n <= self.limit", "require(self.issued <= self.limit");
    let obligations = check(&buggy).unwrap();
    let cx = counterexample(&obligations, "issue", "issued within the limit");
    let (issued, limit, n): (u64, u64, u64) =
        (cx["self.issued"].parse().unwrap(), cx["self.limit"].parse().unwrap(), cx["n"].parse().unwrap());
    assert!(issued <= limit, "{cx:?}");
    assert!(issued.checked_add(n).is_some_and(|total| total > limit), "{cx:?}");
    let others: Vec<_> = verdicts(&obligations)
        .into_iter()
        .filter(|(after, _, v)| after != "issue" && *v != "proved")
        .collect();
    assert!(others.is_empty(), "{others:?}");
}

#[test]
fn an_invariant_that_is_false_is_never_proved() {
    if !z3() {
        return;
    }
    let wrong = TREASURY.replace(
        "assert(self.collected >= 0.00, \"negative\");",
        "assert(self.collected > 0.00, \"negative\");",
    );
    let obligations = check(&wrong).unwrap();
    let found = obligations
        .iter()
        .find(|o| o.after == "init" && o.invariant == "collected is never negative")
        .unwrap();
    assert!(matches!(found.verdict, Verdict::Counterexample(_)), "{found:?}");
}

#[test]
fn storage_not_modelled_is_refused_by_name() {
    if !z3() {
        return;
    }
    let source = "contract M {\n    storage { seen: List<Bytes>, count: u64 }\n    init() {}\n    pub fn see(k: u64) {\n        self.seen.push(b\"k\");\n        self.count += 1;\n    }\n    invariant \"small\" { assert(self.count < 10, \"big\"); }\n}\n";
    // `init` does not touch the field and keeps the invariant; `see` is
    // refused, on its own.
    let obligations = check(source).unwrap();
    assert_eq!(
        verdicts(&obligations),
        [("init".into(), "small".into(), "proved"), ("see".into(), "small".into(), "refused")]
    );
    let Verdict::Refused(r) = &obligations[1].verdict else { panic!("{obligations:?}") };
    assert_eq!(r.what, "the storage field `seen` of type `List<Bytes>` (`Bytes` is not modelled yet)");
    assert_eq!(&source[r.span.lo as usize..r.span.hi as usize], "seen");
}

// An entry point that never returns shows nothing: vacuous, not proved.
#[test]
fn an_entry_point_that_never_returns_is_vacuous() {
    if !z3() {
        return;
    }
    let closed = TREASURY.replace(
        "        require(self.issued + n <= self.limit, \"over the limit\");",
        "        require(n > 0 && n < 0, \"closed\");",
    );
    let all = verdicts(&check(&closed).unwrap());
    let issue: Vec<_> = all.iter().filter(|(after, _, _)| after == "issue").map(|(_, _, v)| *v).collect();
    assert_eq!(issue, vec!["vacuous"; 3]);
}

const LEDGER: &str = r#"
contract Ledger {
    storage {
        balances: Map<Address, u64>,
        supply: u64,
    }

    init() {}

    pub fn mint(to: Address, amount: u64) {
        let held = self.balances.get(to).unwrap_or(0);
        self.balances[to] = held + amount;
        self.supply += amount;
    }

    pub fn transfer(to: Address, amount: u64) {
        let from = caller();
        let have = self.balances.get(from).unwrap_or(0);
        require(have >= amount, "not enough");
        self.balances[from] = have - amount;
        let theirs = self.balances.get(to).unwrap_or(0);
        self.balances[to] = theirs + amount;
    }

    pub fn burn(amount: u64) {
        let from = caller();
        let have = self.balances[from];
        require(have >= amount, "not enough");
        self.balances[from] = have - amount;
        self.supply -= amount;
    }

    invariant "the balances sum to the supply" {
        let mut total: u64 = 0;
        for (_, b) in self.balances {
            total += b;
        }
        assert_eq(total, self.supply);
    }
}
"#;

// A map's total is kept as a ghost at every write: a ledger whose
// balances sum to its supply is proved.
#[test]
fn a_ledger_that_keeps_its_total_is_proved() {
    if !z3() {
        return;
    }
    let all = verdicts(&check(LEDGER).unwrap());
    assert_eq!(all.len(), 4, "{all:?}");
    assert!(all.iter().all(|(_, _, v)| *v == "proved"), "{all:?}");
}

// Both balances read before either is written: paying oneself mints.
#[test]
fn a_self_transfer_that_mints_is_found() {
    if !z3() {
        return;
    }
    let buggy = LEDGER.replace(
        "        self.balances[from] = have - amount;\n        let theirs = self.balances.get(to).unwrap_or(0);\n",
        "        let theirs = self.balances.get(to).unwrap_or(0);\n        self.balances[from] = have - amount;\n",
    );
    assert_ne!(buggy, LEDGER);
    let obligations = check(&buggy).unwrap();
    let cx = counterexample(&obligations, "transfer", "the balances sum to the supply");
    assert_eq!(cx["to"], cx["caller()"], "only paying oneself breaks it: {cx:?}");
    assert_ne!(cx["amount"], "0", "{cx:?}");
    let others: Vec<_> = verdicts(&obligations)
        .into_iter()
        .filter(|(after, _, v)| after != "transfer" && *v != "proved")
        .collect();
    assert!(others.is_empty(), "{others:?}");
}

// A burn that forgets the supply is found too.
#[test]
fn a_supply_not_reduced_is_found() {
    if !z3() {
        return;
    }
    let buggy = LEDGER.replace("        self.supply -= amount;\n", "");
    let obligations = check(&buggy).unwrap();
    let cx = counterexample(&obligations, "burn", "the balances sum to the supply");
    assert_ne!(cx["amount"], "0", "{cx:?}");
}

fn search(source: &str, invariant: usize, depth: u32) -> writ_prover::bounded::Search {
    let mut solver = common::solver().expect("z3");
    let analysis = Analysis::single("t.writ", source);
    assert!(!analysis.has_errors(), "{:?}", analysis.diagnostics());
    let ItemKind::Contract(contract) = &analysis.user_files()[0].parsed.tree.items[0].kind else { panic!() };
    let accounts = [("alice".to_string(), [1u8; 20]), ("bob".to_string(), [2u8; 20])];
    let bounds =
        writ_prover::bounded::Bounds { depth, accounts: &accounts, budget: Budget::default(), from: None };
    writ_prover::bounded::search(&mut solver, &analysis, FileId(0), contract, invariant, &bounds).unwrap()
}

// Where induction fails on a real bug, the bounded search finds the calls
// from `init`: someone is given coins, then pays them to themselves.
#[test]
fn the_search_finds_the_calls_that_mint() {
    if !z3() {
        return;
    }
    let buggy = LEDGER.replace(
        "        self.balances[from] = have - amount;\n        let theirs = self.balances.get(to).unwrap_or(0);\n",
        "        let theirs = self.balances.get(to).unwrap_or(0);\n        self.balances[from] = have - amount;\n",
    );
    let writ_prover::bounded::Search::Found(calls, _) = search(&buggy, 0, 3) else { panic!("not found") };
    let entries: Vec<&str> = calls.iter().map(|c| c.entry.as_str()).collect();
    assert_eq!(entries.first(), Some(&"init"), "{calls:?}");
    let last = calls.last().unwrap();
    assert_eq!(last.entry, "transfer", "{calls:?}");
    assert_eq!(last.args[0], format!("account({:?})", last.caller), "{calls:?}");
    assert!(entries.contains(&"mint"), "{calls:?}");
}

// An invariant that holds in every reachable state but is not inductive:
// the step fails (from a state with `a == 1`, which no calls reach), and
// the search finds nothing within its bound.
#[test]
fn an_invariant_that_needs_strengthening_is_told_apart() {
    if !z3() {
        return;
    }
    let source = "contract Steps {\n    storage { a: u64 }\n    init() {}\n    pub fn bump() { self.a += 2; }\n    invariant \"a is never 3\" { assert(self.a != 3, \"three\"); }\n}\n";
    let obligations = check(source).unwrap();
    let cx = counterexample(&obligations, "bump", "a is never 3");
    assert_eq!(cx["self.a"], "1");
    assert_eq!(
        search(source, 0, 3),
        writ_prover::bounded::Search::NotFound { depth: 3, skipped: Vec::new() }
    );
}

// An entry point refused half-way through leaves the solver session as it
// was: the next contract in the same session is checked normally.
#[test]
fn a_refusal_leaves_the_session_clean() {
    if !z3() {
        return;
    }
    let refused = "contract M {\n    storage { seen: List<Bytes>, count: u64 }\n    init() {}\n    pub fn see(k: u64) {\n        self.count += 1;\n        self.seen.push(b\"k\");\n    }\n    invariant \"small\" { assert(self.count < 10, \"big\"); }\n}\n";
    for _ in 0..2 {
        let half = verdicts(&check(refused).unwrap());
        assert!(half.contains(&("see".into(), "small".into(), "refused")), "{half:?}");
        assert!(verdicts(&check(LEDGER).unwrap()).iter().all(|(_, _, v)| *v == "proved"));
    }
}

// An invariant the prover cannot read is refused on its own; the others
// are still proved (without assuming it).
#[test]
fn one_unreadable_invariant_does_not_stop_the_others() {
    if !z3() {
        return;
    }
    let source = "contract C {\n    storage { count: u64, notes: Bytes }\n    init() {}\n    pub fn bump() {\n        if self.count < 10 { self.count += 1; }\n    }\n    invariant \"count at most ten\" { assert(self.count <= 10, \"over\"); }\n    invariant \"few notes\" { assert(self.notes.len() <= 100, \"many\"); }\n}\n";
    let all = verdicts(&check(source).unwrap());
    let of = |name: &str| all.iter().filter(|(_, i, _)| i == name).map(|(_, _, v)| *v).collect::<Vec<_>>();
    assert_eq!(of("count at most ten"), vec!["proved", "proved"], "{all:?}");
    assert_eq!(of("few notes"), vec!["refused", "refused"], "{all:?}");
}

/// A contract whose invariant is `walk`, over a list kept sorted by `add`
/// (or not, with `sorted` false).
fn walking(walk: &str, sorted: bool) -> String {
    let add = if sorted {
        "require(self.xs.len() == 0 || self.xs[self.xs.len() - 1] <= x, \"unsorted\");\n        self.xs.push(x);"
    } else {
        "self.xs.push(x);"
    };
    format!(
        "contract W {{\n    storage {{ xs: List<u64> }}\n    init() {{}}\n    pub fn add(x: u64) {{\n        {add}\n    }}\n    invariant \"sorted\" {{\n{walk}\n    }}\n}}\n"
    )
}

// An invariant's loop that only checks is "for every iteration": a counted
// `while` and a `for` over a range both prove a sorted list sorted, and
// the calls that break it are found when `add` does not keep the order.
#[test]
fn counted_loops_in_invariants_are_quantifiers() {
    if !z3() {
        return;
    }
    let counted = "        let mut i = 1;\n        while i < self.xs.len() {\n            assert(self.xs[i - 1] <= self.xs[i]);\n            i += 1;\n        }\n        assert(i >= 1);";
    let range =
        "        for i in 1..self.xs.len() {\n            assert(self.xs[i - 1] <= self.xs[i]);\n        }";
    for walk in [counted, range] {
        let proved = verdicts(&check(&walking(walk, true)).unwrap());
        assert!(proved.iter().all(|(_, _, v)| *v == "proved"), "{walk}\n{proved:?}");
        // Unsorted, induction fails (or the solver cannot build a model of
        // the quantified state in its budget) and the search finds two adds.
        let broken = verdicts(&check(&walking(walk, false)).unwrap());
        assert!(!broken.contains(&("add".into(), "sorted".into(), "proved")), "{walk}\n{broken:?}");
        let writ_prover::bounded::Search::Found(calls, _) = search(&walking(walk, false), 0, 3) else {
            panic!("{walk}: not found")
        };
        let entries: Vec<&str> = calls.iter().map(|c| c.entry.as_str()).collect();
        assert_eq!(entries, ["init", "add", "add"], "{walk}\n{calls:?}");
    }
}

// Loops the prover cannot read as "for every iteration" are refused by
// name and place, never guessed: a `while` of another shape, a bound that
// moves with the counter, a `break`, a loop that writes outside itself.
#[test]
fn other_loops_in_invariants_are_refused_by_name() {
    if !z3() {
        return;
    }
    let cases = [
        (
            "        let mut i = 0;\n        while i < self.xs.len() {\n            i += 2;\n        }",
            "a `while` loop other than `while i < end { …; i += 1; }`",
            "while",
        ),
        (
            "        let mut i = 0;\n        while i < self.xs.len() - i {\n            i += 1;\n        }",
            "a `while` loop other than `while i < end { …; i += 1; }`",
            "while",
        ),
        (
            "        for i in 0..self.xs.len() {\n            if self.xs[i] == 0 { break; }\n        }",
            "`break` or `continue` outside a loop the prover unrolls",
            "break",
        ),
        (
            "        let mut n: u64 = 0;\n        for i in 0..self.xs.len() {\n            n = i;\n        }\n        assert(n >= 0);",
            "a loop that changes what is outside it or returns",
            "for",
        ),
        // A `Decimal` counter's `+= 1` is a whole unit, not one step of
        // the raw count a quantifier would range over.
        (
            "        let mut d: Decimal = 0.00;\n        while d < 3.00 {\n            assert(d >= 0.00);\n            d += 1;\n        }",
            "a `while` loop other than `while i < end { …; i += 1; }`",
            "while",
        ),
    ];
    for (walk, what, at) in cases {
        let source = walking(walk, true);
        let obligations = check(&source).unwrap();
        let refused = obligations.iter().find_map(|o| match &o.verdict {
            Verdict::Refused(r) => Some(r.clone()),
            _ => None,
        });
        let r = refused.unwrap_or_else(|| panic!("{walk}\n{:?}", verdicts(&obligations)));
        assert_eq!(r.what, what, "{walk}");
        assert!(source[r.span.lo as usize..].starts_with(at), "{walk}: at {}", &source[r.span.lo as usize..]);
    }
}

/// A contract whose invariant asks `has_zero()`, a loop returning early
/// (`walk`, returning `true` for a zero); `add` refuses a zero when
/// `guarded`.
fn zeros(walk: &str, guarded: bool) -> String {
    let guard = if guarded { "require(x > 0, \"no zeros\");\n        " } else { "" };
    format!(
        "contract Z {{\n    storage {{ xs: List<u64> }}\n    init() {{}}\n    pub fn add(x: u64) {{\n        {guard}self.xs.push(x);\n    }}\n    fn has_zero() -> bool {{\n{walk}\n        false\n    }}\n    invariant \"no zeros\" {{\n        assert(!self.has_zero());\n    }}\n}}\n"
    )
}

// A loop whose body is only `if c { return v; }` (`v` a literal) returns
// `v` exactly when `c` holds for some element, whichever comes first: the
// "for all" (or "there is") of a function a spec or invariant calls, over
// a list's elements or a map's entries. It is proved where `add` refuses
// zeros, the add that breaks it is found where it does not, and a
// condition that can abort (the elements' order would then matter: here
// an index the solver would have to show in range) is refused by name.
#[test]
fn a_loop_returning_early_is_there_is_an_element() {
    if !z3() {
        return;
    }
    let elements = "        for x in self.xs {\n            if x == 0 {\n                return true;\n            }\n        }";
    let proved = verdicts(&check(&zeros(elements, true)).unwrap());
    assert!(proved.iter().all(|(_, _, v)| *v == "proved"), "{proved:?}");
    let broken = verdicts(&check(&zeros(elements, false)).unwrap());
    assert!(!broken.contains(&("add".into(), "no zeros".into(), "proved")), "{broken:?}");
    let writ_prover::bounded::Search::Found(calls, _) = search(&zeros(elements, false), 0, 3) else {
        panic!("not found")
    };
    assert_eq!(calls.iter().map(|c| c.entry.as_str()).collect::<Vec<_>>(), ["init", "add"], "{calls:?}");
    assert_eq!(calls[1].args, ["0"], "{calls:?}");
    let indexed = "        for i in 0..self.xs.len() {\n            if self.xs[i] == 0 {\n                return true;\n            }\n        }";
    let source = zeros(indexed, true);
    let obligations = check(&source).unwrap();
    let refused = obligations.iter().find_map(|o| match &o.verdict {
        Verdict::Refused(r) => Some(r.clone()),
        _ => None,
    });
    let r = refused.unwrap_or_else(|| panic!("{:?}", verdicts(&obligations)));
    assert_eq!(r.what, "a loop returning early whose condition can abort or changes state");
    assert!(source[r.span.lo as usize..].starts_with("for i in"), "{}", &source[r.span.lo as usize..]);
}

// A summing loop whose checks read the running total is not the ghost sum
// (the checks would see the total before the loop), and maps held in maps
// are not compared with `==` (a removed key's old value stays in the
// datatype): both refused by name.
#[test]
fn sums_read_in_their_checks_and_map_equality_are_refused() {
    if !z3() {
        return;
    }
    let cases = [
        (
            "contract S {\n    storage { m: Map<u64, u64>, cap: u64 }\n    init() {}\n    pub fn put(k: u64, v: u64) { self.m[k] = v; }\n    invariant \"under the cap\" {\n        let mut total: u64 = 0;\n        for (_, v) in self.m {\n            assert(total + v <= self.cap);\n            total += v;\n        }\n    }\n}\n",
            "a loop that changes what is outside it or returns",
        ),
        (
            "contract E {\n    storage { n: Map<u64, Map<u64, u64>> }\n    init() {}\n    pub fn f() { self.n[1] = Map::new(); }\n    invariant \"not empty\" {\n        assert(self.n.get(1) != Some(Map::new()));\n    }\n}\n",
            "`!=` on `Option<Map<u64, u64>>`",
        ),
    ];
    for (source, what) in cases {
        let obligations = check(source).unwrap();
        assert!(!obligations.is_empty(), "{source}");
        for o in &obligations {
            let Verdict::Refused(r) = &o.verdict else { panic!("{source}\n{obligations:?}") };
            assert_eq!(r.what, what, "{source}");
        }
    }
}

// An entry point beyond the encoding (a `while` whose condition calls a
// function) keeps every
// invariant that reads nothing it can write — directly, through a function
// it calls, or through roles — and only those (the frame rule); one that
// reads the call's context (`caller()`) is never kept that way.
#[test]
fn an_unreadable_entry_point_keeps_what_it_cannot_write() {
    if !z3() {
        return;
    }
    let source = "contract F {\n    roles { Clerk }\n    storage { a: u64, b: u64, c: Map<u64, u64> }\n    init() {\n        let mut i = 0;\n        while more(i, 2) { i += 1; }\n    }\n    pub fn spin(n: u64) {\n        let mut i = 0;\n        while more(i, n) { i += 1; }\n        self.b = i;\n        bump(n);\n    }\n    pub fn hire(who: Address) {\n        let mut i = 0;\n        while more(i, 3) { i += 1; }\n        grant(Clerk, who);\n    }\n    fn bump(k: u64) {\n        self.c.insert(k, 1);\n    }\n    invariant \"a is small\" { assert(self.a < 10); }\n    invariant \"b is small\" { assert(self.b < 10); }\n    invariant \"c holds ones\" {\n        for (_, v) in self.c { assert(v == 1); }\n    }\n    invariant \"nobody clerks\" { assert(!has_role(Clerk, account_zero())); }\n    invariant \"not called by zero\" { assert(caller() != account_zero()); }\n}\nfn account_zero() -> Address { return 0x0000000000000000000000000000000000000000; }\nfn more(i: u64, n: u64) -> bool { i < n }\n";
    let all = verdicts(&check(source).unwrap());
    let after = |f: &str, i: &str| all.iter().find(|(a, n, _)| a == f && n == i).map(|(_, _, v)| *v);
    // `init` is the base case: leaving `a` alone proves nothing of it.
    assert_eq!(after("init", "a is small"), Some("refused"), "{all:?}");
    assert_eq!(after("spin", "a is small"), Some("proved"), "{all:?}");
    assert_eq!(after("spin", "b is small"), Some("refused"), "{all:?}");
    assert_eq!(after("spin", "c holds ones"), Some("refused"), "{all:?}");
    assert_eq!(after("hire", "a is small"), Some("proved"), "{all:?}");
    assert_eq!(after("hire", "c holds ones"), Some("proved"), "{all:?}");
    assert_eq!(after("hire", "nobody clerks"), Some("refused"), "{all:?}");
    // What the call's context says is every call's own: never kept by the frame.
    assert_eq!(after("spin", "not called by zero"), Some("refused"), "{all:?}");
}

const CLINIC: &str = r#"
contract Clinic {
    storage {
        booked: Map<Address, u64>,
        seats: u64,
        capacity: u64,
        weighed: u64,
    }

    event Booked(who: Address);

    invariant "never over capacity" {
        assert(self.seats <= self.capacity);
    }

    invariant "every booking holds a seat" {
        for (_, n) in self.booked {
            assert(n > 0);
        }
    }

    invariant "weighed stays odd or zero" {
        assert(self.weighed == 0 || self.weighed % 2 == 1);
    }

    spec book_all {
        emits nothing;
    }

    init(capacity: u64) {
        self.capacity = capacity;
    }

    pub fn book_all(people: List<Address>) {
        for p in people {
            require(self.seats < self.capacity, "the clinic is full");
            self.seats += 1;
            self.booked[p] = self.booked.get(p).unwrap_or(0) + 1;
            emit Booked(p);
        }
    }

    pub fn check_all(people: List<Address>) -> u64 {
        for p in people {
            require(self.booked.contains(p), "not booked");
        }
        self.seats
    }

    pub fn weigh(xs: List<u64>) {
        let w = weight(xs);
        require(w % 2 == 1, "odd weights only");
        self.weighed = w;
    }
}

fn weight(xs: List<u64>) -> u64 {
    if xs.len() > 100 {
        return weight(xs);
    }
    7
}
"#;

// A loop in an entry point over elements not known where it starts is
// read by its last iteration: from a state that agrees with the one before
// the loop on all the body cannot write, where the body's first checks
// hold. So "never over capacity" is proved (the first check is the loop's
// invariant, and the VM checks it on every iteration); "every booking
// holds a seat" needs what no check says of the map, and is refused as
// not shown, never a counterexample (the state need not be reachable).
// A loop that only checks, every failure the same `require`, stays exact;
// a module's function the prover cannot read (recursion) returns any
// value of its type; and an `emit` in such a loop counts as reached
// whenever the loop runs, so `emits nothing` is never proved.
#[test]
fn loops_in_entry_points_are_read_by_their_last_iteration() {
    if !z3() {
        return;
    }
    let all = verdicts(&check(CLINIC).unwrap());
    let of = |after: &str, inv: &str| {
        all.iter().find(|(a, i, _)| a == after && i == inv).map(|(_, _, v)| *v).unwrap_or("missing")
    };
    assert_eq!(of("book_all", "never over capacity"), "proved", "{all:?}");
    assert_eq!(of("book_all", "every booking holds a seat"), "refused", "{all:?}");
    assert_eq!(of("check_all", "every booking holds a seat"), "proved", "{all:?}");
    assert_eq!(of("weigh", "weighed stays odd or zero"), "proved", "{all:?}");
    assert!(!all.iter().any(|(_, _, v)| *v == "counterexample"), "{all:?}");

    let mut solver = common::solver().expect("z3");
    let analysis = Analysis::single("t.writ", CLINIC);
    let ItemKind::Contract(contract) = &analysis.user_files()[0].parsed.tree.items[0].kind else { panic!() };
    let func = |name: &str| {
        contract
            .members
            .iter()
            .find_map(|m| match &m.kind {
                writ_compiler::ast::MemberKind::Fn(f) if f.name.name == name => Some(f),
                _ => None,
            })
            .unwrap()
    };
    let fields = writ_prover::invariant::storage_fields(&analysis, FileId(0), contract);
    let encoded = |solver: &mut writ_prover::Solver, name: &str| {
        let storage = writ_prover::invariant::initial_storage(solver, &analysis, &fields).unwrap();
        let prefix = format!("{name}_");
        writ_prover::body::encode_call(solver, &analysis, FileId(0), func(name), &prefix, storage).unwrap()
    };
    let book = encoded(&mut solver, "book_all");
    assert_eq!(book.approximations.len(), 1, "{:?}", book.approximations);
    assert_eq!(book.approximations[0].what, "a loop read by its last iteration");
    assert!(encoded(&mut solver, "check_all").approximations.is_empty());
    let weigh = encoded(&mut solver, "weigh");
    assert!(
        weigh.approximations[0].what.starts_with("a call read by its result's type alone (recursive calls")
    );

    let clauses =
        writ_prover::spec::check_specs(&mut solver, &analysis, FileId(0), contract, Budget::default())
            .unwrap();
    assert_eq!(clauses.len(), 1);
    assert!(matches!(clauses[0].verdict, Verdict::Refused(_)), "{clauses:?}");
}

/// A dividend split whose loop has the invariant `invariant` and whose
/// body declares each part as it becomes owed when `declares` (else after
/// the loop).
fn dividends(invariant: &str, declares: bool) -> String {
    let (inside, after) =
        if declares { ("self.declared += part;", "") } else { ("", "self.declared += total;") };
    format!(
        "contract D {{\n    storage {{ owed: Map<Address, Decimal>, declared: Decimal, claimed: Decimal }}\n    init() {{}}\n    invariant \"claimed is never negative\" {{ assert(self.claimed >= 0.00); }}\n    invariant \"declared is claimed or owed\" {{ assert_eq(self.declared, self.claimed + self.total_owed()); }}\n    pub fn declare(holders: List<Address>, parts: List<Decimal>, total: Decimal) {{\n        let mut added = 0.00;\n        for i in 0..holders.len() {{\n            invariant {invariant};\n            let part = parts[i];\n            require(part >= 0.00, \"no part is negative\");\n            let holder = holders[i];\n            self.owed[holder] = self.owed.get(holder).unwrap_or(0.00) + part;\n            {inside}\n            added += part;\n        }}\n        require(added == total, \"the parts add up\");\n        {after}\n    }}\n    fn total_owed() -> Decimal {{\n        let mut sum = 0.00;\n        for (_, amount) in self.owed {{\n            require(amount >= 0.00, \"never negative\");\n            sum += amount;\n        }}\n        sum\n    }}\n}}\n"
    )
}

// A loop invariant is shown to hold where its loop starts and to be kept
// by every iteration (from any state where it holds, the loop variable one
// further), and only then do proofs about the call rest on it: the
// dividend split is proved with the right one; one an iteration does not
// keep (the part declared after the loop), one false where the loop
// starts, and `false` itself each leave the invariant that needs them
// refused, named, never proved; what the call cannot write is still kept.
#[test]
fn loop_invariants_hold_where_the_loop_starts_and_every_iteration_keeps_them() {
    if !z3() {
        return;
    }
    let right = "self.declared == self.claimed + self.total_owed()";
    let all = verdicts(&check(&dividends(right, true)).unwrap());
    assert!(all.iter().all(|(_, _, v)| *v == "proved"), "{all:?}");
    let cases = [
        (dividends(right, false), "a loop invariant that an iteration may not keep"),
        (
            dividends("self.declared == 0.00", true),
            "a loop invariant that may not hold where its loop starts",
        ),
        (dividends("false", true), "a loop invariant that may not hold where its loop starts"),
    ];
    for (source, what) in cases {
        let obligations = check(&source).unwrap();
        let found =
            |inv: &str| obligations.iter().find(|o| o.after == "declare" && o.invariant == inv).unwrap();
        let Verdict::Refused(r) = &found("declared is claimed or owed").verdict else {
            panic!("{what}: {:?}", verdicts(&obligations))
        };
        assert_eq!(r.what, what);
        // Named at the loop invariant's condition.
        let condition = source.split("            invariant ").nth(1).unwrap().split(';').next().unwrap();
        assert!(source[r.span.lo as usize..].starts_with(condition), "{what}");
        assert_eq!(found("claimed is never negative").verdict, Verdict::Proved);
    }
}

// A `while` in an entry point is read like a `for` by its last iteration:
// the condition held at its start and fails after it; the first `require`
// of the body holds in the state after it. So a fill loop that checks the
// capacity first keeps "never over capacity", and one that does not is
// not shown to (never a counterexample). A loop invariant on a counter
// (`i <= n`) is proved where the loop starts and kept; one that is false
// (`i < n`, broken by the last iteration) is not shown kept. A condition
// that calls a function is refused by name.
#[test]
fn while_loops_in_entry_points_are_read_by_their_last_iteration() {
    if !z3() {
        return;
    }
    let fill = |check: &str, invariant: &str, cond: &str| {
        format!(
            "contract F {{\n    storage {{ count: u64, cap: u64 }}\n    init(cap: u64) {{ self.cap = cap; }}\n    invariant \"never over capacity\" {{ assert(self.count <= self.cap); }}\n    pub fn fill(n: u64) {{\n        let mut i: u64 = 0;\n        while {cond} {{\n            {invariant}\n            {check}\n            self.count += 1;\n            i += 1;\n        }}\n    }}\n    fn more(i: u64, n: u64) -> bool {{ i < n }}\n}}\n"
        )
    };
    let checked = "require(self.count < self.cap, \"full\");";
    let of = |source: &str| {
        verdicts(&check(source).unwrap())
            .into_iter()
            .find(|(after, _, _)| after == "fill")
            .map(|(_, _, v)| v)
            .unwrap()
    };
    assert_eq!(of(&fill(checked, "", "i < n")), "proved");
    assert_eq!(of(&fill("", "", "i < n")), "refused");
    assert_eq!(of(&fill(checked, "invariant i <= n;", "i < n")), "proved");
    let source = fill(checked, "invariant i < n;", "i < n");
    let obligations = check(&source).unwrap();
    let Verdict::Refused(r) = &obligations.iter().find(|o| o.after == "fill").unwrap().verdict else {
        panic!("{:?}", verdicts(&obligations))
    };
    assert_eq!(r.what, "a loop invariant that an iteration may not keep");
    let source = fill(checked, "", "self.more(i, n)");
    let obligations = check(&source).unwrap();
    let Verdict::Refused(r) = &obligations.iter().find(|o| o.after == "fill").unwrap().verdict else {
        panic!("{:?}", verdicts(&obligations))
    };
    assert_eq!(r.what, "a `while` whose condition calls a function or changes state");
}

// Roles written in a loop or under an `if` (two states joined, each with
// its array of holders): `hire` keeps the invariant by its check;
// `hire_all` by its loop invariant over roles; `hire_any` checks nothing,
// and is not shown to keep it (never a counterexample: the search leaves
// out a loop read by its last iteration).
#[test]
fn roles_written_in_loops_and_branches() {
    if !z3() {
        return;
    }
    let source = "contract R {\n    roles { Clerk }\n    storage { banned: Address }\n\n    init(banned: Address) {\n        self.banned = banned;\n    }\n\n    invariant \"the banned address is never a clerk\" {\n        assert(!has_role(Clerk, self.banned));\n    }\n\n    pub fn hire_all(people: List<Address>) requires Admin {\n        for p in people {\n            invariant !has_role(Clerk, self.banned);\n            require(p != self.banned, \"banned\");\n            grant(Clerk, p);\n        }\n    }\n\n    pub fn hire(p: Address, ok: bool) requires Admin {\n        if ok {\n            require(p != self.banned, \"banned\");\n            grant(Clerk, p);\n        }\n    }\n\n    pub fn hire_any(people: List<Address>) requires Admin {\n        for p in people {\n            grant(Clerk, p);\n        }\n    }\n}\n";
    let all = verdicts(&check(source).unwrap());
    let after = |f: &str| all.iter().find(|(a, _, _)| a == f).map(|(_, _, v)| *v);
    assert_eq!(after("hire"), Some("proved"), "{all:?}");
    assert_eq!(after("hire_all"), Some("proved"), "{all:?}");
    assert_eq!(after("hire_any"), Some("refused"), "{all:?}");
}
