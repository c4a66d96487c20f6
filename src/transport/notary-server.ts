/**
 * `MetadataStore` backed by a Notary v1 server (notary-server 0.7 HTTP API, storage/httpstore.go):
 *
 * - GET  /v2/<gun>/_trust/tuf/<name>.json         → bytes (404 → null)
 * - POST /v2/<gun>/_trust/tuf/                    multipart/form-data, one part per role: field `files`,
 *                                                 filename = role name, application/octet-stream
 * - GET  /v2/<gun>/_trust/tuf/<role>.key          server-managed key (created on first request)
 * - POST /v2/<gun>/_trust/tuf/<role>.key          rotate it
 * - DELETE /v2/<gun>/_trust/tuf/                  delete the repository
 *
 * Token scopes are those the notary CLI asks for: `repository:<gun>:pull` for reads, `push,pull` for
 * publish and server keys, `*` for delete and rotate.
 */

import { randomBytes } from 'node:crypto';
import { LocalError, NetworkError, PublishError, TrustError, VerificationError } from '../errors.js';
import { escapeControl } from '../escape.js';
import { type AuthRequest, authClientFor, type RegistryAuth, serverErrorDetail } from './auth.js';
import type { CredentialProvider } from './credentials.js';
import type { HttpClient, HttpResponse, PemInput } from './http.js';
import { parseServerUrl } from './server-url.js';
import { type GetMetaOptions, isValidMetaName, isValidRoleName, type MetadataStore } from './store.js';

/** Options of a `NotaryServerStore`: server URL, GUN, TLS, HTTP client, auth. */
export interface NotaryServerStoreOptions {
  /** e.g. https://notary.docker.io */
  serverUrl: string;
  /** Fully qualified repository name, e.g. docker.io/library/alpine. */
  gun: string;
  /** HTTP client (default: createHttpClient({ ca, deadlineMs })). Wrapped in `auth` unless one is given. */
  http?: HttpClient;
  /** A shared authenticating client; takes precedence over `http` + `credentials`. */
  auth?: RegistryAuth;
  /** Credentials used when the server asks for them. */
  credentials?: CredentialProvider | null;
  /** Extra CA (PEM) for the default client. */
  ca?: PemInput;
  /** Per-request deadline (ms) for the default client. */
  deadlineMs?: number;
}

/** Largest server key answer accepted (notary: MaxKeySize). */
export const MAX_KEY_BYTES = 256 << 10;
/** Largest error body read (notary reads 1 KiB; we allow a little more for details). */
const MAX_ERROR_BYTES = 64 << 10;
/** Largest publish answer read. */
const MAX_PUBLISH_ANSWER_BYTES = 64 << 10;

type Access = 'pull' | 'push' | 'admin';

/**
 * Encodes a GUN for the URL path: `/` and `:` stay, anything unusual is percent-encoded.
 * (encodeURIComponent writes every escape as `%` and two upper-case hex digits, so `%3A` is exactly
 * an encoded `:`; a string search instead of a regular expression, which every process would compile.)
 */
function encodeGunPath(gun: string): string {
  return gun
    .split('/')
    .map((seg) => encodeURIComponent(seg).replaceAll('%3A', ':'))
    .join('/');
}

/** The `MetadataStore` of a Notary server (notary-server's HTTP API, token auth). */
export class NotaryServerStore implements MetadataStore {
  readonly description: string;
  readonly gun: string;
  private readonly base: string;
  private readonly client: RegistryAuth;
  #answered = false;

  constructor(options: NotaryServerStoreOptions) {
    const server = parseServerUrl(options.serverUrl, 'trust server URL');
    if (server.kind === 'file') {
      throw new LocalError('CONFIG', 'a file:// repository is read with FileStore, not NotaryServerStore');
    }
    if (
      typeof options.gun !== 'string' ||
      options.gun === '' ||
      options.gun.length > 255 ||
      options.gun.split('/').some((s) => s === '' || s === '.' || s === '..')
    ) {
      throw new LocalError(
        'BAD_REFERENCE',
        `invalid GUN ${escapeControl(JSON.stringify(options.gun) ?? String(options.gun))}`,
      );
    }
    this.gun = options.gun;
    const root = server.base;
    this.base = `${root}/v2/${encodeGunPath(options.gun)}/_trust/tuf/`;
    this.description = `${root}/v2/${options.gun}`;
    this.client = authClientFor(options);
  }

