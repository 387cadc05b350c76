import swc from 'unplugin-swc';
import { defineConfig } from 'vitest/config';

export default defineConfig({
  plugins: [
    // Nest's DI reads emitted decorator metadata; esbuild/oxc in Vite do not emit it reliably.
    swc.vite({
      module: { type: 'es6' },
      jsc: {
        target: 'es2022',
        parser: { syntax: 'typescript', decorators: true },
        transform: {
          legacyDecorator: true,
          decoratorMetadata: true,
          useDefineForClassFields: false,
        },
      },
    }),
  ],
  test: {
    include: ['test/**/*.spec.ts', 'test/**/*.e2e-spec.ts'],
    // Fixture apps carry tests of their own, run by their own runner (Jest for Nest 11).
    exclude: ['test/fixtures/**', '**/node_modules/**'],
    environment: 'node',
    testTimeout: 20_000,
    hookTimeout: 30_000,
    pool: 'forks',
    // Prints which system binaries (Prometheus, Redis, Chromium, PostgreSQL, MariaDB) were missing, if any suite skipped.
    globalSetup: ['test/fixtures/system-services.global-setup.ts'],
  },
});
