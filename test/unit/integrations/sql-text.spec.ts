import { describe, expect, it } from 'vitest';
import { sanitizeSql, sqlShape } from '../../../lib/integrations/sql-text.js';

describe('sanitizeSql', () => {
  it.each([
    [
      "SELECT * FROM users WHERE name = 'O''Brien' AND age > 42",
      'SELECT * FROM users WHERE name = ? AND age > ?',
    ],
    ['SELECT * FROM t1 WHERE id = $1 AND v = 3.5e10', 'SELECT * FROM t1 WHERE id = $1 AND v = ?'],
    ["SELECT E'it\\'s' , x'ff', 0xFF, -7", 'SELECT ? , ?, ?, -?'],
    ['SELECT $body$ secret $body$, $$x$$', 'SELECT ?, ?'],
    [
      'SELECT "Col1" FROM "My Table" -- pw=hunter2\nWHERE a = 1 /* secret */',
      'SELECT "Col1" FROM "My Table" WHERE a = ?',
    ],
    [
      "INSERT INTO orders (id, note) VALUES (10, 'a'), (11, 'b')",
      'INSERT INTO orders (id, note) VALUES (?, ?), (?, ?)',
    ],
  ])('postgresql: %s', (input, expected) => {
    expect(sanitizeSql(input, 'postgresql')).toBe(expected);
  });

  it.each([
    [
      'SELECT * FROM `users` WHERE name = "bob" # tail secret\nAND id = 5',
      'SELECT * FROM `users` WHERE name = ? AND id = ?',
    ],
    ["UPDATE t SET s = 'a\\'b' WHERE id = ?", 'UPDATE t SET s = ? WHERE id = ?'],
  ])('mysql: %s', (input, expected) => {
    expect(sanitizeSql(input, 'mysql')).toBe(expected);
  });

  it('never lets a literal through, whatever the quoting', () => {
    const secret = 'S3cr3t-value';
    for (const text of [
      `SELECT '${secret}'`,
      `SELECT E'${secret}'`,
      `SELECT $$${secret}$$`,
      `SELECT 1 /* ${secret} */`,
      `SELECT 1 -- ${secret}`,
      `SELECT '${secret}`, // unterminated
    ]) {
      expect(sanitizeSql(text, 'postgresql')).not.toContain(secret);
      expect(sanitizeSql(text.replace('$$', "'").replace('$$', "'"), 'mysql')).not.toContain(
        secret,
      );
    }
  });
});

describe('sqlShape', () => {
  it.each([
    ['SELECT * FROM users WHERE id = ?', 'SELECT', ['users'], 'SELECT users'],
    [
      'select u.id from public.users u join orders o on o.uid = u.id',
      'SELECT',
      ['public.users', 'orders'],
      'SELECT public.users orders',
    ],
    ['UPDATE "users" SET a = ?', 'UPDATE', ['users'], 'UPDATE users'],
    // Prisma quotes every part of a schema-qualified name.
    [
      'SELECT "public"."members"."id" FROM "public"."members" WHERE "public"."members"."email" = $1',
      'SELECT',
      ['public.members'],
      'SELECT public.members',
    ],
    [
      'INSERT INTO "public"."members" ("email") VALUES ($1)',
      'INSERT',
      ['public.members'],
      'INSERT public.members',
    ],
    ['INSERT INTO orders (id) VALUES (?)', 'INSERT', ['orders'], 'INSERT orders'],
    ['DELETE FROM only t WHERE x', 'DELETE', ['t'], 'DELETE t'],
    ['CREATE TABLE IF NOT EXISTS items (id int)', 'CREATE', ['items'], 'CREATE items'],
    [
      'WITH recent AS (SELECT * FROM events) SELECT * FROM recent',
      'SELECT',
      ['events', 'recent'],
      'SELECT events recent',
    ],
    ['BEGIN', 'BEGIN', [], 'BEGIN'],
    ['hello world', undefined, [], undefined],
  ])('%s', (text, operation, tables, summary) => {
    expect(sqlShape(text)).toEqual({ operation, tables, summary });
  });
});
