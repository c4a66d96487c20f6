#!/usr/bin/env node
// In-process measurements, each in a fresh child process of bench/run.mjs (clean heap, own peak RSS).
//   node bench/lib/inproc.mjs '<json spec>'     prints one JSON object on stdout
// spec: { mode, dist: file URL of dist/index.js, internal: file URL of the bench bundle, ... }
// The bench keys' throw-away passphrase comes from BENCH_PASSPHRASE (never argv).
import { createHash } from 'node:crypto';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import https from 'node:https';
import { Session } from 'node:inspector';
import { join } from 'node:path';
import { createSecureContext } from 'node:tls';

const spec = JSON.parse(process.argv[2]);
const dist = await import(spec.dist);
const internal = await import(spec.internal);
/** The packaged library when it exports the name, else the bench bundle of the sources. */
const pick = (name) => dist[name] ?? internal[name];
const now = () => performance.now();
const tagDigest = (tag) => createHash('sha256').update(tag).digest('hex');

/**
 * Times f. With spec.cpuProfile set, only this region is CPU-profiled (inspector) and the profile is
 * written there (the first region only), so a profile shows the measured work, not module loading.
 */
let profiled = false;
async function measured(f) {
  const session = spec.cpuProfile && !profiled ? new Session() : undefined;
  const post = (method, params) =>
    new Promise((resolve, reject) =>
      session.post(method, params, (err, res) => (err ? reject(err) : resolve(res))),
    );
  if (session) {
    profiled = true;
    session.connect();
    await post('Profiler.enable');
    await post('Profiler.setSamplingInterval', { interval: 100 });
    await post('Profiler.start');
  }
  const t = now();
  await f();
  const ms = now() - t;
  if (session) {
    const { profile } = await post('Profiler.stop');
    writeFileSync(spec.cpuProfile, JSON.stringify(profile));
    session.disconnect();
  }
  return ms;
}

const trustOpts = (trustDir) => ({
  server: spec.server,
  tlsCaCert: readFileSync(spec.caCert, 'utf8'),
  trustDir,
});
const pubOpts = (trustDir) => ({
  ...trustOpts(trustDir),
  passphrase: pick('staticPassphraseProvider')(process.env.BENCH_PASSPHRASE),
  keyIterations: spec.keyIterations ?? 1000,
});

/**
 * The network floor of a warm verify: one GET of timestamp.json over a kept-alive TLS connection,
 * made the way our HTTP client makes it (src/transport/http.ts): node:https, an agent with
 * keep-alive, at most 8 sockets and a secure context holding the extra CA only, the same
 * User-Agent, the body collected and concatenated. Nothing else: no retry loop, deadline, auth or
 * size cap.
 */
function timestampGet() {
  const agent = new https.Agent({
    keepAlive: true,
    maxSockets: 8,
    secureContext: createSecureContext({ ca: [readFileSync(spec.caCert, 'utf8')] }),
  });
  const url = new URL(`${spec.server}/v2/${spec.gun}/_trust/tuf/timestamp.json`);
  const get = () =>
    new Promise((resolve, reject) => {
      https
        .get(url, { agent, headers: { 'user-agent': 'content-trust' } }, (res) => {
          const chunks = [];
          res.on('data', (c) => chunks.push(c));
          res.on('end', () => resolve(Buffer.concat(chunks)));
        })
        .on('error', reject);
    });
  return { get, close: () => agent.destroy() };
}

