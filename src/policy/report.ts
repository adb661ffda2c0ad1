// Output of `cmek policy check`: text for people, JSON for scripts, SARIF 2.1.0 for code
// scanning (GitHub, GitLab), JUnit XML for CI test reports. Every format carries suppressed
// findings with their justification; none prints key material (findings hold references and
// addresses only).

import { pathToFileURL } from 'node:url';
import { fileURLToPath } from 'node:url';
import { dirname, resolve } from 'node:path';
import { formatDiagnostic } from '../model/diagnostics.js';
import { explainCode } from '../rules/index.js';
import type { CheckResult } from './check.js';
import type { Finding } from './types.js';

export type ReportFormat = 'text' | 'json' | 'sarif' | 'junit';
export const REPORT_FORMATS: readonly ReportFormat[] = ['text', 'json', 'sarif', 'junit'];

/** docs/policy.md of this installation (the package ships docs/), as a file URL. */
export function defaultHelpBase(): string {
  const here = dirname(fileURLToPath(import.meta.url)); // src/policy or dist/policy
  return pathToFileURL(resolve(here, '..', '..', 'docs', 'policy.md')).href;
}

/** The anchor of a code's section in docs/policy.md. */
export function helpAnchor(code: string): string {
  return code.toLowerCase();
}

function counts(r: CheckResult) {
  const live = r.findings.filter((f) => !f.suppressed);
  return {
    errors: live.filter((f) => f.severity === 'error').length,
    warnings: live.filter((f) => f.severity === 'warning').length,
    suppressed: r.findings.length - live.length,
  };
}

export function renderText(r: CheckResult): string {
  const out: string[] = [];
  for (const f of r.findings) {
    const head = formatDiagnostic(f);
    const sup = f.suppressed ? `\n  suppressed: ${f.suppressed.justification}` : '';
    out.push(`${f.suppressed ? `[suppressed] ${head}` : head}${sup}\n  input: ${f.input}`);
  }
  for (const n of r.notes) out.push(`note: ${formatDiagnostic(n)}\n  input: ${n.input}`);
  const c = counts(r);
  const resources = r.inputs.reduce((a, i) => a + i.resources, 0);
  out.push(
    `${r.inputs.length} input(s), ${resources} resource(s): ${c.errors} error(s), ` +
      `${c.warnings} warning(s), ${c.suppressed} suppressed.`,
  );
  return `${out.join('\n\n')}\n`;
}

export function renderJson(r: CheckResult): string {
  return `${JSON.stringify(
    {
      format_version: '1.0',
      inputs: r.inputs,
      summary: counts(r),
      findings: r.findings.map((f) => ({
        code: f.code,
        severity: f.severity,
        summary: f.summary,
        detail: f.detail,
        address: f.address ?? null,
        attribute: f.attribute ?? null,
        file: f.file ?? null,
        line: f.line ?? null,
        // The range of the attribute, when the native parser knew it (docs/policy.md).
        column: f.column ?? null,
        endLine: f.endLine ?? null,
        endColumn: f.endColumn ?? null,
        input: f.input,
        suppressed: f.suppressed ?? null,
      })),
      notes: r.notes,
    },
    null,
    2,
  )}\n`;
}

function level(sev: Finding['severity']): 'error' | 'warning' {
  return sev === 'error' ? 'error' : 'warning';
}

/** SARIF 2.1.0: one rule per code (title, description, remedy, help URI), one result per
 * finding with the resource address as a logical location and file/line when known. */
export function renderSarif(r: CheckResult, opts: { version: string; helpBase?: string }): string {
  const helpBase = opts.helpBase ?? defaultHelpBase();
  const codes = [...new Set(r.findings.map((f) => f.code))].sort();
  const ruleIndex = new Map(codes.map((c, i) => [c, i] as const));
  const defaults = new Map<string, Finding['severity']>();
  for (const f of r.findings) if (!defaults.has(f.code)) defaults.set(f.code, f.severity);
  const rules = codes.map((code) => {
    const e = explainCode(code);
    const title = e?.title ?? code;
    return {
      id: code,
      name: title.replace(/[^A-Za-z0-9]+(.)?/g, (_m, c: string | undefined) =>
        (c ?? '').toUpperCase(),
      ),
      shortDescription: { text: title },
      fullDescription: { text: e?.description ?? title },
      help: {
        text: `${e?.description ?? ''}\nRemedy: ${e?.remedy ?? ''}`.trim(),
        markdown: `${e?.description ?? ''}\n\n**Remedy:** ${e?.remedy ?? ''}`.trim(),
      },
      helpUri: `${helpBase}#${helpAnchor(code)}`,
      defaultConfiguration: { level: level(defaults.get(code) ?? 'error') },
    };
  });
  const results = r.findings.map((f) => {
    const location: Record<string, unknown> = {};
    if (f.file !== undefined) {
      location.physicalLocation = {
        artifactLocation: { uri: f.file.split('\\').join('/') },
        ...(f.line !== undefined ? { region: sarifRegion(f) } : {}),
      };
    }
    if (f.address !== undefined) {
      location.logicalLocations = [
        {
          fullyQualifiedName: f.attribute !== undefined ? `${f.address}.${f.attribute}` : f.address,
          name: f.address,
          kind: 'resource',
        },
      ];
    }
    const result: Record<string, unknown> = {
      ruleId: f.code,
      ruleIndex: ruleIndex.get(f.code),
      level: level(f.severity),
      message: { text: `${f.summary}\n${f.detail}` },
      locations: Object.keys(location).length ? [location] : [],
      partialFingerprints: {
        'cmekFinding/v1': `${f.code}:${f.address ?? ''}:${f.attribute ?? ''}`,
      },
      properties: { input: f.input },
    };
    if (f.suppressed)
      result.suppressions = [
        { kind: f.suppressed.kind, justification: f.suppressed.justification },
      ];
    return result;
  });
  const sarif = {
    $schema: 'https://json.schemastore.org/sarif-2.1.0.json',
    version: '2.1.0',
    runs: [
      {
        tool: {
          driver: {
            name: 'cmek policy check',
            version: opts.version,
            informationUri: helpBase,
            rules,
          },
        },
        results,
        columnKind: 'utf16CodeUnits',
      },
    ],
  };
  return `${JSON.stringify(sarif, null, 2)}\n`;
}

