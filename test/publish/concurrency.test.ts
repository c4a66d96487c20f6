/** Two publishers racing on one repository: the loser refetches, re-applies and retries; no change is lost. */

import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { staticPassphraseProvider } from '../../src/keys/passphrase.js';
import { initRepository, signTags } from '../../src/publish/workflows.js';
import { freshGun, getLab, runNotary, tempDir } from '../harness/lab.js';

describe('concurrent publishers', () => {
  it('both tags end up signed when two sign calls race', async () => {
    const lab = getLab('remote');
    const gun = freshGun(lab, 'race');
    const opts = {
      server: lab.notaryUrl,
      tlsCaCert: readFileSync(lab.caCert, 'utf8'),
      trustDir: tempDir(),
      passphrase: staticPassphraseProvider('race-passphrase-1'),
      keyIterations: 1000,
    };
    await initRepository(gun, opts);
    const tags = ['a', 'b', 'c'].map((t, i) => ({
      reference: `${gun}:${t}`,
      digest: `sha256:${String(i + 1).repeat(64)}`,
      size: i + 1,
    }));
    await Promise.all(tags.map((t) => signTags([t], { ...opts, maxAttempts: 5 })));
    const list = runNotary(lab, ['list', gun], { trustDir: tempDir() });
    expect(list.status, list.stderr).toBe(0);
    for (const t of ['a', 'b', 'c']) expect(list.stdout).toMatch(new RegExp(`^${t}\\s`, 'm'));
  });
});
