import { useRef, useState } from 'react';
import { Link } from 'wouter';
import { cart } from '../cart.js';
import { execute, type GraphQLErrorShape } from '../graphql-client.js';
import { formatMoney } from '../money.js';
import { PlaceOrderDocument, type PlaceOrderMutation } from '../operations.generated.js';
import { ErrorNotice, PageTitle } from '../ui.js';
import { CartLines } from './cart.js';

/** Answers after which the order surely was not placed and never will be under this key. */
const FINAL_REFUSALS = new Set([
  'OUT_OF_STOCK',
  'PRODUCT_ARCHIVED',
  'NOT_FOUND',
  'BAD_USER_INPUT',
  'CONFLICT',
  'ORDER_NOT_PLACED',
  'UNAUTHENTICATED',
  'UNAUTHORIZED_FIELD_OR_TYPE',
]);

/** What the refused order says about each line, from the error's code and the products it names. */
function lineProblems(errors: GraphQLErrorShape[]): Record<string, string> {
  const problems: Record<string, string> = {};
  for (const error of errors) {
    const text =
      error.extensions?.code === 'OUT_OF_STOCK'
        ? 'Not enough in stock for this quantity: lower it or remove the item.'
        : error.extensions?.code === 'PRODUCT_ARCHIVED' || error.extensions?.code === 'NOT_FOUND'
          ? 'No longer sold: remove it to continue.'
          : null;
    if (text) for (const id of error.extensions?.productIds ?? []) problems[id] = text;
  }
  return problems;
}

export function CheckoutPage() {
  const lines = cart.use();
  const [order, setOrder] = useState<PlaceOrderMutation['placeOrder']>();
  const [errors, setErrors] = useState<GraphQLErrorShape[]>([]);
  const [unknownOutcome, setUnknownOutcome] = useState(false);
  const [pending, setPending] = useState(false);
  // A second click before React re-renders the disabled button is ignored here; the key covers everything else.
  const inFlight = useRef(false);

  async function placeOrder() {
    if (inFlight.current) return;
    inFlight.current = true;
    setPending(true);
    setErrors([]);
    setUnknownOutcome(false);
    try {
      const result = await execute(PlaceOrderDocument, {
        items: lines.map((line) => ({ productId: line.productId, quantity: line.quantity })),
        idempotencyKey: cart.checkoutKey(),
      });
      if (result.data?.placeOrder) {
        setOrder(result.data.placeOrder);
        cart.clear();
      } else {
        setErrors(result.errors);
        // Only a definite refusal ends this attempt. Anything else (unavailable, an internal error) may still have
        // placed the order: keep the key, so "Try again" learns the outcome instead of ordering twice.
        const refused = result.errors.some((error) => FINAL_REFUSALS.has(error.extensions?.code ?? ''));
        setUnknownOutcome(!refused);
        if (refused) cart.renewCheckoutKey();
      }
    } catch {
      setUnknownOutcome(true);
    } finally {
      inFlight.current = false;
      setPending(false);
    }
  }

  if (order) {
    return (
      <>
        <PageTitle>Thank you: order {order.number}</PageTitle>
        <p role="status">
          Order {order.number} is {order.status.toLowerCase()}. Total {formatMoney(order.total)}.
        </p>
        <ul>
          {order.items.map((item) => (
            <li key={item.product.id}>
              {item.quantity} × {item.product.name} at {formatMoney(item.unitPrice)}
            </li>
          ))}
        </ul>
        <p>
          <Link href="/orders">See your orders</Link> · <Link href="/">Keep shopping</Link>
        </p>
      </>
    );
  }
  if (lines.length === 0) {
    return (
      <>
        <PageTitle>Checkout</PageTitle>
        <p>
          Your cart is empty. <Link href="/">Browse the catalogue</Link>
        </p>
      </>
    );
  }
  const problems = lineProblems(errors);
  return (
    <>
      <PageTitle>Checkout</PageTitle>
      {unknownOutcome ? (
        <div className="notice error" role="alert">
          <p>We could not confirm your order. Try again: it is the same attempt, so you will not be charged twice.</p>
        </div>
      ) : (
        <ErrorNotice errors={errors} />
      )}
      <CartLines lines={lines} problems={problems} />
      <p>
        <Link href="/cart">Change the cart</Link>
      </p>
      <button type="button" className="primary" onClick={placeOrder} disabled={pending}>
        {pending ? 'Placing your order…' : unknownOutcome ? 'Try again' : 'Place order'}
      </button>
    </>
  );
}
