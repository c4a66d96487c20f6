#!/usr/bin/env node
// content-trust benchmark against the real Notary client (see bench/README.md).
//
//   npm run bench                    everything (about 2 minutes on an idle 2-core machine; never over 5)
//   npm run bench -- --quick         fewer runs, no 100,000-tag repository (under a minute)
//   npm run bench -- --save          also write the committed sample bench/RESULTS.md + bench/chart.svg
//   npm run bench -- --no-profile    skip the CPU profiles of missed goals
//
// Starts its own lab (registry + notary-server + notary-signer with ECDSA server keys, free loopback
// ports), builds the repositories it needs, measures each scenario for us and for the Notary client in
// the same run on the same server (runs interleaved A/B so machine load hits both), and prints a table
// of medians, min/max and ratios. Writes bench/results/latest.{json,md,svg}. Where a goal is missed, the
// scenario is run once more under the V8 CPU profiler and the output says where the time goes.
// Time-bounded: scenarios that no longer fit in the 5-minute budget are skipped and listed as such.

import { spawn, spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import {
  cpSync,
  existsSync,
  mkdirSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  rmSync,
  writeFileSync,
} from 'node:fs';
import { cpus, loadavg, tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { build } from 'esbuild';
import { startLab } from './lib/lab.mjs';
import {
  interleave,
  now,
  OverBudget,
  run,
  setDeadline,
  stats,
  timeLeft,
  timeProcess,
} from './lib/measure.mjs';
import { profileIn, summariseProfile } from './lib/profile.mjs';
import { cryptoTable, markdownTable, svgChart, textTable } from './lib/report.mjs';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const argv = process.argv.slice(2);
const QUICK = argv.includes('--quick') || process.env.BENCH_QUICK === '1';
const SAVE = argv.includes('--save');
const PROFILE = !argv.includes('--no-profile');
// --only TEXT: run only the scenarios whose name contains TEXT (e.g. --only 'TUF 1.0')
const ONLY = argv.includes('--only') ? argv[argv.indexOf('--only') + 1] : undefined;
const started = now();
// 5 minutes in all; the last 20 s are kept for the report and stopping the lab
setDeadline(started + 5 * 60_000 - 20_000);
const loadavgStart = loadavg().map((x) => Math.round(x * 100) / 100);
const log = (m) =>
  process.stderr.write(`[bench ${((now() - started) / 1000).toFixed(0).padStart(3)}s] ${m}\n`);

const work = mkdtempSync(join(tmpdir(), 'ct-bench-'));
const fresh = (p) => mkdtempSync(join(work, `${p}-`));
const node = process.execPath;
const hex = (s) => createHash('sha256').update(s).digest('hex');
const PASSPHRASE = 'bench-throwaway-passphrase'; // of throw-away keys; reaches children via env only

// ------------------------------------------------------------------ the build under test
// Other work may rebuild dist/ while the bench runs, so the bench uses a private copy of it (inside the
// repository, so its imports of node_modules resolve). A copy caught mid-rebuild is detected (an import
// of a missing chunk) and replaced by a private tsup build of the same sources.
const distDir = join(root, 'bench', 'results', `.dist-${process.pid}`);
function distComplete(dir) {
  for (const f of ['index.js', 'tuf.js', 'cli.cjs', 'cli-main.cjs', 'cli-verify.cjs', 'cli-sign.cjs'])
    if (!existsSync(join(dir, f))) return false;
  for (const f of readdirSync(dir).filter((x) => x.endsWith('.js'))) {
    const text = readFileSync(join(dir, f), 'utf8');
    for (const m of text.matchAll(/(?:from\s*|import\s*\(\s*)["'](\.\/[^"']+)["']/g)) {
      if (!existsSync(join(dir, m[1]))) return false;
    }
  }
  return true;
}
function snapshotDist() {
  for (let attempt = 0; attempt < 3; attempt++) {
    rmSync(distDir, { recursive: true, force: true });
    try {
      cpSync(join(root, 'dist'), distDir, { recursive: true });
    } catch {}
    if (distComplete(distDir)) return;
    Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, 1000);
  }
  log('dist/ is incomplete (a rebuild in progress?); building a private copy with tsup');
  rmSync(distDir, { recursive: true, force: true });
  run('npx', ['tsup', '--out-dir', distDir, '--no-dts', '--silent'], { cwd: root });
  if (!distComplete(distDir)) throw new Error('could not obtain a complete build of dist/');
}

// python-tuf (the conformance kit's venv) for the TUF 1.0 row; the row is skipped without it
const tufKit = join(
  process.env.TUF_CONFORMANCE_KIT ?? join(root, '..', 'shared', 'tuf-conformance'),
  'run.sh',
);
const tufPython =
  process.env.TUF_INTEROP_PYTHON ||
  (existsSync(tufKit)
    ? spawnSync(tufKit, ['--python'], { encoding: 'utf8' }).stdout?.trim().split('\n').at(-1) || undefined
    : undefined);
let tufServer;

let lab;
const cleanup = () => {
  tufServer?.stdout?.destroy();
  tufServer?.stdin.end();
  tufServer?.kill();
  lab?.stop();
  rmSync(work, { recursive: true, force: true });
  rmSync(distDir, { recursive: true, force: true });
};
process.on('exit', cleanup);
for (const sig of ['SIGINT', 'SIGTERM']) process.on(sig, () => process.exit(130));

snapshotDist();
const cli = join(distDir, 'cli.cjs'); // the package's bin (the CLI's V8 code cache is in ~/.cache)
// what dist/index.js does not export (publishing, canonical JSON, key files) comes from the sources
await build({
  entryPoints: [join(root, 'bench', 'internal.ts')],
  bundle: true,
  format: 'esm',
  platform: 'node',
  target: 'node20',
  outfile: join(work, 'internal.mjs'),
  logLevel: 'error',
});
const libUrls = {
  dist: pathToFileURL(join(distDir, 'index.js')).href,
  // content-trust/tuf: the TUF 1.0 client alone (what a program reading TUF 1.0 repositories imports)
  tuf: pathToFileURL(join(distDir, 'tuf.js')).href,
  internal: pathToFileURL(join(work, 'internal.mjs')).href,
};

log('starting the lab');
lab = await startLab(root, work);
const { lab: L, notaryEnv, notaryArgs, notary } = lab;
const server = ['--server', L.notaryUrl, '--tlscacert', L.caCert];
const inprocScript = join(root, 'bench', 'lib', 'inproc.mjs');
const childEnv = { ...process.env, BENCH_PASSPHRASE: PASSPHRASE };

/** Runs one in-process measurement in a fresh child; returns its JSON result. */
function inproc(spec) {
  const full = { ...libUrls, server: L.notaryUrl, caCert: L.caCert, tmp: work, ...spec };
  return JSON.parse(run(node, [inprocScript, JSON.stringify(full)], { env: childEnv }));
}
const timeNotary = (dir, args) => timeProcess('notary', notaryArgs(dir, args), { env: notaryEnv });
const timeCli = (args, env) => timeProcess(node, [cli, ...args], env ? { env } : {});
/**
 * NODE_EXTRA_CA_CERTS: Node 20 reads and parses the named file, with its own ~140 bundled roots, when
 * the process starts, before any script runs (`node -e 0` included). Without it, any TLS client pays
 * the bundled roots' parse at its first secure context instead (Node 20's AddCACert builds the root
 * store even when only `ca` is given). A machine whose environment points it at the system bundle
 * (this lab's does) pays both in every node process: the rows below also time `node -e 0`, the floor
 * and our CLI without it (the CLI's trust is the same there: with --tlscacert it tries the given CA
 * alone first, and reads NODE_EXTRA_CA_CERTS itself only when it widens).
 */
const EXTRA_CA = process.env.NODE_EXTRA_CA_CERTS || undefined;
const envWithoutExtraCa = (() => {
  const e = { ...process.env };
  delete e.NODE_EXTRA_CA_CERTS;
  return e;
})();
/** Samples of `node -e 0` and of `ours` without NODE_EXTRA_CA_CERTS (empty when it is not set). */
function withoutExtraCa() {
  const xs = { node: [], floor: [], ours: [] };
  return {
    xs,
    /** `floor`: the argv of a floor script (node + the unavoidable requests), or undefined. */
    sample(args, floor) {
      if (!EXTRA_CA) return;
      xs.node.push(timeProcess(node, ['-e', '0'], { env: envWithoutExtraCa }));
      if (floor) xs.floor.push(timeProcess(node, floor, { env: envWithoutExtraCa }));
      xs.ours.push(timeCli(args(), envWithoutExtraCa));
    },
    note(theirs) {
      if (!EXTRA_CA || xs.ours.length === 0) return [];
      const x = (v) => `${v.toFixed(1)} ms = ${(v / theirs.median).toFixed(2)}x notary`;
      const f = xs.floor.length > 0 ? `, the floor script ${x(stats(xs.floor).median)}` : '';
      return [
        `without NODE_EXTRA_CA_CERTS (this environment sets it to ${EXTRA_CA}; Node 20 parses it at every process start, and without it any TLS client parses Node's ~140 bundled roots at its first secure context): \`node -e 0\` ${x(stats(xs.node).median)}${f}, ours ${x(stats(xs.ours).median)} (medians of ${xs.ours.length}, same loop)`,
      ];
    },
  };
}
/**
 * One CPU profile of the CLI into `dir`. The CLI's V8 code cache is keyed by node's flags (the
 * profiler's included), so a first run with the very same flags (`warmArgs`: the same command; a
 * cold row gives a fresh trust dir) writes it and the profiled run uses it, as the timed runs do.
 */
const cliProfile = (dir, args, env, warmArgs = args) => {
  const profDir = join(work, 'cli-prof');
  const flags = ['--cpu-prof', `--cpu-prof-dir=${profDir}`, cli];
  run(node, [...flags, ...warmArgs], env ? { env } : {});
  rmSync(profDir, { recursive: true, force: true });
  run(node, [...flags, ...args], env ? { env } : {});
  for (const f of readdirSync(profDir)) cpSync(join(profDir, f), join(dir, f));
  rmSync(profDir, { recursive: true, force: true });
};
/** The floor of a warm verify: node + one HTTPS GET of the GUN's timestamp.json (bench/lib/floor-https.cjs). */
const floorArgs = (gun) => [
  join(root, 'bench', 'lib', 'floor-https.cjs'),
  `${L.notaryUrl}/v2/${gun}/_trust/tuf/timestamp.json`,
  L.caCert,
];
const lookupDigest = (out) => /sha256:([0-9a-f]{64})/.exec(out)?.[1];
const gunOf = (name) => `${L.registryHost}/bench/${name}`;

/** A repository of n tags t0..t{n-1}, signed and published with our library in one call. */
function ourRepo(n) {
  const gun = gunOf(`tags-${n}`);
  const t = now();
  inproc({ mode: 'sign-many', gun, count: n });
  const got = notary(fresh('probe'), ['lookup', gun, `t${n - 1}`]);
  if (lookupDigest(got) !== hex(`t${n - 1}`)) {
    throw new Error(`notary cannot read the ${n}-tag repository: ${got}`);
  }
  const buildMs = now() - t;
  log(`  ${n} tags: built by us, read by notary lookup, in ${(buildMs / 1000).toFixed(1)} s`);
  return { gun, tag: `t${n - 1}`, buildMs };
}
/** A repository made by notary itself the way docker does it: server-managed snapshot. */
function notaryRepo(name) {
  const dir = fresh('notary-admin');
  const gun = gunOf(name);
  notary(dir, ['init', gun, '-p']);
  notary(dir, ['key', 'rotate', gun, 'snapshot', '-r']);
  return { gun, dir };
}

// ------------------------------------------------------------------ rows
const rows = [];
/** goal: { ms } (absolute, on our median) or { ratio } (ours/baseline), with the text shown. */
function addRow(name, ours, theirs, goal, extra = {}) {
  const ratio = theirs && ours ? ours.median / theirs.median : undefined;
  let met;
  if (goal?.ratio !== undefined && ratio !== undefined) met = ratio <= goal.ratio;
  if (goal?.ms !== undefined && ours) met = ours.median <= goal.ms;
  const r = {
    name,
    ours,
    theirs,
    baseline: 'notary',
    ratio,
    goal: goal?.text ?? '',
    goalRatio: goal?.ratio,
    met,
    notes: [],
    ...extra,
  };
  rows.push(r);
  const error = r.error;
  delete r.error;
  if (!ours) {
    r.na = true;
    r.notes.push(`n/a: ${error}`);
    log(`  ${name}: n/a`);
    return r;
  }
  const th = theirs ? ` vs ${r.baseline} ${theirs.median.toFixed(1)} ms (${ratio.toFixed(2)}x)` : '';
  const verdict = met === undefined ? '' : met ? ' - met' : ' - NOT MET';
  log(`  ${name}: ${ours.median.toFixed(2)} ms${th}${verdict}`);
  return r;
}

/**
 * interleave() for a row whose "ours" side is our CLI: when the CLI fails (a command not built yet, a
 * regression), the row stays, marked n/a with the error, and the Notary side is still measured.
 */
async function cliPair(runs, check, ours, theirs) {
  try {
    check();
    return await interleave(runs, ours, theirs);
  } catch (e) {
    if (e instanceof OverBudget) throw e;
    const xs = [];
    for (let i = 0; i < runs; i++) xs.push(await theirs(i));
    return { ours: undefined, theirs: stats(xs), error: String(e.message).split('\n').slice(0, 2).join(' ') };
  }
}
const RUNS = QUICK ? 5 : 11;
const COLD_RUNS = QUICK ? 3 : 7;
const repos = {};
let crypto = {};

// ------------------------------------------------------------------ scenarios, in priority order
// `needs`: seconds the scenario takes on an idle machine; it is skipped when less time than that is left.
const scenarios = [
  {
    name: 'warm verify',
    needs: 10,
    run: async () => {
      const one = notaryRepo('one-tag');
      notary(one.dir, ['addhash', one.gun, 'v1', '100', '--sha256', hex('v1'), '-p']);
      repos[1] = { gun: one.gun, tag: 'v1' };
      const ref = `${one.gun}:v1`;
      const ourDir = fresh('warm-ours');
      const nd = fresh('warm-notary');
      notary(nd, ['lookup', one.gun, 'v1']);
      const warmSpec = { mode: 'warm', reference: ref, gun: one.gun, trustDir: ourDir };
      const warm = inproc({ ...warmSpec, runs: QUICK ? 100 : 300, floor: true });
      if (warm.digest !== `sha256:${hex('v1')}`) throw new Error(`verify() returned ${warm.digest}`);
      const verifyArgs = ['verify', ref, ...server, '--trust-dir', ourDir];
      const overNode = [];
      // the floor (node + one HTTPS GET of timestamp.json, same CA), paired with node like the CLI
      const floorOverNode = [];
      const floor1 = floorArgs(one.gun);
      const pair = await cliPair(
        RUNS,
        () => {
          const out = run(node, [cli, ...verifyArgs]);
          if (lookupDigest(out) !== hex('v1')) throw new Error(`trust verify printed ${out}`);
          if (!(Number(run(node, floor1)) > 0)) throw new Error('the floor script read no timestamp');
        },
        () => {
          pairedOverNode(floorOverNode, () => timeProcess(node, floor1));
          return pairedOverNode(overNode, () => timeCli(verifyArgs));
        },
        () => timeNotary(nd, ['lookup', one.gun, 'v1']),
      );
      const floor = stats(warm.floor);
      addRow(
        'warm verify, library in-process (p50)',
        stats(warm.samples),
        pair.theirs,
        { ms: 1, text: 'p50 <= 1.0 ms' },
        {
          notes: [
            `network floor: one GET of timestamp.json on a kept-alive connection, node:https with our client's agent settings, in blocks alternating with ours: ${floor.median.toFixed(2)} ms (p50); ours minus floor ${(stats(warm.samples).median - floor.median).toFixed(2)} ms`,
            ...(warm.cpu && warm.floorCpu?.length
              ? [
                  `CPU (user+sys) of the process per call, median of blocks of 25: ours ${stats(warm.cpu).median.toFixed(2)} ms, floor ${stats(warm.floorCpu).median.toFixed(2)} ms (ours minus floor ${(stats(warm.cpu).median - stats(warm.floorCpu).median).toFixed(2)} ms: our own work, not waiting)`,
                ]
              : []),
          ],
          profileWith: (dir) => inproc({ ...warmSpec, runs: 300, cpuProfile: join(dir, 'p.cpuprofile') }),
        },
      );
      // process start floors: node itself, and our CLI's entry point (`trust --version`)
      const start = await cliPair(
        RUNS,
        () => {},
        () => timeCli(['--version']),
        () => timeProcess(node, ['-e', '0']),
      );
      const floors = `\`node -e 0\` ${start.theirs.median.toFixed(1)} ms${start.ours ? `, \`trust --version\` ${start.ours.median.toFixed(1)} ms` : ''}`;
      // the same warm verify, `node -e 0` and the floor without NODE_EXTRA_CA_CERTS (after the timed runs)
      const noExtra = withoutExtraCa();
      for (let i = 0; EXTRA_CA && i < RUNS; i++) noExtra.sample(() => verifyArgs, floor1);
      addRow(
        'warm verify, CLI wall (process start to exit)',
        pair.ours,
        pair.theirs,
        { ratio: 1.0, text: '<= 1.0x notary' },
        {
          error: pair.error,
          notes: [
            `process start floor on this machine: ${floors}; notary lookup (a Go binary) does the whole warm lookup in ${pair.theirs.median.toFixed(1)} ms`,
            ...(pair.ours ? noExtra.note(pair.theirs) : []),
          ],
          profileWith: (dir) => cliProfile(dir, verifyArgs),
        },
      );
      const floorStats = stats(floorOverNode.length > 0 ? floorOverNode : [Number.NaN]);
      const floorCpu = cpuOverNode(floor1, undefined, RUNS);
      addRow(
        'warm verify floor: node + one HTTPS GET of timestamp.json, minus `node -e 0` (paired runs)',
        floorOverNode.length > 0 ? floorStats : undefined,
        undefined,
        undefined,
        {
          error: pair.error,
          notes: [
            'bench/lib/floor-https.cjs: what a warm verify of an unchanged repository cannot avoid (node:https, one TLS handshake with the same --tlscacert, one GET, exit); timed in the same loop as the CLI, each run paired with its own `node -e 0`',
            cpuNote(floorCpu),
          ],
        },
      );
      const oursCpu = pair.ours ? cpuOverNode([cli, ...verifyArgs], undefined, RUNS) : undefined;
      addRow(
        'warm verify, CLI wall minus `node -e 0` (paired runs)',
        pair.ours && stats(overNode),
        undefined,
        { ms: 25, text: '<= 25 ms' },
        {
          error: pair.error,
          notes: [
            OVER_NODE_NOTE,
            ...(oursCpu ? [cpuNote(oursCpu)] : []),
            ...(pair.ours
              ? [
                  `ours = floor + ${(stats(overNode).median - floorStats.median).toFixed(1)} ms wall (floor ${floorStats.median.toFixed(1)} ms over node), floor + ${(oursCpu.afterBootstrap.median - floorCpu.afterBootstrap.median).toFixed(1)} ms CPU counted from Node's bootstrap on (floor ${floorCpu.afterBootstrap.median.toFixed(1)} ms CPU over node's)`,
                ]
              : []),
          ],
          profileWith: (dir) => cliProfile(dir, verifyArgs),
        },
      );
    },
  },
  {
    name: 'cold verify, 1 / 1,000 / 10,000 tags',
    needs: 20,
    run: async () => {
      repos[1000] = ourRepo(1000);
      repos[10000] = ourRepo(10000);
      for (const n of [1, 1000, 10000]) {
        if (!repos[n]) continue;
        const { gun, tag } = repos[n];
        const ref = `${gun}:${tag}`;
        const notaryCold = () => timeNotary(fresh('cold-notary'), ['lookup', gun, tag]);
        // 10k: the floor (bench/lib/floor-cold.mjs) runs just before each of our runs
        const floor = n === 10000 ? { wall: [], over: [] } : undefined;
        const noExtra = withoutExtraCa();
        const pair = await cliPair(
          COLD_RUNS,
          () => {
            const out = run(node, [cli, 'verify', ref, ...server, '--trust-dir', fresh('cold-check')]);
            if (lookupDigest(out) !== hex(tag)) throw new Error(`trust verify printed ${out}`);
          },
          () => {
            const f = floor && floorRun(gun, tag).wall;
            const t = timeCli(['verify', ref, ...server, '--trust-dir', fresh('cold-ours')]);
            if (floor) {
              floor.wall.push(f);
              floor.over.push(t - f);
              noExtra.sample(() => ['verify', ref, ...server, '--trust-dir', fresh('cold-ours-env')]);
            }
            return t;
          },
          notaryCold,
        );
        const goal = n === 10000 ? { ratio: 0.5, text: '<= 0.5x notary' } : undefined;
        addRow(
          `cold verify, ${n.toLocaleString('en')} tag${n > 1 ? 's' : ''}, CLI wall`,
          pair.ours,
          pair.theirs,
          goal,
          {
            error: pair.error,
            notes: pair.ours ? noExtra.note(pair.theirs) : [],
            profileWith: (dir) =>
              cliProfile(dir, ['verify', ref, ...server, '--trust-dir', fresh('cold-prof')], undefined, [
                'verify',
                ref,
                ...server,
                '--trust-dir',
                fresh('cold-prof-warmup'),
              ]),
          },
        );
        if (floor?.wall.length) floorRow('process wall', floor, pair.theirs, 'CLI wall');
        // issue 12: the library's cold 10k goal is 0.3x notary (the CLI's is 0.5x)
        if (n === 10000) await coldInProcess(n, ref, tag, notaryCold, { ratio: 0.3, text: '<= 0.3x notary' });
        if (n === 10000) await warmCli(n, ref, tag);
      }
    },
  },
  {
    name: 'TUF 1.0 cold refresh, 10,000 targets (vs python-tuf ngclient)',
    needs: 25,
    skip: tufPython ? undefined : `no python-tuf venv (${tufKit} not found; set TUF_INTEROP_PYTHON)`,
    run: async () => {
      // a repository written by our TUF 1.0 writer: 10,000 targets in targets.json, ECDSA P-256 keys
      const n = 10_000;
      const { Tuf1Writer, tuf1Signer, writeTuf1Files } = await import(libUrls.dist);
      const { generateSigner } = await import(libUrls.internal);
      const keys = [0, 1, 2, 3].map(() => tuf1Signer(generateSigner('ecdsa')));
      const [rootK, targetsK, snapshotK, timestampK] = keys.map((k) => [k.key]);
      const w = Tuf1Writer.init({
        keys: { root: rootK, targets: targetsK, snapshot: snapshotK, timestamp: timestampK },
      });
      for (let i = 0; i < n; i++) {
        w.addTarget(`t${i}`, {
          length: 1000 + i,
          hashes: { sha256: hex(`t${i}`) },
          custom: { mediaType: 'application/vnd.oci.image.manifest.v1+json' },
        });
      }
      const repo = fresh('tuf1-repo');
      await writeTuf1Files(repo, w.commit(keys, { now: Date.now() }).files);
      const rootFile = join(repo, 'metadata', '1.root.json');
      // one loopback HTTP server (python's http.server, a separate process) for both clients
      const verifier = join(root, 'test', 'interop-tuf', 'ngclient_verify.py');
      const server = spawn(tufPython, [verifier, '--repo', repo, '--serve'], {
        stdio: ['pipe', 'pipe', 'inherit'],
      });
      tufServer = server;
      const baseUrl = await new Promise((resolve, reject) => {
        server.stdout.setEncoding('utf8');
        server.stdout.once('data', (d) => resolve(String(d).trim()));
        server.once('exit', (c) => reject(new Error(`repository server exited (${c})`)));
      });
      {
        const target = `t${n - 1}`;
        const oursSpec = (dir) =>
          JSON.stringify({
            dist: libUrls.tuf,
            metadataUrl: `${baseUrl}/metadata/`,
            root: rootFile,
            target,
            dir,
          });
        const ourScript = join(root, 'bench', 'lib', 'tuf1-client.mjs');
        const theirsArgs = [
          verifier,
          '--repo',
          repo,
          '--base-url',
          baseUrl,
          '--root',
          rootFile,
          '--target',
          target,
        ];
        const inOurs = [];
        const inTheirs = [];
        const ours = () => {
          const t = now();
          const r = JSON.parse(run(node, [ourScript, oursSpec(fresh('tuf1-ours'))]));
          const wall = now() - t;
          if (r.sha256 !== hex(target)) throw new Error(`our client found ${r.sha256}`);
          inOurs.push(r.ms);
          return wall;
        };
        const theirs = () => {
          const t = now();
          const r = JSON.parse(run(tufPython, theirsArgs));
          const wall = now() - t;
          if (r.targets?.[target]?.hashes?.sha256 !== hex(target))
            throw new Error(`ngclient: ${JSON.stringify(r)}`);
          inTheirs.push(r.ms.refresh_and_lookup);
          return wall;
        };
        const pair = await interleave(COLD_RUNS, ours, theirs);
        const targetsBytes = w.files().get('1.targets.json').length;
        const extra = (profile) => ({
          baseline: 'python-tuf ngclient',
          notes: [
            `repository written by our TUF 1.0 writer: ${n.toLocaleString('en')} targets, targets.json ${(targetsBytes / 1e6).toFixed(1)} MB, ECDSA P-256; served by python's http.server on loopback; fresh metadata dir each run, then the lookup of t${n - 1}; our client imported as content-trust/tuf (dist/tuf.js)`,
          ],
          profileWith: profile,
        });
        addRow(
          'TUF 1.0 cold refresh, 10,000 targets, process wall (vs python-tuf ngclient)',
          pair.ours,
          pair.theirs,
          { ratio: 0.5, text: '<= 0.5x ngclient' },
          extra((dir) =>
            run(node, ['--cpu-prof', `--cpu-prof-dir=${dir}`, ourScript, oursSpec(fresh('tuf1-prof'))]),
          ),
        );
        addRow(
          'TUF 1.0 cold refresh, 10,000 targets, in-process (vs python-tuf ngclient)',
          stats(inOurs),
          stats(inTheirs),
          undefined,
          { baseline: 'python-tuf ngclient' },
        );
      }
      // the server stays up until the bench exits (a missed goal is profiled against it): see cleanup
    },
  },
  {
    name: 'cold verify, 100,000 tags in-process',
    needs: 30,
    skip: QUICK ? '--quick' : undefined,
    run: async () => {
      repos[100000] = ourRepo(100000);
      const { gun, tag } = repos[100000];
      const notaryCold = () => timeNotary(fresh('cold-notary'), ['lookup', gun, tag]);
      await coldInProcess(100000, `${gun}:${tag}`, tag, notaryCold, { ms: 1000, text: '<= 1 s' });
      rows
        .at(-1)
        .notes.push(
          `the repository was built with one signTags() call of 100,000 tags and checked with notary lookup in ${(repos[100000].buildMs / 1000).toFixed(1)} s`,
        );
    },
  },
  {
    name: 'sign + publish 1 tag',
    needs: 8,
    run: async () => {
      // ours: a repository initialised by our library (keys written with 2,048 PBKDF2 rounds, as notary
      // writes them); notary: one made by notary. Each run signs a new tag and publishes.
      const gun = gunOf('sign-one');
      const dir = fresh('sign-one');
      inproc({ mode: 'sign-many', gun, count: 1, tmp: dir, keyIterations: 2048 });
      const ourDir = join(
        dir,
        readdirSync(dir).find((d) => d.startsWith('sign-many-')),
      );
      const signEnv = { ...process.env, DOCKER_CONTENT_TRUST_REPOSITORY_PASSPHRASE: PASSPHRASE };
      const ours = (i) => [
        'sign',
        `${gun}:s${i}`,
        '--digest',
        `sha256:${hex(`s${i}`)}`,
        '--size',
        '10',
        ...server,
        '--trust-dir',
        ourDir,
      ];
      const nrepo = notaryRepo('sign-one-notary');
      // the floor (bench/lib/floor-sign.cjs): a bare script doing only the unavoidable work of the same
      // sign, on a repository of its own made the same way, timed in the same pairs as ours
      const floorGun = gunOf('sign-one-floor');
      const floorTmp = fresh('sign-floor');
      inproc({ mode: 'sign-many', gun: floorGun, count: 1, tmp: floorTmp, keyIterations: 2048 });
      const floorDir = join(
        floorTmp,
        readdirSync(floorTmp).find((d) => d.startsWith('sign-many-')),
      );
      const floorScript = join(root, 'bench', 'lib', 'floor-sign.cjs');
      const floorArgs = (i) => [
        floorScript,
        JSON.stringify({
          server: L.notaryUrl,
          gun: floorGun,
          caCert: L.caCert,
          trustDir: floorDir,
          tag: `s${i}`,
          sha256: hex(`s${i}`),
          size: 10,
        }),
      ];
      const overNode = [];
      const floorOverNode = [];
      const pair = await cliPair(
        QUICK ? 3 : 7,
        () => {
          run(node, [cli, ...ours('check')], { env: signEnv });
          const got = notary(fresh('probe'), ['lookup', gun, 'scheck']);
          if (lookupDigest(got) !== hex('scheck'))
            throw new Error(`notary cannot read our signed tag: ${got}`);
          run(node, floorArgs('check'), { env: signEnv });
          const floorGot = notary(fresh('probe'), ['lookup', floorGun, 'scheck']);
          if (lookupDigest(floorGot) !== hex('scheck'))
            throw new Error(`notary cannot read the floor script's signed tag: ${floorGot}`);
        },
        (i) => {
          const t = pairedOverNode(overNode, () => timeCli(ours(i), signEnv));
          pairedOverNode(floorOverNode, () => timeProcess(node, floorArgs(i), { env: signEnv }));
          return t;
        },
        (i) => timeNotary(nrepo.dir, ['addhash', nrepo.gun, `s${i}`, '10', '--sha256', hex(`s${i}`), '-p']),
      );
      addRow(
        'sign + publish 1 tag, CLI wall (trust sign vs addhash -p)',
        pair.ours,
        pair.theirs,
        { ratio: 1.0, text: '<= 1.0x notary' },
        {
          error: pair.error,
          notes: [
            'keys unlocked at 2,048 PBKDF2 rounds, as notary writes them; the KDF at our default is its own row',
          ],
          profileWith: (pdir) => cliProfile(pdir, ours('profile'), signEnv),
        },
      );
      addRow(
        'sign + publish 1 tag (--digest), CLI wall minus `node -e 0` (paired runs)',
        pair.ours && stats(overNode),
        undefined,
        { ms: 60, text: '<= 60 ms' },
        {
          error: pair.error,
          notes: [
            OVER_NODE_NOTE,
            'keys at 2,048 PBKDF2 rounds',
            ...(pair.ours
              ? [cpuNote(cpuOverNode((i) => [cli, ...ours(`c${i}`)], signEnv, QUICK ? 3 : 7))]
              : []),
            ...(pair.ours
              ? [
                  floorNote(
                    stats(overNode),
                    stats(floorOverNode),
                    cpuOverNode((i) => floorArgs(`c${i}`), signEnv, QUICK ? 3 : 7),
                  ),
                ]
              : []),
          ],
          profileWith: (pdir) => cliProfile(pdir, ours('profile2'), signEnv),
        },
      );
    },
  },
  {
    name: 'canonical JSON',
    needs: 12,
    run: async () => {
      for (const numeric of [false, true]) {
        const c = inproc({ mode: 'canonical', runs: QUICK ? 5 : 21, numeric });
        const name = numeric
          ? 'canonical JSON, same document plus tags 1, 2, 10'
          : 'canonical JSON of a 10 MB targets document';
        const row = addRow(
          `${name} (vs JSON.stringify)`,
          stats(c.ours),
          stats(c.theirs),
          { ratio: 1.5, text: '<= 1.5x JSON.stringify' },
          {
            baseline: 'JSON.stringify',
            profileWith: (dir) =>
              inproc({ mode: 'canonical', runs: 1, numeric, cpuProfile: join(dir, 'p.cpuprofile') }),
          },
        );
        row.notes.push(
          `${(c.bytes / 1e6).toFixed(1)} MB document parsed from its canonical bytes, as verification does${numeric ? "; V8 lists integer-like keys ('1', '2', '10') first: the native pass leaves them out and they are merged back in by byte order (no failed attempt)" : ''}`,
        );
        if (c.floor) {
          const floor = stats(c.floor).median;
          row.notes.push(
            `floor, same runs: JSON.stringify calling a replacer that returns each value unchanged ${floor.toFixed(1)} ms = ${(floor / row.theirs.median).toFixed(2)}x JSON.stringify; ours = ${(row.ours.median / floor).toFixed(2)}x that floor`,
          );
        }
        if (c.cpu) {
          const [o, t, f] = [c.cpu.ours, c.cpu.theirs, c.cpu.floor].map((xs) => stats(xs).median);
          row.notes.push(
            `CPU time (user+sys) per call, medians: ours ${o.toFixed(1)} ms, JSON.stringify ${t.toFixed(1)} ms (${(o / t).toFixed(2)}x), floor ${f.toFixed(1)} ms (${(f / t).toFixed(2)}x)`,
          );
        }
      }
      const h = inproc({ mode: 'hostile-json', runs: QUICK ? 3 : 5 });
      addRow(
        `hostile ${(h.bytes / 1e6).toFixed(1)} MB timestamp (500 levels around 400,000 numbers): refused`,
        stats(h.refuse),
        undefined,
        { ms: 1000, text: '< 1 s' },
      ).notes.push('BAD_METADATA from one pass over the bytes, before JSON.parse (0.1.0: over a minute)');
      addRow(
        'same with 28 levels (under the nesting limit): parsed and canonically encoded',
        stats(h.encode),
        undefined,
        {
          ms: 1000,
          text: '< 1 s',
        },
      ).notes.push('linear encoder: one failed native pass, then the general encoder once');
    },
  },
  {
    name: 'key unlock (KDF)',
    needs: 5,
    run: async () => {
      const k = inproc({
        mode: 'kdf',
        cases: [
          ['ours', 1_000_000, QUICK ? 1 : 3],
          ['notary', 2048, 5],
        ],
      });
      const r = addRow('key unlock at our default 1,000,000 PBKDF2 rounds (per key)', stats(k.ours.unlock));
      r.notes.push(
        `writing such a key takes ${k.ours.writeMs.toFixed(0)} ms; a Notary-written key (2,048 rounds) unlocks in ${stats(k.notary.unlock).median.toFixed(2)} ms; paid once per key per signing command (sign, init, rotate), never by verify`,
      );
    },
  },
  {
    name: 'signature verification per second',
    needs: 5,
    run: async () => {
      crypto = JSON.parse(
        run(node, [join(root, 'bench', 'crypto.mjs'), '--json', '--verify-only'], {
          env: { ...process.env, BENCH_MS: QUICK ? '100' : '200' },
        }),
      );
    },
  },
  {
    name: 'sign + publish 1,000 tags',
    needs: 25,
    run: async () => {
      const n = 1000;
      const oursMs = [];
      const theirsMs = [];
      let extrapolated;
      for (let i = 0; i < (QUICK ? 1 : 3); i++) {
        oursMs.push(inproc({ mode: 'sign-many', gun: gunOf(`sign-many-${i}`), count: n }).ms);
        if (i >= (QUICK ? 1 : 2) || (i > 0 && timeLeft() < 40_000)) continue;
        // notary: one addhash process per tag, then publish (~10 s idle). It stops early when time is
        // short and the figure is extrapolated from the tags it did (said so in the notes).
        const nrepo = notaryRepo(`sign-many-notary-${i}`);
        const until = now() + Math.min(QUICK ? 4_000 : 30_000, timeLeft() - 20_000);
        const t = now();
        let k = 0;
        while (k < n && (k < 20 || now() < until)) {
          notary(nrepo.dir, ['addhash', nrepo.gun, `t${k}`, '10', '--sha256', hex(`t${k}`)]);
          k++;
        }
        notary(nrepo.dir, ['publish', nrepo.gun]);
        theirsMs.push(((now() - t) * n) / k);
        if (k < n) extrapolated = k;
      }
      addRow(
        `sign + publish ${n.toLocaleString('en')} tags in one call, library`,
        stats(oursMs),
        stats(theirsMs),
        { ratio: 0.1, text: '<= 0.1x notary' },
        {
          notes: [
            extrapolated
              ? `notary figure extrapolated from ${extrapolated} addhash + publish (time budget)`
              : 'notary: addhash x1000 (one process per tag, as its CLI requires) + publish',
          ],
          profileWith: (dir) =>
            inproc({
              mode: 'sign-many',
              gun: gunOf('sign-many-prof'),
              count: n,
              cpuProfile: join(dir, 'p.cpuprofile'),
            }),
        },
      );
    },
  },
  {
    // issue 11: registry-hosted trust (TUF 1.0 in the OCI registry) against our own Notary path
    name: 'registry-hosted trust: cold / warm verify, 1 / 10,000 tags',
    needs: 40,
    run: async () => {
      for (const n of [1, 10000]) {
        const regGun = gunOf(`registry-tags-${n}`);
        const tag = `t${n - 1}`;
        let t = now();
        inproc({ mode: 'registry-sign-many', gun: regGun, count: n });
        log(
          `  ${n} tag(s): registry-hosted repository signed and pushed in ${((now() - t) / 1000).toFixed(1)} s`,
        );
        t = now();
        if (n === 10000) repos[10000] ??= ourRepo(10000);
        else repos.notaryPath1 ??= ourRepo(1);
        const np = n === 10000 ? repos[10000] : repos.notaryPath1;
        const regArgs = (dir) => ['verify', `${regGun}:${tag}`, '--server', 'registry', '--trust-dir', dir];
        const notaryArgs = (dir) => ['verify', `${np.gun}:${np.tag}`, ...server, '--trust-dir', dir];
        const check = () => {
          const out = run(node, [cli, ...regArgs(fresh('reg-check'))]);
          if (lookupDigest(out) !== hex(tag)) throw new Error(`trust verify printed ${out}`);
        };
        const label = `${n.toLocaleString('en')} tag${n > 1 ? 's' : ''}`;
        const cold = await cliPair(
          COLD_RUNS,
          check,
          () => timeCli(regArgs(fresh('reg-cold'))),
          () => timeCli(notaryArgs(fresh('np-cold'))),
        );
        addRow(
          `registry-hosted: cold verify, ${label}, CLI wall (vs our Notary path)`,
          cold.ours,
          cold.theirs,
          undefined,
          {
            baseline: 'trust verify (Notary path)',
            error: cold.error,
            profileWith: (dir) =>
              cliProfile(dir, regArgs(fresh('reg-prof')), undefined, regArgs(fresh('reg-prof-warmup'))),
          },
        );
        const regWarm = fresh('reg-warm');
        const npWarm = fresh('np-warm');
        const warm = await cliPair(
          RUNS,
          () => {
            run(node, [cli, ...regArgs(regWarm)]);
            run(node, [cli, ...notaryArgs(npWarm)]);
          },
          () => timeCli(regArgs(regWarm)),
          () => timeCli(notaryArgs(npWarm)),
        );
        // requests of one warm verify, counted by the library's HTTP client (in-process)
        let counted = '';
        try {
          const r = inproc({
            mode: 'registry-warm',
            reference: `${regGun}:${tag}`,
            trustDir: fresh('reg-count'),
            runs: 30,
          });
          if (r.digest !== `sha256:${hex(tag)}`) throw new Error(`verify returned ${r.digest}`);
          const st = Object.entries(r.statuses)
            .map(([k, v]) => `${v / 30} x ${k}`)
            .join(', ');
          counted = `one warm verify makes ${r.requestsPerVerify} HTTP request(s) (${st}); library in-process p50 ${stats(r.samples).median.toFixed(2)} ms`;
        } catch (e) {
          counted = `request count failed: ${String(e.message).split('\n')[0]}`;
        }
        addRow(
          `registry-hosted: warm verify, ${label}, CLI wall (vs our Notary path)`,
          warm.ours,
          warm.theirs,
          undefined,
          {
            baseline: 'trust verify (Notary path)',
            error: warm.error,
            notes: [counted],
            profileWith: (dir) => cliProfile(dir, regArgs(regWarm)),
          },
        );
      }
    },
  },
];

