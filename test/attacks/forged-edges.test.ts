/**
 * Attacks that need metadata signed with keys the test owns (test/support/forge.ts:
 * node:crypto keys, openssl root certificates), served over HTTPS by the
 * tampering server with notary-server's names. Each attack must end in a
 * TrustError with the right code and leave the trust dir byte-identical; each
 * group has a positive control so that the rejections are not vacuous.
 */

import { randomBytes } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { verify } from '../../src/client/verify.js';
import { tempDir } from '../harness/lab.js';
import { Forge, type JsonObject, keyIdOf, newKey, newRootKey, type TestKey } from '../support/forge.js';
import { useForgedLab } from '../support/forged-lab.js';

const DAY = 24 * 3600_000;
const lab = useForgedLab('edges');
const { newGun, opts, publish, warm, rejected } = lab;

/** Replaces the key listed for `role` in a root body by `key` (a JSON key and its listed id). */
function swapRoleKey(body: JsonObject, role: string, id: string, key: JsonObject): void {
  const keys = body.keys as Record<string, JsonObject>;
  const roles = body.roles as Record<string, { keyids: string[] }>;
  for (const old of roles[role]!.keyids) delete keys[old];
  keys[id] = key;
  roles[role]!.keyids = [id];
}

describe('rollback and freeze of each role (older genuine files, re-listed by fresh parents)', () => {
  /** Generation 1 served and kept; generation 2 published and cached by a warm client. */
  async function twoGenerations() {
    const forge = new Forge(newGun('rb'));
    forge.tag('v1');
    const gen1 = publish(forge);
    forge.tag('v2');
    forge.bump('targets');
    publish(forge);
    const dir = await warm(forge, 'v2');
    forge.bump(); // the attacker's fresh snapshot/timestamp versions
    return { forge, gen1, dir };
  }

  it('a newer timestamp listing the older genuine snapshot: ROLLBACK of snapshot', async () => {
    const { forge, gen1, dir } = await twoGenerations();
    publish(forge, { replace: { snapshot: gen1.snapshot! } });
    await rejected(`${forge.gun}:v1`, opts(dir), 'ROLLBACK', 'snapshot');
  });

  it('a newer snapshot listing the older genuine targets: ROLLBACK of targets', async () => {
    const { forge, gen1, dir } = await twoGenerations();
    publish(forge, { replace: { targets: gen1.targets! } });
    await rejected(`${forge.gun}:v1`, opts(dir), 'ROLLBACK', 'targets');
  });

  it('the older genuine timestamp: ROLLBACK of timestamp', async () => {
    const { forge, gen1, dir } = await twoGenerations();
    lab.proxy.on('timestamp', { body: gen1.timestamp! }, 'plain');
    await rejected(`${forge.gun}:v1`, opts(dir), 'ROLLBACK', 'timestamp');
  });

  it.each(['timestamp', 'snapshot', 'targets', 'root'])(
    '%s past its expiry (frozen): EXPIRED',
    async (role) => {
      const forge = new Forge(newGun('exp'));
      forge.tag('v1');
      for (const r of ['timestamp', 'snapshot', 'targets', 'root'])
        forge.expiresMs[r] = forge.baseMs + 30 * DAY;
      forge.expiresMs[role] = forge.baseMs + 2 * DAY;
      publish(forge);
      const frozen = { now: () => forge.baseMs + 3 * DAY };
      await rejected(`${forge.gun}:v1`, opts(tempDir(), frozen), 'EXPIRED', role);
      await rejected(`${forge.gun}:v1`, opts(await warm(forge, 'v1'), frozen), 'EXPIRED', role);
    },
  );
});

