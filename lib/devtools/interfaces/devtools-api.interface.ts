import type { SpanJson } from '../../export/spans/console-format.js';
import type { HttpRequestRecord } from '../../http/interfaces/http-request-record.interface.js';

/** `error` when any span of the trace has error status. */
export type DevtoolsTraceStatus = 'ok' | 'error';

/** One trace in the viewer's list (`GET <path>/api/traces`). */
export interface DevtoolsTraceSummary {
  traceId: string;
  /** The root span's name: the earliest span whose parent is not in the trace. */
  rootName: string;
  /** `service.name` of the root span. */
  service: string;
  /** Every `service.name` seen in the trace, in order of appearance. */
  services: string[];
  /** ISO time of the earliest span start. */
  startTime: string;
  startTimeUnixNano: string;
  /** From the earliest start to the latest end, over every service. */
  durationMs: number;
  status: DevtoolsTraceStatus;
  errorCount: number;
  spanCount: number;
  /** Spans not kept because the trace reached `maxSpansPerTrace`. */
  droppedSpans: number;
  /** False until a span with no parent, or a remote parent, has ended (the request still runs). */
  complete: boolean;
  /** `http.route` (else `url.path`) of the root span, when it is an HTTP server span. */
  route?: string;
  method?: string;
  statusCode?: number;
  /** The `correlation.id` of the root span, else of the first span that has one. */
  correlationId?: string;
}

/** `GET <path>/api/traces`: newest first. */
export interface DevtoolsTraceList {
  traces: DevtoolsTraceSummary[];
  /** Traces held before filtering. */
  total: number;
  maxTraces: number;
  /** Traces dropped since start (or the last clear) to stay within `maxTraces`. */
  droppedTraces: number;
}

/** A span as the waterfall shows it: the exporters' JSON form plus its place in the trace. */
export interface DevtoolsSpan extends SpanJson {
  /** `service.name` of the span's resource. */
  service: string;
  /** 0 for a root; children are one deeper than their parent. */
  depth: number;
  /** Milliseconds from the start of the trace. */
  offsetMs: number;
  /** Duration minus the time covered by its children in this trace. */
  selfTimeMs: number;
  /** The outgoing call's record (redacted, as `HttpRequestRecords` keeps it), when one exists. */
  record?: HttpRequestRecord;
  /**
   * The query shapes this span's children repeat 5 times or more (the N+1 loop of an ORM),
   * most repeated first.
   */
  repeatedQueries?: DevtoolsRepeatedQuery[];
}

/** Children of one span that ran the same database query shape many times. */
export interface DevtoolsRepeatedQuery {
  /** `db.system.name` of the calls. */
  system: string;
  /** Their shared `db.query.text` (sanitized), else `db.query.summary`, else span name. */
  query: string;
  /** The first call's span name (`SELECT users`). */
  name: string;
  count: number;
  /** The calls' durations added up. */
  totalMs: number;
  /** How many of them failed. */
  errors: number;
}

/** `GET <path>/api/traces/:traceId`: spans depth-first, siblings by start time. */
export interface DevtoolsTrace {
  summary: DevtoolsTraceSummary;
  spans: DevtoolsSpan[];
}
