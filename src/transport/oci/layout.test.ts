import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { TrustError } from '../../errors.js';
import { tuf1MetadataFileName } from '../../metadata/tuf1.js';
import { OciRegistryClient } from './distribution.js';
import {
  buildMetadataManifest,
  dockerRoleTag,
  isMetadataFileName,
  MAX_METADATA_LAYERS,
  OCI_EMPTY_BYTES,
  OCI_EMPTY_DIGEST,
  parseMetadataManifest,
  roleOfFileName,
  sha256Digest,
  TUF_FILENAME_ANNOTATION,
  TUF_METADATA_MEDIA_TYPE,
} from './layout.js';
import { isRegistryServer, metadataLocation, parseOciLocation } from './location.js';

const enc = new TextEncoder();
const file = (name: string, text = name) => ({ name, bytes: enc.encode(text) });

function errorOf(f: () => unknown): TrustError {
  try {
    f();
  } catch (e) {
    if (e instanceof TrustError) return e;
    throw e;
  }
  throw new Error('expected a TrustError');
}

const manifestWith = (layers: unknown[], extra: Record<string, unknown> = {}) =>
  enc.encode(
    JSON.stringify({
      schemaVersion: 2,
      mediaType: 'application/vnd.oci.image.manifest.v1+json',
      config: { mediaType: 'application/vnd.oci.image.config.v1+json', digest: OCI_EMPTY_DIGEST, size: 2 },
      layers,
      ...extra,
    }),
  );
const layer = (name: string, over: Record<string, unknown> = {}) => ({
  mediaType: TUF_METADATA_MEDIA_TYPE,
  digest: sha256Digest(enc.encode(name)),
  size: name.length,
  annotations: { [TUF_FILENAME_ANNOTATION]: name },
  ...over,
});

describe('metadata file names', () => {
  it('accepts the layout names and refuses paths, traversal and odd characters', () => {
    for (const n of [
      'timestamp.json',
      '1.root.json',
      '12.snapshot.json',
      '3.targets%2Freleases.json',
      'targets.json',
      '2.doi.json',
    ]) {
      expect(isMetadataFileName(n), n).toBe(true);
    }
    for (const n of [
      '',
      '../1.root.json',
      'a/1.root.json',
      '01.root.json',
      '1.root',
      '.json',
      '..json',
      '1..json',
      'x y.json',
      '1.root.json\n',
      `${'a'.repeat(300)}.json`,
    ]) {
      expect(isMetadataFileName(n), n).toBe(false);
    }
  });

  it("decodes role names percent-encoded as python-tuf's quote(role, '') (metadata/tuf1.ts)", () => {
    for (const role of ['targets/releases', "a!b'(c)*d~e", 'ü x%', 'timestamp']) {
      expect(roleOfFileName(tuf1MetadataFileName(role, 4))).toBe(role);
      expect(roleOfFileName(tuf1MetadataFileName(role))).toBe(role);
    }
    expect(roleOfFileName('4.targets%2Freleases.json')).toBe('targets/releases');
    expect(roleOfFileName('timestamp.json')).toBe('timestamp');
    expect(roleOfFileName('4.bad%zz.json')).toBeNull();
  });

  it("Docker's per-role tag only for delegated roles whose name is a valid tag", () => {
    expect(dockerRoleTag('3.doi.json')).toBe('doi');
    expect(dockerRoleTag('3.targets.json')).toBeNull();
    expect(dockerRoleTag('timestamp.json')).toBeNull();
    expect(dockerRoleTag('3.targets%2Freleases.json')).toBeNull();
  });
});

