//! The node's HTTP/JSON API (axum), described by the OpenAPI document it
//! serves at `/openapi.json`. Values follow the ABI's JSON form
//! (docs/encoding.md): 64-bit and larger integers and Decimals as strings.
//!
//! Invariant: every request gets an answer; a malformed one gets a 4xx
//! with `{"error": {"code", "message"}}`, never a 5xx. A 5xx means the
//! node itself failed (its store), and says so.

use std::sync::Arc;
use std::time::Duration;

use axum::Router;
use axum::extract::rejection::{BytesRejection, JsonRejection, PathRejection, QueryRejection};
use axum::extract::{DefaultBodyLimit, Path, Query, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use serde::Deserialize;
use serde_json::{Value as Json, json};
use writ_abi::AbiType;
use writ_abi::document::ContractAbi;

use crate::chain::{Deployed, LedgerError, Reader, Rejection};
use crate::crypto::{Address, Hash32, hex, parse_hex};
use crate::limits::{
    BATCH_BODY_BYTES_MAX, BATCH_TXS_MAX, EVENTS_PER_PAGE_DEFAULT, EVENTS_PER_PAGE_MAX, RECEIPT_WAIT_SECS,
    SUBMIT_BODY_BYTES_MAX, VIEW_BODY_BYTES_MAX,
};
use crate::mempool::NoRoom;
use crate::node::{Node, SubmitError};
use crate::receipt::Receipt;
use crate::receipt_json::{VmWords, abi_for, event_json, receipt_json};
use crate::strict_json::StrictJsonError;

type Shared = Arc<Node>;

/// An error answer.
pub struct ApiError {
    status: StatusCode,
    code: &'static str,
    message: String,
}

impl ApiError {
    fn new(status: StatusCode, code: &'static str, message: impl Into<String>) -> ApiError {
        ApiError { status, code, message: message.into() }
    }

    fn bad(code: &'static str, message: impl Into<String>) -> ApiError {
        ApiError::new(StatusCode::BAD_REQUEST, code, message)
    }

    fn not_found(message: impl Into<String>) -> ApiError {
        ApiError::new(StatusCode::NOT_FOUND, "not_found", message)
    }
}

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        let body = json!({ "error": { "code": self.code, "message": self.message } });
        let mut response = (self.status, axum::Json(body)).into_response();
        if self.status == StatusCode::TOO_MANY_REQUESTS {
            // No room until blocks drain the mempool: a second is several
            // block intervals at the default.
            response
                .headers_mut()
                .insert(axum::http::header::RETRY_AFTER, axum::http::HeaderValue::from_static("1"));
        }
        response
    }
}

impl From<SubmitError> for ApiError {
    /// A refused submission: the transaction's own fault (4xx by kind), a
    /// duplicate (409), or no room in the mempool (429: retry later).
    fn from(error: SubmitError) -> ApiError {
        match error {
            SubmitError::Rejected(rejection) => rejection.into(),
            SubmitError::Duplicate(id) => ApiError::new(
                StatusCode::CONFLICT,
                "duplicate",
                format!("transaction {id} is already waiting"),
            ),
            SubmitError::NoRoom(no_room) => {
                let code = match no_room {
                    NoRoom::Full { .. } => "mempool_full",
                    NoRoom::SenderQuota { .. } => "sender_quota",
                };
                ApiError::new(StatusCode::TOO_MANY_REQUESTS, code, no_room.to_string())
            }
        }
    }
}

impl From<LedgerError> for ApiError {
    fn from(error: LedgerError) -> ApiError {
        ApiError::new(StatusCode::INTERNAL_SERVER_ERROR, "node_failure", error.to_string())
    }
}

impl From<Rejection> for ApiError {
    fn from(rejection: Rejection) -> ApiError {
        let status = match rejection {
            Rejection::UnknownContract { .. } | Rejection::UnknownMethod { .. } => StatusCode::NOT_FOUND,
            Rejection::Replayed { .. } | Rejection::Gapped { .. } => StatusCode::CONFLICT,
            Rejection::Format(
                crate::tx::TxError::TooLarge { .. } | crate::tx::TxError::PartTooLarge { .. },
            ) => StatusCode::PAYLOAD_TOO_LARGE,
            Rejection::Unavailable(_) => StatusCode::SERVICE_UNAVAILABLE,
            _ => StatusCode::BAD_REQUEST,
        };
        ApiError::new(status, rejection.code(), rejection.to_string())
    }
}

