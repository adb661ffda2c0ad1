// The layering of src/, checked by dependency-cruiser in `npm run lint` (so `npm test` fails on a
// violation). docs/architecture.md explains the layers; this file is the one source for what
// each may import. Type-only imports count: a layer that names another's types depends on it.
//
//   model ← rules ← resources ← engine ← cli      kms ← core ← service
//   support (shared I/O helpers) sits just above model: every layer but model may use it.
//   resources may use service and kms; the engine may use rules; nothing imports the cli.
//
// Run it on its own with `npm run lint:layers`.

/** @type {import('dependency-cruiser').IConfiguration} */
export default {
  forbidden: [
    {
      name: 'model-imports-nothing',
      severity: 'error',
      comment:
        'src/model is the bottom layer (values, diagnostics, positions, addresses, key references, ' +
        'key-policy documents): it may import node built-ins and npm packages, nothing of the project.',
      from: { path: '^src/model/' },
      to: { path: '^src/', pathNot: '^src/model/' },
    },
    {
      name: 'support-imports-only-model',
      severity: 'error',
      comment:
        'src/support holds the shared I/O helpers (atomic writes, lock files, process liveness) ' +
        'that every layer may use; it may import src/model and nothing else of the project.',
      from: { path: '^src/support/' },
      to: { path: '^src/', pathNot: '^src/(support|model)/' },
    },
    {
      name: 'rules-import-only-model',
      severity: 'error',
      comment:
        'The CMEK rules are pure functions over src/model values, so every front door (engine, ' +
        'policy check) can run them without the resources, the KMS or the engine.',
      from: { path: '^src/rules/' },
      to: { path: '^src/', pathNot: '^src/(rules|model)/' },
    },
    {
      name: 'core-below-service-and-engine',
      severity: 'error',
      comment:
        'The envelope-encryption core uses the KMS interface and src/model only; the service, ' +
        'resources, engine, rules and CLI are built on top of it.',
      from: { path: '^src/core/' },
      to: { path: '^src/(service|engine|resources|cli|rules)/' },
    },
    {
      name: 'kms-below-core',
      severity: 'error',
      comment:
        'The KMS (interface, local KMS, AWS client, wire server) knows nothing of the core that ' +
        'calls it, nor of the service, resources, engine or CLI.',
      from: { path: '^src/kms/' },
      to: { path: '^src/(core|service|engine|resources|cli)/' },
    },
    {
      name: 'nothing-imports-cli',
      severity: 'error',
      comment:
        'The CLI is the top: the library, the engine and the resources must work without it. ' +
        'src/index.ts (the library entry) does not import it either.',
      from: { path: '^src/', pathNot: '^src/cli/' },
      to: { path: '^src/cli/' },
    },
    // terraform provider plugin (tfwire): the protocol layer and the provider behind it.
    {
      name: 'terraform-imported-only-by-cli',
      severity: 'error',
      comment:
        'src/terraform (the Terraform plugin protocol and the provider behind it) is a front ' +
        'door like the CLI: only src/cli (`cmek provider install`) may import it; its ' +
        'executable entry is src/terraform/plugin.ts.',
      from: { path: '^src/', pathNot: '^src/(cli|terraform)/' },
      to: { path: '^src/terraform/' },
    },
    {
      name: 'terraform-wire-below-provider',
      severity: 'error',
      comment:
        'src/terraform/wire (gRPC, handshake, TLS, the cty codec) knows the provider only ' +
        'through src/terraform/handler.ts; it may import src/model and nothing else of the project.',
      from: { path: '^src/terraform/wire/' },
      to: { path: '^src/', pathNot: '^src/(model/|terraform/wire/|terraform/handler\\.ts$)' },
    },
    {
      name: 'no-folder-cycles',
      severity: 'error',
      comment:
        'Two folders that import each other are one layer in disguise: move the shared part down ' +
        '(usually to src/model). Cycles between files of one folder are not checked here.',
      // File-level cycles inside one folder are allowed by this rule; those that exist today:
      // src/engine/config (evaluate ↔ functions) and src/core (envelope ↔ pool). src/service and
      // src/kms/local have none (their modules take narrow interfaces, not the control plane or
      // the client).
      scope: 'folder',
      from: { path: '^src/' },
      to: { circular: true },
    },
    // Pulumi (helper area "pulumi"): the front doors for Pulumi programs and CrossGuard.
    {
      name: 'pulumi-imports-below',
      severity: 'error',
      comment:
        'src/pulumi (the dynamic resources) and src/pulumi-policy (the CrossGuard pack) are front ' +
        'doors over the resource definitions and the rules: they may import resources, rules, ' +
        'model, service, kms and support, not the engine, the CLI or each other.',
      from: { path: '^src/(pulumi|pulumi-policy)/' },
      to: {
        path: '^src/',
        pathNot: '^src/(resources|rules|model|service|kms|support)/|^src/$1/',
      },
    },
    {
      name: 'nothing-imports-pulumi',
      severity: 'error',
      comment:
        'Nothing imports src/pulumi or src/pulumi-policy: the library entry and the CLI must load ' +
        'without @pulumi/* installed (they are optional peer dependencies).',
      from: { path: '^src/', pathNot: '^src/(pulumi|pulumi-policy)/' },
      to: { path: '^src/(pulumi|pulumi-policy)/' },
    },
    {
      name: 'not-to-unresolvable',
      severity: 'error',
      comment: 'An import that does not resolve is a typo or a missing dependency.',
      from: {},
      to: { couldNotResolve: true },
    },
    {
      name: 'not-to-dev-dep',
      severity: 'error',
      comment:
        'src/ ships in the package: it may only import "dependencies", not "devDependencies".',
      from: { path: '^src/' },
      // Optional peer dependencies (cdktf, constructs, @cdktf/provider-aws, Pulumi) are also
      // dev dependencies for the tests; only the integration entries that need them load them.
      to: { dependencyTypes: ['npm-dev'], dependencyTypesNot: ['type-only', 'npm-peer'] },
    },
    // cdktf front door (src/cdktf, entries cmek/cdktf and cmek/cdktf/aws).
    {
      name: 'nothing-imports-cdktf',
      severity: 'error',
      comment:
        'src/cdktf is a front door over the resources and the rules: nothing else imports it, ' +
        'so the library, the engine and the CLI never load cdktf.',
      from: { path: '^src/', pathNot: '^src/cdktf/' },
      to: { path: '^src/cdktf/' },
    },
    {
      name: 'cdktf-imports-model-rules-resources',
      severity: 'error',
      comment:
        'The cdktf constructs and Aspect are generated from and run through the resource ' +
        'definitions and the rules; of the engine they use only the provider address ' +
        '(src/engine/state.ts), and nothing of the CLI or the service.',
      from: { path: '^src/cdktf/' },
      to: { path: '^src/(cli|service|engine|core)/', pathNot: '^src/engine/state\\.ts$' },
    },
  ],
  options: {
    doNotFollow: { path: 'node_modules' },
    exclude: { path: '^(dist|node_modules|coverage)/' },
    tsPreCompilationDeps: true,
    tsConfig: { fileName: 'tsconfig.json' },
    enhancedResolveOptions: {
      exportsFields: ['exports'],
      conditionNames: ['import', 'require', 'node', 'default', 'types'],
      mainFields: ['module', 'main', 'types', 'typings'],
    },
    reporterOptions: {
      text: { highlightFocused: true },
    },
  },
};
