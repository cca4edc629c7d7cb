//! Latency benchmark placeholder.
fn main() {}
