//! The `LanguageServer` implementation: document sync, debounced
//! diagnostics, and each request answered from the current snapshot.
//!
//! Invariant: no message makes the server stop. Positions are clamped,
//! unknown documents get empty answers, and each query runs behind a
//! panic guard so a compiler bug costs one answer, not the session.

use std::panic::{AssertUnwindSafe, catch_unwind};
use std::sync::{Arc, Mutex, MutexGuard};
use std::time::{Duration, Instant};

use serde_json::{Value, json};
use tower_lsp_server::jsonrpc::{Error, ErrorCode, Result};
use tower_lsp_server::ls_types::*;
use tower_lsp_server::{Client, LanguageServer};
use writ_compiler::ast::{ItemKind, MemberKind};
use writ_compiler::{FileId, ide};

use crate::convert;
use crate::prove::{PROVE_COMMAND, ProveRun, prove};
use crate::state::{Document, Snapshot, State};

/// How long diagnostics wait for more typing before being recomputed,
/// unless the editor was quiet for longer than this before the edit.
pub const DIAGNOSTICS_DELAY_MS: u64 = 75;

/// The command behind the "run test" code lens.
pub const RUN_TEST_COMMAND: &str = "writ.runTest";

/// LSP's "request failed" error code (3.17).
const REQUEST_FAILED: i64 = -32803;

pub struct Backend {
    client: Client,
    state: Arc<Mutex<State>>,
    /// When the last change arrived, for the debounce.
    last_change: Arc<Mutex<Option<Instant>>>,
    /// What the last published diagnostics were for.
    published: Arc<tokio::sync::Mutex<Published>>,
    delay: Arc<Mutex<Duration>>,
    /// Whether the editor watches files for the server (it said it can
    /// register `workspace/didChangeWatchedFiles`).
    watch_files: Arc<Mutex<bool>>,
}

/// The files whose changes on disk change an analysis: modules,
/// manifests, and the artifacts `abi` dependencies read.
const WATCHED: &[&str] = &["**/*.writ", "**/writ.toml", "**/*.wasm"];

impl Backend {
    pub fn new(client: Client) -> Backend {
        Backend {
            client,
            state: Arc::new(Mutex::new(State::default())),
            last_change: Arc::new(Mutex::new(None)),
            published: Arc::new(tokio::sync::Mutex::new(Published::default())),
            delay: Arc::new(Mutex::new(Duration::from_millis(DIAGNOSTICS_DELAY_MS))),
            watch_files: Arc::new(Mutex::new(false)),
        }
    }

    fn state(&self) -> MutexGuard<'_, State> {
        lock(&self.state)
    }

    fn snapshot(&self) -> Option<Arc<Snapshot>> {
        guard(|| self.state().snapshot())
    }

    /// The snapshot, the file of `uri` and the byte offset of `position`.
    fn at(&self, uri: &Uri, position: Position) -> Option<(Arc<Snapshot>, FileId, u32)> {
        let snapshot = self.snapshot()?;
        let file = snapshot.current_file(uri)?;
        let offset = snapshot.file(file)?.index.offset(position);
        Some((snapshot, file, offset))
    }

    /// Schedules diagnostics after a change: at once after a quiet spell,
    /// else once typing pauses for the delay.
    fn schedule_diagnostics(&self, generation: u64) {
        let now = Instant::now();
        let delay = *lock(&self.delay);
        let quiet = lock(&self.last_change).replace(now).is_none_or(|last| now.duration_since(last) >= delay);
        let (client, state, published) = (self.client.clone(), self.state.clone(), self.published.clone());
        tokio::spawn(async move {
            if !quiet {
                tokio::time::sleep(delay).await;
                if lock(&state).generation != generation {
                    return;
                }
            }
            publish(&client, &state, &published).await;
        });
    }
}

impl Backend {
    /// `writ.prove [uri]`: proves every invariant and spec of the open
    /// document as the editor holds it; each verdict becomes a diagnostic
    /// on what it is about, until the text changes.
    async fn prove_command(&self, params: ExecuteCommandParams) -> Result<Option<Value>> {
        let uri = params.arguments.first().and_then(Value::as_str).and_then(|u| u.parse::<Uri>().ok());
        let Some(uri) = uri else {
            return Err(Error::invalid_params("`writ.prove` takes the document's URI"));
        };
        let snapshot = self.snapshot().ok_or_else(|| failed("the server has no analysis"))?;
        let file = snapshot
            .current_file(&uri)
            .ok_or_else(|| Error::invalid_params(format!("`{}` is not open", uri.as_str())))?;
        let value = match prove(snapshot, file).await {
            ProveRun::Refused(why) => {
                self.client.show_message(MessageType::WARNING, why.clone()).await;
                json!({ "ran": false, "message": why })
            }
            ProveRun::Ran { proofs, summary, counterexamples } => {
                self.state().proofs.insert(uri, Arc::new(proofs));
                publish(&self.client, &self.state, &self.published).await;
                let kind = if counterexamples > 0 { MessageType::ERROR } else { MessageType::INFO };
                self.client.show_message(kind, summary.clone()).await;
                json!({ "ran": true, "counterexamples": counterexamples, "message": summary })
            }
        };
        Ok(Some(value))
    }

