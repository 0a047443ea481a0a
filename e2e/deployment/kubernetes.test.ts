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
import { unknownFields } from './unknown-fields.js';

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
    // The schemas accept fields the API does not have (the server drops them): a misspelt probe would vanish.
    expect(unknownFields(objects)).toEqual([]);
    const misspelt = structuredClone(objects.find((object) => object.kind === 'Deployment') as K8sObject);
    const [container] = misspelt.spec.template.spec.containers;
    container.readinesProbe = container.readinessProbe;
    expect(unknownFields([misspelt])).toEqual([
      `Deployment ${misspelt.metadata.name}: spec.template.spec.containers.0.readinesProbe`,
    ]);
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

  it('scales the router and products by autoscaler alone, and keeps every service through voluntary disruptions', () => {
    for (const name of ['router', 'products']) {
      expect(named('HorizontalPodAutoscaler', name).spec.scaleTargetRef.name).toBe(name);
      // A count in the Deployment would reset the autoscaler's on every apply.
      expect(named('Deployment', name).spec.replicas).toBeUndefined();
    }
    for (const deployment of objects.filter((object) => object.kind === 'Deployment')) {
      const { name } = deployment.metadata;
      expect(named('PodDisruptionBudget', name).spec.selector.matchLabels['app.kubernetes.io/name']).toBe(name);
    }
  });

  it('holds no Secret values: applying never writes over the secrets a deployment created first', () => {
    expect(objects.filter((object) => object.kind === 'Secret')).toEqual([]);
    const referenced = new Set<string>();
    JSON.stringify(objects, (key, value) => {
      if (key === 'secretKeyRef') referenced.add(value.name);
      return value;
    });
    expect([...referenced].sort()).toEqual(['shop-databases', 'shop-internal-api-token', 'shop-jwt', 'shop-redis']);
    // The README's Deploying section creates each of them.
    const readme = readFileSync(path.join(REPOSITORY_ROOT, 'README.md'), 'utf8');
    for (const secret of referenced) expect(readme).toContain(`kubectl create secret generic ${secret}`);
  });

  it('lets each pod talk only to whom it must, both ways: callers in, callees, DNS and its stores out, metrics scraped', () => {
    type Peer = { podSelector?: { matchLabels: Record<string, string> }; namespaceSelector?: unknown };
    type Rule = { from?: Peer[]; to?: Peer[]; ports?: { port: number }[] };
    const policy = (name: string) => named('NetworkPolicy', name).spec;
    const podsIn = (rules: Rule[], side: 'from' | 'to') =>
      rules
        .flatMap((rule) => rule[side] ?? [])
        .flatMap((peer) =>
          peer.podSelector?.matchLabels['app.kubernetes.io/name']
            ? [peer.podSelector.matchLabels['app.kubernetes.io/name']]
            : [],
        )
        .sort();
    for (const name of ['router', 'storefront', ...manifests.map((manifest) => manifest.name)]) {
      expect(policy(name).policyTypes).toEqual(['Ingress', 'Egress']);
      const egressPorts = policy(name).egress.flatMap((rule: Rule) => rule.ports?.map((port) => port.port) ?? []);
      expect(egressPorts).toContain(53);
    }
    expect(podsIn(policy('orders').ingress, 'from')).toEqual(['router']);
    expect(podsIn(policy('faq').ingress, 'from')).toEqual(['router']);
    expect(podsIn(policy('products').ingress, 'from')).toEqual(['faq', 'orders', 'router']);
    expect(podsIn(policy('users').ingress, 'from')).toEqual(['faq', 'orders', 'products', 'router', 'users']);
    expect(podsIn(policy('router').egress, 'to')).toEqual(['faq', 'orders', 'products', 'users']);
    expect(podsIn(policy('orders').egress, 'to')).toEqual(['products', 'users']);
    expect(podsIn(policy('storefront').egress, 'to')).toEqual(['router']);
    // Every subgraph reaches PostgreSQL; the router reaches Redis; Prometheus reaches every metrics port.
    for (const manifest of manifests) {
      expect(policy(manifest.name).egress.some((rule: Rule) => rule.ports?.[0]?.port === 5432)).toBe(true);
    }
    expect(policy('router').egress.some((rule: Rule) => rule.ports?.[0]?.port === 6379)).toBe(true);
    const scraped = (name: string) =>
      policy(name)
        .ingress.filter((rule: Rule) => rule.from?.some((peer) => peer.namespaceSelector))
        .flatMap((rule: Rule) => rule.ports?.map((port) => port.port));
    expect(scraped('router')).toEqual([9464]);
    for (const manifest of manifests) expect(scraped(manifest.name)).toEqual([manifest.port]);
  });

  it('lets a new release re-apply its migration Jobs', () => {
    for (const job of objects.filter((object) => object.kind === 'Job')) {
      expect(job.spec.ttlSecondsAfterFinished).toBeLessThanOrEqual(600);
    }
  });
});

describe('placeholder values', () => {
  it('are refused at start, naming the variable', () => {
    const [manifest] = manifests;
    if (!manifest) throw new Error('no subgraph');
    expect(() =>
      parseSubgraphEnvironment(manifest, {
        NODE_ENV: 'production',
        INTERNAL_API_TOKEN: 'replace-with-32-or-more-random-characters',
        [variablesOf(manifest.name).databaseUrl]: 'postgres://shop:replace-me@postgres:5432/shop',
      }),
    ).toThrow(/INTERNAL_API_TOKEN, .*DATABASE_URL still hold a placeholder/);
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
    // Production runs only the operations the apps were built with.
    const router = objects.find((object) => object.kind === 'Deployment' && object.metadata.name === 'router');
    expect(router?.spec.template.spec.containers[0].env).toContainEqual({
      name: 'PERSISTED_OPERATIONS',
      value: 'safelist',
    });
  });
});