describe('metadata manifests', () => {
  it('build → parse round trip, deterministic, with Docker’s layer order and the empty config', () => {
    const files = [
      file('timestamp.json'),
      file('2.targets.json'),
      file('1.root.json'),
      file('2.root.json'),
      file('2.snapshot.json'),
      file('2.a%2Fb.json'),
    ];
    const a = buildMetadataManifest(files);
    const b = buildMetadataManifest([...files].reverse());
    expect(Buffer.from(a.bytes)).toEqual(Buffer.from(b.bytes));
    expect(a.blobs.get(OCI_EMPTY_DIGEST)).toEqual(OCI_EMPTY_BYTES);
    expect(sha256Digest(OCI_EMPTY_BYTES)).toBe(OCI_EMPTY_DIGEST);
    const parsed = parseMetadataManifest(a.bytes);
    expect(parsed.digest).toBe(a.digest);
    expect([...parsed.files.keys()]).toEqual([
      '1.root.json',
      '2.root.json',
      '2.snapshot.json',
      '2.targets.json',
      '2.a%2Fb.json',
      'timestamp.json',
    ]);
    expect(parsed.files.get('2.targets.json')).toMatchObject({
      digest: sha256Digest(enc.encode('2.targets.json')),
      size: 14,
    });
  });

  it('kept layers are referenced by descriptor; new files win over kept ones', () => {
    const first = parseMetadataManifest(
      buildMetadataManifest([file('1.root.json'), file('timestamp.json', 'old')]).bytes,
    );
    const next = buildMetadataManifest([file('timestamp.json', 'new')], first.files);
    expect(next.blobs.size).toBe(2); // config + the new timestamp
    expect(parseMetadataManifest(next.bytes).files.get('timestamp.json')!.digest).toBe(
      sha256Digest(enc.encode('new')),
    );
    expect(errorOf(() => buildMetadataManifest([file('a.json'), file('a.json')])).code).toBe('BAD_METADATA');
    expect(errorOf(() => buildMetadataManifest([file('../a.json')])).code).toBe('BAD_METADATA');
  });

  it('refuses what is not a metadata manifest, with a specific reason', () => {
    const cases: Array<[string, Uint8Array, string]> = [
      ['duplicate names', manifestWith([layer('timestamp.json'), layer('timestamp.json')]), 'two layers'],
      [
        'foreign media type',
        manifestWith([layer('timestamp.json', { mediaType: 'application/vnd.oci.image.layer.v1.tar+gzip' })]),
        'media type',
      ],
      ['no file name', manifestWith([layer('timestamp.json', { annotations: {} })]), 'no tuf.io/filename'],
      ['traversal', manifestWith([layer('../../etc/passwd.json')]), 'invalid file name'],
      ['bad digest', manifestWith([layer('timestamp.json', { digest: 'sha512:00' })]), 'digest'],
      ['negative size', manifestWith([layer('timestamp.json', { size: -1 })]), 'size'],
      ['index', manifestWith([], { mediaType: 'application/vnd.oci.image.index.v1+json' }), 'image index'],
      [
        'docker v2',
        manifestWith([], { mediaType: 'application/vnd.docker.distribution.manifest.v2+json' }),
        'media type',
      ],
      ['schema 1', manifestWith([], { schemaVersion: 1 }), 'schemaVersion'],
      ['not JSON', enc.encode('{"layers": ['), 'JSON'],
      ['bad UTF-8', new Uint8Array([0x7b, 0xff, 0x7d]), 'UTF-8'],
      [
        'no config',
        enc.encode(
          JSON.stringify({
            schemaVersion: 2,
            mediaType: 'application/vnd.oci.image.manifest.v1+json',
            layers: [],
          }),
        ),
        'config',
      ],
    ];
    for (const [what, bytes, msg] of cases) {
      const e = errorOf(() => parseMetadataManifest(bytes));
      expect(e.code, what).toBe('BAD_METADATA');
      expect(e.message, what).toContain(msg);
    }
    expect(
      errorOf(() =>
        parseMetadataManifest(manifestWith([layer('timestamp.json', { size: 5000 })]), {
          maxLayerBytes: 4096,
        }),
      ).code,
    ).toBe('TOO_LARGE');
    expect(errorOf(() => parseMetadataManifest(new Uint8Array((4 << 20) + 1))).code).toBe('TOO_LARGE');
    const many = Array.from({ length: MAX_METADATA_LAYERS + 1 }, (_, i) => layer(`${i + 1}.root.json`));
    expect(errorOf(() => parseMetadataManifest(manifestWith(many))).code).toBe('TOO_LARGE');
  });

  it('an annotation named __proto__ cannot shadow the file name', () => {
    const raw = `{"schemaVersion":2,"mediaType":"application/vnd.oci.image.manifest.v1+json","config":{"mediaType":"x","digest":"${OCI_EMPTY_DIGEST}","size":2},"layers":[{"mediaType":"${TUF_METADATA_MEDIA_TYPE}","digest":"${OCI_EMPTY_DIGEST}","size":2,"annotations":{"__proto__":{"tuf.io/filename":"timestamp.json"}}}]}`;
    expect(errorOf(() => parseMetadataManifest(enc.encode(raw))).code).toBe('BAD_METADATA');
  });

  it('property: any bytes either parse to valid names or fail with a TrustError', () => {
    const good = buildMetadataManifest([file('1.root.json'), file('timestamp.json')]).bytes;
    fc.assert(
      fc.property(fc.integer({ min: 0, max: good.length - 1 }), fc.integer({ min: 0, max: 255 }), (i, v) => {
        const b = Uint8Array.from(good);
        b[i] = v;
        try {
          const m = parseMetadataManifest(b);
          for (const n of m.files.keys()) expect(isMetadataFileName(n)).toBe(true);
        } catch (e) {
          expect(e).toBeInstanceOf(TrustError);
        }
      }),
      { numRuns: 2000 },
    );
  });
});

