/** Which quoting rules a statement follows: MySQL reads "..." as a string, PostgreSQL as a name. */
export type SqlDialect = 'postgresql' | 'mysql';

const MAX_TEXT = 4096;

/**
 * The statement with every literal replaced by `?`: strings, numbers, hex and dollar-quoted
 * bodies; comments removed. Names (quoted or not), keywords and placeholders ($1, ?, :name)
 * stay, so two calls that differ only in values have the same text.
 */
export function sanitizeSql(text: string, dialect: SqlDialect): string {
  const source = text.length > MAX_TEXT * 4 ? text.slice(0, MAX_TEXT * 4) : text;
  let out = '';
  let i = 0;
  const n = source.length;
  while (i < n) {
    const c = source[i]!;
    const next = source[i + 1];
    if (c === '-' && next === '-') {
      while (i < n && source[i] !== '\n') i++;
      out += ' ';
      continue;
    }
    if (c === '#' && dialect === 'mysql') {
      while (i < n && source[i] !== '\n') i++;
      out += ' ';
      continue;
    }
    if (c === '/' && next === '*') {
      const end = source.indexOf('*/', i + 2);
      i = end < 0 ? n : end + 2;
      out += ' ';
      continue;
    }
    if (c === "'" || (c === '"' && dialect === 'mysql')) {
      i = skipQuoted(source, i, c, dialect === 'mysql' || isEscapeString(source, i));
      out = dropStringPrefix(out);
      out += '?';
      continue;
    }
    if (c === '"' || c === '`') {
      const end = skipQuoted(source, i, c, false);
      out += source.slice(i, end);
      i = end;
      continue;
    }
    if (c === '$' && dialect === 'postgresql') {
      const tag = /^\$([A-Za-z_][A-Za-z0-9_]*)?\$/.exec(source.slice(i, i + 64));
      if (tag) {
        const end = source.indexOf(tag[0], i + tag[0].length);
        i = end < 0 ? n : end + tag[0].length;
        out += '?';
        continue;
      }
      // $1: a placeholder, kept whole.
      let j = i + 1;
      while (j < n && isDigit(source[j]!)) j++;
      out += source.slice(i, j);
      i = j;
      continue;
    }
    if (isDigit(c) || (c === '.' && next !== undefined && isDigit(next))) {
      if (i > 0 && isWordChar(source[i - 1]!)) {
        // Part of a name (table1, col_2).
        out += c;
        i++;
        continue;
      }
      i = skipNumber(source, i);
      out += '?';
      continue;
    }
    if (isWordChar(c)) {
      let j = i + 1;
      while (j < n && isWordChar(source[j]!)) j++;
      out += source.slice(i, j);
      i = j;
      continue;
    }
    out += c;
    i++;
  }
  out = out.replace(/\s+/g, ' ').trim();
  return out.length > MAX_TEXT ? out.slice(0, MAX_TEXT) : out;
}

/** E'...' (PostgreSQL escape string): backslashes escape the quote. */
function isEscapeString(source: string, i: number): boolean {
  const p = source[i - 1];
  return (p === 'E' || p === 'e') && (i < 2 || !isWordChar(source[i - 2]!));
}

/** The prefix of a typed or escape string (E'', N'', X'', B'') goes with its value. */
function dropStringPrefix(out: string): string {
  const m = /(^|[^A-Za-z0-9_$])([EeNnXxBb])$/.exec(out);
  return m ? out.slice(0, out.length - 1) : out;
}

function skipQuoted(source: string, start: number, quote: string, backslash: boolean): number {
  let i = start + 1;
  while (i < source.length) {
    const c = source[i];
    if (backslash && c === '\\') {
      i += 2;
      continue;
    }
    if (c === quote) {
      if (source[i + 1] === quote) {
        i += 2;
        continue;
      }
      return i + 1;
    }
    i++;
  }
  return source.length;
}

function skipNumber(source: string, start: number): number {
  let i = start;
  if (source[i] === '0' && (source[i + 1] === 'x' || source[i + 1] === 'X')) {
    i += 2;
    while (i < source.length && /[0-9a-fA-F]/.test(source[i]!)) i++;
    return i;
  }
  while (i < source.length && (isDigit(source[i]!) || source[i] === '.')) i++;
  if (source[i] === 'e' || source[i] === 'E') {
    let j = i + 1;
    if (source[j] === '+' || source[j] === '-') j++;
    if (isDigit(source[j] ?? '')) {
      i = j;
      while (i < source.length && isDigit(source[i]!)) i++;
    }
  }
  return i;
}

