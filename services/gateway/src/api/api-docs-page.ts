// A self-contained HTML page that lists the API from the OpenAPI document: no scripts, no CDN,
// readable offline.

interface Operation {
  summary?: string;
  tags?: string[];
  security?: unknown[];
  parameters?: { name: string; in: string; schema: unknown }[];
  requestBody?: { content: Record<string, { schema: unknown }> };
  responses: Record<string, { description: string; content?: Record<string, { schema: unknown }> }>;
}

function escapeHtml(text: string): string {
  return text.replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);
}

function schemaBlock(schema: unknown): string {
  return `<pre>${escapeHtml(JSON.stringify(schema, null, 2))}</pre>`;
}

function renderOperation(method: string, path: string, op: Operation): string {
  const parts = [
    `<h2><span class="method">${method.toUpperCase()}</span> <code>${escapeHtml(path)}</code>${
      op.security ? ' <span class="admin">admin</span>' : ''
    }</h2>`,
    `<p>${escapeHtml(op.summary ?? '')}</p>`,
  ];
  for (const parameter of op.parameters ?? []) {
    parts.push(
      `<h3>${parameter.in} parameter <code>${escapeHtml(parameter.name)}</code></h3>`,
      schemaBlock(parameter.schema),
    );
  }
  for (const [type, body] of Object.entries(op.requestBody?.content ?? {})) {
    parts.push(`<h3>request body (${escapeHtml(type)})</h3>`, schemaBlock(body.schema));
  }
  for (const [status, response] of Object.entries(op.responses)) {
    parts.push(`<h3>${escapeHtml(status)}: ${escapeHtml(response.description)}</h3>`);
    for (const body of Object.values(response.content ?? {}))
      parts.push(`<details><summary>schema</summary>${schemaBlock(body.schema)}</details>`);
  }
  return `<section>${parts.join('\n')}</section>`;
}

export function renderApiDocsPage(document: Record<string, unknown>): string {
  const info = document.info as { title: string; version: string; description: string };
  const paths = document.paths as Record<string, Record<string, Operation>>;
  const sections = Object.entries(paths).flatMap(([path, methods]) =>
    Object.entries(methods).map(([method, op]) => renderOperation(method, path, op)),
  );
  return `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<title>${escapeHtml(info.title)} API</title>
<style>
body { font: 15px/1.5 system-ui, sans-serif; max-width: 60rem; margin: 2rem auto; padding: 0 1rem; color: #222; }
section { border-top: 1px solid #ddd; padding: 0.5rem 0; }
h2 { font-size: 1.1rem; } h3 { font-size: 0.95rem; margin: 0.6rem 0 0.2rem; }
.method { display: inline-block; min-width: 4rem; color: #fff; background: #35c; border-radius: 3px; padding: 0 0.4rem; }
.admin { font-size: 0.8rem; background: #fc3; border-radius: 3px; padding: 0 0.3rem; }
pre { background: #f6f6f6; padding: 0.5rem; overflow-x: auto; font-size: 0.8rem; }
</style>
</head>
<body>
<h1>${escapeHtml(info.title)} <small>${escapeHtml(info.version)}</small></h1>
<p>${escapeHtml(info.description)} The machine-readable document is <a href="/openapi.json">/openapi.json</a>.</p>
${sections.join('\n')}
</body>
</html>
`;
}
