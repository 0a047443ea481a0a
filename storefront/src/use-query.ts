import type { TypedDocumentNode } from '@graphql-typed-document-node/core';
import { useCallback, useEffect, useState } from 'react';
import { execute, NetworkError, type Result } from './graphql-client.js';

export interface QueryState<Data> {
  /** The last answer for these variables: data, errors, or both (a page shows what it got). */
  result: Result<Data> | null;
  loading: boolean;
  /** No answer at all; `retry` asks again. */
  networkError: string | null;
  retry: () => void;
}

/** One query per page view: sent again when the variables change; a newer request aborts an older one. */
export function useQuery<Data, Variables>(
  document: TypedDocumentNode<Data, Variables>,
  variables: Variables,
): QueryState<Data> {
  const key = JSON.stringify(variables);
  const [attempt, setAttempt] = useState(0);
  const [state, setState] = useState<Omit<QueryState<Data>, 'retry'>>({
    result: null,
    loading: true,
    networkError: null,
  });
  // biome-ignore lint/correctness/useExhaustiveDependencies: `key` stands for the variables; attempt is a retry
  useEffect(() => {
    const controller = new AbortController();
    setState((previous) => ({ ...previous, loading: true, networkError: null }));
    // Deferred parts show as they come: the page renders what the first part holds at once.
    const onPart = (result: Result<Data>) => {
      if (!controller.signal.aborted) setState({ result, loading: false, networkError: null });
    };
    execute(document, JSON.parse(key) as Variables, controller.signal, onPart).then(
      (result) => setState({ result, loading: false, networkError: null }),
      (error: unknown) => {
        if (controller.signal.aborted) return;
        const message = error instanceof NetworkError ? error.message : 'something went wrong: try again';
        setState((previous) => ({ ...previous, loading: false, networkError: message }));
      },
    );
    return () => controller.abort();
  }, [document, key, attempt]);
  const retry = useCallback(() => setAttempt((count) => count + 1), []);
  return { ...state, retry };
}
