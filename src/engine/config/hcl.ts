// The one entry to @cdktf/hcl2json. Imported lazily: the package instantiates its Go/WASM
// parser at import time (about 0.4 s and 75 MB on the development machine), which CLI verbs
// that never read HCL (kms, data, service) and JSON-only configurations should not pay.

type Hcl2Json = typeof import('@cdktf/hcl2json');

let loading: Promise<Hcl2Json> | undefined;

/** Parse one HCL file to hcl2json's JSON form; throws hcl2json's error (see scan.ts). */
export async function parseHclText(file: string, text: string): Promise<Record<string, unknown>> {
  loading ??= import('@cdktf/hcl2json');
  const { parse } = await loading;
  return (await parse(file, text)) as Record<string, unknown>;
}
