/**
 * Moving bytes of a plain TUF 1.0 repository (metadata and target files under
 * base URLs): over HTTP(S) through the shared HttpClient, or from `file://`
 * directories. No trust decision is made here; every read is capped and bound
 * by the caller's deadline.
 */

import { constants } from 'node:fs';
import { open } from 'node:fs/promises';
import { LocalError, NetworkError, TrustError } from '../errors.js';
import { displayUrl, type HttpClient, tooLarge } from './http.js';

/** Moves the bytes of a TUF 1.0 repository: metadata and targets by URL, capped and bounded. */
export interface TufFetcher {
  /**
   * The bytes at `url` (at most `maxBytes`, else VerificationError TOO_LARGE),
   * or null when the repository says the file does not exist (HTTP 403/404,
   * or a missing file).
   */
  fetch(url: string, maxBytes: number, deadlineAt: number): Promise<Uint8Array | null>;
}

function timedOut(url: string): NetworkError {
  return new NetworkError('TIMEOUT', `deadline exceeded fetching ${displayUrl(url)}`);
}

/** Fetches over HTTP(S) with the shared client (deadline, size cap, retries on 5xx only). */
export function httpFetcher(http: HttpClient): TufFetcher {
  return {
    async fetch(url, maxBytes, deadlineAt) {
      const left = deadlineAt - Date.now();
      if (left <= 0) throw timedOut(url);
      const res = await http.request({ method: 'GET', url, maxBytes, deadlineMs: left });
      if (res.status === 404 || res.status === 403) return null;
      if (res.status < 200 || res.status >= 300) {
        throw new NetworkError('SERVER_ERROR', `${displayUrl(url)} answered HTTP ${res.status}`);
      }
      return res.body;
    },
  };
}

/**
 * The local path of a `file://` URL, decoded segment by segment. A segment
 * whose decoding holds a `/` (a role name with a slash, percent-encoded by the
 * client) names a file whose on-disk name is the encoded form: it never
 * becomes a directory separator.
 */
export function filePathOf(url: string): string {
  const u = new URL(url);
  if (u.protocol !== 'file:' || (u.host !== '' && u.host !== 'localhost')) {
    throw new LocalError('CONFIG', `not a local file URL: ${displayUrl(url)}`);
  }
  const parts = u.pathname.split('/').map((seg) => {
    let d: string;
    try {
      d = decodeURIComponent(seg);
    } catch {
      return seg;
    }
    return d.includes('/') || d.includes('\\') || d.includes('\0') ? seg : d;
  });
  return parts.join('/'); // pathname starts with '/': an absolute POSIX path
}

/**
 * Reads `file://` URLs. Only regular files are read (a FIFO or device would
 * block: the file is opened non-blocking and checked before reading).
 */
export function fileFetcher(): TufFetcher {
  return {
    async fetch(url, maxBytes, deadlineAt) {
      if (Date.now() >= deadlineAt) throw timedOut(url);
      const path = filePathOf(url);
      let fh: Awaited<ReturnType<typeof open>>;
      try {
        fh = await open(path, constants.O_RDONLY | constants.O_NONBLOCK);
      } catch (e) {
        const code = (e as NodeJS.ErrnoException).code;
        if (code === 'ENOENT' || code === 'ENOTDIR') return null;
        throw new LocalError('IO', `cannot read ${path} (${code ?? 'error'})`, { cause: e });
      }
      try {
        const st = await fh.stat();
        if (!st.isFile()) throw new LocalError('IO', `${path} is not a regular file`);
        if (st.size > maxBytes) throw tooLarge(url, maxBytes, st.size);
        const buf = Buffer.alloc(Math.min(st.size, maxBytes) + 1);
        let n = 0;
        for (;;) {
          const { bytesRead } = await fh.read(buf, n, buf.length - n, n);
          if (bytesRead === 0) break;
          n += bytesRead;
          if (n > maxBytes) throw tooLarge(url, maxBytes);
          if (Date.now() >= deadlineAt) throw timedOut(url);
        }
        return new Uint8Array(buf.buffer, buf.byteOffset, n);
      } catch (e) {
        if (e instanceof TrustError) throw e;
        throw new LocalError('IO', `cannot read ${path}`, { cause: e });
      } finally {
        await fh.close();
      }
    },
  };
}
