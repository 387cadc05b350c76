import { existsSync, readFileSync } from 'node:fs';
import { createConnection as connectTcp } from 'node:net';
import { dirname } from 'node:path';
import mysql from 'mysql2/promise';
import { Client } from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startMariaDb } from './fixtures/mariadb-server.js';
import { startPostgres, type DatabaseServer } from './fixtures/postgres-server.js';
import { needsServices } from './fixtures/system-services.js';

// The database servers the integration tests start (test/fixtures/postgres-server.ts,
// mariadb-server.ts): reachable over TCP with the user's password through the real drivers,
// and gone, process and directory, after stop().

/** Whether something accepts a TCP connection on 127.0.0.1:port right now. */
function accepts(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = connectTcp({ host: '127.0.0.1', port }, () => {
      socket.destroy();
      resolve(true);
    });
    socket.once('error', () => resolve(false));
  });
}

function isRunning(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

describe('startPostgres', needsServices('postgres'), () => {
  let server: DatabaseServer;
  let client: Client;

  beforeAll(async () => {
    server = await startPostgres();
    client = new Client({ connectionString: server.url });
    await client.connect();
  }, 60_000);

  afterAll(async () => {
    await client?.end().catch(() => undefined);
    await server?.stop();
  });

  it('serves its database to its user over TCP, with the password', async () => {
    await client.query('CREATE TABLE orders (id serial PRIMARY KEY, item text NOT NULL)');
    await client.query('INSERT INTO orders (item) VALUES ($1), ($2)', ['book', 'lamp']);
    const { rows } = await client.query<{ id: number; item: string }>(
      'SELECT id, item FROM orders ORDER BY id',
    );
    expect(rows).toEqual([
      { id: 1, item: 'book' },
      { id: 2, item: 'lamp' },
    ]);
    const { rows: who } = await client.query<{ user: string; db: string }>(
      'SELECT current_user AS user, current_database() AS db',
    );
    expect(who).toEqual([{ user: server.user, db: server.database }]);
  });

  it('refuses a wrong password', async () => {
    const intruder = new Client({ ...connection(server), password: 'wrong' });
    await expect(intruder.connect()).rejects.toThrow(/password authentication failed/);
    await intruder.end().catch(() => undefined);
  });

  it('stop() ends the server process and removes its directory', async () => {
    // The postmaster's PID is the first line of its pid file, in the data directory.
    const { rows } = await client.query<{ pidFile: string; data: string }>(
      "SELECT pg_read_file('postmaster.pid') AS \"pidFile\", current_setting('data_directory') AS data",
    );
    const pid = Number(rows[0]!.pidFile.split('\n')[0]);
    const dir = dirname(rows[0]!.data);
    await client.end();
    expect(isRunning(pid)).toBe(true);
    expect(existsSync(dir)).toBe(true);
    expect(await accepts(server.port)).toBe(true);
    await server.stop();
    expect(isRunning(pid)).toBe(false);
    expect(existsSync(dir)).toBe(false);
    expect(await accepts(server.port)).toBe(false);
  });
});

function connection(server: DatabaseServer) {
  const { host, port, user, password, database } = server;
  return { host, port, user, password, database };
}

describe('startMariaDb', needsServices('mariadbd'), () => {
  let server: DatabaseServer;
  let client: mysql.Connection;

  beforeAll(async () => {
    server = await startMariaDb();
    client = await mysql.createConnection(connection(server));
  }, 60_000);

  afterAll(async () => {
    await client?.end().catch(() => undefined);
    await server?.stop();
  });

  it('serves its database to its user over TCP, with the password', async () => {
    await client.query(
      'CREATE TABLE orders (id INT AUTO_INCREMENT PRIMARY KEY, item VARCHAR(20) NOT NULL)',
    );
    await client.execute('INSERT INTO orders (item) VALUES (?), (?)', ['book', 'lamp']);
    const [rows] = await client.query('SELECT id, item FROM orders ORDER BY id');
    expect(rows).toEqual([
      { id: 1, item: 'book' },
      { id: 2, item: 'lamp' },
    ]);
    const [who] = await client.query('SELECT CURRENT_USER() AS user, DATABASE() AS db');
    expect(who).toEqual([{ user: `${server.user}@127.0.0.1`, db: server.database }]);
  });

  it('refuses a wrong password', async () => {
    await expect(
      mysql.createConnection({ ...connection(server), password: 'wrong' }),
    ).rejects.toThrow(/Access denied/);
  });

  it('stop() ends the server process and removes its directory', async () => {
    const [rows] = await client.query('SELECT @@pid_file AS pidFile, @@datadir AS data');
    const { pidFile, data } = (rows as { pidFile: string; data: string }[])[0]!;
    const pid = Number(readFileSync(pidFile, 'utf8').trim());
    const dir = dirname(data);
    await client.end();
    expect(isRunning(pid)).toBe(true);
    expect(existsSync(dir)).toBe(true);
    expect(await accepts(server.port)).toBe(true);
    await server.stop();
    expect(isRunning(pid)).toBe(false);
    expect(existsSync(dir)).toBe(false);
    expect(await accepts(server.port)).toBe(false);
  });
});
