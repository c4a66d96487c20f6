/**
 * An OCI distribution client for what registry-hosted trust needs: manifests by tag or digest
 * (HEAD, conditional GET, PUT, DELETE) and blobs (GET with length and digest verification, monolithic
 * POST+PUT upload). It moves bytes and never decides trust.
 *
 * Every request goes through the shared authenticating client of src/transport/auth.ts (token auth,
 * docker credentials) and so through the HTTP client's size caps and overall deadline. Plain http is
 * used only for loopback registries (127.0.0.0/8, localhost, ::1), as docker does; a registry URL
 * naming http for another host is refused, and so is a redirect from https to plain http.
 */

import { LocalError, NetworkError, TrustError, VerificationError } from '../../errors.js';
import {
  type AuthClientOptions,
  type AuthRequest,
  authClientFor,
  type RegistryAuth,
  serverErrorDetail,
} from '../auth.js';
import { displayUrl, type HttpResponse } from '../http.js';
import { registryBaseUrl } from '../registry.js';
import { isLoopbackHost, trimTrailingSlashes } from '../server-url.js';
import {
  MAX_METADATA_MANIFEST_BYTES,
  OCI_INDEX_MEDIA_TYPE,
  OCI_MANIFEST_MEDIA_TYPE,
  sha256Digest,
} from './layout.js';

const SHA256_DIGEST = /^sha256:[a-f0-9]{64}$/;
const TAG = /^[A-Za-z0-9_][A-Za-z0-9._-]{0,127}$/;
const REPOSITORY = /^[a-z0-9]+(?:(?:[._]|__|[-]+)[a-z0-9]+)*(?:\/[a-z0-9]+(?:(?:[._]|__|[-]+)[a-z0-9]+)*)*$/;
const MAX_REDIRECTS = 3;

/** Options of OciRegistryClient: the registry and how to authenticate to it. */
export interface OciClientOptions extends AuthClientOptions {
  /** Registry host[:port] as in an image reference (`localhost:5000`, `docker.io`). */
  registry: string;
  /** Base URL to use instead of the one derived from `registry` (tests, proxies); http only for loopback. */
  baseUrl?: string;
}

/** A manifest as fetched: exact bytes, their digest, the media type the registry sent. */
export interface ManifestResult {
  bytes: Uint8Array;
  /** `sha256:<hex>` of the bytes (checked against Docker-Content-Digest and a digest reference). */
  digest: string;
  mediaType: string;
}

/** The answer to a conditional manifest GET. */
export type ConditionalManifest =
  | { status: 'ok'; manifest: ManifestResult }
  | { status: 'not-modified' }
  | { status: 'not-found' };

function checkRepository(repository: string): string {
  if (repository.length > 255 || !REPOSITORY.test(repository)) {
    throw new LocalError(
      'BAD_REFERENCE',
      `invalid repository path ${JSON.stringify(repository.slice(0, 300))}`,
    );
  }
  return repository;
}

function checkReference(ref: string): string {
  if (SHA256_DIGEST.test(ref) || TAG.test(ref)) return ref;
  throw new LocalError('BAD_REFERENCE', `invalid tag or digest ${JSON.stringify(ref.slice(0, 200))}`);
}

function checkDigest(digest: string): string {
  if (SHA256_DIGEST.test(digest)) return digest;
  throw new LocalError('BAD_REFERENCE', `invalid digest ${JSON.stringify(digest.slice(0, 200))}`);
}

/** http is allowed only for loopback hosts; everything else must be https. */
function checkScheme(url: URL, what: string): void {
  if (url.protocol === 'https:') return;
  if (url.protocol === 'http:' && isLoopbackHost(url.host)) return;
  throw new LocalError(
    'CONFIG',
    `${what} ${displayUrl(url.toString())} must use https (plain http only for loopback registries)`,
  );
}

/** An OCI distribution client (manifests, blobs, uploads) over the shared authenticating HTTP client. */
export class OciRegistryClient {
  readonly baseUrl: string;
  readonly registry: string;
  readonly #client: RegistryAuth;

  constructor(options: OciClientOptions) {
    this.registry = options.registry;
    const base = options.baseUrl ?? registryBaseUrl(options.registry, true);
    let u: URL;
    try {
      u = new URL(base);
    } catch {
      throw new LocalError('CONFIG', `invalid registry URL ${JSON.stringify(base.slice(0, 200))}`);
    }
    checkScheme(u, 'registry URL');
    this.baseUrl = `${u.origin}${trimTrailingSlashes(u.pathname)}`;
    this.#client = authClientFor(options);
  }

  /** The authenticating client (shared with other transports of the same registry). */
  get auth(): RegistryAuth {
    return this.#client;
  }

  manifestUrl(repository: string, ref: string): string {
    return `${this.baseUrl}/v2/${checkRepository(repository)}/manifests/${checkReference(ref)}`;
  }

  blobUrl(repository: string, digest: string): string {
    return `${this.baseUrl}/v2/${checkRepository(repository)}/blobs/${checkDigest(digest)}`;
  }

