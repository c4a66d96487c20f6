/**
 * The trust state machine on its own, without services: a table of transitions, each either
 * accepted or refused with a specific code. Metadata comes from test/support/forge.ts (node:crypto
 * keys, openssl root certificates), so every document is really signed.
 */

import { randomBytes } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { certifyKey, Forge, fileMeta, newKey, newRootKey } from '../../test/support/forge.js';
import { TrustError } from '../errors.js';
import { TrustedMetadataSet, type TrustPolicy } from './trusted-set.js';

const DAY = 24 * 3600_000;

type Files = Record<string, Uint8Array>;

interface World {
  forge: Forge;
  policy: TrustPolicy;
  /** A set trusting `files.root` (first use), as the updater starts it. */
  start(files: Files, source?: 'cache' | 'first-use'): TrustedMetadataSet;
  /** Accepts timestamp, snapshot and targets of `files` (and `roles`, parent first). */
  chain(set: TrustedMetadataSet, files: Files, roles?: string[]): void;
}

function world(options: { now?: number; removal?: TrustPolicy['snapshotRoleRemoval'] } = {}): World {
  const forge = new Forge(`unit.example.com/set/${randomBytes(4).toString('hex')}`);
  forge.tag('v1');
  const policy: TrustPolicy = {
    gun: forge.gun,
    now: () => options.now ?? forge.baseMs,
    ...(options.removal ? { snapshotRoleRemoval: options.removal } : {}),
  };
  return {
    forge,
    policy,
    start: (files, source = 'first-use') => TrustedMetadataSet.fromRoot(files.root!, policy, source),
    chain(set, files, roles = []) {
      set.updateTimestamp(files.timestamp!);
      set.updateSnapshot(files.snapshot!);
      set.updateTargets(files.targets!);
      for (const r of roles) set.updateTargets(files[r]!, r);
    },
  };
}

/** A warm state: generation 1 trusted, then `next` returns generation 2 files (bumped). */
function twoGenerations(
  w: World,
  change: (f: Forge) => void = () => {},
  over?: Parameters<Forge['build']>[0],
) {
  const gen1 = w.forge.build();
  change(w.forge);
  w.forge.bump();
  const gen2 = w.forge.build(over);
  return { gen1, gen2 };
}

/** A set that trusted gen1 locally (cached timestamp and snapshot loaded through it). */
function warmSet(w: World, gen1: Files): TrustedMetadataSet {
  const set = w.start(gen1, 'cache');
  set.loadLocalTimestamp(gen1.timestamp!);
  return set;
}

interface Row {
  name: string;
  /** `ok`, a TrustError code, or `Error` (a programming error: wrong order of calls). */
  expect: string;
  run: () => void;
}

const released = (w: World) => {
  w.forge.delegate('targets/releases', [newKey()]);
  w.forge.tag('v1', 'released', 'targets/releases');
};

