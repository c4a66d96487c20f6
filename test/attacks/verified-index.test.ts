/**
 * The verified index of the metadata cache (storage/verified-index.ts, issue 12): a warm verify of an
 * unchanged repository takes the cached targets through the index (no signature re-check, one entry
 * parsed), while a damaged or forged index or cache file never yields a trust decision from bytes the
 * accepted snapshot does not vouch for, and expiry is still checked against the clock.
 */

import { readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { verify } from '../../src/client/verify.js';
import { TrustContext } from '../../src/context/context.js';
import { repositoryContext, updateOptionsFor } from '../../src/context/repository.js';
import { generateSigner } from '../../src/crypto/signers.js';
import { keyJson } from '../../src/metadata/build.js';
import { formatGoTime } from '../../src/metadata/gotime.js';
import { addSigner, generateKey, signTags } from '../../src/publish/workflows.js';
import { VERIFIED_INDEX_FILE } from '../../src/storage/verified-index.js';
import { lookupTag } from '../../src/trust/lookup.js';
import { Updater } from '../../src/trust/updater.js';
import { tempDir } from '../harness/lab.js';
import { digestOf, type Fixture, makeFixture } from './support.js';

const fixtures: Fixture[] = [];
async function fixture(tags?: Record<string, string>): Promise<Fixture> {
  const f = await makeFixture(tags);
  fixtures.push(f);
  return f;
}
afterEach(async () => {
  for (const f of fixtures.splice(0)) {
    await f.server.close();
  }
});

type Opts = ReturnType<Fixture['client']>;

/** One verify through the Updater; what the trusted set took through the index and verdicts computed. */
async function warmUpdate(f: Fixture, opts: Opts & { now?: () => number }, tag = 'v1') {
  const context = new TrustContext();
  const ctx = repositoryContext(`${f.gun}:${tag}`, { ...opts, context });
  const updater = new Updater(ctx.store, ctx.cache, ctx.policy, updateOptionsFor(ctx, { ...opts, context }));
  await updater.refresh();
  const found = await lookupTag(updater, tag);
  await updater.commit();
  return {
    found,
    indexed: [...updater.trusted.indexedRoles],
    verdicts: context.verdicts.size,
    /** keys prepared (parsed, made into key objects) to tell distinct keys apart */
    identities: context.keyIdentities.size,
    dir: ctx.cache.dir,
  };
}

describe('verified index', () => {
  it('a warm verify of an unchanged repository takes targets through the index: no signature re-check', async () => {
    const f = await fixture({ v1: 'one', v2: 'two', v3: 'three' });
    const opts = f.client();
    await verify(`${f.gun}:v2`, opts); // cold: writes the cache and the index
    const warm = await warmUpdate(f, opts, 'v2');
    expect(warm.found?.digest).toBe(digestOf('two'));
    expect(warm.found?.signers.length).toBeGreaterThan(0);
    expect(warm.indexed).toEqual(['targets']);
    // without the index the same verify checks one more signature (targets)
    rmSync(join(warm.dir, VERIFIED_INDEX_FILE));
    const full = await warmUpdate(f, opts, 'v2');
    expect(full.indexed).toEqual([]);
    expect(full.found).toEqual(warm.found);
    expect(full.verdicts).toBeGreaterThan(warm.verdicts);
    // ... and rewrites the index, so the next one is fast again
    expect((await warmUpdate(f, opts, 'v2')).indexed).toEqual(['targets']);
    // a tag that is not signed is still not signed
    expect((await warmUpdate(f, opts, 'v9')).found).toBeNull();
  });

  it('a warm verify of an unchanged repository verifies no signature: root, timestamp and snapshot come through the index too', async () => {
    const f = await fixture();
    const opts = f.client();
    await verify(`${f.gun}:v1`, opts);
    const warm = await warmUpdate(f, opts);
    expect(warm.found?.digest).toBe(digestOf('one'));
    expect(warm.verdicts).toBe(0);
    expect(warm.identities).toBe(0); // threshold 1, one recorded signer: no key prepared either
    const path = join(warm.dir, VERIFIED_INDEX_FILE);
    const index = JSON.parse(readFileSync(path, 'utf8'));
    for (const role of ['root', 'timestamp', 'snapshot']) expect(index.files[role].signers.length).toBe(1);
    // an index written before these entries carried signers: the full path, then rewritten once
    for (const role of ['root', 'timestamp', 'snapshot']) delete index.files[role].signers;
    writeFileSync(path, JSON.stringify(index));
    const old = await warmUpdate(f, opts);
    expect(old.verdicts).toBe(3);
    expect(old.found).toEqual(warm.found);
    expect((await warmUpdate(f, opts)).verdicts).toBe(0);
  });

  it('a changed timestamp is verified on the index path, and a badly signed one is refused', async () => {
    const f = await fixture();
    const opts = f.client();
    await verify(`${f.gun}:v1`, opts);
    f.serve('timestamp', await f.craft('timestamp', (s) => (s.version += 1)));
    const next = await warmUpdate(f, opts);
    expect(next.found?.digest).toBe(digestOf('one'));
    expect(next.verdicts).toBe(1); // the new timestamp; root and snapshot through the index
    expect((await warmUpdate(f, opts)).verdicts).toBe(0);
    const stranger = generateSigner('ecdsa');
    f.serve('timestamp', await f.craft('timestamp', (s) => (s.version += 1), [stranger]));
    await expect(verify(`${f.gun}:v1`, opts)).rejects.toMatchObject({ role: 'timestamp' });
  });

  it('cached root or timestamp bytes the index does not record are verified again (a damaged cache is caught)', async () => {
    const f = await fixture();
    const opts = f.client();
    const { dir } = await warmUpdate(f, opts);
    // the cached timestamp replaced by one of a higher version the root's keys never signed: no floor
    const bogus = await f.craft('timestamp', (s) => (s.version += 5), [generateSigner('ecdsa')]);
    writeFileSync(join(dir, 'timestamp.json'), bogus);
    const a = await warmUpdate(f, opts);
    expect(a.found?.digest).toBe(digestOf('one'));
    expect(a.verdicts).toBeGreaterThan(0);
    expect(Buffer.compare(readFileSync(join(dir, 'timestamp.json')), f.file('timestamp.json'))).toBe(0);
    // the cached root with one byte of its signed part changed (its signature no longer verifies)
    const root = readFileSync(join(dir, 'root.json'), 'utf8');
    expect(root).toContain('"version":1');
    writeFileSync(join(dir, 'root.json'), root.replace('"version":1', '"version":2'));
    await expect(warmUpdate(f, opts)).rejects.toMatchObject({ role: 'root' });
  });

  it('a delegation is taken through the index only under the same parent bytes: a changed delegation is checked again', async () => {
    const f = await fixture();
    const alice = await generateKey('alice', { ...f.pub, dir: tempDir() });
    await addSigner('alice', readFileSync(alice.publicKeyPath, 'utf8'), f.gun, f.pub);
    await signTags([{ reference: `${f.gun}:rel`, digest: digestOf('rel'), size: 3 }], f.pub);
    const opts = f.client();
    expect((await warmUpdate(f, opts, 'rel')).found?.role).toBe('targets/releases');
    const warm = await warmUpdate(f, opts, 'rel');
    expect(warm.indexed.sort()).toEqual(['targets', 'targets/releases']);
    expect(warm.found?.digest).toBe(digestOf('rel'));
    // targets now demands 2 signatures on targets/releases, whose bytes (1 signature) stay the same
    const t = await f.craft('targets', (s) => {
      s.version += 1;
      for (const r of s.delegations.roles) r.threshold = 2;
    });
    await f.rechain({ targets: t });
    await expect(verify(`${f.gun}:rel`, opts)).rejects.toMatchObject({
      code: 'THRESHOLD',
      role: 'targets/releases',
    });
  });

  it('a delegation whose key id stays but whose key the parent replaced is not taken through the index', async () => {
    const f = await fixture();
    const alice = await generateKey('alice', { ...f.pub, dir: tempDir() });
    await addSigner('alice', readFileSync(alice.publicKeyPath, 'utf8'), f.gun, f.pub);
    await signTags([{ reference: `${f.gun}:rel`, digest: digestOf('rel'), size: 3 }], f.pub);
    const opts = f.client();
    await warmUpdate(f, opts, 'rel');
    expect((await warmUpdate(f, opts, 'rel')).indexed.sort()).toEqual(['targets', 'targets/releases']);
    // same key ids, same releases bytes, same signer id in the index: but targets now maps the id to
    // another key, so the signatures on releases must be checked again (and fail)
    const other = keyJson(generateSigner('ecdsa').publicKey);
    const t = await f.craft('targets', (s) => {
      s.version += 1;
      for (const id of s.delegations.roles[0].keyids) s.delegations.keys[id] = other;
    });
    await f.rechain({ targets: t });
    const err = await verify(`${f.gun}:rel`, opts).then(
      () => undefined,
      (e: unknown) => e as { code?: string; role?: string },
    );
    expect(err, 'accepted under a parent the index entry was not checked against').toBeDefined();
    expect(err?.role).toBe('targets/releases');
  });

  it('a garbage or forged index reads as no index (full path, same answer)', async () => {
    const f = await fixture();
    const opts = f.client();
    const { dir } = await warmUpdate(f, opts);
    const path = join(dir, VERIFIED_INDEX_FILE);
    writeFileSync(path, 'not json');
    const a = await warmUpdate(f, opts);
    expect(a.indexed).toEqual([]);
    expect(a.found?.digest).toBe(digestOf('one'));
    // an index whose targets digest matches nothing the snapshot lists
    const index = JSON.parse(readFileSync(path, 'utf8'));
    index.files.targets.sha256 = 'ab'.repeat(32);
    writeFileSync(path, JSON.stringify(index));
    const b = await warmUpdate(f, opts);
    expect(b.indexed).toEqual([]);
    expect(b.found?.digest).toBe(digestOf('one'));
  });

  it('forged cached targets with an index that vouches for them: the snapshot decides, the real digest wins', async () => {
    const f = await fixture();
    const opts = f.client();
    const { dir } = await warmUpdate(f, opts);
    // the attacker writes targets signing v1 with another digest (their own key) and an index to match
    const forged = await f.craft('targets', (s) => {
      s.targets.v1.hashes.sha256 = Buffer.from(digestOf('evil').slice(7), 'hex').toString('base64');
    });
    writeFileSync(join(dir, 'targets.json'), forged);
    const path = join(dir, VERIFIED_INDEX_FILE);
    const index = JSON.parse(readFileSync(path, 'utf8'));
    const { createHash } = await import('node:crypto');
    index.files.targets = {
      ...index.files.targets,
      sha256: createHash('sha256').update(forged).digest('hex'),
      length: forged.length,
    };
    writeFileSync(path, JSON.stringify(index));
    const r = await warmUpdate(f, opts);
    expect(r.found?.digest).toBe(digestOf('one'));
    expect(r.indexed).toEqual([]);
    // the genuine bytes were fetched again and the cache repaired
    expect(Buffer.compare(readFileSync(join(dir, 'targets.json')), f.file('targets.json'))).toBe(0);
  });

  it('one long-lived context notices cache files changed on disk between two verifies (same length, other bytes)', async () => {
    const f = await fixture();
    const context = new TrustContext();
    const opts = { ...f.client(), context };
    await verify(`${f.gun}:v1`, opts);
    const { dir } = await warmUpdate(f, opts); // the cache dir; the index is written
    await verify(`${f.gun}:v1`, opts); // warm, through the context's memos
    const targetsPath = join(dir, 'targets.json');
    const genuine = readFileSync(targetsPath);
    // targets signing v1 with another digest: same length, other bytes
    const forged = await f.craft('targets', (s) => {
      s.targets.v1.hashes.sha256 = Buffer.from(digestOf('evil').slice(7), 'hex').toString('base64');
    });
    expect(forged.length).toBe(genuine.length);
    writeFileSync(targetsPath, forged);
    expect((await verify(`${f.gun}:v1`, opts)).digest).toBe(digestOf('one'));
    expect(Buffer.compare(readFileSync(targetsPath), genuine)).toBe(0); // fetched again, cache repaired
    // a snapshot damaged in place (one byte, same length) is fetched again too
    const snapshotPath = join(dir, 'snapshot.json');
    const snapshot = readFileSync(snapshotPath);
    const damaged = Buffer.from(snapshot);
    damaged.writeUInt8(damaged.readUInt8(damaged.length - 3) ^ 1, damaged.length - 3);
    writeFileSync(snapshotPath, damaged);
    expect((await verify(`${f.gun}:v1`, opts)).digest).toBe(digestOf('one'));
    expect(Buffer.compare(readFileSync(snapshotPath), snapshot)).toBe(0);
    // an index turned to garbage reads as no index, and is written again
    const indexPath = join(dir, VERIFIED_INDEX_FILE);
    const index = readFileSync(indexPath);
    writeFileSync(indexPath, 'x'.repeat(index.length));
    expect((await verify(`${f.gun}:v1`, opts)).digest).toBe(digestOf('one'));
    expect(JSON.parse(readFileSync(indexPath, 'utf8')).files.targets).toBeDefined();
  });

  it('expiry is checked against the clock on the index path (EXPIRED once targets expire)', async () => {
    const f = await fixture();
    const soon = Date.now() + 3 * 24 * 3600_000;
    const t = await f.craft('targets', (s) => {
      s.version += 1;
      s.expires = formatGoTime(soon);
    });
    await f.rechain({ targets: t });
    const opts = f.client();
    const before = await warmUpdate(f, opts);
    expect(before.found?.digest).toBe(digestOf('one'));
    expect((await warmUpdate(f, opts)).indexed).toEqual(['targets']);
    // a day after targets expired, timestamp and snapshot still valid
    const later = { ...opts, now: () => soon + 24 * 3600_000 };
    const err = await warmUpdate(f, later).then(
      () => undefined,
      (e: unknown) => e as { code?: string; role?: string },
    );
    expect(err?.code).toBe('EXPIRED');
    expect(err?.role).toBe('targets');
    await expect(verify(`${f.gun}:v1`, later)).rejects.toMatchObject({ code: 'EXPIRED', role: 'targets' });
  });

  it("the index's lazy targets parse has its own document-cache key: a later full check in the same context parses strictly (a targets document whose parse normalises)", async () => {
    const f = await fixture();
    // targets spelled as Notary may serve them: `"custom": null`, signed over that spelling (Notary's
    // message); our parser normalises it away (ce4966b)
    const t = await f.craft('targets', (s) => {
      s.version += 1;
      s.targets.v1.custom = null;
    });
    expect(Buffer.from(t).toString('utf8')).toContain('"custom":null');
    await f.rechain({ targets: t });
    const opts = f.client();
    expect((await verify(`${f.gun}:v1`, opts)).digest).toBe(digestOf('one')); // cold, another context
    const context = new TrustContext();
    const shared = { ...opts, context };
    // warm, through the index: the lazy parse of targets (no signature checked on targets)
    const warm = await warmUpdate(f, opts);
    expect(warm.indexed).toEqual(['targets']);
    expect((await verify(`${f.gun}:v1`, shared)).digest).toBe(digestOf('one'));
    expect(context.verdicts.size).toBe(0);
    // the index gone: the same bytes take the full path in the same context, which must not be handed
    // the lazy parse (it knows no signature message: its re-encoding is the normalised body's)
    rmSync(join(warm.dir, VERIFIED_INDEX_FILE));
    expect((await verify(`${f.gun}:v1`, shared)).digest).toBe(digestOf('one'));
    expect(context.verdicts.size).toBeGreaterThan(0);
  });
});
