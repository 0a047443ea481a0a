import { existsSync } from 'node:fs';
import { type Browser, chromium } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type Supergraph, startSupergraph } from '../harness/supergraph.js';

/** Debian's Chromium (`npm test` installs it when missing); flags from shared/NOTES.md (Playwright adds a fresh profile). */
const CHROMIUM = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';

let supergraph: Supergraph;
let browser: Browser;

beforeAll(async () => {
  if (!existsSync(CHROMIUM))
    throw new Error(`${CHROMIUM} not found: install Debian's chromium (apt-get install -y chromium)`);
  supergraph = await startSupergraph();
  browser = await chromium.launch({
    executablePath: CHROMIUM,
    args: [
      '--no-sandbox',
      '--disable-gpu',
      '--disable-background-networking',
      '--disable-component-update',
      '--disable-sync',
      '--no-first-run',
    ],
  });
});
afterAll(async () => {
  await browser?.close();
  await supergraph?.close();
});

describe('the explorer', () => {
  it('opens GraphiQL at /, runs the example query and shows data, loading nothing from anywhere but the router', async () => {
    const origin = new URL(supergraph.routerUrl).origin;
    const page = await browser.newPage();
    const requested: string[] = [];
    page.on('request', (request) => requested.push(request.url()));

    await page.goto(`${origin}/`, { waitUntil: 'load' });
    await page.locator('.graphiql-execute-button').waitFor({ timeout: 30_000 });
    await page.locator('.graphiql-execute-button').click();
    // Several operations are pre-filled: GraphiQL asks which one to run.
    await page.getByRole('menuitem', { name: 'Storefront' }).click();
    const result = page.locator('.result-window');
    await expect.poll(() => result.textContent(), { timeout: 30_000 }).toContain('Ceramic Mug'); // the newest product in the seed
    expect(await result.textContent()).toContain('faqs');

    expect(requested.length).toBeGreaterThan(4);
    expect(requested.filter((url) => !url.startsWith(`${origin}/`) && !url.startsWith('data:'))).toEqual([]);
    await page.close();
  });
});
