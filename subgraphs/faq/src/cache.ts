import { cacheTag } from '@shop/platform';
import type { CacheDescription } from '@shop/subgraph-runtime';

/**
 * What FAQ lists read and what FAQ row changes mean, in cache tags (README: "Cache"). Lists: `Faq[all]` (no
 * topic or product narrows them), `Faq[topic:<topic>]`, `Faq[product:<id>]`, `Faq[text]` (searched question and
 * answer). Every list is in creation order, which no change moves.
 */
const list = (dimension: string) => cacheTag.list('Faq', dimension);
export const productFaqsReads = (productId: string) => [list(`product:${productId}`)];

export function faqListReads(query: {
  search?: string | undefined;
  topic?: string | undefined;
  productId?: string | undefined;
}) {
  const tags: string[] = [];
  if (query.topic !== undefined) tags.push(list(`topic:${query.topic}`));
  if (query.productId !== undefined) tags.push(list(`product:${query.productId}`));
  if (tags.length === 0) tags.push(list('all'));
  if (query.search !== undefined) tags.push(list('text'));
  return tags;
}

type Row = Record<string, unknown>;

export const faqCache: CacheDescription = {
  entities: ['Faq'],
  changeTags: ({ before, after }) => {
    const row = (after ?? before) as Row;
    const tags = [cacheTag.entity('Faq', String(row.id))];
    const moved = (column: string) => before?.[column] !== after?.[column];
    if (!before || !after) tags.push(list('all'));
    for (const [column, dimension] of [
      ['topic', 'topic'],
      ['product_id', 'product'],
    ] as const) {
      if (!moved(column)) continue;
      for (const side of [before, after]) if (side?.[column]) tags.push(list(`${dimension}:${side[column]}`));
    }
    if (moved('question') || moved('answer')) tags.push(list('text'));
    return tags;
  },
};
