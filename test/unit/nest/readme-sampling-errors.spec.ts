import { readFileSync } from 'node:fs';
import { HttpException, UnprocessableEntityException } from '@nestjs/common';
import { describe, expect, it } from 'vitest';
import { resolveTracingConfig } from '../../../lib/config/tracing-config.js';
import type { TracingModuleOptions } from '../../../lib/index.js';

// The README's "Expected errors" and "Tail sampling and span rules" forRoot examples, run
// through the real option resolution: they must be accepted as written and do what the text
// around them says.

const README = readFileSync(new URL('../../../README.md', import.meta.url), 'utf8');

function firstForRootBlock(heading: string): string {
  const start = README.indexOf(heading);
  if (start === -1) throw new Error(`README has no "${heading}"`);
  const block = /```ts\n(TracingModule\.forRoot\([\s\S]*?)```/.exec(README.slice(start));
  if (!block) throw new Error(`no forRoot block under "${heading}"`);
  return block[1]!;
}

/** Evaluates the example with the names it uses in scope, returning the options it passes. */
function optionsOf(code: string): TracingModuleOptions {
  let captured: TracingModuleOptions | undefined;
  const TracingModule = { forRoot: (options: TracingModuleOptions) => (captured = options) };
  new Function('TracingModule', 'HttpException', 'UnprocessableEntityException', code)(
    TracingModule,
    HttpException,
    UnprocessableEntityException,
  );
  if (captured === undefined) throw new Error(`no forRoot call in:\n${code}`);
  return captured;
}

describe('README sampling and error examples', () => {
  it('Expected errors: 409, UnprocessableEntityException and a 429 predicate count; a 404 does not', () => {
    const config = resolveTracingConfig(optionsOf(firstForRootBlock('### Expected errors')), {});
    // The example sets no exporter, so the notice that nothing is exported is right.
    expect(config.warnings.filter((w) => !w.startsWith('No span exporters configured'))).toEqual(
      [],
    );
    const policy = config.errorPolicy;
    expect(policy.isError(new HttpException('conflict', 409))).toBe(true);
    expect(policy.isError(new UnprocessableEntityException())).toBe(true);
    expect(policy.isError(new HttpException('slow down', 429))).toBe(true);
    expect(policy.isError(new HttpException('not found', 404))).toBe(false);
    expect(policy.isErrorStatus(409)).toBe(true);
  });

  it('Tail sampling: the example is accepted and turns the tail sampler on', () => {
    const config = resolveTracingConfig(
      optionsOf(firstForRootBlock('### Tail sampling and span rules')),
      {},
    );
    expect(config.warnings).toEqual([]);
    expect(config.tailSampling).toBeDefined();
  });
});
