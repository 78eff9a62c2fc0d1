// GET /models/:version/export: a version as a legacy Keras HDF5 file (`keras-h5`, loadable by
// tf.keras.models.load_model) or as a ZIP of its TF.js files and card (`tfjs`).
import { Router } from 'express';
import type { ModelCard, ModelFiles } from '@visionops/core/model';
import type { ModelRegistry } from '@visionops/core/registry';
import { versionParamsSchema } from '../api/api-schemas.js';
import { parseRequest } from '../api/parse-request.js';
import type { RouteDoc } from '../api/route-docs.js';
import { exportQuerySchema } from './import-schemas.js';
import { fromRegistry } from './model-routes.js';

export const exportRouteDocs: RouteDoc[] = [
  {
    method: 'get',
    path: '/models/:version/export',
    tag: 'models',
    summary:
      'Download a version: `format=keras-h5` (default) a legacy Keras HDF5 file, `format=tfjs` a ZIP of ' +
      'model.json, weights.bin and card.json. The card says which preprocessing the model expects ' +
      '(also sent as the X-Visionops-Normalisation header) and how it is served: ' +
      'X-Visionops-Test-Time-Augmentation is `flip` when each answer averages the image and its mirror image, else `none`',
    params: versionParamsSchema,
    query: exportQuerySchema,
    responses: {
      200: { description: 'the model file', contentType: 'application/octet-stream' },
      400: { description: 'not a version id, or an unknown format' },
      404: { description: 'no such version' },
    },
  },
];

// TensorFlow.js is loaded on the first export only: the gateway's main thread runs no model otherwise.
async function kerasH5(files: ModelFiles): Promise<Buffer> {
  const [{ modelFromFiles }, { exportKerasH5 }] = await Promise.all([
    import('@visionops/core/model'),
    import('@visionops/core/keras'),
  ]);
  const model = await modelFromFiles(files);
  try {
    return await exportKerasH5(model);
  } finally {
    model.dispose();
  }
}

/** A Keras file carries no serving recipe: the card says whether answers average two views. */
function servedAugmentation(card: ModelCard): string {
  const { architecture } = card;
  return 'testTimeAugmentation' in architecture && architecture.testTimeAugmentation
    ? architecture.testTimeAugmentation
    : 'none';
}

export function exportRoutes(registry: ModelRegistry): Router {
  const router = Router();
  router.get('/models/:version/export', async (req, res) => {
    const { version } = parseRequest(versionParamsSchema, req.params, 'model version');
    const { format } = parseRequest(exportQuerySchema, req.query, 'query');
    const [card, files] = await fromRegistry(() => Promise.all([registry.getCard(version), registry.getFiles(version)]));
    const body =
      format === 'tfjs'
        ? await (await import('@visionops/core/keras')).exportTfjsZip(files, card)
        : await kerasH5(files);
    const fileName = `visionops-cifar10-${version}.${format === 'tfjs' ? 'zip' : 'h5'}`;
    res
      .status(200)
      .type(format === 'tfjs' ? 'application/zip' : 'application/x-hdf5')
      .set('Content-Disposition', `attachment; filename="${fileName}"`)
      .set('X-Visionops-Normalisation', JSON.stringify(card.normalisation))
      .set('X-Visionops-Test-Time-Augmentation', servedAugmentation(card))
      .send(body);
  });
  return router;
}