/** Cold verify in a fresh process that has just loaded the library; notes its peak RSS. */
/** Warm CLI verify of a large repository (trust dirs primed once, nothing changed) vs notary lookup. */
async function warmCli(n, ref, tag) {
  const ourDir = fresh('warm-big-ours');
  const nd = fresh('warm-big-notary');
  const args = ['verify', ref, ...server, '--trust-dir', ourDir];
  const gun = ref.slice(0, ref.lastIndexOf(':'));
  // in the same loop: `node -e 0` alone and the floor (node + one HTTPS GET), so the report states
  // what fraction of notary's time node's own start already takes
  const bare = [];
  const floorXs = [];
  const overNode = [];
  const noExtra = withoutExtraCa();
  const pair = await cliPair(
    COLD_RUNS,
    () => {
      const out = run(node, [cli, ...args]);
      if (lookupDigest(out) !== hex(tag)) throw new Error(`trust verify printed ${out}`);
      notary(nd, ['lookup', gun, tag]);
    },
    () => {
      floorXs.push(timeProcess(node, floorArgs(gun)));
      const t = pairedOverNode(overNode, () => timeCli(args));
      bare.push(t - overNode.at(-1));
      noExtra.sample(() => args, floorArgs(gun));
      return t;
    },
    () => timeNotary(nd, ['lookup', gun, tag]),
  );
  const floorNotes = [];
  if (pair.ours) {
    const nt = pair.theirs.median;
    const b = stats(bare).median;
    const f = stats(floorXs).median;
    floorNotes.push(
      `same run: \`node -e 0\` alone ${b.toFixed(1)} ms = ${(b / nt).toFixed(2)}x notary; the floor (node + one HTTPS GET of timestamp.json, bench/lib/floor-https.cjs) ${f.toFixed(1)} ms = ${(f / nt).toFixed(2)}x notary; ours minus \`node -e 0\` (paired) ${stats(overNode).median.toFixed(1)} ms`,
      ...noExtra.note(pair.theirs),
    );
  }
  addRow(
    `warm verify, ${n.toLocaleString('en')} tags, CLI wall`,
    pair.ours,
    pair.theirs,
    {
      ratio: 0.3,
      text: '<= 0.3x notary',
    },
    { error: pair.error, notes: floorNotes, profileWith: (dir) => cliProfile(dir, args) },
  );
}

