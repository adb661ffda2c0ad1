// The pairing docs/terraform.md describes: what one resource's plan cannot see (a relation
// between two resources that are both new and not linked by a refined value) is caught by
// `cmek policy check` on `terraform show -json` of the same plan. The real terraform binary
// plans with the real plugin; the real cmek CLI checks the JSON.
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { cmek } from '../e2e/harness.js';
import { haveTerraform, tf, tfInit, REQUIRED_PROVIDERS } from './support.js';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';

const HAVE = haveTerraform();

describe.skipIf(!HAVE)(
  'terraform plan → show -json → cmek policy check (terraform binary present)',
  () => {
    it('a cross-region replica of a new CMEK primary without a key: terraform plan passes, policy check fails with CMEK_REPLICA_KEY_REQUIRED at its address', async () => {
      const dir = mkdtempSync(join(tmpdir(), 'cmek-tf-pair-'));
      writeFileSync(
        join(dir, 'main.tf'),
        REQUIRED_PROVIDERS +
          `
resource "cmek_kms_key" "k" {
  region = "eu-west-1"
}

resource "cmek_encrypted_service" "db" {
  name    = "pair-db"
  region  = "eu-west-1"
  kms_key = cmek_kms_key.k.arn
}

resource "cmek_replica" "us" {
  primary_id = cmek_encrypted_service.db.id
  name       = "pair-db-us"
  region     = "us-east-1"
}
`,
      );
      expect((await tfInit(dir)).code).toBe(0);
      // The replica's primary does not exist yet: the plugin cannot know it is encrypted.
      const plan = tf(dir, ['plan', '-input=false', '-out=tfplan']);
      expect(plan.code, plan.out).toBe(0);
      const show = tf(dir, ['show', '-json', 'tfplan']);
      expect(show.code, show.out).toBe(0);
      writeFileSync(join(dir, 'plan.json'), show.stdout);
      // The plan JSON has both ends: the configuration links the replica to the primary and
      // the primary to its key.
      const r = cmek(dir, ['policy', 'check', 'plan.json', '--format', 'json']);
      expect(r.code, r.stdout + r.stderr).toBe(1);
      const report = JSON.parse(r.stdout) as {
        findings: Array<{ code: string; address?: string; severity: string }>;
      };
      const f = report.findings.find((x) => x.code === 'CMEK_REPLICA_KEY_REQUIRED');
      expect(f, r.stdout).toBeDefined();
      expect(f!.address).toBe('cmek_replica.us');
      // Nothing was applied: the check runs before anything exists.
      expect(cmek(dir, ['service', 'ls', '-json']).stdout).not.toContain('pair-db');
    }, 600_000);
  },
);
