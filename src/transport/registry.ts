/**
 * A minimal Docker Registry HTTP API v2 client: what content trust needs from a registry, i.e. the
 * digest and size of the manifest a tag points at (to sign it), and the manifest bytes.
 *
 * `HEAD /v2/<repo>/manifests/<ref>` with an Accept list for OCI index/manifest and Docker manifest
 * list/v2 gives Docker-Content-Digest + Content-Length; when either is missing, a GET fetches the
 * bytes and their sha256 is computed (and checked against the header when there is one). Plain
 * http is used only for loopback registries (localhost, 127.0.0.0/8, ::1), as docker does; https
 * otherwise.
 */

import { createHash } from 'node:crypto';
import { LocalError, NetworkError, TrustError, VerificationError } from '../errors.js';
import { authClientFor, type RegistryAuth, serverErrorDetail } from './auth.js';
import type { CredentialProvider } from './credentials.js';
import { displayUrl, type HttpClient, type HttpResponse, type PemInput } from './http.js';
import { isLoopbackHost, trimTrailingSlashes } from './server-url.js';

export const MANIFEST_MEDIA_TYPES = [
  'application/vnd.oci.image.index.v1+json',
  'application/vnd.oci.image.manifest.v1+json',
  'application/vnd.docker.distribution.manifest.list.v2+json',
  'application/vnd.docker.distribution.manifest.v2+json',
] as const;

/** The registry's own limit for manifests (distribution: 4 MiB). */
export const MAX_MANIFEST_BYTES = 4 << 20;

export interface ManifestDescriptor {
  /** `sha256:<hex>` of the manifest bytes. */
  digest: string;
  /** Length of the manifest in bytes. */
  size: number;
  mediaType: string;
}

export interface Manifest extends ManifestDescriptor {
  bytes: Uint8Array;
}

export interface RegistryClientOptions {
  /** Full base URL, e.g. http://127.0.0.1:5000 (wins over `registry`). */
  registryUrl?: string;
  /** Registry host[:port] as in an image reference, e.g. docker.io, localhost:5000. */
  registry?: string;
  /** Shared authenticating client; takes precedence over `http` + `credentials`. */
  auth?: RegistryAuth;
  http?: HttpClient;
  credentials?: CredentialProvider | null;
  /** Use plain http for loopback registries (default true, like docker). */
  insecureLoopback?: boolean;
  /** Extra CA (PEM) for the default client. */
  ca?: PemInput;
  deadlineMs?: number;
}

const SHA256_DIGEST = /^sha256:[a-f0-9]{64}$/;

export { isLoopbackHost } from './server-url.js';

/** Base URL for a registry host: Docker Hub's API host, http for loopback, https otherwise. */
export function registryBaseUrl(registry: string, insecureLoopback = true): string {
  const h = registry.toLowerCase();
  if (h === 'docker.io' || h === 'index.docker.io') return 'https://registry-1.docker.io';
  return `${insecureLoopback && isLoopbackHost(registry) ? 'http' : 'https'}://${registry}`;
}

function sha256Digest(bytes: Uint8Array): string {
  return `sha256:${createHash('sha256').update(bytes).digest('hex')}`;
}

function encodePath(repository: string): string {
  if (
    !/^[a-z0-9]+(?:(?:[._]|__|[-]+)[a-z0-9]+)*(?:\/[a-z0-9]+(?:(?:[._]|__|[-]+)[a-z0-9]+)*)*$/.test(
      repository,
    )
  ) {
    throw new LocalError('BAD_REFERENCE', `invalid repository path ${JSON.stringify(repository)}`);
  }
  return repository;
}

function checkRef(ref: string): string {
  if (SHA256_DIGEST.test(ref) || /^[\w][\w.-]{0,127}$/.test(ref)) return ref;
  throw new LocalError('BAD_REFERENCE', `invalid tag or digest ${JSON.stringify(ref)}`);
}

export class RegistryClient {
  readonly baseUrl: string;
  private readonly client: RegistryAuth;

  constructor(options: RegistryClientOptions) {
    let base: string;
    if (options.registryUrl) base = options.registryUrl;
    else if (options.registry) base = registryBaseUrl(options.registry, options.insecureLoopback ?? true);
    else throw new LocalError('USAGE', 'RegistryClient needs registryUrl or registry');
    let u: URL;
    try {
      u = new URL(base);
    } catch {
      throw new LocalError('CONFIG', `invalid registry URL ${JSON.stringify(base)}`);
    }
    if (u.protocol !== 'http:' && u.protocol !== 'https:') {
      throw new LocalError('CONFIG', `registry URL must be http(s): ${displayUrl(base)}`);
    }
    this.baseUrl = `${u.origin}${trimTrailingSlashes(u.pathname)}`;
    this.client = authClientFor(options);
  }

