import { type ReactNode, useEffect, useRef } from 'react';
import type { GraphQLErrorShape } from './graphql-client.js';

/**
 * The page's heading. It takes the focus when the page opens, so screen readers announce the new page and
 * keyboard users continue from the top of it.
 */
export function PageTitle({ children }: { children: ReactNode }) {
  const heading = useRef<HTMLHeadingElement>(null);
  useEffect(() => {
    heading.current?.focus();
    document.title = `${heading.current?.textContent ?? ''} · Shop Supergraph`;
  }, []);
  return (
    <h1 ref={heading} tabIndex={-1}>
      {children}
    </h1>
  );
}

export const Loading = ({ what }: { what: string }) => (
  <p className="loading" role="status">
    Loading {what}…
  </p>
);

/** A sentence for a visitor, from the error's stable code; the API's own message where it is already one. */
export function describeError(error: GraphQLErrorShape): string {
  switch (error.extensions?.code) {
    case 'SERVICE_UNAVAILABLE':
      return `The ${error.extensions.serviceName ?? 'requested'} service is unavailable right now; please try again shortly.`;
    case 'ORDER_NOT_PLACED':
      return 'Your order could not be placed, and nothing was charged. Place it again when you are ready.';
    case 'RATE_LIMITED':
      return 'Too many requests in a short time: wait a moment and try again.';
    case 'INTERNAL_SERVER_ERROR':
      return 'Something went wrong on our side. Please try again.';
    default:
      return error.message.charAt(0).toUpperCase() + error.message.slice(1);
  }
}

/** Errors as an alert, announced by screen readers when they appear. */
export function ErrorNotice({ errors, retry }: { errors: GraphQLErrorShape[] | string; retry?: () => void }) {
  if (errors.length === 0) return null;
  const messages = typeof errors === 'string' ? [errors] : [...new Set(errors.map(describeError))];
  return (
    <div className="notice error" role="alert">
      {messages.map((message) => (
        <p key={message}>{message}</p>
      ))}
      {retry && (
        <button type="button" onClick={retry}>
          Try again
        </button>
      )}
    </div>
  );
}
