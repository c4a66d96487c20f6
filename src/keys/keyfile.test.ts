import { createPublicKey, generateKeyPairSync, verify } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { generateSigner } from '../crypto/signers.js';
import { decodePem, encodePem } from '../encoding/pem.js';
import { FormatError, LocalError, TrustError } from '../errors.js';
import { inspectKeyFile, keyIdOf, readKeyFile, writeKeyFile } from './keyfile.js';
import { parseEncryptedPkcs8 } from './pkcs8.js';

const TESTDATA = join(dirname(fileURLToPath(import.meta.url)), '..', '..', 'vectors', 'key-files');
const text = (name: string): string => readFileSync(join(TESTDATA, name), 'utf8');
const FAST = 1000;

describe('reading Notary key files', () => {
  const cases = [
    [
      'notary-ecdsa-targets.key',
      'targetpw',
      'targets',
      undefined,
      'ecdsa',
      'e67f27d4efc41224706e673c8c52e3481023f85cfbe60b4e8cc07b0902d3c0d1',
    ],
    [
      'notary-ecdsa-root.key',
      'rootpw',
      'root',
      undefined,
      'ecdsa',
      'b78e36bcf43bd3cd292681b866106d3fd6ae506605e0842f3354d864029c07ff',
    ],
    [
      'notary-rsa-targets.key',
      'targetpw',
      'targets',
      'example.com/foo',
      'rsa',
      '9fac37eb0fab935843320a09ed82281ec557d56e684518162098c12135cc87e7',
    ],
    [
      'notary-ed25519-alice.key',
      'delpw',
      'alice',
      undefined,
      'ed25519',
      'b1560b3969db99a462480cd0aa2d3c4499cda309f72a74c498408d03b07e4550',
    ],
  ] as const;
  for (const [file, pass, role, gun, alg, id] of cases) {
    it(`${file}: role/gun headers, algorithm and the key id notary lists`, async () => {
      const info = inspectKeyFile(text(file));
      expect(info).toMatchObject({ role, encrypted: true, pemType: 'ENCRYPTED PRIVATE KEY' });
      expect(info.gun).toBe(gun);
      const loaded = await readKeyFile(text(file), pass);
      expect(loaded.key.algorithm).toBe(alg);
      expect(keyIdOf(loaded.key)).toBe(id);
    });
  }

  it('the key from `notary key generate -o` matches its public PEM and signs verifiably', async () => {
    const { key, role } = await readKeyFile(text('notary-ecdsa-alice-key.pem'), 'delpw');
    expect(role).toBe('alice');
    const pub = decodePem(text('notary-ecdsa-alice.pem'), ['PUBLIC KEY']);
    expect(pub.headers.role).toBe('alice');
    expect(key.publicKey.publicB64).toBe(Buffer.from(pub.bytes).toString('base64'));
    const msg = new TextEncoder().encode('{"signed":"bytes"}');
    const sig = key.sign(msg);
    const spki = createPublicKey({ key: Buffer.from(pub.bytes), format: 'der', type: 'spki' });
    expect(verify('sha256', msg, { key: spki, dsaEncoding: 'ieee-p1363' }, sig)).toBe(true);
  });

  it('needs a passphrase for encrypted files and rejects a wrong one', async () => {
    await expect(readKeyFile(text('notary-ecdsa-root.key'), undefined)).rejects.toMatchObject({
      code: 'PASSPHRASE',
    });
    const err = await readKeyFile(text('notary-ecdsa-root.key'), 'not-it', { label: 'b78e36b (root)' }).catch(
      (e: unknown) => e,
    );
    expect(err).toBeInstanceOf(LocalError);
    expect((err as LocalError).message).toBe('wrong passphrase for key b78e36b (root)');
  });
});

describe('writing key files', () => {
  it('writes ENCRYPTED PRIVATE KEY with gun only for targets/snapshot/timestamp', async () => {
    const k = generateSigner('ecdsa');
    const targets = await writeKeyFile(k, {
      role: 'targets',
      gun: 'docker.io/library/x',
      passphrase: 'pw',
      iterations: FAST,
    });
    expect(targets.split('\n').slice(0, 4)).toEqual([
      '-----BEGIN ENCRYPTED PRIVATE KEY-----',
      'gun: docker.io/library/x',
      'role: targets',
      '',
    ]);
    for (const role of ['root', 'targets/releases', 'alice']) {
      const pem = await writeKeyFile(k, {
        role,
        gun: 'docker.io/library/x',
        passphrase: 'pw',
        iterations: FAST,
      });
      expect(inspectKeyFile(pem).gun).toBeUndefined();
      expect(inspectKeyFile(pem).role).toBe(role);
    }
    const back = await readKeyFile(targets, 'pw');
    expect(back.key.publicKey.id).toBe(k.publicKey.id);
    expect(parseEncryptedPkcs8(decodePem(targets).bytes).iterations).toBe(FAST);
  });

  it('round-trips every algorithm, keeps signatures valid', async () => {
    for (const alg of ['ecdsa', 'rsa', 'ed25519'] as const) {
      const k = generateSigner(alg);
      const pem = await writeKeyFile(k, {
        role: 'snapshot',
        gun: 'g',
        passphrase: 'secret',
        iterations: FAST,
      });
      const { key } = await readKeyFile(pem, 'secret');
      expect(key.algorithm).toBe(alg);
      expect(key.publicKey.id).toBe(k.publicKey.id);
      expect(pem).not.toContain('secret');
    }
  });

  it('writes unencrypted PRIVATE KEY (exports) and a path header when asked', async () => {
    const k = generateSigner('ed25519');
    const pem = await writeKeyFile(k, { role: 'alice', passphrase: null, path: k.publicKey.id });
    expect(pem.startsWith(`-----BEGIN PRIVATE KEY-----\npath: ${k.publicKey.id}\nrole: alice\n\n`)).toBe(
      true,
    );
    const info = inspectKeyFile(pem);
    expect(info).toMatchObject({ encrypted: false, path: k.publicKey.id });
    expect((await readKeyFile(pem, undefined)).key.publicKey.id).toBe(k.publicKey.id);
  });

  it('refuses header values that would corrupt the file', async () => {
    const k = generateSigner('ecdsa');
    await expect(writeKeyFile(k, { role: 'a\nb', passphrase: null })).rejects.toBeInstanceOf(LocalError);
  });
});

