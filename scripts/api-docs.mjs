#!/usr/bin/env node
// Generates docs/API.md from the published type declarations (dist/index.d.ts, built by tsup), so the
// library reference is the types themselves: `npm run build && npm run docs`.
import { readFileSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const dts = readFileSync(join(root, 'dist', 'index.d.ts'), 'utf8');

// Split the declaration file into top-level declarations with their doc comments.
const blocks = [];
let cur = [];
let depth = 0;
for (const line of dts.split('\n')) {
  if (depth === 0 && cur.length === 0 && line.trim() === '') continue;
  cur.push(line);
  depth += (line.match(/[{(]/g) ?? []).length - (line.match(/[})]/g) ?? []).length;
  if (depth <= 0 && /[;}]\s*$/.test(line) && !line.trim().startsWith('*') && !line.trim().startsWith('/**')) {
    blocks.push(cur.join('\n'));
    cur = [];
    depth = 0;
  }
}
const exported = (dts.match(/^export \{([^}]*)\}/m)?.[1] ?? '')
  .split(',')
  .map((s) =>
    s
      .trim()
      .split(/\s+as\s+/)
      .pop(),
  )
  .filter(Boolean);
const nameOf = (b) =>
  b.match(/(?:declare |export )*(?:function|class|interface|type|const|enum)\s+([A-Za-z0-9_]+)/)?.[1];
const wanted = [
  'verify',
  'VerifyOptions',
  'VerifyResult',
  'inspect',
  'InspectResult',
  'TrustOptions',
  'TrustPinning',
  'signTags',
  'SignOptions',
  'TagToSign',
  'SignedTag',
  'initRepository',
  'InitOptions',
  'InitResult',
  'revokeTag',
  'addSigner',
  'removeSigner',
  'rotateKey',
  'RotateOptions',
  'generateKey',
  'loadKey',
  'PublishOptions',
  'parseReference',
  'ImageReference',
  'TrustError',
  'ErrorCode',
  'exitCodeFor',
  'MetadataStore',
  'HttpClient',
  'PassphraseProvider',
  'staticPassphraseProvider',
  'envPassphraseProvider',
  'defaultPassphraseProvider',
  'setCryptoBackend',
];
const byName = new Map(blocks.map((b) => [nameOf(b), b]));
let out =
  '# content-trust library API\n\nGenerated from `dist/index.d.ts` by `scripts/api-docs.mjs`; do not edit by hand.\n\n';
out += `Exports: ${exported.map((e) => `\`${e}\``).join(', ')}.\n\n`;
for (const name of wanted) {
  const b = byName.get(name);
  if (!b) continue;
  out += `## ${name}\n\n\`\`\`ts\n${b.replace(/^declare /gm, '')}\n\`\`\`\n\n`;
}
writeFileSync(join(root, 'docs', 'API.md'), out);
process.stdout.write(`wrote docs/API.md (${wanted.filter((n) => byName.has(n)).length} declarations)\n`);
