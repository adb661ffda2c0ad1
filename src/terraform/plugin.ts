// The entry point of the `terraform-provider-cmek` executable (bundled into one file by
// scripts/build-provider.ts): the plugin protocol serving the cmek provider. The provider —
// resources, engine settings, KMS, control plane — is imported on the first RPC, after the
// handshake line, so terraform's launch does not wait for it.
import { runPluginMain } from './wire/serve.js';

runPluginMain(async () => (await import('./provider.js')).createProvider());
