#!/usr/bin/env bash
# End-to-end test in a real editor: Neovim, headless, opens a copy of the
# tax example (with one type error added) with `writ lsp` attached, waits
# for the diagnostics to arrive, then uses go to definition on a call and
# checks the cursor lands on the function's declaration. Exits non-zero on
# any failure.
#
# Usage: scripts/test-nvim.sh            (builds `writ` with cargo)
#        WRIT_BIN=path/to/writ scripts/test-nvim.sh
# Installs Neovim with apt-get when it is missing, unless
# WRIT_NVIM_NO_INSTALL=1.
set -euo pipefail

root="$(cd "$(dirname "$0")/.." && pwd)"

# shellcheck source=scripts/editor-test-setup.sh
source "$root/scripts/editor-test-setup.sh"
editor_needs nvim WRIT_NVIM_NO_INSTALL neovim

work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT
file="$work/tax.writ"
cp "$root/examples/tax/tax.writ" "$file"
printf '\nfn broken() -> u64 {\n    true\n}\n' >>"$file"

# The declaration of `assessed_tax` and its first call (1-based line, 0-based column).
export WRIT_FILE="$file"
export WRIT_DECL_LINE="$(grep -n '^fn assessed_tax' "$file" | head -1 | cut -d: -f1)"
call="$(grep -n '= assessed_tax(' "$file" | head -1)"
export WRIT_USE_LINE="${call%%:*}"
line_text="${call#*:}"
prefix="${line_text%%assessed_tax(*}"
export WRIT_USE_COL="$(( ${#prefix} + 2 ))"

cat >"$work/test.lua" <<'LUA'
local function fail(message)
  io.stderr:write("FAIL: " .. message .. "\n")
  vim.cmd("cquit 1")
end

local file = os.getenv("WRIT_FILE")
vim.cmd("edit " .. vim.fn.fnameescape(file))
local buf = vim.api.nvim_get_current_buf()
local client = vim.lsp.start_client({
  name = "writ",
  cmd = { os.getenv("WRIT_BIN"), "lsp" },
  root_dir = vim.fn.fnamemodify(file, ":h"),
})
if not client then
  fail("the language server did not start")
  return
end
vim.lsp.buf_attach_client(buf, client)

local function code_of(d)
  if d.code then return d.code end
  local lsp = d.user_data and d.user_data.lsp
  return lsp and lsp.code
end

local arrived = vim.wait(20000, function()
  for _, d in ipairs(vim.diagnostic.get(buf)) do
    if code_of(d) == "E2004" then return true end
  end
  return false
end, 50)
if not arrived then
  fail("no E2004 diagnostic arrived; got " .. vim.inspect(vim.diagnostic.get(buf)))
  return
end
io.stderr:write("ok: diagnostics arrived (" .. #vim.diagnostic.get(buf) .. ")\n")

local decl = tonumber(os.getenv("WRIT_DECL_LINE"))
vim.api.nvim_win_set_cursor(0, { tonumber(os.getenv("WRIT_USE_LINE")), tonumber(os.getenv("WRIT_USE_COL")) })
vim.lsp.buf.definition()
local jumped = vim.wait(10000, function() return vim.api.nvim_win_get_cursor(0)[1] == decl end, 50)
if not jumped then
  fail("go to definition did not reach line " .. decl .. "; cursor at " .. vim.inspect(vim.api.nvim_win_get_cursor(0)))
  return
end
io.stderr:write("ok: go to definition reached line " .. decl .. "\n")
vim.cmd("qall!")
LUA

timeout 90 nvim --headless --clean -u NONE -c "luafile $work/test.lua"
echo "neovim end-to-end test passed"
