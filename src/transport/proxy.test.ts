// Proxy selection follows docker (Go's httpproxy): which variable, loopback never proxied, NO_PROXY forms.
import { describe, expect, it } from 'vitest';
import { proxyConfigFromEnv, proxyFor } from './proxy.js';

describe('proxyConfigFromEnv', () => {
  it('is undefined without HTTPS_PROXY / HTTP_PROXY (the direct path never loads undici)', () => {
    expect(proxyConfigFromEnv({})).toBeUndefined();
    expect(proxyConfigFromEnv({ NO_PROXY: '*' })).toBeUndefined();
  });
  it('upper case first, then lower case; a proxy without scheme is http://', () => {
    const c = proxyConfigFromEnv({
      HTTPS_PROXY: 'proxy.corp:3128',
      https_proxy: 'http://other:1',
      no_proxy: 'a',
    });
    expect(c).toMatchObject({ httpsProxy: 'http://proxy.corp:3128', httpProxy: '', noProxy: 'a' });
    expect(proxyConfigFromEnv({ http_proxy: 'http://p:8080' })).toMatchObject({ httpProxy: 'http://p:8080' });
  });
  it('ignores HTTP_PROXY in a CGI environment (httpoxy), like Go', () => {
    expect(proxyConfigFromEnv({ HTTP_PROXY: 'http://p:1', REQUEST_METHOD: 'GET' })).toBeUndefined();
  });
  it('refuses proxy schemes it cannot speak (CONFIG)', () => {
    expect(() => proxyConfigFromEnv({ HTTPS_PROXY: 'socks5://p:1080' })).toThrow(
      expect.objectContaining({ code: 'CONFIG' }),
    );
  });
});

describe('proxyFor', () => {
  const cfg = (noProxy = '') =>
    proxyConfigFromEnv({ HTTPS_PROXY: 'http://sp:3128', HTTP_PROXY: 'http://hp:3128', NO_PROXY: noProxy })!;
  const via = (url: string, noProxy = '') => proxyFor(new URL(url), cfg(noProxy));

  it('https uses HTTPS_PROXY, http uses HTTP_PROXY', () => {
    expect(via('https://notary.example/v2/')).toBe('http://sp:3128');
    expect(via('http://notary.example/v2/')).toBe('http://hp:3128');
    expect(
      proxyFor(new URL('https://n.example'), proxyConfigFromEnv({ HTTP_PROXY: 'http://hp:1' })!),
    ).toBeUndefined();
  });
  it.each(['https://localhost:4443/', 'https://127.0.0.1/', 'https://127.9.9.9:1/', 'https://[::1]:5000/'])(
    '%s (loopback) is never proxied',
    (url) => expect(via(url)).toBeUndefined(),
  );
  it.each([
    ['https://notary.example/', '*', false],
    ['https://notary.example/', 'notary.example', false],
    ['https://a.notary.example/', 'notary.example', false],
    ['https://notary.example/', '.notary.example', true],
    ['https://a.notary.example/', '.notary.example', false],
    ['https://a.notary.example/', '*.notary.example', false],
    ['https://xnotary.example/', 'notary.example', true],
    ['https://notary.example:4443/', 'notary.example:4443', false],
    ['https://notary.example:4443/', 'notary.example:443', true],
    ['https://notary.example/', 'NOTARY.EXAMPLE ,other', false],
    ['https://10.1.2.3/', '10.0.0.0/8', false],
    ['https://11.1.2.3/', '10.0.0.0/8', true],
    ['https://10.1.2.3:4443/', '10.1.2.3', false],
    ['https://[2001:db8::5]/', '2001:db8::/32', false],
    ['https://[2001:db9::5]/', '2001:db8::/32', true],
    ['https://notary.example/', '', true],
  ])('%s with NO_PROXY=%j → proxied %s', (url, noProxy, proxied) => {
    expect(via(url, noProxy) !== undefined).toBe(proxied);
  });
});
