// A tiny provider used only by the protocol tests (not shipped): it exercises every part of
// the wire layer — nested blocks, maps, sets, large numbers, computed attributes planned as
// refined unknowns, requires_replace, diagnostics with attribute paths — without the cmek
// resources, so the protocol is proven on its own through the real terraform binary.
//
// `cmek_probe` plans its computed `arn` as an unknown refined with the prefix
// `arn:probe:REGION:`; `cmek_probe_consumer` fails its plan with PROBE_REGION_MISMATCH when the
// `key_arn` it is given is such an unknown whose prefix names another region than its own —
// the same-plan region check the cmek provider does, seen through terraform.
import { Unknown, type Value } from '../../../src/model/values.js';
import type {
  ProviderHandler,
  ProviderSchemas,
  TfDiagnostic,
  TfObject,
} from '../../../src/terraform/handler.js';

const SCHEMAS: ProviderSchemas = {
  provider: {
    version: 0,
    block: {
      description: 'The probe provider of the protocol tests.',
      attributes: [{ name: 'label', type: 'string', optional: true, description: 'A label.' }],
    },
  },
  resources: {
    cmek_probe: {
      version: 1,
      block: {
        description: 'A probe resource.',
        attributes: [
          {
            name: 'name',
            type: 'string',
            required: true,
            description: 'Name; changing it replaces.',
          },
          { name: 'region', type: 'string', required: true, description: 'Region.' },
          { name: 'tags', type: { map: 'string' }, optional: true, description: 'Tags.' },
          { name: 'ports', type: { set: 'number' }, optional: true, description: 'Ports.' },
          { name: 'big', type: 'number', optional: true, description: 'A large number.' },
          {
            name: 'secret',
            type: 'string',
            optional: true,
            sensitive: true,
            description: 'Secret.',
          },
          { name: 'extra', type: 'dynamic', optional: true, description: 'Anything.' },
          { name: 'id', type: 'string', computed: true, description: 'Identifier.' },
          { name: 'arn', type: 'string', computed: true, description: 'ARN, known after apply.' },
        ],
        blockTypes: [
          {
            typeName: 'rule',
            nesting: 'list',
            block: {
              attributes: [
                { name: 'action', type: 'string', required: true, description: 'Action.' },
                { name: 'weight', type: 'number', optional: true, description: 'Weight.' },
              ],
            },
          },
        ],
      },
    },
    cmek_probe_consumer: {
      version: 0,
      block: {
        attributes: [
          { name: 'region', type: 'string', required: true, description: 'Region.' },
          { name: 'key_arn', type: 'string', required: true, description: 'The key ARN.' },
          { name: 'id', type: 'string', computed: true, description: 'Identifier.' },
        ],
      },
    },
  },
  dataSources: {
    cmek_probe_echo: {
      version: 0,
      block: {
        attributes: [
          { name: 'input', type: 'string', required: true, description: 'Echoed.' },
          {
            name: 'output',
            type: 'string',
            computed: true,
            description: 'The input, upper-cased.',
          },
        ],
      },
    },
  },
};

export function createProbeProvider(): ProviderHandler {
  let label = '';
  return {
    schemas: () => SCHEMAS,
    validateProviderConfig: () => [],
    async configureProvider(config) {
      label = typeof config.label === 'string' ? config.label : '';
      return [];
    },
    validateResourceConfig(typeName, config): TfDiagnostic[] {
      if (typeName === 'cmek_probe' && config.name === 'invalid')
        return [
          {
            severity: 'error',
            summary: 'PROBE_INVALID: the name "invalid" is reserved',
            detail: 'Choose another name.',
            attribute: ['name'],
          },
        ];
      return [];
    },
    upgradeResourceState(_typeName, _version, rawState) {
      return { state: rawState as TfObject };
    },
    async readResource(_typeName, current) {
      return { state: current };
    },
    async planResourceChange(typeName, prior, proposed, config) {
      if (proposed === null) return { plannedState: null };
      const planned: TfObject = { ...proposed };
      const diagnostics: TfDiagnostic[] = [];
      if (typeName === 'cmek_probe') {
        const region = typeof proposed.region === 'string' ? proposed.region : '';
        if (!prior || prior.region !== proposed.region || prior.name !== proposed.name) {
          planned.id = new Unknown(undefined, { notNull: true });
          planned.arn = new Unknown(undefined, { notNull: true, prefix: `arn:probe:${region}:` });
        }
      } else if (typeName === 'cmek_probe_consumer') {
        const arn: Value | undefined = config?.key_arn;
        const region = String(proposed.region);
        if (arn instanceof Unknown && arn.refinement?.prefix) {
          const keyRegion = arn.refinement.prefix.split(':')[2];
          if (keyRegion && keyRegion !== region)
            diagnostics.push({
              severity: 'error',
              summary: `PROBE_REGION_MISMATCH: key in ${keyRegion}, consumer in ${region}`,
              detail: 'Use a key in the same region.',
              attribute: ['key_arn'],
            });
        }
        if (!prior) planned.id = new Unknown();
      }
      const requiresReplace =
        prior && typeName === 'cmek_probe' && prior.name !== proposed.name ? [['name']] : [];
      return { plannedState: planned, requiresReplace, diagnostics };
    },
    async applyResourceChange(typeName, _prior, planned) {
      if (planned === null) return { state: null };
      const state: TfObject = { ...planned };
      if (state.id instanceof Unknown)
        state.id = `${typeName}-${String(planned.name ?? planned.region)}`;
      if (state.arn instanceof Unknown)
        state.arn = `arn:probe:${String(planned.region)}:${String(planned.name)}${label}`;
      return { state };
    },
    async importResourceState(typeName, id) {
      return {
        imported: [
          {
            typeName,
            state: { name: id, region: 'eu-west-1', id, arn: `arn:probe:eu-west-1:${id}` },
          },
        ],
      };
    },
    validateDataResourceConfig: () => [],
    async readDataSource(_typeName, config) {
      return { state: { input: config.input ?? null, output: String(config.input).toUpperCase() } };
    },
    async stop() {},
  };
}
