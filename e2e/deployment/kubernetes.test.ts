import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { baseEnvironment, variablesOf, z } from '@shop/platform';
import { variables as routerVariables } from '@shop/router/env';
import { environment as storefrontVariables } from '@shop/storefront/env';
import { parseSubgraphEnvironment } from '@shop/subgraph-runtime';
import { describe, expect, it } from 'vitest';
import { parseAllDocuments } from 'yaml';
import { loadSubgraphs, REPOSITORY_ROOT } from '../../scripts/subgraphs.js';

/**
 * No cluster runs here: the manifests are rendered with `kubectl kustomize` (on these machines), every object is
 * validated against the Kubernetes schemas (kubernetes-models, whose validators come from the OpenAPI
 * definitions), and checked against the code they deploy: ports, variables, probes, who may reach whom.
 */
interface K8sObject {
  apiVersion: string;
  kind: string;
  metadata: { name: string; namespace?: string };
  // biome-ignore lint/suspicious/noExplicitAny: rendered YAML, checked by the schema validation below
  spec?: any;
  data?: Record<string, string>;
}

const render = (dir: string): K8sObject[] =>
  parseAllDocuments(execFileSync('kubectl', ['kustomize', path.join(REPOSITORY_ROOT, dir)], { encoding: 'utf8' }))
    .map((document) => document.toJSON() as K8sObject)
    .filter(Boolean);

const RENDERINGS = { base: render('deploy/k8s'), production: render('deploy/k8s/overlays/production') };
const manifests = await loadSubgraphs();
const supergraph = (await import('yaml')).parse(
  readFileSync(path.join(REPOSITORY_ROOT, 'supergraph.yaml'), 'utf8'),
) as {
  subgraphs: Record<string, { routing_url: string }>;
};
const keysOf = (schema: unknown) => (schema instanceof z.ZodObject ? Object.keys(schema.shape) : []);

/** A container's environment as the service would see it: secrets stand in with values of the right shape. */
function environmentOf(container: { env?: { name: string; value?: string; valueFrom?: unknown }[] }) {
  const standIns: Record<string, string> = {
    JWT_PUBLIC_KEY: 'a PEM key from the secret',
    JWT_PRIVATE_KEY: 'a PEM key from the secret',
    INTERNAL_API_TOKEN: 'x'.repeat(32),
    REDIS_URL: 'redis://redis:6379',
  };
  return Object.fromEntries(
    (container.env ?? []).map(({ name, value, valueFrom }) => [
      name,
      valueFrom ? (standIns[name] ?? (name.endsWith('_DATABASE_URL') ? 'postgres://u:p@db:5432/d' : 'secret')) : value,
    ]),
  );
}

