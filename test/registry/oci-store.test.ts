// Registry-hosted trust data over the real docker-registry of the test labs (plain and token auth),
// and hostile registries simulated by a tampering proxy in front of the real one.
import { randomBytes } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { TrustError } from '../../src/errors.js';
import { decodeBasicAuth, staticCredentials } from '../../src/transport/credentials.js';
import { collectForBundle, OciBundle, writeBundle } from '../../src/transport/oci/bundle.js';
import { DirOciCache, MemoryOciCache } from '../../src/transport/oci/cache.js';
import { OciRegistryClient } from '../../src/transport/oci/distribution.js';
import {
  buildMetadataManifest,
  OCI_EMPTY_BYTES,
  OCI_EMPTY_DIGEST,
  OCI_MANIFEST_MEDIA_TYPE,
  sha256Digest,
  TUF_FILENAME_ANNOTATION,
  TUF_METADATA_MEDIA_TYPE,
} from '../../src/transport/oci/layout.js';
import type { MetadataLocation } from '../../src/transport/oci/location.js';
import { OciMetadataStore } from '../../src/transport/oci/registry-store.js';
import { getLab, type LabInfo, tempDir } from '../harness/lab.js';
import { RegistryProxy } from '../support/registry-proxy.js';

const enc = new TextEncoder();
const meta = (role: string, version: number, extra = '') =>
  enc.encode(JSON.stringify({ signed: { _type: role, version, extra }, signatures: [] }));

function stateV(n: number): { name: string; bytes: Uint8Array }[] {
  return [
    { name: '1.root.json', bytes: meta('root', 1) },
    { name: 'timestamp.json', bytes: meta('timestamp', n) },
    { name: `${n}.snapshot.json`, bytes: meta('snapshot', n) },
    { name: `${n}.targets.json`, bytes: meta('targets', n) },
    { name: `${n}.targets%2Freleases.json`, bytes: meta('targets/releases', n) },
  ];
}

const freshRepo = (prefix: string) => `library/${prefix}-${randomBytes(5).toString('hex')}`;

function clientFor(lab: LabInfo, opts: { baseUrl?: string; anonymous?: boolean } = {}): OciRegistryClient {
  const basic = lab.notaryEnv.NOTARY_AUTH;
  return new OciRegistryClient({
    registry: lab.registryHost,
    ...(opts.baseUrl ? { baseUrl: opts.baseUrl } : {}),
    credentials: basic && !opts.anonymous ? staticCredentials(decodeBasicAuth(basic)) : null,
    deadlineMs: 10_000,
  });
}

function storeFor(
  lab: LabInfo,
  location: MetadataLocation,
  extra: { baseUrl?: string; cache?: DirOciCache | MemoryOciCache; anonymous?: boolean } = {},
) {
  const clientOpts: { baseUrl?: string; anonymous?: boolean } = {};
  if (extra.baseUrl) clientOpts.baseUrl = extra.baseUrl;
  if (extra.anonymous) clientOpts.anonymous = true;
  return new OciMetadataStore({
    client: clientFor(lab, clientOpts),
    location,
    ...(extra.cache ? { cache: extra.cache } : {}),
  });
}

async function rejection(p: Promise<unknown>): Promise<TrustError> {
  try {
    await p;
  } catch (e) {
    if (e instanceof TrustError) return e;
    throw e;
  }
  throw new Error('expected a rejection');
}

/** Pushes a hand-made manifest (e.g. a hostile one) with its blobs straight to the registry. */
async function pushRaw(
  client: OciRegistryClient,
  repo: string,
  tag: string,
  manifest: unknown,
  blobs: Uint8Array[],
) {
  for (const b of [OCI_EMPTY_BYTES, ...blobs]) await client.pushBlob(repo, b);
  return client.putManifest(repo, tag, enc.encode(JSON.stringify(manifest)), OCI_MANIFEST_MEDIA_TYPE);
}

function layer(name: string, bytes: Uint8Array, mediaType = TUF_METADATA_MEDIA_TYPE) {
  return {
    mediaType,
    digest: sha256Digest(bytes),
    size: bytes.byteLength,
    annotations: { [TUF_FILENAME_ANNOTATION]: name },
  };
}

