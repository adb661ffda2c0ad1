// Fake resource types for engine unit tests: an in-memory "cloud" with keys and things, a call
// log, and hooks to fail or to look at the state file in the middle of an apply. The real
// configuration loader is used (tests write .tf files), so plans go through the same parser.
import { mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { z } from 'zod';
import type { Diagnostic } from '../../src/model/diagnostics.js';
import { loadConfig, resolveVariables } from '../../src/engine/config/index.js';
import type { EngineDeps, RuleChange } from '../../src/engine/deps.js';
import { Unknown, type Value } from '../../src/model/values.js';
import { planGeneric } from '../../src/resources/common.js';
import type { Attrs, ProviderContext, ResourceType } from '../../src/resources/types.js';
import type { RuleInput } from '../../src/rules/model.js';

export interface World {
  objects: Map<string, Attrs>;
  calls: string[];
  /** Throw from create/update/delete when this returns a message. */
  failWhen?: (op: string, attrs: Attrs) => string | undefined;
  /** Called inside every create (before it returns). */
  onCreate?: (attrs: Attrs) => void | Promise<void>;
  /** In-flight operations now and at most. */
  inFlight: number;
  maxInFlight: number;
  /** Rule inputs seen (each plan / apply-time check). */
  ruleChanges: RuleChange[][];
  /** Rules to run: given the changes, return diagnostics. */
  rules?: (changes: RuleChange[]) => Diagnostic[];
  deps: EngineDeps;
}

function strip(attrs: Attrs): Attrs {
  const out: Attrs = {};
  for (const [k, v] of Object.entries(attrs)) if (!(v instanceof Unknown)) out[k] = v;
  return out;
}

export function makeWorld(): World {
  let n = 0;
  const world: World = {
    objects: new Map(),
    calls: [],
    inFlight: 0,
    maxInFlight: 0,
    ruleChanges: [],
    deps: undefined as unknown as EngineDeps,
  };
  const tick = () => new Promise((r) => setTimeout(r, 5));
  const op = async <T>(name: string, attrs: Attrs, fn: () => T | Promise<T>): Promise<T> => {
    world.inFlight++;
    world.maxInFlight = Math.max(world.maxInFlight, world.inFlight);
    try {
      await tick();
      const why = world.failWhen?.(name, attrs);
      if (why) throw new Error(why);
      world.calls.push(`${name} ${String(attrs.name ?? attrs.region ?? attrs.id)}`);
      return await fn();
    } finally {
      world.inFlight--;
    }
  };

  const key: ResourceType = {
    type: 'fake_key',
    schema: z.object({ region: z.string(), alias: z.string().optional() }).superRefine((v, ctx) => {
      if (v.alias !== undefined && !v.alias.startsWith('alias/')) {
        ctx.addIssue({ code: 'custom', path: ['alias'], message: 'alias must start with alias/' });
      }
    }),
    computed: ['id', 'arn'],
    forceNew: ['region'],
    plan: ({ config, prior }) =>
      planGeneric(config, prior, { computed: ['id', 'arn'], forceNew: ['region'] }),
    keyFacts: (after, address) => ({
      address,
      region: typeof after.region === 'string' ? after.region : undefined,
      provider: 'aws',
    }),
    create: (planned) =>
      op('create-key', planned, () => {
        const id = `key-${++n}`;
        const a = {
          ...strip(planned),
          id,
          arn: `arn:aws:kms:${String(planned.region)}:000000000000:key/${id}`,
        };
        world.objects.set(id, a);
        return a;
      }),
    read: async (prior) => world.objects.get(String(prior.id)) ?? null,
    update: (prior, planned) =>
      op('update-key', planned, () => {
        const a = { ...strip(planned), id: prior.id!, arn: prior.arn! };
        world.objects.set(String(prior.id), a);
        return a;
      }),
    delete: (prior) => op('delete-key', prior, () => void world.objects.delete(String(prior.id))),
  };
  const thing: ResourceType = {
    type: 'fake_thing',
    schema: z.object({
      name: z.string().min(1),
      size: z.number().int().min(1).optional(),
      key: z.string().optional(),
      tags: z.record(z.string(), z.string()).optional(),
    }),
    computed: ['id'],
    forceNew: ['name'],
    plan: ({ config, prior }) => {
      const p = planGeneric(config, prior, { computed: ['id'], forceNew: ['name'] });
      if (prior && config.key !== undefined && prior.key !== config.key)
        p.notes = { key: 'rotation: data keys are re-wrapped' };
      return p;
    },
    create: (planned) =>
      op('create-thing', planned, async () => {
        await world.onCreate?.(planned);
        const id = `thing-${++n}`;
        const a = { ...strip(planned), id };
        world.objects.set(id, a);
        return a;
      }),
    read: async (prior) => world.objects.get(String(prior.id)) ?? null,
    update: (prior, planned) =>
      op('update-thing', planned, () => {
        const a = { ...strip(planned), id: prior.id! };
        world.objects.set(String(prior.id), a);
        return a;
      }),
    delete: (prior) => op('delete-thing', prior, () => void world.objects.delete(String(prior.id))),
    // Names are unique in this fake cloud, like service names in the control plane.
    adopt: async (planned) =>
      [...world.objects.values()].find(
        (o) => o.name === planned.name && String(o.id).startsWith('thing-'),
      ) ?? null,
  };
  world.deps = {
    resourceTypes: { fake_key: key, fake_thing: thing },
    createProviderContext: async (settings) => ({ settings }) as unknown as ProviderContext,
    loadConfig: (dir) => loadConfig(dir),
    resolveVariables: (config, inputs) => resolveVariables(config, inputs),
    cmekRuleInput: (changes) => {
      world.ruleChanges.push(changes);
      return { nodes: [], keys: [], policies: [], changes } as unknown as RuleInput;
    },
    checkRules: (input) =>
      world.rules?.((input as unknown as { changes: RuleChange[] }).changes) ?? [],
  };
  return world;
}

/** A temp working directory with the given files. */
export function workdir(files: Record<string, string>): string {
  const dir = mkdtempSync(join(tmpdir(), 'cmek-engine-'));
  write(dir, files);
  return dir;
}

/** Write files under `dir`; names may have directories (`modules/key/main.tf`). */
export function write(dir: string, files: Record<string, string>): void {
  for (const [name, text] of Object.entries(files)) {
    mkdirSync(dirname(join(dir, name)), { recursive: true });
    writeFileSync(join(dir, name), text);
  }
}

export function isUnknownValue(v: Value | undefined): boolean {
  return v instanceof Unknown;
}
