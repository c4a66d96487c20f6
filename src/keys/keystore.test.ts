import {
  chmodSync,
  copyFileSync,
  mkdirSync,
  readdirSync,
  readFileSync,
  rmSync,
  statSync,
  symlinkSync,
  utimesSync,
  writeFileSync,
} from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { tempDir } from '../../test/support/temp.js';
import { generateSigner } from '../crypto/signers.js';
import { LocalError } from '../errors.js';
import { writeKeyFile } from './keyfile.js';
import { KeyStore } from './keystore.js';
import {
  defaultPassphraseProvider,
  envPassphraseProvider,
  type PassphraseRequest,
  staticPassphraseProvider,
} from './passphrase.js';

const TESTDATA = join(dirname(fileURLToPath(import.meta.url)), '..', '..', 'vectors', 'key-files');
const fresh = (): string => tempDir('ct-keystore-');
const FAST = 1000;

const ROOT_ID = 'b78e36bcf43bd3cd292681b866106d3fd6ae506605e0842f3354d864029c07ff';
const TARGETS_ID = 'e67f27d4efc41224706e673c8c52e3481023f85cfbe60b4e8cc07b0902d3c0d1';
const RSA_ID = '9fac37eb0fab935843320a09ed82281ec557d56e684518162098c12135cc87e7';
const ED_ID = 'b1560b3969db99a462480cd0aa2d3c4499cda309f72a74c498408d03b07e4550';

function notaryTrustDir(): string {
  const dir = fresh();
  mkdirSync(join(dir, 'private'), { recursive: true });
  copyFileSync(join(TESTDATA, 'notary-ecdsa-root.key'), join(dir, 'private', `${ROOT_ID}.key`));
  copyFileSync(join(TESTDATA, 'notary-ecdsa-targets.key'), join(dir, 'private', `${TARGETS_ID}.key`));
  copyFileSync(join(TESTDATA, 'notary-rsa-targets.key'), join(dir, 'private', `${RSA_ID}.key`));
  copyFileSync(join(TESTDATA, 'notary-ed25519-alice.key'), join(dir, 'private', `${ED_ID}.key`));
  return dir;
}

const NOTARY_PASSPHRASES: Record<string, string> = { root: 'rootpw', targets: 'targetpw', alice: 'delpw' };

function recordingProvider(answers: (req: PassphraseRequest) => string) {
  const calls: PassphraseRequest[] = [];
  return {
    calls,
    provider: async (req: PassphraseRequest) => {
      calls.push(req);
      return answers(req);
    },
  };
}

