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

import { LocalError } from './errors.js';

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

const REFERENCE_RE = new RegExp(`^((?:${DOMAIN_AND_PORT}/)?${REMOTE_NAME})(?::(${TAG}))?(?:@(${DIGEST}))?$`);
const DOMAIN_RE = new RegExp(`^${DOMAIN_AND_PORT}$`);
const REMOTE_NAME_RE = new RegExp(`^${REMOTE_NAME}$`);
const TAG_RE = new RegExp(`^${TAG}$`);
const IDENTIFIER_RE = /^[a-f0-9]{64}$/;
const SHA256_DIGEST_RE = /^sha256:[a-f0-9]{64}$/;

function bad(ref: string, reason: string): LocalError {
  return new LocalError('BAD_REFERENCE', `invalid reference ${JSON.stringify(ref)}: ${reason}`);
}

/** Splits off the registry host the way docker's splitDockerDomain does. */
function splitDomain(name: string): { domain: string; remainder: string } {
  const slash = name.indexOf('/');
  if (slash < 0) return { domain: DOCKER_HUB, remainder: OFFICIAL_PREFIX + name };
  const first = name.slice(0, slash);
  const rest = name.slice(slash + 1);
  let domain: string;
  let remainder: string;
  if (first === 'localhost') {
    domain = first;
    remainder = rest;
  } else if (first === LEGACY_HUB) {
    domain = DOCKER_HUB;
    remainder = rest;
  } else if (first.includes('.') || first.includes(':') || first.toLowerCase() !== first) {
    domain = first;
    remainder = rest;
  } else {
    domain = DOCKER_HUB;
    remainder = name;
  }
  if (domain === DOCKER_HUB && !remainderPath(remainder).includes('/')) {
    remainder = OFFICIAL_PREFIX + remainder;
  }
  return { domain, remainder };
}

/** The path part of `path[:tag][@digest]` (everything before the first `:` or `@`). */
function remainderPath(remainder: string): string {
  const m = /[:@]/.exec(remainder);
  return m ? remainder.slice(0, m.index) : remainder;
}

/**
 * Parses a docker image reference (`[host[:port]/]path[:tag][@digest]`).
 * Throws LocalError BAD_REFERENCE with the specific reason.
 */
export function parseReference(ref: string): ImageReference {
  if (typeof ref !== 'string' || ref.length === 0) throw bad(String(ref), 'empty reference');
  if (/\s/.test(ref)) throw bad(ref, 'contains whitespace');
  if (IDENTIFIER_RE.test(ref)) {
    throw bad(ref, 'a 64-character hexadecimal string is an image ID, not a repository name');
  }

  // Separate the digest, then the tag, from what the user wrote.
  let rest = ref;
  let rawDigest: string | undefined;
  const at = rest.indexOf('@');
  if (at >= 0) {
    rawDigest = rest.slice(at + 1);
    rest = rest.slice(0, at);
    if (rawDigest.length === 0) throw bad(ref, "empty digest after '@'");
  }
  let rawTag: string | undefined;
  const lastColon = rest.lastIndexOf(':');
  if (lastColon > rest.lastIndexOf('/')) {
    rawTag = rest.slice(lastColon + 1);
    rest = rest.slice(0, lastColon);
    if (rawTag.length === 0) throw bad(ref, "empty tag after ':'");
  }
  const name = rest;
  if (name.length === 0) throw bad(ref, 'missing repository name');

  const { domain, remainder } = splitDomain(name);
  const path = remainderPath(remainder);
  if (path.toLowerCase() !== path) throw bad(ref, `repository name (${path}) must be lowercase`);
  if (path.length > NAME_MAX)
    throw bad(ref, `repository name must not be longer than ${NAME_MAX} characters`);

  // Precise reasons first, then the full grammar as the final authority.
  if (!DOMAIN_RE.test(domain)) throw bad(ref, `invalid registry host ${JSON.stringify(domain)}`);
  if (!REMOTE_NAME_RE.test(path)) {
    throw bad(
      ref,
      `invalid repository path ${JSON.stringify(path)} (components are lower-case letters and digits, ` +
        "separated by '/', and inside a component by '.', '_', '__' or dashes)",
    );
  }
  if (rawTag !== undefined && !TAG_RE.test(rawTag)) {
    throw bad(ref, `invalid tag ${JSON.stringify(rawTag)} (letters, digits, '_', '.', '-'; at most 128)`);
  }
  if (rawDigest !== undefined && !SHA256_DIGEST_RE.test(rawDigest)) {
    throw bad(
      ref,
      rawDigest.startsWith('sha256:')
        ? 'digest must be sha256: followed by 64 lower-case hexadecimal characters'
        : `unsupported digest ${JSON.stringify(rawDigest.slice(0, 80))} (only sha256:<64 hex> is supported)`,
    );
  }
  const full = `${domain}/${remainder.slice(0, path.length)}`;
  const canonical = `${full}${rawTag !== undefined ? `:${rawTag}` : ''}${rawDigest !== undefined ? `@${rawDigest}` : ''}`;
  if (!REFERENCE_RE.test(canonical)) throw bad(ref, 'invalid reference format');

  const out: ImageReference = { name, registry: domain, repository: path, gun: `${domain}/${path}` };
  if (rawTag !== undefined) out.tag = rawTag;
  if (rawDigest !== undefined) out.digest = rawDigest;
  if (out.tag === undefined && out.digest === undefined) out.tag = DEFAULT_TAG;
  return out;
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
 * The trust server for a registry, as docker picks it: `DOCKER_CONTENT_TRUST_SERVER` (must be an
 * https URL), else https://notary.docker.io for Docker Hub, else `https://<registry host>`.
 */
export function defaultTrustServer(registry: string, env: NodeJS.ProcessEnv = process.env): string {
  const fromEnv = env.DOCKER_CONTENT_TRUST_SERVER;
  if (fromEnv !== undefined && fromEnv !== '') {
    let url: URL;
    try {
      url = new URL(fromEnv);
    } catch {
      throw new LocalError(
        'CONFIG',
        `DOCKER_CONTENT_TRUST_SERVER must be an https URL, got ${JSON.stringify(fromEnv)}`,
      );
    }
    if (url.protocol !== 'https:') {
      throw new LocalError(
        'CONFIG',
        `DOCKER_CONTENT_TRUST_SERVER must be an https URL, got ${JSON.stringify(fromEnv)}`,
      );
    }
    return fromEnv.replace(/\/+$/, '');
  }
  if (registry === DOCKER_HUB || registry === LEGACY_HUB) return DOCKER_HUB_NOTARY;
  return `https://${registry}`;
}
