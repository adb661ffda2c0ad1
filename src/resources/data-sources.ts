// Data sources: read-only lookups of objects that exist already (a key by alias, key id or ARN;
// a service by name or id), declared once like the resources (define.ts) and read by the
// resources' own code: a lookup is the resource's import (`importState`: from the id a user knows
// to what `read` needs) followed by its `read`. Their attributes are the resource's, reused by
// name, so a description exists once. The Terraform provider plugin serves them; other front
// doors may.
import { diag, DiagnosticError } from '../model/diagnostics.js';
import type { Attrs, Value } from '../model/values.js';
import type { AttributeDescription, DefinedResource } from './define.js';
import { describeResource } from './define.js';
import { encryptedService } from './encrypted-service.js';
import { kmsKey } from './kms-key.js';
import type { ProviderContext } from './types.js';

export interface DataSourceDefinition {
  type: string;
  description: string;
  /** The argument that names the object, and what it accepts. */
  lookup: { name: string; description: string };
  /** The resource type whose import + read find the object and whose attributes it exposes. */
  resource: DefinedResource;
  /** The resource attributes exposed (all computed). */
  exposes: readonly string[];
}

export interface DataSourceDescription {
  type: string;
  description: string;
  attributes: AttributeDescription[];
}

export function defineDataSource(def: DataSourceDefinition): DataSourceDefinition {
  const names = new Set(Object.keys(def.resource.definition.attributes));
  for (const a of def.exposes)
    if (!names.has(a)) throw new Error(`${def.type}: ${def.resource.type} has no attribute ${a}`);
  return def;
}

/** The serializable schema: the lookup argument (required) and the exposed attributes
 * (computed), with the resource's descriptions. */
export function describeDataSource(def: DataSourceDefinition): DataSourceDescription {
  const byName = new Map(
    describeResource(def.resource.definition).attributes.map((a) => [a.name, a]),
  );
  const attributes: AttributeDescription[] = [
    {
      name: def.lookup.name,
      type: 'string',
      required: true,
      optional: false,
      computed: false,
      forceNew: false,
      sensitive: false,
      description: def.lookup.description,
    },
  ];
  for (const n of def.exposes) {
    if (n === def.lookup.name) continue;
    const a = byName.get(n)!;
    attributes.push({
      name: n,
      type: a.type,
      required: false,
      optional: false,
      computed: true,
      forceNew: false,
      sensitive: a.sensitive,
      description: a.description,
    });
  }
  return { type: def.type, description: def.description, attributes };
}

/** Look the object up: the lookup value → the resource's importState → its read. Not found is
 * IMPORT_NOT_FOUND (a data source must find what it names). */
export async function readDataSource(
  def: DataSourceDefinition,
  config: Record<string, Value>,
  ctx: ProviderContext,
): Promise<Attrs> {
  const ref = config[def.lookup.name];
  if (typeof ref !== 'string' || !ref)
    throw new DiagnosticError(
      diag(
        'CONFIG_SCHEMA',
        `${def.lookup.name} must be a non-empty string`,
        def.lookup.description,
        {
          attribute: def.lookup.name,
        },
      ),
    );
  const rt = def.resource;
  const seed = rt.importState ? await rt.importState(ref, ctx) : { id: ref };
  const found = seed ? await rt.read(seed, ctx) : null;
  if (!found)
    throw new DiagnosticError(
      diag(
        'IMPORT_NOT_FOUND',
        `${def.type}: no object matches ${def.lookup.name} = ${JSON.stringify(ref)}`,
        `${def.lookup.description}\nCheck the value (\`cmek kms ls\` lists the keys, \`cmek service ls\` the services) and that data_dir is the directory that holds them.`,
        { attribute: def.lookup.name },
      ),
    );
  const out: Attrs = { [def.lookup.name]: ref };
  for (const n of def.exposes) if (n !== def.lookup.name) out[n] = found[n] ?? null;
  return out;
}

export const kmsKeyData = defineDataSource({
  type: 'cmek_kms_key',
  description: 'Looks up an existing KMS key by alias, key id or ARN (or a GCP crypto key name).',
  lookup: {
    name: 'key_id',
    description:
      'The key: an alias (`alias/NAME`), a key id, a key ARN, an alias ARN, or the full crypto key name of a GCP-style key.',
  },
  resource: kmsKey,
  exposes: [
    'id',
    'arn',
    'region',
    'alias',
    'description',
    'key_ring',
    'name',
    'multi_region',
    'enable_key_rotation',
    'key_state',
    'primary_version',
  ],
});

export const encryptedServiceData = defineDataSource({
  type: 'cmek_encrypted_service',
  description: 'Looks up an existing service by name or id.',
  lookup: { name: 'name', description: 'The service: its name or its id (`svc-...`).' },
  resource: encryptedService,
  exposes: [
    'id',
    'region',
    'profile',
    'kms_key',
    'encrypted',
    'kms_key_version',
    'status',
    'description',
    'tags',
    'key_check_interval',
  ],
});

export const DATA_SOURCES: readonly DataSourceDefinition[] = [kmsKeyData, encryptedServiceData];
