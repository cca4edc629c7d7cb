//! The application side of Malachite's channel interface: what this node
//! does when consensus asks it for a value, hands it a proposal's parts,
//! or tells it a block was decided.
//!
//! Execute before voting: the proposer executes its block and puts the
//! resulting roots and gas in the header it proposes; every other node
//! executes the proposal's transactions itself and calls the proposal
//! invalid (so it prevotes nil) unless its header is exactly the same. A
//! decided block is stored with its commit certificate. A node catching up
//! gets decided blocks from peers (the engine checks their certificates
//! first) and executes them the same way; a block whose roots differ from
//! its certified header stops the node, which never serves a state that
//! diverged from the network's.
//!
//! Invariant: every body this node proposed or judged at the current
//! height is on disk before the reply that lets consensus act on it, so a
//! restarted node can commit whatever its log says was decided and never
//! proposes two different blocks for one round.

use std::collections::BTreeMap;
use std::path::PathBuf;
use std::sync::Arc;
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use bytes::Bytes;
use malachitebft_app_channel::app::engine::host::{HeightParams, Next, SyncedValueOutcome};
use malachitebft_app_channel::app::types::core::{
    CommitCertificate, CommitSignature, Context as _, ExtendedCommitCertificate, LinearTimeouts, Round,
    Validity,
};
use malachitebft_app_channel::app::types::streaming::StreamId;
use malachitebft_app_channel::app::types::sync::RawDecidedValue;
use malachitebft_app_channel::app::types::{LocallyProposedValue, ProposedValue};
use malachitebft_app_channel::{AppMsg, Channels, NetworkMsg};
use writ_ledger::chain::{Executed, LedgerError};
use writ_ledger::node::{NetworkStatus, Node};
use writ_ledger::tx::SignedTransaction;
use writ_proof::Header;
use writ_proof::certificate::{Certificate, CommitSignature as WritSignature};
use writ_proof::genesis::Genesis;

use crate::context::{Address, BlockHash, Height, ValidatorSet, Value, WritContext};
use crate::parts::{Assembled, ProposalPart, Streams, decode_body, encode_body, parts_sign_bytes, stream};
use crate::signing::WritSigner;

/// Deliberate faults, for tests of how the network copes with them.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Faults {
    /// Propose headers whose state root is wrong.
    pub wrong_state_root: bool,
    /// Publish parts whose body does not decode (signed all the same).
    pub junk_body: bool,
    /// Alter a client's transaction (its gas limit) without its signature,
    /// and propose a block that executes the altered one, its header true
    /// to it: only the signature check can catch it.
    pub forged_transaction: bool,
    /// Execute differently from everyone else (every result this node
    /// computes is off by one bit), as a node on a faulty build would.
    pub diverge: bool,
}

/// What the application loop needs.
pub struct AppConfig {
    pub genesis: Arc<Genesis>,
    pub node: Arc<Node>,
    /// The validator's signer; `None` for a full node.
    pub signer: Option<WritSigner>,
    /// Where bodies of the height being decided are kept across restarts.
    pub dir: PathBuf,
    pub timeouts: LinearTimeouts,
    /// The least time between blocks: consensus waits this long after a
    /// height starts before it moves on, so an idle network makes one
    /// empty block per interval rather than as many as it can.
    pub block_interval: Duration,
    /// How long a proposer with nothing to propose waits for a
    /// transaction before it proposes an empty block.
    pub empty_block_wait: Duration,
    pub faults: Faults,
    /// Block times from a logical clock (this time plus the height, in
    /// seconds) instead of the wall clock: for reproducible runs such as
    /// the demo's workflows, whose deadlines are dated.
    pub logical_clock_start: Option<i64>,
    /// Peers connected, as the network last said.
    pub peers: Arc<std::sync::atomic::AtomicUsize>,
}

/// A block proposed or received at the current height.
struct Candidate {
    body: Vec<u8>,
    header: Header,
    /// Its execution over the head, once made (a restarted node re-executes).
    executed: Option<Executed>,
}