    /// Answers a message the transport could not pass on (see `transport.rs`).
    pub async fn bad_message(&self, params: Value) -> Result<Value> {
        match params.get("kind").and_then(Value::as_str) {
            Some("parse") => Err(Error::parse_error()),
            _ => Err(Error::invalid_request()),
        }
    }

    /// A change to a document could not be decoded (see `transport.rs`):
    /// the server's copy is stale, so it stops answering about it and says
    /// so, until the editor sends the full text again (reopening the file
    /// does). Without a readable URI every open document is suspect.
    pub async fn lost_change(&self, params: Value) {
        let uri = params.get("uri").and_then(Value::as_str).and_then(|u| u.parse::<Uri>().ok());
        let why = params.get("why").and_then(Value::as_str).unwrap_or("it could not be read").to_string();
        let (generation, names) = {
            let mut state = self.state();
            let mut names = Vec::new();
            for (doc_uri, doc) in &mut state.docs {
                if uri.as_ref().is_none_or(|u| u == doc_uri) {
                    doc.lost = Some(why.clone());
                    names.push(doc_uri.as_str().to_string());
                }
            }
            (state.changed(), names)
        };
        if names.is_empty() {
            return;
        }
        let message = format!(
            "writ-lsp lost an edit to {} ({why}). Its copy is out of date, so it will not answer about {} until you close and reopen {}.",
            names.join(", "),
            if names.len() == 1 { "it" } else { "them" },
            if names.len() == 1 { "the file" } else { "the files" },
        );
        self.client.show_message(MessageType::ERROR, message).await;
        self.schedule_diagnostics(generation);
    }
}

/// What a stale document shows instead of its diagnostics.
fn lost_diagnostic(why: &str) -> Diagnostic {
    file_error(format!(
        "the language server lost an edit to this file ({why}); close and reopen it to get answers again"
    ))
}

fn package_diagnostic(why: &str) -> Diagnostic {
    file_error(format!(
        "this file's package cannot be read ({why}); the file is checked on its own until it can"
    ))
}

/// An error about the whole file, shown at its start.
fn file_error(message: String) -> Diagnostic {
    Diagnostic {
        range: Range::default(),
        severity: Some(DiagnosticSeverity::ERROR),
        source: Some("writ".into()),
        message,
        ..Diagnostic::default()
    }
}

fn lock<T>(mutex: &Mutex<T>) -> MutexGuard<'_, T> {
    mutex.lock().unwrap_or_else(|poisoned| poisoned.into_inner())
}

/// Runs a query, turning a panic into `None`.
/// What running a test from the editor gave.
enum TestRun {
    /// Not run: the reason, for the user.
    Refused(String),
    Ran {
        passed: bool,
        summary: String,
        report: String,
    },
}

