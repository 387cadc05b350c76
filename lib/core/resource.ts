import { arch, hostname, type } from 'node:os';
import { setOwn } from './attributes.js';
import type { Attributes, Resource } from './types.js';

export interface ResourceOptions {
  serviceName: string;
  serviceVersion?: string;
  environment?: string;
  attributes?: Attributes;
}

const SDK_VERSION = '0.1.0';

/** Host and process facts, read once per process. */
let detected: Attributes | undefined;
function detectedAttributes(): Attributes {
  return (detected ??= {
    'host.name': hostname(),
    'host.arch': arch(),
    'os.type': type().toLowerCase(),
    'process.pid': process.pid,
    'process.runtime.name': 'nodejs',
    'process.runtime.version': process.versions.node,
    'process.executable.name': process.title,
    'telemetry.sdk.name': 'nestjs-tracing',
    'telemetry.sdk.language': 'nodejs',
    'telemetry.sdk.version': SDK_VERSION,
  });
}

/**
 * The resource every span of an app carries. Later sources win: detected host and
 * process facts, then the user's attributes, then the named options.
 */
export function createResource(options: ResourceOptions): Resource {
  const attributes: Attributes = { ...detectedAttributes(), ...options.attributes };
  attributes['service.name'] = options.serviceName;
  if (options.serviceVersion !== undefined) attributes['service.version'] = options.serviceVersion;
  if (options.environment !== undefined) {
    attributes['deployment.environment.name'] = options.environment;
  }
  return { attributes: Object.freeze(attributes) };
}

/**
 * Parses OTEL_RESOURCE_ATTRIBUTES (`key1=value1,key2=value2`, values percent-encoded).
 * Throws on a malformed member: the OpenTelemetry spec discards the whole value then,
 * and the caller reports it.
 */
export function parseResourceAttributes(value: string | undefined): Attributes {
  const out: Attributes = {};
  if (!value) return out;
  for (const member of value.split(',')) {
    if (member.trim() === '') continue;
    const eq = member.indexOf('=');
    const key = eq === -1 ? '' : member.slice(0, eq).trim();
    let decoded: string | undefined;
    if (key) {
      try {
        decoded = decodeURIComponent(member.slice(eq + 1).trim());
      } catch {
        decoded = undefined;
      }
    }
    if (decoded === undefined) {
      throw new Error(
        `OTEL_RESOURCE_ATTRIBUTES: member "${member.trim()}" is not key=value with a percent-encoded value; ignoring the variable.`,
      );
    }
    setOwn(out, key, decoded);
  }
  return out;
}