/// Why the node must stop: it cannot follow the network without risking a
/// diverged state.
#[derive(Debug, thiserror::Error)]
pub enum Halt {
    #[error(
        "block {height} was decided by the network with header {expected}, but executing it here gives {found}: this node's execution differs from the network's; it stops rather than serve a diverged state"
    )]
    Diverged { height: u64, expected: String, found: String },
    #[error("block {height} ({hash}) was decided, but this node never received its transactions")]
    Missing { height: u64, hash: String },
    #[error("the node's store failed: {0}")]
    Store(#[from] LedgerError),
    #[error("the consensus engine went away")]
    EngineGone,
}

pub struct App {
    config: AppConfig,
    ctx: WritContext,
    validators: ValidatorSet,
    streams: Streams,
    height: Height,
    round: Round,
    candidates: BTreeMap<BlockHash, Candidate>,
    /// Values this node judged or made at the current height, by round.
    judged: Vec<ProposedValue<WritContext>>,
    /// Whole proposals for later rounds or heights, judged when they come.
    early: Vec<Assembled>,
    streams_sent: u64,
    status: NetworkStatus,
}

/// Most proposals for later heights or rounds kept until they are due.
const EARLY_MAX: usize = 16;

fn now_secs() -> i64 {
    SystemTime::now().duration_since(UNIX_EPOCH).map_or(0, |d| d.as_secs() as i64)
}

impl App {
    pub fn new(config: AppConfig) -> App {
        let ctx = WritContext { chain_id: config.genesis.chain_id.clone() };
        let validators = ValidatorSet::from_genesis(&config.genesis);
        let status = NetworkStatus {
            role: if config.signer.is_some() { "validator".into() } else { "full node".into() },
            ..NetworkStatus::default()
        };
        App {
            config,
            ctx,
            validators,
            streams: Streams::default(),
            height: Height(0),
            round: Round::Nil,
            candidates: BTreeMap::new(),
            judged: Vec::new(),
            early: Vec::new(),
            streams_sent: 0,
            status,
        }
    }

    fn params(&self) -> HeightParams<WritContext> {
        HeightParams::new(self.validators.clone(), self.config.timeouts, Some(self.config.block_interval))
    }

    fn report(&mut self) {
        self.status.peers_connected = self.config.peers.load(std::sync::atomic::Ordering::Relaxed);
        self.status.deciding_height = self.height.0;
        self.status.round = self.round.as_u32();
        self.config.node.set_network_status(self.status.clone());
    }

    /// Answers consensus until it stops, or until this node must halt.
    pub async fn run(&mut self, channels: &mut Channels<WritContext>) -> Result<(), Halt> {
        while let Some(message) = channels.consensus.recv().await {
            self.handle(message, channels).await?;
        }
        Err(Halt::EngineGone)
    }