describe.each(Object.entries(RENDERINGS))('deploy/k8s (%s)', (_rendering, objects) => {
  const named = (kind: string, name: string) => {
    const found = objects.find((object) => object.kind === kind && object.metadata.name === name);
    if (!found) throw new Error(`no ${kind} ${name}`);
    return found;
  };

  it('renders objects that are valid against the Kubernetes schemas', async () => {
    expect(objects.length).toBeGreaterThan(20);
    for (const object of objects) {
      const { [object.kind]: Model } = (await import(
        `kubernetes-models/${object.apiVersion}/${object.kind}`
      )) as Record<string, new (data: unknown) => { validate(): void }>;
      if (!Model) throw new Error(`no schema for ${object.apiVersion} ${object.kind}`);
      expect(() => new Model(object).validate(), `${object.kind} ${object.metadata.name}`).not.toThrow();
    }
  });

  it('runs each subgraph on the port supergraph.yaml routes to, with every variable it needs, migrated by a Job', () => {
    for (const manifest of manifests) {
      const { name } = manifest;
      const names = variablesOf(name);
      const port = Number(new URL(supergraph.subgraphs[name]?.routing_url ?? '').port);
      const deployment = named('Deployment', name);
      const [container] = deployment.spec.template.spec.containers;
      const env = environmentOf(container);
      expect(container.ports[0].containerPort).toBe(port);
      expect(env[names.port]).toBe(String(port));
      expect(env.SERVICE).toBe(name);
      expect(env.MIGRATE_ON_START).toBe('false');
      // Only variables the service reads, and a configuration it accepts in production.
      const known = new Set([
        ...keysOf(baseEnvironment),
        ...keysOf(manifest.settings),
        names.port,
        names.databaseUrl,
        'SERVICE',
      ]);
      expect(Object.keys(env).filter((variable) => !known.has(variable))).toEqual([]);
      expect(env[names.databaseUrl]).toBeDefined();
      expect(env.JWT_PUBLIC_KEY && env.INTERNAL_API_TOKEN).toBeTruthy();
      expect(() => parseSubgraphEnvironment(manifest, { ...env, NODE_ENV: 'production' })).not.toThrow();
      for (const [variable, url] of Object.entries(env)) {
        if (variable.endsWith('_URL') && !variable.endsWith('_DATABASE_URL')) {
          const target = new URL(url as string);
          expect(String(named('Service', target.hostname).spec.ports[0].port)).toBe(target.port);
        }
      }
      expect(container.readinessProbe.httpGet.path).toBe('/ready');
      expect(container.livenessProbe.httpGet.path).toBe('/health');
      expect(container.resources.requests).toBeDefined();
      expect(named('Service', name).spec.ports[0].port).toBe(port);
      const job = named('Job', `${name}-migrate`);
      // `args` alone would replace the image's command: the Job runs `sh start.sh migrate`.
      expect(job.spec.template.spec.containers[0].command).toEqual(['sh', 'start.sh']);
      expect(job.spec.template.spec.containers[0].args).toEqual(['migrate']);
      expect(environmentOf(job.spec.template.spec.containers[0])[names.databaseUrl]).toBeDefined();
    }
  });

  it('points the router at every subgraph, serves the supergraph from a ConfigMap, and shares the cache in Redis', () => {
    const [container] = named('Deployment', 'router').spec.template.spec.containers;
    const env = environmentOf(container);
    const known = new Set([
      ...keysOf(routerVariables),
      ...manifests.map((manifest) => variablesOf(manifest.name).url),
      'SERVICE',
    ]);
    expect(Object.keys(env).filter((variable) => !known.has(variable))).toEqual([]);
    expect(routerVariables.safeParse({ ...env, NODE_ENV: 'production' }).success).toBe(true);
    for (const [name, subgraph] of Object.entries(supergraph.subgraphs)) {
      expect(env[variablesOf(name).url]).toBe(`http://${name}:${new URL(subgraph.routing_url).port}/graphql`);
    }
    expect(env.REDIS_URL).toBeDefined();
    const configMap = objects.find(
      (object) => object.kind === 'ConfigMap' && object.metadata.name.startsWith('supergraph'),
    );
    expect(configMap?.data?.['supergraph.graphql']).toBe(
      readFileSync(path.join(REPOSITORY_ROOT, 'supergraph.graphql'), 'utf8'),
    );
    expect(env.SUPERGRAPH_FILE).toBe('/etc/shop/supergraph.graphql');
  });

  it('serves the storefront from the same image, forwarding /graphql to the router Service', () => {
    const [container] = named('Deployment', 'storefront').spec.template.spec.containers;
    const env = environmentOf(container);
    expect(env.SERVICE).toBe('storefront');
    expect(
      Object.keys(env).filter((variable) => variable !== 'SERVICE' && !keysOf(storefrontVariables).includes(variable)),
    ).toEqual([]);
    const parsed = storefrontVariables.parse(env);
    expect(parsed.ROUTER_URL).toBe(`http://router:${named('Service', 'router').spec.ports[0].port}/graphql`);
    expect(container.ports[0].containerPort).toBe(parsed.STOREFRONT_PORT);
    expect(container.readinessProbe.httpGet.path).toBe('/health');
    expect(named('Service', 'storefront').spec.ports[0]).toMatchObject({ port: 3000, targetPort: 'http' });
  });

  it('scales the router and products, and lets only the router (and orders and faq to products, all to users) in', () => {
    for (const name of ['router', 'products']) {
      expect(named('HorizontalPodAutoscaler', name).spec.scaleTargetRef.name).toBe(name);
      expect(named('PodDisruptionBudget', name).spec.selector.matchLabels['app.kubernetes.io/name']).toBe(name);
    }
    const allowed = (service: string) =>
      named('NetworkPolicy', `${service}-ingress`)
        .spec.ingress.flatMap((rule: { from: { podSelector: { matchLabels: Record<string, string> } }[] }) => rule.from)
        .map(
          (peer: { podSelector: { matchLabels: Record<string, string> } }) =>
            peer.podSelector.matchLabels['app.kubernetes.io/name'],
        )
        .sort();
    expect(allowed('orders')).toEqual(['router']);
    expect(allowed('faq')).toEqual(['router']);
    expect(allowed('products')).toEqual(['faq', 'orders', 'router']);
    expect(allowed('users')).toEqual(['faq', 'orders', 'products', 'router']);
    for (const secret of ['shop-jwt', 'shop-internal-api-token', 'shop-databases', 'shop-redis'])
      named('Secret', secret);
  });
});

describe('deploy/k8s/overlays/production', () => {
  it('puts everything in its namespace, on a released image, with more router replicas', () => {
    const objects = RENDERINGS.production;
    expect(
      objects.filter((object) => object.kind !== 'Namespace').every((object) => object.metadata.namespace === 'shop'),
    ).toBe(true);
    const images = objects
      .filter((object) => object.kind === 'Deployment' || object.kind === 'Job')
      .flatMap((object) => object.spec.template.spec.containers.map((container: { image: string }) => container.image));
    expect(new Set(images)).toEqual(new Set(['registry.example.com/shop-supergraph:1.0.0']));
    expect(
      objects.find((object) => object.kind === 'HorizontalPodAutoscaler' && object.metadata.name === 'router')?.spec
        .minReplicas,
    ).toBe(3);
  });
});
