/**
 * The one PEM codec (RFC 7468 text with RFC 1421 `Key: value` headers), used for
 * key files, public keys, certificates in metadata and pinned CA bundles.
 *
 * Encoding is byte-identical to Go's `pem.EncodeToMemory`: `Proc-Type` first,
 * then the other headers sorted by key, `key: value` lines, a blank line, the
 * base64 body in 64-column lines, every line ending in `\n`.
 *
 * Decoding is strict; it accepts exactly:
 * - one or more blocks `-----BEGIN LABEL-----` ... `-----END LABEL-----`, the
 *   END label equal to the BEGIN label, the label printable ASCII without `-`
 *   at either end;
 * - optional headers right after BEGIN (`key: value` lines), which must be
 *   followed by one blank line; header objects have no prototype;
 * - a non-empty body of standard base64 with correct padding, split over lines;
 * - `\r\n` or `\n` line ends, trailing spaces and tabs on any line, blank lines
 *   between blocks.
 * Anything else is a FormatError (code chosen by the caller): text before,
 * between or after blocks (Go's decoder skips it; we refuse it), a missing END,
 * a boundary inside a block, bad base64, input over `maxLength` characters.
 *
 * One exception, `textOutsideBlocks: 'skip'`, exists for local CA bundle files an
 * operator points us at (`trust_pinning.ca`), which often carry comments or
 * `openssl x509 -text` output around the certificates, as Notary accepts them.
 * Blocks themselves are checked as strictly; key files and anything from a
 * server never use it.
 */
import { type ErrorCode, FormatError } from '../errors.js';

export interface PemBlock {
  /** The label, e.g. `ENCRYPTED PRIVATE KEY`. */
  readonly type: string;
  /** Headers (`role`, `gun`, `path`, ...); a null-prototype object. */
  readonly headers: Readonly<Record<string, string>>;
  readonly bytes: Uint8Array;
}

const LABEL = /^[\x21-\x2c\x2e-\x7e](?:[\x20-\x2c\x2e-\x7e]*[\x21-\x2c\x2e-\x7e])?$/;

/** Encodes one block exactly like Go's `pem.EncodeToMemory`. Throws RangeError on what decodePem would refuse. */
export function encodePem(block: {
  type: string;
  headers?: Readonly<Record<string, string>>;
  bytes: Uint8Array;
}): string {
  if (!LABEL.test(block.type)) throw new RangeError('invalid PEM label');
  if (block.bytes.length === 0) throw new RangeError('empty PEM body');
  const headers = block.headers ?? {};
  const keys = Object.keys(headers);
  for (const k of keys) {
    const v = headers[k] as string;
    if (
      k.includes(':') ||
      /[\r\n]/.test(k) ||
      /[\r\n]/.test(v) ||
      k.trim() !== k ||
      v.trim() !== v ||
      k === '' ||
      k.startsWith('-----')
    ) {
      throw new RangeError('invalid PEM header');
    }
  }
  let out = `-----BEGIN ${block.type}-----\n`;
  if (keys.length > 0) {
    const rest = keys.filter((k) => k !== 'Proc-Type').sort(compareGoStrings);
    const ordered = keys.includes('Proc-Type') ? ['Proc-Type', ...rest] : rest;
    for (const k of ordered) out += `${k}: ${headers[k]}\n`;
    out += '\n';
  }
  const b64 = Buffer.from(block.bytes.buffer, block.bytes.byteOffset, block.bytes.byteLength).toString(
    'base64',
  );
  for (let i = 0; i < b64.length; i += 64) out += `${b64.slice(i, i + 64)}\n`;
  out += `-----END ${block.type}-----\n`;
  return out;
}

/** Go's sort.Strings order: byte-wise on UTF-8. */
function compareGoStrings(a: string, b: string): number {
  return Buffer.compare(Buffer.from(a, 'utf8'), Buffer.from(b, 'utf8'));
}

