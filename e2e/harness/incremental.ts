import { meros } from 'meros/browser';

/** A payload of an incremental answer (`deferSpec=20220824`), or a whole answer. */
export interface Payload {
  data?: Record<string, unknown> | null;
  errors?: GraphQLErrorJson[];
  incremental?: {
    data: Record<string, unknown> | null;
    path: (string | number)[];
    label?: string;
    errors?: GraphQLErrorJson[];
  }[];
  hasNext?: boolean;
}

export interface GraphQLErrorJson {
  message: string;
  path?: (string | number)[];
  extensions?: Record<string, unknown>;
}

export const ACCEPT_INCREMENTAL = 'multipart/mixed;deferSpec=20220824, application/json';

/** Posts an operation taking an incremental answer; the response, to read with `payloadsOf`. */
export function postIncremental(
  url: string,
  body: Record<string, unknown>,
  options: { token?: string; accept?: string } = {},
): Promise<Response> {
  return fetch(url, {
    method: 'POST',
    headers: {
      'content-type': 'application/json',
      accept: options.accept ?? ACCEPT_INCREMENTAL,
      ...(options.token ? { authorization: `Bearer ${options.token}` } : {}),
    },
    body: JSON.stringify(body),
  });
}

/** Each payload as it arrives (read with meros, the multipart reader clients use); a whole answer is one. */
export async function* payloadsOf(response: Response): AsyncGenerator<Payload> {
  const parts = await meros<Payload>(response);
  if (parts instanceof Response) {
    yield (await parts.json()) as Payload;
    return;
  }
  for await (const part of parts) {
    if (!part.json) throw new Error(`a part that is not JSON: ${String(part.body)}`);
    yield part.body;
  }
}

export async function allPayloads(response: Response): Promise<Payload[]> {
  const payloads: Payload[] = [];
  for await (const payload of payloadsOf(response)) payloads.push(payload);
  return payloads;
}

/**
 * What a client holds after every payload: the first's data with each entry's data merged in at its path, and
 * every payload's errors in order.
 */
export function mergePayloads(payloads: Payload[]): { data: unknown; errors: GraphQLErrorJson[] } {
  const [first, ...rest] = payloads;
  const data = structuredClone(first?.data);
  const errors = [...(first?.errors ?? [])];
  for (const payload of rest) {
    errors.push(...(payload.errors ?? []));
    for (const entry of payload.incremental ?? []) {
      errors.push(...(entry.errors ?? []));
      if (!entry.data) continue;
      let target: unknown = data;
      for (const key of entry.path) target = (target as Record<string | number, unknown>)[key];
      merge(target as Record<string, unknown>, entry.data);
    }
  }
  return { data, errors };
}

function merge(target: Record<string, unknown>, source: Record<string, unknown>): void {
  for (const [key, value] of Object.entries(source)) {
    const existing = target[key];
    if (isObject(existing) && isObject(value)) merge(existing, value);
    else if (Array.isArray(existing) && Array.isArray(value) && existing.length === value.length) {
      value.forEach((element, index) => {
        if (isObject(existing[index]) && isObject(element)) merge(existing[index] as Record<string, unknown>, element);
        else existing[index] = element;
      });
    } else target[key] = value;
  }
}

const isObject = (value: unknown): value is Record<string, unknown> =>
  typeof value === 'object' && value !== null && !Array.isArray(value);
