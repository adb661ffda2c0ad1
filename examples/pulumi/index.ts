// A Pulumi program with cmek/pulumi: a KMS key, its key policy, a CMEK service, a replica
// of it and a backup. `pulumi preview` runs the CMEK rules in each resource's check (a key
// of another region fails before anything exists); `pulumi up` creates them in the data
// directory named by `cmek:dataDir` (default `.cmek` beside this program).
import { Backup, EncryptedService, KmsKey, KmsKeyPolicy, Replica } from 'cmek/pulumi';

const key = new KmsKey('orders-key', {
  region: 'eu-west-1',
  alias: 'alias/orders',
  enableKeyRotation: true,
});

new KmsKeyPolicy('orders-key-policy', { keyId: key.keyId });

const orders = new EncryptedService('orders', {
  name: 'orders',
  region: 'eu-west-1',
  kmsKey: key.arn,
  tags: { team: 'payments' },
});

new Replica('orders-replica', {
  primaryId: orders.id,
  name: 'orders-replica',
  region: 'eu-west-1',
});

new Backup('orders-nightly', { serviceId: orders.id, description: 'nightly' });

export const keyArn = key.arn;
export const serviceId = orders.id;
export const encrypted = orders.encrypted;
