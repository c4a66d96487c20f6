#!/usr/bin/env node
// Regenerates the Notary-produced test vectors in vectors/<scenario>/.
//
//   node vectors/generate.mjs [scenario ...]      (default: every scenario)
//
// For each scenario it starts its own throw-away lab with test/harness/up.sh (free loopback ports, its
// own LAB_DIR), drives the REAL notary CLI (Debian package `notary`, 0.7) with a fresh trust dir, then
// saves exactly the bytes notary-server serves (curl with the lab CA), the client's encrypted private
// keys, the passphrases, and what `notary list` / `notary lookup` report. See vectors/README.md.
import { spawnSync } from 'node:child_process';
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
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const HERE = dirname(fileURLToPath(import.meta.url));
const HARNESS = join(HERE, '..', 'test', 'harness');

const SCENARIOS = {
  'ecdsa-server': {
    description: 'production layout: notary-signer holds ECDSA P-256 timestamp/snapshot keys',
    lab: { LAB_TRUST_SERVICE: 'remote', LAB_KEY_ALGORITHM: 'ecdsa', LAB_AUTH: 'none' },
    serverKeyAlgorithm: 'ecdsa',
  },
  'ed25519-server': {
    description: 'notary-server signs in-process (trust_service local): ed25519 timestamp/snapshot keys',
    lab: { LAB_TRUST_SERVICE: 'local', LAB_AUTH: 'none' },
    serverKeyAlgorithm: 'ed25519',
  },
};

// Throw-away passphrases for throw-away keys (these are test vectors, not secrets).
const passphrasesFor = (scenario) => ({
  root: `ct-vectors-${scenario}-root`,
  targets: `ct-vectors-${scenario}-targets`,
  snapshot: `ct-vectors-${scenario}-snapshot`,
  delegation: `ct-vectors-${scenario}-delegation`,
});

const log = (msg) => process.stderr.write(`[vectors] ${msg}\n`);

function run(cmd, args, opts = {}) {
  const r = spawnSync(cmd, args, {
    encoding: 'utf8',
    stdio: ['ignore', 'pipe', 'pipe'],
    maxBuffer: 64 * 1024 * 1024,
    ...opts,
  });
  if (r.error) throw r.error;
  if (r.status !== 0 && !opts.allowFail) {
    throw new Error(`${cmd} ${args.join(' ')} -> exit ${r.status}\n${r.stdout}\n${r.stderr}`);
  }
  return r;
}

async function freePorts(n) {
  const servers = [];
  const ports = [];
  for (let i = 0; i < n; i++) {
    const s = createServer();
    servers.push(s);
    await new Promise((resolve, reject) => {
      s.once('error', reject);
      s.listen(0, '127.0.0.1', resolve);
    });
    ports.push(s.address().port);
  }
  await Promise.all(servers.map((s) => new Promise((resolve) => s.close(resolve))));
  return ports;
}

/** Deterministic fake "manifest" for a target name: what its hashes and length are computed from. */
function contentFor(scenario, name) {
  return Buffer.from(`content-trust test vector ${scenario} ${name}\n`, 'utf8');
}
const hex = (alg, b) => createHash(alg).update(b).digest('hex');

/** A shell-ish rendering of an argument for info.json, with invisible characters as \uXXXX. */
function showArg(a) {
  return JSON.stringify(a).replace(
    /[\u007f-\u009f\u2028\u2029]/gu,
    (c) => `\\u${c.charCodeAt(0).toString(16).padStart(4, '0')}`,
  );
}

/** Parses `notary list` output (NAME DIGEST SIZE ROLE table); names may contain spaces. */
function parseList(stdout) {
  const out = {};
  const lines = stdout.split('\n').slice(2);
  for (const line of lines) {
    if (line.trim() === '') continue;
    const m = /^(.*?) +([0-9a-f]{64}) +(\d+) +(\S+) *$/su.exec(line);
    if (!m) throw new Error(`cannot parse notary list line: ${JSON.stringify(line)}`);
    out[m[1]] = { sha256hex: m[2], size: Number(m[3]), role: m[4] };
  }
  return out;
}

async function generate(scenario) {
  const spec = SCENARIOS[scenario];
  if (!spec) throw new Error(`unknown scenario ${scenario}; have ${Object.keys(SCENARIOS).join(', ')}`);
  const work = mkdtempSync(join(tmpdir(), `ct-vectors-${scenario}-`));
  const labDir = join(work, 'lab');
  const [registry, notaryPort, signer, token] = await freePorts(4);
  const labEnv = {
    ...process.env,
    ...spec.lab,
    LAB_DIR: labDir,
    LAB_REGISTRY_PORT: String(registry),
    LAB_NOTARY_PORT: String(notaryPort),
    LAB_SIGNER_PORT: String(signer),
    LAB_TOKEN_PORT: String(token),
  };
  log(`${scenario}: starting lab in ${labDir}`);
  run('bash', [join(HARNESS, 'up.sh')], { env: labEnv, stdio: ['ignore', 'inherit', 'inherit'] });
  try {
    return await drive(scenario, spec, work, labDir);
  } finally {
    run('bash', [join(HARNESS, 'down.sh')], { env: labEnv, stdio: ['ignore', 'inherit', 'inherit'] });
    rmSync(work, { recursive: true, force: true });
  }
}

