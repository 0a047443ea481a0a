import { useEffect } from 'react';
import { Link } from 'wouter';
import { type CartLine, cart, MAX_QUANTITY, setQuantity } from '../cart.js';
import { formatMoney } from '../money.js';
import { CartDocument } from '../operations.generated.js';
import { PageTitle } from '../ui.js';
import { useQuery } from '../use-query.js';

const estimatedTotal = (lines: CartLine[]) => ({
  amount: lines.reduce((sum, line) => sum + line.unitPrice.amount * line.quantity, 0),
  currency: lines[0]?.unitPrice.currency ?? 'EUR',
});

/** The cart lives in this browser; its page asks the catalogue for today's prices and stock of its products. */
export function CartPage() {
  const lines = cart.use();
  return (
    <>
      <PageTitle>Your cart</PageTitle>
      {lines.length === 0 ? (
        <p>
          Your cart is empty. <Link href="/">Browse the catalogue</Link>
        </p>
      ) : (
        <CheckedCart lines={lines} />
      )}
    </>
  );
}

function CheckedCart({ lines }: { lines: CartLine[] }) {
  const ids = lines.map((line) => line.productId);
  const { result, loading, networkError } = useQuery(CartDocument, { ids });
  const current = result?.data?.products.edges.map((edge) => edge.node);
  // Today's names and prices replace the ones kept from when the products were added.
  useEffect(() => {
    if (result?.data) cart.refresh(result.data.products.edges.map((edge) => edge.node));
  }, [result]);
  const problems: Record<string, string> = {};
  for (const line of current ? lines : []) {
    const product = current?.find((candidate) => candidate.id === line.productId);
    if (!product) problems[line.productId] = 'No longer sold: remove it to continue.';
    else if (product.stock === 0) problems[line.productId] = 'Sold out: remove it to continue.';
    else if (product.stock < line.quantity)
      problems[line.productId] = `Only ${product.stock} left: lower the quantity.`;
  }
  return (
    <>
      {(networkError || (result && !current)) && (
        <p className="notice warning" role="status">
          Today's prices and stock can't be checked right now; they are checked again when you place the order.
        </p>
      )}
      <CartLines lines={lines} editable problems={problems} />
      <p className="muted" aria-live="polite">
        {loading ? 'Checking prices and stock…' : 'Prices and stock as of now; the order confirms them.'}
      </p>
      <Link href="/checkout" className="button primary">
        Check out
      </Link>
    </>
  );
}

/** The cart as a table; `problems` (product id → text) marks the lines that cannot be ordered as they are. */
export function CartLines({
  lines,
  editable = false,
  problems = {},
}: {
  lines: CartLine[];
  editable?: boolean;
  problems?: Record<string, string>;
}) {
  return (
    <table className="cart">
      <caption className="visually-hidden">Items in your cart</caption>
      <thead>
        <tr>
          <th scope="col">Product</th>
          <th scope="col">Unit price</th>
          <th scope="col">Quantity</th>
          <th scope="col">Subtotal</th>
          {editable && (
            <th scope="col">
              <span className="visually-hidden">Remove</span>
            </th>
          )}
        </tr>
      </thead>
      <tbody>
        {lines.map((line) => (
          <tr key={line.productId} className={problems[line.productId] ? 'problem' : undefined}>
            <th scope="row">
              <Link href={`/products/${encodeURIComponent(line.sku)}`}>{line.name}</Link>
              {problems[line.productId] && (
                <p className="line-problem" role="alert">
                  {problems[line.productId]}
                </p>
              )}
            </th>
            <td>{formatMoney(line.unitPrice)}</td>
            <td>
              {editable ? (
                <input
                  type="number"
                  min={0}
                  max={MAX_QUANTITY}
                  value={line.quantity}
                  aria-label={`Quantity of ${line.name}`}
                  onChange={(event) => setQuantity(line.productId, Math.floor(Number(event.target.value) || 0))}
                />
              ) : (
                line.quantity
              )}
            </td>
            <td>{formatMoney({ ...line.unitPrice, amount: line.unitPrice.amount * line.quantity })}</td>
            {editable && (
              <td>
                <button type="button" className="link" onClick={() => setQuantity(line.productId, 0)}>
                  Remove<span className="visually-hidden"> {line.name}</span>
                </button>
              </td>
            )}
          </tr>
        ))}
      </tbody>
      <tfoot>
        <tr>
          <th scope="row" colSpan={3}>
            Estimated total
          </th>
          <td>{formatMoney(estimatedTotal(lines))}</td>
          {editable && <td />}
        </tr>
      </tfoot>
    </table>
  );
}
