#!/usr/bin/env node
// The floor of a cold verify (issue 12): a bare Node script doing only the unavoidable work of one, in
// Notary's order: one HTTPS connection (keep-alive, the lab's CA) fetching root.json, timestamp.json,
// snapshot.<sha256>.json and targets.<sha256>.json (each hash taken from its parent), and per file one
// JSON.parse and one sha256. No signature, no schema, no trust dir.
//   node bench/lib/floor-cold.mjs '{"server":URL,"caCert":FILE,"gun":GUN,"tag":TAG}'
// prints {"ms": time from the first request to the last hash, "digest": the tag's sha256 hex}
import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import https from 'node:https';

const spec = JSON.parse(process.argv[2]);
const t0 = performance.now();
const agent = new https.Agent({ keepAlive: true, maxSockets: 1, ca: readFileSync(spec.caCert, 'utf8') });
const base = `${spec.server}/v2/${spec.gun}/_trust/tuf/`;

function get(name) {
  return new Promise((resolve, reject) => {
    https
      .get(`${base}${name}.json`, { agent }, (res) => {
        const chunks = [];
        res.on('data', (c) => chunks.push(c));
        res.on('end', () =>
          res.statusCode === 200
            ? resolve(Buffer.concat(chunks))
            : reject(new Error(`${name}: ${res.statusCode}`)),
        );
      })
      .on('error', reject);
  });
}

/** Fetches, parses and hashes one file; returns the parsed document. */
async function load(name) {
  const bytes = await get(name);
  const doc = JSON.parse(bytes.toString('utf8'));
  createHash('sha256').update(bytes).digest();
  return doc;
}

const hex = (meta) => Buffer.from(meta.hashes.sha256, 'base64').toString('hex');
await load('root');
const ts = await load('timestamp');
const sn = await load(`snapshot.${hex(ts.signed.meta.snapshot)}`);
const tg = await load(`targets.${hex(sn.signed.meta.targets)}`);
const ms = performance.now() - t0;
const digest = Buffer.from(tg.signed.targets[spec.tag].hashes.sha256, 'base64').toString('hex');
agent.destroy();
process.stdout.write(`${JSON.stringify({ ms, digest })}\n`);