/// Runs test `name` of `file` on a thread of its own (compiling and
/// running may take a while and recurse deeply), off the async runtime.
async fn run_test(snapshot: Arc<Snapshot>, file: FileId, name: String) -> TestRun {
    if snapshot.analysis.diagnostics_for(file).iter().any(|d| d.is_error()) {
        return TestRun::Refused(format!("Cannot run \"{name}\": the file has errors; fix them first."));
    }
    let (tx, rx) = tokio::sync::oneshot::channel();
    let worker = std::thread::Builder::new().stack_size(256 * 1024 * 1024).spawn(move || {
        let run = guard(|| {
            let vm = writ_vm::Vm::new(writ_vm::VmOptions::in_memory()).map_err(|e| e.to_string())?;
            let options = writ_runner::RunOptions { exact: Some(name.clone()), ..Default::default() };
            writ_runner::run_file(&snapshot.analysis, file, &Arc::new(vm), &options).map_err(|e| match e {
                writ_runner::RunError::Compile(d) => {
                    d.first().map_or_else(|| "the tests do not compile".to_string(), |d| d.message.clone())
                }
                writ_runner::RunError::Prepare(m) => m,
            })
        });
        let outcome = match run {
            None => {
                TestRun::Refused(format!("Running \"{name}\" failed inside the server; please report it."))
            }
            Some(Err(why)) => TestRun::Refused(format!("Cannot run \"{name}\": {why}")),
            Some(Ok(report)) => match report.results.first() {
                None => TestRun::Refused(format!("There is no test \"{name}\" in this file.")),
                Some(result) => {
                    let (passed, summary) = match &result.outcome {
                        writ_runner::CaseOutcome::Passed { .. } | writ_runner::CaseOutcome::Fuzzed { .. } => {
                            (true, format!("✓ \"{name}\" passed"))
                        }
                        writ_runner::CaseOutcome::Failed(f) => (
                            false,
                            format!("✗ \"{name}\" failed: {}", f.message.lines().next().unwrap_or("")),
                        ),
                    };
                    TestRun::Ran { passed, summary, report: writ_runner::report::render_file(&report) }
                }
            },
        };
        let _ = tx.send(outcome);
    });
    if worker.is_err() {
        return TestRun::Refused("Cannot start a thread to run the test.".to_string());
    }
    rx.await.unwrap_or_else(|_| TestRun::Refused("The test run stopped unexpectedly.".to_string()))
}

pub(crate) fn guard<T>(f: impl FnOnce() -> T) -> Option<T> {
    catch_unwind(AssertUnwindSafe(f)).ok()
}

fn failed(message: impl Into<String>) -> Error {
    Error { code: ErrorCode::ServerError(REQUEST_FAILED), message: message.into().into(), data: None }
}

/// The generation of the last published diagnostics, and the files they
/// were published for.
#[derive(Default)]
pub struct Published {
    generation: u64,
    uris: std::collections::BTreeSet<Uri>,
}

/// Publishes diagnostics for every user file of the snapshot (the open
/// documents, and the other files of an open document's package), unless
/// newer ones were published already; a file no longer in the snapshot
/// gets an empty list, so nothing is left behind.
async fn publish(client: &Client, state: &Arc<Mutex<State>>, published: &tokio::sync::Mutex<Published>) {
    let mut last = published.lock().await;
    let Some((snapshot, proofs)) = guard(|| {
        let mut state = lock(state);
        (state.snapshot(), state.proofs.clone())
    }) else {
        return;
    };
    if snapshot.generation < last.generation {
        return;
    }
    last.generation = snapshot.generation;
    let batches: Vec<(Uri, Vec<Diagnostic>, Option<i32>)> = snapshot
        .user_files()
        .filter_map(|(id, file)| {
            if let Some(why) = &file.lost {
                return Some((file.uri.clone()?, vec![lost_diagnostic(why)], file.version));
            }
            let diagnostics = guard(|| snapshot.analysis.diagnostics_for(id)).unwrap_or_default();
            let mut converted: Vec<Diagnostic> =
                diagnostics.iter().map(|d| convert::diagnostic(&snapshot, &file.index, d)).collect();
            let uri = file.uri.clone()?;
            // A document of a package that cannot be read says why first.
            let path = uri.to_file_path();
            if let Some((_, why)) = snapshot
                .package_errors
                .iter()
                .find(|(root, _)| path.as_ref().is_some_and(|path| path.starts_with(root)))
            {
                converted.insert(0, package_diagnostic(why));
            }
            // Proofs show only against the very text they were made for.
            let text = snapshot.analysis.file(id).map(|f| f.text.as_str());
            if let Some(proved) = proofs.get(&uri).filter(|p| Some(p.text.as_str()) == text) {
                converted.extend(crate::prove::diagnostics(proved, &file.index));
            }
            Some((uri, converted, file.version))
        })
        .collect();
    let now: std::collections::BTreeSet<Uri> = batches.iter().map(|(uri, _, _)| uri.clone()).collect();
    let gone: Vec<Uri> = last.uris.difference(&now).cloned().collect();
    last.uris = now;
    for (uri, diagnostics, version) in batches {
        client.publish_diagnostics(uri, diagnostics, version).await;
    }
    for uri in gone {
        client.publish_diagnostics(uri, Vec::new(), None).await;
    }
}

