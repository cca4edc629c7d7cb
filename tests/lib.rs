//! End-to-end tests of the `writ` binary live in `tests/`; this library is
//! empty and exists so the folder is a workspace member.
