// Preloaded (node --require) into a CLI run by the crash tests: counts the file-system operations
// that touch paths containing CT_KILL_MATCH and SIGKILLs the process just before the CT_KILL_AT-th
// one (0: never), writing the running count to CT_KILL_COUNT_FILE. It patches node:fs/promises and
// node:fs's callback functions (the CLI bundle's fs/promises is made of those:
// src/cli/fs-promises-lazy.ts) and syncs the ESM named exports, so the code under test runs
// unmodified (no hook in production code).
const fs = require('node:fs');
const { syncBuiltinESMExports } = require('node:module');

const match = process.env.CT_KILL_MATCH || '';
const at = Number(process.env.CT_KILL_AT || 0);
const countFile = process.env.CT_KILL_COUNT_FILE;
let n = 0;

const count = (args) => {
  if (match && args.slice(0, 2).some((a) => typeof a === 'string' && a.includes(match))) {
    n++;
    if (countFile) fs.writeFileSync(countFile, String(n));
    if (n === at) process.kill(process.pid, 'SIGKILL');
  }
};
for (const name of ['rename', 'link', 'symlink', 'unlink', 'rm', 'mkdir', 'writeFile', 'open']) {
  for (const api of [fs.promises, fs]) {
    const orig = api[name];
    api[name] = function patched(...args) {
      count(args);
      return orig.apply(this, args);
    };
  }
}
syncBuiltinESMExports();
