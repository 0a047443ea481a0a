import { randomUUID } from 'node:crypto';
import { mkdirSync, readFileSync } from 'node:fs';
import type http from 'node:http';
import path from 'node:path';
import AxeBuilder from '@axe-core/playwright';
import { createLogger, listen, urlOf } from '@shop/platform';
import { createStorefrontServer } from '@shop/storefront/server';
import type { Browser, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildStorefront } from '../../scripts/build.js';
import { REPOSITORY_ROOT } from '../../scripts/subgraphs.js';
import { launchChromium } from '../harness/browser.js';
import { startCpuLoad } from '../harness/cpu-load.js';
import { startGate } from '../harness/gate.js';
import { type Supergraph, startSupergraph } from '../harness/supergraph.js';

/**
 * The storefront as a visitor uses it: the production build, served by its own server, in Debian's Chromium,
 * against the whole supergraph over HTTP. Each page is photographed into SCREENSHOTS for a person to look at.
 */
const SCREENSHOTS = path.join(REPOSITORY_ROOT, 'e2e', 'test-results', 'storefront');

let supergraph: Supergraph;
let browser: Browser;
const servers: http.Server[] = [];

/** A storefront server in front of a router, on a free port; answers its origin. */
async function startStorefront(routerUrl: string): Promise<string> {
  const handler = createStorefrontServer({
    publicDir: path.join(REPOSITORY_ROOT, 'storefront', 'dist', 'public'),
    routerUrl,
    log: createLogger('storefront', 'silent'),
  });
  const server = await listen(handler, { host: '127.0.0.1', port: 0, portVariable: 'STOREFRONT_PORT' });
  servers.push(server);
  return urlOf(server);
}

beforeAll(async () => {
  mkdirSync(SCREENSHOTS, { recursive: true });
  const [started] = await Promise.all([startSupergraph(), buildStorefront()]);
  supergraph = started;
  browser = await launchChromium();
});
afterAll(async () => {
  await browser?.close();
  for (const server of servers) {
    server.closeAllConnections();
    server.close();
  }
  await supergraph?.close();
});

interface Visit {
  page: Page;
  /** axe-core's findings on each page photographed, by screenshot name (WCAG 2.1 A and AA rules). */
  accessibility: Record<string, string[]>;
  /** Every body the page sent to /graphql for an answer. */
  graphqlBodies: Record<string, unknown>[];
  /** Every body the page sent to /graphql for an event stream (a subscription). */
  streamBodies: Record<string, unknown>[];
  /** Errors thrown in the page, and its console errors. */
  pageErrors: string[];
  shoot: (name: string) => Promise<void>;
}

async function visit(origin: string, label: string): Promise<Visit> {
  // A context of its own: its own storage, shared by any other tab the test opens in it.
  const context = await browser.newContext({ baseURL: origin, viewport: { width: 1100, height: 900 } });
  const page = await context.newPage();
  const graphqlBodies: Record<string, unknown>[] = [];
  const streamBodies: Record<string, unknown>[] = [];
  const pageErrors: string[] = [];
  const accessibility: Record<string, string[]> = {};
  page.on('request', (request) => {
    if (new URL(request.url()).pathname !== '/graphql') return;
    const stream = (request.headers().accept ?? '').includes('text/event-stream');
    (stream ? streamBodies : graphqlBodies).push(JSON.parse(request.postData() ?? '{}'));
  });
  page.on('pageerror', (error) => pageErrors.push(error.message));
  page.on('console', (message) => {
    if (message.type() === 'error') pageErrors.push(message.text());
  });
  return {
    page,
    accessibility,
    graphqlBodies,
    streamBodies,
    pageErrors,
    shoot: async (name) => {
      await page.screenshot({ path: path.join(SCREENSHOTS, `${label}-${name}.png`), fullPage: true });
      const { violations } = await new AxeBuilder({ page })
        .withTags(['wcag2a', 'wcag2aa', 'wcag21a', 'wcag21aa'])
        .analyze();
      accessibility[name] = violations.map(
        (violation) =>
          `${violation.id}: ${violation.help} (${violation.nodes.map((node) => node.target.join(' ')).join(', ')})`,
      );
    },
  };
}

