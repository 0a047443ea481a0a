import { storedValue } from './stored.js';

/** A cart line as it was added; the price and stock that count are today's, given back by placeOrder. */
export interface CartLine {
  productId: string;
  sku: string;
  name: string;
  unitPrice: { amount: number; currency: string };
  quantity: number;
}

/**
 * The cart, and the idempotency key of checking it out. Every change to the lines makes a new key, so the key
 * names one checkout attempt of these contents: a double click, a retry, a reload or a second tab sends the same
 * key, and the API answers with the order it already made instead of making another.
 */
interface Cart {
  lines: CartLine[];
  checkoutKey: string;
}

export const MAX_QUANTITY = 99;

const stored = storedValue<Cart>('shop.cart', { lines: [], checkoutKey: '' });

const save = (lines: CartLine[]) => stored.set({ lines, checkoutKey: crypto.randomUUID() });

export const cart = {
  use: () => stored.use().lines,
  checkoutKey: () => stored.get().checkoutKey,
  clear: () => stored.clear(),
  /** The attempt ended with a definite refusal: trying the same contents again is a new attempt. */
  renewCheckoutKey: () => save(stored.get().lines),
  /** Today's names and prices from the catalogue. The contents are the same, and so is the checkout key. */
  refresh(products: { id: string; sku: string; name: string; price: CartLine['unitPrice'] }[]) {
    const { lines, checkoutKey } = stored.get();
    const now = new Map(products.map((product) => [product.id, product]));
    const refreshed = lines.map((line) => {
      const product = now.get(line.productId);
      return product ? { ...line, sku: product.sku, name: product.name, unitPrice: product.price } : line;
    });
    if (JSON.stringify(refreshed) !== JSON.stringify(lines)) stored.set({ lines: refreshed, checkoutKey });
  },
};

export function addToCart(line: Omit<CartLine, 'quantity'>, quantity = 1): void {
  const { lines } = stored.get();
  const existing = lines.find((candidate) => candidate.productId === line.productId);
  save(
    existing
      ? lines.map((candidate) =>
          candidate === existing
            ? { ...candidate, quantity: Math.min(MAX_QUANTITY, candidate.quantity + quantity) }
            : candidate,
        )
      : [...lines, { ...line, quantity }],
  );
}

export function setQuantity(productId: string, quantity: number): void {
  const { lines } = stored.get();
  save(
    quantity <= 0
      ? lines.filter((line) => line.productId !== productId)
      : lines.map((line) =>
          line.productId === productId ? { ...line, quantity: Math.min(MAX_QUANTITY, quantity) } : line,
        ),
  );
}

export const cartSize = (lines: CartLine[]) => lines.reduce((sum, line) => sum + line.quantity, 0);
