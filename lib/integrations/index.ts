import { fetchIntegration } from './fetch.integration.js';
import { graphqlIntegration } from './graphql.integration.js';
import { httpIntegration } from './http.integration.js';
import type { Integration } from './integration.js';
import { ioredisIntegration } from './ioredis.integration.js';
import { mongooseIntegration } from './mongoose.integration.js';
import { mysql2Integration } from './mysql2.integration.js';
import { pgIntegration } from './pg.integration.js';
import { redisIntegration } from './redis.integration.js';
import { IntegrationRegistry } from './registry.js';

/**
 * Every integration, one file each (ARCHITECTURE.md: "An integration"). Order does not
 * matter: each subscribes to its own library's channels.
 */
export const INTEGRATIONS: readonly Integration[] = [
  fetchIntegration,
  httpIntegration,
  pgIntegration,
  mysql2Integration,
  ioredisIntegration,
  redisIntegration,
  mongooseIntegration,
  graphqlIntegration,
];

/** The process's registry: channels are process-wide, so there is one. */
export const integrationRegistry = new IntegrationRegistry(INTEGRATIONS);
