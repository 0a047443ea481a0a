import { randomUUID } from 'node:crypto';
import {
  afterCursor,
  type Cursor,
  type GroupedPageSpec,
  type PageRequest,
  type PreparedReads,
  queryGroupedPages,
  type ReadStatement,
} from '@shop/subgraph-runtime';
import type { OrderItem, Prisma, PrismaClient } from './generated/prisma/client.js';
import { ORDER_TRANSITIONS, type OrderTransition, type SagaState, UNSETTLED_STATES } from './order-states.js';

export type { OrderItem, OrderStatus, StockState } from './generated/prisma/client.js';
export type OrderWithItems = Prisma.OrderGetPayload<{ include: { items: true } }>;
/** A new order as placeOrder stores it, its items nested as Prisma takes them. */
export type NewOrder = Omit<Prisma.OrderUncheckedCreateInput, 'id' | 'items'> & {
  items: { create: Omit<Prisma.OrderItemCreateManyInput, 'orderId'>[] };
};

const byId = (a: { id: string }, b: { id: string }) => (a.id < b.id ? -1 : a.id > b.id ? 1 : 0);

/** Orders whose saga waits for a step, as SQL built from the transition table (constants only). */
const stateSql = ({ status, stockState }: SagaState) => `("status" = '${status}' AND "stock_state" = '${stockState}')`;
const UNSETTLED_SQL = [...UNSETTLED_STATES.map(stateSql), `"status" = 'PENDING'`].join(' OR ');

/** The number customers see, e.g. SO-000042. */
export const orderNumber = (order: { number: number }) => `SO-${String(order.number).padStart(6, '0')}`;

const withItems = { items: { orderBy: { id: 'asc' } } } as const satisfies Prisma.OrderInclude;

/** An order's columns as the row type names them, on `t`. */
const ORDER_COLUMNS = `t."id", t."number", t."user_id" AS "userId", t."status"::text AS "status",
  t."total_amount" AS "totalAmount", t."currency"::text AS "currency", t."idempotency_key" AS "idempotencyKey",
  t."request_hash" AS "requestHash", t."stock_state"::text AS "stockState", t."cancel_reason" AS "cancelReason",
  t."failure_code" AS "failureCode", t."claimed_by" AS "claimedBy", t."claimed_until" AS "claimedUntil",
  t."created_at" AS "createdAt", t."updated_at" AS "updatedAt"`;
/** An order's items in id order as one JSON column (json_agg), for the order whose id is `orderId` (SQL). */
const itemsOf = (orderId: string) => `(SELECT coalesce(json_agg(json_build_object(
    'id', i."id", 'orderId', i."order_id", 'productId', i."product_id", 'quantity', i."quantity",
    'unitPriceAmount', i."unit_price_amount", 'productName', i."product_name", 'productSku', i."product_sku"
  ) ORDER BY i."id"), '[]'::json) FROM "order_items" i WHERE i."order_id" = ${orderId}) AS "items"`;

const ORDERS_BY_IDS: ReadStatement = {
  name: 'orders:by-ids',
  text: `SELECT ${ORDER_COLUMNS}, ${itemsOf('t."id"')} FROM "orders" t WHERE t."id" = ANY($1::uuid[])`,
};

/** A user's orders page, newest first, each order's items aggregated for the orders on the page only. */
const USER_ORDERS: GroupedPageSpec = {
  name: 'orders:of-users',
  table: 'orders',
  columns: ORDER_COLUMNS,
  pageColumns: itemsOf('"ranked"."_key"'),
  groupColumn: 'user_id',
  sortColumn: 'created_at',
  sortType: 'timestamptz',
  direction: 'desc',
};