describe('KeyStore over a Notary trust dir', () => {
  it('lists keys with role and gun from headers without any passphrase', async () => {
    const store = new KeyStore(notaryTrustDir(), {
      passphrase: async () => {
        throw new Error('must not be asked');
      },
    });
    const list = await store.list();
    expect(list.map((k) => [k.role, k.gun, k.keyId])).toEqual([
      ['alice', undefined, ED_ID],
      ['root', undefined, ROOT_ID],
      ['targets', 'example.com/foo', RSA_ID],
      ['targets', undefined, TARGETS_ID],
    ]);
    expect(list.every((k) => k.encrypted && !k.legacy)).toBe(true);
    expect((await store.find({ role: 'targets', gun: 'example.com/foo' })).map((k) => k.keyId)).toEqual([
      RSA_ID,
    ]);
    expect(await store.resolveKeyId('b78e36b')).toBe(ROOT_ID);
    await expect(store.resolveKeyId('0000000')).rejects.toMatchObject({ code: 'KEY_NOT_FOUND' });
  });

  it('loads (decrypts) each key with its passphrase; the key id matches the file name', async () => {
    const rec = recordingProvider((req) => NOTARY_PASSPHRASES[req.role] ?? '');
    const store = new KeyStore(notaryTrustDir(), { passphrase: rec.provider });
    for (const id of [ROOT_ID, TARGETS_ID, RSA_ID, ED_ID]) {
      const { key, info } = await store.load(id);
      expect(key.publicKey.id).toBe(id);
      expect(info.keyId).toBe(id);
    }
    expect(rec.calls.map((c) => [c.role, c.attempt, c.creating])).toEqual([
      ['root', 0, false],
      ['targets', 0, false],
      ['targets', 0, false],
      ['alice', 0, false],
    ]);
    await store.load(ROOT_ID); // cached: no new prompt
    expect(rec.calls.length).toBe(4);
  });

  it('a load of a key being loaded shares it: one passphrase request, one key', async () => {
    const rec = recordingProvider((req) => NOTARY_PASSPHRASES[req.role] ?? '');
    const store = new KeyStore(notaryTrustDir(), { passphrase: rec.provider });
    const [a, b] = await Promise.all([store.load(TARGETS_ID), store.load(TARGETS_ID)]);
    expect(a.key).toBe(b.key);
    expect(rec.calls.length).toBe(1);
    // a failure reaches every caller of the load under way, and the next load tries again
    const never = recordingProvider(() => 'wrong');
    const failing = new KeyStore(notaryTrustDir(), { passphrase: never.provider, maxAttempts: 1 });
    const both = await Promise.all([
      failing.load(ROOT_ID).catch((e: unknown) => e),
      failing.load(ROOT_ID).catch((e: unknown) => e),
    ]);
    expect(both.map((e) => (e as LocalError).code)).toEqual(['PASSPHRASE', 'PASSPHRASE']);
    expect(never.calls.length).toBe(1);
    await failing.load(ROOT_ID).catch(() => undefined);
    expect(never.calls.length).toBe(2);
  });

  it('preload unlocks ahead only keys whose passphrase needs no prompt; load then uses that unlock', async () => {
    const dir = notaryTrustDir();
    /** A provider that records its requests and keeps `base`'s answersSilently marker. */
    const tracked = (base: ReturnType<typeof staticPassphraseProvider>) => {
      const keyIds: string[] = [];
      const provider: typeof base = async (req) => {
        keyIds.push(req.keyId);
        return base(req);
      };
      return { keyIds, provider: Object.assign(provider, base) };
    };
    // the environment has the repository passphrase; the root key is behind a prompt (no TTY here)
    const env = { DOCKER_CONTENT_TRUST_REPOSITORY_PASSPHRASE: 'targetpw' };
    const viaEnv = tracked(defaultPassphraseProvider({ env, input: { isTTY: false } as never }));
    const store = new KeyStore(dir, { passphrase: viaEnv.provider });
    await store.preload(TARGETS_ID);
    await store.preload(ROOT_ID);
    await new Promise((r) => setTimeout(r, 50));
    expect(viaEnv.keyIds).toEqual([TARGETS_ID]); // the root key was not asked for
    const { key } = await store.load(TARGETS_ID);
    expect(key.publicKey.id).toBe(TARGETS_ID);
    expect(viaEnv.keyIds).toEqual([TARGETS_ID]); // the load used the preload's unlock
    // a load right after the preload started shares it
    const fixed = tracked(staticPassphraseProvider('targetpw'));
    const store2 = new KeyStore(dir, { passphrase: fixed.provider });
    await store2.preload(TARGETS_ID);
    await store2.load(TARGETS_ID);
    expect(fixed.keyIds).toEqual([TARGETS_ID]);
    // a provider not known to answer silently is never asked ahead of need
    const custom = recordingProvider(() => 'targetpw');
    await new KeyStore(dir, { passphrase: custom.provider }).preload(TARGETS_ID);
    await new Promise((r) => setTimeout(r, 50));
    expect(custom.calls.length).toBe(0);
  });

  it('retries after a wrong passphrase, then gives up with PASSPHRASE naming the key', async () => {
    const dir = notaryTrustDir();
    const second = recordingProvider((req) => (req.attempt === 0 ? 'typo' : 'rootpw'));
    await new KeyStore(dir, { passphrase: second.provider }).load(ROOT_ID);
    expect(second.calls.map((c) => c.attempt)).toEqual([0, 1]);

    const never = recordingProvider(() => 'wrong');
    const err = await new KeyStore(dir, { passphrase: never.provider, maxAttempts: 3 })
      .load(ROOT_ID)
      .catch((e: unknown) => e);
    expect(never.calls.length).toBe(3);
    expect(err).toBeInstanceOf(LocalError);
    expect((err as LocalError).code).toBe('PASSPHRASE');
    expect((err as LocalError).message).toBe('wrong passphrase for key b78e36b (root)');
    expect((err as LocalError).message).not.toContain('wrong passphrase for key b78e36b (root) wrong');
  });

  it('an env passphrase that is wrong fails after one decryption', async () => {
    const store = new KeyStore(notaryTrustDir(), {
      passphrase: envPassphraseProvider({ DOCKER_CONTENT_TRUST_ROOT_PASSPHRASE: 'bad' }),
    });
    await expect(store.load(ROOT_ID)).rejects.toMatchObject({
      code: 'PASSPHRASE',
      message: 'wrong passphrase for key b78e36b (root)',
    });
  });

  it('missing key is KEY_NOT_FOUND', async () => {
    const store = new KeyStore(fresh(), { passphrase: staticPassphraseProvider('x') });
    expect(await store.list()).toEqual([]);
    await expect(store.load(ROOT_ID)).rejects.toMatchObject({ code: 'KEY_NOT_FOUND' });
  });

  it('refuses a file whose key does not match its name', async () => {
    const dir = notaryTrustDir();
    const fake = 'f'.repeat(64);
    copyFileSync(join(dir, 'private', `${ROOT_ID}.key`), join(dir, 'private', `${fake}.key`));
    const store = new KeyStore(dir, { passphrase: staticPassphraseProvider('rootpw') });
    await expect(store.load(fake)).rejects.toMatchObject({ code: 'BAD_KEY' });
  });

  it('reads the pre-0.4 layout and skips symlinks, temp files and non-keys', async () => {
    const dir = fresh();
    const priv = join(dir, 'private');
    mkdirSync(join(priv, 'root_keys'), { recursive: true });
    mkdirSync(join(priv, 'tuf_keys', 'example.com', 'app'), { recursive: true });
    const noHeaders = (f: string) =>
      readFileSync(join(TESTDATA, f), 'utf8')
        .split('\n')
        .filter((l) => !/^(role|gun): /.test(l))
        .join('\n')
        .replace('-----\n\n', '-----\n');
    writeFileSync(join(priv, 'root_keys', `${ROOT_ID}_root.key`), noHeaders('notary-ecdsa-root.key'));
    writeFileSync(
      join(priv, 'tuf_keys', 'example.com', 'app', `${TARGETS_ID}_targets.key`),
      noHeaders('notary-ecdsa-targets.key'),
    );
    symlinkSync(join(priv, 'root_keys', `${ROOT_ID}_root.key`), join(priv, `${'a'.repeat(64)}.key`));
    writeFileSync(join(priv, `.${'b'.repeat(64)}.key.0123456789ab.tmp`), 'partial');
    writeFileSync(join(priv, `${'c'.repeat(64)}.key`), 'not a pem');
    writeFileSync(join(priv, 'notes.txt'), 'hello');
    const store = new KeyStore(dir, { passphrase: staticPassphraseProvider('rootpw') });
    const list = await store.list();
    expect(list.map((k) => [k.keyId, k.role, k.gun, k.legacy])).toEqual([
      [ROOT_ID, 'root', undefined, true],
      [TARGETS_ID, 'targets', 'example.com/app', true],
    ]);
    expect((await store.load(ROOT_ID)).key.publicKey.id).toBe(ROOT_ID);
  });
});

