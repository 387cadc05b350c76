import { isSecretName } from '../core/secret-names.js';

/** One position of a parameter list, as its source declares it. */
export interface ParameterName {
  /** Undefined for a destructured position. */
  readonly name: string | undefined;
  /** `...rest`: the name covers this position and every one after it. */
  readonly rest: boolean;
}

const IDENTIFIER = /^[\p{ID_Start}$_][\p{ID_Continue}$\u200c\u200d]*/u;
const SINGLE_PARAM_ARROW = /^(?:async\s+)?([\p{ID_Start}$_][\p{ID_Continue}$\u200c\u200d]*)\s*=>/u;
const OPENERS: Readonly<Record<string, string>> = { '(': ')', '[': ']', '{': '}' };

/**
 * A function's parameters as its source declares them: one entry per position, with the
 * name when the position has one (`password`, `password = ''`, `...tokens`) and none when
 * it is destructured (`{ password }`, `[a, b]`). Read from `fn.toString()`: methods, plain
 * and async functions, generators, arrows, computed and quoted method names, and what
 * tsc and swc emit. Undefined when the source is not understood (native or bound
 * functions, unexpected shapes): callers then fall back to redacting by key only.
 */
export function parameterNames(fn: Function): readonly ParameterName[] | undefined {
  let source: string;
  try {
    source = Function.prototype.toString.call(fn);
  } catch {
    return undefined;
  }
  if (source.includes('[native code]')) return undefined;
  const arrow = SINGLE_PARAM_ARROW.exec(source);
  if (arrow !== null) return [{ name: arrow[1], rest: false }];
  const open = parameterListStart(source);
  if (open === -1) return undefined;
  const outer = splitTopLevel(source, open);
  if (outer === undefined) return undefined;
  // Async functions lowered by tsc (`check(user_1) { return __awaiter(this, arguments, void 0,
  // function* (user, password = '') {`) or swc (`check(_0) { return _async_to_generator(
  // function*(user, password = '') {...}).apply(this, arguments)`) keep the real list inside.
  const params = outer.parts.map(describe);
  const delegate = DELEGATING_BODY.exec(source.slice(outer.end));
  if (delegate !== null) {
    const inner = splitTopLevel(source, outer.end + delegate[0].length - 1)?.parts.map(describe);
    if (inner !== undefined && isLoweredCopy(params, inner)) return inner;
  }
  return params;
}

/** `return helper(this, arguments, P, function* (` (tsc) or `return helper(function* (` (swc). */
const DELEGATING_BODY =
  /^\s*\{\s*return\s+[\w$.]+\(\s*(?:this\s*,\s*arguments\s*,\s*(?:void 0|[\w$.]+)\s*,\s*)?function\s*\*?\s*[\w$]*\s*\(/;
const COMPILER_SUFFIX = /_\d+$/;

/**
 * True when the outer list is what a compiler left of the inner one: swc's `_0`, tsc's
 * `user_1` for `user`, position by position. A method of the user's own that returns a
 * generator callback keeps its own names.
 */
function isLoweredCopy(outer: readonly ParameterName[], inner: readonly ParameterName[]): boolean {
  if (outer.length > inner.length) return false;
  return outer.every(
    (param, i) =>
      param.name !== undefined &&
      (/^_\d+$/.test(param.name) || param.name.replace(COMPILER_SUFFIX, '') === inner[i]!.name),
  );
}

/** Index of the `(` that opens the parameter list, skipping a computed or quoted name. */
function parameterListStart(source: string): number {
  for (let i = 0; i < source.length; i++) {
    const c = source[i]!;
    if (c === '(') return i;
    if (c === '[') {
      const end = skipGroup(source, i);
      if (end === -1) return -1;
      i = end - 1;
    } else if (c === '"' || c === "'" || c === '`') {
      i = skipString(source, i) - 1;
    } else if (c === '{' || c === ')' || c === '=') {
      // A body or arrow before any parameter list: not a shape this reader knows.
      return -1;
    }
  }
  return -1;
}

/**
 * The parameter list's top-level comma-separated parts, comments removed, and the index
 * after its `)`; undefined if cut.
 */
function splitTopLevel(source: string, open: number): { parts: string[]; end: number } | undefined {
  const parts: string[] = [];
  let current = '';
  for (let i = open + 1; i < source.length; i++) {
    const c = source[i]!;
    if (c === ')') {
      if (current.trim() !== '' || parts.length > 0) parts.push(current);
      return { parts, end: i + 1 };
    }
    if (c === ',') {
      parts.push(current);
      current = '';
      continue;
    }
    const end = skipToken(source, i);
    if (end === -1) return undefined;
    // Comments count as nothing; anything else is kept as written.
    if (!(c === '/' && (source[i + 1] === '/' || source[i + 1] === '*'))) {
      current += source.slice(i, end);
    }
    i = end - 1;
  }
  return undefined;
}

/** Index after the token starting at `i`: a group, string, comment or single character. */
function skipToken(source: string, i: number): number {
  const c = source[i]!;
  if (OPENERS[c] !== undefined) return skipGroup(source, i);
  if (c === '"' || c === "'" || c === '`') return skipString(source, i);
  if (c === '/' && source[i + 1] === '/') {
    const end = source.indexOf('\n', i);
    return end === -1 ? -1 : end + 1;
  }
  if (c === '/' && source[i + 1] === '*') {
    const end = source.indexOf('*/', i + 2);
    return end === -1 ? -1 : end + 2;
  }
  return i + 1;
}

/** Index after the bracket group opening at `start`; -1 when it never closes. */
function skipGroup(source: string, start: number): number {
  const close = OPENERS[source[start]!]!;
  for (let i = start + 1; i < source.length; i++) {
    if (source[i] === close) return i + 1;
    const end = skipToken(source, i);
    if (end === -1) return -1;
    i = end - 1;
  }
  return -1;
}

/** Index after the string or template literal opening at `start` (`${}` parts skipped). */
function skipString(source: string, start: number): number {
  const quote = source[start]!;
  for (let i = start + 1; i < source.length; i++) {
    const c = source[i];
    if (c === '\\') i++;
    else if (c === quote) return i + 1;
    else if (quote === '`' && c === '$' && source[i + 1] === '{') {
      const end = skipGroup(source, i + 1);
      if (end === -1) return source.length;
      i = end - 1;
    }
  }
  return source.length;
}

function describe(segment: string): ParameterName {
  let text = segment.trim();
  const rest = text.startsWith('...');
  if (rest) text = text.slice(3).trimStart();
  const name = IDENTIFIER.exec(text)?.[0];
  return { name, rest };
}

/**
 * The argument positions whose parameter name says they hold a secret (`password`,
 * `...tokens` for every position from its own on). Undefined when none does, so a call
 * pays nothing more than before.
 */
export function secretArgumentPositions(fn: Function): SecretArgumentPositions | undefined {
  const params = parameterNames(fn);
  if (params === undefined) return undefined;
  const positions: boolean[] = [];
  let restFrom: number | undefined;
  params.forEach((param, index) => {
    const secret = param.name !== undefined && isSecretName(param.name);
    positions.push(secret);
    if (secret && param.rest) restFrom = index;
  });
  if (!positions.includes(true)) return undefined;
  return { positions, restFrom };
}

export interface SecretArgumentPositions {
  readonly positions: readonly boolean[];
  /** Set when a secret `...rest` parameter holds this position and every later one. */
  readonly restFrom: number | undefined;
}
