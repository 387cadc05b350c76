import { Module, type DynamicModule } from '@nestjs/common';
import { HttpService } from '@nestjs/axios';
import axios, { type AxiosRequestConfig } from 'axios';
import { TracingConfigError } from '../tracing.errors.js';
import type { TracedHttpModuleOptions } from './interfaces/traced-http-module-options.interface.js';
import { HttpRequestRecords } from './request-records.js';
import {
  TRACED_HTTP_AXIOS_INSTANCE,
  TRACED_HTTP_TRACING_OPTIONS,
} from './traced-http.constants.js';
import {
  ASYNC_OPTIONS_TYPE,
  ConfigurableModuleClass,
  TRACED_HTTP_MODULE_OPTIONS,
} from './traced-http.module-definition.js';
import { TracedHttpService } from './traced-http.service.js';

const OPTIONS = { token: TRACED_HTTP_MODULE_OPTIONS, optional: true };

/** The axios config of the module options: without `tracing` and the module's own keys. */
function axiosConfig(options: TracedHttpModuleOptions | undefined): AxiosRequestConfig {
  if (options === undefined) return {};
  const {
    tracing: _tracing,
    global: _global,
    ...config
  } = options as TracedHttpModuleOptions & {
    extraProviders?: unknown;
  };
  delete (config as { extraProviders?: unknown }).extraProviders;
  return config;
}

/**
 * `HttpModule`, traced: `register()` / `registerAsync()` take the same axios config
 * (plus `tracing`), and the module provides `TracedHttpService`, `HttpService` (the same
 * traced instance, so existing injections are traced without changes) and
 * `HttpRequestRecords`. Each registration has its own axios instance and records.
 * Spans need the global `TracingModule`; without it every call goes out untouched.
 */
@Module({
  providers: [
    {
      provide: TRACED_HTTP_AXIOS_INSTANCE,
      // A fresh instance, never the global one: its interceptor must not trace other libraries.
      // oxlint-disable-next-line import/no-named-as-default-member -- axios 1.7 has no named create
      useFactory: (options?: TracedHttpModuleOptions) => axios.create(axiosConfig(options)),
      inject: [OPTIONS],
    },
    {
      provide: TRACED_HTTP_TRACING_OPTIONS,
      useFactory: (options?: TracedHttpModuleOptions) => options?.tracing ?? {},
      inject: [OPTIONS],
    },
    TracedHttpService,
    { provide: HttpService, useExisting: TracedHttpService },
    {
      provide: HttpRequestRecords,
      useFactory: (http: TracedHttpService) => http.records,
      inject: [TracedHttpService],
    },
  ],
  exports: [TracedHttpService, HttpService, HttpRequestRecords],
})
export class TracedHttpModule extends ConfigurableModuleClass {
  static override registerAsync(options: typeof ASYNC_OPTIONS_TYPE): DynamicModule {
    if (!options || (!options.useFactory && !options.useClass && !options.useExisting)) {
      throw new TracingConfigError(
        'TracedHttpModule.registerAsync: provide one of useFactory, useClass or useExisting.',
      );
    }
    return super.registerAsync(options);
  }
}