describe('KeyStore writes', () => {
  it('adds keys as private/<bare key id>.key, 0600 in a 0700 dir, and reads them back', async () => {
    const dir = fresh();
    const rec = recordingProvider((req) => `pass-${req.role}`);
    const store = new KeyStore(dir, { passphrase: rec.provider, iterations: FAST });
    const root = generateSigner('ecdsa');
    const targets = generateSigner('ed25519');
    const infoRoot = await store.add(root, { role: 'root', gun: 'ignored/for/root' });
    const infoTargets = await store.add(targets, { role: 'targets', gun: 'docker.io/library/app' });
    expect(infoRoot).toMatchObject({
      keyId: root.publicKey.id,
      role: 'root',
      encrypted: true,
      legacy: false,
    });
    expect(infoRoot.gun).toBeUndefined();
    expect(infoTargets.gun).toBe('docker.io/library/app');
    expect(infoRoot.path).toBe(join(dir, 'private', `${root.publicKey.id}.key`));
    expect(statSync(infoRoot.path).mode & 0o777).toBe(0o600);
    expect(statSync(join(dir, 'private')).mode & 0o777).toBe(0o700);
    expect(rec.calls.map((c) => [c.role, c.creating])).toEqual([
      ['root', true],
      ['targets', true],
    ]);
    expect(readFileSync(infoRoot.path, 'utf8')).not.toContain('pass-root');

    // a fresh store (no cache) decrypts them
    const reader = new KeyStore(dir, { passphrase: async (req) => `pass-${req.role}` });
    expect((await reader.load(root.publicKey.id)).key.publicKey.id).toBe(root.publicKey.id);
    expect((await reader.load(targets.publicKey.id)).key.algorithm).toBe('ed25519');
    expect(
      (await reader.readFile(root.publicKey.id)).startsWith(
        '-----BEGIN ENCRYPTED PRIVATE KEY-----\nrole: root\n',
      ),
    ).toBe(true);

    await expect(store.add(root, { role: 'root' })).rejects.toMatchObject({ code: 'USAGE' });
    await store.add(root, { role: 'root', overwrite: true });

    await reader.remove(targets.publicKey.id);
    expect((await reader.list()).map((k) => k.keyId)).toEqual([root.publicKey.id]);
    await expect(reader.remove(targets.publicKey.id)).rejects.toMatchObject({ code: 'KEY_NOT_FOUND' });
  });
});

