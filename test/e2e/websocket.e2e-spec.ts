import { Module, type INestApplication } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import { WsAdapter } from '@nestjs/platform-ws';
import { MessageBody, SubscribeMessage, WebSocketGateway } from '@nestjs/websockets';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import WsClient from 'ws';
import { InMemorySpanExporter, SpanKind, TracingModule, TracingService } from '../../lib/index.js';

@WebSocketGateway({ path: '/ws' })
class EchoGateway {
  constructor(private readonly tracing: TracingService) {}

  @SubscribeMessage('echo')
  echo(@MessageBody() body: { text: string }) {
    return {
      event: 'echoed',
      data: {
        text: body.text,
        traceId: this.tracing.getTraceId(),
        correlationId: this.tracing.getCorrelationId(),
      },
    };
  }
}

@Module({
  imports: [TracingModule.forRoot({ serviceName: 'ws', exporters: [{ type: 'memory' }] })],
  providers: [EchoGateway],
})
class WsAppModule {}

function exchange(
  url: string,
  message: object,
): Promise<{ event: string; data: Record<string, string> }> {
  return new Promise((resolve, reject) => {
    const socket = new WsClient(url);
    socket.once('open', () => socket.send(JSON.stringify(message)));
    socket.once('message', (raw) => {
      resolve(JSON.parse(String(raw)));
      socket.close();
    });
    socket.once('error', reject);
  });
}

describe('WebSocket events', () => {
  let app: INestApplication;
  let url: string;
  let spans: InMemorySpanExporter;

  beforeAll(async () => {
    app = await NestFactory.create(WsAppModule, { logger: false });
    app.useWebSocketAdapter(new WsAdapter(app));
    await app.listen(0, '127.0.0.1');
    url = (await app.getUrl()).replace('http', 'ws') + '/ws';
    spans = app.get(InMemorySpanExporter);
  });

  afterAll(async () => {
    await app?.close();
  });

  it('opens a SERVER span per event, named after the event, with its own context', async () => {
    const reply = await exchange(url, { event: 'echo', data: { text: 'hi' } });
    const [span] = await spans.waitForSpans(1);
    expect(reply.data.text).toBe('hi');
    expect(span!.name).toBe('echo');
    expect(span!.kind).toBe(SpanKind.SERVER);
    expect(reply.data.traceId).toBe(span!.traceId);
    expect(reply.data.correlationId).toBe(span!.traceId);
  });

  it('continues a trace carried in the event payload headers', async () => {
    spans.reset();
    const traceId = '4bf92f3577b34da6a3ce929d0e0e4736';
    const reply = await exchange(url, {
      event: 'echo',
      data: {
        text: 'x',
        headers: { traceparent: `00-${traceId}-00f067aa0ba902b7-01`, 'x-correlation-id': 'ws-7' },
      },
    });
    const [span] = await spans.waitForSpans(1);
    expect(span!.traceId).toBe(traceId);
    expect(span!.parentSpanId).toBe('00f067aa0ba902b7');
    expect(reply.data.correlationId).toBe('ws-7');
  });
});
