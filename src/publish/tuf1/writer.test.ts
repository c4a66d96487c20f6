import { constants, createHash, createPrivateKey, createPublicKey, verify } from 'node:crypto';
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { generateSigner, signerFromKeyObject } from '../../crypto/signers.js';
import { olpcCanonicalBytes as canonicalBytes } from '../../encoding/olpc.js';
import { LocalError } from '../../errors.js';
import type {
  Tuf1KeyJson,
  Tuf1RootSigned,
  Tuf1SnapshotSigned,
  Tuf1TargetsSigned,
  Tuf1TimestampSigned,
} from '../../metadata/tuf1.js';
import { type Tuf1Signer, tuf1Signer } from './keys.js';
import { type Tuf1TargetInfo, Tuf1Writer } from './writer.js';

const DAY = 24 * 3600_000;
const NOW = Date.UTC(2026, 10, 29, 5, 0, 0);
const dec = new TextDecoder();

/** Independent check of one signature (node:crypto), the way securesystemslib verifies. */
function sigValid(key: Tuf1KeyJson, sigHex: string, message: Uint8Array): boolean {
  const sig = Buffer.from(sigHex, 'hex');
  switch (key.scheme) {
    case 'ed25519':
      return verify(
        null,
        message,
        createPublicKey({
          key: { kty: 'OKP', crv: 'Ed25519', x: Buffer.from(key.keyval.public, 'hex').toString('base64url') },
          format: 'jwk',
        }),
        sig,
      );
    case 'ecdsa-sha2-nistp256':
    case 'ecdsa-sha2-nistp384':
      return verify(
        key.scheme.endsWith('256') ? 'sha256' : 'sha384',
        message,
        { key: createPublicKey(key.keyval.public), dsaEncoding: 'der' },
        sig,
      );
    case 'rsassa-pss-sha256':
      return verify(
        'sha256',
        message,
        {
          key: createPublicKey(key.keyval.public),
          padding: constants.RSA_PKCS1_PSS_PADDING,
          saltLength: constants.RSA_PSS_SALTLEN_AUTO,
        },
        sig,
      );
    default:
      return false;
  }
}

interface Env<T> {
  signed: T;
  signatures: { keyid: string; sig: string }[];
}

function parse<T>(bytes: Uint8Array | undefined): Env<T> {
  expect(bytes).toBeDefined();
  return JSON.parse(dec.decode(bytes));
}

/** Key ids whose signatures verify over the canonical form of `signed`, given the listing keys. */
function validSigners(env: Env<unknown>, keys: Record<string, Tuf1KeyJson>): string[] {
  const msg = canonicalBytes(env.signed);
  return env.signatures
    .filter((s) => keys[s.keyid] && sigValid(keys[s.keyid]!, s.sig, msg))
    .map((s) => s.keyid);
}

function k(kind: 'ed25519' | 'p256' | 'p384' | 'rsa' = 'ed25519'): Tuf1Signer {
  if (kind === 'ed25519') return tuf1Signer(generateSigner('ed25519'));
  if (kind === 'rsa') return tuf1Signer(generateSigner('rsa'));
  return tuf1Signer(generateSigner('ecdsa', kind === 'p384' ? { curve: 'P-384' } : {}));
}

function target(n: number): Tuf1TargetInfo {
  return { length: n, hashes: { sha256: createHash('sha256').update(String(n)).digest('hex') } };
}

function newRepo() {
  const keys = { root: k(), targets: k(), snapshot: k(), timestamp: k() };
  const w = Tuf1Writer.init({
    keys: {
      root: [keys.root.key],
      targets: [keys.targets.key],
      snapshot: [keys.snapshot.key],
      timestamp: [keys.timestamp.key],
    },
  });
  return { w, keys, all: Object.values(keys) };
}

