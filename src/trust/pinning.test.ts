import { execFileSync } from 'node:child_process';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { tempDir } from '../../test/support/temp.js';
import { publicKeyFromBytes } from '../crypto/keys.js';
import { chainsToCa, longestPrefixMatch, parseCaBundle } from './pinning.js';

/** A CA and a root-style leaf (CN = GUN) issued by it, made with the openssl CLI. */
function makeChain(gun: string): { ca: string; otherCa: string; leaf: string } {
  const dir = tempDir('ct-ca-');
  const ossl = (...args: string[]) => execFileSync('openssl', args, { cwd: dir, stdio: 'pipe' });
  const ext = join(dir, 'ext.cnf');
  writeFileSync(
    ext,
    '[req]\ndistinguished_name=dn\n[dn]\n[ca]\nbasicConstraints=critical,CA:TRUE\nkeyUsage=critical,keyCertSign\n[leaf]\nbasicConstraints=CA:FALSE\nkeyUsage=digitalSignature\nextendedKeyUsage=codeSigning\n',
  );
  for (const name of ['ca', 'other', 'leaf']) {
    ossl('genpkey', '-algorithm', 'EC', '-pkeyopt', 'ec_paramgen_curve:P-256', '-out', `${name}.key`);
  }
  for (const name of ['ca', 'other']) {
    ossl(
      'req',
      '-x509',
      '-new',
      '-key',
      `${name}.key`,
      '-subj',
      `/CN=${name} CA`,
      '-days',
      '30',
      '-sha256',
      '-config',
      ext,
      '-extensions',
      'ca',
      '-out',
      `${name}.crt`,
    );
  }
  ossl(
    'req',
    '-new',
    '-key',
    'leaf.key',
    '-subj',
    `/CN=${gun.replace(/\//g, '\\/')}`,
    '-config',
    ext,
    '-out',
    'leaf.csr',
  );
  ossl(
    'x509',
    '-req',
    '-in',
    'leaf.csr',
    '-CA',
    'ca.crt',
    '-CAkey',
    'ca.key',
    '-CAcreateserial',
    '-days',
    '30',
    '-sha256',
    '-extfile',
    ext,
    '-extensions',
    'leaf',
    '-out',
    'leaf.crt',
  );
  const read = (f: string) => readFileSync(join(dir, f), 'utf8');
  return { ca: read('ca.crt'), otherCa: read('other.crt'), leaf: read('leaf.crt') };
}

describe('CA pinning', () => {
  const gun = 'registry.example.com/team/app';
  const { ca, otherCa, leaf } = makeChain(gun);
  const key = publicKeyFromBytes('ecdsa-x509', Buffer.from(leaf));
  const now = Date.now();

  it('accepts a root certificate issued by the pinned CA', () => {
    expect(chainsToCa(key, parseCaBundle(ca, 'ca'), now)).toBe(true);
  });

  it('refuses one issued by another CA, or checked outside the CA validity', () => {
    expect(chainsToCa(key, parseCaBundle(otherCa, 'ca'), now)).toBe(false);
    expect(chainsToCa(key, parseCaBundle(ca, 'ca'), now + 400 * 24 * 3600_000)).toBe(false);
  });

  it('reads CA bundles with comments around the certificates (as Notary does), blocks still strict', () => {
    const commented = `# Issuer: CN=test CA\n${ca}\n## another\n${otherCa}`;
    expect(parseCaBundle(commented, 'ca')).toHaveLength(2);
    expect(chainsToCa(key, parseCaBundle(commented, 'ca'), now)).toBe(true);
    expect(() => parseCaBundle(`# x\n${ca.replace(/\n[A-Za-z0-9+/]{4}/, '\n!!!!')}`, 'ca')).toThrowError(
      expect.objectContaining({ code: 'CONFIG' }),
    );
  });

  it('reports a bundle without certificates as a configuration error', () => {
    expect(() => parseCaBundle('nothing here', 'pinned CA')).toThrowError(
      expect.objectContaining({ code: 'CONFIG' }),
    );
  });

  it('picks the longest matching GUN prefix', () => {
    const map = { 'registry.example.com/': 'a', 'registry.example.com/team/': 'b', other: 'c' };
    expect(longestPrefixMatch(map, gun)).toBe('b');
    expect(longestPrefixMatch(map, 'registry.example.com/x')).toBe('a');
    expect(longestPrefixMatch(map, 'docker.io/x')).toBeUndefined();
  });
});
