import { describe, expect, it } from 'vitest';
import { FAR, metaOf, newKey, PAST, signDoc, TestRepo } from '../../test/support/tuf1-repo.js';
import { TUF1_DIALECT } from './dialect.js';
import { TrustedMetadataSet } from './trusted-set.js';

/** The one trust state machine, TUF 1.0 dialect. */
const open = (root: Uint8Array) =>
  TrustedMetadataSet.fromRoot(root, { gun: 'test' }, 'cache', {}, TUF1_DIALECT);

const code = (f: () => unknown) => {
  try {
    f();
  } catch (e) {
    return (e as { code?: string }).code;
  }
  return 'no error';
};

/** A repository at v1 everywhere and a set that trusts root v1 + timestamp + snapshot. */
function loaded(repo = new TestRepo()) {
  const targets = repo.targets(1, {});
  const snapshot = repo.snapshot(1, { 'targets.json': metaOf(targets, 1) });
  const timestamp = repo.timestamp(1, metaOf(snapshot, 1));
  const set = open(repo.root());
  set.updateTimestamp(timestamp);
  set.updateSnapshot(snapshot);
  return { repo, set, targets, snapshot, timestamp };
}

describe('trusted set, TUF 1.0 dialect: root walk (5.3)', () => {
  it('accepts v+1 signed by the old and the new root keys; refuses either missing', () => {
    const repo = new TestRepo();
    const set = open(repo.root());
    const oldKey = repo.keys.root[0]!;
    repo.keys.root = [newKey()];
    // signed only by the new key: the trusted root's threshold is not met
    expect(code(() => set.updateRoot(repo.root({ version: 2 })))).toBe('THRESHOLD');
    // signed only by the old key: the new root's own threshold is not met
    expect(code(() => set.updateRoot(repo.root({ version: 2 }, [oldKey])))).toBe('THRESHOLD');
    set.updateRoot(repo.root({ version: 2 }, [oldKey, repo.keys.root[0]!]));
    expect(set.root.version).toBe(2);
    // versions are never skipped, never repeated
    expect(code(() => set.updateRoot(repo.root({ version: 4 })))).toBe('BAD_METADATA');
    expect(code(() => set.updateRoot(repo.root({ version: 2 })))).toBe('ROLLBACK');
  });

  it('an expired intermediate root may lead to a newer one; an expired final root stops the refresh', () => {
    const repo = new TestRepo();
    const set = open(repo.root({ expires: PAST }));
    set.updateRoot(repo.root({ version: 2, expires: PAST }));
    expect(code(() => set.checkRootFresh())).toBe('EXPIRED');
    set.updateRoot(repo.root({ version: 3 }));
    set.checkRootFresh();
  });

  it('counts distinct keys, not key ids: one key listed under two ids meets no threshold of 2', () => {
    const repo = new TestRepo();
    const k = repo.keys.root[0]!;
    const signed = repo.rootSigned();
    (signed.keys as Record<string, unknown>).alias = k.json;
    (signed.roles as Record<string, { keyids: string[]; threshold: number }>).root = {
      keyids: [k.id, 'alias'],
      threshold: 2,
    };
    expect(code(() => open(signDoc(signed, [k, k], [k.id, 'alias'])))).toBe('THRESHOLD');
  });

  it('refuses duplicate signature key ids, other spec majors, and keeps unknown fields signed', () => {
    const repo = new TestRepo();
    const k = repo.keys.root[0]!;
    expect(code(() => open(signDoc(repo.rootSigned(), [k, k])))).toBe('BAD_METADATA');
    const v2 = { ...repo.rootSigned(), spec_version: '2.0.0' };
    expect(code(() => open(signDoc(v2, [k])))).toBe('BAD_METADATA');
    const v199 = { ...repo.rootSigned(), spec_version: '1.99' };
    expect(open(signDoc(v199, [k])).root.signed.spec_version).toBe('1.99');
    // an unknown field is covered by the signature: changing it breaks it
    const bytes = Buffer.from(repo.root({ extra: { x_custom: { a: [1, 2] } } })).toString('utf8');
    expect(open(Buffer.from(bytes)).root.signed.x_custom).toEqual({ a: [1, 2] });
    const doc = JSON.parse(bytes);
    doc.signed.x_custom.a[1] = 3;
    expect(code(() => open(Buffer.from(JSON.stringify(doc))))).toBe('BAD_SIGNATURE');
    // Notary's dialect is not this one
    const notary = { ...repo.rootSigned(), _type: 'Root' };
    expect(code(() => open(signDoc(notary, [k])))).toBe('WRONG_TYPE');
  });
});

