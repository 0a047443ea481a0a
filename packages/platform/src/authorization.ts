import { unauthenticated, type Viewer } from './auth.js';
import { userError } from './errors.js';

export function requireViewer(viewer: Viewer | null): Viewer {
  if (!viewer) throw unauthenticated('sign in first: send Authorization: Bearer <token> from logIn or signUp');
  return viewer;
}

export function requireAdmin(viewer: Viewer | null): Viewer {
  const signedIn = requireViewer(viewer);
  if (signedIn.role !== 'ADMIN') throw userError('FORBIDDEN', 'only administrators may do this');
  return signedIn;
}

/** Internal operations (e.g. taking stock) are for the supergraph's own services, never for clients. */
export function requireInternalCaller(request: { internalCaller: boolean }): void {
  if (!request.internalCaller) throw unauthenticated('this operation is internal to the supergraph');
}
