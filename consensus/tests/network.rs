//! Four validators in one process on 127.0.0.1, each a whole node (store,
//! API, Malachite engine, peer connections): they decide the same blocks
//! with the same roots under load, keep deciding with one of them down,
//! bring a restarted or wiped node back to the same state, and vote down
//! a proposer that lies about its state root.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;

use std::time::Duration;

use common::{chains, quick, wait_for_receipts, workload};
use writ_consensus::testnet::Testnet;

fn runtime() -> tokio::runtime::Runtime {
    let _ = tracing_subscriber::fmt()
        .with_env_filter(tracing_subscriber::EnvFilter::from_default_env())
        .with_test_writer()
        .try_init();
    tokio::runtime::Builder::new_multi_thread().worker_threads(4).enable_all().build().unwrap()
}

#[test]
fn four_validators_agree_on_every_block_under_load() {
    runtime().block_on(async {
        let dir = tempfile::tempdir().unwrap();
        let net = Testnet::start(dir.path(), 4, quick).await.unwrap();
        assert!(net.wait_for(2, Duration::from_secs(60)).await, "no blocks: {:?}", net.heights());
        // Load through every node's API: each transaction to one node,
        // the nodes pass it on.
        let txs = workload(8, 200);
        let apis: Vec<String> = (0..4).map(|k| net.api(k).unwrap()).collect();
        // The deployment first: calls are admitted only to a contract
        // that exists.
        common::post(&apis[3], &txs[0]).unwrap();
        assert!(wait_for_receipts(&net, &[txs[0].tx.id()], Duration::from_secs(60)).await);
        let txs_for_post = txs[1..].to_vec();
        tokio::task::spawn_blocking(move || {
            for (i, tx) in txs_for_post.iter().enumerate() {
                // A sender's transactions go to one node in order, so its
                // nonces arrive in sequence.
                let sender = tx.tx.sender();
                let k = sender[0] as usize % 4;
                common::post(&apis[k], tx).unwrap_or_else(|e| panic!("transaction {i}: {e}"));
            }
        })
        .await
        .unwrap();
        let ids: Vec<[u8; 32]> = txs.iter().map(|t| t.tx.id()).collect();
        assert!(
            wait_for_receipts(&net, &ids, Duration::from_secs(120)).await,
            "not every node has every receipt"
        );
        let height = net.heights().into_iter().flatten().min().unwrap();
        let chains = chains(&net, height);
        assert!(chains.windows(2).all(|w| w[0] == w[1]), "the nodes' chains differ");
        // Every block carries a certificate of more than two thirds.
        let genesis =
            writ_proof::genesis::Genesis::parse(&std::fs::read(dir.path().join("genesis.json")).unwrap())
                .unwrap();
        for running in net.nodes.iter().flatten() {
            for h in 1..=height {
                let bytes = running.node.reader().certificate(h).unwrap().expect("a certificate");
                let certificate = writ_proof::certificate::Certificate::decode(&bytes).unwrap();
                certificate.verify(&genesis).unwrap();
                let block = running.node.reader().block(h).unwrap().unwrap();
                assert_eq!(hex::encode(certificate.block_hash), block.hash);
            }
        }
        net.stop().await;
    });
}

/// Submits `txs` (deployment first) through the running nodes, each
/// sender's to one node, and waits until every running node has all.
async fn load(net: &Testnet, txs: &[writ_ledger::tx::SignedTransaction]) {
    let apis: Vec<String> = (0..net.nodes.len()).filter_map(|k| net.api(k)).collect();
    common::post(&apis[0], &txs[0]).unwrap();
    assert!(wait_for_receipts(net, &[txs[0].tx.id()], Duration::from_secs(60)).await, "the deployment");
    let rest = txs[1..].to_vec();
    let targets = apis.clone();
    tokio::task::spawn_blocking(move || {
        for tx in &rest {
            let k = tx.tx.sender()[0] as usize % targets.len();
            common::post(&targets[k], tx).unwrap();
        }
    })
    .await
    .unwrap();
    let ids: Vec<[u8; 32]> = txs.iter().map(|t| t.tx.id()).collect();
    assert!(wait_for_receipts(net, &ids, Duration::from_secs(120)).await, "not every node has every receipt");
}

