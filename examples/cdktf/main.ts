// cdktf example: the quickstart as a cdktf app. A customer-managed key, the key policy that lets
// the database service use it, an encrypted service and a same-region read replica, with the
// CMEK rules checked at synth by the CmekRules Aspect. No cloud account needed: the key lives
// in the local KMS under .cmek/ in the stack directory.
//
//   npx tsx main.ts                                     # or: cdktf synth
//   npx cmek -chdir=cdktf.out/stacks/orders apply -auto-approve
import { App, Aspects, TerraformOutput, TerraformStack } from 'cdktf';
import type { Construct } from 'constructs';
import {
  CmekProvider,
  CmekRules,
  EncryptedService,
  KmsKey,
  KmsKeyPolicy,
  Replica,
} from 'cmek/cdktf';

export class OrdersStack extends TerraformStack {
  constructor(scope: Construct, id: string, region = 'eu-west-1') {
    super(scope, id);
    // The data directory is relative to the stack directory (cdktf.out/stacks/orders).
    new CmekProvider(this, 'cmek', {
      dataDir: '.cmek',
      servicePrincipal: 'arn:aws:iam::000000000000:role/cmek-service',
    });
    const key = new KmsKey(this, 'orders', {
      region,
      description: 'CMEK for the orders database',
      enableKeyRotation: true,
      deletionWindowInDays: 7,
    });
    // Without a policy document it grants the service principal what a CMEK service needs.
    const policy = new KmsKeyPolicy(this, 'orders_policy', { keyId: key.keyId });
    const service = new EncryptedService(this, 'orders_db', {
      name: 'orders',
      region,
      kmsKey: key.arn, // synthesizes "${cmek_kms_key.orders.arn}"
      tags: { team: 'payments' },
      dependsOn: [policy],
    });
    // Same region: the replica inherits the primary's key (naming another one is an error).
    new Replica(this, 'orders_ro', { primaryId: service.id, name: 'orders-ro', region });
    new TerraformOutput(this, 'key_arn', { value: key.arn });
    new TerraformOutput(this, 'service_status', { value: service.status });
    // Rule violations (a key in another region, a replica naming another key, ...) fail synth.
    Aspects.of(this).add(new CmekRules());
  }
}

const app = new App();
new OrdersStack(app, 'orders');
app.synth();
