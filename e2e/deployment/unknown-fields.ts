import path from 'node:path';
import ts from 'typescript';

interface TypedObject {
  apiVersion: string;
  kind: string;
}

/**
 * The fields of rendered objects that the Kubernetes API does not have (`readinesProbe:`), found by walking each
 * object beside its kind's declared type in kubernetes-models (the same OpenAPI definitions as its validators,
 * which accept unknown fields: the API server would drop them silently, and the probe would never exist).
 * Answers paths such as `Deployment router: spec.template.spec.containers.0.readinesProbe`.
 */
export function unknownFields(objects: TypedObject[]): string[] {
  const kinds = [...new Map(objects.map((object) => [`${object.apiVersion}/${object.kind}`, object])).values()];
  const fileName = path.join(import.meta.dirname, '__kubernetes_kinds__.ts');
  const source = kinds
    .map(
      ({ apiVersion, kind }, index) =>
        `import type { I${kind} as Kind${index} } from 'kubernetes-models/${apiVersion}/${kind}';\nexport declare const kind${index}: Kind${index};`,
    )
    .join('\n');
  const options: ts.CompilerOptions = {
    module: ts.ModuleKind.NodeNext,
    moduleResolution: ts.ModuleResolutionKind.NodeNext,
    strict: true,
    noEmit: true,
    skipLibCheck: true,
  };
  const host = ts.createCompilerHost(options);
  const readFile = host.readFile.bind(host);
  const getSourceFile = host.getSourceFile.bind(host);
  host.fileExists = (
    (exists) => (name: string) =>
      name === fileName || exists(name)
  )(host.fileExists.bind(host));
  host.readFile = (name) => (name === fileName ? source : readFile(name));
  host.getSourceFile = (name, language) =>
    name === fileName ? ts.createSourceFile(name, source, language) : getSourceFile(name, language);
  const program = ts.createProgram([fileName], options, host);
  const checker = program.getTypeChecker();
  const file = program.getSourceFile(fileName) as ts.SourceFile;
  const declared = new Map<string, ts.Type>();
  let index = 0;
  for (const statement of file.statements) {
    if (!ts.isVariableStatement(statement)) continue;
    const kind = kinds[index++] as TypedObject;
    const declaration = statement.declarationList.declarations[0] as ts.VariableDeclaration;
    declared.set(`${kind.apiVersion}/${kind.kind}`, checker.getTypeAtLocation(declaration.name));
  }

  const unknown: string[] = [];
  const walk = (value: unknown, type: ts.Type, at: string[]) => {
    if (value === null || typeof value !== 'object') return;
    const candidates = (type.isUnion() ? type.types : [type]).filter(
      (member) => !(member.flags & (ts.TypeFlags.Undefined | ts.TypeFlags.Null)),
    );
    if (Array.isArray(value)) {
      const element = candidates.map((member) => checker.getIndexTypeOfType(member, ts.IndexKind.Number)).find(Boolean);
      if (element) for (const [position, item] of value.entries()) walk(item, element, [...at, String(position)]);
      return;
    }
    // An object type with named fields; maps (labels, data) and free-form types have none and are not checked.
    const shape = candidates.find((member) => checker.getPropertiesOfType(member).length > 0);
    if (!shape || checker.getIndexTypeOfType(shape, ts.IndexKind.String)) return;
    for (const [key, inner] of Object.entries(value)) {
      const property = checker.getPropertyOfType(shape, key);
      if (!property) unknown.push([...at, key].join('.'));
      else walk(inner, checker.getTypeOfSymbol(property), [...at, key]);
    }
  };
  for (const object of objects) {
    const type = declared.get(`${object.apiVersion}/${object.kind}`);
    const name = (object as { metadata?: { name?: string } }).metadata?.name;
    if (!type) unknown.push(`${object.kind} ${name}: no declared type`);
    else {
      const found: string[] = [];
      const before = unknown.length;
      walk(object, type, []);
      found.push(...unknown.splice(before));
      unknown.push(...found.map((field) => `${object.kind} ${name}: ${field}`));
    }
  }
  return unknown;
}