function rawManifest(layers: unknown[]) {
  return {
    schemaVersion: 2,
    mediaType: OCI_MANIFEST_MEDIA_TYPE,
    config: { mediaType: 'application/vnd.oci.empty.v1+json', digest: OCI_EMPTY_DIGEST, size: 2 },
    layers,
  };
}

for (const labName of ['remote', 'auth'] as const) {
  describe(`registry-hosted trust data on the real docker-registry (${labName} lab)`, () => {
    const lab = () => getLab(labName);

    it('pushes a state as one manifest, reads the tag back, and serves every file by name', async () => {
      const loc = { registry: lab().registryHost, repository: freshRepo('oci-rt'), tag: 'tuf-metadata' };
      const store = storeFor(lab(), loc);
      const files = stateV(1);
      const res = await store.pushFiles(files, { base: null });
      expect(res.uploaded).toBe(files.length + 1); // + the empty config
      const reader = storeFor(lab(), loc);
      for (const f of files) {
        expect(Buffer.from((await reader.getMeta(f.name, 1 << 20))!)).toEqual(Buffer.from(f.bytes));
      }
      // MetadataStore names without .json work too; absent files are null
      expect(await reader.getMeta('1.root', 1 << 20)).not.toBeNull();
      expect(await reader.getMeta('2.root.json', 1 << 20)).toBeNull();
      const m = await reader.manifest();
      expect(m?.digest).toBe(res.digest);
      // what the registry stores is exactly the layout
      const raw = await clientFor(lab()).getManifest(loc.repository, loc.tag);
      expect(raw.status).toBe('ok');
      if (raw.status === 'ok') {
        expect(raw.manifest.mediaType).toBe(OCI_MANIFEST_MEDIA_TYPE);
        const doc = JSON.parse(Buffer.from(raw.manifest.bytes).toString('utf8'));
        expect(
          doc.layers.map(
            (l: { annotations: Record<string, string> }) => l.annotations[TUF_FILENAME_ANNOTATION],
          ),
        ).toEqual([
          '1.root.json',
          '1.snapshot.json',
          '1.targets.json',
          '1.targets%2Freleases.json',
          'timestamp.json',
        ]);
      }
    });

    it('a second push keeps unchanged layers, supersedes old versions, keeps every root, and refuses going down', async () => {
      const loc = { registry: lab().registryHost, repository: freshRepo('oci-v2'), tag: 'tuf-metadata' };
      const store = storeFor(lab(), loc);
      const first = await store.pushFiles(stateV(1), { base: null });
      const second = await store.pushFiles(
        [
          { name: '2.root.json', bytes: meta('root', 2) },
          { name: 'timestamp.json', bytes: meta('timestamp', 2) },
          { name: '2.snapshot.json', bytes: meta('snapshot', 2) },
          { name: '2.targets.json', bytes: meta('targets', 2) },
        ],
        { base: first.digest },
      );
      expect(second.uploaded).toBe(4);
      const m = await storeFor(lab(), loc).manifest();
      expect([...m!.files.keys()].sort()).toEqual(
        [
          '1.root.json',
          '2.root.json',
          '2.snapshot.json',
          '2.targets.json',
          '1.targets%2Freleases.json',
          'timestamp.json',
        ].sort(),
      );
      const down = await rejection(
        store.pushFiles([{ name: '1.snapshot.json', bytes: meta('snapshot', 1) }]),
      );
      expect(down.code).toBe('PUBLISH_REJECTED');
      const rewrite = await rejection(
        store.pushFiles([{ name: '1.root.json', bytes: meta('root', 1, 'other') }]),
      );
      expect(rewrite.code).toBe('PUBLISH_REJECTED');
    });

    it('a stale base or a tag moved by a concurrent publisher is a lost update (CONFLICT)', async () => {
      const loc = { registry: lab().registryHost, repository: freshRepo('oci-race'), tag: 'tuf-metadata' };
      const a = storeFor(lab(), loc);
      const first = await a.pushFiles(stateV(1), { base: null });
      await storeFor(lab(), loc).pushFiles(stateV(2), { base: first.digest });
      const stale = await rejection(a.pushFiles(stateV(3), { base: first.digest }));
      expect(stale.code).toBe('CONFLICT');

      // A publisher that overwrites the tag between our PUT and our read-back.
      const proxy = await RegistryProxy.start(lab().registryUrl);
      try {
        const other = storeFor(lab(), loc);
        let raced = false;
        proxy.rule(async (req, upstream) => {
          if (req.kind !== 'manifest' || req.method !== 'PUT' || raced) return undefined;
          raced = true;
          const ours = await upstream();
          await other.pushFiles(stateV(5));
          return { status: ours.status, headers: ours.headers, body: ours.body };
        });
        const viaProxy = storeFor(lab(), loc, { baseUrl: proxy.url });
        const lost = await rejection(viaProxy.pushFiles(stateV(4)));
        expect(lost.code).toBe('CONFLICT');
        expect(lost.message).toContain('lost update');
      } finally {
        await proxy.close();
      }
    });

    it('a warm read costs one conditional request when nothing changed', async () => {
      const loc = { registry: lab().registryHost, repository: freshRepo('oci-warm'), tag: 'tuf-metadata' };
      await storeFor(lab(), loc).pushFiles(stateV(1));
      const cacheDir = tempDir();
      const proxy = await RegistryProxy.start(lab().registryUrl);
      try {
        const cold = storeFor(lab(), loc, { baseUrl: proxy.url, cache: new DirOciCache(cacheDir) });
        expect(await cold.getMeta('timestamp.json', 1 << 20)).not.toBeNull();
        expect(await cold.getMeta('1.snapshot.json', 1 << 20)).not.toBeNull();
        proxy.requests.length = 0;
        const warm = storeFor(lab(), loc, { baseUrl: proxy.url, cache: new DirOciCache(cacheDir) });
        expect(await warm.getMeta('timestamp.json', 1 << 20)).not.toBeNull();
        expect(await warm.getMeta('1.snapshot.json', 1 << 20)).not.toBeNull();
        // token lab: the first (unauthenticated) attempt is answered 401 + the retry; count the
        // requests that reached the registry with credentials or on the open lab
        const answered = proxy.requests.filter((r) => labName === 'remote' || r.headers.authorization);
        expect(answered.map((r) => `${r.method} ${r.kind}`)).toEqual(['GET manifest']);
        expect(answered[0]!.headers['if-none-match']).toMatch(/^"sha256:[0-9a-f]{64}"$/);
        // after a push, the same cache sees the new state
        await storeFor(lab(), loc).pushFiles(stateV(2));
        const after = storeFor(lab(), loc, { baseUrl: proxy.url, cache: new DirOciCache(cacheDir) });
        expect(await after.getMeta('2.snapshot.json', 1 << 20)).not.toBeNull();
      } finally {
        await proxy.close();
      }
    });

    it('the tag deleted: every file is absent and nothing else is asked for', async () => {
      const loc = { registry: lab().registryHost, repository: freshRepo('oci-del'), tag: 'tuf-metadata' };
      await storeFor(lab(), loc).pushFiles(stateV(1));
      await storeFor(lab(), loc).deleteRepository();
      const proxy = await RegistryProxy.start(lab().registryUrl);
      try {
        const s = storeFor(lab(), loc, { baseUrl: proxy.url, cache: new MemoryOciCache() });
        expect(await s.getMeta('timestamp.json', 1 << 20)).toBeNull();
        expect(await s.getMeta('1.root.json', 1 << 20)).toBeNull();
        expect(new Set(proxy.requests.map((r) => `${r.kind} ${r.repository}:${r.reference}`))).toEqual(
          new Set([`manifest ${loc.repository}:tuf-metadata`]),
        );
      } finally {
        await proxy.close();
      }
    });
  });
}

