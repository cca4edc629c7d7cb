//! The OpenAPI 3 document of the node's HTTP API, served at
//! `/openapi.json`. Written by hand next to the routes in `api.rs`; the
//! end-to-end tests check that every route it lists answers.

use serde_json::{Value, json};

fn error_response(description: &str) -> Value {
    json!({ "description": description, "content": { "application/json": { "schema": { "$ref": "#/components/schemas/Error" } } } })
}

fn ok(description: &str, schema: Value) -> Value {
    json!({ "description": description, "content": { "application/json": { "schema": schema } } })
}

fn path_param(name: &str, description: &str, pattern: &str) -> Value {
    json!({ "name": name, "in": "path", "required": true, "description": description,
            "schema": { "type": "string", "pattern": pattern } })
}

const ADDRESS: &str = "^(0x)?[0-9a-fA-F]{40}$";
const ID: &str = "^(0x)?[0-9a-fA-F]{64}$";
/// Bytes as hex, with or without `0x`.
const HEX: &str = "^(0x)?([0-9a-fA-F]{2})*$";

/// A u64 in a path or query.
fn u64_schema() -> Value {
    json!({ "type": "integer", "minimum": 0, "maximum": u64::MAX })
}

pub fn document() -> Value {
    let address = path_param("address", "a 20-byte address, hex", ADDRESS);
    let any = json!({});
    json!({
        "openapi": "3.0.3",
        "info": {
            "title": "Writ node",
            "version": env!("CARGO_PKG_VERSION"),
            "description": "Submit signed transactions, read blocks and receipts, query contracts, \
                read events and storage proofs. Values follow the ABI's JSON form: 64-bit and larger \
                integers and Decimals are strings; bytes, hashes and addresses are 0x-hex. Every error \
                is `{\"error\": {\"code\", \"message\"}}`, including a request the HTTP layer cannot \
                read (400 `bad_request`, 414 `uri_too_long`, 431 `headers_too_large`)."
        },
        "paths": {
            "/v1/status": { "get": {
                "summary": "Chain id, latest block and waiting transactions",
                "responses": { "200": ok("the node's status", json!({ "$ref": "#/components/schemas/Status" })) }
            }},
            "/v1/transactions": { "post": {
                "summary": "Submit a signed transaction (canonical bytes, hex)",
                "parameters": [{ "name": "wait", "in": "query", "required": false,
                    "description": "wait (up to 30 s) for the receipt", "schema": { "type": "boolean" } }],
                "requestBody": { "required": true, "content": { "application/json": { "schema": {
                    "type": "object", "required": ["tx"], "properties": { "tx": { "type": "string", "pattern": HEX } } } } } },
                "responses": {
                    "200": ok("the receipt (with ?wait=true)", json!({ "$ref": "#/components/schemas/Receipt" })),
                    "202": ok("accepted, waiting for a block", json!({ "$ref": "#/components/schemas/Pending" })),
                    "400": error_response("malformed, badly signed, wrong chain, bad gas limit, bad arguments or module"),
                    "404": error_response("unknown contract or entry point"),
                    "409": error_response("replayed or gapped nonce, or already waiting"),
                    "413": error_response("the transaction (or its code or arguments) is over its size bound"),
                    "415": error_response("not JSON"),
                    "422": error_response("JSON of the wrong shape (or a key named twice)"),
                    "429": error_response("no room: the mempool is full (`mempool_full`) or the sender holds its whole share of it (`sender_quota`); retry after the next blocks")
                }
            }},
            "/v1/transactions/batch": { "post": {
                "summary": "Submit up to 1 000 signed transactions in one request, queued in order",
                "requestBody": { "required": true, "content": { "application/json": { "schema": {
                    "type": "object", "required": ["txs"], "properties": { "txs": { "type": "array",
                        // Any string: an item that is not hex gets its own
                        // `bad_hex` result and the others still go in, so
                        // the pattern is described rather than enforced.
                        "items": { "type": "string",
                            "description": "a signed transaction in hex (optionally 0x-prefixed); an item that is not hex is refused on its own with `bad_hex`" } } } } } } },
                "responses": {
                    "202": ok("one result per transaction: an id, or the refusal's code and message (`mempool_full` and `sender_quota` among them)",
                        json!({ "type": "object", "properties": { "results": { "type": "array", "items": { "type": "object" } } } })),
                    "400": error_response("not JSON"),
                    "413": error_response("too many transactions or too large"),
                    "415": error_response("not JSON content"),
                    "422": error_response("JSON of the wrong shape")
                }
            }},
            "/v1/transactions/{id}": { "get": {
                "summary": "A transaction's receipt",
                "parameters": [path_param("id", "the transaction id, hex", ID)],
                "responses": {
                    "200": ok("the receipt", json!({ "$ref": "#/components/schemas/Receipt" })),
                    "202": ok("still waiting", json!({ "$ref": "#/components/schemas/Pending" })),
                    "400": error_response("not an id"),
                    "404": error_response("unknown transaction")
                }
            }},
            "/v1/blocks/latest": { "get": {
                "summary": "The latest block",
                "responses": { "200": ok("the block", json!({ "$ref": "#/components/schemas/Block" })),
                               "404": error_response("no blocks yet") }
            }},
            "/v1/blocks/{height}": { "get": {
                "summary": "A block by height",
                "parameters": [{ "name": "height", "in": "path", "required": true, "schema": u64_schema() }],
                "responses": { "200": ok("the block", json!({ "$ref": "#/components/schemas/Block" })),
                               "400": error_response("not a height"),
                               "404": error_response("no such block (heights start at 1; there is no block 0)") }
            }},
            "/v1/accounts/{address}": { "get": {
                "summary": "An account's next nonce (counting waiting transactions)",
                "parameters": [address.clone()],
                "responses": { "200": ok("the account", json!({ "type": "object", "properties": {
                    "address": { "type": "string" }, "next_nonce": { "type": "integer" } } })),
                    "400": error_response("not an address") }
            }},
            "/v1/contracts/{address}": { "get": {
                "summary": "A contract's code hash and ABI document",
                "parameters": [address.clone()],
                "responses": { "200": ok("the contract", json!({ "type": "object", "properties": {
                    "address": { "type": "string" }, "code_hash": { "type": "string" }, "abi": { "type": "object" } } })),
                    "400": error_response("not an address"), "404": error_response("no contract there") }
            }},
            "/v1/contracts/{address}/views/{method}": { "post": {
                "summary": "Call a view with JSON arguments (an array in order, or an object by name)",
                "parameters": [address.clone(),
                    { "name": "method", "in": "path", "required": true, "schema": { "type": "string" } },
                    { "name": "from", "in": "query", "required": false, "description": "the caller, hex address",
                      "schema": { "type": "string", "pattern": ADDRESS } }],
                "requestBody": { "required": false, "content": { "application/json": { "schema": any } } },
                "responses": {
                    "200": ok("the result", json!({ "type": "object", "properties": {
                        "result": {}, "gas_used": { "type": "integer" } } })),
                    "400": error_response("bad address or arguments (`bad_arguments` also for a key named twice)"),
                    "404": error_response("no such contract or view"),
                    "413": error_response("the body is too large"),
                    "415": error_response("a body that is not declared JSON"),
                    "422": error_response("the view aborted")
                }
            }},
            "/v1/contracts/{address}/events": { "get": {
                "summary": "A contract's events, oldest first",
                "parameters": [address.clone(),
                    { "name": "name", "in": "query", "required": false, "schema": { "type": "string" } },
                    { "name": "from", "in": "query", "required": false, "description": "from this height", "schema": u64_schema() },
                    { "name": "to", "in": "query", "required": false, "description": "up to this height", "schema": u64_schema() },
                    { "name": "limit", "in": "query", "required": false,
                      "description": "at most this many (default 100; taken as 1 to 1000)", "schema": u64_schema() }],
                "responses": { "200": ok("the events", json!({ "type": "object", "properties": {
                    "events": { "type": "array", "items": { "$ref": "#/components/schemas/Event" } } } })),
                    "400": error_response("bad address or query"), "404": error_response("no contract there") }
            }},
            "/v1/contracts/{address}/proof": { "get": {
                "summary": "A proof of what a storage key held (a value, or nothing) after a block",
                "description": "The `writ-state-proof/2` document (docs/ledger.md): the value or null, the \
                    block's header and hash, and the state tree's proof. Check it offline with `writ verify-proof` \
                    or the `writ-proof` crate.",
                "parameters": [address,
                    { "name": "key", "in": "query", "required": true, "description": "the storage key, hex",
                      "schema": { "type": "string", "pattern": HEX } },
                    { "name": "height", "in": "query", "required": false,
                      "description": "the block whose state to prove against (the latest by default)",
                      "schema": { "type": "integer", "minimum": 0 } }],
                "responses": { "200": ok("the proof of presence or absence", json!({ "type": "object",
                        "required": ["format", "contract", "key", "value", "block_hash", "header", "proof"],
                        "properties": {
                            "format": { "type": "string", "enum": ["writ-state-proof/2"] },
                            "contract": { "type": "string" },
                            "key": { "type": "string" },
                            "value": { "type": ["string", "null"] },
                            "block_hash": { "type": "string" },
                            "header": { "type": "object" },
                            "proof": { "type": "string" } } })),
                    "400": error_response("bad address, key or height"),
                    "404": error_response("no such block (or no block yet)") }
            }}
        },
        "components": { "schemas": {
            "Error": { "type": "object", "required": ["error"], "properties": { "error": { "type": "object",
                "required": ["code", "message"],
                "properties": { "code": { "type": "string" }, "message": { "type": "string" } } } } },
            "Pending": { "type": "object", "properties": { "id": { "type": "string" }, "status": { "type": "string" } } },
            "Status": { "type": "object", "properties": {
                "chain_id": { "type": "string" }, "height": { "type": "integer" }, "block_hash": { "type": "string" },
                "block_time": { "type": "integer" }, "state_root": { "type": "string" }, "pending": { "type": "integer" },
                "executing": { "type": "integer", "description": "transactions in the block being executed" },
                "consensus": { "type": ["object", "null"],
                    "description": "a node of a network: its consensus state (docs/consensus.md); null on a node alone",
                    "properties": {
                        "role": { "type": "string", "enum": ["validator", "full node"] },
                        "deciding_height": { "type": "integer" }, "round": { "type": ["integer", "null"] },
                        "validators_seen": { "type": "integer", "description": "precommits in the last decided block's certificate" },
                        "peers_connected": { "type": "integer" },
                        "last_decided_time": { "type": ["integer", "null"], "description": "Unix seconds" } } } } },
            "Block": { "type": "object", "properties": {
                "height": { "type": "integer" }, "hash": { "type": "string" }, "parent": { "type": "string" },
                "time": { "type": "integer" }, "tx_root": { "type": "string" }, "receipts_root": { "type": "string" },
                "state_root": { "type": "string" }, "gas_used": { "type": "integer" },
                "transactions": { "type": "array", "items": { "type": "string" } },
                "certificate": { "type": ["object", "null"],
                    "description": "the precommits that decided the block (`writ-certificate/1`, docs/consensus.md); null for a block a node made alone",
                    "properties": {
                        "format": { "type": "string" }, "height": { "type": "integer" }, "round": { "type": "integer" },
                        "block_hash": { "type": "string" },
                        "signatures": { "type": "array", "items": { "type": "object", "properties": {
                            "validator": { "type": "string" }, "signature": { "type": "string" } } } } } } } },
            "Event": { "type": "object", "properties": {
                "contract": { "type": "string", "description": "the emitting contract, hex" },
                "index": { "type": "integer", "description": "the event's index in the contract's declaration order" },
                "name": { "type": "string", "description": "from the contract's ABI (`#index` if it has none)" },
                "fields": { "type": "object", "description": "the fields by name, decoded by the ABI" },
                "data": { "type": "string", "description": "the canonical encoding of the fields, hex" },
                "height": { "type": "integer", "description": "the block (event queries only)" } } },
            "Receipt": { "type": "object",
                "description": "a canonical receipt (docs/ledger.md) with what the contract's ABI makes of it; only the canonical fields are hashed",
                "properties": {
                "transaction": { "type": "string" }, "height": { "type": "integer" }, "index": { "type": "integer" },
                "sender": { "type": "string" }, "contract": { "type": "string" }, "method": { "type": "string" },
                "status": { "type": "string", "enum": ["success", "aborted"] }, "gas_used": { "type": "integer" },
                "result": { "type": "string", "nullable": true, "description": "the result's canonical encoding, hex (success only)" },
                "value": { "description": "the result decoded by the ABI" },
                "error": { "type": "object", "nullable": true, "description": "why the call aborted (aborted only)",
                    "properties": {
                        "name": { "type": "string", "description": "the contract error's or the built-in abort's name" },
                        "message": { "type": "string", "description": "a sentence for people; its wording may change between versions" },
                        "data": { "type": "string", "description": "the abort's raw data, hex" },
                        "kind": { "type": "integer", "description": "the abort kind's stable number" },
                        "detail": { "type": "integer", "description": "the abort's stable detail number (0 if none)" } } },
                "events": { "type": "array", "items": { "$ref": "#/components/schemas/Event" } } } }
        }}
    })
}
