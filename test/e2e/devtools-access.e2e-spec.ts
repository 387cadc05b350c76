import { Module, type INestApplication } from '@nestjs/common';
import request from 'supertest';
import { afterEach, describe, expect, it } from 'vitest';
import { TracingModule, type DevtoolsOptions } from '../../lib/index.js';
import { PLATFORMS, startApp } from '../fixtures/platforms.js';

// Who may use the trace viewer, over a real port on Express and Fastify: the Host check
// that stops DNS rebinding, and the options that restrict its span intake.

const TOKEN = 'a-shared-token-of-some-length';
const SPANS = { resourceSpans: [] };

function appWith(devtools: DevtoolsOptions) {
  @Module({
    imports: [
      TracingModule.forRoot({ serviceName: 'viewer', exporters: [{ type: 'memory' }], devtools }),
    ],
  })
  class ViewerModule {}
  return ViewerModule;
}

async function listStatus(url: string, host: string): Promise<number> {
  return (await request(url).get('/_tracing/api/traces').set('Host', host)).status;
}

describe.each(PLATFORMS)('trace viewer access on %s', (platform) => {
  let app: INestApplication | undefined;

  afterEach(async () => {
    await app?.close();
    app = undefined;
  });

  async function start(devtools: DevtoolsOptions = {}): Promise<string> {
    const started = await startApp(appWith(devtools), platform);
    app = started.app;
    return started.url;
  }

  it('refuses a foreign Host with 403 and names the option that allows it', async () => {
    const url = await start();
    for (const path of ['/_tracing', '/_tracing/api/traces', '/_tracing/app.js']) {
      const res = await request(url).get(path).set('Host', 'evil.example').expect(403);
      expect(res.headers['content-type']).toMatch(/^text\/plain/);
      expect(res.text).toContain('devtools.allowedHosts');
      expect(res.text).not.toContain('<html');
    }
    await request(url)
      .post('/_tracing/v1/traces')
      .set('Host', 'evil.example')
      .send(SPANS)
      .expect(403);
    await request(url).get('/_tracing/api/traces').set('Host', 'evil.example:80').expect(403);
  });

  it('answers loopback hosts on any port', async () => {
    const url = await start();
    for (const host of [
      'localhost',
      'localhost:3000',
      'app.localhost:1',
      '127.0.0.1:9',
      '[::1]:3000',
    ]) {
      const res = await request(url).get('/_tracing/api/traces').set('Host', host).expect(200);
      expect(res.body).toMatchObject({ traces: [] });
    }
    await request(url).get('/_tracing').set('Host', 'LOCALHOST').expect(200);
  });

  it('answers the hosts devtools.allowedHosts names, with or without a port', async () => {
    const url = await start({ allowedHosts: ['traces.internal:3000', 'viewer.test'] });
    const hosts = [
      'traces.internal:3000',
      'traces.internal:4000',
      'viewer.test:80',
      'x.viewer.test',
    ];
    const statuses = await Promise.all(hosts.map((host) => listStatus(url, host)));
    expect(statuses).toEqual([200, 403, 200, 403]);
  });

  it('leaves the app itself alone: only the viewer checks the Host', async () => {
    const url = await start();
    // No route: the app's own 404, not the viewer's 403.
    const res = await request(url).get('/elsewhere').set('Host', 'evil.example');
    expect(res.status).toBe(404);
  });

  it('takes spans from any local client by default', async () => {
    const url = await start();
    const res = await request(url).post('/_tracing/v1/traces').send(SPANS);
    expect([res.status, res.body]).toEqual([200, {}]);
  });

  it('turns the intake off with acceptSpans: false', async () => {
    const url = await start({ acceptSpans: false });
    const res = await request(url).post('/_tracing/v1/traces').send(SPANS);
    expect(res.status).toBe(404);
  });

  it('takes spans only with the token when acceptSpans.token is set', async () => {
    const url = await start({ acceptSpans: { token: TOKEN } });
    const none = await request(url).post('/_tracing/v1/traces').send(SPANS).expect(401);
    expect(none.body.error).toContain('Authorization: Bearer');
    await request(url)
      .post('/_tracing/v1/traces')
      .set('Authorization', `Bearer ${TOKEN}x`)
      .send(SPANS)
      .expect(401);
    await request(url)
      .post('/_tracing/v1/traces')
      .set('Authorization', `Bearer ${TOKEN}`)
      .send(SPANS)
      .expect(200);
    // Reading the viewer needs no token: the token guards the intake only.
    await request(url).get('/_tracing/api/traces').expect(200);
  });

  it('takes spans only from the addresses acceptSpans.from lists', async () => {
    const local = await start({ acceptSpans: { from: ['loopback'] } });
    await request(local).post('/_tracing/v1/traces').send(SPANS).expect(200);
    await app!.close();
    const remote = await start({ acceptSpans: { from: ['10.1.2.3'] } });
    const res = await request(remote).post('/_tracing/v1/traces').send(SPANS).expect(403);
    expect(res.body.error).toContain('127.0.0.1');
    expect(res.body.error).toContain('devtools.acceptSpans.from');
  });
});
