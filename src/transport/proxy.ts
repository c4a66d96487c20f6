/**
 * Proxy selection as docker does it (Go's net/http ProxyFromEnvironment, golang.org/x/net/http/httpproxy):
 *
 * - `HTTPS_PROXY` for https requests, `HTTP_PROXY` for http requests (upper case first, then lower case);
 *   a proxy given without a scheme is `http://`;
 * - never for `localhost` or a loopback IP;
 * - `NO_PROXY`: comma-separated; `*` disables proxying; an IP or CIDR (`10.0.0.0/8`, `::1/128`) matches
 *   addresses; `example.com` matches it and its subdomains, `.example.com` / `*.example.com` only
 *   subdomains; an optional `:port` restricts an entry to that port.
 *
 * When no proxy variable is set, nothing here is consulted and undici is never loaded (the direct path
 * stays on node:https).
 */

import { BlockList, isIP } from 'node:net';
import { LocalError } from '../errors.js';

/** Every variable that changes proxy decisions (part of the key of pooled clients). */
export const PROXY_ENV_VARS = [
  'HTTPS_PROXY',
  'https_proxy',
  'HTTP_PROXY',
  'http_proxy',
  'NO_PROXY',
  'no_proxy',
];

export interface ProxyConfig {
  /** Proxy URL for https requests, or '' for none. */
  httpsProxy: string;
  /** Proxy URL for http requests, or '' for none. */
  httpProxy: string;
  /** NO_PROXY as given. */
  noProxy: string;
  /** NO_PROXY parsed. */
  noProxyRules: NoProxyRules;
}

const envAny = (env: NodeJS.ProcessEnv, ...names: string[]): string => {
  for (const n of names) {
    const v = env[n];
    if (v !== undefined && v !== '') return v;
  }
  return '';
};

/** A proxy URL with a scheme (`host:3128` → `http://host:3128`), checked. */
function proxyUrl(raw: string, variable: string): string {
  const withScheme = /^[a-z][a-z0-9+.-]*:\/\//i.test(raw) ? raw : `http://${raw}`;
  let u: URL;
  try {
    u = new URL(withScheme);
  } catch {
    throw new LocalError('CONFIG', `${variable} is not a proxy URL`);
  }
  if (u.protocol !== 'http:' && u.protocol !== 'https:') {
    throw new LocalError(
      'CONFIG',
      `${variable}: only http:// and https:// proxies are supported, not ${u.protocol}`,
    );
  }
  return withScheme;
}

/** The proxy configuration in `env`, or undefined when neither HTTPS_PROXY nor HTTP_PROXY is set. */
export function proxyConfigFromEnv(env: NodeJS.ProcessEnv): ProxyConfig | undefined {
  const https = envAny(env, 'HTTPS_PROXY', 'https_proxy');
  // Go ignores HTTP_PROXY in a CGI environment (httpoxy); so do we.
  const http = env.REQUEST_METHOD ? '' : envAny(env, 'HTTP_PROXY', 'http_proxy');
  if (https === '' && http === '') return undefined;
  const noProxy = envAny(env, 'NO_PROXY', 'no_proxy');
  return {
    httpsProxy: https === '' ? '' : proxyUrl(https, 'HTTPS_PROXY'),
    httpProxy: http === '' ? '' : proxyUrl(http, 'HTTP_PROXY'),
    noProxy,
    noProxyRules: parseNoProxy(noProxy),
  };
}

export interface NoProxyRules {
  all: boolean;
  ips: Array<{ list: BlockList; port: string }>;
  domains: Array<{ suffix: string; matchHost: boolean; port: string }>;
}

function splitHostPort(p: string): { host: string; port: string } | undefined {
  const v6 = /^\[([^\]]*)\]:(\d*)$/.exec(p);
  if (v6) return { host: v6[1]!, port: v6[2]! };
  const i = p.lastIndexOf(':');
  if (i < 0 || p.indexOf(':') !== i) return undefined;
  return { host: p.slice(0, i), port: p.slice(i + 1) };
}

function parseNoProxy(noProxy: string): NoProxyRules {
  const r: NoProxyRules = { all: false, ips: [], domains: [] };
  for (const raw of noProxy.split(',')) {
    const p = raw.trim().toLowerCase();
    if (p === '') continue;
    if (p === '*') {
      r.all = true;
      break;
    }
    const cidr = /^([^/]+)\/(\d{1,3})$/.exec(p);
    if (cidr && isIP(cidr[1]!) !== 0) {
      const list = new BlockList();
      const type = isIP(cidr[1]!) === 4 ? 'ipv4' : 'ipv6';
      try {
        list.addSubnet(cidr[1]!, Number(cidr[2]), type);
        r.ips.push({ list, port: '' });
      } catch {
        // malformed entry: ignored, like Go
      }
      continue;
    }
    let host = p;
    let port = '';
    const hp = splitHostPort(p);
    if (hp) {
      if (hp.host === '') continue;
      host = hp.host;
      port = hp.port;
    } else if (p.startsWith('[') && p.endsWith(']')) {
      host = p.slice(1, -1);
    }
    const family = isIP(host);
    if (family !== 0) {
      const list = new BlockList();
      list.addAddress(host, family === 4 ? 'ipv4' : 'ipv6');
      r.ips.push({ list, port });
      continue;
    }
    if (host.startsWith('*.')) host = host.slice(1);
    const matchHost = !host.startsWith('.');
    r.domains.push({ suffix: matchHost ? `.${host}` : host, matchHost, port });
  }
  return r;
}

/** Go's net.IP.IsLoopback for a literal address. */
function isLoopbackIp(ip: string, family: number): boolean {
  if (family === 4) return ip.startsWith('127.');
  const l = new BlockList();
  l.addAddress('::1', 'ipv6');
  l.addSubnet('::ffff:127.0.0.0', 104, 'ipv6');
  return l.check(ip, 'ipv6');
}

/** The proxy to use for `url`, or undefined to connect directly. */
export function proxyFor(url: URL, cfg: ProxyConfig): string | undefined {
  const proxy = url.protocol === 'https:' ? cfg.httpsProxy : url.protocol === 'http:' ? cfg.httpProxy : '';
  if (proxy === '') return undefined;
  const host = url.hostname.replace(/^\[|\]$/g, '').toLowerCase();
  const port = url.port || (url.protocol === 'https:' ? '443' : '80');
  if (host === 'localhost') return undefined;
  const family = isIP(host);
  if (family !== 0 && isLoopbackIp(host, family)) return undefined;
  const r = cfg.noProxyRules;
  if (r.all) return undefined;
  if (family !== 0) {
    const type = family === 4 ? 'ipv4' : 'ipv6';
    if (r.ips.some((m) => m.list.check(host, type) && (m.port === '' || m.port === port))) return undefined;
  }
  for (const d of r.domains) {
    if (
      (host.endsWith(d.suffix) || (d.matchHost && host === d.suffix.slice(1))) &&
      (d.port === '' || d.port === port)
    ) {
      return undefined;
    }
  }
  return proxy;
}
