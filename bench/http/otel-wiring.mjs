// The same design as nestjs-tracing, hand-wired on the OpenTelemetry JS SDK 2.12: a global
// interceptor opening a SERVER span per request (context extracted from the headers,
// HTTP attributes, route name) and an active INTERNAL span around the service method,
// exported in batches over OTLP/HTTP protobuf.
import { APP_INTERCEPTOR } from '@nestjs/core';
import { context, propagation, SpanKind, SpanStatusCode, trace } from '@opentelemetry/api';
import { AsyncLocalStorageContextManager } from '@opentelemetry/context-async-hooks';
import { W3CTraceContextPropagator } from '@opentelemetry/core';
import { OTLPTraceExporter } from '@opentelemetry/exporter-trace-otlp-proto';
import { resourceFromAttributes } from '@opentelemetry/resources';
import { BasicTracerProvider, BatchSpanProcessor } from '@opentelemetry/sdk-trace-base';
import { Observable } from 'rxjs';

export function setup(sinkUrl) {
  const contextManager = new AsyncLocalStorageContextManager().enable();
  context.setGlobalContextManager(contextManager);
  propagation.setGlobalPropagator(new W3CTraceContextPropagator());
  const provider = new BasicTracerProvider({
    resource: resourceFromAttributes({ 'service.name': 'bench-otel' }),
    spanProcessors: [new BatchSpanProcessor(new OTLPTraceExporter({ url: sinkUrl }))],
  });
  trace.setGlobalTracerProvider(provider);
  const tracer = trace.getTracer('bench');

  class OtelInterceptor {
    intercept(executionContext, next) {
      const http = executionContext.switchToHttp();
      const req = http.getRequest();
      const raw = req.raw ?? req;
      const route = req.routeOptions?.url ?? req.route?.path ?? raw.url;
      const parent = propagation.extract(context.active(), raw.headers);
      const span = tracer.startSpan(
        `${raw.method} ${route}`,
        {
          kind: SpanKind.SERVER,
          attributes: {
            'http.request.method': raw.method,
            'http.route': route,
            'url.path': raw.url,
          },
        },
        parent,
      );
      const active = trace.setSpan(parent, span);
      return new Observable((subscriber) =>
        context.with(active, () =>
          next.handle().subscribe({
            next: (value) => subscriber.next(value),
            error: (error) => {
              span.recordException(error);
              span.setStatus({ code: SpanStatusCode.ERROR });
              span.end();
              subscriber.error(error);
            },
            complete: () => {
              const res = http.getResponse();
              span.setAttribute('http.response.status_code', (res.raw ?? res).statusCode);
              span.end();
              subscriber.complete();
            },
          }),
        ),
      );
    }
  }

  const traced = (name) => (_target, _key, descriptor) => {
    const original = descriptor.value;
    descriptor.value = function (...args) {
      return tracer.startActiveSpan(name, async (span) => {
        try {
          return await original.apply(this, args);
        } catch (error) {
          span.recordException(error);
          span.setStatus({ code: SpanStatusCode.ERROR });
          throw error;
        } finally {
          span.end();
        }
      });
    };
  };

  return {
    traced,
    interceptorProvider: { provide: APP_INTERCEPTOR, useClass: OtelInterceptor },
    shutdown: () => provider.shutdown(),
  };
}
