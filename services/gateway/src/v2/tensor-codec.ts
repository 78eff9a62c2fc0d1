// Reads an Open Inference Protocol request body into the images it carries (JSON tensor data, or a
// JSON header followed by binary tensor data) and writes the response's tensors back (JSON, or
// binary data after the header for the outputs that ask for it). Every refusal is a 4xx AppError
// that says what to fix.
import { NUM_CLASSES, PIXELS_PER_IMAGE } from '@visionops/core';
import { AppError } from '../app-error.js';
import { parseRequest } from '../api/parse-request.js';
import {
  V2_IMAGE_SHAPE,
  V2_INPUT_NAME,
  V2_OUTPUT_NAMES,
  v2InferenceRequestSchema,
  type V2InferenceRequestBody,
  type V2InputDatatype,
  type V2OutputName,
} from './v2-schemas.js';

export interface TensorLimits {
  /** Images one request may carry (PREDICT_MAX_FILES). */
  maxImages: number;
  /** Bytes one encoded image may have (MAX_IMAGE_BYTES). */
  maxImageBytes: number;
}

/** Decoded pixels (UINT8, FP32) or encoded images still to decode (BYTES), one entry per image. */
export type ImagesTensor =
  { datatype: 'UINT8' | 'FP32'; pixels: Uint8Array[] } | { datatype: 'BYTES'; encoded: Buffer[] };

export interface RequestedOutput {
  name: V2OutputName;
  /** Classification extension: the top `classification` classes as "score:index:label" strings. */
  classification?: number;
  binary: boolean;
}

export interface InferenceRequest {
  id?: string;
  images: ImagesTensor;
  outputs: RequestedOutput[];
}

export interface OutputTensor {
  name: string;
  datatype: 'FP32' | 'BYTES';
  shape: number[];
  values: Float32Array | string[];
  binary: boolean;
}

export interface EncodedResponse {
  body: Buffer;
  /** Set when binary data follows the JSON header: the header's length in bytes. */
  headerLength?: number;
}

const badRequest = (message: string) => new AppError('invalid_tensor', message, 400);
const shapeText = (shape: readonly number[]) => `[${shape.join(',')}]`;
const IMAGE_SHAPE_TEXT = `[N,${V2_IMAGE_SHAPE.join(',')}]`;
const BYTES_LENGTH_PREFIX = 4;

/** Parses the body: its first `Inference-Header-Content-Length` bytes as JSON (all of it without the header). */
export function readInferenceRequest(
  body: Buffer,
  headerLengthField: string | undefined,
  limits: TensorLimits,
): InferenceRequest {
  let headerLength = body.length;
  if (headerLengthField !== undefined) {
    headerLength = Number(headerLengthField);
    if (!/^\d+$/.test(headerLengthField.trim()) || headerLength > body.length) {
      throw badRequest(
        `Inference-Header-Content-Length is "${headerLengthField}": it must be the byte length of the JSON ` +
          `header, at most the body's ${body.length} bytes`,
      );
    }
  }
  if (headerLength === 0) throw badRequest('the request has no body: send the inference request as JSON');
  let json: unknown;
  try {
    json = JSON.parse(body.toString('utf8', 0, headerLength));
  } catch (error) {
    const hint =
      headerLengthField === undefined
        ? ' (a body with binary tensor data needs the Inference-Header-Content-Length header)'
        : '';
    throw badRequest(`the inference request header is not valid JSON: ${(error as Error).message}${hint}`);
  }
  const request = parseRequest(v2InferenceRequestSchema, json, 'inference request');
  return {
    ...(request.id !== undefined && { id: request.id }),
    images: readImages(request, body.subarray(headerLength), limits),
    outputs: requestedOutputs(request),
  };
}

function readImages(request: V2InferenceRequestBody, binary: Buffer, limits: TensorLimits): ImagesTensor {
  if (request.inputs.length !== 1) {
    throw badRequest(
      `the model takes one input, "${V2_INPUT_NAME}"; this request has ${request.inputs.length}`,
    );
  }
  const input = request.inputs[0]!;
  if (input.name !== V2_INPUT_NAME) {
    throw badRequest(`unknown input "${input.name}": the model's input is named "${V2_INPUT_NAME}"`);
  }
  const count = batchSize(input.datatype, input.shape, limits);
  const binarySize = input.parameters?.binary_data_size;
  if (binarySize !== undefined && input.data !== undefined) {
    throw badRequest('the input has both "data" and parameters.binary_data_size: send its elements one way');
  }
  if (binarySize === undefined) {
    if (binary.length > 0) {
      throw badRequest(
        `${binary.length} bytes follow the JSON header, but no input declares binary_data_size`,
      );
    }
    if (input.data === undefined) {
      throw badRequest('the input has no "data" (nor parameters.binary_data_size for binary data)');
    }
    return fromJson(input.datatype, count, input.data, limits);
  }
  const sizes = typeof binarySize === 'number' ? [binarySize] : binarySize;
  if (!Array.isArray(sizes) || sizes.some((size) => !Number.isSafeInteger(size) || size < 0)) {
    throw badRequest('binary_data_size must be a byte count (or, for BYTES, a list of one count per image)');
  }
  const total = sizes.reduce((sum, size) => sum + size, 0);
  if (total !== binary.length) {
    throw badRequest(
      `binary_data_size says ${total} bytes, but ${binary.length} bytes follow the JSON header ` +
        '(Inference-Header-Content-Length must give the JSON header length exactly)',
    );
  }
  if (input.datatype === 'BYTES') {
    const encoded = Array.isArray(binarySize) ? splitBySizes(binary, sizes) : lengthPrefixed(binary);
    return { datatype: 'BYTES', encoded: checkedImages(encoded, count, limits) };
  }
  return { datatype: input.datatype, pixels: pixelsFromBinary(input.datatype, count, binary) };
}

