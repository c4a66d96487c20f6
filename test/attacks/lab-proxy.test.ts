/**
 * Attacks on GENUINE metadata: a repository created by the real notary CLI on
 * the real notary-server (ECDSA server keys via notary-signer, and ed25519
 * server keys in-process), reached through a tampering proxy that replays
 * older genuine versions captured after each publish, swaps, truncates or
 * corrupts files, and misbehaves at the HTTP level. Each attack must end in a
 * TrustError with the right code and leave the trust dir byte-identical; after
 * each one the same trust dir must still verify against the honest server.
 */

import { cpSync, readFileSync } from 'node:fs';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { type VerifyOptions, verify } from '../../src/client/verify.js';
import { TrustError } from '../../src/errors.js';
import {
  freshGun,
  getLab,
  type LabInfo,
  type LabName,
  notaryGet,
  runNotary,
  tempDir,
} from '../harness/lab.js';
import { envelope, newKey, openFile } from '../support/forge.js';
import { TamperProxy } from '../support/tamper-proxy.js';
import { treeSnapshot } from '../support/tree-snapshot.js';

const LABS: LabName[] = ['remote', 'local'];
const DAY = 24 * 3600_000;

type Generation = Record<'timestamp' | 'snapshot' | 'targets', Buffer>;

async function fetchGenuine(lab: LabInfo, gun: string, name: string): Promise<Buffer> {
  const res = await notaryGet(lab, `/v2/${gun}/_trust/tuf/${name}.json`, gun);
  if (res.status !== 200) throw new Error(`GET ${name}.json: ${res.status}`);
  return res.body;
}

async function capture(lab: LabInfo, gun: string): Promise<Generation> {
  return {
    timestamp: await fetchGenuine(lab, gun, 'timestamp'),
    snapshot: await fetchGenuine(lab, gun, 'snapshot'),
    targets: await fetchGenuine(lab, gun, 'targets'),
  };
}

const versionOf = (b: Uint8Array) => (openFile(b).signed.version as number) ?? 0;

/**
 * The code a substituted checksum-named file must produce. The fetch is capped at
 * the length the parent lists (TOO_LARGE past it, before anything is parsed);
 * then the length, then the hashes are compared (LENGTH_MISMATCH, HASH_MISMATCH).
 */
function substitutionCode(served: Uint8Array, listed: Uint8Array): string {
  if (served.length > listed.length) return 'TOO_LARGE';
  if (served.length < listed.length) return 'LENGTH_MISMATCH';
  return 'HASH_MISMATCH';
}

