//! The `writ` command: argument parsing and rendering over the library
//! crates. No language logic lives here.
//!
//! Exit codes: 0 success, 1 the user's program failed (diagnostics, failing
//! tests), 2 bad usage (unknown flags, unreadable paths).

/// Like `eprintln!`/`eprint!`, but a closed stderr is ignored, not a panic.
macro_rules! errln {
    ($($arg:tt)*) => {{
        use std::io::Write as _;
        let _ = writeln!(std::io::stderr().lock(), $($arg)*);
    }};
}
macro_rules! errout {
    ($($arg:tt)*) => {{
        use std::io::Write as _;
        let _ = write!(std::io::stderr().lock(), $($arg)*);
    }};
}

mod build_cmd;
mod demo;
mod demo_run;
mod files;
mod fmt_cmd;
mod net_cmd;
mod node_cmd;
mod prove_cmd;
mod test_cmd;

use std::io::IsTerminal;
use std::path::PathBuf;
use std::process::ExitCode;

use clap::{Parser, Subcommand};
use writ_compiler::render::{RenderOptions, render};

/// Writ: contracts for public-sector workflows, their compiler and tools.
#[derive(Debug, Parser)]
#[command(name = "writ", version, about, long_about = None, propagate_version = true)]
struct Cli {
    /// When to colour output: auto, always or never.
    #[arg(long, global = true, default_value = "auto", value_parser = ["auto", "always", "never"])]
    color: String,
    #[command(subcommand)]
    command: Command,
}

