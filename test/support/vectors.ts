/**
 * Access to the Notary-produced vectors in vectors/<scenario>/, and a
 * read-only MetadataStore serving them the way notary-server does (plain
 * names, `<v>.root`, and `<role>.<sha256>` checksum names). The bytes are the
 * real server's; only the HTTP hop is left out.
 */

import { createHash } from 'node:crypto';
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { VerificationError } from '../../src/errors.js';
import type { MetadataStore } from '../../src/transport/store.js';

export const VECTORS_DIR = join(import.meta.dirname, '..', '..', 'vectors');
export const SCENARIOS = ['ecdsa-server', 'ed25519-server'] as const;
export type Scenario = (typeof SCENARIOS)[number];

export interface VectorInfo {
  gun: string;
  rootVersions: number;
  generatedAt: string;
  files: string[];
}

export interface VectorTag {
  sha256hex: string;
  size: number;
  role: string;
}

export function vectorInfo(s: Scenario): VectorInfo {
  return JSON.parse(readFileSync(join(VECTORS_DIR, s, 'info.json'), 'utf8')) as VectorInfo;
}

export function vectorTags(s: Scenario): Record<string, VectorTag> {
  return JSON.parse(readFileSync(join(VECTORS_DIR, s, 'tags.json'), 'utf8')) as Record<string, VectorTag>;
}

export function vectorTagsByRole(s: Scenario): Record<string, Record<string, VectorTag>> {
  return JSON.parse(readFileSync(join(VECTORS_DIR, s, 'tags-by-role.json'), 'utf8')) as Record<
    string,
    Record<string, VectorTag>
  >;
}

/** Exact bytes of `vectors/<scenario>/<name>.json`. */
export function vectorFile(s: Scenario, name: string): Uint8Array {
  return readFileSync(join(VECTORS_DIR, s, `${name}.json`));
}

/** The clock the vectors were made at (timestamps expire 14 days later). */
export function vectorNow(s: Scenario): () => number {
  const t = Date.parse(vectorInfo(s).generatedAt) + 60_000;
  return () => t;
}

/** Serves a directory of server bytes like notary-server's GET API. */
export class DirectoryStore implements MetadataStore {
  readonly description: string;
  constructor(
    private readonly dir: string,
    private readonly override: Map<string, Uint8Array | null> = new Map(),
  ) {
    this.description = `vectors:${dir}`;
  }

  private read(role: string): Uint8Array | null {
    if (this.override.has(role)) return this.override.get(role) ?? null;
    const p = join(this.dir, `${role}.json`);
    return existsSync(p) ? readFileSync(p) : null;
  }

  async getMeta(name: string, maxBytes: number): Promise<Uint8Array | null> {
    let bytes: Uint8Array | null;
    const checksum = /^(.*)\.([0-9a-f]{64})$/.exec(name);
    if (checksum) {
      bytes = this.read(checksum[1]!);
      if (bytes && createHash('sha256').update(bytes).digest('hex') !== checksum[2]) bytes = null;
    } else {
      bytes = this.read(name);
    }
    if (bytes && bytes.length > maxBytes) {
      throw new VerificationError('TOO_LARGE', `${name}: ${bytes.length} > ${maxBytes}`);
    }
    return bytes;
  }
  async publish(): Promise<void> {
    throw new Error('read-only');
  }
  async getServerKey(): Promise<null> {
    return null;
  }
  async rotateServerKey(): Promise<unknown> {
    throw new Error('read-only');
  }
  async deleteRepository(): Promise<void> {
    throw new Error('read-only');
  }
}

export function vectorStore(s: Scenario, override?: Map<string, Uint8Array | null>): DirectoryStore {
  return new DirectoryStore(join(VECTORS_DIR, s), override);
}