/// A body, path or query axum could not read, as our JSON error with
/// axum's status (400 unreadable, 413 too large, 415 not JSON, 422 JSON of
/// the wrong shape), never axum's plain-text answer.
fn unreadable(status: StatusCode, what: &str, detail: String) -> ApiError {
    let code = match status {
        StatusCode::PAYLOAD_TOO_LARGE => "too_large",
        StatusCode::UNSUPPORTED_MEDIA_TYPE => "bad_content_type",
        _ => match what {
            "path" => "bad_path",
            "query" => "bad_query",
            _ => "bad_json",
        },
    };
    // Anything axum calls a server error here is still the request's fault.
    let status = if status.is_client_error() { status } else { StatusCode::BAD_REQUEST };
    ApiError::new(status, code, format!("the request's {what} is not what this endpoint expects: {detail}"))
}

impl From<JsonRejection> for ApiError {
    fn from(rejection: JsonRejection) -> ApiError {
        unreadable(rejection.status(), "body", rejection.body_text())
    }
}

impl From<BytesRejection> for ApiError {
    fn from(rejection: BytesRejection) -> ApiError {
        unreadable(rejection.status(), "body", rejection.body_text())
    }
}

impl From<QueryRejection> for ApiError {
    fn from(rejection: QueryRejection) -> ApiError {
        unreadable(rejection.status(), "query", rejection.body_text())
    }
}

impl From<PathRejection> for ApiError {
    fn from(rejection: PathRejection) -> ApiError {
        unreadable(rejection.status(), "path", rejection.body_text())
    }
}

type Answer = Result<axum::Json<Json>, ApiError>;

/// Runs `work` over the chain's reader on the blocking pool: reads touch
/// the store (and may compile a contract not in memory), which must never
/// occupy the threads that answer requests.
async fn read<T: Send + 'static>(
    node: &Shared,
    work: impl FnOnce(&Reader) -> T + Send + 'static,
) -> Result<T, ApiError> {
    let reader = node.reader().clone();
    tokio::task::spawn_blocking(move || work(&reader))
        .await
        .map_err(|e| ApiError::new(StatusCode::INTERNAL_SERVER_ERROR, "node_failure", e.to_string()))
}

/// The ABI of the contract at `address`, or a 404.
async fn abi_of(node: &Shared, address: Address) -> Result<Arc<ContractAbi>, ApiError> {
    read(node, move |r| r.contract(&address))
        .await??
        .map(|d| d.abi)
        .ok_or_else(|| ApiError::not_found(format!("no contract at {}", hex(&address))))
}

/// The router over a node.
pub fn router(node: Shared) -> Router {
    Router::new()
        .route("/openapi.json", get(openapi))
        .route("/v1/status", get(status))
        .route("/v1/transactions", post(submit).layer(DefaultBodyLimit::max(SUBMIT_BODY_BYTES_MAX)))
        .route(
            "/v1/transactions/batch",
            post(submit_batch).layer(DefaultBodyLimit::max(BATCH_BODY_BYTES_MAX)),
        )
        .route("/v1/transactions/{id}", get(transaction))
        .route("/v1/blocks/latest", get(latest_block))
        .route("/v1/blocks/{height}", get(block))
        .route("/v1/accounts/{address}", get(account))
        .route("/v1/contracts/{address}", get(contract))
        .route(
            "/v1/contracts/{address}/views/{method}",
            post(view).layer(DefaultBodyLimit::max(VIEW_BODY_BYTES_MAX)),
        )
        .route("/v1/contracts/{address}/events", get(events))
        .route("/v1/contracts/{address}/proof", get(proof))
        .fallback(|| async { ApiError::not_found("no such endpoint; see /openapi.json") })
        .method_not_allowed_fallback(|| async {
            ApiError::new(
                StatusCode::METHOD_NOT_ALLOWED,
                "method_not_allowed",
                "this endpoint does not take that method; see /openapi.json",
            )
        })
        .with_state(node)
}

