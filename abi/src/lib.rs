//! What the compiler and the VM share: the artifact format, ABI types, the
//! canonical value encoding and the names of host imports.
//!
//! Invariant: depends on no other workspace crate.
