import { ConfigurableModuleBuilder, type Provider } from '@nestjs/common';
import type { TracedHttpModuleOptions } from './interfaces/traced-http-module-options.interface.js';

export const {
  ConfigurableModuleClass,
  MODULE_OPTIONS_TOKEN: TRACED_HTTP_MODULE_OPTIONS,
  OPTIONS_TYPE,
  ASYNC_OPTIONS_TYPE,
} = new ConfigurableModuleBuilder<TracedHttpModuleOptions>({ moduleName: 'TracedHttp' })
  .setClassMethodName('register')
  .setFactoryMethodName('createHttpOptions')
  .setExtras<{ global: boolean; extraProviders: Provider[] }>(
    { global: false, extraProviders: [] },
    (definition, extras) => ({
      ...definition,
      global: extras.global,
      providers: [...(definition.providers ?? []), ...(extras.extraProviders ?? [])],
    }),
  )
  .build();
