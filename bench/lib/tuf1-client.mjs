// One cold TUF 1.0 refresh with our TufUpdater, in a fresh process (bench/run.mjs times the process and
// reads the in-process figure from stdout). Argument: JSON {dist (dist/tuf.js: content-trust/tuf), metadataUrl, root, target, dir}.
// Prints {ms, sha256}: refresh + getTargetInfo(target), in-process.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';

const spec = JSON.parse(process.argv[2]);
const { TufUpdater } = await import(spec.dist);
const t0 = performance.now();
const meta = join(spec.dir, 'metadata');
TufUpdater.init(meta, new Uint8Array(readFileSync(spec.root)));
const u = new TufUpdater({ metadataDir: meta, metadataBaseUrl: spec.metadataUrl });
await u.refresh();
const info = await u.getTargetInfo(spec.target);
const ms = performance.now() - t0;
await u.close();
process.stdout.write(`${JSON.stringify({ ms, sha256: info?.hashes.sha256 ?? null })}\n`);
