import { useState } from 'react';
import { Link } from 'wouter';
import { execute, type GraphQLErrorShape } from '../graphql-client.js';
import { formatMoney } from '../money.js';
import { CancelOrderDocument, OrderHistoryDocument, type OrderHistoryQuery } from '../operations.generated.js';
import { ErrorNotice, Loading, PageTitle } from '../ui.js';
import { useMorePages } from '../use-more-pages.js';
import { useQuery } from '../use-query.js';

type Order = NonNullable<OrderHistoryQuery['me']>['orders']['edges'][number]['node'];

const dateFormat = new Intl.DateTimeFormat(undefined, { dateStyle: 'medium', timeStyle: 'short' });

export function OrdersPage() {
  const { result, loading, networkError, retry } = useQuery(OrderHistoryDocument, {});
  const orders = result?.data?.me?.orders;
  const more = useMorePages(
    result,
    (data) => data.me?.orders,
    (after) => execute(OrderHistoryDocument, { after }),
  );

  if (networkError) return <ErrorNotice errors={networkError} retry={retry} />;
  return (
    <>
      <PageTitle>Your orders</PageTitle>
      {result && <ErrorNotice errors={result.errors} />}
      {loading && !orders && <Loading what="your orders" />}
      {orders && orders.totalCount === 0 && (
        <p>
          You have no orders yet. <Link href="/">Browse the catalogue</Link>
        </p>
      )}
      {orders && (
        <ol className="orders">
          {more.edges.map(({ node }) => (
            <OrderCard key={node.id} order={node} />
          ))}
        </ol>
      )}
      <ErrorNotice errors={more.errors} />
      {more.hasMore && (
        <button type="button" className="load-more" disabled={more.loading} onClick={more.loadMore}>
          {more.loading ? 'Loading…' : 'Load older orders'}
        </button>
      )}
    </>
  );
}

function OrderCard({ order: initial }: { order: Order }) {
  const [order, setOrder] = useState(initial);
  const [errors, setErrors] = useState<GraphQLErrorShape[] | string>([]);
  const [pending, setPending] = useState(false);
  const cancellable = order.status === 'PENDING' || order.status === 'CONFIRMED';

  async function cancel() {
    setPending(true);
    setErrors([]);
    try {
      const result = await execute(CancelOrderDocument, { id: order.id });
      if (result.data) setOrder({ ...order, ...result.data.cancelOrder });
      setErrors(result.errors);
    } catch (error) {
      setErrors((error as Error).message);
    } finally {
      setPending(false);
    }
  }

  return (
    <li className="card order" aria-labelledby={`order-${order.id}`}>
      <h2 id={`order-${order.id}`}>
        Order {order.number}{' '}
        <span className={`status ${order.status.toLowerCase()}`}>{order.status.toLowerCase()}</span>
      </h2>
      <p className="muted">
        {dateFormat.format(new Date(order.createdAt))} · {formatMoney(order.total)}
        {order.cancelReason && ` · ${order.cancelReason}`}
      </p>
      <ul>
        {order.items.map((item) => (
          <li key={item.product.id}>
            {item.quantity} ×{' '}
            {item.product.archivedAt ? (
              `${item.productName ?? item.product.name} (no longer sold)`
            ) : (
              <Link href={`/products/${encodeURIComponent(item.product.sku)}`}>
                {item.productName ?? item.product.name}
              </Link>
            )}{' '}
            · {formatMoney(item.lineTotal)}
          </li>
        ))}
      </ul>
      <ErrorNotice errors={errors} />
      {cancellable && (
        <button type="button" onClick={cancel} disabled={pending}>
          {pending ? (
            'Cancelling…'
          ) : (
            <>
              Cancel order<span className="visually-hidden"> {order.number}</span>
            </>
          )}
        </button>
      )}
    </li>
  );
}