fn same_chains(net: &Testnet) -> u64 {
    let height = net.heights().into_iter().flatten().min().unwrap();
    let chains = chains(net, height);
    assert!(chains.windows(2).all(|w| w[0] == w[1]), "the nodes' chains differ up to {height}");
    height
}

#[test]
fn a_killed_validator_is_not_missed_and_catches_up_on_restart() {
    runtime().block_on(async {
        let dir = tempfile::tempdir().unwrap();
        let mut net = Testnet::start(dir.path(), 4, quick).await.unwrap();
        assert!(net.wait_for(2, Duration::from_secs(60)).await);
        net.kill(3).await;
        let before = net.heights()[0].unwrap();
        // Three of four still decide, under load.
        load(&net, &workload(6, 60)).await;
        assert!(net.wait_for(before + 5, Duration::from_secs(60)).await, "{:?}", net.heights());
        let target = net.heights()[0].unwrap();
        net.restart(3).await.unwrap();
        assert!(net.wait_for(target, Duration::from_secs(120)).await, "no catch-up: {:?}", net.heights());
        let height = same_chains(&net);
        assert!(height >= target);
        net.stop().await;
    });
}

#[test]
fn a_wiped_validator_resyncs_from_genesis() {
    runtime().block_on(async {
        let dir = tempfile::tempdir().unwrap();
        let mut net = Testnet::start(dir.path(), 4, quick).await.unwrap();
        load(&net, &workload(6, 60)).await;
        let target = net.heights()[0].unwrap();
        net.kill(2).await;
        net.wipe(2).unwrap();
        net.restart(2).await.unwrap();
        assert!(net.wait_for(target, Duration::from_secs(120)).await, "no resync: {:?}", net.heights());
        same_chains(&net);
        // The resynced node executed every block itself: its state check
        // passes and it answers for the same contract state.
        let wiped = net.nodes[2].as_ref().unwrap();
        let check = wiped.node.reader().verify_state().unwrap();
        assert!(check.entries > 0);
        net.stop().await;
    });
}

fn lying_node_0(settings: &mut writ_consensus::network::Settings) {
    quick(settings);
    if settings.moniker == "node-0" {
        settings.faults.wrong_state_root = true;
    }
}

fn junk_node_0(settings: &mut writ_consensus::network::Settings) {
    quick(settings);
    if settings.moniker == "node-0" {
        settings.faults.junk_body = true;
    }
}

fn forging_node_0(settings: &mut writ_consensus::network::Settings) {
    quick(settings);
    if settings.moniker == "node-0" {
        settings.faults.forged_transaction = true;
    }
}

/// Runs a network whose node 0 proposes badly, under a little load, and
/// checks that none of its proposals is ever decided: node 0 proposes
/// first at heights 1, 5, 9, …, so those heights are decided in a later
/// round, by another proposer.
fn none_of_node_0s_proposals_is_decided(tune: fn(&mut writ_consensus::network::Settings)) {
    runtime().block_on(async {
        let dir = tempfile::tempdir().unwrap();
        let net = Testnet::start(dir.path(), 4, tune).await.unwrap();
        load(&net, &workload(4, 40)).await;
        assert!(net.wait_for(9, Duration::from_secs(120)).await, "{:?}", net.heights());
        let height = same_chains(&net);
        let reader = net.nodes[1].as_ref().unwrap().node.reader().clone();
        let mut later_rounds = 0;
        for h in 1..=height {
            let bytes = reader.certificate(h).unwrap().unwrap();
            let certificate = writ_proof::certificate::Certificate::decode(&bytes).unwrap();
            if (h - 1) % 4 == 0 {
                assert!(certificate.round >= 1, "height {h} was decided in round 0, node 0's proposal");
                later_rounds += 1;
            }
        }
        assert!(later_rounds >= 3);
        // Node 0 itself followed the others (it executes honestly).
        assert!(net.heights()[0].unwrap() >= 9);
        net.stop().await;
    });
}