const stockOn = async (page: Page, sku: string) => {
  await page.goto(`/products/${sku}`);
  const text = await page.getByTestId('stock').textContent();
  return Number(text?.match(/^(\d+) in stock$/)?.[1] ?? Number.NaN);
};

/** The pages axe-core found something on, with what it found. */
const inaccessible = (accessibility: Visit['accessibility']) =>
  Object.entries(accessibility).filter(([, found]) => found.length > 0);

/** The idempotency keys of the placeOrder requests among these bodies. */
const idempotencyKeys = (bodies: Record<string, unknown>[]) =>
  bodies.flatMap((body) => (body.variables as { idempotencyKey?: string } | undefined)?.idempotencyKey ?? []);

const PASSWORD = 'correct horse battery';

/** Fills the sign-up form (the page shows it already) with a new address. */
async function signUp(page: Page, name: string): Promise<string> {
  const email = `shopper-${randomUUID()}@shop.test`;
  await page.getByRole('heading', { name: 'Create an account' }).waitFor();
  await page.getByLabel('Name').fill(name);
  await page.getByLabel('Email', { exact: true }).fill(email);
  await page.getByLabel(/^Password/).fill(PASSWORD);
  return email;
}

/** A new customer, signed up from the sign-up page; done when the header greets them. */
async function signUpAs(page: Page, name: string): Promise<string> {
  await page.goto('/sign-up');
  const email = await signUp(page, name);
  await page.getByRole('button', { name: 'Sign up' }).click();
  await page.getByRole('link', { name }).waitFor();
  return email;
}

/**
 * Run in a page before its own scripts: keeps what the page's event streams receive in `window.streamed` (a
 * stream never ends, so it cannot be read whole from outside), passing the stream on to the page unchanged.
 */
const KEEP_STREAMED = `
  window.streamed = [];
  const originalFetch = window.fetch;
  window.fetch = async (input, init) => {
    const response = await originalFetch(input, init);
    const accept = new Headers(init && init.headers).get('accept') || '';
    if (!accept.includes('text/event-stream') || !response.body) return response;
    const [kept, passed] = response.body.tee();
    (async () => {
      const reader = kept.pipeThrough(new TextDecoderStream()).getReader();
      for (let chunk = await reader.read(); !chunk.done; chunk = await reader.read()) window.streamed.push(chunk.value);
    })();
    return new Response(passed, response);
  };`;

/** Submits the log-in form (the page shows it already). */
async function logIn(page: Page, email: string): Promise<void> {
  await logInWith(page, email, PASSWORD);
}

async function logInWith(page: Page, email: string, password: string): Promise<void> {
  await page.getByLabel('Email', { exact: true }).fill(email);
  await page.getByLabel('Password').fill(password);
  await page.getByRole('button', { name: 'Log in' }).click();
}

