import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { LocalError } from './errors.js';
import { defaultTrustServer, familiarName, parseReference, toReference } from './reference.js';

const HEX = 'a'.repeat(64);
const D = `sha256:${HEX}`;

describe('parseReference: docker normalisation', () => {
  const cases: Array<[string, { registry: string; repository: string; tag?: string; digest?: string }]> = [
    ['alpine', { registry: 'docker.io', repository: 'library/alpine', tag: 'latest' }],
    ['alpine:3.19', { registry: 'docker.io', repository: 'library/alpine', tag: '3.19' }],
    ['library/alpine', { registry: 'docker.io', repository: 'library/alpine', tag: 'latest' }],
    ['docker.io/alpine', { registry: 'docker.io', repository: 'library/alpine', tag: 'latest' }],
    ['index.docker.io/alpine', { registry: 'docker.io', repository: 'library/alpine', tag: 'latest' }],
    ['index.docker.io/user/app:v1', { registry: 'docker.io', repository: 'user/app', tag: 'v1' }],
    ['user/app', { registry: 'docker.io', repository: 'user/app', tag: 'latest' }],
    ['user/team/app', { registry: 'docker.io', repository: 'user/team/app', tag: 'latest' }],
    ['localhost/x', { registry: 'localhost', repository: 'x', tag: 'latest' }],
    ['localhost:5000/x', { registry: 'localhost:5000', repository: 'x', tag: 'latest' }],
    ['localhost:5000/x:1', { registry: 'localhost:5000', repository: 'x', tag: '1' }],
    ['127.0.0.1:5000/library/demo:v1', { registry: '127.0.0.1:5000', repository: 'library/demo', tag: 'v1' }],
    ['[::1]:5000/x', { registry: '[::1]:5000', repository: 'x', tag: 'latest' }],
    ['registry.example.com/a/b', { registry: 'registry.example.com', repository: 'a/b', tag: 'latest' }],
    ['example:5000/a', { registry: 'example:5000', repository: 'a', tag: 'latest' }],
    ['Example/a', { registry: 'Example', repository: 'a', tag: 'latest' }],
    ['a.b-c_d__e---f', { registry: 'docker.io', repository: 'library/a.b-c_d__e---f', tag: 'latest' }],
    [`alpine@${D}`, { registry: 'docker.io', repository: 'library/alpine', digest: D }],
    [`alpine:3@${D}`, { registry: 'docker.io', repository: 'library/alpine', tag: '3', digest: D }],
    [`localhost:5000/x@${D}`, { registry: 'localhost:5000', repository: 'x', digest: D }],
    ['alpine:Latest_1.0-rc', { registry: 'docker.io', repository: 'library/alpine', tag: 'Latest_1.0-rc' }],
    // docker's single-element rule: "localhost:5000" is the image localhost with tag 5000
    ['localhost:5000', { registry: 'docker.io', repository: 'library/localhost', tag: '5000' }],
  ];
  it.each(cases)('%s', (input, want) => {
    const r = parseReference(input);
    expect(r.registry).toBe(want.registry);
    expect(r.repository).toBe(want.repository);
    expect(r.gun).toBe(`${want.registry}/${want.repository}`);
    expect(r.tag).toBe(want.tag);
    expect(r.digest).toBe(want.digest);
  });

  it('keeps the name as written, without tag or digest', () => {
    expect(parseReference('alpine:3').name).toBe('alpine');
    expect(parseReference(`docker.io/alpine:3@${D}`).name).toBe('docker.io/alpine');
    expect(parseReference('localhost:5000/x:1').name).toBe('localhost:5000/x');
  });
});

describe('parseReference: rejects with a specific reason', () => {
  const bad: Array<[string, RegExp]> = [
    ['', /empty reference/],
    ['Alpine', /must be lowercase/],
    ['docker.io/Library/alpine', /must be lowercase/],
    ['localhost:5000/X', /must be lowercase/],
    [HEX, /image ID/],
    ['alpine:', /empty tag/],
    ['alpine@', /empty digest/],
    ['alpine:-bad', /invalid tag/],
    [`alpine:${'t'.repeat(129)}`, /invalid tag/],
    ['alpine@sha256:abc', /64 lower-case hex/],
    [`alpine@sha256:${'A'.repeat(64)}`, /64 lower-case hex/],
    [`alpine@sha512:${'a'.repeat(128)}`, /unsupported digest/],
    ['a//b', /invalid repository path/],
    ['a/b/', /invalid repository path/],
    ['_a', /invalid repository path/],
    ['a..b', /invalid repository path/],
    ['a b', /whitespace/],
    ['-host.com/a', /invalid registry host/],
    ['host.com:port/a', /invalid registry host|invalid/],
    [`x/${'a'.repeat(260)}`, /longer than 255/],
    [':tag', /missing repository name/],
  ];
  it.each(bad)('%j', (input, reason) => {
    let err: unknown;
    try {
      parseReference(input);
    } catch (e) {
      err = e;
    }
    expect(err).toBeInstanceOf(LocalError);
    expect((err as LocalError).code).toBe('BAD_REFERENCE');
    expect((err as LocalError).message).toMatch(reason);
  });
});

