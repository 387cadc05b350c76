import { describe, expect, it } from 'vitest';
import {
  isAllowedHost,
  normaliseAddress,
  parseHostRule,
} from '../../../lib/devtools/devtools-access.js';

describe('isAllowedHost', () => {
  const rules = [parseHostRule('traces.internal:3000')!, parseHostRule('viewer.test')!];

  it('lets loopback names in on any port, and the configured hosts', () => {
    const allowed = [
      'localhost',
      'localhost.',
      'LocalHost:80',
      'a.b.localhost:9',
      '127.0.0.1',
      '127.1.2.3:8080',
      '[::1]',
      '[::1]:3000',
      'traces.internal:3000',
      'viewer.test',
      'viewer.test:1',
    ];
    expect(allowed.filter((host) => !isAllowedHost(host, rules))).toEqual([]);
  });

  it('keeps everything else out, a missing or malformed Host included', () => {
    const refused = [
      undefined,
      '',
      'evil.example',
      'localhost.evil.example',
      'evil-localhost',
      '127.0.0.1.evil.example',
      '128.0.0.1',
      '[::2]',
      'traces.internal',
      'traces.internal:3001',
      'sub.viewer.test',
      'localhost:3000 x',
      'user@localhost',
    ];
    expect(refused.filter((host) => isAllowedHost(host, rules))).toEqual([]);
  });

  it('reads IPv4 on a dual-stack socket as IPv4', () => {
    expect(normaliseAddress('::ffff:127.0.0.1')).toBe('127.0.0.1');
    expect(normaliseAddress('::1')).toBe('::1');
    expect(normaliseAddress(undefined)).toBe('');
  });
});
