//! One solver session: a Z3 process spoken to in SMT-LIB.
//!
//! Results must not depend on the machine's speed or load, so a query is
//! bounded by Z3's resource limit (`rlimit`, a count of its internal steps)
//! and never by wall-clock time, and the random seeds are fixed. The same
//! Z3 binary then gives the same answer to the same query on every run;
//! the version is part of what a report must state, since the count of
//! steps differs between versions (docs/research/prove-smt.md).

use std::path::Path;

use easy_smt::{Context, ContextBuilder, Response, SExpr};

/// The solver program, found on `PATH`.
pub const Z3: &str = "z3";

/// How much work one `check-sat` may do, in Z3's resource units.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Budget(pub u64);

impl Default for Budget {
    /// About a second of work on this project's machines for a
    /// hard query; simple ones use a few thousand units.
    fn default() -> Budget {
        Budget(5_000_000)
    }
}

/// What a `check-sat` answered.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Answer {
    Sat,
    Unsat,
    /// The budget was spent (or the solver gave up) before an answer.
    Unknown,
}

#[derive(Debug)]
pub enum SolverError {
    /// No `z3` could be started.
    NotInstalled(std::io::Error),
    /// The solver process failed or said something unexpected.
    Io(std::io::Error),
    /// A value in a model was not a numeral of the expected range.
    BadValue(String),
}

impl std::fmt::Display for SolverError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            SolverError::NotInstalled(e) => write!(
                f,
                "cannot start `{Z3}` ({e}); install Z3 (Debian's `z3` package; `.ci/run` installs it)"
            ),
            SolverError::Io(e) => write!(f, "the solver failed: {e}"),
            SolverError::BadValue(v) => write!(f, "the solver returned `{v}` where a number was expected"),
        }
    }
}

impl std::error::Error for SolverError {}

impl From<std::io::Error> for SolverError {
    fn from(e: std::io::Error) -> SolverError {
        SolverError::Io(e)
    }
}

/// A running solver with this project's settings.
pub struct Solver {
    ctx: Context,
    version: String,
    budget: Budget,
    /// How many scopes are open.
    depth: usize,
    /// Each datatype declared, with the scope depth it was declared at (a
    /// `pop` forgets those of the scope it closes, as the solver does).
    datatypes: Vec<(String, usize)>,
    /// Whether a query ran out of budget in a way that leaves Z3 unable
    /// to go on (it then refuses every `push`) until the session is reset.
    canceled: bool,
}

impl std::fmt::Debug for Solver {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Solver").field("version", &self.version).finish_non_exhaustive()
    }
}

impl Solver {
    /// Starts Z3 with fixed seeds and `budget` per query; with `replay`,
    /// every command sent is also written to that file (`--dump-smt`).
    pub fn start(budget: Budget, replay: Option<&Path>) -> Result<Solver, SolverError> {
        let version = z3_version()?;
        let mut builder = ContextBuilder::new();
        builder.with_z3_defaults();
        if let Some(path) = replay {
            let file = std::fs::File::create(path)?;
            builder.replay_file(Some(Box::new(std::io::BufWriter::new(file))));
        }
        let ctx = builder.build().map_err(SolverError::NotInstalled)?;
        let mut solver = Solver { ctx, version, budget, depth: 0, datatypes: Vec::new(), canceled: false };
        solver.settings()?;
        Ok(solver)
    }

    /// The seeds and the budget, at the start and after a reset.
    fn settings(&mut self) -> Result<(), SolverError> {
        for seed in [":smt.random_seed", ":sat.random_seed"] {
            let zero = self.ctx.numeral(0);
            self.ctx.set_option(seed, zero)?;
        }
        self.set_limit(self.budget)
    }

    /// Whether the session is stopped by a query that ran out of budget
    /// (Z3 4.8 then refuses every `push` until `(reset)`): until the scopes
    /// are closed back to none ([`Solver::pop_to`]), every query answers
    /// `Unknown` without being asked.
    pub fn is_canceled(&self) -> bool {
        self.canceled
    }

    /// Forgets everything declared and asserted, and the stopped state.
    fn reset(&mut self) -> Result<(), SolverError> {
        let reset = self.ctx.list(vec![self.ctx.atom("reset")]);
        self.ctx.raw_send(reset)?;
        let reply = self.ctx.raw_recv()?;
        if reply != self.ctx.atom("success") {
            let text = self.ctx.display(reply).to_string();
            return Err(SolverError::Io(std::io::Error::other(format!("`(reset)` answered {text}"))));
        }
        self.depth = 0;
        self.datatypes.clear();
        self.canceled = false;
        self.settings()
    }

    /// Z3 applies the limit to each command's own work (its count of steps
    /// runs on across the session, the limit does not), so one session
    /// serves many queries. A tiny limit would also cancel `push` and
    /// `assert`, so a query's own budget is set around its `check-sat` only
    /// ([`Solver::check_within`]).
    fn set_limit(&mut self, budget: Budget) -> Result<(), SolverError> {
        let limit = self.ctx.numeral(budget.0);
        Ok(self.ctx.set_option(":rlimit", limit)?)
    }

