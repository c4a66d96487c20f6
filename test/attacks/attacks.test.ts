/**
 * The attacks TUF names, each served over the real wire protocol by a
 * tampering server. Every attack must end in a TrustError with the right code
 * and leave the client's trust cache exactly as it was.
 */

import { readFileSync } from 'node:fs';
import { afterEach, describe, expect, it } from 'vitest';
import { verify } from '../../src/client/verify.js';
import { generateSigner } from '../../src/crypto/signers.js';
import { fileMetaOf, keyJson } from '../../src/metadata/build.js';
import { formatGoTime } from '../../src/metadata/gotime.js';
import { certifiedRootSigner } from '../../src/publish/keys.js';
import { addSigner, generateKey, rotateKey, signTags } from '../../src/publish/workflows.js';
import { tempDir } from '../harness/lab.js';
import { digestOf, type Fixture, makeFixture, snapshotDir } from './support.js';

const fixtures: Fixture[] = [];
async function fixture(tags?: Record<string, string>): Promise<Fixture> {
  const f = await makeFixture(tags);
  fixtures.push(f);
  return f;
}
afterEach(async () => {
  for (const f of fixtures.splice(0)) await f.server.close();
});

const PAST = formatGoTime(Date.now() - 3600_000);

/** Warm client: verified once, so the cache holds root, timestamp, snapshot, targets. */
async function warmClient(f: Fixture, tag = 'v1') {
  const opts = f.client();
  await verify(`${f.gun}:${tag}`, opts);
  return opts;
}

/** Runs the attack and checks the code and that the cache did not move. */
async function expectRejected(
  f: Fixture,
  opts: ReturnType<Fixture['client']>,
  code: string | string[],
  tag = 'v1',
  extra: Partial<Parameters<typeof verify>[1]> = {},
) {
  const before = snapshotDir(opts.trustDir!);
  const err = await verify(`${f.gun}:${tag}`, { ...opts, ...extra }).then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(err, 'the attack was accepted').toBeDefined();
  const codes = Array.isArray(code) ? code : [code];
  expect(codes, String((err as Error).message)).toContain((err as { code?: string }).code);
  expect(snapshotDir(opts.trustDir!)).toEqual(before);
  return err as Error & { code: string; role?: string };
}

describe('rollback attacks', () => {
  it('an older timestamp after a newer one was trusted: ROLLBACK', async () => {
    const f = await fixture();
    const oldTs = f.file('timestamp.json');
    await signTags([{ reference: `${f.gun}:v2`, digest: digestOf('two'), size: 3 }], f.pub);
    const opts = await warmClient(f, 'v2');
    f.server.overrides.set('timestamp.json', { kind: 'bytes', body: oldTs });
    const e = await expectRejected(f, opts, 'ROLLBACK', 'v2');
    expect(e.role).toBe('timestamp');
  });

  it('a fresh timestamp pointing at an older genuine snapshot: ROLLBACK of snapshot', async () => {
    const f = await fixture();
    const oldSnap = f.file('snapshot.json');
    await signTags([{ reference: `${f.gun}:v2`, digest: digestOf('two'), size: 3 }], f.pub);
    const opts = await warmClient(f, 'v2');
    f.serve('snapshot', oldSnap);
    const ts = await f.craft('timestamp', (s) => {
      s.version += 1;
      s.meta.snapshot = fileMetaOf(oldSnap);
    });
    f.serve('timestamp', ts);
    const e = await expectRejected(f, opts, 'ROLLBACK', 'v2');
    expect(e.role).toBe('snapshot');
  });

  it('a fresh snapshot pointing at an older genuine targets: ROLLBACK of targets', async () => {
    const f = await fixture();
    const oldTargets = f.file('targets.json');
    await signTags([{ reference: `${f.gun}:v2`, digest: digestOf('two'), size: 3 }], f.pub);
    const opts = await warmClient(f, 'v2');
    await f.rechain({ targets: oldTargets });
    const e = await expectRejected(f, opts, 'ROLLBACK', 'v2');
    expect(e.role).toBe('targets');
  });

  it('an old root served as the next root version: ROLLBACK', async () => {
    const f = await fixture();
    const root1 = f.file('root.json');
    await rotateKey(f.gun, 'targets', f.pub); // root v2
    const opts = await warmClient(f);
    // a timestamp that no longer verifies makes the client look for a newer root
    const ts = await f.craft(
      'timestamp',
      (s) => {
        s.version += 1;
      },
      [generateSigner('ecdsa')],
    );
    f.serve('timestamp', ts);
    f.server.overrides.set('3.root.json', { kind: 'bytes', body: root1 });
    const e = await expectRejected(f, opts, 'ROLLBACK');
    expect(e.role).toBe('root');
  });
});

