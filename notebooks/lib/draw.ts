// Pictures for the pipeline notebook: 32x32 RGB pixels as PNG, image grids, line and bar charts and a
// heatmap as SVG strings, so cells display them as image/png or image/svg+xml outputs.
import sharp from 'sharp';

const FONT = 'font-family="DejaVu Sans, Arial, sans-serif"';
const PALETTE = ['#1f77b4', '#ff7f0e', '#2ca02c', '#d62728', '#9467bd', '#8c564b', '#e377c2', '#7f7f7f'];

export function escapeXml(text: string): string {
  return text.replace(/[<>&'"]/g, (c) => `&#${c.charCodeAt(0)};`);
}

function svgDocument(width: number, height: number, body: string[]): string {
  return [
    `<svg xmlns="http://www.w3.org/2000/svg" width="${width}" height="${height}" viewBox="0 0 ${width} ${height}">`,
    `<rect width="${width}" height="${height}" fill="#ffffff"/>`,
    ...body,
    '</svg>',
  ].join('\n');
}

function text(x: number, y: number, value: string, attributes = ''): string {
  return `<text x="${round(x)}" y="${round(y)}" ${FONT} ${attributes}>${escapeXml(value)}</text>`;
}

function round(value: number): number {
  return Math.round(value * 10) / 10;
}

/** A square RGB image (HWC bytes) as a PNG, enlarged `scale` times with hard pixel edges. */
export async function pixelsToPng(rgb: Uint8Array, { size = 32, scale = 1 } = {}): Promise<Buffer> {
  if (rgb.length !== size * size * 3)
    throw new RangeError(`expected ${size * size * 3} bytes, got ${rgb.length}`);
  const image = sharp(rgb, { raw: { width: size, height: size, channels: 3 } });
  const scaled = scale === 1 ? image : image.resize(size * scale, size * scale, { kernel: 'nearest' });
  return scaled.png().toBuffer();
}

export interface GridRow {
  label: string;
  /** 32x32 RGB images (HWC bytes). */
  images: Uint8Array[];
  /** A short text under each image (optional); '\n' starts another line. */
  captions?: string[];
}

export interface GridOptions {
  title?: string;
  /** Displayed size of a 32-pixel image side (default 64). */
  cell?: number;
  labelWidth?: number;
}

/** Rows of images with a label on the left of each row, the images embedded as PNG data. */
export async function imageGridSvg(rows: GridRow[], options: GridOptions = {}): Promise<string> {
  const cell = options.cell ?? 64;
  const gap = 6;
  const labelWidth = options.labelWidth ?? 90;
  const captionLines = Math.max(
    0,
    ...rows.flatMap((row) => (row.captions ?? []).map((caption) => caption.split('\n').length)),
  );
  const captionHeight = captionLines > 0 ? captionLines * 12 + 2 : 0;
  const top = options.title ? 28 : 6;
  const columns = Math.max(1, ...rows.map((row) => row.images.length));
  const rowHeight = cell + captionHeight + gap;
  const width = labelWidth + columns * (cell + gap) + gap;
  const height = top + rows.length * rowHeight + gap;
  const body: string[] = [];
  if (options.title) body.push(text(gap, 19, options.title, 'font-size="15" font-weight="bold"'));
  for (const [r, row] of rows.entries()) {
    const y = top + r * rowHeight;
    body.push(text(gap, y + cell / 2 + 5, row.label, 'font-size="13"'));
    for (const [c, pixels] of row.images.entries()) {
      const x = labelWidth + c * (cell + gap);
      const png = await pixelsToPng(pixels, { scale: Math.max(1, Math.round(cell / 32)) });
      body.push(
        `<image x="${x}" y="${y}" width="${cell}" height="${cell}" image-rendering="pixelated" ` +
          `href="data:image/png;base64,${png.toString('base64')}"/>`,
      );
      for (const [line, caption] of (row.captions?.[c] ?? '').split('\n').entries()) {
        if (caption === '') continue;
        body.push(
          text(x + cell / 2, y + cell + 11 + line * 12, caption, 'font-size="10" text-anchor="middle"'),
        );
      }
    }
  }
  return svgDocument(width, height, body);
}

export interface Series {
  name: string;
  /** [x, y] points in drawing order. */
  points: [number, number][];
}

export interface LineChart {
  title: string;
  xLabel: string;
  yLabel: string;
  series: Series[];
  /** Fixed y range; by default the data's range. */
  yRange?: [number, number];
  width?: number;
  height?: number;
}

function extent(values: number[]): [number, number] {
  const low = Math.min(...values);
  const high = Math.max(...values);
  if (!Number.isFinite(low) || !Number.isFinite(high)) return [0, 1];
  if (low === high) return [low - 0.5, high + 0.5];
  // A little room above and below, so no point sits on the frame.
  const pad = (high - low) * 0.05;
  return [low - pad, high + pad];
}

/** About five round tick values covering [low, high]. */
export function ticks(low: number, high: number, count = 5): number[] {
  const raw = (high - low) / count;
  const power = 10 ** Math.floor(Math.log10(raw));
  const step = [1, 2, 2.5, 5, 10].map((m) => m * power).find((s) => s >= raw) ?? raw;
  const values: number[] = [];
  for (let v = Math.ceil(low / step - 1e-9) * step; v <= high + step * 1e-9; v += step) {
    values.push(Number(v.toPrecision(12)));
  }
  return values;
}

interface Frame {
  left: number;
  top: number;
  plotWidth: number;
  plotHeight: number;
  x: (value: number) => number;
  y: (value: number) => number;
}

function axes(
  chart: { title: string; xLabel: string; yLabel: string },
  width: number,
  height: number,
  xr: [number, number],
  yr: [number, number],
  xTicks: boolean,
  bottom = 50,
): { frame: Frame; body: string[] } {
  const left = 62;
  const top = 34;
  const plotWidth = width - left - 150;
  const plotHeight = height - top - bottom;
  const x = (v: number) => left + ((v - xr[0]) / (xr[1] - xr[0] || 1)) * plotWidth;
  const y = (v: number) => top + plotHeight - ((v - yr[0]) / (yr[1] - yr[0] || 1)) * plotHeight;
  const body = [text(left, 20, chart.title, 'font-size="15" font-weight="bold"')];
  for (const value of ticks(yr[0], yr[1])) {
    body.push(
      `<line x1="${left}" x2="${left + plotWidth}" y1="${round(y(value))}" y2="${round(y(value))}" stroke="#e0e0e0"/>`,
      text(left - 6, y(value) + 4, String(value), 'font-size="11" text-anchor="end"'),
    );
  }
  if (xTicks) {
    for (const value of ticks(xr[0], xr[1])) {
      body.push(text(x(value), top + plotHeight + 16, String(value), 'font-size="11" text-anchor="middle"'));
    }
  }
  body.push(
    `<rect x="${left}" y="${top}" width="${plotWidth}" height="${plotHeight}" fill="none" stroke="#444"/>`,
    text(left + plotWidth / 2, height - 8, chart.xLabel, 'font-size="12" text-anchor="middle"'),
    text(
      14,
      top + plotHeight / 2,
      chart.yLabel,
      `font-size="12" text-anchor="middle" transform="rotate(-90 14 ${round(top + plotHeight / 2)})"`,
    ),
  );
  return { frame: { left, top, plotWidth, plotHeight, x, y }, body };
}

function legend(frame: Frame, names: string[]): string[] {
  return names.flatMap((name, i) => {
    const x = frame.left + frame.plotWidth + 14;
    const y = frame.top + 8 + i * 20;
    const color = PALETTE[i % PALETTE.length]!;
    return [
      `<rect x="${x}" y="${y - 9}" width="14" height="10" fill="${color}"/>`,
      text(x + 20, y, name, 'font-size="12"'),
    ];
  });
}

/** A line chart of one or more series, with a dot on every point (a few epochs make few points). */
export function lineChartSvg(chart: LineChart): string {
  const width = chart.width ?? 640;
  const height = chart.height ?? 320;
  const all = chart.series.flatMap((s) => s.points);
  const xr = extent(all.map(([x]) => x));
  const yr = chart.yRange ?? extent(all.map(([, y]) => y));
  const { frame, body } = axes(chart, width, height, xr, yr, true);
  for (const [i, series] of chart.series.entries()) {
    const color = PALETTE[i % PALETTE.length]!;
    const path = series.points.map(([x, y]) => `${round(frame.x(x))},${round(frame.y(y))}`).join(' ');
    body.push(`<polyline points="${path}" fill="none" stroke="${color}" stroke-width="2"/>`);
    for (const [x, y] of series.points) {
      body.push(`<circle cx="${round(frame.x(x))}" cy="${round(frame.y(y))}" r="3" fill="${color}"/>`);
    }
  }
  body.push(
    ...legend(
      frame,
      chart.series.map((s) => s.name),
    ),
  );
  return svgDocument(width, height, body);
}

export interface BarChart {
  title: string;
  xLabel: string;
  yLabel: string;
  categories: string[];
  series: { name: string; values: number[] }[];
  yRange?: [number, number];
  width?: number;
  height?: number;
}

/** Grouped bars: one group per category, one bar per series. */
export function barChartSvg(chart: BarChart): string {
  const width = chart.width ?? 720;
  const height = chart.height ?? 320;
  const yr = chart.yRange ?? [
    Math.min(0, ...chart.series.flatMap((s) => s.values)),
    Math.max(...chart.series.flatMap((s) => s.values)),
  ];
  // Category names turn by 35 degrees when they would run into each other (about 6.5 px a letter),
  // and the picture grows by the room they then take below the axis.
  const longest = Math.max(...chart.categories.map((category) => category.length));
  const turned = longest * 6.5 > (width - 212) / chart.categories.length - 4;
  const extra = turned ? Math.round(longest * 3.5) : 0;
  const { frame, body } = axes(
    chart,
    width,
    height + extra,
    [0, chart.categories.length],
    yr,
    false,
    50 + extra,
  );
  const group = frame.plotWidth / chart.categories.length;
  const bar = (group * 0.8) / chart.series.length;
  for (const [c, category] of chart.categories.entries()) {
    const x = frame.left + group * (c + 0.5);
    const y = frame.top + frame.plotHeight + 16;
    body.push(
      turned
        ? text(
            x + 4,
            y - 4,
            category,
            `font-size="11" text-anchor="end" transform="rotate(-35 ${round(x + 4)} ${round(y - 4)})"`,
          )
        : text(x, y, category, 'font-size="11" text-anchor="middle"'),
    );
    for (const [s, series] of chart.series.entries()) {
      const value = series.values[c] ?? 0;
      const x = frame.left + group * c + group * 0.1 + s * bar;
      const y0 = frame.y(Math.max(yr[0], 0));
      const y1 = frame.y(value);
      body.push(
        `<rect x="${round(x)}" y="${round(Math.min(y0, y1))}" width="${round(bar - 1)}" height="${round(Math.abs(y1 - y0))}" fill="${PALETTE[s % PALETTE.length]!}"/>`,
      );
    }
  }
  body.push(
    ...legend(
      frame,
      chart.series.map((s) => s.name),
    ),
  );
  return svgDocument(width, height + extra, body);
}

export interface Heatmap {
  title: string;
  matrix: number[][];
  rowLabels: string[];
  columnLabels: string[];
  rowTitle: string;
  columnTitle: string;
}

/** White-to-blue cells shaded by each value's share of its row, with the counts written in them. */
export function heatmapSvg(heatmap: Heatmap): string {
  const cell = 46;
  const left = 110;
  const top = 64;
  const columns = heatmap.columnLabels.length;
  const width = left + columns * cell + 20;
  const height = top + heatmap.rowLabels.length * cell + 40;
  const body = [
    text(10, 20, heatmap.title, 'font-size="15" font-weight="bold"'),
    text(left + (columns * cell) / 2, 40, heatmap.columnTitle, 'font-size="12" text-anchor="middle"'),
    text(10, height - 12, heatmap.rowTitle, 'font-size="12"'),
  ];
  for (const [c, label] of heatmap.columnLabels.entries()) {
    body.push(
      text(left + c * cell + cell / 2, top - 6, label.slice(0, 6), 'font-size="10" text-anchor="middle"'),
    );
  }
  for (const [r, row] of heatmap.matrix.entries()) {
    const total = row.reduce((a, b) => a + b, 0) || 1;
    body.push(
      text(
        left - 6,
        top + r * cell + cell / 2 + 4,
        heatmap.rowLabels[r] ?? '',
        'font-size="11" text-anchor="end"',
      ),
    );
    for (const [c, value] of row.entries()) {
      const share = value / total;
      const shade = Math.round(255 * (1 - share));
      const fill = `rgb(${shade},${Math.round(255 - share * 160)},255)`;
      body.push(
        `<rect x="${left + c * cell}" y="${top + r * cell}" width="${cell}" height="${cell}" fill="${fill}" stroke="#ffffff"/>`,
        text(
          left + c * cell + cell / 2,
          top + r * cell + cell / 2 + 4,
          String(value),
          `font-size="11" text-anchor="middle" fill="${share > 0.5 ? '#ffffff' : '#000000'}"`,
        ),
      );
    }
  }
  return svgDocument(width, height, body);
}

/** Renders an SVG to PNG (to look at a chart outside Jupyter, and in tests). */
export async function svgToPng(svg: string): Promise<Buffer> {
  return sharp(Buffer.from(svg)).png().toBuffer();
}
