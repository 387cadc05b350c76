import axios, {
  AxiosHeaders,
  getAdapter,
  isAxiosError,
  type AxiosAdapter,
  type AxiosInstance,
  type AxiosRequestConfig,
  type AxiosResponse,
  type InternalAxiosRequestConfig,
} from 'axios';
import { now } from '../core/clock.js';
import { httpMethodOf } from '../core/http-method.js';
import { NOOP_SPAN } from '../core/non-recording-span.js';
import { activeContext, runWithContext, type TraceContext } from '../core/trace-context.js';
import { SpanKind, type Span } from '../core/types.js';
import { markClientSpan } from '../integrations/client-spans.js';
import type { TracingService } from '../nest/tracing.service.js';
import { ClientExchange, type ExchangeSettings } from './http-client-span.js';
import {
  resolveHttpTracingOptions,
  type ResolvedHttpTracingOptions,
} from './http-tracing-options.js';
import type { HttpTracingOptions } from './interfaces/http-tracing-options.interface.js';
import { HttpRequestRecords } from './request-records.js';
import { VerboseHttpWriter } from './verbose-http-writer.js';

/** What `instrumentAxios` returns: the instance's records, and a way to stop tracing it. */
export interface AxiosInstrumentation {
  /** False when no enabled TracingService was given: calls then go out untouched. */
  readonly enabled: boolean;
  readonly records: HttpRequestRecords;
  /** Stops tracing calls made from now on (the records stay readable). */
  remove(): void;
}

const INSTRUMENTATION = Symbol.for('nestjs-tracing.axios-instrumentation');
const TRACED_ADAPTER = Symbol.for('nestjs-tracing.traced-adapter');

type Instrumented = AxiosInstance & { [INSTRUMENTATION]?: AxiosInstrumentation };
type MarkedAdapter = AxiosAdapter & { [TRACED_ADAPTER]?: true };

/**
 * Traces every call of an existing axios instance (for example `httpService.axiosRef` of
 * a plain `HttpModule`): a CLIENT span per call, trace headers injected (never over a
 * header the caller set), request records kept. Without an enabled `tracing`, nothing is
 * installed. Instrumenting an instance twice returns the first instrumentation.
 */
export function instrumentAxios(
  instance: AxiosInstance,
  tracing: TracingService | undefined,
  options?: HttpTracingOptions,
): AxiosInstrumentation {
  return installTracing(instance, tracing, options, 'instrumentAxios');
}

/** instrumentAxios, with the name of the caller for option errors. */
export function installTracing(
  instance: AxiosInstance,
  tracing: TracingService | undefined,
  options: HttpTracingOptions | undefined,
  owner: string,
): AxiosInstrumentation {
  const target = instance as Instrumented;
  const existing = target[INSTRUMENTATION];
  if (existing !== undefined) return existing;
  const resolved = resolveHttpTracingOptions(options, owner);
  const verbose = resolved.verbose && new VerboseHttpWriter(resolved.verbose.dir);
  const records = new HttpRequestRecords(resolved.maxRecords, verbose);
  // Nothing is installed (or remembered) without tracing: a later call may still install.
  if (tracing === undefined || !tracing.enabled) {
    return { enabled: false, records, remove: () => undefined };
  }
  const client = new HttpClientTracer(instance, tracing, resolved, records);
  // The adapter is wrapped, not the request: it runs after every interceptor, so the
  // headers it sees (and must not overwrite) are final.
  const id = instance.interceptors.request.use(
    (config) => {
      config.adapter = client.wrap(config.adapter);
      return config;
    },
    undefined,
    { synchronous: true },
  );
  const instrumentation: AxiosInstrumentation = {
    enabled: true,
    records,
    remove: () => {
      instance.interceptors.request.eject(id);
      if (target[INSTRUMENTATION] === instrumentation) delete target[INSTRUMENTATION];
    },
  };
  target[INSTRUMENTATION] = instrumentation;
  return instrumentation;
}

/** A traced call about to go out: its exchange, final config and client span. */
interface Started {
  readonly exchange: ClientExchange;
  readonly config: InternalAxiosRequestConfig;
  readonly span: Span;
}