const OVER_NODE_NOTE =
  "each run of ours is paired with a `node -e 0` started just before it; the row is the median of the differences (the CLI's own cost, whatever the machine's load does to node startup)";
/**
 * CPU time (user + system) of the CLI over `node -e 0`: `runs` pairs, each process preloading
 * bench/lib/cpu-hook.cjs; the median of the differences (ms). Load barely moves it.
 */
function cpuOverNode(args, env, runs) {
  const hook = join(root, 'bench', 'lib', 'cpu-hook.cjs');
  const cpu = (argv) => {
    const r = spawnSync(node, ['-r', hook, ...argv], {
      encoding: 'utf8',
      env: env ?? process.env,
      timeout: 120_000,
    });
    if (r.status !== 0) throw new Error(`cpu run failed: ${r.stderr.slice(0, 300)}`);
    const m = /@@cpu ([\d.]+) ([\d.]+)/.exec(r.stderr);
    return [Number(m[1]), Number(m[2])];
  };
  const xs = [];
  const after = [];
  // one unmeasured run first: the preloaded hook changes node's flags, so the CLI's V8 code cache for
  // them is written by that run (the timed wall runs have their own, written by their first run)
  cpu(typeof args === 'function' ? args('warmup') : args);
  for (let i = 0; i < runs; i++) {
    const [ours, oursAfter] = cpu(typeof args === 'function' ? args(i) : args);
    const [bare, bareAfter] = cpu(['-e', '0']);
    xs.push(ours - bare);
    after.push(oursAfter - bareAfter);
  }
  // the same pairs counted from Node's bootstrap on (the preload): without the start-up every node
  // process pays, whose variance here can exceed the difference measured
  return { ...stats(xs), afterBootstrap: stats(after) };
}
const cpuNote = (c) =>
  `CPU (user+sys) over \`node -e 0\`: ${c.median.toFixed(1)} ms (median of ${c.runs} pairs, min ${c.min.toFixed(1)}, max ${c.max.toFixed(1)})` +
  (c.afterBootstrap
    ? `; counted from Node's bootstrap on (less noisy): ${c.afterBootstrap.median.toFixed(1)} ms (min ${c.afterBootstrap.min.toFixed(1)}, max ${c.afterBootstrap.max.toFixed(1)})`
    : '');

