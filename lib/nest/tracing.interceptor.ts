import {
  Inject,
  Injectable,
  type CallHandler,
  type ExecutionContext,
  type NestInterceptor,
  type Provider,
} from '@nestjs/common';
import { APP_INTERCEPTOR, ModulesContainer } from '@nestjs/core';
import { Observable } from 'rxjs';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { Baggage } from '../core/baggage.js';
import { currentContext, ROOT_CONTEXT, runWithContext } from '../core/trace-context.js';
import { Tracer } from '../core/tracer.js';
import { SpanKind } from '../core/types.js';
import { observeInSpan } from '../decorators/span-observable.js';
import { TRACING_CONFIG } from '../tracing.internal-constants.js';
import {
  beginHttpRequest,
  CORRELATION_ID_ATTRIBUTE,
  getRequestState,
  resolveCorrelationId,
  routeTemplateOf,
  type RoutedRequest,
} from '../server/http-request.js';
import { findMessageCarrier, messagingSystem } from '../server/message-carrier.js';
import type { ResolvedTracingConfig } from '../config/tracing-config.js';

// Nest's own metadata keys, by value: @nestjs/microservices and @nestjs/websockets are
// optional and must not be imported.
const PATTERN_METADATA = 'microservices:pattern';
const PATTERN_HANDLER_METADATA = 'microservices:handler_type';
const EVENT_HANDLER = 2;
const WS_MESSAGE_METADATA = 'message';

type HttpRequestLike = IncomingMessage & RoutedRequest & { raw?: IncomingMessage };

/**
 * Opens the handler's span for every request, message and WebSocket event: names the
 * HTTP server span after its route template, records what the handler throws, and runs
 * the handler inside the request's context.
 */
@Injectable()
export class TracingInterceptor implements NestInterceptor {
  constructor(
    @Inject(TRACING_CONFIG) private readonly config: ResolvedTracingConfig,
    private readonly tracer: Tracer,
  ) {}

  intercept(context: ExecutionContext, next: CallHandler): Observable<unknown> {
    if (!this.config.enabled) return next.handle();
    switch (context.getType<string>()) {
      case 'http':
        return this.interceptHttp(context, next);
      case 'rpc':
        return this.interceptMessage(context, next);
      case 'ws':
        return this.interceptWsEvent(context, next);
      default:
        return next.handle();
    }
  }

  /**
   * HTTP requests are opened by the platform hooks (see http-platform.ts); this runs only
   * when the interceptor is registered anyway (an app that also has message or WebSocket
   * handlers) or when the hooks are off (`instrumentServer: false`).
   */
  private interceptHttp(context: ExecutionContext, next: CallHandler): Observable<unknown> {
    const http = context.switchToHttp();
    const req = http.getRequest<HttpRequestLike>();
    const raw = req.raw ?? req;
    const state =
      getRequestState(raw) ??
      beginHttpRequest(raw, rawResponse(http.getResponse()), this.tracer, this.config);
    const span = state.span;
    if (span !== undefined && span.isRecording()) {
      state.route ??= routeTemplateOf(req);
      span.setAttribute('nestjs.controller', context.getClass().name);
      span.setAttribute('nestjs.handler', context.getHandler().name);
    }
    // The span is ended by the response (filters may still change the status), and errors
    // are recorded by Nest's exception layer (http-exceptions.ts).
    if (currentContext() === state.context) return next.handle();
    return new Observable<unknown>((subscriber) =>
      runWithContext(state.context, () => next.handle().subscribe(subscriber)),
    );
  }

  private interceptMessage(context: ExecutionContext, next: CallHandler): Observable<unknown> {
    const rpc = context.switchToRpc();
    const handler = context.getHandler();
    const patterns = Reflect.getMetadata(PATTERN_METADATA, handler) as unknown[] | undefined;
    const isEvent = Reflect.getMetadata(PATTERN_HANDLER_METADATA, handler) === EVENT_HANDLER;
    const name = patternName(patterns?.[0]) ?? handler.name;
    const rpcContext = rpc.getContext<unknown>();
    const carrier = findMessageCarrier(rpcContext, rpc.getData<unknown>());
    const grpc = grpcMethodOf(patterns?.[0], rpcContext);
    if (grpc !== undefined) {
      // OpenTelemetry RPC conventions: `{service}/{method}`. Nest's pattern names the
      // service without its proto package.
      return this.traceUnit(next, `${grpc.service}/${grpc.method}`, SpanKind.SERVER, carrier, {
        'rpc.system': 'grpc',
        'rpc.service': grpc.service,
        'rpc.method': grpc.method,
        'nestjs.controller': context.getClass().name,
        'nestjs.handler': handler.name,
      });
    }
    return this.traceUnit(next, name, isEvent ? SpanKind.CONSUMER : SpanKind.SERVER, carrier, {
      'messaging.system': messagingSystem(rpcContext),
      'messaging.destination.name': name,
      'messaging.operation.type': 'process',
      'nestjs.controller': context.getClass().name,
      'nestjs.handler': handler.name,
    });
  }

