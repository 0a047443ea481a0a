import { describe, expect, it } from 'vitest';
import { type CachedAnswer, memoryStore } from '../answer-store.js';

/** The in-memory store of the response cache: answers by key, dropped by the tags of what they show. */
const answer = (body: string, maxAge = 60): CachedAnswer => ({ body, maxAge, scope: 'PUBLIC', storedAt: Date.now() });

describe('the in-memory answer store', () => {
  it('keeps answers by key and drops every answer carrying a changed tag', async () => {
    const store = memoryStore(10);
    await store.set('a', answer('A'), new Set(['Product:1', 'Product[]']));
    await store.set('b', answer('B'), new Set(['Product:2']));
    expect((await store.get(['a', 'b', 'c'])).map((found) => found?.body ?? null)).toEqual(['A', 'B', null]);
    await store.drop(new Set(['Product[]']));
    expect((await store.get(['a', 'b'])).map((found) => found?.body ?? null)).toEqual([null, 'B']);
  });

  it('holds at most its size, the least recently used going first', async () => {
    const store = memoryStore(2);
    await store.set('a', answer('A'), new Set(['t']));
    await store.set('b', answer('B'), new Set(['t']));
    await store.get(['a']);
    await store.set('c', answer('C'), new Set(['t']));
    expect((await store.get(['a', 'b', 'c'])).map((found) => found?.body ?? null)).toEqual(['A', null, 'C']);
  });

  it('forgets an answer past its max-age', async () => {
    const store = memoryStore(10);
    await store.set('a', answer('A', 0.05), new Set());
    await new Promise((resolve) => setTimeout(resolve, 80));
    expect(await store.get(['a'])).toEqual([null]);
  });
});
