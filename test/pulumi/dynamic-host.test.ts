// The real path of `cmek/pulumi` without a pulumi CLI: the `__provider` strings that Pulumi's
// closure serialization produced for our resources, revived by the SDK's own dynamic-provider
// host (@pulumi/pulumi/cmd/dynamic-provider) and driven over gRPC with the SDK's generated stubs
// as the engine does: Configure (cmek:dataDir), Check, Diff, Create, Read, Update, Delete. The
// effects are checked through the real `cmek data` CLI on the same data directory.
import { rmSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { cmek, keyMaterialLike, tempDir } from '../e2e/harness.js';
import { RESOURCE_TYPES } from '../../src/resources/index.js';
import { DIFF, programDir, req, serializedProviders, startDynamicHost, type Host } from './host.js';

let dir: string;
let dataDir: string;
let host: Host;
let providers: Record<string, { token: string; provider: string }>;

const urn = (type: string, name: string) =>
  `urn:pulumi:stack::proj::${providers[type]!.token}::${name}`;
const props = (s: { toJavaScript(): Record<string, unknown> }) => s.toJavaScript();
const failures = (resp: {
  getFailuresList(): Array<{ getProperty(): string; getReason(): string }>;
}) => resp.getFailuresList().map((f) => ({ property: f.getProperty(), reason: f.getReason() }));

beforeAll(async () => {
  dir = programDir();
  dataDir = join(dir, 'state-dir');
  providers = serializedProviders(dir);
  host = await startDynamicHost(dir);
  await host.call('configure', req.configure({ 'cmek:dataDir': dataDir }));
}, 240_000);

afterAll(() => {
  host?.close();
  if (dir) rmSync(dir, { recursive: true, force: true });
});

describe('the serialized providers', () => {
  it('exist for the seven types, under the dynamic token of their class', () => {
    expect(Object.keys(providers).sort()).toEqual(Object.keys(RESOURCE_TYPES).sort());
    expect(providers.cmek_kms_key!.token).toBe('pulumi-nodejs:dynamic/cmek:KmsKey');
    expect(providers.cmek_backup_restore!.token).toBe('pulumi-nodejs:dynamic/cmek:BackupRestore');
  });

  it('capture only the type name: no control plane, KMS, keys or file contents', () => {
    for (const [type, { provider }] of Object.entries(providers)) {
      expect(provider, type).toContain(JSON.stringify(type));
      expect(provider, type).toContain('import("cmek/pulumi")');
      // Small: a handful of method bodies, not a module graph.
      expect(provider.length, type).toBeLessThan(8000);
      expect(keyMaterialLike(provider), type).toEqual([]);
      for (const word of ['openControlPlane', 'createProviderContext', 'zod', 'RESOURCE_TYPES'])
        expect(provider, `${type} embeds ${word}`).not.toContain(word);
      expect(provider, type).not.toContain(dir);
    }
  });
});

describe('the dynamic-provider host drives the resources', () => {
  let keyArn = '';
  let keyId = '';
  let svcId = '';
  let svcOuts: Record<string, unknown> = {};
  const key = () => providers.cmek_kms_key!.provider;
  const svc = () => providers.cmek_encrypted_service!.provider;
  /** The inputs of the cloudsql service "orders", with changes. */
  const orders = (extra: Record<string, unknown> = {}) => ({
    __provider: svc(),
    name: 'orders',
    region: 'eu-west-1',
    profile: 'cloudsql',
    kmsKey: keyArn,
    ...extra,
  });

  it('Check validates with the schema and reports the code', async () => {
    const bad = await host.call(
      'check',
      req.check(urn('cmek_kms_key', 'k'), {}, { __provider: key(), region: 'mars-1', bogus: 1 }),
    );
    const f = failures(bad);
    expect(f.map((x) => x.property).sort()).toEqual(['bogus', 'region']);
    for (const x of f) expect(x.reason).toMatch(/^CONFIG_SCHEMA: /);
  });

  it('Create makes a real key in the data directory, Read finds it', async () => {
    const news = { __provider: key(), region: 'eu-west-1', alias: 'alias/pulumi-orders' };
    const checked = await host.call('check', req.check(urn('cmek_kms_key', 'k'), {}, news));
    expect(failures(checked)).toEqual([]);
    const created = await host.call(
      'create',
      req.create(urn('cmek_kms_key', 'k'), props(checked.getInputs())),
    );
    const outs = props(created.getProperties());
    keyId = created.getId();
    keyArn = String(outs.arn);
    expect(keyArn).toMatch(/^arn:aws:kms:eu-west-1:\d{12}:key\//);
    expect(outs.keyId).toBe(keyId);
    expect(outs.keyState).toBe('Enabled');
    expect(outs.deletionWindowInDays).toBe(30); // the definition's default
    expect(outs.__provider).toBe(key());
    const kms = cmek(dir, ['kms', 'describe', 'alias/pulumi-orders', '--data-dir', dataDir]);
    expect(kms.code, kms.stderr).toBe(0);
    expect(kms.stdout).toContain(keyId);
    const read = await host.call('read', req.read(keyId, urn('cmek_kms_key', 'k'), outs));
    expect(read.getId()).toBe(keyId);
    expect(props(read.getProperties()).arn).toBe(keyArn);
  });

  it('Check runs the CMEK rules: a service in another region than its key fails', async () => {
    const resp = await host.call(
      'check',
      req.check(
        urn('cmek_encrypted_service', 's'),
        {},
        { __provider: svc(), name: 'orders', region: 'us-east-1', kmsKey: keyArn },
      ),
    );
    const f = failures(resp);
    expect(f.length).toBeGreaterThan(0);
    expect(f[0]!.reason).toMatch(/^CMEK_REGION_MISMATCH: /);
  });

  it('Create makes the service; its data goes through `cmek data`', async () => {
    const news = orders();
    const checked = await host.call(
      'check',
      req.check(urn('cmek_encrypted_service', 's'), {}, news),
    );
    expect(failures(checked)).toEqual([]);
    const created = await host.call(
      'create',
      req.create(urn('cmek_encrypted_service', 's'), props(checked.getInputs())),
    );
    svcId = created.getId();
    svcOuts = props(created.getProperties());
    expect(svcId).toMatch(/^svc-[0-9a-f]{16}$/);
    expect(svcOuts).toMatchObject({ status: 'RUNNING', encrypted: true, kmsKey: keyArn });
    const work = tempDir({ 'in.txt': 'order 42: paid\n' });
    const put = cmek(work, ['data', 'put', 'orders', 'o/42', 'in.txt', '--data-dir', dataDir]);
    expect(put.code, put.stderr).toBe(0);
    const get = cmek(work, ['data', 'get', 'orders', 'o/42', '--data-dir', dataDir]);
    expect(get.code, get.stderr).toBe(0);
    expect(get.stdout).toBe('order 42: paid\n');
  });

  it('Diff: a cloudsql key change is refused with CMEK_KEY_IMMUTABLE', async () => {
    const news: Record<string, unknown> = {
      ...svcOuts,
      kmsKey: 'arn:aws:kms:eu-west-1:000000000000:key/1234abcd-12ab-34cd-56ef-1234567890ab',
    };
    delete news.status;
    await expect(
      host.call('diff', req.diff(svcId, urn('cmek_encrypted_service', 's'), svcOuts, news)),
    ).rejects.toThrow(/CMEK_KEY_IMMUTABLE/);
  });

  it('Diff: a region change replaces (delete before replace); a description updates', async () => {
    const moved = await host.call(
      'diff',
      req.diff(svcId, urn('cmek_encrypted_service', 's'), svcOuts, {
        __provider: svc(),
        name: 'orders',
        region: 'eu-central-1',
        profile: 'cloudsql',
      }),
    );
    expect(moved.getReplacesList()).toContain('region');
    expect(moved.getDeletebeforereplace()).toBe(true);
    const described = await host.call(
      'diff',
      req.diff(
        svcId,
        urn('cmek_encrypted_service', 's'),
        svcOuts,
        orders({ description: 'orders db' }),
      ),
    );
    expect(described.getChanges()).toBe(DIFF.DIFF_SOME);
    expect(described.getReplacesList()).toEqual([]);
    const same = await host.call(
      'diff',
      req.diff(svcId, urn('cmek_encrypted_service', 's'), svcOuts, orders()),
    );
    expect(same.getChanges()).toBe(DIFF.DIFF_NONE);
  });

  it('Update changes the service in place; Delete removes it', async () => {
    const news = orders({ description: 'orders db' });
    const updated = await host.call(
      'update',
      req.update(svcId, urn('cmek_encrypted_service', 's'), svcOuts, news),
    );
    expect(props(updated.getProperties()).description).toBe('orders db');
    const ls = cmek(dir, ['service', 'ls', '--data-dir', dataDir]);
    expect(ls.stdout).toContain('orders');
    await host.call(
      'delete',
      req.delete(svcId, urn('cmek_encrypted_service', 's'), props(updated.getProperties())),
    );
    const get = cmek(dir, ['data', 'get', 'orders', 'o/42', '--data-dir', dataDir]);
    expect(get.code).not.toBe(0);
    const read = await host.call(
      'read',
      req.read(svcId, urn('cmek_encrypted_service', 's'), props(updated.getProperties())),
    );
    expect(read.getId()).toBe('');
  });

  it('a clickhouse key change is a rotation: Diff updates in place, Update re-wraps', async () => {
    const k2 = await host.call(
      'create',
      req.create(urn('cmek_kms_key', 'k2'), { __provider: key(), region: 'eu-west-1' }),
    );
    const k2Arn = String(props(k2.getProperties()).arn);
    const base = { __provider: svc(), name: 'events', region: 'eu-west-1', kmsKey: keyArn };
    const created = await host.call('create', req.create(urn('cmek_encrypted_service', 'e'), base));
    const id = created.getId();
    const outs = props(created.getProperties());
    const work = tempDir({ 'in.txt': 'event 1\n' });
    expect(cmek(work, ['data', 'put', 'events', 'e/1', 'in.txt', '--data-dir', dataDir]).code).toBe(
      0,
    );
    const news = { ...base, kmsKey: k2Arn };
    const d = await host.call('diff', req.diff(id, urn('cmek_encrypted_service', 'e'), outs, news));
    expect(d.getChanges()).toBe(DIFF.DIFF_SOME);
    expect(d.getReplacesList()).toEqual([]);
    const u = await host.call(
      'update',
      req.update(id, urn('cmek_encrypted_service', 'e'), outs, news),
    );
    expect(props(u.getProperties()).kmsKey).toBe(k2Arn);
    const get = cmek(work, ['data', 'get', 'events', 'e/1', '--data-dir', dataDir]);
    expect(get.code, get.stderr).toBe(0);
    expect(get.stdout).toBe('event 1\n');
  });

  it('Delete of a key schedules its deletion; Read then reports it gone', async () => {
    const outs = {
      __provider: key(),
      region: 'eu-west-1',
      arn: keyArn,
      keyId,
      alias: 'alias/pulumi-orders',
      deletionWindowInDays: 7,
    };
    // The service "events" still uses this key's successor only; "orders" was deleted above.
    await host.call('delete', req.delete(keyId, urn('cmek_kms_key', 'k'), outs));
    const read = await host.call('read', req.read(keyId, urn('cmek_kms_key', 'k'), outs));
    expect(read.getId()).toBe('');
    const kms = cmek(dir, ['kms', 'describe', keyId, '--data-dir', dataDir]);
    expect(kms.stdout).toContain('PendingDeletion');
  });

  it('Check uses the control plane: a replica of an existing service gets its key rules', async () => {
    const svcs = JSON.parse(
      cmek(dir, ['service', 'ls', '-json', '--data-dir', dataDir]).stdout,
    ) as Array<{
      id: string;
      name: string;
    }>;
    const events = svcs.find((s) => s.name === 'events')!;
    const other = await host.call(
      'create',
      req.create(urn('cmek_kms_key', 'k3'), { __provider: key(), region: 'eu-west-1' }),
    );
    const otherArn = String(props(other.getProperties()).arn);
    const resp = await host.call(
      'check',
      req.check(
        urn('cmek_replica', 'r'),
        {},
        {
          __provider: providers.cmek_replica!.provider,
          primaryId: events.id,
          name: 'events-replica',
          region: 'eu-west-1',
          kmsKey: otherArn,
        },
      ),
    );
    const f = failures(resp);
    expect(f.map((x) => x.reason.split(':')[0])).toEqual(['CMEK_REPLICA_KEY_INHERITED']);
  });

  it('Delete of a key that a service still uses is refused with CMEK_KEY_IN_USE', async () => {
    const svcs = JSON.parse(
      cmek(dir, ['service', 'ls', '-json', '--data-dir', dataDir]).stdout,
    ) as Array<{
      name: string;
      kmsKey: string;
    }>;
    const used = svcs.find((s) => s.name === 'events')!.kmsKey;
    const keyIdOf = used.split('/').pop()!;
    await expect(
      host.call(
        'delete',
        req.delete(keyIdOf, urn('cmek_kms_key', 'k2'), {
          __provider: key(),
          region: 'eu-west-1',
          arn: used,
          keyId: keyIdOf,
        }),
      ),
    ).rejects.toThrow(/CMEK_KEY_IN_USE/);
    const kms = cmek(dir, ['kms', 'describe', keyIdOf, '--data-dir', dataDir]);
    expect(kms.stdout).toContain('Enabled');
  });

  it('no stack trace or key material reached the host log', () => {
    // The host prints a failed call's error: ours carry the diagnostic, not a stack.
    expect(host.stderr()).toContain('CMEK_KEY_IMMUTABLE');
    expect(host.stderr()).not.toMatch(/^\s+at .*:\d+:\d+\)?$/m);
    expect(host.stderr()).not.toMatch(/[0-9a-fA-F]{64}/);
  });
});
