import 'reflect-metadata';
import { firstValueFrom, Observable, of, throwError, timer, map } from 'rxjs';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { clearGlobalTracer, setGlobalTracer } from '../../../lib/core/global-tracer.js';
import { activeContext, SimpleSpanProcessor, Tracer } from '../../../lib/export/index.js';
import {
  InMemorySpanExporter,
  SpanKind,
  SpanStatusCode,
  Traced,
  TracingConfigError,
  type TracedOptions,
} from '../../../lib/index.js';
import { TRACED_METADATA } from '../../../lib/tracing.constants.js';

let exporter: InMemorySpanExporter;
let tracer: Tracer;

beforeEach(() => {
  exporter = new InMemorySpanExporter();
  tracer = new Tracer({
    processor: new SimpleSpanProcessor(exporter),
    resource: { attributes: { 'service.name': 'unit' } },
  });
  setGlobalTracer(tracer);
});

afterEach(() => clearGlobalTracer(tracer));

class Boom extends Error {
  override name = 'Boom';
}

class Calculator {
  factor = 3;

  @Traced()
  times(x: number, y = 1): number {
    return x * this.factor * y;
  }

  @Traced('calc.slow', { kind: SpanKind.CLIENT, attributes: { 'calc.kind': 'slow' } })
  async slowTimes(x: number): Promise<number> {
    await new Promise((r) => setTimeout(r, 2));
    return x * this.factor;
  }

  @Traced()
  fail(): never {
    throw new Boom('sync failure');
  }

  @Traced()
  async failLater(): Promise<never> {
    await Promise.resolve();
    throw new Boom('async failure');
  }

  @Traced()
  stream(n: number): Observable<number> {
    return timer(1).pipe(map(() => n * this.factor));
  }

  @Traced()
  failingStream(): Observable<never> {
    return throwError(() => new Boom('stream failure'));
  }

  @Traced()
  *count(n: number): Generator<number, string> {
    for (let i = 0; i < n; i++) yield i * this.factor;
    return 'done';
  }

  @Traced()
  async *countSlowly(n: number): AsyncGenerator<{ i: number; spanId?: string }> {
    for (let i = 0; i < n; i++) {
      await new Promise((r) => setTimeout(r, 1));
      yield { i, spanId: activeContext().span?.spanContext().spanId };
    }
  }

  @Traced({ recordArguments: true, recordResult: true })
  login(user: { name: string; password: string }): { token: string; ok: boolean } {
    return { token: `secret-for-${user.name}`, ok: true };
  }

  @Traced()
  outer(): string {
    return this.inner();
  }

  @Traced()
  inner(): string {
    return activeContext().span!.spanContext().spanId;
  }
}