const rows: Row[] = [
  // ------------------------------------------------------------------ accepted
  {
    name: 'root -> timestamp -> snapshot -> targets -> delegation',
    expect: 'ok',
    run() {
      const w = world();
      released(w);
      const files = w.forge.build();
      const set = w.start(files);
      w.chain(set, files, ['targets/releases']);
      expect(set.snapshotNamesTrustedRoot()).toBe(true);
      expect(set.signersOf('targets/releases')).toHaveLength(1);
    },
  },
  {
    name: 'root v1 -> v2 signed by the old and the new root key',
    expect: 'ok',
    run() {
      const w = world();
      const gen1 = w.forge.build();
      const old = w.forge.keys.root[0]!;
      const next = newRootKey(w.forge.gun);
      w.forge.keys.root = [next];
      w.forge.bump('root');
      const gen2 = w.forge.build({ signers: { root: [old, next] } });
      const set = w.start(gen1);
      set.updateRoot(gen2.root!);
      w.chain(set, gen2);
      expect(set.root.version).toBe(2);
    },
  },
  {
    name: 'cached timestamp and snapshot, then newer ones listing every role',
    expect: 'ok',
    run() {
      const w = world();
      released(w);
      const { gen1, gen2 } = twoGenerations(w);
      const set = warmSet(w, gen1);
      set.loadLocalSnapshot(gen1.snapshot!);
      w.chain(set, gen2, ['targets/releases']);
    },
  },
  {
    name: 'the same timestamp and snapshot again (warm, nothing new)',
    expect: 'ok',
    run() {
      const w = world();
      const files = w.forge.build();
      const set = warmSet(w, files);
      set.loadLocalSnapshot(files.snapshot!);
      w.chain(set, files);
    },
  },
  {
    name: 'a delegation removed together with its delegation in the parent',
    expect: 'ok',
    run() {
      const w = world();
      released(w);
      const { gen1, gen2 } = twoGenerations(w, (f) => {
        f.delegations.length = 0;
        f.bump('targets');
      });
      const set = warmSet(w, gen1);
      set.loadLocalSnapshot(gen1.snapshot!);
      w.chain(set, gen2);
      expect(set.vanishedRoles()).toEqual(['targets/releases']);
    },
  },
  {
    name: 'a cached root whose certificate expired still vouches for the next root',
    expect: 'ok',
    run() {
      const w = world({ now: Date.now() + 40 * DAY });
      const old = newRootKey(w.forge.gun, 30);
      w.forge.keys.root = [old];
      const gen1 = w.forge.build();
      const next = newRootKey(w.forge.gun);
      w.forge.keys.root = [next];
      w.forge.bump('root');
      const gen2 = w.forge.build({ signers: { root: [old, next] } });
      const set = w.start(gen1, 'cache');
      expect(set.rootNeedsRefresh()).toBe(true);
      set.updateRoot(gen2.root!);
      set.checkRootUsable();
    },
  },
  // ------------------------------------------------------------------ refused
  {
    name: 'a timestamp older than the cached one',
    expect: 'ROLLBACK',
    run() {
      const w = world();
      const { gen1, gen2 } = twoGenerations(w);
      const set = warmSet(w, gen2);
      set.updateTimestamp(gen1.timestamp!);
    },
  },
  {
    name: 'a snapshot older than the cached one',
    expect: 'ROLLBACK',
    run() {
      const w = world();
      const { gen1, gen2 } = twoGenerations(w);
      const set = warmSet(w, gen2);
      set.loadLocalSnapshot(gen2.snapshot!);
      // a fresh timestamp listing the older snapshot
      w.forge.bump();
      const ts = w.forge.build({ replace: { snapshot: gen1.snapshot! } }).timestamp!;
      set.updateTimestamp(ts);
      set.updateSnapshot(gen1.snapshot!);
    },
  },
  {
    name: 'a snapshot dropping a delegated role its parent still delegates',
    expect: 'ROLLBACK',
    run() {
      const w = world();
      released(w);
      const { gen1, gen2 } = twoGenerations(w, undefined, {
        edit: { snapshot: (b) => delete (b.meta as Record<string, unknown>)['targets/releases'] },
      });
      const set = warmSet(w, gen1);
      set.loadLocalSnapshot(gen1.snapshot!);
      set.updateTimestamp(gen2.timestamp!);
      set.updateSnapshot(gen2.snapshot!); // accepted so far: the parent decides
      expect(set.vanishedRoles()).toEqual(['targets/releases']);
      set.updateTargets(gen2.targets!);
    },
  },
  {
    name: 'a snapshot dropping the targets entry',
    expect: 'ROLLBACK',
    run() {
      const w = world();
      const { gen1, gen2 } = twoGenerations(w, undefined, {
        edit: {
          snapshot: (b) => {
            const meta = b.meta as Record<string, unknown>;
            meta.other = meta.targets;
            delete meta.targets;
          },
        },
      });
      const set = warmSet(w, gen1);
      set.loadLocalSnapshot(gen1.snapshot!);
      set.updateTimestamp(gen2.timestamp!);
      set.updateSnapshot(gen2.snapshot!);
    },
  },
  {
    name: "TUF 1.0 rule ('never'): any role missing from the new snapshot",
    expect: 'ROLLBACK',
    run() {
      const w = world({ removal: 'never' });
      released(w);
      const { gen1, gen2 } = twoGenerations(w, (f) => {
        f.delegations.length = 0;
        f.bump('targets');
      });
      const set = warmSet(w, gen1);
      set.loadLocalSnapshot(gen1.snapshot!);
      set.updateTimestamp(gen2.timestamp!);
      set.updateSnapshot(gen2.snapshot!);
    },
  },
  {
    name: 'snapshot meta with versions (TUF 1.0): a role listed at a lower version',
    expect: 'ROLLBACK',
    run() {
      const w = world();
      const withVersion = (v: number) => (b: Record<string, unknown>) => {
        (b.meta as Record<string, Record<string, unknown>>).targets!.version = v;
      };
      const gen1 = w.forge.build({ edit: { snapshot: withVersion(5) } });
      w.forge.bump();
      const gen2 = w.forge.build({ edit: { snapshot: withVersion(4) } });
      const set = warmSet(w, gen1);
      set.loadLocalSnapshot(gen1.snapshot!);
      set.updateTimestamp(gen2.timestamp!);
      set.updateSnapshot(gen2.snapshot!);
    },
  },
  {
    name: 'targets older than the cached targets',
    expect: 'ROLLBACK',
    run() {
      const w = world();
      const gen1 = w.forge.build();
      w.forge.bump('targets');
      const gen2 = w.forge.build();
      w.forge.bump();
      const gen3 = w.forge.build({ replace: { targets: gen1.targets! } });
      const set = warmSet(w, gen2);
      set.loadLocalSnapshot(gen2.snapshot!);
      set.updateTimestamp(gen3.timestamp!);
      set.updateSnapshot(gen3.snapshot!);
      set.loadLocalTargets(gen2.targets!);
      set.updateTargets(gen3.targets!);
    },
  },
  {
    name: 'a root skipping a version',
    expect: 'BAD_METADATA',
    run() {
      const w = world();
      const gen1 = w.forge.build();
      w.forge.bump('root');
      w.forge.bump('root');
      const set = w.start(gen1);
      set.updateRoot(w.forge.build().root!);
    },
  },
  {
    name: 'the same root version again',
    expect: 'ROLLBACK',
    run() {
      const w = world();
      const gen1 = w.forge.build();
      const set = w.start(gen1);
      set.updateRoot(gen1.root!);
    },
  },
  {
    name: 'a root update after the timestamp',
    expect: 'Error',
    run() {
      const w = world();
      const gen1 = w.forge.build();
      w.forge.bump('root');
      const gen2 = w.forge.build();
      const set = w.start(gen1);
      set.updateTimestamp(gen1.timestamp!);
      set.updateRoot(gen2.root!);
    },
  },
  {
    name: 'targets meta lookup while only the cached snapshot is loaded',
    expect: 'Error',
    run() {
      const w = world();
      const files = w.forge.build();
      const set = warmSet(w, files);
      set.loadLocalSnapshot(files.snapshot!);
      set.metaFor('targets');
    },
  },
  {
    name: 'targets listing one key as ecdsa and ecdsa-x509, threshold 2',
    expect: 'THRESHOLD',
    run() {
      const w = world();
      const bare = newKey('ecdsa');
      w.forge.keys.targets = [bare, certifyKey(bare, w.forge.gun)];
      w.forge.thresholds.targets = 2;
      const files = w.forge.build();
      w.chain(w.start(files), files);
    },
  },
  {
    name: 'an expired timestamp (loading the same one as the cached floor is fine)',
    expect: 'EXPIRED',
    run() {
      const w = world({ now: Date.now() + 400 * DAY });
      const files = w.forge.build();
      const set = warmSet(w, files);
      set.updateTimestamp(files.timestamp!);
    },
  },
  {
    name: 'a snapshot whose length differs from what the timestamp lists',
    expect: 'LENGTH_MISMATCH',
    run() {
      const w = world();
      const files = w.forge.build({
        edit: { timestamp: (b) => (b.meta as { snapshot: { length: number } }).snapshot.length++ },
      });
      const set = w.start(files);
      set.updateTimestamp(files.timestamp!);
      set.updateSnapshot(files.snapshot!);
    },
  },
  {
    name: 'a cached root whose certificate expired, with no newer root',
    expect: 'BAD_CERTIFICATE',
    run() {
      const w = world({ now: Date.now() + 40 * DAY });
      w.forge.keys.root = [newRootKey(w.forge.gun, 30)];
      const set = w.start(w.forge.build(), 'cache');
      set.checkRootUsable();
    },
  },
  {
    name: 'the same root with an expired certificate on first use',
    expect: 'UNTRUSTED_ROOT',
    run() {
      const w = world({ now: Date.now() + 40 * DAY });
      w.forge.keys.root = [newRootKey(w.forge.gun, 30)];
      w.start(w.forge.build(), 'first-use');
    },
  },
  {
    name: 'a snapshot naming a root other than the trusted one',
    expect: 'ok',
    run() {
      const w = world();
      const gen1 = w.forge.build();
      const files = w.forge.build({
        edit: { snapshot: (b) => ((b.meta as Record<string, unknown>).root = fileMeta(new Uint8Array(3))) },
      });
      const set = w.start(gen1);
      w.chain(set, files);
      expect(set.snapshotNamesTrustedRoot()).toBe(false);
    },
  },
];

describe('TrustedMetadataSet transitions', () => {
  it.each(rows.map((r) => [r.name, r] as const))('%s', (_name, row) => {
    let err: unknown;
    try {
      row.run();
    } catch (e) {
      err = e;
    }
    if (row.expect === 'ok') {
      expect(err, String(err)).toBeUndefined();
    } else if (row.expect === 'Error') {
      expect(err).toBeInstanceOf(Error);
      expect(err).not.toBeInstanceOf(TrustError);
    } else {
      expect(err, 'the transition was accepted').toBeInstanceOf(TrustError);
      expect((err as TrustError).code, (err as Error).message).toBe(row.expect);
    }
  });
});