describe('thresholds count distinct keys', () => {
  it('targets listing one key id twice with threshold 2, signed twice by that key: THRESHOLD', async () => {
    const forge = new Forge(newGun('dup'));
    forge.tag('v1');
    const t = forge.keys.targets[0]!;
    forge.keys.targets = [t, t];
    forge.thresholds.targets = 2;
    // two different valid ECDSA signatures by the same key, and the same signature twice
    publish(forge, { signers: { targets: [t, t] } });
    await rejected(`${forge.gun}:v1`, opts(tempDir()), 'THRESHOLD', 'targets');
    publish(forge, { signatures: { targets: (b) => [t.signature(b), t.signature(b), t.signature(b)] } });
    await rejected(`${forge.gun}:v1`, opts(tempDir()), 'THRESHOLD', 'targets');
    publish(forge, {
      signatures: {
        targets: (b) => {
          const s = t.signature(b);
          return [s, s];
        },
      },
    });
    await rejected(`${forge.gun}:v1`, opts(tempDir()), 'THRESHOLD', 'targets');
  });

  it('a threshold of 2 is met by two distinct listed keys and not by one listed plus one unlisted', async () => {
    const forge = new Forge(newGun('two'));
    const img = forge.tag('v1');
    const [a, b, stranger] = [newKey(), newKey('ed25519'), newKey()];
    forge.keys.targets = [a, b];
    forge.thresholds.targets = 2;
    publish(forge);
    const ok = await verify(`${forge.gun}:v1`, opts(tempDir()));
    expect(ok.digest).toBe(img.digest);
    expect([...ok.signers].sort()).toEqual([a.id, b.id].sort());

    publish(forge, { signers: { targets: [a, stranger] } });
    await rejected(`${forge.gun}:v1`, opts(tempDir()), 'THRESHOLD', 'targets');
  });

  it('a delegation signed by a key of another delegation (in delegations.keys, not in its keyids): THRESHOLD', async () => {
    const forge = new Forge(newGun('deleg-keys'));
    forge.tag('v1');
    const [alice, bob] = [newKey(), newKey()];
    forge.delegate('targets/releases', [alice]);
    forge.delegate('targets/bob', [bob]);
    const rel = forge.tag('v1', 'released', 'targets/releases');
    publish(forge);
    expect((await verify(`${forge.gun}:v1`, opts(tempDir()))).digest).toBe(rel.digest);
    publish(forge, { signers: { 'targets/releases': [bob] } });
    await rejected(`${forge.gun}:v1`, opts(tempDir()), 'THRESHOLD', 'targets/releases');
  });

  it('a root listing its key twice with threshold 2 and one signer is not trusted on first use', async () => {
    const forge = new Forge(newGun('root-dup'));
    forge.tag('v1');
    const r = forge.keys.root[0]!;
    forge.keys.root = [r, r];
    forge.thresholds.root = 2;
    publish(forge, { signers: { root: [r, r] } });
    const e = await rejected(`${forge.gun}:v1`, opts(tempDir()), 'UNTRUSTED_ROOT', 'root');
    expect(e.message).toMatch(/threshold/i);
  });
});

describe('unusable keys never count', () => {
  const cases: { name: string; key: (k: TestKey) => { id: string; json: JsonObject } }[] = [
    {
      name: 'an unknown key type',
      key: (k) => ({
        id: keyIdOf('ecdsa-sha2-nistp256', k.publicB64),
        json: { keytype: 'ecdsa-sha2-nistp256', keyval: { private: null, public: k.publicB64 } },
      }),
    },
    {
      name: 'an ecdsa key whose public bytes are not an SPKI',
      key: () => {
        const pub = randomBytes(65).toString('base64');
        return {
          id: keyIdOf('ecdsa', pub),
          json: { keytype: 'ecdsa', keyval: { private: null, public: pub } },
        };
      },
    },
    {
      name: 'an ed25519 key of 31 bytes',
      key: () => {
        const pub = randomBytes(31).toString('base64');
        return {
          id: keyIdOf('ed25519', pub),
          json: { keytype: 'ed25519', keyval: { private: null, public: pub } },
        };
      },
    },
    {
      name: 'a key listed under an id that is not its own',
      key: (k) => ({ id: 'ab'.repeat(32), json: k.json() }),
    },
  ];

  it.each(cases)('a timestamp key that is $name: THRESHOLD', async ({ key }) => {
    const forge = new Forge(newGun('keytype'));
    forge.tag('v1');
    const ts = forge.keys.timestamp[0]!;
    const listed = key(ts);
    publish(forge, {
      edit: { root: (b) => swapRoleKey(b, 'timestamp', listed.id, listed.json) },
      // the signature claims the listed id, made by the real private key
      signatures: { timestamp: (b) => [{ ...ts.signature(b), keyid: listed.id }] },
    });
    const e = await rejected(`${forge.gun}:v1`, opts(tempDir()), 'THRESHOLD', 'timestamp');
    expect(e.message).toMatch(/0 valid/);
  });

  it('RSA: a 2048-bit rsapss timestamp key verifies; a 1024-bit one never counts (THRESHOLD)', async () => {
    const forge = new Forge(newGun('rsa'));
    const img = forge.tag('v1');
    forge.keys.timestamp = [newKey('rsa', 2048)];
    publish(forge);
    expect((await verify(`${forge.gun}:v1`, opts(tempDir()))).digest).toBe(img.digest);

    forge.keys.timestamp = [newKey('rsa', 1024)];
    publish(forge);
    await rejected(`${forge.gun}:v1`, opts(tempDir()), 'THRESHOLD', 'timestamp');
  });

  it('root keys must be certificates for the GUN: a bare key or a certificate for another GUN is UNTRUSTED_ROOT', async () => {
    const forge = new Forge(newGun('rootkey'));
    forge.tag('v1');
    const bare = newKey();
    forge.keys.root = [bare];
    publish(forge);
    const e1 = await rejected(`${forge.gun}:v1`, opts(tempDir()), 'UNTRUSTED_ROOT', 'root');
    expect(e1.message).toMatch(/certificate/);

    forge.keys.root = [newRootKey(newGun('someone-else'))];
    publish(forge);
    const e2 = await rejected(`${forge.gun}:v1`, opts(tempDir()), 'UNTRUSTED_ROOT', 'root');
    expect(e2.message).toMatch(/common name/);
  });
});

