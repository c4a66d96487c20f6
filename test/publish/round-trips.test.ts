/**
 * What `trust sign` (signTags with initIfMissing, the CLI's call) asks the real notary-server,
 * counted by a pass-through proxy: one refresh before the publish and the read-back after it, not a
 * probe refresh first (issue 12: every refresh is a round trip and a root/metadata check the CLI's
 * wall time pays).
 */

import { readFileSync } from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { staticPassphraseProvider } from '../../src/keys/passphrase.js';
import { type InitResult, initRepository, signTags } from '../../src/publish/workflows.js';
import { digestOf } from '../attacks/support.js';
import { freshGun, getLab, type LabInfo, tempDir } from '../harness/lab.js';
import { TamperProxy } from '../support/tamper-proxy.js';

const passphrase = staticPassphraseProvider('round-trips-passphrase');

describe('trust sign round trips (remote lab)', () => {
  let lab: LabInfo;
  let proxy: TamperProxy;
  beforeAll(async () => {
    lab = getLab('remote');
    proxy = await TamperProxy.start({
      upstream: { url: lab.notaryUrl, ca: readFileSync(lab.caCert, 'utf8') },
    });
  });
  afterAll(async () => {
    await proxy?.close();
  });
  const opts = (trustDir: string) => ({
    server: proxy.url,
    tlsCaCert: proxy.ca,
    trustDir,
    passphrase,
    keyIterations: 1000,
  });
  const timestampGets = () =>
    proxy.requests.filter((r) => r.method === 'GET' && r.role === 'timestamp').length;

  it('an existing repository: one refresh, the publish, one read-back', async () => {
    const gun = freshGun(lab, 'round-trips');
    const dir = tempDir();
    await initRepository(gun, opts(dir));
    proxy.reset();
    const inits: InitResult[] = [];
    const [s] = await signTags([{ reference: `${gun}:v1`, digest: digestOf('v1'), size: 2 }], {
      ...opts(dir),
      initIfMissing: true,
      onInit: (r) => inits.push(r),
    });
    expect(s!.roles).toEqual(['targets']);
    expect(inits).toEqual([]);
    expect(timestampGets()).toBe(2);
    expect(proxy.requests.filter((r) => r.method === 'POST')).toHaveLength(1);
  });

  it('a repository without trust data is initialised (onInit told once), then signed', async () => {
    const gun = freshGun(lab, 'round-trips-new');
    const dir = tempDir();
    const inits: InitResult[] = [];
    const [s] = await signTags([{ reference: `${gun}:v1`, digest: digestOf('v1'), size: 2 }], {
      ...opts(dir),
      initIfMissing: true,
      onInit: (r) => inits.push(r),
    });
    expect(s!.roles).toEqual(['targets']);
    expect(inits).toHaveLength(1);
    await expect(
      signTags([{ reference: `${gun}:v2`, digest: digestOf('v2'), size: 2 }], {
        ...opts(dir),
        initIfMissing: true,
        onInit: (r) => inits.push(r),
      }),
    ).resolves.toHaveLength(1);
    expect(inits).toHaveLength(1);
  });
});
