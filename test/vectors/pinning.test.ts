/** Trust pinning and TOFU rules on real Notary roots (vectors/). */

import { describe, expect, it } from 'vitest';
import { verify } from '../../src/client/verify.js';
import type { RootBody } from '../../src/metadata/model.js';
import { TrustedMetadataSet } from '../../src/trust/trusted-set.js';
import { tempDir } from '../support/temp.js';
import { vectorFile, vectorInfo, vectorNow, vectorStore } from '../support/vectors.js';

const scenario = 'ecdsa-server';
const info = vectorInfo(scenario);
const now = vectorNow(scenario);
const rootJson = (v: number) =>
  JSON.parse(Buffer.from(vectorFile(scenario, `${v}.root`)).toString()) as { signed: RootBody };
const rootCertId = (v: number) => rootJson(v).signed.roles.root!.keyids[0]!;
const rootCertPem = (v: number) => {
  const r = rootJson(v).signed;
  return Buffer.from(r.keys[rootCertId(v)]!.keyval.public, 'base64').toString();
};

describe('trust pinning', () => {
  it('accepts a first-seen root signed by a pinned certificate id', () => {
    const set = TrustedMetadataSet.fromRoot(
      vectorFile(scenario, 'root'),
      { gun: info.gun, now, pinnedCertIds: [rootCertId(4)] },
      'first-use',
    );
    expect(set.root.version).toBe(4);
  });

  it('refuses a first-seen root whose certificates are not pinned (PINNING)', () => {
    expect(() =>
      TrustedMetadataSet.fromRoot(
        vectorFile(scenario, 'root'),
        { gun: info.gun, now, pinnedCertIds: ['0'.repeat(64)] },
        'first-use',
      ),
    ).toThrowError(expect.objectContaining({ code: 'PINNING' }));
  });

  it('applies pins to rotations: a new root whose key is not pinned is refused', () => {
    const set = TrustedMetadataSet.fromRoot(
      vectorFile(scenario, '3.root'),
      { gun: info.gun, now, pinnedCertIds: [rootCertId(3)] },
      'first-use',
    );
    // root v4 introduces a new root key that the pin does not list
    expect(() => set.updateRoot(vectorFile(scenario, '4.root'))).toThrowError(
      expect.objectContaining({ code: 'PINNING' }),
    );
  });

  it('pins a CA: a self-signed root certificate that no pinned CA issued is refused', () => {
    // Notary roots are self-signed leaf certificates (no keyCertSign), so they chain to no CA.
    expect(() =>
      TrustedMetadataSet.fromRoot(
        vectorFile(scenario, 'root'),
        { gun: info.gun, now, pinnedCAs: [rootCertPem(4)] },
        'first-use',
      ),
    ).toThrowError(expect.objectContaining({ code: 'PINNING' }));
  });

  it('with TOFU disabled and no pin, a repository never seen before is refused (UNTRUSTED_ROOT)', async () => {
    const trustDir = tempDir('ct-pin-');
    await expect(
      verify(`${info.gun}:latest`, {
        store: vectorStore(scenario),
        trustDir,
        now,
        pinning: { disableTofu: true },
      }),
    ).rejects.toMatchObject({ code: 'UNTRUSTED_ROOT' });
    // with the pin, the same lookup succeeds and the root is cached; TOFU stays off for others
    const res = await verify(`${info.gun}:latest`, {
      store: vectorStore(scenario),
      trustDir,
      now,
      pinning: { disableTofu: true, certs: { [info.gun]: [rootCertId(4)] } },
    });
    expect(res.role).toBe('targets');
    // a cached root needs no pin
    const again = await verify(`${info.gun}:latest`, {
      store: vectorStore(scenario),
      trustDir,
      now,
      pinning: { disableTofu: true },
    });
    expect(again.digest).toBe(res.digest);
  });

  it('a root whose certificates are for another GUN is refused on first use (UNTRUSTED_ROOT)', () => {
    expect(() =>
      TrustedMetadataSet.fromRoot(
        vectorFile(scenario, 'root'),
        { gun: 'docker.io/other/repo', now },
        'first-use',
      ),
    ).toThrowError(
      expect.objectContaining({ code: 'UNTRUSTED_ROOT', message: expect.stringMatching(/common name/) }),
    );
  });
});
