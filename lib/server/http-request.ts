import { ServerResponse, type IncomingMessage } from 'node:http';
import { Baggage } from '../core/baggage.js';
import { DEFAULT_ERROR_POLICY } from '../core/error-policy.js';
import { httpMethodOf } from '../core/http-method.js';
import { incomingHeadersGetter } from '../core/propagation/carrier.js';
import type { PropagationState } from '../core/propagation/text-map-propagator.js';
import { ROOT_CONTEXT, type TraceContext } from '../core/trace-context.js';
import type { Tracer } from '../core/tracer.js';
import { RecordingSpan } from '../core/span.js';
import { SpanKind, SpanStatusCode, type Attributes, type Span } from '../core/types.js';
import { REQUEST_STATE } from '../tracing.internal-constants.js';
import { instrumentServerResponse, type ResponseStreamSlot } from './stream-accounting.js';
import type { ResolvedTracingConfig } from '../config/tracing-config.js';

/** What the context middleware leaves on the raw request for the interceptor. */
export interface HttpRequestState extends ResponseStreamSlot {
  readonly context: TraceContext;
  /** The server span; undefined for ignored routes. */
  readonly span: Span | undefined;
  /** The request's method as the span names it (`_OTHER` for methods outside HTTP's list). */
  readonly method: string;
  /** Route template once known (`/users/:id`). */
  route: string | undefined;
  /**
   * The platform's request, where it keeps the matched route and it is not the raw request
   * (Fastify's): read at the end when nothing set `route` earlier.
   */
  routed: RoutedRequest | undefined;
  /** Set when the interceptor recorded what the handler threw, so the response does not overwrite it. */
  errorRecorded: boolean;
  /** The response header that echoes the correlation id, and whether it was set. */
  readonly echoHeader: string | undefined;
  echoed: boolean;
}

/** Where the platforms put the matched route on their request objects. */
export interface RoutedRequest {
  /** Fastify's (`routerPath` before Fastify 4.10). */
  routeOptions?: { url?: unknown };
  routerPath?: unknown;
  /** Express's (Express's request is Node's, so the raw request carries it). */
  route?: { path?: unknown };
}

type RequestWithState = IncomingMessage &
  RoutedRequest & {
    [REQUEST_STATE]?: HttpRequestState;
    originalUrl?: string;
  };

/** Fastify's reply, which writes the headers itself to keep its fast path. */
export interface HeaderWriter {
  header(name: string, value: string): unknown;
}

/** Where the correlation id is kept on server spans (no semantic convention exists for it). */
export const CORRELATION_ID_ATTRIBUTE = 'correlation.id';

const SAFE_ID = /^[A-Za-z0-9._:@/+=-]{1,128}$/;

export function getRequestState(req: IncomingMessage): HttpRequestState | undefined {
  return (req as RequestWithState)[REQUEST_STATE];
}

/**
 * Puts the correlation id on the response, once: when the request opens, or later where the
 * platform writes its own headers (`reply`: Fastify) or answered an error early.
 */
export function echoCorrelationId(
  state: HttpRequestState,
  res: ServerResponse,
  reply?: HeaderWriter,
): void {
  const id = state.context.correlationId;
  const header = state.echoHeader;
  if (state.echoed || header === undefined || id === undefined || res.headersSent) return;
  if (reply === undefined) res.setHeader(header, id);
  else reply.header(header, id);
  state.echoed = true;
}

/**
 * The request's correlation id: the first well-formed one among the configured headers,
 * else a generated one (`correlation.generate`), else the trace id.
 */
export function resolveCorrelationId(
  headers: IncomingMessage['headers'] | undefined,
  config: ResolvedTracingConfig,
  span: Span | undefined,
  tracer: Tracer,
): string {
  return (
    (headers && readCorrelationId(headers, config.correlationRequestHeaders)) ??
    config.generateCorrelationId?.() ??
    (span ? span.spanContext().traceId : tracer.idGenerator.generateTraceId())
  );
}

