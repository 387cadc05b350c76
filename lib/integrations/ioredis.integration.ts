import type { Integration } from './integration.js';
import { atLeast, findPackage } from './package-lookup.js';
import { subscribeRedis } from './redis-command.js';

/** The first ioredis that publishes `ioredis:command` / `ioredis:batch` (built/tracing.js). */
export const IOREDIS_MIN_VERSION = '5.11';

/**
 * Redis through ioredis, from the TracingChannels it publishes since 5.11: `ioredis:command`
 * (every command, pipelined ones included: ioredis has no pipeline event) and `ioredis:batch`
 * (a MULTI ... EXEC, its commands as children). `ioredis:connect` is not traced.
 */
export const ioredisIntegration: Integration = {
  name: 'ioredis',
  installed() {
    const found = findPackage('ioredis');
    return found !== undefined && atLeast(found.version, IOREDIS_MIN_VERSION);
  },
  enable(hosts) {
    return subscribeRedis(
      hosts,
      'ioredis',
      { command: 'ioredis:command', batch: 'ioredis:batch' },
      0, // ioredis publishes the arguments without the command name.
    );
  },
};
