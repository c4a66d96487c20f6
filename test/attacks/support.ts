/** Fixture for the attack suite: a repository the test fully controls, served by a TamperServer. */

import { createHash, randomBytes } from 'node:crypto';
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import type { VerifyOptions } from '../../src/client/verify.js';
import type { Signer } from '../../src/crypto/types.js';
import { KeyStore } from '../../src/keys/keystore.js';
import { staticPassphraseProvider } from '../../src/keys/passphrase.js';
import { fileMetaOf, signMetadata, timestampBody } from '../../src/metadata/build.js';
import type { SignedBody } from '../../src/metadata/model.js';
import { parseMetadata, parseRoot } from '../../src/metadata/parse.js';
import { heldSigners } from '../../src/publish/keys.js';
import { initRepository, signTags } from '../../src/publish/workflows.js';
import { tempDir } from '../harness/lab.js';
import { TamperServer, tamperTls } from '../support/tamper-server.js';

// biome-ignore lint/suspicious/noExplicitAny: attack tests edit documents freely
type Loose = Record<string, any>;

export const digestOf = (s: string) => `sha256:${createHash('sha256').update(s).digest('hex')}`;

export interface Fixture {
  gun: string;
  server: TamperServer;
  /** Publisher options (file:// store; the test holds every key). */
  pub: {
    server: string;
    trustDir: string;
    passphrase: ReturnType<typeof staticPassphraseProvider>;
    keyIterations: number;
  };
  keystore: KeyStore;
  /** A client's options against the tampering server (its own trust dir). */
  client(trustDir?: string): VerifyOptions;
  /** Current bytes of a served file (`timestamp.json`, `targets.json`, ...). */
  file(name: string): Uint8Array;
  /** Re-signs a role's current document after `edit`, with the held keys (or `signers`). */
  craft(role: string, edit: (signed: Loose) => void, signers?: Signer[]): Promise<Uint8Array>;
  /** Serves `bytes` for a role under its plain and checksum names. */
  serve(role: string, bytes: Uint8Array): void;
  /**
   * Serves changed roles plus a new snapshot and timestamp pointing at them, so
   * an attack on a child reaches the child's own checks.
   */
  rechain(changed: Record<string, Uint8Array>, snapshotEdit?: (s: Loose) => void): Promise<void>;
}

function clone<T>(v: T): T {
  return JSON.parse(JSON.stringify(v)) as T;
}

export async function makeFixture(tags: Record<string, string> = { v1: 'one' }): Promise<Fixture> {
  const repoDir = tempDir();
  const server = new TamperServer(repoDir);
  await server.start();
  const gun = `registry.example.com/attack/app-${randomBytes(4).toString('hex')}`;
  const passphrase = staticPassphraseProvider('attack-suite-passphrase');
  const pub = { server: pathToFileURL(repoDir).href, trustDir: tempDir(), passphrase, keyIterations: 1000 };
  await initRepository(gun, pub);
  await signTags(
    Object.entries(tags).map(([t, c]) => ({ reference: `${gun}:${t}`, digest: digestOf(c), size: c.length })),
    pub,
  );
  const keystore = new KeyStore(pub.trustDir, { passphrase, iterations: 1000 });
  const file = (name: string) => {
    const b = server.overrides.get(name);
    return b?.kind === 'bytes' ? b.body : readFileSync(server.filePath(gun, name));
  };
  const signersFor = async (role: string): Promise<Signer[]> => {
    const root = parseRoot(file('root.json'));
    const r = root.signed.roles[role];
    if (r) return heldSigners(keystore, r.keyids, root.keys);
    const parent = parseMetadata(
      file(`${role.slice(0, role.lastIndexOf('/'))}.json`),
      role.slice(0, role.lastIndexOf('/')),
    );
    const d = (
      parent.signed as { delegations: { roles: { name: string; keyids: string[] }[] } }
    ).delegations.roles.find((x) => x.name === role)!;
    return heldSigners(keystore, d.keyids, parent.keys);
  };
  const serve = (role: string, bytes: Uint8Array) => {
    const hex = createHash('sha256').update(bytes).digest('hex');
    server.overrides.set(`${role}.json`, { kind: 'bytes', body: bytes });
    server.overrides.set(`${role}.${hex}.json`, { kind: 'bytes', body: bytes });
  };
  const craft: Fixture['craft'] = async (role, edit, signers) => {
    const signed = clone(parseMetadata(file(`${role}.json`), role).signed) as Loose;
    edit(signed);
    return signMetadata(role, signed as SignedBody, signers ?? (await signersFor(role))).wireBytes();
  };
  const rechain: Fixture['rechain'] = async (changed, snapshotEdit) => {
    for (const [role, bytes] of Object.entries(changed)) serve(role, bytes);
    const snap = await craft('snapshot', (s) => {
      s.version += 1;
      for (const [role, bytes] of Object.entries(changed))
        if (role !== 'snapshot' && role !== 'timestamp') s.meta[role] = fileMetaOf(bytes);
      snapshotEdit?.(s);
    });
    serve('snapshot', snap);
    const ts = parseMetadata(file('timestamp.json'), 'timestamp');
    const tsBytes = signMetadata(
      'timestamp',
      timestampBody(snap, ts.version + 1, ts.signed.expires),
      await signersFor('timestamp'),
    ).wireBytes();
    serve('timestamp', tsBytes);
  };
  return {
    gun,
    server,
    pub,
    keystore,
    client: (trustDir = tempDir()) => ({ server: server.url, tlsCaCert: tamperTls().cert, trustDir }),
    file,
    craft,
    serve,
    rechain,
  };
}

/** sha256 of every file under a directory, to prove an attack left the cache as it was. */
export function snapshotDir(dir: string): Record<string, string> {
  const out: Record<string, string> = {};
  const walk = (d: string) => {
    let entries: string[];
    try {
      entries = readdirSync(d);
    } catch {
      return;
    }
    for (const e of entries) {
      const p = join(d, e);
      if (statSync(p).isDirectory()) walk(p);
      else out[p.slice(dir.length)] = createHash('sha256').update(readFileSync(p)).digest('hex');
    }
  };
  walk(dir);
  return out;
}
