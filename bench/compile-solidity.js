// Compiles bench/solidity/*.sol with solc-js (the npm `solc` package,
// installed by scripts/bench.sh) through the standard JSON interface and
// writes, for each contract, into the output folder:
//   <Contract>.bin     the runtime (deployed) bytecode, hex
//   <Contract>.hashes  one line per method: 8-hex-digit selector, signature
// and solc.txt: the compiler version, the settings, each file's compile
// time and the SHA-256 of each source (writ-bench refuses bytecode built
// from other sources than its own). Usage: node compile-solidity.js SOURCE_DIR OUT_DIR
'use strict';
const fs = require('fs');
const path = require('path');
const crypto = require('crypto');
const solc = require('solc');

const [sourceDir, outDir] = process.argv.slice(2);
if (!sourceDir || !outDir) {
  console.error('usage: node compile-solidity.js SOURCE_DIR OUT_DIR');
  process.exit(2);
}
// The EVM version revm is configured with (bench/src/evm.rs: SpecId::OSAKA).
const settings = {
  optimizer: { enabled: true, runs: 200 },
  evmVersion: 'osaka',
  outputSelection: { '*': { '*': ['evm.deployedBytecode.object', 'evm.methodIdentifiers'] } },
};
fs.mkdirSync(outDir, { recursive: true });
const report = [`version ${solc.version()}`, `settings ${JSON.stringify({ optimizer: settings.optimizer, evmVersion: settings.evmVersion })}`];
// One untimed compilation first, so the timings below exclude the start-up
// of solc-js's WebAssembly module.
solc.compile(JSON.stringify({ language: 'Solidity', sources: { 'warm.sol': { content: 'contract W {}' } }, settings }));
const files = fs.readdirSync(sourceDir).filter((f) => f.endsWith('.sol')).sort();
for (const file of files) {
  const content = fs.readFileSync(path.join(sourceDir, file), 'utf8');
  const input = {
    language: 'Solidity',
    sources: { [file]: { content } },
    settings,
  };
  const start = process.hrtime.bigint();
  const output = JSON.parse(solc.compile(JSON.stringify(input)));
  const ms = Number(process.hrtime.bigint() - start) / 1e6;
  const problems = (output.errors || []).filter((e) => e.severity === 'error' || e.severity === 'warning');
  for (const problem of problems) {
    console.error(problem.formattedMessage);
  }
  if (problems.some((e) => e.severity === 'error')) {
    process.exit(1);
  }
  for (const [name, contract] of Object.entries(output.contracts[file])) {
    fs.writeFileSync(path.join(outDir, `${name}.bin`), contract.evm.deployedBytecode.object + '\n');
    report.push(`bytecode_sha256 ${name} ${crypto.createHash('sha256').update(contract.evm.deployedBytecode.object, 'utf8').digest('hex')}`);
    const hashes = Object.entries(contract.evm.methodIdentifiers)
      .map(([signature, selector]) => `${selector} ${signature}`)
      .sort();
    fs.writeFileSync(path.join(outDir, `${name}.hashes`), hashes.join('\n') + '\n');
    console.log(`compiled ${file}: ${name} (${contract.evm.deployedBytecode.object.length / 2} bytes of runtime code) in ${ms.toFixed(0)} ms`);
  }
  report.push(`compile_ms ${file} ${ms.toFixed(1)}`);
  report.push(`source_sha256 ${file} ${crypto.createHash('sha256').update(content, 'utf8').digest('hex')}`);
}
fs.writeFileSync(path.join(outDir, 'solc.txt'), report.join('\n') + '\n');
