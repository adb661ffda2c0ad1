import { describe, expect, it } from 'vitest';
import { cliGlobals, normalizeArgv, typedSpelling } from '../src/cli/argv.js';

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
  it('takes the global -no-color and -input=BOOL out wherever they are', () => {
    expect(normalizeArgv(['plan', '-no-color', '-input=false', '-out=x']).args).toEqual([
      'plan',
      '--out=x',
    ]);
    expect(cliGlobals.noColor).toBe(true);
    expect(cliGlobals.input).toBe(false);
    normalizeArgv(['-input=true']);
    expect(cliGlobals.input).toBe(true);
    normalizeArgv(['-input=maybe']);
    expect(cliGlobals.usageError).toBe('Invalid value for -input: "maybe"');
  });
  it('remembers the spelling typed, for error messages', () => {
    normalizeArgv(['apply', '-auto-aprove', '--lock-timeot=3s']);
    expect(typedSpelling('--auto-aprove')).toBe('-auto-aprove');
    expect(typedSpelling('--lock-timeot')).toBe('--lock-timeot');
  });
});
