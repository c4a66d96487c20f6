import { readdirSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { olpcCanonicalBytes } from '../encoding/olpc.js';
import { TrustError } from '../errors.js';
import {
  isDelegatedPath,
  isSuccinctRole,
  parseTuf1,
  succinctRoleFor,
  targetPathMatches,
  tuf1MetadataFileName,
  tuf1Quote,
} from './tuf1.js';

const targetsDoc = (targets: unknown, spacing?: number) =>
  Buffer.from(
    JSON.stringify(
      {
        signatures: [],
        signed: {
          _type: 'targets',
          expires: '2030-01-01T00:00:00Z',
          spec_version: '1.0.31',
          targets,
          version: 1,
        },
      },
      null,
      spacing,
    ),
  );

describe('TUF 1.0 targets parsing', () => {
  it('keeps lowercase hashes, lowercases others, and names the bad field', () => {
    const t = parseTuf1(
      targetsDoc({
        a: { hashes: { sha256: 'ab' }, length: 1 },
        b: { custom: { x: 1 }, hashes: { sha256: 'AB' }, length: 2 },
      }),
      'targets',
    );
    expect(t.body.targets.get('a')).toEqual({ length: 1, hashes: { sha256: 'ab' } });
    expect(t.body.targets.get('b')).toEqual({ length: 2, hashes: { sha256: 'ab' }, custom: { x: 1 } });
    const bad: [unknown, RegExp][] = [
      [{ hashes: { sha256: 'ab' }, length: -1 }, /targets\["x"\]\.length: must be >= 0/],
      [{ hashes: { sha256: 'ab' }, length: 1.5 }, /only integers/],
      [{ hashes: {}, length: 1 }, /targets\["x"\]\.hashes: must not be empty/],
      [{ hashes: { sha256: 'zz' }, length: 1 }, /targets\["x"\]\.hashes\.sha256: must be hex/],
      [{ hashes: { sha256: 1 }, length: 1 }, /targets\["x"\]\.hashes\.sha256: must be a string/],
      [{ hashes: [], length: 1 }, /targets\["x"\]\.hashes: must be an object/],
      [[], /targets\["x"\]: must be an object/],
    ];
    for (const [entry, message] of bad) {
      expect(() =>
        parseTuf1(targetsDoc({ ok: { hashes: { sha256: 'ab' }, length: 1 }, x: entry }), 'targets'),
      ).toThrow(message);
    }
  });

  it('signatures cover the canonical form whether or not the served bytes are canonical', () => {
    // keys in code point order, compact: the served bytes of signed are canonical as they are
    const targets = {
      a: { hashes: { sha256: 'cd' }, length: 2 },
      'é/x': { hashes: { sha256: 'ab' }, length: 1 },
    };
    const compact = parseTuf1(targetsDoc(targets), 'targets');
    const indented = parseTuf1(targetsDoc(targets, 1), 'targets');
    const expected = Buffer.from(olpcCanonicalBytes(indented.signed));
    expect(Buffer.from(compact.canonicalBytes()).equals(expected)).toBe(true);
    expect(Buffer.from(indented.canonicalBytes()).equals(expected)).toBe(true);
    expect(compact.canonicalText()).toBe(expected.toString('utf8'));
    // the compact document is canonical there: its served bytes are the message (no re-encoding)
    const c = compact.canonicalBytes();
    const raw = Buffer.from(compact.raw!);
    expect(c.buffer).toBe(compact.raw!.buffer);
    expect(c.byteOffset - compact.raw!.byteOffset).toBe(raw.indexOf('{"_type"'));
  });
});

const VECTORS = join(import.meta.dirname, '../../vectors/tuf1');

// Computed with python-tuf 5.1's interpreter (the kit's venv): `urllib.parse.quote(name, "")`,
// which ngclient uses for `N.<role>.json` (and for a target's local file name).
const PYTHON_QUOTE: Record<string, string> = {
  'targets/releases': 'targets%2Freleases',
  'term/role one': 'term%2Frole%20one',
  '%': '%25',
  'a%2Fb': 'a%252Fb',
  '..': '..',
  '.': '.',
  '\u00fc': '%C3%BC',
  '\u65e5\u672c': '%E6%97%A5%E6%9C%AC',
  '\ud83d\ude00': '%F0%9F%98%80',
  'a b+c&d=e?f#g': 'a%20b%2Bc%26d%3De%3Ff%23g',
  "a-b_c.d~e!'()*": 'a-b_c.d~e%21%27%28%29%2A',
  '\u0000\u007f': '%00%7F',
};

describe('TUF 1.0 metadata file names (one encoder: client, writer, OCI layout)', () => {
  it('percent-encode exactly as python-tuf: quote(rolename, "")', () => {
    for (const [name, quoted] of Object.entries(PYTHON_QUOTE)) {
      expect(tuf1Quote(name), JSON.stringify(name)).toBe(quoted);
      expect(tuf1MetadataFileName(name)).toBe(`${quoted}.json`);
      expect(tuf1MetadataFileName(name, 7)).toBe(`7.${quoted}.json`);
    }
    // no name escapes the metadata directory: `/` is always encoded, `..` becomes the plain file `...json`
    for (const name of Object.keys(PYTHON_QUOTE)) expect(tuf1MetadataFileName(name)).not.toContain('/');
    expect(tuf1MetadataFileName('..', 2)).toBe('2....json');
    // python-tuf's own repository (vectors/tuf1, made by python-tuf) names the delegated role this way
    expect(readdirSync(join(VECTORS, 'repository/metadata'))).toContain(
      tuf1MetadataFileName('term/role one', 1),
    );
  });

  it('refuses a lone surrogate (python raises UnicodeEncodeError) instead of folding it into U+FFFD', () => {
    // Buffer.from('\ud800') is the UTF-8 of U+FFFD: two roles would share one file
    for (const bad of ['\ud800', 'a\udc00b', '\ude00\ud83d']) {
      expect(() => tuf1MetadataFileName(bad)).toThrow(TrustError);
    }
    expect(tuf1Quote('\ufffd')).toBe('%EF%BF%BD');
  });
});

// Expected values computed with python-tuf 5.1 (tuf.api.metadata SuccinctRoles / DelegatedRole).
describe('TUF 1.0 delegation rules (python-tuf parity)', () => {
  it('paths: fnmatch per segment, `*` never crosses `/`', () => {
    const role = { name: 'r', keyids: [], threshold: 1, terminating: false, paths: ['a/*.tgz', '[!x]?/c'] };
    const got = ['a/b.tgz', 'a/b/c.tgz', 'ab/c', 'xb/c', 'a/.tgz'].map((p) => isDelegatedPath(role, p));
    expect(got).toEqual([true, false, true, false, true]);
    expect(targetPathMatches('a/b', '*')).toBe(false);
    expect(targetPathMatches('a.b', 'a?b')).toBe(true);
    expect(targetPathMatches('(x)', '(x)')).toBe(true); // regex characters are literal
  });

  it('path_hash_prefixes compare the hex sha256 of the target path', () => {
    const role = { name: 'r', keyids: [], threshold: 1, terminating: false, pathHashPrefixes: ['14'] };
    expect(isDelegatedPath(role, 'p')).toBe(true); // sha256("p") starts with 14
    expect(isDelegatedPath({ ...role, pathHashPrefixes: ['8'] }, 'p')).toBe(false);
  });

  it('TAP 15 succinct hash bins', () => {
    const bins8 = { keyids: [], threshold: 1, bitLength: 8, namePrefix: 'bin' };
    expect(succinctRoleFor(bins8, 'app/v1.tgz')).toBe('bin-39');
    expect([
      isSuccinctRole(bins8, 'bin-ff'),
      isSuccinctRole(bins8, 'bin-100'),
      isSuccinctRole(bins8, 'bin-0f'),
    ]).toEqual([true, false, true]);
    const bins10 = { keyids: [], threshold: 1, bitLength: 10, namePrefix: 'b' };
    expect(succinctRoleFor(bins10, 'x')).toBe('b-0b5');
    expect([isSuccinctRole(bins10, 'b-3ff'), isSuccinctRole(bins10, 'b-400')]).toEqual([true, false]);
  });
});
