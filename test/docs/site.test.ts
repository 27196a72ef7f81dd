// The docs site's settings, checked on a small site built with them: the resilience module and
// its guide (the whole site takes minutes; `npm run docs` builds it with zero warnings). The page
// title appears once, headings with code keep their code in the page contents, and every
// declaration says where it is defined, linked to the source file. Screenshots the guide in
// headless Chromium (test/.artifacts/docs-resilience.png).
import { existsSync, mkdtempSync, readFileSync, readdirSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, relative, resolve } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Application, type TypeDocOptions } from 'typedoc';
import { root } from '../support/doc-check.js';
import { launchChromium } from '../support/chromium.js';

const artifacts = join(root, 'test/.artifacts');
let out: string;
let work: string;

beforeAll(async () => {
  const config = (await import(join(root, 'typedoc.config.mjs'))) as { default: Partial<TypeDocOptions> };
  work = mkdtempSync(join(tmpdir(), 'distkit-docs-'));
  out = join(work, 'site');
  // A program of the resilience module alone (and the core it imports) keeps the build short.
  const tsconfig = join(work, 'tsconfig.json');
  writeFileSync(tsconfig, JSON.stringify({ extends: join(root, 'tsconfig.json'), include: [join(root, 'src/core'), join(root, 'src/resilience')] }));
  const app = await Application.bootstrapWithPlugins({
    ...config.default,
    entryPoints: [join(root, 'src/resilience/index.ts')],
    projectDocuments: [join(root, 'docs/resilience.md')],
    readme: join(root, 'README.md'),
    tsconfig,
    displayBasePath: root,
    out,
    // Links to the guides and modules left out of this small site cannot resolve.
    treatWarningsAsErrors: false,
    validation: { notExported: false, invalidLink: false, notDocumented: false },
    logLevel: 'Error',
    skipErrorChecking: true,
  });
  const project = await app.convert();
  expect(project).toBeDefined();
  await app.generateOutputs(project!);
}, 300_000);

afterAll(() => {
  if (work !== undefined) rmSync(work, { recursive: true, force: true });
});

const page = (rel: string): string => readFileSync(join(out, rel), 'utf8');

describe('the docs site', () => {
  it('shows the project title once on the landing page', () => {
    const html = page('index.html');
    const content = html.slice(html.indexOf('<div class="col-content">'));
    expect(content.match(/<h1[ >]/g)).toHaveLength(1);
    expect(content).toMatch(/<h1 id="distkit"/);
  });

  it('keeps inline code of headings in the page contents', () => {
    const guide = page('documents/Resilience_—_breakers,_retries,_limits,_balancing,_checkpoints,_health.html');
    expect(guide).toContain('<span>Resilience utilities (distkit/resilience)</span>');
    expect(guide).not.toMatch(/<span>[^<]*\(\)<\/span>/);
    // The heading itself still shows its code.
    expect(guide).toMatch(/<h1[^>]*>Resilience utilities \(<code>distkit\/resilience<\/code>\)/);
  });

  it('says where each declaration is defined and links to that file', () => {
    const pages = readdirSync(out, { recursive: true, encoding: 'utf8' }).filter((f) => f.endsWith('.html'));
    let checked = 0;
    for (const rel of pages) {
      const html = page(rel);
      for (const [, href, line, file, shown] of html.matchAll(/Defined in <a href="([^"#]+)#L(\d+)">(src\/[^<:]+):(\d+)<\/a>/g)) {
        expect(line).toBe(shown);
        // The link leads from the page to the file it names, in the checkout the site was built in.
        const target = resolve(dirname(join(out, rel)), href!);
        // (npm run docs writes the site to <checkout>/docs-site, one folder below the sources' root, as here.)
        expect(relative(join(out, '..'), target)).toBe(file);
        expect(existsSync(join(root, file!))).toBe(true);
        checked++;
      }
    }
    expect(checked).toBeGreaterThan(50);
  });

  it('renders in Chromium (screenshot)', async () => {
    const browser = await launchChromium();
    try {
      const p = await browser.newPage({ viewport: { width: 1280, height: 900 } });
      const file = join(out, 'documents/Resilience_—_breakers,_retries,_limits,_balancing,_checkpoints,_health.html');
      expect(existsSync(file)).toBe(true);
      await p.goto(`file://${file}`);
      expect(await p.locator('h1').first().textContent()).toContain('Resilience utilities (distkit/resilience)');
      const shot = join(artifacts, 'docs-resilience.png');
      await p.screenshot({ path: shot });
      expect(statSync(shot).size).toBeGreaterThan(20_000);
      const png = readFileSync(shot);
      expect(png.readUInt32BE(16)).toBe(1280);
      expect(png.readUInt32BE(20)).toBe(900);
    } finally {
      await browser.close();
    }
  });
});