fn capabilities() -> ServerCapabilities {
    ServerCapabilities {
        text_document_sync: Some(TextDocumentSyncCapability::Options(TextDocumentSyncOptions {
            open_close: Some(true),
            change: Some(TextDocumentSyncKind::INCREMENTAL),
            ..TextDocumentSyncOptions::default()
        })),
        hover_provider: Some(HoverProviderCapability::Simple(true)),
        definition_provider: Some(OneOf::Left(true)),
        references_provider: Some(OneOf::Left(true)),
        rename_provider: Some(OneOf::Right(RenameOptions {
            prepare_provider: Some(true),
            work_done_progress_options: WorkDoneProgressOptions::default(),
        })),
        completion_provider: Some(CompletionOptions {
            trigger_characters: Some(vec![".".into(), ":".into()]),
            ..CompletionOptions::default()
        }),
        signature_help_provider: Some(SignatureHelpOptions {
            trigger_characters: Some(vec!["(".into(), ",".into()]),
            ..SignatureHelpOptions::default()
        }),
        document_symbol_provider: Some(OneOf::Left(true)),
        workspace_symbol_provider: Some(OneOf::Left(true)),
        document_formatting_provider: Some(OneOf::Left(true)),
        semantic_tokens_provider: Some(SemanticTokensServerCapabilities::SemanticTokensOptions(
            SemanticTokensOptions {
                legend: convert::token_legend(),
                full: Some(SemanticTokensFullOptions::Bool(true)),
                range: Some(false),
                ..SemanticTokensOptions::default()
            },
        )),
        inlay_hint_provider: Some(OneOf::Left(true)),
        folding_range_provider: Some(FoldingRangeProviderCapability::Simple(true)),
        code_lens_provider: Some(CodeLensOptions { resolve_provider: Some(false) }),
        code_action_provider: Some(CodeActionProviderCapability::Options(CodeActionOptions {
            code_action_kinds: Some(vec![CodeActionKind::QUICKFIX]),
            ..CodeActionOptions::default()
        })),
        execute_command_provider: Some(ExecuteCommandOptions {
            commands: vec![RUN_TEST_COMMAND.to_string(), PROVE_COMMAND.to_string()],
            ..ExecuteCommandOptions::default()
        }),
        ..ServerCapabilities::default()
    }
}

/// Applies one content change to `text`; a change without range replaces it.
fn apply_change(text: &mut String, change: TextDocumentContentChangeEvent) {
    match change.range {
        None => *text = change.text,
        Some(range) => {
            let index = crate::line_index::LineIndex::new(text);
            let (lo, hi) = index.offsets(range);
            text.replace_range(lo as usize..hi as usize, &change.text);
        }
    }
}

impl LanguageServer for Backend {
    async fn initialize(&self, params: InitializeParams) -> Result<InitializeResult> {
        let delay =
            params.initialization_options.as_ref().and_then(|o| o.get("diagnosticsDelayMs")?.as_u64());
        if let Some(ms) = delay {
            *lock(&self.delay) = Duration::from_millis(ms.min(5_000));
        }
        let watch = params.capabilities.workspace.as_ref().and_then(|w| w.did_change_watched_files.as_ref());
        *lock(&self.watch_files) = watch.and_then(|w| w.dynamic_registration) == Some(true);
        Ok(InitializeResult {
            capabilities: capabilities(),
            server_info: Some(ServerInfo {
                name: "writ-lsp".into(),
                version: Some(env!("CARGO_PKG_VERSION").into()),
            }),
            offset_encoding: None,
        })
    }

    /// Asks the editor to report changes to package files on disk, so a
    /// new module, an edited `writ.toml` or a rebuilt artifact is seen
    /// without waiting for the next edit of an open document.
    async fn initialized(&self, _: InitializedParams) {
        if !*lock(&self.watch_files) {
            return;
        }
        let watchers = WATCHED
            .iter()
            .map(|glob| FileSystemWatcher {
                glob_pattern: GlobPattern::String((*glob).to_string()),
                kind: None,
            })
            .collect();
        let options = DidChangeWatchedFilesRegistrationOptions { watchers };
        let registration = Registration {
            id: "writ-package-files".into(),
            method: "workspace/didChangeWatchedFiles".into(),
            register_options: serde_json::to_value(options).ok(),
        };
        // Not awaited here: the editor answers when it will, and nothing
        // else waits for it.
        let client = self.client.clone();
        tokio::spawn(async move {
            let _ = client.register_capability(vec![registration]).await;
        });
    }

    async fn did_change_watched_files(&self, params: DidChangeWatchedFilesParams) {
        // Build output elsewhere (`*.wasm` under `target/`) is not ours:
        // only an artifact an `abi` dependency reads counts.
        let snapshot = self.snapshot();
        let counts = |change: &FileEvent| match change.uri.to_file_path() {
            Some(path) if path.extension().is_some_and(|e| e == "wasm") => {
                snapshot.as_ref().is_some_and(|s| s.reads_artifact(&path))
            }
            _ => true,
        };
        let generation = {
            let mut state = self.state();
            // An open document's own text is the editor's, not the disk's.
            if params.changes.iter().all(|c| state.docs.contains_key(&c.uri) || !counts(c)) {
                return;
            }
            state.changed()
        };
        self.schedule_diagnostics(generation);
    }

