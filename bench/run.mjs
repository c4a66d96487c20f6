#!/usr/bin/env node
// npm run bench: starts its own lab (registry + notary-server + notary-signer on free loopback ports),
// builds the repositories it needs, and prints a table of our median vs the real Notary client's median,
// measured in the same run on the same server and repository, with the ratio and the goal.
// Writes bench/results/latest.json and bench/results/latest.svg.
//
//   npm run bench                 (everything, ~2-4 minutes)
//   BENCH_QUICK=1 npm run bench   (fewer runs, no 100k repository)

import { execFileSync, spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { build } from 'esbuild';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const QUICK = process.env.BENCH_QUICK === '1';
const work = mkdtempSync(join(tmpdir(), 'ct-bench-'));
const cli = join(root, 'dist', 'cli.js');

// ------------------------------------------------------------------ library bundle
await build({
  entryPoints: [join(root, 'bench', 'internal.ts')],
  bundle: true,
  format: 'esm',
  platform: 'node',
  target: 'node20',
  outfile: join(work, 'internal.mjs'),
  logLevel: 'error',
});
const lib = await import(pathToFileURL(join(work, 'internal.mjs')).href);

// ------------------------------------------------------------------ lab
async function freePort() {
  return new Promise((resolve) => {
    const s = createServer();
    s.listen(0, '127.0.0.1', () => {
      const p = s.address().port;
      s.close(() => resolve(p));
    });
  });
}
const labDir = join(work, 'lab');
const labEnv = {
  ...process.env,
  LAB_DIR: labDir,
  LAB_REGISTRY_PORT: String(await freePort()),
  LAB_NOTARY_PORT: String(await freePort()),
  LAB_SIGNER_PORT: String(await freePort()),
  LAB_TOKEN_PORT: String(await freePort()),
};
execFileSync('bash', [join(root, 'test/harness/install.sh')], { stdio: 'inherit' });
execFileSync('bash', [join(root, 'test/harness/up.sh')], {
  env: labEnv,
  stdio: ['ignore', 'ignore', 'inherit'],
});
const lab = JSON.parse(readFileSync(join(labDir, 'env.json'), 'utf8'));
const stopLab = () => {
  try {
    execFileSync('bash', [join(root, 'test/harness/down.sh')], { env: labEnv, stdio: 'ignore' });
  } catch {}
};
process.on('exit', () => {
  stopLab();
  rmSync(work, { recursive: true, force: true });
});
const ca = readFileSync(lab.caCert, 'utf8');
const notaryEnv = { ...process.env, ...lab.notaryEnv };

// ------------------------------------------------------------------ helpers
const now = () => Number(process.hrtime.bigint()) / 1e6;
const median = (xs) => {
  const s = [...xs].sort((a, b) => a - b);
  return s.length % 2 ? s[(s.length - 1) / 2] : (s[s.length / 2 - 1] + s[s.length / 2]) / 2;
};
const stats = (xs) => ({ median: median(xs), min: Math.min(...xs), max: Math.max(...xs), runs: xs.length });
function timeCmd(cmd, args, opts = {}, runs = 10, prep) {
  const xs = [];
  for (let i = 0; i < runs; i++) {
    prep?.(i);
    const t = now();
    const r = spawnSync(cmd, typeof args === 'function' ? args(i) : args, {
      stdio: ['ignore', 'pipe', 'pipe'],
      ...opts,
    });
    xs.push(now() - t);
    if (r.status !== 0) throw new Error(`${cmd} ${args}: ${r.stderr}`);
  }
  return stats(xs);
}
async function timeAsync(f, runs) {
  const xs = [];
  for (let i = 0; i < runs; i++) {
    const t = now();
    await f(i);
    xs.push(now() - t);
  }
  return stats(xs);
}
const notary = (dir, args, extra = {}) => {
  const r = spawnSync('notary', ['-d', dir, '-s', lab.notaryUrl, '--tlscacert', lab.caCert, ...args], {
    env: notaryEnv,
    stdio: ['ignore', 'pipe', 'pipe'],
    ...extra,
  });
  if (r.status !== 0) throw new Error(`notary ${args.join(' ')}: ${r.stderr}`);
  return r.stdout.toString();
};
const notaryArgs = (dir, args) => ['-d', dir, '-s', lab.notaryUrl, '--tlscacert', lab.caCert, ...args];
const hex = (s) => createHash('sha256').update(s).digest('hex');
const fresh = (p) => mkdtempSync(join(work, `${p}-`));
const pubOpts = (trustDir) => ({
  server: lab.notaryUrl,
  tlsCaCert: ca,
  trustDir,
  passphrase: lib.staticPassphraseProvider('bench-passphrase-1'),
  keyIterations: 1000,
});

/** A repository with n tags, published with our library through the real notary-server (one publish). */
async function ourRepo(n) {
  const gun = `${lab.registryHost}/bench/tags-${n}`;
  const dir = fresh('pub');
  await lib.initRepository(gun, pubOpts(dir));
  const tags = Array.from({ length: n }, (_, i) => ({
    reference: `${gun}:t${i}`,
    digest: `sha256:${hex(`t${i}`)}`,
    size: 1000 + i,
  }));
  for (let i = 0; i < tags.length; i += 20000) await lib.signTags(tags.slice(i, i + 20000), pubOpts(dir));
  const probe = notary(fresh('probe'), ['lookup', gun, `t${n - 1}`]).trim();
  if (!probe.includes(hex(`t${n - 1}`)))
    throw new Error(`notary cannot read the ${n}-tag repository: ${probe}`);
  return gun;
}

const rows = [];
const row = (name, ours, theirs, goal, note = '') => {
  const ratio = theirs ? ours.median / theirs.median : undefined;
  let met;
  if (goal?.ratio !== undefined && ratio !== undefined) met = ratio <= goal.ratio;
  if (goal?.ms !== undefined) met = ours.median <= goal.ms;
  rows.push({ name, ours, theirs, ratio, goal: goal?.text ?? '', met, note });
  process.stderr.write(
    `  ${name}: ${ours.median.toFixed(1)} ms${theirs ? ` vs ${theirs.median.toFixed(1)} ms` : ''}\n`,
  );
};

// ------------------------------------------------------------------ scenarios
process.stderr.write('building repositories...\n');
const small = `${lab.registryHost}/bench/notary-made`;
{
  const d = fresh('notary-admin');
  notary(d, ['init', small, '-p']);
  notary(d, ['key', 'rotate', small, 'snapshot', '-r']);
  notary(d, ['addhash', small, 'v1', '100', '--sha256', hex('v1'), '-p']);
}
const R = { 1: small, 1000: await ourRepo(1000), 10000: await ourRepo(10000) };
const runs = QUICK ? 5 : 15;

process.stderr.write('warm verify...\n');
{
  const ourDir = fresh('warm-ours');
  const opts = { server: lab.notaryUrl, tlsCaCert: ca, trustDir: ourDir };
  await lib.verify(`${small}:v1`, opts);
  const inproc = await timeAsync(() => lib.verify(`${small}:v1`, opts), QUICK ? 50 : 200);
  const nd = fresh('warm-notary');
  notary(nd, ['lookup', small, 'v1']);
  const theirs = timeCmd('notary', notaryArgs(nd, ['lookup', small, 'v1']), { env: notaryEnv }, runs);
  row('warm verify, in-process (library)', inproc, theirs, { ms: 2, text: 'p50 <= 2 ms' });
  spawnSync(process.execPath, [
    cli,
    'verify',
    `${small}:v1`,
    '--server',
    lab.notaryUrl,
    '--tlscacert',
    lab.caCert,
    '--trust-dir',
    ourDir,
  ]);
  const ours = timeCmd(
    process.execPath,
    [
      cli,
      'verify',
      `${small}:v1`,
      '--server',
      lab.notaryUrl,
      '--tlscacert',
      lab.caCert,
      '--trust-dir',
      ourDir,
    ],
    {},
    runs,
  );
  row('warm verify, CLI wall vs notary lookup', ours, theirs, { ratio: 1.0, text: '<= 1.0x notary' });
  const bare = timeCmd(process.execPath, ['-e', '0'], {}, runs);
  row('  (node -e 0 on this machine)', bare, theirs, undefined, 'process start floor');
}

process.stderr.write('cold verify...\n');
for (const n of [1, 1000, 10000]) {
  const gun = R[n];
  const tag = n === 1 ? 'v1' : `t${n - 1}`;
  const ours = timeCmd(
    process.execPath,
    () => [
      cli,
      'verify',
      `${gun}:${tag}`,
      '--server',
      lab.notaryUrl,
      '--tlscacert',
      lab.caCert,
      '--trust-dir',
      fresh('cold'),
    ],
    {},
    QUICK ? 3 : 7,
  );
  const theirs = timeCmd(
    'notary',
    () => notaryArgs(fresh('cold-n'), ['lookup', gun, tag]),
    { env: notaryEnv },
    QUICK ? 3 : 7,
  );
  row(
    `cold verify, ${n} tag${n > 1 ? 's' : ''} (CLI, fresh trust dir)`,
    ours,
    theirs,
    n === 10000 ? { ratio: 0.5, text: '<= 0.5x notary' } : undefined,
  );
}

if (!QUICK) {
  process.stderr.write('100k tags in-process...\n');
  const gun = await ourRepo(100000);
  const script = `
    const lib = await import(${JSON.stringify(pathToFileURL(join(work, 'internal.mjs')).href)});
    const t = performance.now();
    await lib.verify(${JSON.stringify(`${gun}:t99999`)}, { server: ${JSON.stringify(lab.notaryUrl)}, tlsCaCert: ${JSON.stringify(ca)}, trustDir: process.argv[1] });
    const ms = performance.now() - t;
    console.log(JSON.stringify({ ms, maxRSS: process.resourceUsage().maxRSS }));`;
  const xs = [];
  let rss = 0;
  for (let i = 0; i < 3; i++) {
    const r = spawnSync(process.execPath, ['--input-type=module', '-e', script, fresh('cold100k')], {
      encoding: 'utf8',
    });
    if (r.status !== 0) throw new Error(r.stderr);
    const o = JSON.parse(r.stdout);
    xs.push(o.ms);
    rss = Math.max(rss, o.maxRSS);
  }
  const theirs = timeCmd(
    'notary',
    () => notaryArgs(fresh('cold-n100k'), ['lookup', gun, 't99999']),
    { env: notaryEnv },
    3,
  );
  row(
    'cold verify, 100,000 tags (in-process)',
    stats(xs),
    theirs,
    { ms: 1000, text: '<= 1 s' },
    `peak RSS ${(rss / 1024).toFixed(0)} MiB`,
  );
}

process.stderr.write('signing...\n');
{
  const gun = `${lab.registryHost}/bench/sign-one`;
  const dir = fresh('sign-one');
  await lib.initRepository(gun, pubOpts(dir));
  const env = {
    ...process.env,
    DOCKER_CONTENT_TRUST_ROOT_PASSPHRASE: 'bench-passphrase-1',
    DOCKER_CONTENT_TRUST_REPOSITORY_PASSPHRASE: 'bench-passphrase-1',
  };
  const ours = timeCmd(
    process.execPath,
    (i) => [
      cli,
      'sign',
      `${gun}:s${i}`,
      '--digest',
      `sha256:${hex(`s${i}`)}`,
      '--size',
      '10',
      '--server',
      lab.notaryUrl,
      '--tlscacert',
      lab.caCert,
      '--trust-dir',
      dir,
    ],
    { env },
    QUICK ? 3 : 7,
  );
  const nd = fresh('sign-one-n');
  const ngun = `${lab.registryHost}/bench/sign-one-notary`;
  notary(nd, ['init', ngun, '-p']);
  notary(nd, ['key', 'rotate', ngun, 'snapshot', '-r']);
  const theirs = timeCmd(
    'notary',
    (i) => notaryArgs(nd, ['addhash', ngun, `s${i}`, '10', '--sha256', hex(`s${i}`), '-p']),
    { env: notaryEnv },
    QUICK ? 3 : 7,
  );
  row(
    'sign + publish 1 tag, CLI (test keys: 1,000 PBKDF2 rounds)',
    ours,
    theirs,
    { ratio: 1.0, text: '<= 1.0x notary' },
    'key unlock excluded: see KDF row',
  );
}
{
  const n = 1000;
  const gun = `${lab.registryHost}/bench/sign-many`;
  const dir = fresh('sign-many');
  await lib.initRepository(gun, pubOpts(dir));
  const tags = Array.from({ length: n }, (_, i) => ({
    reference: `${gun}:m${i}`,
    digest: `sha256:${hex(`m${i}`)}`,
    size: 10,
  }));
  const ours = await timeAsync(() => lib.signTags(tags, pubOpts(dir)), QUICK ? 1 : 3);
  const nd = fresh('sign-many-n');
  const ngun = `${lab.registryHost}/bench/sign-many-notary`;
  notary(nd, ['init', ngun, '-p']);
  notary(nd, ['key', 'rotate', ngun, 'snapshot', '-r']);
  const nn = QUICK ? 100 : n;
  const t = now();
  for (let i = 0; i < nn; i++) notary(nd, ['addhash', ngun, `m${i}`, '10', '--sha256', hex(`m${i}`)]);
  notary(nd, ['publish', ngun]);
  const theirMs = ((now() - t) * n) / nn;
  row(
    `sign + publish ${n} tags in one call (library)`,
    ours,
    stats([theirMs]),
    { ratio: 0.1, text: '<= 0.1x notary' },
    QUICK ? `notary extrapolated from ${nn}` : 'notary addhash x1000 + publish',
  );
}

process.stderr.write('KDF and canonical encoding...\n');
{
  // Key unlock cost at the default 1,000,000 PBKDF2-HMAC-SHA1 rounds (what trust key generate writes)
  const { pbkdf2Sync } = await import('node:crypto');
  const kdf = [];
  for (let i = 0; i < 3; i++) {
    const t = now();
    pbkdf2Sync('passphrase', Buffer.alloc(8), 1_000_000, 32, 'sha1');
    kdf.push(now() - t);
  }
  row(
    'key unlock at 1,000,000 PBKDF2 rounds (per key)',
    stats(kdf),
    undefined,
    undefined,
    'notary writes 2,048 rounds (~2 ms)',
  );

  const targets = {};
  for (let i = 0; ; i++) {
    const name = `v${i}.${i % 97}-release-${(i * 7919) % 100000}`;
    targets[name] = {
      hashes: { sha256: createHash('sha256').update(name).digest('base64') },
      length: 1000 + i,
    };
    if (i % 1000 === 0 && JSON.stringify(targets).length > 10e6) break;
  }
  const doc = JSON.parse(
    lib.canonicalJson({
      _type: 'Targets',
      delegations: { keys: {}, roles: [] },
      expires: '2030-01-01T00:00:00Z',
      targets,
      version: 1,
    }),
  );
  const js = await timeAsync(() => JSON.stringify(doc), 7);
  const cj = await timeAsync(() => lib.canonicalJson(doc), 7);
  row(
    'canonical JSON of a 10 MB targets document vs JSON.stringify',
    cj,
    js,
    { ratio: 1.5, text: '<= 1.5x JSON.stringify' },
    'both in-process',
  );
}

const crypto = JSON.parse(
  execFileSync(process.execPath, [join(root, 'bench/crypto.mjs'), '--json'], { encoding: 'utf8' }),
);

// ------------------------------------------------------------------ report
const fmt = (s) => (s ? `${s.median.toFixed(1)} (${s.min.toFixed(1)}-${s.max.toFixed(1)})` : '-');
const lines = [
  `content-trust bench, ${new Date().toISOString()}, node ${process.version}, notary ${spawnSync('dpkg-query', ['-W', `-f=${'$'}{Version}`, 'notary']).stdout}`,
  '',
  '| scenario | ours ms median (min-max) | notary ms median (min-max) | ratio | goal | met |',
  '|---|---|---|---|---|---|',
  ...rows.map(
    (r) =>
      `| ${r.name}${r.note ? ` [${r.note}]` : ''} | ${fmt(r.ours)} | ${fmt(r.theirs)} | ${r.ratio === undefined ? '-' : `${r.ratio.toFixed(2)}x`} | ${r.goal} | ${r.met === undefined ? '-' : r.met ? 'met' : 'NOT met'} |`,
  ),
  '',
  'signature verifications per second:',
  ...Object.entries(crypto.verifiesPerSecond ?? {}).map(([k, v]) => `  ${k}: ${JSON.stringify(v)}`),
  'hash MB/s:',
  ...Object.entries(crypto.hashMBps ?? {}).map(([k, v]) => `  ${k}: ${JSON.stringify(v)}`),
];
process.stdout.write(`${lines.join('\n')}\n`);
mkdirSync(join(root, 'bench', 'results'), { recursive: true });
writeFileSync(
  join(root, 'bench', 'results', 'latest.json'),
  `${JSON.stringify({ rows, crypto }, null, 2)}\n`,
);

// a bar chart of the ratios (ours / notary), goal lines marked
const ratioRows = rows.filter((r) => r.ratio !== undefined);
const W = 900;
const H = 40 + ratioRows.length * 34;
const maxR = Math.max(2, ...ratioRows.map((r) => r.ratio));
const x = (v) => 400 + (v / maxR) * (W - 460);
const esc = (s) => s.replace(/&/g, '&amp;').replace(/</g, '&lt;');
const bars = ratioRows
  .map((r, i) => {
    const y = 30 + i * 34;
    const colour = r.met === false ? '#d9534f' : '#4a90d9';
    return `<text x="392" y="${y + 16}" text-anchor="end" font-size="12">${esc(r.name.slice(0, 56))}</text><rect x="400" y="${y + 4}" width="${x(r.ratio) - 400}" height="18" fill="${colour}"/><text x="${x(r.ratio) + 6}" y="${y + 17}" font-size="12">${r.ratio.toFixed(2)}x</text>`;
  })
  .join('\n');
const svg = `<svg xmlns="http://www.w3.org/2000/svg" width="${W}" height="${H}" font-family="sans-serif">
<text x="10" y="18" font-size="14" font-weight="bold">content-trust time / Notary client time (lower is better; red: goal not met)</text>
<line x1="${x(1)}" y1="24" x2="${x(1)}" y2="${H}" stroke="#888" stroke-dasharray="4"/><text x="${x(1) + 3}" y="${H - 4}" font-size="10">1.0x</text>
${bars}
</svg>
`;
writeFileSync(join(root, 'bench', 'results', 'latest.svg'), svg);
process.stderr.write(`wrote bench/results/latest.json and latest.svg\n`);