describe('Tuf1Writer: first commit', () => {
  it('writes root v1, targets, snapshot and timestamp with consistent-snapshot names, every signature valid', () => {
    const keys = { r1: k('ed25519'), r2: k('p256'), t: k('rsa'), s: k('p384'), ts: k('p256') };
    const w = Tuf1Writer.init({
      keys: {
        root: [keys.r1.key, keys.r2.key],
        targets: [keys.t.key],
        snapshot: [keys.s.key],
        timestamp: [keys.ts.key],
      },
      thresholds: { root: 2 },
    });
    w.addTarget('v1', { ...target(1), custom: { mediaType: 'x', ctl: 'a\u0007\n"\\' } });
    const { files, signed } = w.commit(Object.values(keys), { now: NOW });
    expect([...files.keys()].sort()).toEqual([
      '1.root.json',
      '1.snapshot.json',
      '1.targets.json',
      'timestamp.json',
    ]);
    expect(Object.fromEntries(signed)).toEqual({ root: 1, targets: 1, snapshot: 1, timestamp: 1 });
    const root = parse<Tuf1RootSigned>(files.get('1.root.json'));
    expect(root.signed).toMatchObject({
      _type: 'root',
      version: 1,
      consistent_snapshot: true,
      spec_version: '1.0.31',
    });
    expect(root.signed.expires).toBe('2027-11-29T05:00:00Z');
    expect(validSigners(root, root.signed.keys).sort()).toEqual(
      [keys.r1.key.keyid, keys.r2.key.keyid].sort(),
    );
    for (const [name, role] of [
      ['1.targets.json', 'targets'],
      ['1.snapshot.json', 'snapshot'],
      ['timestamp.json', 'timestamp'],
    ] as const) {
      const env = parse(files.get(name));
      expect(validSigners(env, root.signed.keys)).toEqual(root.signed.roles[role].keyids);
    }
    const ts = parse<Tuf1TimestampSigned>(files.get('timestamp.json'));
    const snapBytes = files.get('1.snapshot.json')!;
    expect(ts.signed.meta['snapshot.json']).toEqual({
      version: 1,
      length: snapBytes.length,
      hashes: { sha256: createHash('sha256').update(snapBytes).digest('hex') },
    });
    expect(parse<Tuf1TargetsSigned>(files.get('1.targets.json')).signed.targets.v1?.custom).toEqual({
      mediaType: 'x',
      ctl: 'a\u0007\n"\\',
    });
  });

  it('writes files standard JSON parsers accept (control characters escaped), keys sorted', () => {
    const { w, all } = newRepo();
    w.addTarget('t', { ...target(1), custom: { z: '\u0001\n', a: 1 } });
    const bytes = w.commit(all, { now: NOW }).files.get('1.targets.json')!;
    const text = dec.decode(bytes);
    expect(text).not.toMatch(/[\u0000-\u001f]/);
    expect(text.indexOf('"signatures"')).toBeLessThan(text.indexOf('"signed"'));
    expect(text).toContain('"custom":{"a":1,"z":"\\u0001\\n"}');
  });

  it('refuses to commit without a threshold of keys and leaves the state unchanged', () => {
    const { w, keys } = newRepo();
    w.addTarget('a', target(1));
    const err = (() => {
      try {
        w.commit([keys.root, keys.targets, keys.snapshot], { now: NOW });
      } catch (e) {
        return e;
      }
    })();
    expect(err).toBeInstanceOf(LocalError);
    expect((err as LocalError).code).toBe('KEY_NOT_FOUND');
    expect((err as LocalError).message).toMatch(/timestamp.*1 of its keys are needed, 0 available/);
    expect(w.dirty).toBe(true);
    expect(w.files().size).toBe(0);
    const ok = w.commit([keys.root, keys.targets, keys.snapshot, keys.timestamp], { now: NOW });
    expect(ok.signed.get('timestamp')).toBe(1);
  });
});

