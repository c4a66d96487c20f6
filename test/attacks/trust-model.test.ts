/**
 * Trust-model attacks of issue 8 (items 1, 2, 3, 5, 13 and the overall deadline), served over
 * HTTPS by the tampering proxy with notary-server's names, with metadata signed by keys the test
 * owns (test/support/forge.ts). Each attack must end in a TrustError with the right code and leave
 * the trust dir byte-identical; each group has a positive control.
 */

import { describe, expect, it } from 'vitest';
import { inspect } from '../../src/client/inspect.js';
import { verify } from '../../src/client/verify.js';
import type { TrustError } from '../../src/errors.js';
import { tempDir } from '../harness/lab.js';
import { certifyKey, Forge, fileMeta, newKey, newRootKey } from '../support/forge.js';
import { useForgedLab } from '../support/forged-lab.js';

const DAY = 24 * 3600_000;
const lab = useForgedLab('model');
const { newGun, opts, publish, warm, rejected } = lab;

describe('item 1: a snapshot cannot silently drop a delegated role', () => {
  /** targets signs v1 -> A; targets/releases signs v1 -> B (wins); alice is a second delegation. */
  async function released() {
    const forge = new Forge(newGun('drop'));
    const old = forge.tag('v1', 'old build');
    forge.delegate('targets/releases', [newKey()]);
    forge.delegate('targets/alice', [newKey()]);
    const rel = forge.tag('v1', 'released build', 'targets/releases');
    forge.tag('a1', 'alice build', 'targets/alice');
    publish(forge);
    const dir = await warm(forge, 'v1');
    expect((await verify(`${forge.gun}:v1`, opts(dir))).digest).toBe(rel.digest);
    forge.bump();
    return { forge, dir, old, rel };
  }

  it('a new snapshot without targets/releases while targets still delegates it: ROLLBACK, not the older digest', async () => {
    const { forge, dir } = await released();
    publish(forge, {
      edit: { snapshot: (b) => delete (b.meta as Record<string, unknown>)['targets/releases'] },
    });
    const e = await rejected(`${forge.gun}:v1`, opts(dir), 'ROLLBACK', 'targets/releases');
    expect(e.message).toMatch(/no longer lists targets\/releases/);
  });

  it('dropping a delegation this lookup does not read (targets/alice) is refused too', async () => {
    const { forge, dir } = await released();
    publish(forge, {
      edit: { snapshot: (b) => delete (b.meta as Record<string, unknown>)['targets/alice'] },
    });
    await rejected(`${forge.gun}:v1`, opts(dir), 'ROLLBACK', 'targets/alice');
  });

  it('dropping a top-level role entry (root) from the snapshot: ROLLBACK', async () => {
    const { forge, dir } = await released();
    publish(forge, { edit: { snapshot: (b) => delete (b.meta as Record<string, unknown>).root } });
    await rejected(`${forge.gun}:v1`, opts(dir), 'ROLLBACK', 'snapshot');
  });
});

describe('item 2: thresholds count distinct keys, not key ids', () => {
  it('targets listing one key as ecdsa and as its ecdsa-x509 certificate, threshold 2: THRESHOLD', async () => {
    const forge = new Forge(newGun('same-key'));
    const img = forge.tag('v1');
    const bare = newKey('ecdsa');
    const cert = certifyKey(bare, forge.gun);
    forge.keys.targets = [bare, cert];
    forge.thresholds.targets = 2;
    publish(forge);
    await rejected(`${forge.gun}:v1`, opts(tempDir()), 'THRESHOLD', 'targets');
    // control: two distinct keys meet the threshold
    forge.keys.targets = [bare, newKey('ecdsa')];
    publish(forge);
    expect((await verify(`${forge.gun}:v1`, opts(tempDir()))).digest).toBe(img.digest);
  });

  it('a delegation listing two certificates of one key, threshold 2: THRESHOLD', async () => {
    const forge = new Forge(newGun('two-certs'));
    forge.tag('v1');
    const k = newKey('ecdsa');
    forge.delegate('targets/releases', [certifyKey(k, forge.gun), certifyKey(k, `${forge.gun}-other`)], 2);
    forge.tag('v1', 'released', 'targets/releases');
    publish(forge);
    await rejected(`${forge.gun}:v1`, opts(tempDir()), 'THRESHOLD', 'targets/releases');
  });

  it('a root listing two certificates of one key, threshold 2, is not trusted (first use)', async () => {
    const forge = new Forge(newGun('root-certs'));
    forge.tag('v1');
    const r = forge.keys.root[0]!;
    forge.keys.root = [r, certifyKey(r, forge.gun)];
    forge.thresholds.root = 2;
    publish(forge);
    const e = await rejected(`${forge.gun}:v1`, opts(tempDir()), 'UNTRUSTED_ROOT', 'root');
    expect(e.message).toMatch(/distinct/);
  });
});

