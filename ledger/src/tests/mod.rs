//! Tests of the store's internals that need the crate's private parts.

mod store_model;
