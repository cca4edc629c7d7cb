//! The genesis document of a network: the chain, its first time, its gas
//! bounds and its validators. Every node of a network starts from the same
//! file, and a verifier checks commit certificates against its validators.
//!
//! Invariant: a [`Genesis`] that parsed is usable as it is: at least one
//! validator, each with a distinct key and address, power at least 1, and
//! a total power that cannot overflow the two-thirds arithmetic.

use serde::{Deserialize, Serialize};

use crate::{Address, parse_hex, sha256};

/// The format tag every genesis document carries.
pub const GENESIS_FORMAT: &str = "writ-genesis/1";
/// Most validators a network may have: votes and certificates grow with
/// the set, and every node checks every vote.
pub const VALIDATORS_MAX: usize = 128;
/// Most bytes a genesis file may have.
pub const GENESIS_FILE_BYTES_MAX: usize = 256 * 1024;
/// The largest total voting power: small enough that three times it fits
/// in 64 bits, so the two-thirds test never overflows.
pub const TOTAL_POWER_MAX: u64 = u64::MAX / 4;

/// A validator as the genesis file names it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ValidatorEntry {
    /// The agency that runs it, for people ("Revenue Bureau").
    pub name: String,
    /// Its consensus key: an Ed25519 public key, 32 bytes of hex.
    pub public_key: String,
    /// Its voting power.
    pub power: u64,
    /// Where its peers reach it: `host:port` of its consensus listener.
    pub peer: String,
    /// Where its HTTP API listens (`host:port`): other nodes pass the
    /// transactions their clients submit on to it.
    pub api: String,
}

/// The genesis document as written.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct GenesisFile {
    /// Always [`GENESIS_FORMAT`].
    pub format: String,
    pub chain_id: String,
    /// Seconds since 1970-01-01 UTC: no block is earlier.
    pub time: i64,
    /// Every transaction's gas ceiling.
    pub tx_gas_limit_max: u64,
    /// Every block's gas limit.
    pub block_gas_limit: u64,
    pub validators: Vec<ValidatorEntry>,
}

/// One validator, checked.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Validator {
    pub name: String,
    pub public_key: [u8; 32],
    /// SHA-256 of the public key, first 20 bytes (the account address
    /// rule): how votes and certificates name it.
    pub address: Address,
    pub power: u64,
    pub peer: String,
    pub api: String,
}

/// A checked genesis.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Genesis {
    pub chain_id: String,
    pub time: i64,
    pub tx_gas_limit_max: u64,
    pub block_gas_limit: u64,
    /// In the file's order, which is the proposer rotation's order.
    pub validators: Vec<Validator>,
    /// SHA-256 of the file's bytes: nodes with different files refuse to
    /// talk to each other.
    pub hash: [u8; 32],
}

/// Why a genesis document is refused.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("the genesis document is refused: {0}")]
pub struct GenesisError(pub String);

fn refuse(why: impl Into<String>) -> GenesisError {
    GenesisError(why.into())
}

/// The address of a consensus key: the same rule as account addresses.
pub fn validator_address(public_key: &[u8; 32]) -> Address {
    let digest = sha256(public_key);
    let mut address = [0u8; 20];
    address.copy_from_slice(&digest[..20]);
    address
}

/// `host:port` split, the port a number (an IPv6 host in brackets).
pub fn split_host_port(address: &str) -> Option<(&str, u16)> {
    let (host, port) = address.rsplit_once(':')?;
    let host = host.strip_prefix('[').and_then(|h| h.strip_suffix(']')).unwrap_or(host);
    let port = port.parse().ok()?;
    (!host.is_empty()).then_some((host, port))
}

impl Genesis {
    /// Parses and checks a genesis file's bytes.
    pub fn parse(bytes: &[u8]) -> Result<Genesis, GenesisError> {
        if bytes.len() > GENESIS_FILE_BYTES_MAX {
            return Err(refuse(format!("it is {} bytes; at most {GENESIS_FILE_BYTES_MAX}", bytes.len())));
        }
        let file: GenesisFile = serde_json::from_slice(bytes).map_err(|e| refuse(e.to_string()))?;
        Genesis::check(file, sha256(bytes))
    }

