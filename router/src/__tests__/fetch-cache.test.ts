import { createLogger, type Viewer } from '@shop/platform';
import { describe, expect, it } from 'vitest';
import { createFetchCache } from '../cache/fetch-cache.js';
import { type CachedFetch, type CacheStore, layeredStore, memoryStore } from '../cache/store.js';
import { newPipeline } from '../context.js';
import type { CacheHint } from '../executor/subgraph-client.js';

/** The fetch cache and its memory store on their own: keys, scopes, tags, races with drops, staleness. */
const log = createLogger('test', 'silent');
const entry = (data: string, tags: string[], maxAge = 60): CachedFetch => ({
  data,
  maxAge,
  scope: 'PUBLIC',
  fetchedAt: Date.now(),
  tags,
});
const ada: Viewer = { id: 'ada', role: 'CUSTOMER' } as Viewer;
const linus: Viewer = { id: 'linus', role: 'CUSTOMER' } as Viewer;
const PUBLIC: CacheHint = { maxAge: 30, scope: 'PUBLIC' };
const PRIVATE: CacheHint = { maxAge: 15, scope: 'PRIVATE' };

function cacheOn(backing: CacheStore = memoryStore(100), staleIfErrorSeconds = 300, freshForSeconds = 0) {
  const parts: string[] = [];
  const cache = createFetchCache({
    store: backing,
    freshForSeconds,
    staleIfErrorSeconds,
    log,
    onPart: (subgraph, result, count) => parts.push(`${subgraph}:${result}:${count}`),
    follows: () => true,
  });
  const request = (viewer: Viewer | null) => cache.forRequest(viewer, newPipeline(), () => undefined);
  /** Stores, then waits for the store (the cache stores without making the request wait). */
  const store = async (
    viewer: Viewer | null,
    part: string,
    data: unknown,
    tags: string[],
    hint = PUBLIC,
    at = Date.now(),
  ) => {
    request(viewer).store('products', 'op', part, data, tags, hint, at);
    await new Promise((resolve) => setImmediate(resolve));
  };
  const read = async (viewer: Viewer | null, part: string) =>
    (await request(viewer).lookup('products', 'op', [part]))[0];
  return { cache, parts, request, store, read };
}

describe('the memory store', () => {
  it('keeps entries by key and drops every entry carrying a changed tag', async () => {
    const store = memoryStore(10);
    await store.set('a', entry('"A"', ['Product:1', 'Product[all]']), 60);
    await store.set('b', entry('"B"', ['Product:2']), 60);
    expect((await store.get(['a', 'b', 'c'])).map((found) => found?.data ?? null)).toEqual(['"A"', '"B"', null]);
    await store.drop(['Product[all]']);
    expect((await store.get(['a', 'b'])).map((found) => found?.data ?? null)).toEqual([null, '"B"']);
  });

  it('holds at most its size, the least recently used going first', async () => {
    const store = memoryStore(2);
    await store.set('a', entry('"A"', ['t']), 60);
    await store.set('b', entry('"B"', ['t']), 60);
    await store.get(['a']);
    await store.set('c', entry('"C"', ['t']), 60);
    expect((await store.get(['a', 'b', 'c'])).map((found) => found?.data ?? null)).toEqual(['"A"', null, '"C"']);
  });

  it('forgets an entry after the time it is kept', async () => {
    const store = memoryStore(10);
    await store.set('a', entry('"A"', []), 0.05);
    await new Promise((resolve) => setTimeout(resolve, 80));
    expect(await store.get(['a'])).toEqual([null]);
  });
});

