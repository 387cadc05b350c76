import type { INestApplication } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import { TraceLogger } from 'nestjs-tracing';
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
  // Nest's own logs and every Logger go through TraceLogger, so they carry the trace ids;
  // buffered until it is ready.
  const app = await NestFactory.create(module, { bufferLogs: true });
  app.useLogger(app.get(TraceLogger));
  await app.listen(port, HOST);
  const address = app.getHttpServer().address() as AddressInfo;
  return { name, app, url: `http://${HOST}:${address.port}` };
}
