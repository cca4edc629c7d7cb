//! The language server: a thin shell that speaks LSP over stdio and answers
//! from the compiler's analysis (`writ_compiler::Analysis` and
//! `writ_compiler::ide`).
//!
//! Boundary: depends on `writ-compiler` only and contains no parsing or type
//! checking of its own; it converts positions, kinds and edits.

pub mod convert;
pub mod line_index;
pub mod prove;
pub mod server;
pub mod state;
pub mod transport;

use std::io::{Read, Write};

use tokio::io::AsyncReadExt;
use tower_lsp_server::{LspService, Server};

/// The stack of the runtime's threads: the compiler recurses once per
/// nesting level, bounded by its limits, and unoptimised builds need room.
const THREAD_STACK_BYTES: usize = 64 * 1024 * 1024;

/// Serves LSP over any byte streams (stdin and stdout for `writ lsp`,
/// pipes in the benchmark) until the client sends `exit` or the input
/// ends. Returns whether the session ended cleanly (`shutdown` before
/// `exit`, as the protocol asks); an error only when the runtime cannot
/// start.
pub fn serve(
    input: impl Read + Send + 'static,
    output: impl Write + Send + 'static,
) -> std::io::Result<bool> {
    // tower-lsp-server runs the handlers inside the future `block_on`
    // drives, so that thread needs the deep stack too.
    let session = std::thread::Builder::new()
        .name("writ-lsp".into())
        .stack_size(THREAD_STACK_BYTES)
        .spawn(move || serve_here(input, output))?;
    session.join().unwrap_or_else(|_| Err(std::io::Error::other("the language server stopped on a panic")))
}

fn serve_here(
    input: impl Read + Send + 'static,
    mut output: impl Write + Send + 'static,
) -> std::io::Result<bool> {
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .thread_stack_size(THREAD_STACK_BYTES)
        .enable_all()
        .build()?;
    let clean = runtime.block_on(async {
        let (input, ending) = transport::checked_input(input);
        let (server_output, mut written) = tokio::io::duplex(1024 * 1024);
        // The server writes whole frames; a plain thread copies them out so
        // any `Write` can be the output.
        let (sender, receiver) = std::sync::mpsc::channel::<Vec<u8>>();
        let copier = std::thread::spawn(move || {
            for chunk in receiver {
                if output.write_all(&chunk).and_then(|()| output.flush()).is_err() {
                    break;
                }
            }
        });
        let forward = tokio::spawn(async move {
            let mut buffer = vec![0; 64 * 1024];
            while let Ok(read) = written.read(&mut buffer).await {
                if read == 0 || sender.send(buffer[..read].to_vec()).is_err() {
                    break;
                }
            }
        });
        let (service, socket) = LspService::build(server::Backend::new)
            .custom_method(transport::BAD_MESSAGE_METHOD, server::Backend::bad_message)
            .custom_method(transport::LOST_CHANGE_METHOD, server::Backend::lost_change)
            .finish();
        Server::new(input, server_output, socket).serve(service).await;
        let _ = forward.await;
        let _ = tokio::task::spawn_blocking(move || copier.join()).await;
        ending.shutdown.load(std::sync::atomic::Ordering::SeqCst)
    });
    // The input thread may still be blocked in a read after `exit`; do not
    // wait for it once the session is over.
    runtime.shutdown_background();
    Ok(clean)
}

/// Serves LSP on stdin/stdout (`writ lsp`).
pub fn run_stdio() -> std::io::Result<bool> {
    serve(std::io::stdin(), std::io::stdout())
}
