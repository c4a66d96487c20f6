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

const B64 = /^(?:[A-Za-z0-9+/]{4})*(?:[A-Za-z0-9+/]{2}==|[A-Za-z0-9+/]{3}=)?$/;

/**
 * Decodes standard base64 the way Go's `base64.StdEncoding` (what `encoding/json`
 * uses for `[]byte`) does: padding required, `\r` and `\n` ignored, non-zero
 * trailing bits tolerated. Anything else (URL alphabet, spaces, missing padding)
 * returns `undefined`.
 */
export function fromBase64Std(s: string): Uint8Array | undefined {
  const t = s.includes('\n') || s.includes('\r') ? s.replace(/[\r\n]/g, '') : s;
  if (!B64.test(t)) return undefined;
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
