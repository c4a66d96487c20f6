import { describe, expect, it } from 'vitest';
import { FAR, metaOf, newKey, PAST, signDoc, TestRepo } from '../../test/support/tuf1-repo.js';
import { Tuf1TrustedSet } from './tuf1-set.js';

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
  const set = new Tuf1TrustedSet(repo.root());
  set.updateTimestamp(timestamp);
  set.updateSnapshot(snapshot);
  return { repo, set, targets, snapshot, timestamp };
}

describe('TUF 1.0 trusted set: root walk (5.3)', () => {
  it('accepts v+1 signed by the old and the new root keys; refuses either missing', () => {
    const repo = new TestRepo();
    const set = new Tuf1TrustedSet(repo.root());
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
    const set = new Tuf1TrustedSet(repo.root({ expires: PAST }));
    set.updateRoot(repo.root({ version: 2, expires: PAST }));
    expect(code(() => set.checkRootFresh())).toBe('EXPIRED');
    expect(code(() => set.updateTimestamp(repo.timestamp(1, { version: 1 })))).toBe('EXPIRED');
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
    expect(code(() => new Tuf1TrustedSet(signDoc(signed, [k, k], [k.id, 'alias'])))).toBe('THRESHOLD');
  });

  it('refuses duplicate signature key ids, other spec majors, and keeps unknown fields signed', () => {
    const repo = new TestRepo();
    const k = repo.keys.root[0]!;
    expect(code(() => new Tuf1TrustedSet(signDoc(repo.rootSigned(), [k, k])))).toBe('BAD_METADATA');
    const v2 = { ...repo.rootSigned(), spec_version: '2.0.0' };
    expect(code(() => new Tuf1TrustedSet(signDoc(v2, [k])))).toBe('BAD_METADATA');
    const v199 = { ...repo.rootSigned(), spec_version: '1.99' };
    expect(new Tuf1TrustedSet(signDoc(v199, [k])).root.body.specVersion).toBe('1.99');
    // an unknown field is covered by the signature: changing it breaks it
    const bytes = Buffer.from(repo.root({ extra: { x_custom: { a: [1, 2] } } })).toString('utf8');
    expect(new Tuf1TrustedSet(Buffer.from(bytes)).root.signed.x_custom).toEqual({ a: [1, 2] });
    const doc = JSON.parse(bytes);
    doc.signed.x_custom.a[1] = 3;
    expect(code(() => new Tuf1TrustedSet(Buffer.from(JSON.stringify(doc))))).toBe('BAD_SIGNATURE');
    // Notary's dialect is not this one
    const notary = { ...repo.rootSigned(), _type: 'Root' };
    expect(code(() => new Tuf1TrustedSet(signDoc(notary, [k])))).toBe('WRONG_TYPE');
  });
});

describe('TUF 1.0 trusted set: timestamp, snapshot, targets (5.4-5.6)', () => {
  it('timestamp: equal version is unchanged, lower is a rollback, lower snapshot version too', () => {
    const { repo, set } = loaded();
    const fresh = new Tuf1TrustedSet(repo.root());
    fresh.updateTimestamp(repo.timestamp(3, { version: 3 }));
    expect(fresh.updateTimestamp(repo.timestamp(3, { version: 3 }))).toBe('unchanged');
    expect(code(() => fresh.updateTimestamp(repo.timestamp(2, { version: 3 })))).toBe('ROLLBACK');
    expect(code(() => fresh.updateTimestamp(repo.timestamp(4, { version: 2 })))).toBe('ROLLBACK');
    expect(code(() => set.updateTimestamp(repo.timestamp(9, { version: 9 })))).not.toBe('no error');
  });

  it('snapshot: length/hash from timestamp, version must match, no role may disappear or go down', () => {
    const repo = new TestRepo();
    const s1 = repo.snapshot(1, { 'targets.json': { version: 3 }, 'a.json': { version: 2 } });
    const set = new Tuf1TrustedSet(repo.root());
    set.updateTimestamp(repo.timestamp(1, { version: 1, length: s1.length + 1 }));
    expect(code(() => set.updateSnapshot(s1))).toBe('LENGTH_MISMATCH');
    set.updateSnapshot(s1, true); // our own cached copy: hashes not applied
    const set2 = new Tuf1TrustedSet(repo.root());
    set2.updateTimestamp(repo.timestamp(1, { version: 2 }));
    expect(code(() => set2.updateSnapshot(s1))).toBe('BAD_METADATA'); // version 1 != 2
    // the intermediate snapshot v1 is the rollback floor for v2
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
    const s3 = new Tuf1TrustedSet(repo3.root());
    s3.updateTimestamp(repo3.timestamp(1, metaOf(snap, 1)));
    s3.updateSnapshot(snap);
    s3.updateTargets(top);
    expect(code(() => s3.updateTargets(child, 'child', 'nobody'))).not.toBe('no error');
    expect(s3.updateTargets(child, 'child', 'targets').body.targets.has('a/x')).toBe(true);
    const expiredTs = repo3.timestamp(2, metaOf(snap, 1), PAST);
    const s4 = new Tuf1TrustedSet(repo3.root());
    expect(code(() => s4.updateTimestamp(expiredTs))).toBe('EXPIRED');
    expect(FAR > PAST).toBe(true);
  });
});
