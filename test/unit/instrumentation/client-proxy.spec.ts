import { ClientKafka, ClientProxy, type ReadPacket } from '@nestjs/microservices';
import { describe, expect, it } from 'vitest';
import {
  createTracingInstrument,
  InMemorySpanExporter,
  TracingService,
} from '../../../lib/index.js';
import { runWithContext, SimpleSpanProcessor, Tracer } from '../../../lib/export/index.js';
import { resolveTracingConfig } from '../../../lib/config/tracing-config.js';

/** Stands in for ClientRMQ (whose constructor needs amqplib): same serializer contract. */
class ClientRMQ extends ClientProxy {
  protected override serializer = { serialize: (packet: unknown) => packet };
  connect(): Promise<void> {
    return Promise.resolve();
  }
  close(): void {}
  unwrap<T>(): T {
    return undefined as T;
  }
  protected publish(): () => void {
    return () => {};
  }
  protected dispatchEvent<T>(): Promise<T> {
    return Promise.resolve(undefined as T);
  }
}

type Internals = {
  createPacket(pattern: string, data: unknown): ReadPacket & { metadata?: Record<string, string> };
  serializer: { serialize(value: unknown, options?: unknown): Record<string, unknown> };
};

function setup() {
  const tracer = new Tracer({
    processor: new SimpleSpanProcessor(new InMemorySpanExporter()),
    resource: { attributes: {} },
  });
  const instrument = createTracingInstrument();
  const service = new TracingService(tracer, resolveTracingConfig({}, {}), []);
  instrument.instanceDecorator(service);
  const inRequest = <R>(fn: (traceId: string) => R): R =>
    runWithContext(tracer.createContext(undefined, 'order-9', undefined), () =>
      tracer.startActiveSpan('GET /orders', (span) => {
        try {
          return fn(span.spanContext().traceId);
        } finally {
          span.end();
        }
      }),
    );
  return { instrument, inRequest };
}

const TRACEPARENT = /^00-([0-9a-f]{32})-[0-9a-f]{16}-03$/;

describe('ClientProxy instrumentation', () => {
  it('writes the request’s trace context into every packet’s metadata', () => {
    const { instrument, inRequest } = setup();
    const client = instrument.instanceDecorator(new ClientRMQ()) as unknown as Internals;
    const [traceId, packet] = inRequest((id) => [id, client.createPacket('sum', [1, 2])] as const);
    expect(packet.metadata!.traceparent!.match(TRACEPARENT)![1]).toBe(traceId);
    expect(packet.metadata!['x-correlation-id']).toBe('order-9');
    expect(client.createPacket('sum', [1]).metadata).toBeUndefined();
  });

  it('keeps a dispatch hook the app sets later, running it before writing the context', () => {
    const { instrument, inRequest } = setup();
    const client = instrument.instanceDecorator(new ClientRMQ()) as unknown as ClientRMQ;
    client.setOnDispatchHook((packet) => {
      packet.metadata = { tenant: 'acme', traceparent: 'kept' };
    });
    const packet = inRequest(() => (client as unknown as Internals).createPacket('sum', 1));
    expect(packet.metadata).toMatchObject({ tenant: 'acme', traceparent: 'kept' });
    expect(packet.metadata!['x-correlation-id']).toBe('order-9');
  });

  it('writes the context into Kafka message headers, keeping the app’s own', () => {
    const { instrument, inRequest } = setup();
    const client = instrument.instanceDecorator(new ClientKafka({})) as unknown as Internals;
    const message = inRequest(() =>
      client.serializer.serialize(
        { key: 'k', value: { id: 1 }, headers: { traceparent: 'app-set', source: 'app' } },
        { pattern: 'orders' },
      ),
    );
    expect(message.headers).toMatchObject({ traceparent: 'app-set', source: 'app' });
    const [traceId, plain] = inRequest(
      (id) => [id, client.serializer.serialize({ id: 2 }, { pattern: 'orders' })] as const,
    );
    const headers = plain.headers as Record<string, string>;
    expect(headers.traceparent!.match(TRACEPARENT)![1]).toBe(traceId);
    expect(client.serializer.serialize({ id: 3 }).headers).toEqual({});
  });

  it('writes the context into RabbitMQ message properties headers', () => {
    const { instrument, inRequest } = setup();
    const client = instrument.instanceDecorator(new ClientRMQ()) as unknown as Internals;
    const [traceId, serialized] = inRequest(
      (id) => [id, client.serializer.serialize({ pattern: 'p', data: 1 })] as const,
    );
    const options = serialized.options as { headers: Record<string, string> };
    expect(options.headers.traceparent!.match(TRACEPARENT)![1]).toBe(traceId);
  });

  it('leaves clients alone when clientProxy is false', () => {
    const tracer = new Tracer({
      processor: new SimpleSpanProcessor(new InMemorySpanExporter()),
      resource: { attributes: {} },
    });
    const instrument = createTracingInstrument({ clientProxy: false });
    instrument.instanceDecorator(new TracingService(tracer, resolveTracingConfig({}, {}), []));
    const client = instrument.instanceDecorator(new ClientRMQ()) as unknown as Internals;
    const packet = runWithContext(tracer.createContext(undefined, undefined, undefined), () =>
      tracer.startActiveSpan('GET /', () => client.createPacket('sum', 1)),
    );
    expect(packet.metadata).toBeUndefined();
  });
});