function batchSize(datatype: V2InputDatatype, shape: number[], limits: TensorLimits): number {
  const count = shape[0] ?? 0;
  const fits =
    datatype === 'BYTES'
      ? shape.length === 1 || (shape.length === 2 && shape[1] === 1)
      : shape.length === 4 && V2_IMAGE_SHAPE.every((size, i) => shape[i + 1] === size);
  if (!fits) {
    const expected = datatype === 'BYTES' ? '[N] (one encoded image per element)' : IMAGE_SHAPE_TEXT;
    throw badRequest(`shape ${shapeText(shape)} does not fit ${datatype}: send ${expected}`);
  }
  if (count === 0) throw badRequest('the batch is empty: send at least one image');
  if (count > limits.maxImages) {
    throw badRequest(`the batch has ${count} images; send at most ${limits.maxImages} in one request`);
  }
  return count;
}

/** Visits the elements of nested arrays in row-major order, at most `expected` of them. */
function forEachElement(
  data: unknown[],
  expected: number,
  visit: (value: unknown, index: number) => void,
): void {
  let index = 0;
  const walk = (items: unknown[], depth: number) => {
    for (const item of items) {
      if (Array.isArray(item)) {
        if (depth > V2_IMAGE_SHAPE.length) throw badRequest('"data" is nested deeper than the shape');
        walk(item, depth + 1);
        continue;
      }
      if (index >= expected) throw badRequest(`"data" has more elements than the shape's ${expected}`);
      visit(item, index++);
    }
  };
  walk(data, 0);
  if (index !== expected) {
    throw badRequest(`"data" has ${index} elements, but the shape needs ${expected}`);
  }
}

/** Views of one buffer of `count` 32x32x3 images. */
function perImage(pixels: Uint8Array, count: number): Uint8Array[] {
  return Array.from({ length: count }, (_, i) =>
    pixels.subarray(i * PIXELS_PER_IMAGE, (i + 1) * PIXELS_PER_IMAGE),
  );
}

// The model's input is 8-bit pixels, as a decoded image gives: FP32 pixels are rounded to the
// nearest integer and clamped to 0..255, so integer-valued FP32 pixels predict exactly as UINT8 ones.
function fp32Pixel(value: number, index: number): number {
  if (!Number.isFinite(value)) throw badRequest(`FP32 element ${index} is ${value}: pixels must be finite`);
  return Math.min(255, Math.max(0, Math.round(value)));
}

function fromJson(
  datatype: V2InputDatatype,
  count: number,
  data: unknown[],
  limits: TensorLimits,
): ImagesTensor {
  if (datatype === 'BYTES') {
    const encoded: Buffer[] = [];
    forEachElement(data, count, (value, index) => {
      // Disjoint character classes keep the check linear on a hostile multi-megabyte string.
      if (typeof value !== 'string' || !/^[A-Za-z0-9+/_-]*={0,2}$/.test(value)) {
        throw badRequest(`BYTES element ${index} is not a base64 string of an encoded image`);
      }
      encoded.push(Buffer.from(value, 'base64'));
    });
    return { datatype, encoded: checkedImages(encoded, count, limits) };
  }
  const pixels = new Uint8Array(count * PIXELS_PER_IMAGE);
  forEachElement(data, pixels.length, (value, index) => {
    if (typeof value !== 'number') throw badRequest(`${datatype} element ${index} is not a number`);
    if (datatype === 'UINT8') {
      if (!Number.isInteger(value) || value < 0 || value > 255) {
        throw badRequest(`UINT8 element ${index} is ${value}: pixels are integers 0..255`);
      }
      pixels[index] = value;
    } else {
      pixels[index] = fp32Pixel(value, index);
    }
  });
  return { datatype, pixels: perImage(pixels, count) };
}

function pixelsFromBinary(datatype: 'UINT8' | 'FP32', count: number, binary: Buffer): Uint8Array[] {
  const elements = count * PIXELS_PER_IMAGE;
  const bytesPerElement = datatype === 'UINT8' ? 1 : 4;
  if (binary.length !== elements * bytesPerElement) {
    throw badRequest(
      `binary_data_size is ${binary.length} bytes, but ${datatype} ${shapeText([count, ...V2_IMAGE_SHAPE])} ` +
        `takes ${elements * bytesPerElement}`,
    );
  }
  if (datatype === 'UINT8') return perImage(binary, count);
  const pixels = new Uint8Array(elements);
  for (let i = 0; i < elements; i++) pixels[i] = fp32Pixel(binary.readFloatLE(i * 4), i);
  return perImage(pixels, count);
}

