// `npm run docs:gen`: rewrite the generated tables of docs/resources/TYPE.md from the resource
// declarations (src/resources); a type without a page gets a new one to fill in with prose. Also
// the function list of docs/configuration.md, from the function library.
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describeResources } from '../src/resources/index.js';
import { newResourcePage, renderResourcePage } from '../src/resources/docs.js';
import { renderFunctionSection } from '../src/engine/config/functions/docs.js';

const dir = join(import.meta.dirname, '..', 'docs', 'resources');
for (const d of describeResources()) {
  const file = join(dir, `${d.type}.md`);
  const before = existsSync(file) ? readFileSync(file, 'utf8') : undefined;
  const after = before === undefined ? newResourcePage(d) : renderResourcePage(before, d);
  if (after !== before) {
    writeFileSync(file, after);
    console.log(`${before === undefined ? 'created' : 'updated'} docs/resources/${d.type}.md`);
  }
}

// functions: the function list of docs/configuration.md, from the library's table.
const configPage = join(import.meta.dirname, '..', 'docs', 'configuration.md');
const configBefore = readFileSync(configPage, 'utf8');
const configAfter = renderFunctionSection(configBefore);
if (configAfter !== configBefore) {
  writeFileSync(configPage, configAfter);
  console.log('updated docs/configuration.md (functions)');
}
