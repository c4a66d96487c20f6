/**
 * undici implementation of the HTTP seam, behind the same `HttpClient` interface and the same retry,
 * deadline and size-cap policy as the default node:https client (src/transport/http.ts).
 *
 * undici is loaded lazily, on the first request: importing it costs ~70-190 ms and its first request
 * over TLS is slower than node:https, so it is NOT the default (measured in a fresh process against
 * notary-server over TLS on loopback: node:https import+first request ~40-60 ms, undici ~110-250 ms).
 * It is offered for library users who already run undici (connection pooling across many requests,
 * HTTP/1.1 pipelining).
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

function joinHeaders(raw: Record<string, string | string[] | undefined>): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [k, v] of Object.entries(raw)) {
    if (v === undefined) continue;
    out[k.toLowerCase()] = Array.isArray(v) ? v.join(', ') : v;
  }
  return out;
}

/** Creates an undici-backed client; undici itself is imported on the first request. */
export function createUndiciHttpClient(options: HttpClientOptions = {}): HttpClient {
  const ca = buildCaList(options.ca, options.env);
  let loading: Promise<{ agent: Dispatcher; request: typeof import('undici').request }> | undefined;
  const load = () => {
    loading ??= import('undici').then((u) => ({
      agent: new u.Agent({ connect: ca ? { ca } : {}, keepAliveTimeout: 10_000 }),
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
  return new RetryingHttpClient(transport, options, close);
}
