import type { MixResult } from './mix-load.js';
import type { FetchResult } from './subgraph-fetches.js';
import type { SubscriptionLoadResult } from './subscriptions.js';

/** latest.json's shape, and the Markdown table made from it (with the budgets from issue #8). */
/** `ours_unshared`: our router with SUBGRAPH_DEDUPLICATION=false, to show what sharing fetches contributes. */
export const TARGETS = ['ours', 'ours_unshared', 'stock', 'hive', 'floor'] as const;
export type Target = (typeof TARGETS)[number];

export interface TargetResult {
  rps: number;
  p50_ms: number;
  p99_ms: number;
  errors: number;
  requests: number;
  /** p50 of requests sent one at a time, after the load run. */
  unloaded_p50_ms?: number;
  sql_per_request: number | null;
  sql_by_service?: Record<string, number>;
  /** CPU time per request of the gateway process and of the four subgraph processes together. */
  cpu_ms_per_request?: { gateway: number; subgraphs: number };
}

export type QueryReport = Partial<Record<Target, TargetResult>> & {
  title: string;
  /** ours rps / their rps. */
  ratios: Partial<Record<Exclude<Target, 'ours' | 'ours_unshared'>, number | null>>;
};

/**
 * The realistic mix's targets: stock Apollo Gateway first (its answers become the reference for the others),
 * ours with default settings (response cache on) and without the cache, Hive Gateway with its default
 * JavaScript planner and with the Rust one, and our router and subgraphs at the baseline git ref.
 */
/** `npm start` (embedded databases): seconds until up on a new and on an existing data directory, memory once up. */
export interface StartReport {
  new_data_dir_s: number;
  existing_data_dir_s: number;
  rss_mb: number;
}

export interface SubgraphFetchReport {
  name: string;
  service: string;
  ours: FetchResult;
  baseline: FetchResult | null;
}

export const MIX_TARGETS = [
  'stock',
  'ours',
  'ours_nocache',
  'ours_uncompressed',
  'hive',
  'hive_rust',
  'baseline',
  'baseline_stock',
  'floor',
] as const;
export type MixTarget = (typeof MIX_TARGETS)[number];

export type MixTargetResult = MixResult & {
  cpu_ms_per_request: { gateway: number; subgraphs: number };
  sql_per_request: number | null;
  rss_mb: number | null;
  /** Our router's cache, per subgraph (and `all`): parts of fetches asked for, share from the cache, served stale. */
  cache_parts?: Record<string, { parts: number; hit_share: number; stale: number }>;
};

export interface BenchReport {
  generated_at: string;
  mix: {
    settings: {
      connections: number;
      rounds: number;
      duration_s: number;
      warmup_s: number;
      cache_warmup_s: number;
      customers: number;
      buyers: number;
    };
    baseline: { ref: string; commit: string } | null;
    results: Partial<Record<MixTarget, MixTargetResult>>;
    /** Compression off and on, measured as a pair in alternating windows (main.ts measureCompression). */
    compression?: {
      pairs: number;
      off: MixTargetResult & { window_rps: number[] };
      on: MixTargetResult & { window_rps: number[] };
    } | null;
  };
  machine: {
    cpu: string;
    cores: number;
    memory_gb: number;
    node: string;
    platform: string;
    database: string;
    pinning: { servers: string; load_generator: string } | null;
    load_average: { before: number[]; after: number[] };
  };
  settings: { connections: number; duration_s: number; warmup_s: number; data_set: object; data_load_s: number };
  queries: Record<string, QueryReport>;
  sql_per_request_by_page_size: Record<string, Record<string, number>>;
  router_rss_mb: number | null;
  rss_mb: Record<string, number | null>;
  npm_start: StartReport | null;
  /** Each subgraph's hot fetches sent directly (subgraph-fetches.ts), ours and the baseline ref's. */
  subgraph_fetches: SubgraphFetchReport[];
  /** Open subscriptions under the mix (subscriptions.ts); null when not measured. */
  subscriptions: SubscriptionLoadResult | null;
}

const BUDGETS = { stock: 5, hive: 1.0, floor: 0.5 } as const;
const ROUTER_ADDED_P50_MS = 2;

