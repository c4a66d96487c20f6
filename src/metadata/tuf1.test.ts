import { describe, expect, it } from 'vitest';
import { isDelegatedPath, isSuccinctRole, succinctRoleFor, targetPathMatches } from './tuf1.js';

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
