export type { HttpTracingOptions } from './http-tracing-options.interface.js';
export type {
  HttpMessageRecord,
  HttpRecordQuery,
  HttpRequestRecord,
  HttpStatusFilter,
  HttpStreamFigures,
  StreamKind,
  StreamOutcome,
} from './http-request-record.interface.js';
export type {
  TracedHttpModuleAsyncOptions,
  TracedHttpModuleOptions,
  TracedHttpOptionsFactory,
} from './traced-http-module-options.interface.js';
