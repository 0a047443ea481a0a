import { existsSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { baseEnvironment, variablesOf, z } from '@shop/platform';
import { variables as routerVariables } from '@shop/router/env';
import { environment as storefrontVariables } from '@shop/storefront/env';
import { parseSubgraphEnvironment } from '@shop/subgraph-runtime';
import { describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import { loadSubgraphs, REPOSITORY_ROOT } from '../../scripts/subgraphs.js';

/** No Docker engine runs here, so the compose file is checked against the code it deploys. */
const read = (file: string) => parse(readFileSync(path.join(REPOSITORY_ROOT, file), 'utf8'), { merge: true });
const compose = read('docker-compose.yml') as {
  services: Record<
    string,
    {
      build?: { context: string; args?: Record<string, string> };
      environment?: Record<string, string>;
      ports?: string[];
      healthcheck?: { test: string[] };
    }
  >;
};
const supergraph = read('supergraph.yaml') as { subgraphs: Record<string, { routing_url: string }> };
const manifests = await loadSubgraphs();
const keysOf = (schema: unknown) => (schema instanceof z.ZodObject ? Object.keys(schema.shape) : []);

describe('docker-compose.yml', () => {
  it('parses and runs PostgreSQL, the four subgraphs, the router and the storefront, built from the Dockerfile', () => {
    expect(Object.keys(compose.services)).toEqual(
      expect.arrayContaining(['postgres', 'users', 'products', 'orders', 'faq', 'router', 'storefront']),
    );
    expect(existsSync(path.join(REPOSITORY_ROOT, 'Dockerfile'))).toBe(true);
    for (const name of [...manifests.map((manifest) => manifest.name), 'router']) {
      expect(compose.services[name]?.build?.args?.SERVICE).toBe(name);
      expect(compose.services[name]?.healthcheck?.test.join(' ')).toContain('/ready');
    }
    expect(compose.services.storefront?.build?.args?.SERVICE).toBe('storefront');
    expect(compose.services.storefront?.healthcheck?.test.join(' ')).toContain('127.0.0.1:3000/health');
  });

  it('puts each subgraph on the port supergraph.yaml routes to, and points the router, orders and faq at them', () => {
    for (const [name, subgraph] of Object.entries(supergraph.subgraphs)) {
      const port = new URL(subgraph.routing_url).port;
      const service = compose.services[name];
      expect(service?.environment?.[`${name.toUpperCase()}_PORT`]).toBe(port);
      expect(compose.services.router?.environment?.[`${name.toUpperCase()}_URL`]).toBe(
        `http://${name}:${port}/graphql`,
      );
    }
    // Only the router and the storefront are published: the subgraphs and PostgreSQL stay on the compose network.
    const published = Object.entries(compose.services).filter(([, service]) => service.ports?.length);
    expect(published.map(([name, service]) => [name, service.ports])).toEqual([
      ['router', ['4000:4000']],
      ['storefront', ['3000:3000']],
    ]);
    expect(compose.services.storefront?.environment?.ROUTER_URL).toBe('http://router:4000/graphql');
    for (const caller of ['orders', 'faq']) {
      expect(compose.services[caller]?.environment?.PRODUCTS_URL).toBe(
        compose.services.router?.environment?.PRODUCTS_URL,
      );
    }
  });

  it('sets only variables the services read, with values their schemas accept', () => {
    for (const manifest of manifests) {
      const env = compose.services[manifest.name]?.environment ?? {};
      const names = variablesOf(manifest.name);
      const known = new Set([...keysOf(baseEnvironment), ...keysOf(manifest.settings), names.port, names.databaseUrl]);
      expect(Object.keys(env).filter((variable) => !known.has(variable))).toEqual([]);
      expect(() => parseSubgraphEnvironment(manifest, env)).not.toThrow();
      expect(env[names.databaseUrl]).toMatch(/^postgres:\/\/.+\/shop_/);
    }
    const router = compose.services.router?.environment ?? {};
    const subgraphUrls = manifests.map((manifest) => variablesOf(manifest.name).url);
    const known = new Set([...keysOf(routerVariables), ...subgraphUrls]);
    expect(Object.keys(router).filter((variable) => !known.has(variable))).toEqual([]);
    expect(routerVariables.safeParse(router).success).toBe(true);
    const storefront = compose.services.storefront?.environment ?? {};
    expect(Object.keys(storefront).filter((variable) => !keysOf(storefrontVariables).includes(variable))).toEqual([]);
    expect(storefrontVariables.safeParse(storefront).success).toBe(true);
  });
});
