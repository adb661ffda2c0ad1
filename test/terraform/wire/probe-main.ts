// Entry of the probe plugin the protocol tests bundle (with scripts/build-provider.ts, as the
// real plugin is bundled): the wire layer serving the probe provider.
import { runPluginMain } from '../../../src/terraform/wire/serve.js';
import { createProbeProvider } from './probe-provider.js';

runPluginMain(createProbeProvider);
