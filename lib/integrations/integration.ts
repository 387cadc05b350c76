import type { ResolvedIntegrations, IntegrationName } from '../config/integration-options.js';
import type { TraceContext } from '../core/trace-context.js';
import type { Tracer } from '../core/tracer.js';
import type { Span } from '../core/types.js';

/** A carrier the host writes trace headers into: one call per header. */
export type HeaderSink = (name: string, value: string) => void;

/**
 * One app's tracing as the integrations see it: its tracer, how it writes trace headers,
 * and which integrations it wants. Two apps in one process register two hosts; a call is
 * traced by the host whose tracer owns the active context (else by the latest host).
 */
export interface IntegrationHost {
  readonly tracer: Tracer;
  readonly settings: ResolvedIntegrations;
  /**
   * Writes the trace context of `span` (and the context's baggage and correlation id) as
   * headers, never over a header `has` says is already there.
   */
  inject(context: TraceContext, span: Span, sink: HeaderSink, has: (name: string) => boolean): void;
}

/** What an integration's `enable` is handed: finds the host that traces the current call. */
export interface IntegrationHosts {
  /**
   * The host that traces a call made now from `integration`, with the active context; none
   * outside traced work (no active span), inside the library's own work (exports), or when
   * that host switched the integration off.
   */
  current(integration: IntegrationName): ActiveHost | undefined;
}

export interface ActiveHost {
  readonly host: IntegrationHost;
  readonly context: TraceContext;
}

/**
 * A client library traced automatically. `enable` subscribes to the library's channels (or
 * wraps it, for pg) and returns what undoes it; it is called once per process while at least
 * one app wants it, and only when `installed()` finds the library (no subscription otherwise).
 */
export interface Integration {
  readonly name: IntegrationName;
  /** False when the library is not installed (or too old to trace): nothing is subscribed. */
  installed(): boolean;
  enable(hosts: IntegrationHosts): () => void;
}
