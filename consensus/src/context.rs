//! Writ's types as Malachite sees them: heights, validator addresses, the
//! value a round decides (a block header, identified by its hash),
//! proposals, votes and the validator set from the genesis file.
//!
//! Invariant: the proposer of a height and round is a function of the
//! genesis order alone (round robin), so every node expects the same one.

use std::fmt;

use malachitebft_app_channel::app::types::core::{
    self as core, LinearTimeouts, NilOrVal, Round, SignedExtension, VoteType,
};
use writ_proof::Header;
use writ_proof::genesis::Genesis;

use crate::parts::ProposalPart;
use crate::signing::Ed25519;

/// A block height.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Height(pub u64);

impl fmt::Display for Height {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        self.0.fmt(f)
    }
}

impl core::Height for Height {
    const ZERO: Self = Height(0);
    const INITIAL: Self = Height(1);

    fn increment_by(&self, n: u64) -> Self {
        Height(self.0.saturating_add(n))
    }

    fn decrement_by(&self, n: u64) -> Option<Self> {
        self.0.checked_sub(n).map(Height)
    }

    fn as_u64(&self) -> u64 {
        self.0
    }
}

/// A validator's address: the first 20 bytes of SHA-256 of its key.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Address(pub [u8; 20]);

impl fmt::Display for Address {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&hex::encode(self.0))
    }
}

impl core::Address for Address {}

/// A block hash: what validators vote for.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct BlockHash(pub [u8; 32]);

impl fmt::Display for BlockHash {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&hex::encode(self.0))
    }
}

/// The value a round decides: a block's header. The transactions travel
/// in the proposal's parts; the header's transaction root commits to them.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Value(pub Header);

impl Value {
    pub fn hash(&self) -> BlockHash {
        BlockHash(self.0.hash())
    }
}

impl PartialOrd for Value {
    fn partial_cmp(&self, other: &Self) -> Option<std::cmp::Ordering> {
        Some(self.cmp(other))
    }
}

impl Ord for Value {
    fn cmp(&self, other: &Self) -> std::cmp::Ordering {
        self.hash().cmp(&other.hash())
    }
}

impl core::Value for Value {
    type Id = BlockHash;

    fn id(&self) -> BlockHash {
        self.hash()
    }
}

/// A validator of the genesis set.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Validator {
    pub address: Address,
    pub public_key: [u8; 32],
    pub power: u64,
}

impl core::Validator<WritContext> for Validator {
    fn address(&self) -> &Address {
        &self.address
    }

    fn public_key(&self) -> &[u8; 32] {
        &self.public_key
    }

    fn voting_power(&self) -> u64 {
        self.power
    }
}

/// The genesis validators, in the genesis file's order.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ValidatorSet {
    pub validators: Vec<Validator>,
}

impl ValidatorSet {
    pub fn from_genesis(genesis: &Genesis) -> ValidatorSet {
        ValidatorSet {
            validators: genesis
                .validators
                .iter()
                .map(|v| Validator { address: Address(v.address), public_key: v.public_key, power: v.power })
                .collect(),
        }
    }
}

impl core::ValidatorSet<WritContext> for ValidatorSet {
    fn count(&self) -> usize {
        self.validators.len()
    }

    fn total_voting_power(&self) -> u64 {
        self.validators.iter().map(|v| v.power).sum()
    }

    fn get_by_address(&self, address: &Address) -> Option<&Validator> {
        self.validators.iter().find(|v| &v.address == address)
    }

    fn get_by_index(&self, index: usize) -> Option<&Validator> {
        self.validators.get(index)
    }
}

/// A proposal: a header for a height and round, by its proposer.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Proposal {
    pub height: Height,
    pub round: Round,
    pub value: Value,
    pub pol_round: Round,
    pub proposer: Address,
}

impl core::Proposal<WritContext> for Proposal {
    fn height(&self) -> Height {
        self.height
    }

    fn round(&self) -> Round {
        self.round
    }

    fn value(&self) -> &Value {
        &self.value
    }

    fn take_value(self) -> Value {
        self.value
    }

    fn pol_round(&self) -> Round {
        self.pol_round
    }

    fn validator_address(&self) -> &Address {
        &self.proposer
    }
}

/// A prevote or precommit, for a block or for nothing (nil).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Vote {
    pub kind: VoteType,
    pub height: Height,
    pub round: Round,
    pub value: NilOrVal<BlockHash>,
    pub validator: Address,
}

impl core::Vote<WritContext> for Vote {
    fn height(&self) -> Height {
        self.height
    }

    fn round(&self) -> Round {
        self.round
    }

    fn value(&self) -> &NilOrVal<BlockHash> {
        &self.value
    }

    fn take_value(self) -> NilOrVal<BlockHash> {
        self.value
    }

    fn vote_type(&self) -> VoteType {
        self.kind
    }

    fn validator_address(&self) -> &Address {
        &self.validator
    }

    // Vote extensions stay disabled: a vote carries none.
    fn extension(&self) -> Option<&SignedExtension<WritContext>> {
        None
    }

    fn take_extension(&mut self) -> Option<SignedExtension<WritContext>> {
        None
    }

    fn extend(self, _extension: SignedExtension<WritContext>) -> Self {
        self
    }
}

static NOBODY: Validator = Validator { address: Address([0; 20]), public_key: [0; 32], power: 0 };

/// Writ's context: the chain id, which every signed message names.
#[derive(Clone, Debug)]
pub struct WritContext {
    pub chain_id: String,
}

impl core::Context for WritContext {
    type Address = Address;
    type Height = Height;
    type ProposalPart = ProposalPart;
    type Proposal = Proposal;
    type Validator = Validator;
    type ValidatorSet = ValidatorSet;
    type Timeouts = LinearTimeouts;
    type Value = Value;
    type Vote = Vote;
    type Extension = ();
    type SigningScheme = Ed25519;

    fn select_proposer<'a>(&self, set: &'a ValidatorSet, height: Height, round: Round) -> &'a Validator {
        let count = set.validators.len().max(1) as u64;
        let round = u64::from(round.as_u32().unwrap_or(0));
        let index = height.0.saturating_sub(1).wrapping_add(round) % count;
        // A validator set is never empty (genesis refuses one), so the
        // index is always in range; nobody (no power, no key) stands in
        // otherwise, and nobody's proposals never verify.
        set.validators.get(index as usize).unwrap_or(&NOBODY)
    }

    fn new_proposal(
        &self,
        height: Height,
        round: Round,
        value: Value,
        pol_round: Round,
        address: Address,
    ) -> Proposal {
        Proposal { height, round, value, pol_round, proposer: address }
    }

    fn new_prevote(
        &self,
        height: Height,
        round: Round,
        value: NilOrVal<BlockHash>,
        address: Address,
    ) -> Vote {
        Vote { kind: VoteType::Prevote, height, round, value, validator: address }
    }

    fn new_precommit(
        &self,
        height: Height,
        round: Round,
        value: NilOrVal<BlockHash>,
        address: Address,
    ) -> Vote {
        Vote { kind: VoteType::Precommit, height, round, value, validator: address }
    }
}
