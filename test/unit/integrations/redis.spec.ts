import { createClient } from 'redis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { SpanKind, SpanStatusCode } from '../../../lib/core/types.js';
import { redisIntegration } from '../../../lib/integrations/redis.integration.js';
import { exportedText, integrationApp } from '../../fixtures/integration-app.js';
import { startRedis, type RedisServer } from '../../fixtures/redis-server.js';
import { needsServices } from '../../fixtures/system-services.js';

describe('node-redis integration, against a real Redis', needsServices('redis-server'), () => {
  let server: RedisServer;
  let client: ReturnType<typeof createClient>;
  const app = integrationApp([redisIntegration]);

  beforeAll(async () => {
    server = await startRedis();
    client = createClient({ url: `redis://${server.host}:${server.port}/3` });
    await client.connect();
  });

  afterAll(async () => {
    app.registered.unregister();
    if (client?.isOpen) client.destroy();
    await server?.stop();
  });

  it('is installed and subscribed (@redis/client >= 5.12 publishes its channels)', () => {
    expect(redisIntegration.installed()).toBe(true);
    expect(app.registered.enabled).toEqual(['redis']);
  });

  it('spans each command under the caller, the key kept and every value a ?', async () => {
    const { result, parent, spans } = await app.inSpan(async () => {
      await client.set('session:1', 's3cret-token');
      await client.hSet('user:7', { email: 'a@b.c', token: 'hidden-1' });
      return client.get('session:1');
    });
    expect(result).toBe('s3cret-token');
    expect(spans.map((s) => s.name)).toEqual(['SET', 'HSET', 'GET']);
    const [set, hset, get] = spans;
    expect(set!.kind).toBe(SpanKind.CLIENT);
    expect(set!.parentSpanId).toBe(parent.spanId);
    expect(set!.attributes).toEqual({
      'db.system.name': 'redis',
      'db.namespace': '3',
      'db.operation.name': 'SET',
      'db.query.text': 'SET session:1 ?',
      'server.address': '127.0.0.1',
      'server.port': server.port,
    });
    expect(hset!.attributes['db.query.text']).toBe('HSET user:7 ? ? ? ?');
    expect(get!.attributes['db.query.text']).toBe('GET session:1');
    expect(exportedText(spans)).not.toMatch(/s3cret|a@b\.c|hidden-1/);
  });

  it('ends a failed command once, with the Redis error prefix', async () => {
    const { spans } = await app.inSpan(async () => {
      await client.set('counter:text', 'abc');
      await expect(client.incr('counter:text')).rejects.toThrow(/not an integer/);
    });
    const incr = spans.filter((s) => s.name === 'INCR');
    expect(incr).toHaveLength(1);
    expect(incr[0]!.status.code).toBe(SpanStatusCode.ERROR);
    expect(incr[0]!.attributes['error.type']).toBe('ERR');
    expect(incr[0]!.attributes['db.response.status_code']).toBe('ERR');
  });

  it('spans a pipeline as one batch with its commands as children, a MULTI as one span', async () => {
    const { parent, spans } = await app.inSpan(async () => {
      await client.multi().set('p:1', 'one').get('p:1').execAsPipeline();
      await client.multi().set('m:1', 'two').incr('m:n').exec();
    });
    const pipeline = spans.find((s) => s.name === 'PIPELINE')!;
    expect(pipeline.parentSpanId).toBe(parent.spanId);
    expect(pipeline.attributes['db.operation.batch.size']).toBe(2);
    const inPipeline = spans.filter((s) => s.parentSpanId === pipeline.spanId);
    expect(inPipeline.map((s) => s.attributes['db.query.text'])).toEqual(['SET p:1 ?', 'GET p:1']);
    const multi = spans.find((s) => s.name === 'MULTI')!;
    expect(multi.parentSpanId).toBe(parent.spanId);
    expect(multi.attributes['db.operation.batch.size']).toBe(2);
    expect(multi.attributes['db.namespace']).toBe('3');
    expect(spans).toHaveLength(4);
    expect(exportedText(spans)).not.toMatch(/"one"|"two"/);
  });

  it('ends the span of a command refused by a closed client', async () => {
    const closed = createClient({ url: `redis://${server.host}:${server.port}/3` });
    const { spans } = await app.inSpan(async () => {
      await expect(closed.get('session:1')).rejects.toThrow(/closed/i);
    });
    expect(spans.map((s) => [s.name, s.attributes['error.type']])).toEqual([
      ['GET', 'ClientClosedError'],
    ]);
  });

  it('traces nothing outside a span', async () => {
    app.exporter.reset();
    await client.get('session:1');
    expect(app.exporter.getFinishedSpans()).toEqual([]);
  });
});
