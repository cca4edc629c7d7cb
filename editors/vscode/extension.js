// The Writ extension: starts `writ lsp` for .writ files and connects it to
// VS Code with vscode-languageclient. All language features come from the
// server; this file only launches it.
"use strict";

const vscode = require("vscode");
const { LanguageClient, TransportKind } = require("vscode-languageclient/node");

let client;

function activate(context) {
  const config = vscode.workspace.getConfiguration("writ");
  const command = config.get("server.path", "writ");
  const run = { command, args: ["lsp"], transport: TransportKind.stdio };
  const serverOptions = { run, debug: run };
  const clientOptions = {
    documentSelector: [{ scheme: "file", language: "writ" }, { scheme: "untitled", language: "writ" }],
    initializationOptions: { diagnosticsDelayMs: config.get("server.diagnosticsDelayMs", 75) },
  };
  client = new LanguageClient("writ", "Writ language server", serverOptions, clientOptions);
  client.start().catch((error) => {
    vscode.window.showErrorMessage(
      `Could not start the Writ language server (${command} lsp): ${error.message}. ` +
        "Set `writ.server.path` to the writ binary."
    );
  });
  context.subscriptions.push({ dispose: () => client && client.stop() });
  context.subscriptions.push(
    vscode.workspace.onDidChangeConfiguration((event) => {
      if (event.affectsConfiguration("writ.server")) {
        vscode.window.showInformationMessage("Reload the window to restart the Writ language server.");
      }
    })
  );
}

function deactivate() {
  return client ? client.stop() : undefined;
}

module.exports = { activate, deactivate };