/** The route template the platform matched (`/users/:id`); undefined before routing. */
export function routeTemplateOf(req: RoutedRequest): string | undefined {
  const fastify = req.routeOptions?.url ?? req.routerPath;
  if (typeof fastify === 'string') return fastify;
  const express = req.route?.path;
  return typeof express === 'string' ? express : undefined;
}

/** The first well-formed correlation id among the configured request headers. */
export function readCorrelationId(
  headers: IncomingMessage['headers'],
  names: readonly string[],
): string | undefined {
  for (const name of names) {
    const value = headers[name];
    if (typeof value === 'string' && SAFE_ID.test(value)) return value;
  }
  return undefined;
}

/**
 * Opens the request's context and server span, echoes the correlation id (unless
 * `echo` is false: the caller sets the header its platform's way), and ends
 * the span when the response is done (or the client goes away), with the final status.
 */
export function beginHttpRequest(
  req: IncomingMessage,
  res: ServerResponse,
  tracer: Tracer,
  config: ResolvedTracingConfig,
  echo = true,
): HttpRequestState {
  const r = req as RequestWithState;
  const headers = req.headers;
  const extracted: PropagationState = config.propagator.extract({}, headers, incomingHeadersGetter);
  const url = r.originalUrl ?? req.url ?? '/';
  const q = url.indexOf('?');
  const path = q === -1 ? url : url.slice(0, q);
  const rawMethod = req.method ?? 'GET';
  const method = httpMethodOf(rawMethod);

  let span: Span | undefined;
  if (!config.isIgnoredRoute(path)) {
    span = tracer.startSpan(
      method === '_OTHER' ? 'HTTP' : method,
      { kind: SpanKind.SERVER, parent: extracted.spanContext },
      // Never a parent from whatever context is active when the request arrives.
      ROOT_CONTEXT,
    );
  }
  const correlationId = resolveCorrelationId(headers, config, span, tracer);
  const context = tracer.createContext(span, correlationId, extracted.baggage ?? new Baggage());
  const recording = span?.isRecording() === true;
  if (recording) {
    const attributes = requestAttributes(req, method, rawMethod, path, correlationId);
    // One object built here instead of a setAttribute call per attribute (bench/README.md).
    if (span instanceof RecordingSpan) span.adoptAttributes(attributes);
    else span!.setAttributes(attributes);
  }
  const state: HttpRequestState = {
    context,
    span,
    method,
    route: undefined,
    routed: undefined,
    errorRecorded: false,
    echoHeader: config.correlationResponseHeader,
    echoed: false,
  };
  if (echo) echoCorrelationId(state, res);
  r[REQUEST_STATE] = state;
  if (recording) {
    // Node's responses are counted by the process-wide accounting (installed by
    // TracingModule); others (HTTP/2 compatibility responses) by a per-response wrapper.
    if (!(res instanceof ServerResponse)) instrumentServerResponse(res, span!);
    // One listener function for every response (it finds the request through `res.req`),
    // not a closure per request; 'close' comes once per response: `on` spares the
    // once-wrapper and its removal.
    if ((res as { req?: unknown }).req === req) res.on('close', onResponseClose);
    else res.on('close', () => endHttpSpan(state, r, res));
  }
  return state;
}

function onResponseClose(this: ServerResponse): void {
  const req = this.req as RequestWithState;
  const state = req[REQUEST_STATE];
  if (state !== undefined) endHttpSpan(state, req, this);
}

/** `server.address` and `server.port` from a Host header. */
interface HostParts {
  readonly address: string;
  readonly port: number | undefined;
}

/** Host headers seen, split once: an app answers to few names (bounded: clients choose them). */
const HOSTS = new Map<string, HostParts>();
const MAX_CACHED_HOSTS = 64;
/** A DNS name (253) with a port; longer Host headers are split per request, never kept. */
const MAX_CACHED_HOST_LENGTH = 260;

