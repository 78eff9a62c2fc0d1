import * as tf from '@tensorflow/tfjs';
import { initBackend } from './src/engine/index.js';
import { createModel } from './src/model/architecture.js';
await initBackend('onednn');
const model = createModel({ name: 'resnet9', width: 24 }, 1);
const x = tf.randomNormal([128, 32, 32, 3]);
for (let i = 0; i < 2; i++) tf.tidy(() => (model.predict(x) as tf.Tensor).dataSync());
const info = await tf.profile(() => tf.tidy(() => (model.predict(x) as tf.Tensor).dataSync()));
for (const k of info.kernels) console.log(k.name, (k.kernelTimeMs as number).toFixed(2), JSON.stringify(k.inputShapes), JSON.stringify(k.outputShapes));
