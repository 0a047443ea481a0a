import type { ReservationStatus } from './generated/prisma/client.js';

export type { ReservationStatus } from './generated/prisma/client.js';

/**
 * Every state change of a stock reservation (one per order): the only transitions that exist. Each is a
 * compare-and-set in the products database, so a late or repeated message finds the reservation already moved
 * and changes nothing. `null` is "no reservation yet". `stock` says what the transition does to the products'
 * stock. A COMMITTED reservation is never released: only `return`, which orders sends after cancelling a
 * confirmed order, gives its units back. Rendered in docs/ORDER-SAGA.md (a test keeps the two in step).
 */
export const RESERVATION_TRANSITIONS = {
  reserve: { from: [null], to: 'RESERVED', stock: 'take', message: 'reserveStock' },
  release: { from: [null, 'RESERVED'], to: 'RELEASED', stock: 'give back', message: 'releaseStock' },
  commit: { from: ['RESERVED'], to: 'COMMITTED', stock: 'keep', message: 'commitStock' },
  return: { from: ['COMMITTED'], to: 'RETURNED', stock: 'give back', message: 'returnStock' },
} as const satisfies Record<
  string,
  {
    from: readonly (ReservationStatus | null)[];
    to: ReservationStatus;
    stock: 'take' | 'give back' | 'keep';
    message: string;
  }
>;

export type ReservationTransition = keyof typeof RESERVATION_TRANSITIONS;

/** True when `transition` may move a reservation in `status` (null: none exists). */
export const reservationMayMove = (transition: ReservationTransition, status: ReservationStatus | null) =>
  (RESERVATION_TRANSITIONS[transition].from as readonly (ReservationStatus | null)[]).includes(status);
