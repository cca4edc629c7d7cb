//! What the prover's test files share: one solver per test binary.

use std::sync::{Mutex, MutexGuard, OnceLock};

use writ_prover::{Budget, Solver, SolverError};

/// The binary's solver; `None` when Z3 is not installed (allowed outside
/// CI only, where `.ci/run` installs it).
pub fn solver() -> Option<MutexGuard<'static, Solver>> {
    static CELL: OnceLock<Option<Mutex<Solver>>> = OnceLock::new();
    let cell = CELL.get_or_init(|| match Solver::start(Budget::default(), None) {
        Ok(solver) => Some(Mutex::new(solver)),
        Err(e @ SolverError::NotInstalled(_)) => {
            assert!(std::env::var_os("CI").is_none(), "{e}");
            eprintln!("skipped: {e}");
            None
        }
        Err(e) => panic!("{e}"),
    });
    cell.as_ref().map(|m| m.lock().unwrap_or_else(std::sync::PoisonError::into_inner))
}
