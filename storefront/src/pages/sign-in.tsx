import { type FormEvent, useState } from 'react';
import { Link, useLocation, useSearchParams } from 'wouter';
import { execute, type GraphQLErrorShape } from '../graphql-client.js';
import { LogInDocument, SignUpDocument } from '../operations.generated.js';
import { type Session, session } from '../session.js';
import { ErrorNotice, PageTitle } from '../ui.js';

/** Where to go once signed in: back to the page that asked (only a path on this site), else the catalogue. */
function useReturnTo() {
  const [params] = useSearchParams();
  const [, navigate] = useLocation();
  const next = params.get('next') ?? '/';
  return [next.startsWith('/') && !next.startsWith('//') ? next : '/', navigate] as const;
}

/** The shared form logic: one request in flight, its errors shown, the session kept on success. */
function useSignInForm() {
  const [returnTo, navigate] = useReturnTo();
  const [errors, setErrors] = useState<GraphQLErrorShape[] | string>([]);
  const [pending, setPending] = useState(false);
  async function submit(request: () => Promise<Session | null>) {
    setPending(true);
    setErrors([]);
    try {
      const signedIn = await request();
      if (signedIn) {
        session.set({ token: signedIn.token, user: signedIn.user });
        navigate(returnTo, { replace: true });
      }
    } catch (error) {
      setErrors((error as Error).message);
    } finally {
      setPending(false);
    }
  }
  const invalid = (field: string) =>
    typeof errors !== 'string' && errors.some((error) => error.extensions?.field?.endsWith(field));
  return { errors, setErrors, pending, submit, invalid, returnTo };
}

export function LogInPage() {
  const form = useSignInForm();
  function onSubmit(event: FormEvent<HTMLFormElement>) {
    event.preventDefault();
    const data = new FormData(event.currentTarget);
    form.submit(async () => {
      const result = await execute(LogInDocument, {
        email: String(data.get('email')),
        password: String(data.get('password')),
      });
      form.setErrors(result.errors);
      return result.data?.logIn ?? null;
    });
  }
  return (
    <>
      <PageTitle>Log in</PageTitle>
      {form.returnTo !== '/' && <p className="notice">Please log in to continue.</p>}
      <ErrorNotice errors={form.errors} />
      <form className="stacked" onSubmit={onSubmit}>
        <label>
          Email
          <input type="email" name="email" autoComplete="email" required aria-invalid={form.invalid('email')} />
        </label>
        <label>
          Password
          <input type="password" name="password" autoComplete="current-password" required />
        </label>
        <button type="submit" disabled={form.pending}>
          {form.pending ? 'Logging in…' : 'Log in'}
        </button>
      </form>
      <p>
        New here? <Link href={`/sign-up?next=${encodeURIComponent(form.returnTo)}`}>Create an account</Link>
      </p>
    </>
  );
}

export function SignUpPage() {
  const form = useSignInForm();
  function onSubmit(event: FormEvent<HTMLFormElement>) {
    event.preventDefault();
    const data = new FormData(event.currentTarget);
    form.submit(async () => {
      const result = await execute(SignUpDocument, {
        input: {
          name: String(data.get('name')).trim(),
          email: String(data.get('email')).trim(),
          password: String(data.get('password')),
        },
      });
      form.setErrors(result.errors);
      return result.data?.signUp ?? null;
    });
  }
  return (
    <>
      <PageTitle>Create an account</PageTitle>
      <ErrorNotice errors={form.errors} />
      <form className="stacked" onSubmit={onSubmit}>
        <label>
          Name
          <input name="name" autoComplete="name" required maxLength={100} aria-invalid={form.invalid('name')} />
        </label>
        <label>
          Email
          <input type="email" name="email" autoComplete="email" required aria-invalid={form.invalid('email')} />
        </label>
        <label>
          Password <span className="muted">(at least 8 characters, not your email)</span>
          <input
            type="password"
            name="password"
            autoComplete="new-password"
            required
            minLength={8}
            aria-invalid={form.invalid('password')}
          />
        </label>
        <button type="submit" disabled={form.pending}>
          {form.pending ? 'Creating your account…' : 'Sign up'}
        </button>
      </form>
      <p>
        Already have an account? <Link href={`/log-in?next=${encodeURIComponent(form.returnTo)}`}>Log in</Link>
      </p>
    </>
  );
}
