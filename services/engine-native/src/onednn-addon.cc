// oneDNN convolutions for the TensorFlow.js wasm backend. Every call gets the wasm heap's
// ArrayBuffer and the byte offsets of its tensors, and reads and writes them in place: no copy
// per op. Activations are NHWC and filters HWIO, as TensorFlow.js keeps them; oneDNN chooses its
// own (blocked) layout for the small filter tensors only, which are reordered each call.
//
// The call is synchronous and runs no JavaScript, and the heap is a plain (non-shared) buffer,
// so the wasm memory cannot grow or move while oneDNN works on it.
//
// The addon is linked with -z nodelete (binding.gyp): Node unloads an addon that a worker thread
// loaded when that thread exits, and libgomp would go with it while its idle pool threads are
// still parked in its code, which crashed the process (SIGSEGV) some time after such a thread
// exited. Once loaded, the addon, libdnnl and libgomp stay for the life of the process.
#include <node_api.h>
#include <omp.h>

#include <cmath>
#include <cstdint>
#include <cstring>
#include <dnnl.hpp>
#include <memory>
#include <stdexcept>
#include <string>
#include <unordered_map>

namespace {

using dnnl::memory;
using tag = memory::format_tag;
using dt = memory::data_type;

enum Kind : int32_t { kForward = 0, kBackwardData = 1, kBackwardWeights = 2 };

// The layout of the Int32Array of arguments that JavaScript passes with the heap.
enum Arg : int {
  kKind,
  kRelu,
  kHasBias,
  kIn0,
  kIn1,
  kIn2,
  kOut,
  kN,
  kH,
  kW,
  kC,
  kKh,
  kKw,
  kO,
  kOh,
  kOw,
  kSh,
  kSw,
  kPadTop,
  kPadLeft,
  kPadBottom,
  kPadRight,
  kDilH,
  kDilW,
  kArgCount
};

struct Plan {
  dnnl::primitive primitive;
  // The filter (or filter gradient) in the layout oneDNN chose, and the reorder to or from HWIO.
  bool reorderWeights = false;
  memory::desc userWeights;
  memory::desc weights;
  memory weightsBuffer;
  dnnl::reorder weightsReorder;
  memory::desc in0, in1, in2, out;
  std::string implementation;
};

struct Context {
  dnnl::engine engine{dnnl::engine::kind::cpu, 0};
  dnnl::stream stream{engine};
  std::unordered_map<std::string, std::unique_ptr<Plan>> plans;
  int threads = 1;
};

// A plan is made for a thread count: oneDNN splits a primitive's work for the OpenMP threads there
// are when it is created, and runs it with that split. A plan made at one thread and run after
// setThreads(2) ran on one thread (bench:engine's 2-thread figures equalled its 1-thread ones).
std::string KeyOf(const int32_t* a, int threads) {
  std::string key = std::to_string(threads) + ':';
  for (int i = 0; i < kArgCount; i++) {
    if (i >= kIn0 && i <= kOut) continue;  // offsets change, shapes decide the plan
    key += std::to_string(a[i]);
    key += ',';
  }
  return key;
}

std::unique_ptr<Plan> MakePlan(Context& ctx, const int32_t* a) {
  const memory::dims src = {a[kN], a[kC], a[kH], a[kW]};
  const memory::dims dst = {a[kN], a[kO], a[kOh], a[kOw]};
  const memory::dims wei = {a[kO], a[kC], a[kKh], a[kKw]};
  const memory::dims strides = {a[kSh], a[kSw]};
  const memory::dims dilates = {a[kDilH] - 1, a[kDilW] - 1};
  const memory::dims padL = {a[kPadTop], a[kPadLeft]};
  const memory::dims padR = {a[kPadBottom], a[kPadRight]};
  const memory::desc srcMd(src, dt::f32, tag::nhwc);
  const memory::desc dstMd(dst, dt::f32, tag::nhwc);
  const memory::desc weiAny(wei, dt::f32, tag::any);
  const memory::desc biasMd({a[kO]}, dt::f32, tag::a);
  const bool hasBias = a[kHasBias] != 0;

  auto plan = std::make_unique<Plan>();
  plan->userWeights = memory::desc(wei, dt::f32, tag::hwio);
  const auto algorithm = dnnl::algorithm::convolution_direct;
  const auto forwardDesc = [&](dnnl::prop_kind prop) {
    return hasBias ? dnnl::convolution_forward::desc(prop, algorithm, srcMd, weiAny, biasMd, dstMd,
                                                     strides, dilates, padL, padR)
                   : dnnl::convolution_forward::desc(prop, algorithm, srcMd, weiAny, dstMd, strides,
                                                     dilates, padL, padR);
  };

  if (a[kKind] == kForward) {
    dnnl::primitive_attr attr;
    if (a[kRelu]) {
      dnnl::post_ops ops;
      ops.append_eltwise(1.0f, dnnl::algorithm::eltwise_relu, 0.0f, 0.0f);
      attr.set_post_ops(ops);
    }
    dnnl::convolution_forward::primitive_desc pd(forwardDesc(dnnl::prop_kind::forward_inference),
                                                 attr, ctx.engine);
    plan->weights = pd.weights_desc();
    plan->in0 = srcMd;
    plan->in2 = biasMd;
    plan->out = dstMd;
    plan->primitive = dnnl::convolution_forward(pd);
    plan->implementation = pd.impl_info_str();
  } else {
    dnnl::convolution_forward::primitive_desc hint(forwardDesc(dnnl::prop_kind::forward_training),
                                                   ctx.engine);
    if (a[kKind] == kBackwardData) {
      dnnl::convolution_backward_data::desc desc(algorithm, srcMd, weiAny, dstMd, strides, dilates,
                                                 padL, padR);
      dnnl::convolution_backward_data::primitive_desc pd(desc, ctx.engine, hint);
      plan->weights = pd.weights_desc();
      plan->in0 = dstMd;  // dy
      plan->out = srcMd;  // dx
      plan->primitive = dnnl::convolution_backward_data(pd);
      plan->implementation = pd.impl_info_str();
    } else {
      dnnl::convolution_backward_weights::desc desc(algorithm, srcMd, weiAny, dstMd, strides,
                                                    dilates, padL, padR);
      dnnl::convolution_backward_weights::primitive_desc pd(desc, ctx.engine, hint);
      plan->weights = pd.diff_weights_desc();
      plan->in0 = srcMd;  // x
      plan->in1 = dstMd;  // dy
      plan->primitive = dnnl::convolution_backward_weights(pd);
      plan->implementation = pd.impl_info_str();
    }
  }
  plan->reorderWeights = plan->weights != plan->userWeights;
  if (plan->reorderWeights) {
    plan->weightsBuffer = memory(plan->weights, ctx.engine);
    const memory user(plan->userWeights, ctx.engine, DNNL_MEMORY_NONE);
    plan->weightsReorder = a[kKind] == kBackwardWeights
                               ? dnnl::reorder(plan->weightsBuffer, user)
                               : dnnl::reorder(user, plan->weightsBuffer);
  }
  return plan;
}

napi_value Throw(napi_env env, const char* message) {
  napi_throw_error(env, "ONEDNN_KERNEL", message);
  return nullptr;
}

Context* ContextOf(napi_env env) {
  void* data = nullptr;
  napi_get_instance_data(env, &data);
  return static_cast<Context*>(data);
}

// conv2d(heap: ArrayBuffer, args: Int32Array) -> implementation name (string)
napi_value Conv2d(napi_env env, napi_callback_info info) {
  size_t argc = 2;
  napi_value argv[2];
  napi_get_cb_info(env, info, &argc, argv, nullptr, nullptr);
  if (argc < 2) return Throw(env, "conv2d(heap, args) needs two arguments");
  void* heapData = nullptr;
  size_t heapBytes = 0;
  if (napi_get_arraybuffer_info(env, argv[0], &heapData, &heapBytes) != napi_ok) {
    return Throw(env, "conv2d: heap must be an ArrayBuffer");
  }
  napi_typedarray_type type;
  size_t length = 0;
  void* argsData = nullptr;
  if (napi_get_typedarray_info(env, argv[1], &type, &length, &argsData, nullptr, nullptr) != napi_ok ||
      type != napi_int32_array || length < kArgCount) {
    return Throw(env, "conv2d: args must be an Int32Array of the documented length");
  }
  const int32_t* a = static_cast<const int32_t*>(argsData);
  Context* ctx = ContextOf(env);
  auto* heap = static_cast<uint8_t*>(heapData);
  const auto at = [&](int arg, int64_t elements) -> void* {
    const uint64_t offset = static_cast<uint32_t>(a[arg]);
    if (offset + static_cast<uint64_t>(elements) * 4 > heapBytes) throw std::range_error("tensor outside the heap");
    return heap + offset;
  };
  try {
    omp_set_num_threads(ctx->threads);
    const std::string key = KeyOf(a, ctx->threads);
    auto found = ctx->plans.find(key);
    if (found == ctx->plans.end()) found = ctx->plans.emplace(key, MakePlan(*ctx, a)).first;
    Plan& plan = *found->second;
    const int64_t src = int64_t{a[kN]} * a[kH] * a[kW] * a[kC];
    const int64_t dst = int64_t{a[kN]} * a[kOh] * a[kOw] * a[kO];
    const int64_t wei = int64_t{a[kKh]} * a[kKw] * a[kC] * a[kO];
    const auto& eng = ctx->engine;
    auto& strm = ctx->stream;
    const auto weightsMemory = [&](void* user) {
      if (!plan.reorderWeights) return memory(plan.userWeights, eng, user);
      return plan.weightsBuffer;
    };
    if (a[kKind] == kForward || a[kKind] == kBackwardData) {
      void* userWeights = at(kIn1, wei);
      if (plan.reorderWeights) {
        memory user(plan.userWeights, eng, userWeights);
        plan.weightsReorder.execute(strm, user, plan.weightsBuffer);
      }
      std::unordered_map<int, memory> args;
      if (a[kKind] == kForward) {
        args.emplace(DNNL_ARG_SRC, memory(plan.in0, eng, at(kIn0, src)));
        args.emplace(DNNL_ARG_WEIGHTS, weightsMemory(userWeights));
        if (a[kHasBias]) args.emplace(DNNL_ARG_BIAS, memory(plan.in2, eng, at(kIn2, a[kO])));
        args.emplace(DNNL_ARG_DST, memory(plan.out, eng, at(kOut, dst)));
      } else {
        args.emplace(DNNL_ARG_DIFF_DST, memory(plan.in0, eng, at(kIn0, dst)));
        args.emplace(DNNL_ARG_WEIGHTS, weightsMemory(userWeights));
        args.emplace(DNNL_ARG_DIFF_SRC, memory(plan.out, eng, at(kOut, src)));
      }
      plan.primitive.execute(strm, args);
    } else {
      void* userWeights = at(kOut, wei);
      plan.primitive.execute(strm, {{DNNL_ARG_SRC, memory(plan.in0, eng, at(kIn0, src))},
                                    {DNNL_ARG_DIFF_DST, memory(plan.in1, eng, at(kIn1, dst))},
                                    {DNNL_ARG_DIFF_WEIGHTS, weightsMemory(userWeights)}});
      if (plan.reorderWeights) {
        memory user(plan.userWeights, eng, userWeights);
        plan.weightsReorder.execute(strm, plan.weightsBuffer, user);
      }
    }
    strm.wait();
    napi_value result;
    napi_create_string_utf8(env, plan.implementation.c_str(), plan.implementation.size(), &result);
    return result;
  } catch (const dnnl::error& error) {
    return Throw(env, (std::string("oneDNN: ") + error.what()).c_str());
  } catch (const std::exception& error) {
    return Throw(env, error.what());
  }
}

// Batch normalisation over the last axis of a [rows, channels] view (NHWC with rows = N*H*W).
// Plain OpenMP loops: per-thread partial sums in double, then one pass over the data.
struct HeapView {
  uint8_t* data;
  size_t bytes;
  const int32_t* args;
  float* At(int arg, int64_t elements) const {
    const uint64_t offset = static_cast<uint32_t>(args[arg]);
    if (offset + static_cast<uint64_t>(elements) * 4 > bytes) throw std::range_error("tensor outside the heap");
    return reinterpret_cast<float*>(data + offset);
  }
  float* Optional(int arg, int64_t elements) const { return args[arg] < 0 ? nullptr : At(arg, elements); }
};

// Parses (heap: ArrayBuffer, args: Int32Array, epsilon: number) and sets the thread count.
bool ReadHeapCall(napi_env env, napi_callback_info info, size_t argCount, HeapView* view, double* epsilon) {
  size_t argc = 3;
  napi_value argv[3];
  napi_get_cb_info(env, info, &argc, argv, nullptr, nullptr);
  void* heapData = nullptr;
  napi_typedarray_type type;
  size_t length = 0;
  void* argsData = nullptr;
  if (argc < 3 || napi_get_arraybuffer_info(env, argv[0], &heapData, &view->bytes) != napi_ok ||
      napi_get_typedarray_info(env, argv[1], &type, &length, &argsData, nullptr, nullptr) != napi_ok ||
      type != napi_int32_array || length < argCount || napi_get_value_double(env, argv[2], epsilon) != napi_ok) {
    napi_throw_error(env, "ONEDNN_KERNEL", "expected (heap: ArrayBuffer, args: Int32Array, epsilon: number)");
    return false;
  }
  view->data = static_cast<uint8_t*>(heapData);
  view->args = static_cast<const int32_t*>(argsData);
  omp_set_num_threads(ContextOf(env)->threads);
  return true;
}

// Runs `body(view, epsilon, rows, channels)` for a (heap, args, epsilon) call; args[0] and args[1]
// are always rows and channels. Errors become JavaScript exceptions.
template <typename Body>
napi_value HeapCall(napi_env env, napi_callback_info info, size_t argCount, Body body) {
  HeapView v;
  double eps;
  if (!ReadHeapCall(env, info, argCount, &v, &eps)) return nullptr;
  try {
    body(v, eps, int64_t{v.args[0]}, int{v.args[1]});
  } catch (const std::exception& error) {
    return Throw(env, error.what());
  }
  return nullptr;
}

// Per-channel sums of f(row, channel) over all rows, accumulated per thread in double.
template <typename F>
void ChannelSums(int64_t rows, int channels, double* out, F f) {
  std::memset(out, 0, sizeof(double) * channels);
#pragma omp parallel
  {
    std::unique_ptr<double[]> local(new double[channels]());
#pragma omp for schedule(static)
    for (int64_t r = 0; r < rows; r++) {
      for (int c = 0; c < channels; c++) local[c] += f(r, c);
    }
#pragma omp critical
    for (int c = 0; c < channels; c++) out[c] += local[c];
  }
}

// y = x * a + b per channel, a and b folded from the statistics and the affine parameters.
void ApplyAffine(const float* x, float* y, int64_t rows, int channels, const float* a, const float* b) {
#pragma omp parallel for schedule(static)
  for (int64_t r = 0; r < rows; r++) {
    const float* xr = x + r * channels;
    float* yr = y + r * channels;
    for (int c = 0; c < channels; c++) yr[c] = xr[c] * a[c] + b[c];
  }
}

// batchNormInference(heap, [rows, channels, x, mean, variance, scale|-1, offset|-1, y], epsilon)
napi_value BatchNormInference(napi_env env, napi_callback_info info) {
  return HeapCall(env, info, 8, [](const HeapView& v, double eps, int64_t rows, int channels) {
    const float* x = v.At(2, rows * channels);
    const float* mean = v.At(3, channels);
    const float* variance = v.At(4, channels);
    const float* scale = v.Optional(5, channels);
    const float* offset = v.Optional(6, channels);
    float* y = v.At(7, rows * channels);
    std::unique_ptr<float[]> a(new float[channels]), b(new float[channels]);
    for (int c = 0; c < channels; c++) {
      a[c] = static_cast<float>((scale ? scale[c] : 1.0) / std::sqrt(static_cast<double>(variance[c]) + eps));
      b[c] = (offset ? offset[c] : 0.0f) - mean[c] * a[c];
    }
    ApplyAffine(x, y, rows, channels, a.get(), b.get());
  });
}

// batchNormTraining(heap, [rows, channels, x, gamma, beta, y, mean, variance], epsilon): batch
// statistics (variance biased, as the moving averages expect) and the normalised output.
napi_value BatchNormTraining(napi_env env, napi_callback_info info) {
  return HeapCall(env, info, 8, [](const HeapView& v, double eps, int64_t rows, int channels) {
    const float* x = v.At(2, rows * channels);
    const float* gamma = v.At(3, channels);
    const float* beta = v.At(4, channels);
    float* y = v.At(5, rows * channels);
    float* meanOut = v.At(6, channels);
    float* varianceOut = v.At(7, channels);
    std::unique_ptr<double[]> sum(new double[channels]), centred(new double[channels]);
    ChannelSums(rows, channels, sum.get(), [&](int64_t r, int c) { return x[r * channels + c]; });
    for (int c = 0; c < channels; c++) sum[c] /= static_cast<double>(rows);
    // Second pass over centred values: the same two-pass variance as the reference, no cancellation.
    ChannelSums(rows, channels, centred.get(), [&](int64_t r, int c) {
      const double d = x[r * channels + c] - sum[c];
      return d * d;
    });
    std::unique_ptr<float[]> a(new float[channels]), b(new float[channels]);
    for (int c = 0; c < channels; c++) {
      const double variance = centred[c] / static_cast<double>(rows);
      meanOut[c] = static_cast<float>(sum[c]);
      varianceOut[c] = static_cast<float>(variance);
      const double invStd = 1.0 / std::sqrt(variance + eps);
      a[c] = static_cast<float>(gamma[c] * invStd);
      b[c] = static_cast<float>(beta[c] - sum[c] * gamma[c] * invStd);
    }
    ApplyAffine(x, y, rows, channels, a.get(), b.get());
  });
}

// batchNormTrainingGrad(heap, [rows, channels, dy, x, mean, variance, gamma, dx, dGamma, dBeta],
// epsilon): dBeta = sum dy, dGamma = sum dy*xhat, dx = gamma/sigma * (dy - dBeta/M - xhat*dGamma/M).
napi_value BatchNormTrainingGrad(napi_env env, napi_callback_info info) {
  return HeapCall(env, info, 10, [](const HeapView& v, double eps, int64_t rows, int channels) {
    const float* dy = v.At(2, rows * channels);
    const float* x = v.At(3, rows * channels);
    const float* mean = v.At(4, channels);
    const float* variance = v.At(5, channels);
    const float* gamma = v.At(6, channels);
    float* dx = v.At(7, rows * channels);
    float* dGamma = v.At(8, channels);
    float* dBeta = v.At(9, channels);
    std::unique_ptr<float[]> invStd(new float[channels]);
    for (int c = 0; c < channels; c++) invStd[c] = static_cast<float>(1.0 / std::sqrt(variance[c] + eps));
    std::unique_ptr<double[]> sumDy(new double[channels]), sumDyXhat(new double[channels]);
    ChannelSums(rows, channels, sumDy.get(), [&](int64_t r, int c) { return dy[r * channels + c]; });
    ChannelSums(rows, channels, sumDyXhat.get(), [&](int64_t r, int c) {
      const int64_t i = r * channels + c;
      return static_cast<double>(dy[i]) * ((x[i] - mean[c]) * invStd[c]);
    });
    std::unique_ptr<float[]> scale(new float[channels]), meanDy(new float[channels]), meanDyXhat(new float[channels]);
    for (int c = 0; c < channels; c++) {
      dBeta[c] = static_cast<float>(sumDy[c]);
      dGamma[c] = static_cast<float>(sumDyXhat[c]);
      scale[c] = gamma[c] * invStd[c];
      meanDy[c] = static_cast<float>(sumDy[c] / static_cast<double>(rows));
      meanDyXhat[c] = static_cast<float>(sumDyXhat[c] / static_cast<double>(rows));
    }
#pragma omp parallel for schedule(static)
    for (int64_t r = 0; r < rows; r++) {
      for (int c = 0; c < channels; c++) {
        const int64_t i = r * channels + c;
        const float xhat = (x[i] - mean[c]) * invStd[c];
        dx[i] = scale[c] * (dy[i] - meanDy[c] - xhat * meanDyXhat[c]);
      }
    }
  });
}

// setThreads(n): the OpenMP thread count of this thread's later calls; returns the previous one.
napi_value SetThreads(napi_env env, napi_callback_info info) {
  size_t argc = 1;
  napi_value argv[1];
  napi_get_cb_info(env, info, &argc, argv, nullptr, nullptr);
  int32_t threads = 0;
  if (argc < 1 || napi_get_value_int32(env, argv[0], &threads) != napi_ok || threads < 1) {
    return Throw(env, "setThreads(n) needs a positive integer");
  }
  Context* ctx = ContextOf(env);
  napi_value previous;
  napi_create_int32(env, ctx->threads, &previous);
  ctx->threads = threads;
  return previous;
}

napi_value Version(napi_env env, napi_callback_info) {
  const dnnl_version_t* v = dnnl_version();
  const std::string text = std::to_string(v->major) + "." + std::to_string(v->minor) + "." +
                           std::to_string(v->patch) +
                           (v->cpu_runtime == DNNL_RUNTIME_OMP ? " (OpenMP)" : " (non-OpenMP runtime)");
  napi_value result;
  napi_create_string_utf8(env, text.c_str(), text.size(), &result);
  return result;
}

napi_value Init(napi_env env, napi_value exports) {
  auto* ctx = new Context();
  ctx->threads = omp_get_num_procs();
  napi_set_instance_data(
      env, ctx, [](napi_env, void* data, void*) { delete static_cast<Context*>(data); }, nullptr);
  const napi_property_descriptor properties[] = {
      {"conv2d", nullptr, Conv2d, nullptr, nullptr, nullptr, napi_default, nullptr},
      {"setThreads", nullptr, SetThreads, nullptr, nullptr, nullptr, napi_default, nullptr},
      {"batchNormInference", nullptr, BatchNormInference, nullptr, nullptr, nullptr, napi_default, nullptr},
      {"batchNormTraining", nullptr, BatchNormTraining, nullptr, nullptr, nullptr, napi_default, nullptr},
      {"batchNormTrainingGrad", nullptr, BatchNormTrainingGrad, nullptr, nullptr, nullptr, napi_default,
       nullptr},
      {"version", nullptr, Version, nullptr, nullptr, nullptr, napi_default, nullptr},
  };
  napi_define_properties(env, exports, sizeof(properties) / sizeof(properties[0]), properties);
  return exports;
}

}  // namespace

NAPI_MODULE(NODE_GYP_MODULE_NAME, Init)
