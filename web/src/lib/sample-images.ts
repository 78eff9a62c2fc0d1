// Sample images for the Predict page, drawn on a canvas in the browser (no dataset images are
// shipped): simple scenes in the colours and shapes of four CIFAR-10 classes.
export interface SampleImage {
  name: string;
  draw: (ctx: CanvasRenderingContext2D, size: number) => void;
}

function fill(ctx: CanvasRenderingContext2D, colour: string, x: number, y: number, w: number, h: number) {
  ctx.fillStyle = colour;
  ctx.fillRect(x, y, w, h);
}

function polygon(ctx: CanvasRenderingContext2D, colour: string, points: [number, number][], s: number) {
  ctx.fillStyle = colour;
  ctx.beginPath();
  points.forEach(([x, y], i) => (i === 0 ? ctx.moveTo(x * s, y * s) : ctx.lineTo(x * s, y * s)));
  ctx.closePath();
  ctx.fill();
}

function ellipse(
  ctx: CanvasRenderingContext2D,
  colour: string,
  x: number,
  y: number,
  rx: number,
  ry: number,
) {
  ctx.fillStyle = colour;
  ctx.beginPath();
  ctx.ellipse(x, y, rx, ry, 0, 0, Math.PI * 2);
  ctx.fill();
}

export const SAMPLE_IMAGES: SampleImage[] = [
  {
    name: 'airplane',
    draw(ctx, s) {
      const sky = ctx.createLinearGradient(0, 0, 0, s);
      sky.addColorStop(0, '#6fa8dc');
      sky.addColorStop(1, '#cfe2f3');
      ctx.fillStyle = sky;
      ctx.fillRect(0, 0, s, s);
      polygon(
        ctx,
        '#e6e6e6',
        [
          [0.1, 0.5],
          [0.85, 0.45],
          [0.95, 0.5],
          [0.85, 0.55],
        ],
        s,
      );
      polygon(
        ctx,
        '#b7b7b7',
        [
          [0.45, 0.5],
          [0.3, 0.8],
          [0.4, 0.8],
          [0.6, 0.5],
        ],
        s,
      );
      polygon(
        ctx,
        '#b7b7b7',
        [
          [0.45, 0.48],
          [0.3, 0.2],
          [0.4, 0.2],
          [0.6, 0.48],
        ],
        s,
      );
      polygon(
        ctx,
        '#999999',
        [
          [0.1, 0.5],
          [0.05, 0.35],
          [0.15, 0.35],
          [0.2, 0.49],
        ],
        s,
      );
    },
  },
  {
    name: 'ship',
    draw(ctx, s) {
      fill(ctx, '#9fc5e8', 0, 0, s, s * 0.55);
      fill(ctx, '#1c4587', 0, s * 0.55, s, s * 0.45);
      polygon(
        ctx,
        '#434343',
        [
          [0.1, 0.5],
          [0.9, 0.5],
          [0.8, 0.65],
          [0.2, 0.65],
        ],
        s,
      );
      fill(ctx, '#efefef', s * 0.35, s * 0.35, s * 0.3, s * 0.15);
      fill(ctx, '#cc0000', s * 0.45, s * 0.25, s * 0.08, s * 0.1);
    },
  },
  {
    name: 'frog',
    draw(ctx, s) {
      fill(ctx, '#7f6000', 0, 0, s, s);
      ellipse(ctx, '#38761d', s * 0.5, s * 0.6, s * 0.32, s * 0.22);
      ellipse(ctx, '#6aa84f', s * 0.5, s * 0.55, s * 0.24, s * 0.15);
      ellipse(ctx, '#38761d', s * 0.35, s * 0.38, s * 0.08, s * 0.08);
      ellipse(ctx, '#38761d', s * 0.65, s * 0.38, s * 0.08, s * 0.08);
      ellipse(ctx, '#000000', s * 0.35, s * 0.37, s * 0.035, s * 0.035);
      ellipse(ctx, '#000000', s * 0.65, s * 0.37, s * 0.035, s * 0.035);
    },
  },
  {
    name: 'automobile',
    draw(ctx, s) {
      fill(ctx, '#d9d9d9', 0, 0, s, s * 0.6);
      fill(ctx, '#666666', 0, s * 0.6, s, s * 0.4);
      polygon(
        ctx,
        '#cc0000',
        [
          [0.1, 0.62],
          [0.1, 0.45],
          [0.3, 0.43],
          [0.4, 0.3],
          [0.7, 0.3],
          [0.8, 0.43],
          [0.92, 0.47],
          [0.92, 0.62],
        ],
        s,
      );
      polygon(
        ctx,
        '#cfe2f3',
        [
          [0.42, 0.33],
          [0.55, 0.33],
          [0.55, 0.43],
          [0.35, 0.43],
        ],
        s,
      );
      polygon(
        ctx,
        '#cfe2f3',
        [
          [0.58, 0.33],
          [0.68, 0.33],
          [0.76, 0.43],
          [0.58, 0.43],
        ],
        s,
      );
      ellipse(ctx, '#111111', s * 0.27, s * 0.63, s * 0.08, s * 0.08);
      ellipse(ctx, '#111111', s * 0.75, s * 0.63, s * 0.08, s * 0.08);
    },
  },
];

/** Draws a sample at `size` pixels square and returns it as a PNG file. */
export async function sampleFile(sample: SampleImage, size = 128): Promise<File> {
  const canvas = document.createElement('canvas');
  canvas.width = size;
  canvas.height = size;
  const ctx = canvas.getContext('2d');
  if (!ctx) throw new Error('this browser cannot draw on a canvas');
  sample.draw(ctx, size);
  const blob = await new Promise<Blob | null>((resolve) => canvas.toBlob(resolve, 'image/png'));
  if (!blob) throw new Error('the sample could not be encoded');
  return new File([blob], `${sample.name}-sample.png`, { type: 'image/png' });
}
