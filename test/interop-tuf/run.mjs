#!/usr/bin/env node
/**
 * python-tuf interop for the TUF 1.0 signing side: writes repositories with our
 * writer (test/interop-tuf/scenarios.ts, bundled here with esbuild) and checks
 * each with python-tuf's ngclient (test/interop-tuf/ngclient_verify.py), served
 * over loopback HTTP. Exit 0 when every check matches, 1 on any mismatch, 2 when
 * it cannot run.
 *
 *   node test/interop-tuf/run.mjs [--python PY]
 *
 * PY defaults to $TUF_INTEROP_PYTHON, else `../shared/tuf-conformance/run.sh --python`.
 * `.ci/run` runs this when ../shared/tuf-conformance/run.sh exists.
 */
import { execFileSync, spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { isDeepStrictEqual } from 'node:util';
import { build } from 'esbuild';

const here = dirname(fileURLToPath(import.meta.url));
const project = resolve(here, '../..');
const verifier = join(here, 'ngclient_verify.py');

function pythonPath() {
  const i = process.argv.indexOf('--python');
  if (i > 0 && process.argv[i + 1]) return process.argv[i + 1];
  if (process.env.TUF_INTEROP_PYTHON) return process.env.TUF_INTEROP_PYTHON;
  const kit = resolve(project, '../shared/tuf-conformance/run.sh');
  if (!existsSync(kit)) return undefined;
  return execFileSync(kit, ['--python'], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'inherit'] })
    .trim()
    .split('\n')
    .at(-1);
}

const py = pythonPath();
if (!py) {
  console.log('tuf interop: skipped (no ../shared/tuf-conformance/run.sh and no TUF_INTEROP_PYTHON)');
  process.exit(0);
}

const work = mkdtempSync(join(tmpdir(), 'tuf-interop-'));
let failures = 0;
let checks = 0;
try {
  const bundle = join(work, 'scenarios.mjs');
  await build({
    entryPoints: [join(here, 'scenarios.ts')],
    bundle: true,
    platform: 'node',
    format: 'esm',
    target: 'node20',
    outfile: bundle,
    logLevel: 'error',
  });
  const { scenarios } = await import(pathToFileURL(bundle).href);
  for (const [i, sc] of scenarios.entries()) {
    const dir = join(work, `repo-${i}`);
    const caches = new Map();
    const check = async (c) => {
      checks++;
      const args = [verifier, '--repo', dir];
      for (const t of c.targets) args.push('--target', t);
      if (c.download) args.push('--download');
      if (c.cache) {
        if (!caches.has(c.cache)) caches.set(c.cache, join(work, `cache-${i}-${c.cache}`));
        args.push('--cache', caches.get(c.cache));
      }
      const r = spawnSync(py, args, { encoding: 'utf8', timeout: 60_000 });
      let out;
      try {
        out = JSON.parse(r.stdout);
      } catch {
        out = { ok: false, error: 'NoOutput', message: `${r.stdout}${r.stderr}`.slice(0, 2000) };
      }
      const problems = [];
      if (c.reject) {
        if (out.ok) problems.push(`ngclient accepted it; expected ${c.reject}`);
        else if (out.error !== c.reject)
          problems.push(`expected ${c.reject}, got ${out.error}: ${out.message}`);
      } else if (!out.ok) {
        problems.push(`ngclient failed: ${out.error}: ${out.message}`);
      } else {
        for (const [name, want] of Object.entries(c.expect ?? {})) {
          const got = out.targets[name];
          const gotInfo = got && { length: got.length, hashes: got.hashes, custom: got.custom };
          if (!isDeepStrictEqual(gotInfo ?? null, want)) {
            problems.push(
              `${name}: expected ${JSON.stringify(want)}, ngclient found ${JSON.stringify(gotInfo ?? null)}`,
            );
          } else if (
            c.download &&
            want &&
            (got.downloaded?.sha256 !== want.hashes.sha256 || got.downloaded?.length !== want.length)
          ) {
            problems.push(`${name}: downloaded ${JSON.stringify(got.downloaded)}`);
          }
        }
        for (const [role, v] of Object.entries(c.versions ?? {})) {
          if (out.versions[role] !== v) problems.push(`${role} version ${out.versions[role]}, expected ${v}`);
        }
      }
      const status = problems.length ? 'FAIL' : 'ok';
      console.log(`  ${status}  ${sc.name} :: ${c.label}`);
      for (const p of problems) console.log(`        ${p}`);
      if (problems.length) failures++;
    };
    try {
      await sc.run(dir, check, { project });
    } catch (e) {
      failures++;
      console.log(`  FAIL  ${sc.name}: ${e?.stack ?? e}`);
    }
  }
} finally {
  rmSync(work, { recursive: true, force: true });
}
console.log(`tuf interop (python-tuf ngclient): ${checks - failures} passed, ${failures} failed`);
process.exit(failures ? 1 : 0);
