import {
  Inject,
  Injectable,
  Optional,
  type BeforeApplicationShutdown,
  type OnApplicationBootstrap,
  type OnModuleInit,
} from '@nestjs/common';
import { HttpAdapterHost, ModuleRef } from '@nestjs/core';
import type { IncomingMessage, Server, ServerResponse } from 'node:http';
import { SpanKind, type ReadableSpan } from '../core/types.js';
import { HttpRequestRecords } from '../http/request-records.js';
import type { HttpRequestRecord } from '../http/interfaces/http-request-record.interface.js';
import { DEVTOOLS_ASSETS, renderPage } from './assets/devtools-assets.js';
import { DEVTOOLS_OPTIONS } from './devtools.constants.js';
import type { ResolvedDevtoolsOptions } from './devtools-options.js';
import { decodeOtlpJson } from './received-span.js';
import { BadRequest, parseQuery, readJson } from './devtools-request.js';
import { hostRefusal, isAllowedHost, spanIntakeRefusal } from './devtools-access.js';
import { TraceStore } from './trace-store.js';
import { buildTraceView } from './trace-view.js';

/** Where the raw listener keeps an OTLP request's own content type, hidden from body parsers. */
const CONTENT_TYPE = Symbol('nestjs-tracing:devtools:content-type');

type DevtoolsRequest = IncomingMessage & {
  originalUrl?: string;
  body?: unknown;
  [CONTENT_TYPE]?: string;
};

const TRACE_ID = /^[0-9a-f]{32}$/;
const HEARTBEAT_MS = 15_000;

const SECURITY_HEADERS: Readonly<Record<string, string>> = {
  'cache-control': 'no-store',
  'x-content-type-options': 'nosniff',
  'referrer-policy': 'no-referrer',
};
// The page loads its own script and style and talks to its own API, nothing else.
const PAGE_CSP =
  "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self'; " +
  "connect-src 'self'; base-uri 'none'; form-action 'none'; frame-ancestors 'none'";

/**
 * Serves the trace viewer under its path: the page and its assets, the JSON API, live
 * updates (server-sent events) and OTLP/JSON spans from other services. Closes live
 * streams on shutdown so `app.close()` does not wait for open pages. (Its requests are
 * kept out of tracing by the feature's ignored routes.)
 */
