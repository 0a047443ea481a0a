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
