// Encoding functions: base64, JSON, URL, CSV and the text encodings of textencodebase64.

import { gzipSync } from 'node:zlib';
import { setKey } from '../evaluate.js';
import type { Value } from '../../../model/values.js';
import { terraformJson } from './json.js';
import { terraformYaml } from './yaml-encode.js';
import { decodeYaml, YamlError } from './yaml-decode.js';
import { argError, callError, family, str, STRICT_UTF8 } from './support.js';

/** Text encodings textencodebase64 / textdecodebase64 know (the names terraform accepts for
 * them); others are an error naming the ones there are. */
const ENCODINGS: Record<string, BufferEncoding> = {
  'UTF-8': 'utf8',
  UTF8: 'utf8',
  'UTF-16LE': 'utf16le',
  'ISO-8859-1': 'latin1',
  LATIN1: 'latin1',
  'US-ASCII': 'ascii',
  ASCII: 'ascii',
};

function encodingOf(name: string, c: Parameters<typeof argError>[0], i: number): BufferEncoding {
  const e = ENCODINGS[name.toUpperCase()];
  if (!e)
    return argError(
      c,
      i,
      `"${name}" is not a supported IANA encoding name or alias in this Terraform version`,
    );
  return e;
}

export function decodeBase64(s: string): Buffer | undefined {
  if (!/^[A-Za-z0-9+/]*={0,2}$/.test(s) || s.length % 4 !== 0) return undefined;
  return Buffer.from(s, 'base64');
}

/** JSON text to a value (numbers as JavaScript numbers). */
export function parseJson(s: string): Value {
  return JSON.parse(s, function (this: Record<string, unknown>, k, v: unknown) {
    if (k === '__proto__') setKey(this as Record<string, Value>, k, v as Value);
    return v;
  }) as Value;
}

/** RFC 4180 CSV, as Go's encoding/csv reads it (every row as long as the header). */
function csvRows(text: string): string[][] | string {
  const rows: string[][] = [];
  let row: string[] = [];
  let field = '';
  let i = 0;
  let quoted = false;
  let any = false;
  while (i < text.length) {
    const ch = text[i]!;
    if (quoted) {
      if (ch === '"' && text[i + 1] === '"') {
        field += '"';
        i += 2;
      } else if (ch === '"') {
        quoted = false;
        i++;
      } else {
        field += ch;
        i++;
      }
      continue;
    }
    if (ch === '"' && field === '') {
      quoted = true;
      any = true;
      i++;
    } else if (ch === ',') {
      row.push(field);
      field = '';
      any = true;
      i++;
    } else if (ch === '\n' || ch === '\r') {
      if (ch === '\r' && text[i + 1] === '\n') i++;
      i++;
      if (any || field !== '' || row.length) {
        row.push(field);
        rows.push(row);
      }
      row = [];
      field = '';
      any = false;
    } else {
      field += ch;
      any = true;
      i++;
    }
  }
  if (quoted) return 'extraneous or missing " in quoted-field';
  if (any || field !== '' || row.length) {
    row.push(field);
    rows.push(row);
  }
  return rows;
}

export const ENCODING_FUNCTIONS = family('encoding', {
  base64encode: [
    'base64encode(str)',
    'the UTF-8 bytes of the string in Base64',
    ([s], c) => Buffer.from(str(s!, c, 0), 'utf8').toString('base64'),
  ],
  base64decode: [
    'base64decode(str)',
    'Base64 decoded to a UTF-8 string',
    ([s], c) => {
      const b = decodeBase64(str(s!, c, 0));
      if (!b) return argError(c, 0, 'failed to decode base64 data');
      try {
        return STRICT_UTF8.decode(b);
      } catch {
        return argError(c, 0, 'the result of decoding the provided string is not valid UTF-8');
      }
    },
  ],
  base64gzip: [
    'base64gzip(str)',
    'the string gzip-compressed, in Base64',
    ([s], c) => gzipSync(Buffer.from(str(s!, c, 0), 'utf8')).toString('base64'),
  ],
  textencodebase64: [
    'textencodebase64(string, encoding)',
    'the string in the named character encoding (`UTF-16LE`, `ISO-8859-1`, ...), in Base64',
    ([s, e], c) => {
      const text = str(s!, c, 0);
      const enc = encodingOf(str(e!, c, 1), c, 1);
      if (enc === 'latin1' || enc === 'ascii') {
        const max = enc === 'latin1' ? 0xff : 0x7f;
        for (const ch of text)
          if (ch.codePointAt(0)! > max)
            return argError(
              c,
              0,
              `the given string contains characters that cannot be represented in ${str(e!, c, 1)}`,
            );
      }
      return Buffer.from(text, enc).toString('base64');
    },
  ],
  textdecodebase64: [
    'textdecodebase64(source, encoding)',
    'Base64 bytes in the named character encoding, decoded to a string',
    ([s, e], c) => {
      const enc = encodingOf(str(e!, c, 1), c, 1);
      const b = decodeBase64(str(s!, c, 0));
      if (!b) return argError(c, 0, 'the given value is has an invalid base64 symbol');
      return b.toString(enc);
    },
  ],
  jsonencode: [
    'jsonencode(value)',
    'JSON text; object keys sorted and `<`, `>`, `&` escaped, exactly like terraform',
    ([v]) => terraformJson(v!),
    { nullOk: true },
  ],
  yamlencode: [
    'yamlencode(value)',
    'YAML text exactly as terraform writes it (block style, keys sorted, strings double-quoted or literal blocks)',
    ([v]) => terraformYaml(v!),
    { nullOk: true },
  ],
  yamldecode: [
    'yamldecode(str)',
    "the value of one YAML document, resolved as terraform resolves it (YAML 1.1's `yes` / `on` are bools, timestamps RFC 3339 text, keys strings)",
    ([s], c) => {
      try {
        return decodeYaml(str(s!, c, 0));
      } catch (e) {
        if (e instanceof YamlError) return callError(c, e.message);
        throw e;
      }
    },
  ],
  jsondecode: [
    'jsondecode(str)',
    'the value of JSON text',
    ([s], c) => {
      try {
        return parseJson(str(s!, c, 0));
      } catch (e) {
        return callError(c, (e as Error).message);
      }
    },
  ],
  urlencode: [
    'urlencode(str)',
    'the string escaped for a URL query (spaces as `+`)',
    ([s], c) =>
      encodeURIComponent(str(s!, c, 0))
        .replace(/[!'()*]/g, (ch) => `%${ch.charCodeAt(0).toString(16).toUpperCase()}`)
        .replace(/%20/g, '+'),
  ],
  csvdecode: [
    'csvdecode(str)',
    'CSV text to a list of objects keyed by the header row',
    ([s], c) => {
      const rows = csvRows(str(s!, c, 0));
      if (typeof rows === 'string') return callError(c, rows);
      if (rows.length === 0) return callError(c, 'missing header line');
      const [header, ...body] = rows;
      return body.map((r, i) => {
        if (r.length !== header!.length)
          return callError(c, `record on line ${i + 2}: wrong number of fields`);
        const o: Record<string, Value> = {};
        header!.forEach((h, j) => setKey(o, h, r[j]!));
        return o;
      });
    },
  ],
});
