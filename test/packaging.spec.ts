import { execFile } from 'node:child_process';
import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { dirname, join, relative, resolve, sep } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import ts from 'typescript';
import { beforeAll, describe, expect, it } from 'vitest';
import { packedFiles } from './fixtures/packed-library.js';

// The ESM packaging contract, checked against the built dist/ (`npm test` builds first).

const run = promisify(execFile);
const ROOT = fileURLToPath(new URL('..', import.meta.url));
const DIST = join(ROOT, 'dist');
const PACKAGE = JSON.parse(readFileSync(join(ROOT, 'package.json'), 'utf8')) as {
  name: string;
  main?: string;
  types?: string;
  exports: unknown;
  license?: string;
};

/**
 * The public API: every runtime export of lib/index.ts (types leave no trace at run time).
 * Changing this list is changing the package's contract: do it on purpose, with a changelog.
 */
const EXPECTED_EXPORTS = [
  'AlwaysOffSampler',
  'AlwaysOnSampler',
  'B3Propagator',
  'CloudWatchLogExporter',
  'CompositePropagator',
  'ConsoleSpanExporter',
  'CorrelationId',
  'CurrentSpan',
  'DEFAULT_FRAMEWORK_MODULES',
  'DatadogLogExporter',
  'ExportResultCode',
  'FileSpanExporter',
  'FunctionSampler',
  'InMemorySpanExporter',
  'LOG_EXPORTERS',
  'LokiLogExporter',
  'NoTrace',
  'OtlpGrpcExporter',
  'OtlpHttpExporter',
  'ParentBasedSampler',
  'RestLogExporter',
  'SamplingDecision',
  'SpanKind',
  'SpanStatusCode',
  'TRACING_EXPORTERS',
  'TraceFlags',
  'TraceIdRatioBasedSampler',
  'TraceLogger',
  'TraceStore',
  'Traced',
  'TracingConfigError',
  'TracingHealthIndicator',
  'TracingHealthService',
  'TracingInterceptor',
  'TracingMetricsService',
  'TracingModule',
  'TracingService',
  'W3CBaggagePropagator',
  'W3CTraceContextPropagator',
  'ZipkinExporter',
  'createTracingInstrument',
  'currentRun',
  'recordGenAiUsage',
  'runJob',
  'traceGenAi',
  'traceGenAiStream',
];

/** Runtime exports of the "./http" subpath (TracedHttpService and friends). */
const EXPECTED_HTTP_EXPORTS = [
  'HttpRequestRecords',
  'RECORD_ATTRIBUTES',
  'STREAM_ATTRIBUTES',
  'TRACED_HTTP_MODULE_OPTIONS',
  'TracedHttpModule',
  'TracedHttpService',
  'instrumentAxios',
  'instrumentServerResponse',
];

/**
 * Runtime exports of the "./export" subpath: the building blocks under the module (wire
 * encoders, span processors, the tracer and its context functions, ids, propagation helpers).
 */
const EXPECTED_EXPORT_EXPORTS = [
  'Baggage',
  'BatchSpanProcessor',
  'DEFAULT_SPAN_LIMITS',
  'MultiSpanProcessor',
  'RandomIdGenerator',
  'SimpleSpanProcessor',
  'TraceContext',
  'TraceState',
  'Tracer',
  'activeContext',
  'bindContext',
  'createPropagator',
  'createSampler',
  'defaultGetter',
  'defaultSetter',
  'encodeDatadogLogs',
  'encodeLokiPush',
  'encodeOtlpJson',
  'encodeOtlpProtobuf',
  'encodeZipkinJson',
  'formatTraceparent',
  'hrTimeToUnixMicros',
  'hrTimeToUnixMillis',
  'hrTimeToUnixNanos',
  'isValidSpanId',
  'isValidTraceId',
  'logRecordToJson',
  'parseTraceState',
  'parseTraceparent',
  'runWithContext',
  'toCloudWatchLogEvents',
];

/** Runtime exports of the "./testing" subpath (the testing kit). */
const EXPECTED_TESTING_EXPORTS = [
  'createTracingTestingModule',
  'expectAttributes',
  'expectParent',
  'findSpan',
  'findSpans',
  'overrideTracingExporters',
  'waitForTrace',
];

