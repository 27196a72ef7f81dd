// @ts-check
const subpaths = ['core', 'clocks', 'hashing', 'consensus', 'mutex', 'election', 'txn', 'snapshot', 'resilience', 'sim', 'check', 'node'];

/** @type {Partial<import('typedoc').TypeDocOptions>} */
export default {
  name: 'distkit',
  entryPoints: ['src/index.ts', ...subpaths.map((p) => `src/${p}/index.ts`)],
  tsconfig: 'tsconfig.json',
  out: 'docs-site',
  readme: 'README.md',
  projectDocuments: ['docs/*.md'],
  // Guides embed Mermaid sequence diagrams (rendered by GitHub and Mermaid-aware viewers).
  ignoredHighlightLanguages: ['mermaid'],
  treatWarningsAsErrors: true,
  validation: { notExported: true, invalidLink: true, notDocumented: true },
  requiredToBeDocumented: ['Enum', 'EnumMember', 'Variable', 'Function', 'Class', 'Interface', 'TypeAlias', 'Method', 'Accessor'],
  disableSources: true,
  excludePrivate: true,
  excludeInternal: true,
  sort: ['kind', 'alphabetical'],
};
