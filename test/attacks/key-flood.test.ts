/**
 * Hostile keys maps of issue 8 ("every limit as a deadline"), over HTTPS through the tampering
 * proxy with notary-server's names. 0.1.0 parsed every key of a keys map (x509 certificates:
 * ~0.8 ms each) before any signature check, synchronously, so no deadline could stop it:
 * - any server, on first use: a root listing ~1,000 certificates (or 3,000 in 2 MiB);
 * - a server holding the snapshot key: a targets document listing delegation keys by the thousand.
 * Keys are now prepared on first use (only listed keys that signed), and keys maps are capped
 * (limits.maxKeys, TOO_LARGE). Each attack must end in a TrustError and leave the trust dir as it
 * was, within a generous CPU bound.
 */

import { randomBytes } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { type VerifyOptions, verify } from '../../src/client/verify.js';
import { generateSigner } from '../../src/crypto/signers.js';
import { createRootCertificate } from '../../src/crypto/x509.js';
import { TrustError } from '../../src/errors.js';
import { tempDir } from '../harness/lab.js';
import { Forge, type JsonObject, keyIdOf, type TestKey } from '../support/forge.js';
import { useForgedLab } from '../support/forged-lab.js';
import { treeSnapshot } from '../support/tree-snapshot.js';

const lab = useForgedLab('keys');
const { newGun, opts } = lab;

/** `n` distinct ecdsa-x509 keys (certificates with distinct serials over one P-256 key). */
function floodKeys(n: number, gun: string): { id: string; json: JsonObject }[] {
  const signer = generateSigner('ecdsa');
  return Array.from({ length: n }, (_, i) => {
    const b64 = Buffer.from(createRootCertificate(signer, gun, { serial: BigInt(i + 1) }), 'latin1').toString(
      'base64',
    );
    return {
      id: keyIdOf('ecdsa-x509', b64),
      json: { keytype: 'ecdsa-x509', keyval: { private: null, public: b64 } },
    };
  });
}

const bogus = (keyid: string) => ({ keyid, method: 'ecdsa', sig: randomBytes(64).toString('base64') });

/** verify must fail with `code` (one of), leaving the trust dir as it was; returns the CPU ms spent. */
async function rejected(ref: string, options: VerifyOptions, code: string[]): Promise<number> {
  const before = treeSnapshot(options.trustDir!);
  const t = process.cpuUsage();
  const err = await verify(ref, options).then(
    () => undefined,
    (e: unknown) => e,
  );
  const d = process.cpuUsage(t);
  expect(err, `${ref} was accepted`).toBeInstanceOf(TrustError);
  expect(code, (err as TrustError).message).toContain((err as TrustError).code);
  expect(treeSnapshot(options.trustDir!), 'the trust dir changed').toEqual(before);
  return (d.user + d.system) / 1000;
}

describe('hostile keys maps cost bounded CPU (issue 8)', () => {
  it('first use: a root listing 1,020 certificates for the root role, bogus signatures: refused in < 500 ms CPU', async () => {
    // 0.1.0: ~0.8 s of CPU (every certificate parsed, then checked against the GUN)
    const forge = new Forge(newGun('root'));
    forge.tag('latest', 'build A');
    const keys = floodKeys(1020, forge.gun);
    for (const k of keys) forge.extraRootKeys[k.id] = k.json;
    const files = forge.build({
      edit: {
        root: (body) => {
          (body.roles as Record<string, { keyids: string[] }>).root!.keyids.push(...keys.map((k) => k.id));
        },
      },
      signatures: { root: () => keys.slice(0, 4).map((k) => bogus(k.id)) },
    });
    expect(files.root!.length).toBeLessThan(2 << 20);
    lab.proxy.serveAll(forge.gun, files);
    const cpuMs = await rejected(`${forge.gun}:latest`, opts(tempDir()), ['UNTRUSTED_ROOT']);
    expect(cpuMs, `${cpuMs} ms of CPU`).toBeLessThan(500);
  }, 120_000);

  it('snapshot-key holder: targets listing 3,000 delegation certificates: TOO_LARGE in < 500 ms CPU; 1,020: bad signature', async () => {
    // 0.1.0: ~2 s of CPU for 3,000 (every delegation key parsed before the targets signature check)
    const forge = new Forge(newGun('targets'));
    forge.tag('latest', 'build A');
    const dir = tempDir();
    lab.proxy.serveAll(forge.gun, forge.build());
    await verify(`${forge.gun}:latest`, opts(dir)); // positive control, warm trust dir
    const keys = floodKeys(3000, forge.gun);
    const targetsKey = forge.keys.targets[0] as TestKey;
    for (const n of [3000, 1020]) {
      forge.bump('targets', 'snapshot', 'timestamp');
      const files = forge.build({
        edit: {
          targets: (body) => {
            const d = body.delegations as { keys: Record<string, JsonObject> };
            for (const k of keys.slice(0, n)) d.keys[k.id] = k.json;
          },
        },
        // the snapshot and timestamp keys sign it; the targets key never did
        signatures: {
          targets: () => [bogus(targetsKey.id)],
        },
      });
      lab.proxy.serveAll(forge.gun, files);
      const code = n > 1024 ? ['TOO_LARGE'] : ['BAD_SIGNATURE', 'THRESHOLD'];
      const cpuMs = await rejected(`${forge.gun}:latest`, opts(dir), code);
      expect(cpuMs, `${n} keys: ${cpuMs} ms of CPU`).toBeLessThan(500);
    }
  }, 120_000);
});
