import { exportPKCS8, exportSPKI, generateKeyPair } from 'jose';
import { beforeAll, describe, expect, it } from 'vitest';
import {
  createTokenSigner,
  createTokenVerifier,
  isInternalToken,
  type TokenVerifier,
  viewerFromHeader,
} from '../auth.js';

/** Tokens as every service checks them: signed by users, verified with the public key, refused when closed. */
let sign: (viewer: { id: string; role: 'CUSTOMER' | 'ADMIN' }) => Promise<string>;
let verify: TokenVerifier;
let otherKeysToken: string;
const closed = new Set<string>();

beforeAll(async () => {
  const pair = async () => {
    const { privateKey, publicKey } = await generateKeyPair('EdDSA', { crv: 'Ed25519', extractable: true });
    return { privatePem: await exportPKCS8(privateKey), publicPem: await exportSPKI(publicKey) };
  };
  const ours = await pair();
  sign = await createTokenSigner(ours.privatePem, 60);
  verify = await createTokenVerifier(ours.publicPem, (id) => closed.has(id));
  otherKeysToken = await (await createTokenSigner((await pair()).privatePem, 60))({ id: 'u1', role: 'ADMIN' });
});

const codeOf = (promise: Promise<unknown>) =>
  promise.then(
    () => 'accepted',
    (error: { extensions?: { code?: string } }) => error.extensions?.code,
  );

describe('tokens', () => {
  it('a token this shop signed names its viewer', async () => {
    const token = await sign({ id: 'u1', role: 'CUSTOMER' });
    expect(await viewerFromHeader(`Bearer ${token}`, verify)).toEqual({ id: 'u1', role: 'CUSTOMER' });
    expect(await viewerFromHeader(`bearer   ${token}`, verify)).toEqual({ id: 'u1', role: 'CUSTOMER' });
  });

  it('no header is an anonymous caller; a bad header or token is UNAUTHENTICATED, never ignored', async () => {
    expect(await viewerFromHeader(undefined, verify)).toBeNull();
    expect(await codeOf(viewerFromHeader('Basic dXNlcjpwYXNz', verify))).toBe('UNAUTHENTICATED');
    expect(await codeOf(viewerFromHeader('Bearer not-a-jwt', verify))).toBe('UNAUTHENTICATED');
    expect(await codeOf(viewerFromHeader(`Bearer ${otherKeysToken}`, verify))).toBe('UNAUTHENTICATED');
    const token = await sign({ id: 'u1', role: 'ADMIN' });
    const [head, , signature] = token.split('.');
    const forged = `${head}.${Buffer.from('{"sub":"u2","role":"ADMIN"}').toString('base64url')}.${signature}`;
    expect(await codeOf(viewerFromHeader(`Bearer ${forged}`, verify))).toBe('UNAUTHENTICATED');
  });

  it("a closed account's token stops working, even after it verified once", async () => {
    const token = await sign({ id: 'u9', role: 'CUSTOMER' });
    expect(await viewerFromHeader(`Bearer ${token}`, verify)).toEqual({ id: 'u9', role: 'CUSTOMER' });
    closed.add('u9');
    await expect(viewerFromHeader(`Bearer ${token}`, verify)).rejects.toThrow(/closed/);
  });

  it('internal tokens compare exactly', () => {
    const secret = 'x'.repeat(40);
    expect(isInternalToken(secret, secret)).toBe(true);
    expect(isInternalToken(`${secret}y`, secret)).toBe(false);
    expect(isInternalToken(undefined, secret)).toBe(false);
  });
});
