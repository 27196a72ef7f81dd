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

/**
 * typedoc 0.28 names a heading in the page contents by its text tokens only, so a heading with
 * inline code (`# Resilience utilities (\`distkit/resilience\`)`) shows as "Resilience utilities ()".
 * Giving each heading's code spans a text child lets it read them; markdown-it renders code spans
 * from their own content, so the page itself is unchanged.
 *
 * @param {any} md the markdown-it instance typedoc renders guides and comments with
 */
export function headingCodeInContents(md) {
  md.core.ruler.push('heading-code-text', (state) => {
    const tokens = state.tokens;
    for (let i = 0; i + 1 < tokens.length; i++) {
      if (tokens[i].type !== 'heading_open') continue;
      for (const child of tokens[i + 1].children ?? []) {
        if (child.type !== 'code_inline' || child.children) continue;
        const text = new state.Token('text', '', 0);
        text.content = child.content;
        child.children = [text];
      }
    }
  });
}

/** @type {Partial<import('typedoc').TypeDocOptions>} */
export default {
  name: 'distkit',
  entryPoints: ['src/index.ts', ...subpaths.map((p) => `src/${p}/index.ts`)],
  tsconfig: 'tsconfig.json',
  out: 'docs-site',
  readme: 'README.md',
  // The page title already names the project; the README's own `# distkit` heading stays.
  headings: { readme: false, document: false },
  markdownItLoader: headingCodeInContents,
  projectDocuments: guides.map((g) => `docs/${g}.md`),
  // Guides show simulator traces as Mermaid sequence diagrams; they render as plain code blocks.
  ignoredHighlightLanguages: ['mermaid'],
  treatWarningsAsErrors: true,
  validation: { notExported: true, invalidLink: true, notDocumented: true },
  requiredToBeDocumented: ['Enum', 'EnumMember', 'Variable', 'Function', 'Class', 'Interface', 'TypeAlias', 'Method', 'Accessor'],
  // "Defined in src/…:line" under every declaration. No public repository URL is known (no git
  // remote, no `repository` in package.json), so links go from the site's pages (all one folder
  // deep: classes/, functions/, ...) to the sources of the checkout it was built in, and work when
  // the site is opened from that checkout. With a public repository, use its URL instead:
  // 'https://github.com/<owner>/distkit/blob/{gitRevision}/{path}#L{line}' without disableGit.
  disableGit: true,
  displayBasePath: '.',
  sourceLinkTemplate: '../../{path}#L{line}',
  excludePrivate: true,
  excludeInternal: true,
  // Documents keep the learning order above; API entries sort by kind, then name.
  sort: ['kind', 'alphabetical-ignoring-documents'],
  searchInDocuments: true,
  searchInComments: true,
};