/** The sign row's floor note: the floor script's figures and ours = floor + X (bench/lib/floor-sign.cjs). */
const floorNote = (ours, floor, cpu) =>
  `floor (bench/lib/floor-sign.cjs: one keep-alive TLS connection, GET timestamp (+ snapshot when it changed), two ECDSA checks, unlock the same 2,048-round key, one signature, one POST; no read-back, no fsync, no root re-check): ${floor.median.toFixed(1)} ms over \`node -e 0\` (median of ${floor.runs} pairs, min ${floor.min.toFixed(1)}), CPU over node ${cpu.median.toFixed(1)} ms; ours = floor + ${(ours.median - floor.median).toFixed(1)} ms`;

/** Times `measure()` and a `node -e 0` just before it; records the difference, returns the measured wall. */
function pairedOverNode(into, measure) {
  const bare = timeProcess(node, ['-e', '0']);
  const t = measure();
  into.push(t - bare);
  return t;
}

/** One run of the cold floor script: its process wall and its own time (first request to last hash). */
function floorRun(gun, tag) {
  const t = now();
  const spec = { server: L.notaryUrl, caCert: L.caCert, gun, tag };
  const r = JSON.parse(run(node, [join(root, 'bench', 'lib', 'floor-cold.mjs'), JSON.stringify(spec)]));
  const wall = now() - t;
  if (r.digest !== hex(tag)) throw new Error(`the floor script read ${r.digest}`);
  return { wall, inner: r.ms };
}
/** The floor row of a cold 10k row: floor vs notary, and ours = floor + the paired differences. */
function floorRow(what, floor, notaryStats, ours) {
  const over = stats(floor.over);
  addRow(
    `cold verify, 10,000 tags, floor (bare node script), ${what}`,
    stats(floor.wall),
    notaryStats,
    undefined,
    {
      notes: [
        'bench/lib/floor-cold.mjs: one HTTPS connection fetching root, timestamp, snapshot.<sha256>, targets.<sha256> in order, one JSON.parse + sha256 per file; nothing else',
        `${ours} = floor + ${over.median.toFixed(1)} ms (median of ${over.runs} paired runs, floor run just before ours; min ${over.min.toFixed(1)}, max ${over.max.toFixed(1)})`,
      ],
    },
  );
}

