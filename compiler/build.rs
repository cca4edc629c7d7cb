//! Generates the parser from `src/grammar.lalrpop` into `OUT_DIR`.

fn main() {
    // A grammar that fails to generate is a bug in this repository, and a
    // build script can only report it by failing the build.
    #[allow(clippy::expect_used)]
    lalrpop::Configuration::new()
        .use_cargo_dir_conventions()
        .emit_rerun_directives(true)
        .process()
        .expect("the grammar in src/grammar.lalrpop generates a parser");
}
