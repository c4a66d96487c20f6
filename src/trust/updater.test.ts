/**
 * The update workflow without services: a FileStore (our real file transport) serves forged
 * metadata (test/support/forge.ts); the trust cache is a real MetadataCache in a temp dir.
 */

import { createHash, randomBytes } from 'node:crypto';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { Forge, newKey } from '../../test/support/forge.js';
import { NetworkError, type TrustError } from '../errors.js';
import { MetadataCache } from '../storage/trust-dir.js';
import { FileStore } from '../transport/file-store.js';
import { lookupTag } from './lookup.js';
import { indexDescribes } from './trusted-set.js';
import { Updater } from './updater.js';

const dirs: string[] = [];
afterEach(() => {
  for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true });
});
function temp(): string {
  const d = mkdtempSync(join(tmpdir(), 'ct-updater-'));
  dirs.push(d);
  return d;
}

/** A FileStore directory serving files the test writes (current, by checksum, by version). */
function served(gun: string) {
  const dir = temp();
  const metaDir = join(dir, ...gun.split('/'), '_trust', 'tuf');
  const put = (name: string, bytes: Uint8Array) => {
    const p = join(metaDir, ...`${name}.json`.split('/'));
    mkdirSync(dirname(p), { recursive: true });
    writeFileSync(p, bytes);
  };
  return {
    store: new FileStore(dir, gun),
    serve(files: Record<string, Uint8Array>) {
      for (const [role, bytes] of Object.entries(files)) {
        put(role, bytes);
        put(`${role}.${createHash('sha256').update(bytes).digest('hex')}`, bytes);
        const v = (JSON.parse(Buffer.from(bytes).toString()) as { signed: { version: number } }).signed
          .version;
        put(`${v}.${role}`, bytes);
      }
    },
  };
}

function setup() {
  const forge = new Forge(`unit.example.com/updater/${randomBytes(4).toString('hex')}`);
  forge.tag('v1');
  const server = served(forge.gun);
  const cache = new MetadataCache(temp(), forge.gun);
  const policy = { gun: forge.gun, now: () => forge.baseMs };
  const updater = () => new Updater(server.store, cache, policy);
  return { forge, server, cache, updater };
}

