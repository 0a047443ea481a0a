import type { FormEvent } from 'react';
import { Link, useSearchParams } from 'wouter';
import { addToCart } from '../cart.js';
import { execute } from '../graphql-client.js';
import { formatMoney } from '../money.js';
import { CatalogueDocument, type CatalogueQueryVariables, type ProductOrderBy } from '../operations.generated.js';
import { ErrorNotice, Loading, PageTitle } from '../ui.js';
import { useMorePages } from '../use-more-pages.js';
import { useQuery } from '../use-query.js';

const ORDERINGS: { value: ProductOrderBy; label: string }[] = [
  { value: 'NEWEST', label: 'Newest first' },
  { value: 'NAME_ASC', label: 'Name, A to Z' },
  { value: 'PRICE_ASC', label: 'Price, low to high' },
  { value: 'PRICE_DESC', label: 'Price, high to low' },
];

/** The filters live in the address (?search=&category=&maxPrice=&orderBy=), so a filtered list can be shared. */
function variablesFrom(params: URLSearchParams): CatalogueQueryVariables {
  const maxEuros = Number(params.get('maxPrice'));
  const orderBy = ORDERINGS.find((ordering) => ordering.value === params.get('orderBy'))?.value ?? 'NEWEST';
  return {
    search: params.get('search') || null,
    category: params.get('category') || null,
    maxPrice: params.get('maxPrice') && Number.isFinite(maxEuros) ? Math.round(maxEuros * 100) : null,
    orderBy,
  };
}

export function CataloguePage() {
  const [params, setParams] = useSearchParams();
  const variables = variablesFrom(params);
  const { result, loading, networkError, retry } = useQuery(CatalogueDocument, variables);
  const data = result?.data;
  const more = useMorePages(
    result,
    (page) => page.products,
    (after) => execute(CatalogueDocument, { ...variables, after }),
  );

  function apply(event: FormEvent<HTMLFormElement>) {
    event.preventDefault();
    const form = new FormData(event.currentTarget);
    const next = new URLSearchParams();
    for (const name of ['search', 'category', 'maxPrice', 'orderBy']) {
      const value = String(form.get(name) ?? '').trim();
      if (value && !(name === 'orderBy' && value === 'NEWEST')) next.set(name, value);
    }
    setParams(next);
  }

  return (
    <>
      <PageTitle>Catalogue</PageTitle>
      <search>
        <form className="filters" onSubmit={apply} key={params.toString()}>
          <label>
            Search
            <input type="search" name="search" defaultValue={variables.search ?? ''} maxLength={200} />
          </label>
          <label>
            Category
            <select
              name="category"
              defaultValue={variables.category ?? ''}
              onChange={(event) => event.currentTarget.form?.requestSubmit()}
            >
              <option value="">All categories</option>
              {data?.categories.map((category) => (
                <option key={category.slug} value={category.slug}>
                  {category.name}
                </option>
              ))}
            </select>
          </label>
          <label>
            Up to (€)
            <input
              type="number"
              name="maxPrice"
              min="0"
              step="0.01"
              inputMode="decimal"
              defaultValue={params.get('maxPrice') ?? ''}
            />
          </label>
          <label>
            Order
            <select
              name="orderBy"
              defaultValue={variables.orderBy ?? 'NEWEST'}
              onChange={(event) => event.currentTarget.form?.requestSubmit()}
            >
              {ORDERINGS.map((ordering) => (
                <option key={ordering.value} value={ordering.value}>
                  {ordering.label}
                </option>
              ))}
            </select>
          </label>
          <button type="submit">Apply</button>
        </form>
      </search>

      {networkError && <ErrorNotice errors={networkError} retry={retry} />}
      {result && <ErrorNotice errors={result.errors} />}
      {loading && !data && <Loading what="products" />}
      {data && (
        <section aria-labelledby="results" aria-busy={loading}>
          <h2 id="results" className="count" aria-live="polite">
            {data.products.totalCount === 0
              ? 'No products match these filters.'
              : `${data.products.totalCount} product${data.products.totalCount === 1 ? '' : 's'}`}
          </h2>
          <ul className="product-grid">
            {more.edges.map(({ node }) => (
              <li key={node.id} className="card">
                <h3>
                  <Link href={`/products/${encodeURIComponent(node.sku)}`}>{node.name}</Link>
                </h3>
                <p className="muted">{node.category?.name ?? 'Uncategorised'}</p>
                <p className="price">{formatMoney(node.price)}</p>
                <p className={node.stock > 0 ? 'stock' : 'stock sold-out'}>
                  {node.stock > 0 ? 'In stock' : 'Sold out'}
                </p>
                <button
                  type="button"
                  disabled={node.stock === 0}
                  onClick={() =>
                    addToCart({ productId: node.id, sku: node.sku, name: node.name, unitPrice: node.price })
                  }
                >
                  Add to cart<span className="visually-hidden">: {node.name}</span>
                </button>
              </li>
            ))}
          </ul>
          <ErrorNotice errors={more.errors} />
          {more.hasMore && (
            <button type="button" className="load-more" onClick={more.loadMore} disabled={more.loading}>
              {more.loading ? 'Loading…' : `Load more (${more.edges.length} of ${data.products.totalCount} shown)`}
            </button>
          )}
        </section>
      )}
    </>
  );
}
