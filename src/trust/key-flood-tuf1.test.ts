/**
 * Issue 10: TUF 1.0 keys maps cost no crypto setup before signature checks, as on the Notary path
 * (key-flood.test.ts, issue 8). Parsing a root or targets document checks each key object's shape,
 * keytype/scheme pair and encoding only; key material (DER SubjectPublicKeyInfo -> node KeyObject)
 * is prepared on first use, and signature checks use only the keys that are listed for the role
 * AND carry a signature, stopping at the threshold.
 *
 * The cost is asserted as a count (never as time): `node:crypto.createPublicKey` is wrapped to count
 * the ECDSA/RSA keys parsed (every ECDSA/RSA key preparation calls it once), and `keyPrepared`
 * tells which key objects were prepared. 0.1.0 parsed every key of the map eagerly.
 */
import { createPublicKey, generateKeyPairSync, randomBytes } from 'node:crypto';
import { beforeEach, describe, expect, it, vi } from 'vitest';
import { FAR, metaOf, newKey, signDoc, TestRepo } from '../../test/support/tuf1-repo.js';
import { keyPrepared } from '../crypto/keys.js';
import type { TufPublicKey } from '../crypto/types.js';
import { parseTuf1, type Tuf1Targets } from '../metadata/tuf1.js';
import { TUF1_DIALECT } from './dialect.js';
import { TrustedMetadataSet } from './trusted-set.js';

vi.mock('node:crypto', async (importOriginal) => {
  const real = await importOriginal<typeof import('node:crypto')>();
  return { ...real, createPublicKey: vi.fn(real.createPublicKey) };
});

const counted = vi.mocked(createPublicKey);
beforeEach(() => {
  counted.mockClear();
});
const ED25519_SPKI = '302a300506032b6570032100';
/** ECDSA/RSA key material parsed so far (ed25519 keys of the real roles aside: node makes a KeyObject to verify). */
function materialParses(): number {
  return counted.mock.calls.filter(([arg]) => {
    const der = (arg as { key?: Uint8Array }).key;
    return !(der instanceof Uint8Array && Buffer.from(der).toString('hex').startsWith(ED25519_SPKI));
  }).length;
}

/** One real P-256 public key (PEM) listed under `valid` ids, and `bogus` ids with garbage DER. */
function floodKeys(valid: number, bogus: number): Record<string, object> {
  const pem = generateKeyPairSync('ec', { namedCurve: 'P-256' })
    .publicKey.export({ type: 'spki', format: 'pem' })
    .toString();
  const junk = `-----BEGIN PUBLIC KEY-----\n${randomBytes(91).toString('base64')}\n-----END PUBLIC KEY-----\n`;
  const out: Record<string, object> = {};
  for (let i = 0; i < valid + bogus; i++) {
    const id = `${i < valid ? 'a' : 'b'}${i.toString(16).padStart(63, '0')}`;
    out[id] = { keytype: 'ecdsa', scheme: 'ecdsa-sha2-nistp256', keyval: { public: i < valid ? pem : junk } };
  }
  return out;
}

const bogusSig = (keyid: string) => ({ keyid, sig: randomBytes(70).toString('hex') });
const prepared = (keys: Iterable<TufPublicKey>) => [...keys].filter(keyPrepared).length;

describe('TUF 1.0 keys maps are prepared lazily (issue 10)', () => {
  it('a root listing 1,000 extra keys (valid and garbage material) prepares only the keys that signed', () => {
    const repo = new TestRepo();
    const flood = floodKeys(500, 500);
    const ids = Object.keys(flood);
    const signed = repo.rootSigned();
    Object.assign(signed.keys as object, flood);
    const roles = signed.roles as Record<string, { keyids: string[] }>;
    roles.root!.keyids.push(...ids);
    // three listed flood keys "sign" first (two valid keys, one garbage), then the real root key
    const real = JSON.parse(Buffer.from(signDoc(signed, repo.keys.root)).toString()).signatures;
    const signatures = [bogusSig(ids[0]!), bogusSig(ids[1]!), bogusSig(ids[999]!), ...real];
    const bytes = Buffer.from(JSON.stringify({ signatures, signed }));

    const parsed = parseTuf1(bytes, 'root');
    expect(parsed.keys.size).toBe(1004);
    expect(materialParses()).toBe(0); // 0.1.0: 1,000 (every ECDSA key parsed on load)
    expect(prepared(parsed.keys.values())).toBe(0);

    let set!: TrustedMetadataSet;
    try {
      set = TrustedMetadataSet.fromRoot(bytes, { gun: 'test' }, 'cache', {}, TUF1_DIALECT);
    } catch (e) {
      console.log((e as Error).stack);
      throw e;
    }
    expect(set.root.version).toBe(1);
    // the three flood keys that carried a signature (the garbage one failed on first use) + the root key
    expect(prepared(set.root.keys.values())).toBe(4);
    expect(materialParses()).toBe(2); // the two valid ones; the garbage DER fails its structure check first
  });

  it('a targets role delegating with 1,000 keys prepares none of them until a delegated role is checked, then only its signer', () => {
    const repo = new TestRepo();
    const delegate = newKey();
    const flood = floodKeys(600, 400);
    const delegations = {
      keys: { ...flood, [delegate.id]: delegate.json },
      roles: [
        {
          name: 'd',
          keyids: [...Object.keys(flood).slice(0, 20), delegate.id],
          threshold: 1,
          terminating: false,
          paths: ['*'],
        },
      ],
    };
    const targets = repo.targets(1, {}, delegations);
    const role = { _type: 'targets', spec_version: '1.0.31', version: 1, expires: FAR, targets: {} };
    const d = signDoc(role, [delegate]);
    const snapshot = repo.snapshot(1, { 'targets.json': metaOf(targets, 1), 'd.json': metaOf(d, 1) });
    const set = TrustedMetadataSet.fromRoot(repo.root(), { gun: 'test' }, 'cache', {}, TUF1_DIALECT);
    set.updateTimestamp(repo.timestamp(1, metaOf(snapshot, 1)));
    set.updateSnapshot(snapshot);
    counted.mockClear();
    const top = set.updateTargets(targets) as unknown as Tuf1Targets;
    const dkeys = [...(top.body.delegations?.keys.values() ?? [])].map((k) => k.key);
    expect(dkeys).toHaveLength(1001);
    expect(prepared(dkeys)).toBe(0);
    expect(materialParses()).toBe(0); // 0.1.0: 1,000
    set.updateTargets(d, 'd', 'targets');
    expect(prepared(dkeys)).toBe(1); // the delegate's ed25519 key, nothing else
    expect(materialParses()).toBe(0);
  });
});