#[derive(Debug, Subcommand)]
enum Command {
    /// Make a new package: `writ.toml`, a module with a contract in
    /// `src/`, and its test in `tests/`.
    ///
    /// NAME is the package's name (lowercase letters, digits and `_`); the
    /// package goes into a new folder of that name, or into --path.
    New {
        name: String,
        /// The folder to make (it must not exist); default `./NAME`.
        #[arg(long)]
        path: Option<std::path::PathBuf>,
    },
    /// Check `.writ` files for errors and warnings without building them.
    ///
    /// PATHS may be files or folders (searched recursively for `.writ`
    /// files); the default is the current folder. A folder with a
    /// `writ.toml` is a package: its modules and its dependencies are
    /// checked together (every command below takes a package the same
    /// way). Exits with 1 if any error is found.
    Check {
        /// Files or folders to check.
        paths: Vec<std::path::PathBuf>,
        /// Print one line per diagnostic instead of source snippets.
        #[arg(long)]
        short: bool,
        /// Treat warnings as errors (exit 1 if there are any).
        #[arg(long)]
        deny_warnings: bool,
    },
    /// Format `.writ` files in place in the one canonical layout.
    ///
    /// With `--check`, change nothing and exit 1 if any file is not
    /// formatted. Files with syntax errors are reported and left alone.
    Fmt {
        /// Files or folders to format; default is the current folder.
        paths: Vec<std::path::PathBuf>,
        /// Report unformatted files instead of rewriting them.
        #[arg(long)]
        check: bool,
    },
    /// Compile contracts to WebAssembly artifacts with their ABI embedded.
    ///
    /// Writes one `<Contract>.wasm` per contract into DIR. The same source
    /// and compiler version always give the same bytes.
    Build {
        /// Files or folders to build; default is the current folder.
        paths: Vec<std::path::PathBuf>,
        /// Where to write the artifacts.
        #[arg(short = 'o', long = "out", default_value = "build")]
        out: std::path::PathBuf,
    },
    /// Run the `test` and `property` blocks of `.writ` files.
    ///
    /// Each test runs on a fresh in-memory ledger through the same VM a
    /// node uses; every contract call has a gas limit. Properties run
    /// generated cases and shrink a failure to a small one. Exits with 1
    /// if any test fails. See docs/testing.md.
    Test {
        /// Files or folders to test; default is the current folder.
        paths: Vec<std::path::PathBuf>,
        /// Run only tests whose name contains this text.
        #[arg(long)]
        filter: Option<String>,
        /// Run only the test with exactly this name.
        #[arg(long)]
        exact: Option<String>,
        /// Gas limit of every contract call a test makes, and of the test
        /// body's own instructions.
        #[arg(long, default_value_t = writ_runner::DEFAULT_GAS_LIMIT)]
        gas_limit: u64,
        /// Generated cases per property.
        #[arg(long, default_value_t = writ_runner::DEFAULT_CASES)]
        cases: u32,
        /// Seed for generated inputs (a failure report prints the one it used).
        #[arg(long)]
        seed: Option<u64>,
        /// After the results, print each entry point's gas: calls, min, median, max.
        #[arg(long)]
        gas: bool,
        /// After each passing test, call random entry points as the test's
        /// accounts and check every invariant after each successful call.
        #[arg(long)]
        fuzz: bool,
        /// With --fuzz: most calls in one sequence.
        #[arg(long, default_value_t = 20, requires = "fuzz")]
        calls: u32,
        /// With --fuzz: call sequences to try after each test.
        #[arg(long, default_value_t = 64, requires = "fuzz")]
        runs: u32,
        /// Count which lines and branches of the contracts the tests run:
        /// a summary, and an LCOV file (coverage.lcov, or
        /// --coverage=FILE). Probes cost gas, so gas figures differ under
        /// --coverage.
        // `require_equals`: in `--coverage a.writ` the file is a path to
        // test, never the LCOV output (which would overwrite it).
        #[arg(
            long,
            value_name = "LCOV_FILE",
            num_args = 0..=1,
            require_equals = true,
            default_missing_value = "coverage.lcov"
        )]
        coverage: Option<PathBuf>,
    },
    /// Prove each contract's invariants and specs for every state and input.
    ///
    /// Each invariant is checked after `init` and after every entry point,
    /// and each spec clause for every call of its function, from any state
    /// where the invariants hold (Z3, a subprocess); where that fails,
    /// calls from `init` (and from the state --from-test's test leaves)
    /// are searched up to --depth, and a sequence found is replayed on the
    /// VM and printed as a test. Exits with 1 if any
    /// invariant or spec clause has a counterexample. See docs/prove.md.
    Prove {
        /// Files or folders to prove; default is the current folder.
        paths: Vec<PathBuf>,
        /// Most calls after deploying in the search for a counterexample.
        #[arg(long, default_value_t = writ_runner::prove::ProveOptions::default().depth, value_parser = clap::value_parser!(u32).range(0..=16))]
        depth: u32,
        /// The solver's budget per query, in Z3 resource steps (results
        /// depend on this and the Z3 version, never on the machine's speed).
        #[arg(long, default_value_t = writ_runner::prove::ProveOptions::default().budget)]
        budget: u64,
        /// Where the search from `init` finds nothing, search also from the
        /// state this test (of each file proved) leaves, by its accounts,
        /// as `writ test --fuzz` goes on from a test.
        #[arg(long, value_name = "TEST")]
        from_test: Option<String>,
        /// Start no contract after this many seconds of wall time; the
        /// claims of those left are reported unknown. Verdicts reached do
        /// not depend on it (each query has --budget).
        #[arg(long, value_name = "SECONDS")]
        timeout: Option<u64>,
        /// Print the results as one JSON document.
        #[arg(long)]
        json: bool,
        /// Write every command sent to the solver to DIR/prove.smt2, a
        /// script `z3` can run on its own.
        #[arg(long, value_name = "DIR")]
        dump_smt: Option<PathBuf>,
    },
    /// Write reference documentation (Markdown) from doc comments.
    ///
    /// For the files given, or with --std for the standard library (that
    /// is how docs/stdlib.md is made).
    Doc {
        /// Files or folders to document.
        paths: Vec<PathBuf>,
        /// Document the standard library instead.
        #[arg(long)]
        std: bool,
        /// Write to this file instead of standard output.
        #[arg(short = 'o', long = "out")]
        out: Option<PathBuf>,
    },
    /// Print the ABI document of a built artifact as JSON.
    ///
    /// With --interface, print instead the Writ interface other contracts
    /// call it through (what an `abi` dependency in writ.toml declares).
    Abi {
        /// A `.wasm` file written by `writ build`.
        file: std::path::PathBuf,
        /// Print the contract's interface as Writ source.
        #[arg(long)]
        interface: bool,
    },
    /// Walk through the three example workflows (tax, evidence, equity).
    ///
    /// Checks each example and shows who may call what in each contract.
    /// With --nodes N, the workflows run on an embedded network of N
    /// validators that agree on every block.
    Demo {
        /// Run on an embedded network of this many validators (1: a single node).
        #[arg(long, default_value_t = 1, value_parser = clap::value_parser!(u8).range(1..=16))]
        nodes: u8,
    },
    /// Manage signing keys (Ed25519) in the keystore.
    Key {
        #[command(subcommand)]
        action: KeyAction,
        /// The keystore folder.
        #[arg(long, global = true, default_value = writ_ledger::keys::DEFAULT_DIR)]
        keys: PathBuf,
    },
    /// Run a ledger node: a durable store, blocks from a mempool, an HTTP API.
    ///
    /// The API is described by the OpenAPI document at /openapi.json.
    /// Stop it with Ctrl-C. See docs/ledger.md.
    Node(node_cmd::NodeArgs),
    /// Deploy a contract: a `.writ` file (compiled first) or a built `.wasm`;
    /// or a package folder, whose writ.toml lists the contracts to deploy in
    /// order, each `init`'s arguments naming earlier ones as `"@Name"`.
    Deploy {
        file: PathBuf,
        /// The contract to deploy when the file has several.
        #[arg(long)]
        contract: Option<String>,
        /// Arguments of `init`, as JSON: an array in order or an object by name.
        #[arg(long)]
        args: Option<String>,
        /// Deploy even when an address passed for a contract reference holds
        /// no contract, or one of another interface.
        #[arg(long)]
        no_interface_check: bool,
        #[command(flatten)]
        send: SendOptions,
    },
    /// Call an entry point in a signed transaction and print its receipt.
    Call {
        /// The contract's address.
        address: String,
        method: String,
        /// Arguments as JSON: an array in order or an object by name.
        args: Option<String>,
        #[command(flatten)]
        send: SendOptions,
    },
    /// Call a view (read-only, no transaction) and print its result as JSON.
    Query {
        address: String,
        method: String,
        /// Arguments as JSON: an array in order or an object by name.
        args: Option<String>,
        /// Ask as this address (what `caller()` returns in the view).
        #[arg(long)]
        from: Option<String>,
        #[arg(long, env = "WRIT_NODE", default_value = node_cmd::DEFAULT_NODE)]
        node: String,
    },
    /// List a contract's events, oldest first.
    Events {
        address: String,
        /// Only events with this name.
        #[arg(long)]
        name: Option<String>,
        /// From this block height.
        #[arg(long)]
        from: Option<u64>,
        /// Up to this block height.
        #[arg(long)]
        to: Option<u64>,
        #[arg(long, env = "WRIT_NODE", default_value = node_cmd::DEFAULT_NODE)]
        node: String,
    },
    /// Check a state proof (from GET /v1/contracts/ADDR/proof) offline:
    /// prints `present: VALUE` or `absent`.
    VerifyProof {
        /// The proof, as the node served it (JSON).
        file: PathBuf,
        /// Also require the proof to be for this state root (from a block you trust).
        #[arg(long)]
        root: Option<String>,
        /// Also require the proof to be for this block hash (one you trust).
        #[arg(long)]
        block_hash: Option<String>,
        /// With --certificate: the network's genesis file, whose validators
        /// must have decided the proof's block.
        #[arg(long, requires = "certificate")]
        genesis: Option<PathBuf>,
        /// The block's commit certificate (or the block as the node serves
        /// it), checked against --genesis: more than two thirds of the
        /// voting power must have signed the proof's block.
        #[arg(long, requires = "genesis")]
        certificate: Option<PathBuf>,
    },
    /// Networks of nodes: `writ net init` writes a local one's files.
    Net {
        #[command(subcommand)]
        action: NetAction,
    },
    /// Run the language server over stdin and stdout (for editors).
    ///
    /// Speaks the Language Server Protocol; see docs/lsp.md for editor setup.
    Lsp,
}

