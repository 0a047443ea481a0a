import {
  afterCursor,
  type Cursor,
  type GroupedPageSpec,
  type PageRequest,
  queryGroupedPageIds,
} from '@shop/subgraph-kit';
import type { OrderStatus, Prisma, PrismaClient, StockState } from './generated/prisma/client.js';

export type { OrderItem, OrderStatus, StockState } from './generated/prisma/client.js';
export type OrderWithItems = Prisma.OrderGetPayload<{ include: { items: true } }>;

const withItems = { items: { orderBy: { id: 'asc' } } } as const satisfies Prisma.OrderInclude;

/** A user's orders page, newest first. */
const USER_ORDERS: GroupedPageSpec = {
  table: 'orders',
  groupColumn: 'user_id',
  sortColumn: 'created_at',
  sortType: 'timestamptz',
  direction: 'desc',
};

/** The only code that talks to the orders database. */
export function createOrderRepository(prisma: PrismaClient) {
  const ownedBy = (userId: string | null): Prisma.OrderWhereInput => (userId ? { userId } : {});
  return {
    findOrdersByIds: (ids: string[]) => prisma.order.findMany({ where: { id: { in: ids } }, include: withItems }),
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

    /** For many users at once, the ids on each one's page (one statement). */
    orderPageIdsByUser: (userIds: string[], page: PageRequest) =>
      queryGroupedPageIds(prisma, USER_ORDERS, userIds, page),
    countOrdersByUser: async (userIds: string[]) => {
      const counts = await prisma.order.groupBy({
        by: ['userId'],
        where: { userId: { in: userIds } },
        _count: { _all: true },
      });
      return new Map(counts.map((row) => [row.userId, row._count._all]));
    },

    createOrder: (data: Prisma.OrderUncheckedCreateInput) => prisma.order.create({ data, include: withItems }),
    /**
     * Moves an order to `data.status` only from one of `from`; false when it was in another state (someone
     * else moved it first). This conditional update is what makes each saga step happen once.
     */
    changeStatus: async (id: string, from: OrderStatus[], data: Prisma.OrderUncheckedUpdateManyInput) =>
      (await prisma.order.updateMany({ where: { id, status: { in: from } }, data })).count === 1,
    setStockState: (id: string, stockState: StockState) =>
      prisma.order.updateMany({ where: { id }, data: { stockState } }),
    /** PENDING → CONFIRMED with the prices products charged, in one transaction; false if no longer PENDING. */
    confirmOrder: (id: string, prices: Map<string, number>, totalAmount: number) =>
      prisma.$transaction(async (tx) => {
        const { count } = await tx.order.updateMany({
          where: { id, status: 'PENDING' },
          data: { status: 'CONFIRMED', stockState: 'RESERVED', totalAmount },
        });
        if (count === 0) return false;
        for (const [productId, unitPriceAmount] of prices) {
          await tx.orderItem.updateMany({ where: { orderId: id, productId }, data: { unitPriceAmount } });
        }
        return true;
      }),
    /** Orders whose saga has a step left: stock to commit or give back, or a PENDING order gone quiet. */
    findUnfinishedOrders: (pendingSince: Date) =>
      prisma.order.findMany({
        where: {
          OR: [
            { status: 'CONFIRMED', stockState: 'RESERVED' },
            { status: 'CANCELLED', stockState: { in: ['UNKNOWN', 'RESERVED', 'COMMITTED'] } },
            { status: 'PENDING', updatedAt: { lt: pendingSince } },
          ],
        },
        include: withItems,
        take: 100,
      }),
    deleteOrder: async (id: string) => (await prisma.order.deleteMany({ where: { id } })).count > 0,
  };
}

export type OrderRepository = ReturnType<typeof createOrderRepository>;