async function coldInProcess(n, ref, tag, notaryCold, goal) {
  let rss = 0;
  const floor = n === 10000 ? { wall: [], over: [] } : undefined;
  const second = [];
  const pair = await interleave(
    3,
    () => {
      const f = floor && floorRun(ref.slice(0, ref.lastIndexOf(':')), tag).inner;
      const r = inproc({ mode: 'cold', reference: ref });
      if (floor) {
        floor.wall.push(f);
        floor.over.push(r.ms - f);
      }
      if (r.digest !== `sha256:${hex(tag)}`) throw new Error(`verify returned ${r.digest}`);
      rss = Math.max(rss, r.maxRSS);
      second.push(r.secondMs);
      return r.ms;
    },
    notaryCold,
  );
  addRow(`cold verify, ${n.toLocaleString('en')} tags, library in-process`, pair.ours, pair.theirs, goal, {
    notes: [
      `peak RSS of the verifying process ${(rss / 2 ** 20).toFixed(0)} MiB (library loaded, one verify)`,
      `the same cold verify a second time in the same process (another empty trust dir, no shared context; the library's code has run once): ${stats(second).median.toFixed(1)} ms = ${(stats(second).median / pair.theirs.median).toFixed(2)}x notary (median of ${second.length}); the row's figure is a first call, with lazy compilation and JIT warm-up in it`,
    ],
    profileWith: (dir) => inproc({ mode: 'cold', reference: ref, cpuProfile: join(dir, 'p.cpuprofile') }),
  });
  if (floor) floorRow('in-process', floor, pair.theirs, 'library in-process');
}

