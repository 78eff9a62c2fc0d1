// Runs in a worker thread: converts a Keras file with TensorFlow.js, then evaluates it and the
// production model, so the trainer's main thread stays free to renew its BullMQ lock meanwhile.
import { parentPort, workerData } from 'node:worker_threads';
import { initBackend } from '@visionops/core/engine';
import { importKerasModel, KerasImportError } from '@visionops/core/keras';
import { evaluateModel, modelFromFiles, modelToFiles } from '@visionops/core/model';
import { referencePredictions } from '../retrain/reference-predictions.js';
import type { ImportAnswer, ImportTask } from './import-task.js';

async function run(task: ImportTask): Promise<ImportAnswer> {
  const engine = await initBackend(task.backend);
  const imported = await importKerasModel(
    Buffer.from(task.file.buffer, task.file.byteOffset, task.file.byteLength),
  );
  const production = await modelFromFiles({
    modelJson: Buffer.from(task.production.files.modelJson),
    weightsBin: Buffer.from(task.production.files.weightsBin),
  });
  try {
    const data = { images: task.images, labels: task.labels, n: task.n };
    return {
      ok: true,
      files: await modelToFiles(imported.model),
      metrics: evaluateModel(imported.model, data, task.normalisation, task.datasetName),
      productionMetrics: evaluateModel(production, data, task.production.normalisation, task.datasetName),
      reference: referencePredictions(imported.model, data, task.normalisation, task.datasetName),
      kerasVersion: imported.origin.kerasVersion,
      kerasBackend: imported.origin.backend,
      output: imported.output,
      layers: imported.layers.length,
      parameters: imported.parameters,
      engine: engine.name,
    };
  } finally {
    imported.model.dispose();
    production.dispose();
  }
}

const port = parentPort;
if (!port) throw new Error('import-worker must run in a worker thread');
run(workerData as ImportTask).then(
  (answer) => port.postMessage(answer),
  (error: unknown) => {
    const e = error instanceof Error ? error : new Error(String(error));
    port.postMessage({
      ok: false,
      refused: error instanceof KerasImportError,
      message: e.message,
      stack: e.stack,
    } satisfies ImportAnswer);
  },
);
