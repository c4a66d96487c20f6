/**
 * Differential attacks (Q5): forged repositories served by the tampering proxy to our verify AND to
 * the real `notary lookup` (go1.19 notary CLI) through the same proxy. Where Notary refuses a
 * document we must refuse it too (accepting what Notary refuses is a parser differential an attacker
 * can aim at one client); each case also states what Notary does, so the test fails if the peer
 * changes its verdict. The honest repository is the positive control for both clients.
 */

import { execFile } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { verify } from '../../src/client/verify.js';
import { TrustError } from '../../src/errors.js';
import { tempDir } from '../harness/lab.js';
import { Forge, type JsonObject } from '../support/forge.js';
import { useForgedLab } from '../support/forged-lab.js';
import { treeSnapshot } from '../support/tree-snapshot.js';

const lab = useForgedLab('diff');

/** `notary lookup GUN TAG` through the proxy: the digest (hex) or the error line. */
function notaryLookup(gun: string, tag: string): Promise<{ ok: boolean; out: string }> {
  const dir = tempDir();
  const ca = join(dir, 'proxy-ca.pem');
  writeFileSync(ca, lab.proxy.ca);
  const args = ['-d', dir, '-s', lab.proxy.url, '--tlscacert', ca, 'lookup', gun, tag];
  return new Promise((resolve) =>
    execFile('notary', args, { timeout: 60_000 }, (e, stdout, stderr) =>
      resolve(
        e ? { ok: false, out: stderr || stdout } : { ok: true, out: stdout.trim().split(/\s+/)[1] ?? '' },
      ),
    ),
  );
}

/** Publishes a one-tag repository with `edit` applied to `role`'s signed body (re-signed). */
function publishEdited(what: string, role: string, edit?: (b: JsonObject) => void) {
  const forge = new Forge(lab.newGun(what));
  const t = forge.tag('v1', 'build A');
  // the notary CLI pings /v2/ first; the proxy serves no registry
  lab.proxy.rule((req) => (req.path === '/v2/' ? { body: '{}' } : undefined));
  lab.proxy.serveAll(forge.gun, forge.build(edit ? { edit: { [role]: edit } } : {}));
  return { ref: `${forge.gun}:v1`, gun: forge.gun, digest: t.digest };
}

async function refusedByBoth(what: string, role: string, edit: (b: JsonObject) => void, notaryText: RegExp) {
  const { ref, gun } = publishEdited(what, role, edit);
  const n = await notaryLookup(gun, 'v1');
  expect(n.ok, `notary accepted: ${n.out}`).toBe(false);
  expect(n.out).toMatch(notaryText);
  const dir = tempDir();
  const before = treeSnapshot(dir);
  const err = await verify(ref, lab.opts(dir)).then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(err, `${what}: accepted`).toBeInstanceOf(TrustError);
  expect((err as TrustError).code, (err as TrustError).message).toBe('BAD_METADATA');
  expect((err as TrustError).role).toBe(role);
  expect(treeSnapshot(dir)).toEqual(before);
}

describe('what the real notary refuses, we refuse', () => {
  it('positive control: an honest repository verifies in both', async () => {
    const { ref, gun, digest } = publishEdited('honest', 'targets');
    const n = await notaryLookup(gun, 'v1');
    expect(n).toEqual({ ok: true, out: digest });
    expect((await verify(ref, lab.opts(tempDir()))).digest).toBe(digest);
  });

  it("an expires with a lowercase 't' or 'z' (Go's RFC 3339 layout is case-sensitive): BAD_METADATA", async () => {
    const lower = (b: JsonObject) => {
      b.expires = String(b.expires).replace('T', 't');
    };
    await refusedByBoth('lower-t', 'root', lower, /cannot parse .* as "T"/);
    const z = (b: JsonObject) => {
      b.expires = String(b.expires).replace(/Z$/, 'z');
    };
    await refusedByBoth('lower-z', 'targets', z, /parsing time/);
  });

  it('a snapshot listing targets (or root) by sha512 only, or a timestamp listing the snapshot so: BAD_METADATA', async () => {
    const sha512only = (name: string) => (b: JsonObject) =>
      void delete (b.meta as Record<string, { hashes: Record<string, string> }>)[name]!.hashes.sha256;
    await refusedByBoth('snap-targets', 'snapshot', sha512only('targets'), /missing targets sha256/);
    await refusedByBoth('snap-root', 'snapshot', sha512only('root'), /missing root sha256/);
    await refusedByBoth('ts-snapshot', 'timestamp', sha512only('snapshot'), /missing snapshot sha256/);
  });

  it('a sha512 of the wrong size beside the right sha256 in the timestamp: BAD_METADATA', async () => {
    const short = (b: JsonObject) => {
      (b.meta as Record<string, { hashes: Record<string, string> }>).snapshot!.hashes.sha512 = 'AAAA';
    };
    await refusedByBoth('ts-short', 'timestamp', short, /invalid snapshot checksum information/);
  });
});