describe('parseReference: properties', () => {
  const comp = fc
    .stringMatching(/^[a-z0-9]+(?:(?:[._]|__|-+)[a-z0-9]+)*$/, { size: 'small' })
    .filter((s) => s.length <= 30);
  const path = fc.array(comp, { minLength: 1, maxLength: 4 }).map((a) => a.join('/'));
  const host = fc.constantFrom(
    'localhost',
    'localhost:5000',
    '127.0.0.1:5000',
    'reg.example.com',
    'r.io:443',
    '[::1]:5000',
  );
  const tag = fc.stringMatching(/^[\w][\w.-]{0,20}$/);
  const digest = fc.stringMatching(/^[a-f0-9]{64}$/).map((h) => `sha256:${h}`);

  it('round-trips host/path:tag@digest', () => {
    fc.assert(
      fc.property(host, path, fc.option(tag), fc.option(digest), (h, p, t, d) => {
        const ref = `${h}/${p}${t !== null ? `:${t}` : ''}${d !== null ? `@${d}` : ''}`;
        const r = parseReference(ref);
        expect(r.registry).toBe(h);
        expect(r.repository).toBe(p);
        expect(r.gun).toBe(`${h}/${p}`);
        expect(r.digest).toBe(d ?? undefined);
        expect(r.tag).toBe(t ?? (d === null ? 'latest' : undefined));
      }),
    );
  });

  it('Docker Hub names normalise to docker.io and library/ for one element', () => {
    // a first element with '.' (or 'localhost') would be a registry host
    const hubPath = path.filter(
      (p) => !p.includes('/') || (!p.split('/')[0]!.includes('.') && !p.startsWith('localhost/')),
    );
    fc.assert(
      fc.property(hubPath, (p) => {
        const r = parseReference(p);
        expect(r.registry).toBe('docker.io');
        expect(r.repository).toBe(p.includes('/') ? p : `library/${p}`);
        expect(familiarName(r.gun)).toBe(
          p.startsWith('library/') && p.split('/').length === 2 ? p.slice(8) : p,
        );
      }),
    );
  });

  it('any string either parses to a consistent result or throws BAD_REFERENCE', () => {
    fc.assert(
      fc.property(fc.string({ maxLength: 80 }), (s) => {
        try {
          const r = parseReference(s);
          expect(r.gun).toBe(`${r.registry}/${r.repository}`);
          expect(r.repository).toBe(r.repository.toLowerCase());
          expect(r.tag !== undefined || r.digest !== undefined).toBe(true);
          // parsing the canonical form gives the same result
          const again = parseReference(
            `${r.gun}${r.tag !== undefined ? `:${r.tag}` : ''}${r.digest !== undefined ? `@${r.digest}` : ''}`,
          );
          expect({ ...again, name: '' }).toEqual({ ...r, name: '' });
        } catch (e) {
          expect(e).toBeInstanceOf(LocalError);
          expect((e as LocalError).code).toBe('BAD_REFERENCE');
        }
      }),
      { numRuns: 2000 },
    );
  });
});

