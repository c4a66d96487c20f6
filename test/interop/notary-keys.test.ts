// Key files against the real notary CLI (no server needed): files notary writes are listed, decrypted and
// used by us with the key ids notary prints; files we write are listed by notary and decrypted by it
// (`key passwd` decrypts and re-encrypts, `key import`/`key export` round-trip them).
import { spawnSync } from 'node:child_process';
import { constants, createPublicKey, generateKeyPairSync, verify } from 'node:crypto';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { generateSigner } from '../../src/crypto/signers.js';
import { decodePem, encodePem } from '../../src/encoding/pem.js';
import { inspectKeyFile, readKeyFile, writeKeyFile } from '../../src/keys/keyfile.js';
import { KeyStore } from '../../src/keys/keystore.js';
import { envPassphraseProvider } from '../../src/keys/passphrase.js';
import { DEFAULT_PBKDF2_ITERATIONS, parseEncryptedPkcs8 } from '../../src/keys/pkcs8.js';
import { tempDir } from '../support/temp.js';

const PASS = {
  NOTARY_ROOT_PASSPHRASE: 'root-pass-1',
  NOTARY_TARGETS_PASSPHRASE: 'targets-pass-2',
  NOTARY_SNAPSHOT_PASSPHRASE: 'snapshot-pass-3',
  NOTARY_DELEGATION_PASSPHRASE: 'delegation-pass-4',
};
const FAST = 1000;

const fresh = (): string => tempDir('ct-notary-keys-');

function notary(trustDir: string, args: string[]): string {
  const home = fresh();
  const r = spawnSync('notary', ['-d', trustDir, ...args], {
    encoding: 'utf8',
    env: { PATH: process.env.PATH ?? '/usr/bin:/bin', HOME: home, ...PASS },
    timeout: 60_000,
  });
  if (r.error) throw r.error;
  if (r.status !== 0)
    throw new Error(`notary ${args.join(' ')} failed (${r.status}):\n${r.stderr}${r.stdout}`);
  return r.stdout;
}

interface Listed {
  role: string;
  gun: string;
  keyId: string;
}

/** Parses `notary key list` (ROLE GUN KEYID LOCATION, GUN may be blank). */
function notaryKeyList(trustDir: string): Listed[] {
  const out = notary(trustDir, ['key', 'list']);
  const rows: Listed[] = [];
  for (const line of out.split('\n')) {
    const f = line.trim().split(/\s+/);
    const id = f.find((x) => /^[0-9a-f]{64}$/.test(x));
    if (!id) continue;
    const idx = f.indexOf(id);
    rows.push({ role: f[0] as string, gun: idx === 2 ? (f[1] as string) : '', keyId: id });
  }
  return rows.sort((a, b) => (a.keyId < b.keyId ? -1 : 1));
}

async function ourList(trustDir: string): Promise<Listed[]> {
  const store = new KeyStore(trustDir, { passphrase: envPassphraseProvider(PASS) });
  return (await store.list())
    .map((k) => ({ role: k.role, gun: k.gun ?? '', keyId: k.keyId }))
    .sort((a, b) => (a.keyId < b.keyId ? -1 : 1));
}

describe('notary → content-trust', () => {
  it('lists, decrypts and signs with keys notary generated and imported', async () => {
    const dir = fresh();
    notary(dir, ['key', 'generate', 'ecdsa', '--role', 'root']);
    notary(dir, ['key', 'generate', 'ecdsa', '--role', 'targets']);
    // ed25519 and RSA keys can only enter notary's store through import (legacy PEM forms)
    const ed = generateSigner('ed25519');
    const edPub = Buffer.from(ed.publicKey.publicB64, 'base64');
    const edPem = join(dir, 'ed.pem');
    writeFileSync(
      edPem,
      encodePem({ type: 'ED25519 PRIVATE KEY', bytes: Buffer.concat([edPub, ed.ed25519Seed(), edPub]) }),
    );
    notary(dir, ['key', 'import', edPem, '--role', 'targets/releases']);
    const rsaPem = join(dir, 'rsa.pem');
    const rsa = generateKeyPairSync('rsa', { modulusLength: 2048 }).privateKey;
    writeFileSync(rsaPem, String(rsa.export({ format: 'pem', type: 'pkcs1' })));
    notary(dir, ['key', 'import', rsaPem, '--role', 'snapshot', '--gun', 'example.com/org/app']);

    const listed = notaryKeyList(dir);
    expect(listed.map((k) => k.role).sort()).toEqual(['root', 'snapshot', 'targets', 'targets/releases']);
    expect(await ourList(dir)).toEqual(listed);
    expect(listed.find((k) => k.role === 'targets/releases')?.keyId).toBe(ed.publicKey.id);

    const store = new KeyStore(dir, { passphrase: envPassphraseProvider(PASS) });
    for (const k of listed) {
      const { key } = await store.load(k.keyId);
      expect(key.publicKey.id).toBe(k.keyId);
      const msg = new TextEncoder().encode(`payload for ${k.role}`);
      const sig = key.sign(msg);
      const pub = createPublicKey(key.keyObject);
      const ok =
        key.algorithm === 'ecdsa'
          ? verify('sha256', msg, { key: pub, dsaEncoding: 'ieee-p1363' }, sig)
          : key.algorithm === 'ed25519'
            ? verify(null, msg, pub, sig)
            : verify(
                'sha256',
                msg,
                { key: pub, padding: constants.RSA_PKCS1_PSS_PADDING, saltLength: 32 },
                sig,
              );
      expect(ok).toBe(true);
    }
  });

  it('reads `notary key generate -o` output and matches its public key file', async () => {
    const dir = fresh();
    notary(dir, ['key', 'generate', 'ecdsa', '--role', 'alice', '-o', join(dir, 'alice')]);
    const { key, role } = await readKeyFile(
      readFileSync(join(dir, 'alice-key.pem'), 'utf8'),
      PASS.NOTARY_DELEGATION_PASSPHRASE,
    );
    expect(role).toBe('alice');
    const pub = decodePem(readFileSync(join(dir, 'alice.pem'), 'utf8'), ['PUBLIC KEY']);
    expect(key.publicKey.publicB64).toBe(Buffer.from(pub.bytes).toString('base64'));
    const msg = new TextEncoder().encode('x');
    const spki = createPublicKey({ key: Buffer.from(pub.bytes), format: 'der', type: 'spki' });
    expect(verify('sha256', msg, { key: spki, dsaEncoding: 'ieee-p1363' }, key.sign(msg))).toBe(true);
  });
});