function hostParts(host: string): HostParts {
  let parts = HOSTS.get(host);
  if (parts !== undefined) return parts;
  const colon = host.lastIndexOf(':');
  if (colon > 0 && !host.endsWith(']')) {
    const port = Number(host.slice(colon + 1));
    parts = { address: host.slice(0, colon), port: Number.isInteger(port) ? port : undefined };
  } else {
    parts = { address: host, port: undefined };
  }
  if (HOSTS.size < MAX_CACHED_HOSTS && host.length <= MAX_CACHED_HOST_LENGTH)
    HOSTS.set(host, parts);
  return parts;
}

/** The server span's request attributes (OpenTelemetry HTTP semantic conventions). */
function requestAttributes(
  req: IncomingMessage,
  method: string,
  rawMethod: string,
  path: string,
  correlationId: string,
): Attributes {
  const socket = req.socket as { encrypted?: boolean; remoteAddress?: string } | undefined;
  const scheme = socket?.encrypted ? 'https' : 'http';
  const host = req.headers.host;
  const server = host ? hostParts(host) : undefined;
  const client = socket?.remoteAddress;
  const ua = req.headers['user-agent'];
  if (method !== '_OTHER' && server?.port !== undefined && client && ua) {
    // The usual request as one object literal: V8 makes its shape once, where adding the
    // properties one by one walked nine shape transitions a request. Same keys, same order
    // as below ('correlation.id' is CORRELATION_ID_ATTRIBUTE: a computed key would undo it).
    return {
      'http.request.method': method,
      'url.path': path,
      'url.scheme': scheme,
      'server.address': server.address,
      'server.port': server.port,
      'client.address': client,
      'user_agent.original': ua,
      'network.protocol.version': req.httpVersion,
      'correlation.id': correlationId,
    };
  }
  const attributes: Attributes = { 'http.request.method': method };
  if (method === '_OTHER') attributes['http.request.method_original'] = rawMethod;
  attributes['url.path'] = path;
  attributes['url.scheme'] = scheme;
  if (server !== undefined) {
    attributes['server.address'] = server.address;
    if (server.port !== undefined) attributes['server.port'] = server.port;
  }
  if (client) attributes['client.address'] = client;
  if (ua) attributes['user_agent.original'] = ua;
  attributes['network.protocol.version'] = req.httpVersion;
  attributes[CORRELATION_ID_ATTRIBUTE] = correlationId;
  return attributes;
}

/** Span names by method, then route template: a route's name is made once, not per request. */
const SPAN_NAMES = new Map<string, Map<string, string>>();
/** Route templates are few; past this many, names are made per request again. */
const MAX_CACHED_NAMES = 1024;
let cachedNames = 0;

function serverSpanName(method: string, route: string): string {
  let byRoute = SPAN_NAMES.get(method);
  let name = byRoute?.get(route);
  if (name !== undefined) return name;
  name = `${method === '_OTHER' ? 'HTTP' : method} ${route}`;
  if (cachedNames < MAX_CACHED_NAMES) {
    if (byRoute === undefined) SPAN_NAMES.set(method, (byRoute = new Map()));
    byRoute.set(route, name);
    cachedNames++;
  }
  return name;
}

function endHttpSpan(state: HttpRequestState, req: RequestWithState, res: ServerResponse): void {
  const span = state.span!;
  const method = state.method;
  const route = state.route ?? routeTemplateOf(state.routed ?? req);
  if (route !== undefined) {
    span.updateName(serverSpanName(method, route));
    span.setAttribute('http.route', route);
  }
  const status = res.statusCode;
  span.setAttribute('http.response.status_code', status);
  if (!res.writableFinished) {
    // The client went away before the response was complete.
    span.setAttribute('error.type', 'aborted');
    span.setStatus({ code: SpanStatusCode.ERROR, message: 'response aborted' });
  } else if (
    !state.errorRecorded &&
    (state.context.tracer?.errorPolicy ?? DEFAULT_ERROR_POLICY).isErrorStatus(status)
  ) {
    span.setAttribute('error.type', String(status));
    span.setStatus({ code: SpanStatusCode.ERROR });
  }
  span.end();
}