    async fn shutdown(&self) -> Result<()> {
        Ok(())
    }

    async fn did_open(&self, params: DidOpenTextDocumentParams) {
        let doc = params.text_document;
        let generation = {
            let mut state = self.state();
            state.docs.insert(doc.uri, Document { text: doc.text, version: doc.version, lost: None });
            state.changed()
        };
        self.schedule_diagnostics(generation);
    }

    async fn did_change(&self, params: DidChangeTextDocumentParams) {
        let uri = params.text_document.uri;
        let generation = {
            let mut state = self.state();
            let Some(doc) = state.docs.get_mut(&uri) else { return };
            let mut changes = params.content_changes;
            if doc.lost.is_some() {
                // Stale text: only a full-text change (and what follows it)
                // brings it back.
                let Some(full) = changes.iter().rposition(|c| c.range.is_none()) else { return };
                changes.drain(..full);
                doc.lost = None;
            }
            for change in changes {
                apply_change(&mut doc.text, change);
            }
            doc.version = params.text_document.version;
            state.changed()
        };
        self.schedule_diagnostics(generation);
    }

    async fn did_close(&self, params: DidCloseTextDocumentParams) {
        let uri = params.text_document.uri;
        let generation = {
            let mut state = self.state();
            if state.docs.remove(&uri).is_none() {
                return;
            }
            state.proofs.remove(&uri);
            state.changed()
        };
        self.client.publish_diagnostics(uri, Vec::new(), None).await;
        self.schedule_diagnostics(generation);
    }

    async fn hover(&self, params: HoverParams) -> Result<Option<Hover>> {
        let p = params.text_document_position_params;
        let Some((snapshot, file, offset)) = self.at(&p.text_document.uri, p.position) else {
            return Ok(None);
        };
        let Some(hover) = guard(|| snapshot.analysis.hover_at(file, offset)).flatten() else {
            return Ok(None);
        };
        let mut value = format!("```writ\n{}\n```", hover.text);
        if let Some(doc) = &hover.doc {
            value.push_str("\n\n---\n\n");
            value.push_str(doc);
        }
        Ok(Some(Hover {
            contents: HoverContents::Markup(MarkupContent { kind: MarkupKind::Markdown, value }),
            range: convert::range(&snapshot, hover.span),
        }))
    }

    async fn goto_definition(&self, params: GotoDefinitionParams) -> Result<Option<GotoDefinitionResponse>> {
        let p = params.text_document_position_params;
        let Some((snapshot, file, offset)) = self.at(&p.text_document.uri, p.position) else {
            return Ok(None);
        };
        let span = guard(|| snapshot.analysis.definition_at(file, offset)).flatten();
        Ok(span.and_then(|s| convert::location(&snapshot, s)).map(GotoDefinitionResponse::Scalar))
    }

    async fn references(&self, params: ReferenceParams) -> Result<Option<Vec<Location>>> {
        let p = params.text_document_position;
        let Some((snapshot, file, offset)) = self.at(&p.text_document.uri, p.position) else {
            return Ok(None);
        };
        let analysis = &snapshot.analysis;
        let spans = guard(|| {
            let declaration =
                analysis.reference_at(file, offset).and_then(|r| analysis.declaration_of(r.def));
            let mut spans = analysis.references_at(file, offset);
            if !params.context.include_declaration {
                spans.retain(|s| Some(*s) != declaration);
            }
            spans
        })
        .unwrap_or_default();
        Ok(Some(spans.into_iter().filter_map(|s| convert::location(&snapshot, s)).collect()))
    }

    async fn prepare_rename(
        &self,
        params: TextDocumentPositionParams,
    ) -> Result<Option<PrepareRenameResponse>> {
        let Some((snapshot, file, offset)) = self.at(&params.text_document.uri, params.position) else {
            return Ok(None);
        };
        match guard(|| ide::prepare_rename(&snapshot.analysis, file, offset)) {
            Some(Ok(span)) => Ok(convert::range(&snapshot, span).map(PrepareRenameResponse::Range)),
            Some(Err(e)) => Err(failed(e.to_string())),
            None => Ok(None),
        }
    }