#[test]
fn a_proposer_lying_about_its_state_root_is_voted_down() {
    none_of_node_0s_proposals_is_decided(lying_node_0);
}

#[test]
fn a_proposal_whose_body_does_not_decode_is_never_decided() {
    none_of_node_0s_proposals_is_decided(junk_node_0);
}

#[test]
fn a_proposal_with_a_forged_transaction_is_voted_down() {
    runtime().block_on(async {
        let dir = tempfile::tempdir().unwrap();
        let net = Testnet::start(dir.path(), 4, forging_node_0).await.unwrap();
        // Every transaction to node 0, so its proposals hold some.
        let txs = workload(4, 60);
        let api = net.api(0).unwrap();
        common::post(&api, &txs[0]).unwrap();
        assert!(wait_for_receipts(&net, &[txs[0].tx.id()], Duration::from_secs(60)).await);
        let rest = txs[1..].to_vec();
        tokio::task::spawn_blocking(move || rest.iter().for_each(|tx| drop(common::post(&api, tx).unwrap())))
            .await
            .unwrap();
        let ids: Vec<[u8; 32]> = txs.iter().map(|t| t.tx.id()).collect();
        assert!(wait_for_receipts(&net, &ids, Duration::from_secs(120)).await);
        let height = same_chains(&net);
        assert!(
            writ_consensus::app::FORGED_PROPOSALS.load(std::sync::atomic::Ordering::Relaxed) > 0,
            "node 0 never proposed a block with transactions"
        );
        // No decided block holds a transaction its signer did not sign;
        // every client's transaction is in, as signed.
        let reader = net.nodes[2].as_ref().unwrap().node.reader().clone();
        for h in 1..=height {
            let block = reader.block(h).unwrap().unwrap();
            let held: Vec<_> = block
                .transactions
                .iter()
                .map(|id| reader.transaction(&writ_proof::parse_hex(id).unwrap()).unwrap().unwrap())
                .collect();
            assert!(writ_ledger::tx::all_signed(&held), "block {h} holds a forged transaction");
        }
        net.stop().await;
    });
}

#[test]
fn a_two_two_partition_decides_nothing_and_resumes_when_healed() {
    runtime().block_on(async {
        let dir = tempfile::tempdir().unwrap();
        let net = Testnet::start_linked(dir.path(), 4, quick).await.unwrap();
        assert!(net.wait_for(3, Duration::from_secs(60)).await, "{:?}", net.heights());
        net.partition(&[&[0, 1], &[2, 3]]);
        // Let the height in flight settle, then nothing may be decided.
        tokio::time::sleep(Duration::from_secs(2)).await;
        let cut_at = net.heights().into_iter().flatten().max().unwrap();
        tokio::time::sleep(Duration::from_secs(4)).await;
        let during = net.heights().into_iter().flatten().max().unwrap();
        assert_eq!(during, cut_at, "a half of the network decided alone");
        same_chains(&net);
        net.heal();
        assert!(
            net.wait_for(during + 3, Duration::from_secs(120)).await,
            "no progress after healing: {:?}",
            net.heights()
        );
        same_chains(&net);
        net.stop().await;
    });
}

