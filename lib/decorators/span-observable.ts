import { Observable } from 'rxjs';
import type { ErrorPolicy } from '../core/error-policy.js';
import { runWithContext, type TraceContext } from '../core/trace-context.js';
import type { Span } from '../core/types.js';

/** Where one subscription runs: its span and the context that carries it. */
export interface SubscriptionScope {
  readonly span: Span;
  readonly context: TraceContext;
}

/**
 * An Observable whose every subscription runs inside a span: `subscribe` is called inside
 * the scope's context, an error is recorded on the span, and the span ends on error,
 * completion or unsubscription. Lazy: nothing is started or ended for an Observable never
 * subscribed.
 */
export function observeInSpan<T>(
  source: () => Observable<T>,
  scopeFor: () => SubscriptionScope,
  errors: ErrorPolicy,
  onValue?: (span: Span, value: T) => void,
): Observable<T> {
  return new Observable<T>((subscriber) => {
    const { span, context } = scopeFor();
    const subscription = runWithContext(context, () =>
      source().subscribe({
        next: (value) => {
          if (onValue !== undefined) onValue(span, value);
          subscriber.next(value);
        },
        error: (error: unknown) => {
          errors.record(span, error);
          span.end();
          subscriber.error(error);
        },
        complete: () => {
          span.end();
          subscriber.complete();
        },
      }),
    );
    return () => {
      subscription.unsubscribe();
      span.end();
    };
  });
}
