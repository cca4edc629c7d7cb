//! Several Writ nodes agreeing on every block through Malachite, a
//! Byzantine-fault-tolerant consensus engine (Tendermint), driven through
//! its channel interface. Malachite brings the networking, the voting,
//! its write-ahead log and the sync of decided blocks; this crate brings
//! what the application decides: what a value is (a block header), how a
//! proposal travels and is judged (executed before anyone votes for it),
//! how messages are encoded and signed, and what a decided block becomes
//! (a stored block with its commit certificate).
//!
//! docs/consensus.md describes the design and its choices.

pub mod app;
pub mod codec;
pub mod context;
pub mod init;
pub mod links;
pub mod network;
pub mod parts;
pub mod relay;
pub mod signing;
pub mod testnet;