describe('item 3: the snapshot must name the trusted root on every path', () => {
  it('after a rotation triggered by an expired cached root, a snapshot naming another root: HASH_MISMATCH', async () => {
    const forge = new Forge(newGun('root-exp'));
    forge.tag('v1');
    forge.expiresMs.root = forge.baseMs + 10 * DAY;
    const gen1 = publish(forge);
    const dir = await warm(forge, 'v1');
    const later = { now: () => forge.baseMs + 11 * DAY };
    forge.expiresMs.root = forge.baseMs + 100 * DAY;
    forge.bump('root');
    // root v2 is served, but the snapshot still names root v1
    publish(forge, {
      edit: { snapshot: (b) => ((b.meta as Record<string, unknown>).root = fileMeta(gen1.root!)) },
    });
    await rejected(`${forge.gun}:v1`, opts(dir, later), 'HASH_MISMATCH', 'root');
    // control: a consistent snapshot is accepted
    publish(forge);
    expect((await verify(`${forge.gun}:v1`, opts(dir, later))).tag).toBe('v1');
  });
});

describe('item 5: a warm client rotates even when its cached root certificate expired', () => {
  async function shortLivedRoot() {
    const forge = new Forge(newGun('cert-exp'));
    forge.tag('v1');
    const oldKey = newRootKey(forge.gun, 30);
    forge.keys.root = [oldKey];
    publish(forge);
    const dir = await warm(forge, 'v1');
    return { forge, dir, oldKey };
  }

  it('root v2 signed by the expired old key and a new key: accepted', async () => {
    const { forge, dir, oldKey } = await shortLivedRoot();
    const next = newRootKey(forge.gun);
    forge.keys.root = [next];
    forge.bump('root');
    publish(forge, { signers: { root: [oldKey, next] } });
    const later = { now: () => forge.baseMs + 40 * DAY };
    expect((await verify(`${forge.gun}:v1`, opts(dir, later))).tag).toBe('v1');
    // a fresh trust dir reaches the same root
    expect((await verify(`${forge.gun}:v1`, opts(tempDir(), later))).tag).toBe('v1');
  });

  it('without a newer root, or when the new root has expired certificates too: BAD_CERTIFICATE, warm and cold', async () => {
    const later = { now: () => 0 };
    {
      const { forge, dir } = await shortLivedRoot();
      later.now = () => forge.baseMs + 40 * DAY;
      await rejected(`${forge.gun}:v1`, opts(dir, later), 'BAD_CERTIFICATE', 'root');
      await rejected(`${forge.gun}:v1`, opts(tempDir(), later), 'UNTRUSTED_ROOT', 'root');
    }
    const { forge, dir, oldKey } = await shortLivedRoot();
    const next = newRootKey(forge.gun, 35);
    forge.keys.root = [next];
    forge.bump('root');
    publish(forge, { signers: { root: [oldKey, next] } });
    later.now = () => forge.baseMs + 40 * DAY;
    await rejected(`${forge.gun}:v1`, opts(dir, later), 'BAD_CERTIFICATE', 'root');
    // control: the same rotation, checked before the new certificate expires, is accepted
    expect((await verify(`${forge.gun}:v1`, opts(dir, { now: () => forge.baseMs + 31 * DAY }))).tag).toBe(
      'v1',
    );
  });
});

