import { SpanStatusCode, type Span } from './types.js';

/** An error class, matched with `instanceof`. */
export type ErrorClass = abstract new (...args: never[]) => unknown;

/**
 * What counts as an error beyond the defaults: an HTTP status (a thrown HttpException's,
 * or the response's on a server span), an error class, or a predicate over the thrown value.
 */
export type ErrorMatcher = number | ErrorClass | ((error: unknown) => boolean);

/**
 * Decides whether a thrown value or an HTTP response status fails a span (status ERROR),
 * following the OpenTelemetry conventions: an HTTP status below 500 is the client's
 * fault, so a thrown HttpException with a 4xx status is recorded as an `exception` event
 * and leaves the status unset; 5xx and every other thrown value (RpcException and
 * WsException included: they carry no status) are errors. `countAsError` adds to the
 * errors, never removes from them. One policy per tracer, used by `@Traced()`, the automatic
 * instrumentation, the interceptor and the server span alike.
 */
export class ErrorPolicy {
  private readonly statuses: ReadonlySet<number>;
  private readonly classes: readonly ErrorClass[];
  private readonly predicates: readonly ((error: unknown) => boolean)[];

  constructor(countAsError: readonly ErrorMatcher[] = []) {
    this.statuses = new Set(countAsError.filter((m): m is number => typeof m === 'number'));
    const functions = countAsError.filter((m) => typeof m === 'function');
    this.classes = functions.filter(isErrorClass);
    this.predicates = functions.filter((f) => !isErrorClass(f)) as ((e: unknown) => boolean)[];
  }

  /** Whether a thrown value fails the span it escaped from. */
  isError(error: unknown): boolean {
    const status = httpStatusOf(error);
    if (status === undefined || status >= 500 || this.statuses.has(status)) return true;
    if (this.classes.some((c) => error instanceof c)) return true;
    return this.predicates.some((p) => matches(p, error));
  }

  /** Whether a server span's response status fails it (no thrown value in sight). */
  isErrorStatus(status: number): boolean {
    return status >= 500 || this.statuses.has(status);
  }

  /**
   * Records `error` on `span` as an `exception` event, and sets the ERROR status when it
   * counts as an error. Returns whether it did.
   */
  record(span: Span, error: unknown): boolean {
    if (this.isError(error)) {
      recordError(span, error);
      return true;
    }
    span.recordException(error);
    return false;
  }
}

/** The conventions with nothing added: what a tracer uses unless told otherwise. */
export const DEFAULT_ERROR_POLICY = new ErrorPolicy();

/**
 * The HTTP status a thrown value carries: Nest's HttpException (`getStatus()` and
 * `getResponse()`), recognised by shape so that a second copy of `@nestjs/common` (an ESM
 * and a CommonJS one) is recognised too, and `core/` needs no Nest import.
 */
export function httpStatusOf(error: unknown): number | undefined {
  if (!(error instanceof Error)) return undefined;
  const e = error as Error & { getStatus?: unknown; getResponse?: unknown };
  if (typeof e.getStatus !== 'function' || typeof e.getResponse !== 'function') return undefined;
  try {
    const status: unknown = e.getStatus();
    return typeof status === 'number' && Number.isInteger(status) ? status : undefined;
  } catch {
    return undefined;
  }
}

/** An `exception` event and the ERROR status, whatever the error: for spans no policy applies to. */
export function recordError(span: Span, error: unknown): void {
  span.recordException(error);
  span.setStatus({
    code: SpanStatusCode.ERROR,
    message: error instanceof Error ? error.message : typeof error === 'string' ? error : undefined,
  });
}

/** `Error` and its subclasses are classes; any other function is a predicate. */
function isErrorClass(fn: Function): fn is ErrorClass {
  return fn === Error || (fn.prototype as unknown) instanceof Error;
}

function matches(predicate: (error: unknown) => boolean, error: unknown): boolean {
  try {
    return predicate(error) === true;
  } catch {
    // A throwing predicate must not replace the app's error: the default decision stands.
    return false;
  }
}
