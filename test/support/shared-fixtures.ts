// Where the real third-party fixtures live (Terraform plans, HCL, key policies), read in place
// and never copied: CMEK_SHARED_FIXTURES when set, else `../shared/fixtures` beside the
// repository, else beside the main checkout of a git worktree (/work/shared/fixtures). A test
// that needs them says loudly when they are absent.
import { existsSync } from 'node:fs';
import { join } from 'node:path';

const REPO = join(import.meta.dirname, '..', '..');

/** The fixtures directory (or `sub` inside it); the first candidate that exists, else the
 * first candidate (so a message can name where it looked). */
export function sharedFixtures(sub = ''): string {
  const candidates = [
    process.env.CMEK_SHARED_FIXTURES,
    join(REPO, '..', 'shared', 'fixtures'),
    '/work/shared/fixtures',
  ].filter((p): p is string => p !== undefined && p !== '');
  const found = candidates.find((p) => existsSync(join(p, sub)));
  return join(found ?? candidates[0]!, sub);
}
