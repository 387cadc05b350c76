import { currentContext } from '../core/trace-context.js';
import type { TracingService } from '../nest/tracing.service.js';

type Packet = { metadata?: Record<string, string> };
type DispatchHook = (packet: Packet) => void;

/** A Nest 12 ClientProxy, duck-typed: @nestjs/microservices is an optional peer. */
interface ClientProxyLike {
  setOnDispatchHook(hook: DispatchHook | undefined): void;
  send: unknown;
  emit: unknown;
  connect: unknown;
  onDispatchHook?: DispatchHook;
}

export function isClientProxy(instance: object): instance is ClientProxyLike {
  const c = instance as Partial<ClientProxyLike>;
  return (
    typeof c.setOnDispatchHook === 'function' &&
    typeof c.send === 'function' &&
    typeof c.emit === 'function' &&
    typeof c.connect === 'function'
  );
}

/**
 * Writes the active trace context into the metadata of every packet the client sends
 * (what `TracingService.createDispatchHook()` does by hand). A hook the app sets later
 * runs too, before ours: setOnDispatchHook is replaced on the instance to keep both.
 */
export function instrumentClientProxy(
  client: ClientProxyLike,
  serviceFor: (ctx: NonNullable<ReturnType<typeof currentContext>>) => TracingService | undefined,
): void {
  const setHook = client.setOnDispatchHook;
  let appHook: DispatchHook | undefined = client.onDispatchHook;
  const hook: DispatchHook = (packet) => {
    appHook?.(packet);
    const ctx = currentContext();
    if (ctx === undefined || ctx.span === undefined || ctx.suppressed) return;
    const service = serviceFor(ctx);
    if (service !== undefined) packet.metadata = service.inject({ ...packet.metadata });
  };
  setHook.call(client, hook);
  carryInTransportHeaders(client, serviceFor);
  Object.defineProperty(client, 'setOnDispatchHook', {
    value: function setOnDispatchHook(next: DispatchHook | undefined) {
      appHook = next;
    },
    writable: true,
    configurable: true,
    enumerable: false,
  });
}

type Serializer = { serialize(value: unknown, options?: unknown): unknown };
type HeaderWriter = (serialized: Record<string, unknown>, carrier: Record<string, string>) => void;

/**
 * Transports whose packet metadata does not reach the server carry the context in their
 * message headers, written as the client serializes each message (inside the caller's
 * context): Kafka message headers and RabbitMQ message properties. NATS needs a headers
 * object from the nats package: it is written when the app's record already has one.
 */
const HEADER_WRITERS: Record<string, HeaderWriter> = {
  ClientKafka: (serialized, carrier) => {
    const headers = (serialized.headers ??= {}) as Record<string, unknown>;
    for (const [key, value] of Object.entries(carrier)) headers[key] ??= value;
  },
  ClientRMQ: (serialized, carrier) => {
    const options = (serialized.options ?? {}) as { headers?: Record<string, unknown> };
    serialized.options = { ...options, headers: { ...carrier, ...options.headers } };
  },
  ClientNats: (serialized, carrier) => {
    const headers = serialized.headers as
      { has?(key: string): boolean; set?(key: string, value: string): void } | undefined;
    if (typeof headers?.set !== 'function' || typeof headers.has !== 'function') return;
    for (const [key, value] of Object.entries(carrier))
      if (!headers.has(key)) headers.set(key, value);
  },
};

function transportWriter(client: object): HeaderWriter | undefined {
  for (let c = client.constructor; typeof c === 'function' && c !== Object;) {
    const writer = HEADER_WRITERS[c.name];
    if (writer !== undefined) return writer;
    c = Object.getPrototypeOf(c) as Function;
  }
  return undefined;
}

function carryInTransportHeaders(
  client: object,
  serviceFor: (ctx: NonNullable<ReturnType<typeof currentContext>>) => TracingService | undefined,
): void {
  const writer = transportWriter(client);
  const serializer = (client as { serializer?: Serializer }).serializer;
  if (writer === undefined || typeof serializer?.serialize !== 'function') return;
  const serialize = serializer.serialize;
  const write = (serialized: unknown): unknown => {
    const ctx = currentContext();
    if (serialized === null || typeof serialized !== 'object') return serialized;
    if (ctx === undefined || ctx.span === undefined || ctx.suppressed) return serialized;
    const service = serviceFor(ctx);
    if (service !== undefined) {
      writer(serialized as Record<string, unknown>, service.inject({} as Record<string, string>));
    }
    return serialized;
  };
  Object.defineProperty(serializer, 'serialize', {
    value: function (this: unknown, value: unknown, options?: unknown): unknown {
      const serialized = serialize.call(this, value, options);
      // A custom serializer may be async; the context carries over into its continuation.
      return serialized instanceof Promise ? serialized.then(write) : write(serialized);
    },
    writable: true,
    configurable: true,
    enumerable: false,
  });
}
