import { Module } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import { Test } from '@nestjs/testing';
import { mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join, matchesGlob } from 'node:path';
import { fileURLToPath } from 'node:url';
import ts from 'typescript';
import request from 'supertest';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { configDefaults } from 'vitest/config';
// The README's examples import the package by name, so these run against the built package.
import { InMemorySpanExporter, TracingModule, TracingService } from 'nestjs-tracing';
import { AppModule, UsersController, UsersService } from '../fixtures/readme/app.module.js';
import { codeBlockStartingWith, README_COMPILER_OPTIONS } from '../fixtures/readme-blocks.js';

const ROOT = fileURLToPath(new URL('../..', import.meta.url));

/** The file name the README gives the testing-kit example. */
const TESTING_KIT_FILE = 'users.e2e.spec.ts';

describe('README examples', () => {
  const closers: (() => Promise<void>)[] = [];
  afterEach(async () => {
    for (const close of closers.splice(0)) await close();
    vi.restoreAllMocks();
  });

  it('quotes the quick-start module exactly as the fixture that this test runs', () => {
    const fixture = readFileSync(
      new URL('../fixtures/readme/app.module.ts', import.meta.url),
      'utf8',
    );
    expect(codeBlockStartingWith('// app.module.ts')).toBe(fixture);
  });

  it('quotes the testing-kit example exactly as test/e2e/testing-kit-readme.e2e-spec.ts runs it', () => {
    const spec = readFileSync(new URL('./testing-kit-readme.e2e-spec.ts', import.meta.url), 'utf8');
    const expected = spec
      .split('\n')
      .slice(1)
      .join('\n')
      .replace("'../fixtures/readme/app.module.js'", "'./app.module.js'");
    expect(codeBlockStartingWith(`// ${TESTING_KIT_FILE}\n`)).toBe(
      `// ${TESTING_KIT_FILE}\n${expected}`,
    );
  });

  it("names the testing-kit example's file so that Vitest's default include pattern finds it", () => {
    // `*.e2e-spec.ts`, Nest's Jest convention, is not among them.
    expect(
      configDefaults.include.some((glob) => matchesGlob(`test/${TESTING_KIT_FILE}`, glob)),
    ).toBe(true);
  });

  it('quotes the TracedHttpService example exactly as test/types/readme-http-example.ts, which typecheck compiles', () => {
    const file = readFileSync(new URL('../types/readme-http-example.ts', import.meta.url), 'utf8');
    expect(
      codeBlockStartingWith(
        "import { Injectable, Module } from '@nestjs/common';\nimport { firstValueFrom }",
      ),
    ).toBe(file);
  });

  it.each([
    { type: 'module', errors: [] },
    // TS1309: top-level await in a CommonJS file, which the Quick start warns about.
    { type: 'commonjs', errors: [1309] },
  ])(
    'compiles the quick start in a package of type $type, as the README says',
    ({ type, errors }) => {
      const dir = join(ROOT, 'test', 'artifacts', `quick-start-${type}`);
      rmSync(dir, { recursive: true, force: true });
      mkdirSync(dir, { recursive: true });
      writeFileSync(join(dir, 'package.json'), JSON.stringify({ type }));
      writeFileSync(join(dir, 'app.module.ts'), codeBlockStartingWith('// app.module.ts'));
      writeFileSync(join(dir, 'main.ts'), codeBlockStartingWith('// main.ts'));
      const program = ts.createProgram([join(dir, 'main.ts')], {
        ...README_COMPILER_OPTIONS,
        noEmit: true,
      });
      const codes = [...new Set(ts.getPreEmitDiagnostics(program).map((d) => d.code))];
      expect(codes).toEqual(errors);
    },
  );

  it('runs the quick start: a correlation id header and a printed trace tree', async () => {
    const lines: string[] = [];
    vi.spyOn(process.stdout, 'write').mockImplementation(((chunk: string | Uint8Array) => {
      lines.push(String(chunk));
      return true;
    }) as typeof process.stdout.write);
    const app = await NestFactory.create(AppModule, { logger: false });
    closers.push(() => app.close());
    await app.listen(0, '127.0.0.1');
    const res = await request(await app.getUrl())
      .get('/users/42')
      .expect(200);
    expect(res.body).toEqual({ id: '42', name: 'user-42' });
    expect(res.headers['x-correlation-id']).toMatch(/^[0-9a-f]{32}$/);
    await app.get(TracingService).forceFlush();
    vi.restoreAllMocks();
    const out = lines.join('');
    expect(out).toContain('users');
    expect(out).toMatch(/GET \/users\/:id \[server\] [\d.]+ ms/);
    expect(out).toMatch(/└─ UsersService\.findOne \[internal\]/);
  });

  it('runs the "Testing your app" example as written', async () => {
    const example = codeBlockStartingWith('const moduleRef = await Test.createTestingModule');
    @Module({ controllers: [UsersController], providers: [UsersService] })
    class UsersModule {}
    const run = new Function(
      'Test',
      'TracingModule',
      'UsersModule',
      'request',
      'InMemorySpanExporter',
      'expect',
      `return (async () => {\n${example}\nawait app.close();\nreturn spans;\n})();`,
    ) as (...args: unknown[]) => Promise<{ name: string }[]>;
    const spans = await run(
      Test,
      TracingModule,
      UsersModule,
      request,
      InMemorySpanExporter,
      expect,
    );
    expect(spans.map((s) => s.name)).toEqual(
      expect.arrayContaining(['GET /users/:id', 'UsersService.findOne']),
    );
  });
});
