import { storedValue } from './stored.js';

/** A cart line as it was added; the price and stock that count are today's, given back by placeOrder. */
export interface CartLine {
  productId: string;
  sku: string;
  name: string;
  unitPrice: { amount: number; currency: string };
  quantity: number;
}

export const MAX_QUANTITY = 99;

export const cart = storedValue<CartLine[]>('shop.cart', []);

export function addToCart(line: Omit<CartLine, 'quantity'>, quantity = 1): void {
  const lines = cart.get();
  const existing = lines.find((candidate) => candidate.productId === line.productId);
  cart.set(
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
  const lines = cart.get();
  cart.set(
    quantity <= 0
      ? lines.filter((line) => line.productId !== productId)
      : lines.map((line) =>
          line.productId === productId ? { ...line, quantity: Math.min(MAX_QUANTITY, quantity) } : line,
        ),
  );
}

export const cartSize = (lines: CartLine[]) => lines.reduce((sum, line) => sum + line.quantity, 0);
