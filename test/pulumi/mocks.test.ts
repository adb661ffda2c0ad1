// `cmek/pulumi` under pulumi.runtime.setMocks: the resource graph a program declares, the type
// tokens, the camelCase inputs the classes register (derived from the resource definitions)
// and the typed outputs a program reads back.
import * as pulumi from '@pulumi/pulumi';
import { describe, expect, expectTypeOf, it } from 'vitest';
import { snakeToCamel } from '../../src/model/case.js';
import { describeResources } from '../../src/resources/index.js';

const registered: pulumi.runtime.MockResourceArgs[] = [];
pulumi.runtime.setMocks(
  {
    newResource(args) {
      registered.push(args);
      const state: Record<string, unknown> = { ...args.inputs };
      if (args.type.endsWith(':KmsKey'))
        state.arn = `arn:aws:kms:eu-west-1:000000000000:key/${args.name}`;
      if (args.type.endsWith(':EncryptedService')) {
        state.status = 'RUNNING';
        state.encrypted = args.inputs.kmsKey !== undefined;
      }
      return { id: `${args.name}-id`, state };
    },
    call: (args) => args.inputs,
  },
  'proj',
  'stack',
  false,
);
const {
  KmsKey,
  KmsKeyPolicy,
  EncryptedService,
  Replica,
  Clone,
  Backup,
  BackupRestore,
  PULUMI_RESOURCES,
} = await import('../../src/pulumi/index.js');

const value = <T>(o: pulumi.Output<T>) => new Promise<T>((ok) => o.apply(ok));

describe('cmek/pulumi under setMocks', () => {
  it('declares the graph with typed args and reads typed outputs', async () => {
    const key = new KmsKey('orders-key', { region: 'eu-west-1', alias: 'alias/orders' });
    const policy = new KmsKeyPolicy('orders-policy', { keyId: key.keyId });
    const svc = new EncryptedService('orders', {
      name: 'orders',
      region: 'eu-west-1',
      kmsKey: key.arn,
      profile: 'clickhouse',
      tags: { team: 'payments' },
    });
    const replica = new Replica('orders-eu', {
      primaryId: svc.id,
      name: 'orders-eu',
      region: 'eu-west-1',
    });
    const clone = new Clone('orders-clone', { sourceId: svc.id, name: 'orders-clone' });
    const backup = new Backup('orders-bkp', { serviceId: svc.id });
    const restore = new BackupRestore('orders-restore', {
      backupId: backup.id,
      name: 'orders-restore',
    });
    expect(await value(key.arn)).toBe('arn:aws:kms:eu-west-1:000000000000:key/orders-key');
    expect(await value(svc.kmsKey)).toBe('arn:aws:kms:eu-west-1:000000000000:key/orders-key');
    expect(await value(svc.status)).toBe('RUNNING');
    expect(await value(svc.encrypted)).toBe(true);
    expect(await value(svc.tags)).toEqual({ team: 'payments' });
    expect(await value(replica.id)).toBe('orders-eu-id');
    for (const r of [policy, clone, restore]) await value(r.urn);

    const byName = new Map(registered.map((r) => [r.name, r]));
    expect(byName.get('orders-key')!.type).toBe('pulumi-nodejs:dynamic/cmek:KmsKey');
    expect(byName.get('orders-restore')!.type).toBe('pulumi-nodejs:dynamic/cmek:BackupRestore');
    // References resolve to the referenced resource's output, in camelCase.
    expect(byName.get('orders')!.inputs).toMatchObject({
      name: 'orders',
      region: 'eu-west-1',
      kmsKey: 'arn:aws:kms:eu-west-1:000000000000:key/orders-key',
      profile: 'clickhouse',
    });
    expect(byName.get('orders-eu')!.inputs.primaryId).toBe('orders-id');
    expect(byName.get('orders-clone')!.inputs.sourceId).toBe('orders-id');
    expect(byName.get('orders-bkp')!.inputs.serviceId).toBe('orders-id');
    expect(byName.get('orders-restore')!.inputs.backupId).toBe('orders-bkp-id');
    // Every registration carries its serialized provider.
    for (const r of registered) expect(typeof r.inputs.__provider, r.name).toBe('string');
  });

  it('each class registers exactly its definition attributes (camelCase) as properties', async () => {
    for (const d of describeResources()) {
      const C = PULUMI_RESOURCES[d.type as keyof typeof PULUMI_RESOURCES];
      expect(C, d.type).toBeDefined();
      expect(C.cmekType).toBe(d.type);
      const r = new C(`all-${d.type}`, {} as never) as unknown as Record<string, unknown>;
      await value(r.urn as pulumi.Output<string>);
      for (const a of d.attributes) {
        if (a.name === 'id') continue;
        expect(pulumi.Output.isInstance(r[snakeToCamel(a.name)]), `${d.type}.${a.name}`).toBe(true);
      }
    }
  });

  it('the TypeScript types follow the definitions (checked by tsc in npm test)', () => {
    // Compile-time: a wrong or missing arg is a type error. These lines are the test.
    // @ts-expect-error region is required by cmek_kms_key
    void (() => new KmsKey('k', { alias: 'alias/x' }));
    // @ts-expect-error arn is computed: not an argument
    void (() => new KmsKey('k', { region: 'eu-west-1', arn: 'x' }));
    // @ts-expect-error deletionWindowInDays is a number
    void (() => new KmsKey('k', { region: 'eu-west-1', deletionWindowInDays: '7' }));
    type Key = InstanceType<typeof KmsKey>;
    expectTypeOf<Key['primaryVersion']>().toEqualTypeOf<pulumi.Output<string>>();
    expectTypeOf<Key['region']>().toEqualTypeOf<pulumi.Output<string>>();
    expectTypeOf<Key['enableKeyRotation']>().toEqualTypeOf<pulumi.Output<boolean | undefined>>();
    type Svc = InstanceType<typeof EncryptedService>;
    expectTypeOf<Svc['tags']>().toEqualTypeOf<pulumi.Output<Record<string, string> | undefined>>();
  });
});
