import 'reflect-metadata';
import { firstValueFrom, Observable, of, throwError, toArray } from 'rxjs';
import { beforeEach, describe, expect, it } from 'vitest';
import { observeInSpan, type SubscriptionScope } from '../../../lib/decorators/span-observable.js';
import { activeContext, SimpleSpanProcessor, Tracer } from '../../../lib/export/index.js';
import { InMemorySpanExporter, SpanStatusCode } from '../../../lib/index.js';

let exporter: InMemorySpanExporter;
let tracer: Tracer;

beforeEach(() => {
  exporter = new InMemorySpanExporter();
  tracer = new Tracer({
    processor: new SimpleSpanProcessor(exporter),
    resource: { attributes: { 'service.name': 'unit' } },
  });
});

function scope(name: string): SubscriptionScope {
  const span = tracer.startSpan(name);
  return { span, context: tracer.createContext(span, undefined, undefined) };
}

describe('observeInSpan', () => {
  it('opens nothing until subscribed, then one scope per subscription', async () => {
    let scopes = 0;
    const traced = observeInSpan(
      () => of(1, 2),
      () => scope(`s${++scopes}`),
      tracer.errorPolicy,
    );
    expect(scopes).toBe(0);
    await firstValueFrom(traced.pipe(toArray()));
    await firstValueFrom(traced.pipe(toArray()));
    expect(exporter.getFinishedSpans().map((s) => s.name)).toEqual(['s1', 's2']);
  });

  it('creates the source inside the scope context and hands each value to onValue', async () => {
    const s = scope('unit');
    const seen: unknown[] = [];
    const values = await firstValueFrom(
      observeInSpan(
        () => of(activeContext().span),
        () => s,
        tracer.errorPolicy,
        (span, value) => seen.push([span, value]),
      ).pipe(toArray()),
    );
    expect(values).toEqual([s.span]);
    expect(seen).toEqual([[s.span, s.span]]);
  });

  it('records an error on the span, ends it and passes the error on', async () => {
    const error = new Error('boom');
    const s = scope('failing');
    await expect(
      firstValueFrom(
        observeInSpan(
          () => throwError(() => error),
          () => s,
          tracer.errorPolicy,
        ),
      ),
    ).rejects.toBe(error);
    const [span] = exporter.getFinishedSpans();
    expect(span?.status.code).toBe(SpanStatusCode.ERROR);
  });

  it('ends the span when the subscriber unsubscribes before completion', () => {
    const s = scope('cancelled');
    const never = new Observable<number>(() => undefined);
    observeInSpan(
      () => never,
      () => s,
      tracer.errorPolicy,
    )
      .subscribe()
      .unsubscribe();
    expect(exporter.getFinishedSpans().map((x) => x.name)).toEqual(['cancelled']);
  });
});
