// Stacks that break one cross-resource CMEK rule each, built with the cmek/cdktf constructs:
// the Aspect must fail their synth with the code, and `cmek plan` must reject the same stack
// synthesized without the Aspect with the same code (test/cdktf/aspect.test.ts, rules-e2e.test.ts).
import { TerraformStack } from 'cdktf';
import type { Construct } from 'constructs';
import {
  Backup,
  BackupRestore,
  Clone,
  CmekProvider,
  EncryptedService,
  KmsKey,
  KmsKeyPolicy,
  Replica,
} from '../../src/cdktf/index.js';
import { defaultKeyPolicy } from '../../src/model/policy/index.js';

const SP = 'arn:aws:iam::000000000000:role/cmek-service';
const OTHER = 'arn:aws:iam::111122223333:role/cmek-service';

/** Key `k2` in eu-west-1 with a policy: AWS's default document (the account root) plus one
 * statement, written by the user. */
function keyWithPolicy(stack: Construct, statement: object, servicePrincipal?: string) {
  const k2 = new KmsKey(stack, 'k2', { region: 'eu-west-1', deletionWindowInDays: 7 });
  const doc = JSON.parse(defaultKeyPolicy('000000000000')) as { Statement: object[] };
  doc.Statement.push(statement);
  new KmsKeyPolicy(stack, 'k2_policy', {
    keyId: k2.keyId,
    policy: JSON.stringify(doc),
    ...(servicePrincipal !== undefined ? { servicePrincipal } : {}),
  });
  return k2;
}

/** An encrypted service `db` in eu-west-1 with key `k` (granted), for the cases to build on. */
function base(stack: Construct) {
  new CmekProvider(stack, 'cmek', { dataDir: '.cmek', servicePrincipal: SP });
  const key = new KmsKey(stack, 'k', { region: 'eu-west-1', deletionWindowInDays: 7 });
  const policy = new KmsKeyPolicy(stack, 'k_policy', { keyId: key.keyId });
  const db = new EncryptedService(stack, 'db', {
    name: 'db',
    region: 'eu-west-1',
    kmsKey: key.arn,
    dependsOn: [policy],
  });
  return { key, policy, db };
}

function otherKey(stack: Construct, region = 'eu-west-1') {
  const key = new KmsKey(stack, 'k2', { region, deletionWindowInDays: 7 });
  new KmsKeyPolicy(stack, 'k2_policy', { keyId: key.keyId });
  return key;
}

export interface RuleCase {
  /** The construct (id) the finding must be annotated on. */
  at: string;
  build(stack: TerraformStack): void;
}

export const RULE_CASES: Record<string, RuleCase> = {
  CMEK_REGION_MISMATCH: {
    at: 'us',
    build(stack) {
      const { key } = base(stack);
      new EncryptedService(stack, 'us', { name: 'us', region: 'us-east-1', kmsKey: key.arn });
    },
  },
  CMEK_REPLICA_KEY_INHERITED: {
    at: 'ro',
    build(stack) {
      const { db } = base(stack);
      const k2 = otherKey(stack);
      new Replica(stack, 'ro', {
        primaryId: db.id,
        name: 'ro',
        region: 'eu-west-1',
        kmsKey: k2.arn,
      });
    },
  },
  CMEK_REPLICA_KEY_REQUIRED: {
    at: 'ro',
    build(stack) {
      const { db } = base(stack);
      new Replica(stack, 'ro', { primaryId: db.id, name: 'ro', region: 'us-east-1' });
    },
  },
  CMEK_REPLICA_UNENCRYPTED_PRIMARY: {
    at: 'ro',
    build(stack) {
      const { key } = base(stack);
      const plain = new EncryptedService(stack, 'plain', { name: 'plain', region: 'eu-west-1' });
      new Replica(stack, 'ro', {
        primaryId: plain.id,
        name: 'ro',
        region: 'eu-west-1',
        kmsKey: key.arn,
      });
    },
  },
  CMEK_CLONE_KEY_INHERITED: {
    at: 'copy',
    build(stack) {
      const { db } = base(stack);
      const k2 = otherKey(stack);
      new Clone(stack, 'copy', { sourceId: db.id, name: 'copy', kmsKey: k2.arn });
    },
  },
  CMEK_RESTORE_KEY_INHERITED: {
    at: 'restored',
    build(stack) {
      const { db } = base(stack);
      const k2 = otherKey(stack);
      const nightly = new Backup(stack, 'nightly', { serviceId: db.id });
      new BackupRestore(stack, 'restored', {
        backupId: nightly.id,
        name: 'restored',
        region: 'eu-west-1',
        kmsKey: k2.arn,
      });
    },
  },
  CMEK_KEY_POLICY_MISSING_ACTIONS: {
    at: 'k2_policy',
    build(stack) {
      base(stack);
      // A principal of another account: the account-root statement does not delegate to it.
      const only = {
        Effect: 'Allow',
        Principal: { AWS: OTHER },
        Action: 'kms:Decrypt',
        Resource: '*',
      };
      const k2 = keyWithPolicy(stack, only, OTHER);
      new EncryptedService(stack, 'db2', { name: 'db2', region: 'eu-west-1', kmsKey: k2.arn });
    },
  },
  CMEK_KEY_POLICY_PUBLIC: {
    at: 'k2_policy',
    build(stack) {
      base(stack);
      keyWithPolicy(stack, { Effect: 'Allow', Principal: '*', Action: 'kms:*', Resource: '*' });
    },
  },
  CMEK_KEY_FORMAT: {
    at: 'bad',
    build(stack) {
      base(stack);
      new EncryptedService(stack, 'bad', {
        name: 'bad',
        region: 'eu-west-1',
        kmsKey: 'arn:aws:kms:eu-west-1:12345:key/not-a-key',
      });
    },
  },
};

/** A stack that passes every rule: the base service plus a same-region replica. */
export function cleanStack(stack: TerraformStack): void {
  const { db } = base(stack);
  new Replica(stack, 'ro', { primaryId: db.id, name: 'ro', region: 'eu-west-1' });
}
