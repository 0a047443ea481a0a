import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { ORDER_TRANSITIONS, type SagaState, settlementFor, UNSETTLED_STATES } from '../order-states.js';

const state = ({ status, stockState }: Partial<SagaState>) => [status ?? '·', stockState ?? '·'].join(' / ');

/** The table docs/ORDER-SAGA.md shows, rendered from the code's single source. */
function transitionTable(): string {
  const rows = Object.entries(ORDER_TRANSITIONS).map(([name, transition]) => {
    const messages = 'messages' in transition ? transition.messages.map((message) => `\`${message}\``).join(', ') : '—';
    const from = transition.from.map(state).join('<br>');
    return `| \`${name}\` | ${transition.kind} | ${from} | ${state(transition.to)} | ${messages} | ${transition.when} |`;
  });
  return [
    '| transition | kind | from (status / stock) | to | products first | when |',
    '| --- | --- | --- | --- | --- | --- |',
    ...rows,
  ].join('\n');
}

describe('order transitions', () => {
  it('are the table docs/ORDER-SAGA.md shows', () => {
    const doc = readFileSync(new URL('../../../../docs/ORDER-SAGA.md', import.meta.url), 'utf8');
    expect(doc, `docs/ORDER-SAGA.md should contain:\n${transitionTable()}`).toContain(transitionTable());
  });

  it('leave every reachable state with at most one settlement to do, and settled states with none', () => {
    const settled: SagaState[] = [
      { status: 'CONFIRMED', stockState: 'COMMITTED' },
      { status: 'SHIPPED', stockState: 'COMMITTED' },
      { status: 'CANCELLED', stockState: 'RELEASED' },
      { status: 'CANCELLED', stockState: 'RETURNED' },
    ];
    for (const done of settled) expect(settlementFor(done), state(done)).toBeNull();
    expect(UNSETTLED_STATES.map(state)).toEqual([
      'CONFIRMED / RESERVED',
      'CANCELLED / UNKNOWN',
      'CANCELLED / RESERVED',
      'CANCELLED / COMMITTED',
    ]);
  });
});
