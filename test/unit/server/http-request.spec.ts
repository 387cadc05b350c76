import { IncomingMessage, ServerResponse } from 'node:http';
import { Socket } from 'node:net';
import {
  ATTR_CLIENT_ADDRESS,
  ATTR_ERROR_TYPE,
  ATTR_HTTP_REQUEST_METHOD,
  ATTR_HTTP_REQUEST_METHOD_ORIGINAL,
  ATTR_HTTP_RESPONSE_STATUS_CODE,
  ATTR_NETWORK_PROTOCOL_VERSION,
  ATTR_SERVER_ADDRESS,
  ATTR_SERVER_PORT,
  ATTR_URL_PATH,
  ATTR_URL_SCHEME,
  ATTR_USER_AGENT_ORIGINAL,
} from '@opentelemetry/semantic-conventions';
import { describe, expect, it } from 'vitest';
import { resolveTracingConfig } from '../../../lib/config/tracing-config.js';
import { InMemorySpanExporter } from '../../../lib/export/spans/in-memory-span-exporter.js';
import { SimpleSpanProcessor } from '../../../lib/core/simple-span-processor.js';
import { Tracer } from '../../../lib/core/tracer.js';
import {
  beginHttpRequest,
  CORRELATION_ID_ATTRIBUTE,
  echoCorrelationId,
  resolveCorrelationId,
  routeTemplateOf,
} from '../../../lib/server/http-request.js';

const tracer = new Tracer({
  processor: new SimpleSpanProcessor(new InMemorySpanExporter()),
  resource: { attributes: {} },
});

function exchange(headers: Record<string, string> = {}): {
  req: IncomingMessage;
  res: ServerResponse;
} {
  const req = new IncomingMessage(new Socket());
  req.method = 'GET';
  req.url = '/users/7';
  req.headers = headers;
  return { req, res: new ServerResponse(req) };
}

describe('routeTemplateOf: the one reading of the matched route, for every platform', () => {
  it.each([
    ['Fastify', { routeOptions: { url: '/users/:id' } }, '/users/:id'],
    ['Fastify before 4.10', { routerPath: '/users/:id' }, '/users/:id'],
    ['Express', { route: { path: '/users/:id' } }, '/users/:id'],
    ['an unmatched request', {}, undefined],
    ['a RegExp route', { route: { path: /users/ } }, undefined],
  ])('%s', (_platform, req, expected) => {
    expect(routeTemplateOf(req)).toBe(expected);
  });
});

describe('echoCorrelationId: the one place the correlation id reaches the response', () => {
  const config = resolveTracingConfig({ exporters: [] }, {});

  it('echoes when the request opens, once', () => {
    const { req, res } = exchange({ 'x-correlation-id': 'abc-1' });
    const state = beginHttpRequest(req, res, tracer, config);
    expect(res.getHeader('x-correlation-id')).toBe('abc-1');
    expect(state.echoed).toBe(true);
    res.removeHeader('x-correlation-id');
    echoCorrelationId(state, res);
    expect(res.getHeader('x-correlation-id')).toBeUndefined();
  });

  it('leaves it to the platform when asked, then writes through its reply', () => {
    const { req, res } = exchange({ 'x-request-id': 'abc-2' });
    const state = beginHttpRequest(req, res, tracer, config, false);
    expect(res.getHeader('x-correlation-id')).toBeUndefined();
    const written: [string, string][] = [];
    echoCorrelationId(state, res, { header: (name, value) => written.push([name, value]) });
    expect(written).toEqual([['x-correlation-id', 'abc-2']]);
    expect(res.getHeader('x-correlation-id')).toBeUndefined();
    expect(state.echoed).toBe(true);
  });

  it('writes nothing once the headers are sent, or with responseHeader: false', () => {
    const silent = resolveTracingConfig({ correlation: { responseHeader: false } }, {});
    const quiet = exchange({ 'x-correlation-id': 'abc-3' });
    beginHttpRequest(quiet.req, quiet.res, tracer, silent);
    expect(quiet.res.getHeaderNames()).toEqual([]);

    const late = exchange();
    const state = beginHttpRequest(late.req, late.res, tracer, config, false);
    Object.defineProperty(late.res, 'headersSent', { value: true });
    echoCorrelationId(state, late.res);
    expect(late.res.getHeaderNames()).toEqual([]);
  });
});

describe('resolveCorrelationId', () => {
  const span = tracer.startSpan('unit');

  it('takes the first well-formed configured header', () => {
    const config = resolveTracingConfig({}, {});
    const headers = { 'x-correlation-id': 'bad value!', 'x-request-id': 'req-1' };
    expect(resolveCorrelationId(headers, config, span, tracer)).toBe('req-1');
  });

  it('else generates one, else uses the trace id', () => {
    const generated = resolveTracingConfig({ correlation: { generate: () => 'gen-1' } }, {});
    expect(resolveCorrelationId({}, generated, span, tracer)).toBe('gen-1');
    const plain = resolveTracingConfig({}, {});
    expect(resolveCorrelationId(undefined, plain, span, tracer)).toBe(span.spanContext().traceId);
    expect(resolveCorrelationId(undefined, plain, undefined, tracer)).toMatch(/^[0-9a-f]{32}$/);
  });
});