fn address(text: &str) -> Result<Address, ApiError> {
    parse_hex::<20>(text)
        .ok_or_else(|| ApiError::bad("bad_address", format!("`{text}` is not a 20-byte hex address")))
}

fn tx_id(text: &str) -> Result<Hash32, ApiError> {
    parse_hex::<32>(text)
        .ok_or_else(|| ApiError::bad("bad_id", format!("`{text}` is not a 32-byte hex transaction id")))
}

async fn openapi() -> axum::Json<Json> {
    axum::Json(crate::openapi::document())
}

async fn status(State(node): State<Shared>) -> Answer {
    let head = read(&node, |r| r.head()).await??;
    let chain_id = node.reader().chain_id().to_string();
    Ok(axum::Json(json!({
        "chain_id": chain_id,
        "height": head.height,
        "block_hash": head.hash,
        "block_time": head.time,
        "state_root": head.state_root,
        "pending": node.pending(),
        "executing": node.executing(),
        "consensus": node.network_status(),
    })))
}

#[derive(Deserialize)]
struct Submission {
    /// The signed transaction's canonical bytes, hex.
    tx: String,
}

#[derive(Deserialize)]
struct WaitQuery {
    #[serde(default)]
    wait: bool,
}

/// The header a node puts on a submission it passes on to a peer, so that
/// the peer does not pass it on again (peers are a full mesh: one hop
/// reaches every node).
pub const RELAY_HEADER: &str = "x-writ-relayed";

fn is_relayed(headers: &axum::http::HeaderMap) -> bool {
    headers.contains_key(RELAY_HEADER)
}

async fn submit(
    State(node): State<Shared>,
    headers: axum::http::HeaderMap,
    query: Result<Query<WaitQuery>, QueryRejection>,
    body: Result<axum::Json<Submission>, JsonRejection>,
) -> Result<Response, ApiError> {
    let Query(query) = query?;
    let axum::Json(submission) = body?;
    let bytes = hex::decode(submission.tx.strip_prefix("0x").unwrap_or(&submission.tx))
        .map_err(|_| ApiError::bad("bad_hex", "`tx` is not hex"))?;
    let relayed = is_relayed(&headers);
    let submitted = {
        let node = Arc::clone(&node);
        tokio::task::spawn_blocking(move || {
            let outcome = node.submit(&bytes);
            if outcome.is_ok() && !relayed {
                node.relay(bytes);
            }
            outcome
        })
        .await
        .map_err(|e| ApiError::new(StatusCode::INTERNAL_SERVER_ERROR, "node_failure", e.to_string()))?
    };
    let id = submitted?;
    if !query.wait {
        let body = json!({ "id": hex(&id), "status": "pending" });
        return Ok((StatusCode::ACCEPTED, axum::Json(body)).into_response());
    }
    match node.wait_for_receipt(&id, Duration::from_secs(RECEIPT_WAIT_SECS)).await? {
        Some(receipt) => Ok(axum::Json(read(&node, move |r| decorate(r, &receipt)).await?).into_response()),
        None => {
            let body = json!({ "id": hex(&id), "status": "pending" });
            Ok((StatusCode::ACCEPTED, axum::Json(body)).into_response())
        }
    }
}

#[derive(Deserialize)]
struct Batch {
    /// Signed transactions' canonical bytes, hex, in the order to queue them.
    txs: Vec<String>,
}

