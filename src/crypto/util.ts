/** Byte helpers shared by the crypto modules (internal). */

export function toHex(b: Uint8Array): string {
  return Buffer.from(b.buffer, b.byteOffset, b.byteLength).toString('hex');
}

export function fromHex(s: string): Uint8Array {
  if (!/^(?:[0-9a-fA-F]{2})*$/.test(s)) throw new RangeError('invalid hex');
  return new Uint8Array(Buffer.from(s, 'hex'));
}

/** Standard base64 with padding (what Go's `encoding/base64.StdEncoding` writes). */
export function toBase64(b: Uint8Array): string {
  return Buffer.from(b.buffer, b.byteOffset, b.byteLength).toString('base64');
}

/** The standard base64 alphabet, by char code. */
const B64_ALPHABET = new Uint8Array(128);
for (const c of 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/')
  B64_ALPHABET[c.charCodeAt(0)] = 1;

/**
 * Whether `s` is standard padded base64. (Also instead of the expression in fromBase64Std: a regular
 * expression is compiled in every process, ~0.1 ms of a warm `trust verify`, issue 12.)
 */
export function isStdBase64(s: string): boolean {
  // what /^(?:[A-Za-z0-9+/]{4})*(?:[A-Za-z0-9+/]{2}==|[A-Za-z0-9+/]{3}=)?$/ matches, without a regex
  // (one regex call per hash was a tenth of parsing a large targets document)
  const n = s.length;
  if (n % 4 !== 0) return false;
  let end = n;
  if (end > 0 && s.charCodeAt(end - 1) === 61) {
    end--;
    if (s.charCodeAt(end - 1) === 61) end--;
  }
  for (let i = 0; i < end; i++) {
    const c = s.charCodeAt(i);
    if (c > 127 || B64_ALPHABET[c] === 0) return false;
  }
  return true;
}

/**
 * Whether `s` is 64 lower-case hexadecimal digits (a sha256 in hex): `/^[0-9a-f]{64}$/` without a
 * regular expression to compile in every process (issue 12).
 */
export function isSha256Hex(s: string): boolean {
  if (s.length !== 64) return false;
  for (let i = 0; i < 64; i++) {
    const c = s.charCodeAt(i);
    if (!((c >= 0x30 && c <= 0x39) || (c >= 0x61 && c <= 0x66))) return false;
  }
  return true;
}

/**
 * Decodes standard base64 the way Go's `base64.StdEncoding` (what `encoding/json`
 * uses for `[]byte`) does: padding required, `\r` and `\n` ignored, non-zero
 * trailing bits tolerated. Anything else (URL alphabet, spaces, missing padding)
 * returns `undefined`.
 */
export function fromBase64Std(s: string): Uint8Array | undefined {
  const t = s.includes('\n') || s.includes('\r') ? s.replace(/[\r\n]/g, '') : s;
  if (!isStdBase64(t)) return undefined;
  const b = Buffer.from(t, 'base64');
  return new Uint8Array(b.buffer, b.byteOffset, b.byteLength);
}

export function equalBytes(a: Uint8Array, b: Uint8Array): boolean {
  if (a.length !== b.length) return false;
  for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) return false;
  return true;
}

export function bigintFromBytesBE(b: Uint8Array): bigint {
  let n = 0n;
  for (const x of b) n = (n << 8n) | BigInt(x);
  return n;
}

export function bitLength(n: bigint): number {
  return n <= 0n ? 0 : n.toString(2).length;
}