describe('freeze and expiry', () => {
  it('a timestamp past its expiry (frozen server): EXPIRED', async () => {
    const f = await fixture();
    const opts = await warmClient(f);
    const e = await expectRejected(f, opts, 'EXPIRED', 'v1', { now: () => Date.now() + 30 * 24 * 3600_000 });
    expect(e.role).toBe('timestamp');
  });

  it('an expired snapshot: EXPIRED', async () => {
    const f = await fixture();
    const opts = await warmClient(f);
    await f.rechain({}, (s) => {
      s.expires = PAST;
    });
    expect((await expectRejected(f, opts, 'EXPIRED')).role).toBe('snapshot');
  });

  it('an expired targets: EXPIRED', async () => {
    const f = await fixture();
    const opts = await warmClient(f);
    const t = await f.craft('targets', (s) => {
      s.version += 1;
      s.expires = PAST;
    });
    await f.rechain({ targets: t });
    expect((await expectRejected(f, opts, 'EXPIRED')).role).toBe('targets');
  });

  it('an expired root on first use: EXPIRED', async () => {
    const f = await fixture();
    const root = await f.craft('root', (s) => {
      s.expires = PAST;
    });
    f.serve('root', root);
    expect((await expectRejected(f, f.client(), 'EXPIRED')).role).toBe('root');
  });
});

describe('mix-and-match and arbitrary content', () => {
  it('an older signed snapshot served under the current checksum name: LENGTH/HASH_MISMATCH', async () => {
    const f = await fixture();
    const oldSnap = f.file('snapshot.json');
    await signTags([{ reference: `${f.gun}:v2`, digest: digestOf('two'), size: 3 }], f.pub);
    const { createHash } = await import('node:crypto');
    const cur = f.file('snapshot.json');
    const hex = createHash('sha256').update(cur).digest('hex');
    f.server.overrides.set(`snapshot.${hex}.json`, { kind: 'bytes', body: oldSnap });
    await expectRejected(f, f.client(), ['LENGTH_MISMATCH', 'HASH_MISMATCH', 'TOO_LARGE'], 'v2');
  });

  it('an older signed targets served under the current checksum name: LENGTH/HASH_MISMATCH', async () => {
    const f = await fixture();
    const oldTargets = f.file('targets.json');
    await signTags([{ reference: `${f.gun}:v2`, digest: digestOf('two'), size: 3 }], f.pub);
    const { createHash } = await import('node:crypto');
    const hex = createHash('sha256').update(f.file('targets.json')).digest('hex');
    f.server.overrides.set(`targets.${hex}.json`, { kind: 'bytes', body: oldTargets });
    await expectRejected(f, f.client(), ['LENGTH_MISMATCH', 'HASH_MISMATCH', 'TOO_LARGE'], 'v2');
  });

  it('a snapshot listing the wrong length or hash for targets', async () => {
    const f = await fixture();
    await f.rechain({}, (s) => {
      s.meta.targets.length += 1;
    });
    await expectRejected(f, f.client(), 'LENGTH_MISMATCH');
    const g = await fixture();
    const bogus = Buffer.alloc(32, 7);
    await g.rechain({}, (s) => {
      s.meta.targets.hashes.sha256 = bogus.toString('base64');
    });
    // the server answers the bogus checksum name with the genuine targets
    g.server.overrides.set(`targets.${bogus.toString('hex')}.json`, {
      kind: 'bytes',
      body: g.file('targets.json'),
    });
    await expectRejected(g, g.client(), 'HASH_MISMATCH');
  });

  it('a targets document with a flipped digest (arbitrary content) is caught by the snapshot hash', async () => {
    const f = await fixture();
    const opts = f.client();
    const t = Buffer.from(
      f
        .file('targets.json')
        .toString()
        .replace(/"sha256":"[^"]+"/, `"sha256":"${Buffer.alloc(32, 9).toString('base64')}"`),
    );
    const { createHash } = await import('node:crypto');
    const hex = createHash('sha256').update(f.file('targets.json')).digest('hex');
    f.server.overrides.set(`targets.${hex}.json`, { kind: 'bytes', body: t });
    await expectRejected(f, opts, ['HASH_MISMATCH', 'LENGTH_MISMATCH', 'TOO_LARGE']);
  });
});