#[derive(Debug, Subcommand)]
enum NetAction {
    /// Write a genesis file, keys and node configurations for a local
    /// network of validators (one folder per node, on 127.0.0.1).
    Init {
        /// The folder to write into (it must not hold a network already).
        dir: PathBuf,
        /// How many validators.
        #[arg(long, default_value_t = 4)]
        nodes: usize,
        /// Node K's API listens on BASE+10·K and its peer port is BASE+10·K+1.
        #[arg(long, default_value_t = 7800)]
        base_port: u16,
        /// The chain's name.
        #[arg(long, default_value = "writ-net")]
        chain_id: String,
    },
}

#[derive(Debug, Subcommand)]
enum KeyAction {
    /// Create a new random key.
    New { name: String },
    /// List keys with their addresses.
    List,
}

/// How a transaction is sent: where, signed by whom, with what gas.
#[derive(Debug, clap::Args)]
struct SendOptions {
    /// The signing key's name in the keystore.
    #[arg(long)]
    key: String,
    /// Co-sign with this key too (repeat for more); the contract sees them with `signed_by`.
    #[arg(long)]
    cosign: Vec<String>,
    #[arg(long, default_value_t = node_cmd::DEFAULT_GAS)]
    gas_limit: u64,
    #[arg(long, env = "WRIT_NODE", default_value = node_cmd::DEFAULT_NODE)]
    node: String,
    /// The keystore folder.
    #[arg(long, default_value = writ_ledger::keys::DEFAULT_DIR)]
    keys: PathBuf,
}

