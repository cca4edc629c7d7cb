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
        let (service, socket) = LspService::build(server::Backend::new)
            .custom_method(transport::BAD_MESSAGE_METHOD, server::Backend::bad_message)
            .finish();
        let (input, ending) = transport::checked_input(std::io::stdin());
        Server::new(input, tokio::io::stdout(), socket).serve(service).await;
        ending.shutdown.load(std::sync::atomic::Ordering::SeqCst)
    });
    // The stdin thread may still be blocked in a read after `exit`; do not
    // wait for it once the session is over.
    runtime.shutdown_background();
    Ok(clean)
}
