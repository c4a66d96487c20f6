/**
 * undici implementation of the HTTP seam, behind the same `Transport` interface and the same retry,
 * deadline and size-cap policy as the default node:https client (src/transport/http.ts).
 *
 * Its job: requests that go through a proxy (HTTPS_PROXY / HTTP_PROXY, chosen by src/transport/proxy.ts
 * with docker's rules). `createHttpClient` routes a request here only when a proxy applies to it; undici
 * and its `EnvHttpProxyAgent` (CONNECT tunnels for https, absolute-form requests for http) are then
 * imported on the first such request. Importing undici costs ~70-190 ms and its first TLS request is
 * slower than node:https, so the direct path never loads it.
 */

import type { Dispatcher } from 'undici';
import { NetworkError } from '../errors.js';
import {
  buildCaList,
  ERROR_BODY_LIMIT,
  type HttpClient,
  type HttpClientOptions,
  type HttpResponse,
  prematureClose,
  RetryingHttpClient,
  type Transport,
  tooLarge,
  transportFailure,
} from './http.js';
import type { ProxyConfig } from './proxy.js';

function joinHeaders(raw: Record<string, string | string[] | undefined>): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [k, v] of Object.entries(raw)) {
    if (v === undefined) continue;
    out[k.toLowerCase()] = Array.isArray(v) ? v.join(', ') : v;
  }
  return out;
}

/**
 * The undici transport: through `proxy` (an EnvHttpProxyAgent given the proxy settings explicitly, never
 * process.env) when one is given, else direct. undici itself is imported on the first request.
 */
export function undiciTransport(
  options: HttpClientOptions = {},
  proxy?: ProxyConfig,
): { transport: Transport; close: () => Promise<void> } {
  const ca = buildCaList(options.ca, options.env);
  let loading: Promise<{ agent: Dispatcher; request: typeof import('undici').request }> | undefined;
  const load = () => {
    loading ??= import('undici').then((u) => ({
      agent: proxy
        ? new u.EnvHttpProxyAgent({
            httpProxy: proxy.httpProxy,
            httpsProxy: proxy.httpsProxy,
            noProxy: proxy.noProxy,
            connect: ca ? { ca } : {},
            requestTls: ca ? { ca } : {},
            keepAliveTimeout: 10_000,
          })
        : new u.Agent({ connect: ca ? { ca } : {}, keepAliveTimeout: 10_000 }),
      request: u.request,
    }));
    return loading;
  };

  const transport: Transport = async (req, deadlineAt) => {
    const { agent, request } = await load();
    const controller = new AbortController();
    const timeout = new NetworkError('TIMEOUT', 'deadline reached');
    const timer = setTimeout(() => controller.abort(timeout), Math.max(0, deadlineAt - Date.now()));
    try {
      const res = await request(req.url, {
        method: req.method as Dispatcher.HttpMethod,
        headers: req.headers ?? {},
        ...(req.body !== undefined ? { body: req.body } : {}),
        dispatcher: agent,
        signal: controller.signal,
        headersTimeout: 0,
        bodyTimeout: 0,
      });
      const headers = joinHeaders(res.headers);
      const status = res.statusCode;
      const noBody = req.method === 'HEAD' || status === 204 || status === 304;
      const declared = headers['content-length'];
      const isError = status < 200 || status >= 300;
      const limit = isError ? ERROR_BODY_LIMIT : req.maxBytes;
      if (!noBody && declared !== undefined && /^\d+$/.test(declared) && Number(declared) > limit) {
        res.body.destroy();
        if (isError) return { status, headers, body: new Uint8Array(0) };
        throw tooLarge(req.url, req.maxBytes, Number(declared));
      }
      const chunks: Buffer[] = [];
      let total = 0;
      for await (const chunk of res.body as AsyncIterable<Buffer>) {
        if (total + chunk.length > limit) {
          res.body.destroy();
          if (!isError) throw tooLarge(req.url, req.maxBytes);
          chunks.push(chunk.subarray(0, limit - total));
          total = limit;
          break;
        }
        total += chunk.length;
        chunks.push(chunk);
      }
      const buf = Buffer.concat(chunks, total);
      const out: HttpResponse = {
        status,
        headers,
        body: new Uint8Array(buf.buffer, buf.byteOffset, buf.byteLength),
      };
      return out;
    } catch (err) {
      if (controller.signal.aborted) throw timeout;
      const code = (err as { code?: unknown } | null)?.code;
      if (code === 'UND_ERR_SOCKET' || code === 'UND_ERR_CLOSED') {
        throw transportFailure(req.url, Object.assign(prematureClose(), { cause: err }));
      }
      throw transportFailure(req.url, err);
    } finally {
      clearTimeout(timer);
    }
  };

  const close = async () => {
    if (!loading) return;
    const { agent } = await loading;
    await agent.destroy();
    loading = undefined;
  };
  return { transport, close };
}

/** An undici-backed client (direct), with the same policy as `createHttpClient`. */
export function createUndiciHttpClient(options: HttpClientOptions = {}): HttpClient {
  const { transport, close } = undiciTransport(options);
  return new RetryingHttpClient(transport, options, close);
}