    async fn rename(&self, params: RenameParams) -> Result<Option<WorkspaceEdit>> {
        let p = params.text_document_position;
        let Some((snapshot, file, offset)) = self.at(&p.text_document.uri, p.position) else {
            return Ok(None);
        };
        let name = params.new_name;
        if let Some(why) = snapshot.user_files().find_map(|(_, f)| f.lost.clone()) {
            return Err(failed(format!("not renamed: an open file is out of date ({why}); reopen it first")));
        }
        match guard(|| ide::rename(&snapshot.analysis, file, offset, &name)) {
            Some(Ok(spans)) if spans.iter().any(|s| snapshot.is_from_artifact(s.file)) => Err(failed(
                "not renamed: the name is declared by a contract known only by its artifact (an `abi` dependency)",
            )),
            Some(Ok(spans)) => {
                let edits = spans.into_iter().map(|s| (s, name.clone())).collect();
                Ok(Some(convert::workspace_edit(&snapshot, edits)))
            }
            Some(Err(e)) => Err(failed(e.to_string())),
            None => Err(failed("rename failed inside the server")),
        }
    }

    async fn completion(&self, params: CompletionParams) -> Result<Option<CompletionResponse>> {
        let p = params.text_document_position;
        let Some((snapshot, file, offset)) = self.at(&p.text_document.uri, p.position) else {
            return Ok(None);
        };
        let Some(index) = snapshot.file(file).map(|f| &f.index) else { return Ok(None) };
        let found = guard(|| ide::completions(&snapshot.analysis, file, offset)).unwrap_or_default();
        let items = found
            .into_iter()
            .map(|c| CompletionItem {
                kind: Some(convert::completion_kind(c.kind)),
                detail: c.detail,
                additional_text_edits: c
                    .import
                    .map(|(at, text)| vec![TextEdit { range: index.range(at, at), new_text: text }]),
                label: c.label,
                ..CompletionItem::default()
            })
            .collect();
        Ok(Some(CompletionResponse::Array(items)))
    }

    async fn signature_help(&self, params: SignatureHelpParams) -> Result<Option<SignatureHelp>> {
        let p = params.text_document_position_params;
        let Some((snapshot, file, offset)) = self.at(&p.text_document.uri, p.position) else {
            return Ok(None);
        };
        let Some(help) = guard(|| ide::signature_help(&snapshot.analysis, file, offset)).flatten() else {
            return Ok(None);
        };
        let parameters = help
            .params
            .iter()
            .map(|p| ParameterInformation { label: ParameterLabel::Simple(p.clone()), documentation: None })
            .collect();
        Ok(Some(SignatureHelp {
            signatures: vec![SignatureInformation {
                label: help.label,
                documentation: help.doc.map(|d| {
                    Documentation::MarkupContent(MarkupContent { kind: MarkupKind::Markdown, value: d })
                }),
                parameters: Some(parameters),
                active_parameter: Some(help.active),
            }],
            active_signature: Some(0),
            active_parameter: Some(help.active),
        }))
    }

    async fn document_symbol(&self, params: DocumentSymbolParams) -> Result<Option<DocumentSymbolResponse>> {
        let Some(snapshot) = self.snapshot() else { return Ok(None) };
        let Some(file) = snapshot.current_file(&params.text_document.uri) else { return Ok(None) };
        let Some(index) = snapshot.file(file).map(|f| &f.index) else { return Ok(None) };
        let symbols = guard(|| ide::document_symbols(&snapshot.analysis, file)).unwrap_or_default();
        let converted = symbols.into_iter().map(|s| convert::document_symbol(index, s)).collect();
        Ok(Some(DocumentSymbolResponse::Nested(converted)))
    }

    #[allow(deprecated)]
    async fn symbol(&self, params: WorkspaceSymbolParams) -> Result<Option<WorkspaceSymbolResponse>> {
        let Some(snapshot) = self.snapshot() else { return Ok(None) };
        let found = guard(|| ide::workspace_symbols(&snapshot.analysis, &params.query)).unwrap_or_default();
        let symbols = found
            .into_iter()
            .filter_map(|f| {
                Some(SymbolInformation {
                    name: f.symbol.name,
                    kind: convert::symbol_kind(f.symbol.kind),
                    tags: None,
                    deprecated: None,
                    location: convert::location(&snapshot, f.symbol.name_span)?,
                    container_name: f.container,
                })
            })
            .collect();
        Ok(Some(WorkspaceSymbolResponse::Flat(symbols)))
    }

