/**
 * Strict, small tar: what an OCI image layout tarball needs and nothing more (ustar, GNU long names
 * and PAX `path`/`size` records, as GNU tar and Go's archive/tar write them).
 *
 * The writer emits deterministic POSIX ustar (mode 0644, uid/gid 0, mtime 0, sorted names). The
 * reader takes a whole archive in memory under a byte cap and refuses, rather than interprets,
 * anything unusual: links (hard or symbolic), devices, FIFOs, GNU long link names, global PAX headers, sparse files,
 * base-256 sizes, absolute names, `..` or empty path components, backslashes, duplicate names, a bad
 * header checksum, a truncated entry, data after the end marker, and more entries or bytes than its
 * limits. Directories are skipped. A PAX extended header may set `path` and `size` of the next entry.
 */

import { FormatError, VerificationError } from '../../errors.js';

/** One regular file of a tar archive. */
export interface TarEntry {
  name: string;
  bytes: Uint8Array;
}

/** Limits of the strict tar reader. */
export interface TarLimits {
  /** Most bytes of the whole archive (default 256 MiB). */
  maxArchiveBytes?: number;
  /** Most bytes of one entry (default 64 MiB). */
  maxEntryBytes?: number;
  /** Most entries (default 100 000). */
  maxEntries?: number;
}

const BLOCK = 512;
/** The reader's default cap on a whole archive: `trust export` never writes a bundle over it. */
export const MAX_BUNDLE_BYTES = 256 << 20;
const DEFAULTS = { maxArchiveBytes: MAX_BUNDLE_BYTES, maxEntryBytes: 64 << 20, maxEntries: 100_000 };

/** Bytes an entry of `size` bytes takes in a ustar archive (header block and padded data). */
export function tarEntryBytes(size: number): number {
  return BLOCK + Math.ceil(size / BLOCK) * BLOCK;
}
const ascii = new TextEncoder();

function bad(message: string): FormatError {
  return new FormatError('BAD_METADATA', `bundle: ${message}`);
}

/** A relative, normalised name, or an error: no absolute paths, `..`, empty components or odd bytes. */
export function checkEntryName(raw: string): string {
  let name = raw;
  while (name.startsWith('./')) name = name.slice(2);
  if (name.endsWith('/')) name = name.slice(0, -1);
  if (name === '' || name.length > 1024) throw bad(`invalid entry name ${JSON.stringify(raw.slice(0, 100))}`);
  if (name.startsWith('/') || /[\\\u0000-\u001f\u007f]/.test(name)) {
    throw bad(`refusing entry name ${JSON.stringify(raw.slice(0, 100))}`);
  }
  for (const part of name.split('/')) {
    if (part === '' || part === '.' || part === '..') {
      throw bad(`refusing entry name ${JSON.stringify(raw.slice(0, 100))} (path traversal)`);
    }
  }
  return name;
}

function octal(value: number, width: number): string {
  return `${value.toString(8).padStart(width - 1, '0')}\u0000`;
}

function header(name: string, size: number): Uint8Array {
  const h = new Uint8Array(BLOCK);
  const put = (s: string, off: number) => h.set(ascii.encode(s), off);
  let prefix = '';
  let base = name;
  if (ascii.encode(name).length > 100) {
    const cut = name.lastIndexOf('/', 155);
    if (cut <= 0 || ascii.encode(name.slice(cut + 1)).length > 100)
      throw bad(`name too long for ustar: ${name}`);
    prefix = name.slice(0, cut);
    base = name.slice(cut + 1);
  }
  put(base, 0);
  put(octal(0o644, 8), 100);
  put(octal(0, 8), 108);
  put(octal(0, 8), 116);
  put(octal(size, 12), 124);
  put(octal(0, 12), 136);
  h.fill(0x20, 148, 156);
  put('0', 156);
  put('ustar\u000000', 257);
  put(prefix, 345);
  let sum = 0;
  for (const b of h) sum += b;
  put(`${sum.toString(8).padStart(6, '0')}\u0000 `, 148);
  return h;
}

/** Deterministic ustar archive of `entries` (sorted by name). */
export function writeTar(entries: readonly TarEntry[]): Uint8Array {
  const sorted = [...entries].sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
  const seen = new Set<string>();
  const parts: Uint8Array[] = [];
  let total = 0;
  for (const e of sorted) {
    const name = checkEntryName(e.name);
    if (seen.has(name)) throw bad(`duplicate entry ${name}`);
    seen.add(name);
    const h = header(name, e.bytes.byteLength);
    const pad = (BLOCK - (e.bytes.byteLength % BLOCK)) % BLOCK;
    parts.push(h, e.bytes, new Uint8Array(pad));
    total += BLOCK + e.bytes.byteLength + pad;
  }
  parts.push(new Uint8Array(2 * BLOCK));
  total += 2 * BLOCK;
  const out = new Uint8Array(total);
  let off = 0;
  for (const p of parts) {
    out.set(p, off);
    off += p.byteLength;
  }
  return out;
}

function cString(b: Uint8Array): string {
  const end = b.indexOf(0);
  const raw = end >= 0 ? b.subarray(0, end) : b;
  try {
    return new TextDecoder('utf-8', { fatal: true }).decode(raw);
  } catch {
    throw bad('entry name is not UTF-8');
  }
}

function parseOctal(b: Uint8Array, what: string): number {
  if (b.length > 0 && (b[0]! & 0x80) !== 0) throw bad(`base-256 ${what} is not supported`);
  const s = cString(b).trim();
  if (!/^[0-7]*$/.test(s)) throw bad(`invalid ${what} field`);
  const n = s === '' ? 0 : Number.parseInt(s, 8);
  if (!Number.isSafeInteger(n)) throw bad(`invalid ${what} field`);
  return n;
}

