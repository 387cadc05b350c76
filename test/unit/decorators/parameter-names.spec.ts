import { transformSync } from '@swc/core';
import ts from 'typescript';
import { describe, expect, it } from 'vitest';
import {
  parameterNames,
  secretArgumentPositions,
} from '../../../lib/decorators/parameter-names.js';

/** Names only, `...` marking a rest parameter and `?` a destructured position. */
function names(fn: Function): string[] | undefined {
  return parameterNames(fn)?.map((p) => (p.rest ? '...' : '') + (p.name ?? '?'));
}

/** A function from its source text, as a bundler or minifier would have written it. */
function fromSource(code: string): Function {
  return new Function(`return ${code}`)() as Function;
}

/** The `check` method of a class compiled from TypeScript source by tsc or swc. */
function compiled(code: string): Function {
  const exports: Record<string, unknown> = {};
  new Function('exports', 'require', code)(exports, () => ({}));
  const ctor = exports.Accounts as { prototype: Record<string, Function> };
  return ctor.prototype.check!;
}

const SOURCE = `
export class Accounts {
  async check(user: { name: string }, password: string = 'x', { pin }: { pin: string } = { pin: '' }, ...tokens: string[]): Promise<boolean> {
    return user.name.length + password.length + pin.length + tokens.length > 0;
  }
}`;

describe('parameterNames', () => {
  it('reads methods, defaults, destructuring, rest and comments', () => {
    class C {
      m(
        a: number,
        password = '(,)',
        { x }: { x: number } = { x: 1 },
        [y]: number[] = [],
        ...rest: unknown[]
      ) {
        return [a, password, x, y, rest];
      }
      async /* why */ n(
        /* a, b */ first: string, // c, d
        second = `t${'(,'})`,
      ) {
        return first + second;
      }
      *['computed(x)'](token: string) {
        yield token;
      }
    }
    expect(names(C.prototype.m)).toEqual(['a', 'password', '?', '?', '...rest']);
    expect(names(C.prototype.n)).toEqual(['first', 'second']);
    expect(names((C.prototype as unknown as Record<string, Function>)['computed(x)']!)).toEqual([
      'token',
    ]);
  });

  it('reads plain functions, arrows and a single unparenthesised arrow parameter', () => {
    expect(
      names(function named(a: number, b: number) {
        return a + b;
      }),
    ).toEqual(['a', 'b']);
    expect(names(async (jwt: string, n = 2) => jwt.repeat(n))).toEqual(['jwt', 'n']);
    expect(names(new Function('secret', 'return secret'))).toEqual(['secret']);
    expect(names(fromSource('(pwd => pwd)'))).toEqual(['pwd']);
    expect(names(() => 1)).toEqual([]);
  });

  it('reads what tsc emits, down to ES5 (where the rest parameter is lost and so not named)', () => {
    const expected = new Map([
      [ts.ScriptTarget.ES2022, ['user', 'password', '?', '...tokens']],
      // `check(user_1) { return __awaiter(this, arguments, void 0, function* (user, ...`
      [ts.ScriptTarget.ES2015, ['user', 'password', '?', '...tokens']],
      // `__awaiter(this, arguments, Promise, function (user, password, _a) {`: `_a` is tsc's.
      [ts.ScriptTarget.ES5, ['user', 'password', '_a']],
    ]);
    for (const [target, list] of expected) {
      const out = ts.transpileModule(SOURCE, {
        compilerOptions: { target, module: ts.ModuleKind.CommonJS },
      }).outputText;
      expect(names(compiled(out))).toEqual(list);
    }
  });

  it('reads what swc emits, down to ES5 (where only the first parameter keeps its name)', () => {
    const expected = new Map([
      ['es2022', ['user', 'password', '?', '...tokens']],
      // `check(_0) { return _async_to_generator(function*(user, ...) {...}).apply(this, arguments)`
      ['es2015', ['user', 'password', '?', '...tokens']],
      // Defaults and rest read from `arguments` in the body: those positions stay unnamed.
      ['es5', ['user']],
    ] as const);
    for (const [target, list] of expected) {
      const out = transformSync(SOURCE, {
        jsc: { target, parser: { syntax: 'typescript' } },
        module: { type: 'commonjs' },
      }).code;
      expect(names(compiled(out))).toEqual(list);
    }
  });

  it("keeps a method's own names when it returns a helper call with a generator callback", () => {
    const source =
      '(function login(user, password) { return co(function* (client, done) { yield client; }); })';
    expect(names(fromSource(source))).toEqual(['user', 'password']);
    const tscLike =
      '(function check(user_1) { return __awaiter(this, arguments, void 0, function* (user, pin = 1) {}); })';
    expect(names(fromSource(tscLike))).toEqual(['user', 'pin']);
  });

  it('gives minified and native functions no names that could match, or none at all', () => {
    expect(names(fromSource('(function(e,t,n){return e+t+n})'))).toEqual(['e', 't', 'n']);
    expect(parameterNames(Math.max)).toBeUndefined();
    expect(
      parameterNames(
        function (this: { k: number }, password: number) {
          return password + this.k;
        }.bind({ k: 1 }),
      ),
    ).toBeUndefined();
    expect(secretArgumentPositions(fromSource('(function(e,t){return e+t})'))).toBeUndefined();
  });

  it('marks secret positions, and a secret rest parameter from its position on', () => {
    expect(secretArgumentPositions((user: string, password: string) => user + password)).toEqual({
      positions: [false, true],
      restFrom: undefined,
    });
    expect(
      secretArgumentPositions((reason: string, ...apiKeys: string[]) => reason + apiKeys.length),
    ).toEqual({ positions: [false, true], restFrom: 1 });
    expect(secretArgumentPositions((a: number, b: number) => a + b)).toBeUndefined();
  });
});