describe('@Traced() on methods', () => {
  it('returns the same value for a sync method, with the same this, and records one span', () => {
    const calc = new Calculator();
    expect(calc.times(2, 5)).toBe(30);
    const [span] = exporter.getFinishedSpans();
    expect(span!.name).toBe('Calculator.times');
    expect(span!.kind).toBe(SpanKind.INTERNAL);
    expect(span!.attributes['code.function.name']).toBe('Calculator.times');
    expect(span!.status.code).toBe(SpanStatusCode.UNSET);
  });

  it('keeps a sync method sync', () => {
    const result = new Calculator().times(1);
    expect(typeof result).toBe('number');
  });

  it('keeps the wrapped function name and length', () => {
    expect(Calculator.prototype.times.name).toBe('times');
    expect(Calculator.prototype.times.length).toBe(1);
    expect(Calculator.prototype.slowTimes.length).toBe(1);
  });

  it('returns a Promise from an async method and ends the span when it settles', async () => {
    const promise = new Calculator().slowTimes(4);
    expect(promise).toBeInstanceOf(Promise);
    expect(exporter.getFinishedSpans()).toHaveLength(0);
    await expect(promise).resolves.toBe(12);
    const [span] = exporter.getFinishedSpans();
    expect(span!.name).toBe('calc.slow');
    expect(span!.kind).toBe(SpanKind.CLIENT);
    expect(span!.attributes['calc.kind']).toBe('slow');
    expect(span!.durationMs).toBeGreaterThan(1);
  });

  it('rethrows the same error from a sync method and records it on the span', () => {
    const calc = new Calculator();
    let caught: unknown;
    try {
      calc.fail();
    } catch (error) {
      caught = error;
    }
    expect(caught).toBeInstanceOf(Boom);
    expect((caught as Error).message).toBe('sync failure');
    const [span] = exporter.getFinishedSpans();
    expect(span!.status).toEqual({ code: SpanStatusCode.ERROR, message: 'sync failure' });
    expect(span!.events[0]!.attributes).toMatchObject({
      'exception.type': 'Boom',
      'exception.message': 'sync failure',
    });
    expect(String(span!.events[0]!.attributes!['exception.stacktrace'])).toContain('sync failure');
  });

  it('rejects with the same error from an async method', async () => {
    const calc = new Calculator();
    const promise = calc.failLater();
    await expect(promise).rejects.toBeInstanceOf(Boom);
    const [span] = exporter.getFinishedSpans();
    expect(span!.status.code).toBe(SpanStatusCode.ERROR);
  });

  it('keeps an Observable lazy: no span until subscribed, one span per subscription', async () => {
    const calc = new Calculator();
    const stream = calc.stream(2);
    await new Promise((r) => setTimeout(r, 5));
    expect(exporter.getFinishedSpans()).toHaveLength(0);
    expect(await firstValueFrom(stream)).toBe(6);
    expect(await firstValueFrom(stream)).toBe(6);
    const spans = exporter.getFinishedSpans();
    expect(spans).toHaveLength(2);
    expect(spans[0]!.spanId).not.toBe(spans[1]!.spanId);
    expect(spans.every((s) => s.name === 'Calculator.stream')).toBe(true);
  });

  it('ends an Observable span when the subscriber unsubscribes early', async () => {
    const subscription = new Calculator().stream(1).subscribe();
    subscription.unsubscribe();
    const [span] = exporter.getFinishedSpans();
    expect(span!.name).toBe('Calculator.stream');
    expect(span!.status.code).toBe(SpanStatusCode.UNSET);
  });

  it('records an Observable error and passes the same error on', async () => {
    await expect(firstValueFrom(new Calculator().failingStream())).rejects.toBeInstanceOf(Boom);
    const [span] = exporter.getFinishedSpans();
    expect(span!.status).toEqual({ code: SpanStatusCode.ERROR, message: 'stream failure' });
  });

  it('gives a sync generator one span for the whole iteration', () => {
    const gen = new Calculator().count(3);
    expect(exporter.getFinishedSpans()).toHaveLength(0);
    expect([...gen]).toEqual([0, 3, 6]);
    const spans = exporter.getFinishedSpans();
    expect(spans).toHaveLength(1);
    expect(spans[0]!.name).toBe('Calculator.count');
  });

  it('runs each step of an async generator inside its span and ends it when done', async () => {
    const seen: { i: number; spanId?: string }[] = [];
    for await (const item of new Calculator().countSlowly(3)) seen.push(item);
    const [span] = exporter.getFinishedSpans();
    expect(seen.map((s) => s.i)).toEqual([0, 1, 2]);
    expect(seen.every((s) => s.spanId === span!.spanId)).toBe(true);
  });

  it('ends a generator span when the loop breaks early', async () => {
    for await (const item of new Calculator().countSlowly(10)) {
      if (item.i === 1) break;
    }
    expect(exporter.getFinishedSpans()).toHaveLength(1);
  });

  it('nests a traced call inside another as parent and child', () => {
    const innerSpanId = new Calculator().outer();
    const spans = exporter.getFinishedSpans();
    const outer = spans.find((s) => s.name === 'Calculator.outer')!;
    const inner = spans.find((s) => s.name === 'Calculator.inner')!;
    expect(inner.spanId).toBe(innerSpanId);
    expect(inner.parentSpanId).toBe(outer.spanId);
    expect(inner.traceId).toBe(outer.traceId);
  });

  it('records arguments and results only when asked, with secrets redacted', () => {
    new Calculator().login({ name: 'ada', password: 'hunter2' });
    new Calculator().times(2);
    const [login, times] = exporter.getFinishedSpans();
    expect(login!.attributes['code.function.arguments']).toBe(
      '[{"name":"ada","password":"[REDACTED]"}]',
    );
    expect(login!.attributes['code.function.result']).toBe('{"token":"[REDACTED]","ok":true}');
    expect(JSON.stringify(login!.attributes)).not.toContain('hunter2');
    expect(times!.attributes['code.function.arguments']).toBeUndefined();
  });

  it('calls straight through when no tracer is set up', () => {
    clearGlobalTracer(tracer);
    expect(new Calculator().times(2)).toBe(6);
    expect(exporter.getFinishedSpans()).toHaveLength(0);
  });

  it('calls straight through when the tracer is disabled', () => {
    const disabled = new Tracer({
      enabled: false,
      processor: new SimpleSpanProcessor(exporter),
      resource: { attributes: {} },
    });
    setGlobalTracer(disabled);
    expect(new Calculator().times(2)).toBe(6);
    expect(exporter.getFinishedSpans()).toHaveLength(0);
  });

  it('marks wrapped methods with the traced metadata', () => {
    expect(Reflect.getMetadata(TRACED_METADATA, Calculator.prototype.times)).toEqual({});
  });
});

@Traced()
class Whole {
  constructor(private readonly base = 10) {}

  get doubled(): number {
    return this.base * 2;
  }

  add(x: number): number {
    return this.base + x;
  }

  @Traced('custom.name')
  named(): number {
    return 1;
  }

  static make(): Whole {
    return new Whole();
  }
}

describe('@Traced() on a class', () => {
  it('traces every own method, keeps getters and statics untouched, and lets a method decorator win', () => {
    const w = Whole.make();
    expect(w.add(1)).toBe(11);
    expect(w.doubled).toBe(20);
    expect(w.named()).toBe(1);
    expect(exporter.getFinishedSpans().map((s) => s.name)).toEqual(['Whole.add', 'custom.name']);
  });

  it('keeps instanceof and the constructor working', () => {
    const w = new Whole(1);
    expect(w).toBeInstanceOf(Whole);
    expect(w.add(1)).toBe(2);
  });
});

