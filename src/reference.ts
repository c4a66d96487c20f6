/**
 * Docker image references, parsed the way docker does (distribution/reference `ParseNormalizedNamed`):
 *
 * - `alpine` → `docker.io/library/alpine:latest`; `user/app` → `docker.io/user/app`;
 * - the first path element is a registry host when it contains `.` or `:`, is `localhost`, or has an
 *   upper-case letter (`localhost:5000/x`, `127.0.0.1:5000/x`, `[::1]:5000/x`, `registry.example/x`);
 * - `index.docker.io` is canonicalised to `docker.io`, and one-element Docker Hub names get `library/`;
 * - the repository path must be lower case; tags match `[\w][\w.-]{0,127}`; digests must be
 *   `sha256:<64 lower-case hex>` (the only algorithm Docker Content Trust signs);
 * - a reference with neither tag nor digest gets the tag `latest`.
 *
 * The GUN (Globally Unique Name) used by Notary is the fully qualified name, `docker.io/library/alpine`.
 */

import { isSha256Hex } from './crypto/util.js';
import { LocalError } from './errors.js';
import { escapeControl } from './escape.js';
import { parseServerUrl, trimTrailingSlashes } from './transport/server-url.js';

export interface ImageReference {
  /** The name as the user wrote it, without tag or digest (e.g. `alpine`, `localhost:5000/x`). */
  name: string;
  /** Registry host (and port) the repository lives on, e.g. `docker.io`, `localhost:5000`. */
  registry: string;
  /** Repository path on the registry, e.g. `library/alpine`. */
  repository: string;
  /** Fully qualified name: `<registry>/<repository>`, the Notary GUN. */
  gun: string;
  /** Tag; `latest` when neither tag nor digest was given. */
  tag?: string;
  /** `sha256:<hex>` when the reference pins a digest. */
  digest?: string;
}

export const DOCKER_HUB = 'docker.io';
const LEGACY_HUB = 'index.docker.io';
const OFFICIAL_PREFIX = 'library/';
const DEFAULT_TAG = 'latest';
const NAME_MAX = 255;

// Patterns from distribution/reference regexp.go.
const ALNUM = '[a-z0-9]+';
const SEPARATOR = '(?:[._]|__|[-]+)';
const PATH_COMPONENT = `${ALNUM}(?:${SEPARATOR}${ALNUM})*`;
const REMOTE_NAME = `${PATH_COMPONENT}(?:/${PATH_COMPONENT})*`;
const DOMAIN_COMPONENT = '(?:[a-zA-Z0-9]|[a-zA-Z0-9][a-zA-Z0-9-]*[a-zA-Z0-9])';
const DOMAIN_NAME = `${DOMAIN_COMPONENT}(?:\\.${DOMAIN_COMPONENT})*`;
const IPV6 = '\\[(?:[a-fA-F0-9:]+)\\]';
const DOMAIN_AND_PORT = `(?:${DOMAIN_NAME}|${IPV6})(?::[0-9]+)?`;
const TAG = '[\\w][\\w.-]{0,127}';
const DIGEST = '[A-Za-z][A-Za-z0-9]*(?:[-_+.][A-Za-z][A-Za-z0-9]*)*[:][0-9a-fA-F]{32,}';

const NAME = `(?:${DOMAIN_AND_PORT}/)?${REMOTE_NAME}`;
/** distribution/reference `ReferenceRegexp`: name, tag and digest captured. */
const REFERENCE_RE = new RegExp(`^(${NAME})(?::(${TAG}))?(?:@(${DIGEST}))?$`);
/** distribution/reference `anchoredNameRegexp`: domain and path captured. */
const ANCHORED_NAME_RE = new RegExp(`^(?:(${DOMAIN_AND_PORT})/)?(${REMOTE_NAME})$`);
const DOMAIN_RE = new RegExp(`^${DOMAIN_AND_PORT}$`);
const REMOTE_NAME_RE = new RegExp(`^${REMOTE_NAME}$`);
const TAG_RE = new RegExp(`^${TAG}$`);
const DIGEST_RE = new RegExp(`^${DIGEST}$`);
const SHA256_DIGEST_RE = /^sha256:[a-f0-9]{64}$/;

function bad(ref: string, reason: string): LocalError {
  return new LocalError(
    'BAD_REFERENCE',
    `invalid reference ${escapeControl(JSON.stringify(ref))}: ${reason}`,
  );
}

