// The real third-party HCL files in ../shared/fixtures/hcl (read in place, never copied).
// Each must load without crashing: what cmek supports parses; everything else is a clear
// CONFIG_UNSUPPORTED with file and line. Foreign resource types load as ResourceBlocks.
import { existsSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import type { Diagnostic } from '../../../src/model/diagnostics.js';
import { loadConfig, mapScope, type LoadResult } from '../../../src/engine/config/index.js';
import { sharedFixtures } from '../../support/shared-fixtures.js';

const FIXTURES = sharedFixtures('hcl');
const present = existsSync(FIXTURES);
if (!present)
  console.warn(`SKIPPING real-fixture tests: ${FIXTURES} does not exist on this machine`);

const load = (file: string): Promise<LoadResult> => loadConfig(FIXTURES, { files: [file] });
const codes = (ds: Diagnostic[]) => [...new Set(ds.map((d) => d.code))].sort();
const unsupported = (ds: Diagnostic[]) =>
  ds.filter((d) => d.code === 'CONFIG_UNSUPPORTED').map((d) => `${d.line} ${d.summary}`);

/** Every diagnostic names the file and a line inside it. */
function located(r: LoadResult, file: string): void {
  for (const d of r.diagnostics) {
    expect(d.file).toBe(file);
    expect(d.line).toBeGreaterThan(0);
  }
}

describe.skipIf(!present)('real HCL fixtures', () => {
  it('clickhouse-tde-aws-aws.tf: aws_kms_key and the data blocks load; the aws provider is unsupported', async () => {
    const f = 'clickhouse-tde-aws-aws.tf';
    const r = await load(f);
    located(r, f);
    expect(r.config.resources.map((x) => x.address)).toEqual(['aws_kms_key.enc']);
    const key = r.config.resources[0]!;
    expect(key.pos.line).toBe(96);
    expect(key.attributes.policy!.refs).toEqual(['data.aws_iam_policy_document.policy']);
    // Data blocks load (docs/configuration.md, "Data sources"); the engine reads cmek's only.
    expect(unsupported(r.diagnostics)).toEqual(['21 The provider "aws" is not supported']);
    expect(r.config.dataSources?.map((d) => `${d.pos.line} ${d.address}`)).toEqual([
      '28 data.aws_caller_identity.current',
      '30 data.aws_iam_policy_document.policy',
    ]);
    // var.service_name is declared in the sibling main.tf, which this load does not read.
    expect(
      r.diagnostics.filter((d) => d.code === 'CONFIG_REFERENCE').map((d) => d.summary),
    ).toContain('Reference to undeclared variable "var.service_name"');
    expect(r.config.variables.map((v) => v.name)).toEqual([
      'aws_key',
      'aws_secret',
      'aws_session_token',
    ]);
  });

  it('clickhouse-tde-aws-main.tf: clickhouse_service with an object attribute evaluates', async () => {
    const f = 'clickhouse-tde-aws-main.tf';
    const r = await load(f);
    located(r, f);
    expect(r.config.resources.map((x) => x.address)).toEqual([
      'clickhouse_service.service',
      'clickhouse_service_transparent_data_encryption_key_association.service_key_association',
    ]);
    const svc = r.config.resources[0]!;
    const scope = mapScope(FIXTURES, {
      'var.service_name': 'svc',
      'var.region': 'us-east-2',
      'var.release_channel': 'default',
    });
    expect(svc.attributes.transparent_data_encryption!.evaluate(scope)).toEqual({ enabled: true });
    expect(svc.attributes.region!.evaluate(scope)).toBe('us-east-2');
    expect(unsupported(r.diagnostics)).toEqual([]);
    // The variable's validation block is read, with its condition and message.
    const validated = r.config.variables.find((v) => v.validations?.length);
    expect(validated?.validations?.[0]).toMatchObject({ kind: 'validation', pos: { line: 26 } });
    expect(r.config.dataSources?.map((d) => `${d.pos.line} ${d.address}`)).toHaveLength(1);
    // aws_kms_key.enc lives in the sibling aws.tf: loading both files resolves it.
    expect(r.diagnostics.find((d) => d.code === 'CONFIG_REFERENCE')?.summary).toBe(
      'Reference to undeclared resource "aws_kms_key.enc"',
    );
    const both = await loadConfig(FIXTURES, { files: ['clickhouse-tde-aws-aws.tf', f] });
    expect(both.diagnostics.filter((d) => d.code === 'CONFIG_REFERENCE')).toEqual([]);
    expect(r.config.variables.find((v) => v.name === 'region')?.default).toBe('us-east-2');
  });

  it('docs-samples-cloudsql-instance-cmek.tf: seven google resources; provider = google-beta is unsupported', async () => {
    const f = 'docs-samples-cloudsql-instance-cmek.tf';
    const r = await load(f);
    located(r, f);
    expect(r.config.resources).toHaveLength(7);
    expect(codes(r.diagnostics)).toEqual(['CONFIG_UNSUPPORTED']);
    expect(r.diagnostics).toHaveLength(7);
    expect(
      r.diagnostics.every(
        (d) => d.summary === 'The provider meta-argument (`google-beta`) is not supported',
      ),
    ).toBe(true);
    const mysql = r.config.resources.find(
      (x) => x.address === 'google_sql_database_instance.mysql_instance_with_cmek',
    )!;
    expect(mysql.attributes.encryption_key_name!.refs).toEqual(['google_kms_crypto_key.key']);
    expect(mysql.attributes.encryption_key_name!.pos.line).toBe(59);
    // settings { ... } is a nested block: one object.
    const settings = mysql.attributes.settings!.evaluate(mapScope(FIXTURES, {}));
    expect(settings).toMatchObject({ tier: expect.any(String) });
  });

  it('docs-samples-cloudsql-mysql-instance-replica.tf: loads cleanly', async () => {
    const f = 'docs-samples-cloudsql-mysql-instance-replica.tf';
    const r = await load(f);
    expect(r.diagnostics).toEqual([]);
    const replica = r.config.resources.find(
      (x) => x.address === 'google_sql_database_instance.read_replica',
    )!;
    expect(replica.attributes.master_instance_name!.refs).toEqual([
      'google_sql_database_instance.primary',
    ]);
    const scope = mapScope(FIXTURES, { 'google_sql_database_instance.primary': { name: 'p1' } });
    expect(replica.attributes.master_instance_name!.evaluate(scope)).toBe('p1');
    expect(replica.attributes.region!.evaluate(scope)).toBe('europe-west4');
    expect(replica.attributes.encryption_key_name).toBeUndefined();
  });

  it('tam-rds-cross-region-replica-postgres-main.tf: four registry modules, two local ones whose directory (../../) has no configuration here, two aws providers', async () => {
    const f = 'tam-rds-cross-region-replica-postgres-main.tf';
    const r = await load(f);
    located(r, f);
    expect(r.config.resources).toEqual([]);
    expect(codes(r.diagnostics)).toEqual(['CONFIG_MODULE', 'CONFIG_UNSUPPORTED']);
    // Four registry modules (reported at their source lines as not downloadable offline)
    // and two local ones (source = "../../": the fixture's directory holds no module).
    expect(
      r.diagnostics.filter((d) => d.summary.includes('(a module registry)')).map((d) => d.line),
    ).toEqual([35, 52, 74, 95]);
    expect(
      r.diagnostics
        .filter((d) => d.summary.endsWith('has no configuration files'))
        .map((d) => d.line),
    ).toEqual([125, 163]);
    expect(
      r.diagnostics
        .filter((d) => d.summary === 'The provider "aws" is not supported')
        .map((d) => d.line),
    ).toEqual([1, 5]);
    expect(
      r.config.locals.find((l) => l.name === 'region1')!.value.evaluate(mapScope(FIXTURES, {})),
    ).toBe('eu-west-1');
  });

  it('tgm-sqldb-postgresql-read_replica.tf: for and for_each load; its nested dynamic blocks expand', async () => {
    const f = 'tgm-sqldb-postgresql-read_replica.tf';
    const r = await load(f);
    located(r, f);
    expect(r.config.resources.map((x) => x.address)).toEqual([
      'google_sql_database_instance.replicas',
    ]);
    const lines = unsupported(r.diagnostics);
    expect(r.config.resources[0]!.forEach?.pos.line).toBe(33);
    expect(lines.some((l) => l.includes('for_each'))).toBe(false);
    // The nested dynamic blocks (ip_configuration with authorized_networks and psc_config,
    // insights_config, database_flags) expand as terraform expands them.
    const settings = r.config.resources[0]!.attributes.settings!;
    const scope = mapScope(FIXTURES, {
      'each.value': {
        name: 'r1',
        ip_configuration: {
          ipv4_enabled: true,
          authorized_networks: [{ name: 'office', value: '10.0.0.0/8' }],
          psc_enabled: false,
        },
        insights_config: null,
        database_flags: [
          { name: 'max_connections', value: '100' },
          { name: 'log_min_duration_statement', value: '250' },
        ],
      },
      'var.tier': 'db-f1-micro',
      'var.edition': null,
      'var.availability_type': 'ZONAL',
      'var.read_replica_deletion_protection_enabled': false,
      'var.insights_config': { query_plans_per_minute: 7 },
      'var.disk_autoresize': true,
      'var.disk_autoresize_limit': 0,
      'var.disk_size': 10,
      'var.disk_type': 'PD_SSD',
      'var.user_labels': {},
      'local.zone': 'europe-west1-b',
    });
    const v = settings.evaluate(scope) as Record<string, unknown>;
    expect(v.ip_configuration).toEqual([
      {
        ipv4_enabled: true,
        private_network: null,
        require_ssl: null,
        allocated_ip_range: null,
        enable_private_path_for_google_cloud_services: false,
        authorized_networks: [{ expiration_time: null, name: 'office', value: '10.0.0.0/8' }],
        psc_config: [],
      },
    ]);
    expect(v.insights_config).toEqual([
      {
        query_insights_enabled: true,
        query_plans_per_minute: 7,
        query_string_length: 1024,
        record_application_tags: false,
        record_client_address: false,
      },
    ]);
    expect(v.database_flags).toEqual([
      { name: 'max_connections', value: '100' },
      { name: 'log_min_duration_statement', value: '250' },
    ]);
    // The lifecycle block is understood even here.
    expect(r.config.resources[0]!.lifecycle.ignoreChanges).toEqual([
      'settings[0].disk_size',
      'settings[0].maintenance_window',
      'encryption_key_name',
    ]);
  });

  it('tgm-sqldb-xregion-failover-kms.tf: google resources load; missing locals are CONFIG_REFERENCE', async () => {
    const f = 'tgm-sqldb-xregion-failover-kms.tf';
    const r = await load(f);
    located(r, f);
    expect(r.config.resources).toHaveLength(8);
    expect(unsupported(r.diagnostics)).toEqual([
      '57 The provider meta-argument (`google-beta`) is not supported',
    ]);
    // region_1/region_2 are defined in network.tf, which was not collected.
    const refs = r.diagnostics.filter((d) => d.code === 'CONFIG_REFERENCE');
    expect(refs.map((d) => d.summary)).toContain(
      'Reference to undeclared local value "local.region_1"',
    );
    expect(refs.find((d) => d.summary.includes('local.region_1'))!.detail).toBe(
      'No local values declared.',
    );
  });

  it('tgm-sqldb-xregion-failover-pg1.tf: the duplicate object key is a warning, last wins; module is unsupported', async () => {
    const f = 'tgm-sqldb-xregion-failover-pg1.tf';
    const r = await load(f);
    located(r, f);
    const dup = r.diagnostics.filter(
      (d) => d.summary === 'Duplicate object key "encryption_key_name"',
    );
    expect(dup).toHaveLength(1);
    expect(dup[0]).toMatchObject({ severity: 'warning', code: 'CONFIG_SYNTAX', line: 104 });
    expect(dup[0]!.detail).toContain('line 103');
    expect(unsupported(r.diagnostics)[0]).toBe(
      '19 The module source "terraform-google-modules/sql-db/google//modules/postgresql" (a module registry) is not supported',
    );
    expect(r.config.outputs.map((o) => o.name)).toEqual([
      'instance1_name',
      'instance1_replicas',
      'instance1_instances',
      'kms_key_name1',
    ]);
    expect(r.config.outputs[0]!.value.refs).toEqual(['module.pg1']);
  });

  it('tgm-sqldb-xregion-failover-pg2.tf: same shape as pg1', async () => {
    const f = 'tgm-sqldb-xregion-failover-pg2.tf';
    const r = await load(f);
    located(r, f);
    expect(r.diagnostics.filter((d) => d.severity === 'warning').map((d) => d.summary)).toEqual([
      'Duplicate object key "encryption_key_name"',
    ]);
    expect(codes(r.diagnostics)).toEqual(['CONFIG_SYNTAX', 'CONFIG_UNSUPPORTED']);
    expect(r.config.outputs).toHaveLength(5);
  });

  it('the whole directory loads at once without throwing', async () => {
    const r = await loadConfig(FIXTURES);
    expect(r.config.files).toHaveLength(9);
    expect(r.diagnostics.length).toBeGreaterThan(0);
    expect(r.diagnostics.every((d) => d.file && d.line)).toBe(true);
  });
});