describe('Tuf1Writer: later commits', () => {
  it('versions only go up; snapshot is re-signed only when a targets role changed; timestamp always', () => {
    const { w, all } = newRepo();
    w.addTarget('a', target(1));
    w.commit(all, { now: NOW });
    w.addTarget('b', target(2));
    const c2 = w.commit(all, { now: NOW + 1000 });
    expect(Object.fromEntries(c2.signed)).toEqual({ targets: 2, snapshot: 2, timestamp: 2 });
    expect([...c2.files.keys()].sort()).toEqual(['2.snapshot.json', '2.targets.json', 'timestamp.json']);
    const c3 = w.commit(all, { now: NOW + 2000 });
    expect(Object.fromEntries(c3.signed)).toEqual({ timestamp: 3 });
    expect(w.removeTarget('a')).toBe(true);
    expect(w.removeTarget('a')).toBe(false);
    const c4 = w.commit(all, { now: NOW + 3000 });
    expect(Object.fromEntries(c4.signed)).toEqual({ targets: 3, snapshot: 3, timestamp: 4 });
    const t = parse<Tuf1TargetsSigned>(c4.files.get('3.targets.json'));
    expect(Object.keys(t.signed.targets)).toEqual(['b']);
    expect([...w.files().keys()].sort()).toEqual([
      '1.root.json',
      '3.snapshot.json',
      '3.targets.json',
      'timestamp.json',
    ]);
  });

  it('root rotation: N+1.root.json is signed by a threshold of the old and of the new root keys', () => {
    const { w, keys, all } = newRepo();
    w.commit(all, { now: NOW });
    const [n1, n2] = [k('p256'), k('rsa')];
    w.setRoleKeys('root', [n1.key, n2.key], 2);
    // the old key alone is not enough, nor the new ones alone
    expect(() => w.commit([keys.root, n1, keys.timestamp], { now: NOW })).toThrow(/cannot sign root/);
    expect(() => w.commit([n1, n2, keys.timestamp], { now: NOW })).toThrow(/as the old root/);
    const c = w.commit([keys.root, n1, n2, keys.timestamp], { now: NOW });
    expect(Object.fromEntries(c.signed)).toEqual({ root: 2, timestamp: 2 });
    const v1 = parse<Tuf1RootSigned>(w.files().get('1.root.json'));
    const v2 = parse<Tuf1RootSigned>(c.files.get('2.root.json'));
    expect(validSigners(v2, v1.signed.keys)).toEqual([keys.root.key.keyid]);
    expect(validSigners(v2, v2.signed.keys).sort()).toEqual([n1.key.keyid, n2.key.keyid].sort());
    expect(Object.keys(v2.signed.keys)).not.toContain(keys.root.key.keyid); // unused keys are dropped
  });

  it('rotating the targets or snapshot key re-signs that role with the new key', () => {
    const { w, keys, all } = newRepo();
    w.commit(all, { now: NOW });
    const [t2, s2] = [k(), k()];
    w.setRoleKeys('targets', [t2.key]);
    w.setRoleKeys('snapshot', [s2.key]);
    const c = w.commit([keys.root, t2, s2, keys.timestamp], { now: NOW });
    expect(Object.fromEntries(c.signed)).toEqual({ root: 2, targets: 2, snapshot: 2, timestamp: 2 });
    const root = parse<Tuf1RootSigned>(c.files.get('2.root.json')).signed;
    expect(validSigners(parse(c.files.get('2.targets.json')), root.keys)).toEqual([t2.key.keyid]);
    expect(validSigners(parse(c.files.get('2.snapshot.json')), root.keys)).toEqual([s2.key.keyid]);
  });

  it('delegations: entries in the parent, the role signed by its keys, percent-encoded file names', () => {
    const { w, all } = newRepo();
    const [d1, d2] = [k('p256'), k()];
    w.addDelegation({
      name: 'targets/releases',
      keys: [d1.key, d2.key],
      threshold: 2,
      paths: ['*'],
      terminating: true,
    });
    w.addTarget('v1', target(1), 'targets/releases');
    const c = w.commit([...all, d1, d2], { now: NOW });
    expect([...c.files.keys()].sort()).toEqual([
      '1.root.json',
      '1.snapshot.json',
      '1.targets%2Freleases.json',
      '1.targets.json',
      'timestamp.json',
    ]);
    const top = parse<Tuf1TargetsSigned>(c.files.get('1.targets.json')).signed;
    expect(top.delegations?.roles).toEqual([
      {
        name: 'targets/releases',
        keyids: [d1.key.keyid, d2.key.keyid],
        threshold: 2,
        terminating: true,
        paths: ['*'],
      },
    ]);
    const rel = parse(c.files.get('1.targets%2Freleases.json'));
    expect(validSigners(rel, top.delegations!.keys).sort()).toEqual([d1.key.keyid, d2.key.keyid].sort());
    const snap = parse<Tuf1SnapshotSigned>(c.files.get('1.snapshot.json')).signed;
    expect(Object.keys(snap.meta).sort()).toEqual(['targets.json', 'targets/releases.json']);
    expect(() =>
      w.addDelegation({ name: 'x', keys: [d1.key], paths: ['a'], pathHashPrefixes: ['ab'] }),
    ).toThrow(/exactly one/);
    expect(() => w.addDelegation({ name: 'snapshot', keys: [d1.key], paths: ['a'] })).toThrow(/top-level/);
    expect(() => w.addDelegation({ name: 'x', keys: [d1.key], threshold: 2, paths: ['a'] })).toThrow(
      /threshold 2/,
    );
    expect(() =>
      w.addDelegation({ name: 'targets/releases', keys: [d1.key], paths: ['a'] }, 'targets/releases'),
    ).toThrow(/already delegated by targets/);
  });

  it('a removed delegation stays listed in snapshot (spec 5.5.5) and a re-added one continues its version', () => {
    const { w, all } = newRepo();
    const d = k();
    w.addDelegation({ name: 'team', keys: [d.key], paths: ['team-*'] });
    w.addTarget('team-1', target(1), 'team');
    w.commit([...all, d], { now: NOW });
    w.addTarget('team-2', target(2), 'team');
    w.commit([...all, d], { now: NOW }); // team v2
    expect(w.removeDelegation('team')).toBe(true);
    expect(w.removeDelegation('team')).toBe(false);
    const c = w.commit(all, { now: NOW });
    const snap = parse<Tuf1SnapshotSigned>(c.files.get('3.snapshot.json')).signed;
    expect(snap.meta['team.json']?.version).toBe(2);
    expect(w.targetsRoles).toEqual(['targets']);
    w.addDelegation({ name: 'team', keys: [d.key], paths: ['team-*'] });
    const c2 = w.commit([...all, d], { now: NOW });
    expect(c2.signed.get('team')).toBe(3);
    expect(Object.keys(parse<Tuf1TargetsSigned>(c2.files.get('3.team.json')).signed.targets)).toEqual([]);
  });

  it('keepSignatures: a re-delegated role keeps its signatures; validSignatures says whether they still count', () => {
    const { w, all } = newRepo();
    const [a, b] = [k(), k()];
    w.addDelegation({ name: 'targets/releases', keys: [a.key], paths: ['*'] });
    w.addTarget('v1', target(1), 'targets/releases');
    w.commit([...all, a], { now: NOW });
    expect(w.validSignatures('targets/releases')).toEqual([a.key.keyid]);
    // b joins: the role is not re-signed (b's key is not needed), a's signature still counts
    w.addDelegation({ name: 'targets/releases', keys: [a.key, b.key], paths: ['*'] }, 'targets', {
      keepSignatures: true,
    });
    const c = w.commit(all, { now: NOW });
    expect(c.signed.has('targets/releases')).toBe(false);
    expect(w.validSignatures('targets/releases')).toEqual([a.key.keyid]);
    // a leaves: its signature no longer counts; touchTargets re-signs with b
    w.addDelegation({ name: 'targets/releases', keys: [b.key], paths: ['*'] }, 'targets', {
      keepSignatures: true,
    });
    expect(w.validSignatures('targets/releases')).toEqual([]);
    // the writer never commits a delegated role its new keys do not sign
    expect(() => w.commit([...all, b], { now: NOW })).toThrow(/cannot keep targets\/releases as it is/);
    w.touchTargets('targets/releases');
    expect(() => w.commit(all, { now: NOW })).toThrow(/cannot sign targets\/releases/);
    const c2 = w.commit([...all, b], { now: NOW });
    expect(c2.signed.get('targets/releases')).toBe(2);
    expect(w.validSignatures('targets/releases')).toEqual([b.key.keyid]);
    // without keepSignatures an existing role is re-signed (the default)
    w.addDelegation({ name: 'targets/releases', keys: [a.key, b.key], paths: ['*'] });
    expect(w.commit([...all, a, b], { now: NOW }).signed.get('targets/releases')).toBe(3);
    expect(w.validSignatures('nope')).toEqual([]);
  });

  it('refuses bad targets', () => {
    const { w } = newRepo();
    expect(() => w.addTarget('', target(1))).toThrow(/1-4096/);
    expect(() => w.addTarget('/abs', target(1))).toThrow(/relative/);
    expect(() => w.addTarget('a/../b', target(1))).toThrow(/relative/);
    expect(() => w.addTarget('a', { length: -1, hashes: target(1).hashes })).toThrow(/length/);
    expect(() => w.addTarget('a', { length: 1, hashes: { sha512: 'ab'.repeat(64) } })).toThrow(/sha256/);
    expect(() => w.addTarget('a', { length: 1, hashes: { sha256: 'AB'.repeat(32) } })).toThrow(/hex/);
    expect(() => w.addTarget('a', { ...target(1), custom: { f: 1.5 } })).toThrow(/non-integer/);
    expect(() => w.addTarget('a', target(1), 'nope')).toThrow(/no targets role/);
  });
});

