import { randomBytes, timingSafeEqual } from 'node:crypto';
import { existsSync, linkSync, mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { GraphQLError } from 'graphql';
import {
  exportPKCS8,
  exportSPKI,
  generateKeyPair,
  importPKCS8,
  importSPKI,
  errors as joseErrors,
  jwtVerify,
  SignJWT,
} from 'jose';
import { LRUCache } from 'lru-cache';
import { StartupError } from './startup-error.js';

/** Who is calling: taken from a verified token only, never from a plain header. */
export interface Viewer {
  id: string;
  role: 'CUSTOMER' | 'ADMIN';
  /** Scopes the token grants besides its role's (its `scope` claim, space-separated as in OAuth 2). */
  scopes?: readonly string[];
}

export const TOKEN_ISSUER = 'shop-supergraph/users';
export const TOKEN_AUDIENCE = 'shop-supergraph';
export const TOKEN_ALGORITHM = 'EdDSA';

export interface KeySettings {
  /** PEM (PKCS#8) private key; only the users service has it. */
  JWT_PRIVATE_KEY?: string | undefined;
  /** PEM (SPKI) public key; every service verifies tokens with it. */
  JWT_PUBLIC_KEY?: string | undefined;
  /** Where the embedded default keeps a generated development key pair. */
  keyDir: string;
  production: boolean;
}

/**
 * Keys come from JWT_PRIVATE_KEY / JWT_PUBLIC_KEY. Outside production, when they are unset, a development
 * key pair is generated once into `<data dir>/keys` (never committed) and shared by the local services.
 */
export async function loadKeyPems(settings: KeySettings): Promise<{ privatePem?: string; publicPem: string }> {
  if (settings.JWT_PUBLIC_KEY) return { privatePem: settings.JWT_PRIVATE_KEY, publicPem: settings.JWT_PUBLIC_KEY };
  if (settings.production) {
    throw new StartupError('JWT_PUBLIC_KEY is required in production (PEM, Ed25519); see the README, "Authentication"');
  }
  const privateFile = path.join(settings.keyDir, 'jwt-private.pem');
  const publicFile = path.join(settings.keyDir, 'jwt-public.pem');
  if (!existsSync(publicFile)) {
    mkdirSync(settings.keyDir, { recursive: true });
    const { privateKey, publicKey } = await generateKeyPair(TOKEN_ALGORITHM, { crv: 'Ed25519', extractable: true });
    // Services starting together race here: the private key is created exclusively, and only its creator
    // writes the public key, so everyone ends up with one pair (readers wait for the public key to appear).
    if (createExclusively(privateFile, await exportPKCS8(privateKey), 0o600)) {
      createExclusively(publicFile, await exportSPKI(publicKey), 0o644);
    }
    await waitForFile(publicFile);
  }
  return { privatePem: readFileSync(privateFile, 'utf8'), publicPem: readFileSync(publicFile, 'utf8') };
}

/**
 * The shared secret services present to each other for internal operations (orders → products stock calls):
 * INTERNAL_API_TOKEN, or outside production a random one generated once into the key directory.
 */
export function loadInternalToken(settings: {
  INTERNAL_API_TOKEN?: string | undefined;
  keyDir: string;
  production: boolean;
}): string {
  if (settings.INTERNAL_API_TOKEN) {
    if (settings.INTERNAL_API_TOKEN.length < 32)
      throw new StartupError('INTERNAL_API_TOKEN must be at least 32 characters');
    return settings.INTERNAL_API_TOKEN;
  }
  if (settings.production)
    throw new StartupError(
      'INTERNAL_API_TOKEN is required in production (a random string of 32+ characters, the same for every service)',
    );
  const file = path.join(settings.keyDir, 'internal-api-token');
  if (!existsSync(file)) {
    mkdirSync(settings.keyDir, { recursive: true });
    createExclusively(file, randomBytes(32).toString('base64url'), 0o600);
  }
  return readFileSync(file, 'utf8').trim();
}

/**
 * Writes a file only if it does not exist yet, atomically (a complete temporary file hard-linked into place),
 * so concurrent writers never see half a file and exactly one of them wins. True for the winner.
 */
function createExclusively(file: string, content: string, mode: number): boolean {
  const temporary = `${file}.${process.pid}.${randomBytes(4).toString('hex')}.tmp`;
  writeFileSync(temporary, content, { mode });
  try {
    linkSync(temporary, file);
    return true;
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'EEXIST') return false;
    throw error;
  } finally {
    rmSync(temporary, { force: true });
  }
}

async function waitForFile(file: string): Promise<void> {
  for (let attempt = 0; attempt < 100 && !existsSync(file); attempt++)
    await new Promise((resolve) => setTimeout(resolve, 50));
}

/** Compares in constant time, so response timing tells nothing about the secret. */
export function isInternalToken(presented: string | undefined, expected: string): boolean {
  if (!presented) return false;
  const a = Buffer.from(presented);
  const b = Buffer.from(expected);
  return a.length === b.length && timingSafeEqual(a, b);
}

export type TokenVerifier = (token: string) => Promise<Viewer>;

