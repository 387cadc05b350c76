import {
  Controller,
  Get,
  Inject,
  Injectable,
  Module,
  NotFoundException,
  Param,
  type OnModuleInit,
} from '@nestjs/common';
import {
  ClientProxy,
  ClientsModule,
  Ctx,
  EventPattern,
  MessagePattern,
  Payload,
  RpcException,
  TcpContext,
  Transport,
} from '@nestjs/microservices';
import { firstValueFrom } from 'rxjs';
import request from 'supertest';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  InMemorySpanExporter,
  SpanKind,
  SpanStatusCode,
  Traced,
  TracingModule,
  TracingService,
} from '../../lib/index.js';
import { freePort } from '../fixtures/free-port.js';
import { startServicePair, type ServicePair } from '../fixtures/service-pair.js';

const received: { correlationId?: string; metadata?: Record<string, string> }[] = [];

@Injectable()
class MathService {
  @Traced()
  sum(values: number[]): number {
    return values.reduce((a, b) => a + b, 0);
  }
}

@Controller()
class MathController {
  constructor(
    private readonly math: MathService,
    private readonly tracing: TracingService,
  ) {}

  @MessagePattern('sum')
  sum(@Payload() values: number[], @Ctx() ctx: TcpContext): number {
    received.push({ correlationId: this.tracing.getCorrelationId(), metadata: ctx.getMetadata() });
    return this.math.sum(values);
  }

  @MessagePattern({ cmd: 'explode' })
  explode(): never {
    throw new Error('cannot compute');
  }

  @MessagePattern({ cmd: 'lookup' })
  lookup(): never {
    throw new NotFoundException('no such sum');
  }

  @MessagePattern({ cmd: 'reject' })
  reject(): never {
    throw new RpcException('sum rejected');
  }

  @EventPattern('audit')
  audit(@Payload() _entry: unknown): void {
    received.push({ correlationId: this.tracing.getCorrelationId() });
  }
}

function mathServiceModule(exporter: InMemorySpanExporter) {
  @Module({
    imports: [TracingModule.forRoot({ serviceName: 'math', exporters: [exporter] })],
    controllers: [MathController],
    providers: [MathService],
  })
  class MathModule {}
  return MathModule;
}

function gatewayModule(exporter: InMemorySpanExporter, port: number) {
  @Controller()
  class GatewayController implements OnModuleInit {
    constructor(
      @Inject('MATH') private readonly client: ClientProxy,
      private readonly tracing: TracingService,
    ) {}

    onModuleInit(): void {
      this.client.setOnDispatchHook(this.tracing.createDispatchHook());
    }

    @Get('sum/:a/:b')
    async sum(@Param('a') a: string, @Param('b') b: string) {
      const total = await firstValueFrom(this.client.send<number>('sum', [Number(a), Number(b)]));
      await firstValueFrom(this.client.emit('audit', { total }));
      return { total, traceId: this.tracing.getTraceId() };
    }
  }

  @Module({
    imports: [
      TracingModule.forRoot({ serviceName: 'gateway', exporters: [exporter] }),
      ClientsModule.register([
        { name: 'MATH', transport: Transport.TCP, options: { host: '127.0.0.1', port } },
      ]),
    ],
    controllers: [GatewayController],
  })
  class GatewayModule {}
  return GatewayModule;
}

describe('microservice messages over TCP', () => {
  const mathSpans = new InMemorySpanExporter();
  const gatewaySpans = new InMemorySpanExporter();
  let pair: ServicePair;
  let url: string;

  beforeAll(async () => {
    const port = await freePort();
    pair = await startServicePair({
      micro: {
        module: mathServiceModule(mathSpans),
        options: { transport: Transport.TCP, options: { host: '127.0.0.1', port } },
      },
      gateway: gatewayModule(gatewaySpans, port),
    });
    url = pair.url;
  });

  afterAll(() => pair?.close());

  it('continues the caller trace in a SERVER span named by the message pattern', async () => {
    received.length = 0;
    const res = await request(url).get('/sum/2/3').set('x-correlation-id', 'ms-1').expect(200);
    expect(res.body.total).toBe(5);
    const [server, traced] = await mathSpans.waitForSpans(2);
    const sumSpan = [server, traced].find((s) => s!.name === 'sum')!;
    const serviceSpan = [server, traced].find((s) => s!.name === 'MathService.sum')!;
    expect(sumSpan.kind).toBe(SpanKind.SERVER);
    expect(sumSpan.traceId).toBe(res.body.traceId);
    expect(sumSpan.parentIsRemote).toBe(true);
    expect(sumSpan.attributes).toMatchObject({
      'messaging.system': 'tcp',
      'messaging.destination.name': 'sum',
    });
    expect(serviceSpan.parentSpanId).toBe(sumSpan.spanId);
    const gatewayServer = (await gatewaySpans.waitForSpans(1))[0]!;
    expect(sumSpan.parentSpanId).toBe(gatewayServer.spanId);
    expect(received[0]!.correlationId).toBe('ms-1');
    expect(received[0]!.metadata!.traceparent).toMatch(/^00-[0-9a-f]{32}-[0-9a-f]{16}-03$/);
  });

  it('gives events a CONSUMER span in the same trace', async () => {
    mathSpans.reset();
    const res = await request(url).get('/sum/1/1').expect(200);
    const spans = await mathSpans.waitForSpans(3);
    const audit = spans.find((s) => s.name === 'audit')!;
    expect(audit.kind).toBe(SpanKind.CONSUMER);
    expect(audit.traceId).toBe(res.body.traceId);
  });

  it('records an error thrown by a message handler', async () => {
    mathSpans.reset();
    const client = pair.gateway.get<ClientProxy>('MATH');
    await expect(firstValueFrom(client.send({ cmd: 'explode' }, {}))).rejects.toBeDefined();
    const [span] = await mathSpans.waitForSpans(1);
    expect(span!.name).toBe('{"cmd":"explode"}');
    expect(span!.status).toEqual({ code: SpanStatusCode.ERROR, message: 'cannot compute' });
    expect(span!.parentSpanId).toBeUndefined();
  });

  it('follows the error policy: a 4xx HttpException is an event, an RpcException an error', async () => {
    const client = pair.gateway.get<ClientProxy>('MATH');
    mathSpans.reset();
    await expect(firstValueFrom(client.send({ cmd: 'lookup' }, {}))).rejects.toBeDefined();
    const [lookup] = await mathSpans.waitForSpans(1);
    expect(lookup!.status.code).toBe(SpanStatusCode.UNSET);
    expect(lookup!.events[0]).toMatchObject({
      name: 'exception',
      attributes: { 'exception.type': 'NotFoundException', 'exception.message': 'no such sum' },
    });
    mathSpans.reset();
    await expect(firstValueFrom(client.send({ cmd: 'reject' }, {}))).rejects.toBeDefined();
    const [reject] = await mathSpans.waitForSpans(1);
    expect(reject!.status).toEqual({ code: SpanStatusCode.ERROR, message: 'sum rejected' });
  });
});
