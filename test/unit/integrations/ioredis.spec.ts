import { Redis } from 'ioredis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { SpanKind, SpanStatusCode } from '../../../lib/core/types.js';
import { ioredisIntegration } from '../../../lib/integrations/ioredis.integration.js';
import { exportedText, integrationApp } from '../../fixtures/integration-app.js';
import { startRedis, type RedisServer } from '../../fixtures/redis-server.js';
import { needsServices } from '../../fixtures/system-services.js';

describe('ioredis integration, against a real Redis', needsServices('redis-server'), () => {
  let server: RedisServer;
  let redis: Redis;
  const app = integrationApp([ioredisIntegration]);

  beforeAll(async () => {
    server = await startRedis();
    redis = new Redis({ host: server.host, port: server.port, db: 2, lazyConnect: true });
    await redis.connect();
  });

  afterAll(async () => {
    app.registered.unregister();
    redis?.disconnect();
    await server?.stop();
  });

  it('is installed and subscribed (ioredis >= 5.11 publishes its channels)', () => {
    expect(ioredisIntegration.installed()).toBe(true);
    expect(app.registered.enabled).toEqual(['ioredis']);
  });

  it('spans each command under the caller, the key kept and every value a ?', async () => {
    const { result, parent, spans } = await app.inSpan(async () => {
      await redis.set('session:1', 's3cret-token');
      return redis.get('session:1');
    });
    expect(result).toBe('s3cret-token');
    expect(spans.map((s) => s.name)).toEqual(['SET', 'GET']);
    const [set, get] = spans;
    expect(set!.kind).toBe(SpanKind.CLIENT);
    expect(set!.parentSpanId).toBe(parent.spanId);
    expect(set!.traceId).toBe(parent.traceId);
    expect(set!.attributes).toEqual({
      'db.system.name': 'redis',
      'db.namespace': '2',
      'db.operation.name': 'SET',
      'db.query.text': 'SET session:1 ?',
      'server.address': '127.0.0.1',
      'server.port': server.port,
    });
    expect(get!.attributes['db.query.text']).toBe('GET session:1');
    expect(exportedText(spans)).not.toContain('s3cret');
  });

  it('keeps only the key of multi-argument commands', async () => {
    const { spans } = await app.inSpan(async () => {
      await redis.hset('user:7', 'email', 'a@b.c', 'token', 'hidden-1');
      await redis.call('CONFIG', 'GET', 'maxmemory');
    });
    expect(spans.map((s) => s.attributes['db.query.text'])).toEqual([
      'HSET user:7 ? ? ? ?',
      'CONFIG GET ?',
    ]);
    expect(exportedText(spans)).not.toMatch(/a@b\.c|hidden-1/);
  });

  it('ends a failed command once, with the Redis error prefix', async () => {
    const { spans } = await app.inSpan(async () => {
      await redis.set('counter:text', 'abc');
      await expect(redis.incr('counter:text')).rejects.toThrow(/not an integer/);
    });
    const incr = spans.find((s) => s.name === 'INCR')!;
    expect(spans.filter((s) => s.name === 'INCR')).toHaveLength(1);
    expect(incr.status.code).toBe(SpanStatusCode.ERROR);
    expect(incr.attributes['error.type']).toBe('ERR');
    expect(incr.attributes['db.response.status_code']).toBe('ERR');
    expect(incr.events.map((e) => e.name)).toEqual(['exception']);
  });

  it('ends a callback-style command once', async () => {
    const { spans } = await app.inSpan(
      () =>
        new Promise<void>((resolve, reject) =>
          redis.get('session:1', (error) => (error ? reject(error) : resolve())),
        ),
    );
    expect(spans.map((s) => s.name)).toEqual(['GET']);
  });

  it('spans a MULTI as one batch with its commands as children, and a pipeline command by command', async () => {
    const { parent, spans } = await app.inSpan(async () => {
      await redis.multi().set('m:1', 'one').incr('m:n').exec();
      await redis.pipeline().set('p:1', 'two').get('p:1').exec();
    });
    const multi = spans.find((s) => s.name === 'MULTI')!;
    expect(multi.parentSpanId).toBe(parent.spanId);
    expect(multi.attributes['db.operation.batch.size']).toBe(2);
    expect(multi.attributes['db.operation.name']).toBe('MULTI');
    const inMulti = spans.filter((s) => s.parentSpanId === multi.spanId);
    expect(inMulti.map((s) => s.attributes['db.query.text'])).toEqual(['SET m:1 ?', 'INCR m:n']);
    const piped = spans.filter((s) => s.parentSpanId === parent.spanId && s !== multi);
    expect(piped.map((s) => s.attributes['db.query.text'])).toEqual(['SET p:1 ?', 'GET p:1']);
    expect(spans.some((s) => s.name === 'EXEC')).toBe(false);
    expect(exportedText(spans)).not.toMatch(/"one"|"two"/);
  });

  it('traces nothing outside a span (connection set-up, background polling)', async () => {
    app.exporter.reset();
    await redis.get('session:1');
    expect(app.exporter.getFinishedSpans()).toEqual([]);
  });

  it('records no statement with queryText: false, and subscribes nothing when switched off', async () => {
    const quiet = integrationApp([ioredisIntegration], { integrations: { queryText: false } });
    const { spans } = await quiet.inSpan(() => redis.get('session:1'));
    quiet.registered.unregister();
    expect(spans).toHaveLength(1);
    expect(spans[0]!.attributes).not.toHaveProperty('db.query.text');
    const off = integrationApp([ioredisIntegration], { integrations: { ioredis: false } });
    expect(off.registered.enabled).toEqual([]);
    expect(off.registry.active()).toEqual([]);
    off.registered.unregister();
  });
});
