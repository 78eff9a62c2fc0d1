// Inference with batch normalisation folded into the convolution before it. A chain
// Conv2D -> [MaxPooling2D] -> BatchNormalization -> [ReLU] runs as one convolution whose filter and
// bias absorb the normalisation, with the ReLU as the convolution's activation: one kernel instead
// of three or four, and no pass of the normalisation or the ReLU over the activations.
//
// Without a pooling layer the fold is exact algebra: BN(conv(x, K) + b) = conv(x, K * s) +
// (b - mean) * s + beta, with s = gamma / sqrt(variance + epsilon) per channel. With a pooling
// layer in between, the affine map and the ReLU are moved before the pooling, which is exact only
// when no channel's scale is negative (both are then non-decreasing, so they commute with a
// maximum); a chain with a negative scale runs its layers unfolded. Any other layer runs as
// itself, and a model whose graph this walker does not follow (several inputs or outputs, a layer
// used twice) runs through model.predict. The folded filters are computed once and recomputed
// when any of the weights they came from is replaced (training assigns new tensors).
import * as tf from '@tensorflow/tfjs';

interface GraphNode {
  inboundLayers: tf.layers.Layer[];
  inputTensors: tf.SymbolicTensor[];
  outputTensors: tf.SymbolicTensor[];
}
type GraphLayer = tf.layers.Layer & { inboundNodes: GraphNode[]; outboundNodes: GraphNode[] };

interface ConvConfig {
  strides: [number, number];
  padding: 'same' | 'valid';
  dilationRate: [number, number];
  dataFormat: string;
  activation: string;
  useBias: boolean;
}
interface PoolConfig {
  poolSize: [number, number];
  strides: [number, number];
  padding: 'same' | 'valid';
  dataFormat: string;
}
interface NormConfig {
  axis: number;
  epsilon: number;
}

interface Folded {
  /** The data of the weights the folded ones were computed from, to notice a replaced weight. */
  sources: object[];
  filter: tf.Tensor4D;
  bias: tf.Tensor1D;
  /** False when a channel's scale is negative and a pooling layer sits in the chain. */
  usable: boolean;
}

interface ConvChain {
  kind: 'chain';
  conv: GraphLayer;
  /** The layers' configs, read once when the plan is made (getConfig builds a new object). */
  convConfig: ConvConfig;
  poolConfig?: PoolConfig;
  pool?: GraphLayer;
  norm: GraphLayer;
  relu?: GraphLayer;
  input: tf.SymbolicTensor;
  output: tf.SymbolicTensor;
  folded?: Folded;
}
interface LayerStep {
  kind: 'layer';
  layer: GraphLayer;
  inputs: tf.SymbolicTensor[];
  output: tf.SymbolicTensor;
}
type Step = ConvChain | LayerStep;

interface Plan {
  steps: Step[];
  input: tf.SymbolicTensor;
  output: tf.SymbolicTensor;
  /** How many steps read each symbolic tensor (by id), to free intermediate values early. */
  readers: Map<number, number>;
}

const plans = new WeakMap<tf.LayersModel, Plan | null>();

const className = (layer: tf.layers.Layer) => layer.getClassName();
const config = <T>(layer: tf.layers.Layer) => layer.getConfig() as unknown as T;

/** The single layer that reads `layer`'s output, if exactly one does. */
function soleReader(layer: GraphLayer): GraphLayer | undefined {
  const readers = layer.outboundNodes;
  if (readers.length !== 1) return undefined;
  const node = readers[0]!;
  const owner = (node as unknown as { outboundLayer?: GraphLayer }).outboundLayer;
  return owner && owner.inboundNodes.length === 1 ? owner : undefined;
}

function isFoldableConv(layer: GraphLayer): boolean {
  if (className(layer) !== 'Conv2D') return false;
  const c = config<ConvConfig>(layer);
  return c.dataFormat === 'channelsLast' && c.activation === 'linear';
}

function isPool(layer: GraphLayer | undefined): layer is GraphLayer {
  return (
    !!layer && className(layer) === 'MaxPooling2D' && config<PoolConfig>(layer).dataFormat === 'channelsLast'
  );
}