  private url(repository: string, ref: string): string {
    return `${this.baseUrl}/v2/${encodePath(repository)}/manifests/${checkRef(ref)}`;
  }

  private async send(method: 'HEAD' | 'GET', repository: string, ref: string): Promise<HttpResponse> {
    const url = this.url(repository, ref);
    try {
      return await this.client.request({
        method,
        url,
        headers: { accept: MANIFEST_MEDIA_TYPES.join(', ') },
        maxBytes: MAX_MANIFEST_BYTES,
        scope: `repository:${repository}:pull`,
      });
    } catch (err) {
      if (err instanceof TrustError) throw err;
      throw new NetworkError('NETWORK', `${method} ${displayUrl(url)} failed`, { cause: err });
    }
  }

  private failure(res: HttpResponse, repository: string, ref: string): NetworkError {
    const where = `${displayUrl(this.url(repository, ref))}`;
    const detail = serverErrorDetail(res.body);
    const suffix = detail ? ` (${detail})` : '';
    if (res.status === 401 || res.status === 403) {
      return new NetworkError('AUTH', `${where}: access denied (${res.status})${suffix}`);
    }
    return new NetworkError('SERVER_ERROR', `${where}: registry answered HTTP ${res.status}${suffix}`, {
      actual: String(res.status),
    });
  }

  /**
   * Digest, size and media type of the manifest `reference` (a tag or `sha256:` digest) points at;
   * null when the registry has no such manifest (404).
   */
  async resolveManifest(repository: string, reference: string): Promise<ManifestDescriptor | null> {
    const head = await this.send('HEAD', repository, reference);
    if (head.status === 404) return null;
    if (head.status === 200) {
      const digest = head.headers['docker-content-digest'];
      const length = head.headers['content-length'];
      const mediaType = (head.headers['content-type'] ?? '').split(';')[0]?.trim() ?? '';
      if (
        digest !== undefined &&
        SHA256_DIGEST.test(digest) &&
        length !== undefined &&
        /^\d+$/.test(length) &&
        mediaType !== '' &&
        (!SHA256_DIGEST.test(reference) || reference === digest)
      ) {
        const size = Number(length);
        if (size > MAX_MANIFEST_BYTES) {
          throw new VerificationError(
            'TOO_LARGE',
            `manifest ${repository}:${reference} is ${size} bytes, over the ${MAX_MANIFEST_BYTES}-byte limit`,
          );
        }
        return { digest, size, mediaType };
      }
    } else if (head.status !== 405 && head.status !== 400) {
      throw this.failure(head, repository, reference);
    }
    const m = await this.getManifest(repository, reference);
    if (m === null) return null;
    return { digest: m.digest, size: m.size, mediaType: m.mediaType };
  }

  /**
   * The exact manifest bytes; their sha256 is checked against Docker-Content-Digest (when sent) and
   * against `reference` when it is a digest. Null on 404.
   */
  async getManifest(repository: string, reference: string): Promise<Manifest | null> {
    const res = await this.send('GET', repository, reference);
    if (res.status === 404) return null;
    if (res.status !== 200) throw this.failure(res, repository, reference);
    const digest = sha256Digest(res.body);
    const claimed = res.headers['docker-content-digest'];
    if (claimed?.startsWith('sha256:') && claimed !== digest) {
      throw new VerificationError(
        'HASH_MISMATCH',
        `manifest ${repository}:${reference}: registry says ${claimed} but the bytes hash to ${digest}`,
        { expected: claimed, actual: digest },
      );
    }
    if (SHA256_DIGEST.test(reference) && reference !== digest) {
      throw new VerificationError(
        'HASH_MISMATCH',
        `manifest ${repository}@${reference}: the registry returned bytes hashing to ${digest}`,
        { expected: reference, actual: digest },
      );
    }
    const mediaType = (res.headers['content-type'] ?? '').split(';')[0]?.trim() || mediaTypeOf(res.body);
    return { digest, size: res.body.byteLength, mediaType, bytes: res.body };
  }
}

/** The `mediaType` field of a manifest, when the server sent no Content-Type. */
function mediaTypeOf(bytes: Uint8Array): string {
  try {
    const m = JSON.parse(new TextDecoder().decode(bytes)) as { mediaType?: unknown };
    return typeof m.mediaType === 'string' ? m.mediaType : '';
  } catch {
    return '';
  }
}