/** A valid token for an account that has been closed since it was issued. */
class TokenRevoked extends Error {
  override readonly name = 'TokenRevoked';
}

/**
 * Verifies tokens with the public key. `isRevoked` (the closed accounts, see closed-accounts.ts) is asked on
 * every use, cached or not, so a closed account's tokens stop working as soon as the list knows it.
 */
export async function createTokenVerifier(
  publicPem: string,
  isRevoked: (userId: string) => boolean | Promise<boolean> = () => false,
): Promise<TokenVerifier> {
  const key = await importSPKI(publicPem, TOKEN_ALGORITHM).catch((error: Error) => {
    throw new StartupError(`JWT_PUBLIC_KEY is not an Ed25519 public key in PEM (SPKI) form: ${error.message}`);
  });
  // A token that verified once verifies again until it expires: remember it (not failures) for that long.
  // Ed25519 verification is the largest single cost of an authenticated request in the router's profile.
  const verified = new LRUCache<string, Viewer>({ max: VERIFIED_TOKENS_CACHED });
  const unlessRevoked = async (viewer: Viewer) => {
    const revoked = isRevoked(viewer.id);
    if (revoked === true || (revoked !== false && (await revoked))) {
      throw new TokenRevoked('this account was closed; its tokens no longer work');
    }
    return viewer;
  };
  return async (token) => {
    const cached = verified.get(token);
    if (cached) return unlessRevoked(cached);
    const { payload } = await jwtVerify(token, key, {
      algorithms: [TOKEN_ALGORITHM],
      issuer: TOKEN_ISSUER,
      audience: TOKEN_AUDIENCE,
      requiredClaims: ['sub', 'exp', 'role'],
    });
    if (typeof payload.sub !== 'string' || (payload.role !== 'CUSTOMER' && payload.role !== 'ADMIN')) {
      throw new Error('token claims are malformed');
    }
    const scopes = typeof payload.scope === 'string' ? payload.scope.split(' ').filter(Boolean) : [];
    const viewer: Viewer = { id: payload.sub, role: payload.role, ...(scopes.length > 0 ? { scopes } : {}) };
    const msLeft = (payload.exp as number) * 1000 - Date.now();
    if (msLeft > 0) verified.set(token, viewer, { ttl: msLeft });
    return unlessRevoked(viewer);
  };
}

const VERIFIED_TOKENS_CACHED = 10_000;

export type TokenSigner = (viewer: Viewer) => Promise<string>;

export async function createTokenSigner(privatePem: string, ttlSeconds: number): Promise<TokenSigner> {
  const key = await importPKCS8(privatePem, TOKEN_ALGORITHM).catch((error: Error) => {
    throw new StartupError(`JWT_PRIVATE_KEY is not an Ed25519 private key in PEM (PKCS#8) form: ${error.message}`);
  });
  return (viewer) =>
    new SignJWT({ role: viewer.role })
      .setProtectedHeader({ alg: TOKEN_ALGORITHM, typ: 'JWT' })
      .setSubject(viewer.id)
      .setIssuer(TOKEN_ISSUER)
      .setAudience(TOKEN_AUDIENCE)
      .setIssuedAt()
      .setExpirationTime(`${ttlSeconds}s`)
      .sign(key);
}

/** The list of closed accounts was never loaded (users does not answer): no token can be trusted yet. */
export class ClosedAccountsUnknown extends Error {
  override readonly name = 'ClosedAccountsUnknown';
  constructor() {
    super('tokens cannot be checked right now: the users service has not answered which accounts are closed');
  }
}

export const unauthenticated = (message: string) =>
  new GraphQLError(message, { extensions: { code: 'UNAUTHENTICATED', http: { status: 401 } } });

/**
 * The viewer named by an `Authorization: Bearer <token>` header: null without the header; a bad header or
 * token is an error (a client that sends credentials expects them to count, so they never silently don't).
 */
export async function viewerFromHeader(header: string | undefined, verify: TokenVerifier): Promise<Viewer | null> {
  if (header === undefined || header === '') return null;
  // The scheme is case-insensitive (RFC 9110); the token is what logIn or signUp answered, as it is.
  const token = /^bearer +(\S+)$/i.exec(header)?.[1];
  if (!token) {
    throw unauthenticated('the Authorization header must be "Bearer " followed by the token from logIn or signUp');
  }
  if (!JWT_SHAPE.test(token)) {
    throw unauthenticated('the bearer token is not one this shop issues (three dot-separated parts); log in again');
  }
  try {
    return await verify(token);
  } catch (error) {
    if (error instanceof TokenRevoked) throw unauthenticated(error.message);
    if (error instanceof ClosedAccountsUnknown) {
      throw new GraphQLError(`${error.message}; try again shortly`, {
        extensions: { code: 'SERVICE_UNAVAILABLE', serviceName: 'users', http: { status: 503 } },
      });
    }
    if (error instanceof joseErrors.JWTExpired) throw unauthenticated('the token has expired; log in again');
    throw unauthenticated('the token was not issued by this shop, or was altered; log in again');
  }
}

const JWT_SHAPE = /^[\w-]+\.[\w-]+\.[\w-]+$/;
