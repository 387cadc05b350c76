import { Inject, Injectable, Optional, type OnApplicationShutdown } from '@nestjs/common';
import { HttpService } from '@nestjs/axios';
import axios, {
  type AxiosInstance,
  type AxiosPromise,
  type AxiosRequestConfig,
  type AxiosResponse,
} from 'axios';
import { Observable } from 'rxjs';
import { TracingService } from '../nest/tracing.service.js';
import { installTracing } from './instrument-axios.js';
import type { HttpTracingOptions } from './interfaces/http-tracing-options.interface.js';
import type { HttpRequestRecords } from './request-records.js';
import {
  TRACED_HTTP_AXIOS_INSTANCE,
  TRACED_HTTP_TRACING_OPTIONS,
} from './traced-http.constants.js';

/**
 * `HttpService` of `@nestjs/axios`, traced: the same methods, Observables and `axiosRef`
 * (it is a subclass), with a CLIENT span per subscription, trace headers on every call
 * and the recent calls in `records`. Without TracingModule, or with tracing disabled,
 * it is exactly `HttpService`.
 */
@Injectable()
export class TracedHttpService extends HttpService implements OnApplicationShutdown {
  /** The recent calls, redacted (see `HttpRequestRecords`). */
  readonly records: HttpRequestRecords;
  private readonly traced: boolean;

  constructor(
    // oxlint-disable-next-line import/no-named-as-default-member -- axios 1.7 has no named create
    @Inject(TRACED_HTTP_AXIOS_INSTANCE) instance: AxiosInstance = axios.create(),
    @Optional() tracing?: TracingService,
    @Optional() @Inject(TRACED_HTTP_TRACING_OPTIONS) options?: HttpTracingOptions,
  ) {
    super(instance);
    const instrumentation = installTracing(instance, tracing, options, 'TracedHttpModule');
    this.records = instrumentation.records;
    this.traced = instrumentation.enabled;
  }

  /** An OPTIONS request (which `HttpService` lacks). */
  options<T = unknown, D = unknown>(
    url: string,
    config?: AxiosRequestConfig<D>,
  ): Observable<AxiosResponse<T, D>> {
    return this.makeObservable<T>(this.instance.options, url, config) as Observable<
      AxiosResponse<T, D>
    >;
  }

  async onApplicationShutdown(): Promise<void> {
    await this.records.flush();
  }

  /**
   * As HttpService's, except that unsubscribing before the answer aborts the request
   * whatever its `responseType` (HttpService leaves streamed requests running), with an
   * AbortSignal rather than the deprecated CancelToken. Once a stream is handed over, it
   * belongs to the subscriber and is left alone.
   */
  protected override makeObservable<T>(
    request: (...args: never[]) => AxiosPromise<T>,
    ...args: unknown[]
  ): Observable<AxiosResponse<T>> {
    const call = request as (...a: unknown[]) => AxiosPromise<T>;
    if (!this.traced) return super.makeObservable(call, ...args);
    return new Observable<AxiosResponse<T>>((subscriber) => {
      const copy = [...args];
      const last = copy.length - 1;
      const config: AxiosRequestConfig = { ...(copy[last] as AxiosRequestConfig | undefined) };
      copy[last] = config;
      const controller = new AbortController();
      const own = config.signal;
      if (own === undefined) config.signal = controller.signal;
      else if (own instanceof AbortSignal)
        config.signal = AbortSignal.any([own, controller.signal]);
      else if (config.cancelToken === undefined) {
        // A signal-like object of the caller's own: cancel through a token beside it.
        // oxlint-disable-next-line import/no-named-as-default-member -- typed on the default export only
        const source = axios.CancelToken.source();
        config.cancelToken = source.token;
        controller.signal.addEventListener('abort', () => source.cancel(), { once: true });
      }
      let settled = false;
      call(...copy).then(
        (response) => {
          settled = true;
          subscriber.next(response);
          subscriber.complete();
        },
        (error: unknown) => {
          settled = true;
          subscriber.error(error);
        },
      );
      return () => {
        if (!settled) controller.abort();
      };
    });
  }
}