export interface PemDecodeOptions {
  /** FormatError code on failure. Default `BAD_KEY`. */
  code?: ErrorCode;
  /** Refuse inputs longer than this many characters. Default 1 MiB. */
  maxLength?: number;
  /** `refuse` (default) or `skip` lines outside blocks; `skip` only for local CA bundle files. */
  textOutsideBlocks?: 'refuse' | 'skip';
}

const B64 = /^(?:[A-Za-z0-9+/]{4})*(?:[A-Za-z0-9+/]{2}==|[A-Za-z0-9+/]{3}=)?$/;

/** Every PEM block of `text`, in order (possibly none, for blank text). See the module comment for what is accepted. */
export function decodePemAll(text: string, options: PemDecodeOptions = {}): PemBlock[] {
  const code = options.code ?? 'BAD_KEY';
  const maxLength = options.maxLength ?? 1 << 20;
  const skipText = options.textOutsideBlocks === 'skip';
  if (typeof text !== 'string') throw new FormatError(code, 'PEM input is not text');
  if (text.length > maxLength) throw new FormatError(code, `PEM input larger than ${maxLength} characters`);
  const lines = text.split('\n').map((l) => l.replace(/\r$/, '').replace(/[ \t]+$/, ''));
  const blocks: PemBlock[] = [];
  let i = 0;
  while (i < lines.length) {
    const line = lines[i] as string;
    i++;
    if (line === '') continue;
    const begin = /^-----BEGIN (.*)-----$/.exec(line);
    if (!begin) {
      if (skipText && !line.startsWith('-----')) continue;
      throw new FormatError(code, 'unexpected text outside PEM blocks');
    }
    const type = begin[1] as string;
    if (!LABEL.test(type)) throw new FormatError(code, 'invalid PEM label');
    const headers: Record<string, string> = Object.create(null);
    let sawHeader = false;
    while (i < lines.length) {
      const h = lines[i] as string;
      const colon = h.indexOf(':');
      if (colon < 0) break;
      const key = h.slice(0, colon).trim();
      if (key.startsWith('-----')) break;
      if (key === '') throw new FormatError(code, 'malformed PEM header');
      headers[key] = h.slice(colon + 1).trim();
      sawHeader = true;
      i++;
    }
    if (sawHeader) {
      if (i >= lines.length || (lines[i] as string).trim() !== '') {
        throw new FormatError(code, 'PEM headers must be followed by a blank line');
      }
      i++;
    }
    let body = '';
    let ended = false;
    while (i < lines.length) {
      const b = lines[i] as string;
      i++;
      if (b.startsWith('-----END ')) {
        if (b !== `-----END ${type}-----`) throw new FormatError(code, `PEM END line does not match ${type}`);
        ended = true;
        break;
      }
      if (b.startsWith('-----')) throw new FormatError(code, 'unexpected PEM boundary inside a block');
      body += b.replace(/[ \t]/g, '');
    }
    if (!ended) throw new FormatError(code, `PEM block ${type} has no END line`);
    if (body === '' || !B64.test(body)) throw new FormatError(code, `PEM block ${type} has invalid base64`);
    blocks.push({ type, headers, bytes: new Uint8Array(Buffer.from(body, 'base64')) });
  }
  return blocks;
}

/**
 * The single PEM block in `text`; `expectedTypes` restricts its label.
 * More than one block, or none, is a FormatError.
 */
export function decodePem(
  text: string,
  expectedTypes?: readonly string[],
  options: PemDecodeOptions = {},
): PemBlock {
  const code = options.code ?? 'BAD_KEY';
  const blocks = decodePemAll(text, options);
  if (blocks.length === 0) throw new FormatError(code, 'no PEM block found');
  if (blocks.length > 1) throw new FormatError(code, `expected one PEM block, found ${blocks.length}`);
  const block = blocks[0] as PemBlock;
  if (expectedTypes && !expectedTypes.includes(block.type)) {
    throw new FormatError(code, `unexpected PEM type ${block.type}; expected ${expectedTypes.join(' or ')}`);
  }
  return block;
}
