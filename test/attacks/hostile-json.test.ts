/**
 * Hostile JSON of issue 8 (items 6 and 7), served over HTTPS by the tampering
 * proxy with notary-server's names, with metadata signed by keys the test owns
 * (test/support/forge.ts). Each attack must end in a TrustError with the right
 * code and leave the trust dir byte-identical; a warm verify is the positive
 * control of each scenario.
 *
 * Item 6: a server that holds no keys serves a timestamp built to make
 * canonical encoding superlinear; the CPU it costs is bounded.
 * Item 7: documents Go's encoding/json (notary, docker) reads differently
 * from JSON.parse; each is signed (or keeps valid signatures), so only the
 * parser can refuse it.
 */

import { execFile } from 'node:child_process';
import { existsSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { type VerifyOptions, verify } from '../../src/client/verify.js';
import { TrustContext } from '../../src/context/context.js';
import { TrustError } from '../../src/errors.js';
import { tempDir } from '../harness/lab.js';
import { CLI, childEnv } from '../support/cli.js';
import { Forge, fileMeta } from '../support/forge.js';
import { useForgedLab } from '../support/forged-lab.js';
import { treeSnapshot } from '../support/tree-snapshot.js';

const lab = useForgedLab('json');
const { newGun, opts } = lab;

/** A repository with tag `latest`, verified once by a fresh trust dir (the positive control). */
async function warmRepo(what: string) {
  const forge = new Forge(newGun(what));
  const a = forge.tag('latest', 'build A');
  const files = forge.build();
  lab.proxy.serveAll(forge.gun, files);
  const dir = tempDir();
  expect((await verify(`${forge.gun}:latest`, opts(dir))).digest).toBe(a.digest);
  forge.bump();
  return { forge, dir, files };
}

/** verify must fail with `code` (one of), leaving the trust dir exactly as it was; returns the CPU ms spent. */
async function rejected(
  ref: string,
  options: VerifyOptions,
  code: string | string[],
  role?: string,
): Promise<{ err: TrustError; cpuMs: number }> {
  const before = treeSnapshot(options.trustDir!);
  const t = process.cpuUsage();
  const err = await verify(ref, options).then(
    () => undefined,
    (e: unknown) => e,
  );
  const d = process.cpuUsage(t);
  expect(err, `${ref} was accepted`).toBeInstanceOf(TrustError);
  const te = err as TrustError;
  expect([code].flat(), te.message).toContain(te.code);
  if (role !== undefined) expect(te.role, te.message).toBe(role);
  expect(treeSnapshot(options.trustDir!), 'the trust dir changed').toEqual(before);
  return { err: te, cpuMs: (d.user + d.system) / 1000 };
}

const text = (b: Uint8Array) => Buffer.from(b).toString('utf8');

describe('item 6: canonical encoding of hostile input costs bounded CPU', () => {
  /**
   * A timestamp whose signed body carries `levels` nested objects around 400,000 numbers ending in
   * 2^60 (the native encoder gives up only at the end), with its old signatures: ~0.9 MB.
   */
  function hostileTimestamp(genuine: Uint8Array, levels: number): Uint8Array {
    const doc = JSON.parse(text(genuine)) as { signed: Record<string, unknown>; signatures: unknown };
    const numbers = `[${'0,'.repeat(400_000)}1152921504606846976]`;
    const open = '{"a":'.repeat(levels);
    const close = ',"b":0}'.repeat(levels);
    const signed = JSON.stringify(doc.signed).replace(/^\{/, `{"x":${open}${numbers}${close},`);
    return Buffer.from(`{"signed":${signed},"signatures":${JSON.stringify(doc.signatures)}}`);
  }

  it('500 levels around 400,000 numbers (0.9 MB, no keys needed): BAD_METADATA in well under 1 s of CPU', async () => {
    // 0.1.0 parsed it, then spent over a minute canonicalising it for the signature check
    const { forge, dir, files } = await warmRepo('deep');
    const bytes = hostileTimestamp(files.timestamp!, 500);
    expect(bytes.length).toBeGreaterThan(800_000);
    expect(bytes.length).toBeLessThan(1 << 20);
    lab.proxy.serveAll(forge.gun, { ...files, timestamp: bytes });
    const { err, cpuMs } = await rejected(`${forge.gun}:latest`, opts(dir), 'BAD_METADATA', 'timestamp');
    expect(err.message).toMatch(/nests deeper than 32 levels/);
    expect(cpuMs, `${cpuMs} ms of CPU`).toBeLessThan(1000);
  }, 120_000);

  it('the same within the nesting limit (28 levels) is encoded in linear time, then refused: bad signature', async () => {
    // 0.1.0: 30 native re-runs over 400,000 numbers before the signature check
    const { forge, dir, files } = await warmRepo('wide');
    lab.proxy.serveAll(forge.gun, { ...files, timestamp: hostileTimestamp(files.timestamp!, 28) });
    const { cpuMs } = await rejected(
      `${forge.gun}:latest`,
      opts(dir),
      ['BAD_SIGNATURE', 'THRESHOLD'],
      'timestamp',
    );
    expect(cpuMs, `${cpuMs} ms of CPU`).toBeLessThan(1000);
  }, 120_000);
});

describe('the nesting limit', () => {
  it('a signed timestamp nesting 40 levels: BAD_METADATA by default, accepted with limits.maxNesting 64', async () => {
    const { forge, dir } = await warmRepo('limit');
    let deep: unknown = [];
    for (let i = 0; i < 40; i++) deep = { k: deep };
    lab.proxy.serveAll(
      forge.gun,
      forge.build({ edit: { timestamp: (body) => void Object.assign(body, { x: deep }) } }),
    );
    const { err } = await rejected(`${forge.gun}:latest`, opts(dir), 'BAD_METADATA', 'timestamp');
    expect(err.message).toMatch(/nests deeper than 32 levels/);
    await verify(`${forge.gun}:latest`, { ...opts(dir), limits: { maxNesting: 64 } });
  });

  it('one long-lived context: a parse under looser limits does not decide a later verify under the defaults (Q5)', async () => {
    const { forge } = await warmRepo('limit-ctx');
    let deep: unknown = [];
    for (let i = 0; i < 40; i++) deep = { k: deep };
    lab.proxy.serveAll(
      forge.gun,
      forge.build({ edit: { timestamp: (body) => void Object.assign(body, { x: deep }) } }),
    );
    const context = new TrustContext();
    const ref = `${forge.gun}:latest`;
    await verify(ref, { ...opts(tempDir()), context, limits: { maxNesting: 64 } });
    const strict = await rejected(ref, { ...opts(tempDir()), context }, 'BAD_METADATA', 'timestamp');
    expect(strict.err.message).toMatch(/nests deeper than 32 levels/);
    // a derive()d context shares the caches but not the limits
    const loose = new TrustContext({ limits: { maxNesting: 64 } });
    await verify(ref, { ...opts(tempDir()), context: loose });
    await rejected(
      ref,
      { ...opts(tempDir()), context: loose.derive({ limits: { maxNesting: 32 } }) },
      'BAD_METADATA',
    );
  });
});

describe('item 7: no parser differential with Go (notary, docker)', () => {
  it('signed targets with "targets" {latest: A} and "Targets" {latest: B}: BAD_METADATA', async () => {
    // Go folds "Targets" onto the Targets field (last wins): docker would pull B, 0.1.0 verified A
    const { forge, dir } = await warmRepo('fold');
    const b = fileMeta(Buffer.from('build B'));
    lab.proxy.serveAll(
      forge.gun,
      forge.build({ edit: { targets: (body) => void Object.assign(body, { Targets: { latest: b } }) } }),
    );
    const { err } = await rejected(`${forge.gun}:latest`, opts(dir), 'BAD_METADATA', 'targets');
    expect(err.message).toMatch(/"Targets".*field "targets"/);
  });

  it('the CLI: exit 1, BAD_METADATA named, the trust dir unchanged', async () => {
    if (!existsSync(CLI)) throw new Error(`${CLI} is missing: run 'npm run build' first (npm test does)`);
    const { forge, dir } = await warmRepo('cli');
    const b = fileMeta(Buffer.from('build B'));
    lab.proxy.serveAll(
      forge.gun,
      forge.build({ edit: { targets: (body) => void Object.assign(body, { Targets: { latest: b } }) } }),
    );
    const ca = join(tempDir(), 'ca.pem');
    writeFileSync(ca, lab.proxy.ca);
    const before = treeSnapshot(dir);
    // asynchronous: the proxy answers from this process
    const args = [
      CLI,
      'verify',
      `${forge.gun}:latest`,
      '--server',
      lab.proxy.url,
      '--tlscacert',
      ca,
      '--trust-dir',
      dir,
    ];
    const r = await new Promise<{ code: number; stderr: string }>((resolve) => {
      execFile(process.execPath, args, { env: childEnv(), timeout: 60_000 }, (err, _stdout, stderr) =>
        resolve({ code: err ? Number((err as { code?: unknown }).code) : 0, stderr }),
      );
    });
    expect(r.code, r.stderr).toBe(1);
    expect(r.stderr).toMatch(/BAD_METADATA|Targets/);
    expect(treeSnapshot(dir)).toEqual(before);
  });

  it('a signed "expireſ" (LONG S) beside "expires": BAD_METADATA', async () => {
    const { forge, dir } = await warmRepo('longs');
    lab.proxy.serveAll(
      forge.gun,
      forge.build({
        edit: { snapshot: (body) => void Object.assign(body, { 'expire\u017f': '2099-01-01T00:00:00Z' }) },
      }),
    );
    await rejected(`${forge.gun}:latest`, opts(dir), 'BAD_METADATA', 'snapshot');
  });

  it('a second "targets" map injected before the signed one (signatures stay valid): BAD_METADATA', async () => {
    // The holder of the snapshot key (the server) re-lists the changed bytes. JSON.parse keeps the
    // last copy, so the signature still verifies; Go's struct decoding merges both maps.
    const { forge, dir, files } = await warmRepo('dup');
    const evil = JSON.stringify({ evil: fileMeta(Buffer.from('evil')) });
    const injected = Buffer.from(text(files.targets!).replace('"signed":{', `"signed":{"targets":${evil},`));
    lab.proxy.serveAll(forge.gun, forge.build({ replace: { targets: injected } }));
    const { err } = await rejected(`${forge.gun}:latest`, opts(dir), 'BAD_METADATA', 'targets');
    expect(err.message).toMatch(/same key twice/);
  });

  it('a UTF-8 byte order mark before a genuine timestamp: BAD_METADATA', async () => {
    const { forge, dir } = await warmRepo('bom');
    const files = forge.build();
    const bom = Buffer.concat([Buffer.from([0xef, 0xbb, 0xbf]), files.timestamp!]);
    lab.proxy.serveAll(forge.gun, { ...files, timestamp: bom });
    const { err } = await rejected(`${forge.gun}:latest`, opts(dir), 'BAD_METADATA', 'timestamp');
    expect(err.message).toMatch(/byte order mark/);
  });

  it('"version": N.0 in a genuine snapshot (the canonical form, so the signature verifies): BAD_METADATA', async () => {
    const { forge, dir } = await warmRepo('float');
    const genuine = forge.build().snapshot!;
    const v = forge.versions.snapshot;
    const floated = Buffer.from(text(genuine).replace(`"version":${v}`, `"version":${v}.0`));
    expect(text(floated)).toContain(`"version":${v}.0`);
    lab.proxy.serveAll(forge.gun, forge.build({ replace: { snapshot: floated } }));
    const { err } = await rejected(`${forge.gun}:latest`, opts(dir), 'BAD_METADATA', 'snapshot');
    expect(err.message).toMatch(/fraction/);
  });
});
