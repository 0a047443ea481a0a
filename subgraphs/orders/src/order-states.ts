import type { OrderStatus, StockState } from './generated/prisma/client.js';

/** Where an order's saga stands: what clients see, and what products has done with its stock. */
export interface SagaState {
  status: OrderStatus;
  stockState: StockState;
}

type StockMessage = 'commitStock' | 'releaseStock' | 'returnStock';

interface Transition {
  from: readonly SagaState[];
  /** The new status and/or stock state; what is left out stays as it was. */
  to: Partial<SagaState>;
  /**
   * Decisions are taken by a request (placeOrder, cancelOrder, shipOrder). Settlements bring products in line
   * with a decision already stored: `messages` are sent to products first, and the transition is applied only
   * once products answers `products` (its reservation's status).
   */
  kind: 'decision' | 'settlement';
  messages?: readonly StockMessage[];
  products?: 'COMMITTED' | 'RELEASED' | 'RETURNED';
  when: string;
}

/**
 * Every state change of an order: the only transitions that exist. Each is a compare-and-set in the orders
 * database (repository.transition), so of two workers racing for the same order exactly one moves it, and the
 * other re-reads and follows. Rendered in docs/ORDER-SAGA.md (a test keeps the two in step).
 */
export const ORDER_TRANSITIONS = {
  confirm: {
    from: [{ status: 'PENDING', stockState: 'UNKNOWN' }],
    to: { status: 'CONFIRMED', stockState: 'RESERVED' },
    kind: 'decision',
    when: 'products reserved every item (placeOrder, or the sweep finishing an interrupted one)',
  },
  abandon: {
    from: [{ status: 'PENDING', stockState: 'UNKNOWN' }],
    to: { status: 'CANCELLED' },
    kind: 'decision',
    when: 'products refused the reservation (placeOrder), or placing went quiet and products holds none (the sweep); never a confirmed order',
  },
  cancel: {
    from: [
      { status: 'PENDING', stockState: 'UNKNOWN' },
      { status: 'CONFIRMED', stockState: 'RESERVED' },
      { status: 'CONFIRMED', stockState: 'COMMITTED' },
    ],
    to: { status: 'CANCELLED' },
    kind: 'decision',
    when: 'cancelOrder: the customer or an admin, the only ones who may cancel a confirmed order',
  },
  ship: {
    from: [{ status: 'CONFIRMED', stockState: 'COMMITTED' }],
    to: { status: 'SHIPPED' },
    kind: 'decision',
    when: 'shipOrder (admin)',
  },
  commit: {
    from: [{ status: 'CONFIRMED', stockState: 'RESERVED' }],
    to: { stockState: 'COMMITTED' },
    kind: 'settlement',
    messages: ['commitStock'],
    products: 'COMMITTED',
    when: 'the order is confirmed: its stock stays taken',
  },
  release: {
    from: [{ status: 'CANCELLED', stockState: 'UNKNOWN' }],
    to: { stockState: 'RELEASED' },
    kind: 'settlement',
    messages: ['releaseStock'],
    products: 'RELEASED',
    when: 'cancelled before confirmation: stock given back if taken, a late reserve refused',
  },
  return: {
    from: [
      { status: 'CANCELLED', stockState: 'RESERVED' },
      { status: 'CANCELLED', stockState: 'COMMITTED' },
    ],
    to: { stockState: 'RETURNED' },
    kind: 'settlement',
    messages: ['commitStock', 'returnStock'],
    products: 'RETURNED',
    when: 'a confirmed order was cancelled: its stock goes back',
  },
} as const satisfies Record<string, Transition>;

export type OrderTransition = keyof typeof ORDER_TRANSITIONS;
export type Settlement = {
  [Name in OrderTransition]: (typeof ORDER_TRANSITIONS)[Name]['kind'] extends 'settlement' ? Name : never;
}[OrderTransition];

const matches = (state: SagaState, candidates: readonly SagaState[]) =>
  candidates.some((from) => from.status === state.status && from.stockState === state.stockState);

/** True when `transition` may move an order in `state`. */
const mayMove = (transition: OrderTransition, state: SagaState) => matches(state, ORDER_TRANSITIONS[transition].from);

const SETTLEMENTS = (Object.keys(ORDER_TRANSITIONS) as OrderTransition[]).filter(
  (name): name is Settlement => ORDER_TRANSITIONS[name].kind === 'settlement',
);

/** The settlement an order in `state` still needs, or null when products already agrees with it. */
export const settlementFor = (state: SagaState): Settlement | null =>
  SETTLEMENTS.find((name) => mayMove(name, state)) ?? null;

/** The states in which an order waits for a settlement: what the recovery sweep looks for (besides PENDING). */
export const UNSETTLED_STATES: readonly SagaState[] = SETTLEMENTS.flatMap(
  (name): readonly SagaState[] => ORDER_TRANSITIONS[name].from,
);
