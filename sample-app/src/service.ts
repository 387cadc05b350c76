import { ConsoleLogger, type INestApplication } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import type { AddressInfo } from 'node:net';
import { CatalogModule } from './catalog/catalog.module.js';
import { catalogUrl, HOST, servicePort, type ServiceName } from './config.js';
import { GatewayModule } from './gateway/gateway.module.js';

export interface RunningService {
  readonly name: ServiceName;
  readonly app: INestApplication;
  readonly url: string;
}

/** Boots one service on 127.0.0.1, on the port its environment asks for (0 = any free one). */
export async function startService(
  name: ServiceName,
  env: NodeJS.ProcessEnv = process.env,
): Promise<RunningService> {
  const port = servicePort(name, env);
  const module =
    name === 'gateway' ? GatewayModule.register({ catalogUrl: catalogUrl(env) }) : CatalogModule;
  // The prefix tells the two processes' logs apart; NEST_LOG_LEVEL picks the levels.
  const app = await NestFactory.create(module, { logger: new ConsoleLogger({ prefix: name }) });
  await app.listen(port, HOST);
  const address = app.getHttpServer().address() as AddressInfo;
  return { name, app, url: `http://${HOST}:${address.port}` };
}