/** Opens a client span around each adapter call and records the exchange. */
class HttpClientTracer implements ExchangeSettings {
  /** Bodies are captured up to the larger of the record and verbose caps; 0 = not at all. */
  readonly captureBytes: number;

  constructor(
    private readonly instance: AxiosInstance,
    readonly tracing: TracingService,
    readonly options: ResolvedHttpTracingOptions,
    readonly records: HttpRequestRecords,
  ) {
    this.captureBytes = Math.max(
      options.recordBodies ? options.maxBodyBytes : 0,
      options.verbose?.maxBodyBytes ?? 0,
    );
  }

  wrap(adapter: AxiosRequestConfig['adapter']): AxiosAdapter {
    // A retried config (axios-retry re-sends it) already carries the traced adapter.
    if (typeof adapter === 'function' && (adapter as MarkedAdapter)[TRACED_ADAPTER]) return adapter;
    const traced: MarkedAdapter = (config) =>
      this.send(config, getAdapter(adapter ?? axios.defaults.adapter, config));
    traced[TRACED_ADAPTER] = true;
    return traced;
  }

  private send(config: InternalAxiosRequestConfig, adapter: AxiosAdapter): Promise<AxiosResponse> {
    const context = activeContext();
    // The library's own work (exports) is never traced.
    if (context.suppressed) return adapter(config);
    let started: Started | undefined;
    try {
      started = this.start(config, context);
    } catch {
      // Tracing never breaks the app: the call goes out as it came.
    }
    if (started === undefined) return adapter(config);
    const { exchange } = started;
    let pending: Promise<AxiosResponse>;
    try {
      // Under the client span, which the node:http integration knows: no second span below it.
      pending = runWithContext(context.withSpan(started.span), adapter, started.config);
    } catch (error) {
      exchange.finish(undefined, error, undefined);
      throw error;
    }
    return pending.then(
      (response) => exchange.answered(response),
      (error: unknown) => {
        exchange.finish(isAxiosError(error) ? error.response : undefined, error, undefined);
        throw error;
      },
    );
  }

  /** Opens the client span and injects the trace headers; undefined when not traced. */
  private start(config: InternalAxiosRequestConfig, context: TraceContext): Started | undefined {
    const startedAt = now();
    const startedAtEpoch = Date.now();
    const rawMethod = (config.method ?? 'get').toUpperCase();
    const method = httpMethodOf(rawMethod);
    const url = this.options.redactor.url(this.uriOf(config));
    const template = typeof config.urlTemplate === 'string' ? config.urlTemplate : undefined;
    const base = method === '_OTHER' ? 'HTTP' : method;
    const span = this.tracing.startSpan(template ? `${base} ${template}` : base, {
      kind: SpanKind.CLIENT,
      attributes: {
        'http.request.method': method,
        'http.request.method_original': method === '_OTHER' ? rawMethod : undefined,
        'url.full': url.full,
        'url.template': template,
        'server.address': url.address,
        'server.port': url.port,
      },
    });
    if (span === NOOP_SPAN) return undefined;
    markClientSpan(span);
    try {
      const headers = new AxiosHeaders(config.headers);
      const carrier: Record<string, string> = {};
      // The client span is the parent the next service sees.
      runWithContext(context.withSpan(span), () => this.tracing.inject(carrier));
      for (const name of Object.keys(carrier)) {
        if (!headers.has(name)) headers.set(name, carrier[name]);
      }
      const exchange = new ClientExchange(this, span, rawMethod, url, startedAt, startedAtEpoch, {
        headers,
        data: config.data,
        stream: config.responseType === 'stream',
      });
      // A fresh null-prototype copy, as axios itself flattens configs (prototype-pollution safe).
      const outgoing = Object.assign(Object.create(null) as InternalAxiosRequestConfig, config, {
        headers,
      });
      return { exchange, config: outgoing, span };
    } catch (error) {
      span.end();
      throw error;
    }
  }

  private uriOf(config: InternalAxiosRequestConfig): string {
    try {
      return this.instance.getUri({
        baseURL: config.baseURL,
        url: config.url,
        params: config.params,
        paramsSerializer: config.paramsSerializer,
        allowAbsoluteUrls: config.allowAbsoluteUrls,
      });
    } catch {
      return config.url ?? '';
    }
  }
}
