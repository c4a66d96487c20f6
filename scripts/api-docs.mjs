#!/usr/bin/env node
// Generates docs/API.md from the published type declarations (dist/index.d.ts, built by tsup), so the
// library reference is the types themselves: `npm run build && npm run docs`.
//
// `--check` writes nothing and exits 1 when the public surface is incomplete: a type the declarations
// reference but the package does not export (tsup's bundled d.ts holds exactly the declarations the
// exports reach), an export without a doc comment, or a docs/API.md that is not what this generates.
import { readFileSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const check = process.argv.includes('--check');
const dts = readFileSync(join(root, 'dist', 'index.d.ts'), 'utf8');

// Split the declaration file into top-level declarations with the doc comment right above them. A
// comment followed by a blank line is a module's header, not the declaration's: it is dropped.
const blocks = [];
let cur = [];
let depth = 0;
const onlyComments = (lines) => lines.every((l) => /^\s*(\/\*\*|\*|\*\/)/.test(l) || l.trim() === '');
for (const line of dts.split('\n')) {
  if (depth === 0 && line.trim() === '') {
    if (cur.length > 0 && onlyComments(cur)) cur = [];
    if (cur.length === 0) continue;
  }
  if (/^import |^\/\/\//.test(line) && depth === 0) continue;
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
      .replace(/^type\s+/, '')
      .split(/\s+as\s+/)
      .pop(),
  )
  .filter(Boolean);
const nameOf = (b) =>
  b.match(
    /^(?:declare |export )*(?:abstract )?(?:function|class|interface|type|const|enum)\s+([A-Za-z0-9_]+)/m,
  )?.[1];
const byName = new Map();
for (const b of blocks) {
  const n = nameOf(b);
  if (n && !byName.has(n)) byName.set(n, b);
}

// The main entry points first, in reading order; then every other export alphabetically.
const first = [
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
  'KeyStore',
  'parseReference',
  'ImageReference',
  'TrustError',
  'ErrorCode',
  'EXIT_CODES',
  'exitCodeFor',
  'MetadataStore',
  'HttpClient',
  'PassphraseProvider',
  'staticPassphraseProvider',
  'envPassphraseProvider',
  'defaultPassphraseProvider',
  'setCryptoBackend',
];
const order = [
  ...first.filter((n) => exported.includes(n)),
  ...exported.filter((n) => !first.includes(n)).sort((a, b) => a.localeCompare(b, 'en')),
];
let out =
  '# content-trust library API\n\nGenerated from `dist/index.d.ts` by `scripts/api-docs.mjs`; do not edit by hand.\n\n';
out += `Exports: ${exported.map((e) => `\`${e}\``).join(', ')}.\n\n`;
for (const name of order) {
  const b = byName.get(name);
  if (!b) continue;
  out += `## ${name}\n\n\`\`\`ts\n${b.replace(/^declare /gm, '')}\n\`\`\`\n\n`;
}

if (check) {
  const problems = [];
  for (const name of byName.keys()) {
    if (!exported.includes(name)) problems.push(`${name} is referenced by the public API but not exported`);
  }
  for (const name of exported) {
    const b = byName.get(name);
    if (b === undefined) problems.push(`${name} is exported but has no declaration in dist/index.d.ts`);
    else if (!b.trimStart().startsWith('/**')) problems.push(`${name} has no doc comment`);
  }
  const current = readFileSync(join(root, 'docs', 'API.md'), 'utf8');
  if (current !== out) problems.push('docs/API.md is out of date: run `npm run build && npm run docs`');
  for (const p of problems) process.stderr.write(`${p}\n`);
  process.exit(problems.length === 0 ? 0 : 1);
}
writeFileSync(join(root, 'docs', 'API.md'), out);
process.stdout.write(`wrote docs/API.md (${order.filter((n) => byName.has(n)).length} declarations)\n`);