  async #send(req: AuthRequest): Promise<HttpResponse> {
    try {
      return await this.#client.request(req);
    } catch (err) {
      if (err instanceof TrustError) throw err;
      throw new NetworkError('NETWORK', `${req.method} ${displayUrl(req.url)} failed`, { cause: err });
    }
  }

  #failure(res: HttpResponse, url: string, method: string): NetworkError {
    const detail = serverErrorDetail(res.body);
    const suffix = detail ? ` (${detail.replace(/[^\x20-\x7e]/g, '?')})` : '';
    const where = `${method} ${displayUrl(url)}`;
    if (res.status === 401 || res.status === 403) {
      return new NetworkError('AUTH', `${where}: access denied (${res.status})${suffix}`);
    }
    return new NetworkError('SERVER_ERROR', `${where}: registry answered HTTP ${res.status}${suffix}`, {
      actual: String(res.status),
    });
  }

  /**
   * GET a manifest by tag or digest. With `ifNoneMatch` (the digest of the copy the caller holds) a
   * 304, or a 200 whose Docker-Content-Digest equals it, is `not-modified` without reading a body
   * twice. The bytes are checked against Docker-Content-Digest and against a digest reference.
   */
  async getManifest(
    repository: string,
    ref: string,
    options: { ifNoneMatch?: string; maxBytes?: number; accept?: readonly string[] } = {},
  ): Promise<ConditionalManifest> {
    const url = this.manifestUrl(repository, ref);
    const headers: Record<string, string> = {
      // The index too, so that a tag pointing at one is refused by name rather than read as absent.
      accept: (options.accept ?? [OCI_MANIFEST_MEDIA_TYPE, OCI_INDEX_MEDIA_TYPE]).join(', '),
    };
    if (options.ifNoneMatch !== undefined) headers['if-none-match'] = `"${checkDigest(options.ifNoneMatch)}"`;
    const maxBytes = options.maxBytes ?? MAX_METADATA_MANIFEST_BYTES;
    const res = await this.#send({
      method: 'GET',
      url,
      headers,
      maxBytes,
      scope: `repository:${repository}:pull`,
    });
    if (res.status === 304) {
      if (options.ifNoneMatch === undefined) throw this.#failure(res, url, 'GET');
      return { status: 'not-modified' };
    }
    if (res.status === 404) return { status: 'not-found' };
    if (res.status !== 200) throw this.#failure(res, url, 'GET');
    const digest = sha256Digest(res.body);
    const claimed = res.headers['docker-content-digest'];
    if (claimed !== undefined && claimed !== digest) {
      throw new VerificationError(
        'HASH_MISMATCH',
        `manifest ${repository}:${ref}: the registry says ${claimed.slice(0, 80)} but the bytes hash to ${digest}`,
        { expected: claimed.slice(0, 80), actual: digest },
      );
    }
    if (SHA256_DIGEST.test(ref) && ref !== digest) {
      throw new VerificationError(
        'HASH_MISMATCH',
        `manifest ${repository}@${ref}: the registry returned bytes hashing to ${digest}`,
        { expected: ref, actual: digest },
      );
    }
    if (options.ifNoneMatch === digest) return { status: 'not-modified' };
    const mediaType = (res.headers['content-type'] ?? '').split(';')[0]!.trim();
    return { status: 'ok', manifest: { bytes: res.body, digest, mediaType } };
  }

  /** HEAD a manifest: its digest, or null on 404. */
  async headManifest(repository: string, ref: string): Promise<string | null> {
    const url = this.manifestUrl(repository, ref);
    const res = await this.#send({
      method: 'HEAD',
      url,
      headers: { accept: OCI_MANIFEST_MEDIA_TYPE },
      maxBytes: 0,
      scope: `repository:${repository}:pull`,
    });
    if (res.status === 404) return null;
    if (res.status !== 200) throw this.#failure(res, url, 'HEAD');
    const digest = res.headers['docker-content-digest'];
    if (digest !== undefined && SHA256_DIGEST.test(digest)) return digest;
    // No usable header: fall back to the bytes.
    const got = await this.getManifest(repository, ref);
    return got.status === 'ok' ? got.manifest.digest : null;
  }

  /**
   * GET a blob, verifying its length against `size` and its sha256 against `digest`; at most
   * `maxBytes` are read (a larger `size` fails before any request). Follows up to 3 redirects
   * (storage back ends), never from https to plain http.
   */
  async getBlob(repository: string, digest: string, size: number, maxBytes: number): Promise<Uint8Array> {
    if (size > maxBytes) {
      throw new VerificationError(
        'TOO_LARGE',
        `blob ${digest} of ${repository} is ${size} bytes, over the ${maxBytes}-byte limit`,
        { expected: `<= ${maxBytes} bytes`, actual: `${size} bytes` },
      );
    }
    let url = this.blobUrl(repository, digest);
    let res: HttpResponse | undefined;
    for (let hop = 0; ; hop++) {
      res = await this.#send({
        method: 'GET',
        url,
        maxBytes: size,
        ...(hop === 0 ? { scope: `repository:${repository}:pull` } : {}),
        // storage behind a redirect gets no registry credentials, whatever it challenges with
        ...(new URL(url).origin !== new URL(this.baseUrl).origin ? { anonymous: true } : {}),
      });
      if (![301, 302, 303, 307, 308].includes(res.status)) break;
      const location = res.headers.location;
      if (location === undefined || hop >= MAX_REDIRECTS) throw this.#failure(res, url, 'GET');
      let next: URL;
      try {
        next = new URL(location, url);
      } catch {
        throw this.#failure(res, url, 'GET');
      }
      if (new URL(url).protocol === 'https:' && next.protocol !== 'https:') {
        throw new NetworkError(
          'SERVER_ERROR',
          `blob ${digest}: refusing a redirect from https to ${next.protocol}`,
        );
      }
      checkScheme(next, 'blob redirect');
      url = next.toString();
    }
    if (res.status === 404) {
      throw new NetworkError(
        'SERVER_ERROR',
        `blob ${digest} of ${repository} is missing on the registry (404)`,
      );
    }
    if (res.status !== 200) throw this.#failure(res, url, 'GET');
    if (res.body.byteLength !== size) {
      throw new VerificationError(
        'LENGTH_MISMATCH',
        `blob ${digest} of ${repository}: expected ${size} bytes, got ${res.body.byteLength}`,
        { expected: String(size), actual: String(res.body.byteLength) },
      );
    }
    const actual = sha256Digest(res.body);
    if (actual !== digest) {
      throw new VerificationError(
        'HASH_MISMATCH',
        `blob ${digest} of ${repository}: the registry returned bytes hashing to ${actual}`,
        { expected: digest, actual },
      );
    }
    return res.body;
  }

  /** Whether the repository has the blob (HEAD). */
  async hasBlob(repository: string, digest: string): Promise<boolean> {
    const url = this.blobUrl(repository, digest);
    const res = await this.#send({
      method: 'HEAD',
      url,
      maxBytes: 0,
      scope: `repository:${repository}:pull,push`,
    });
    if (res.status === 200) return true;
    if (res.status === 404) return false;
    // Some registries redirect HEAD of a present blob to storage.
    if ([301, 302, 303, 307, 308].includes(res.status)) return true;
    throw this.#failure(res, url, 'HEAD');
  }

  /** Uploads a blob monolithically (POST an upload session, PUT the bytes with `?digest=`). */
  async pushBlob(repository: string, bytes: Uint8Array, digest = sha256Digest(bytes)): Promise<void> {
    if (sha256Digest(bytes) !== digest)
      throw new LocalError('USAGE', `pushBlob: bytes do not hash to ${digest}`);
    const scope = `repository:${repository}:pull,push`;
    const startUrl = `${this.baseUrl}/v2/${checkRepository(repository)}/blobs/uploads/`;
    const post = await this.#send({ method: 'POST', url: startUrl, maxBytes: 0, scope });
    if (post.status !== 202) throw this.#failure(post, startUrl, 'POST');
    const location = post.headers.location;
    if (location === undefined) {
      throw new NetworkError('SERVER_ERROR', `POST ${displayUrl(startUrl)}: no upload Location`);
    }
    let put: URL;
    try {
      put = new URL(location, startUrl);
    } catch {
      throw new NetworkError('SERVER_ERROR', `POST ${displayUrl(startUrl)}: invalid upload Location`);
    }
    checkScheme(put, 'upload location');
    put.searchParams.set('digest', digest);
    const res = await this.#send({
      method: 'PUT',
      url: put.toString(),
      headers: { 'content-type': 'application/octet-stream' },
      body: bytes,
      maxBytes: 0,
      scope,
    });
    if (res.status !== 201) throw this.#failure(res, put.toString(), 'PUT');
  }

  /** PUT a manifest under a tag; returns its digest (checked against the registry's answer). */
  async putManifest(repository: string, tag: string, bytes: Uint8Array, mediaType: string): Promise<string> {
    const url = this.manifestUrl(repository, tag);
    const digest = sha256Digest(bytes);
    const res = await this.#send({
      method: 'PUT',
      url,
      headers: { 'content-type': mediaType },
      body: bytes,
      maxBytes: 0,
      scope: `repository:${repository}:pull,push`,
    });
    if (res.status !== 201 && res.status !== 200) throw this.#failure(res, url, 'PUT');
    const reported = res.headers['docker-content-digest'];
    if (reported !== undefined && reported !== digest) {
      throw new VerificationError(
        'HASH_MISMATCH',
        `PUT ${displayUrl(url)}: the registry stored ${reported.slice(0, 80)}, not ${digest}`,
      );
    }
    return digest;
  }

  /** DELETE a manifest by digest (removes every tag pointing at it). False when it did not exist. */
  async deleteManifest(repository: string, digest: string): Promise<boolean> {
    const url = this.manifestUrl(repository, checkDigest(digest));
    const res = await this.#send({
      method: 'DELETE',
      url,
      maxBytes: 0,
      // no explicit scope: the registry's challenge names the action it wants (`delete` or `*`)
    });
    if (res.status === 202 || res.status === 200) return true;
    if (res.status === 404) return false;
    throw this.#failure(res, url, 'DELETE');
  }
}
