import { cacheTag } from '@shop/platform';
import type { CacheDescription, RowChange } from '@shop/subgraph-runtime';
import type { ProductOrder, ProductQuery } from './repository.js';

/**
 * What products' lists read and what its row changes mean, in cache tags (README: "Cache"). A list reads one
 * tag per dimension it depends on (which products it holds, and in which order); a change names each dimension
 * it moved. Lists: `Product[all]` (the catalogue no filter narrows), `Product[category:<id>]`, `Product[inStock]`,
 * `Product[price]`, `Product[text]` (name, description, SKU: searched, and the name ordering), `Product[sku:<sku>]`
 * (a lookup by SKU), `Category[all]`.
 */
const list = (dimension: string) => cacheTag.list('Product', dimension);
export const categoryList = cacheTag.list('Category', 'all');
export const skuLookup = (sku: string) => list(`sku:${sku}`);

/**
 * The tags a catalogue list reads: its filters' dimensions and its ordering. `categoryId` is the filtered
 * category's id when the page showed a product of it; an empty page of a category (or of an unknown slug) reads
 * `Product[all]` instead, which every product joining or leaving any category drops.
 */
export function catalogueReads(query: ProductQuery, order: ProductOrder, categoryId: string | null): string[] {
  const tags = query.ids ? query.ids.map((id) => cacheTag.entity('Product', id)) : [];
  if (query.categorySlug !== undefined) {
    tags.push(categoryList, list(categoryId ? `category:${categoryId}` : 'all'));
  } else if (!query.ids) tags.push(list('all'));
  if (query.inStock !== undefined) tags.push(list('inStock'));
  if (query.minPrice !== undefined || query.maxPrice !== undefined || order.startsWith('PRICE'))
    tags.push(list('price'));
  if (query.search !== undefined || order === 'NAME_ASC') tags.push(list('text'));
  return tags;
}

/** A category's products page (in name order). */
export const categoryPageReads = (categoryId: string) => [list(`category:${categoryId}`), list('text')];

type Row = Record<string, unknown>;
const changed = (before: Row | null, after: Row | null, ...columns: string[]) =>
  columns.some((column) => before?.[column] !== after?.[column]);
const inStock = (row: Row | null) => typeof row?.stock === 'number' && row.stock > 0;

function productChangeTags(before: Row | null, after: Row | null): string[] {
  const row = (after ?? before) as Row;
  const tags = [cacheTag.entity('Product', String(row.id))];
  const listed = (candidate: Row | null) => candidate !== null && candidate.archived_at === null;
  // Joined or left the catalogue (created, archived, deleted), or moved between categories.
  if (listed(before) !== listed(after) || changed(before, after, 'category_id')) {
    tags.push(list('all'));
    for (const side of [before, after]) if (side?.category_id) tags.push(list(`category:${side.category_id}`));
  }
  if (inStock(before) !== inStock(after)) tags.push(list('inStock'));
  if (changed(before, after, 'price_amount')) tags.push(list('price'));
  if (changed(before, after, 'name', 'description', 'sku')) tags.push(list('text'));
  if (changed(before, after, 'sku'))
    for (const side of [before, after]) if (side) tags.push(skuLookup(String(side.sku)));
  return tags;
}

export const productsCache: CacheDescription = {
  entities: ['Product', 'Category'],
  changeTags: ({ table, before, after }: RowChange) => {
    if (table === 'products') return productChangeTags(before, after);
    const row = (after ?? before) as Row;
    return [cacheTag.entity('Category', String(row.id)), categoryList];
  },
};
