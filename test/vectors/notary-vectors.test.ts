/**
 * Byte-exactness against metadata produced by the real Notary 0.7
 * (vectors/README.md): our canonical bytes verify every signature, our wire
 * bytes equal Notary's byte for byte, key ids match, and the trusted lookup
 * gives the digests a fresh `notary lookup` reported.
 */

import { describe, expect, it } from 'vitest';
import { verify } from '../../src/client/verify.js';
import { wireBytes } from '../../src/encoding/wire.js';
import { parseMetadata } from '../../src/metadata/parse.js';
import { TrustedMetadataSet } from '../../src/trust/trusted-set.js';
import { tempDir } from '../support/temp.js';
import {
  SCENARIOS,
  vectorFile,
  vectorInfo,
  vectorNow,
  vectorStore,
  vectorTags,
  vectorTagsByRole,
} from '../support/vectors.js';

const roleOf = (file: string) => file.replace(/^\d+\./, '');

describe.each(SCENARIOS)('Notary vectors: %s', (scenario) => {
  const info = vectorInfo(scenario);
  const files = info.files.map((f) => f.replace(/\.json$/, ''));

  it.each(files)('re-serialises %s to the exact server bytes', (file) => {
    const bytes = vectorFile(scenario, file);
    const md = parseMetadata(bytes, roleOf(file));
    const ours = wireBytes(md.canonicalText(), md.signatures);
    expect(Buffer.from(ours).toString('utf8')).toBe(Buffer.from(bytes).toString('utf8'));
    expect(Buffer.compare(Buffer.from(ours), Buffer.from(bytes))).toBe(0);
  });

  it('verifies the whole chain: root 1..n, timestamp, snapshot, targets, delegations', () => {
    const policy = { gun: info.gun, now: vectorNow(scenario) };
    const set = TrustedMetadataSet.fromRoot(vectorFile(scenario, '1.root'), policy, 'first-use');
    for (let v = 2; v <= info.rootVersions; v++) set.updateRoot(vectorFile(scenario, `${v}.root`));
    expect(set.root.version).toBe(info.rootVersions);
    expect(set.updateTimestamp(vectorFile(scenario, 'timestamp')).version).toBeGreaterThan(0);
    set.updateSnapshot(vectorFile(scenario, 'snapshot'));
    expect(set.snapshotNamesTrustedRoot()).toBe(true);
    set.updateTargets(vectorFile(scenario, 'targets'));
    set.updateTargets(vectorFile(scenario, 'targets/releases'), 'targets/releases');
    set.updateTargets(vectorFile(scenario, 'targets/alice'), 'targets/alice');
    expect(set.signersOf('targets/releases')).toHaveLength(1);
  });

  it('rejects the newest root as a direct successor of root v1 (versions must not be skipped)', () => {
    const policy = { gun: info.gun, now: vectorNow(scenario) };
    const set = TrustedMetadataSet.fromRoot(vectorFile(scenario, '1.root'), policy, 'first-use');
    expect(() => set.updateRoot(vectorFile(scenario, `${info.rootVersions}.root`))).toThrowError(/version/);
  });

  it('looks every tag up like docker: targets/releases first, then targets; other delegations on request', async () => {
    const trustDir = tempDir('ct-vec-');
    const opts = { store: vectorStore(scenario), trustDir, now: vectorNow(scenario) };
    const tags = vectorTags(scenario);
    const releases = vectorTagsByRole(scenario)['targets/releases'] ?? {};
    let checked = 0;
    for (const [name, notarySays] of Object.entries(tags)) {
      if (!/^[\w][\w.-]{0,127}$/.test(name)) continue; // not a docker tag name
      // notary lookup walks targets first; docker (and we) prefer targets/releases
      const want = releases[name] ?? notarySays;
      if (want.role === 'targets/alice') {
        await expect(verify(`${info.gun}:${name}`, opts)).rejects.toMatchObject({ code: 'NOT_SIGNED' });
        const res = await verify(`${info.gun}:${name}`, { ...opts, roles: ['targets/alice'] });
        expect(res.digest).toBe(`sha256:${want.sha256hex}`);
        continue;
      }
      const res = await verify(`${info.gun}:${name}`, opts);
      expect(res.digest, name).toBe(`sha256:${want.sha256hex}`);
      expect(res.size, name).toBe(want.size);
      expect(res.role, name).toBe(want.role);
      checked++;
    }
    expect(checked).toBeGreaterThanOrEqual(8);
    await expect(verify(`${info.gun}:never-signed`, opts)).rejects.toMatchObject({ code: 'NOT_SIGNED' });
  });
});