const skipped = [];
const failed = [];
for (const s of scenarios) {
  if (ONLY !== undefined && !s.name.includes(ONLY)) continue;
  if (s.skip) {
    skipped.push(`${s.name} (${s.skip})`);
    continue;
  }
  if (timeLeft() < s.needs * 1000) {
    skipped.push(`${s.name} (not enough of the 5-minute budget left)`);
    continue;
  }
  log(s.name);
  try {
    await s.run();
  } catch (e) {
    if (e instanceof OverBudget) skipped.push(`${s.name} (ran out of the 5-minute budget)`);
    else {
      failed.push(`${s.name}: ${String(e.message).split('\n').slice(0, 3).join(' ')}`);
      log(`FAILED: ${s.name}: ${e.message}`);
    }
  }
}

// ------------------------------------------------------------------ profiles of missed goals
if (PROFILE) {
  for (const r of rows.filter((x) => x.met === false && x.profileWith)) {
    if (timeLeft() < 8_000) {
      r.notes.push('not profiled: the bench is near its time budget');
      continue;
    }
    log(`profiling: ${r.name}`);
    const dir = fresh('prof');
    try {
      r.profileWith(dir); // writes one .cpuprofile into dir
      r.profile = summariseProfile(profileIn(dir));
    } catch (e) {
      r.notes.push(`profile failed: ${String(e.message).split('\n')[0]}`);
    }
  }
}
for (const r of rows) delete r.profileWith;