describe("parseReference: docker's grammar exactly (issue 8 item 9)", () => {
  // Each of these was accepted by 0.1.0, which verified another tag than the one written.
  it.each([
    ['app:bogus:1.0', /more than one ':'/],
    ['app:foo/y', /invalid registry host "app:foo"/],
    ['app:evil/../x:bar', /invalid registry host "app:evil"/],
    ['foo:bar:baz', /more than one ':'/],
    ['localhost:5000/app:v1:v2', /more than one ':'/],
    ['reg.example/app:v1/x', /invalid tag|invalid reference/],
    ['a/b:c/d', /cannot contain '\/'/],
    ['::1/app', /invalid registry host/],
    ['[fe80::1%eth0]:5000/app', /invalid registry host/],
    ['[::1]:port/app', /invalid registry host/],
    ['docker.io/Foo/app', /must be lowercase/],
    ['app\u001b[2K:1', /invalid/],
  ])('%j is BAD_REFERENCE', (input, reason) => {
    let err: unknown;
    try {
      parseReference(input);
    } catch (e) {
      err = e;
    }
    expect(err).toBeInstanceOf(LocalError);
    expect((err as LocalError).code).toBe('BAD_REFERENCE');
    expect((err as LocalError).message).toMatch(reason);
    expect((err as LocalError).message).not.toMatch(/[\u0000-\u001f]/);
  });

  it.each([
    ['[::1]:5000/app', '[::1]:5000', 'app', 'latest'],
    ['[::1]/app:v1', '[::1]', 'app', 'v1'],
    ['[2001:db8::1]:443/team/app:v2', '[2001:db8::1]:443', 'team/app', 'v2'],
    ['UPPER/app', 'UPPER', 'app', 'latest'],
    ['app:TAG_1.0-x', 'docker.io', 'library/app', 'TAG_1.0-x'],
    ['docker.io/app', 'docker.io', 'library/app', 'latest'],
  ])('%j → registry %s, path %s, tag %s', (input, registry, repository, tag) => {
    const r = parseReference(input);
    expect([r.registry, r.repository, r.tag]).toEqual([registry, repository, tag]);
  });

  it('nothing the user wrote is dropped: input = name[:tag][@digest], and name alone names the same GUN', () => {
    const alphabet = fc.constantFrom('a', 'b', '0', '.', '-', '_', ':', '/', '@', '[', ']', 'A', '5');
    fc.assert(
      fc.property(fc.array(alphabet, { maxLength: 24 }), (chars) => {
        const s = chars.join('');
        let r: ReturnType<typeof parseReference>;
        try {
          r = parseReference(s);
        } catch (e) {
          expect((e as LocalError).code).toBe('BAD_REFERENCE');
          return;
        }
        const tagWritten = s[r.name.length] === ':';
        const written = `${r.name}${tagWritten ? `:${r.tag}` : ''}${r.digest !== undefined ? `@${r.digest}` : ''}`;
        expect(written).toBe(s);
        const bare = parseReference(r.name);
        expect(bare.gun).toBe(r.gun);
        expect(bare.tag).toBe('latest');
      }),
      { numRuns: 5000 },
    );
  });
});

describe('toReference (the library API: inspect([G]) and friends, issue 9 item 5)', () => {
  it.each([
    [undefined, /must be a string.*not undefined/],
    [null, /not null/],
    [['reg.example/app'], /not an array/],
    [42, /not 42/],
    [{ name: 'x' }, /ImageReference from parseReference/],
  ])('%j is a USAGE error saying what is expected', (value, reason) => {
    expect(() => toReference(value)).toThrow(
      expect.objectContaining({ code: 'USAGE', message: expect.stringMatching(reason) }),
    );
  });
  it('accepts a string or a consistent ImageReference; refuses an inconsistent one', () => {
    const r = parseReference('reg.example/app:v1');
    expect(toReference('reg.example/app:v1')).toEqual(r);
    expect(toReference(r)).toBe(r);
    expect(() => toReference({ ...r, gun: 'reg.example/other' })).toThrow(
      expect.objectContaining({ code: 'BAD_REFERENCE' }),
    );
  });
});

describe('defaultTrustServer', () => {
  it('uses notary.docker.io for Docker Hub and https://<registry> otherwise', () => {
    expect(defaultTrustServer('docker.io', {})).toBe('https://notary.docker.io');
    expect(defaultTrustServer('index.docker.io', {})).toBe('https://notary.docker.io');
    expect(defaultTrustServer('localhost:5000', {})).toBe('https://localhost:5000');
    expect(defaultTrustServer('reg.example.com', {})).toBe('https://reg.example.com');
  });
  it('prefers DOCKER_CONTENT_TRUST_SERVER, which must be https (http only on loopback)', () => {
    expect(defaultTrustServer('docker.io', { DOCKER_CONTENT_TRUST_SERVER: 'https://n.example:4443/' })).toBe(
      'https://n.example:4443',
    );
    expect(() =>
      defaultTrustServer('docker.io', { DOCKER_CONTENT_TRUST_SERVER: 'http://n.example' }),
    ).toThrow(/only for a loopback host/);
    expect(() => defaultTrustServer('docker.io', { DOCKER_CONTENT_TRUST_SERVER: 'not a url' })).toThrow(
      expect.objectContaining({ code: 'CONFIG' }),
    );
  });
});