/// `POST /v1/transactions/batch`: queues up to `BATCH_TXS_MAX` transactions in
/// order, each checked as `POST /v1/transactions` checks one; answers one
/// result per transaction (an id, or the refusal's code and message), so
/// bulk loads pay for one request instead of thousands.
async fn submit_batch(
    State(node): State<Shared>,
    headers: axum::http::HeaderMap,
    body: Result<axum::Json<Batch>, JsonRejection>,
) -> Result<Response, ApiError> {
    let relayed = is_relayed(&headers);
    let axum::Json(batch) = body?;
    if batch.txs.len() > BATCH_TXS_MAX {
        return Err(ApiError::new(
            StatusCode::PAYLOAD_TOO_LARGE,
            "too_large",
            format!("{} transactions in one batch; the limit is {BATCH_TXS_MAX}", batch.txs.len()),
        ));
    }
    let results = {
        let node = Arc::clone(&node);
        tokio::task::spawn_blocking(move || {
            let decoded: Vec<Option<Vec<u8>>> = batch
                .txs
                .iter()
                .map(|text| hex::decode(text.strip_prefix("0x").unwrap_or(text)).ok())
                .collect();
            let well_formed: Vec<&[u8]> = decoded.iter().flatten().map(Vec::as_slice).collect();
            let outcomes = node.submit_many(&well_formed);
            if !relayed {
                for (bytes, outcome) in well_formed.iter().zip(&outcomes) {
                    if outcome.is_ok() {
                        node.relay(bytes.to_vec());
                    }
                }
            }
            let mut submitted = outcomes.into_iter();
            decoded
                .iter()
                .map(|bytes| {
                    let Some(outcome) = bytes.as_ref().and_then(|_| submitted.next()) else {
                        return json!({ "error": { "code": "bad_hex", "message": "not hex" } });
                    };
                    match outcome {
                        Ok(id) => json!({ "id": hex(&id), "status": "pending" }),
                        Err(error) => {
                            let error = ApiError::from(error);
                            json!({ "error": { "code": error.code, "message": error.message } })
                        }
                    }
                })
                .collect::<Vec<_>>()
        })
        .await
        .map_err(|e| ApiError::new(StatusCode::INTERNAL_SERVER_ERROR, "node_failure", e.to_string()))?
    };
    Ok((StatusCode::ACCEPTED, axum::Json(json!({ "results": results }))).into_response())
}

async fn transaction(
    State(node): State<Shared>,
    id: Result<Path<String>, PathRejection>,
) -> Result<Response, ApiError> {
    let Path(id) = id?;
    let id = tx_id(&id)?;
    let found = read(&node, move |r| r.receipt(&id).map(|found| found.map(|receipt| decorate(r, &receipt))));
    if let Some(receipt) = found.await?? {
        return Ok(axum::Json(receipt).into_response());
    }
    if node.is_pending(&id) {
        return Ok((StatusCode::ACCEPTED, axum::Json(json!({ "id": hex(&id), "status": "pending" })))
            .into_response());
    }
    Err(ApiError::not_found(format!("no transaction {}", hex(&id))))
}

async fn latest_block(State(node): State<Shared>) -> Answer {
    let height = read(&node, |r| r.head()).await??.height;
    if height == 0 {
        return Err(ApiError::not_found(
            "no blocks yet: the chain has no block before its first transaction",
        ));
    }
    block_at(&node, height).await
}

async fn block(State(node): State<Shared>, height: Result<Path<String>, PathRejection>) -> Answer {
    let Path(height) = height?;
    let height: u64 = height
        .parse()
        .map_err(|_| ApiError::bad("bad_height", format!("`{height}` is not a block height")))?;
    if height == 0 {
        // There is no genesis block: the empty state before block 1 has
        // no header, so 0 names nothing (docs/ledger.md).
        return Err(ApiError::not_found("there is no block 0: heights start at 1, the first block"));
    }
    block_at(&node, height).await
}

async fn block_at(node: &Shared, height: u64) -> Answer {
    match read(node, move |r| Ok::<_, LedgerError>((r.block(height)?, r.certificate(height)?))).await?? {
        (Some(block), certificate) => {
            let mut json = serde_json::to_value(block).unwrap_or(Json::Null);
            // A networked node's block comes with the precommits that
            // decided it (`writ-certificate/1`); a single node's with null.
            let certificate = certificate.and_then(|bytes| serde_json::from_slice::<Json>(&bytes).ok());
            if let Some(object) = json.as_object_mut() {
                object.insert("certificate".into(), certificate.unwrap_or(Json::Null));
            }
            Ok(axum::Json(json))
        }
        (None, _) => {
            let latest = read(node, |r| r.head()).await??.height;
            Err(ApiError::not_found(format!("no block {height}; the latest is {latest}")))
        }
    }
}