// ------------------------------------------------------------------ report
const pct = (x, t) => `${((100 * x) / t).toFixed(0)}%`;
const notaryVersion = spawnSync('dpkg-query', ['-W', `-f=${'$'}{Version}`, 'notary'], {
  encoding: 'utf8',
}).stdout;
const meta = {
  date: new Date().toISOString(),
  node: process.version,
  notary: notaryVersion,
  cpus: cpus().length,
  loadavgStart,
  loadavgEnd: loadavg().map((x) => Math.round(x * 100) / 100),
  quick: QUICK,
  lab: 'notary-server + notary-signer (ECDSA server keys), loopback, no auth',
  seconds: Math.round((now() - started) / 1000),
  skipped,
  failed,
};
const header = `content-trust bench ${meta.date}: node ${meta.node}, notary ${meta.notary}, ${meta.cpus} CPUs, load average ${loadavgStart[0]} at start and ${meta.loadavgEnd[0]} at end${QUICK ? ', --quick' : ''}, ${meta.seconds} s`;
const shown = (r) =>
  r.goalRatio === undefined
    ? `${r.ours.median.toFixed(r.ours.median < 10 ? 2 : 0)} ms`
    : `${r.ratio.toFixed(r.ratio < 0.1 ? 3 : 2)}x`;