describe('Updater', () => {
  it('a warm update whose timestamp is unchanged reads nothing but the timestamp and writes nothing', async () => {
    const { forge, server, updater } = setup();
    server.serve(forge.build());
    const u1 = updater();
    await u1.refresh();
    await u1.commit();
    const u2 = updater();
    await u2.refresh();
    expect([...u2.staged.keys()]).toEqual([]);
  });

  it('the index read at the start of a warm update of an unchanged repository describes its state (nothing rebuilt, hashed or compared)', async () => {
    const { forge, server, cache, updater } = setup();
    server.serve(forge.build());
    const u1 = updater();
    await u1.refresh();
    await lookupTag(u1, 'v1');
    await u1.commit();
    const u2 = updater();
    await u2.refresh();
    await lookupTag(u2, 'v1');
    const index = cache.readIndex('notary');
    expect(index?.files.get('root')?.signers).toBeDefined();
    // the root, timestamp and snapshot entries (which record signers too) are not targets roles
    expect(indexDescribes(index, u2.trusted, false)).toBe(true);
    expect(indexDescribes(index, u2.trusted, true)).toBe(false);
  });

  it('staging starts empty on every refresh: bytes of a failed refresh are never committed', async () => {
    const { forge, server, cache, updater } = setup();
    const gen1 = forge.build();
    server.serve(gen1);
    const warm = updater();
    await warm.refresh();
    await warm.commit();
    // a timestamp (valid key) listing a snapshot signed by a stranger: refused
    forge.bump();
    const evil = forge.build({ signers: { snapshot: [newKey()] } });
    server.serve({ timestamp: evil.timestamp!, snapshot: evil.snapshot! });
    const u = updater();
    const err = await u.refresh().then(
      () => undefined,
      (e: unknown) => e,
    );
    expect((err as TrustError).code).toBe('THRESHOLD');
    // the server goes back to the genuine state; the same updater succeeds and commits
    server.serve({ timestamp: gen1.timestamp!, snapshot: gen1.snapshot! });
    await u.refresh();
    await u.commit();
    expect(Buffer.compare(readFileSync(cache.pathOf('snapshot')), gen1.snapshot!)).toBe(0);
    expect(Buffer.compare(readFileSync(cache.pathOf('timestamp')), gen1.timestamp!)).toBe(0);
  });

  it('a cache marked as TUF 1.0 (a migrated trust dir read with a Notary server) is refused as CONFIG, not read as a broken Notary root', async () => {
    const { forge, server, cache, updater } = setup();
    server.serve(forge.build());
    const u1 = updater();
    await u1.refresh();
    await u1.commit();
    // what trust migrate leaves: the registry-hosted TUF 1.0 cache under the same GUN, with its marker
    const tufRoot = readFileSync(
      join(import.meta.dirname, '../../vectors/tuf1/repository/metadata/1.root.json'),
    );
    writeFileSync(cache.pathOf('root'), tufRoot);
    const failure = () =>
      updater()
        .refresh()
        .then(
          () => undefined,
          (e: unknown) => e as TrustError,
        );
    // without the marker: the root's own parse error, as before
    expect((await failure())?.code).toBe('BAD_METADATA');
    writeFileSync(join(cache.dir, '.dialect'), 'tuf-1.0\n');
    const err = await failure();
    expect(err?.code).toBe('CONFIG');
    expect(err?.message).toContain('"tuf-1.0" metadata');
    expect(err?.message).toContain('--server registry');
    // a marker naming the Notary dialect changes nothing
    writeFileSync(join(cache.dir, '.dialect'), 'notary\n');
    expect((await failure())?.code).toBe('BAD_METADATA');
  });

  it('a cached snapshot that no longer verifies gives no floor but does not block the update', async () => {
    const { forge, server, cache, updater } = setup();
    server.serve(forge.build());
    const u1 = updater();
    await u1.refresh();
    await u1.commit();
    writeFileSync(cache.pathOf('snapshot'), '{"signed":{},"signatures":[]}');
    const u2 = updater();
    await u2.refresh();
    expect([...u2.staged.keys()]).toEqual(['snapshot']);
  });

  it('the metadata cap applies before fetching (TOO_LARGE), the parent length below it', async () => {
    const { forge, server, cache } = setup();
    server.serve(forge.build());
    const u = new Updater(
      server.store,
      cache,
      { gun: forge.gun, now: () => forge.baseMs },
      { maxMetadataBytes: 64 },
    );
    await expect(u.refresh()).rejects.toMatchObject({ code: 'TOO_LARGE', role: 'snapshot' });
  });

  describe('bytes just uploaded (the read-back after a publish, issue 12)', () => {
    /** A warm cache of generation 1, then the server serves generation 2 (a new tag in targets). */
    function published() {
      const { forge, server, cache } = setup();
      server.serve(forge.build());
      const gets: string[] = [];
      const store = Object.assign(Object.create(server.store) as FileStore, {
        getMeta: (name: string, maxBytes: number) => {
          gets.push(name.replace(/\.[0-9a-f]{64}$/, '.<sha256>'));
          return server.store.getMeta(name, maxBytes);
        },
      });
      const policy = { gun: forge.gun, now: () => forge.baseMs };
      forge.tag('v2');
      forge.bump('targets', 'snapshot', 'timestamp');
      const gen2 = forge.build();
      return { forge, server, cache, gets, gen2, policy, store };
    }

    it('targets the accepted snapshot lists byte for byte are taken from the upload, checked and cached', async () => {
      const { server, cache, gets, gen2, policy, store } = published();
      const warm = new Updater(store, cache, policy);
      await warm.refresh();
      await warm.commit();
      server.serve(gen2);
      gets.length = 0;
      const u = new Updater(store, cache, policy, { published: new Map([['targets', gen2.targets!]]) });
      const set = await u.refresh();
      expect(gets).toEqual(['timestamp', 'snapshot.<sha256>']); // no download of what was uploaded
      expect(Object.keys(set.targets('targets')!.signed.targets).sort()).toEqual(['v1', 'v2']);
      await u.commit();
      expect(Buffer.compare(readFileSync(cache.pathOf('targets')), gen2.targets!)).toBe(0);
    });

    it('uploaded bytes the snapshot does not list (someone published after us) are not used: downloaded', async () => {
      const { forge, server, cache, gets, gen2, policy, store } = published();
      const warm = new Updater(store, cache, policy);
      await warm.refresh();
      await warm.commit();
      forge.tag('v3');
      forge.bump('targets', 'snapshot', 'timestamp');
      const gen3 = forge.build();
      server.serve(gen3);
      gets.length = 0;
      const u = new Updater(store, cache, policy, { published: new Map([['targets', gen2.targets!]]) });
      const set = await u.refresh();
      expect(gets).toEqual(['timestamp', 'snapshot.<sha256>', 'targets.<sha256>']);
      expect(Object.keys(set.targets('targets')!.signed.targets).sort()).toEqual(['v1', 'v2', 'v3']);
      await u.commit();
      expect(Buffer.compare(readFileSync(cache.pathOf('targets')), gen3.targets!)).toBe(0);
    });

    it('uploaded bytes signed by a key the root does not trust are refused like downloaded ones', async () => {
      const { forge, server, cache, policy, store } = published();
      const warm = new Updater(store, cache, policy);
      await warm.refresh();
      await warm.commit();
      const evil = forge.build({ signers: { targets: [newKey()] } });
      server.serve(evil);
      const u = new Updater(store, cache, policy, { published: new Map([['targets', evil.targets!]]) });
      await expect(u.refresh()).rejects.toMatchObject({ code: 'THRESHOLD', role: 'targets' });
    });
  });

  describe('the timestamp request starts before the cached state verifies (issue 12)', () => {
    /** The real FileStore and MetadataCache, with the order of their reads and requests recorded. */
    function recorded() {
      const { forge, server, cache } = setup();
      server.serve(forge.build());
      const log: string[] = [];
      let fail: Error | undefined;
      const store = Object.assign(Object.create(server.store) as FileStore, {
        getMeta: (name: string, maxBytes: number) => {
          log.push(`get ${name}`);
          return fail ? Promise.reject(fail) : server.store.getMeta(name, maxBytes);
        },
      });
      const logged = Object.assign(Object.create(cache) as MetadataCache, {
        readSync: (role: string) => {
          log.push(`read ${role}`);
          return cache.readSync(role);
        },
      });
      const policy = { gun: forge.gun, now: () => forge.baseMs };
      const updater = (offline = false) => new Updater(store, logged, policy, { offline });
      return { cache, log, updater, failWith: (e: Error) => (fail = e) };
    }

    it('a warm update asks for the timestamp right after reading the cached root', async () => {
      const { log, updater } = recorded();
      const cold = updater();
      await cold.refresh();
      await cold.commit();
      log.length = 0;
      await updater().refresh();
      expect(log).toEqual(['read root', 'get timestamp', 'read timestamp', 'read snapshot', 'read targets']);
    });

    it('a cached root that does not verify is the error, not the request in flight', async () => {
      const { cache, log, updater, failWith } = recorded();
      const cold = updater();
      await cold.refresh();
      await cold.commit();
      const root = readFileSync(cache.pathOf('root'), 'utf8');
      writeFileSync(cache.pathOf('root'), root.replace('"version":1', '"version":7'));
      failWith(new NetworkError('NETWORK', 'unreachable'));
      log.length = 0;
      await expect(updater().refresh()).rejects.toMatchObject({ role: 'root' });
      expect(log).toEqual(['read root', 'get timestamp']); // requested, then dropped unawaited
    });

    it('a failed early request is the error of a cache that verifies; offline never asks', async () => {
      const { updater, failWith, log } = recorded();
      const cold = updater();
      await cold.refresh();
      await cold.commit();
      failWith(new NetworkError('NETWORK', 'unreachable'));
      await expect(updater().refresh()).rejects.toMatchObject({ code: 'NETWORK' });
      failWith(new Error('offline must not fetch'));
      log.length = 0;
      await updater(true).refresh();
      expect(log).toEqual(['read root', 'read timestamp', 'read snapshot', 'read targets']);
    });
  });
});