async function main() {
  switch (spec.mode) {
    case 'warm': {
      // library verify() with a warm trust dir: fetches timestamp.json, nothing else
      const verify = pick('verify');
      // one context for every call: keep-alive connections and caches outlive each verify()
      const Context = pick('TrustContext');
      const opts = { ...trustOpts(spec.trustDir), ...(Context ? { context: new Context() } : {}) };
      const { digest } = await verify(spec.reference, opts); // fills the trust dir: warm from here on
      for (let i = 0; i < 20; i++) await verify(spec.reference, opts);
      // the floor (spec.floor) is measured in the same process, in blocks alternating with ours, so
      // that load from other work on the machine hits both
      const floorGet = spec.floor ? timestampGet() : undefined;
      if (floorGet) for (let i = 0; i < 20; i++) await floorGet.get();
      const samples = [];
      const floor = [];
      // CPU (user+sys) of this process per call, per block: wall minus floor that is also CPU minus
      // floor's is our own work, not waiting
      const cpu = [];
      const floorCpu = [];
      const cpuPer = (c0, n) => {
        const c = process.cpuUsage(c0);
        return (c.user + c.system) / 1000 / n;
      };
      const BLOCK = 25;
      await measured(async () => {
        for (let i = 0; i < spec.runs; i += BLOCK) {
          const n = Math.min(BLOCK, spec.runs - i);
          let c0 = process.cpuUsage();
          for (let j = 0; j < n; j++) {
            const t = now();
            await verify(spec.reference, opts);
            samples.push(now() - t);
          }
          cpu.push(cpuPer(c0, n));
          c0 = process.cpuUsage();
          for (let j = 0; floorGet && j < n; j++) {
            const t = now();
            await floorGet.get();
            floor.push(now() - t);
          }
          if (floorGet) floorCpu.push(cpuPer(c0, n));
        }
      });
      floorGet?.close();
      return { digest, samples, cpu, floor: floorGet ? floor : undefined, floorCpu };
    }
    case 'cold': {
      // library verify() with an empty trust dir, in a process that has just loaded the library
      const opts = trustOpts(mkdtempSync(join(spec.tmp, 'cold-')));
      let r;
      const ms = await measured(async () => {
        r = await pick('verify')(spec.reference, opts);
      });
      const maxRSS = process.resourceUsage().maxRSS * 1024;
      // the same cold verify again (another empty trust dir, no shared context), now that the
      // library's code has run once: how much of the first figure is first-call cost (lazy
      // compilation, JIT warm-up) that a long-lived verifier pays once
      const again = trustOpts(mkdtempSync(join(spec.tmp, 'cold-again-')));
      const t = now();
      const r2 = await pick('verify')(spec.reference, again);
      const secondMs = now() - t;
      if (r2.digest !== r.digest) throw new Error('the second cold verify disagreed');
      return { ms, secondMs, digest: r.digest, maxRSS };
    }
    case 'sign-many': {
      // a fresh repository (init untimed), then `count` tags signed and published in one call
      const dir = mkdtempSync(join(spec.tmp, 'sign-many-'));
      await pick('initRepository')(spec.gun, pubOpts(dir));
      const tags = Array.from({ length: spec.count }, (_, i) => ({
        reference: `${spec.gun}:t${i}`,
        digest: `sha256:${tagDigest(`t${i}`)}`,
        size: 1000 + i,
      }));
      const ms = await measured(() => pick('signTags')(tags, pubOpts(dir)));
      return { ms };
    }
    case 'registry-sign-many': {
      // a registry-hosted (TUF 1.0 in the OCI registry) repository of `count` tags, one publish
      const dir = spec.trustDir ?? mkdtempSync(join(spec.tmp, 'reg-sign-'));
      const opts = { ...pubOpts(dir), server: 'registry' };
      delete opts.tlsCaCert;
      const tags = Array.from({ length: spec.count }, (_, i) => ({
        reference: `${spec.gun}:t${i}`,
        digest: `sha256:${tagDigest(`t${i}`)}`,
        size: 1000 + i,
        mediaType: 'application/vnd.oci.image.manifest.v1+json',
      }));
      const ms = await measured(() => pick('signRegistryTags')(tags, { ...opts, initIfMissing: true }));
      return { ms };
    }
    case 'registry-warm': {
      // library verify() from registry-hosted trust with a warm trust dir; counts the HTTP requests
      // of each warm verify (one conditional GET of the metadata manifest when nothing changed)
      const verify = pick('verify');
      const base = pick('createHttpClient')({});
      let requests = 0;
      const statuses = new Map();
      const http = {
        request: async (req) => {
          requests++;
          const res = await base.request(req);
          const k = `${req.method ?? 'GET'} ${res.status}`;
          statuses.set(k, (statuses.get(k) ?? 0) + 1);
          return res;
        },
        close: () => base.close?.(),
      };
      const Context = pick('TrustContext');
      const opts = { server: 'registry', trustDir: spec.trustDir, http, context: new Context() };
      const { digest } = await verify(spec.reference, opts); // warm from here on
      for (let i = 0; i < 5; i++) await verify(spec.reference, opts);
      requests = 0;
      statuses.clear();
      const samples = [];
      const runs = spec.runs ?? 50;
      for (let i = 0; i < runs; i++) {
        const t = now();
        await verify(spec.reference, opts);
        samples.push(now() - t);
      }
      await http.close();
      return { digest, samples, requestsPerVerify: requests / runs, statuses: Object.fromEntries(statuses) };
    }
    case 'kdf': {
      // unlocking a key file: PBKDF2-HMAC-SHA1 + AES-256-CBC + PKCS#8 parse
      const pass = process.env.BENCH_PASSPHRASE;
      const key = pick('generateSigner')('ed25519');
      const out = {};
      for (const [label, iterations, runs] of spec.cases) {
        let t = now();
        const pem = await pick('writeKeyFile')(key, { role: 'targets', passphrase: pass, iterations });
        const writeMs = now() - t;
        const xs = [];
        for (let i = 0; i < runs; i++) {
          t = now();
          await pick('readKeyFile')(pem, pass);
          xs.push(now() - t);
        }
        out[label] = { iterations, writeMs, unlock: xs };
      }
      return out;
    }
    case 'canonical': {
      // a ~10 MB targets document, parsed from its canonical bytes as verification does
      const canonicalJson = pick('canonicalJson');
      const targets = {};
      const add = (n, i) => {
        targets[n] = {
          hashes: { sha256: createHash('sha256').update(n).digest('base64') },
          length: 1000 + i,
        };
      };
      // docker repositories often carry numeric tags ('1', '2', '10'): with spec.numeric three of them
      // join the same document
      if (spec.numeric) ['1', '2', '10'].forEach(add);
      for (let i = 0; ; i++) {
        add(`v${i}.${i % 97}-release-${(i * 7919) % 100000}`, i);
        if (i % 5000 === 0 && JSON.stringify(targets).length > 10e6) break;
      }
      const text = canonicalJson({
        _type: 'Targets',
        delegations: { keys: {}, roles: [] },
        expires: '2030-01-01T00:00:00Z',
        targets,
        version: 1,
      });
      const doc = JSON.parse(text);
      if (canonicalJson(doc) !== text) throw new Error('canonicalJson is not stable on its own output');
      const ours = [];
      const theirs = [];
      // the floor of an encoder that checks every value in the one native pass: JSON.stringify
      // calling a replacer that returns each value unchanged (a second pass over the object graph
      // costs more: see bench/README.md)
      const floor = [];
      const unchanged = (_key, value) => value;
      // CPU time (user+sys) of each call too: less moved by the machine's other work than wall time
      const cpu = { ours: [], theirs: [], floor: [] };
      const cpuMs = (c0) => {
        const c = process.cpuUsage(c0);
        return (c.user + c.system) / 1000;
      };
      for (let i = 0; i < spec.runs; i++) {
        let c0 = process.cpuUsage();
        ours.push(await measured(() => canonicalJson(doc)));
        cpu.ours.push(cpuMs(c0));
        c0 = process.cpuUsage();
        let t = now();
        JSON.stringify(doc);
        theirs.push(now() - t);
        cpu.theirs.push(cpuMs(c0));
        c0 = process.cpuUsage();
        t = now();
        JSON.stringify(doc, unchanged);
        floor.push(now() - t);
        cpu.floor.push(cpuMs(c0));
      }
      return { bytes: Buffer.byteLength(text), ours, theirs, floor, cpu };
    }
    case 'hostile-json': {
      // issue 8 item 6: a 0.9 MB timestamp nesting `levels` objects around 400,000 numbers ending in
      // 2^60 (the native encoder gives up only at the end); 0.1.0 spent over a minute on 500 levels
      const canonicalJson = pick('canonicalJson');
      const parseMetadata = pick('parseMetadata');
      const doc = (levels) =>
        `{"signed":{"_type":"Timestamp","expires":"2030-01-01T00:00:00Z","meta":{"snapshot":{"hashes":{},"length":1}},"version":1,"x":${'{"a":'.repeat(levels)}[${'0,'.repeat(400_000)}1152921504606846976]${',"b":0}'.repeat(levels)}},"signatures":[]}`;
      const deep = Buffer.from(doc(500));
      const wide = Buffer.from(doc(28));
      const refuse = [];
      const encode = [];
      for (let i = 0; i < spec.runs; i++) {
        refuse.push(
          await measured(() => {
            try {
              parseMetadata(deep, 'timestamp');
            } catch {
              return;
            }
            throw new Error('the 500-level timestamp was accepted');
          }),
        );
        // under the nesting limit: parsed, then encoded as the signature check does
        encode.push(await measured(() => canonicalJson(parseMetadata(wide, 'timestamp').signed)));
      }
      return { bytes: deep.length, refuse, encode };
    }
    default:
      throw new Error(`unknown mode ${spec.mode}`);
  }
}

process.stdout.write(`${JSON.stringify(await main())}\n`);
