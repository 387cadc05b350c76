import { describe, expect, it, vi } from 'vitest';

describe('wrapGenAiMethod', () => {
  it('refuses genAi with a clear message when the GenAI feature has not loaded', async () => {
    // A fresh copy of the hook, loaded without the package entry that registers the feature.
    vi.resetModules();
    const { wrapGenAiMethod } = await import('../../../lib/decorators/genai-method-hook.js');
    expect(() => wrapGenAiMethod(() => undefined, { provider: 'openai' })).toThrow(
      '@Traced(): option "genAi" needs the GenAI feature',
    );
  });

  it('uses the wrapper the GenAI feature registers when the package entry loads', async () => {
    vi.resetModules();
    await import('../../../lib/index.js');
    const { wrapGenAiMethod } = await import('../../../lib/decorators/genai-method-hook.js');
    const method = function chat() {
      return 1;
    };
    const wrapped = wrapGenAiMethod(method, { provider: 'openai' });
    expect(wrapped).not.toBe(method);
    expect(wrapped.name).toBe('chat');
  });
});