    fn check(file: GenesisFile, hash: [u8; 32]) -> Result<Genesis, GenesisError> {
        if file.format != GENESIS_FORMAT {
            return Err(refuse(format!(
                "its format is `{}`; this node reads `{GENESIS_FORMAT}`",
                file.format
            )));
        }
        if file.chain_id.is_empty() || file.chain_id.len() > 64 {
            return Err(refuse("the chain id must be 1 to 64 characters"));
        }
        if file.tx_gas_limit_max == 0 || file.block_gas_limit < file.tx_gas_limit_max {
            return Err(refuse(
                "the block gas limit must be at least the transaction gas ceiling, which is at least 1",
            ));
        }
        if file.validators.is_empty() || file.validators.len() > VALIDATORS_MAX {
            return Err(refuse(format!("it must name 1 to {VALIDATORS_MAX} validators")));
        }
        let mut validators: Vec<Validator> = Vec::with_capacity(file.validators.len());
        let mut total: u64 = 0;
        for (n, entry) in file.validators.into_iter().enumerate() {
            let which = format!("validator {n} (`{}`)", entry.name);
            let public_key = parse_hex::<32>(&entry.public_key)
                .ok_or_else(|| refuse(format!("{which}: the public key is not 32 bytes of hex")))?;
            if ed25519_zebra::VerificationKey::try_from(public_key).is_err() {
                return Err(refuse(format!("{which}: the public key is not an Ed25519 point")));
            }
            if entry.power == 0 {
                return Err(refuse(format!("{which}: its power must be at least 1")));
            }
            total = total
                .checked_add(entry.power)
                .filter(|total| *total <= TOTAL_POWER_MAX)
                .ok_or_else(|| refuse(format!("the total power exceeds {TOTAL_POWER_MAX}")))?;
            if entry.name.trim().is_empty() || entry.peer.trim().is_empty() || entry.api.trim().is_empty() {
                return Err(refuse(format!(
                    "validator {n}: it needs a name, a peer address and an API address"
                )));
            }
            for (what, address) in [("peer", &entry.peer), ("API", &entry.api)] {
                if split_host_port(address).is_none() {
                    return Err(refuse(format!("{which}: its {what} address `{address}` is not host:port")));
                }
            }
            let address = validator_address(&public_key);
            if validators.iter().any(|v| v.address == address) {
                return Err(refuse(format!("{which}: its key is listed twice")));
            }
            if validators.iter().any(|v| v.peer == entry.peer) {
                return Err(refuse(format!("{which}: its peer address `{}` is listed twice", entry.peer)));
            }
            validators.push(Validator {
                name: entry.name,
                public_key,
                address,
                power: entry.power,
                peer: entry.peer,
                api: entry.api,
            });
        }
        Ok(Genesis {
            chain_id: file.chain_id,
            time: file.time,
            tx_gas_limit_max: file.tx_gas_limit_max,
            block_gas_limit: file.block_gas_limit,
            validators,
            hash,
        })
    }

    /// The sum of every validator's power.
    pub fn total_power(&self) -> u64 {
        self.validators.iter().map(|v| v.power).sum()
    }

    /// The validator with this address.
    pub fn validator(&self, address: &Address) -> Option<&Validator> {
        self.validators.iter().find(|v| &v.address == address)
    }

    /// Whether `power` is more than two thirds of the total.
    pub fn is_quorum(&self, power: u64) -> bool {
        // Both sides fit: the total is at most u64::MAX / 4.
        power.saturating_mul(3) > self.total_power().saturating_mul(2)
    }
}

impl GenesisFile {
    /// The file's JSON, as `writ net init` writes it.
    pub fn to_json(&self) -> String {
        // A struct of strings and integers always serialises.
        serde_json::to_string_pretty(self).unwrap_or_default()
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]

    use super::*;

    fn key(n: u8) -> String {
        let secret = ed25519_zebra::SigningKey::from([n; 32]);
        hex::encode(<[u8; 32]>::from(ed25519_zebra::VerificationKey::from(&secret)))
    }

    fn file(validators: Vec<ValidatorEntry>) -> GenesisFile {
        GenesisFile {
            format: GENESIS_FORMAT.into(),
            chain_id: "consortium".into(),
            time: 1_700_000_000,
            tx_gas_limit_max: 1_000,
            block_gas_limit: 10_000,
            validators,
        }
    }

    fn entry(n: u8, power: u64) -> ValidatorEntry {
        ValidatorEntry {
            name: format!("agency {n}"),
            public_key: key(n),
            power,
            peer: format!("127.0.0.1:{}", 9000 + n as u16),
            api: format!("127.0.0.1:{}", 8000 + n as u16),
        }
    }

    #[test]
    fn a_good_genesis_parses_and_counts_quorums() {
        let text = file(vec![entry(1, 1), entry(2, 1), entry(3, 1), entry(4, 1)]).to_json();
        let genesis = Genesis::parse(text.as_bytes()).unwrap();
        assert_eq!(genesis.total_power(), 4);
        assert!(!genesis.is_quorum(2));
        assert!(genesis.is_quorum(3));
        assert_eq!(genesis.hash, sha256(text.as_bytes()));
        let first = &genesis.validators[0];
        assert_eq!(genesis.validator(&first.address).unwrap().name, "agency 1");
    }

    #[test]
    fn bad_documents_are_refused_with_the_reason() {
        let cases: Vec<(GenesisFile, &str)> = vec![
            (file(vec![]), "1 to 128 validators"),
            (file(vec![entry(1, 0)]), "power must be at least 1"),
            (file(vec![entry(1, 1), entry(1, 1)]), "listed twice"),
            (file(vec![entry(1, u64::MAX / 2)]), "total power"),
            (
                file(vec![ValidatorEntry { public_key: "00".repeat(31), ..entry(1, 1) }]),
                "not 32 bytes of hex",
            ),
            (GenesisFile { format: "writ-genesis/9".into(), ..file(vec![entry(1, 1)]) }, "writ-genesis/1"),
            (GenesisFile { block_gas_limit: 10, ..file(vec![entry(1, 1)]) }, "block gas limit"),
            (file(vec![ValidatorEntry { peer: "nowhere".into(), ..entry(1, 1) }]), "not host:port"),
        ];
        for (file, why) in cases {
            let error = Genesis::parse(file.to_json().as_bytes()).unwrap_err();
            assert!(error.to_string().contains(why), "{error} should say {why}");
        }
        for junk in [&b""[..], b"{}", b"[1,2]", &[0xff; 10]] {
            assert!(Genesis::parse(junk).is_err());
        }
        let huge = vec![b' '; GENESIS_FILE_BYTES_MAX + 1];
        assert!(Genesis::parse(&huge).unwrap_err().to_string().contains("bytes"));
    }
}