    /// Declares a fresh integer constant.
    pub fn int_const(&mut self, name: &str) -> Result<SExpr, SolverError> {
        let sort = self.ctx.int_sort();
        Ok(self.ctx.declare_const(name, sort)?)
    }

    /// The solver's own version line, e.g. `Z3 version 4.8.12 - 64 bit`.
    pub fn version(&self) -> &str {
        &self.version
    }

    /// The term builder and the session, for encoders.
    pub fn ctx(&mut self) -> &mut Context {
        &mut self.ctx
    }

    /// `check-sat` within the session's budget.
    pub fn check(&mut self) -> Result<Answer, SolverError> {
        let answer = self.check_sat()?;
        self.probe_after(answer)?;
        Ok(answer)
    }

    /// After an `Unknown` not already known to have stopped the session,
    /// whether it did (asked under the session's own limit: an empty
    /// scope under a spent query's tiny one would fail by itself).
    fn probe_after(&mut self, answer: Answer) -> Result<(), SolverError> {
        if answer == Answer::Unknown && !self.canceled {
            self.canceled = !self.answers()?;
        }
        Ok(())
    }

    fn check_sat(&mut self) -> Result<Answer, SolverError> {
        if self.canceled {
            return Ok(Answer::Unknown);
        }
        let answer = match self.ctx.check()? {
            Response::Sat => Answer::Sat,
            Response::Unsat => Answer::Unsat,
            Response::Unknown => Answer::Unknown,
        };
        if answer == Answer::Unknown {
            let key = self.ctx.atom(":reason-unknown");
            let info = self.ctx.list(vec![self.ctx.atom("get-info"), key]);
            self.ctx.raw_send(info)?;
            let reply = self.ctx.raw_recv()?;
            self.canceled = self.ctx.display(reply).to_string().contains("canceled");
        }
        Ok(answer)
    }

    /// Whether the solver still takes commands. Z3 4.8 can give up with a
    /// reason other than "canceled" (`unknown`, incomplete quantifiers)
    /// after its step limit was reached, and then refuses the next `push`
    /// or `pop` with an error; an empty scope opened and closed asks
    /// without changing anything.
    fn answers(&mut self) -> Result<bool, SolverError> {
        let push = self.ctx.list(vec![self.ctx.atom("push")]);
        self.ctx.raw_send(push)?;
        if self.ctx.raw_recv()? != self.ctx.atom("success") {
            return Ok(false);
        }
        let pop = self.ctx.list(vec![self.ctx.atom("pop")]);
        self.ctx.raw_send(pop)?;
        Ok(self.ctx.raw_recv()? == self.ctx.atom("success"))
    }

    /// `check-sat` within `budget`, the session's budget restored after.
    pub fn check_within(&mut self, budget: Budget) -> Result<Answer, SolverError> {
        self.set_limit(budget)?;
        let answer = self.check_sat();
        let restored = self.set_limit(self.budget);
        let answer = answer?;
        restored?;
        self.probe_after(answer)?;
        Ok(answer)
    }

    /// Opens a scope: assertions until the matching [`Solver::pop`] are
    /// forgotten then.
    pub fn push(&mut self) -> Result<(), SolverError> {
        if !self.canceled {
            self.ctx.push()?;
        }
        self.depth += 1;
        Ok(())
    }

    pub fn pop(&mut self) -> Result<(), SolverError> {
        self.depth = self.depth.saturating_sub(1);
        if self.canceled {
            // Nothing is popped in the solver: what it declared stays.
            return Ok(());
        }
        self.ctx.pop()?;
        let depth = self.depth;
        self.datatypes.retain(|(_, at)| *at <= depth);
        Ok(())
    }

    /// How many scopes are open.
    pub fn depth(&self) -> usize {
        self.depth
    }

    /// Closes scopes until `depth` are open: after an encoding stopped
    /// half-way (a construct refused), so the next one starts clean.
    /// A stopped session is reset once all its scopes are closed.
    pub fn pop_to(&mut self, depth: usize) -> Result<(), SolverError> {
        while self.depth > depth {
            self.pop()?;
        }
        if self.canceled {
            if depth > 0 {
                return Err(SolverError::Io(std::io::Error::other(
                    "a query ran out of budget inside scopes that cannot be reset",
                )));
            }
            self.reset()?;
        }
        Ok(())
    }

    /// Whether datatype `name` is declared in the open scopes.
    pub fn has_datatype(&self, name: &str) -> bool {
        self.datatypes.iter().any(|(n, _)| n == name)
    }

