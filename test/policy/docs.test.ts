// docs/policy.md and docs/cli/policy.md describe what exists: the example configuration is run
// through the real CLI and gives the findings, line and exit status the page states; every code
// the policy check can report has an anchor and a row; every foreign type is in the type table;
// the CI examples use flags the verb has.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { buildProgram } from '../../src/cli/program.js';
import { FOREIGN_ROLES, REVIEW_RULES, RULES } from '../../src/rules/index.js';
import { cmek, ROOT, tempDir } from '../e2e/harness.js';

const page = readFileSync(join(ROOT, 'docs', 'policy.md'), 'utf8');
const cliPage = readFileSync(join(ROOT, 'docs', 'cli', 'policy.md'), 'utf8');

describe('docs/policy.md', () => {
  it('the example runs as the page says', () => {
    const section = page.slice(page.indexOf('## Example'));
    const hcl = /```hcl\n([\s\S]*?)```/.exec(section)![1]!;
    const dir = tempDir({ 'main.tf': hcl });
    const r = cmek(dir, ['policy', 'check', '.', '--format', 'json']);
    expect(r.code, r.stderr).toBe(1);
    const j = JSON.parse(r.stdout);
    const region = j.findings.find((f: { code: string }) => f.code === 'CMEK_REGION_MISMATCH');
    expect(region).toMatchObject({ address: 'aws_db_instance.db', file: 'main.tf', line: 13 });
    expect(section).toContain('`main.tf:13`');
    const rot = j.findings.find((f: { code: string }) => f.code === 'CMEK_KEY_ROTATION_OFF');
    expect(rot.suppressed.justification).toContain('rotated by the key custodians');
    expect(section).toContain('rotated by the key custodians');
  }, 180_000);

  it('has an anchor and a row for every code the check reports', () => {
    for (const code of [...Object.keys(RULES), ...Object.keys(REVIEW_RULES)]) {
      expect(page, code).toContain(`<a id="${code.toLowerCase()}"></a>\`${code}\``);
    }
  });

  it('names every foreign resource type', () => {
    for (const t of Object.keys(FOREIGN_ROLES)) expect(page, t).toContain(`\`${t}\``);
  });

  it('the CI examples and the CLI page use flags the verb has', async () => {
    const program = await buildProgram(['policy']);
    const check = program.commands
      .find((c) => c.name() === 'policy')!
      .commands.find((c) => c.name() === 'check')!;
    const flags = check.options.map((o) => o.long);
    for (const text of [page, cliPage]) {
      const used = [...text.matchAll(/cmek policy check [^\n`]*/g)].flatMap((m) =>
        [...m[0].matchAll(/(--[a-z-]+)/g)].map((x) => x[1]!),
      );
      expect(used.length).toBeGreaterThan(0);
      for (const f of used) expect(flags, f).toContain(f);
    }
  });
});