  /**
   * Whether a metadata request of this store has had an answer: a long-lived context reuses its
   * store, whose next request then most likely goes out at once on a kept-alive connection.
   */
  get answered(): boolean {
    return this.#answered;
  }

  private scope(access: Access): string {
    const actions = access === 'pull' ? 'pull' : access === 'push' ? 'push,pull' : '*';
    return `repository:${this.gun}:${actions}`;
  }

  private async send(req: AuthRequest, what: string): Promise<HttpResponse> {
    try {
      return await this.client.request(req);
    } catch (err) {
      throw this.sendFailure(err, what);
    }
  }

  /** What a failed request throws: a network error names this server and what was being done. */
  private sendFailure(err: unknown, what: string): unknown {
    if (err instanceof TrustError) {
      if (err instanceof NetworkError && !err.message.includes(this.description)) {
        return new NetworkError(err.code, `${what} from ${this.description}: ${err.message}`, {
          cause: err,
        });
      }
      return err;
    }
    return new NetworkError('NETWORK', `${what} from ${this.description} failed`, { cause: err });
  }

  /** Maps a non-2xx answer that is not otherwise handled to a NetworkError. */
  private failure(res: HttpResponse, what: string): NetworkError {
    const detail = serverErrorDetail(res.body);
    const suffix = detail ? ` (${detail})` : '';
    if (res.status === 401 || res.status === 403) {
      return new NetworkError('AUTH', `${what}: ${this.description} denied access (${res.status})${suffix}`);
    }
    return new NetworkError(
      'SERVER_ERROR',
      `${what}: ${this.description} answered HTTP ${res.status}${suffix}`,
      { actual: String(res.status) },
    );
  }

  async getMeta(name: string, maxBytes: number, options: GetMetaOptions = {}): Promise<Uint8Array | null> {
    if (!isValidMetaName(name))
      throw new LocalError('USAGE', `invalid metadata name ${JSON.stringify(name)}`);
    const what = `fetching ${name}.json`;
    let res: HttpResponse;
    try {
      // the client directly, not through `send` (one async step less per warm verify: issue 12)
      res = await this.client.request({
        method: 'GET',
        url: `${this.base}${name}.json`,
        maxBytes,
        scope: this.scope('pull'),
        ...(options.deadlineMs !== undefined ? { deadlineMs: Math.max(1, options.deadlineMs) } : {}),
      });
    } catch (thrown) {
      const err = this.sendFailure(thrown, what);
      if (err instanceof VerificationError && err.code === 'TOO_LARGE') {
        throw new VerificationError(
          'TOO_LARGE',
          `${name}.json from ${this.description} exceeds the limit of ${maxBytes} bytes`,
          { role: roleOf(name), expected: `<= ${maxBytes} bytes`, cause: err },
        );
      }
      throw err;
    }
    this.#answered = true;
    if (res.status === 200) return res.body;
    if (res.status === 404) return null;
    throw this.failure(res, what);
  }

  async publish(files: ReadonlyArray<{ role: string; bytes: Uint8Array }>): Promise<void> {
    if (files.length === 0) throw new LocalError('USAGE', 'nothing to publish');
    const seen = new Set<string>();
    for (const f of files) {
      if (!isValidRoleName(f.role))
        throw new LocalError('USAGE', `invalid role name ${JSON.stringify(f.role)}`);
      if (seen.has(f.role)) throw new LocalError('USAGE', `role ${f.role} given twice`);
      seen.add(f.role);
    }
    const { body, contentType } = multipartBody(files);
    const res = await this.send(
      {
        method: 'POST',
        url: this.base,
        headers: { 'content-type': contentType },
        body,
        maxBytes: MAX_PUBLISH_ANSWER_BYTES,
        scope: this.scope('push'),
      },
      'publishing',
    );
    if (res.status >= 200 && res.status < 300) return;
    if (res.status === 400 || res.status === 409) throw publishRejected(res, this.description);
    throw this.failure(res, 'publishing');
  }

  async getServerKey(role: 'timestamp' | 'snapshot'): Promise<unknown | null> {
    return this.keyRequest('GET', role);
  }

  async rotateServerKey(role: 'timestamp' | 'snapshot'): Promise<unknown> {
    const key = await this.keyRequest('POST', role);
    if (key === null)
      throw new NetworkError('SERVER_ERROR', `${this.description} cannot rotate the ${role} key (404)`);
    return key;
  }