describe('trusted set, TUF 1.0 dialect: timestamp, snapshot, targets (5.4-5.6)', () => {
  it('timestamp: equal version is unchanged, lower is a rollback, lower snapshot version too', () => {
    const { repo, set } = loaded();
    const fresh = open(repo.root());
    const t3 = fresh.updateTimestamp(repo.timestamp(3, { version: 3 }));
    // same version, other bytes: the trusted copy is kept (spec 5.4.3.2)
    expect(fresh.updateTimestamp(repo.timestamp(3, { version: 30 }))).toBe(t3);
    expect(code(() => fresh.updateTimestamp(repo.timestamp(2, { version: 3 })))).toBe('ROLLBACK');
    expect(code(() => fresh.updateTimestamp(repo.timestamp(4, { version: 2 })))).toBe('ROLLBACK');
    expect(set.timestamp?.version).toBe(1);
  });

  it('snapshot: length/hash from timestamp, version must match, no role may disappear or go down', () => {
    const repo = new TestRepo();
    const s1 = repo.snapshot(1, { 'targets.json': { version: 3 }, 'a.json': { version: 2 } });
    const set = open(repo.root());
    set.updateTimestamp(repo.timestamp(1, { version: 1, length: s1.length + 1 }));
    expect(code(() => set.updateSnapshot(s1))).toBe('LENGTH_MISMATCH');
    set.loadLocalSnapshot(s1); // our own cached copy: the floor, hashes not applied
    const set2 = open(repo.root());
    set2.updateTimestamp(repo.timestamp(1, { version: 2 }));
    expect(code(() => set2.updateSnapshot(s1))).toBe('BAD_METADATA'); // version 1 != 2
    // the cached snapshot v1 is the rollback floor for v2
    set2.loadLocalSnapshot(s1);
    expect(code(() => set2.updateSnapshot(repo.snapshot(2, { 'targets.json': { version: 3 } })))).toBe(
      'ROLLBACK',
    );
    expect(
      code(() =>
        set2.updateSnapshot(repo.snapshot(2, { 'targets.json': { version: 3 }, 'a.json': { version: 1 } })),
      ),
    ).toBe('ROLLBACK');
    set2.updateSnapshot(repo.snapshot(2, { 'targets.json': { version: 3 }, 'a.json': { version: 2 } }));
    expect(set2.snapshot?.version).toBe(2);
  });

  it('targets: version must equal the snapshot entry; expired is refused; a delegation is checked per delegator', () => {
    const { repo, set, targets } = loaded();
    expect(code(() => set.updateTargets(repo.targets(2, {})))).toBe('HASH_MISMATCH');
    set.updateTargets(targets);
    const r2 = newKey();
    const repo3 = new TestRepo();
    const child = repo3.targets(1, { 'a/x': { length: 1, hashes: { sha256: '00' } } }, undefined, [r2]);
    const deleg = {
      keys: { [r2.id]: r2.json },
      roles: [{ name: 'child', keyids: [r2.id], threshold: 1, terminating: false, paths: ['a/*'] }],
    };
    const top = repo3.targets(1, {}, deleg);
    const snap = repo3.snapshot(1, { 'targets.json': metaOf(top, 1), 'child.json': { version: 1 } });
    const s3 = open(repo3.root());
    s3.updateTimestamp(repo3.timestamp(1, metaOf(snap, 1)));
    s3.updateSnapshot(snap);
    s3.updateTargets(top);
    expect(code(() => s3.updateTargets(child, 'child', 'nobody'))).not.toBe('no error');
    expect(s3.updateTargets(child, 'child', 'targets').signed.targets['a/x']).toBeDefined();
    const expiredTs = repo3.timestamp(2, metaOf(snap, 1), PAST);
    const s4 = open(repo3.root());
    expect(code(() => s4.updateTimestamp(expiredTs))).toBe('EXPIRED');
    expect(FAR > PAST).toBe(true);
  });

  it('a role reached through a second delegator must satisfy that delegation too (diamond)', () => {
    const repo = new TestRepo();
    const ka = newKey();
    const kb = newKey();
    const kr = newKey();
    const kOther = newKey();
    const release = repo.targets(1, { 'team-b/x': { length: 1, hashes: { sha256: '00' } } }, undefined, [kr]);
    const deleg = (paths: string[], releaseKey: typeof kr) => ({
      keys: { [releaseKey.id]: releaseKey.json },
      roles: [{ name: 'release', keyids: [releaseKey.id], threshold: 1, terminating: false, paths }],
    });
    const a = repo.targets(1, {}, deleg(['team-a/*'], kr), [ka]);
    const b = repo.targets(1, {}, deleg(['team-b/*'], kOther), [kb]);
    const top = repo.targets(
      1,
      {},
      {
        keys: { [ka.id]: ka.json, [kb.id]: kb.json },
        roles: [
          { name: 'a', keyids: [ka.id], threshold: 1, terminating: false, paths: ['team-a/*'] },
          { name: 'b', keyids: [kb.id], threshold: 1, terminating: false, paths: ['team-b/*'] },
        ],
      },
    );
    const meta: Record<string, object> = { 'targets.json': metaOf(top, 1) };
    for (const [n, d] of [
      ['a', a],
      ['b', b],
      ['release', release],
    ] as const)
      meta[`${n}.json`] = metaOf(d, 1);
    const snap = repo.snapshot(1, meta);
    const set = open(repo.root());
    set.updateTimestamp(repo.timestamp(1, metaOf(snap, 1)));
    set.updateSnapshot(snap);
    set.updateTargets(top);
    set.updateTargets(a, 'a', 'targets');
    set.updateTargets(b, 'b', 'targets');
    set.updateTargets(release, 'release', 'a');
    expect(set.trustedTargets('release', 'a')).toBeDefined();
    expect(code(() => set.trustedTargets('release', 'b'))).toBe('THRESHOLD');
  });
});
