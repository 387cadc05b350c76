// Contract tests for the patches listed in lib/nest/patches.ts: each fails when the installed
// Node or Nest changes the code a patch relies on, before the patch silently stops working.
import 'reflect-metadata';
import { Controller, Get, Module } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import { ExceptionsHandler } from '@nestjs/core/exceptions/exceptions-handler.js';
import { ProcessorDecoratorService } from '@nestjs/bullmq';
import { ClientGrpcProxy, ClientKafka, ClientProxy } from '@nestjs/microservices';
import { Queue } from 'bullmq';
import { createServer, get, OutgoingMessage, ServerResponse, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { PassThrough, Readable } from 'node:stream';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { fetchText } from '../fixtures/fetch-text.js';
import {
  interceptPush,
  patchServerResponseWrites,
  renderedHead,
} from '../../lib/server/node-patches.js';

let server: Server | undefined;

afterEach(async () => {
  server?.closeAllConnections();
  await new Promise<void>((resolve) => (server ? server.close(() => resolve()) : resolve()));
  server = undefined;
});

async function serve(handler: (res: ServerResponse) => void): Promise<string> {
  server = createServer((_req, res) => handler(res));
  await new Promise<void>((resolve) => server!.listen(0, '127.0.0.1', resolve));
  return `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
}

describe('Node: ServerResponse.prototype.write/end (patchServerResponseWrites)', () => {
  it('are inherited from OutgoingMessage with the (chunk, encoding, callback) signature', () => {
    expect(Object.getPrototypeOf(ServerResponse.prototype)).toBe(OutgoingMessage.prototype);
    expect(OutgoingMessage.prototype.write).toBeTypeOf('function');
    expect(OutgoingMessage.prototype.write.length).toBe(3);
    expect(OutgoingMessage.prototype.end.length).toBe(3);
  });

  it('see every chunk a piped stream writes, and the last one given to end()', async () => {
    const seen: string[] = [];
    const patched = patchServerResponseWrites({
      write: (_res, chunk) => void seen.push(`w:${String(chunk)}`),
      end: (_res, chunk) => void seen.push(`e:${String(chunk)}`),
    });
    expect(patched).toBe(true); // each test file runs in a fresh process (pool: forks)
    expect(patchServerResponseWrites({ write() {}, end() {} })).toBe(false);
    server = createServer((req, res) => {
      if (req.url === '/piped') Readable.from(['a', 'b']).pipe(res);
      else res.end('c');
    });
    await new Promise<void>((resolve) => server!.listen(0, '127.0.0.1', resolve));
    const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
    expect(await fetchText(`${url}/piped`)).toBe('ab');
    expect(await fetchText(`${url}/one`)).toBe('c');
    expect(seen).toEqual(['w:a', 'w:b', 'e:undefined', 'e:c']);
  });
});

describe('Node: OutgoingMessage#_header (renderedHead)', () => {
  it('holds the head rendered from headers given to writeHead() directly', async () => {
    let head: string | undefined;
    const url = await serve((res) => {
      expect(renderedHead(res)).toBeUndefined();
      res.writeHead(200, { 'content-type': 'text/event-stream' });
      res.write('data: 1\n\n');
      head = renderedHead(res);
      res.end();
    });
    await fetchText(url);
    expect(head).toMatch(/\r\ncontent-type: text\/event-stream\r\n/i);
  });
});

describe('Node: Readable#push (interceptPush)', () => {
  it('is how a transform and the HTTP parser hand data to a readable', async () => {
    expect(Readable.prototype.push.length).toBe(2);
    const through = new PassThrough();
    const chunks: string[] = [];
    const restore = interceptPush(through, (chunk) => chunks.push(String(chunk)));
    through.end('x');
    through.resume();
    await new Promise((resolve) => through.once('end', resolve));
    restore();
    expect(chunks).toEqual(['x']);
    expect(Object.hasOwn(through, 'push')).toBe(false);

    const url = await serve((res) => {
      res.write('first');
      setTimeout(() => res.end('second'), 30);
    });
    const received = await new Promise<string[]>((resolve, reject) => {
      get(url, (res) => {
        const pushed: string[] = [];
        interceptPush(res, (chunk) => pushed.push(String(chunk)));
        res.on('end', () => resolve(pushed));
        res.resume();
      }).once('error', reject);
    });
    expect(received).toContain('second');
  });
});

@Controller()
class FailingController {
  @Get('fail')
  fail(): never {
    throw new Error('boom');
  }
}

@Module({ controllers: [FailingController] })
class FailingModule {}

describe('Nest: ExceptionsHandler#next (patchExceptionsHandler)', () => {
  it('exists where the deep import finds it, taking (exception, host)', () => {
    expect(ExceptionsHandler.prototype.next).toBeTypeOf('function');
    expect(ExceptionsHandler.prototype.next.length).toBe(2);
  });

  it('is what Nest calls with an HTTP handler’s exception and an ArgumentsHost of (req, res)', async () => {
    const next = vi.spyOn(ExceptionsHandler.prototype, 'next');
    const app = await NestFactory.create(FailingModule, { logger: false });
    try {
      await app.listen(0, '127.0.0.1');
      const url = await app.getUrl();
      await new Promise<void>((resolve, reject) =>
        get(`${url.replace('[::1]', '127.0.0.1')}/fail`, (res) => {
          res.resume();
          res.on('end', resolve);
        }).once('error', reject),
      );
      expect(next).toHaveBeenCalledTimes(1);
      const [exception, host] = next.mock.calls[0]! as unknown as [
        Error,
        { getArgByIndex(i: number): unknown },
      ];
      expect(exception.message).toBe('boom');
      expect((host.getArgByIndex(0) as { url?: string }).url).toBe('/fail');
      expect(host.getArgByIndex(1)).toHaveProperty('statusCode');
    } finally {
      next.mockRestore();
      await app.close();
    }
  });
});

const hook = (): void => undefined;

describe('instances the instrument hook hands over (lib/instrumentation)', () => {
  it('ClientProxy keeps one dispatch-hook slot, set through setOnDispatchHook', () => {
    expect(ClientProxy.prototype.setOnDispatchHook.length).toBe(1);
    const client = new ClientKafka({});
    client.setOnDispatchHook(hook);
    expect((client as unknown as { onDispatchHook: unknown }).onDispatchHook).toBe(hook);
  });

  it('ClientKafka serializes each message through serializer.serialize', () => {
    // ClientRMQ and ClientNats need amqplib and nats to be constructed: not installed here.
    const client = new ClientKafka({});
    const serializer = (client as unknown as { serializer?: { serialize?: unknown } }).serializer;
    expect(serializer?.serialize).toBeTypeOf('function');
  });

  it('ClientGrpcProxy hands out services through getService', () => {
    expect(ClientGrpcProxy.prototype.getService).toBeTypeOf('function');
    expect(ClientGrpcProxy.prototype.getClientByServiceName).toBeTypeOf('function');
  });

  it('BullMQ Queue#add/addBulk and ProcessorDecoratorService#decorate keep their shapes', () => {
    expect(Queue.name).toBe('Queue');
    expect(Queue.prototype.add.length).toBe(3);
    expect(Queue.prototype.addBulk.length).toBe(1);
    expect(ProcessorDecoratorService.name).toBe('ProcessorDecoratorService');
    expect(ProcessorDecoratorService.prototype.decorate.length).toBe(1);
  });
});
