// Every operation of the control plane, once embedded and once through `cmek server` over real
// HTTP: the results (records, objects, listings, failures and their codes) are the same, up to
// ids and timestamps. The scenario is checked to call every operation of the remote table.
import { Readable } from 'node:stream';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Diagnostic } from '../../src/model/diagnostics.js';
import { DiagnosticError } from '../../src/model/diagnostics.js';
import type { ControlPlaneApi } from '../../src/service/api.js';
import { OPERATIONS } from '../../src/service/remote/operations.js';
import { rig, type Rig } from './setup.js';

let r: Rig;
beforeAll(async () => {
  r = await rig();
});
afterAll(async () => r?.close());

async function text(s: Readable): Promise<string> {
  const parts: Buffer[] = [];
  for await (const c of s) parts.push(c as Buffer);
  return Buffer.concat(parts).toString('utf8');
}

/** Records which operations a scenario calls. */
function tracked(cp: ControlPlaneApi, seen: Set<string>): ControlPlaneApi {
  const wrap = (obj: object, prefix: string): object =>
    new Proxy(obj, {
      get(target, prop, receiver) {
        const v: unknown = Reflect.get(target, prop, receiver);
        const name = `${prefix}${String(prop)}`;
        if (typeof v === 'function') {
          return (...a: unknown[]) => {
            seen.add(name);
            return (v as (...x: unknown[]) => unknown).apply(target, a);
          };
        }
        if (v && typeof v === 'object' && ['objects', 'backups', 'lifecycle'].includes(name))
          return wrap(v, `${name}.`);
        return v;
      },
    });
  return wrap(cp, '') as ControlPlaneApi;
}

/** Run `fn`; a failure becomes its diagnostic codes and summaries. */
async function outcome<T>(fn: () => Promise<T>): Promise<T | { error: string[] }> {
  try {
    return await fn();
  } catch (e) {
    if (e instanceof DiagnosticError)
      return { error: e.diagnostics.map((d) => `${d.code}: ${d.summary}`) };
    throw e;
  }
}

async function scenario(cp: ControlPlaneApi, key: string): Promise<unknown[]> {
  const out: unknown[] = [];
  const add = (v: unknown) => out.push(v);
  add(await outcome(() => cp.create({ name: 'p', region: 'eu-west-1', kmsKey: key })));
  add(await outcome(() => cp.create({ name: 'p', region: 'eu-west-1', kmsKey: key })));
  add(await outcome(() => cp.create({ name: 'Bad Name', region: 'eu-west-1' })));
  add(await outcome(() => cp.create({ name: 'plain', region: 'eu-west-1' })));
  const problems: Diagnostic[] = [];
  add(await cp.list(problems));
  add(problems);
  add(await cp.get('p'));
  add(await cp.get('nope'));
  add(await outcome(() => cp.require('nope')));
  add(await outcome(() => cp.update('p', { description: 'orders', tags: { team: 'a' } })));
  add(await outcome(() => cp.update('p', { keyCheckInterval: 'soon' })));
  add(await cp.objects.put('p', 'a.txt', Readable.from([Buffer.from('alpha '), 'beta'])));
  add(await cp.objects.put('p', 'b.bin', new Uint8Array([1, 2, 3, 4, 5])));
  add(await cp.objects.put('p', 'c', 'gamma'));
  add(await text(await cp.objects.get('p', 'a.txt')));
  add(await text(await cp.objects.get('p', 'a.txt', { start: 2, end: 8 })));
  add(await text(await cp.objects.get('p', 'a.txt', { start: 6 })));
  add(await outcome(() => cp.objects.get('p', 'missing')));
  add(await cp.objects.stat('p', 'b.bin'));
  add(await cp.objects.list('p'));
  add(await cp.objects.list('p', 'a'));
  add(await cp.objects.remove('p', 'c'));
  add(await cp.objects.remove('p', 'c'));
  add(await outcome(() => cp.objects.list('nope')));
  const rep = await outcome(() =>
    cp.lifecycle.createReplica({ primary: 'p', name: 'r', region: 'eu-west-1' }),
  );
  add(rep);
  add(await outcome(() => cp.objects.put('r', 'x', 'no')));
  add(await text(await cp.objects.get('r', 'a.txt')));
  add(
    await outcome(() =>
      cp.lifecycle.createReplica(
        { primary: 'p', name: 'r2', region: 'us-east-1' },
        { address: 'cmek_replica.us' },
      ),
    ),
  );
  add(await outcome(() => cp.lifecycle.createClone({ source: 'p', name: 'c1' })));
  add(await text(await cp.objects.get('c1', 'a.txt')));
  const b = await cp.backups.create('p', { description: 'nightly' });
  add(b);
  add(await cp.backups.get(b.id));
  add(await cp.backups.get('bkp-0000000000000000'));
  add(await cp.backups.list());
  add(await cp.backups.list('svc-0000000000000000'));
  add(await outcome(() => cp.lifecycle.restore({ backupId: b.id, name: 'restored' })));
  add(await text(await cp.objects.get('restored', 'b.bin')));
  add(await outcome(() => cp.lifecycle.finish('restored')));
  add(await outcome(() => cp.lifecycle.followPrimaryKey('restored')));
  add(await cp.checkKey('p'));
  add(await cp.start('p'));
  await r.admin.disableKey(key);
  const check = await cp.checkKey('p', { address: 'cmek_encrypted_service.p' });
  add({ ...check, failure: check.failure?.diagnostics.map((d) => d.code) });
  add(await outcome(() => cp.start('p')));
  add(await outcome(() => cp.objects.get('p', 'a.txt')));
  await r.admin.enableKey(key);
  add(await cp.start('p'));
  add((await cp.events()).map((e) => `${e.type} ${e.name} ${e.reason}`));
  add((await cp.events((await cp.require('p')).id)).length);
  await cp.backups.delete(b.id);
  add(await cp.backups.list());
  for (const name of ['r', 'c1', 'restored', 'plain', 'p'])
    add(await outcome(() => cp.delete(name)));
  add(await cp.delete('p'));
  add(await cp.list());
  return out;
}

/** Ids and times differ between two runs; the rest must not. */
function normalized(v: unknown): unknown {
  const ids = new Map<string, string>();
  return JSON.parse(
    JSON.stringify(v)
      .replace(/(svc|bkp)-[0-9a-f]{16}/g, (id) => {
        if (!ids.has(id)) ids.set(id, `${id.slice(0, 3)}#${ids.size}`);
        return ids.get(id)!;
      })
      .replace(/\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d+)?Z/g, 'TIME'),
  );
}

describe('remote control plane vs embedded', () => {
  it('gives the same results for every operation', { timeout: 120_000 }, async () => {
    const seen = new Set<string>();
    const embedded = await scenario(r.embedded, r.euKey);
    const remote = await scenario(tracked(r.remote, seen), r.euKey);
    expect(normalized(remote)).toEqual(normalized(embedded));
    // The scenario exercised every route of the table, and did real work.
    expect([...seen].filter((n) => n !== 'location').sort()).toEqual(
      OPERATIONS.map((o) => o.name).sort(),
    );
    const flat = JSON.stringify(remote);
    expect(flat).toContain('alpha beta');
    // The failures travelled as diagnostics with their codes.
    for (const code of ['APPLY_FAILED', 'CONFIG_SCHEMA', 'CMEK_KEY_INACCESSIBLE', 'USAGE'])
      expect(flat).toContain(code);
    if (process.env.CMEK_SERVER_PEEK) console.log(JSON.stringify(normalized(remote), null, 1));
    expect(r.remote.location).toBe(r.server.url);
  });
});
