import { createServer, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import { fetchText } from '../../fixtures/fetch-text.js';
import {
  InMemorySpanExporter,
  SpanKind,
  type ReadableSpan,
  type Span,
} from '../../../lib/index.js';
import { SimpleSpanProcessor, Tracer } from '../../../lib/export/index.js';
import { STREAM_ATTRIBUTES, instrumentServerResponse } from '../../../lib/http/index.js';
import {
  installServerResponseAccounting,
  type ResponseStreamSlot,
} from '../../../lib/server/stream-accounting.js';
import { streamKind } from '../../../lib/server/stream-figures.js';
import { REQUEST_STATE } from '../../../lib/tracing.internal-constants.js';

function tracer(): { tracer: Tracer; exporter: InMemorySpanExporter } {
  const exporter = new InMemorySpanExporter();
  return {
    exporter,
    tracer: new Tracer({
      processor: new SimpleSpanProcessor(exporter),
      resource: { attributes: {} },
    }),
  };
}

async function onlySpan(exporter: InMemorySpanExporter): Promise<ReadableSpan> {
  return (await exporter.waitForSpans(1))[0]!;
}

// The raw servers the response tests start; closed after each test.
let server: Server | undefined;

afterEach(async () => {
  server?.closeAllConnections();
  await new Promise<void>((resolve) => (server ? server.close(() => resolve()) : resolve()));
  server = undefined;
});

/** A raw node server whose handler runs inside a server span that ends on 'close'. */
async function serveInstrumented(
  handler: (res: ServerResponse, span: Span) => void,
): Promise<{ url: string; exporter: InMemorySpanExporter }> {
  const { tracer: t, exporter } = tracer();
  server = createServer((_req, res) => {
    const span = t.startSpan('GET', { kind: SpanKind.SERVER });
    instrumentServerResponse(res, span);
    res.once('close', () => span.end());
    handler(res, span);
  });
  await new Promise<void>((resolve) => server!.listen(0, '127.0.0.1', resolve));
  return { url: `http://127.0.0.1:${(server!.address() as AddressInfo).port}`, exporter };
}
describe('streamKind', () => {
  it('names the kind from the content type and length', () => {
    expect(streamKind('text/event-stream; charset=utf-8', undefined)).toBe('sse');
    expect(streamKind('application/json', undefined)).toBe('chunked');
    expect(streamKind('application/octet-stream', '10')).toBe('stream');
  });
});

describe('instrumentServerResponse', () => {
  it('records SSE figures when the response is written in events, before the span ends', async () => {
    const { url, exporter } = await serveInstrumented((res) => {
      res.writeHead(200, { 'content-type': 'text/event-stream' });
      res.write('data: 1\n\n');
      setTimeout(() => res.write('data: 2\n\n'), 30);
      setTimeout(() => res.end('data: 3\n\n'), 60);
    });
    expect(await fetchText(url)).toBe('data: 1\n\ndata: 2\n\ndata: 3\n\n');
    const s = await onlySpan(exporter);
    expect(s.attributes).toMatchObject({
      [STREAM_ATTRIBUTES.kind]: 'sse',
      [STREAM_ATTRIBUTES.chunks]: 3,
      [STREAM_ATTRIBUTES.bytes]: 27,
      [STREAM_ATTRIBUTES.outcome]: 'completed',
    });
    expect(s.attributes[STREAM_ATTRIBUTES.durationMs]).toBeGreaterThanOrEqual(50);
    expect(s.durationMs).toBeGreaterThanOrEqual(50);
  });

  it('counts string chunks in bytes of their encoding', async () => {
    const { url, exporter } = await serveInstrumented((res) => {
      res.setHeader('content-type', 'text/plain; charset=utf-8');
      res.write('é', 'utf8');
      res.write(Buffer.from('ab'));
      res.end();
    });
    await fetchText(url);
    expect((await onlySpan(exporter)).attributes).toMatchObject({
      [STREAM_ATTRIBUTES.kind]: 'chunked',
      [STREAM_ATTRIBUTES.chunks]: 2,
      [STREAM_ATTRIBUTES.bytes]: 4,
    });
  });

  it('adds nothing, and wraps only write, for a response sent in one end()', async () => {
    let wrapped: { write: boolean; end: boolean } | undefined;
    const { url, exporter } = await serveInstrumented((res) => {
      wrapped = { write: Object.hasOwn(res, 'write'), end: Object.hasOwn(res, 'end') };
      res.setHeader('content-type', 'application/json');
      res.end('{"ok":true}');
    });
    await fetchText(url);
    const s = await onlySpan(exporter);
    expect(wrapped).toEqual({ write: true, end: false });
    expect(Object.keys(s.attributes).filter((k) => k.startsWith('nestjs_tracing.'))).toEqual([]);
  });

  it('does nothing for a span that is not recording, and instruments a response once', () => {
    const res = { write: () => true } as unknown as ServerResponse;
    const write = res.write;
    const { tracer: t } = tracer();
    const ended = t.startSpan('x');
    ended.end();
    instrumentServerResponse(res, ended);
    expect(res.write).toBe(write);
    const live = t.startSpan('y');
    instrumentServerResponse(res, live);
    const once = res.write;
    instrumentServerResponse(res, live);
    expect(res.write).toBe(once);
    expect(once).not.toBe(write);
  });
});

/** A raw server; `traced` requests carry the state the library keeps under REQUEST_STATE. */
async function serveAccounted(
  traced: boolean,
  handler: (res: ServerResponse) => void,
): Promise<{ url: string; exporter: InMemorySpanExporter; own: string[] }> {
  installServerResponseAccounting();
  installServerResponseAccounting(); // idempotent: a second call wraps nothing again
  const { tracer: t, exporter } = tracer();
  const own: string[] = [];
  server = createServer((req, res) => {
    if (traced) {
      const span = t.startSpan('GET', { kind: SpanKind.SERVER });
      (req as unknown as Record<symbol, ResponseStreamSlot>)[REQUEST_STATE] = { span };
      res.on('close', () => span.end());
    }
    handler(res);
    own.push(...['write', 'end'].filter((k) => Object.hasOwn(res, k)));
  });
  await new Promise<void>((resolve) => server!.listen(0, '127.0.0.1', resolve));
  return { url: `http://127.0.0.1:${(server!.address() as AddressInfo).port}`, exporter, own };
}
describe('installServerResponseAccounting (the process-wide accounting TracingModule uses)', () => {
  it("counts a traced request's streamed response without changing the response object", async () => {
    const { url, exporter, own } = await serveAccounted(true, (res) => {
      res.writeHead(200, { 'content-type': 'text/event-stream' });
      res.write('data: 1\n\n');
      setTimeout(() => res.end('data: 2\n\n'), 20);
    });
    expect(await fetchText(url)).toBe('data: 1\n\ndata: 2\n\n');
    expect((await onlySpan(exporter)).attributes).toMatchObject({
      [STREAM_ATTRIBUTES.kind]: 'sse',
      [STREAM_ATTRIBUTES.chunks]: 2,
      [STREAM_ATTRIBUTES.bytes]: 18,
      [STREAM_ATTRIBUTES.outcome]: 'completed',
    });
    expect(own).toEqual([]);
  });

  it('adds nothing for a traced response sent in one end()', async () => {
    const { url, exporter } = await serveAccounted(true, (res) => res.end('{"ok":true}'));
    expect(await fetchText(url)).toBe('{"ok":true}');
    const s = await onlySpan(exporter);
    expect(Object.keys(s.attributes).filter((k) => k.startsWith('nestjs_tracing.'))).toEqual([]);
  });

  it('leaves responses of requests it does not trace as they are', async () => {
    const { url } = await serveAccounted(false, (res) => {
      res.write('a');
      res.write(Buffer.from('b'), () => undefined);
      res.end('c', 'utf8');
    });
    expect(await fetchText(url)).toBe('abc');
  });
});
