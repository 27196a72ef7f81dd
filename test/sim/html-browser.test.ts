// Renders HTML traces in real headless Chromium: the Raft demo's run (elections, a leader crash,
// a partition) and a failing three-phase-commit run. Fails (never skips) when no browser starts:
// CI installs Debian's chromium. Screenshots go to test/.artifacts/.
import { describe, expect, it, beforeAll, afterAll } from 'vitest';
import { mkdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import type { Browser, Page } from 'playwright-core';
import { simulate, toHtml } from 'distkit/sim';
import { raftDemo } from '../../examples/raft-demo.js';
import { threePhasePartitionTarget } from '../../src/cli/algorithm-targets.js';
import { launchChromium } from '../support/chromium.js';

// In-page callbacks run in the browser; the test's tsconfig has no DOM library, so name the little they use.
type El = { dataset: Record<string, string | undefined>; querySelector(s: string): El | null; textContent: string | null };
declare const document: { elementFromPoint(x: number, y: number): El | null };
declare function getComputedStyle(e: unknown): { backgroundColor: string; stroke: string };

const artifacts = fileURLToPath(new URL('../.artifacts/', import.meta.url));

/** A PNG written by a test: non-empty, of the size asked for. */
function expectPng(path: string, width: number, minHeight: number): void {
  const bytes = statSync(path).size;
  expect(bytes).toBeGreaterThan(10_000);
  expect(bytes).toBeLessThan(20_000_000);
  const png = readFileSync(path);
  expect(png.subarray(1, 4).toString('latin1')).toBe('PNG');
  expect(png.readUInt32BE(16)).toBe(width);
  expect(png.readUInt32BE(20)).toBeGreaterThanOrEqual(minHeight);
}

async function open(page: Page, file: string): Promise<string[]> {
  const external: string[] = [];
  page.on('request', (req) => {
    if (!req.url().startsWith('file:')) external.push(req.url());
  });
  const errors: string[] = [];
  page.on('pageerror', (e) => errors.push(e.message));
  await page.goto(`file://${file}`);
  expect(errors).toEqual([]);
  return external;
}

const scaleOf = async (page: Page): Promise<number> => Number(await page.locator('#diagram').getAttribute('data-scale'));

describe('HTML space-time diagram in headless Chromium', () => {
  let browser: Browser;
  beforeAll(async () => {
    mkdirSync(artifacts, { recursive: true });
    browser = await launchChromium();
  });
  afterAll(async () => {
    await browser?.close();
  });

  it('the Raft demo: legend per kind, sticky lane names, leader marks, partition sides, zoom, tooltips', async () => {
    const file = `${artifacts}raft-demo.html`;
    await raftDemo(() => {}, file);
    const page = await browser.newPage({ viewport: { width: 1280, height: 720 } });
    const external = await open(page, file);
    const count = (selector: string) => page.locator(selector).count();

    // One legend entry per message kind drawn, its count equal to the arrows of that kind.
    const kinds = await page.locator('.legend .kind').evaluateAll((bs) => (bs as unknown as El[]).map((b) => ({ kind: b.dataset.kind!, type: b.dataset.type!, count: Number(b.querySelector('small')!.textContent) })));
    expect(kinds.map((k) => k.type)).toEqual(['append', 'appendResponse', 'heartbeat', 'heartbeatResponse', 'vote', 'voteResponse']);
    for (const k of kinds) expect(await count(`svg g.msg.${k.kind}`)).toBe(k.count);
    expect(kinds.reduce((n, k) => n + k.count, 0)).toBe(await count('svg g.msg'));
    const colors = await page.locator('.legend .kind i').evaluateAll((is) => is.map((i) => getComputedStyle(i).backgroundColor));
    expect(new Set(colors).size).toBe(kinds.length);
    const heartbeat = kinds.find((k) => k.type === 'heartbeat')!;
    const append = kinds.find((k) => k.type === 'append')!;
    const stroke = (kind: string) => page.locator(`svg g.msg.${kind} line`).first().evaluate((l) => getComputedStyle(l).stroke);
    expect(await stroke(heartbeat.kind)).not.toBe(await stroke(append.kind));

    // Clicking a kind hides its arrows.
    await page.locator(`.legend .kind[data-kind="${heartbeat.kind}"]`).click();
    expect(await page.locator(`svg g.msg.${heartbeat.kind}`).first().isVisible()).toBe(false);
    await page.locator(`.legend .kind[data-kind="${heartbeat.kind}"]`).click();
    expect(await page.locator(`svg g.msg.${heartbeat.kind}`).first().isVisible()).toBe(true);

    // Who leads: leader marks and spans; the crash of the first leader and its restart.
    expect(await count('svg .role-mark.role-leader')).toBeGreaterThanOrEqual(2);
    expect(await count('svg .role-span.role-leader')).toBeGreaterThanOrEqual(2);
    expect(await page.locator('svg .role-mark.role-leader text').first().textContent()).toMatch(/^leader t\d+$/);
    expect(await count('svg .role-mark.role-crashed')).toBe(1);
    expect(await count('svg .role-mark.role-restarted')).toBe(1);

    // The partition {leader, buddy} | {other three}: every lane shaded by its side, lettered A or B.
    const letters = await page.locator('svg text.side-label').allTextContents();
    expect(letters.sort()).toEqual(['A', 'A', 'B', 'B', 'B']);
    expect(await count('svg rect.band.side-0')).toBe(2);
    expect(await count('svg rect.band.side-1')).toBe(3);

    await page.screenshot({ path: `${artifacts}raft-demo.png` });
    expectPng(`${artifacts}raft-demo.png`, 1280, 720);

    // Lane names stay in view when the diagram scrolls to its far right.
    const scroller = page.locator('#scroll');
    await scroller.evaluate((s) => (s.scrollLeft = s.scrollWidth));
    expect(await scroller.evaluate((s) => s.scrollLeft)).toBeGreaterThan(3000);
    const box = (await scroller.boundingBox())!;
    for (const id of ['n1', 'n2', 'n3', 'n4', 'n5']) {
      const label = page.locator(`.lane-label[data-node="${id}"]`);
      const b = (await label.boundingBox())!;
      expect(b.x).toBeGreaterThanOrEqual(box.x);
      expect(b.x + b.width).toBeLessThanOrEqual(box.x + 110);
      // Nothing covers it: the topmost element at its centre is the label.
      expect(await page.evaluate(([x, y]) => document.elementFromPoint(x!, y!)?.dataset.node, [b.x + b.width / 2, b.y + b.height / 2])).toBe(id);
    }
    await page.screenshot({ path: `${artifacts}raft-demo-scrolled.png` });
    expectPng(`${artifacts}raft-demo-scrolled.png`, 1280, 720);

    // Zoom and fit change the scale; fit shows the whole run in the window.
    const k0 = await scaleOf(page);
    const width0 = Number(await page.locator('#diagram').getAttribute('width'));
    await page.locator('#zoom-in').click();
    expect(await scaleOf(page)).toBeCloseTo(k0 * 1.5, 6);
    expect(Number(await page.locator('#diagram').getAttribute('width'))).toBeGreaterThan(width0);
    await page.locator('#zoom-fit').click();
    expect(await scaleOf(page)).toBeLessThan(k0);
    expect(await scroller.evaluate((s) => s.scrollWidth <= s.clientWidth + 1)).toBe(true);
    const lastArrow = (await page.locator('svg g.msg line').last().boundingBox())!;
    expect(lastArrow.x + lastArrow.width).toBeLessThanOrEqual(box.x + box.width);
    expect(await page.locator('#scale').textContent()).toMatch(/px\/ms$/);
    await page.screenshot({ path: `${artifacts}raft-demo-fit.png` });
    expectPng(`${artifacts}raft-demo-fit.png`, 1280, 720);
    await page.locator('#zoom-reset').click();
    expect(await scaleOf(page)).toBe(k0);

    // A readable tooltip: the kind and the route as a heading, then one field per line.
    await page.locator(`svg g.msg.${append.kind}`).nth(40).dispatchEvent('mouseover');
    const tip = page.locator('#tip');
    expect(await tip.isVisible()).toBe(true);
    expect(await tip.locator('b').textContent()).toMatch(/^append {2}n\d → n\d$/);
    const tipText = (await tip.textContent())!;
    expect(tipText).toMatch(/sent: [\d.]+ ms/);
    expect(tipText).toMatch(/term: \d+/);
    expect(tipText).not.toContain('"term"');
    expect(await tip.locator('.k').count()).toBeGreaterThanOrEqual(4);
    // Hovering with the mouse shows it next to the pointer.
    const leaderMark = page.locator('svg .role-mark.role-leader').first();
    await leaderMark.scrollIntoViewIfNeeded();
    await leaderMark.locator('circle').hover({ force: true });
    expect(await tip.locator('b').textContent()).toMatch(/becomes leader$/);
    await page.screenshot({ path: `${artifacts}raft-demo-tooltip.png` });
    expectPng(`${artifacts}raft-demo-tooltip.png`, 1280, 720);
    expect(external).toEqual([]);
    await page.close();
  });

  it('a failing three-phase commit: the violation is marked and scrolled into view on load', async () => {
    let failing;
    for (let seed = 1; seed <= 50 && failing === undefined; seed++) {
      const r = simulate({ ...threePhasePartitionTarget.build({ nodes: 4, seed }), seed });
      if (!r.ok) failing = r;
    }
    expect(failing).toBeDefined();
    const r = failing!;
    const file = `${artifacts}3pc-violation.html`;
    // Wide enough that the violation, at the end of the run, starts off-screen.
    writeFileSync(file, toHtml(r, { title: `3pc-partition, seed ${r.seed}`, widthPx: 6000 }));
    const page = await browser.newPage({ viewport: { width: 1000, height: 700 } });
    const external = await open(page, file);
    const violation = page.locator('#violation');
    expect(await violation.count()).toBe(1);
    expect(await page.locator('.violation-text').textContent()).toContain('atomicity');
    const scroller = page.locator('#scroll');
    expect(await scroller.evaluate((s) => s.scrollLeft)).toBeGreaterThan(4000);
    const v = (await violation.locator('line').boundingBox())!;
    expect(v.x).toBeGreaterThanOrEqual(0);
    expect(v.x).toBeLessThanOrEqual(1000);
    expect(v.y + v.height).toBeGreaterThan(0);
    expect(v.y).toBeLessThan(700);
    const label = (await violation.locator('text').boundingBox())!;
    expect(label.x).toBeGreaterThanOrEqual(100); // not under the lane names
    expect(label.x + label.width).toBeLessThanOrEqual(1000);
    // Partition sides are drawn on every lane.
    expect(await page.locator('svg text.side-label').count()).toBeGreaterThanOrEqual(4);
    await page.screenshot({ path: `${artifacts}3pc-violation.png` });
    expectPng(`${artifacts}3pc-violation.png`, 1000, 700);
    // The "show" button brings it back after scrolling away.
    await scroller.evaluate((s) => (s.scrollLeft = 0));
    expect((await violation.locator('line').boundingBox())!.x).toBeGreaterThan(1000);
    await page.locator('#goto-violation').click();
    expect((await violation.locator('line').boundingBox())!.x).toBeLessThan(1000);
    expect(external).toEqual([]);
    await page.close();
  });
});