describe.each(LABS)('attacks on genuine notary metadata (%s lab)', (labName) => {
  let lab: LabInfo;
  let proxy: TamperProxy;
  let gun: string;
  const gens: Generation[] = [];
  let roots: Buffer[] = [];
  /** Verified generation 2 (tags t1, t2); the server is at generation 3 (t3). */
  let warmDir: string;

  beforeAll(async () => {
    lab = getLab(labName);
    proxy = await TamperProxy.start({
      upstream: { url: lab.notaryUrl, ca: readFileSync(lab.caCert, 'utf8') },
    });
    gun = freshGun(lab, 'atk');
    const pub = tempDir();
    const n = (args: string[]) => {
      const r = runNotary(lab, args, { trustDir: pub });
      if (r.status !== 0) throw new Error(`notary ${args.join(' ')}: ${r.stderr}`);
    };
    n(['init', gun, '-p']);
    n(['key', 'rotate', gun, 'snapshot', '-r']);
    roots = [await fetchGenuine(lab, gun, '1.root'), await fetchGenuine(lab, gun, '2.root')];
    for (const [i, tag] of ['t1', 't2', 't3'].entries()) {
      n(['addhash', gun, tag, String(100 + i), '--sha256', String(i + 1).repeat(64), '-p']);
      gens.push(await capture(lab, gun));
      if (tag === 't2') {
        warmDir = tempDir();
        await verify(`${gun}:t2`, opts(warmDir));
      }
    }
    for (let i = 1; i < gens.length; i++) {
      expect(versionOf(gens[i]!.timestamp)).toBeGreaterThan(versionOf(gens[i - 1]!.timestamp));
      expect(versionOf(gens[i]!.snapshot)).toBeGreaterThan(versionOf(gens[i - 1]!.snapshot));
      expect(versionOf(gens[i]!.targets)).toBeGreaterThan(versionOf(gens[i - 1]!.targets));
    }
  });
  afterAll(async () => {
    await proxy?.close();
  });
  afterEach(() => proxy.reset());

  function opts(trustDir: string, extra: Partial<VerifyOptions> = {}): VerifyOptions {
    return { server: proxy.url, tlsCaCert: proxy.ca, trustDir, ...extra };
  }

  /** A copy of the warm trust dir (one generation behind the server). */
  function warm(): string {
    const d = tempDir();
    cpSync(warmDir, d, { recursive: true });
    return d;
  }

  /** The attack fails with `code` (and `role`), the trust dir is unchanged, and it still works honestly. */
  async function rejected(
    dir: string,
    code: string,
    role?: string,
    extra: Partial<VerifyOptions> = {},
  ): Promise<TrustError & { requested: string[] }> {
    const before = treeSnapshot(dir);
    const err = await verify(`${gun}:t3`, opts(dir, extra)).then(
      () => undefined,
      (e: unknown) => e,
    );
    expect(err, 'the attack was accepted').toBeInstanceOf(TrustError);
    const te = err as TrustError;
    expect(te.code, te.message).toBe(code);
    if (role !== undefined) expect(te.role, te.message).toBe(role);
    expect(treeSnapshot(dir), 'the trust dir changed').toEqual(before);
    const requested = proxy.requestedNames();
    proxy.reset();
    const honest = await verify(`${gun}:t3`, opts(dir));
    expect(honest.size).toBe(102);
    return Object.assign(te, { requested });
  }

  describe('rollback and freeze', () => {
    it('the older genuine timestamp after a newer one was trusted: ROLLBACK', async () => {
      proxy.on('timestamp', { body: gens[0]!.timestamp }, 'plain');
      await rejected(warm(), 'ROLLBACK', 'timestamp');
    });

    it('a whole older generation: a first-time client cannot tell (TOFU), a client that saw a newer one can', async () => {
      // notary-server still serves generation 1 by checksum: only timestamp.json must change
      proxy.on('timestamp', { body: gens[0]!.timestamp }, 'plain');
      const fresh = tempDir();
      expect((await verify(`${gun}:t1`, opts(fresh))).size).toBe(100);
      const missing = await verify(`${gun}:t3`, opts(fresh)).catch((e: unknown) => e);
      expect((missing as TrustError).code).toBe('NOT_SIGNED');
      proxy.clearLog();
      const e = await rejected(warm(), 'ROLLBACK', 'timestamp');
      expect(e.version).toBe(versionOf(gens[0]!.timestamp));
      expect(e.requested).toEqual(['timestamp']);
    });

    it('replaying the older root as the next root version: ROLLBACK of root', async () => {
      // A corrupted timestamp signature makes the client look for a newer root (key rotation), and
      // the attacker answers 3.root with a genuine older (or the current) root.
      const ts = openFile(gens[2]!.timestamp);
      const sig = Buffer.from(ts.signatures[0]!.sig, 'base64');
      sig[5]! ^= 0xff;
      const corrupted = envelope(ts.signed, [{ ...ts.signatures[0]!, sig: sig.toString('base64') }]);
      for (const old of roots) {
        proxy.reset();
        proxy.on('timestamp', { body: corrupted }, 'plain');
        proxy.on('root', { body: old }, 'version');
        const e = await rejected(warm(), 'ROLLBACK', 'root');
        expect(e.version).toBe(versionOf(old));
      }
    });

    it('a frozen server (genuine timestamp past its 14-day expiry): EXPIRED', async () => {
      const later = { now: () => Date.now() + 15 * DAY };
      await rejected(warm(), 'EXPIRED', 'timestamp', later);
      // a first-time client too; it caches nothing
      const fresh = tempDir();
      const err = await verify(`${gun}:t3`, opts(fresh, later)).catch((e: unknown) => e);
      expect((err as TrustError).code).toBe('EXPIRED');
      expect(treeSnapshot(fresh)).toEqual({});
    });
  });

  describe('mix-and-match and corrupted files', () => {
    it('an older genuine snapshot served under the current checksum name', async () => {
      for (const old of [gens[0]!.snapshot, gens[1]!.snapshot]) {
        proxy.reset();
        proxy.on('snapshot', { body: old }, 'checksum');
        await rejected(warm(), substitutionCode(old, gens[2]!.snapshot), 'snapshot');
      }
    });

    it('an older genuine targets served under the current checksum name', async () => {
      proxy.on('targets', { body: gens[0]!.targets }, 'checksum');
      await rejected(warm(), substitutionCode(gens[0]!.targets, gens[2]!.targets), 'targets');
    });

    it('the genuine targets with one byte changed, one byte missing, one byte added', async () => {
      const good = gens[2]!.targets;
      const flipped = Buffer.from(good);
      flipped[Math.floor(good.length / 2)]! ^= 0x01;
      proxy.on('targets', { body: flipped }, 'checksum');
      await rejected(warm(), 'HASH_MISMATCH', 'targets');
      proxy.on('targets', { body: good.subarray(0, good.length - 1) }, 'checksum');
      await rejected(warm(), 'LENGTH_MISMATCH', 'targets');
      proxy.on('targets', { body: Buffer.concat([good, Buffer.from(' ')]) }, 'checksum');
      await rejected(warm(), 'TOO_LARGE', 'targets');
    });

    it('the timestamp names a snapshot the server does not have (404): BAD_METADATA', async () => {
      proxy.on('snapshot', { status: 404, body: '{"errors":[{"code":"METADATA_NOT_FOUND"}]}' });
      const e = await rejected(warm(), 'BAD_METADATA', 'snapshot');
      expect(e.message).toMatch(/missing/);
    });

    it('genuine metadata of another role in the timestamp slot: WRONG_TYPE', async () => {
      proxy.on('timestamp', { body: gens[2]!.snapshot }, 'plain');
      await rejected(warm(), 'WRONG_TYPE', 'timestamp');
      proxy.on('timestamp', { body: gens[2]!.targets }, 'plain');
      await rejected(warm(), 'WRONG_TYPE', 'timestamp');
    });

    it('malformed JSON, invalid UTF-8 and an empty body for timestamp.json: BAD_METADATA', async () => {
      const good = gens[2]!.timestamp;
      const bodies = [
        good.subarray(0, good.length - 1), // cut before the final }
        Buffer.concat([good.subarray(0, 20), Buffer.from([0xff, 0xfe]), good.subarray(22)]),
        Buffer.alloc(0),
        Buffer.from('null'),
      ];
      for (const body of bodies) {
        proxy.reset();
        proxy.on('timestamp', { body }, 'plain');
        await rejected(warm(), 'BAD_METADATA', 'timestamp');
      }
    });
  });

  describe('signatures on genuine bodies', () => {
    it('the genuine timestamp body re-signed by a key the root does not list: THRESHOLD', async () => {
      const { signed } = openFile(gens[2]!.timestamp);
      const stranger = newKey(labName === 'local' ? 'ed25519' : 'ecdsa');
      proxy.on('timestamp', { body: envelope(signed, [stranger.signature(signed)]) }, 'plain');
      await rejected(warm(), 'THRESHOLD', 'timestamp');
    });

    it("a stranger's signature under the server key's id: BAD_SIGNATURE", async () => {
      const { signed, signatures } = openFile(gens[2]!.timestamp);
      const stranger = newKey(labName === 'local' ? 'ed25519' : 'ecdsa');
      const forged = { ...stranger.signature(signed), keyid: signatures[0]!.keyid };
      proxy.on('timestamp', { body: envelope(signed, [forged]) }, 'plain');
      await rejected(warm(), 'BAD_SIGNATURE', 'timestamp');
    });

    it('a genuine signature kept while the body changes (longer expiry): BAD_SIGNATURE', async () => {
      const { signed, signatures } = openFile(gens[2]!.timestamp);
      const edited = { ...signed, expires: '2099-01-01T00:00:00Z' };
      proxy.on('timestamp', { body: envelope(edited, signatures) }, 'plain');
      await rejected(warm(), 'BAD_SIGNATURE', 'timestamp');
    });

    it('no signatures at all (null and []): THRESHOLD', async () => {
      const { signed } = openFile(gens[2]!.timestamp);
      proxy.on('timestamp', { body: envelope(signed, null) }, 'plain');
      await rejected(warm(), 'THRESHOLD', 'timestamp');
      proxy.on('timestamp', { body: envelope(signed, []) }, 'plain');
      await rejected(warm(), 'THRESHOLD', 'timestamp');
    });
  });

  describe('hostile HTTP', () => {
    it('an endless chunked timestamp, an endless root, and a 2 MiB Content-Length: TOO_LARGE', async () => {
      proxy.on('timestamp', { endless: {} }, 'plain');
      await rejected(warm(), 'TOO_LARGE', 'timestamp');

      proxy.on('root', { endless: {} });
      const fresh = tempDir();
      const e = await verify(`${gun}:t3`, opts(fresh)).catch((x: unknown) => x);
      expect((e as TrustError).code).toBe('TOO_LARGE');
      expect(treeSnapshot(fresh)).toEqual({});
      proxy.reset();

      // declared too large: refused from the headers, long before the body would arrive
      proxy.on('timestamp', { drip: { chunk: ' ', everyMs: 1000, contentLength: 2 << 20 } }, 'plain');
      const t0 = Date.now();
      await rejected(warm(), 'TOO_LARGE', 'timestamp');
      expect(Date.now() - t0).toBeLessThan(900);
    });

    it('a server that drips bytes or never answers: TIMEOUT within the deadline', async () => {
      const deadlineMs = 300;
      proxy.on('timestamp', { drip: { chunk: ' ', everyMs: 20 } }, 'plain');
      let t0 = Date.now();
      await rejected(warm(), 'TIMEOUT', undefined, { deadlineMs });
      expect(Date.now() - t0).toBeLessThan(deadlineMs + 1500);

      proxy.on('snapshot', { hang: true }, 'checksum');
      t0 = Date.now();
      await rejected(warm(), 'TIMEOUT', undefined, { deadlineMs });
      expect(Date.now() - t0).toBeLessThan(deadlineMs + 1500);
    });

    it('a slow but honest server within the deadline is fine', async () => {
      proxy.on('timestamp', { delayMs: 150, reply: 'pass' }, 'plain');
      const res = await verify(`${gun}:t3`, opts(warm(), { deadlineMs: 2000 }));
      expect(res.size).toBe(102);
    });

    it('5xx answers: SERVER_ERROR after bounded retries; 403: AUTH', async () => {
      proxy.on('timestamp', { status: 503, body: 'unavailable' }, 'plain');
      const t0 = Date.now();
      const { requested } = await rejected(warm(), 'SERVER_ERROR', undefined);
      expect(Date.now() - t0).toBeLessThan(5000);
      const tries = requested.filter((name) => name === 'timestamp').length;
      expect(tries).toBeGreaterThanOrEqual(1);
      expect(tries).toBeLessThanOrEqual(3);

      proxy.on('snapshot', { status: 403, body: '{"errors":[{"code":"DENIED"}]}' }, 'checksum');
      await rejected(warm(), 'AUTH', undefined);
    });
  });
});
