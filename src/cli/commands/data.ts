// `cmek data put SERVICE OBJECT FILE|-`, `cmek data get SERVICE OBJECT [-o FILE]`,
// `cmek data ls SERVICE [PREFIX]`, `cmek data rm SERVICE OBJECT` (SPEC 5): the data plane of a
// service from the shell. Bodies stream (stdin/stdout or files), so objects of any size pass
// with bounded memory. Parsing and printing only; the work is the object store's.
import type { Command } from 'commander';
import { createReadStream } from 'node:fs';
import { diag, DiagnosticError } from '../../model/diagnostics.js';
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
      const cp = await openServicePlane(o);
      const body = file === '-' ? process.stdin : createReadStream(file);
      const info = await cp.objects.put(service, object, body);
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
      const cp = await openServicePlane(o);
      const stream = await cp.objects.get(
        service,
        object,
        o.range ? parseRange(o.range) : undefined,
      );
      if (!o.output || o.output === '-') await writeObjectToStdout(stream);
      else await writeObjectToFile(stream, o.output);
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