    async fn handle(
        &mut self,
        message: AppMsg<WritContext>,
        channels: &mut Channels<WritContext>,
    ) -> Result<(), Halt> {
        match message {
            AppMsg::ConsensusReady { reply } => {
                let next = Height(self.config.node.head().height + 1);
                self.height = next;
                self.load_saved()?;
                self.report();
                let _ = reply.send((next, self.params()));
            }
            AppMsg::StartedRound { height, round, proposer: _, role: _, reply_value } => {
                if height != self.height {
                    self.enter_height(height);
                }
                self.round = round;
                self.report();
                let due: Vec<Assembled> = {
                    let (due, later): (Vec<_>, Vec<_>) =
                        self.early.drain(..).partition(|a| a.height == height && a.round <= round);
                    self.early = later.into_iter().filter(|a| a.height >= height).collect();
                    due
                };
                for assembled in due {
                    self.judge(assembled).await?;
                }
                let held: Vec<ProposedValue<WritContext>> =
                    self.judged.iter().filter(|v| v.round == round).cloned().collect();
                let _ = reply_value.send(held);
            }
            AppMsg::GetValue { height, round, timeout, reply } => {
                if let Some(value) = self.propose(height, round, timeout, channels).await? {
                    let _ = reply.send(value);
                }
            }
            AppMsg::ReceivedProposalPart { from, published_by, part, reply } => {
                let publisher = published_by.unwrap_or(from);
                let judged = match self.streams.insert(publisher, part) {
                    Ok(Some(assembled)) => self.receive(assembled).await?,
                    Ok(None) => None,
                    Err(why) => {
                        tracing::warn!(peer = %publisher, "a proposal stream was dropped: {why}");
                        None
                    }
                };
                let _ = reply.send(judged);
            }
            AppMsg::Decided { certificate, reply, .. } => {
                self.decide(&certificate).await?;
                let _ = reply.send(());
            }
            AppMsg::Finalized { reply, .. } => {
                let next = Height(self.config.node.head().height + 1);
                let _ = reply.send(Next::Start(next, self.params()));
            }
            AppMsg::GetHistoryMinHeight { reply } => {
                let _ = reply.send(Height(1));
            }
            AppMsg::GetDecidedValues { range, reply } => {
                let values = self.decided_values(*range.start(), *range.end()).await;
                let _ = reply.send(values);
            }
            AppMsg::ProcessSyncedValue { height, round, proposer, value_bytes, reply } => {
                let outcome = self.synced(height, round, proposer, value_bytes).await?;
                let _ = reply.send(outcome);
            }
            AppMsg::RestreamProposal { height, round, valid_round, address, value_id } => {
                self.restream(height, round, valid_round, address, value_id, channels).await;
            }
            AppMsg::ExtendVote { reply, .. } => {
                let _ = reply.send(None);
            }
            AppMsg::VerifyVoteExtensions { extensions, reply, .. } => {
                let _ = reply.send(extensions.into_iter().map(|(address, _)| (address, Ok(()))).collect());
            }
        }
        Ok(())
    }

    fn enter_height(&mut self, height: Height) {
        self.height = height;
        self.round = Round::Nil;
        self.judged.clear();
        self.candidates.retain(|_, c| c.header.height >= height.0);
        self.early.retain(|a| a.height >= height);
    }

    // ---------------------------------------------------------- proposing

    async fn propose(
        &mut self,
        height: Height,
        round: Round,
        timeout: Duration,
        channels: &mut Channels<WritContext>,
    ) -> Result<Option<LocallyProposedValue<WritContext>>, Halt> {
        let Some(signer) = self.config.signer.clone() else { return Ok(None) };
        let saved = self.built_path(height, round);
        // After a restart, the same block as before: never two for a round.
        let body = match std::fs::read(&saved).ok() {
            Some(body) => body,
            None => {
                self.wait_for_transactions(timeout).await;
                let node = Arc::clone(&self.config.node);
                let clock = match self.config.logical_clock_start {
                    Some(start) => start.saturating_add(height.0 as i64),
                    None => now_secs(),
                };
                let time = clock.max(node.head().time).max(self.config.genesis.time);
                let mut executed = run_blocking(move || node.propose(time)).await?;
                if self.config.faults.forged_transaction && !executed.transactions().is_empty() {
                    let mut txs = executed.transactions().to_vec();
                    txs[0].tx.gas_limit -= 1;
                    let node = Arc::clone(&self.config.node);
                    executed = run_blocking(move || node.execute(&txs, time)).await?;
                    FORGED_PROPOSALS.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
                }
                if self.config.faults.wrong_state_root {
                    executed.header.state_root[0] ^= 0xff;
                }
                let body = encode_body(&executed.header, executed.transactions());
                save(&saved, &body)?;
                let hash = BlockHash(executed.header.hash());
                let header = executed.header;
                self.candidates
                    .insert(hash, Candidate { body: body.clone(), header, executed: Some(executed) });
                body
            }
        };
        let Ok((header, _)) = decode_body(&body) else { return Ok(None) };
        let hash = BlockHash(header.hash());
        self.candidates.entry(hash).or_insert_with(|| Candidate {
            body: body.clone(),
            header,
            executed: None,
        });
        let value = Value(header);
        self.judged.push(ProposedValue {
            height,
            round,
            valid_round: Round::Nil,
            proposer: crate::signing::address_of(&signer.public_key()),
            value,
            validity: Validity::Valid,
        });
        let published = faulty_body(self.config.faults, &body);
        self.publish(height, round, Round::Nil, &signer, &published, channels).await;
        Ok(Some(LocallyProposedValue::new(height, round, value)))
    }