describe('signatures, keys and thresholds', () => {
  it('targets signed by a key the root does not list: THRESHOLD', async () => {
    const f = await fixture();
    const opts = await warmClient(f);
    const t = await f.craft(
      'targets',
      (s) => {
        s.version += 1;
        s.targets.v1.hashes.sha256 = Buffer.alloc(32, 1).toString('base64');
      },
      [generateSigner('ed25519')],
    );
    await f.rechain({ targets: t });
    await expectRejected(f, opts, 'THRESHOLD');
  });

  it('a corrupted timestamp signature: BAD_SIGNATURE', async () => {
    const f = await fixture();
    const opts = await warmClient(f);
    const ts = await f.craft('timestamp', (s) => {
      s.version += 1;
    });
    const doc = JSON.parse(Buffer.from(ts).toString());
    const sig = Buffer.from(doc.signatures[0].sig, 'base64');
    sig[5] = sig[5]! ^ 0xff;
    doc.signatures[0].sig = sig.toString('base64');
    const { wireJson } = await import('../../src/encoding/wire.js');
    const { canonicalJson } = await import('../../src/encoding/canonical.js');
    f.serve('timestamp', Buffer.from(wireJson(canonicalJson(doc.signed), doc.signatures)));
    await expectRejected(f, opts, 'BAD_SIGNATURE');
  });

  it('a delegation with threshold 2 and one key signing (even twice): THRESHOLD', async () => {
    const f = await fixture();
    const alice = await generateKey('alice', { ...f.pub, dir: tempDir() });
    await addSigner('alice', readFileSync(alice.publicKeyPath, 'utf8'), f.gun, f.pub);
    await signTags([{ reference: `${f.gun}:rel`, digest: digestOf('rel'), size: 3 }], f.pub);
    expect((await verify(`${f.gun}:rel`, f.client())).role).toBe('targets/releases');
    const t = await f.craft('targets', (s) => {
      s.version += 1;
      for (const r of s.delegations.roles) r.threshold = 2;
    });
    const single = await f.craft('targets/releases', (s) => {
      s.version += 1;
    });
    await f.rechain({ targets: t, 'targets/releases': single });
    const e = await expectRejected(f, f.client(), 'THRESHOLD', 'rel');
    expect(e.role).toBe('targets/releases');
    // the same signature twice still counts once
    const doc = JSON.parse(Buffer.from(single).toString());
    doc.signatures = [doc.signatures[0], doc.signatures[0]];
    const { wireJson } = await import('../../src/encoding/wire.js');
    const { canonicalJson } = await import('../../src/encoding/canonical.js');
    await f.rechain({
      targets: t,
      'targets/releases': Buffer.from(wireJson(canonicalJson(doc.signed), doc.signatures)),
    });
    expect((await expectRejected(f, f.client(), 'THRESHOLD', 'rel')).role).toBe('targets/releases');
  });

  it('root rotation signed only by the new key, or only by the old key: THRESHOLD; by both: accepted', async () => {
    for (const who of ['new', 'old', 'both'] as const) {
      const f = await fixture();
      const opts = await warmClient(f);
      const newRoot = certifiedRootSigner(generateSigner('ecdsa'), f.gun);
      const newTs = generateSigner('ecdsa');
      const oldRootSigners = await (async () => {
        const { heldSigners } = await import('../../src/publish/keys.js');
        const { parseRoot } = await import('../../src/metadata/parse.js');
        const r = parseRoot(f.file('root.json'));
        return heldSigners(f.keystore, r.signed.roles.root!.keyids, r.keys);
      })();
      const signers =
        who === 'new' ? [newRoot] : who === 'old' ? oldRootSigners : [...oldRootSigners, newRoot];
      const root2 = await f.craft(
        'root',
        (s) => {
          s.version = 2;
          s.keys[newRoot.publicKey.id] = keyJson(newRoot.publicKey);
          s.keys[newTs.publicKey.id] = keyJson(newTs.publicKey);
          s.roles.root = { keyids: [newRoot.publicKey.id], threshold: 1 };
          s.roles.timestamp = { keyids: [newTs.publicKey.id], threshold: 1 };
        },
        signers,
      );
      f.server.overrides.set('2.root.json', { kind: 'bytes', body: root2 });
      // a consistent server: snapshot lists the new root, the timestamp comes from the new key
      await f.keystore.add(newTs, { role: 'timestamp', gun: f.gun });
      await f.rechain({ root: root2 });
      if (who === 'both') {
        await expect(verify(`${f.gun}:v1`, opts)).resolves.toMatchObject({ digest: digestOf('one') });
      } else {
        const e = await expectRejected(f, opts, 'THRESHOLD');
        expect(e.role).toBe('root');
      }
    }
  });

  it('metadata of the wrong type in the timestamp slot: WRONG_TYPE', async () => {
    const f = await fixture();
    const opts = await warmClient(f);
    f.server.overrides.set('timestamp.json', { kind: 'bytes', body: f.file('snapshot.json') });
    await expectRejected(f, opts, 'WRONG_TYPE');
  });
});