#[test]
fn a_three_one_partition_keeps_deciding_and_the_one_catches_up() {
    runtime().block_on(async {
        let dir = tempfile::tempdir().unwrap();
        let net = Testnet::start_linked(dir.path(), 4, quick).await.unwrap();
        assert!(net.wait_for(3, Duration::from_secs(60)).await, "{:?}", net.heights());
        net.partition(&[&[0, 1, 2], &[3]]);
        tokio::time::sleep(Duration::from_secs(1)).await;
        let alone = net.heights()[3].unwrap();
        let majority = net.heights()[0].unwrap();
        let deadline = tokio::time::Instant::now() + Duration::from_secs(60);
        while net.heights()[0].unwrap() < majority + 5 {
            assert!(
                tokio::time::Instant::now() < deadline,
                "the three stopped deciding: {:?}",
                net.heights()
            );
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
        assert!(net.heights()[3].unwrap() <= alone + 1, "the one alone kept deciding: {:?}", net.heights());
        net.heal();
        let target = net.heights()[0].unwrap();
        assert!(
            net.wait_for(target, Duration::from_secs(120)).await,
            "the one did not catch up: {:?}",
            net.heights()
        );
        same_chains(&net);
        net.stop().await;
    });
}

#[test]
fn a_node_outside_the_validator_set_follows_as_a_full_node() {
    runtime().block_on(async {
        let dir = tempfile::tempdir().unwrap();
        let mut net = Testnet::start(dir.path(), 4, quick).await.unwrap();
        let full = net.start_full_node().await.unwrap();
        // Load through all five APIs: what the full node's clients submit
        // reaches the validators through its relay.
        load(&net, &workload(6, 60)).await;
        let height = same_chains(&net);
        assert!(height >= 2);
        let follower = &net.nodes[full].as_ref().unwrap().node;
        assert_eq!(follower.network_status().unwrap().role, "full node");
        // Its blocks carry the validators' certificates, and it signed none.
        let genesis =
            writ_proof::genesis::Genesis::parse(&std::fs::read(dir.path().join("genesis.json")).unwrap())
                .unwrap();
        for h in 1..=height {
            let bytes = follower.reader().certificate(h).unwrap().unwrap();
            let certificate = writ_proof::certificate::Certificate::decode(&bytes).unwrap();
            certificate.verify(&genesis).unwrap();
        }
        net.stop().await;
    });
}

fn diverging_node_3(settings: &mut writ_consensus::network::Settings) {
    quick(settings);
    if settings.moniker == "node-3" {
        settings.faults.diverge = true;
    }
}

#[test]
fn a_node_whose_execution_differs_stops_rather_than_serve_its_state() {
    runtime().block_on(async {
        let dir = tempfile::tempdir().unwrap();
        let net = Testnet::start(dir.path(), 4, diverging_node_3).await.unwrap();
        // The three others decide; node 3 cannot reproduce what they decide.
        let deadline = tokio::time::Instant::now() + Duration::from_secs(60);
        while net.heights()[0].unwrap() < 3 {
            assert!(tokio::time::Instant::now() < deadline, "no blocks: {:?}", net.heights());
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
        let running = net.nodes[3].as_ref().unwrap();
        let mut halted = running.halted.clone();
        let why = tokio::time::timeout(Duration::from_secs(60), halted.wait_for(Option::is_some))
            .await
            .expect("node 3 did not stop")
            .unwrap()
            .clone()
            .unwrap();
        assert!(why.contains("diverged") || why.contains("differs"), "{why}");
        // Its API is closed: it serves nothing of a state the network did not decide.
        let api = format!("http://{}", running.api);
        let mut closed = false;
        for _ in 0..100 {
            if tokio::task::spawn_blocking({
                let api = api.clone();
                move || common::get(&api, "/v1/status").is_none()
            })
            .await
            .unwrap()
            {
                closed = true;
                break;
            }
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
        assert!(closed, "node 3 still answers");
        // The other three went on.
        let before = net.heights()[0].unwrap();
        let deadline = tokio::time::Instant::now() + Duration::from_secs(60);
        while net.heights()[0].unwrap() < before + 3 {
            assert!(tokio::time::Instant::now() < deadline, "the three stopped: {:?}", net.heights());
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
        net.stop().await;
    });
}
