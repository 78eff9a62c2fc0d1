// zod 4 writes each named schema as a `$defs` entry local to the JSON Schema that uses it, with a
// `#/$defs/Name` reference. JSON Schema resolves that against the schema, but OpenAPI tools
// resolve it against the document root, so the gateway's document moves every definition to
// `components.schemas`, where the references can find it and each named schema has one entry.
type Json = unknown;

/** The document with every local `$defs` entry moved to `components.schemas` and its references rewritten. */
export function hoistDefinitions(document: Record<string, unknown>): Record<string, unknown> {
  const schemas: Record<string, Json> = {};
  const rewrite = (value: Json): Json => {
    if (Array.isArray(value)) return value.map(rewrite);
    if (typeof value !== 'object' || value === null) return value;
    const out: Record<string, Json> = {};
    for (const [key, inner] of Object.entries(value)) {
      if (key === '$defs') {
        for (const [name, definition] of Object.entries(inner as Record<string, Json>)) {
          const hoisted = rewrite(definition);
          if (name in schemas && JSON.stringify(schemas[name]) !== JSON.stringify(hoisted)) {
            throw new Error(`two different schemas are named ${name} in the OpenAPI document`);
          }
          schemas[name] = hoisted;
        }
      } else if (key === '$ref' && typeof inner === 'string' && inner.startsWith('#/$defs/')) {
        out[key] = `#/components/schemas/${inner.slice('#/$defs/'.length)}`;
      } else {
        out[key] = rewrite(inner);
      }
    }
    return out;
  };
  const hoisted = rewrite(document) as Record<string, unknown>;
  const components = (hoisted.components ?? {}) as Record<string, unknown>;
  const sorted = Object.fromEntries(Object.entries(schemas).sort(([a], [b]) => a.localeCompare(b)));
  return { ...hoisted, components: { ...components, schemas: sorted } };
}
