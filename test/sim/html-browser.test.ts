// Renders the HTML trace in real headless Chromium. Fails (never skips) when no browser starts:
// CI installs Debian's chromium.
import { describe, expect, it } from 'vitest';
import { mkdirSync, writeFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { chromium } from 'playwright-core';
import { simulate, toHtml, type SimNode } from 'distkit/sim';
import { echoMachine, naiveLeaderMachine, oneLeaderPerTerm } from '../../src/cli/demo.js';

const artifacts = fileURLToPath(new URL('../.artifacts/', import.meta.url));

describe('HTML space-time diagram in headless Chromium', () => {
  it('renders lanes, message arrows, drops and fault shading, and writes a screenshot', async () => {
    const peers = ['a', 'b', 'c', 'd'];
    const nodes: SimNode[] = peers.map((id) => ({ id, machine: echoMachine, config: { id, peers, rounds: 3 } }));
    const r = simulate({
      seed: 3,
      nodes,
      network: { loss: 0.15, delay: { type: 'uniform', minMs: 2, maxMs: 12 } },
      faults: [
        { at: 10, fault: { type: 'crash', node: 'd' } },
        { at: 60, fault: { type: 'restart', node: 'd' } },
        { at: 70, fault: { type: 'partition', groups: [['a', 'b'], ['c', 'd']] } },
        { at: 110, fault: { type: 'heal' } },
        { at: 20, fault: { type: 'pause', node: 'b' } },
        { at: 45, fault: { type: 'resume', node: 'b' } },
      ],
    });
    const html = toHtml(r, { title: 'echo with faults, seed 3' });
    mkdirSync(artifacts, { recursive: true });
    const file = `${artifacts}sim-trace.html`;
    writeFileSync(file, html);

    const browser = await chromium.launch({
      executablePath: '/usr/bin/chromium',
      headless: true,
      args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-background-networking', '--disable-component-update', '--disable-sync', '--no-first-run'],
    });
    try {
      const page = await browser.newPage({ viewport: { width: 1400, height: 500 } });
      const external: string[] = [];
      page.on('request', (req) => {
        if (!req.url().startsWith('file:')) external.push(req.url());
      });
      await page.goto(`file://${file}`);
      const count = (selector: string) => page.locator(selector).count();
      const counts = {
        lanes: await count('svg .lane'),
        arrows: await count('svg g.msg:not(.dropped)'),
        drops: await count('svg g.msg.dropped'),
        crash: await count('svg rect.fault.crash'),
        pause: await count('svg rect.fault.pause'),
        partition: await count('svg rect.fault.partition'),
        titles: await count('svg g.msg > title'),
        svgWidth: (await page.locator('svg').boundingBox())?.width ?? 0,
      };
      expect(counts.lanes).toBe(4);
      expect(counts.arrows).toBe(r.stats.messages.delivered);
      expect(counts.drops).toBe(r.stats.messages.dropped);
      expect(counts.crash).toBe(1);
      expect(counts.pause).toBe(1);
      expect(counts.partition).toBe(1);
      expect(counts.titles).toBe(counts.arrows + counts.drops);
      expect(counts.svgWidth).toBeGreaterThan(800);
      // An arrow's hover text names the message.
      const tip = await page.locator('svg g.msg > title').first().textContent();
      expect(tip).toMatch(/^(ping|pong) /);
      expect(external).toEqual([]);
      const png = await page.screenshot({ path: `${artifacts}sim-trace.png`, fullPage: true });
      expect(png.byteLength).toBeGreaterThan(5000);

      // A failing run: the violation is marked, corrupted deliveries are drawn apart.
      const leaders = ['a', 'b', 'c', 'd', 'e'];
      const failing = simulate({
        seed: 4,
        nodes: leaders.map((id) => ({ id, machine: naiveLeaderMachine, config: { id, peers: leaders, seed: 4 } })),
        network: { loss: 0.05, corrupt: 0.05 },
        nemesis: { partitionRate: 3, crashRate: 3, pauseRate: 2 },
        invariants: [oneLeaderPerTerm],
        maxTimeMs: 3000,
      });
      expect(failing.ok).toBe(false);
      const failFile = `${artifacts}sim-violation.html`;
      writeFileSync(failFile, toHtml(failing, { title: 'naive leader, seed 4' }));
      await page.goto(`file://${failFile}`);
      expect(await count('svg g.violation')).toBe(1);
      expect(await count('svg g.msg.corrupted')).toBe(failing.stats.messages.corrupted);
      expect(await count('svg .lane')).toBe(5);
      expect(await page.locator('.violation-text').textContent()).toContain('at most one leader per term');
      await page.screenshot({ path: `${artifacts}sim-violation.png`, fullPage: true });
    } finally {
      await browser.close();
    }
  });
});
