// The provider plugin run from source (through tsx), for the terraform tests before the bundled
// executable exists: the same serve loop and provider the bundle runs.
import { runPluginMain } from '../../src/terraform/wire/serve.js';
import { createProvider } from '../../src/terraform/provider.js';

runPluginMain(() => createProvider());