function isLastAxisNorm(layer: GraphLayer | undefined): layer is GraphLayer {
  if (!layer || className(layer) !== 'BatchNormalization') return false;
  const { axis } = config<NormConfig>(layer);
  return axis === -1 || axis === 3;
}

function isPlainRelu(layer: GraphLayer | undefined): layer is GraphLayer {
  if (!layer) return false;
  if (className(layer) === 'Activation') return (layer.getConfig()['activation'] as string) === 'relu';
  if (className(layer) !== 'ReLU') return false;
  const maxValue = layer.getConfig()['maxValue'];
  return maxValue === null || maxValue === undefined;
}

/** Walks the model's layers in topological order into steps; null when the graph is not followed. */
function planOf(model: tf.LayersModel): Plan | null {
  if (model.inputs.length !== 1 || model.outputs.length !== 1) return null;
  const layers = model.layers as GraphLayer[];
  if (layers.some((layer) => layer.inboundNodes.length !== 1)) return null;
  const steps: Step[] = [];
  const absorbed = new Set<tf.layers.Layer>();
  for (const layer of layers) {
    if (absorbed.has(layer) || className(layer) === 'InputLayer') continue;
    const node = layer.inboundNodes[0]!;
    if (node.outputTensors.length !== 1) return null;
    const chain = isFoldableConv(layer) ? chainFrom(layer) : undefined;
    if (chain) {
      for (const part of [chain.pool, chain.norm, chain.relu]) if (part) absorbed.add(part);
      steps.push(chain);
    } else {
      steps.push({ kind: 'layer', layer, inputs: node.inputTensors, output: node.outputTensors[0]! });
    }
  }
  const readers = new Map<number, number>();
  for (const step of steps) {
    for (const input of step.kind === 'chain' ? [step.input] : step.inputs) {
      readers.set(input.id, (readers.get(input.id) ?? 0) + 1);
    }
  }
  return { steps, input: model.inputs[0]!, output: model.outputs[0]!, readers };
}

function chainFrom(conv: GraphLayer): ConvChain | undefined {
  let next = soleReader(conv);
  const pool = isPool(next) ? next : undefined;
  if (pool) next = soleReader(pool);
  if (!isLastAxisNorm(next)) return undefined;
  const norm = next;
  const after = soleReader(norm);
  const relu = isPlainRelu(after) ? after : undefined;
  const last = relu ?? norm;
  return {
    kind: 'chain',
    conv,
    convConfig: config<ConvConfig>(conv),
    poolConfig: pool ? config<PoolConfig>(pool) : undefined,
    pool,
    norm,
    relu,
    input: conv.inboundNodes[0]!.inputTensors[0]!,
    output: last.inboundNodes[0]!.outputTensors[0]!,
  };
}

/** The weights of a normalisation layer by role (gamma and beta are absent when disabled). */
function normWeights(norm: tf.layers.Layer) {
  const byRole = new Map(
    norm.weights.map((w) => [w.originalName.split('/').pop()!, w.read()] as [string, tf.Tensor]),
  );
  return {
    gamma: byRole.get('gamma'),
    beta: byRole.get('beta'),
    mean: byRole.get('moving_mean')!,
    variance: byRole.get('moving_variance')!,
  };
}

/** The data of every weight the fold reads (training assigns new data to a variable). */
function sourceData(chain: ConvChain): object[] {
  const n = normWeights(chain.norm);
  return [...chain.conv.weights.map((w) => w.read()), n.mean, n.variance, n.gamma, n.beta]
    .filter((t): t is tf.Tensor => t !== undefined)
    .map((t) => t.dataId);
}

function fold(chain: ConvChain, sources: object[]): Folded {
  const [kernel, convBias] = chain.conv.weights.map((w) => w.read()) as [tf.Tensor4D, tf.Tensor1D?];
  const { gamma, beta, mean, variance } = normWeights(chain.norm);
  const { epsilon } = config<NormConfig>(chain.norm);
  const [filter, bias, usable] = tf.tidy(() => {
    const scale = tf.div<tf.Tensor1D>(gamma ?? tf.onesLike(mean), tf.sqrt(tf.add(variance, epsilon)));
    const centred = convBias ? tf.sub(convBias, mean) : tf.neg(mean);
    // Moving the affine map before a maximum is exact only for non-negative scales.
    const nonNegative = chain.pool ? tf.cast(tf.greaterEqual(tf.min(scale), 0), 'float32') : tf.scalar(1);
    return [
      tf.mul<tf.Tensor4D>(kernel, scale),
      tf.add<tf.Tensor1D>(tf.mul(centred, scale), beta ?? tf.zerosLike(mean)),
      nonNegative,
    ];
  });
  const isUsable = usable.dataSync()[0] === 1;
  usable.dispose();
  // Kept past the caller's tidy: they live until the weights change or the model is disposed.
  return { sources, filter: tf.keep(filter), bias: tf.keep(bias), usable: isUsable };
}

