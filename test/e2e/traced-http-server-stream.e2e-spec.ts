import {
  Controller,
  Get,
  Module,
  Sse,
  StreamableFile,
  type INestApplication,
  type MessageEvent,
} from '@nestjs/common';
import { get } from 'node:http';
import { Readable } from 'node:stream';
import { setTimeout as sleep } from 'node:timers/promises';
import { interval, map, take, type Observable } from 'rxjs';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import {
  InMemorySpanExporter,
  SpanKind,
  TracingModule,
  type ReadableSpan,
} from '../../lib/index.js';
import { STREAM_ATTRIBUTES } from '../../lib/http/index.js';
import { PLATFORMS, startApp } from '../fixtures/platforms.js';

// Server spans of streamed responses, through the library's own request path: the context
// middleware opens the span and ends it when the response closes, and
// instrumentServerResponse (called there) adds the stream figures.

const PART = 'x'.repeat(1000);

async function* slowParts(): AsyncGenerator<Buffer> {
  for (let i = 0; i < 3; i++) {
    await sleep(30);
    yield Buffer.from(PART);
  }
}

@Controller('stream')
class StreamController {
  @Sse('events')
  events(): Observable<MessageEvent> {
    return interval(30).pipe(
      take(3),
      map((n) => ({ data: { n } })),
    );
  }

  @Get('file')
  file(): StreamableFile {
    return new StreamableFile(Readable.from([PART, PART, PART].map((p) => Buffer.from(p))), {
      type: 'application/octet-stream',
      length: 3 * PART.length,
    });
  }

  @Get('chunked')
  chunked(): StreamableFile {
    return new StreamableFile(Readable.from(slowParts()), { type: 'text/plain' });
  }

  @Get('json')
  json(): { ok: boolean } {
    return { ok: true };
  }
}

@Module({
  imports: [TracingModule.forRoot({ serviceName: 'streams', exporters: [{ type: 'memory' }] })],
  controllers: [StreamController],
})
class StreamAppModule {}

describe.each(PLATFORMS)('streamed responses on %s', (platform) => {
  let app: INestApplication;
  let url: string;

  beforeEach(async () => {
    ({ app, url } = await startApp(StreamAppModule, platform));
  });

  afterEach(async () => {
    await app.close();
  });

  async function serverSpan(): Promise<ReadableSpan> {
    const [span] = await app.get(InMemorySpanExporter).waitForSpans(1);
    expect(span!.kind).toBe(SpanKind.SERVER);
    return span!;
  }

  it('ends the span of an SSE endpoint when the event stream ends, with its figures', async () => {
    const response = await fetch(`${url}/stream/events`);
    const text = await response.text();

    expect(text).toContain('data: {"n":2}');
    const span = await serverSpan();
    expect(span.name).toBe('GET /stream/events');
    expect(span.attributes).toMatchObject({
      [STREAM_ATTRIBUTES.kind]: 'sse',
      [STREAM_ATTRIBUTES.bytes]: Buffer.byteLength(text),
      [STREAM_ATTRIBUTES.outcome]: 'completed',
    });
    expect(span.attributes[STREAM_ATTRIBUTES.chunks]).toBeGreaterThanOrEqual(3);
    // Three events 30 ms apart: the span covers them, not just the headers.
    expect(span.attributes[STREAM_ATTRIBUTES.durationMs]).toBeGreaterThanOrEqual(50);
    expect(span.durationMs).toBeGreaterThanOrEqual(80);
  });

  it('counts the chunks of a StreamableFile with a known length', async () => {
    const response = await fetch(`${url}/stream/file`);
    expect((await response.arrayBuffer()).byteLength).toBe(3000);
    const span = await serverSpan();
    expect(span.attributes).toMatchObject({
      [STREAM_ATTRIBUTES.kind]: 'stream',
      [STREAM_ATTRIBUTES.chunks]: 3,
      [STREAM_ATTRIBUTES.bytes]: 3000,
      [STREAM_ATTRIBUTES.outcome]: 'completed',
      'http.response.status_code': 200,
    });
    expect(span.attributes[STREAM_ATTRIBUTES.timeToFirstByteMs]).toBeGreaterThan(0);
  });

  it('records a chunked body without a length as chunked, ending when its last part is sent', async () => {
    const response = await fetch(`${url}/stream/chunked`);
    expect(await response.text()).toBe(PART.repeat(3));
    const span = await serverSpan();
    expect(span.attributes).toMatchObject({
      [STREAM_ATTRIBUTES.kind]: 'chunked',
      [STREAM_ATTRIBUTES.chunks]: 3,
      [STREAM_ATTRIBUTES.bytes]: 3000,
      [STREAM_ATTRIBUTES.outcome]: 'completed',
    });
    expect(span.attributes[STREAM_ATTRIBUTES.durationMs]).toBeGreaterThanOrEqual(50);
  });

  it('adds no stream figures to an ordinary JSON response', async () => {
    const response = await fetch(`${url}/stream/json`);
    expect(await response.json()).toEqual({ ok: true });
    const span = await serverSpan();
    expect(span.attributes['http.response.status_code']).toBe(200);
    expect(Object.keys(span.attributes).filter((k) => k.startsWith('nestjs_tracing.'))).toEqual([]);
  });

  it('marks a stream the client abandons as aborted', async () => {
    await new Promise<void>((resolve, reject) => {
      const req = get(`${url}/stream/events`, (res) => {
        res.once('data', () => {
          req.destroy(); // gone after the first bytes
          resolve();
        });
      });
      req.once('error', reject);
    });
    const span = await serverSpan();
    expect(span.attributes[STREAM_ATTRIBUTES.outcome]).toBe('aborted');
  });
});
