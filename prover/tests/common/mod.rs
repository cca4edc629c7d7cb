//! What the prover's test files share: starting a solver, and one solver
//! per test binary.
#![allow(dead_code)]

use std::sync::{Mutex, MutexGuard, OnceLock};

use writ_prover::{Budget, Solver, SolverError};

/// A new session; `None` when Z3 is not installed (allowed outside CI
/// only, where `.ci/run` installs it).
pub fn start(replay: Option<&std::path::Path>) -> Option<Solver> {
    match Solver::start(Budget::default(), replay) {
        Ok(solver) => Some(solver),
        Err(e @ SolverError::NotInstalled(_)) => {
            assert!(std::env::var_os("CI").is_none(), "{e}");
            eprintln!("skipped: {e}");
            None
        }
        Err(e) => panic!("{e}"),
    }
}

/// The binary's shared session.
pub fn solver() -> Option<MutexGuard<'static, Solver>> {
    static CELL: OnceLock<Option<Mutex<Solver>>> = OnceLock::new();
    let cell = CELL.get_or_init(|| start(None).map(Mutex::new));
    cell.as_ref().map(|m| m.lock().unwrap_or_else(std::sync::PoisonError::into_inner))
}