describe('hostile registries (tampering proxy in front of the real docker-registry)', () => {
  const lab = () => getLab('remote');
  let proxy: RegistryProxy;
  beforeAll(async () => {
    proxy = await RegistryProxy.start(getLab('remote').registryUrl);
  });
  afterAll(async () => {
    await proxy.close();
  });

  async function setup(prefix: string) {
    proxy.reset();
    const loc = { registry: lab().registryHost, repository: freshRepo(prefix), tag: 'tuf-metadata' };
    const pushed = await storeFor(lab(), loc).pushFiles(stateV(1));
    return { loc, pushed, viaProxy: () => storeFor(lab(), loc, { baseUrl: proxy.url }) };
  }

  it('a blob served with other bytes of the same length is HASH_MISMATCH; longer bytes are refused at the cap', async () => {
    const { loc, viaProxy } = await setup('oci-blob');
    const real = stateV(1).find((f) => f.name === '1.snapshot.json')!.bytes;
    const forged = Buffer.from(real);
    forged[forged.length - 3]! ^= 1;
    proxy.rule((req) =>
      req.kind === 'blob' && req.reference === sha256Digest(real) ? { body: forged } : undefined,
    );
    expect((await rejection(viaProxy().getMeta('1.snapshot.json', 1 << 20))).code).toBe('HASH_MISMATCH');
    proxy.reset();
    proxy.rule((req) =>
      req.kind === 'blob' && req.reference === sha256Digest(real)
        ? { body: Buffer.concat([real, Buffer.alloc(64, 32)]) }
        : undefined,
    );
    expect((await rejection(viaProxy().getMeta('1.snapshot.json', 1 << 20))).code).toBe('TOO_LARGE');
    // the descriptor's own size over the caller's limit: refused before any blob request
    proxy.reset();
    expect((await rejection(viaProxy().getMeta('1.snapshot.json', 10))).code).toBe('TOO_LARGE');
    expect(proxy.requests.some((r) => r.kind === 'blob')).toBe(false);
    expect(loc.tag).toBe('tuf-metadata');
  });

  it('an oversized manifest is refused from its Content-Length (and within a second)', async () => {
    const { viaProxy } = await setup('oci-big');
    const big = Buffer.alloc((4 << 20) + 1, 0x20);
    proxy.rule((req) =>
      req.kind === 'manifest'
        ? { body: big, headers: { 'content-type': OCI_MANIFEST_MEDIA_TYPE } }
        : undefined,
    );
    const t0 = Date.now();
    expect((await rejection(viaProxy().getMeta('timestamp.json', 1 << 20))).code).toBe('TOO_LARGE');
    expect(Date.now() - t0).toBeLessThan(1000);
  });

  it('two layers with the same file name, a foreign layer media type, an image index: refused', async () => {
    const repo = freshRepo('oci-dup');
    const client = clientFor(lab());
    const a = meta('timestamp', 1);
    const b = meta('timestamp', 9);
    await pushRaw(
      client,
      repo,
      'dup',
      rawManifest([layer('timestamp.json', a), layer('timestamp.json', b)]),
      [a, b],
    );
    await pushRaw(
      client,
      repo,
      'foreign',
      rawManifest([layer('timestamp.json', a, 'application/octet-stream')]),
      [a],
    );
    await pushRaw(client, repo, 'noname', rawManifest([{ ...layer('x.json', a), annotations: {} }]), [a]);
    await pushRaw(client, repo, 'traversal', rawManifest([layer('../timestamp.json', a)]), [a]);
    for (const tag of ['dup', 'foreign', 'noname', 'traversal']) {
      const s = storeFor(lab(), { registry: lab().registryHost, repository: repo, tag });
      const err = await rejection(s.getMeta('timestamp.json', 1 << 20));
      expect(err.code, tag).toBe('BAD_METADATA');
    }
    const idx = enc.encode(
      JSON.stringify({
        schemaVersion: 2,
        mediaType: 'application/vnd.oci.image.index.v1+json',
        manifests: [],
      }),
    );
    await client.putManifest(repo, 'index', idx, 'application/vnd.oci.image.index.v1+json');
    const s = storeFor(lab(), { registry: lab().registryHost, repository: repo, tag: 'index' });
    const err = await rejection(s.getMeta('timestamp.json', 1 << 20));
    expect(err.code).toBe('BAD_METADATA');
  });

  it('the manifest of another repository: its layers are not blobs of this repository', async () => {
    const victim = await setup('oci-victim');
    const otherLoc = {
      registry: lab().registryHost,
      repository: freshRepo('oci-other'),
      tag: 'tuf-metadata',
    };
    await storeFor(lab(), otherLoc).pushFiles(
      stateV(7).map((f) => ({ ...f, bytes: meta('x', 7, otherLoc.repository) })),
    );
    proxy.rule((req, upstream) =>
      req.kind === 'manifest' && req.repository === victim.loc.repository
        ? upstream({ path: `/v2/${otherLoc.repository}/manifests/tuf-metadata` }).then((a) => ({
            status: a.status,
            headers: a.headers,
            body: a.body,
          }))
        : undefined,
    );
    const err = await rejection(victim.viaProxy().getMeta('timestamp.json', 1 << 20));
    expect(err.code).toBe('SERVER_ERROR');
    expect(err.message).toContain('missing');
  });

  it("Docker's per-role manifests: a delegated role missing from the main manifest is read from the role's tag", async () => {
    const repo = freshRepo('oci-docker');
    const client = clientFor(lab());
    const loc = { registry: lab().registryHost, repository: repo, tag: 'latest' };
    const files = stateV(1).filter((f) => !f.name.includes('releases'));
    const main = buildMetadataManifest(files);
    await pushRaw(
      client,
      repo,
      'latest',
      JSON.parse(Buffer.from(main.bytes).toString('utf8')),
      files.map((f) => f.bytes),
    );
    const doi = meta('doi', 3);
    await pushRaw(client, repo, 'doi', rawManifest([layer('3.doi.json', doi)]), [doi]);
    const ts = meta('timestamp', 66);
    await pushRaw(client, repo, 'timestamp', rawManifest([layer('timestamp.json', ts)]), [ts]);
    const s = storeFor(lab(), loc);
    expect(Buffer.from((await s.getMeta('3.doi.json', 1 << 20))!)).toEqual(Buffer.from(doi));
    expect(await s.getMeta('4.doi.json', 1 << 20)).toBeNull();
    // top-level roles are never looked up under a role tag
    expect(Buffer.from((await s.getMeta('timestamp.json', 1 << 20))!)).toEqual(Buffer.from(files[1]!.bytes));
    expect(await s.getMeta('2.snapshot.json', 1 << 20)).toBeNull();
  });
});