describe('legacy PEM types', () => {
  it('reads EC PRIVATE KEY and RSA PRIVATE KEY, plain and Proc-Type encrypted', async () => {
    const ec = generateKeyPairSync('ec', { namedCurve: 'prime256v1' }).privateKey;
    const ecPem = String(ec.export({ format: 'pem', type: 'sec1' }));
    expect((await readKeyFile(ecPem, undefined)).key.algorithm).toBe('ecdsa');
    const encEc = String(
      ec.export({ format: 'pem', type: 'sec1', cipher: 'aes-256-cbc', passphrase: 'old-school' }),
    );
    expect(inspectKeyFile(encEc).encrypted).toBe(true);
    const loaded = await readKeyFile(encEc, 'old-school');
    expect(loaded.key.keyObject.equals(ec)).toBe(true);
    await expect(readKeyFile(encEc, 'nope')).rejects.toMatchObject({ code: 'PASSPHRASE' });

    const r = generateKeyPairSync('rsa', { modulusLength: 2048 }).privateKey;
    const rPem = String(r.export({ format: 'pem', type: 'pkcs1' }));
    const withHeaders = rPem.replace('-----\n', '-----\nrole: targets\ngun: a/b\n\n');
    const info = await readKeyFile(withHeaders, undefined);
    expect(info).toMatchObject({ role: 'targets', gun: 'a/b' });
    expect(info.key.algorithm).toBe('rsa');
  });

  it("reads Notary's legacy ED25519 PRIVATE KEY (96 raw bytes)", async () => {
    const k = generateSigner('ed25519');
    const pub = Buffer.from(k.publicKey.publicB64, 'base64');
    const raw = Buffer.concat([pub, k.ed25519Seed(), pub]);
    const pem = encodePem({ type: 'ED25519 PRIVATE KEY', headers: { role: 'targets' }, bytes: raw });
    expect((await readKeyFile(pem, undefined)).key.publicKey.id).toBe(k.publicKey.id);
    const short = encodePem({ type: 'ED25519 PRIVATE KEY', bytes: raw.subarray(0, 64) });
    await expect(readKeyFile(short, undefined)).rejects.toBeInstanceOf(FormatError);
  });

  it('rejects other PEM types and multiple blocks', async () => {
    const cert = encodePem({ type: 'CERTIFICATE', bytes: new Uint8Array(10) });
    expect(() => inspectKeyFile(cert)).toThrow(FormatError);
    const two = text('notary-ecdsa-root.key') + text('notary-ecdsa-targets.key');
    await expect(readKeyFile(two, 'rootpw')).rejects.toBeInstanceOf(FormatError);
  });
});

describe('untrusted key file input', () => {
  it('property: mutated unencrypted key files only throw TrustError', async () => {
    const ed = generateSigner('ed25519');
    const pub = Buffer.from(ed.publicKey.publicB64, 'base64');
    const files = [
      await writeKeyFile(generateSigner('ecdsa'), { role: 'targets', passphrase: null }),
      await writeKeyFile(ed, { role: 'alice', passphrase: null }),
      String(
        generateKeyPairSync('ec', { namedCurve: 'prime256v1' }).privateKey.export({
          format: 'pem',
          type: 'sec1',
        }),
      ),
      encodePem({ type: 'ED25519 PRIVATE KEY', bytes: Buffer.concat([pub, ed.ed25519Seed(), pub]) }),
    ];
    await fc.assert(
      fc.asyncProperty(
        fc.constantFrom(...files),
        fc.array(fc.tuple(fc.nat(2000), fc.constantFrom('A', 'B', '/', '+', '=', '-', ':', '\n', 'z', '0')), {
          minLength: 1,
          maxLength: 4,
        }),
        async (file, edits) => {
          const chars = [...file];
          for (const [i, c] of edits) chars[i % chars.length] = c;
          try {
            await readKeyFile(chars.join(''), undefined);
          } catch (e) {
            expect(e).toBeInstanceOf(TrustError);
          }
        },
      ),
      { numRuns: 1500 },
    );
  });
});
