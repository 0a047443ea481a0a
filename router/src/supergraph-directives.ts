import type { Supergraph } from '@apollo/federation-internals';

/** A type or field of the supergraph, as far as its applied directives go. */
export interface DirectiveHolder {
  appliedDirectives: readonly { name: string; arguments(): Record<string, unknown> }[];
}

/**
 * What `read` makes of the directives on each type (`Type`) and field (`Type.field`) of a supergraph, for
 * those where it makes something: the authorization directives, the cost directives.
 */
export function byCoordinate<T>(supergraph: Supergraph, read: (holder: DirectiveHolder) => T | null): Map<string, T> {
  const found = new Map<string, T>();
  for (const type of supergraph.schema.types()) {
    const own = read(type as unknown as DirectiveHolder);
    if (own) found.set(type.name, own);
    if (!('fields' in type) || typeof type.fields !== 'function') continue;
    for (const field of type.fields()) {
      const value = read(field as unknown as DirectiveHolder);
      if (value) found.set(`${type.name}.${field.name}`, value);
    }
  }
  return found;
}
