// @ts-check
const subpaths = ['core', 'clocks', 'hashing', 'consensus', 'mutex', 'election', 'txn', 'snapshot', 'resilience', 'replication', 'dataflow', 'messaging', 'sim', 'check', 'node', 'redis'];

/**
 * The guides in the order a newcomer reads them (the site's navigation keeps this order). A test
 * checks that every guide in docs/ is listed here.
 */
export const guides = [
  'getting-started',
  'core',
  'simulation',
  'checking',
  'clocks',
  'hashing',
  'mutex',
  'election',
  'raft',
  'paxos',
  'byzantine',
  'txn',
  'snapshot',
  'replication',
  'dataflow',
  'messaging',
  'event-sourcing',
  'resilience',
  'node',
  'redis',
  'layout',
];

/** @type {Partial<import('typedoc').TypeDocOptions>} */
export default {
  name: 'distkit',
  entryPoints: ['src/index.ts', ...subpaths.map((p) => `src/${p}/index.ts`)],
  tsconfig: 'tsconfig.json',
  out: 'docs-site',
  readme: 'README.md',
  projectDocuments: guides.map((g) => `docs/${g}.md`),
  // Guides show simulator traces as Mermaid sequence diagrams; they render as plain code blocks.
  ignoredHighlightLanguages: ['mermaid'],
  treatWarningsAsErrors: true,
  validation: { notExported: true, invalidLink: true, notDocumented: true },
  requiredToBeDocumented: ['Enum', 'EnumMember', 'Variable', 'Function', 'Class', 'Interface', 'TypeAlias', 'Method', 'Accessor'],
  disableSources: true,
  excludePrivate: true,
  excludeInternal: true,
  // Documents keep the learning order above; API entries sort by kind, then name.
  sort: ['kind', 'alphabetical-ignoring-documents'],
  searchInDocuments: true,
  searchInComments: true,
};
