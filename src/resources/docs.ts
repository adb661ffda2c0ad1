// The Argument and Attribute tables of docs/resources/TYPE.md, generated from a resource's
// declaration (describeResource). A page keeps its own prose; only the parts between the
// GENERATED markers are rewritten (`npm run docs:gen`), and test/resources/docs-tables.test.ts
// fails when a page drifts from the declarations.
import type { AttributeDescription, ResourceDescription } from './define.js';

const cell = (s: string) => s.replace(/\|/g, '\\|').replace(/\n/g, ' ');

function argumentDescription(a: AttributeDescription): string {
  return a.sensitive ? `${a.description} Sensitive: never shown in plan output.` : a.description;
}

/** `| argument | required | forces replacement | description |` of the configurable attributes. */
export function argumentTable(d: ResourceDescription): string {
  const rows = d.attributes
    .filter((a) => a.required || a.optional)
    .map(
      (a) =>
        `| \`${a.name}\` | ${a.required ? 'yes' : a.computed ? 'no (computed when absent)' : 'no'} | ${a.forceNew ? 'yes' : 'no'} | ${cell(argumentDescription(a))} |`,
    );
  return [
    '| argument | required | forces replacement | description |',
    '|---|---|---|---|',
    ...rows,
  ].join('\n');
}

/** `| attribute | description |` of the attributes only the provider sets. */
export function attributeTable(d: ResourceDescription): string {
  const rows = d.attributes
    .filter((a) => a.computed && !a.optional)
    .map((a) => `| \`${a.name}\` | ${cell(a.description)} |`);
  return ['| attribute | description |', '|---|---|', ...rows].join('\n');
}

const SECTIONS = { arguments: argumentTable, attributes: attributeTable } as const;

function markers(section: string): [string, string] {
  return [
    `<!-- BEGIN GENERATED ${section} (npm run docs:gen, from src/resources) -->`,
    `<!-- END GENERATED ${section} -->`,
  ];
}

/** The page with its generated tables replaced from the declaration. Throws when a page lacks
 * the markers (a new page must carry them once). */
export function renderResourcePage(text: string, d: ResourceDescription): string {
  let out = text;
  for (const [section, table] of Object.entries(SECTIONS)) {
    const [begin, end] = markers(section);
    const i = out.indexOf(begin);
    const j = out.indexOf(end);
    if (i < 0 || j < i) {
      throw new Error(
        `docs/resources/${d.type}.md has no "${begin}" ... "${end}" markers around its ${section} table`,
      );
    }
    out = `${out.slice(0, i + begin.length)}\n${table(d)}\n${out.slice(j)}`;
  }
  return out;
}

/** A new page for a resource type that has none yet: title, summary and the two tables. */
export function newResourcePage(d: ResourceDescription): string {
  const [ab, ae] = markers('arguments');
  const [tb, te] = markers('attributes');
  return [
    `# ${d.type}`,
    '',
    d.description,
    '',
    '## Argument Reference',
    '',
    ab,
    argumentTable(d),
    ae,
    '',
    '## Attribute Reference',
    '',
    tb,
    attributeTable(d),
    te,
    '',
  ].join('\n');
}