describe('endless data, slow servers, broken servers', () => {
  it('a timestamp larger than 1 MiB: TOO_LARGE (before reading it all)', async () => {
    const f = await fixture();
    const opts = await warmClient(f);
    f.server.overrides.set('timestamp.json', { kind: 'bytes', body: Buffer.alloc(2 << 20, 0x20) });
    await expectRejected(f, opts, 'TOO_LARGE');
    f.server.overrides.set('timestamp.json', { kind: 'endless' });
    await expectRejected(f, opts, 'TOO_LARGE');
  });

  it('a server that drips bytes forever: TIMEOUT within the deadline', async () => {
    const f = await fixture();
    const opts = await warmClient(f);
    f.server.overrides.set('timestamp.json', { kind: 'drip', intervalMs: 50 });
    const t0 = Date.now();
    await expectRejected(f, opts, 'TIMEOUT', 'v1', { deadlineMs: 1000 });
    expect(Date.now() - t0).toBeLessThan(5000);
  });

  it('malformed JSON: BAD_METADATA; a snapshot that is missing: BAD_METADATA; 5xx: SERVER_ERROR', async () => {
    const f = await fixture();
    const opts = await warmClient(f);
    f.server.overrides.set('timestamp.json', { kind: 'bytes', body: Buffer.from('{"signed": {') });
    await expectRejected(f, opts, 'BAD_METADATA');
    f.server.overrides.clear();
    const ts = await f.craft('timestamp', (s) => {
      s.version += 1;
      s.meta.snapshot.hashes.sha256 = Buffer.alloc(32, 3).toString('base64');
    });
    f.serve('timestamp', ts);
    await expectRejected(f, opts, 'BAD_METADATA');
    f.server.overrides.set('timestamp.json', { kind: 'status', status: 503 });
    await expectRejected(f, opts, 'SERVER_ERROR', 'v1', { deadlineMs: 3000 });
  });
});
