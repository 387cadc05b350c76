import type { ConfigurableModuleAsyncOptions, Provider } from '@nestjs/common';
import type { AxiosRequestConfig } from 'axios';
import type { HttpTracingOptions } from './http-tracing-options.interface.js';

/**
 * `HttpModule.register` options (the axios config of the instance, and `global`), plus
 * `tracing`: an `HttpModuleOptions` object is a valid value.
 */
export interface TracedHttpModuleOptions extends AxiosRequestConfig<unknown, unknown> {
  /** Register the module globally. @default false */
  global?: boolean;
  /** What is recorded about each call besides the span. */
  tracing?: HttpTracingOptions;
}

/** Implemented by a `useClass` / `useExisting` options source of `registerAsync`. */
export interface TracedHttpOptionsFactory {
  createHttpOptions(): Promise<TracedHttpModuleOptions> | TracedHttpModuleOptions;
}

/** `HttpModule.registerAsync` options, for `TracedHttpModule.registerAsync`. */
export type TracedHttpModuleAsyncOptions = ConfigurableModuleAsyncOptions<
  TracedHttpModuleOptions,
  'createHttpOptions'
> & {
  /** Register the module globally. @default false */
  global?: boolean;
  /** Providers added to the module, e.g. for `useFactory` to inject. */
  extraProviders?: Provider[];
};

declare module 'axios' {
  interface AxiosRequestConfig<D, P> {
    /**
     * The route template of the call (`'/products/:sku'`): names the client span
     * `GET /products/:sku` and sets `url.template`. Read by `TracedHttpService` only.
     */
    urlTemplate?: string;
  }
}
