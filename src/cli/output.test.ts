import { afterEach, describe, expect, it, vi } from 'vitest';
import { NetworkError } from '../errors.js';
import { printJson, printText, reportError } from './output.js';

afterEach(() => {
  vi.restoreAllMocks();
});

function capture(stream: 'stdout' | 'stderr'): string[] {
  const out: string[] = [];
  vi.spyOn(process[stream], 'write').mockImplementation((chunk: string | Uint8Array) => {
    out.push(String(chunk));
    return true;
  });
  return out;
}

describe('CLI output never carries raw control characters (issue 8 item 11)', () => {
  it('error messages: ESC, CR, BEL, C1 and newlines are escaped; one line per error', () => {
    const err = capture('stderr');
    const code = reportError(
      new NetworkError('SERVER_ERROR', 'answered 400 (x: \r\u001b[2K\nTRUSTED OK\u0007\u009b)'),
    );
    expect(code).toBe(3);
    const text = err.join('');
    expect(text).toBe('error SERVER_ERROR: answered 400 (x: \\r\\x1b[2K\\nTRUSTED OK\\x07\\x9b)\n');
  });
  it('text keeps the layout newlines and tabs, escapes the rest', () => {
    const out = capture('stdout');
    printText('Signed v1\r\u001b[1A\tok\n');
    expect(out.join('')).toBe('Signed v1\\r\\x1b[1A\tok\n');
  });
  it('JSON: C1 and bidi controls are \\u escapes (same JSON value)', () => {
    const out = capture('stdout');
    const value = { tag: 'v1\u009b31m\u202e\u001b' };
    printJson(value);
    const text = out.join('');
    expect(text).not.toMatch(/[\u0000-\u0009\u000b-\u001f\u007f-\u009f\u202e]/);
    expect(JSON.parse(text)).toEqual(value);
  });
  it('an untrusted server certificate gets the --tlscacert hint from the CLI, not the library', () => {
    const err = capture('stderr');
    const cause = Object.assign(new Error('self-signed certificate'), {
      code: 'DEPTH_ZERO_SELF_SIGNED_CERT',
    });
    reportError(
      new NetworkError('NETWORK', 'cannot reach https://n.example/: self-signed certificate', { cause }),
    );
    expect(err.join('')).toMatch(/; pass its CA certificate with --tlscacert FILE\n$/);
  });
});