    /// Waits (at most half the propose timeout, and at most the configured
    /// wait) for a transaction, so that an idle network does not make
    /// empty blocks as fast as it can.
    async fn wait_for_transactions(&self, timeout: Duration) {
        let deadline = tokio::time::Instant::now() + self.config.empty_block_wait.min(timeout / 2);
        while self.config.node.pending() == 0 && tokio::time::Instant::now() < deadline {
            tokio::time::sleep(Duration::from_millis(5)).await;
        }
    }

    async fn publish(
        &mut self,
        height: Height,
        round: Round,
        pol_round: Round,
        signer: &WritSigner,
        body: &[u8],
        channels: &mut Channels<WritContext>,
    ) {
        self.streams_sent += 1;
        let mut id = height.0.to_be_bytes().to_vec();
        id.extend_from_slice(&self.streams_sent.to_be_bytes());
        let proposer = crate::signing::address_of(&signer.public_key());
        let init = ProposalPart::Init { height, round, pol_round, proposer };
        let fin = signer.sign(&parts_sign_bytes(&self.ctx.chain_id, height, round, body));
        for message in stream(StreamId::new(Bytes::from(id)), init, body, fin) {
            if channels.network.send(NetworkMsg::PublishProposalPart(message)).await.is_err() {
                tracing::warn!("the network is gone; a proposal was not published");
                return;
            }
        }
    }

    async fn restream(
        &mut self,
        height: Height,
        round: Round,
        valid_round: Round,
        address: Address,
        value_id: BlockHash,
        channels: &mut Channels<WritContext>,
    ) {
        let Some(signer) = self.config.signer.clone() else { return };
        // Only a proposer's own signature can vouch for its parts.
        if crate::signing::address_of(&signer.public_key()) != address {
            return;
        }
        let Some(body) = self.candidates.get(&value_id).map(|c| c.body.clone()) else { return };
        self.publish(height, round, valid_round, &signer, &body, channels).await;
    }

    // ---------------------------------------------------------- judging

    async fn receive(&mut self, assembled: Assembled) -> Result<Option<ProposedValue<WritContext>>, Halt> {
        if assembled.height < self.height {
            return Ok(None);
        }
        // A proposal of an earlier round of this height still counts (a
        // late one may be what a lock or a polka refers to); one of a
        // later round or height waits until consensus gets there.
        let due = assembled.height == self.height && self.round.is_defined() && assembled.round <= self.round;
        if !due {
            if self.early.len() >= EARLY_MAX {
                self.early.remove(0);
            }
            self.early.push(assembled);
            return Ok(None);
        }
        self.judge(assembled).await
    }