    async fn formatting(&self, params: DocumentFormattingParams) -> Result<Option<Vec<TextEdit>>> {
        let Some((text, lost)) =
            self.state().docs.get(&params.text_document.uri).map(|d| (d.text.clone(), d.lost.clone()))
        else {
            return Ok(None);
        };
        if let Some(why) = lost {
            // Formatting stale text would propose replacing the user's file with it.
            return Err(failed(format!(
                "not formatted: the server's copy of this file is out of date ({why}); reopen it first"
            )));
        }
        match guard(|| writ_compiler::format::format_source(FileId(0), &text)) {
            Some(Ok(formatted)) if formatted == text => Ok(Some(Vec::new())),
            Some(Ok(formatted)) => {
                let index = crate::line_index::LineIndex::new(&text);
                Ok(Some(vec![TextEdit { range: index.range(0, index.len()), new_text: formatted }]))
            }
            Some(Err(errors)) => Err(failed(format!(
                "not formatted: the file has {} syntax error{}; fix {} first",
                errors.len(),
                if errors.len() == 1 { "" } else { "s" },
                if errors.len() == 1 { "it" } else { "them" },
            ))),
            None => Err(failed("formatting failed inside the server")),
        }
    }

    async fn semantic_tokens_full(
        &self,
        params: SemanticTokensParams,
    ) -> Result<Option<SemanticTokensResult>> {
        let Some(snapshot) = self.snapshot() else { return Ok(None) };
        let Some(file) = snapshot.current_file(&params.text_document.uri) else { return Ok(None) };
        let Some(index) = snapshot.file(file).map(|f| &f.index) else { return Ok(None) };
        let tokens = guard(|| ide::semantic_tokens(&snapshot.analysis, file)).unwrap_or_default();
        Ok(Some(SemanticTokensResult::Tokens(SemanticTokens {
            result_id: None,
            data: convert::semantic_tokens(index, &tokens),
        })))
    }

    async fn inlay_hint(&self, params: InlayHintParams) -> Result<Option<Vec<InlayHint>>> {
        let Some(snapshot) = self.snapshot() else { return Ok(None) };
        let Some(file) = snapshot.current_file(&params.text_document.uri) else { return Ok(None) };
        let Some(index) = snapshot.file(file).map(|f| &f.index) else { return Ok(None) };
        let (lo, hi) = index.offsets(params.range);
        let hints = guard(|| ide::inlay_hints(&snapshot.analysis, file, lo, hi)).unwrap_or_default();
        Ok(Some(
            hints
                .into_iter()
                .map(|h| InlayHint {
                    position: index.position(h.offset),
                    label: InlayHintLabel::String(h.label),
                    kind: Some(InlayHintKind::TYPE),
                    text_edits: None,
                    tooltip: None,
                    padding_left: None,
                    padding_right: None,
                    data: None,
                })
                .collect(),
        ))
    }

    async fn folding_range(&self, params: FoldingRangeParams) -> Result<Option<Vec<FoldingRange>>> {
        let Some(snapshot) = self.snapshot() else { return Ok(None) };
        let Some(file) = snapshot.current_file(&params.text_document.uri) else { return Ok(None) };
        let Some(index) = snapshot.file(file).map(|f| &f.index) else { return Ok(None) };
        let folds = guard(|| ide::folding_ranges(&snapshot.analysis, file)).unwrap_or_default();
        let mut out: Vec<FoldingRange> = Vec::new();
        for fold in folds {
            let start = index.position(fold.span.lo).line;
            let mut end = index.position(fold.span.hi).line;
            // Keep the closing bracket's line visible when folded.
            let closes = index.text().as_bytes().get(fold.span.hi.saturating_sub(1) as usize);
            if fold.kind == ide::FoldKind::Region && matches!(closes, Some(b'}' | b')' | b']')) {
                end = end.saturating_sub(1);
            }
            if end <= start || out.iter().any(|f| f.start_line == start && f.end_line == end) {
                continue;
            }
            let kind = match fold.kind {
                ide::FoldKind::Region => None,
                ide::FoldKind::Comment => Some(FoldingRangeKind::Comment),
                ide::FoldKind::Imports => Some(FoldingRangeKind::Imports),
            };
            out.push(FoldingRange { start_line: start, end_line: end, kind, ..FoldingRange::default() });
        }
        Ok(Some(out))
    }