describe('root rotation', () => {
  async function rotated(): Promise<{ forge: Forge; dir: string; oldKey: TestKey; newKey: TestKey }> {
    const forge = new Forge(newGun('rot'));
    forge.tag('v1');
    publish(forge);
    const dir = await warm(forge, 'v1');
    const oldKey = forge.keys.root[0]!;
    const next = newRootKey(forge.gun);
    forge.keys.root = [next];
    forge.bump('root');
    return { forge, dir, oldKey, newKey: next };
  }

  it('signed by the old key and the new key: accepted from a warm trust dir', async () => {
    const { forge, dir, oldKey, newKey: nk } = await rotated();
    const img = forge.tag('v2');
    forge.bump('targets');
    publish(forge, { signers: { root: [oldKey, nk] } });
    expect((await verify(`${forge.gun}:v2`, opts(dir))).digest).toBe(img.digest);
  });

  it('signed only by the new key, or only by the old key: THRESHOLD', async () => {
    const { forge, dir, oldKey, newKey: nk } = await rotated();
    publish(forge, { signers: { root: [nk] } });
    const e1 = await rejected(`${forge.gun}:v1`, opts(dir), 'THRESHOLD', 'root');
    expect(e1.message).toMatch(/previous root/);
    publish(forge, { signers: { root: [oldKey] } });
    const e2 = await rejected(`${forge.gun}:v1`, opts(dir), 'THRESHOLD', 'root');
    expect(e2.message).toMatch(/new root/);
  });

  it("the new key's signature corrupted: BAD_SIGNATURE", async () => {
    const { forge, dir, oldKey, newKey: nk } = await rotated();
    publish(forge, {
      signatures: {
        root: (b) => {
          const bad = nk.signature(b);
          const raw = Buffer.from(bad.sig, 'base64');
          raw[10]! ^= 0x01;
          return [oldKey.signature(b), { ...bad, sig: raw.toString('base64') }];
        },
      },
    });
    await rejected(`${forge.gun}:v1`, opts(dir), 'BAD_SIGNATURE', 'root');
  });

  it('the snapshot lists a root version the server does not serve by version: HASH_MISMATCH', async () => {
    const { forge, dir, oldKey, newKey: nk } = await rotated();
    forge.bump('root'); // v3 is listed, 2.root never published
    const files = forge.build({ signers: { root: [oldKey, nk] } });
    lab.proxy.serveAll(forge.gun, files);
    await rejected(`${forge.gun}:v1`, opts(dir), 'HASH_MISMATCH', 'root');
  });

  it('the server answers 2.root with version 3 (a skipped version): BAD_METADATA', async () => {
    const { forge, dir, oldKey, newKey: nk } = await rotated();
    forge.bump('root');
    const files = forge.build({ signers: { root: [oldKey, nk] } });
    lab.proxy.serveAll(forge.gun, files);
    lab.proxy.on('root', { body: files.root! }, 'version');
    const e = await rejected(`${forge.gun}:v1`, opts(dir), 'BAD_METADATA', 'root');
    expect(e.message).toMatch(/skipped/);
  });

  it('rotating to a root that is already expired: EXPIRED', async () => {
    const { forge, dir, oldKey, newKey: nk } = await rotated();
    forge.expiresMs.root = forge.baseMs - DAY;
    publish(forge, { signers: { root: [oldKey, nk] } });
    await rejected(`${forge.gun}:v1`, opts(dir), 'EXPIRED', 'root');
  });

  it('threshold 2 in the new root with only one of its keys signing: THRESHOLD', async () => {
    const { forge, dir, oldKey, newKey: nk } = await rotated();
    const second = newRootKey(forge.gun);
    forge.keys.root = [nk, second];
    forge.thresholds.root = 2;
    publish(forge, { signers: { root: [oldKey, nk] } });
    await rejected(`${forge.gun}:v1`, opts(dir), 'THRESHOLD', 'root');
    // control: both new keys sign
    publish(forge, { signers: { root: [oldKey, nk, second] } });
    expect((await verify(`${forge.gun}:v1`, opts(dir))).tag).toBe('v1');
  });
});