  private async keyRequest(method: 'GET' | 'POST', role: 'timestamp' | 'snapshot'): Promise<unknown | null> {
    if (role !== 'timestamp' && role !== 'snapshot') {
      throw new LocalError(
        'USAGE',
        `the server manages only timestamp and snapshot keys, not ${String(role)}`,
      );
    }
    const what = `${method === 'GET' ? 'fetching' : 'rotating'} the server ${role} key`;
    const res = await this.send(
      {
        method,
        url: `${this.base}${role}.key`,
        maxBytes: MAX_KEY_BYTES,
        scope: this.scope(method === 'GET' ? 'push' : 'admin'),
      },
      what,
    );
    if (res.status === 404) return null;
    if (res.status !== 200) throw this.failure(res, what);
    try {
      return JSON.parse(new TextDecoder('utf-8', { fatal: true }).decode(res.body)) as unknown;
    } catch {
      throw new NetworkError('SERVER_ERROR', `${what}: ${this.description} did not answer JSON`);
    }
  }

  async deleteRepository(): Promise<void> {
    const res = await this.send(
      { method: 'DELETE', url: this.base, maxBytes: MAX_ERROR_BYTES, scope: this.scope('admin') },
      'deleting the repository',
    );
    if (res.status >= 200 && res.status < 300) return;
    throw this.failure(res, 'deleting the repository');
  }
}

/** `targets/releases.<hex>` → `targets/releases`; `2.root` → `root`. */
function roleOf(name: string): string {
  return name.replace(/^[0-9]+\./, '').replace(/\.[a-f0-9]{64,128}$/, '');
}

/** Go's mime/multipart quoting of a Content-Disposition parameter. */
function quoteParam(s: string): string {
  return s.replace(/\\/g, '\\\\').replace(/"/g, '\\"');
}

/** The multipart body notary's NewMultiPartMetaRequest builds (storage/httpstore.go). */
export function multipartBody(files: ReadonlyArray<{ role: string; bytes: Uint8Array }>): {
  body: Uint8Array;
  contentType: string;
} {
  const boundary = randomBytes(30).toString('hex');
  const parts: Buffer[] = [];
  files.forEach((f, i) => {
    parts.push(
      Buffer.from(
        `${i === 0 ? '' : '\r\n'}--${boundary}\r\n` +
          `Content-Disposition: form-data; name="files"; filename="${quoteParam(f.role)}"\r\n` +
          'Content-Type: application/octet-stream\r\n\r\n',
        'utf8',
      ),
    );
    parts.push(Buffer.from(f.bytes.buffer, f.bytes.byteOffset, f.bytes.byteLength));
  });
  parts.push(Buffer.from(`\r\n--${boundary}--\r\n`, 'utf8'));
  const body = Buffer.concat(parts);
  return {
    body: new Uint8Array(body.buffer, body.byteOffset, body.byteLength),
    contentType: `multipart/form-data; boundary=${boundary}`,
  };
}

/** notary-server's `{"errors":[{"code":"INVALID_UPDATE","detail":{"Name":"ErrBadTargets",...}}]}`. */
function publishRejected(res: HttpResponse, description: string): PublishError {
  let code = '';
  let name = '';
  let msg = '';
  try {
    const parsed = JSON.parse(new TextDecoder().decode(res.body)) as {
      errors?: Array<{ code?: unknown; message?: unknown; detail?: unknown }>;
    };
    const first = parsed.errors?.[0];
    if (first) {
      if (typeof first.code === 'string') code = first.code;
      if (typeof first.message === 'string') msg = first.message;
      const d = first.detail as { Name?: unknown; Error?: unknown } | string | null | undefined;
      if (d && typeof d === 'object') {
        if (typeof d.Name === 'string') name = d.Name;
        const inner = d.Error as { Msg?: unknown; msg?: unknown } | string | undefined;
        if (typeof inner === 'string') msg = inner;
        else if (inner && typeof inner === 'object') {
          const m = inner.Msg ?? inner.msg;
          if (typeof m === 'string' && m !== '') msg = m;
        }
      } else if (typeof d === 'string' && d !== '') msg = d;
    }
  } catch {
    // not JSON: keep the status only
  }
  const label = [code, name].filter(Boolean).join('/') || `HTTP ${res.status}`;
  const text = escapeControl(
    `${description} rejected the update: ${label}${msg ? `: ${msg.slice(0, 500)}` : ''}`,
  );
  // VERSION (storage.ErrOldVersion): someone published a newer version first.
  const conflict = code === 'VERSION' || res.status === 409;
  return new PublishError(conflict ? 'CONFLICT' : 'PUBLISH_REJECTED', text, {
    ...(name || code ? { actual: name || code } : {}),
  });
}
