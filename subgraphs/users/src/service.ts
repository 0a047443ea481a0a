import { hash, verify } from '@node-rs/argon2';
import {
  badUserInput,
  type ClosedAccounts,
  requireAdmin,
  requireInternalCaller,
  requireViewer,
  type TokenSigner,
  unauthenticated,
  userError,
} from '@shop/platform';
import { type PageRequest, type RequestBase, readsList, toConnection } from '@shop/subgraph-runtime';
import { userListReads } from './cache.js';
import { Prisma } from './generated/prisma/client.js';
import type { UserLoaders } from './loaders.js';
import type { User, UserRepository } from './repository.js';

export interface SignUpInput {
  email: string;
  name: string;
  password: string;
}

const EMAIL = /^[^\s@]+@[^\s@]+\.[^\s@]+$/;
const MAX_NAME = 100;
const PASSWORD_LENGTH = { min: 8, max: 256 };
// Verified against when an email is unknown, so a wrong email costs as long as a wrong password.
const UNKNOWN_USER_HASH = hash('not-a-real-password-only-for-timing');
/** Password guessing: this many failed log-ins for one email within the window lock it for LOCK_MS. */
export const LOGIN_THROTTLE = { maxFailures: 5, windowMs: 15 * 60_000, lockMs: 15 * 60_000 } as const;

/** Account rules: normalised unique emails, password policy, who may read whom. */
export function createUserService(
  repository: UserRepository,
  loaders: UserLoaders,
  signToken: TokenSigner,
  request: RequestBase,
  closedAccounts: ClosedAccounts,
) {
  const { viewer } = request;
  // Once signUp or logIn succeeds, the rest of this request acts as that user (it may read its own email).
  let current = viewer;
  const authPayload = async (user: User) => {
    current = { id: user.id, role: user.role };
    return { token: await signToken(current), user };
  };

  return {
    me: () => (viewer ? loaders.userById.load(viewer.id) : null),
    user: (id: string) => {
      const signedIn = requireViewer(viewer);
      if (signedIn.id !== id) requireAdmin(viewer);
      return loaders.userById.load(id);
    },
    users: async (page: PageRequest) => {
      requireAdmin(viewer);
      const rows = await repository.listUsers(page.after, page.first + 1);
      return readsList(
        toConnection(rows, page, (user) => user.createdAt, repository.countUsers),
        userListReads,
      );
    },
    /** Emails are for the account holder and admins. */
    emailOf: (user: User) => {
      if (current && (current.id === user.id || current.role === 'ADMIN')) return user.email;
      throw userError('FORBIDDEN', "only the account holder and admins may read a user's email");
    },

    signUp: async (input: SignUpInput) => {
      const email = normaliseEmail(input.email);
      const name = validName(input.name);
      validPassword(input.password, email);
      const user = await repository
        .createUser({ email, name, role: 'CUSTOMER', passwordHash: await hash(input.password) })
        .catch((error: unknown) => {
          if (error instanceof Prisma.PrismaClientKnownRequestError && error.code === 'P2002') {
            throw userError('CONFLICT', 'an account with this email already exists; log in instead', {
              field: 'email',
            });
          }
          throw error;
        });
      return authPayload(user);
    },
    logIn: async (emailInput: string, password: string) => {
      const email = emailInput.trim().toLowerCase();
      const user = await repository.findUserByEmail(email);
      if (!(await passwordMatches(email, user, password))) throw unauthenticated('wrong email or password');
      return authPayload(user as User);
    },
    updateMe: async (input: { name?: string | null }) => {
      const signedIn = requireViewer(viewer);
      const data = input.name === undefined ? {} : { name: validName(input.name) };
      const user = await repository.updateUser(signedIn.id, data);
      return user;
    },
    /** Erases the holder's personal data and refuses the account's tokens from now on (here at once). */
    closeAccount: async (password: string) => {
      const signedIn = requireViewer(viewer);
      const user = await loaders.userById.load(signedIn.id);
      if (!user || user.closedAt) throw unauthenticated('this account was closed; its tokens no longer work');
      if (!(await passwordMatches(user.email, user, password))) {
        throw badUserInput('the password is wrong', 'password');
      }
      const closedAt = new Date();
      await repository.closeUser(user.id, closedAt);
      closedAccounts.add({ id: user.id, closedAt });
      return true;
    },
    /** Internal: what every service polls to refuse closed accounts' tokens. */
    closedAccounts: async (since: Date) => {
      requireInternalCaller(request);
      return repository.findClosedSince(since);
    },
  };

  /**
   * Checks a password for an email, counting failures: after too many within the window, RATE_LIMITED until
   * the lock ends, even with the right password. An unknown email costs one argon2 verification too, so timing
   * does not tell which emails exist.
   */
  async function passwordMatches(email: string, user: User | null, password: string): Promise<boolean> {
    const now = Date.now();
    const throttle = await repository.findLoginThrottle(email);
    if (throttle?.lockedUntil && throttle.lockedUntil.getTime() > now) {
      const retryAfterSeconds = Math.ceil((throttle.lockedUntil.getTime() - now) / 1000);
      throw userError('RATE_LIMITED', `too many failed attempts for this email; try again in ${retryAfterSeconds} s`, {
        retryAfterSeconds,
      });
    }
    const matches = await verify(user?.passwordHash || (await UNKNOWN_USER_HASH), password).catch(() => false);
    if (user && matches) {
      if (throttle) await repository.clearLoginThrottle(email);
      return true;
    }
    const fresh = !throttle || now - throttle.windowStartedAt.getTime() > LOGIN_THROTTLE.windowMs;
    const failures = fresh ? 1 : throttle.failures + 1;
    await repository.saveLoginThrottle({
      email,
      failures,
      windowStartedAt: fresh ? new Date(now) : throttle.windowStartedAt,
      lockedUntil: failures >= LOGIN_THROTTLE.maxFailures ? new Date(now + LOGIN_THROTTLE.lockMs) : null,
    });
    return false;
  }
}

function normaliseEmail(raw: string): string {
  const email = raw.trim().toLowerCase();
  if (email.length > 254 || !EMAIL.test(email)) throw badUserInput('email is not a valid address', 'email');
  return email;
}

function validName(raw: string | null): string {
  const name = raw?.trim() ?? '';
  if (name === '') throw badUserInput('name cannot be empty', 'name');
  if (name.length > MAX_NAME) throw badUserInput(`name is limited to ${MAX_NAME} characters`, 'name');
  return name;
}

function validPassword(password: string, email: string): void {
  if (password.length < PASSWORD_LENGTH.min || password.length > PASSWORD_LENGTH.max) {
    throw badUserInput(`password must be ${PASSWORD_LENGTH.min} to ${PASSWORD_LENGTH.max} characters`, 'password');
  }
  if (password.trim().toLowerCase() === email) throw badUserInput('password cannot be your email', 'password');
}

export type UserService = ReturnType<typeof createUserService>;