    /// Checks a whole proposal of the current height: its proposer's
    /// signature first (cheap), then its execution.
    async fn judge(&mut self, assembled: Assembled) -> Result<Option<ProposedValue<WritContext>>, Halt> {
        let expected = self.ctx.select_proposer(&self.validators, assembled.height, assembled.round);
        if expected.address != assembled.proposer {
            tracing::warn!(proposer = %assembled.proposer, "a proposal from a validator whose turn it is not");
            return Ok(None);
        }
        let signed = parts_sign_bytes(&self.ctx.chain_id, assembled.height, assembled.round, &assembled.body);
        if !writ_proof::signature::verify_ed25519(&expected.public_key, &signed, &assembled.signature.0) {
            tracing::warn!(proposer = %assembled.proposer, "a proposal whose parts its proposer did not sign");
            return Ok(None);
        }
        let Ok((header, txs)) = decode_body(&assembled.body) else {
            tracing::warn!(proposer = %assembled.proposer, "a signed proposal whose body does not decode");
            return Ok(None);
        };
        let hash = BlockHash(header.hash());
        let validity = match self.candidates.get(&hash) {
            Some(candidate) if candidate.executed.is_some() => Validity::Valid,
            _ => {
                save(&self.body_path(&hash), &assembled.body)?;
                let (validity, executed) = self.check(header, txs, true).await?;
                self.candidates.insert(hash, Candidate { body: assembled.body, header, executed });
                validity
            }
        };
        if validity == Validity::Invalid {
            tracing::warn!(height = header.height, proposer = %assembled.proposer, "a proposal whose header is not what its transactions give: voting nil");
        }
        let value = ProposedValue {
            height: assembled.height,
            round: assembled.round,
            valid_round: assembled.pol_round,
            proposer: assembled.proposer,
            value: Value(header),
            validity,
        };
        self.judged.push(value.clone());
        Ok(Some(value))
    }

    /// Executes `txs` over the head and compares with `header`. `live`:
    /// the block is being proposed now, so its time must be near this
    /// node's clock (a synced block is old, and only its order counts).
    async fn check(
        &self,
        header: Header,
        txs: Vec<SignedTransaction>,
        live: bool,
    ) -> Result<(Validity, Option<Executed>), Halt> {
        let head = self.config.node.head();
        let fits = header.height == head.height + 1
            && hex::encode(header.parent) == head.hash
            && header.time >= head.time
            && header.time >= self.config.genesis.time
            && (!live || header.time <= now_secs().saturating_add(CLOCK_DRIFT_SECS));
        if !fits {
            return Ok((Validity::Invalid, None));
        }
        let node = Arc::clone(&self.config.node);
        let time = header.time;
        // A proposer's transactions are checked as admission checks a
        // client's: a forged signature makes the whole block invalid.
        let executed = run_blocking(move || {
            if !writ_ledger::tx::all_signed(&txs) {
                return Ok(None);
            }
            node.execute(&txs, time).map(Some)
        })
        .await?;
        let executed = executed.map(|mut executed| {
            if self.config.faults.diverge {
                executed.header.state_root[31] ^= 1;
            }
            executed
        });
        match executed {
            Some(executed) if executed.skipped == 0 && executed.header == header => {
                Ok((Validity::Valid, Some(executed)))
            }
            _ => Ok((Validity::Invalid, None)),
        }
    }

    // ---------------------------------------------------------- deciding

    async fn decide(&mut self, certificate: &CommitCertificate<WritContext>) -> Result<(), Halt> {
        let hash = certificate.value_id;
        let height = certificate.height.0;
        let candidate = match self.candidates.remove(&hash) {
            Some(candidate) => candidate,
            None => {
                let body = std::fs::read(self.body_path(&hash))
                    .map_err(|_| Halt::Missing { height, hash: hash.to_string() })?;
                let (header, _) =
                    decode_body(&body).map_err(|_| Halt::Missing { height, hash: hash.to_string() })?;
                Candidate { body, header, executed: None }
            }
        };
        let executed = match candidate.executed {
            Some(executed) => executed,
            None => {
                let (_, txs) = decode_body(&candidate.body)
                    .map_err(|_| Halt::Missing { height, hash: hash.to_string() })?;
                let (validity, executed) = self.check(candidate.header, txs, false).await?;
                match (validity, executed) {
                    (Validity::Valid, Some(executed)) => executed,
                    _ => {
                        return Err(Halt::Diverged {
                            height,
                            expected: hash.to_string(),
                            found: "a different block".into(),
                        });
                    }
                }
            }
        };
        let stored = to_writ_certificate(certificate).encode();
        let node = Arc::clone(&self.config.node);
        run_blocking(move || node.commit(executed, Some(&stored))).await?;
        self.status.last_decided_time = Some(now_secs());
        self.status.validators_seen = certificate.commit_signatures.len();
        self.enter_height(Height(height + 1));
        self.forget_saved(height);
        self.report();
        Ok(())
    }