describe('Tuf1Writer.fromFiles', () => {
  it('round-trips: the files of a commit reopen to the same state, and fields it does not know are kept and re-signed', () => {
    const { w, keys, all } = newRepo();
    w.addTarget('a', target(1));
    w.commit(all, { now: NOW, metaHashes: false });
    // a field this writer does not know, as another TUF implementation may add
    const files = w.files();
    const env = parse<Tuf1TargetsSigned>(files.get('1.targets.json'));
    (env.signed as Record<string, unknown>)['x-vendor'] = { keep: [1, 'two'] };
    (env.signed.targets.a as Record<string, unknown>)['x-file'] = true;
    const tampered = new TextEncoder().encode(JSON.stringify(env));
    files.set('1.targets.json', tampered);
    // nobody signed that: refused, unless verification is explicitly off
    expect(() => Tuf1Writer.fromFiles(files)).toThrow(/1.targets.json has 0 valid signatures, 1 needed/);
    expect(Tuf1Writer.fromFiles(files, { verify: false }).targetsOf().targets.a).toMatchObject({
      'x-file': true,
    });
    // signed by the targets key (as another TUF implementation would write it): loads and is kept
    env.signatures = [
      {
        keyid: keys.targets.key.keyid,
        sig: Buffer.from(keys.targets.sign(canonicalBytes(env.signed))).toString('hex'),
      },
    ];
    files.set('1.targets.json', new TextEncoder().encode(JSON.stringify(env)));
    const reopened = Tuf1Writer.fromFiles(files);
    expect(reopened.targetsOf().targets.a).toMatchObject({ 'x-file': true });
    reopened.addTarget('b', target(2));
    const c = reopened.commit([keys.targets, keys.snapshot, keys.timestamp], { now: NOW });
    const t = parse<Tuf1TargetsSigned>(c.files.get('2.targets.json'));
    expect(t.signed['x-vendor']).toEqual({ keep: [1, 'two'] });
    expect(t.signed.targets.a).toMatchObject({ 'x-file': true });
    const root = parse<Tuf1RootSigned>(files.get('1.root.json')).signed;
    expect(validSigners(t, root.keys)).toEqual([keys.targets.key.keyid]);
  });

  it('refuses an incomplete or inconsistent file set', () => {
    const { w, all } = newRepo();
    w.commit(all, { now: NOW });
    const files = w.files();
    const without = (name: string) => new Map([...files].filter(([n]) => n !== name));
    expect(() => Tuf1Writer.fromFiles(without('1.root.json'))).toThrow(/no N.root.json/);
    expect(() => Tuf1Writer.fromFiles(without('timestamp.json'))).toThrow(/no timestamp.json/);
    expect(() => Tuf1Writer.fromFiles(without('1.targets.json'))).toThrow(/missing 1.targets.json/);
    const bad = new Map(files);
    bad.set('1.snapshot.json', new TextEncoder().encode(`${dec.decode(files.get('1.snapshot.json'))} `));
    expect(() => Tuf1Writer.fromFiles(bad)).toThrow(/1.snapshot.json: \d+ bytes, but timestamp says/);
    const swapped = new Map(files);
    swapped.set('2.root.json', files.get('1.root.json')!);
    expect(() => Tuf1Writer.fromFiles(swapped)).toThrow(/2.root.json holds version 1/);
    const foreign = newRepo();
    foreign.w.commit(foreign.all, { now: NOW });
    const mixed = new Map(files);
    mixed.set('timestamp.json', foreign.w.files().get('timestamp.json')!);
    expect(() => Tuf1Writer.fromFiles(mixed)).toThrow(/timestamp.json has 0 valid signatures/);
  });

  it('opens the repository python-tuf wrote (vectors/tuf1/repository): every reachable role, hash bins too', () => {
    const dir = join(import.meta.dirname, '../../../vectors/tuf1/repository/metadata');
    const files = new Map(
      readdirSync(dir).map((n) => [n, new Uint8Array(readFileSync(join(dir, n)))] as const),
    );
    const w = Tuf1Writer.fromFiles(files); // every signature threshold checked, python-tuf's signatures
    expect(w.root.version).toBe(3);
    expect(w.targetsRoles.sort()).toEqual(
      [
        'after-term',
        'bin-0',
        'bin-1',
        'bin-2',
        'bin-3',
        'bins-delegator',
        'nested',
        'paths-role',
        'prefix-role',
        'targets',
        'term/role one',
      ].sort(),
    );
    expect(w.targetsOf('term/role one').targets['term/x.txt']?.length).toBe(28);
  });
});