describe('item 13: every metadata download is capped', () => {
  it('a timestamp claiming a 20 GB snapshot, served forever: TOO_LARGE before any byte is fetched', async () => {
    const forge = new Forge(newGun('huge'));
    forge.tag('v1');
    publish(forge);
    const dir = await warm(forge, 'v1');
    forge.bump();
    publish(forge, {
      edit: { timestamp: (b) => ((b.meta as { snapshot: { length: number } }).snapshot.length = 20e9) },
    });
    lab.proxy.on('snapshot', { drip: { chunk: ' ', everyMs: 20 } }, 'checksum');
    lab.proxy.clearLog();
    const t0 = Date.now();
    const e = await rejected(`${forge.gun}:v1`, opts(dir, { deadlineMs: 5000 }), 'TOO_LARGE', 'snapshot');
    expect(Date.now() - t0).toBeLessThan(3000);
    expect(e.message).toMatch(/20000000000/);
    expect(lab.proxy.requestedNames().filter((n) => n.startsWith('snapshot'))).toEqual([]);
  });

  it('the cap is configurable (limits.maxMetadataBytes) and applies to targets and delegations', async () => {
    const forge = new Forge(newGun('cap'));
    forge.tag('v1');
    for (let i = 0; i < 300; i++) forge.tag(`t${i}`);
    publish(forge);
    await rejected(
      `${forge.gun}:v1`,
      opts(tempDir(), { limits: { maxMetadataBytes: 16 << 10 } }),
      'TOO_LARGE',
      'targets',
    );
    expect((await verify(`${forge.gun}:v1`, opts(tempDir()))).tag).toBe('v1');
  });
});

describe('item 6: the deadline bounds the whole operation', () => {
  it('four answers of 400 ms each with a 1 s deadline: TIMEOUT, although each request is within it', async () => {
    const forge = new Forge(newGun('slow'));
    forge.tag('v1');
    publish(forge);
    lab.proxy.rule(() => ({ delayMs: 400, reply: 'pass' }));
    const t0 = Date.now();
    await rejected(`${forge.gun}:v1`, opts(tempDir(), { deadlineMs: 1000 }), 'TIMEOUT');
    expect(Date.now() - t0).toBeLessThan(2500);
    // control: the same slow server within a 5 s deadline
    expect((await verify(`${forge.gun}:v1`, opts(tempDir(), { deadlineMs: 5000 }))).tag).toBe('v1');
  });
});

describe('item 14: limits are settable per call, for inspect too', () => {
  it('inspect with limits.maxMetadataBytes below the targets size: TOO_LARGE; more roles than maxDelegations: TOO_LARGE, never a partial answer', async () => {
    const forge = new Forge(newGun('inspect-limits'));
    forge.tag('v1');
    for (let i = 0; i < 300; i++) forge.tag(`t${i}`);
    forge.delegate('targets/releases', [newKey()]);
    forge.tag('r1', 'released', 'targets/releases');
    publish(forge);
    const e = await inspect(forge.gun, opts(tempDir(), { limits: { maxMetadataBytes: 16 << 10 } })).then(
      () => undefined,
      (x: unknown) => x as TrustError,
    );
    expect(e?.code).toBe('TOO_LARGE');
    const all = await inspect(forge.gun, opts(tempDir()));
    expect(all.SignedTags.map((t) => t.SignedTag)).toContain('r1');
    const bounded = await inspect(forge.gun, opts(tempDir(), { limits: { maxDelegations: 1 } })).then(
      () => undefined,
      (x: unknown) => x as TrustError,
    );
    expect(bounded?.code, 'a partial inspect must not drop roles silently').toBe('TOO_LARGE');
  });
});
