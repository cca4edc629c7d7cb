#!/usr/bin/env bash
# Tests the TextMate grammar of the VS Code extension with
# vscode-tmgrammar-test on the fixtures in editors/vscode/test/ (each line
# of `^` marks under a source line names the scope expected there).
# Installs the tool into editors/vscode/node_modules when it is missing.
set -euo pipefail

ext="$(cd "$(dirname "$0")/../editors/vscode" && pwd)"
cd "$ext"
if [[ ! -x node_modules/.bin/vscode-tmgrammar-test ]]; then
    echo "installing vscode-tmgrammar-test into editors/vscode/node_modules" >&2
    npm install --no-save --no-package-lock --no-audit --no-fund vscode-tmgrammar-test@^0.1.3 >/dev/null
fi
node_modules/.bin/vscode-tmgrammar-test -g syntaxes/writ.tmLanguage.json "test/*.writ"
