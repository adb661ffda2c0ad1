// Module calls as the loader sees them (docs/configuration.md, "Not supported"): cmek does not
// load modules yet; a call whose `source` is not a local path (the registry, git, http, s3, ...)
// is reported at its `source` line as needing a download cmek does not do offline.

import { isObj, plain } from './shape.js';

/** Terraform's local source prefixes; anything else is fetched by `terraform init`. */
const LOCAL = /^\.\.?[\\/]/;

/** The kind of a remote module source, from terraform's source address forms. */
function remoteKind(source: string): string {
  if (/^git::|\.git($|[/?])|^git@/.test(source)) return 'a git repository';
  if (/^hg::/.test(source)) return 'a Mercurial repository';
  if (/^s3::|\.s3[.-][^/]*amazonaws\.com\//.test(source)) return 'an S3 bucket';
  if (/^gcs::|^https?:\/\/www\.googleapis\.com\/storage/.test(source)) return 'a GCS bucket';
  if (/^(github\.com|bitbucket\.org)\//.test(source)) return 'a GitHub or Bitbucket repository';
  if (/^https?:\/\//.test(source)) return 'an HTTP URL';
  if (
    /^[^/]+\/[^/]+\/[^/]+(\/\/.*)?$/.test(source) ||
    /^[^/]+\.[^/]+\/[^/]+\/[^/]+\/[^/]+/.test(source)
  )
    return 'a module registry';
  return 'a remote location';
}

/** For a module call body whose `source` is remote: [what, remedy] of its CONFIG_UNSUPPORTED
 * diagnostic; undefined for a local source (or none). */
export function remoteModuleSource(body: unknown): [string, string] | undefined {
  if (!isObj(body)) return undefined;
  const source = plain(body.source);
  if (typeof source !== 'string' || LOCAL.test(source)) return undefined;
  return [
    `The module source "${source}" (${remoteKind(source)})`,
    'cmek works offline and does not download modules. Copy the module into this directory and use a local path (source = "./modules/NAME"); note that cmek does not load local modules yet either: declare the resources in this configuration.',
  ];
}