function isZeroBlock(b: Uint8Array): boolean {
  for (const x of b) if (x !== 0) return false;
  return true;
}

/** PAX records `LEN key=value\n`; only `path` and `size` matter, other known keys are ignored. */
function parsePax(data: Uint8Array): { path?: string; size?: number } {
  const text = new TextDecoder('utf-8', { fatal: true }).decode(data);
  const out: { path?: string; size?: number } = {};
  let i = 0;
  while (i < text.length) {
    const sp = text.indexOf(' ', i);
    if (sp < 0) throw bad('malformed PAX header');
    const len = Number(text.slice(i, sp));
    if (!Number.isSafeInteger(len) || len <= sp - i + 1 || i + len > text.length)
      throw bad('malformed PAX header');
    const rec = text.slice(sp + 1, i + len);
    if (!rec.endsWith('\n')) throw bad('malformed PAX header');
    const eq = rec.indexOf('=');
    if (eq <= 0) throw bad('malformed PAX header');
    const key = rec.slice(0, eq);
    const value = rec.slice(eq + 1, -1);
    if (key === 'path') out.path = value;
    else if (key === 'size') {
      if (!/^[0-9]{1,15}$/.test(value)) throw bad('invalid PAX size');
      out.size = Number(value);
    } else if (key === 'linkpath') throw bad('links are not allowed');
    else if (
      !/^(mtime|atime|ctime|uid|gid|uname|gname|comment|SCHILY\.[A-Za-z.]+|LIBARCHIVE\.[A-Za-z.]+)$/.test(key)
    ) {
      throw bad(`unsupported PAX record ${JSON.stringify(key.slice(0, 40))}`);
    }
    i += len;
  }
  return out;
}

/** Reads a whole tar archive into entries (regular files only), refusing anything unusual. */
export function readTar(archive: Uint8Array, limits: TarLimits = {}): TarEntry[] {
  const max = { ...DEFAULTS, ...limits };
  if (archive.byteLength > max.maxArchiveBytes) {
    throw new VerificationError(
      'TOO_LARGE',
      `bundle is ${archive.byteLength} bytes, over the ${max.maxArchiveBytes}-byte limit`,
    );
  }
  if (archive.byteLength % BLOCK !== 0) throw bad('archive size is not a multiple of 512 bytes');
  const out: TarEntry[] = [];
  const seen = new Set<string>();
  let off = 0;
  let pax: { path?: string; size?: number } | undefined;
  let ended = false;
  while (off + BLOCK <= archive.byteLength) {
    const h = archive.subarray(off, off + BLOCK);
    if (isZeroBlock(h)) {
      ended = true;
      break;
    }
    let sum = 0;
    for (let i = 0; i < BLOCK; i++) sum += i >= 148 && i < 156 ? 0x20 : h[i]!;
    if (parseOctal(h.subarray(148, 156), 'checksum') !== sum)
      throw bad(`bad header checksum at offset ${off}`);
    const magic = cString(h.subarray(257, 263));
    if (magic !== 'ustar' && magic !== 'ustar ') throw bad('not a ustar archive');
    const type = String.fromCharCode(h[156]!);
    let size = parseOctal(h.subarray(124, 136), 'size');
    if (pax?.size !== undefined) size = pax.size;
    if (size > max.maxEntryBytes) {
      throw new VerificationError(
        'TOO_LARGE',
        `bundle entry of ${size} bytes is over the ${max.maxEntryBytes}-byte limit`,
      );
    }
    const dataStart = off + BLOCK;
    const dataEnd = dataStart + size;
    if (dataEnd > archive.byteLength) throw bad('truncated entry');
    const data = archive.subarray(dataStart, dataEnd);
    off = dataStart + Math.ceil(size / BLOCK) * BLOCK;
    if (type === 'x') {
      if (pax !== undefined) throw bad('two PAX headers in a row');
      pax = parsePax(data);
      continue;
    }
    if (type === 'L') {
      // GNU long name: the next entry's name
      if (pax !== undefined) throw bad('two long-name headers in a row');
      pax = { path: cString(data) };
      continue;
    }
    const prefix = magic === 'ustar' ? cString(h.subarray(345, 500)) : '';
    const rawName =
      pax?.path ?? (prefix ? `${prefix}/${cString(h.subarray(0, 100))}` : cString(h.subarray(0, 100)));
    pax = undefined;
    if (type === '5') {
      if (rawName !== '.' && rawName !== './') checkEntryName(rawName);
      continue;
    }
    if (type !== '0' && type !== '\u0000') {
      const what =
        {
          '1': 'hard link',
          '2': 'symbolic link',
          '3': 'device',
          '4': 'device',
          '6': 'FIFO',

          K: 'GNU long link',
          g: 'global PAX header',
        }[type] ?? `entry type ${JSON.stringify(type)}`;
      throw bad(`refusing ${what} ${JSON.stringify(rawName.slice(0, 100))}`);
    }
    const name = checkEntryName(rawName);
    if (seen.has(name)) throw bad(`duplicate entry ${name}`);
    seen.add(name);
    if (out.length >= max.maxEntries)
      throw new VerificationError('TOO_LARGE', `bundle has more than ${max.maxEntries} entries`);
    out.push({ name, bytes: data });
  }
  if (pax !== undefined) throw bad('PAX header without an entry');
  if (!ended) throw bad('no end-of-archive marker');
  if (!isZeroBlock(archive.subarray(off))) throw bad('data after the end-of-archive marker');
  return out;
}
