// `cmek untaint ADDRESS`: remove the tainted mark `cmek taint` set (docs/cli/untaint.md).
import type { Command } from 'commander';
import { registerTaintVerb } from './taint.js';

export function register(program: Command): void {
  registerTaintVerb(program, false);
}
