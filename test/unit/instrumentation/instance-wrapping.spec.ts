import { Get, Injectable, Module, SetMetadata } from '@nestjs/common';
import { ModulesContainer } from '@nestjs/core';
import { Observable } from 'rxjs';
import { describe, expect, it, vi } from 'vitest';
import { runSuppressed } from '../../../lib/core/trace-context.js';
import {
  AlwaysOffSampler,
  createTracingInstrument,
  InMemorySpanExporter,
  NoTrace,
  SpanStatusCode,
  Traced,
  type TracingInstrumentOptions,
} from '../../../lib/index.js';
import { runWithContext, SimpleSpanProcessor, Tracer } from '../../../lib/export/index.js';

const ROLE = 'test:role';

@Injectable()
class Accounts {
  #balance = 10;
  private readonly sym = Symbol.for('accounts');

  get balance(): number {
    return this.#balance;
  }

  set balance(value: number) {
    this.#balance = value;
  }

  deposit(amount: number): number {
    this.#balance += amount;
    return this.#balance;
  }

  async withdraw(amount: number): Promise<number> {
    if (amount > this.#balance) throw new Error('insufficient funds');
    this.#balance -= amount;
    return this.#balance;
  }

  @Get('statement')
  @SetMetadata(ROLE, 'auditor')
  statement(): string {
    return `balance ${this.balance}`;
  }

  [Symbol.iterator](): Iterator<number> {
    return [this.#balance][Symbol.iterator]();
  }

  tag(): symbol {
    return this.sym;
  }

  changes(): Observable<number> {
    return new Observable((subscriber) => {
      subscriber.next(this.#balance);
      subscriber.complete();
    });
  }

  describe = (): string => `accounts holding ${this.#balance}`;

  @NoTrace()
  secret(): string {
    return 'untraced';
  }

  @Traced('accounts.audit')
  audit(): string {
    return 'audited';
  }
}

@NoTrace()
@Injectable()
class Quiet {
  hush(): string {
    return 'shh';
  }
}

@Traced(false)
@Injectable()
class AlsoQuiet {
  hush(): string {
    return 'shh';
  }
}

@Module({})
class BankModule {}

/** A container holding the test's classes, as Nest's would after bootstrap. */
function container(...classes: Function[]): ModulesContainer {
  const modules = new ModulesContainer();
  const providers = new Map(classes.map((c) => [c, { metatype: c }]));
  modules.set('bank', {
    name: 'BankModule',
    metatype: BankModule,
    providers,
    controllers: new Map(),
    injectables: new Map(),
    middlewares: new Map(),
  } as never);
  return modules;
}

function setup(options?: TracingInstrumentOptions, sampled = true) {
  const exporter = new InMemorySpanExporter();
  const tracer = new Tracer({
    processor: new SimpleSpanProcessor(exporter),
    resource: { attributes: {} },
    ...(sampled ? {} : { sampler: new AlwaysOffSampler() }),
  });
  const instrument = createTracingInstrument(options);
  instrument.instanceDecorator(container(Accounts, Quiet, AlsoQuiet));
  /** Runs `fn` as a traced request would: inside a context with an active server span. */
  const inRequest = <R>(fn: () => R): R =>
    runWithContext(tracer.createContext(undefined, undefined, undefined), () =>
      tracer.startActiveSpan('request', (span) => {
        try {
          return fn();
        } finally {
          span.end();
        }
      }),
    );
  const names = () =>
    exporter
      .getFinishedSpans()
      .map((s) => s.name)
      .filter((n) => n !== 'request');
  return { exporter, instrument, inRequest, names, tracer };
}

describe('instance wrapping', () => {
  it('returns the same object, so instanceof, constructor and prototype are unchanged', () => {
    const { instrument } = setup();
    const accounts = new Accounts();
    expect(instrument.instanceDecorator(accounts)).toBe(accounts);
    expect(accounts).toBeInstanceOf(Accounts);
    expect(accounts.constructor).toBe(Accounts);
    expect(Object.getPrototypeOf(accounts)).toBe(Accounts.prototype);
    expect(Object.keys(accounts)).toEqual(['sym', 'describe']);
  });

  it('turns a method call inside a request into a span with this and private fields working', async () => {
    const { instrument, inRequest, exporter } = setup();
    const accounts = instrument.instanceDecorator(new Accounts()) as Accounts;
    expect(inRequest(() => accounts.deposit(5))).toBe(15);
    await expect(inRequest(() => accounts.withdraw(3))).resolves.toBe(12);
    const [deposit, withdraw] = exporter.getFinishedSpans().filter((s) => s.name !== 'request');
    expect(deposit!.name).toBe('Accounts.deposit');
    expect(deposit!.attributes).toMatchObject({
      'code.function.name': 'Accounts.deposit',
      'code.namespace': 'Accounts',
      'nestjs.type': 'provider',
      'nestjs.module': 'BankModule',
    });
    expect(withdraw!.name).toBe('Accounts.withdraw');
  });

  it('keeps sync results sync and rethrows errors unchanged, recording them on the span', async () => {
    const { instrument, inRequest, exporter } = setup();
    const accounts = instrument.instanceDecorator(new Accounts()) as Accounts;
    const result = inRequest(() => accounts.withdraw(100));
    expect(result).toBeInstanceOf(Promise);
    await expect(result).rejects.toThrow('insufficient funds');
    const span = exporter.findSpan('Accounts.withdraw')!;
    expect(span.status).toEqual({ code: SpanStatusCode.ERROR, message: 'insufficient funds' });
  });

  it('never calls getters or setters while wrapping, and they keep working', () => {
    const { instrument, inRequest } = setup();
    let reads = 0;
    class Watched extends Accounts {
      override get balance(): number {
        reads++;
        return super.balance;
      }

      override set balance(value: number) {
        super.balance = value;
      }
    }
    const watched = instrument.instanceDecorator(new Watched()) as Watched;
    expect(reads).toBe(0);
    inRequest(() => {
      watched.balance = 40;
      expect(watched.balance).toBe(40);
    });
    expect(reads).toBe(1);
    expect(Object.hasOwn(watched, 'balance')).toBe(false);
    expect(Object.hasOwn(watched, 'deposit')).toBe(true);
  });

  it('leaves symbol-keyed methods alone and working', () => {
    const { instrument, inRequest, names } = setup();
    const accounts = instrument.instanceDecorator(new Accounts()) as Accounts;
    inRequest(() => {
      expect([...accounts]).toEqual([10]);
      expect(accounts.tag()).toBe(Symbol.for('accounts'));
    });
    expect(Object.hasOwn(accounts, Symbol.iterator)).toBe(false);
    expect(names()).toEqual(['Accounts.tag']);
  });

  it('keeps Nest metadata on the wrapped method', () => {
    const { instrument } = setup();
    const accounts = instrument.instanceDecorator(new Accounts()) as Accounts;
    expect(accounts.statement).not.toBe(Accounts.prototype.statement);
    expect(Reflect.getMetadata(ROLE, accounts.statement)).toBe('auditor');
    expect(Reflect.getMetadata('path', accounts.statement)).toBe('statement');
    expect(accounts.statement.name).toBe('statement');
  });

  it('gives arrow-function fields a span and keeps an Observable lazy, one span per subscription', () => {
    const { instrument, inRequest, names } = setup();
    const accounts = instrument.instanceDecorator(new Accounts()) as Accounts;
    const values: number[] = [];
    inRequest(() => {
      expect(accounts.describe()).toBe('accounts holding 10');
      const changes = accounts.changes();
      expect(names()).toEqual(['Accounts.describe']);
      changes.subscribe((v) => values.push(v));
      changes.subscribe((v) => values.push(v));
    });
    expect(values).toEqual([10, 10]);
    expect(names()).toEqual(['Accounts.describe', 'Accounts.changes', 'Accounts.changes']);
  });

  it('creates no span outside a request, in a context with no span, or in the library’s own work', () => {
    const { instrument, exporter, tracer, inRequest } = setup();
    const accounts = instrument.instanceDecorator(new Accounts()) as Accounts;
    expect(accounts.deposit(1)).toBe(11);
    runWithContext(tracer.createContext(undefined, 'job', undefined), () => accounts.deposit(1));
    inRequest(() => runSuppressed(() => accounts.deposit(1)));
    expect(exporter.getFinishedSpans().map((s) => s.name)).toEqual(['request']);
  });

  it('does no span work at all inside an unsampled request', () => {
    const { instrument, exporter, tracer, inRequest } = setup(undefined, false);
    const accounts = instrument.instanceDecorator(new Accounts()) as Accounts;
    inRequest(() => {
      const startSpan = vi.spyOn(tracer, 'startSpan');
      expect(accounts.deposit(1)).toBe(11);
      expect(startSpan).not.toHaveBeenCalled();
    });
    expect(exporter.getFinishedSpans()).toEqual([]);
  });

  it('skips methods and classes marked @NoTrace() or @Traced(false), and does not trace a @Traced() method twice', () => {
    const { instrument, inRequest, names } = setup();
    const accounts = instrument.instanceDecorator(new Accounts()) as Accounts;
    const quiet = instrument.instanceDecorator(new Quiet()) as Quiet;
    const alsoQuiet = instrument.instanceDecorator(new AlsoQuiet()) as AlsoQuiet;
    inRequest(() => {
      expect(accounts.secret()).toBe('untraced');
      expect(accounts.audit()).toBe('audited');
      expect(quiet.hush()).toBe('shh');
      expect(alsoQuiet.hush()).toBe('shh');
    });
    expect(names()).toEqual(['accounts.audit']);
    expect(Object.hasOwn(quiet, 'hush')).toBe(false);
  });

  it('returns a Proxy untouched without running any of its traps', () => {
    const { instrument } = setup();
    const trapped: string[] = [];
    const proxy = new Proxy(
      {},
      new Proxy(
        {},
        {
          get(_target, trap: string) {
            trapped.push(trap);
            return () => {
              throw new Error('no context: cannot touch this provider');
            };
          },
        },
      ),
    );
    expect(instrument.instanceDecorator(proxy)).toBe(proxy);
    expect(trapped).toEqual([]);
  });

  it('returns frozen objects, plain objects, functions and primitives unchanged', () => {
    const { instrument } = setup();
    const frozen = Object.freeze(new Accounts());
    const fn = Accounts.prototype.deposit;
    const plain = { run: () => 1 };
    expect(instrument.instanceDecorator(frozen)).toBe(frozen);
    expect(instrument.instanceDecorator(fn)).toBe(fn);
    expect(instrument.instanceDecorator(plain)).toBe(plain);
    expect(Object.hasOwn(plain, 'run')).toBe(true);
    expect(instrument.instanceDecorator(42)).toBe(42);
    expect(instrument.instanceDecorator(undefined)).toBeUndefined();
  });

  it('does not even wrap a class registered only in a framework module', () => {
    const { instrument, inRequest, names } = setup({ frameworkModules: ['BankModule'] });
    const accounts = instrument.instanceDecorator(new Accounts()) as Accounts;
    expect(Object.hasOwn(accounts, 'deposit')).toBe(false);
    inRequest(() => accounts.deposit(1));
    expect(names()).toEqual([]);
  });

  it('decides at the first traced call for a class the container did not register', () => {
    const { instrument, inRequest, names } = setup();
    class MadeByFactory {
      work(): string {
        return 'done';
      }
    }
    const made = instrument.instanceDecorator(new MadeByFactory()) as MadeByFactory;
    expect(Object.hasOwn(made, 'work')).toBe(true);
    inRequest(() => made.work());
    // Not registered in any module: treated as framework code, no span.
    expect(names()).toEqual([]);
  });
});
