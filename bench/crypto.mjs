#!/usr/bin/env node
// Micro-benchmark of the crypto layer: signature verifications per second per key
// type and backend, and SHA-256/SHA-512 throughput per backend.
//
//   node bench/crypto.mjs            (human-readable table)
//   node bench/crypto.mjs --json     (one JSON object)
//   node bench/crypto.mjs --verify-only   (signature verification only: what npm run bench reports)
//
// Bundles src/crypto with esbuild (a tsup dependency) into a temp dir first, so
// it needs no build step.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { build } from 'esbuild';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const out = mkdtempSync(join(tmpdir(), 'ct-bench-'));
await build({
  // what this benchmark calls, straight from the crypto modules (there is no barrel)
  stdin: {
    contents: [
      "export { sha256, sha512 } from './backend.ts';",
      "export { setCryptoBackend } from './noble.ts';",
      "export { keyToJson, parsePublicKey } from './keys.ts';",
      "export { generateSigner, withCertificate } from './signers.ts';",
      "export { verifySignature } from './verify.ts';",
      "export { createRootCertificate } from './x509.ts';",
    ].join('\n'),
    resolveDir: join(root, 'src/crypto'),
    loader: 'ts',
  },
  bundle: true,
  format: 'esm',
  platform: 'node',
  target: 'node20',
  outfile: join(out, 'crypto.mjs'),
  logLevel: 'error',
  nodePaths: [join(root, 'node_modules')],
});
const c = await import(pathToFileURL(join(out, 'crypto.mjs')).href);
rmSync(out, { recursive: true, force: true });

const json = process.argv.includes('--json');
const verifyOnly = process.argv.includes('--verify-only');
const TARGET_MS = Number(process.env.BENCH_MS ?? 400);

/** Runs f repeatedly for about TARGET_MS; returns operations per second. */
function rate(f) {
  for (let i = 0; i < 20; i++) f(); // warm-up
  let n = 0;
  const start = process.hrtime.bigint();
  let elapsed = 0;
  while (elapsed < TARGET_MS) {
    for (let i = 0; i < 10; i++) f();
    n += 10;
    elapsed = Number(process.hrtime.bigint() - start) / 1e6;
  }
  return (n * 1000) / elapsed;
}

const message = new TextEncoder().encode(
  JSON.stringify({ signed: { _type: 'Targets', pad: 'x'.repeat(700) } }),
);
const gun = 'docker.io/library/bench';
const signers = {
  ed25519: c.generateSigner('ed25519'),
  ecdsa: c.generateSigner('ecdsa'),
  'ecdsa-x509': null,
  rsa: c.generateSigner('rsa'),
};
{
  const s = c.generateSigner('ecdsa');
  signers['ecdsa-x509'] = c.withCertificate(s, c.createRootCertificate(s, gun));
}

const results = { node: process.version, verifiesPerSecond: {}, signsPerSecond: {}, hashMBps: {} };
for (const backend of ['node', 'noble']) {
  c.setCryptoBackend(backend);
  results.verifiesPerSecond[backend] = {};
  results.signsPerSecond[backend] = {};
  for (const [type, s] of Object.entries(signers)) {
    const sig = s.sign(message);
    // a fresh, equal key object each time would defeat the object cache but hit the value cache;
    // metadata code parses a key once per document, so this is the steady state.
    const key = c.parsePublicKey(c.keyToJson(s.publicKey));
    if (!c.verifySignature(key, s.method, sig, message)) throw new Error(`${type} did not verify`);
    results.verifiesPerSecond[backend][type] = Math.round(
      rate(() => c.verifySignature(key, s.method, sig, message)),
    );
    if (!verifyOnly) results.signsPerSecond[backend][type] = Math.round(rate(() => s.sign(message)));
  }
  if (verifyOnly) continue;
  results.hashMBps[backend] = {};
  for (const [name, f] of [
    ['sha256', c.sha256],
    ['sha512', c.sha512],
  ]) {
    const data = new Uint8Array(1 << 20).fill(7);
    results.hashMBps[backend][name] = Math.round(rate(() => f(data)));
    const small = new Uint8Array(1024);
    results.hashMBps[backend][`${name} 1KiB ops/s`] = Math.round(rate(() => f(small)));
  }
}
c.setCryptoBackend('node');
// key parsing: first sight of a key (cache miss) vs. the same key again (cache hit)
results.parsePublicKeyPerSecond = {};
for (const type of verifyOnly ? [] : ['ed25519', 'ecdsa', 'rsa']) {
  const count = type === 'rsa' ? 10 : 1000; // RSA key generation is ~0.1 s per key
  const jsons = Array.from({ length: count }, () => c.keyToJson(c.generateSigner(type).publicKey));
  const start = process.hrtime.bigint();
  for (const j of jsons) c.parsePublicKey(j);
  const ms = Number(process.hrtime.bigint() - start) / 1e6;
  results.parsePublicKeyPerSecond[`${type} cold`] = Math.round((count * 1000) / ms);
  let i = 0;
  results.parsePublicKeyPerSecond[`${type} cached`] = Math.round(
    rate(() => c.parsePublicKey(jsons[i++ % count])),
  );
}

if (json) {
  console.log(JSON.stringify(results, null, 2));
} else {
  console.log(`crypto micro-bench (${process.version}, ~${TARGET_MS} ms per figure)`);
  for (const backend of Object.keys(results.verifiesPerSecond)) {
    console.log(`\n[${backend}]`);
    for (const type of Object.keys(results.verifiesPerSecond[backend])) {
      const sign = results.signsPerSecond[backend][type];
      console.log(
        `  ${type.padEnd(11)} verify ${String(results.verifiesPerSecond[backend][type]).padStart(8)}/s${sign === undefined ? '' : `   sign ${String(sign).padStart(7)}/s`}`,
      );
    }
    const h = results.hashMBps[backend];
    if (!h) continue;
    console.log(
      `  sha256 ${h.sha256} MB/s (1 KiB: ${h['sha256 1KiB ops/s']}/s)   sha512 ${h.sha512} MB/s (1 KiB: ${h['sha512 1KiB ops/s']}/s)`,
    );
  }
  if (!verifyOnly) console.log('\nparsePublicKey per second:', results.parsePublicKeyPerSecond);
}