impl SendOptions {
    fn into_args(self) -> node_cmd::SendArgs {
        node_cmd::SendArgs {
            node: self.node,
            keys: self.keys,
            key: self.key,
            cosign: self.cosign,
            gas_limit: self.gas_limit,
        }
    }
}

/// glibc's malloc slows as a long-running node's heap fragments; mimalloc
/// does not (docs/performance.md, "Ledger state at scale").
#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

fn main() -> ExitCode {
    let cli = match Cli::try_parse() {
        Ok(cli) => cli,
        Err(e) => {
            let code = if e.use_stderr() { 2 } else { 0 };
            let _ = e.print();
            return ExitCode::from(code);
        }
    };
    let color = match cli.color.as_str() {
        "always" => true,
        "never" => false,
        _ => std::io::stderr().is_terminal() && std::env::var_os("NO_COLOR").is_none(),
    };
    // The compiler recurses once per nesting level (bounded by its limits);
    // a generous stack keeps unoptimised builds comfortable too.
    let worker =
        std::thread::Builder::new().stack_size(256 * 1024 * 1024).spawn(move || run(cli.command, color));
    match worker.map(|handle| handle.join()) {
        Ok(Ok(code)) => ExitCode::from(code),
        _ => {
            errln!("error: internal failure; please report this with the input that caused it");
            ExitCode::from(101)
        }
    }
}