describe('the server span name: method and route template', () => {
  const config = resolveTracingConfig({ exporters: [] }, {});

  function endedSpanName(method: string, route: string): unknown {
    const exporter = new InMemorySpanExporter();
    const own = new Tracer({
      processor: new SimpleSpanProcessor(exporter),
      resource: { attributes: {} },
    });
    const { req, res } = exchange();
    req.method = method;
    beginHttpRequest(req, res, own, config);
    (req as IncomingMessage & { route: { path: string } }).route = { path: route };
    res.emit('close');
    const [span] = exporter.getFinishedSpans();
    return [span?.name, span?.attributes['http.route']];
  }

  it('names every route right, past the 1,024 names kept for reuse as before them', () => {
    for (let i = 0; i < 1100; i++) {
      expect(endedSpanName(i % 2 ? 'POST' : 'GET', `/r${i}/:id`)).toEqual([
        `${i % 2 ? 'POST' : 'GET'} /r${i}/:id`,
        `/r${i}/:id`,
      ]);
    }
    // A name made once is the same the next time, per method; a method outside HTTP's list is HTTP.
    expect(endedSpanName('GET', '/r0/:id')).toEqual(['GET /r0/:id', '/r0/:id']);
    expect(endedSpanName('POST', '/r0/:id')).toEqual(['POST /r0/:id', '/r0/:id']);
    expect(endedSpanName('BREW', '/pot')).toEqual(['HTTP /pot', '/pot']);
  });
});

describe('the server span request attributes', () => {
  const config = resolveTracingConfig({ exporters: [] }, {});

  function attributesOf(
    headers: Record<string, string>,
    method = 'GET',
    remoteAddress?: string,
  ): [string, unknown][] {
    const exporter = new InMemorySpanExporter();
    const own = new Tracer({
      processor: new SimpleSpanProcessor(exporter),
      resource: { attributes: {} },
    });
    const socket = new Socket();
    if (remoteAddress !== undefined) {
      // A socket never connected has no peer: give it the one a real connection reports.
      Object.defineProperty(socket, 'remoteAddress', { value: remoteAddress });
    }
    const req = new IncomingMessage(socket);
    req.method = method;
    req.url = '/users/7?tab=a';
    req.headers = { ...headers, 'x-correlation-id': 'c-1' };
    req.httpVersion = '1.1';
    const res = new ServerResponse(req);
    beginHttpRequest(req, res, own, config);
    res.emit('close');
    const [span] = exporter.getFinishedSpans();
    // Entries, so the order on the wire is checked too; the request's only (the response
    // here never finished: the close added its status and error.type 'aborted').
    const response: string[] = [ATTR_HTTP_RESPONSE_STATUS_CODE, ATTR_ERROR_TYPE];
    return Object.entries(span!.attributes).filter(([k]) => !response.includes(k));
  }

  // Keys from OpenTelemetry's published semantic conventions (correlation.id is this library's own).
  it('are the same keys in the same order for a usual request as for any other', () => {
    expect(
      attributesOf({ host: 'api.test:8080', 'user-agent': 'curl/8' }, 'GET', '10.0.0.9'),
    ).toEqual([
      [ATTR_HTTP_REQUEST_METHOD, 'GET'],
      [ATTR_URL_PATH, '/users/7'],
      [ATTR_URL_SCHEME, 'http'],
      [ATTR_SERVER_ADDRESS, 'api.test'],
      [ATTR_SERVER_PORT, 8080],
      [ATTR_CLIENT_ADDRESS, '10.0.0.9'],
      [ATTR_USER_AGENT_ORIGINAL, 'curl/8'],
      [ATTR_NETWORK_PROTOCOL_VERSION, '1.1'],
      [CORRELATION_ID_ATTRIBUTE, 'c-1'],
    ]);
    // A method outside HTTP's list, no peer address, no user agent, no port.
    expect(attributesOf({ host: 'api.test' }, 'BREW')).toEqual([
      [ATTR_HTTP_REQUEST_METHOD, '_OTHER'],
      [ATTR_HTTP_REQUEST_METHOD_ORIGINAL, 'BREW'],
      [ATTR_URL_PATH, '/users/7'],
      [ATTR_URL_SCHEME, 'http'],
      [ATTR_SERVER_ADDRESS, 'api.test'],
      [ATTR_NETWORK_PROTOCOL_VERSION, '1.1'],
      [CORRELATION_ID_ATTRIBUTE, 'c-1'],
    ]);
  });

  /** The server.* attributes of a request with this Host header. */
  const server = (host: string): [string, unknown][] =>
    attributesOf({ host, 'user-agent': 'u' }, 'GET', '::1').filter(([k]) =>
      k.startsWith('server.'),
    );

  it('split the Host header into address and port only where it has a numeric port', () => {
    expect(server('[::1]:3000')).toEqual([
      [ATTR_SERVER_ADDRESS, '[::1]'],
      [ATTR_SERVER_PORT, 3000],
    ]);
    expect(server('[::1]')).toEqual([[ATTR_SERVER_ADDRESS, '[::1]']]);
    expect(server('api.test:http')).toEqual([[ATTR_SERVER_ADDRESS, 'api.test']]);
    // Asked again: the parts kept for a host are the same as made the first time.
    expect(server('[::1]:3000')).toEqual([
      [ATTR_SERVER_ADDRESS, '[::1]'],
      [ATTR_SERVER_PORT, 3000],
    ]);
    // A Host longer than any DNS name is split too (and not kept).
    const long = `${'a'.repeat(300)}.test`;
    expect(server(`${long}:81`)).toEqual([
      [ATTR_SERVER_ADDRESS, long],
      [ATTR_SERVER_PORT, 81],
    ]);
    // More hosts than are kept still get their own parts.
    for (let i = 0; i < 100; i++) {
      expect(server(`h${i}.test:${1000 + i}`)).toEqual([
        [ATTR_SERVER_ADDRESS, `h${i}.test`],
        [ATTR_SERVER_PORT, 1000 + i],
      ]);
    }
  });
});
