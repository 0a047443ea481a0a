import type { Browser } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { launchChromium } from '../harness/browser.js';
import { type Supergraph, startSupergraph } from '../harness/supergraph.js';

let supergraph: Supergraph;
let browser: Browser;

beforeAll(async () => {
  supergraph = await startSupergraph();
  browser = await launchChromium();
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