describe('@Traced() with an Observable that completes synchronously', () => {
  it('ends the span on completion', async () => {
    class S {
      @Traced()
      now(): Observable<number> {
        return of(1);
      }
    }
    await firstValueFrom(new S().now());
    expect(exporter.getFinishedSpans()).toHaveLength(1);
  });
});

/** Methods whose parameter names, not keys, say which arguments are secret. */
class Accounts {
  @Traced({ recordArguments: true })
  checkPassword(user: { name: string }, password: string): boolean {
    return user.name.length > 0 && password.length > 0;
  }

  @Traced({ recordArguments: true })
  async verify(userId: number, pwd = '', otp?: string): Promise<boolean> {
    await Promise.resolve();
    return userId > 0 && pwd !== otp;
  }

  @Traced({ recordArguments: true })
  login({ name, password }: { name: string; password: string }, remember: boolean): string {
    return `${name}:${password.length}:${remember}`;
  }

  @Traced({ recordArguments: true })
  revoke(reason: string, ...refreshTokens: string[]): number {
    return reason.length + refreshTokens.length;
  }

  @Traced({ recordArguments: true })
  *sessions(sessionId: string): Generator<string> {
    yield sessionId.slice(0, 2);
  }

  @Traced({ recordArguments: true })
  store(record: Record<string, unknown>): number {
    return Object.keys(record).length;
  }
}

function argumentsOf(name: string): string {
  const span = exporter.getFinishedSpans().find((s) => s.name === `Accounts.${name}`);
  return span!.attributes['code.function.arguments'] as string;
}

describe('@Traced({ recordArguments: true }) redacts by parameter name', () => {
  it('redacts a positional argument named password', () => {
    expect(new Accounts().checkPassword({ name: 'ada' }, 'hunter2')).toBe(true);
    expect(argumentsOf('checkPassword')).toBe('[{"name":"ada"},"[REDACTED]"]');
  });

  it('reads names with default values and optional parameters (pwd, otp)', async () => {
    await new Accounts().verify(7, 's3cr3t-pwd', '123456');
    expect(argumentsOf('verify')).toBe('[7,"[REDACTED]","[REDACTED]"]');
  });

  it('keeps a destructured position and redacts its secret keys', () => {
    new Accounts().login({ name: 'ada', password: 'hunter2' }, true);
    expect(argumentsOf('login')).toBe('[{"name":"ada","password":"[REDACTED]"},true]');
  });

  it('redacts every argument a secret rest parameter takes', () => {
    new Accounts().revoke('logout', 'rt-1', 'rt-2');
    expect(argumentsOf('revoke')).toBe('["logout","[REDACTED]","[REDACTED]"]');
  });

  it('redacts a generator method argument named sessionId', () => {
    expect([...new Accounts().sessions('abcdef')]).toEqual(['ab']);
    expect(argumentsOf('sessions')).toBe('["[REDACTED]"]');
  });

  it('redacts the common spellings of secret keys, case and separators aside', () => {
    new Accounts().store({
      pwd: 'a1',
      Pwd: 'a2',
      PASSWORD: 'a3',
      user_password: 'a4',
      jwt: 'a5',
      sessionId: 'a6',
      session_id: 'a7',
      'x-api-key': 'a8',
      apikey: 'a9',
      access_token: 'b1',
      id_token: 'b2',
      client_secret: 'b3',
      privateKey: 'b4',
      pin: 'b5',
      cvv: 'b6',
      ssn: 'b7',
      cardNumber: 'b8',
      card_no: 'b9',
      sid: 'c1',
      auth: 'c2',
      credentials: 'c3',
      otp: 'c4',
      // Not secrets: words that only contain a short secret word.
      spinner: 'kept-1',
      author: 'kept-2',
      passenger: 'kept-3',
      className: 'kept-4',
    });
    const recorded = JSON.parse(argumentsOf('store')) as [Record<string, string>];
    const kept = Object.entries(recorded[0]).filter(([, v]) => v !== '[REDACTED]');
    expect(Object.fromEntries(kept)).toEqual({
      spinner: 'kept-1',
      author: 'kept-2',
      passenger: 'kept-3',
      className: 'kept-4',
    });
  });
});

describe('@Traced() options', () => {
  it.each([
    [
      { recordArgs: true },
      '@Traced(): unknown option "recordArgs"; known options are name, kind, attributes, recordArguments, recordResult, genAi (did you mean "recordArguments"?).',
    ],
    [
      { spanName: 'x' },
      '@Traced(): unknown option "spanName"; known options are name, kind, attributes, recordArguments, recordResult, genAi (did you mean "name"?).',
    ],
  ])('refuses %j when the class is defined, naming the key', (options, message) => {
    const decorate = () => Traced(options as TracedOptions);
    expect(decorate).toThrow(TracingConfigError);
    expect(decorate).toThrow(message);
    expect(() => Traced('name', options as TracedOptions)).toThrow(message);
  });
});
