// policy_check_10k_resources_ms: wall time of `cmek policy check` on a generated plan JSON of
// 10,000 resources (AWS KMS keys + RDS instances with replicas, Cloud KMS rings/keys + IAM
// grants + Cloud SQL instances, ClickHouse services), start-up included: the median of a few
// spawns of the built binary (dist/cli/main.cjs; `npm run build` first, or CMEK_BENCH_BIN).
// Goal: ≤ 1500 ms. The plan has findings (every tenth database in the wrong region), so the
// rules and the report do real work.
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { requireCmekBin, result, type BenchOptions, type BenchResult } from './lib.js';

const GOAL_MS = 1500;

/** A `terraform show -json`-shaped plan with `n` resources, all created, linked by references. */
export function policyBenchPlan(n: number): Record<string, unknown> {
  const rc: unknown[] = [];
  const cfg: unknown[] = [];
  const add = (
    type: string,
    name: string,
    after: Record<string, unknown>,
    unknown: Record<string, unknown>,
    refs: Record<string, string>,
    provider: string,
  ) => {
    const address = `${type}.${name}`;
    rc.push({
      address,
      mode: 'managed',
      type,
      name,
      provider_name: `registry.terraform.io/hashicorp/${type.split('_')[0]}`,
      change: { actions: ['create'], before: null, after, after_unknown: unknown },
    });
    const expressions: Record<string, unknown> = {};
    for (const [k, v] of Object.entries(after))
      if (v !== null) expressions[k] = { constant_value: v };
    for (const [k, r] of Object.entries(refs))
      expressions[k] = { references: [r, r.replace(/\.[a-z_]+$/, '')] };
    cfg.push({ address, mode: 'managed', type, name, provider_config_key: provider, expressions });
  };
  let i = 0;
  while (rc.length < n) {
    const bad = i % 10 === 0;
    switch (i % 3) {
      case 0: {
        // AWS: a key, a primary and a same-region replica.
        add(
          'aws_kms_key',
          `k${i}`,
          { enable_key_rotation: true, deletion_window_in_days: 30 },
          { arn: true, key_id: true, id: true },
          {},
          bad ? 'aws.use1' : 'aws',
        );
        add(
          'aws_db_instance',
          `db${i}`,
          { identifier: `db${i}`, storage_encrypted: true },
          { kms_key_id: true, arn: true, id: true },
          { kms_key_id: `aws_kms_key.k${i}.arn` },
          'aws',
        );
        add(
          'aws_db_instance',
          `r${i}`,
          { identifier: `r${i}`, storage_encrypted: true },
          { replicate_source_db: true, kms_key_id: true, arn: true },
          { replicate_source_db: `aws_db_instance.db${i}.arn` },
          'aws',
        );
        break;
      }
      case 1: {
        // Google: a ring, a key, the agent's grant, an instance.
        add(
          'google_kms_key_ring',
          `ring${i}`,
          { name: `ring${i}`, location: bad ? 'us-east1' : 'us-central1' },
          { id: true },
          {},
          'google',
        );
        add(
          'google_kms_crypto_key',
          `key${i}`,
          { name: `key${i}`, rotation_period: '7776000s' },
          { id: true, key_ring: true },
          { key_ring: `google_kms_key_ring.ring${i}.id` },
          'google',
        );
        add(
          'google_kms_crypto_key_iam_member',
          `agent${i}`,
          {
            role: 'roles/cloudkms.cryptoKeyEncrypterDecrypter',
            member: 'serviceAccount:service-123@gcp-sa-cloud-sql.iam.gserviceaccount.com',
          },
          { crypto_key_id: true },
          { crypto_key_id: `google_kms_crypto_key.key${i}.id` },
          'google',
        );
        add(
          'google_sql_database_instance',
          `sql${i}`,
          { name: `sql${i}`, region: 'us-central1', database_version: 'POSTGRES_15' },
          { encryption_key_name: true },
          { encryption_key_name: `google_kms_crypto_key.key${i}.id` },
          'google',
        );
        break;
      }
      default: {
        const region = bad ? 'eu-west-1' : 'us-east-2';
        add(
          'clickhouse_service',
          `ch${i}`,
          {
            name: `ch${i}`,
            region: 'us-east-2',
            encryption_key: `arn:aws:kms:${region}:123456789012:key/1234abcd-12ab-34cd-56ef-${String(i).padStart(12, '0')}`,
          },
          { id: true },
          {},
          'clickhouse',
        );
      }
    }
    i++;
  }
  return {
    format_version: '1.2',
    terraform_version: '1.9.8',
    resource_changes: rc.slice(0, n),
    configuration: {
      provider_config: {
        aws: { name: 'aws', expressions: { region: { constant_value: 'eu-west-1' } } },
        'aws.use1': {
          name: 'aws',
          alias: 'use1',
          expressions: { region: { constant_value: 'us-east-1' } },
        },
        google: { name: 'google', expressions: { region: { constant_value: 'us-central1' } } },
      },
      root_module: { resources: cfg.slice(0, n) },
    },
  };
}

export async function run(opts: BenchOptions): Promise<BenchResult[]> {
  const bin = requireCmekBin();
  const dir = mkdtempSync(join(tmpdir(), 'cmek-bench-policy-'));
  try {
    const n = 10_000;
    writeFileSync(join(dir, 'plan.json'), JSON.stringify(policyBenchPlan(n)));
    const runs = opts.quick ? 3 : 5;
    const times: number[] = [];
    let findings = 0;
    for (let k = 0; k < runs; k++) {
      const t0 = performance.now();
      const r = spawnSync(
        process.execPath,
        [bin, 'policy', 'check', 'plan.json', '--format', 'json'],
        {
          cwd: dir,
          encoding: 'utf8',
          maxBuffer: 256 * 1024 * 1024,
          env: { ...process.env, NO_COLOR: '1' },
        },
      );
      times.push(performance.now() - t0);
      if (r.status !== 1)
        throw new Error(`policy check exited ${r.status}: ${r.stderr.slice(0, 500)}`);
      findings = (JSON.parse(r.stdout) as { findings: unknown[] }).findings.length;
    }
    times.sort((a, b) => a - b);
    const median = times[Math.floor(times.length / 2)]!;
    return [
      result('policy_check_10k_resources_ms', median, 'ms', GOAL_MS, {
        resources: n,
        findings,
        runs,
      }),
    ];
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}
