import { arch, hostname } from 'node:os';
import { describe, expect, it } from 'vitest';
import { createResource, parseResourceAttributes } from '../../../lib/core/resource.js';

describe('createResource', () => {
  it('names the service, its version and its deployment environment', () => {
    const resource = createResource({
      serviceName: 'orders',
      serviceVersion: '2.3.1',
      environment: 'production',
    });
    expect(resource.attributes).toMatchObject({
      'service.name': 'orders',
      'service.version': '2.3.1',
      'deployment.environment.name': 'production',
    });
  });

  it('leaves out the version and environment when they are not given', () => {
    const resource = createResource({ serviceName: 'orders' });
    expect(resource.attributes['service.name']).toBe('orders');
    expect('service.version' in resource.attributes).toBe(false);
    expect('deployment.environment.name' in resource.attributes).toBe(false);
  });

  it('describes the host, the process and the SDK', () => {
    const { attributes } = createResource({ serviceName: 'orders' });
    expect(attributes).toMatchObject({
      'host.name': hostname(),
      'host.arch': arch(),
      'process.pid': process.pid,
      'process.runtime.name': 'nodejs',
      'process.runtime.version': process.versions.node,
      'telemetry.sdk.name': 'nestjs-tracing',
      'telemetry.sdk.language': 'nodejs',
    });
    expect(attributes['os.type']).toMatch(/^[a-z_]+$/);
    expect(attributes['telemetry.sdk.version']).toMatch(/^\d+\.\d+\.\d+/);
  });

  it('keeps the user attributes next to the detected ones', () => {
    const { attributes } = createResource({
      serviceName: 'orders',
      attributes: { team: 'payments', 'k8s.pod.replicas': 3 },
    });
    expect(attributes['team']).toBe('payments');
    expect(attributes['k8s.pod.replicas']).toBe(3);
    expect(attributes['host.name']).toBe(hostname());
  });

  it('lets the named options win over the same keys in the user attributes', () => {
    const { attributes } = createResource({
      serviceName: 'orders',
      serviceVersion: '2.0.0',
      environment: 'staging',
      attributes: {
        'service.name': 'from-attributes',
        'service.version': '0.0.0',
        'deployment.environment.name': 'dev',
      },
    });
    expect(attributes['service.name']).toBe('orders');
    expect(attributes['service.version']).toBe('2.0.0');
    expect(attributes['deployment.environment.name']).toBe('staging');
  });

  it('keeps a user service.version when the option is not given', () => {
    const { attributes } = createResource({
      serviceName: 'orders',
      attributes: { 'service.version': '9.9.9' },
    });
    expect(attributes['service.version']).toBe('9.9.9');
  });

  it('lets user attributes override the detected host and process facts', () => {
    const { attributes } = createResource({
      serviceName: 'orders',
      attributes: { 'host.name': 'pod-7f9c' },
    });
    expect(attributes['host.name']).toBe('pod-7f9c');
  });

  it('does not change the caller’s attributes object and freezes its own', () => {
    const input = { team: 'payments' };
    const resource = createResource({ serviceName: 'orders', attributes: input });
    expect(input).toEqual({ team: 'payments' });
    expect(Object.isFrozen(resource.attributes)).toBe(true);
  });

  it('gives each resource its own attributes', () => {
    const a = createResource({ serviceName: 'a', attributes: { only: 'a' } });
    const b = createResource({ serviceName: 'b' });
    expect(a.attributes['service.name']).toBe('a');
    expect(b.attributes['service.name']).toBe('b');
    expect('only' in b.attributes).toBe(false);
  });
});

describe('parseResourceAttributes', () => {
  it('parses comma-separated key=value pairs', () => {
    expect(
      parseResourceAttributes('service.namespace=shop,deployment.environment.name=prod'),
    ).toEqual({ 'service.namespace': 'shop', 'deployment.environment.name': 'prod' });
  });

  it('percent-decodes values', () => {
    expect(
      parseResourceAttributes(
        'team=platform%20core,url=https%3A%2F%2Fexample.com%2Fa%2Cb,e=caf%C3%A9',
      ),
    ).toEqual({ team: 'platform core', url: 'https://example.com/a,b', e: 'café' });
  });

  it('does not turn + into a space', () => {
    expect(parseResourceAttributes('expr=a+b')).toEqual({ expr: 'a+b' });
  });

  it('trims spaces around keys and values', () => {
    expect(parseResourceAttributes(' a = 1 ,\tb=two ')).toEqual({ a: '1', b: 'two' });
  });

  it('keeps an = inside a value', () => {
    expect(parseResourceAttributes('query=a=b')).toEqual({ query: 'a=b' });
  });

  it('rejects the whole value when a member has no key or no =, as the OpenTelemetry spec asks', () => {
    expect(() => parseResourceAttributes('good=1,noequals,also=2')).toThrow(/"noequals"/);
    expect(() => parseResourceAttributes('good=1,=nokey')).toThrow(/OTEL_RESOURCE_ATTRIBUTES/);
  });

  it('rejects the whole value when a member is not valid percent-encoding', () => {
    expect(() => parseResourceAttributes('ok=yes,bad=%E0%A4%A')).toThrow(/"bad=%E0%A4%A"/);
    expect(() => parseResourceAttributes('broken=%zz')).toThrow(/percent-encoded/);
  });

  it('returns an empty object for empty or missing input', () => {
    expect(parseResourceAttributes(undefined)).toEqual({});
    expect(parseResourceAttributes('')).toEqual({});
    expect(parseResourceAttributes(',,,')).toEqual({});
  });
});