async fn account(State(node): State<Shared>, text: Result<Path<String>, PathRejection>) -> Answer {
    let Path(text) = text?;
    let address = address(&text)?;
    let next = {
        let node = Arc::clone(&node);
        tokio::task::spawn_blocking(move || node.next_nonce(&address))
            .await
            .map_err(|e| ApiError::new(StatusCode::INTERNAL_SERVER_ERROR, "node_failure", e.to_string()))??
    };
    Ok(axum::Json(json!({ "address": hex(&address), "next_nonce": next })))
}

async fn contract(State(node): State<Shared>, text: Result<Path<String>, PathRejection>) -> Answer {
    let Path(text) = text?;
    let address = address(&text)?;
    let found = read(&node, move |r| r.contract(&address)).await??;
    let Some(Deployed { code_hash, abi, .. }) = found else {
        return Err(ApiError::not_found(format!("no contract at {}", hex(&address))));
    };
    Ok(axum::Json(json!({ "address": hex(&address), "code_hash": hex(&code_hash), "abi": *abi })))
}

#[derive(Deserialize)]
struct ViewQuery {
    /// Who asks (`caller()` in the view); the zero address by default.
    from: Option<String>,
}

async fn view(
    State(node): State<Shared>,
    path: Result<Path<(String, String)>, PathRejection>,
    query: Result<Query<ViewQuery>, QueryRejection>,
    headers: axum::http::HeaderMap,
    body: Result<axum::body::Bytes, BytesRejection>,
) -> Answer {
    let Path((text, method)) = path?;
    let Query(query) = query?;
    let body = body?;
    check_json_content(&headers, &body)?;
    let address = address(&text)?;
    let caller = match &query.from {
        Some(from) => self::address(from)?,
        None => [0; 20],
    };
    let abi = abi_of(&node, address).await?;
    if abi.entry(&method).is_some_and(|e| e.kind != writ_abi::document::EntryKind::View) {
        return Err(ApiError::bad(
            "not_a_view",
            format!(
                "`{method}` may change state, so it is not a view; call it in a transaction (`writ call`)"
            ),
        ));
    }
    // No body means no arguments; anything else must be JSON, in which
    // no object names a key twice.
    let args_json = if body.iter().all(u8::is_ascii_whitespace) {
        Json::Array(Vec::new())
    } else {
        crate::strict_json::parse(&body).map_err(|e| match e {
            StrictJsonError::Syntax(why) => {
                ApiError::bad("bad_json", format!("the arguments are not JSON: {why}"))
            }
            StrictJsonError::DuplicateKey(why) => {
                ApiError::bad("bad_arguments", format!("arguments of `{method}`: {why}"))
            }
        })?
    };
    let args = encode_args(&abi, &method, &args_json)?;
    let report = {
        let method = method.clone();
        read(&node, move |r| r.view(&address, &method, &args, caller)).await??
    };
    let returns = abi.entry(&method).map_or(AbiType::Unit, |e| e.returns.clone());
    match report.outcome {
        writ_vm::Outcome::Success(success) => {
            let value = writ_abi::decode_value(&returns, &success.result, &abi.types)
                .ok()
                .and_then(|v| writ_abi::json::to_json(&v, &returns, &abi.types).ok())
                .unwrap_or(Json::Null);
            Ok(axum::Json(json!({ "result": value, "gas_used": report.gas_used })))
        }
        writ_vm::Outcome::Aborted(abort) => Err(ApiError::new(
            StatusCode::UNPROCESSABLE_ENTITY,
            "aborted",
            writ_vm::explain::describe_abort(&abort, &abi),
        )),
    }
}

/// A view's body must be declared JSON, as a transaction's must: a body
/// without a JSON content type is 415. An empty body (no arguments) may
/// come without a content type, but not with another one.
fn check_json_content(headers: &axum::http::HeaderMap, body: &[u8]) -> Result<(), ApiError> {
    let declared = headers.get(axum::http::header::CONTENT_TYPE);
    let is_json = declared.and_then(|v| v.to_str().ok()).is_some_and(|v| {
        let essence = v.split(';').next().unwrap_or("").trim().to_ascii_lowercase();
        essence == "application/json" || (essence.starts_with("application/") && essence.ends_with("+json"))
    });
    let empty = body.iter().all(u8::is_ascii_whitespace);
    if is_json || (declared.is_none() && empty) {
        return Ok(());
    }
    Err(ApiError::new(
        StatusCode::UNSUPPORTED_MEDIA_TYPE,
        "bad_content_type",
        "the arguments must be sent with `Content-Type: application/json`",
    ))
}

