// @ts-check
const subpaths = ['core', 'clocks', 'hashing', 'consensus', 'mutex', 'election', 'txn', 'snapshot', 'resilience', 'replication', 'dataflow', 'messaging', 'sim', 'check', 'node'];

/** @type {Partial<import('typedoc').TypeDocOptions>} */
export default {
  name: 'distkit',
  entryPoints: ['src/index.ts', ...subpaths.map((p) => `src/${p}/index.ts`)],
  tsconfig: 'tsconfig.json',
  out: 'docs-site',
  readme: 'README.md',
  projectDocuments: ['docs/*.md'],
  // Guides show simulator traces as Mermaid sequence diagrams; they render as plain code blocks.
  ignoredHighlightLanguages: ['mermaid'],
  treatWarningsAsErrors: true,
  validation: { notExported: true, invalidLink: true, notDocumented: true },
  requiredToBeDocumented: ['Enum', 'EnumMember', 'Variable', 'Function', 'Class', 'Interface', 'TypeAlias', 'Method', 'Accessor'],
  disableSources: true,
  excludePrivate: true,
  excludeInternal: true,
  sort: ['kind', 'alphabetical'],
};
