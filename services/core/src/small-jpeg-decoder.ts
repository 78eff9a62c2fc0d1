// A fast path for the most common input, a 32x32 JPEG (the CIFAR-10 size): libjpeg-turbo compiled to
// WebAssembly decodes it synchronously in ~0.06 ms of CPU, where a sharp call costs ~0.5-1.6 ms
// (libvips pipeline set-up and a thread-pool hop), which dominated the gateway's CPU per request.
// It is the same libjpeg-turbo with the same defaults (accurate integer IDCT, fancy upsampling), so
// its pixels are bit-identical to sharp's (checked over real images in the tests). Anything it is
// not sure about (other sizes, EXIF, ICC profiles, Adobe transforms, warnings) is left to sharp.
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';

const SIZE = 32;
const CHANNELS = 3;
const TJPF_RGB = 0;
// TurboJPEG's flag to treat libjpeg warnings (truncated or corrupt data) as errors: such images go
// to sharp, whose `failOn` setting then decides, exactly as without this fast path.
const TJFLAG_STOPONWARNING = 8192;

// Node's WebAssembly global, as far as this file uses it (the project's TypeScript libs omit it).
declare const WebAssembly: {
  Module: new (bytes: Uint8Array) => object;
  Instance: new (module: object, imports: Record<string, Record<string, unknown>>) => { exports: unknown };
};

interface TurboJpegExports {
  memory: { buffer: ArrayBuffer };
  malloc(size: number): number;
  free(pointer: number): void;
  tjInitDecompress(): number;
  tjDecompressHeader3(
    handle: number,
    input: number,
    size: number,
    width: number,
    height: number,
    subsampling: number,
    colourspace: number,
  ): number;
  tjDecompress2(
    handle: number,
    input: number,
    size: number,
    output: number,
    width: number,
    pitch: number,
    height: number,
    pixelFormat: number,
    flags: number,
  ): number;
  tjDestroy(handle: number): number;
}

class JpegAbort extends Error {}

let wasmModule: object | undefined;
let instance: TurboJpegExports | undefined;

function turboJpeg(): TurboJpegExports {
  if (instance) return instance;
  if (!wasmModule) {
    const require = createRequire(import.meta.url);
    const packageDir = dirname(require.resolve('@cwasm/jpeg-turbo'));
    wasmModule = new WebAssembly.Module(readFileSync(join(packageDir, 'jpeg-turbo.wasm')));
  }
  const fail = (): never => {
    throw new JpegAbort('libjpeg-turbo gave up on the image');
  };
  // libjpeg reports errors through setjmp/longjmp, which this build turns into a JavaScript throw.
  // A throw leaves the module's own stack and heap in an unknown state, so after one the instance
  // is thrown away (see decodeSmallJpeg) and the next call starts a fresh one.
  const stub = { setjmp: () => 0, longjmp: fail };
  const wasi = {
    environ_sizes_get: () => 0,
    environ_get: fail,
    proc_exit: fail,
    fd_close: fail,
    fd_seek: fail,
    fd_write: fail,
  };
  instance = new WebAssembly.Instance(wasmModule, { env: stub, wasi_snapshot_preview1: wasi })
    .exports as TurboJpegExports;
  return instance;
}

// Markers that may come before the scan without changing how the pixels decode.
const APP0 = 0xe0;
const COM = 0xfe;
const DQT = 0xdb;
const DHT = 0xc4;
const DRI = 0xdd;
const SOS = 0xda;
const FRAME_MARKERS = new Set([0xc0, 0xc1, 0xc2]); // baseline, extended, progressive Huffman

/**
 * True when the JPEG's header promises a 32x32, three-component image and carries nothing that
 * sharp would act on (EXIF orientation, an ICC profile, an Adobe colour transform).
 */
function isPlainSmallJpeg(input: Buffer): boolean {
  let offset = 2;
  let frame = false;
  while (offset + 4 <= input.length) {
    if (input[offset] !== 0xff) return false;
    const marker = input[offset + 1]!;
    const length = input.readUInt16BE(offset + 2);
    if (marker === SOS) return frame;
    if (FRAME_MARKERS.has(marker)) {
      if (offset + 10 > input.length) return false;
      const height = input.readUInt16BE(offset + 5);
      const width = input.readUInt16BE(offset + 7);
      const components = input[offset + 9];
      if (frame || width !== SIZE || height !== SIZE || components !== CHANNELS) return false;
      frame = true;
    } else if (marker !== APP0 && marker !== COM && marker !== DQT && marker !== DHT && marker !== DRI) {
      return false;
    }
    offset += 2 + length;
  }
  return false;
}

function decodeWith(turbo: TurboJpegExports, input: Buffer): Uint8Array | undefined {
  const outputBytes = SIZE * SIZE * CHANNELS;
  const handle = turbo.tjInitDecompress();
  const inputPointer = turbo.malloc(input.length);
  const outputPointer = turbo.malloc(outputBytes);
  if (handle === 0 || inputPointer === 0 || outputPointer === 0) throw new JpegAbort('out of memory');
  new Uint8Array(turbo.memory.buffer, inputPointer, input.length).set(input);
  // A throw from here on leaves the instance to be discarded, so nothing is freed on that path.
  const status = turbo.tjDecompress2(
    handle,
    inputPointer,
    input.length,
    outputPointer,
    SIZE,
    SIZE * CHANNELS,
    SIZE,
    TJPF_RGB,
    TJFLAG_STOPONWARNING,
  );
  const pixels =
    status === 0 ? new Uint8Array(turbo.memory.buffer, outputPointer, outputBytes).slice() : undefined;
  turbo.free(outputPointer);
  turbo.free(inputPointer);
  turbo.tjDestroy(handle);
  return pixels;
}

/**
 * 32x32 RGB pixels (HWC, 3072 bytes) of a plain 32x32 JPEG, identical to what sharp would give;
 * undefined when the input is anything else or the decoder hesitates, so the caller uses sharp.
 */
export function decodeSmallJpeg(input: Buffer): Uint8Array | undefined {
  if (!isPlainSmallJpeg(input)) return undefined;
  try {
    return decodeWith(turboJpeg(), input);
  } catch {
    // JpegAbort, or a trap of the module itself: either way sharp takes the image.
    instance = undefined;
    return undefined;
  }
}

/** Size of the decoder's WebAssembly heap in bytes (0 before first use): for leak tests. */
export function smallJpegDecoderHeapBytes(): number {
  return instance?.memory.buffer.byteLength ?? 0;
}