const ENTRIES = [
  PACKAGE.name,
  `${PACKAGE.name}/http`,
  `${PACKAGE.name}/export`,
  `${PACKAGE.name}/testing`,
];

function filesUnder(dir: string, suffix: string): string[] {
  return (readdirSync(dir, { recursive: true }) as string[])
    .filter((file) => file.endsWith(suffix))
    .map((file) => join(dir, file))
    .filter((file) => statSync(file).isFile())
    .toSorted();
}

/** Every module specifier of a file: static and dynamic imports, re-exports, require calls. */
function specifiersOf(file: string): string[] {
  const info = ts.preProcessFile(readFileSync(file, 'utf8'), true, true);
  return info.importedFiles.map((ref) => ref.fileName);
}

function exportTargets(value: unknown): string[] {
  if (typeof value === 'string') return [value];
  if (value === null || typeof value !== 'object') return [];
  return Object.values(value).flatMap(exportTargets);
}

/**
 * Line numbers of the nodes of a JS file that `match` says yes to; `'skip'` leaves the node's
 * subtree out.
 */
function linesWhere(file: string, match: (node: ts.Node) => boolean | 'skip'): number[] {
  const text = readFileSync(file, 'utf8');
  const source = ts.createSourceFile(file, text, ts.ScriptTarget.Latest, true, ts.ScriptKind.JS);
  const lines: number[] = [];
  const visit = (node: ts.Node): void => {
    const verdict = match(node);
    if (verdict === 'skip') return;
    if (verdict) lines.push(source.getLineAndCharacterOfPosition(node.getStart()).line + 1);
    ts.forEachChild(node, visit);
  };
  visit(source);
  return lines;
}

/** `await` (or `for await`) outside any function, i.e. top-level await. */
const topLevelAwaits = (file: string): number[] =>
  linesWhere(file, (node) =>
    ts.isFunctionLike(node)
      ? 'skip'
      : ts.isAwaitExpression(node) || (ts.isForOfStatement(node) && !!node.awaitModifier),
  );

/** `import.meta` and `import()`: ESM-only syntax. */
const esmOnlySyntax = (file: string): number[] =>
  linesWhere(
    file,
    (node) =>
      (ts.isCallExpression(node) && node.expression.kind === ts.SyntaxKind.ImportKeyword) ||
      (ts.isMetaProperty(node) && node.keywordToken === ts.SyntaxKind.ImportKeyword),
  );

/** Runs a script in a plain node child process (no Vite transform) from the package root. */
async function nodeEval(inputType: 'module' | 'commonjs', script: string): Promise<string> {
  const { stdout } = await run(process.execPath, [`--input-type=${inputType}`, '-e', script], {
    cwd: ROOT,
    timeout: 15_000,
  });
  return stdout;
}

