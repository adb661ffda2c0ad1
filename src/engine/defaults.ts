// The default wiring (`import { defaultDeps } from 'cmek/defaults'`): the real config loader,
// resource types, provider context (KMS backend), control plane and CMEK rules, as the engine's
// EngineDeps. The engine loads it only when an operation runs without `deps`; front doors and
// tests may pass their own. It is the one module of the engine that imports src/resources.
import {
  RESOURCE_ROLES,
  RESOURCE_TYPES,
  controlPlaneFor,
  createProviderContext,
} from '../resources/index.js';
import { keyUsesOf } from '../resources/checks.js';
import { DATA_SOURCES, readDataSource } from '../resources/data-sources.js';
import { checkRules, cmekRuleInput } from '../rules/index.js';
import { loadConfig, loadVarFiles, resolveVariables } from './config/index.js';
import type { DataSourceType, EngineDeps } from './deps.js';

export { RESOURCE_ROLES, RESOURCE_TYPES, controlPlaneFor, createProviderContext };

/** The data sources the Terraform plugin serves, read by the engine through the same code. */
const dataSources: Record<string, DataSourceType> = Object.fromEntries(
  DATA_SOURCES.map((def) => [
    def.type,
    {
      type: def.type,
      lookup: def.lookup.name,
      resource: def.resource.type,
      read: (config, ctx) => readDataSource(def, config, ctx),
    },
  ]),
);

export const defaultDeps: EngineDeps = {
  resourceTypes: RESOURCE_TYPES as Record<string, (typeof RESOURCE_TYPES)[string]>,
  dataSources,
  createProviderContext,
  loadConfig: (dir) => loadConfig(dir),
  resolveVariables: (config, inputs) => resolveVariables(config, inputs),
  loadVarFiles: (dir, files) => loadVarFiles(dir, files),
  cmekRuleInput: (changes, opts) => cmekRuleInput(changes, { ...opts, roles: RESOURCE_ROLES }),
  checkRules,
  keyUses: (ctx) => keyUsesOf(ctx, true),
};
