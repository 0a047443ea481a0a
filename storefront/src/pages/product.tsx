import { useState } from 'react';
import { Link } from 'wouter';
import { addToCart, cart, MAX_QUANTITY } from '../cart.js';
import type { GraphQLErrorShape } from '../graphql-client.js';
import { formatMoney } from '../money.js';
import { ProductPageDocument } from '../operations.generated.js';
import { ErrorNotice, Loading, PageTitle } from '../ui.js';
import { useQuery } from '../use-query.js';

export function ProductPage({ sku }: { sku: string }) {
  const { result, loading, networkError, retry } = useQuery(ProductPageDocument, { sku });
  const lines = cart.use();
  const [quantity, setQuantity] = useState(1);
  const [added, setAdded] = useState('');
  const product = result?.data?.product;

  if (networkError) return <ErrorNotice errors={networkError} retry={retry} />;
  if (loading && !result) return <Loading what="the product" />;
  if (!product) {
    return (
      <>
        <PageTitle>Product not found</PageTitle>
        {result && <ErrorNotice errors={result.errors} retry={retry} />}
        <p>
          There is no product with the code {sku}. <Link href="/">Browse the catalogue</Link>
        </p>
      </>
    );
  }
  const inCart = lines.find((line) => line.productId === product.id)?.quantity ?? 0;
  // faqs is null only when the FAQ service failed: the product still shows, with a notice where the FAQs go.
  const aboutFaqs = (error: GraphQLErrorShape) =>
    error.extensions?.serviceName === 'faq' || error.path?.includes('faqs') === true;
  const otherErrors = (result?.errors ?? []).filter((error) => !aboutFaqs(error));

  return (
    <article className="product">
      <p className="breadcrumb">
        <Link href="/">Catalogue</Link>
        {product.category && (
          <>
            {' › '}
            <Link href={`/?category=${encodeURIComponent(product.category.slug)}`}>{product.category.name}</Link>
          </>
        )}
      </p>
      <PageTitle>{product.name}</PageTitle>
      <ErrorNotice errors={otherErrors} />
      <p className="sku muted">SKU {product.sku}</p>
      <p>{product.description}</p>
      <p className="price">{formatMoney(product.price)}</p>
      <p className={product.stock > 0 ? 'stock' : 'stock sold-out'} data-testid="stock">
        {product.stock > 0 ? `${product.stock} in stock` : 'Sold out'}
      </p>
      {product.stock > 0 && (
        <form
          className="add-to-cart"
          onSubmit={(event) => {
            event.preventDefault();
            addToCart(
              { productId: product.id, sku: product.sku, name: product.name, unitPrice: product.price },
              quantity,
            );
            setAdded(`Added ${quantity} × ${product.name} to your cart.`);
          }}
        >
          <label>
            Quantity
            <input
              type="number"
              min={1}
              max={Math.min(MAX_QUANTITY, product.stock)}
              value={quantity}
              onChange={(event) => setQuantity(Math.max(1, Math.floor(Number(event.target.value) || 1)))}
            />
          </label>
          <button type="submit">Add to cart</button>
          <span role="status" className="muted">
            {added || (inCart > 0 ? `${inCart} in your cart` : '')}
          </span>
        </form>
      )}

      <section aria-labelledby="faqs">
        <h2 id="faqs">Questions and answers</h2>
        {product.faqs === undefined ? (
          // Deferred: the product shows first, its questions and answers follow.
          <p className="muted" data-testid="faqs-loading">
            Loading questions and answers…
          </p>
        ) : product.faqs === null ? (
          <p className="notice warning" role="status">
            Questions and answers can't be shown right now; the rest of this page is up to date.
          </p>
        ) : product.faqs?.length ? (
          <dl className="faqs">
            {product.faqs.map((faq) => (
              <div key={faq.id}>
                <dt>{faq.question}</dt>
                <dd>{faq.answer}</dd>
              </div>
            ))}
          </dl>
        ) : (
          <p className="muted">
            No questions about this product yet. See the <Link href="/help">help centre</Link>.
          </p>
        )}
      </section>
    </article>
  );
}