const cell = (result: TargetResult) =>
  [
    result.rps,
    `${result.p50_ms} / ${result.p99_ms}`,
    result.unloaded_p50_ms ?? '–',
    result.errors,
    result.sql_per_request ?? '–',
    result.cpu_ms_per_request ? `${result.cpu_ms_per_request.gateway} / ${result.cpu_ms_per_request.subgraphs}` : '–',
  ].join(' | ');
const mark = (ok: boolean) => (ok ? '✓' : '✗');

export function renderMarkdown(report: BenchReport): string {
  const { machine, settings } = report;
  const lines = [
    `# Benchmark — ${report.generated_at}`,
    '',
    ...renderMix(report),
    ...renderSubscriptions(report),
    ...renderSubgraphFetches(report),
    `${machine.cpu}, ${machine.cores} cores, ${machine.memory_gb} GB, Node ${machine.node}, ${machine.platform}; ` +
      `${machine.database}. ${machine.pinning ? `Servers pinned to core(s) ${machine.pinning.servers}, load generator to core ${machine.pinning.load_generator}` : 'No core pinning'}. ` +
      `Load average (1/5/15 min) before ${machine.load_average.before.join(' / ')}, after ${machine.load_average.after.join(' / ')}.`,
    `autocannon: ${settings.connections} connections, ${settings.warmup_s} s warm-up then ${settings.duration_s} s per query and target; ` +
      `every answer compared byte for byte with a checked first answer. Data set ${JSON.stringify(settings.data_set)} (loaded in ${settings.data_load_s} s).`,
    '',
    '| query | target | req/s | p50 / p99 ms (loaded) | p50 ms (unloaded) | errors | SQL/request | CPU ms/request (gateway / subgraphs) |',
    '| --- | --- | ---: | ---: | ---: | ---: | ---: | ---: |',
  ];
  for (const [name, query] of Object.entries(report.queries)) {
    for (const target of TARGETS) {
      const result = query[target];
      if (result) lines.push(`| ${name} | ${target} | ${cell(result)} |`);
    }
  }
  lines.push(
    '',
    '| query | ours/stock (≥ 5 on Q1–Q3) | ours/hive (≥ 1.0) | ours/floor (≥ 0.5) |',
    '| --- | ---: | ---: | ---: |',
  );
  for (const [name, query] of Object.entries(report.queries)) {
    const ratio = (other: keyof typeof BUDGETS) => {
      const value = query.ratios[other];
      if (value === null || value === undefined) return '–';
      const budgeted = other !== 'stock' || name !== 'Q4';
      return budgeted ? `${value} ${mark(value >= BUDGETS[other])}` : `${value}`;
    };
    lines.push(`| ${name} | ${ratio('stock')} | ${ratio('hive')} | ${ratio('floor')} |`);
  }
  const q4 = report.queries.Q4;
  lines.push('');
  const ours = q4?.ours?.unloaded_p50_ms;
  const floor = q4?.floor?.unloaded_p50_ms;
  if (ours !== undefined && floor !== undefined) {
    const added = Math.round((ours - floor) * 100) / 100;
    lines.push(
      `Router-added p50 on Q4 (ours − floor, requests one at a time): ${added} ms ${mark(added <= ROUTER_ADDED_P50_MS)} (budget ≤ ${ROUTER_ADDED_P50_MS} ms).`,
    );
  }
  const pages = Object.entries(report.sql_per_request_by_page_size);
  if (pages.length > 0) {
    const flat = pages.every(([, sizes]) => new Set(Object.values(sizes)).size === 1);
    const text = pages
      .map(
        ([name, sizes]) =>
          `${name} ${Object.entries(sizes)
            .map(([first, sql]) => `first ${first}: ${sql}`)
            .join(', ')}`,
      )
      .join('; ');
    lines.push(
      `SQL statements per request through our router by page size: ${text} ${mark(flat)} (budget: independent of page size).`,
    );
  }
  const rss = Object.entries(report.rss_mb)
    .map(([target, mb]) => `${target} ${mb ?? '–'} MB`)
    .join(', ');
  lines.push(`Gateway RSS after its runs: ${rss}.`, '');
  return lines.join('\n');
}

const percent = (share: number) => `${Math.round(share * 100)} %`;