function isDigit(c: string): boolean {
  return c >= '0' && c <= '9';
}

function isWordChar(c: string): boolean {
  return (
    (c >= 'a' && c <= 'z') ||
    (c >= 'A' && c <= 'Z') ||
    isDigit(c) ||
    c === '_' ||
    c === '$' ||
    c > '\x7f'
  );
}

const OPERATIONS = new Set([
  'SELECT',
  'INSERT',
  'UPDATE',
  'DELETE',
  'MERGE',
  'UPSERT',
  'REPLACE',
  'CREATE',
  'DROP',
  'ALTER',
  'TRUNCATE',
  'BEGIN',
  'START',
  'COMMIT',
  'ROLLBACK',
  'SAVEPOINT',
  'RELEASE',
  'CALL',
  'EXEC',
  'EXECUTE',
  'SHOW',
  'SET',
  'WITH',
  'EXPLAIN',
  'VACUUM',
  'ANALYZE',
  'COPY',
  'GRANT',
  'REVOKE',
  'LOCK',
  'USE',
  'DESCRIBE',
  'PREPARE',
  'LISTEN',
  'NOTIFY',
  'DO',
  'VALUES',
]);

/** Keywords after which a statement names the table it works on. */
const TARGET_AFTER = new Set(['FROM', 'JOIN', 'INTO', 'UPDATE', 'TABLE']);

const MAX_TARGETS = 3;

/** What a statement does, for the span name and `db.operation.name` / `db.collection.name`. */
export interface SqlShape {
  /** The first keyword, upper case (`SELECT`); undefined when none is recognised. */
  readonly operation: string | undefined;
  /** The tables named after FROM, JOIN, INTO, UPDATE, TABLE, in order, without duplicates. */
  readonly tables: readonly string[];
  /** `db.query.summary`: the operation and its tables (`SELECT users orders`). */
  readonly summary: string | undefined;
}

/** Reads a (sanitized) statement's operation and tables; never throws. */
export function sqlShape(text: string): SqlShape {
  // A name is one or more parts joined by dots, each quoted or not ("public"."users").
  const words =
    text.match(
      /(?:"[^"]*"|`[^`]*`|\[[^\]]*\]|[A-Za-z_][A-Za-z0-9_$]*)(?:\.(?:"[^"]*"|`[^`]*`|\[[^\]]*\]|[A-Za-z_][A-Za-z0-9_$]*))*|\(/g,
    ) ?? [];
  let operation: string | undefined;
  const tables: string[] = [];
  for (let i = 0; i < words.length; i++) {
    const upper = words[i]!.toUpperCase();
    if (operation === undefined) {
      if (upper === '(') continue;
      if (!OPERATIONS.has(upper)) break;
      operation = upper;
    }
    if (
      operation === 'WITH' &&
      (upper === 'SELECT' || upper === 'INSERT' || upper === 'UPDATE' || upper === 'DELETE')
    ) {
      // The statement a CTE leads to; the CTE's own name is not a table.
      operation = upper;
    }
    if (!TARGET_AFTER.has(upper)) continue;
    let target = words[i + 1];
    if (target === undefined || target === '(') continue;
    if (/^(ONLY|IGNORE|LOW_PRIORITY|IF)$/i.test(target)) {
      target = words[i + (/^IF$/i.test(target) ? 4 : 2)];
      if (target === undefined || target === '(') continue;
    }
    if (OPERATIONS.has(target.toUpperCase()) || TARGET_AFTER.has(target.toUpperCase())) continue;
    const name = unquote(target);
    if (!tables.includes(name) && tables.length < MAX_TARGETS) tables.push(name);
  }
  const summary =
    operation === undefined ? undefined : [operation, ...tables].join(' ').slice(0, 255);
  return { operation, tables, summary };
}

function unquote(name: string): string {
  return name
    .split('.')
    .map((part) => part.replace(/^["`[](.*)["`\]]$/, '$1'))
    .join('.');
}
