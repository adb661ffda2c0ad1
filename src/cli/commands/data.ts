// `cmek data put SERVICE OBJECT FILE|-`, `cmek data get SERVICE OBJECT [-o FILE]`,
// `cmek data ls SERVICE [PREFIX]`, `cmek data rm SERVICE OBJECT`: the data plane of a
// service from the shell. Bodies stream (stdin/stdout or files), so objects of any size pass
// with bounded memory. Parsing and printing only; the work is the object store's.
import type { Command } from 'commander';
import { open, stat } from 'node:fs/promises';
import type { Readable } from 'node:stream';
import { dirname } from 'node:path';
import { diag, DiagnosticError } from '../../model/diagnostics.js';
import { fileErrorDiagnostic, interruptible } from '../output.js';
import { writeObjectToFile, writeObjectToStdout } from './data-get.js';
import { common, openServicePlane, printJson, split, type PlaneOptions } from './service.js';

function parseRange(text: string): { start: number; end?: number } {
  // HTTP-like: START-END (END inclusive), START- (to the end).
  const m = /^(\d+)-(\d*)$/.exec(text);
  if (!m) {
    throw new DiagnosticError(
      diag('USAGE', `Invalid --range ${text}`, 'Use START-END (inclusive) or START-, in bytes.'),
    );
  }
  const start = Number(m[1]);
  return m[2] ? { start, end: Number(m[2]) + 1 } : { start };
}

/** Open the file to upload before anything else, so a missing file, a directory or a file we
 * may not read is an IO_ERROR naming it (and not a stream error after the service lookup). */
async function openSource(file: string): Promise<Readable> {
  try {
    if ((await stat(file)).isDirectory()) {
      throw Object.assign(new Error(`EISDIR: ${file}`), {
        code: 'EISDIR',
        syscall: 'read',
        path: file,
      });
    }
    const fh = await open(file, 'r');
    return fh.createReadStream({ highWaterMark: 1 << 20 });
  } catch (e) {
    const d = fileErrorDiagnostic(e, `the file to upload ${file}`);
    throw d ? new DiagnosticError(d) : e;
  }
}

/** The -o target must be a writable place for a file: its directory exists, it is not itself a
 * directory. Checked before reading the object, so nothing is decrypted for nothing. */
async function checkTarget(file: string): Promise<void> {
  const fail = (e: unknown) => {
    const d = fileErrorDiagnostic(e, `the output file ${file}`);
    throw d ? new DiagnosticError(d) : e;
  };
  const dir = await stat(dirname(file)).catch(fail);
  if (dir && !dir.isDirectory()) {
    fail(Object.assign(new Error('ENOTDIR'), { code: 'ENOTDIR', syscall: 'open', path: file }));
  }
  const target = await stat(file).catch(() => undefined);
  if (target?.isDirectory()) {
    fail(Object.assign(new Error('EISDIR'), { code: 'EISDIR', syscall: 'open', path: file }));
  }
}

export function register(program: Command): void {
  const data = program
    .command('data')
    .description('Read and write the objects of a service (encrypted at rest with its key)');

  common(
    data
      .command('put')
      .description('Write an object from a file, or from stdin with -')
      .argument('<service>', 'service name or id')
      .argument('<object>', 'object name (any string)')
      .argument('<file>', 'file to upload, or - for stdin'),
  )
    .option('--json', 'machine-readable output')
    .action(async (...all: unknown[]) => {
      const [[service, object, file], o] = split<[string, string, string], PlaneOptions>(all);
      const body = file === '-' ? process.stdin : await openSource(file);
      const cp = await openServicePlane(o);
      // Ctrl-C: destroying the body makes the object store remove its temp file; the previous
      // version of the object (if any) stays as it was.
      const info = await interruptible(
        () => body.destroy(new Error('interrupted')),
        `Interrupted: nothing was written; ${service}/${object} is as it was before.`,
        () => cp.objects.put(service, object, body),
      );
      if (!info) return;
      if (o.json) return printJson(info);
      process.stdout.write(`Wrote ${info.size} bytes to ${service}/${object}.\n`);
    });

  common(
    data
      .command('get')
      .description('Read an object to stdout, or to a file with -o')
      .argument('<service>', 'service name or id')
      .argument('<object>', 'object name'),
  )
    .option('-o, --output <file>', 'write to FILE (atomically) instead of stdout')
    .option('--range <start-end>', 'only bytes START-END (inclusive), or START- to the end')
    .action(async (...all: unknown[]) => {
      const [[service, object], o] = split<
        [string, string],
        PlaneOptions & { output?: string; range?: string }
      >(all);
      const range = o.range ? parseRange(o.range) : undefined;
      const output = o.output && o.output !== '-' ? o.output : undefined;
      if (output) await checkTarget(output);
      const cp = await openServicePlane(o);
      const stream = await cp.objects.get(service, object, range);
      const stop = () => stream.destroy(new Error('interrupted'));
      // A closed stdout (`| head`) rejects with EPIPE: the CLI exits quietly (src/cli/main.cts).
      // writeObjectToFile writes a 0600 temp file beside the target and renames it, so a failed
      // authentication or Ctrl-C never leaves a partial file under the requested name.
      if (!output) {
        await interruptible(stop, 'Interrupted: the output is incomplete.', () =>
          writeObjectToStdout(stream),
        );
      } else {
        await writeObjectToFile(stream, output);
      }
    });

  common(
    data
      .command('ls')
      .description('List objects: name, size, modified')
      .argument('<service>', 'service name or id')
      .argument('[prefix]', 'only objects whose name starts with PREFIX'),
  )
    .option('--json', 'machine-readable output')
    .action(async (...all: unknown[]) => {
      const [[service, prefix], o] = split<[string, string | undefined], PlaneOptions>(all);
      const cp = await openServicePlane(o);
      const list = await cp.objects.list(service, prefix ?? '');
      if (o.json) return printJson(list);
      for (const x of list) {
        process.stdout.write(`${String(x.size).padStart(12)}  ${x.modifiedAt}  ${x.name}\n`);
      }
    });

  common(
    data
      .command('rm')
      .description('Remove an object')
      .argument('<service>', 'service name or id')
      .argument('<object>', 'object name'),
  )
    .option('--json', 'machine-readable output')
    .action(async (...all: unknown[]) => {
      const [[service, object], o] = split<[string, string], PlaneOptions>(all);
      const cp = await openServicePlane(o);
      const removed = await cp.objects.remove(service, object);
      if (!removed) {
        throw new DiagnosticError(
          diag(
            'USAGE',
            `No object ${JSON.stringify(object)} in service ${service}`,
            `List the objects with \`cmek data ls ${service}\`.`,
          ),
        );
      }
      if (o.json) return printJson({ removed: object });
      process.stdout.write(`Removed ${service}/${object}.\n`);
    });
}