describe('package (built dist)', () => {
  beforeAll(() => {
    if (!existsSync(join(DIST, 'index.js'))) {
      throw new Error('dist/index.js is missing: run `npm run build` (`npm test` does it first)');
    }
  });

  it('points every exports, main and types entry of package.json at a file that exists', () => {
    const targets = [
      ...exportTargets(PACKAGE.exports),
      ...[PACKAGE.main, PACKAGE.types].filter((t): t is string => t !== undefined),
    ];
    expect(targets).toContain('./dist/index.js');
    expect(targets).toContain('./dist/index.d.ts');
    const missing = targets.filter((target) => !existsSync(resolve(ROOT, target)));
    expect(missing).toEqual([]);
  });

  it('uses only relative specifiers that end in .js and name an existing file, in JS and .d.ts', () => {
    const files = [...filesUnder(DIST, '.js'), ...filesUnder(DIST, '.d.ts')];
    expect(files.length).toBeGreaterThan(10);
    const bad: string[] = [];
    for (const file of files) {
      for (const specifier of specifiersOf(file)) {
        if (!specifier.startsWith('.')) continue;
        const target = resolve(dirname(file), specifier);
        if (!specifier.endsWith('.js') || !existsSync(target) || !statSync(target).isFile()) {
          bad.push(`${relative(ROOT, file)}: '${specifier}'`);
        }
      }
    }
    expect(bad).toEqual([]);
  });

  it('imports by package name in plain node with exactly the public export list', async () => {
    const stdout = await nodeEval(
      'module',
      `const api = await import(${JSON.stringify(PACKAGE.name)});
       console.log(JSON.stringify(Object.keys(api).sort()));`,
    );
    expect(JSON.parse(stdout)).toEqual(EXPECTED_EXPORTS.toSorted());
  });

  it.each([
    ['./http', EXPECTED_HTTP_EXPORTS],
    ['./export', EXPECTED_EXPORT_EXPORTS],
    ['./testing', EXPECTED_TESTING_EXPORTS],
  ])('exposes the %s subpath with exactly its export list', async (subpath, expected) => {
    const stdout = await nodeEval(
      'module',
      `const api = await import(${JSON.stringify(PACKAGE.name + subpath.slice(1))});
       console.log(JSON.stringify(Object.keys(api).sort()));`,
    );
    expect(JSON.parse(stdout)).toEqual(expected.toSorted());
  });

  it('never reaches the optional peers axios and @nestjs/axios from the main entry', () => {
    const seen = new Set<string>();
    const bare = new Set<string>();
    const visit = (file: string): void => {
      if (seen.has(file)) return;
      seen.add(file);
      for (const specifier of specifiersOf(file)) {
        if (specifier.startsWith('.')) visit(resolve(dirname(file), specifier));
        else bare.add(specifier);
      }
    };
    visit(join(DIST, 'index.js'));
    expect(seen.size).toBeGreaterThan(10);
    expect([...bare].filter((s) => s === 'axios' || s.startsWith('@nestjs/axios'))).toEqual([]);
  });

  it('loads through require() in plain node (require(esm), how NestJS 11 CommonJS apps use it)', async () => {
    const stdout = await nodeEval(
      'commonjs',
      `const api = require(${JSON.stringify(PACKAGE.name)});
       console.log(JSON.stringify(Object.keys(api).filter((k) => k !== '__esModule').sort()));`,
    );
    expect(JSON.parse(stdout)).toEqual(EXPECTED_EXPORTS.toSorted());
  });

  it.each(ENTRIES)(
    'gives require() and import of %s the same module in one process (one copy of its state)',
    async (entry) => {
      const stdout = await nodeEval(
        'commonjs',
        `const required = require(${JSON.stringify(entry)});
         import(${JSON.stringify(entry)}).then((imported) => {
           const keys = Object.keys(imported);
           console.log(JSON.stringify({
             file: require.resolve(${JSON.stringify(entry)}),
             keys: keys.length,
             same: keys.filter((k) => required[k] !== imported[k]),
           }));
         });`,
      );
      const { file, keys, same } = JSON.parse(stdout) as {
        file: string;
        keys: number;
        same: string[];
      };
      expect(relative(ROOT, file).split(sep).join('/')).not.toContain('dist/cjs/');
      expect(keys).toBeGreaterThan(5);
      expect(same).toEqual([]);
    },
  );

  it.each(ENTRIES)(
    'sends require() of %s to the CommonJS build where require(esm) is missing (as in Jest)',
    async (entry) => {
      const { stdout } = await run(
        process.execPath,
        [
          '--no-experimental-require-module',
          '-e',
          `console.log(require.resolve(${JSON.stringify(entry)}))`,
        ],
        { cwd: ROOT, timeout: 15_000 },
      );
      expect(relative(ROOT, stdout.trim()).split(sep).join('/')).toMatch(/^dist\/cjs\//);
    },
  );

  it.each(ENTRIES)(
    'builds %s for CommonJS with the same exports as the ESM build',
    async (entry) => {
      const subpath = entry.slice(PACKAGE.name.length);
      const file = join(DIST, 'cjs', subpath, 'index.js');
      const stdout = await nodeEval(
        'commonjs',
        `const api = require(${JSON.stringify(file)});
       import(${JSON.stringify(entry)}).then((esm) => console.log(JSON.stringify({
         cjs: Object.keys(api).filter((k) => k !== '__esModule').sort(),
         esm: Object.keys(esm).sort(),
       })));`,
      );
      const { cjs, esm } = JSON.parse(stdout) as { cjs: string[]; esm: string[] };
      expect(cjs).toEqual(esm);
    },
  );

  it('keeps ESM-only syntax (import.meta, import()) out of the CommonJS build: Jest cannot run it', () => {
    const files = filesUnder(join(DIST, 'cjs'), '.js');
    expect(files.length).toBeGreaterThan(10);
    const found = files.flatMap((file) =>
      esmOnlySyntax(file).map((line) => `${relative(ROOT, file)}:${line}`),
    );
    expect(found).toEqual([]);
    expect(JSON.parse(readFileSync(join(DIST, 'cjs', 'package.json'), 'utf8'))).toEqual({
      type: 'commonjs',
    });
  });

  it('has no top-level await, which require(esm) cannot load', () => {
    const found = filesUnder(DIST, '.js').flatMap((file) =>
      topLevelAwaits(file).map((line) => `${relative(ROOT, file)}:${line}`),
    );
    expect(found).toEqual([]);
  });

  it('ships no test files', () => {
    const all = (readdirSync(DIST, { recursive: true }) as string[]).map((f) =>
      f.split('\\').join('/'),
    );
    const tests = all.filter(
      (file) =>
        /\.(spec|e2e-spec|test)\.(js|d\.ts|js\.map|d\.ts\.map)$/.test(file) ||
        /(^|\/)(test|tests|__tests__|fixtures)(\/|$)/.test(file),
    );
    expect(tests).toEqual([]);
  });
});

describe('the framework-free layers', () => {
  // The built JavaScript, where type-only imports are gone: these layers must run without Nest
  // (config/tracing-feature.ts names Nest types for the feature contract, and only types).
  it.each(['core', 'export', 'config', 'server', 'decorators'])(
    'lib/%s loads nothing from @nestjs/*, in either build',
    (layer) => {
      const files = [DIST, join(DIST, 'cjs')].flatMap((dir) => filesUnder(join(dir, layer), '.js'));
      expect(files.length).toBeGreaterThan(4);
      const offending = files.flatMap((file) =>
        specifiersOf(file)
          .filter((specifier) => specifier === '@nestjs' || specifier.startsWith('@nestjs/'))
          .map((specifier) => `${relative(ROOT, file)}: '${specifier}'`),
      );
      expect(offending).toEqual([]);
    },
  );
});

describe('the tarball npm pack makes', () => {
  let files: Set<string>;

  beforeAll(() => {
    files = new Set(packedFiles().map((file) => file.path));
  }, 60_000);

  it('holds the licence package.json declares, the README and every exports target', () => {
    expect(PACKAGE.license).toBe('MIT');
    expect(files).toContain('LICENSE');
    expect(readFileSync(join(ROOT, 'LICENSE'), 'utf8')).toMatch(/^MIT License/);
    expect(files).toContain('README.md');
    const missing = exportTargets(PACKAGE.exports)
      .map((target) => target.replace(/^\.\//, ''))
      .filter((target) => !files.has(target));
    expect(missing).toEqual([]);
  });

  it('ships the source every source map points to', () => {
    const maps = [...files].filter((file) => file.endsWith('.map'));
    expect(maps.length).toBeGreaterThan(10);
    const dangling = maps.flatMap((map) => {
      const { sources } = JSON.parse(readFileSync(join(ROOT, map), 'utf8')) as {
        sources: string[];
      };
      return sources
        .map((source) =>
          relative(ROOT, resolve(ROOT, dirname(map), source))
            .split(sep)
            .join('/'),
        )
        .filter((source) => !files.has(source))
        .map((source) => `${map} -> ${source}`);
    });
    expect(dangling).toEqual([]);
  });

  it('ships no tests, fixtures, benchmarks or sample app', () => {
    const stray = [...files].filter((file) => !/^(dist|lib)\//.test(file)).toSorted();
    expect(stray).toEqual(['LICENSE', 'README.md', 'package.json']);
  });
});
