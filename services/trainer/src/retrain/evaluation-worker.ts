// Runs in a worker thread: evaluates the fine-tuned candidate and the production model with
// TensorFlow.js, so the trainer's main thread stays free to renew its BullMQ lock meanwhile.
import { parentPort, workerData } from 'node:worker_threads';
import { initBackend } from '@visionops/core/engine';
import {
  createModel,
  evaluateModel,
  modelFromFiles,
  modelToFiles,
  setWeightValues,
} from '@visionops/core/model';
import type { EvaluationAnswer, EvaluationTask } from './evaluation-task.js';
import { referencePredictions } from './reference-predictions.js';

async function run(task: EvaluationTask): Promise<EvaluationAnswer> {
  await initBackend(task.backend);
  const candidate = createModel(task.architecture);
  setWeightValues(candidate, task.candidateWeights);
  const parent = await modelFromFiles({
    modelJson: Buffer.from(task.parentFiles.modelJson),
    weightsBin: Buffer.from(task.parentFiles.weightsBin),
  });
  const data = { images: task.images, labels: task.labels, n: task.n };
  const answer: EvaluationAnswer = {
    ok: true,
    candidate: evaluateModel(candidate, data, task.normalisation, task.datasetName),
    parent: evaluateModel(parent, data, task.normalisation, task.datasetName),
    candidateFiles: await modelToFiles(candidate),
    reference: referencePredictions(candidate, data, task.normalisation, task.datasetName),
  };
  candidate.dispose();
  parent.dispose();
  return answer;
}

const port = parentPort;
if (!port) throw new Error('evaluation-worker must run in a worker thread');
run(workerData as EvaluationTask).then(
  (answer) => port.postMessage(answer),
  (error: unknown) => {
    const e = error instanceof Error ? error : new Error(String(error));
    port.postMessage({ ok: false, message: e.message, stack: e.stack } satisfies EvaluationAnswer);
  },
);