describe('Tuf1Writer: consistent_snapshot false', () => {
  function plainRepo() {
    const keys = { root: k(), targets: k('p256'), snapshot: k(), timestamp: k(), rel: k('p384') };
    const w = Tuf1Writer.init({
      keys: {
        root: [keys.root.key],
        targets: [keys.targets.key],
        snapshot: [keys.snapshot.key],
        timestamp: [keys.timestamp.key],
      },
      consistentSnapshot: false,
    });
    return { w, keys, all: Object.values(keys) };
  }

  it('writes snapshot, targets and delegated roles unversioned, root as N.root.json, and reopens', () => {
    const { w, keys, all } = plainRepo();
    w.addTarget('a', target(1));
    w.addDelegation({ name: 'targets/releases', keys: [keys.rel.key], paths: ['v*'] });
    w.addTarget('v1', target(2), 'targets/releases');
    const c1 = w.commit(all, { now: NOW });
    expect([...c1.files.keys()].sort()).toEqual([
      '1.root.json',
      'snapshot.json',
      'targets%2Freleases.json',
      'targets.json',
      'timestamp.json',
    ]);
    expect(parse<Tuf1RootSigned>(c1.files.get('1.root.json')).signed.consistent_snapshot).toBe(false);
    // later commits reuse the names (the files are replaced); roots stay versioned
    const reopened = Tuf1Writer.fromFiles(w.files());
    expect(reopened.targetsOf('targets/releases').targets.v1).toEqual(target(2));
    reopened.addTarget('v2', target(3), 'targets/releases');
    reopened.touchRoot();
    const c2 = reopened.commit(all, { now: NOW });
    expect([...c2.files.keys()].sort()).toEqual([
      '2.root.json',
      'snapshot.json',
      'targets%2Freleases.json',
      'timestamp.json',
    ]);
    const snap = parse<Tuf1SnapshotSigned>(c2.files.get('snapshot.json')).signed;
    expect(snap.version).toBe(2);
    expect(snap.meta['targets/releases.json']?.version).toBe(2);
    expect(snap.meta['targets.json']?.version).toBe(1);
    const all2 = new Map([...w.files(), ...reopened.files()]);
    expect([...reopened.files().keys()].sort()).toEqual([
      '1.root.json',
      '2.root.json',
      'snapshot.json',
      'targets%2Freleases.json',
      'targets.json',
      'timestamp.json',
    ]);
    expect(Tuf1Writer.fromFiles(all2).targetsOf('targets/releases').targets.v2).toEqual(target(3));
    // a versioned-looking name is refused: it would be mistaken for `N.<role>.json`
    expect(() => reopened.addDelegation({ name: '3.root', keys: [keys.rel.key], paths: ['*'] })).toThrow(
      /look versioned/,
    );
  });

  it('opens, edits and re-signs the non-consistent repository python-tuf wrote (vectors/tuf1/plain)', () => {
    const base = join(import.meta.dirname, '../../../vectors/tuf1/plain');
    const dir = join(base, 'metadata');
    const files = new Map(
      readdirSync(dir).map((n) => [n, new Uint8Array(readFileSync(join(dir, n)))] as const),
    );
    const w = Tuf1Writer.fromFiles(files); // 0.1.0: refused (only consistent-snapshot repositories)
    expect(w.root.consistent_snapshot).toBe(false);
    const keysDir = join(base, 'private-keys-test-only');
    const signers = readdirSync(keysDir).map((f) =>
      tuf1Signer(signerFromKeyObject(createPrivateKey(readFileSync(join(keysDir, f))))),
    );
    w.addTarget('new.txt', target(4));
    const c = w.commit(signers, { now: NOW });
    expect([...c.files.keys()].sort()).toEqual(['snapshot.json', 'targets.json', 'timestamp.json']);
    const merged = new Map([...files, ...c.files]);
    const again = Tuf1Writer.fromFiles(merged);
    expect(again.targetsOf().targets['new.txt']).toEqual(target(4));
    expect(Object.keys(again.targetsOf().targets).sort()).toEqual(['a.txt', 'dir/b.txt', 'new.txt']);
  });
});

