import { type FormEvent, useState } from 'react';
import { Link, useSearchParams } from 'wouter';
import { HelpCentreDocument } from '../operations.generated.js';
import { ErrorNotice, Loading, PageTitle } from '../ui.js';
import { useQuery } from '../use-query.js';

export function HelpCentrePage() {
  const [params, setParams] = useSearchParams();
  const topic = params.get('topic') || null;
  const search = params.get('search') || null;
  const { result, loading, networkError, retry } = useQuery(HelpCentreDocument, { topic, search });
  // Topics as the unfiltered list shows them, remembered so the choice stays while one is selected.
  const [topics, setTopics] = useState<string[]>([]);
  const faqs = result?.data?.faqs;
  if (faqs && !topic && !search) {
    const seen = [...new Set(faqs.edges.map(({ node }) => node.topic))].sort();
    if (seen.join() !== topics.join()) setTopics(seen);
  }

  // Opened on a topic (a shared link): that topic and "All" until the unfiltered list has been seen.
  const shownTopics = topics.length > 0 || !topic ? topics : [topic];

  const choose = (next: { topic?: string | null; search?: string | null }) => {
    const updated = new URLSearchParams();
    const chosenTopic = next.topic === undefined ? topic : next.topic;
    const chosenSearch = next.search === undefined ? search : next.search;
    if (chosenTopic) updated.set('topic', chosenTopic);
    if (chosenSearch) updated.set('search', chosenSearch);
    setParams(updated);
  };

  return (
    <>
      <PageTitle>Help centre</PageTitle>
      <search>
        <form
          className="filters"
          key={search ?? ''}
          onSubmit={(event: FormEvent<HTMLFormElement>) => {
            event.preventDefault();
            choose({ search: String(new FormData(event.currentTarget).get('search') ?? '').trim() || null });
          }}
        >
          <label>
            Search questions
            <input type="search" name="search" defaultValue={search ?? ''} maxLength={200} />
          </label>
          <button type="submit">Search</button>
        </form>
      </search>
      {shownTopics.length > 0 && (
        <fieldset className="topics">
          <legend>Topic</legend>
          {[null, ...shownTopics].map((name) => (
            <button
              key={name ?? 'all'}
              type="button"
              aria-pressed={topic === name}
              onClick={() => choose({ topic: name })}
            >
              {name ?? 'All'}
            </button>
          ))}
        </fieldset>
      )}
      {networkError && <ErrorNotice errors={networkError} retry={retry} />}
      {result && <ErrorNotice errors={result.errors} />}
      {loading && !faqs && <Loading what="questions" />}
      {faqs && (
        <section aria-labelledby="answers" aria-busy={loading}>
          <h2 id="answers" className="count" aria-live="polite">
            {faqs.totalCount === 0
              ? 'No questions match.'
              : `${faqs.totalCount} question${faqs.totalCount === 1 ? '' : 's'}`}
          </h2>
          <dl className="faqs">
            {faqs.edges.map(({ node }) => (
              <div key={node.id}>
                <dt>{node.question}</dt>
                <dd>
                  {node.answer}
                  <span className="muted">
                    {' '}
                    · {node.topic}
                    {node.product && (
                      <>
                        {' · '}
                        <Link href={`/products/${encodeURIComponent(node.product.sku)}`}>{node.product.name}</Link>
                      </>
                    )}
                  </span>
                </dd>
              </div>
            ))}
          </dl>
          {faqs.pageInfo.hasNextPage && <p className="muted">Showing the first 50: narrow the search to see others.</p>}
        </section>
      )}
    </>
  );
}