    // ---------------------------------------------------------- sync

    async fn decided_values(&self, start: Height, end: Height) -> Vec<RawDecidedValue<WritContext>> {
        let node = Arc::clone(&self.config.node);
        let head = node.head().height;
        let last = end.0.min(head).min(start.0.saturating_add(SYNC_BATCH_MAX - 1));
        let first = start.0.max(1);
        let found = tokio::task::spawn_blocking(move || {
            let reader = node.reader();
            let mut values = Vec::new();
            for height in first..=last {
                match stored_value(reader, height) {
                    Ok(Some(value)) => values.push(value),
                    _ => break,
                }
            }
            values
        })
        .await;
        found.unwrap_or_default()
    }

    async fn synced(
        &mut self,
        height: Height,
        round: Round,
        proposer: Address,
        value_bytes: Bytes,
    ) -> Result<SyncedValueOutcome<WritContext>, Halt> {
        let Ok((header, txs)) = decode_body(&value_bytes) else { return Ok(SyncedValueOutcome::PeerFault) };
        if header.height != height.0 {
            return Ok(SyncedValueOutcome::PeerFault);
        }
        let hash = BlockHash(header.hash());
        save(&self.body_path(&hash), &value_bytes)?;
        let (validity, executed) = self.check(header, txs, false).await?;
        if validity == Validity::Invalid {
            // The engine checked the block's certificate before asking: the
            // network decided it, and this node cannot reproduce it.
            return Err(Halt::Diverged {
                height: height.0,
                expected: hash.to_string(),
                found: "a different result (or a different chain below it)".into(),
            });
        }
        self.candidates.insert(hash, Candidate { body: value_bytes.to_vec(), header, executed });
        Ok(SyncedValueOutcome::Verdict(ProposedValue {
            height,
            round,
            valid_round: Round::Nil,
            proposer,
            value: Value(header),
            validity,
        }))
    }

    // ---------------------------------------------------------- saved bodies

    fn built_path(&self, height: Height, round: Round) -> PathBuf {
        self.config.dir.join(format!("built-{}-{}", height.0, round.as_i64()))
    }

    fn body_path(&self, hash: &BlockHash) -> PathBuf {
        self.config.dir.join(format!("body-{hash}"))
    }

    /// Reads the bodies kept for the height being decided (after a restart).
    fn load_saved(&mut self) -> Result<(), Halt> {
        std::fs::create_dir_all(&self.config.dir).map_err(|e| io_failed(&self.config.dir, &e))?;
        let entries = std::fs::read_dir(&self.config.dir).map_err(|e| io_failed(&self.config.dir, &e))?;
        for entry in entries.flatten() {
            let Ok(body) = std::fs::read(entry.path()) else { continue };
            let Ok((header, _)) = decode_body(&body) else { continue };
            if header.height < self.height.0 {
                let _ = std::fs::remove_file(entry.path());
                continue;
            }
            self.candidates.entry(BlockHash(header.hash())).or_insert(Candidate {
                body,
                header,
                executed: None,
            });
        }
        Ok(())
    }

    fn forget_saved(&self, decided: u64) {
        let Ok(entries) = std::fs::read_dir(&self.config.dir) else { return };
        for entry in entries.flatten() {
            let stale = std::fs::read(entry.path())
                .ok()
                .and_then(|body| decode_body(&body).ok())
                .is_none_or(|(header, _)| header.height <= decided);
            if stale {
                let _ = std::fs::remove_file(entry.path());
            }
        }
    }
}

