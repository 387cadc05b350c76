import diagnosticsChannel from 'node:diagnostics_channel';
import { createServer, get, request, type IncomingHttpHeaders, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { resolveTracingConfig } from '../../../lib/config/tracing-config.js';
import { AlwaysOffSampler } from '../../../lib/core/samplers.js';
import { SimpleSpanProcessor } from '../../../lib/core/simple-span-processor.js';
import type { SpanProcessor } from '../../../lib/core/span-processor.js';
import { runSuppressed, runWithContext, TraceContext } from '../../../lib/core/trace-context.js';
import { Tracer } from '../../../lib/core/tracer.js';
import { SpanKind, SpanStatusCode, type ReadableSpan } from '../../../lib/core/types.js';
import { InMemorySpanExporter } from '../../../lib/export/spans/in-memory-span-exporter.js';
import { markClientSpan } from '../../../lib/integrations/client-spans.js';
import { fetchIntegration, hasHeader } from '../../../lib/integrations/fetch.integration.js';
import { createIntegrationHost } from '../../../lib/integrations/host.js';
import { httpIntegration } from '../../../lib/integrations/http.integration.js';
import type { TracingModuleOptions } from '../../../lib/interfaces/tracing-module-options.interface.js';
import { IntegrationRegistry } from '../../../lib/integrations/registry.js';
import { freePort } from '../../fixtures/free-port.js';

function app(options: TracingModuleOptions = {}, sampler?: AlwaysOffSampler) {
  const config = resolveTracingConfig({ serviceName: 'unit', ...options }, {});
  const exporter = new InMemorySpanExporter();
  const simple = new SimpleSpanProcessor(exporter);
  // Every span started must end: `open` counts those that have not (yet).
  const open = new Set<string>();
  const processor: SpanProcessor = {
    onStart: (span) => void open.add(span.spanContext().spanId),
    onEnd: (span) => {
      open.delete(span.spanId);
      simple.onEnd(span);
    },
    forceFlush: () => simple.forceFlush(),
    shutdown: () => simple.shutdown(),
  };
  const tracer = new Tracer({
    processor,
    resource: { attributes: { 'service.name': 'unit' } },
    enabled: config.enabled,
    sampler,
  });
  return { tracer, exporter, open, host: createIntegrationHost(tracer, config) };
}

type App = ReturnType<typeof app>;

/** Runs `fn` under a `parent` span of `owner`, ending it afterwards; returns the parent. */
async function underParent<T>(
  owner: App,
  fn: () => Promise<T>,
): Promise<{ parent: string; result: T }> {
  const span = owner.tracer.startSpan('parent');
  const context = new TraceContext(span, undefined, undefined, owner.tracer, false);
  try {
    return { parent: span.spanContext().spanId, result: await runWithContext(context, fn) };
  } finally {
    span.end();
  }
}

let server: Server;
let base: string;
const received: IncomingHttpHeaders[] = [];

beforeAll(async () => {
  server = createServer((req, res) => {
    received.push(req.headers);
    const status = req.url?.startsWith('/missing') ? 404 : 200;
    res.writeHead(status, { 'content-type': 'text/plain' });
    res.end('hello');
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
});

afterAll(async () => {
  server.closeAllConnections();
  await new Promise<void>((resolve) => server.close(() => resolve()));
});

const subscriptions: (() => void)[] = [];
afterEach(() => {
  received.length = 0;
  for (const dispose of subscriptions.splice(0)) dispose();
});

/** A registry of the two integrations with `apps` registered (unregistered after the test). */
function trace(...apps: App[]): void {
  const registry = new IntegrationRegistry([fetchIntegration, httpIntegration]);
  for (const a of apps) {
    const registered = registry.register(a.host);
    subscriptions.push(() => registered.unregister());
  }
}

function httpGet(url: string, headers?: Record<string, string> | string[]): Promise<string> {
  return new Promise((resolve, reject) => {
    const req = request(url, { headers: headers as Record<string, string> }, (res) => {
      let body = '';
      res.setEncoding('utf8');
      res.on('data', (chunk: string) => (body += chunk));
      res.on('end', () => resolve(body));
    });
    req.on('error', reject);
    req.end();
  });
}

function traceparentOf(span: ReadableSpan): string {
  return `00-${span.traceId}-${span.spanId}-${span.traceFlags.toString(16).padStart(2, '0')}`;
}

function clientSpans(exporter: InMemorySpanExporter): ReadableSpan[] {
  return exporter.getFinishedSpans().filter((s) => s.kind === SpanKind.CLIENT);
}

/** Whether the running Node publishes `http.client.request.created` (headers can be injected). */
async function nodePublishesCreated(): Promise<boolean> {
  let seen = false;
  const probe = (): void => {
    seen = true;
  };
  diagnosticsChannel.subscribe('http.client.request.created', probe);
  try {
    await httpGet(`${base}/probe`);
  } finally {
    diagnosticsChannel.unsubscribe('http.client.request.created', probe);
  }
  received.length = 0;
  return seen;
}

async function closedPort(): Promise<number> {
  return freePort();
}

describe('fetch integration', () => {
  it('opens a CLIENT span under the caller, injects traceparent, redacts the URL', async () => {
    const a = app();
    trace(a);
    const { parent, result } = await underParent(a, async () => {
      const res = await fetch(`${base}/items?token=secret&page=2`);
      return res.text();
    });
    expect(result).toBe('hello');
    const [span] = await a.exporter.waitForSpans(2).then(() => clientSpans(a.exporter));
    expect(span).toBeDefined();
    expect(span!.name).toBe('GET');
    expect(span!.parentSpanId).toBe(parent);
    const port = Number(new URL(base).port);
    expect(span!.attributes).toMatchObject({
      'http.request.method': 'GET',
      'url.full': `${base}/items?token=REDACTED&page=2`,
      'server.address': '127.0.0.1',
      'server.port': port,
      'http.response.status_code': 200,
    });
    expect(JSON.stringify(span!.attributes)).not.toContain('secret');
    expect(span!.status.code).not.toBe(SpanStatusCode.ERROR);
    expect(received[0]!.traceparent).toBe(traceparentOf(span!));
  });

  it('never writes over a trace header the caller set, and names unknown methods _OTHER', async () => {
    const a = app();
    trace(a);
    const mine = '00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01';
    await underParent(a, async () => {
      await (await fetch(`${base}/x`, { headers: { TraceParent: mine } })).text();
      await (await fetch(`${base}/y`, { method: 'PURGE' })).text();
    });
    expect(received[0]!.traceparent).toBe(mine);
    const other = clientSpans(a.exporter).find(
      (s) => s.attributes['http.request.method'] === '_OTHER',
    );
    expect(other?.name).toBe('HTTP');
    expect(other?.attributes['http.request.method_original']).toBe('PURGE');
  });

  it('marks a 404 with error.type and a refused connection with its code', async () => {
    const a = app();
    trace(a);
    const port = await closedPort();
    await underParent(a, async () => {
      await (await fetch(`${base}/missing`)).text();
      await expect(fetch(`http://127.0.0.1:${port}/down?token=secret`)).rejects.toThrow(
        'fetch failed',
      );
    });
    const spans = clientSpans(a.exporter);
    const missing = spans.find((s) => s.attributes['http.response.status_code'] === 404);
    expect(missing?.attributes['error.type']).toBe('404');
    expect(missing?.status).toEqual({ code: SpanStatusCode.ERROR });
    const down = spans.find((s) => s.attributes['server.port'] === port);
    expect(down?.attributes['error.type']).toBe('ECONNREFUSED');
    expect(down?.status.code).toBe(SpanStatusCode.ERROR);
    expect(down?.events.map((e) => e.name)).toEqual(['exception']);
    expect(JSON.stringify([down?.attributes, down?.events, down?.status])).not.toContain('secret');
  });

  it('reads both header representations undici has used', () => {
    expect(hasHeader(['Accept', '*/*', 'TraceParent', 'x'], 'traceparent')).toBe(true);
    expect(hasHeader(['accept', '*/*'], 'traceparent')).toBe(false);
    expect(hasHeader('accept: */*\r\ntraceparent: x\r\n', 'TraceParent')).toBe(true);
    expect(hasHeader('accept: */*\r\n', 'traceparent')).toBe(false);
    expect(hasHeader(undefined, 'traceparent')).toBe(false);
  });
});

describe('http integration', () => {
  it('opens a CLIENT span for http.get; injects traceparent where Node publishes created', async () => {
    const injects = await nodePublishesCreated();
    const a = app();
    trace(a);
    const { parent } = await underParent(a, () => httpGet(`${base}/h?api_key=secret`));
    const [span] = clientSpans(a.exporter);
    expect(span?.name).toBe('GET');
    expect(span?.parentSpanId).toBe(parent);
    expect(span?.attributes).toMatchObject({
      'http.request.method': 'GET',
      'url.full': `${base}/h?api_key=REDACTED`,
      'server.address': '127.0.0.1',
      'server.port': Number(new URL(base).port),
      'http.response.status_code': 200,
      'network.protocol.version': '1.1',
    });
    expect(received[0]!.traceparent).toBe(injects ? traceparentOf(span!) : undefined);
  });

  it('keeps a span but writes no header when the headers were given as an array', async () => {
    const a = app();
    trace(a);
    await underParent(a, () =>
      httpGet(`${base}/array`, ['host', new URL(base).host, 'x-mine', '1']),
    );
    expect(received[0]!['x-mine']).toBe('1');
    expect(received[0]!.traceparent).toBeUndefined();
    expect(clientSpans(a.exporter)[0]?.attributes['url.full']).toBe(`${base}/array`);
  });

  it('ends the span of a refused connection and of a destroyed request (no span left open)', async () => {
    const a = app();
    trace(a);
    const port = await closedPort();
    await underParent(a, async () => {
      await expect(httpGet(`http://127.0.0.1:${port}/`)).rejects.toThrow('ECONNREFUSED');
      await new Promise<void>((resolve) => {
        const req = get(`${base}/never`);
        req.on('error', () => undefined);
        req.on('close', () => resolve());
        req.destroy();
      });
      await httpGet(`${base}/missing`);
    });
    expect(a.open.size).toBe(0);
    const spans = clientSpans(a.exporter);
    // Node 20 publishes nothing for a request destroyed before it was sent.
    expect(spans.length).toBeGreaterThanOrEqual(2);
    const refused = spans.find((s) => s.attributes['server.port'] === port);
    expect(refused?.attributes['error.type']).toBe('ECONNREFUSED');
    expect(refused?.status.code).toBe(SpanStatusCode.ERROR);
    const destroyed = spans.find((s) => String(s.attributes['url.full']).endsWith('/never'));
    expect(destroyed === undefined || destroyed.attributes['error.type'] !== undefined).toBe(true);
    const missing = spans.find((s) => s.attributes['http.response.status_code'] === 404);
    expect(missing?.attributes['error.type']).toBe('404');
  });
});

describe('both integrations', () => {
  it('open no span under a TracedHttpService or hand-made client span, nor while suppressed', async () => {
    const a = app();
    trace(a);
    const outer = a.tracer.startSpan('GET', { kind: SpanKind.CLIENT });
    markClientSpan(outer);
    const marked = new TraceContext(outer, undefined, undefined, a.tracer, false);
    await runWithContext(marked, async () => {
      await (await fetch(`${base}/a`)).text();
      await httpGet(`${base}/b`);
    });
    // A CLIENT span the app opened by hand around its call, unmarked: the same.
    const manual = a.tracer.startSpan('GET /products/:sku', { kind: SpanKind.CLIENT });
    const byHand = new TraceContext(manual, undefined, undefined, a.tracer, false);
    await runWithContext(byHand, async () => (await fetch(`${base}/e`)).text());
    manual.end();
    await runSuppressed(async () => {
      await (await fetch(`${base}/c`)).text();
      await httpGet(`${base}/d`);
    });
    outer.end();
    expect(clientSpans(a.exporter).map((s) => s.spanId)).toEqual([
      manual.spanContext().spanId,
      outer.spanContext().spanId,
    ]);
    expect(received.map((h) => h.traceparent)).toEqual(Array.from({ length: 5 }, () => undefined));
  });

  it('open no span and write no header for a call outside any span', async () => {
    const a = app();
    trace(a);
    await (await fetch(`${base}/outside`)).text();
    await httpGet(`${base}/outside`);
    await runWithContext(a.tracer.createContext(undefined, 'c', undefined), () =>
      httpGet(`${base}/no-span`),
    );
    expect(a.exporter.getFinishedSpans()).toEqual([]);
    expect(received.map((h) => h.traceparent)).toEqual([undefined, undefined, undefined]);
  });

  it('trace each call with the app whose context it runs in', async () => {
    const first = app();
    const second = app();
    trace(first, second);
    await underParent(first, async () => (await fetch(`${base}/1`)).text());
    await underParent(second, () => httpGet(`${base}/2`));
    expect(clientSpans(first.exporter).map((s) => s.attributes['url.full'])).toEqual([`${base}/1`]);
    expect(clientSpans(second.exporter).map((s) => s.attributes['url.full'])).toEqual([
      `${base}/2`,
    ]);
  });

  it('record nothing under an unsampled parent, and carry the trace on unsampled', async () => {
    const a = app({}, new AlwaysOffSampler());
    trace(a);
    const { parent } = await underParent(a, async () => (await fetch(`${base}/u`)).text());
    expect(a.exporter.getFinishedSpans()).toEqual([]);
    expect(received[0]!.traceparent).toMatch(new RegExp(`^00-[0-9a-f]{32}-${parent}-0[02]$`));
  });

  it('stop tracing once no app wants them, or when the app switched them off', async () => {
    const off = app({ integrations: { fetch: false, http: false } });
    trace(off);
    await underParent(off, async () => {
      await (await fetch(`${base}/off`)).text();
      await httpGet(`${base}/off`);
    });
    expect(clientSpans(off.exporter)).toEqual([]);
    const a = app();
    trace(a);
    for (const dispose of subscriptions.splice(0)) dispose();
    await underParent(a, async () => (await fetch(`${base}/gone`)).text());
    expect(clientSpans(a.exporter)).toEqual([]);
    expect(received.every((h) => h.traceparent === undefined)).toBe(true);
  });
});
