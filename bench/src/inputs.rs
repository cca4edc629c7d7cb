//! The workloads' sizes and inputs: generated from fixed seeds, so the three
//! engines see exactly the same data on every run and every machine.

/// 10^18: the raw value of 1 in Writ's Decimal, in the Solidity contract's
/// uint256 and in the native i128.
pub const SCALE: i128 = 1_000_000_000_000_000_000;
/// One cent in that scale.
pub const CENT: i128 = SCALE / 100;

/// How much work each workload does.
#[derive(Debug, Clone, Copy)]
pub struct Sizes {
    /// Timed runs per figure; the median is reported.
    pub runs: usize,
    /// Iterations of the checked loop (one call).
    pub spin: u64,
    pub accounts: usize,
    pub transfers: usize,
    pub incomes: usize,
    /// Incomes per call to `tax_all` / `taxAll`.
    pub incomes_per_call: usize,
    /// View calls on a reused instance (and on revm, one per transaction).
    pub views: usize,
    /// View calls on a fresh instance each.
    pub fresh_views: usize,
    /// SHA-256 computations of the record (one call).
    pub hashes: u64,
    /// Bytes of the evidence record.
    pub record_bytes: usize,
    /// Calls to another contract in one transaction (and as many within one).
    pub calls: u64,
}

impl Sizes {
    /// The published benchmark.
    pub const FULL: Sizes = Sizes {
        runs: 5,
        spin: 10_000_000,
        accounts: 1_000,
        transfers: 100_000,
        incomes: 1_000_000,
        incomes_per_call: 1_000,
        views: 1_000_000,
        fresh_views: 1_000_000,
        hashes: 100_000,
        record_bytes: 1_024,
        calls: 100_000,
    };

    /// A smoke run: every check, little work (the test suite runs it in
    /// the debug profile).
    pub const QUICK: Sizes = Sizes {
        runs: 1,
        spin: 20_000,
        accounts: 50,
        transfers: 500,
        incomes: 3_000,
        incomes_per_call: 500,
        views: 300,
        fresh_views: 30,
        hashes: 50,
        record_bytes: 1_024,
        calls: 200,
    };
}

/// SplitMix64: a small, well-mixed deterministic generator.
#[derive(Debug, Clone)]
pub struct Rng(u64);

impl Rng {
    pub fn new(seed: u64) -> Rng {
        Rng(seed)
    }

    pub fn next_u64(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    }

    /// A value in `0..bound` (`bound` > 0; the tiny modulo bias is
    /// irrelevant for benchmark inputs).
    pub fn below(&mut self, bound: u64) -> u64 {
        self.next_u64() % bound
    }
}

/// The address of account `k`: a fixed first byte (far from the EVM's
/// precompile addresses) and `k` in the last four bytes.
pub fn account(k: usize) -> [u8; 20] {
    let mut address = [0u8; 20];
    address[0] = 0xAC;
    address[16..].copy_from_slice(&(k as u32).to_be_bytes());
    address
}

/// Each account's balance before the transfers.
pub fn opening_balance(k: usize) -> u64 {
    1_000_000_000 + k as u64
}

/// One transfer: sender index, recipient index, amount.
#[derive(Debug, Clone, Copy)]
pub struct Transfer {
    pub from: usize,
    pub to: usize,
    pub amount: u64,
}

/// `count` transfers between distinct accounts, amounts 1 to 1 000 (never
/// more than a sender holds: balances start at 10^9).
pub fn transfers(count: usize, accounts: usize) -> Vec<Transfer> {
    let mut rng = Rng::new(0x7472_616E_7366_6572);
    (0..count)
        .map(|_| {
            let from = rng.below(accounts as u64) as usize;
            let to = (from + 1 + rng.below(accounts as u64 - 1) as usize) % accounts;
            Transfer { from, to, amount: 1 + rng.below(1_000) }
        })
        .collect()
}

/// The account whose balance the `i`th view call reads.
pub fn viewed(i: usize, accounts: usize) -> usize {
    (i * 7) % accounts
}

/// Bracket bounds in whole yuan, for spreading incomes over every bracket.
const BANDS: [i128; 9] = [0, 36_000, 144_000, 300_000, 420_000, 660_000, 960_000, 2_000_000, 10_000_000];

/// `count` annual incomes in whole cents (raw, scaled by 10^18): first the
/// edge cases (zero, a cent, the bracket bounds and a cent either side, a
/// half-cent tie after the 3 % rate), then incomes spread evenly over the
/// brackets, each uniform inside its bracket.
pub fn incomes(count: usize) -> Vec<i128> {
    let mut cents: Vec<i128> = vec![0, 1, 50, 150, 250, 99, 101];
    for bound in BANDS.iter().skip(1) {
        let at = bound * 100;
        cents.extend([at - 1, at, at + 1]);
    }
    let mut rng = Rng::new(0x696E_636F_6D65);
    while cents.len() < count {
        let band = rng.below(BANDS.len() as u64 - 1) as usize;
        let (low, high) = (BANDS[band] * 100, BANDS[band + 1] * 100);
        cents.push(low + i128::from(rng.below((high - low) as u64)));
    }
    cents.truncate(count);
    cents.into_iter().map(|c| c * CENT).collect()
}

/// A 1 KiB (or `bytes`-long) evidence record: a readable header, then
/// generated bytes standing in for the exhibit's metadata.
pub fn record(bytes: usize) -> Vec<u8> {
    let mut record = b"exhibit 2024-XJ-017; photo; seized 2024-03-11; custodian AC00000007; ".to_vec();
    let mut rng = Rng::new(0x6576_6964_656E_6365);
    while record.len() < bytes {
        record.extend(rng.next_u64().to_le_bytes());
    }
    record.truncate(bytes);
    record
}
