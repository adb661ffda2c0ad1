// `npm run build` step: bundle the Terraform provider plugin into ONE file,
// dist/terraform-provider-cmek.js, with a node shebang and everything it runs inside (the
// plugin protocol, the provider, grpc-js, protobufjs, msgpack, x509), so terraform's `h1:` lock
// hash covers the code and `cmek provider install` copies a single file. The .proto files are
// compiled here into a JSON descriptor embedded in the bundle (src/terraform/wire/proto.ts says
// why). Tests call `buildProvider` with their own entry to bundle a test provider the same way.
import { build } from 'esbuild';
import { chmodSync } from 'node:fs';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { compileDescriptor } from '../src/terraform/wire/proto.js';

export const ROOT = join(import.meta.dirname, '..');
export const PROVIDER_ENTRY = join(ROOT, 'src', 'terraform', 'plugin.ts');
export const PROVIDER_OUT = join(ROOT, 'dist', 'terraform-provider-cmek.js');

export async function buildProvider(
  entry = PROVIDER_ENTRY,
  outfile = PROVIDER_OUT,
): Promise<string> {
  await build({
    entryPoints: [entry],
    outfile,
    bundle: true,
    platform: 'node',
    // A script, not an ES module: terraform runs the plugin as
    // `terraform-provider-cmek_v0.1.0`, whose ".0" extension Node only loads as CommonJS, while
    // dist/terraform-provider-cmek.js sits in an ESM package ("type": "module"). The banner's
    // `require` works in both: CommonJS's own, else the built-in module getter (Node ≥ 20.16).
    format: 'cjs',
    target: 'node20',
    minify: true,
    legalComments: 'none',
    logLevel: 'warning',
    // import.meta is read only when run from source (proto.ts parses the .proto files there).
    logOverride: { 'empty-import-meta': 'silent' },
    define: { __CMEK_PROTO_DESCRIPTOR__: JSON.stringify(compileDescriptor(join(ROOT, 'proto'))) },
    banner: {
      js:
        '#!/usr/bin/env node\n' +
        "var require = typeof require === 'function' ? require : (id) => process.getBuiltinModule(id);",
    },
  });
  chmodSync(outfile, 0o755);
  return outfile;
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? '').href) {
  const out = await buildProvider();
  console.log(`built ${out}`);
}
