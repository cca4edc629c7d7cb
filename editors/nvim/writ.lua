-- Writ in Neovim: the `.writ` filetype and `writ lsp` attached to it.
-- Copy into your config (e.g. ~/.config/nvim/after/plugin/writ.lua) or
-- `:luafile` it. Needs Neovim 0.8 or later (0.7 users: see README.md).
-- Set vim.g.writ_bin to the binary when `writ` is not on PATH.

vim.filetype.add({ extension = { writ = "writ" } })

vim.api.nvim_create_autocmd("FileType", {
  pattern = "writ",
  callback = function(args)
    local root = vim.fs.dirname(vim.fs.find({ ".git", "Cargo.toml" }, {
      upward = true,
      path = vim.fs.dirname(vim.api.nvim_buf_get_name(args.buf)),
    })[1] or vim.api.nvim_buf_get_name(args.buf))
    vim.lsp.start({
      name = "writ",
      cmd = { vim.g.writ_bin or "writ", "lsp" },
      root_dir = root,
      init_options = { diagnosticsDelayMs = 75 },
    })
    vim.bo[args.buf].commentstring = "// %s"
  end,
})

-- Suggested keys, only in Writ buffers with the server attached.
vim.api.nvim_create_autocmd("LspAttach", {
  callback = function(args)
    local client = vim.lsp.get_client_by_id(args.data.client_id)
    if not client or client.name ~= "writ" then
      return
    end
    local opts = { buffer = args.buf }
    vim.keymap.set("n", "gd", vim.lsp.buf.definition, opts)
    vim.keymap.set("n", "gr", vim.lsp.buf.references, opts)
    vim.keymap.set("n", "K", vim.lsp.buf.hover, opts)
    vim.keymap.set("n", "<leader>rn", vim.lsp.buf.rename, opts)
    vim.keymap.set("n", "<leader>ca", vim.lsp.buf.code_action, opts)
    vim.keymap.set("n", "<leader>f", function() vim.lsp.buf.format({ async = true }) end, opts)
  end,
})
