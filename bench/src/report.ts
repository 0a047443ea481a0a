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

export interface BenchReport {
  generated_at: string;
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
  cold_start_s: number | null;
}

const BUDGETS = { stock: 2.5, hive: 1.0, floor: 0.5 } as const;
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
    '| query | ours/stock (≥ 2.5 on Q1–Q3) | ours/hive (≥ 1.0) | ours/floor (≥ 0.5) |',
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
  lines.push(
    `Gateway RSS after its runs: ${rss}. Cold start of the whole supergraph (new databases): ${report.cold_start_s ?? '–'} s.`,
    '',
  );
  return lines.join('\n');
}
