/**
 * The TUF 1.0 dialect codec against repositories python-tuf 5.1 wrote
 * (vectors/tuf1/, see its README): every metadata file parses strictly, its
 * `signed` re-encodes to exactly the canonical bytes securesystemslib signed,
 * and every signature verifies with the key it names.
 */
import { createHash } from 'node:crypto';
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { parseTuf1Key, verifyTuf1Signature } from '../../src/crypto/tuf1.js';
import { olpcCanonicalBytes } from '../../src/encoding/olpc.js';
import { parseTuf1, type Tuf1TopLevelRoleName } from '../../src/metadata/tuf1.js';

const VECTORS = join(import.meta.dirname, '../../vectors/tuf1');

interface CanonicalRecord {
  signed_sha256: string;
  signed_length: number;
  keyids: string[];
}

function typeOf(file: string): Tuf1TopLevelRoleName {
  for (const t of ['root', 'snapshot', 'timestamp'] as const) {
    if (file === `${t}.json` || file.endsWith(`.${t}.json`)) return t;
  }
  return 'targets';
}

function roleOf(file: string): string {
  return decodeURIComponent(file.replace(/^\d+\./, '').replace(/\.json$/, ''));
}

describe.each(['repository', 'plain'])('python-tuf vectors: %s', (repo) => {
  const dir = join(VECTORS, repo, 'metadata');
  const canonical: Record<string, CanonicalRecord> = JSON.parse(
    readFileSync(join(VECTORS, repo, 'canonical.json'), 'utf8'),
  );
  const keys = new Map(
    Object.entries(JSON.parse(readFileSync(join(VECTORS, repo, 'keys.json'), 'utf8'))).map(([id, k]) => [
      id,
      parseTuf1Key(k, id),
    ]),
  );
  const files = readdirSync(dir).sort();

  it('lists every metadata file in canonical.json', () => {
    expect(files).toEqual(Object.keys(canonical).sort());
  });

  it.each(files)('%s: parses, re-encodes byte-for-byte, every signature verifies', (file) => {
    const bytes = new Uint8Array(readFileSync(join(dir, file)));
    const md = parseTuf1(bytes, typeOf(file) as 'targets', roleOf(file));
    const want = canonical[file]!;
    const canon = md.canonicalBytes();
    expect(canon.length).toBe(want.signed_length);
    expect(createHash('sha256').update(canon).digest('hex')).toBe(want.signed_sha256);
    expect(olpcCanonicalBytes(md.signed)).toEqual(canon);
    expect(md.tufSignatures.map((s) => s.keyid)).toEqual(want.keyids);
    for (const sig of md.tufSignatures) {
      const key = keys.get(sig.keyid);
      expect(key, sig.keyid).toBeDefined();
      expect(verifyTuf1Signature(key!, sig.sig, canon)).toBe(true);
      // and not over anything else
      const other = Uint8Array.from(canon);
      other[other.length - 2]! ^= 1;
      expect(verifyTuf1Signature(key!, sig.sig, other)).toBe(false);
    }
  });
});

describe('python-tuf vectors: what they exercise', () => {
  it('unknown fields are kept in the parsed signed body (and so stay covered by signatures)', () => {
    const dir = join(VECTORS, 'repository/metadata');
    const root = parseTuf1(new Uint8Array(readFileSync(join(dir, '3.root.json'))), 'root');
    expect(root.signed['x-root-extra']).toEqual({ list: [1, 'two', null, true], nested: { b: 2, a: 1 } });
    const top = parseTuf1(new Uint8Array(readFileSync(join(dir, '2.targets.json'))), 'targets');
    expect((top.signed.delegations as Record<string, unknown>)['x-delegations-extra']).toBe(0);
    expect(top.body.targets.get('file1.txt')?.custom).toEqual({
      list: ['a', { z: null }],
      n: 1,
      note: 'top-level',
    });
  });

  it('key types: ed25519, ecdsa P-256/P-384, rsassa-pss-sha256 and the legacy keytype ecdsa-sha2-nistp256', () => {
    const keys = Object.values(
      JSON.parse(readFileSync(join(VECTORS, 'repository/keys.json'), 'utf8')) as Record<
        string,
        { keytype: string; scheme: string }
      >,
    );
    expect(new Set(keys.map((k) => `${k.keytype}/${k.scheme}`))).toEqual(
      new Set([
        'ed25519/ed25519',
        'ecdsa/ecdsa-sha2-nistp256',
        'ecdsa/ecdsa-sha2-nistp384',
        'rsa/rsassa-pss-sha256',
        'ecdsa-sha2-nistp256/ecdsa-sha2-nistp256',
      ]),
    );
  });
});