/** The journey: browse, search, a product with FAQs, sign up, two products, checkout, history, cancel. */
async function journey(origin: string, label: string) {
  const { page, graphqlBodies, streamBodies, pageErrors, shoot, accessibility } = await visit(origin, label);
  // One request per page view: each step below checks how many the page sent.
  let counted = 0;
  const sentSinceLastLook = () => {
    const sent = graphqlBodies.length - counted;
    counted = graphqlBodies.length;
    return sent;
  };
  await page.goto('/');
  await expect.poll(() => page.getByRole('heading', { level: 2 }).first().textContent()).toMatch(/^\d+ products$/);
  expect(
    await page
      .getByRole('listitem')
      .filter({ has: page.getByRole('heading', { level: 3 }) })
      .count(),
  ).toBe(12);
  expect(sentSinceLastLook()).toBe(1);
  await shoot('catalogue');
  // "Load more" follows the cursor: the next page is added below the first.
  await page.getByRole('button', { name: /^Load more/ }).click();
  await expect
    .poll(() =>
      page
        .getByRole('listitem')
        .filter({ has: page.getByRole('heading', { level: 3 }) })
        .count(),
    )
    .toBeGreaterThan(12);
  expect(sentSinceLastLook()).toBe(1);

  // A category and a price limit: every product listed is in it and under it.
  await page.getByLabel('Category').selectOption('coffee');
  await page.getByLabel('Up to (€)').fill('20');
  await page.getByLabel('Up to (€)').press('Enter');
  await expect.poll(() => page.getByRole('heading', { level: 2 }).first().textContent()).toBe('2 products');
  expect(Object.fromEntries(new URL(page.url()).searchParams)).toEqual({ category: 'coffee', maxPrice: '20' });
  const prices = await page.locator('.product-grid .price').allTextContents();
  expect(prices.map((price) => Number(price.replace(/[^\d.]/g, '')))).toEqual([12.9, 14.5]); // the seed's, newest first
  await page.goto('/');
  sentSinceLastLook();

  // Search, from the keyboard.
  await page.getByLabel('Search').fill('keyboard');
  await page.getByLabel('Search').press('Enter');
  await page.getByRole('link', { name: 'Aluminium 75% Keyboard' }).waitFor();
  expect(page.url()).toContain('search=keyboard');
  await page.getByLabel('Order').selectOption('PRICE_ASC');
  await expect.poll(() => new URL(page.url()).searchParams.get('orderBy')).toBe('PRICE_ASC');
  await shoot('catalogue-search');

  await page.getByRole('link', { name: 'Aluminium 75% Keyboard' }).click();
  await page.getByRole('heading', { level: 1, name: 'Aluminium 75% Keyboard' }).waitFor();
  await page.getByText('Can I change the switches on the 75% keyboard?').waitFor();
  sentSinceLastLook();
  await page.reload();
  await page.getByText('Can I change the switches on the 75% keyboard?').waitFor();
  expect(sentSinceLastLook()).toBe(1);
  await shoot('product');

  await page.getByRole('link', { name: 'Help centre' }).click();
  await page.getByRole('heading', { name: /^\d+ questions$/ }).waitFor();
  expect(sentSinceLastLook()).toBe(1);
  await page.getByRole('button', { name: 'shipping' }).click();
  await expect.poll(() => new URL(page.url()).searchParams.get('topic')).toBe('shipping');
  await expect.poll(() => page.getByRole('heading', { name: /questions?$/ }).textContent()).toBe('2 questions');
  await shoot('help-centre');

  await page.getByRole('link', { name: 'Sign up' }).click();
  await signUp(page, 'Grace Hopper');
  await shoot('sign-up');
  await page.getByRole('button', { name: 'Sign up' }).click();
  await page.getByRole('link', { name: 'Grace Hopper' }).waitFor();

  const keyboardStock = await stockOn(page, 'KB-ALU-75');
  await page.getByLabel('Quantity').fill('2');
  await page.getByRole('button', { name: 'Add to cart' }).click();
  await page.getByRole('status').getByText('Added 2 × Aluminium 75% Keyboard to your cart.').waitFor();
  const mugStock = await stockOn(page, 'CF-MUG-CERAMIC');
  await page.getByRole('button', { name: 'Add to cart' }).click();
  sentSinceLastLook();
  await page.getByRole('link', { name: 'Cart (3)' }).click();
  await page.getByRole('heading', { name: 'Your cart' }).waitFor();
  expect(await page.getByRole('row').count()).toBe(4); // header, two lines, total
  await page.getByText('Prices and stock as of now').waitFor();
  expect(sentSinceLastLook()).toBe(1); // today's prices and stock of what is in it
  await shoot('cart');

  await page.getByRole('link', { name: 'Check out' }).click();
  await page.getByRole('heading', { name: 'Checkout' }).waitFor();
  await shoot('checkout');
  expect(sentSinceLastLook()).toBe(0); // the cart lives in the browser: nothing to ask before the click
  await page.getByRole('button', { name: 'Place order' }).click();
  const thanks = page.getByRole('heading', { name: /^Thank you: order SO-\d+$/ });
  await thanks.waitFor();
  expect(sentSinceLastLook()).toBe(1);
  const orderNumber = (await thanks.textContent())?.match(/SO-\d+/)?.[0] as string;
  await shoot('order-placed');
  expect(await stockOn(page, 'KB-ALU-75')).toBe(keyboardStock - 2);
  expect(await stockOn(page, 'CF-MUG-CERAMIC')).toBe(mugStock - 1);

  sentSinceLastLook();
  await page.getByRole('link', { name: 'Orders' }).click();
  const order = page.getByRole('listitem').filter({ has: page.getByRole('heading', { name: `Order ${orderNumber}` }) });
  await order.getByText('confirmed').waitFor();
  expect(sentSinceLastLook()).toBe(1);
  // And the orders' live updates: one event stream.
  await expect.poll(() => streamBodies.length).toBe(1);
  expect(await order.textContent()).toContain('2 × Aluminium 75% Keyboard');
  await shoot('orders');
  await order.getByRole('button', { name: `Cancel order ${orderNumber}` }).click();
  await order.getByText('cancelled', { exact: true }).waitFor();
  await shoot('order-cancelled');
  expect(await stockOn(page, 'KB-ALU-75')).toBe(keyboardStock);
  expect(await stockOn(page, 'CF-MUG-CERAMIC')).toBe(mugStock);

  sentSinceLastLook();
  await page.getByRole('link', { name: 'Grace Hopper' }).click();
  await page.getByRole('textbox', { name: 'Name' }).waitFor();
  expect(sentSinceLastLook()).toBe(1);
  await page.getByRole('textbox', { name: 'Name' }).fill('Grace B. Hopper');
  await page.getByRole('button', { name: 'Save name' }).click();
  await page.getByRole('link', { name: 'Grace B. Hopper' }).waitFor();
  await shoot('account');
  await page.getByRole('button', { name: 'Log out' }).click();
  await page.getByRole('link', { name: 'Log in' }).waitFor();

  // The app sent hashes only: no query text left the browser.
  expect(graphqlBodies.length).toBeGreaterThan(10);
  for (const body of [...graphqlBodies, ...streamBodies]) {
    expect(body).not.toHaveProperty('query');
    expect(body).toMatchObject({
      extensions: { persistedQuery: { sha256Hash: expect.stringMatching(/^[0-9a-f]{64}$/) } },
    });
  }
  expect(pageErrors).toEqual([]);
  // Every page photographed passes axe-core's WCAG 2.1 A and AA checks (contrast, labels, names, landmarks…).
  expect(Object.keys(accessibility)).toHaveLength(11);
  expect(inaccessible(accessibility)).toEqual([]);
  await page.context().close();
}