describe('token auth', () => {
  it('anonymous clients may pull but not push', async () => {
    const lab = getLab('auth');
    const loc = { registry: lab.registryHost, repository: freshRepo('oci-anon'), tag: 'tuf-metadata' };
    await storeFor(lab, loc).pushFiles(stateV(1));
    const anon = storeFor(lab, loc, { anonymous: true });
    expect(await anon.getMeta('timestamp.json', 1 << 20)).not.toBeNull();
    const err = await rejection(anon.pushFiles(stateV(2)));
    expect(err.code).toBe('AUTH');
  });
});

describe('offline bundles from the real registry', () => {
  it('export from the registry, then serve the same bytes from the bundle with no network', async () => {
    const lab = getLab('remote');
    const loc = { registry: lab.registryHost, repository: freshRepo('oci-bundle'), tag: 'tuf-metadata' };
    const files = stateV(2);
    await storeFor(lab, loc).pushFiles(files);
    const client = clientFor(lab);
    const store = new OciMetadataStore({ client, location: loc });
    const gun = `${loc.registry}/${loc.repository}`;
    const { manifest, blobs } = await collectForBundle(store, gun, (d, size) =>
      client.getBlob(loc.repository, d, size, 1 << 20),
    );
    const tar = writeBundle([manifest], blobs);
    const offline = OciBundle.parse(tar).store(gun);
    for (const f of files) {
      expect(Buffer.from((await offline.getMeta(f.name, 1 << 20))!)).toEqual(Buffer.from(f.bytes));
    }
    expect((await offline.manifest())!.digest).toBe((await store.manifest())!.digest);
  });
});