    /// Declares datatype `name` with its constructors `decl`, once per
    /// scope that can see it.
    pub fn declare_datatype(&mut self, name: &str, decl: SExpr) -> Result<SExpr, SolverError> {
        if !self.has_datatype(name) {
            self.ctx.declare_datatype(name, decl)?;
            self.datatypes.push((name.to_string(), self.depth));
        }
        Ok(self.ctx.atom(name))
    }

    pub fn assert(&mut self, term: SExpr) -> Result<(), SolverError> {
        if self.canceled {
            return Ok(());
        }
        Ok(self.ctx.assert(term)?)
    }

    /// Z3's count of its own steps so far in this session: the same
    /// queries in the same order on the same Z3 give the same count, so it
    /// is the measure of a proof's cost that reports can state.
    pub fn steps(&mut self) -> Result<u64, SolverError> {
        let key = self.ctx.atom(":rlimit");
        let info = self.ctx.list(vec![self.ctx.atom("get-info"), key]);
        self.ctx.raw_send(info)?;
        let reply = self.ctx.raw_recv()?;
        let text = self.ctx.display(reply).to_string();
        // `(:rlimit 848)`
        text.trim_start_matches('(')
            .trim_end_matches(')')
            .split_whitespace()
            .nth(1)
            .and_then(|n| n.parse().ok())
            .ok_or(SolverError::BadValue(text))
    }

    /// The model's value of an integer term as decimal text, after a
    /// `Sat` answer.
    pub fn int_value(&mut self, term: SExpr) -> Result<String, SolverError> {
        let value = self.value(term)?;
        crate::int::read_numeral(&self.ctx, value)
            .ok_or_else(|| SolverError::BadValue(self.ctx.display(value).to_string()))
    }

    /// The model's value of a string term, after a `Sat` answer: Z3's
    /// literal decoded (`""` is a quote; `\u{..}`, `\u....` and `\x..`
    /// are characters by their code).
    pub fn string_value(&mut self, term: SExpr) -> Result<String, SolverError> {
        // Character by character: easy-smt's reader of a whole model value
        // cannot take Z3's `""` (a quote in a string), and fails hard.
        let len = self.ctx.list(vec![self.ctx.atom("str.len"), term]);
        let shown = self.int_value(len)?;
        let len: u32 = match shown.parse() {
            Ok(len) if len <= MOST_CHARACTERS => len,
            _ => return Err(SolverError::BadValue(format!("a string of {shown} characters"))),
        };
        let mut out = String::new();
        for i in 0..len {
            let at = self.ctx.list(vec![self.ctx.atom("str.at"), term, self.ctx.numeral(i)]);
            let code = self.ctx.list(vec![self.ctx.atom("str.to_code"), at]);
            let shown = self.int_value(code)?;
            let c = shown.parse().ok().and_then(char::from_u32);
            out.push(c.ok_or(SolverError::BadValue(format!("the character {shown}")))?);
        }
        Ok(out)
    }

    /// The model's value of a Boolean term, after a `Sat` answer.
    pub fn bool_value(&mut self, term: SExpr) -> Result<bool, SolverError> {
        let value = self.value(term)?;
        if value == self.ctx.true_() {
            Ok(true)
        } else if value == self.ctx.false_() {
            Ok(false)
        } else {
            Err(SolverError::BadValue(self.ctx.display(value).to_string()))
        }
    }

    fn value(&mut self, term: SExpr) -> Result<SExpr, SolverError> {
        let pairs = self.ctx.get_value(vec![term])?;
        pairs
            .first()
            .map(|(_, value)| *value)
            .ok_or_else(|| SolverError::BadValue("an empty model".to_string()))
    }
}

/// The longest string read back from a model.
const MOST_CHARACTERS: u32 = 4096;

fn z3_version() -> Result<String, SolverError> {
    let output =
        std::process::Command::new(Z3).arg("--version").output().map_err(SolverError::NotInstalled)?;
    Ok(String::from_utf8_lossy(&output.stdout).trim().to_string())
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used, clippy::panic)]
    use super::{Answer, Budget, Solver, SolverError};

    // A model's string is read back character by character, quotes and
    // characters beyond ASCII included (reading it whole once failed on a
    // quote inside easy-smt).
    #[test]
    fn strings_with_quotes_are_read_back() {
        let mut solver = match Solver::start(Budget::default(), None) {
            Ok(solver) => solver,
            Err(e @ SolverError::NotInstalled(_)) => {
                assert!(std::env::var_os("CI").is_none(), "{e}");
                return;
            }
            Err(e) => panic!("{e}"),
        };
        let ctx = solver.ctx();
        let sort = ctx.atom("String");
        let s = ctx.declare_const("s", sort).unwrap();
        let ctx = solver.ctx();
        let literal = ctx.atom("\"say \"\"hi\"\" \\u{e9}\"");
        let same = ctx.eq(s, literal);
        solver.assert(same).unwrap();
        assert_eq!(solver.check().unwrap(), Answer::Sat);
        assert_eq!(solver.string_value(s).unwrap(), "say \"hi\" \u{e9}");
    }
}