async function drive(scenario, spec, work, labDir) {
  const lab = JSON.parse(readFileSync(join(labDir, 'env.json'), 'utf8'));
  const trust = join(work, 'trust');
  const pass = passphrasesFor(scenario);
  const notaryEnv = {
    ...process.env,
    NOTARY_ROOT_PASSPHRASE: pass.root,
    NOTARY_TARGETS_PASSPHRASE: pass.targets,
    NOTARY_SNAPSHOT_PASSPHRASE: pass.snapshot,
    NOTARY_DELEGATION_PASSPHRASE: pass.delegation,
  };
  const notary = (args, input) =>
    run('notary', ['-d', trust, '-s', lab.notaryUrl, '--tlscacert', lab.caCert, ...args], {
      env: notaryEnv,
      ...(input === undefined ? {} : { input, stdio: ['pipe', 'pipe', 'pipe'] }),
    });
  const gun = `docker.io/ct-vectors/${scenario}`;
  const steps = [];
  const step = (what, args, input) => {
    const shown = args
      .map((a) => a.split(work).join('$WORK'))
      .map((a) => (/^[\w./:=$-]+$/u.test(a) ? a : showArg(a)))
      .join(' ');
    steps.push(`${input === undefined ? '' : `echo ${JSON.stringify(input.trim())} | `}notary ${shown}`);
    log(`${scenario}: ${what}`);
    return notary(args, input);
  };
  const addhash = (name, extra = [], publish = false) => {
    const c = contentFor(scenario, name);
    step(`addhash ${JSON.stringify(name)}`, [
      'addhash',
      gun,
      name,
      String(c.length),
      '--sha256',
      hex('sha256', c),
      ...extra,
      ...(publish ? ['-p'] : []),
    ]);
  };

  step('init (root v1)', ['init', gun, '-p']);
  step('snapshot key to the server (root v2)', ['key', 'rotate', gun, 'snapshot', '-r']);

  // targets role: plain tags, awkward names, custom data, two hash algorithms
  for (const tag of ['1', '2', '10', 'latest']) addhash(tag);
  const oddNames = ['v1<&>é-ü-日本', 'line\u2028sep\u2029para', 'del\u007fchar', 'with space'];
  for (const name of oddNames) addhash(name);
  const customFile = join(work, 'custom.json');
  // notary keeps custom as raw JSON and signs it verbatim; the client only accepts it when it is already
  // canonical and free of <, >, & and \u escapes (see README), so this is canonical.
  const custom = '{"build":{"commit":"0123abcd","number":42},"note":"é ü 日本","tags":["a","b"]}';
  writeFileSync(customFile, custom);
  addhash('with-custom', ['--custom', customFile]);
  {
    const c = contentFor(scenario, 'sha256-and-sha512');
    step('addhash with --sha512 too', [
      'addhash',
      gun,
      'sha256-and-sha512',
      String(c.length),
      '--sha256',
      hex('sha256', c),
      '--sha512',
      hex('sha512', c),
    ]);
  }
  step('publish targets', ['publish', gun]);

  // delegations the way `docker trust signer add alice` sets them up
  const aliceKey = join(work, 'alice.key');
  const alicePub = join(work, 'alice.pub');
  run('openssl', ['genpkey', '-algorithm', 'EC', '-pkeyopt', 'ec_paramgen_curve:P-256', '-out', aliceKey]);
  run('openssl', ['pkey', '-in', aliceKey, '-pubout', '-out', alicePub]);
  step('import signer key alice', ['key', 'import', aliceKey, '--role', 'alice']);
  step('delegation targets/releases', [
    'delegation',
    'add',
    gun,
    'targets/releases',
    alicePub,
    '--all-paths',
  ]);
  step('delegation targets/alice', [
    'delegation',
    'add',
    gun,
    'targets/alice',
    alicePub,
    '--all-paths',
    '-p',
  ]);
  addhash('release-1', ['-r', 'targets/releases'], true);
  addhash('alice-1', ['-r', 'targets/alice'], true);
  // the same tag in targets and targets/releases with different content: docker pull prefers
  // targets/releases, notary lookup/list report the targets one (see README)
  addhash('shared', [], true);
  {
    const c = contentFor(scenario, 'shared (releases)');
    step('addhash shared in targets/releases', [
      'addhash',
      gun,
      'shared',
      String(c.length),
      '--sha256',
      hex('sha256', c),
      '-r',
      'targets/releases',
      '-p',
    ]);
  }

  step('rotate targets key (root v3)', ['key', 'rotate', gun, 'targets']);
  // `key rotate root` asks "(yes/no)" on stdin; with no answer it prints "Aborting action." and exits 0.
  step('rotate root key (root v4)', ['key', 'rotate', gun, 'root'], 'yes\n');

  // ---- save what the server serves
  const out = join(HERE, scenario);
  rmSync(out, { recursive: true, force: true });
  mkdirSync(join(out, 'targets'), { recursive: true });
  const base = `${lab.notaryUrl}/v2/${gun}/_trust/tuf`;
  const fetchTo = (path, file) => {
    const r = run('curl', [
      '-sS',
      '--cacert',
      lab.caCert,
      '-o',
      file,
      '-w',
      '%{http_code}',
      `${base}/${path}`,
    ]);
    if (r.stdout !== '200') rmSync(file, { force: true });
    return r.stdout;
  };
  const files = [];
  for (const role of ['root', 'targets', 'snapshot', 'timestamp', 'targets/releases', 'targets/alice']) {
    const code = fetchTo(`${role}.json`, join(out, `${role}.json`));
    if (code !== '200') throw new Error(`GET ${role}.json -> ${code}`);
    files.push(`${role}.json`);
  }
  let rootVersions = 0;
  for (let v = 1; ; v++) {
    const code = fetchTo(`${v}.root.json`, join(out, `${v}.root.json`));
    if (code === '404') break;
    if (code !== '200') throw new Error(`GET ${v}.root.json -> ${code}`);
    files.push(`${v}.root.json`);
    rootVersions = v;
  }
  if (rootVersions !== 4) throw new Error(`expected root versions 1..4, server has 1..${rootVersions}`);
  const latestRoot = readFileSync(join(out, 'root.json'));
  if (!latestRoot.equals(readFileSync(join(out, `${rootVersions}.root.json`)))) {
    throw new Error(`root.json differs from ${rootVersions}.root.json`);
  }
  // the checksum-addressed names the client really fetches serve the same bytes
  const checkByHash = (role) => {
    const bytes = readFileSync(join(out, `${role}.json`));
    const tmp = join(work, 'byhash.json');
    const code = fetchTo(`${role}.${hex('sha256', bytes)}.json`, tmp);
    if (code !== '200' || !readFileSync(tmp).equals(bytes)) throw new Error(`${role}.<sha256>.json mismatch`);
  };
  for (const role of ['root', 'targets', 'snapshot', 'targets/releases', 'targets/alice']) checkByHash(role);

  // ---- client side: encrypted private keys, signer key, passphrases
  mkdirSync(join(out, 'private'));
  for (const f of readdirSync(join(trust, 'private'))) {
    if (f.endsWith('.key')) cpSync(join(trust, 'private', f), join(out, 'private', f));
  }
  cpSync(alicePub, join(out, 'alice.pub'));
  writeFileSync(join(out, 'passphrases.json'), `${JSON.stringify(pass, null, 2)}\n`);
  writeFileSync(join(out, 'gun.txt'), `${gun}\n`);

  // ---- the reference client's view, from an empty trust dir (trust on first use)
  const fresh = join(work, 'fresh');
  const view = (args) =>
    run('notary', ['-d', fresh, '-s', lab.notaryUrl, '--tlscacert', lab.caCert, ...args], { env: notaryEnv });
  const listed = parseList(view(['list', gun]).stdout);
  const tags = {};
  for (const [name, entry] of Object.entries(listed)) {
    const got = view(['lookup', gun, name]).stdout.replace(/\n$/u, '');
    const want = `${name} sha256:${entry.sha256hex} ${entry.size}`;
    if (got !== want) throw new Error(`lookup ${JSON.stringify(name)}: ${JSON.stringify(got)} != ${want}`);
    tags[name] = entry;
  }
  const byRole = {};
  for (const role of ['targets/releases', 'targets/alice']) {
    byRole[role] = parseList(view(['list', gun, '-r', role]).stdout);
  }
  const sorted = (o) =>
    Object.fromEntries(Object.entries(o).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)));
  writeFileSync(join(out, 'tags.json'), `${JSON.stringify(sorted(tags), null, 2)}\n`);
  writeFileSync(
    join(out, 'tags-by-role.json'),
    `${JSON.stringify(Object.fromEntries(Object.entries(byRole).map(([r, t]) => [r, sorted(t)])), null, 2)}\n`,
  );
  // `dpkg-query -W notary` prints "notary<TAB><version>"
  const notaryVersion = run('dpkg-query', ['-W', 'notary'], { allowFail: true }).stdout.trim().split('\t')[1];
  writeFileSync(
    join(out, 'info.json'),
    `${JSON.stringify(
      {
        scenario,
        description: spec.description,
        gun,
        trustService: lab.trustService,
        serverKeyAlgorithm: spec.serverKeyAlgorithm,
        rootVersions,
        notaryVersion,
        generatedAt: new Date().toISOString(),
        generator: 'node vectors/generate.mjs',
        steps,
        customFile: custom,
        files: files.sort(),
      },
      null,
      2,
    )}\n`,
  );
  log(`${scenario}: wrote ${out} (root versions 1..${rootVersions}, ${Object.keys(tags).length} tags)`);
}

const wanted = process.argv.slice(2);
for (const s of wanted.length > 0 ? wanted : Object.keys(SCENARIOS)) {
  if (!existsSync(HARNESS)) throw new Error(`missing ${HARNESS}`);
  await generate(s);
}