@Injectable()
export class TracingDevtoolsService
  implements OnModuleInit, OnApplicationBootstrap, BeforeApplicationShutdown
{
  private readonly streams = new Set<ServerResponse>();
  private heartbeat: NodeJS.Timeout | undefined;
  private server: Server | undefined;
  private recordSources: HttpRequestRecords[] = [];

  constructor(
    @Inject(DEVTOOLS_OPTIONS) readonly options: ResolvedDevtoolsOptions | null,
    @Optional() @Inject(TraceStore) private readonly store: TraceStore | null,
    private readonly moduleRef: ModuleRef,
    @Optional() private readonly adapterHost?: HttpAdapterHost,
  ) {}

  /** True when `url` (a request target) is the viewer's path or under it. */
  owns(url: string): boolean {
    const base = this.options?.path;
    if (base === undefined || !url.startsWith(base)) return false;
    const next = url.charCodeAt(base.length);
    // End of string, '/' or '?'.
    return Number.isNaN(next) || next === 47 || next === 63;
  }

  /**
   * Express's JSON body parser runs before any Nest middleware and would read (and cap at
   * 100 kB) a batch of spans posted to the viewer. Nothing in Nest runs before it, so the
   * raw server's first `request` listener sets the content type aside for those posts
   * only (on Fastify too, where it is harmless); the parser then leaves the body alone.
   */
  onModuleInit(): void {
    if (this.options === null || this.options.acceptSpans === false) return;
    const server = this.adapterHost?.httpAdapter?.getHttpServer?.() as Server | undefined;
    if (server === undefined || typeof server.prependListener !== 'function') return;
    server.prependListener('request', this.setOtlpTypeAside);
    this.server = server;
  }

  /** `TracedHttpModule` registrations are found once every module is up. */
  onApplicationBootstrap(): void {
    if (this.options === null) return;
    try {
      const found = this.moduleRef.get(HttpRequestRecords, { strict: false, each: true });
      this.recordSources = found.filter(
        (r): r is HttpRequestRecords => r instanceof HttpRequestRecords,
      );
    } catch {
      // No TracedHttpModule in the app: spans are shown without request records.
      this.recordSources = [];
    }
  }

  beforeApplicationShutdown(): void {
    this.server?.removeListener('request', this.setOtlpTypeAside);
    this.server = undefined;
    clearInterval(this.heartbeat);
    this.heartbeat = undefined;
    for (const stream of this.streams) stream.end();
    this.streams.clear();
  }

  private readonly setOtlpTypeAside = (req: IncomingMessage): void => {
    const url = req.url;
    if (req.method !== 'POST' || url === undefined || !this.owns(url) || !this.isReceivePath(url)) {
      return;
    }
    (req as DevtoolsRequest)[CONTENT_TYPE] = req.headers['content-type'] ?? '';
    req.headers['content-type'] = 'application/vnd.nestjs-tracing.otlp';
  };

  private isReceivePath(url: string): boolean {
    const path = url.split('?')[0]!.replace(/\/+$/, '');
    return path === `${this.options!.path}/v1/traces`;
  }

  /** Answers a request under the viewer's path; other requests go on to `next`. */
  handle(req: IncomingMessage, res: ServerResponse, next: (error?: unknown) => void): void {
    const r = req as DevtoolsRequest;
    const url = r.originalUrl ?? req.url ?? '/';
    if (this.options === null || this.store === null || !this.owns(url)) return next();
    if (!isAllowedHost(req.headers.host, this.options.allowedHosts)) {
      return this.send(res, 403, 'text/plain; charset=utf-8', hostRefusal(req.headers.host));
    }
    void this.route(r, res, url, this.options, this.store).catch((error: unknown) => {
      if (error instanceof BadRequest) this.sendJson(res, error.status, { error: error.message });
      else this.sendJson(res, 500, { error: 'the trace viewer failed to answer' });
    });
  }

  private async route(
    req: DevtoolsRequest,
    res: ServerResponse,
    url: string,
    options: ResolvedDevtoolsOptions,
    store: TraceStore,
  ): Promise<void> {
    const parsed = new URL(url, 'http://viewer');
    const path = parsed.pathname.slice(options.path.length).replace(/\/+$/, '') || '/';
    const method = req.method ?? 'GET';
    const read = method === 'GET' || method === 'HEAD';

    if (path === '/' && read) return this.sendPage(res, options.path);
    const asset = Object.hasOwn(DEVTOOLS_ASSETS, path) ? DEVTOOLS_ASSETS[path] : undefined;
    if (asset !== undefined && read) return this.send(res, 200, asset.type, asset.body);
    if (path === '/api/traces' && read) {
      return this.sendJson(res, 200, store.list(parseQuery(parsed.searchParams)));
    }
    if (path === '/api/traces' && method === 'DELETE') {
      store.clear();
      return this.send(res, 204, undefined, '');
    }
    if (path.startsWith('/api/traces/') && read) {
      return this.sendTrace(res, store, path.slice('/api/traces/'.length));
    }
    if (path === '/api/events' && method === 'GET') return this.openStream(req, res, store);
    const intake = options.acceptSpans;
    if (path === '/v1/traces' && intake !== false && method === 'POST') {
      const refusal = spanIntakeRefusal(req, intake);
      if (refusal !== undefined) throw new BadRequest(refusal.status, refusal.message);
      return this.receive(req, res, store);
    }
    const known =
      path === '/' ||
      asset !== undefined ||
      path.startsWith('/api/traces') ||
      path === '/api/events' ||
      (path === '/v1/traces' && intake !== false);
    if (known) throw new BadRequest(405, `${method} is not allowed on ${parsed.pathname}`);
    throw new BadRequest(404, `no such page in the trace viewer: ${parsed.pathname}`);
  }

  private sendPage(res: ServerResponse, base: string): void {
    res.setHeader('content-security-policy', PAGE_CSP);
    res.setHeader('x-frame-options', 'DENY');
    this.send(res, 200, 'text/html; charset=utf-8', renderPage(base));
  }

  private sendTrace(res: ServerResponse, store: TraceStore, id: string): void {
    const traceId = id.toLowerCase();
    if (!TRACE_ID.test(traceId)) {
      throw new BadRequest(400, 'a trace id is 32 hexadecimal characters');
    }
    const trace = store.getTrace(traceId);
    if (trace === undefined) throw new BadRequest(404, `trace ${traceId} is not in the store`);
    const records = this.recordsOf(traceId);
    const view = buildTraceView(traceId, trace.spans, trace.droppedSpans, (span: ReadableSpan) =>
      span.kind === SpanKind.CLIENT ? records.get(span.spanId) : undefined,
    );
    this.sendJson(res, 200, view);
  }

  /** The outgoing-call records of one trace, by span id, from every TracedHttpModule. */
  private recordsOf(traceId: string): Map<string, HttpRequestRecord> {
    const bySpan = new Map<string, HttpRequestRecord>();
    for (const source of this.recordSources) {
      for (const record of source.list()) {
        if (record.traceId === traceId && record.spanId !== undefined) {
          bySpan.set(record.spanId, record);
        }
      }
    }
    return bySpan;
  }

  private openStream(req: IncomingMessage, res: ServerResponse, store: TraceStore): void {
    res.writeHead(200, {
      ...SECURITY_HEADERS,
      'content-type': 'text/event-stream; charset=utf-8',
      connection: 'keep-alive',
      // Proxies such as nginx must pass events on as they come.
      'x-accel-buffering': 'no',
    });
    res.write(`retry: 2000\nevent: hello\ndata: {"traces":${store.size}}\n\n`);
    const unsubscribe = store.subscribe((traceIds) => {
      res.write(`event: traces\ndata: ${JSON.stringify({ traceIds })}\n\n`);
    });
    this.streams.add(res);
    if (this.heartbeat === undefined) {
      // A comment line now and then keeps idle connections from being cut by proxies.
      this.heartbeat = setInterval(() => {
        for (const stream of this.streams) stream.write(': ping\n\n');
      }, HEARTBEAT_MS);
      this.heartbeat.unref();
    }
    const close = (): void => {
      unsubscribe();
      this.streams.delete(res);
      if (this.streams.size === 0) {
        clearInterval(this.heartbeat);
        this.heartbeat = undefined;
      }
    };
    req.once('close', close);
    res.once('close', close);
  }

  /** OTLP/HTTP JSON from another service: `ExportTraceServiceRequest` in, `...Response` out. */
  private async receive(
    req: DevtoolsRequest,
    res: ServerResponse,
    store: TraceStore,
  ): Promise<void> {
    const given = req[CONTENT_TYPE] ?? req.headers['content-type'] ?? '';
    const type = given.split(';')[0]!.trim().toLowerCase();
    if (type !== 'application/json') {
      throw new BadRequest(
        415,
        'the trace viewer accepts OTLP/HTTP JSON only: set protocol "http/json" on the exporter',
      );
    }
    const body = await readJson(req);
    let decoded;
    try {
      decoded = decodeOtlpJson(body);
    } catch (error) {
      throw new BadRequest(400, (error as Error).message);
    }
    store.addReceived(decoded.spans);
    this.sendJson(
      res,
      200,
      decoded.rejected === 0
        ? {}
        : {
            partialSuccess: {
              rejectedSpans: String(decoded.rejected),
              errorMessage: 'spans with malformed ids or times were rejected',
            },
          },
    );
  }

  private sendJson(res: ServerResponse, status: number, value: unknown): void {
    this.send(res, status, 'application/json; charset=utf-8', JSON.stringify(value));
  }

  private send(res: ServerResponse, status: number, type: string | undefined, body: string): void {
    if (res.headersSent) {
      res.end();
      return;
    }
    res.statusCode = status;
    for (const [name, value] of Object.entries(SECURITY_HEADERS)) res.setHeader(name, value);
    if (type !== undefined) res.setHeader('content-type', type);
    if (status === 204) {
      res.end();
      return;
    }
    res.setHeader('content-length', Buffer.byteLength(body));
    res.end(res.req?.method === 'HEAD' ? undefined : body);
  }
}
