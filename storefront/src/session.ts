import type { Role } from './operations.generated.js';
import { storedValue } from './stored.js';

/** Who is signed in: the token from logIn or signUp, and the name to greet them with. */
export interface Session {
  token: string;
  user: { id: string; name: string; role: Role };
}

export const session = storedValue<Session | null>('shop.session', null);
