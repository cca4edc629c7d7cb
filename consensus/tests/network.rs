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
        assert!(wait_for_receipts(&net, &ids, Duration::from_secs(120)).await, "not every node has every receipt");
        let height = net.heights().into_iter().flatten().min().unwrap();
        let chains = chains(&net, height);
        assert!(chains.windows(2).all(|w| w[0] == w[1]), "the nodes' chains differ");
        // Every block carries a certificate of more than two thirds.
        let genesis = writ_proof::genesis::Genesis::parse(&std::fs::read(dir.path().join("genesis.json")).unwrap()).unwrap();
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
