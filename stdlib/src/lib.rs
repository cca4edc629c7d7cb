//! The Writ standard library, written in Writ and embedded here so the
//! compiler can resolve `use std::…` without reading files.
//!
//! Invariant: data only. Each module is one `.writ` file under `std/`,
//! looked up by its path (`std::tax`).

/// Every standard library module: its path and its source text.
pub const MODULES: &[(&str, &str)] = &[
    ("std::tax", include_str!("../std/tax.writ")),
    ("std::money", include_str!("../std/money.writ")),
    ("std::time", include_str!("../std/time.writ")),
    ("std::evidence", include_str!("../std/evidence.writ")),
    ("std::access", include_str!("../std/access.writ")),
];

/// The source of a standard library module, by path such as `std::tax`.
pub fn module(path: &str) -> Option<&'static str> {
    MODULES.iter().find(|(name, _)| *name == path).map(|(_, source)| *source)
}
