// How arguments travel to `cmek server`: a JSON array, in the request body (`{"args": [...]}`)
// or, for an upload whose body is the object, base64url in a signed header. Trailing undefined
// arguments are dropped (so an omitted optional argument stays omitted, and its default applies
// on the server), as JSON has no undefined.
import { diag, DiagnosticError } from '../../model/diagnostics.js';

function trimmed(args: readonly unknown[]): unknown[] {
  const out = [...args];
  while (out.length && out[out.length - 1] === undefined) out.pop();
  return out;
}

export function encodeArgs(args: readonly unknown[], header: boolean): string {
  const json = JSON.stringify(header ? trimmed(args) : { args: trimmed(args) });
  return header ? Buffer.from(json, 'utf8').toString('base64url') : json;
}

function malformed(why: string): DiagnosticError {
  return new DiagnosticError(
    diag(
      'USAGE',
      `Malformed request to cmek server: ${why}`,
      'Requests are made by the cmek client (provider endpoint); use the same cmek version on ' +
        'client and server.',
    ),
  );
}

export function decodeArgs(raw: string | string[] | undefined, header: boolean): unknown[] {
  if (typeof raw !== 'string') throw malformed('no arguments');
  let v: unknown;
  try {
    v = JSON.parse(header ? Buffer.from(raw, 'base64url').toString('utf8') : raw);
  } catch {
    throw malformed('arguments are not JSON');
  }
  const args = header ? v : (v as { args?: unknown } | null)?.args;
  if (!Array.isArray(args)) throw malformed('arguments are not a list');
  return args;
}
