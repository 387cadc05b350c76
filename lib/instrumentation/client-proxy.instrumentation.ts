import { currentContext, type TraceContext } from '../core/trace-context.js';
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
  if (isGrpcClient(client)) carryInGrpcMetadata(client, serviceFor);
  // Replaces a method on an instance we do not own: listed, with why, in lib/nest/patches.ts.
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
  // Replaces a method on an instance we do not own: listed, with why, in lib/nest/patches.ts.
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

/**
 * gRPC clients (ClientGrpcProxy) never dispatch packets: calls go through the service
 * objects `getService()` returns, whose methods take `(request, metadata?)`. Each method
 * of those objects gets the trace context in a copy of the caller's Metadata (or a new
 * one), so a Metadata the app reuses across calls is never changed.
 */
interface GrpcClientLike {
  getService(name: string): Record<string, unknown>;
}

/** The parts of @grpc/grpc-js Metadata used here. */
interface MetadataLike {
  get(key: string): unknown[];
  set(key: string, value: string): void;
  clone(): MetadataLike;
}

function isGrpcClient(client: object): client is object & GrpcClientLike {
  const c = client as { getService?: unknown; getClientByServiceName?: unknown };
  return typeof c.getService === 'function' && typeof c.getClientByServiceName === 'function';
}

function isMetadata(value: unknown): value is MetadataLike {
  const m = value as Partial<MetadataLike> | null | undefined;
  return (
    typeof m === 'object' &&
    m !== null &&
    typeof m.get === 'function' &&
    typeof m.set === 'function' &&
    typeof m.clone === 'function'
  );
}

// @grpc/grpc-js is the app's (Nest's gRPC transport has loaded it by the time a client
// exists). It is loaded with import(), which works in the ESM build and, compiled to
// require(), in the CommonJS one; the load starts when the first gRPC client is seen, so
// it has settled long before a call. null: not installed.
let MetadataClass: (new () => MetadataLike) | null | undefined;
let metadataLoad: Promise<void> | undefined;

type GrpcModule = { Metadata?: unknown; default?: { Metadata?: unknown } };

function loadMetadataClass(): void {
  metadataLoad ??= (import('@grpc/grpc-js') as Promise<GrpcModule>).then(
    (grpc) => {
      const metadata = grpc.Metadata ?? grpc.default?.Metadata;
      MetadataClass = typeof metadata === 'function' ? (metadata as new () => MetadataLike) : null;
    },
    () => {
      MetadataClass = null;
    },
  );
}

/** A new Metadata from the app's @grpc/grpc-js; undefined until it has loaded, or without it. */
function newMetadata(): MetadataLike | undefined {
  return MetadataClass ? new MetadataClass() : undefined;
}

function carryInGrpcMetadata(
  client: object & GrpcClientLike,
  serviceFor: (ctx: TraceContext) => TracingService | undefined,
): void {
  loadMetadataClass();
  const getService = client.getService;
  // Replaces a method on an instance we do not own: listed, with why, in lib/nest/patches.ts.
  Object.defineProperty(client, 'getService', {
    value: function (this: unknown, name: string): Record<string, unknown> {
      const service = getService.call(this, name);
      for (const key of Object.keys(service)) {
        const method = service[key];
        if (typeof method === 'function') {
          service[key] = withTraceMetadata(method as (...args: unknown[]) => unknown, serviceFor);
        }
      }
      return service;
    },
    writable: true,
    configurable: true,
    enumerable: false,
  });
}

/** The Metadata a call goes out with: a copy of the caller's, a new one, or none. */
function callMetadata(given: unknown): MetadataLike | undefined {
  if (isMetadata(given)) return given.clone();
  // Anything else in the metadata place is the app's business: left as passed.
  return given === undefined ? newMetadata() : undefined;
}

function withTraceMetadata(
  method: (...args: unknown[]) => unknown,
  serviceFor: (ctx: TraceContext) => TracingService | undefined,
): (...args: unknown[]) => unknown {
  return function (this: unknown, ...args: unknown[]): unknown {
    const ctx = currentContext();
    const service =
      ctx === undefined || ctx.span === undefined || ctx.suppressed ? undefined : serviceFor(ctx);
    const metadata = service === undefined ? undefined : callMetadata(args[1]);
    if (service !== undefined && metadata !== undefined) {
      for (const [key, value] of Object.entries(service.inject({} as Record<string, string>))) {
        // The app's own values win, as with the other transports.
        if (metadata.get(key).length === 0) metadata.set(key, value);
      }
      args[1] = metadata;
    }
    return method.apply(this, args);
  };
}
