import { createHash } from 'node:crypto';
import { type ApolloServerPlugin, HeaderMap } from '@apollo/server';
import type { Logger } from '@shop/platform';
import stableStringify from 'fast-json-stable-stringify';
import type { AnswerStore, CachedAnswer } from './answer-store.js';
import { cacheTags, tagsToDrop } from './cache-tags.js';
import type { RouterContext } from './context.js';

/**
 * The router's response cache (README: "Response cache"). Whole answers to queries are kept for the max-age
 * the subgraphs' `@cacheControl` hints give them (Apollo Server combines the hints into each answer's policy):
 * PUBLIC answers under the operation and its variables, PRIVATE ones under the verified user as well, never
 * shared between users, and never kept for anonymous callers. Answers with errors are not kept.
 *
 * A mutation drops the answers that show what it changed: the subgraphs say what that was
 * (`extensions.invalidates`, collected by the gateway's data sources into the context), and each cached answer
 * carries the tags of what it shows. A store that fails (Redis down) makes requests uncached, never failed.
 */
export function responseCache(store: AnswerStore, log: Logger): ApolloServerPlugin<RouterContext> {
  // A query computed before a mutation finished may be stored after its invalidation, and would then be stale
  // until it expires: an answer is stored only if no invalidation ran while it was being computed.
  let invalidations = 0;
  let reported = false;
  const failed = (error: unknown, doing: string) => {
    if (!reported) log.warn({ err: (error as Error).message }, `response cache: ${doing} failed; answering uncached`);
    reported = true;
  };

  return {
    async requestDidStart({ contextValue }) {
      const startedAt = invalidations;
      let keys: { public: string; private: string | null } | null = null;
      let hit: CachedAnswer | null = null;
      return {
        async responseForOperation({ operation, request, queryHash }) {
          if (operation.operation !== 'query') return null;
          const base = createHash('sha256')
            .update(`${queryHash}\n${request.operationName ?? ''}\n${stableStringify(request.variables ?? {})}`)
            .digest('base64url');
          const userId = contextValue.viewer?.id;
          keys = { public: `public:${base}`, private: userId ? `user:${userId}:${base}` : null };
          const [shared, own] = await store.get(keys.private ? [keys.public, keys.private] : [keys.public]).then(
            (answers) => {
              reported = false;
              return answers;
            },
            (error: unknown) => {
              failed(error, 'reading');
              return [];
            },
          );
          hit = shared ?? own ?? null;
          if (!hit) return null;
          contextValue.pipeline.cache = 'hit';
          const age = Math.max(0, Math.floor((Date.now() - hit.storedAt) / 1000));
          const headers = new HeaderMap([
            ['age', String(age)],
            ['x-cache', 'HIT'],
          ]);
          return { body: { kind: 'single', singleResult: JSON.parse(hit.body) }, http: { status: 200, headers } };
        },

        async willSendResponse({ response, overallCachePolicy, operation, schema, document }) {
          if (hit) {
            // Apollo Server writes Cache-Control from this policy; Age says how much of it is used up.
            overallCachePolicy.replace({ maxAge: hit.maxAge, scope: hit.scope });
            return;
          }
          if (operation?.operation === 'mutation' && contextValue.pipeline.invalidations.size > 0) {
            invalidations++;
            // Before the answer leaves, so the caller's next read cannot see what the mutation changed.
            await store
              .drop(tagsToDrop(contextValue.pipeline.invalidations))
              .catch((error) => failed(error, 'invalidating'));
            return;
          }
          if (!keys || !operation || !document || response.body.kind !== 'single') return;
          response.http.headers.set('x-cache', 'MISS');
          contextValue.pipeline.cache = 'miss';
          const result = response.body.singleResult;
          const policy = overallCachePolicy.policyIfCacheable();
          if (!policy || result.errors || !result.data || startedAt !== invalidations) return;
          const scope: CachedAnswer['scope'] = policy.scope === 'PRIVATE' ? 'PRIVATE' : 'PUBLIC';
          const key = scope === 'PUBLIC' ? keys.public : keys.private;
          if (!key) return; // private to nobody: an anonymous caller's answer about "the viewer"
          const fragments = Object.fromEntries(
            document.definitions.flatMap((definition) =>
              definition.kind === 'FragmentDefinition' ? [[definition.name.value, definition]] : [],
            ),
          );
          const tags = cacheTags(schema, operation, fragments, result.data);
          const answer = {
            body: JSON.stringify({ data: result.data }),
            maxAge: policy.maxAge,
            scope,
            storedAt: Date.now(),
          };
          await store.set(key, answer, tags).catch((error) => failed(error, 'storing'));
        },
      };
    },
  };
}
