// Crash recovery for the Terraform provider. terraform records what ApplyResourceChange returns
// only when it persists its state; a `kill -9` of terraform mid-apply can lose a create the
// provider finished (or was half way through). The next apply plans the create again, and the
// control plane would refuse the duplicate name. So before creating an object with a unique
// name (a service's name, a key's alias or key_ring name), the provider leaves a marker in the
// data directory; a later create of the same type and name that finds such an object AND the
// marker takes the object over (ResourceType.adopt, then update to the plan) instead of failing.
// An object of that name made by anyone else (no marker) is still refused by the control plane.
// The marker is removed when the provider destroys the object.

import { createHash } from 'node:crypto';
import { mkdir, readFile, rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { Attrs } from '../model/values.js';

/** The unique name an object of this type is found by after a crash (see each type's adopt). */
export function createIdentity(type: string, attrs: Attrs): string | undefined {
  const name = typeof attrs.name === 'string' ? attrs.name : undefined;
  const alias = typeof attrs.alias === 'string' ? attrs.alias : undefined;
  const ring = typeof attrs.key_ring === 'string' ? attrs.key_ring : undefined;
  const id = type === 'cmek_kms_key' ? (ring ? name && `${ring}/${name}` : alias) : name;
  return id ? `${type}\n${id}` : undefined;
}

function markerPath(dataDir: string, identity: string): string {
  const h = createHash('sha256').update(identity).digest('hex').slice(0, 32);
  return join(dataDir, 'terraform', 'creates', `${h}.json`);
}

export async function markCreate(dataDir: string, identity: string): Promise<void> {
  const p = markerPath(dataDir, identity);
  await mkdir(join(dataDir, 'terraform', 'creates'), { recursive: true, mode: 0o700 });
  await writeFile(p, JSON.stringify({ identity, at: new Date().toISOString() }) + '\n', {
    mode: 0o600,
  });
}

export async function isMarked(dataDir: string, identity: string): Promise<boolean> {
  try {
    const v = JSON.parse(await readFile(markerPath(dataDir, identity), 'utf8')) as {
      identity?: unknown;
    };
    return v.identity === identity;
  } catch {
    return false;
  }
}

export async function unmark(dataDir: string, identity: string): Promise<void> {
  await rm(markerPath(dataDir, identity), { force: true });
}
