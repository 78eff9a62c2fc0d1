// The Open Inference Protocol (KServe V2) REST shapes the gateway speaks, as zod schemas: the infer
// route validates requests with them and the OpenAPI document describes the V2 routes with them.
import { z } from 'zod';
import { IMAGE_CHANNELS, IMAGE_SIZE, NUM_CLASSES } from '@visionops/core';

/** The one model this server serves, under the name V2 clients address it by. */
export const V2_MODEL_NAME = 'cifar10';
/** The model's one input: pixels (UINT8 or FP32 [N,32,32,3]) or encoded images (BYTES [N]). */
export const V2_INPUT_NAME = 'images';
export const V2_OUTPUT_NAMES = ['probabilities', 'label'] as const;
export type V2OutputName = (typeof V2_OUTPUT_NAMES)[number];
export const V2_INPUT_DATATYPES = ['UINT8', 'FP32', 'BYTES'] as const;
export type V2InputDatatype = (typeof V2_INPUT_DATATYPES)[number];
/** What GET /v2 lists: the Triton extension names of what this server implements beyond the core. */
export const V2_EXTENSIONS = ['binary_tensor_data', 'classification'] as const;

export const V2_IMAGE_SHAPE = [IMAGE_SIZE, IMAGE_SIZE, IMAGE_CHANNELS] as const;

export const v2ErrorSchema = z
  .object({ error: z.string().meta({ description: 'what went wrong and what to fix' }) })
  .meta({ id: 'V2Error' });

export const v2ServerMetadataSchema = z
  .object({ name: z.string(), version: z.string(), extensions: z.array(z.string()) })
  .meta({ id: 'V2ServerMetadata' });

export const v2LiveSchema = z.object({ live: z.boolean() });
export const v2ReadySchema = z.object({ ready: z.boolean() });
export const v2ModelReadySchema = z.object({ name: z.string(), ready: z.boolean() });

const metadataTensorSchema = z.object({
  name: z.string(),
  datatype: z.string(),
  shape: z.array(z.number().int()).meta({ description: '-1 for a dimension of any size' }),
});

export const v2ModelMetadataSchema = z
  .object({
    name: z.string(),
    versions: z.array(z.string()),
    platform: z.string(),
    inputs: z.array(metadataTensorSchema),
    outputs: z.array(metadataTensorSchema),
  })
  .meta({ id: 'V2ModelMetadata' });

export const v2ModelParamsSchema = z.object({
  model: z.string().meta({ description: `the model name: "${V2_MODEL_NAME}"`, example: V2_MODEL_NAME }),
});
export const v2VersionParamsSchema = v2ModelParamsSchema.extend({
  version: z
    .string()
    .meta({ description: 'a model version (only the one in service answers)', example: 'v3' }),
});

// The protocol's parameters are strings, numbers or booleans; OpenVINO Model Server also takes a list
// of sizes in binary_data_size (one per encoded image).
const parameterValueSchema = z.union([z.string(), z.number(), z.boolean(), z.array(z.number())]);
const parametersSchema = z.record(z.string(), parameterValueSchema);

const shapeSchema = z.array(z.number().int().min(0)).max(8);

export const v2RequestInputSchema = z.object({
  name: z.string(),
  shape: shapeSchema,
  datatype: z.enum(V2_INPUT_DATATYPES, {
    error: `datatype must be UINT8 or FP32 (pixels, shape [N,${V2_IMAGE_SHAPE.join(',')}]) or BYTES (encoded images, shape [N])`,
  }),
  parameters: parametersSchema.optional().meta({
    description: 'binary_data_size: the bytes of this tensor after the JSON header (binary extension)',
  }),
  // Checked element by element by the tensor codec, which knows the datatype and shape.
  data: z
    .array(z.unknown())
    .optional()
    .meta({ description: 'row-major elements, flat or nested; BYTES elements are base64 strings' }),
});

export const v2RequestOutputSchema = z.object({
  name: z.enum(V2_OUTPUT_NAMES, { error: `outputs are named ${V2_OUTPUT_NAMES.join(' or ')}` }),
  parameters: parametersSchema
    .optional()
    .meta({ description: 'binary_data: true for binary output; classification: k for the top k classes' }),
});

export const v2InferenceRequestSchema = z
  .object({
    id: z.string().optional(),
    parameters: parametersSchema
      .optional()
      .meta({ description: 'binary_data_output: true for every output as binary data' }),
    inputs: z.array(v2RequestInputSchema).min(1),
    outputs: z.array(v2RequestOutputSchema).optional(),
  })
  .meta({ id: 'V2InferenceRequest' });

export type V2InferenceRequestBody = z.output<typeof v2InferenceRequestSchema>;

export const v2InferenceResponseSchema = z
  .object({
    model_name: z.string(),
    model_version: z.string(),
    id: z.string().optional(),
    parameters: z
      .object({ prediction_ids: z.string() })
      .optional()
      .meta({
        description:
          'prediction_ids: the predictionId of each image, comma-separated in input order (also in the ' +
          'x-prediction-id header), for POST /feedback',
      }),
    outputs: z.array(
      z.object({
        name: z.string(),
        shape: z.array(z.number().int()),
        datatype: z.enum(['FP32', 'BYTES']),
        parameters: parametersSchema.optional(),
        data: z.array(z.union([z.number(), z.string()])).optional(),
      }),
    ),
  })
  .meta({ id: 'V2InferenceResponse' });

/** Shapes of the model's tensors as model metadata states them (-1: any batch size). */
export const V2_INPUT_METADATA = { name: V2_INPUT_NAME, datatype: 'UINT8', shape: [-1, ...V2_IMAGE_SHAPE] };
export const V2_OUTPUT_METADATA = [
  { name: 'probabilities', datatype: 'FP32', shape: [-1, NUM_CLASSES] },
  { name: 'label', datatype: 'BYTES', shape: [-1] },
];
