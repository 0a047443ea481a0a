import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { RESERVATION_TRANSITIONS } from '../reservation-states.js';

/** The table docs/ORDER-SAGA.md shows, rendered from the code's single source. */
function transitionTable(): string {
  const rows = Object.entries(RESERVATION_TRANSITIONS).map(
    ([name, transition]) =>
      `| \`${name}\` | \`${transition.message}\` | ${transition.from.map((from) => from ?? 'none').join(', ')} | ${transition.to} | ${transition.stock} |`,
  );
  return ['| transition | message | from | to | stock |', '| --- | --- | --- | --- | --- |', ...rows].join('\n');
}

describe('reservation transitions', () => {
  it('are the table docs/ORDER-SAGA.md shows', () => {
    const doc = readFileSync(new URL('../../../../docs/ORDER-SAGA.md', import.meta.url), 'utf8');
    expect(doc, `docs/ORDER-SAGA.md should contain:\n${transitionTable()}`).toContain(transitionTable());
  });
});
