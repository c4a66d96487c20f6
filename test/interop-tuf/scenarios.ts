/**
 * Repositories written by OUR TUF 1.0 signing side, each with what python-tuf's
 * ngclient must find in it. Bundled and driven by test/interop-tuf/run.mjs
 * (a `.ci/run` step when ../shared/tuf-conformance exists).
 *
 * Each scenario writes into `dir` and returns checks: ngclient runs
 * (`--target` queries, optional download, optional persistent cache) and the
 * result each must give. A check with `reject` expects ngclient to fail with
 * that error class: it proves the oracle really verifies what we write.
 */
import { createPrivateKey } from 'node:crypto';
import { cp, readdir, readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { generateSigner, signerFromKeyObject } from '../../src/crypto/signers.js';
import { tuf1MetadataFileName } from '../../src/metadata/tuf1.js';
import {
  openTuf1Repository,
  readTuf1Files,
  type Tuf1Signer,
  type Tuf1TargetInfo,
  Tuf1Writer,
  tuf1Signer,
  writeTuf1Files,
  writeTuf1TargetFile,
} from '../../src/publish/tuf1/index.js';

export interface ExpectedTarget {
  length: number;
  hashes: Record<string, string>;
  custom: unknown;
}

export interface Check {
  label: string;
  targets: string[];
  download?: boolean;
  /** Reuse ngclient's metadata dir of an earlier check with the same cache name. */
  cache?: string;
  /** Expected per target (null = not found); ignored when `reject` is set. */
  expect?: Record<string, ExpectedTarget | null>;
  versions?: Partial<Record<'root' | 'timestamp' | 'snapshot' | 'targets', number>>;
  /** ngclient must fail with this error class name. */
  reject?: string;
}

export interface Scenario {
  name: string;
  /** Writes the repository (possibly in steps, running `check` between them). */
  run(dir: string, check: (c: Check) => Promise<void>, ctx: { project: string }): Promise<void>;
}

const DAY = 24 * 3600_000;
const enc = new TextEncoder();

function key(kind: 'ed25519' | 'p256' | 'p384' | 'rsa'): Tuf1Signer {
  switch (kind) {
    case 'ed25519':
      return tuf1Signer(generateSigner('ed25519'));
    case 'p256':
      return tuf1Signer(generateSigner('ecdsa'));
    case 'p384':
      return tuf1Signer(generateSigner('ecdsa', { curve: 'P-384' }));
    case 'rsa':
      return tuf1Signer(generateSigner('rsa'));
  }
}

/** ngclient's recorded answer without its download record. */
function strip(t: { length: number; hashes: Record<string, string>; custom: unknown }): ExpectedTarget {
  return { length: t.length, hashes: t.hashes, custom: t.custom };
}

function expected(info: Tuf1TargetInfo): ExpectedTarget {
  return { length: info.length, hashes: info.hashes, custom: info.custom ?? null };
}

/** A tag -> manifest target, as the registry-hosted layout records it. */
function manifestTarget(seed: string): Tuf1TargetInfo {
  const hex = Buffer.from(enc.encode(seed.padEnd(32, '.')))
    .toString('hex')
    .slice(0, 64);
  return {
    length: 500 + seed.length,
    hashes: { sha256: hex },
    custom: { mediaType: 'application/vnd.oci.image.manifest.v1+json' },
  };
}

export const scenarios: Scenario[] = [
  {
    name: 'every key type, targets with files and custom data',
    async run(dir, check) {
      const [r1, r2, t, s, ts] = [key('ed25519'), key('p256'), key('rsa'), key('p384'), key('ed25519')];
      const w = Tuf1Writer.init({
        keys: { root: [r1.key, r2.key], targets: [t.key], snapshot: [s.key], timestamp: [ts.key] },
        thresholds: { root: 2 },
      });
      const files: Record<string, Tuf1TargetInfo> = {};
      for (const [path, data] of [
        ['hello.txt', 'hello from content-trust\n'],
        ['dir/sub/data.bin', 'binary \u0000\u0001 data'],
        ['ünï/日本.txt', 'non-ascii path'],
        ['empty', ''],
      ] as const) {
        const info = await writeTuf1TargetFile(dir, path, enc.encode(data));
        if (path === 'hello.txt')
          info.custom = { note: 'quote" back\\ ctl\u0007 \u2028', n: 3, list: [null, true] };
        w.addTarget(path, info);
        files[path] = info;
      }
      const tag = manifestTarget('v1.0');
      w.addTarget('v1.0', tag);
      const { files: out } = w.commit([r1, r2, t, s, ts], { now: Date.now() });
      await writeTuf1Files(dir, out);
      await check({
        label: 'resolve + download',
        targets: [...Object.keys(files), 'missing'],
        download: true,
        expect: {
          ...Object.fromEntries(Object.entries(files).map(([p, i]) => [p, expected(i)])),
          missing: null,
        },
        versions: { root: 1, timestamp: 1, snapshot: 1, targets: 1 },
      });
      await check({ label: 'tag target (no file)', targets: ['v1.0'], expect: { 'v1.0': expected(tag) } });
    },
  },
  {
    name: 'delegations: paths, hash prefixes, terminating, thresholds, nesting, removal',
    async run(dir, check) {
      const [root, t, s, ts] = [key('p256'), key('p256'), key('p256'), key('p256')];
      const [rel1, rel2, alice, bob] = [key('p256'), key('ed25519'), key('rsa'), key('p384')];
      const all = [root, t, s, ts, rel1, rel2, alice, bob];
      const w = Tuf1Writer.init({
        keys: { root: [root.key], targets: [t.key], snapshot: [s.key], timestamp: [ts.key] },
      });
      const topTag = manifestTarget('top');
      w.addTarget('top', topTag);
      w.addDelegation({ name: 'targets/releases', keys: [rel1.key, rel2.key], threshold: 2, paths: ['*'] });
      w.addDelegation({
        name: 'targets/alice',
        keys: [alice.key],
        paths: ['alice-*', 'shared/*'],
        terminating: true,
      });
      w.addDelegation(
        { name: 'targets/alice/nested', keys: [bob.key], paths: ['shared/*'] },
        'targets/alice',
      );
      const hashPrefix = (await import('node:crypto'))
        .createHash('sha256')
        .update('by-prefix')
        .digest('hex')
        .slice(0, 2);
      w.addDelegation({ name: 'hashed', keys: [bob.key], pathHashPrefixes: [hashPrefix] });
      const rel = manifestTarget('release-1');
      const al = manifestTarget('alice-1');
      const nested = manifestTarget('nested');
      const pre = manifestTarget('prefix');
      const unreachable = manifestTarget('unreachable');
      w.addTarget('release-1', rel, 'targets/releases');
      w.addTarget('alice-1', al, 'targets/alice');
      w.addTarget('shared/x', nested, 'targets/alice/nested');
      w.addTarget('by-prefix', pre, 'hashed');
      w.addTarget('alice-2', unreachable, 'hashed'); // alice-* is claimed by a terminating role first
      await writeTuf1Files(dir, w.commit(all, { now: Date.now() }).files);
      const q = ['top', 'release-1', 'alice-1', 'shared/x', 'by-prefix', 'alice-2', 'nope'];
      await check({
        label: 'initial tree',
        cache: 'deleg',
        targets: q,
        expect: {
          top: expected(topTag),
          'release-1': expected(rel),
          'alice-1': expected(al),
          'shared/x': expected(nested),
          'by-prefix': expected(pre),
          'alice-2': null,
          nope: null,
        },
      });
      // remove a target and a whole delegation; re-point a tag; update from the cached state
      const rel2Info = manifestTarget('release-1-fixed');
      w.addTarget('release-1', rel2Info, 'targets/releases');
      w.removeTarget('alice-1', 'targets/alice');
      w.removeDelegation('hashed');
      await writeTuf1Files(dir, w.commit(all, { now: Date.now() }).files);
      await check({
        label: 'after edits (update from cache)',
        cache: 'deleg',
        targets: q,
        expect: {
          top: expected(topTag),
          'release-1': expected(rel2Info),
          'alice-1': null,
          'shared/x': expected(nested),
          'by-prefix': null,
          'alice-2': null,
          nope: null,
        },
        versions: { timestamp: 2, snapshot: 2, targets: 2 },
      });
    },
  },
  {
    name: 'key rotation: root chain 1->2->3, targets/snapshot/timestamp keys via root',
    async run(dir, check) {
      const r = [key('ed25519'), key('p256'), key('rsa'), key('p384')];
      const [t1, t2, s1, s2, ts1, ts2] = [
        key('p256'),
        key('ed25519'),
        key('p256'),
        key('rsa'),
        key('p256'),
        key('p384'),
      ];
      const w = Tuf1Writer.init({
        keys: { root: [r[0]!.key, r[1]!.key], targets: [t1.key], snapshot: [s1.key], timestamp: [ts1.key] },
        thresholds: { root: 2 },
      });
      const a = manifestTarget('a');
      w.addTarget('a', a);
      await writeTuf1Files(dir, w.commit([r[0]!, r[1]!, t1, s1, ts1], { now: Date.now() }).files);
      await check({ label: 'v1', cache: 'rot', targets: ['a'], expect: { a: expected(a) } });
      // root v2: new root keys (threshold 2 of r1,r2 -> 2 of r2,r3); timestamp key rotated
      w.setRoleKeys('root', [r[1]!.key, r[2]!.key], 2);
      w.setRoleKeys('timestamp', [ts2.key]);
      await writeTuf1Files(dir, w.commit([r[0]!, r[1]!, r[2]!, t1, s1, ts2], { now: Date.now() }).files);
      await check({
        label: 'root v2 (cached v1)',
        cache: 'rot',
        targets: ['a'],
        expect: { a: expected(a) },
        versions: { root: 2 },
      });
      // root v3: threshold 1 of r3,r4; targets and snapshot keys rotated
      w.setRoleKeys('root', [r[2]!.key, r[3]!.key], 1);
      w.setRoleKeys('targets', [t2.key]);
      w.setRoleKeys('snapshot', [s2.key]);
      const b = manifestTarget('b');
      w.addTarget('b', b);
      await writeTuf1Files(dir, w.commit([r[1]!, r[2]!, r[3]!, t2, s2, ts2], { now: Date.now() }).files);
      const both = { a: expected(a), b: expected(b) };
      await check({
        label: 'root v3 (cached v2)',
        cache: 'rot',
        targets: ['a', 'b'],
        expect: both,
        versions: { root: 3, targets: 2 },
      });
      await check({
        label: 'root v3 (fresh, walks 1->3)',
        targets: ['a', 'b'],
        expect: both,
        versions: { root: 3 },
      });
    },
  },
  {
    name: 'refresh: timestamp re-signed, snapshot when near expiry; reopened from disk',
    async run(dir, check) {
      const [root, t, s, ts] = [key('ed25519'), key('ed25519'), key('ed25519'), key('ed25519')];
      const now = Date.now();
      const w = Tuf1Writer.init({
        keys: { root: [root.key], targets: [t.key], snapshot: [s.key], timestamp: [ts.key] },
      });
      const a = manifestTarget('a');
      w.addTarget('a', a);
      // short lifetimes, as a cron-refreshed repository would have
      await writeTuf1Files(
        dir,
        w.commit([root, t, s, ts], {
          now: now - 3 * DAY,
          expiresIn: { timestamp: 1 * DAY, snapshot: 5 * DAY },
        }).files,
      );
      await check({ label: 'expired timestamp is refused', targets: ['a'], reject: 'ExpiredMetadataError' });
      const reopened = await openTuf1Repository(dir);
      const res = reopened.refresh([s, ts], { now }); // no root or targets key: not needed
      await writeTuf1Files(dir, res.files);
      await check({
        label: 'after refresh',
        targets: ['a'],
        expect: { a: expected(a) },
        versions: { timestamp: 2, snapshot: 2, targets: 1, root: 1 },
      });
    },
  },
  {
    name: 'continuing a repository python-tuf wrote (vectors/tuf1/repository): python v4 -> our v5',
    async run(dir, check, { project }) {
      const source = join(project, 'vectors', 'tuf1', 'repository');
      await cp(join(source, 'metadata'), join(dir, 'metadata'), { recursive: true });
      await cp(join(source, 'targets'), join(dir, 'targets'), { recursive: true });
      const expectedPy = JSON.parse(await readFile(join(source, 'expected.json'), 'utf8')).ngclient.targets;
      await check({
        label: "python-tuf's own state",
        cache: 'py',
        targets: ['file1.txt', 'files/a.bin'],
        expect: {
          'file1.txt': strip(expectedPy['file1.txt']),
          'files/a.bin': strip(expectedPy['files/a.bin']),
        },
        versions: { root: 3, timestamp: 4, snapshot: 3, targets: 2 },
      });
      // its test-only private keys, as our signers (key ids must come out as python-tuf listed them)
      const keysDir = join(source, 'private-keys-test-only');
      const signers: Tuf1Signer[] = [];
      for (const f of await readdir(keysDir)) {
        const s = tuf1Signer(signerFromKeyObject(createPrivateKey(await readFile(join(keysDir, f)))));
        if (`${s.key.keyid}.pem` === f) signers.push(s);
      }
      const w = Tuf1Writer.fromFiles(await readTuf1Files(dir)); // verifies python-tuf's signatures first
      const ours = await writeTuf1TargetFile(
        dir,
        'added/by-us.txt',
        enc.encode('written by content-trust\n'),
      );
      w.addTarget('added/by-us.txt', ours);
      w.removeTarget('empty');
      await writeTuf1Files(dir, w.commit(signers, { now: Date.now() }).files);
      await check({
        label: 'our new version, updated from the cached python-tuf state',
        cache: 'py',
        download: true,
        targets: ['added/by-us.txt', 'empty', 'files/a.bin', 'term/x.txt', 'bins/one'],
        expect: {
          'added/by-us.txt': expected(ours),
          empty: null,
          'files/a.bin': strip(expectedPy['files/a.bin']),
          'term/x.txt': strip(expectedPy['term/x.txt']),
          'bins/one': strip(expectedPy['bins/one']),
        },
        versions: { root: 3, timestamp: 5, snapshot: 4, targets: 3 },
      });
    },
  },
  {
    name: 'tampering is refused (the oracle really verifies)',
    async run(dir, check) {
      const [root, t, s, ts] = [key('p256'), key('p256'), key('p256'), key('p256')];
      const w = Tuf1Writer.init({
        keys: { root: [root.key], targets: [t.key], snapshot: [s.key], timestamp: [ts.key] },
      });
      const a = manifestTarget('a');
      w.addTarget('a', a);
      // snapshot pins versions only here, so a changed targets file reaches the signature check
      await writeTuf1Files(dir, w.commit([root, t, s, ts], { now: Date.now(), metaHashes: false }).files);
      await check({ label: 'untampered', targets: ['a'], expect: { a: expected(a) } });
      // change a signed field of targets without re-signing
      const name = join(dir, 'metadata', tuf1MetadataFileName('targets', 1));
      const text = (await readFile(name, 'utf8')).replace(`"length":${a.length}`, `"length":${a.length + 1}`);
      await writeFile(name, text);
      await check({ label: 'tampered targets', targets: ['a'], reject: 'UnsignedMetadataError' });
    },
  },
  {
    name: 'consistent_snapshot false: N.root.json, unversioned snapshot/targets/<role>.json, plain target files',
    async run(dir, check) {
      const [root, root2, t, s, ts, rel] = [
        key('ed25519'),
        key('p256'),
        key('p256'),
        key('ed25519'),
        key('ed25519'),
        key('p384'),
      ];
      const all = [root, root2, t, s, ts, rel];
      const w = Tuf1Writer.init({
        keys: { root: [root.key], targets: [t.key], snapshot: [s.key], timestamp: [ts.key] },
        consistentSnapshot: false,
      });
      const plain = { consistentSnapshot: false };
      const hello = await writeTuf1TargetFile(dir, 'dir/hello.txt', enc.encode('plain name\n'), plain);
      w.addTarget('dir/hello.txt', hello);
      w.addDelegation({ name: 'targets/releases', keys: [rel.key], paths: ['v*'] });
      const v1 = await writeTuf1TargetFile(dir, 'v1', enc.encode('release one\n'), plain);
      w.addTarget('v1', v1, 'targets/releases');
      // a role name python-tuf percent-encodes everywhere (space, non-ASCII, %, !, /)
      w.addDelegation({ name: 'odd \u00fc%!/role', keys: [rel.key], paths: ['odd-*'] });
      const odd = manifestTarget('odd-1');
      w.addTarget('odd-1', odd, 'odd \u00fc%!/role');
      await writeTuf1Files(dir, w.commit(all, { now: Date.now() }).files);
      const layout = async (want: string[]) => {
        const got = (await readdir(join(dir, 'metadata'))).sort();
        if (got.join() !== want.join()) throw new Error(`metadata/ holds ${got.join(', ')}`);
        const targets = (await readdir(join(dir, 'targets'))).sort();
        if (targets.join() !== 'dir,v1') throw new Error(`targets/ holds ${targets.join(', ')}`);
      };
      await layout([
        '1.root.json',
        'odd%20%C3%BC%25%21%2Frole.json', // python: quote('odd \u00fc%!/role', '') + '.json'
        'snapshot.json',
        'targets%2Freleases.json',
        'targets.json',
        'timestamp.json',
      ]);
      await check({
        label: 'v1: resolve + download by plain name',
        cache: 'plain',
        targets: ['dir/hello.txt', 'v1', 'nope'],
        download: true,
        expect: { 'dir/hello.txt': expected(hello), v1: expected(v1), nope: null },
        versions: { root: 1, timestamp: 1, snapshot: 1, targets: 1 },
      });
      await check({
        label: 'v1: role name percent-encoded',
        targets: ['odd-1'],
        expect: { 'odd-1': expected(odd) },
      });
      // the next commit replaces snapshot.json and targets%2Freleases.json; root v2 (rotated key) is 2.root.json
      w.setRoleKeys('root', [root2.key]);
      const v2 = await writeTuf1TargetFile(dir, 'v1', enc.encode('release one, fixed\n'), plain);
      w.addTarget('v1', v2, 'targets/releases');
      await writeTuf1Files(dir, w.commit(all, { now: Date.now() }).files);
      await layout([
        '1.root.json',
        '2.root.json',
        'odd%20%C3%BC%25%21%2Frole.json',
        'snapshot.json',
        'targets%2Freleases.json',
        'targets.json',
        'timestamp.json',
      ]);
      await check({
        label: 'v2: update from the cached v1 state',
        cache: 'plain',
        targets: ['dir/hello.txt', 'v1'],
        download: true,
        expect: { 'dir/hello.txt': expected(hello), v1: expected(v2) },
        versions: { root: 2, timestamp: 2, snapshot: 2, targets: 1 },
      });
      // reopened from disk (the writer reads its own non-consistent layout back)
      const again = await openTuf1Repository(dir);
      const tag = manifestTarget('v3');
      again.addTarget('v3', tag, 'targets/releases');
      await writeTuf1Files(dir, again.commit(all, { now: Date.now() }).files);
      await check({
        label: 'v3 after reopening: fresh client walks 1.root.json -> 2.root.json',
        targets: ['v1', 'v3'],
        expect: { v1: expected(v2), v3: expected(tag) },
        versions: { root: 2, timestamp: 3, snapshot: 3 },
      });
    },
  },
];