function foldedOf(chain: ConvChain): Folded {
  const sources = sourceData(chain);
  const current = chain.folded;
  if (
    current &&
    current.sources.length === sources.length &&
    current.sources.every((d, i) => d === sources[i])
  ) {
    return current;
  }
  if (current) tf.dispose([current.filter, current.bias]);
  chain.folded = fold(chain, sources);
  return chain.folded;
}

function runChain(chain: ConvChain, x: tf.Tensor): tf.Tensor {
  const folded = foldedOf(chain);
  if (!folded.usable) {
    let y = chain.conv.apply(x) as tf.Tensor;
    for (const part of [chain.pool, chain.norm, chain.relu]) {
      if (part) y = part.apply(y, { training: false }) as tf.Tensor;
    }
    return y;
  }
  const c = chain.convConfig;
  const y = tf.fused.conv2d({
    x: x as tf.Tensor4D,
    filter: folded.filter,
    strides: c.strides,
    pad: c.padding,
    dilations: c.dilationRate,
    bias: folded.bias,
    activation: chain.relu ? 'relu' : 'linear',
  });
  const p = chain.poolConfig;
  return p ? tf.maxPool(y, p.poolSize, p.strides, p.padding) : y;
}

function releasePlan(plan: Plan): void {
  for (const step of plan.steps) {
    if (step.kind === 'chain' && step.folded) {
      tf.dispose([step.folded.filter, step.folded.bias]);
      step.folded = undefined;
    }
  }
}

function planFor(model: tf.LayersModel): Plan | null {
  let plan = plans.get(model);
  if (plan === undefined) {
    plan = planOf(model);
    plans.set(model, plan);
    if (plan) {
      // The folded filters live as long as the model: released with its weights.
      const dispose = model.dispose.bind(model);
      const planned = plan;
      model.dispose = () => {
        releasePlan(planned);
        plans.delete(model);
        return dispose();
      };
    }
  }
  return plan;
}

/**
 * The model's outputs for the NHWC batch `x` in inference mode, with batch normalisation folded
 * into the convolutions where the graph allows; the same values as model.predict up to float
 * rounding, in one pass over the whole batch.
 */
export function inferenceOutputs(model: tf.LayersModel, x: tf.Tensor4D): tf.Tensor {
  const plan = planFor(model);
  if (!plan) return model.predict(x, { batchSize: x.shape[0] }) as tf.Tensor;
  return tf.tidy(() => {
    const values = new Map<number, tf.Tensor>([[plan.input.id, x]]);
    const left = new Map(plan.readers);
    const read = (symbolic: tf.SymbolicTensor) => {
      const value = values.get(symbolic.id);
      if (!value) throw new Error(`no value for ${symbolic.name}`);
      const remaining = (left.get(symbolic.id) ?? 1) - 1;
      left.set(symbolic.id, remaining);
      return { value, last: remaining === 0 && symbolic !== plan.input && symbolic !== plan.output };
    };
    for (const step of plan.steps) {
      const inputs = (step.kind === 'chain' ? [step.input] : step.inputs).map(read);
      const args = inputs.map((input) => input.value);
      const y =
        step.kind === 'chain'
          ? runChain(step, args[0]!)
          : (step.layer.apply(args.length === 1 ? args[0]! : args, { training: false }) as tf.Tensor);
      values.set(step.output.id, y);
      // Intermediate activations are freed as soon as their last reader ran.
      for (const input of inputs) if (input.last) input.value.dispose();
    }
    const output = values.get(plan.output.id);
    if (!output) throw new Error('the model output was not computed');
    return output;
  });
}
