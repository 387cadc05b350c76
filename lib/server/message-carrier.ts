/**
 * Where each Nest transport keeps a message's headers. Duck-typed so that
 * @nestjs/microservices stays an optional peer.
 */
type Ctx = {
  getMetadata?: () => unknown;
  getHeaders?: () => unknown;
  getMessage?: () => unknown;
  getArgByIndex?: (i: number) => unknown;
  constructor?: { name?: string };
};

function asObject(value: unknown): object | undefined {
  return value !== null && typeof value === 'object' ? value : undefined;
}

/** The header carrier of an incoming message, if its transport has one. */
export function findMessageCarrier(context: unknown, data: unknown): object | undefined {
  const ctx = asObject(context) as Ctx | undefined;
  if (ctx) {
    // TCP and Redis (Nest 12 packet metadata), NATS headers.
    const fromCtx = asObject(ctx.getMetadata?.()) ?? asObject(ctx.getHeaders?.());
    if (fromCtx) return fromCtx;
    // Kafka (message.headers) and RabbitMQ (message.properties.headers).
    const message = asObject(ctx.getMessage?.()) as
      { headers?: unknown; properties?: { headers?: unknown } } | undefined;
    const fromMessage = asObject(message?.headers) ?? asObject(message?.properties?.headers);
    if (fromMessage) return fromMessage;
    // gRPC passes a Metadata object, which has get/set.
    if (typeof (ctx as { getMap?: unknown }).getMap === 'function') return ctx;
  }
  // Otherwise a payload that carries its own headers, as clients without metadata do.
  const payload = asObject(data) as { headers?: unknown; traceparent?: unknown } | undefined;
  if (payload) {
    const headers = asObject(payload.headers);
    if (headers) return headers;
    if (typeof payload.traceparent === 'string') return payload;
  }
  return undefined;
}

const SYSTEMS: Record<string, string> = {
  TcpContext: 'tcp',
  RedisContext: 'redis',
  NatsContext: 'nats',
  KafkaContext: 'kafka',
  RmqContext: 'rabbitmq',
  MqttContext: 'mqtt',
};

export function messagingSystem(context: unknown): string {
  const name = (asObject(context) as Ctx | undefined)?.constructor?.name;
  return (name && SYSTEMS[name]) || 'nestjs';
}
