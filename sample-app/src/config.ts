/** The two services of the sample, each its own Node process with its own tracer. */
export const SERVICE_NAMES = ['gateway', 'catalog'] as const;
export type ServiceName = (typeof SERVICE_NAMES)[number];

export const HOST = '127.0.0.1';
export const SERVICE_VERSION = '1.0.0';

const DEFAULT_PORTS: Record<ServiceName, number> = { gateway: 3000, catalog: 3001 };
// The first variable set wins; 0 asks the OS for a free port.
const PORT_VARIABLES: Record<ServiceName, readonly string[]> = {
  gateway: ['GATEWAY_PORT', 'PORT'],
  catalog: ['CATALOG_PORT'],
};

export function isServiceName(value: string): value is ServiceName {
  return (SERVICE_NAMES as readonly string[]).includes(value);
}

/** The port a service listens on, from its environment variables or the default. */
export function servicePort(service: ServiceName, env: NodeJS.ProcessEnv = process.env): number {
  for (const name of PORT_VARIABLES[service]) {
    const raw = env[name]?.trim();
    if (!raw) continue;
    const port = Number(raw);
    if (!Number.isInteger(port) || port < 0 || port > 65_535) {
      throw new Error(`${name} must be a port number from 0 to 65535, got "${raw}"`);
    }
    return port;
  }
  return DEFAULT_PORTS[service];
}

/** Where the gateway finds the catalog: CATALOG_URL, else the catalog's port on this host. */
export function catalogUrl(env: NodeJS.ProcessEnv = process.env): string {
  const url = env.CATALOG_URL?.trim();
  if (url) return url.replace(/\/+$/, '');
  return `http://${HOST}:${servicePort('catalog', env)}`;
}
