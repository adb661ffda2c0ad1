// The report formats: SARIF validated against the official SARIF 2.1.0 JSON schema
// (test/fixtures/policy/sarif-schema-2.1.0.json, see SCHEMA-SOURCE.md) with ajv, JUnit parsed
// as XML with fast-xml-parser, JSON and text shapes; over real checks of the rule fixtures.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import AjvModule from 'ajv';
import { XMLParser } from 'fast-xml-parser';
import { describe, expect, it } from 'vitest';
import {
  checkInputs,
  policyCheck,
  readInputs,
  renderJson,
  renderJunit,
  renderSarif,
  renderText,
} from '../../src/policy/index.js';

const FIX = join(import.meta.dirname, '..', 'fixtures', 'policy');
const PLANS = join(FIX, 'plans');

function sarifValidator() {
  const schema = JSON.parse(readFileSync(join(FIX, 'sarif-schema-2.1.0.json'), 'utf8')) as Record<
    string,
    unknown
  >;
  // The schema is draft-04 (`id`, `$schema` draft-04); ajv 8 reads it as draft-07, which has
  // the same meaning for every keyword this schema uses (no boolean exclusiveMinimum).
  delete schema.$schema;
  schema.$id = schema.id;
  delete schema.id;
  // ajv is CommonJS: its class is the default export's `default` under NodeNext.
  const Ajv = (AjvModule as unknown as { default: typeof AjvModule }).default ?? AjvModule;
  const ajv = new (Ajv as unknown as new (o: object) => import('ajv').default)({
    allErrors: true,
    strict: false,
  });
  ajv.addFormat('uri', (s: string) => {
    try {
      new URL(s);
      return true;
    } catch {
      return false;
    }
  });
  ajv.addFormat('uri-reference', true);
  ajv.addFormat('date-time', (s: string) => !Number.isNaN(Date.parse(s)));
  return ajv.compile(schema);
}

async function sample() {
  const files = [
    'region-mismatch-google-bad.json',
    'rotation-off-aws-bad.json',
    'suppressed-tag-aws.json',
    'encrypted-replace-aws-bad.json',
  ].map((f) => join(PLANS, f));
  return checkInputs(await readInputs(files), { skip: ['CMEK_ENCRYPTED_REPLACE'] });
}

describe('SARIF', () => {
  const validate = sarifValidator();
  it('validates against the SARIF 2.1.0 schema, with rules, locations and suppressions', async () => {
    const r = await sample();
    const doc = JSON.parse(renderSarif(r, { version: '9.9.9' }));
    const ok = validate(doc);
    expect(validate.errors ?? []).toEqual([]);
    expect(ok).toBe(true);
    const run = doc.runs[0];
    const ids = run.tool.driver.rules.map((x: { id: string }) => x.id);
    expect(ids).toEqual([...new Set(ids)].sort());
    for (const rule of run.tool.driver.rules) {
      expect(rule.helpUri).toMatch(new RegExp(`policy\\.md#${rule.id.toLowerCase()}$`));
      expect(rule.help.text).toContain('Remedy:');
    }
    const region = run.results.find((x: { ruleId: string }) => x.ruleId === 'CMEK_REGION_MISMATCH');
    expect(region.level).toBe('error');
    expect(region.locations[0].logicalLocations[0].name).toBe('google_sql_database_instance.db');
    expect(region.locations[0].physicalLocation.artifactLocation.uri).toMatch(
      /region-mismatch-google-bad\.json$/,
    );
    expect(region.locations[0].physicalLocation.region.startLine).toBeGreaterThan(1);
    const supp = run.results.filter((x: { suppressions?: unknown[] }) => x.suppressions);
    expect(supp.map((x: { ruleId: string }) => x.ruleId).sort()).toEqual([
      'CMEK_ENCRYPTED_REPLACE',
      'CMEK_KEY_ROTATION_OFF',
    ]);
    const tag = supp.find((x: { ruleId: string }) => x.ruleId === 'CMEK_KEY_ROTATION_OFF');
    expect(tag.suppressions[0].kind).toBe('inSource');
    expect(tag.suppressions[0].justification).toContain('rotation managed outside Terraform');
  });
  it('an empty result is valid SARIF too', async () => {
    const r = await policyCheck([join(PLANS, 'rotation-off-aws-good.json')]);
    expect(validate(JSON.parse(renderSarif(r, { version: '1' })))).toBe(true);
  });
  it('the schema rejects a broken document (the validator really validates)', () => {
    expect(validate({ version: '2.1.0', runs: [{ tool: {} }] })).toBe(false);
  });
});

describe('JUnit', () => {
  it('parses as XML: a suite per input, a case per (rule, resource)', async () => {
    const r = await sample();
    const xml = renderJunit(r);
    const doc = new XMLParser({ ignoreAttributes: false, attributeNamePrefix: '@' }).parse(xml);
    const suites = [doc.testsuites.testsuite].flat();
    expect(suites).toHaveLength(4);
    const cases = suites.flatMap(
      (s: { testcase?: unknown }) =>
        [s.testcase ?? []].flat() as Array<Record<string, Record<string, string> | undefined>>,
    );
    const names = cases.map((c) => c['@name']).sort();
    expect(names).toEqual([
      'CMEK_ENCRYPTED_REPLACE aws_db_instance.db',
      'CMEK_KEY_ROTATION_OFF aws_kms_key.k',
      'CMEK_KEY_ROTATION_OFF aws_kms_key.k',
      'CMEK_REGION_MISMATCH google_sql_database_instance.db',
    ]);
    const region = cases.find((c) => String(c['@name']).startsWith('CMEK_REGION'));
    expect(region?.failure?.['@type']).toBe('CMEK_REGION_MISMATCH');
    const skipped = cases.filter((c) => c.skipped !== undefined);
    expect(skipped).toHaveLength(2);
    expect(doc.testsuites['@failures']).toBe('1');
  });
});

describe('JSON and text', () => {
  it('JSON carries summary, findings and suppressions', async () => {
    const j = JSON.parse(renderJson(await sample()));
    expect(j.summary).toEqual({ errors: 1, warnings: 1, suppressed: 2 });
    expect(j.findings.every((f: { input: string }) => typeof f.input === 'string')).toBe(true);
  });
  it('text ends with the counts', async () => {
    const t = renderText(await sample());
    expect(t).toMatch(
      /4 input\(s\), \d+ resource\(s\): 1 error\(s\), 1 warning\(s\), 2 suppressed\.\n$/,
    );
    expect(t).toContain('[suppressed]');
  });
});
