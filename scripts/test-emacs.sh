#!/usr/bin/env bash
# End-to-end test in a second real editor: Emacs, headless, with eglot
# and the shipped setup (editors/emacs/writ.el). Opens a file with one
# type error and checks the diagnostic, an edit clearing it, go to
# definition, rename, formatting and a clean shutdown (the server exits
# with status 0 after eglot's `shutdown` with "params": null). Exits
# non-zero on any failure.
#
# Usage: scripts/test-emacs.sh            (builds `writ` with cargo)
#        WRIT_BIN=path/to/writ scripts/test-emacs.sh
# Installs Debian's emacs-nox and elpa-eglot with apt-get when Emacs is
# missing, unless WRIT_EMACS_NO_INSTALL=1.
set -euo pipefail

root="$(cd "$(dirname "$0")/.." && pwd)"

# shellcheck source=scripts/editor-test-setup.sh
source "$root/scripts/editor-test-setup.sh"
editor_needs emacs WRIT_EMACS_NO_INSTALL emacs-nox elpa-eglot

log="$(mktemp)"
trap 'rm -f "$log"' EXIT
# Emacs 28 needs the eglot package; 29 and later have it built in.
if emacs --batch -Q -l "$root/editors/emacs/test-eglot.el" 2>"$log"; then
    echo "emacs end-to-end test passed"
else
    status=$?
    echo "emacs end-to-end test failed (status $status); Emacs said:" >&2
    tail -n 60 "$log" >&2
    exit 1
fi
