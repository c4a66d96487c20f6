/**
 * What a TLS failure means, for messages: kept apart from http.ts so the CLI can add its flag hint
 * (`--tlscacert`) without loading the HTTP stack. Library messages never name CLI flags.
 */

/** TLS failures meaning "this chain does not end at a CA we were given" (not a network problem). */
export const UNTRUSTED_CHAIN_CODES: ReadonlySet<string> = new Set([
  'UNABLE_TO_VERIFY_LEAF_SIGNATURE',
  'UNABLE_TO_GET_ISSUER_CERT',
  'UNABLE_TO_GET_ISSUER_CERT_LOCALLY',
  'SELF_SIGNED_CERT_IN_CHAIN',
  'DEPTH_ZERO_SELF_SIGNED_CERT',
  'CERT_UNTRUSTED',
]);

/** Whether `err` or one of its causes is a server certificate that does not chain to a trusted CA. */
export function isUntrustedServerCertificate(err: unknown): boolean {
  for (let e = err, depth = 0; e && depth < 8; e = (e as { cause?: unknown }).cause, depth++) {
    const code = (e as { code?: unknown }).code;
    if (typeof code === 'string' && UNTRUSTED_CHAIN_CODES.has(code)) return true;
  }
  return false;
}

/** Whether a TLS handshake failed because the peer answered in plain HTTP. */
export function isPlainHttpAnswer(err: unknown): boolean {
  const code = (err as { code?: unknown } | null)?.code;
  const msg = err instanceof Error ? err.message : '';
  return (
    code === 'ERR_SSL_WRONG_VERSION_NUMBER' ||
    code === 'ERR_SSL_HTTP_REQUEST' ||
    /wrong version number|http request|packet length too long/i.test(msg)
  );
}
