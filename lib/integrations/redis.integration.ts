import type { Integration } from './integration.js';
import { atLeast, findPackage } from './package-lookup.js';
import { subscribeRedis } from './redis-command.js';

/** The first node-redis (`redis` / `@redis/client`) that publishes `node-redis:command`. */
export const REDIS_MIN_VERSION = '5.12';

/**
 * Redis through node-redis (`redis`, `@redis/client`), from the TracingChannels it publishes
 * since 5.12: `node-redis:command` (every command, a pipeline's included) and
 * `node-redis:batch` (a MULTI or a pipeline; a pipeline's commands are its children, a MULTI's
 * are not published one by one). `node-redis:connect` and the point events are not traced.
 */
export const redisIntegration: Integration = {
  name: 'redis',
  installed() {
    // `redis` pins the same version of `@redis/client`, which may sit nested under it.
    const found = findPackage('@redis/client') ?? findPackage('redis');
    return found !== undefined && atLeast(found.version, REDIS_MIN_VERSION);
  },
  enable(hosts) {
    return subscribeRedis(
      hosts,
      'redis',
      { command: 'node-redis:command', batch: 'node-redis:batch' },
      1, // node-redis publishes the whole command line: the name, then the arguments.
    );
  },
};
