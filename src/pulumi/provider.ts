// The dynamic provider object of one cmek resource type, as Pulumi serializes it into each
// resource's `__provider` property (closure serialization) and the SDK's dynamic-provider host
// revives it. It must survive that round trip, so it captures nothing but the type name: no
// control plane, no KMS client, no module-level state. Each method imports `cmek/pulumi` at
// call time (from the program's node_modules, where the host runs) and hands over to
// src/pulumi/dynamic.ts, which calls the resource definitions' code. The `cmek` config namespace
// (`cmek:dataDir`, `cmek:servicePrincipal`, `cmek:kmsBackend`, ...) arrives through `configure`.
// The import is written as `new Function('return import(...)')` so that no compiler, bundler or
// test runner rewrites it into a helper the serializer would then have to capture: the text
// Pulumi stores is the same wherever the program was built.
import type * as pulumi from '@pulumi/pulumi';
import type * as impl from './dynamic.js';

/** The `cmek:*` configuration the host hands to `configure`, plus the directory the provider
 * runs in (the program's), which a relative `cmek:dataDir` is resolved against. */
export interface CmekPulumiConfig {
  dataDir?: string;
  servicePrincipal?: string;
  kmsBackend?: string;
  kmsRegion?: string;
  kmsEndpoint?: string;
  cwd: string;
}

/** What the serialized provider carries: the type it implements and, once configured, the
 * `cmek:*` config values (plain strings, never a secret: the data directory holds the keys). */
export interface CmekDynamicProvider extends pulumi.dynamic.ResourceProvider {
  type: string;
  config?: CmekPulumiConfig;
}

/** The dynamic provider of resource type `type` (`cmek_kms_key`, ...). */
export function dynamicProvider(type: string): CmekDynamicProvider {
  return {
    type,
    async configure(req: pulumi.dynamic.ConfigureRequest) {
      const get = (k: string): string | undefined => {
        const v: unknown = req.config.get(`cmek:${k}`);
        return typeof v === 'string' && v !== '' ? v : undefined;
      };
      const config: Record<string, string> = { cwd: process.cwd() };
      for (const k of ['dataDir', 'servicePrincipal', 'kmsBackend', 'kmsRegion', 'kmsEndpoint']) {
        const v = get(k);
        if (v !== undefined) config[k] = v;
      }
      (this as CmekDynamicProvider).config = config as unknown as CmekPulumiConfig;
    },
    async check(olds: Record<string, unknown>, news: Record<string, unknown>) {
      const self = this as CmekDynamicProvider;
      const m = (await new Function('return import("cmek/pulumi")')()) as typeof impl;
      return m.cmekDynamic.check(self.type, self.config, olds, news);
    },
    async diff(id: string, olds: Record<string, unknown>, news: Record<string, unknown>) {
      const self = this as CmekDynamicProvider;
      const m = (await new Function('return import("cmek/pulumi")')()) as typeof impl;
      return m.cmekDynamic.diff(self.type, self.config, id, olds, news);
    },
    async create(inputs: Record<string, unknown>) {
      const self = this as CmekDynamicProvider;
      const m = (await new Function('return import("cmek/pulumi")')()) as typeof impl;
      return m.cmekDynamic.create(self.type, self.config, inputs);
    },
    async read(id: string, props?: Record<string, unknown>) {
      const self = this as CmekDynamicProvider;
      const m = (await new Function('return import("cmek/pulumi")')()) as typeof impl;
      return m.cmekDynamic.read(self.type, self.config, id, props ?? {});
    },
    async update(id: string, olds: Record<string, unknown>, news: Record<string, unknown>) {
      const self = this as CmekDynamicProvider;
      const m = (await new Function('return import("cmek/pulumi")')()) as typeof impl;
      return m.cmekDynamic.update(self.type, self.config, id, olds, news);
    },
    async delete(id: string, props: Record<string, unknown>) {
      const self = this as CmekDynamicProvider;
      const m = (await new Function('return import("cmek/pulumi")')()) as typeof impl;
      await m.cmekDynamic.delete(self.type, self.config, id, props);
    },
  };
}
