import sharp from 'sharp';
import { describe, expect, it } from 'vitest';
import {
  barChartSvg,
  escapeXml,
  heatmapSvg,
  imageGridSvg,
  lineChartSvg,
  pixelsToPng,
  svgToPng,
  ticks,
} from './draw.js';

function solid(r: number, g: number, b: number): Uint8Array {
  const pixels = new Uint8Array(32 * 32 * 3);
  for (let i = 0; i < pixels.length; i += 3) pixels.set([r, g, b], i);
  return pixels;
}

describe('pixelsToPng', () => {
  it('when scaled, then the PNG is larger and keeps the exact colours', async () => {
    const png = await pixelsToPng(solid(200, 10, 30), { scale: 3 });
    const { data, info } = await sharp(png).raw().toBuffer({ resolveWithObject: true });
    expect([info.width, info.height, info.channels]).toEqual([96, 96, 3]);
    expect([...data.subarray(0, 3)]).toEqual([200, 10, 30]);
  });

  it('when the byte count is not 32x32x3, then it refuses', async () => {
    await expect(pixelsToPng(new Uint8Array(10))).rejects.toThrow(RangeError);
  });
});

describe('SVG pictures', () => {
  it('when an image grid is rendered, then its images appear at their places', async () => {
    const svg = await imageGridSvg([{ label: 'red <1>', images: [solid(255, 0, 0), solid(0, 0, 255)] }], {
      cell: 64,
      labelWidth: 90,
    });
    expect(svg).toContain('red &#60;1&#62;');
    const { data, info } = await sharp(await svgToPng(svg))
      .removeAlpha()
      .raw()
      .toBuffer({ resolveWithObject: true });
    const at = (x: number, y: number) => [
      ...data.subarray((y * info.width + x) * 3, (y * info.width + x) * 3 + 3),
    ];
    expect(at(90 + 32, 6 + 32)).toEqual([255, 0, 0]);
    expect(at(90 + 70 + 32, 6 + 32)).toEqual([0, 0, 255]);
  });

  it('when charts and a heatmap are drawn, then sharp renders them and every label is in the text', async () => {
    const line = lineChartSvg({
      title: 'loss',
      xLabel: 'epoch',
      yLabel: 'loss',
      series: [
        {
          name: 'train',
          points: [
            [1, 2],
            [2, 1.5],
            [3, 1.2],
          ],
        },
      ],
    });
    const bars = barChartSvg({
      title: 'per class',
      xLabel: 'class',
      yLabel: 'score',
      categories: ['cat', 'dog'],
      series: [{ name: 'f1', values: [0.5, 0.75] }],
      yRange: [0, 1],
    });
    const heat = heatmapSvg({
      title: 'confusion',
      matrix: [
        [9, 1],
        [2, 8],
      ],
      rowLabels: ['cat', 'dog'],
      columnLabels: ['cat', 'dog'],
      rowTitle: 'actual',
      columnTitle: 'predicted',
    });
    for (const svg of [line, bars, heat]) {
      const meta = await sharp(await svgToPng(svg)).metadata();
      expect(meta.width).toBeGreaterThan(100);
    }
    expect(line).toContain('train');
    expect(bars).toContain('dog');
    expect(heat).toContain('>9<');
    expect(heat).toContain('predicted');
  });
});

describe('crowded labels', () => {
  it('when bar categories are too long for their groups, then they are turned and the picture grows', () => {
    const chart = (categories: string[]) =>
      barChartSvg({
        title: 't',
        xLabel: 'x',
        yLabel: 'y',
        categories,
        series: [{ name: 's', values: categories.map(() => 1) }],
        width: 400,
      });
    const short = chart(['a', 'b']);
    const long = chart(['a very long category name', 'another long one', 'and a third']);
    expect(short).not.toContain('rotate(-35');
    expect(long).toContain('rotate(-35');
    expect(Number(/height="(\d+)"/.exec(long)?.[1])).toBeGreaterThan(
      Number(/height="(\d+)"/.exec(short)?.[1]),
    );
  });

  it('when a caption has a line break, then each line is its own text element', async () => {
    const svg = await imageGridSvg([{ label: 'r', images: [solid(0, 0, 0)], captions: ['cat→dog\n89%'] }]);
    expect(svg).toContain('>cat→dog</text>');
    expect(svg).toContain('>89%</text>');
  });
});

describe('helpers', () => {
  it('when ticks are asked for a range, then they are round values inside it', () => {
    expect(ticks(0, 1)).toEqual([0, 0.2, 0.4, 0.6, 0.8, 1]);
    expect(ticks(1.13, 2.31).every((v) => v >= 1.13 && v <= 2.31)).toBe(true);
  });

  it('when text has XML characters, then they are escaped', () => {
    expect(escapeXml(`a<b & "c"`)).toBe('a&#60;b &#38; &#34;c&#34;');
  });
});