/** BYTES as the binary extension writes them: each element a 4-byte little-endian length, then its bytes. */
function lengthPrefixed(binary: Buffer): Buffer[] {
  const elements: Buffer[] = [];
  let offset = 0;
  while (offset < binary.length) {
    if (offset + BYTES_LENGTH_PREFIX > binary.length) {
      throw badRequest('the BYTES binary data ends inside an element length');
    }
    const length = binary.readUInt32LE(offset);
    offset += BYTES_LENGTH_PREFIX;
    if (offset + length > binary.length) {
      throw badRequest(`a BYTES element declares ${length} bytes, more than the binary data has left`);
    }
    elements.push(binary.subarray(offset, offset + length));
    offset += length;
  }
  return elements;
}

/** BYTES as OpenVINO Model Server also takes them: the images back to back, their sizes listed. */
function splitBySizes(binary: Buffer, sizes: number[]): Buffer[] {
  let offset = 0;
  return sizes.map((size) => binary.subarray(offset, (offset += size)));
}

function checkedImages(encoded: Buffer[], count: number, limits: TensorLimits): Buffer[] {
  if (encoded.length !== count) {
    throw badRequest(`the BYTES input has ${encoded.length} elements, but its shape says ${count}`);
  }
  const large = encoded.findIndex((image) => image.length > limits.maxImageBytes);
  if (large >= 0) {
    throw new AppError(
      'image_too_large',
      `image ${large} has ${encoded[large]!.length} bytes; each image must be at most ${limits.maxImageBytes} bytes`,
      413,
    );
  }
  return encoded;
}

function requestedOutputs(request: V2InferenceRequestBody): RequestedOutput[] {
  const binaryDefault =
    booleanParameter(request.parameters?.binary_data_output, 'binary_data_output') ?? false;
  // No outputs named (or an empty list, as Triton reads it): all of them.
  if (request.outputs === undefined || request.outputs.length === 0) {
    return V2_OUTPUT_NAMES.map((name) => ({ name, binary: binaryDefault }));
  }
  const seen = new Set<string>();
  return request.outputs.map((output) => {
    if (seen.has(output.name)) throw badRequest(`the output "${output.name}" is requested twice`);
    seen.add(output.name);
    const binary = booleanParameter(output.parameters?.binary_data, 'binary_data') ?? binaryDefault;
    const classification = output.parameters?.classification;
    if (classification === undefined) return { name: output.name, binary };
    if (output.name !== 'probabilities') {
      throw badRequest('classification applies to the "probabilities" output, not to "label"');
    }
    if (
      typeof classification !== 'number' ||
      !Number.isInteger(classification) ||
      classification < 1 ||
      classification > NUM_CLASSES
    ) {
      throw badRequest(`classification must be a whole number of classes from 1 to ${NUM_CLASSES}`);
    }
    return { name: output.name, binary, classification };
  });
}

function booleanParameter(value: unknown, name: string): boolean | undefined {
  if (value === undefined || typeof value === 'boolean') return value;
  throw badRequest(`the parameter ${name} must be true or false`);
}

/** The tensor's elements as binary data: FP32 little-endian, BYTES each with its 4-byte length. */
function binaryData(tensor: OutputTensor): Buffer {
  if (tensor.values instanceof Float32Array) {
    const data = Buffer.alloc(tensor.values.length * 4);
    tensor.values.forEach((value, i) => data.writeFloatLE(value, i * 4));
    return data;
  }
  return Buffer.concat(
    tensor.values.flatMap((value) => {
      const bytes = Buffer.from(value, 'utf8');
      const length = Buffer.alloc(BYTES_LENGTH_PREFIX);
      length.writeUInt32LE(bytes.length);
      return [length, bytes];
    }),
  );
}

/** The response body: all JSON, or a JSON header and the binary outputs' data in output order. */
export function encodeInferenceResponse(
  head: { model_name: string; model_version: string; id?: string; parameters?: Record<string, string> },
  tensors: OutputTensor[],
): EncodedResponse {
  const blobs: Buffer[] = [];
  const outputs = tensors.map(({ name, datatype, shape, values, binary }) => {
    if (!binary)
      return { name, datatype, shape, data: values instanceof Float32Array ? Array.from(values) : values };
    const data = binaryData({ name, datatype, shape, values, binary });
    blobs.push(data);
    return { name, datatype, shape, parameters: { binary_data_size: data.length } };
  });
  const header = Buffer.from(JSON.stringify({ ...head, outputs }), 'utf8');
  if (blobs.length === 0) return { body: header };
  return { body: Buffer.concat([header, ...blobs]), headerLength: header.length };
}
