import { describe, expect, it } from 'vitest';
import { normalizeArgv } from '../src/cli/argv.js';

describe('normalizeArgv', () => {
  it('turns terraform single-dash flags into double-dash ones', () => {
    expect(normalizeArgv(['apply', '-auto-approve', '-parallelism=3']).args).toEqual([
      'apply',
      '--auto-approve',
      '--parallelism=3',
    ]);
  });
  it('keeps double-dash flags and single-letter flags', () => {
    expect(normalizeArgv(['data', 'get', 's', 'o', '-o', 'f', '--json']).args).toEqual([
      'data',
      'get',
      's',
      'o',
      '-o',
      'f',
      '--json',
    ]);
  });
  it('extracts -chdir in both spellings', () => {
    expect(normalizeArgv(['-chdir=x', 'plan'])).toEqual({ args: ['plan'], chdir: 'x' });
    expect(normalizeArgv(['--chdir', 'y', 'plan'])).toEqual({ args: ['plan'], chdir: 'y' });
  });
  it('leaves everything after -- alone', () => {
    expect(normalizeArgv(['x', '--', '-foo']).args).toEqual(['x', '--', '-foo']);
  });
});