describe('an expired cached root', () => {
  it('is refreshed from the server when a newer root exists, else EXPIRED', async () => {
    const forge = new Forge(newGun('root-exp'));
    forge.tag('v1');
    forge.expiresMs.root = forge.baseMs + 10 * DAY;
    publish(forge);
    const dir = await warm(forge, 'v1');
    const later = { now: () => forge.baseMs + 11 * DAY };
    await rejected(`${forge.gun}:v1`, opts(dir, later), 'EXPIRED', 'root');

    // the publisher re-signs the root with a later expiry: the warm client walks to it
    forge.expiresMs.root = forge.baseMs + 100 * DAY;
    forge.bump('root');
    publish(forge);
    expect((await verify(`${forge.gun}:v1`, opts(dir, later))).tag).toBe('v1');
  });
});

describe('delegation paths', () => {
  it('a delegation cannot sign tags outside its paths: the tag comes from targets, or is NOT_SIGNED', async () => {
    const forge = new Forge(newGun('paths'));
    const alice = newKey();
    forge.delegate('targets/releases', [alice], 1, ['rel-']);
    const mine = forge.tag('v1', 'by the admin');
    forge.tag('v1', 'by alice', 'targets/releases');
    forge.tag('other', 'by alice', 'targets/releases');
    const rel = forge.tag('rel-1', 'released', 'targets/releases');
    publish(forge);
    const dir = tempDir();
    const v1 = await verify(`${forge.gun}:v1`, opts(dir));
    expect([v1.digest, v1.role]).toEqual([mine.digest, 'targets']);
    const r = await verify(`${forge.gun}:rel-1`, opts(dir));
    expect([r.digest, r.role]).toEqual([rel.digest, 'targets/releases']);
    await rejected(`${forge.gun}:other`, opts(dir), 'NOT_SIGNED');
  });

  it("a nested delegation is limited to its parent's paths (Notary's RestrictDelegationPathPrefixes)", async () => {
    const forge = new Forge(newGun('nested'));
    forge.tag('base');
    const [alice, bob, carol] = [newKey(), newKey(), newKey()];
    forge.delegate('targets/releases', [alice], 1, ['rel-']);
    // bob's "ev" is outside his parent's "rel-": only "rel-2" survives the restriction
    forge.delegate('targets/releases/bob', [bob], 1, ['rel-2', 'ev']);
    // carol's "" is not prefixed by "rel-": restricted to nothing at all
    forge.delegate('targets/releases/carol', [carol], 1, ['']);
    const inScope = forge.tag('rel-2', 'by bob, in scope', 'targets/releases/bob');
    forge.tag('evil', 'by bob, out of scope', 'targets/releases/bob');
    forge.tag('rel-3', 'by carol', 'targets/releases/carol');
    publish(forge);
    const bobOnly = { roles: ['targets/releases/bob'] };
    const ok = await verify(`${forge.gun}:rel-2`, opts(tempDir(), bobOnly));
    expect([ok.digest, ok.role]).toEqual([inScope.digest, 'targets/releases/bob']);
    await rejected(`${forge.gun}:evil`, opts(tempDir(), bobOnly), 'NOT_SIGNED');
    await rejected(
      `${forge.gun}:rel-3`,
      opts(tempDir(), { roles: ['targets/releases/carol'] }),
      'NOT_SIGNED',
    );
  });
});