const goalLines = rows
  .filter((r) => r.met !== undefined || (r.na && r.goal))
  .map((r) =>
    r.na
      ? `  n/a      ${r.name}: ${r.goal} (not measurable, see notes)`
      : `  ${r.met ? 'met    ' : 'NOT MET'}  ${r.name}: ${r.goal} (${shown(r)})`,
  );
const noteLines = [];
for (const r of rows) {
  for (const n of r.notes) noteLines.push(`  - ${r.name}: ${n}`);
  if (r.profile) {
    const t = r.profile.totalMs;
    noteLines.push(
      `  - ${r.name}: CPU profile (${t} ms sampled): ${r.profile.areas.map((a) => `${a.name} ${pct(a.ms, t)}`).join(', ')}`,
      `      hottest (self time): ${r.profile.functions
        .slice(0, 6)
        .map((f) => `${f.name} ${f.ms} ms`)
        .join('; ')}`,
    );
  }
}
for (const s of skipped) noteLines.push(`  - skipped: ${s}`);
for (const f of failed) noteLines.push(`  - FAILED: ${f}`);
const hasCrypto = Object.keys(crypto.verifiesPerSecond ?? {}).length > 0;
const text = [
  header,
  '',
  textTable(rows),
  '',
  'Goals:',
  ...goalLines,
  '',
  'Notes:',
  ...noteLines,
  '',
  ...(hasCrypto ? ['Signature verifications per second (bench/crypto.mjs):', cryptoTable(crypto)] : []),
].join('\n');
process.stdout.write(`${text}\n`);

const markdown = [
  '# Benchmark results',
  '',
  `Produced by \`npm run bench${SAVE ? ' -- --save' : ''}\` (bench/run.mjs; see bench/README.md). ${header}.`,
  '',
  'Each figure: median (min-max, number of runs) in milliseconds. Ratio = ours / notary (or the named',
  'baseline); lower is better.',
  '',
  markdownTable(rows),
  '',
  '![ratios](chart.svg)',
  '',
  '## Goals',
  '',
  ...goalLines.map((l) => `- ${l.trim().replace(/ {2,}/, ': ')}`),
  '',
  '## Notes (generated)',
  '',
  ...noteLines.map((l) => l.replace(/^ {2}- /, '- ').replace(/^ {6}/, '  ')),
  '',
  ...(hasCrypto ? ['## Signature verifications per second', '', cryptoTable(crypto), ''] : []),
].join('\n');
const svg = svgChart(
  rows,
  `content-trust vs the Notary client (${meta.date.slice(0, 10)}, ${meta.cpus} CPUs)`,
);
const resultsDir = join(root, 'bench', 'results');
mkdirSync(resultsDir, { recursive: true });
writeFileSync(join(resultsDir, 'latest.json'), `${JSON.stringify({ meta, rows, crypto }, null, 2)}\n`);
writeFileSync(join(resultsDir, 'latest.md'), markdown.replace('](chart.svg)', '](latest.svg)'));
writeFileSync(join(resultsDir, 'latest.svg'), svg);
if (SAVE) {
  writeFileSync(join(root, 'bench', 'RESULTS.md'), markdown);
  writeFileSync(join(root, 'bench', 'chart.svg'), svg);
}
log(`wrote bench/results/latest.{json,md,svg}${SAVE ? ', bench/RESULTS.md and bench/chart.svg' : ''}`);
if (failed.length > 0) process.exitCode = 1;
// stop the lab and the TUF repository server now: the server's pipes would keep the event loop (and
// so the process, and the 'exit' cleanup) alive forever
cleanup();
