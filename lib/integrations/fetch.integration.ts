import diagnosticsChannel from 'node:diagnostics_channel';
import type { Integration, IntegrationHosts } from './integration.js';
import { endOutgoingCall, startOutgoingCall, type OutgoingCall } from './outgoing-http.js';

/**
 * The request object undici publishes (Node's bundled undici 6.x in Node 20, 7.x in Node 24,
 * and the `undici` package, which publish on the same channel names): `origin` + `path` is the
 * URL, `headers` a flat `[name, value, ...]` array (a `name: value\r\n` string before undici 6),
 * `addHeader(name, value)` appends one before it is sent.
 */
interface UndiciRequest {
  readonly origin?: unknown;
  readonly path?: unknown;
  readonly method?: unknown;
  readonly headers?: unknown;
  addHeader(name: string, value: string): unknown;
}

interface CreateMessage {
  readonly request: UndiciRequest;
}
interface HeadersMessage {
  readonly request: UndiciRequest;
  readonly response: { readonly statusCode?: unknown };
}
interface ErrorMessage {
  readonly request: UndiciRequest;
  readonly error: unknown;
}

const CREATE = 'undici:request:create';
const HEADERS = 'undici:request:headers';
const TRAILERS = 'undici:request:trailers';
const ERROR = 'undici:request:error';

/**
 * `fetch()` and undici clients: a CLIENT span per request (a redirect hop is a request of its
 * own), opened at `undici:request:create` in the caller's context (the subscriber runs
 * synchronously inside `fetch()`), trace headers added with `request.addHeader` unless the
 * caller set them, the status read at `:headers`, ended at `:trailers` (the response fully
 * received) or `:error`. undici does not go through node:http, so the http integration never
 * sees these calls.
 */
export const fetchIntegration: Integration = {
  name: 'fetch',
  // Built into Node (>= 18): the channels exist whether or not anyone calls fetch.
  installed: () => typeof diagnosticsChannel.subscribe === 'function',
  enable(hosts: IntegrationHosts): () => void {
    const calls = new WeakMap<UndiciRequest, OutgoingCall>();

    const onCreate = (message: unknown): void => {
      try {
        const active = hosts.current('fetch');
        if (active === undefined) return;
        const request = (message as CreateMessage).request;
        const call = startOutgoingCall(
          active,
          typeof request.method === 'string' ? request.method : 'GET',
          urlOf(request),
          {
            set: (name, value) => request.addHeader(name, value),
            has: (name) => hasHeader(request.headers, name),
          },
        );
        if (call !== undefined) calls.set(request, call);
      } catch {
        // Tracing never breaks the call.
      }
    };
    const onHeaders = (message: unknown): void => {
      const { request, response } = message as HeadersMessage;
      const call = calls.get(request);
      if (call !== undefined && typeof response?.statusCode === 'number') {
        call.status = response.statusCode;
      }
    };
    const onTrailers = (message: unknown): void => {
      const request = (message as CreateMessage).request;
      const call = calls.get(request);
      if (call === undefined) return;
      calls.delete(request);
      endOutgoingCall(call);
    };
    const onError = (message: unknown): void => {
      const { request, error } = message as ErrorMessage;
      const call = calls.get(request);
      if (call === undefined) return;
      calls.delete(request);
      endOutgoingCall(call, error ?? new Error('request failed'));
    };

    diagnosticsChannel.subscribe(CREATE, onCreate);
    diagnosticsChannel.subscribe(HEADERS, onHeaders);
    diagnosticsChannel.subscribe(TRAILERS, onTrailers);
    diagnosticsChannel.subscribe(ERROR, onError);
    return () => {
      diagnosticsChannel.unsubscribe(CREATE, onCreate);
      diagnosticsChannel.unsubscribe(HEADERS, onHeaders);
      diagnosticsChannel.unsubscribe(TRAILERS, onTrailers);
      diagnosticsChannel.unsubscribe(ERROR, onError);
    };
  },
};

function urlOf(request: UndiciRequest): string {
  const path = typeof request.path === 'string' ? request.path : '/';
  const origin = request.origin;
  if (origin === undefined || origin === null) return path;
  // A string in undici 6 and 7; a URL object in some older releases.
  return String(origin).replace(/\/$/, '') + path;
}

/** Whether undici's request already carries `name` (any case), in either header representation. */
export function hasHeader(headers: unknown, name: string): boolean {
  const wanted = name.toLowerCase();
  if (Array.isArray(headers)) {
    for (let i = 0; i < headers.length; i += 2) {
      const key: unknown = headers[i];
      if (typeof key === 'string' && key.toLowerCase() === wanted) return true;
      // Buffers when a Dispatcher was handed raw headers.
      if (
        key instanceof Uint8Array &&
        Buffer.from(key).toString('latin1').toLowerCase() === wanted
      ) {
        return true;
      }
    }
    return false;
  }
  if (typeof headers === 'string') {
    for (const line of headers.split('\r\n')) {
      const colon = line.indexOf(':');
      if (colon > 0 && line.slice(0, colon).trim().toLowerCase() === wanted) return true;
    }
  }
  return false;
}
