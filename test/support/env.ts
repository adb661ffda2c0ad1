// Every test file gets its own user data (and cache) directory, so the local KMS root keys that the tests
// create (by default under $XDG_DATA_HOME/cmek/root-keys, see docs/kms.md) never land in the real
// home directory; CLI processes the tests spawn inherit it.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll } from 'vitest';

const dir = mkdtempSync(join(tmpdir(), 'cmek-test-xdg-'));
process.env.XDG_DATA_HOME = dir;
process.env.XDG_CACHE_HOME = join(dir, 'cache');
delete process.env.CMEK_KMS_ROOT_KEY;
delete process.env.CMEK_KMS_ROOT_KEY_FILE;
afterAll(() => rmSync(dir, { recursive: true, force: true }));