describe('content-trust → notary', () => {
  it('notary lists our key files and decrypts them (key passwd), including the default iteration count', async () => {
    const dir = fresh();
    const slow = new KeyStore(dir, { passphrase: envPassphraseProvider(PASS) }); // default iterations
    const fast = new KeyStore(dir, { passphrase: envPassphraseProvider(PASS), iterations: FAST });
    const root = generateSigner('ecdsa');
    const targets = generateSigner('ed25519');
    const snapshot = generateSigner('rsa');
    const alice = generateSigner('ecdsa');
    await slow.add(root, { role: 'root' });
    await fast.add(targets, { role: 'targets', gun: 'docker.io/library/app' });
    await fast.add(snapshot, { role: 'snapshot', gun: 'docker.io/library/app' });
    await fast.add(alice, { role: 'targets/alice' });
    const rootFile = await slow.readFile(root.publicKey.id);
    expect(parseEncryptedPkcs8(decodePem(rootFile).bytes).iterations).toBe(DEFAULT_PBKDF2_ITERATIONS);

    const listed = notaryKeyList(dir);
    expect(listed).toEqual(await ourList(dir));
    expect(listed.map((k) => [k.role, k.gun]).sort()).toEqual([
      ['root', ''],
      ['snapshot', 'docker.io/library/app'],
      ['targets', 'docker.io/library/app'],
      ['targets/alice', ''],
    ]);

    for (const signer of [root, targets, snapshot, alice]) {
      const t = Date.now();
      const out = notary(dir, ['key', 'passwd', signer.publicKey.id]);
      if (signer === root)
        console.info(`notary unlocked a ${DEFAULT_PBKDF2_ITERATIONS}-iteration key in ${Date.now() - t} ms`);
      expect(out).toContain(`Successfully updated passphrase for key ID: ${signer.publicKey.id}`);
    }
    // notary rewrote them (2048 iterations, its own encoder); we still read them as the same keys
    const reread = new KeyStore(dir, { passphrase: envPassphraseProvider(PASS) });
    for (const signer of [root, targets, snapshot, alice]) {
      const file = await reread.readFile(signer.publicKey.id);
      expect(parseEncryptedPkcs8(decodePem(file).bytes).iterations).toBe(2048);
      expect((await reread.load(signer.publicKey.id)).key.publicKey.id).toBe(signer.publicKey.id);
    }
  });

  it('notary imports our exported PEM (path header) and exports keys we can read', async () => {
    const src = fresh();
    const key = generateSigner('ecdsa');
    const pem = await writeKeyFile(key, {
      role: 'targets',
      gun: 'example.com/a/b',
      passphrase: PASS.NOTARY_TARGETS_PASSPHRASE,
      path: key.publicKey.id,
      iterations: FAST,
    });
    const file = join(src, 'export.pem');
    writeFileSync(file, pem);
    const dst = fresh();
    notary(dst, ['key', 'import', file]);
    expect(notaryKeyList(dst)).toEqual([
      { role: 'targets', gun: 'example.com/a/b', keyId: key.publicKey.id },
    ]);

    const exported = notary(dst, ['key', 'export', '--key', key.publicKey.id]);
    const info = inspectKeyFile(exported);
    expect(info).toMatchObject({
      role: 'targets',
      gun: 'example.com/a/b',
      path: key.publicKey.id,
      encrypted: true,
    });
    const back = await readKeyFile(exported, PASS.NOTARY_TARGETS_PASSPHRASE);
    expect(back.key.publicKey.id).toBe(key.publicKey.id);
  });
});