/// What a faulty proposer (a test's) publishes instead of `body`.
fn faulty_body(faults: Faults, body: &[u8]) -> Vec<u8> {
    if faults.junk_body {
        return b"this is not a block body".to_vec();
    }
    body.to_vec()
}

/// Proposals a faulty proposer (a test's) made with a tampered transaction.
pub static FORGED_PROPOSALS: std::sync::atomic::AtomicU64 = std::sync::atomic::AtomicU64::new(0);

/// Most decided blocks one sync answer holds (each up to the block bound).
const SYNC_BATCH_MAX: u64 = 4;
/// How far ahead of this node's clock a proposal's time may be.
const CLOCK_DRIFT_SECS: i64 = 30;

fn io_failed(path: &std::path::Path, error: &std::io::Error) -> Halt {
    Halt::Store(LedgerError::Store(format!("{}: {error}", path.display())))
}

/// Writes a file whole and durably (temporary file, sync, rename).
fn save(path: &std::path::Path, bytes: &[u8]) -> Result<(), Halt> {
    use std::io::Write;
    let temporary = path.with_extension("partial");
    let mut file = std::fs::File::create(&temporary).map_err(|e| io_failed(&temporary, &e))?;
    file.write_all(bytes).and_then(|()| file.sync_all()).map_err(|e| io_failed(&temporary, &e))?;
    std::fs::rename(&temporary, path).map_err(|e| io_failed(path, &e))
}

async fn run_blocking<T: Send + 'static>(
    work: impl FnOnce() -> Result<T, LedgerError> + Send + 'static,
) -> Result<T, Halt> {
    match tokio::task::spawn_blocking(work).await {
        Ok(result) => result.map_err(Halt::from),
        Err(error) => Err(Halt::Store(LedgerError::Store(format!("a block's execution failed: {error}")))),
    }
}

/// A stored block and its certificate, as sync serves them.
fn stored_value(
    reader: &writ_ledger::chain::Reader,
    height: u64,
) -> Result<Option<RawDecidedValue<WritContext>>, LedgerError> {
    let Some(block) = reader.block(height)? else { return Ok(None) };
    let Some(certificate) = reader.certificate(height)? else { return Ok(None) };
    let Some(header) = block.header() else { return Ok(None) };
    let Ok(certificate) = Certificate::decode(&certificate) else { return Ok(None) };
    let mut txs = Vec::with_capacity(block.transactions.len());
    for id in &block.transactions {
        let Some(id) = writ_proof::parse_hex::<32>(id) else { return Ok(None) };
        let Some(tx) = reader.transaction(&id)? else { return Ok(None) };
        txs.push(tx);
    }
    let body = encode_body(&header, &txs);
    Ok(Some(RawDecidedValue::new(Bytes::from(body), from_writ_certificate(&certificate))))
}

/// Malachite's certificate in `writ-certificate/1` terms.
pub fn to_writ_certificate(certificate: &CommitCertificate<WritContext>) -> Certificate {
    Certificate {
        height: certificate.height.0,
        round: certificate.round.as_u32().unwrap_or(0),
        block_hash: certificate.value_id.0,
        signatures: certificate
            .commit_signatures
            .iter()
            .map(|s| WritSignature { validator: s.address.0, signature: s.signature.0 })
            .collect(),
    }
}

fn from_writ_certificate(certificate: &Certificate) -> ExtendedCommitCertificate<WritContext> {
    let commit = CommitCertificate {
        height: Height(certificate.height),
        round: Round::new(certificate.round),
        value_id: BlockHash(certificate.block_hash),
        commit_signatures: certificate
            .signatures
            .iter()
            .map(|s| CommitSignature::new(Address(s.validator), crate::signing::Signature(s.signature)))
            .collect(),
    };
    ExtendedCommitCertificate::from_commit_certificate_and_extensions(commit, Default::default())
}