const MIX_LABELS: Record<MixTarget, string> = {
  stock: 'stock `@apollo/gateway` + Apollo Server',
  ours: 'ours (defaults: fetch cache and compression on)',
  ours_nocache: 'ours, cache off',
  ours_uncompressed: 'ours, compression off',
  hive: 'Hive Gateway',
  hive_rust: 'Hive Gateway + Rust planner',
  baseline: 'ours at the baseline ref',
  baseline_stock: "stock `@apollo/gateway` in front of the baseline ref's subgraphs",
  floor: 'floor: fixed plans, no parsing, validation or shaping',
};

/** Each subgraph's hot fetches, sent directly: per fetch, ours beside the baseline ref's. */
function renderSubscriptions(report: BenchReport): string[] {
  const result = report.subscriptions;
  if (!result) return [];
  const row = (label: string, value: number | null, target: string, ok: boolean | null) =>
    `| ${label} | ${value ?? '–'} | ${target} | ${ok === null ? '' : mark(ok)} |`;
  return [
    '## Open subscriptions under the realistic mix',
    '',
    `${result.subscriptions} GraphQL-over-SSE subscriptions to orderUpdated on our router (opened in ${result.opened_in_s} s), ` +
      `spread over the mix's customers, open while the mix runs; an admin ships one of their orders every 100 ms, ` +
      `and each delivery is timed from the ship's answer to the event at each of the customer's subscriptions.`,
    '',
    '| measure | value | budget | met |',
    '| --- | ---: | ---: | --- |',
    row('delivery p99, ms', result.delivery_ms.p99, '≤ 500', result.delivery_ms.p99 <= 500),
    row('delivery p50 / p95, ms', null, `${result.delivery_ms.p50} / ${result.delivery_ms.p95}`, null),
    row('deliveries measured', result.deliveries, '', null),
    row('the mix meanwhile, req/s', result.mix_requests_per_s, '', null),
    row(
      'ships missed by a subscriber, events sent to another customer',
      result.missed + result.foreign,
      '0',
      result.missed + result.foreign === 0,
    ),
    row(
      'router RSS before / with them open, MB',
      null,
      `${result.router_rss_mb_before} / ${result.router_rss_mb_open}`,
      null,
    ),
    row('router RSS per open subscription, KB', result.rss_kb_per_subscription, 'reported', null),
    '',
  ];
}

function renderSubgraphFetches(report: BenchReport): string[] {
  if (report.subgraph_fetches.length === 0) return [];
  const cell = (result: FetchResult | null) =>
    result ? `${result.cpu_ms_per_fetch} / ${result.sql_per_fetch} / ${result.p50_ms}` : '–';
  return [
    '## Subgraph fetches, sent directly',
    '',
    `Each fetch one after another (one in flight) for a few seconds, straight to the subgraph; baseline: ${report.mix.baseline?.commit ?? '–'}.`,
    '',
    '| subgraph | fetch | ours: CPU ms / SQL / p50 ms | baseline: CPU ms / SQL / p50 ms | CPU vs baseline |',
    '| --- | --- | ---: | ---: | ---: |',
    ...report.subgraph_fetches.map(
      (entry) =>
        `| ${entry.service} | ${entry.name} | ${cell(entry.ours)} | ${cell(entry.baseline)} | ${
          entry.baseline ? round2(entry.ours.cpu_ms_per_fetch / entry.baseline.cpu_ms_per_fetch) : '–'
        } |`,
    ),
    '',
  ];
}

const round2 = (value: number) => Math.round(value * 100) / 100;