/// JSON arguments (an array in parameter order, or an object by name) in
/// their canonical encoding.
pub fn encode_args(abi: &ContractAbi, method: &str, args: &Json) -> Result<Vec<u8>, ApiError> {
    let entry = abi.entry(method).ok_or_else(|| {
        ApiError::not_found(format!("contract `{}` has no entry point `{method}`", abi.name))
    })?;
    crate::args::encode_args(&entry.params, args, &abi.types)
        .map_err(|e| ApiError::bad("bad_arguments", format!("arguments of `{method}`: {e}")))
}

#[derive(Deserialize)]
struct EventsQuery {
    name: Option<String>,
    from: Option<u64>,
    to: Option<u64>,
    limit: Option<usize>,
}

async fn events(
    State(node): State<Shared>,
    path: Result<Path<String>, PathRejection>,
    query: Result<Query<EventsQuery>, QueryRejection>,
) -> Answer {
    let Path(text) = path?;
    let Query(query) = query?;
    let address = address(&text)?;
    let abi = abi_of(&node, address).await?;
    let limit = query.limit.unwrap_or(EVENTS_PER_PAGE_DEFAULT).clamp(1, EVENTS_PER_PAGE_MAX);
    let from = query.from.unwrap_or(0);
    let to = query.to.unwrap_or(u64::MAX - 1);
    let name = query.name.clone();
    let found = read(&node, move |r| r.events(&address, name.as_deref(), from, to, limit)).await??;
    let list: Vec<Json> = found
        .into_iter()
        .map(|(height, event)| {
            let mut value = event_json(&abi, &event);
            if let Some(object) = value.as_object_mut() {
                object.insert("height".into(), json!(height));
            }
            value
        })
        .collect();
    Ok(axum::Json(json!({ "events": list })))
}

#[derive(Deserialize)]
struct ProofQuery {
    /// The storage key within the contract, hex.
    key: String,
    /// The block whose state to prove against; the latest by default.
    height: Option<u64>,
}

async fn proof(
    State(node): State<Shared>,
    path: Result<Path<String>, PathRejection>,
    query: Result<Query<ProofQuery>, QueryRejection>,
) -> Answer {
    let Path(text) = path?;
    let Query(query) = query?;
    let address = address(&text)?;
    let key = hex::decode(query.key.strip_prefix("0x").unwrap_or(&query.key))
        .map_err(|_| ApiError::bad("bad_key", "`key` is not hex"))?;
    let height = query.height;
    match read(&node, move |r| r.proof(&address, &key, height)).await?? {
        Some(proof) => Ok(axum::Json(serde_json::to_value(proof).unwrap_or(Json::Null))),
        None => Err(ApiError::not_found(match height {
            Some(height) => format!("no block {height} (heights start at 1)"),
            None => "no blocks yet: a proof needs a block's state root".to_string(),
        })),
    }
}

/// A receipt as the API serves it: read with its contract's ABI, in the
/// node's words (`receipt_json.rs`).
pub fn decorate(reader: &Reader, receipt: &Receipt) -> Json {
    let abi = abi_for(reader, receipt);
    receipt_json(receipt, abi.as_deref(), &|contract| reader.abi_of(contract), &VmWords)
}

/// Serves the API on `listener` and produces blocks until `stop` turns true.
pub async fn serve(
    node: Shared,
    listener: tokio::net::TcpListener,
    stop: tokio::sync::watch::Receiver<bool>,
) -> std::io::Result<()> {
    let producer =
        node.config().produce_blocks.then(|| tokio::spawn(Arc::clone(&node).run_producer(stop.clone())));
    let mut shutdown = stop;
    let listener = crate::parse_errors::JsonErrorListener(listener);
    axum::serve(listener, router(node))
        .with_graceful_shutdown(async move {
            while !*shutdown.borrow() {
                if shutdown.changed().await.is_err() {
                    return;
                }
            }
        })
        .await?;
    if let Some(producer) = producer {
        let _ = producer.await;
    }
    Ok(())
}