fn run(command: Command, color: bool) -> u8 {
    match command {
        Command::New { name, path } => new_package(&name, path),
        Command::Check { paths, short, deny_warnings } => check(&paths, short, deny_warnings, color),
        Command::Fmt { paths, check } => fmt_cmd::run(&paths, check, color),
        Command::Demo { nodes } => demo::run(color, nodes),
        Command::Build { paths, out } => build_cmd::build(&paths, &out, color),
        Command::Abi { file, interface } => build_cmd::abi(&file, interface),
        Command::Prove { paths, depth, budget, from_test, timeout, json, dump_smt } => {
            let deadline = timeout.map(|s| std::time::Instant::now() + std::time::Duration::from_secs(s));
            let options = writ_runner::prove::ProveOptions { depth, budget, from_test, deadline };
            prove_cmd::run(&paths, options, json, dump_smt.as_deref(), color)
        }
        Command::Doc { paths, std, out } => build_cmd::doc(&paths, std, out.as_deref(), color),
        Command::Test { paths, filter, exact, gas_limit, cases, seed, gas, fuzz, calls, runs, coverage } => {
            let fuzz = fuzz.then_some(writ_runner::FuzzOptions { calls, runs });
            let options = writ_runner::RunOptions {
                filter,
                exact,
                gas_limit,
                cases,
                seed,
                fuzz,
                coverage: coverage.is_some(),
                checks: writ_runner::Checks::All,
            };
            test_cmd::run(&paths, &options, gas, coverage.as_deref(), color)
        }
        Command::Key { action: KeyAction::New { name }, keys } => {
            node_cmd::report(node_cmd::key_new(&keys, &name))
        }
        Command::Key { action: KeyAction::List, keys } => node_cmd::report(node_cmd::key_list(&keys)),
        Command::Node(args) => node_cmd::report(node_cmd::node(args)),
        Command::Deploy { file, contract, args, no_interface_check, send } => {
            node_cmd::report(node_cmd::deploy(
                &file,
                contract.as_deref(),
                args.as_deref(),
                &send.into_args(),
                !no_interface_check,
                color,
            ))
        }
        Command::Call { address, method, args, send } => {
            node_cmd::report(node_cmd::call(&address, &method, args.as_deref(), &send.into_args()))
        }
        Command::Query { address, method, args, from, node } => {
            node_cmd::report(node_cmd::query(&node, &address, &method, args.as_deref(), from.as_deref()))
        }
        Command::Events { address, name, from, to, node } => {
            node_cmd::report(node_cmd::events(&node, &address, name.as_deref(), from, to))
        }
        Command::VerifyProof { file, root, block_hash, genesis, certificate } => {
            let consortium = genesis.as_deref().zip(certificate.as_deref());
            node_cmd::report(node_cmd::verify_proof(
                &file,
                root.as_deref(),
                block_hash.as_deref(),
                consortium,
            ))
        }
        Command::Net { action: NetAction::Init { dir, nodes, base_port, chain_id } } => {
            node_cmd::report(net_cmd::init(&dir, nodes, base_port, &chain_id))
        }
        Command::Lsp => match writ_lsp::run_stdio() {
            Ok(clean) => u8::from(!clean),
            Err(e) => {
                errln!("error: cannot start the language server: {e}");
                1
            }
        },
    }
}

fn new_package(name: &str, path: Option<std::path::PathBuf>) -> u8 {
    let dir = path.unwrap_or_else(|| std::path::PathBuf::from(name));
    match writ_package::scaffold(&dir, name) {
        Ok(written) => {
            for file in &written {
                errln!("created {}", file.display());
            }
            errln!("created package `{name}`; try `writ test {}`", dir.display());
            0
        }
        Err(e) => {
            errln!("error: {e}");
            2
        }
    }
}

fn check(paths: &[std::path::PathBuf], short: bool, deny_warnings: bool, color: bool) -> u8 {
    let loaded = match files::load(paths) {
        Ok(loaded) => loaded,
        Err(message) => {
            errln!("error: {message}");
            return 2;
        }
    };
    let count = loaded.packaged.as_ref().map_or(loaded.sources.len(), |(_, files)| files.len())
        + loaded.undecodable.len();
    let analysis = loaded.analysis();
    let mut diagnostics = analysis.diagnostics();
    if !diagnostics.iter().any(writ_compiler::Diagnostic::is_error) {
        diagnostics.extend(writ_compiler::codegen::size_diagnostics(&analysis));
    }
    let options = RenderOptions { color, ascii: false };
    let mut output = String::new();
    for (name, diagnostic) in &loaded.undecodable {
        output.push_str(&writ_compiler::render::plain(diagnostic, name, ""));
        output.push('\n');
    }
    if short {
        for d in &diagnostics {
            let (name, text) =
                analysis.file(d.span.file).map_or(("?", ""), |f| (f.name.as_str(), f.text.as_str()));
            output.push_str(&writ_compiler::render::plain(d, name, text));
            output.push('\n');
        }
    } else {
        output.push_str(&render(&diagnostics, &analysis.sources(), options));
    }
    diagnostics.extend(loaded.undecodable.into_iter().map(|(_, d)| d));
    let errors = diagnostics.iter().filter(|d| d.is_error()).count();
    let warnings = diagnostics.len() - errors;
    errout!("{output}");
    errln!(
        "checked {count} file{}: {errors} error{}, {warnings} warning{}",
        if count == 1 { "" } else { "s" },
        if errors == 1 { "" } else { "s" },
        if warnings == 1 { "" } else { "s" },
    );
    u8::from(errors > 0 || (deny_warnings && warnings > 0))
}