  private interceptWsEvent(context: ExecutionContext, next: CallHandler): Observable<unknown> {
    const handler = context.getHandler();
    const name =
      patternName(Reflect.getMetadata(WS_MESSAGE_METADATA, handler)) ?? handler.name ?? 'ws';
    const data = context.switchToWs().getData<unknown>();
    const carrier = findMessageCarrier(undefined, data);
    return this.traceUnit(next, name, SpanKind.SERVER, carrier, {
      'websocket.event': name,
      'nestjs.controller': context.getClass().name,
      'nestjs.handler': handler.name,
    });
  }

  private traceUnit(
    next: CallHandler,
    name: string,
    kind: SpanKind,
    carrier: object | undefined,
    attributes: Record<string, string | undefined>,
  ): Observable<unknown> {
    const extracted = carrier ? this.config.propagator.extract({}, carrier) : {};
    const span = this.tracer.startSpan(
      name,
      { kind, parent: extracted.spanContext, attributes },
      ROOT_CONTEXT,
    );
    const headers = carrier as Record<string, string | string[] | undefined> | undefined;
    const correlationId = resolveCorrelationId(headers, this.config, span, this.tracer);
    span.setAttribute(CORRELATION_ID_ATTRIBUTE, correlationId);
    const ctx = this.tracer.createContext(span, correlationId, extracted.baggage ?? new Baggage());
    const scope = { span, context: ctx };
    return observeInSpan(
      () => next.handle(),
      () => scope,
      this.tracer.errorPolicy,
    );
  }
}

function rawResponse(res: unknown): ServerResponse {
  const r = res as { raw?: ServerResponse };
  return r.raw ?? (res as ServerResponse);
}

/** The service and method of a `@GrpcMethod` / `@GrpcStreamMethod` pattern. */
function grpcMethodOf(
  pattern: unknown,
  rpcContext: unknown,
): { service: string; method: string } | undefined {
  const p = pattern as { service?: unknown; rpc?: unknown } | null | undefined;
  // The gRPC transport hands handlers the call's Metadata as their context.
  const isMetadata = typeof (rpcContext as { getMap?: unknown } | null)?.getMap === 'function';
  if (!isMetadata || typeof p?.service !== 'string' || typeof p.rpc !== 'string') return undefined;
  return { service: p.service, method: p.rpc };
}

function patternName(pattern: unknown): string | undefined {
  if (pattern === undefined || pattern === null) return undefined;
  if (typeof pattern === 'string') return pattern;
  try {
    return JSON.stringify(pattern);
  } catch {
    return String(pattern);
  }
}

const WS_GATEWAY_METADATA = 'websockets:is_gateway';

interface ModuleLike {
  controllers: Map<unknown, { metatype?: unknown }>;
  providers: Map<unknown, { metatype?: unknown }>;
}

/**
 * The global interceptor, or null when the app has nothing it would trace: any global
 * interceptor puts rxjs and an AsyncResource into every HTTP request's pipeline, and HTTP
 * is traced by the platform hooks. Nest skips a null global enhancer.
 */
export const tracingInterceptorProvider: Provider = {
  provide: APP_INTERCEPTOR,
  useFactory: (config: ResolvedTracingConfig, tracer: Tracer, modules: ModulesContainer) =>
    config.enabled &&
    (!config.instrumentServer ||
      hasMessageOrGatewayHandlers(modules.values() as Iterable<ModuleLike>))
      ? new TracingInterceptor(config, tracer)
      : null,
  inject: [TRACING_CONFIG, Tracer, ModulesContainer],
};

/** Whether any controller has @MessagePattern/@EventPattern handlers or any provider is a gateway. */
function hasMessageOrGatewayHandlers(modules: Iterable<ModuleLike>): boolean {
  for (const module of modules) {
    for (const { metatype } of module.providers.values()) {
      if (typeof metatype === 'function' && Reflect.getMetadata(WS_GATEWAY_METADATA, metatype)) {
        return true;
      }
    }
    for (const { metatype } of module.controllers.values()) {
      if (typeof metatype === 'function' && hasPatternHandler(metatype.prototype as object)) {
        return true;
      }
    }
  }
  return false;
}

function hasPatternHandler(proto: object | null): boolean {
  for (let p = proto; p !== null && p !== Object.prototype; p = Object.getPrototypeOf(p)) {
    for (const key of Object.getOwnPropertyNames(p)) {
      const value = Object.getOwnPropertyDescriptor(p, key)?.value as unknown;
      if (
        typeof value === 'function' &&
        Reflect.getMetadata(PATTERN_METADATA, value) !== undefined
      ) {
        return true;
      }
    }
  }
  return false;
}