/** A SARIF region: the start line, and the range when the parser knew it (native syntax). */
function sarifRegion(f: Finding): Record<string, number> {
  const region: Record<string, number> = { startLine: f.line! };
  if (f.column !== undefined) region.startColumn = f.column;
  if (f.endLine !== undefined) region.endLine = f.endLine;
  if (f.endColumn !== undefined) region.endColumn = f.endColumn;
  return region;
}

function xml(s: string): string {
  return (
    s
      .replace(/&/g, '&amp;')
      .replace(/</g, '&lt;')
      .replace(/>/g, '&gt;')
      .replace(/"/g, '&quot;')
      // Characters XML 1.0 does not allow at all (control characters other than tab/LF/CR).
      .replace(/[^\t\n\r\u0020-\uFFFF]/g, '')
  );
}

/** JUnit XML: a test suite per input, one test case per (rule, resource); an error finding is a
 * failure, a warning passes with the text in system-out, a suppressed one is skipped. */
export function renderJunit(r: CheckResult): string {
  const out: string[] = ['<?xml version="1.0" encoding="UTF-8"?>'];
  const c = counts(r);
  out.push(
    `<testsuites name="cmek policy check" tests="${r.findings.length}" failures="${c.errors}" skipped="${c.suppressed}">`,
  );
  for (const input of r.inputs) {
    const fs = r.findings.filter((f) => f.input === input.path);
    const failures = fs.filter((f) => !f.suppressed && f.severity === 'error').length;
    const skipped = fs.filter((f) => f.suppressed).length;
    out.push(
      `  <testsuite name="${xml(input.path)}" tests="${fs.length}" failures="${failures}" errors="0" skipped="${skipped}">`,
    );
    // One test case per (rule, resource): several findings of one pair are one case.
    const cases = new Map<string, Finding[]>();
    for (const f of fs) {
      const k = `${f.code}\u0000${f.address ?? ''}`;
      const list = cases.get(k);
      if (list) list.push(f);
      else cases.set(k, [f]);
    }
    for (const list of cases.values()) {
      const f0 = list[0]!;
      const name = `${f0.code} ${f0.address ?? '(configuration)'}`;
      const where =
        f0.file !== undefined
          ? ` file="${xml(f0.file)}"${f0.line !== undefined ? ` line="${f0.line}"` : ''}`
          : '';
      out.push(`    <testcase classname="${xml(f0.code)}" name="${xml(name)}"${where}>`);
      const text = list.map((f) => `${f.summary}\n${f.detail}`).join('\n\n');
      if (list.every((f) => f.suppressed)) {
        out.push(`      <skipped message="${xml(list[0]!.suppressed!.justification)}"/>`);
      } else if (list.some((f) => !f.suppressed && f.severity === 'error')) {
        out.push(
          `      <failure message="${xml(f0.summary)}" type="${xml(f0.code)}">${xml(text)}</failure>`,
        );
      } else {
        out.push(`      <system-out>${xml(`warning: ${text}`)}</system-out>`);
      }
      out.push('    </testcase>');
    }
    out.push('  </testsuite>');
  }
  out.push('</testsuites>');
  return `${out.join('\n')}\n`;
}

export function render(
  r: CheckResult,
  format: ReportFormat,
  opts: { version: string; helpBase?: string },
): string {
  switch (format) {
    case 'json':
      return renderJson(r);
    case 'sarif':
      return renderSarif(r, opts);
    case 'junit':
      return renderJunit(r);
    default:
      return renderText(r);
  }
}
