//! The language server: a thin shell that speaks LSP over stdio and answers
//! from the compiler's analysis (`writ_compiler::Analysis` and
//! `writ_compiler::ide`).
//!
//! Boundary: depends on `writ-compiler` only and contains no parsing or type
//! checking of its own; it converts positions, kinds and edits.

pub mod convert;
pub mod line_index;
pub mod server;
pub mod state;
pub mod transport;

use tower_lsp::{LspService, Server};

/// The stack of the runtime's threads: the compiler recurses once per
/// nesting level, bounded by its limits, and unoptimised builds need room.
const THREAD_STACK_BYTES: usize = 64 * 1024 * 1024;

/// Serves LSP over any byte streams (stdio, or in-memory pipes in the
/// benchmark) until the input ends. `input` must carry well-formed frames;
/// `transport::checked_input` makes them so.
pub async fn serve(input: impl tokio::io::AsyncRead + Unpin, output: impl tokio::io::AsyncWrite + Unpin) {
    let (service, socket) = LspService::build(server::Backend::new)
        .custom_method(transport::BAD_MESSAGE_METHOD, server::Backend::bad_message)
        .finish();
    Server::new(input, output, socket).serve(service).await;
}

/// Serves LSP on stdin/stdout until the client sends `exit` or closes
/// the stream. Returns whether the session ended cleanly (`shutdown`
/// before `exit`, as the protocol asks); an error only when the runtime
/// cannot start.
pub fn run_stdio() -> std::io::Result<bool> {
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .thread_stack_size(THREAD_STACK_BYTES)
        .enable_all()
        .build()?;
    let clean = runtime.block_on(async {
        let (input, ending) = transport::checked_input(std::io::stdin());
        serve(input, tokio::io::stdout()).await;
        ending.shutdown.load(std::sync::atomic::Ordering::SeqCst)
    });
    // The stdin thread may still be blocked in a read after `exit`; do not
    // wait for it once the session is over.
    runtime.shutdown_background();
    Ok(clean)
}