describe('KeyStore hygiene (issue 8 items 18, 19, 21)', () => {
  const pass = staticPassphraseProvider('hygiene-passphrase');

  it('refuses a group/other-writable key directory with the chmod fix, for reads and writes', async () => {
    const dir = fresh();
    try {
      const store = new KeyStore(dir, { passphrase: pass, iterations: FAST });
      const key = generateSigner('ecdsa');
      await store.add(key, { role: 'targets' });
      const priv = join(dir, 'private');
      chmodSync(priv, 0o777);
      for (const op of [
        () => store.list(),
        () => store.load(key.publicKey.id),
        () => store.add(generateSigner('ecdsa'), { role: 'x' }),
      ]) {
        const err = await op().then(
          () => null,
          (e: unknown) => e,
        );
        expect(err).toBeInstanceOf(LocalError);
        expect((err as LocalError).code).toBe('CONFIG');
        expect((err as LocalError).message).toContain(
          `key directory ${priv} is writable by group and others (mode 0777)`,
        );
        expect((err as LocalError).message).toContain(`chmod go-w ${priv}`);
      }
      chmodSync(priv, 0o720);
      await expect(store.list()).rejects.toThrow(/writable by group \(mode 0720\)/);
      chmodSync(priv, 0o755); // readable by others is not a planting risk
      expect(await store.list()).toHaveLength(1);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('never uses a planted unencrypted key; key load (explicit import) encrypts it', async () => {
    const dir = fresh();
    try {
      const planted = generateSigner('ecdsa');
      const pem = await writeKeyFile(planted, { role: 'root', passphrase: null });
      mkdirSync(join(dir, 'private'), { mode: 0o700 });
      const path = join(dir, 'private', `${planted.publicKey.id}.key`);
      writeFileSync(path, pem, { mode: 0o600 });
      const store = new KeyStore(dir, {
        passphrase: async () => {
          throw new Error('no passphrase is involved');
        },
      });
      expect((await store.get(planted.publicKey.id))?.encrypted).toBe(false);
      const err = await store.load(planted.publicKey.id).catch((e: unknown) => e);
      expect(err).toMatchObject({ code: 'BAD_KEY' });
      expect((err as Error).message).toContain(`key file ${path} is not encrypted`);
      expect((err as Error).message).toContain(`trust key load ${path}`);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('marks a key retired (header only; the key still decrypts) and lists it as such', async () => {
    const dir = fresh();
    try {
      const store = new KeyStore(dir, { passphrase: pass, iterations: FAST });
      const key = generateSigner('ecdsa');
      const info = await store.add(key, { role: 'root' });
      await store.markRetired(key.publicKey.id, '2026-01-02T03:04:05Z');
      const reader = new KeyStore(dir, { passphrase: pass });
      expect(await reader.get(key.publicKey.id)).toMatchObject({
        role: 'root',
        retired: '2026-01-02T03:04:05Z',
      });
      // a store that listed the key before sees the change made by another (headers are reused only
      // for the exact text they were parsed from)
      const other = generateSigner('ecdsa');
      await store.add(other, { role: 'root' });
      expect((await reader.get(other.publicKey.id))?.retired).toBeUndefined();
      await store.markRetired(other.publicKey.id, '2026-02-03T04:05:06Z');
      expect((await reader.get(other.publicKey.id))?.retired).toBe('2026-02-03T04:05:06Z');
      expect(readFileSync(info.path, 'utf8')).toMatch(
        /^-----BEGIN ENCRYPTED PRIVATE KEY-----\nretired: 2026-01-02T03:04:05Z\nrole: root\n\n/,
      );
      expect((await reader.load(key.publicKey.id)).key.publicKey.id).toBe(key.publicKey.id);
      expect(statSync(info.path).mode & 0o777).toBe(0o600);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('pending keys are invisible until committed; a killed writer’s left-overs are cleaned by the next writer', async () => {
    const dir = fresh();
    try {
      const store = new KeyStore(dir, { passphrase: pass, iterations: FAST });
      const a = generateSigner('ecdsa');
      await store.add(a, { role: 'alice', pending: true });
      expect(await new KeyStore(dir, { passphrase: pass }).list()).toEqual([]);
      await store.commitPending(a.publicKey.id);
      expect((await new KeyStore(dir, { passphrase: pass }).list()).map((k) => k.keyId)).toEqual([
        a.publicKey.id,
      ]);

      // what a SIGKILL leaves: an uncommitted key and an atomic-write temp file
      const priv = join(dir, 'private');
      const leftovers = [`.${'e'.repeat(64)}.key.pending`, `.${'f'.repeat(64)}.key.0123456789ab.tmp`];
      const young = '.young.key.aaaaaaaaaaaa.tmp';
      for (const f of [...leftovers, young]) writeFileSync(join(priv, f), 'x', { mode: 0o600 });
      const old = new Date(Date.now() - 3600_000);
      for (const f of leftovers) utimesSync(join(priv, f), old, old);
      const next = new KeyStore(dir, { passphrase: pass, iterations: FAST });
      await next.add(generateSigner('ecdsa'), { role: 'bob' });
      const names = readdirSync(priv);
      for (const f of leftovers) expect(names).not.toContain(f);
      expect(names).toContain(young); // may belong to a writer still running
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
