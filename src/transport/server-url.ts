/**
 * The one validator for server URLs: trust servers (`--server`, `remote_server.url`,
 * `DOCKER_CONTENT_TRUST_SERVER`, `NotaryServerStore`) and the token realms a server points us at.
 *
 * Rules, the same everywhere:
 * - `https://host[:port][/path]`: any host;
 * - `http://...`: only a loopback host (`localhost`, `127.0.0.0/8`, `[::1]`), where nothing crosses a
 *   network; anywhere else credentials, tokens and metadata would travel in clear text;
 * - `file:///dir`: a local repository (trust servers only, never a realm);
 * - no user:password in the URL (credentials come from NOTARY_AUTH or docker login), no fragment, and for
 *   trust servers no query.
 *
 * Extension point: `SCHEMES` maps a URL scheme to its rule; registry-hosted trust adds its own entries
 * (`oci://`, and the bare word `registry`, handled before URL parsing) here.
 */

import { LocalError } from '../errors.js';
import { escapeControl } from '../escape.js';
import { displayUrl } from './http.js';

export type ServerKind = 'https' | 'http' | 'file';

export interface ServerUrl {
  kind: ServerKind;
  /** The parsed URL. */
  url: URL;
  /** `origin + path` without a trailing slash (`file:` URLs: the URL as given). */
  base: string;
}

/** What the URL is for: a trust server the user named, or a token realm a server named. */
export type ServerUrlPurpose = 'server' | 'realm';

interface SchemeRule {
  kind: ServerKind;
  /** Purposes this scheme is valid for. */
  purposes: readonly ServerUrlPurpose[];
  /** Extra check: a reason to refuse, or undefined. */
  check?: (url: URL) => string | undefined;
}

/**
 * Whether a host (`URL.hostname`, or `host[:port]` as in an image reference) is loopback: `localhost`
 * (and `*.localhost`), 127.0.0.0/8, `::1` with or without brackets.
 */
export function isLoopbackHost(hostPort: string): boolean {
  let host = hostPort.toLowerCase();
  if (host.startsWith('[')) host = host.slice(1, host.indexOf(']'));
  else if (host.split(':').length === 2) host = host.slice(0, host.indexOf(':'));
  if (host === 'localhost' || host.endsWith('.localhost')) return true;
  if (host === '::1' || host === '0:0:0:0:0:0:0:1') return true;
  const m = /^127\.(\d{1,3})\.(\d{1,3})\.(\d{1,3})$/.exec(host);
  return m?.slice(1).every((o) => Number(o) <= 255) === true;
}

const SCHEMES: Record<string, SchemeRule> = {
  'https:': { kind: 'https', purposes: ['server', 'realm'] },
  'http:': {
    kind: 'http',
    purposes: ['server', 'realm'],
    check: (url) =>
      isLoopbackHost(url.hostname)
        ? undefined
        : `plain http:// is accepted only for a loopback host (localhost, 127.0.0.1, [::1]); use https://${url.host}${url.pathname === '/' ? '' : url.pathname}`,
  },
  'file:': {
    kind: 'file',
    purposes: ['server'],
    check: (url) =>
      url.host !== '' && url.host !== 'localhost'
        ? 'a file:// URL names a local directory (file:///dir)'
        : undefined,
  },
};

/** A reason `raw` is not acceptable for `purpose`, or the parsed URL. */
export function checkServerUrl(
  raw: string,
  purpose: ServerUrlPurpose = 'server',
): { ok: true; value: ServerUrl } | { ok: false; reason: string } {
  let url: URL;
  try {
    url = new URL(raw);
  } catch {
    return { ok: false, reason: 'is not a URL (e.g. https://notary.example.com)' };
  }
  const rule = SCHEMES[url.protocol];
  const allowed = Object.entries(SCHEMES)
    .filter(([, r]) => r.purposes.includes(purpose))
    .map(([s]) => `${s}//`);
  if (!rule?.purposes.includes(purpose)) {
    return { ok: false, reason: `must be ${allowed.join(', ')} (not ${url.protocol})` };
  }
  if (url.username !== '' || url.password !== '') {
    return { ok: false, reason: 'must not contain user:password (use NOTARY_AUTH or docker login)' };
  }
  // (the getters are costly on a hot path; a URL without `#` / `?` in its text has neither)
  if (raw.includes('#') && url.hash !== '') return { ok: false, reason: 'must not contain a #fragment' };
  if (purpose === 'server' && raw.includes('?') && url.search !== '') {
    return { ok: false, reason: 'must not contain a ?query' };
  }
  const why = rule.check?.(url);
  if (why !== undefined) return { ok: false, reason: why };
  const base = rule.kind === 'file' ? raw : `${url.origin}${trimTrailingSlashes(url.pathname)}`;
  return { ok: true, value: { kind: rule.kind, url, base } };
}

/**
 * `text` without its trailing `/`s (what `.replace(/\/+$/, '')` did, without a regular expression to
 * compile in every process: issue 12).
 */
export function trimTrailingSlashes(text: string): string {
  let end = text.length;
  while (end > 0 && text.charCodeAt(end - 1) === 0x2f) end--;
  return end === text.length ? text : text.slice(0, end);
}

/**
 * The trust server URL `raw`, validated; LocalError CONFIG naming `from` (e.g. `--server`) and the URL
 * (without credentials) otherwise.
 */
export function parseServerUrl(raw: unknown, from = 'trust server URL'): ServerUrl {
  if (typeof raw !== 'string' || raw === '') {
    throw new LocalError('CONFIG', `${from} must be a URL such as https://notary.example.com`);
  }
  const r = checkServerUrl(raw, 'server');
  if (r.ok) return r.value;
  const shown = URL.canParse(raw) ? displayUrl(raw) : JSON.stringify(raw.slice(0, 200));
  throw new LocalError('CONFIG', `${from} ${escapeControl(shown)} ${r.reason}`);
}
