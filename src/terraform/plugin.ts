// The entry point of the bundled plugin (scripts/build-provider.ts bundles it into
// cmek-provider.cjs, which the `terraform-provider-cmek` launcher runs): the plugin protocol
// serving the cmek provider. The provider — resources, engine settings, KMS, control plane — is
// imported right after the handshake line, while terraform connects, so terraform's launch
// does not wait for it. The exports serve the build's code-cache training run (src/terraform/launcher.ts).
import type { ProviderHandler } from './handler.js';
import { runPluginMain } from './wire/serve.js';

const factory = async (): Promise<ProviderHandler> =>
  (await import('./provider.js')).createProvider();

/** Settles once the handshake line is printed. */
export const started = runPluginMain(factory);

/** Loads the provider and its schemas, as terraform's first calls do. */
export async function warm(): Promise<void> {
  (await factory()).schemas();
}
