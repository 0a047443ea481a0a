import { useEffect, useState } from 'react';
import { Link } from 'wouter';
import { execute, follow, type GraphQLErrorShape } from '../graphql-client.js';
import { formatMoney } from '../money.js';
import {
  CancelOrderDocument,
  OrderHistoryDocument,
  type OrderHistoryQuery,
  OrderUpdatesDocument,
} from '../operations.generated.js';
import { session } from '../session.js';
import { ErrorNotice, Loading, PageTitle } from '../ui.js';
import { useMorePages } from '../use-more-pages.js';
import { useQuery } from '../use-query.js';

type Order = NonNullable<OrderHistoryQuery['me']>['orders']['edges'][number]['node'];

const dateFormat = new Intl.DateTimeFormat(undefined, { dateStyle: 'medium', timeStyle: 'short' });

/** An order's state as the last live update left it. */
type Live = Pick<Order, 'status' | 'cancelReason'>;

export function OrdersPage() {
  const { result, loading, networkError, retry } = useQuery(OrderHistoryDocument, {});
  const orders = result?.data?.me?.orders;
  const live = useOrderUpdates(retry);
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
            <OrderCard key={node.id} order={node} live={live[node.id]} />
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

/**
 * The page's orders change as they change in the shop (shipped by the warehouse, cancelled elsewhere): each
 * update's state by order id; an order the page does not show yet (placed elsewhere) reloads the list.
 */
function useOrderUpdates(reload: () => void): Record<string, Live> {
  const [live, setLive] = useState<Record<string, Live>>({});
  const signedIn = session.use() !== null;
  // biome-ignore lint/correctness/useExhaustiveDependencies: one subscription per signed-in page view
  useEffect(() => {
    if (!signedIn) return;
    const known = new Set<string>();
    return follow(
      OrderUpdatesDocument,
      { after: null },
      ({ data }) => {
        const update = data?.orderUpdated;
        if (!update) return;
        setLive((previous) => ({ ...previous, [update.order.id]: update.order }));
        if (!known.has(update.order.id) && update.order.status === 'PENDING') reload();
        known.add(update.order.id);
      },
      (last) => ({ after: last.orderUpdated.sequence }),
    );
  }, [signedIn]);
  return live;
}

function OrderCard({ order: initial, live }: { order: Order; live: Live | undefined }) {
  const [order, setOrder] = useState(initial);
  useEffect(() => {
    if (live) setOrder((current) => ({ ...current, ...live }));
  }, [live]);
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
