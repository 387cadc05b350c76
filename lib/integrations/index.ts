import type { Integration } from './integration.js';
import { ioredisIntegration } from './ioredis.js';
import { mysql2Integration } from './mysql2.js';
import { redisIntegration } from './redis.js';
import { IntegrationRegistry } from './registry.js';

/**
 * Every integration, one file each (ARCHITECTURE.md: "An integration"). Order does not
 * matter: each subscribes to its own library's channels.
 */
export const INTEGRATIONS: readonly Integration[] = [
  mysql2Integration,
  ioredisIntegration,
  redisIntegration,
];

/** The process's registry: channels are process-wide, so there is one. */
export const integrationRegistry = new IntegrationRegistry(INTEGRATIONS);
