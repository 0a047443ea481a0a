import { readFileSync } from 'node:fs';
import autocannon from 'autocannon';

const [url, file, c, d] = process.argv.slice(2);
const r = await autocannon({
  url: url as string,
  method: 'POST',
  headers: { 'content-type': 'application/json' },
  body: readFileSync(file as string, 'utf8'),
  connections: Number(c ?? 16),
  duration: Number(d ?? 5),
});
console.log({
  rps: r.requests.average,
  p50: r.latency.p50,
  p99: r.latency.p99,
  non2xx: r.non2xx,
  errors: r.errors,
  total: r.requests.total,
});