/** The only code that talks to the orders database. */
export function createOrderRepository(prisma: PrismaClient, reads: PreparedReads) {
  const ownedBy = (userId: string | null): Prisma.OrderWhereInput => (userId ? { userId } : {});
  return {
    findOrdersByIds: (ids: string[]) => reads.query<OrderWithItems>(ORDERS_BY_IDS, [ids]),
    findOrderByIdempotencyKey: (userId: string, idempotencyKey: string) =>
      prisma.order.findUnique({ where: { userId_idempotencyKey: { userId, idempotencyKey } }, include: withItems }),

    /** A page of orders, newest first: one user's, or everyone's when userId is null. */
    listOrders: (userId: string | null, after: Cursor | null, take: number) =>
      prisma.order.findMany({
        where: { AND: [ownedBy(userId), afterCursor('createdAt', 'desc', after) as Prisma.OrderWhereInput] },
        orderBy: [{ createdAt: 'desc' }, { id: 'desc' }],
        include: withItems,
        take,
      }),
    countOrders: (userId: string | null) => prisma.order.count({ where: ownedBy(userId) }),

    /** For many users at once, each one's page with items (and count when asked for) in one statement. */
    orderPagesByUser: (userIds: string[], page: PageRequest) =>
      queryGroupedPages(reads, USER_ORDERS, userIds, page, (row) => row as unknown as OrderWithItems),
    countOrdersByUser: async (userIds: string[]) => {
      const counts = await prisma.order.groupBy({
        by: ['userId'],
        where: { userId: { in: userIds } },
        _count: { _all: true },
      });
      return new Map(counts.map((row) => [row.userId, row._count._all]));
    },

    /**
     * Stores an order and its items in one transaction: each insert returns its row (INSERT … RETURNING), so
     * nothing is read back. Items come back in id order, as every read gives them.
     */
    createOrder: async ({ items, ...data }: NewOrder) => {
      const id = randomUUID();
      const [order, created] = await prisma.$transaction([
        prisma.order.create({ data: { ...data, id } }),
        prisma.orderItem.createManyAndReturn({ data: items.create.map((item) => ({ ...item, orderId: id })) }),
      ]);
      return { ...order, items: created.sort(byId) } satisfies OrderWithItems;
    },

    /**
     * Applies one of the order's transitions (order-states.ts) as a compare-and-set: true when this call moved
     * the order, false when it was in another state (someone else moved it first). `data` goes with it.
     */
    transition: async (id: string, name: OrderTransition, data: Prisma.OrderUncheckedUpdateManyInput = {}) => {
      const { from, to } = ORDER_TRANSITIONS[name];
      const { count } = await prisma.order.updateMany({
        where: { id, OR: from.map((state) => ({ ...state })) },
        data: { ...data, ...to },
      });
      return count === 1;
    },
    /**
     * The `confirm` transition with the prices products charged, in one transaction: the confirmed order, or
     * null when it was no longer PENDING (someone decided first).
     */
    confirm: async (id: string, prices: Map<string, number>, known?: OrderItem[]) => {
      const { from, to } = ORDER_TRANSITIONS.confirm;
      // The items never change after the order is stored: the caller's copy (if any) spares reading them.
      const items = known ?? (await prisma.orderItem.findMany({ where: { orderId: id }, orderBy: { id: 'asc' } }));
      const totalAmount = items.reduce((sum, item) => sum + item.quantity * (prices.get(item.productId) ?? 0), 0);
      const charged = items.map((item) => ({
        ...item,
        unitPriceAmount: prices.get(item.productId) ?? item.unitPriceAmount,
      }));
      const repriced = charged.filter((item, index) => item.unitPriceAmount !== items[index]?.unitPriceAmount);
      const move = async (client: Pick<PrismaClient, 'order'>) =>
        (
          await client.order.updateManyAndReturn({
            where: { id, OR: from.map((state) => ({ ...state })) },
            data: { ...to, totalAmount },
          })
        )[0] ?? null;
      // Prices as quoted (the usual case): the compare-and-set alone, one statement.
      if (repriced.length === 0) {
        const order = await move(prisma);
        return order ? { ...order, items: charged } : null;
      }
      return prisma.$transaction(async (tx) => {
        const order = await move(tx);
        if (!order) return null;
        for (const item of repriced) {
          await tx.orderItem.updateMany({ where: { id: item.id }, data: { unitPriceAmount: item.unitPriceAmount } });
        }
        return { ...order, items: charged };
      });
    },

    /** Claims an order for one worker until `claimMs` from now, unless another worker's claim still runs. */
    claim: async (id: string, worker: string, claimMs: number) => {
      const now = Date.now();
      const { count } = await prisma.order.updateMany({
        where: { id, OR: [{ claimedUntil: null }, { claimedUntil: { lt: new Date(now) } }] },
        data: { claimedBy: worker, claimedUntil: new Date(now + claimMs) },
      });
      return count === 1;
    },
    releaseClaim: (id: string, worker: string) =>
      prisma.order.updateMany({ where: { id, claimedBy: worker }, data: { claimedBy: null, claimedUntil: null } }),
    /**
     * Claims up to `limit` orders whose saga has a step left — a settlement, or a PENDING order whose placing
     * went quiet (its claim expired) — that no other worker holds. SKIP LOCKED: concurrent sweeps (timer
     * ticks, replicas) take different orders instead of waiting for each other. One statement.
     */
    claimUnsettled: async (worker: string, claimMs: number, limit: number) => {
      const now = Date.now();
      const claimed = await prisma.$queryRawUnsafe<{ id: string }[]>(
        `UPDATE "orders" SET "claimed_by" = $1, "claimed_until" = $2::timestamptz
         WHERE "id" IN (
           SELECT "id" FROM "orders"
           WHERE (${UNSETTLED_SQL}) AND ("claimed_until" IS NULL OR "claimed_until" < $3::timestamptz)
           ORDER BY "updated_at" LIMIT $4
           FOR UPDATE SKIP LOCKED)
         RETURNING "id"::text AS "id"`,
        worker,
        new Date(now + claimMs).toISOString(),
        new Date(now).toISOString(),
        limit,
      );
      if (claimed.length === 0) return [];
      return prisma.order.findMany({ where: { id: { in: claimed.map((row) => row.id) } }, include: withItems });
    },
    deleteOrder: async (id: string) => (await prisma.order.deleteMany({ where: { id } })).count > 0,
  };
}

export type OrderRepository = ReturnType<typeof createOrderRepository>;
