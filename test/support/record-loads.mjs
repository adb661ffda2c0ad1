// `node --import ./test/support/record-loads.mjs app.js` appends the URL of every ES module Node
// loads to the file named by CMEK_LOAD_LOG (one a line): how the start-up tests and bench/cli.ts
// see which modules a verb pulls in (docs/architecture.md, "Start-up"). CommonJS files required
// by a CommonJS package are not listed; the package's entry, imported from ESM, is.
import { register } from 'node:module';

const hooks = `
import { appendFileSync } from 'node:fs';
export async function load(url, context, next) {
  if (process.env.CMEK_LOAD_LOG) appendFileSync(process.env.CMEK_LOAD_LOG, url + '\\n');
  return next(url, context);
}
`;
register(`data:text/javascript,${encodeURIComponent(hooks)}`);
