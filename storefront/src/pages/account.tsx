import { type FormEvent, useState } from 'react';
import { useLocation } from 'wouter';
import { execute, type GraphQLErrorShape } from '../graphql-client.js';
import { CloseAccountDocument, MeDocument, RenameDocument } from '../operations.generated.js';
import { session } from '../session.js';
import { ErrorNotice, Loading, PageTitle } from '../ui.js';
import { useQuery } from '../use-query.js';

export function AccountPage() {
  const { result, loading, networkError, retry } = useQuery(MeDocument, {});
  const me = result?.data?.me;
  const [, navigate] = useLocation();
  const [renameState, setRenameState] = useState<{ errors: GraphQLErrorShape[] | string; saved?: string }>({
    errors: [],
  });
  const [closeErrors, setCloseErrors] = useState<GraphQLErrorShape[] | string>([]);
  const [pending, setPending] = useState(false);

  async function rename(event: FormEvent<HTMLFormElement>) {
    event.preventDefault();
    const name = String(new FormData(event.currentTarget).get('name') ?? '').trim();
    setPending(true);
    try {
      const renamed = await execute(RenameDocument, { name });
      const current = session.get();
      if (renamed.data && current)
        session.set({ ...current, user: { ...current.user, name: renamed.data.updateMe.name } });
      setRenameState({ errors: renamed.errors, ...(renamed.data ? { saved: renamed.data.updateMe.name } : {}) });
    } catch (error) {
      setRenameState({ errors: (error as Error).message });
    } finally {
      setPending(false);
    }
  }

  async function closeAccount(event: FormEvent<HTMLFormElement>) {
    event.preventDefault();
    const password = String(new FormData(event.currentTarget).get('password') ?? '');
    setPending(true);
    try {
      const closed = await execute(CloseAccountDocument, { password });
      setCloseErrors(closed.errors);
      if (closed.data?.closeAccount) {
        session.clear();
        navigate('/', { replace: true });
      }
    } catch (error) {
      setCloseErrors((error as Error).message);
    } finally {
      setPending(false);
    }
  }

  if (networkError) return <ErrorNotice errors={networkError} retry={retry} />;
  if (loading && !me) return <Loading what="your account" />;
  return (
    <>
      <PageTitle>Your account</PageTitle>
      {result && <ErrorNotice errors={result.errors} />}
      {me && (
        <>
          <dl className="details">
            <dt>Name</dt>
            <dd>{me.name}</dd>
            <dt>Email</dt>
            <dd>{me.email}</dd>
            <dt>Customer since</dt>
            <dd>{new Date(me.createdAt).toLocaleDateString()}</dd>
          </dl>
          <section aria-labelledby="rename">
            <h2 id="rename">Change your name</h2>
            <ErrorNotice errors={renameState.errors} />
            {renameState.saved && <p role="status">Saved: you are now {renameState.saved}.</p>}
            <form className="stacked" onSubmit={rename}>
              <label>
                Name
                <input name="name" defaultValue={me.name} required maxLength={100} autoComplete="name" />
              </label>
              <button type="submit" disabled={pending}>
                Save name
              </button>
            </form>
          </section>
          <section aria-labelledby="close">
            <h2 id="close">Close your account</h2>
            <p>
              Your name, email and password are erased and you are logged out everywhere. Your orders stay for the
              shop's books. This cannot be undone.
            </p>
            <ErrorNotice errors={closeErrors} />
            <form className="stacked" onSubmit={closeAccount}>
              <label>
                Your password, to confirm
                <input type="password" name="password" required autoComplete="current-password" />
              </label>
              <button type="submit" className="danger" disabled={pending}>
                Close my account
              </button>
            </form>
          </section>
        </>
      )}
    </>
  );
}