/** The headline: the realistic mix, every target side by side, and the budgets it is held to. */
function renderMix(report: BenchReport): string[] {
  const { mix } = report;
  const results = mix.results;
  if (Object.keys(results).length === 0 && !mix.compression) return [];
  const order = (result: MixTargetResult) => result.by_operation.place_order?.p50_ms ?? '–';
  const lines = [
    '## Realistic mix (headline)',
    '',
    `${mix.settings.connections} concurrent shoppers; per target ${mix.settings.rounds} rounds (order forwards, then backwards) of ` +
      `${mix.settings.warmup_s} s warm-up (${mix.settings.cache_warmup_s} s for targets with a cache: ours and the baseline, measured in ` +
      `their steady state) and ${mix.settings.duration_s} s measured, each in a new process, after the subgraphs were warmed; ` +
      `${mix.settings.customers} customers and ${mix.settings.buyers} buyers with their own tokens, Zipf-popular products, varied ` +
      `filters, orderings, page sizes and second pages, ~5 % orders. Every read compared with the first answer any target gave ` +
      `to it; every order checked by its effects.${mix.baseline ? ` Baseline: ${mix.baseline.ref} at ${mix.baseline.commit}.` : ''}`,
    '',
    '| target | req/s | p50 / p95 / p99 ms | errors | router CPU ms/req | subgraphs CPU ms/req | SQL/req | router RSS MB | answers from cache (wholly / partly) | placeOrder p50 ms |',
    '| --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: |',
  ];
  const row = (label: string, result: MixTargetResult) =>
    `| ${label} | ${result.rps} | ${result.p50_ms} / ${result.p95_ms} / ${result.p99_ms} | ${result.errors} | ` +
    `${result.cpu_ms_per_request.gateway} | ${result.cpu_ms_per_request.subgraphs} | ${result.sql_per_request ?? '–'} | ` +
    `${result.rss_mb ?? '–'} | ${percent(result.cache_hit_share)} / ${percent(result.cache_partial_share ?? 0)} | ${order(result)} |`;
  for (const target of MIX_TARGETS) {
    const result = results[target];
    if (result) lines.push(row(MIX_LABELS[target], result));
  }
  const { compression } = mix;
  if (compression) {
    lines.push(
      '',
      `Compression, measured as a pair: our router with compression off and with it on, both running for the whole ` +
        `stage and warmed together (${mix.settings.cache_warmup_s} s, one stream of visits, a visit to each in turn), then ${compression.pairs} ` +
        `pairs of ${mix.settings.duration_s} s windows in alternating order (off on, on off, …), both windows of a pair ` +
        `over the same visits; the client asks \`br, gzip\` as browsers do.`,
      '',
      '| setting | req/s | p50 / p95 / p99 ms | errors | router CPU ms/req | subgraphs CPU ms/req | SQL/req | router RSS MB | answers from cache (wholly / partly) | placeOrder p50 ms |',
      '| --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: |',
      row('compression off', compression.off),
      row('compression on', compression.on),
      '',
      `req/s per window, off: ${compression.off.window_rps.join(', ')}; on: ${compression.on.window_rps.join(', ')}.`,
    );
  }
  const operations = [...new Set(Object.values(results).flatMap((result) => Object.keys(result?.by_operation ?? {})))];
  lines.push('', `| p50 ms by operation | ${MIX_TARGETS.filter((target) => results[target]).join(' | ')} |`);
  lines.push(
    `| --- | ${MIX_TARGETS.filter((target) => results[target])
      .map(() => '---:')
      .join(' | ')} |`,
  );
  for (const operation of operations) {
    const cells = MIX_TARGETS.filter((target) => results[target]).map(
      (target) => results[target]?.by_operation[operation as keyof MixResult['by_operation']]?.p50_ms ?? '–',
    );
    lines.push(`| ${operation} | ${cells.join(' | ')} |`);
  }
  const cached = results.ours;
  if (cached?.cache_parts) {
    lines.push('', '| our cache, by operation | answers wholly from the cache | partly |', '| --- | ---: | ---: |');
    for (const [operation, measured] of Object.entries(cached.by_operation)) {
      lines.push(`| ${operation} | ${percent(measured.cache_hit_share)} | ${percent(measured.cache_partial_share)} |`);
    }
    lines.push(
      '',
      '| our cache, by subgraph | fetch parts asked for | from the cache | served stale |',
      '| --- | ---: | ---: | ---: |',
    );
    for (const [subgraph, parts] of Object.entries(cached.cache_parts)) {
      lines.push(`| ${subgraph} | ${parts.parts} | ${percent(parts.hit_share)} | ${parts.stale} |`);
    }
  }
  const ratio = (a: number | undefined, b: number | undefined) => (a && b ? Math.round((a / b) * 100) / 100 : null);
  const budget = (label: string, value: number | null, ok: (value: number) => boolean, target: string) =>
    `| ${label} | ${value ?? '–'} | ${target} | ${value === null ? '–' : mark(ok(value))} |`;
  const { ours, ours_nocache, stock, hive_rust, baseline_stock, floor } = results;
  const aboveFloor =
    ours_nocache && floor
      ? Math.round((ours_nocache.cpu_ms_per_request.gateway - floor.cpu_ms_per_request.gateway) * 100) / 100
      : null;
  lines.push(
    '',
    '| budget | measured | target | met |',
    '| --- | ---: | ---: | :---: |',
    budget(
      'own executor (cache off): router CPU/req vs stock',
      ratio(ours_nocache?.cpu_ms_per_request.gateway, stock?.cpu_ms_per_request.gateway),
      (v) => v <= 0.75,
      '≤ 0.75',
    ),
    budget(
      'own executor (cache off): req/s vs stock',
      ratio(ours_nocache?.rps, stock?.rps),
      (v) => v >= 1.15,
      '≥ 1.15',
    ),
    budget(
      'own executor (cache off): req/s vs Hive + Rust planner',
      ratio(ours_nocache?.rps, hive_rust?.rps),
      (v) => v >= 1.1,
      '≥ 1.1',
    ),
    budget(
      'own executor (cache off): router RSS vs stock',
      ratio(ours_nocache?.rss_mb ?? undefined, stock?.rss_mb ?? undefined),
      (v) => v <= 1,
      '≤ 1',
    ),
    `| own executor (cache off): router CPU ms/req above the floor | ${aboveFloor ?? '–'} | (shown) | |`,
    budget(
      'fetch cache: share of subgraph fetch parts from the cache',
      ours?.cache_parts?.all?.hit_share ?? null,
      (v) => v >= 0.6,
      '≥ 0.6',
    ),
    budget(
      'fetch cache: subgraph CPU/req vs under stock',
      ratio(ours?.cpu_ms_per_request.subgraphs, stock?.cpu_ms_per_request.subgraphs),
      (v) => v <= 0.4,
      '≤ 0.4',
    ),
    budget('fetch cache: req/s vs stock', ratio(ours?.rps, stock?.rps), (v) => v >= 2, '≥ 2'),
    budget('fetch cache: req/s vs Hive + Rust planner', ratio(ours?.rps, hive_rust?.rps), (v) => v >= 2, '≥ 2'),
    budget('fetch cache: wrong answers', ours ? ours.wrong.length : null, (v) => v === 0, '0'),
    budget(
      'compression on: req/s vs compression off',
      ratio(compression?.on.rps, compression?.off.rps),
      (v) => v >= 0.95,
      '≥ 0.95',
    ),
    `| compression on: router CPU/req vs compression off | ${ratio(compression?.on.cpu_ms_per_request.gateway, compression?.off.cpu_ms_per_request.gateway) ?? '–'} | (shown) | |`,
    // Lean subgraphs: the same stock gateway in front of this tree's subgraphs and the baseline ref's.
    budget(
      'lean subgraphs: SQL statements/req (stock in front)',
      stock?.sql_per_request ?? null,
      (v) => v <= 2.5,
      '≤ 2.5',
    ),
    budget(
      'lean subgraphs: subgraph CPU/req vs the baseline ref',
      ratio(stock?.cpu_ms_per_request.subgraphs, baseline_stock?.cpu_ms_per_request.subgraphs),
      (v) => v <= 0.5,
      '≤ 0.5',
    ),
    budget(
      'lean subgraphs: placeOrder p50 vs the baseline ref',
      ratio(stock?.by_operation.place_order?.p50_ms, baseline_stock?.by_operation.place_order?.p50_ms),
      (v) => v <= 0.5,
      '≤ 0.5',
    ),
    budget('npm start, new data directory: s', report.npm_start?.new_data_dir_s ?? null, (v) => v <= 10, '≤ 10'),
    budget(
      'npm start, existing data directory: s',
      report.npm_start?.existing_data_dir_s ?? null,
      (v) => v <= 5,
      '≤ 5',
    ),
    budget(
      'npm start: RSS of all its processes, MB',
      report.npm_start?.rss_mb ?? null,
      (v) => v <= 1020,
      '≤ 1020 (0.6 × 1.7 GB)',
    ),
    '',
    '## Best case: one query, one token, from every client',
    '',
  );
  return lines;
}
