#!/usr/bin/env node
// Where a warm `trust verify` spends its CPU, phase by phase, next to its floor (issue 12).
//
//   npm run build && node bench/warm-phases.mjs [--runs N]
//
// Starts its own lab (as bench/run.mjs does), signs one tag with `notary`, warms a trust dir, then
// runs, interleaved, N times each: a copy of dist/ with `performance marks` inserted into the built
// launcher and verify bundle (process CPU time, user+sys, at each mark, counted from a preload, that
// is from the end of Node's bootstrap), and bench/lib/floor-https.cjs's work with the same marks.
// Prints the median CPU of each phase. The marks are inserted by matching the built code: when the
// code changes and a pattern no longer matches, this script says which one and stops. The copy's
// bundle gets a new header hash, so it gets (and uses) a V8 code cache of its own, in a private
// cache directory, primed before anything is measured.
import { spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { cpSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { loadavg, tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { startLab } from './lib/lab.mjs';
import { quantile } from './lib/measure.mjs';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const argv = process.argv.slice(2);
const RUNS = argv.includes('--runs') ? Number(argv[argv.indexOf('--runs') + 1]) : 31;
const work = mkdtempSync(join(tmpdir(), 'ct-phases-'));
let lab;
process.on('exit', () => {
  lab?.stop();
  rmSync(work, { recursive: true, force: true });
});
for (const sig of ['SIGINT', 'SIGTERM']) process.on(sig, () => process.exit(130));

// [mark, pattern]: the mark is inserted right after the (single) match
const LAUNCHER = [
  ['launcher: node:crypto, fs, path, vm, os', /\nvar command = process\.argv\[2\];/],
  ['bundle read (fstat, read, Latin-1)', /const \{ bytes, stat \} = readBundle\(file\);/],
  ['cache key (first sha256 use)', /const key = cacheKey\(declared, stat, env\);/],
  ['cache file read + sha256', /const cachedData = useDir \? readCacheFile\(cacheFile, key\) : void 0;/],
  [
    'V8 deserialises the code cache',
    /const script = new import_node_vm\.Script\(source, \{ filename: file, [^\n]*\n/,
  ],
];
const BUNDLE = [
  ['bundle starts', /\(function \(exports, require, module, __filename, __dirname\) \{ "use strict";/],
  [
    'module init: our modules before http.ts',
    /\n {4}import_node_fs = require\("node:fs"\);\n(?= {4}import_node_http = )/,
  ],
  ['module init: node:http, https, tls', /\n {4}import_node_tls = require\("node:tls"\);\n/],
  ['module init: our other modules', /\n(?=runCli\(\(\) => run\(process\.argv)/],
  ['runCli: process.stdout, handlers', /\n(?= {4}const args = parseArgs\(argv, \{)/],
  ['arguments parsed', /\n(?= {4}const bundle = str\(args, "bundle"\);)/],
  [
    'options (CA file read, server URL checked)',
    /\n(?= {4}const result = await verify\(args\.positionals\[0\], opts\);)/,
  ],
  ['reference parsed, registry check', /\n(?= {2}const ctx = repositoryContext(?:Of)?\(ref, options\);)/],
  ['repository context, updater', /\n(?= {4}const cachedRoot = this\.cached\("root"\);\n)/],
  ['cached root read', /const root = cachedRoot \? [^\n]*await this\.loadRoot\(\);(?=\n {4}const offline)/],
  ['request out (agent, TLS context, connect)', /\n {6}await queuedTicks\(\);\n/],
  ['cached root parsed and checked', /\n {4}const first = this\.newSet\(root\.bytes, root\.source\);\n/],
  ['TLS handshake, cached timestamp/snapshot/targets', /\n(?= {8}const status = res\.statusCode \?\? 0;)/],
  ['response body', /\n(?= {10}const buf = Buffer\.concat\(chunks, total\);\n {10}const answer)/],
  ['timestamp and snapshot checked', /\n {4}this\.#set = result\.set;\n/],
  ['targets (verified index)', /\n {6}await this\.loadTargets\("targets"\);\n/],
  ['tag looked up, index current', /\n {2}await updater\.commit\(\);\n/],
];
const FLOOR = `'use strict';
__m('floor starts');
const https = require('node:https');
__m('node:https (crypto, tls, net, http)');
const { readFileSync } = require('node:fs');
const [url, caFile] = process.argv.slice(2);
const req = https.get(url, { ca: readFileSync(caFile) }, (res) => {
  __m('TLS handshake, response headers');
  let n = 0;
  res.on('data', (c) => { n += c.length; });
  res.on('end', () => { __m('response body'); process.stdout.write(\`\${n}\\n\`); });
});
__m('request out (agent, TLS context, connect)');
req.on('error', (e) => { process.stderr.write(\`\${e.message}\\n\`); process.exitCode = 3; });
`;
const PRELOAD = `const t0 = process.cpuUsage(); const marks = [];
globalThis.__m = (n) => { const u = process.cpuUsage(t0); marks.push([n, (u.user + u.system) / 1000]); };
process.on('exit', () => { __m('exit'); require('node:fs').writeSync(2, '@@marks ' + JSON.stringify(marks) + '\\n'); });
`;

function insertMarks(file, marks) {
  let text = readFileSync(file, 'latin1');
  for (const [name, re] of marks) {
    const all = text.match(new RegExp(re.source, 'g')) ?? [];
    if (all.length !== 1) throw new Error(`${file}: the mark "${name}" matches ${all.length} times (${re})`);
    text = text.replace(re, (m) => `${m}__m(${JSON.stringify(name)});`);
  }
  // the bundle's header declares the hash of the rest (src/cli/code-cache.ts): a new one for the copy
  if (text.startsWith('// content-trust bundle sha256:')) {
    const body = text.slice(text.indexOf('\n') + 1);
    text = `// content-trust bundle sha256:${createHash('sha256').update(body, 'latin1').digest('hex')}\n${body}`;
  }
  writeFileSync(file, text, 'latin1');
}

const dist = join(root, 'bench', 'results', `.phases-${process.pid}`);
process.on('exit', () => rmSync(dist, { recursive: true, force: true }));
cpSync(join(root, 'dist'), dist, { recursive: true });
insertMarks(join(dist, 'cli.cjs'), LAUNCHER);
insertMarks(join(dist, 'cli-verify.cjs'), BUNDLE);
writeFileSync(join(work, 'marks.cjs'), PRELOAD);
writeFileSync(join(work, 'floor.cjs'), FLOOR);

lab = await startLab(root, work);
const { lab: L, notary } = lab;
const gun = `${L.registryHost}/bench/phases`;
const admin = join(work, 'admin');
notary(admin, ['init', gun, '-p']);
notary(admin, ['key', 'rotate', gun, 'snapshot', '-r']);
notary(admin, [
  'addhash',
  gun,
  'v1',
  '100',
  '--sha256',
  createHash('sha256').update('v1').digest('hex'),
  '-p',
]);

const env = { ...process.env, XDG_CACHE_HOME: join(work, 'cache') };
delete env.CONTENT_TRUST_CODE_CACHE;
const sides = {
  ours: [join(dist, 'cli.cjs'), 'verify', `${gun}:v1`, '--server', L.notaryUrl, '--tlscacert', L.caCert],
  floor: [join(work, 'floor.cjs'), `${L.notaryUrl}/v2/${gun}/_trust/tuf/timestamp.json`, L.caCert],
};
sides.ours.push('--trust-dir', join(work, 'trust'));
const once = (args) => {
  const r = spawnSync(process.execPath, ['-r', join(work, 'marks.cjs'), ...args], { env, encoding: 'utf8' });
  if (r.status !== 0) throw new Error(`${args[0]} exited ${r.status}: ${r.stderr}`);
  return JSON.parse(/@@marks (.*)/.exec(r.stderr)[1]);
};
// the trust dir, then the code cache (written by one run, used by the next)
for (const args of Object.values(sides)) for (let i = 0; i < 3; i++) once(args);
const med = (xs) => quantile(xs, 0.5);
const load = [loadavg()[0]];
const samples = { ours: [], floor: [] };
for (let i = 0; i < RUNS; i++) {
  for (const side of i % 2 ? ['floor', 'ours'] : ['ours', 'floor']) samples[side].push(once(sides[side]));
}
load.push(loadavg()[0]);
// garbage collection, which lands in whichever phase fills the young generation: a few runs with
// --trace-gc (its own code cache key: primed first)
const gc = {};
for (const [side, args] of Object.entries(sides)) {
  const traced = (a) => {
    const r = spawnSync(process.execPath, ['--trace-gc', '-r', join(work, 'marks.cjs'), ...a], {
      env,
      encoding: 'utf8',
    });
    if (r.status !== 0) throw new Error(`${a[0]} --trace-gc exited ${r.status}: ${r.stderr}`);
    const pauses = [
      ...r.stdout.matchAll(/: (Scavenge|Mark-Compact|Mark-sweep)[^,]*, ([\d.]+) \/ [\d.]+ ms/g),
    ];
    return { n: pauses.length, ms: pauses.reduce((t, m) => t + Number(m[2]), 0) };
  };
  traced(args);
  traced(args);
  const runs = Array.from({ length: 7 }, () => traced(args));
  gc[side] = { n: med(runs.map((r) => r.n)), ms: med(runs.map((r) => r.ms)) };
}

console.log(
  `warm \`trust verify\`: CPU (user+sys) per phase from the end of Node's bootstrap, median of ${RUNS} interleaved runs; node ${process.version}; load average ${load.map((x) => x.toFixed(2)).join(' -> ')}`,
);
for (const side of ['ours', 'floor']) {
  const runs = samples[side];
  const names = runs[0].map(([n]) => n);
  console.log(`\n${side === 'ours' ? 'trust verify (dist/cli.cjs)' : 'floor (bench/lib/floor-https.cjs)'}`);
  names.forEach((name, j) => {
    const d = med(runs.map((r) => r[j][1] - (j ? r[j - 1][1] : 0)));
    const at = med(runs.map((r) => r[j][1]));
    console.log(`  ${d.toFixed(2).padStart(6)} ms  (at ${at.toFixed(1).padStart(5)})  ${name}`);
  });
  console.log(
    `  of which garbage collection (--trace-gc, median of 7 runs): ${gc[side].n} pause(s), ${gc[side].ms.toFixed(2)} ms`,
  );
}