/** docker's splitDockerDomain (distribution/reference normalize.go), on the whole input. */
function splitDockerDomain(name: string): { domain: string; remainder: string } {
  const slash = name.indexOf('/');
  let domain: string;
  let remainder: string;
  if (slash < 0) return { domain: DOCKER_HUB, remainder: OFFICIAL_PREFIX + name };
  const maybeDomain = name.slice(0, slash);
  const maybeRemote = name.slice(slash + 1);
  if (maybeDomain === 'localhost') {
    domain = maybeDomain;
    remainder = maybeRemote;
  } else if (maybeDomain === LEGACY_HUB) {
    domain = DOCKER_HUB;
    remainder = maybeRemote;
  } else if (
    maybeDomain.includes('.') ||
    maybeDomain.includes(':') ||
    maybeDomain.toLowerCase() !== maybeDomain
  ) {
    domain = maybeDomain;
    remainder = maybeRemote;
  } else {
    domain = DOCKER_HUB;
    remainder = name;
  }
  if (domain === DOCKER_HUB && !remainder.includes('/')) remainder = OFFICIAL_PREFIX + remainder;
  return { domain, remainder };
}

/** Why `full` (`domain/remainder`) does not match the grammar, as precisely as cheaply possible. */
function diagnose(domain: string, remainder: string): string {
  if (/\s/.test(remainder) || /\s/.test(domain)) return 'contains whitespace';
  if (!DOMAIN_RE.test(domain)) return `invalid registry host ${JSON.stringify(domain)}`;
  const at = remainder.indexOf('@');
  const beforeDigest = at < 0 ? remainder : remainder.slice(0, at);
  const digest = at < 0 ? undefined : remainder.slice(at + 1);
  const colon = beforeDigest.indexOf(':');
  const path = colon < 0 ? beforeDigest : beforeDigest.slice(0, colon);
  const tag = colon < 0 ? undefined : beforeDigest.slice(colon + 1);
  if (path === '' || path === OFFICIAL_PREFIX) return 'missing repository name';
  if (!REMOTE_NAME_RE.test(path)) {
    return (
      `invalid repository path ${JSON.stringify(path)} (components are lower-case letters and digits, ` +
      "separated by '/', and inside a component by '.', '_', '__' or dashes)"
    );
  }
  if (tag !== undefined) {
    if (tag === '') return "empty tag after ':'";
    if (tag.includes(':')) return `more than one ':' (a tag follows the last ':' of a name)`;
    if (tag.includes('/')) return `invalid tag ${JSON.stringify(tag)}: a tag cannot contain '/'`;
    if (!TAG_RE.test(tag)) {
      return `invalid tag ${JSON.stringify(tag)} (letters, digits, '_', '.', '-'; not starting with '.' or '-'; at most 128)`;
    }
  }
  if (digest === '') return "empty digest after '@'";
  if (digest !== undefined && !DIGEST_RE.test(digest)) {
    return digest.startsWith('sha256:')
      ? 'digest must be sha256: followed by 64 lower-case hexadecimal characters'
      : `invalid digest ${JSON.stringify(digest.slice(0, 80))}`;
  }
  return 'invalid reference format';
}

/** A description of a non-string value for an error message. */
function describeValue(v: unknown): string {
  if (v === null) return 'null';
  if (Array.isArray(v)) return 'an array';
  return typeof v === 'object' ? 'an object' : String(typeof v === 'string' ? JSON.stringify(v) : v);
}

/**
 * Parses a docker image reference (`[host[:port]/]path[:tag][@digest]`) exactly as docker's
 * `ParseNormalizedNamed` does, then requires a DCT digest (sha256) when one is given.
 * Throws LocalError BAD_REFERENCE with the specific reason (USAGE when `ref` is not a string).
 */