describe('Tuf1Writer.refresh', () => {
  it('re-signs timestamp always, snapshot and targets within their renew window, and reports what it cannot renew', () => {
    const { w, keys, all } = newRepo();
    const d = k();
    w.addDelegation({ name: 'team', keys: [d.key], paths: ['*'] });
    w.commit([...all, d], { now: NOW, expiresIn: { snapshot: 20 * DAY, delegation: 40 * DAY } });
    const r1 = w.refresh([keys.snapshot, keys.timestamp], { now: NOW + DAY });
    expect(Object.fromEntries(r1.signed)).toEqual({ timestamp: 2 });
    expect(r1.expiring.size).toBe(0);
    // 6 days later: snapshot expires in 14 days (< 15), the delegation in 34 days (> 30)
    const r2 = w.refresh([keys.snapshot, keys.timestamp], { now: NOW + 6 * DAY });
    expect(Object.fromEntries(r2.signed)).toEqual({ snapshot: 2, timestamp: 3 });
    // 15 days: the delegation (25 days left) is due, but its key is not given
    const r3 = w.refresh([keys.snapshot, keys.timestamp], { now: NOW + 15 * DAY });
    expect([...r3.expiring.keys()]).toEqual(['team']);
    expect(r3.signed.has('team')).toBe(false);
    const r4 = w.refresh([keys.snapshot, keys.timestamp, d], { now: NOW + 15 * DAY });
    expect(Object.fromEntries(r4.signed)).toEqual({ team: 2, snapshot: 3, timestamp: 5 });
    const snap = parse<Tuf1SnapshotSigned>(r4.files.get('3.snapshot.json')).signed;
    expect(snap.expires).toBe(new Date(NOW + 45 * DAY).toISOString().replace('.000Z', 'Z'));
  });
});