    async fn code_lens(&self, params: CodeLensParams) -> Result<Option<Vec<CodeLens>>> {
        let Some(snapshot) = self.snapshot() else { return Ok(None) };
        let uri = params.text_document.uri;
        let Some(file) = snapshot.current_file(&uri) else { return Ok(None) };
        let (Some(data), Some(index)) = (snapshot.analysis.file(file), snapshot.file(file).map(|f| &f.index))
        else {
            return Ok(None);
        };
        let mut lenses: Vec<CodeLens> = data
            .parsed
            .tree
            .items
            .iter()
            .filter_map(|item| match &item.kind {
                ItemKind::Test(test) => Some((item.span.lo, "▶ run test", &test.name)),
                ItemKind::Property(property) => Some((item.span.lo, "▶ run property", &property.name)),
                _ => None,
            })
            .map(|(start, title, name)| CodeLens {
                range: index.range(start, name.span.hi),
                command: Some(Command {
                    title: title.into(),
                    command: RUN_TEST_COMMAND.into(),
                    arguments: Some(vec![json!(name.value), json!(uri)]),
                }),
                data: None,
            })
            .collect();
        // "prove" above each invariant and spec: it proves the whole file.
        for item in &data.parsed.tree.items {
            let ItemKind::Contract(contract) = &item.kind else { continue };
            for member in &contract.members {
                let end = match &member.kind {
                    MemberKind::Invariant(inv) => inv.name.span.hi,
                    MemberKind::Spec(spec) => spec.name.span.hi,
                    _ => continue,
                };
                lenses.push(CodeLens {
                    range: index.range(member.span.lo, end),
                    command: Some(Command {
                        title: "▶ prove".into(),
                        command: PROVE_COMMAND.into(),
                        arguments: Some(vec![json!(uri)]),
                    }),
                    data: None,
                });
            }
        }
        lenses.sort_by_key(|l| (l.range.start.line, l.range.start.character));
        Ok(Some(lenses))
    }

    async fn code_action(&self, params: CodeActionParams) -> Result<Option<CodeActionResponse>> {
        let Some(snapshot) = self.snapshot() else { return Ok(None) };
        let uri = params.text_document.uri;
        let Some(file) = snapshot.current_file(&uri) else { return Ok(None) };
        let Some(index) = snapshot.file(file).map(|f| &f.index) else { return Ok(None) };
        let (lo, hi) = index.offsets(params.range);
        let diagnostics = guard(|| snapshot.analysis.diagnostics_for(file)).unwrap_or_default();
        let actions = diagnostics
            .iter()
            .filter(|d| d.span.lo <= hi && lo <= d.span.hi)
            .filter_map(|d| {
                let fix = d.fix.as_ref()?;
                let edit = convert::workspace_edit(&snapshot, vec![(fix.span, fix.replacement.clone())]);
                Some(CodeActionOrCommand::CodeAction(CodeAction {
                    title: fix.message.clone(),
                    kind: Some(CodeActionKind::QUICKFIX),
                    diagnostics: Some(vec![convert::diagnostic(&snapshot, index, d)]),
                    edit: Some(edit),
                    is_preferred: Some(true),
                    ..CodeAction::default()
                }))
            })
            .collect();
        Ok(Some(actions))
    }

    /// `writ.runTest [name, uri]`: runs that test of the open document, as
    /// it is in the editor (unsaved changes included), with `writ test`'s
    /// runner; shows the verdict and logs the full report.
    async fn execute_command(&self, params: ExecuteCommandParams) -> Result<Option<Value>> {
        if params.command == PROVE_COMMAND {
            return self.prove_command(params).await;
        }
        if params.command != RUN_TEST_COMMAND {
            return Err(Error::invalid_params(format!("unknown command `{}`", params.command)));
        }
        let name = params.arguments.first().and_then(Value::as_str).map(str::to_string);
        let uri = params.arguments.get(1).and_then(Value::as_str).and_then(|u| u.parse::<Uri>().ok());
        let (Some(name), Some(uri)) = (name, uri) else {
            return Err(Error::invalid_params("`writ.runTest` takes the test's name and the document's URI"));
        };
        let snapshot = self.snapshot().ok_or_else(|| failed("the server has no analysis"))?;
        let file = snapshot
            .current_file(&uri)
            .ok_or_else(|| Error::invalid_params(format!("`{}` is not open", uri.as_str())))?;
        let outcome = run_test(snapshot, file, name.clone()).await;
        let (kind, message, value) = match outcome {
            TestRun::Refused(why) => {
                (MessageType::WARNING, why.clone(), json!({ "ran": false, "message": why }))
            }
            TestRun::Ran { passed, summary, report } => {
                self.client.log_message(MessageType::INFO, report.clone()).await;
                let kind = if passed { MessageType::INFO } else { MessageType::ERROR };
                (
                    kind,
                    summary.clone(),
                    json!({ "ran": true, "passed": passed, "message": summary, "report": report }),
                )
            }
        };
        self.client.show_message(kind, message).await;
        Ok(Some(value))
    }
}
