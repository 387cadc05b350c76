// The "./http" entry: traced outgoing HTTP. Needs the optional peers @nestjs/axios and axios.
export { TracedHttpModule } from './traced-http.module.js';
export { TRACED_HTTP_MODULE_OPTIONS } from './traced-http.module-definition.js';
export { TracedHttpService } from './traced-http.service.js';
export { HttpRequestRecords } from './request-records.js';
export { instrumentAxios, type AxiosInstrumentation } from './instrument-axios.js';
export { instrumentServerResponse } from '../server/stream-accounting.js';
export { RECORD_ATTRIBUTES, STREAM_ATTRIBUTES } from './traced-http.constants.js';
export type {
  HttpMessageRecord,
  HttpRecordQuery,
  HttpRequestRecord,
  HttpStatusFilter,
  HttpStreamFigures,
  HttpTracingOptions,
  StreamKind,
  StreamOutcome,
  TracedHttpModuleAsyncOptions,
  TracedHttpModuleOptions,
  TracedHttpOptionsFactory,
} from './interfaces/index.js';