describe('the fetch cache', () => {
  it('serves a public part to everybody, a private one only to its user, and keeps none for anonymous callers', async () => {
    const { store, read } = cacheOn();
    await store(null, 'public', { name: 'Lamp' }, ['Product:1']);
    await store(ada, 'mine', { me: 'ada' }, ['User:ada'], PRIVATE);
    await store(null, 'nobody', { me: null }, [], PRIVATE);
    expect((await read(linus, 'public'))?.data).toEqual({ name: 'Lamp' });
    expect((await read(null, 'public'))?.data).toEqual({ name: 'Lamp' });
    expect((await read(ada, 'mine'))?.data).toEqual({ me: 'ada' });
    expect(await read(linus, 'mine')).toBeNull();
    expect(await read(null, 'mine')).toBeNull();
    expect(await read(null, 'nobody')).toBeNull();
  });

  it('gives each use its own copy of the data', async () => {
    const { store, read } = cacheOn();
    await store(null, 'p', { list: [1] }, []);
    const first = await read(null, 'p');
    (first?.data.list as number[] | undefined)?.push(2);
    expect(first?.data).toEqual({ list: [1, 2] });
    expect((await read(null, 'p'))?.data).toEqual({ list: [1] });
  });

  it('drops what a change names, and neither keeps nor serves a part fetched before a drop of its tags', async () => {
    const { cache, store, read } = cacheOn();
    await store(null, 'one', { id: 1 }, ['Product:1']);
    await store(null, 'two', { id: 2 }, ['Product:2']);
    const startedBefore = Date.now() - 5;
    await cache.drop(['Product:1']);
    expect(await read(null, 'one')).toBeNull();
    expect((await read(null, 'two'))?.data).toEqual({ id: 2 });
    await store(null, 'late', { id: 1 }, ['Product:1'], PUBLIC, startedBefore);
    expect(await read(null, 'late')).toBeNull();
    await store(null, 'after', { id: 1 }, ['Product:1'], PUBLIC, Date.now() + 1);
    expect((await read(null, 'after'))?.data).toEqual({ id: 1 });
  });

  it('drops everything a subgraph answered when the change feed lost track of it', async () => {
    const { cache, store, read } = cacheOn();
    await store(null, 'p', { id: 1 }, ['Product:1']);
    await cache.lostTrack('products');
    expect(await read(null, 'p')).toBeNull();
  });

  it('keeps nothing with no max-age; a part past its max-age is stale, servable only while public and young enough', async () => {
    const { store, read } = cacheOn(memoryStore(100), 10);
    await store(null, 'uncacheable', { id: 1 }, [], { maxAge: 0, scope: 'PUBLIC' });
    expect(await read(null, 'uncacheable')).toBeNull();
    await store(null, 'old', { id: 1 }, [], PUBLIC, Date.now() - 35_000);
    const old = await read(null, 'old');
    expect(old?.fresh).toBe(false);
    expect(old?.servableStale).toBe(true);
    await store(null, 'older', { id: 1 }, [], PUBLIC, Date.now() - 39_000);
    expect((await read(null, 'older'))?.servableStale).toBe(true);
    await store(ada, 'private', { id: 1 }, [], { maxAge: 1, scope: 'PRIVATE' }, Date.now() - 1_500);
    expect(await read(ada, 'private')).toBeNull(); // private parts are kept for their max-age only
  });

  it('keeps a part fresh past its max-age while its subgraph is followed, up to the fresh time', async () => {
    const { store, read } = cacheOn(memoryStore(100), 0, 60);
    await store(null, 'followed', { id: 1 }, [], PUBLIC, Date.now() - 45_000);
    expect((await read(null, 'followed'))?.fresh).toBe(true);
    await store(null, 'too old', { id: 1 }, [], PUBLIC, Date.now() - 61_000);
    expect(await read(null, 'too old')).toBeNull();
  });

  it('counts hits and the parts that went to a subgraph', async () => {
    const { store, request, parts } = cacheOn();
    await store(null, 'p', { id: 1 }, []);
    const pipeline = newPipeline();
    const cache = createFetchCache({
      store: memoryStore(1),
      freshForSeconds: 0,
      staleIfErrorSeconds: 0,
      log,
      onPart: () => undefined,
      follows: () => true,
    });
    const used = cache.forRequest(null, pipeline, () => undefined);
    await used.lookup('products', 'op', ['a', 'b']);
    used.fetched('products', 2);
    expect(pipeline.cache).toMatchObject({ hits: 0, fetched: 2 });
    await request(null).lookup('products', 'op', ['p', 'q']);
    expect(parts).toContain('products:hit:1');
  });
});

describe('memory in front of a shared store', () => {
  it('asks the shared store on a miss, keeps what it found, and drops in both', async () => {
    const memory = memoryStore(10);
    const shared = memoryStore(10);
    const layered = layeredStore(memory, shared, () => 60);
    await shared.set('k', entry('"shared"', ['Product:1']), 60);
    expect((await layered.get(['k']))[0]?.data).toBe('"shared"');
    expect((await memory.get(['k']))[0]?.data).toBe('"shared"');
    await layered.drop(['Product:1']);
    expect(await layered.get(['k'])).toEqual([null]);
  });
});