describe('the storefront', () => {
  it('takes a visitor from browsing to a cancelled order, one request per page view', async () => {
    await journey(await startStorefront(supergraph.routerUrl), 'journey');
  });

  it('sends a signed-out visitor to log in and back; a double-clicked checkout makes one order; closing the account', async () => {
    const { page, graphqlBodies, shoot, accessibility } = await visit(
      await startStorefront(supergraph.routerUrl),
      'double-click',
    );
    await page.goto('/products/DK-MAT-FELT');
    await page.getByRole('button', { name: 'Add to cart' }).click();
    await page.goto('/checkout');
    await page.getByRole('heading', { name: 'Log in' }).waitFor();
    expect(new URL(page.url()).searchParams.get('next')).toBe('/checkout');
    await shoot('log-in');
    await page.getByRole('link', { name: 'Create an account' }).click();
    const email = await signUp(page, 'Double Clicker');
    await page.getByRole('button', { name: 'Sign up' }).click();
    await page.getByRole('heading', { name: 'Checkout' }).waitFor();

    // With every core busy, as on a loaded machine: the second click may land before React re-renders.
    const load = startCpuLoad({ maxMs: 120_000 });
    try {
      await page.getByRole('button', { name: 'Place order' }).dblclick();
      await page.getByRole('heading', { name: /^Thank you: order SO-\d+$/ }).waitFor();
    } finally {
      await load.stop();
    }
    await page.getByRole('link', { name: 'See your orders' }).click();
    await page
      .getByRole('heading', { level: 2, name: /^Order SO-/ })
      .first()
      .waitFor();
    expect(await page.getByRole('heading', { level: 2, name: /^Order SO-/ }).count()).toBe(1);
    expect(idempotencyKeys(graphqlBodies)).toHaveLength(1); // the second click found the button disabled

    // Closing the account, confirmed with the password: signed out, and the password no longer logs in.
    await page.getByRole('link', { name: 'Double Clicker' }).click();
    await page.getByLabel('Your password, to confirm').fill(PASSWORD);
    await page.getByRole('button', { name: 'Close my account' }).click();
    await page.getByRole('link', { name: 'Log in' }).click();
    await logIn(page, email);
    await page
      .getByRole('alert')
      .getByText(/email or password/i)
      .waitFor();
    await shoot('log-in-closed-account');
    expect(inaccessible(accessibility)).toEqual([]);
    await page.context().close();
  });

  it('places one order when the same cart is checked out in two tabs at once, both showing it', async () => {
    const origin = await startStorefront(supergraph.routerUrl);
    const { page, graphqlBodies } = await visit(origin, 'two-tabs');
    await signUpAs(page, 'Two Tabs');
    await page.goto('/products/KB-CAPS-PBT');
    await page.getByRole('button', { name: 'Add to cart' }).click();
    // A second tab of the same browser: the same session, cart and checkout attempt.
    const other = await page.context().newPage();
    const otherBodies: Record<string, unknown>[] = [];
    other.on('request', (request) => {
      if (new URL(request.url()).pathname === '/graphql') otherBodies.push(JSON.parse(request.postData() ?? '{}'));
    });
    await Promise.all([page.goto('/checkout'), other.goto(`${origin}/checkout`)]);
    const thanks = /^Thank you: order (SO-\d+)$/;
    const load = startCpuLoad({ maxMs: 120_000 });
    const numbers = await Promise.all(
      [page, other].map(async (tab) => {
        await tab.getByRole('button', { name: 'Place order' }).click();
        const heading = tab.getByRole('heading', { name: thanks });
        await heading.waitFor();
        return (await heading.textContent())?.match(thanks)?.[1];
      }),
    ).finally(load.stop);
    const keys = [...idempotencyKeys(graphqlBodies), ...idempotencyKeys(otherBodies)];
    expect(keys).toHaveLength(2);
    expect(keys[0]).toBe(keys[1]);
    expect(numbers[0]).toBe(numbers[1]);
    await page.goto('/orders');
    await page
      .getByRole('heading', { level: 2, name: /^Order SO-/ })
      .first()
      .waitFor();
    expect(await page.getByRole('heading', { level: 2, name: /^Order SO-/ }).count()).toBe(1);
    await page.context().close();
  });

  it('retries a checkout whose answer was lost with the same key: one order, the one first made', async () => {
    const { page, graphqlBodies, shoot, accessibility } = await visit(
      await startStorefront(supergraph.routerUrl),
      'retry',
    );
    await signUpAs(page, 'Lost Answer');
    await page.goto('/products/LT-FLOOR-ARC');
    await page.getByRole('button', { name: 'Add to cart' }).click();
    await page.goto('/checkout');

    // The first placeOrder reaches the API and makes the order; its answer is lost on the way back.
    let lost = 0;
    await page.route('**/graphql', async (route) => {
      const body = JSON.parse(route.request().postData() ?? '{}');
      if (body.variables?.items && lost === 0) {
        lost++;
        await route.fetch();
        await route.abort('connectionreset');
      } else await route.continue();
    });
    await page.getByRole('button', { name: 'Place order' }).click();
    await page
      .getByRole('alert')
      .getByText(/could not confirm your order/)
      .waitFor();
    await shoot('checkout-unknown-outcome');
    await page.getByRole('button', { name: 'Try again' }).click();
    await page.getByRole('heading', { name: /^Thank you: order SO-\d+$/ }).waitFor();

    const keys = idempotencyKeys(graphqlBodies);
    expect(keys).toHaveLength(2);
    expect(keys[0]).toBe(keys[1]);
    await page.goto('/orders');
    await page
      .getByRole('heading', { level: 2, name: /^Order SO-/ })
      .first()
      .waitFor();
    expect(await page.getByRole('heading', { level: 2, name: /^Order SO-/ }).count()).toBe(1);
    expect(inaccessible(accessibility)).toEqual([]);
    await page.context().close();
  });

  it('pages through a long order history by cursor', async () => {
    // Eleven orders, placed through the API: one more than the history's first page.
    const email = `shopper-${randomUUID()}@shop.test`;
    const signedUp = await supergraph.request<{ signUp: { token: string } }>(
      'mutation ($input: SignUpInput!) { signUp(input: $input) { token } }',
      { input: { email, name: 'Regular Customer', password: PASSWORD } },
    );
    const token = signedUp.body.data?.signUp.token as string;
    const product = await supergraph.request<{ product: { id: string } }>('{ product(sku: "KB-CAPS-PBT") { id } }');
    const numbers: string[] = [];
    for (let count = 0; count < 11; count++) {
      const placed = await supergraph.request<{ placeOrder: { number: string } }>(
        'mutation ($items: [OrderItemInput!]!) { placeOrder(input: { items: $items }) { number } }',
        { items: [{ productId: product.body.data?.product.id, quantity: 1 }] },
        { token },
      );
      numbers.push(placed.body.data?.placeOrder.number as string);
    }
    const { page, accessibility, shoot } = await visit(await startStorefront(supergraph.routerUrl), 'history');
    await page.goto('/log-in?next=/orders');
    await logIn(page, email);
    const orderHeadings = page.getByRole('heading', { level: 2, name: /^Order SO-/ });
    await orderHeadings.first().waitFor();
    expect(await orderHeadings.count()).toBe(10);
    await page.getByRole('button', { name: 'Load older orders' }).click();
    await expect.poll(() => orderHeadings.count()).toBe(11);
    expect(await page.getByRole('button', { name: 'Load older orders' }).count()).toBe(0);
    // Newest first, each once.
    expect((await orderHeadings.allTextContents()).map((text) => text.match(/SO-\d+/)?.[0])).toEqual(numbers.reverse());
    await shoot('orders');
    expect(inaccessible(accessibility)).toEqual([]);
    await page.context().close();
  });

  it('shows an order refused for stock on the line it concerns', async () => {
    const { page, shoot, accessibility } = await visit(await startStorefront(supergraph.routerUrl), 'out-of-stock');
    await signUpAs(page, 'Big Spender');
    const stock = await stockOn(page, 'CF-GRIND-BURR');
    await page.getByLabel('Quantity').fill(String(Math.min(stock, 99)));
    await page.getByRole('button', { name: 'Add to cart' }).click();
    await page.goto('/products/CF-MUG-CERAMIC');
    await page.getByRole('button', { name: 'Add to cart' }).click();
    await page.goto('/cart');
    // More than the shop has: the cart says so on the line, and the order refuses it on the same line.
    await page.getByLabel('Quantity of Conical Burr Grinder').fill(String(Math.min(stock + 1, 99)));
    await page
      .getByRole('row')
      .filter({ hasText: 'Conical Burr Grinder' })
      .getByRole('alert')
      .getByText(`Only ${stock} left: lower the quantity.`)
      .waitFor();
    await shoot('cart-out-of-stock');
    await page.getByRole('link', { name: 'Check out' }).click();
    await page.getByRole('button', { name: 'Place order' }).click();
    const grinderLine = page.getByRole('row').filter({ hasText: 'Conical Burr Grinder' });
    await grinderLine
      .getByRole('alert')
      .getByText(/Not enough in stock/)
      .waitFor();
    expect(await page.getByRole('row').filter({ hasText: 'Ceramic Mug' }).getByRole('alert').count()).toBe(0);
    await shoot('checkout-out-of-stock');
    expect(inaccessible(accessibility)).toEqual([]);
    await page.context().close();
  });

  it("shows a cart's product renamed, repriced or taken off sale since it was added, and the order refuses it", async () => {
    const admin = await supergraph.logInAs('admin');
    const lamp = await supergraph.createProduct(admin, { name: 'Brass Lamp', stock: 5, price: 7900 });
    const { page, shoot, accessibility } = await visit(await startStorefront(supergraph.routerUrl), 'changed');
    await page.goto(`/products/${lamp.sku}`);
    await page.getByRole('button', { name: 'Add to cart' }).click();
    await page.goto('/products/CF-MUG-CERAMIC');
    await page.getByRole('button', { name: 'Add to cart' }).click();
    const update = await supergraph.request(
      'mutation ($id: ID!) { updateProduct(id: $id, input: { name: "Brass Desk Lamp", price: { amount: 8900, currency: "EUR" } }) { id } }',
      { id: lamp.id },
      { token: admin },
    );
    expect(update.body.errors).toBeUndefined();
    await page.goto('/cart');
    const lampLine = page.getByRole('row').filter({ hasText: 'Brass Desk Lamp' });
    await lampLine
      .getByText(/89\.00/)
      .first()
      .waitFor(); // today's name and price, not those from when it was added

    await supergraph.request('mutation ($id: ID!) { deleteProduct(id: $id) }', { id: lamp.id }, { token: admin });
    await page.reload();
    await lampLine.getByRole('alert').getByText('No longer sold: remove it to continue.').waitFor();
    await shoot('cart');
    await signUpAs(page, 'Late Buyer');
    await page.goto('/checkout');
    await page.getByRole('button', { name: 'Place order' }).click();
    await lampLine.getByRole('alert').getByText('No longer sold: remove it to continue.').waitFor();
    expect(await page.getByRole('row').filter({ hasText: 'Ceramic Mug' }).getByRole('alert').count()).toBe(0);
    await shoot('checkout');
    expect(inaccessible(accessibility)).toEqual([]);
    await page.context().close();
  });

  it('still shows a product, with a notice, while the FAQ service is down', async () => {
    const { page, shoot, accessibility } = await visit(await startStorefront(supergraph.routerUrl), 'faq-down');
    await supergraph.stopSubgraph('faq');
    try {
      // A product no earlier test opened, so no cached answer stands in for the FAQ service.
      await page.goto('/products/AU-HP-ANC');
      await page.getByRole('heading', { level: 1, name: 'Noise-Cancelling Headphones' }).waitFor();
      await page.getByText("Questions and answers can't be shown right now").waitFor();
      expect(await page.getByTestId('stock').textContent()).toMatch(/in stock|Sold out/);
      await shoot('product');
      await page.getByRole('link', { name: 'Help centre' }).click();
      await page
        .getByRole('alert')
        .getByText(/The faq service is unavailable/)
        .waitFor();
      await shoot('help-centre');
    } finally {
      await supergraph.restartSubgraph('faq');
    }
    expect(inaccessible(accessibility)).toEqual([]);
    await page.context().close();
  });

  it('shows a product before its questions and answers, which follow when they come (@defer)', async () => {
    const gate = await startGate(supergraph.subgraphUrls.faq as string);
    const router = await supergraph.startRouter({ FAQ_URL: gate.url });
    try {
      const { page, pageErrors } = await visit(await startStorefront(router.url), 'deferred');
      await page.goto('/products/CF-MUG-CERAMIC');
      // The product is on screen while the FAQ service has not answered (its request is held at the gate).
      await page.getByRole('heading', { level: 1, name: 'Ceramic Mug' }).waitFor();
      await page.getByTestId('faqs-loading').waitFor();
      await expect.poll(() => gate.held()).toBe(1);
      expect(await page.getByTestId('stock').textContent()).toMatch(/in stock|Sold out/);
      gate.open();
      await page.getByTestId('faqs-loading').waitFor({ state: 'detached' });
      expect(await page.locator('dl.faqs dt, section[aria-labelledby="faqs"] p').first().textContent()).toBeTruthy();
      expect(pageErrors).toEqual([]);
      await page.context().close();
    } finally {
      await router.stop();
      await gate.close();
    }
  });

  it("changes a customer's order page within 2 s when an admin ships it in another browser, and never shows another's", async () => {
    const origin = await startStorefront(supergraph.routerUrl);
    // A product of its own: the journeys count the seeded products' stock.
    const productId = (
      await supergraph.createProduct(await supergraph.logInAs('admin'), { name: 'Live Mug', stock: 50 })
    ).id;
    const placeAs = async (token: string) =>
      (
        await supergraph.request<{ placeOrder: { id: string; number: string } }>(
          'mutation ($items: [OrderItemInput!]!) { placeOrder(input: { items: $items }) { id number } }',
          { items: [{ productId, quantity: 1 }] },
          { token },
        )
      ).body.data?.placeOrder as { id: string; number: string };
    // Two customers, each in a browser of their own, with an order each.
    const customers = await Promise.all(
      ['Ada Live', 'Linus Live'].map(async (name) => {
        const { page, pageErrors } = await visit(origin, `live-${name}`);
        await page.addInitScript({ content: KEEP_STREAMED });
        await signUpAs(page, name);
        const token = (await page.evaluate(`JSON.parse(localStorage.getItem('shop.session')).token`)) as string;
        const order = await placeAs(token);
        await page.getByRole('link', { name: 'Orders' }).click();
        const card = page
          .getByRole('listitem')
          .filter({ has: page.getByRole('heading', { name: `Order ${order.number}` }) });
        await card.getByText('confirmed').waitFor();
        return { page, pageErrors, order, card };
      }),
    );
    const [ada, linus] = customers as [(typeof customers)[number], (typeof customers)[number]];
    // The pages follow their orders from now on (their event streams are open).
    for (const { page } of customers) {
      await expect.poll(() => page.evaluate('window.streamed.length')).toBeGreaterThan(0);
    }

    // The admin, in another browser, ships Ada's order through the storefront's API.
    const admin = await visit(origin, 'live-admin');
    await admin.page.goto('/log-in');
    await logInWith(admin.page, 'admin@shop.test', 'shop-admin-dev');
    await admin.page.getByRole('button', { name: 'Log out' }).waitFor();
    const manifest = JSON.parse(readFileSync(path.join(REPOSITORY_ROOT, 'operations/manifest.json'), 'utf8')) as Record<
      string,
      string
    >;
    const shipHash = Object.entries(manifest).find(([, text]) => text.startsWith('mutation ShipOrder('))?.[0];
    const shipped = await admin.page.evaluate(`(async () => {
      const token = JSON.parse(localStorage.getItem('shop.session')).token;
      const response = await fetch('/graphql', {
        method: 'POST',
        headers: { 'content-type': 'application/json', authorization: 'Bearer ' + token },
        body: JSON.stringify(${JSON.stringify({ variables: { id: ada.order.id }, extensions: { persistedQuery: { version: 1, sha256Hash: shipHash } } })}),
      });
      return response.json();
    })()`);
    expect(shipped).toMatchObject({ data: { shipOrder: { status: 'SHIPPED' } } });
    await ada.card.getByText('shipped').waitFor({ timeout: 2_000 });
    // Linus's page shows only his order, still confirmed; his stream never carried Ada's order, and hers never his.
    expect(await linus.card.getByText('confirmed').count()).toBe(1);
    const streamed = (page: Page) => page.evaluate(`window.streamed.join('')`) as Promise<string>;
    expect(await streamed(ada.page)).toContain(ada.order.id);
    expect(await streamed(ada.page)).not.toContain(linus.order.id);
    expect(await streamed(linus.page)).not.toContain(ada.order.id);
    for (const { page, pageErrors } of [...customers, admin]) {
      expect(pageErrors).toEqual([]);
      await page.context().close();
    }
  });

  it('passes the same journey with the router in safelist mode, which refuses anything else', async () => {
    const router = await supergraph.startRouter({ PERSISTED_OPERATIONS: 'safelist' });
    try {
      const origin = await startStorefront(router.url);
      const adHoc = await fetch(`${origin}/graphql`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ query: '{ users { totalCount } }' }),
      });
      expect(adHoc.status).toBe(400);
      expect(await adHoc.json()).toMatchObject({
        errors: [{ extensions: { code: 'PERSISTED_QUERY_NOT_IN_SAFELIST' } }],
      });
      await journey(origin, 'safelist');
    } finally {
      await router.stop();
    }
  });
});
