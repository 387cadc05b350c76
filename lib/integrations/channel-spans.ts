import { tracingChannel } from 'node:diagnostics_channel';
import type { IntegrationName } from '../config/integration-options.js';
import type { Span } from '../core/types.js';
import type { ActiveHost, IntegrationHosts } from './integration.js';

/** What a library's TracingChannel hands each event: its own payload, plus what Node adds. */
export interface ChannelMessage {
  error?: unknown;
  result?: unknown;
}

/** How an integration turns one TracingChannel's calls into spans. */
export interface ChannelSpans<M extends object> {
  /** Opens the span of a call, in the caller's context (`start`); undefined: not traced. */
  open(message: M): Span | undefined;
  /** Ends it, with the error the call threw, rejected with or passed to its callback. */
  close(span: Span, message: M, error: unknown): void;
  /** After the call returned or threw synchronously (`end`), traced or not. */
  returned?(message: M): void;
}

interface Open {
  readonly span: Span;
  failed: boolean;
  error: unknown;
}

/**
 * A call's open span is kept on the call's own message object, under a symbol no one else
 * reads (a WeakMap keyed by the messages cost several times more per call: its entries are
 * ephemerons the GC must trace).
 */
type Carrier = Record<symbol, Open | undefined>;

/**
 * Subscribes to the TracingChannel `name` and ends every span it opened exactly once, however
 * the library called it: `tracePromise` (start, end, then error?, asyncStart, asyncEnd),
 * `traceCallback` (the same around the callback, which may run before `end`) or a synchronous
 * throw (start, error, end, and nothing after). The span lives on the call's own message
 * object (under a symbol) and is cleared when it ends, so nothing outlives the call. Never throws into the library.
 */
export function subscribeChannelSpans<M extends object>(
  name: string,
  spans: ChannelSpans<M>,
): () => void {
  const channel = tracingChannel<unknown, M & ChannelMessage & Carrier>(name);
  // One symbol per subscription: two registries (tests) never read each other's spans.
  const key = Symbol(`nestjs-tracing open span ${name}`);
  const close = (message: M & ChannelMessage & Carrier, call: Open): void => {
    (message as Carrier)[key] = undefined;
    try {
      spans.close(call.span, message, call.failed ? call.error : undefined);
    } catch {
      // A subscriber never breaks the call it watches.
    }
  };
  const subscribers = {
    start(message: M & ChannelMessage & Carrier): void {
      try {
        const span = spans.open(message);
        if (span !== undefined)
          (message as Carrier)[key] = { span, failed: false, error: undefined };
      } catch {
        // As above.
      }
    },
    end(message: M & ChannelMessage & Carrier): void {
      const call = message[key];
      // An error before `end` is a synchronous throw: no async events follow.
      if (call?.failed === true) close(message, call);
      if (spans.returned !== undefined) {
        try {
          spans.returned(message);
        } catch {
          // As above.
        }
      }
    },
    asyncStart(): void {},
    asyncEnd(message: M & ChannelMessage & Carrier): void {
      const call = message[key];
      if (call !== undefined) close(message, call);
    },
    error(message: M & ChannelMessage & Carrier): void {
      const call = message[key];
      if (call !== undefined) {
        call.failed = true;
        call.error = message.error;
      }
    },
  };
  channel.subscribe(subscribers);
  return () => channel.unsubscribe(subscribers);
}

/**
 * The host tracing a database call made now, when the call runs inside a span (a request, a
 * `@Traced()` method, a job): connection housekeeping and background polling outside any
 * operation (a queue worker's blocking reads) would each start a trace of their own.
 */
export function activeDbCall(
  hosts: IntegrationHosts,
  integration: IntegrationName,
): ActiveHost | undefined {
  const active = hosts.current(integration);
  return active?.context.span === undefined ? undefined : active;
}