export function parseReference(ref: string): ImageReference {
  if (typeof ref !== 'string') {
    throw new LocalError(
      'USAGE',
      `an image reference must be a string such as "registry.example.com/team/app:1.0", not ${describeValue(ref)}`,
    );
  }
  if (ref.length === 0) throw bad(ref, 'empty reference');
  if (isSha256Hex(ref)) {
    throw bad(ref, 'a 64-character hexadecimal string is an image ID, not a repository name');
  }
  const { domain, remainder } = splitDockerDomain(ref);
  const tagSep = remainder.indexOf(':');
  const remote = tagSep < 0 ? remainder : remainder.slice(0, tagSep);
  if (remote.toLowerCase() !== remote)
    throw bad(ref, `repository name (${escapeControl(remote)}) must be lowercase`);
  const m = REFERENCE_RE.exec(`${domain}/${remainder}`);
  if (!m) throw bad(ref, escapeControl(diagnose(domain, remainder)));
  const named = ANCHORED_NAME_RE.exec(m[1]!);
  const registry = named?.[1] ?? '';
  const path = named?.[2] ?? m[1]!;
  if (registry === '') throw bad(ref, 'invalid reference format');
  if (path.length > NAME_MAX) {
    throw bad(ref, `repository name must not be longer than ${NAME_MAX} characters`);
  }
  const rawTag = m[2];
  const rawDigest = m[3];
  if (rawDigest !== undefined && !SHA256_DIGEST_RE.test(rawDigest)) {
    throw bad(
      ref,
      rawDigest.startsWith('sha256:')
        ? 'digest must be sha256: followed by 64 lower-case hexadecimal characters'
        : `unsupported digest ${JSON.stringify(rawDigest.slice(0, 80))} (only sha256:<64 hex> is supported)`,
    );
  }
  const suffix =
    (rawTag !== undefined ? rawTag.length + 1 : 0) + (rawDigest !== undefined ? rawDigest.length + 1 : 0);
  const name = ref.slice(0, ref.length - suffix);
  const out: ImageReference = { name, registry, repository: path, gun: `${registry}/${path}` };
  if (rawTag !== undefined) out.tag = rawTag;
  if (rawDigest !== undefined) out.digest = rawDigest;
  if (out.tag === undefined && out.digest === undefined) out.tag = DEFAULT_TAG;
  return out;
}

/**
 * A reference given to the library API: a string is parsed; an `ImageReference` object must name the
 * repository its `gun` says (re-checked against the grammar); anything else (`undefined`, a number...)
 * is a USAGE error that says what was expected.
 */
export function toReference(reference: unknown): ImageReference {
  if (typeof reference === 'string') return parseReference(reference);
  if (reference === null || typeof reference !== 'object' || Array.isArray(reference)) {
    return parseReference(reference as string); // throws USAGE naming what was given
  }
  const r = reference as Partial<ImageReference>;
  if (typeof r.registry !== 'string' || typeof r.repository !== 'string' || typeof r.gun !== 'string') {
    throw new LocalError(
      'USAGE',
      'an image reference must be a string such as "registry.example.com/team/app:1.0" or an ImageReference from parseReference()',
    );
  }
  const canonical = parseReference(`${r.registry}/${r.repository}`);
  if (canonical.gun !== r.gun || canonical.registry !== r.registry || canonical.repository !== r.repository) {
    throw new LocalError(
      'BAD_REFERENCE',
      `inconsistent ImageReference: gun ${escapeControl(JSON.stringify(r.gun))}`,
    );
  }
  return reference as ImageReference;
}

/** `docker.io/library/alpine` → `alpine`, `docker.io/user/app` → `user/app`, others unchanged. */
export function familiarName(gun: string): string {
  if (!gun.startsWith(`${DOCKER_HUB}/`)) return gun;
  const path = gun.slice(DOCKER_HUB.length + 1);
  if (path.startsWith(OFFICIAL_PREFIX) && !path.slice(OFFICIAL_PREFIX.length).includes('/')) {
    return path.slice(OFFICIAL_PREFIX.length);
  }
  return path;
}

/** Docker Hub's Notary server. */
export const DOCKER_HUB_NOTARY = 'https://notary.docker.io';

/**
 * The trust server for a registry, as docker picks it: `DOCKER_CONTENT_TRUST_SERVER` (checked by the one
 * server-URL validator: https, http only on loopback, file://), else https://notary.docker.io for Docker Hub, else `https://<registry host>`.
 */
export function defaultTrustServer(registry: string, env: NodeJS.ProcessEnv = process.env): string {
  const fromEnv = env.DOCKER_CONTENT_TRUST_SERVER;
  if (fromEnv !== undefined && fromEnv !== '') {
    parseServerUrl(fromEnv, 'DOCKER_CONTENT_TRUST_SERVER');
    return trimTrailingSlashes(fromEnv);
  }
  if (registry === DOCKER_HUB || registry === LEGACY_HUB) return DOCKER_HUB_NOTARY;
  return `https://${registry}`;
}
