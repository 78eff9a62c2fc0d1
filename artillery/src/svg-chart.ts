// A small inline SVG line chart (no script, no external file), so the HTML report is one
// self-contained page that any browser opens from disk.

export interface ChartSeries {
  name: string;
  color: string;
  /** [x, y] points; x is seconds since the start of the scenario. */
  points: [number, number][];
}

export interface ChartOptions {
  title: string;
  yLabel: string;
  series: ChartSeries[];
  /** Vertical markers, e.g. when a retrain job was submitted or the model swapped. */
  markers?: { x: number; label: string }[];
  width?: number;
  height?: number;
}

const escape = (text: string) =>
  text.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&quot;');

/** A "nice" upper bound for an axis: 1, 2 or 5 times a power of ten, at least `max`. */
export function niceCeiling(max: number): number {
  if (!(max > 0)) return 1;
  const power = 10 ** Math.floor(Math.log10(max));
  return [1, 2, 5, 10].map((step) => step * power).find((bound) => bound >= max) ?? 10 * power;
}

export function lineChart(options: ChartOptions): string {
  const { title, yLabel, series, markers = [], width = 640, height = 240 } = options;
  const margin = { left: 56, right: 16, top: 28, bottom: 40 };
  const plotW = width - margin.left - margin.right;
  const plotH = height - margin.top - margin.bottom;
  const all = series.flatMap((s) => s.points);
  const xMax = niceCeiling(Math.max(1, ...all.map(([x]) => x), ...markers.map((m) => m.x)));
  const yMax = niceCeiling(Math.max(0, ...all.map(([, y]) => y)));
  const sx = (x: number) => margin.left + (x / xMax) * plotW;
  const sy = (y: number) => margin.top + plotH - (y / yMax) * plotH;
  const parts: string[] = [
    `<svg xmlns="http://www.w3.org/2000/svg" width="${width}" height="${height}" viewBox="0 0 ${width} ${height}" role="img" aria-label="${escape(title)}" font-family="sans-serif" font-size="11">`,
    `<text x="${margin.left}" y="16" font-size="13" font-weight="bold">${escape(title)}</text>`,
    `<rect x="${margin.left}" y="${margin.top}" width="${plotW}" height="${plotH}" fill="none" stroke="#bbb"/>`,
  ];
  for (let i = 0; i <= 4; i++) {
    const y = (yMax * i) / 4;
    const x = (xMax * i) / 4;
    parts.push(
      `<line x1="${margin.left}" x2="${margin.left + plotW}" y1="${sy(y)}" y2="${sy(y)}" stroke="#eee"/>`,
      `<text x="${margin.left - 6}" y="${sy(y) + 4}" text-anchor="end">${Number(y.toPrecision(3))}</text>`,
      `<text x="${sx(x)}" y="${margin.top + plotH + 16}" text-anchor="middle">${Number(x.toPrecision(3))}</text>`,
    );
  }
  parts.push(
    `<text x="${margin.left + plotW / 2}" y="${height - 6}" text-anchor="middle">seconds since start</text>`,
    `<text transform="translate(14 ${margin.top + plotH / 2}) rotate(-90)" text-anchor="middle">${escape(yLabel)}</text>`,
  );
  for (const marker of markers) {
    parts.push(
      `<line x1="${sx(marker.x)}" x2="${sx(marker.x)}" y1="${margin.top}" y2="${margin.top + plotH}" stroke="#888" stroke-dasharray="4 3"/>`,
      `<text x="${sx(marker.x) + 3}" y="${margin.top + 12}" fill="#555">${escape(marker.label)}</text>`,
    );
  }
  series.forEach((s, index) => {
    if (s.points.length > 0) {
      const path = s.points.map(([x, y]) => `${sx(x).toFixed(1)},${sy(y).toFixed(1)}`).join(' ');
      parts.push(`<polyline points="${path}" fill="none" stroke="${s.color}" stroke-width="2"/>`);
      for (const [x, y] of s.points) {
        parts.push(`<circle cx="${sx(x).toFixed(1)}" cy="${sy(y).toFixed(1)}" r="2.5" fill="${s.color}"/>`);
      }
    }
    const lx = margin.left + plotW - 90 * (series.length - index);
    parts.push(
      `<rect x="${lx}" y="8" width="10" height="10" fill="${s.color}"/>`,
      `<text x="${lx + 14}" y="17">${escape(s.name)}</text>`,
    );
  });
  parts.push('</svg>');
  return parts.join('\n');
}
