/**
 * A tiny TUF 1.0 repository builder for the client's unit tests: ed25519 keys
 * from node:crypto, signatures over securesystemslib canonical JSON. It writes
 * only what the tests need; the project's real signing side is elsewhere.
 */

import { createHash, generateKeyPairSync, type KeyObject, sign } from 'node:crypto';
import { olpcCanonicalBytes } from '../../src/encoding/olpc.js';

export interface TestKey {
  id: string;
  json: { keytype: 'ed25519'; scheme: 'ed25519'; keyval: { public: string } };
  priv: KeyObject;
}

export function newKey(): TestKey {
  const { publicKey, privateKey } = generateKeyPairSync('ed25519');
  const raw = Buffer.from(publicKey.export({ format: 'jwk' }).x!, 'base64url').toString('hex');
  const json = { keytype: 'ed25519' as const, scheme: 'ed25519' as const, keyval: { public: raw } };
  const id = createHash('sha256').update(olpcCanonicalBytes(json)).digest('hex');
  return { id, json, priv: privateKey };
}

export const FAR = '2099-01-01T00:00:00Z';
export const PAST = '2001-01-01T00:00:00Z';

/** Signs `signed` with `keys` (optionally under other key ids) and returns the document bytes. */
export function signDoc(signed: object, keys: TestKey[], ids?: string[]): Uint8Array {
  const msg = olpcCanonicalBytes(signed);
  const signatures = keys.map((k, i) => ({
    keyid: ids?.[i] ?? k.id,
    sig: sign(null, msg, k.priv).toString('hex'),
  }));
  return Buffer.from(JSON.stringify({ signatures, signed }, null, 1));
}

export function metaOf(
  bytes: Uint8Array,
  version: number,
): { version: number; length: number; hashes: { sha256: string } } {
  return {
    version,
    length: bytes.length,
    hashes: { sha256: createHash('sha256').update(bytes).digest('hex') },
  };
}

export interface RootOpts {
  version?: number;
  expires?: string;
  consistent?: boolean;
  extra?: object;
}

export class TestRepo {
  keys = { root: [newKey()], timestamp: [newKey()], snapshot: [newKey()], targets: [newKey()] };
  thresholds = { root: 1, timestamp: 1, snapshot: 1, targets: 1 };

  rootSigned(o: RootOpts = {}): Record<string, unknown> {
    const keys: Record<string, unknown> = {};
    const roles: Record<string, unknown> = {};
    for (const [role, list] of Object.entries(this.keys)) {
      for (const k of list) keys[k.id] = k.json;
      roles[role] = {
        keyids: list.map((k) => k.id),
        threshold: this.thresholds[role as keyof TestRepo['thresholds']],
      };
    }
    return {
      _type: 'root',
      spec_version: '1.0.31',
      version: o.version ?? 1,
      expires: o.expires ?? FAR,
      consistent_snapshot: o.consistent ?? false,
      keys,
      roles,
      ...o.extra,
    };
  }

  root(o: RootOpts = {}, signers = this.keys.root): Uint8Array {
    return signDoc(this.rootSigned(o), signers);
  }

  timestamp(version: number, snapshot: { version: number; length?: number; hashes?: object }, expires = FAR) {
    const signed = {
      _type: 'timestamp',
      spec_version: '1.0.31',
      version,
      expires,
      meta: { 'snapshot.json': snapshot },
    };
    return signDoc(signed, this.keys.timestamp);
  }

  snapshot(version: number, meta: Record<string, object>, expires = FAR) {
    const signed = { _type: 'snapshot', spec_version: '1.0.31', version, expires, meta };
    return signDoc(signed, this.keys.snapshot);
  }

  targets(
    version: number,
    targets: Record<string, object>,
    delegations?: object,
    signers = this.keys.targets,
    expires = FAR,
  ) {
    const signed: Record<string, unknown> = {
      _type: 'targets',
      spec_version: '1.0.31',
      version,
      expires,
      targets,
    };
    if (delegations) signed.delegations = delegations;
    return signDoc(signed, signers);
  }
}

export function targetEntry(content: Uint8Array): { length: number; hashes: { sha256: string } } {
  return { length: content.length, hashes: { sha256: createHash('sha256').update(content).digest('hex') } };
}