describe('locations', () => {
  it('parses oci://HOST[:PORT]/REPO[:TAG] and names the image’s own repository for `registry`', () => {
    expect(parseOciLocation('oci://localhost:5000/library/app')).toEqual({
      registry: 'localhost:5000',
      repository: 'library/app',
      tag: 'tuf-metadata',
    });
    expect(parseOciLocation('oci://Reg.Example.com/trust/app:v1')).toEqual({
      registry: 'reg.example.com',
      repository: 'trust/app',
      tag: 'v1',
    });
    expect(
      metadataLocation('registry', {
        name: 'x',
        registry: 'docker.io',
        repository: 'library/alpine',
        gun: 'docker.io/library/alpine',
      }),
    ).toEqual({
      registry: 'docker.io',
      repository: 'library/alpine',
      tag: 'tuf-metadata',
    });
    expect(isRegistryServer('registry')).toBe(true);
    expect(isRegistryServer('oci://h/r')).toBe(true);
    expect(isRegistryServer('https://notary.example')).toBe(false);
    for (const bad of [
      'oci://',
      'oci://host',
      'oci://host/',
      'oci://host/Upper',
      'oci://host/app@sha256:' + 'a'.repeat(64),
      'oci://host/app:bad/tag',
      'oci://ho st/app',
      'oci://host:99999/app',
      'oci://host/app?x=1',
      'https://host/app',
    ]) {
      expect(errorOf(() => parseOciLocation(bad)).code, bad).toBe('CONFIG');
    }
  });

  it('plain http only for loopback registries', () => {
    expect(new OciRegistryClient({ registry: '127.0.0.1:5000' }).baseUrl).toBe('http://127.0.0.1:5000');
    expect(new OciRegistryClient({ registry: 'reg.example:5000' }).baseUrl).toBe('https://reg.example:5000');
    expect(new OciRegistryClient({ registry: 'docker.io' }).baseUrl).toBe('https://registry-1.docker.io');
    expect(
      errorOf(() => new OciRegistryClient({ registry: 'x', baseUrl: 'http://reg.example:5000' })).code,
    ).toBe('CONFIG');
    expect(errorOf(() => new OciRegistryClient({ registry: 'x', baseUrl: 'http://10.0.0.1' })).code).toBe(
      'CONFIG',
    );
    expect(errorOf(() => new OciRegistryClient({ registry: 'x', baseUrl: 'ftp://127.0.0.1' })).code).toBe(
      'CONFIG',
    );
  });
});
