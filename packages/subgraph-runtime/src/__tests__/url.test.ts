import path from 'node:path';
import { StartupError } from '@shop/platform';
import { describe, expect, it } from 'vitest';
import { parseDatabaseUrl, redact } from '../database/url.js';

describe('parseDatabaseUrl', () => {
  const parse = (value: string | undefined) => parseDatabaseUrl('PRODUCTS_DATABASE_URL', value, '/data/products');

  it('defaults to the embedded database in the data directory', () => {
    expect(parse(undefined)).toEqual({ kind: 'pglite', dataDir: '/data/products' });
    expect(parse('  ')).toEqual({ kind: 'pglite', dataDir: '/data/products' });
  });

  it('reads pglite:memory, pglite:<dir> and file:<dir>', () => {
    expect(parse('pglite:memory')).toEqual({ kind: 'pglite', dataDir: null });
    expect(parse('pglite:./x')).toEqual({ kind: 'pglite', dataDir: path.resolve('./x') });
    expect(parse('file:/tmp/db')).toEqual({ kind: 'pglite', dataDir: '/tmp/db' });
  });

  it('accepts postgres:// and postgresql:// URLs', () => {
    expect(parse('postgres://u:p@db:5432/shop')).toEqual({ kind: 'postgres', url: 'postgres://u:p@db:5432/shop' });
    expect(parse('postgresql://db/shop').kind).toBe('postgres');
  });

  it.each([
    ['mysql://db/shop', 'must be a postgres:// URL'],
    ['postgres://db', 'must name a host and a database'],
    ['postgres://u:p@[bad/shop', 'is not a valid URL'],
  ])('rejects %s with one clear line', (value, message) => {
    expect(() => parse(value)).toThrow(StartupError);
    expect(() => parse(value)).toThrow(message);
  });

  it('never prints a password', () => {
    expect(redact('postgres://shop:s3cret@db:5432/x')).toBe('postgres://shop:***@db:5432/x');
    expect(() => parse('mysql://shop:s3cret@db/x')).toThrow(/shop:\*\*\*@db/);
  });
});
