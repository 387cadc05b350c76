import type { IncomingMessage, Server, ServerResponse } from 'node:http';
import { currentContext, runWithContext } from '../core/trace-context.js';
import type { Tracer } from '../core/tracer.js';
import {
  beginHttpRequest,
  echoCorrelationId,
  getRequestState,
  type HeaderWriter,
  type HttpRequestState,
  type RoutedRequest,
} from './http-request.js';
import type { ResolvedTracingConfig } from '../config/tracing-config.js';

/**
 * HTTP requests are traced from the platform's own hooks, not from a Nest middleware or
 * interceptor: each of those adds a pipeline stage to every request (rxjs, an
 * AsyncResource, @fastify/middie on Fastify) that costs more than the tracing itself
 * (bench/README.md, "HTTP throughput").
 *
 * - The server's `request` listener is wrapped: the span starts as the request arrives,
 *   and routing, platform hooks and Nest middleware run inside the request's context.
 * - Where the platform continues in a later callback (a body read from the socket), the
 *   context is entered again just before Nest's handler chain: an Express middleware
 *   added after the body parsers, a Fastify `preHandler` hook. Both open the request
 *   themselves when the server was not wrapped (an app given its own server).
 */

/** The parts of Nest's HttpAdapterHost.httpAdapter used here (no @nestjs/core import). */
export interface HttpAdapterLike {
  getType(): string;
  getInstance(): unknown;
  getHttpServer(): unknown;
}

interface ExpressLike {
  use(handler: (req: IncomingMessage, res: ServerResponse, next: () => void) => void): unknown;
}

interface FastifyRequestLike extends RoutedRequest {
  raw: IncomingMessage;
}

interface FastifyReplyLike extends HeaderWriter {
  raw: ServerResponse;
}

type FastifyHook = (request: FastifyRequestLike, reply: FastifyReplyLike, done: () => void) => void;

/** What Fastify's `onRoute` hook is given of each route as it is added. */
interface FastifyRouteOptions {
  url?: unknown;
  onRequest?: FastifyHook | FastifyHook[];
}

interface FastifyLike {
  addHook(name: 'onRequest' | 'preHandler', hook: FastifyHook): unknown;
  addHook(name: 'onRoute', hook: (route: FastifyRouteOptions) => void): unknown;
}

/** Marks the route-level hooks this module adds, so a route copied from another (HEAD) gets one. */
const ROUTE_HOOK = Symbol('nestjs-tracing.route-hook');

type RequestListener = (req: IncomingMessage, res: ServerResponse) => void;

const WRAPPED = Symbol.for('nestjs-tracing.request-listener');

function callListener(
  listener: RequestListener,
  self: unknown,
  req: IncomingMessage,
  res: ServerResponse,
): void {
  listener.call(self, req, res);
}

/**
 * Installs the hooks for an Express or Fastify adapter. Returns false for any other
 * platform: the caller then applies the context middleware through Nest.
 */
export function installHttpTracing(
  adapter: HttpAdapterLike,
  tracer: Tracer,
  config: ResolvedTracingConfig,
): boolean {
  const type = adapter.getType();
  if (type !== 'express' && type !== 'fastify') return false;
  // Fastify writes its own headers on Node's fast path only when nothing was set on the
  // raw response first (a header set there costs about 3 µs a request): the onRequest
  // hook echoes the correlation id through the reply instead (and Nest's exception layer,
  // for a request answered with an error before that hook: http-exceptions.ts).
  const echo = type === 'express';
  const begin = (req: IncomingMessage, res: ServerResponse): HttpRequestState =>
    getRequestState(req) ?? beginHttpRequest(req, res, tracer, config, echo);
  const server = adapter.getHttpServer() as Server | undefined;
  if (server !== undefined && typeof server.listeners === 'function') wrapServer(server, begin);
  if (type === 'express') {
    (adapter.getInstance() as ExpressLike).use((req, res, next) => {
      const state = begin(req, res);
      if (currentContext() === state.context) next();
      else runWithContext(state.context, next);
    });
  } else {
    const fastify = adapter.getInstance() as FastifyLike;
    // Each route added from now on (Nest adds its routes after this) names itself to the
    // request from a route-level hook made for it: Fastify's request.routeOptions, the only
    // public way to the matched route, builds a new object of twelve fields at each read
    // (0.4-0.8 µs a request, timed in the running app).
    fastify.addHook('onRoute', (route) => addRouteTemplateHook(route));
    fastify.addHook('onRequest', (request, reply, done) => {
      const state = begin(request.raw, reply.raw);
      // For routes added before the hook above, and requests answered before route-level
      // hooks ran (a global hook that refused them): the route is read at the end.
      state.routed = request;
      echoCorrelationId(state, reply.raw, reply);
      if (currentContext() === state.context) done();
      else runWithContext(state.context, done);
    });
    fastify.addHook('preHandler', (request, _reply, done) => {
      const state = getRequestState(request.raw);
      if (state === undefined || currentContext() === state.context) done();
      else runWithContext(state.context, done);
    });
  }
  return true;
}

/** Puts a hook first among the route's own `onRequest` hooks that gives requests its template. */
function addRouteTemplateHook(route: FastifyRouteOptions): void {
  const template = route.url;
  if (typeof template !== 'string') return;
  const existing = route.onRequest;
  const hooks = existing === undefined ? [] : Array.isArray(existing) ? existing : [existing];
  if (hooks.some((hook) => (hook as { [ROUTE_HOOK]?: true })[ROUTE_HOOK])) return;
  const named: FastifyHook = (request, _reply, done) => {
    const state = getRequestState(request.raw);
    if (state !== undefined) state.route = template;
    done();
  };
  route.onRequest = [Object.assign(named, { [ROUTE_HOOK]: true as const }), ...hooks];
}

function wrapServer(
  server: Server,
  begin: (req: IncomingMessage, res: ServerResponse) => HttpRequestState,
): void {
  for (const listener of server.listeners('request') as RequestListener[]) {
    if ((listener as { [WRAPPED]?: true })[WRAPPED]) continue;
    const traced = Object.assign(
      function tracedRequest(this: unknown, req: IncomingMessage, res: ServerResponse): void {
        runWithContext(begin(req, res).context, callListener, listener, this, req, res);
      },
      { [WRAPPED]: true as const },
    );
    server.removeListener('request', listener);
    server.on('request', traced);
  }
}
