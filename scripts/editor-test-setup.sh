# Sourced by the real-editor tests (scripts/test-nvim.sh, scripts/test-emacs.sh):
#   editor_needs COMMAND NO_INSTALL_VARIABLE PACKAGE...
# installs the Debian packages with apt-get when COMMAND is missing (unless
# the named variable is 1, then it fails), and sets and exports WRIT_BIN
# (building `writ` with cargo when it is not given). Expects `root` set.

editor_needs() {
    local command="$1" no_install="$2"
    shift 2
    if ! command -v "$command" >/dev/null 2>&1; then
        if [[ "${!no_install:-0}" == "1" ]]; then
            echo "$command is not installed" >&2
            exit 1
        fi
        echo "installing $* with apt-get" >&2
        apt-get update -qq && apt-get install -y -qq "$@" >/dev/null
    fi
    if [[ -z "${WRIT_BIN:-}" ]]; then
        (cd "$root" && cargo build -q -p writ-cli)
        WRIT_BIN="${CARGO_TARGET_DIR:-$root/target}/debug/writ"
    fi
    export WRIT_BIN
}
