import { Controller, Get, Inject, Injectable, Module, Param } from '@nestjs/common';
import {
  ClientProxy,
  ClientsModule,
  MessagePattern,
  Payload,
  Transport,
} from '@nestjs/microservices';
import { firstValueFrom } from 'rxjs';
import request from 'supertest';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { InMemorySpanExporter, SpanKind, TracingModule, TracingService } from '../../lib/index.js';
import { freePort } from '../fixtures/free-port.js';
import { startServicePair, type ServicePair } from '../fixtures/service-pair.js';

@Injectable()
class MathService {
  sum(values: number[]): number {
    return values.reduce((a, b) => a + b, 0);
  }
}

@Controller()
class MathController {
  constructor(private readonly math: MathService) {}

  @MessagePattern('sum')
  sum(@Payload() values: number[]): number {
    return this.math.sum(values);
  }
}

function gatewayModule(exporter: InMemorySpanExporter, port: number) {
  @Controller()
  class GatewayController {
    constructor(
      @Inject('MATH') private readonly client: ClientProxy,
      private readonly tracing: TracingService,
    ) {}

    // No setOnDispatchHook here: the instrument puts it on every ClientProxy.
    @Get('sum/:a/:b')
    async sum(@Param('a') a: string, @Param('b') b: string) {
      const total = await firstValueFrom(this.client.send<number>('sum', [Number(a), Number(b)]));
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

describe('automatic instrumentation across a TCP microservice', () => {
  const mathSpans = new InMemorySpanExporter();
  const gatewaySpans = new InMemorySpanExporter();
  let pair: ServicePair;
  let url: string;

  beforeAll(async () => {
    const port = await freePort();
    @Module({
      imports: [TracingModule.forRoot({ serviceName: 'math', exporters: [mathSpans] })],
      controllers: [MathController],
      providers: [MathService],
    })
    class MathModule {}
    pair = await startServicePair({
      micro: {
        module: MathModule,
        options: { transport: Transport.TCP, options: { host: '127.0.0.1', port } },
      },
      gateway: gatewayModule(gatewaySpans, port),
      instrument: true,
    });
    url = pair.url;
  });

  afterAll(() => pair?.close());

  it('carries the trace from the client request to the server handler and its services', async () => {
    const res = await request(url).get('/sum/2/3').expect(200);
    expect(res.body.total).toBe(5);
    const math = await mathSpans.waitForSpans(3);
    const server = math.find((s) => s.name === 'sum')!;
    const handler = math.find((s) => s.name === 'MathController.sum')!;
    const service = math.find((s) => s.name === 'MathService.sum')!;
    expect(server.kind).toBe(SpanKind.SERVER);
    expect(server.parentIsRemote).toBe(true);
    expect(new Set(math.map((s) => s.traceId))).toEqual(new Set([res.body.traceId]));
    expect(handler.parentSpanId).toBe(server.spanId);
    expect(service.parentSpanId).toBe(handler.spanId);
    const gatewayHandler = (await gatewaySpans.waitForSpans(2)).find(
      (s) => s.name === 'GatewayController.sum',
    )!;
    expect(gatewayHandler.traceId).toBe(res.body.traceId);
    expect(server.parentSpanId).toBe(gatewayHandler.spanId);
  });
});
