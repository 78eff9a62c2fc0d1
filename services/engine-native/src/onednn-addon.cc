// oneDNN convolutions for the TensorFlow.js wasm backend. Every call gets the wasm heap's
// ArrayBuffer and the byte offsets of its tensors, and reads and writes them in place: no copy
// per op. Activations are NHWC and filters HWIO, as TensorFlow.js keeps them; oneDNN chooses its
// own (blocked) layout for the small filter tensors, which are reordered each call, and, for
// Winograd convolutions, for the activations too, reordered through scratch buffers.
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

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <cstdlib>
#include <cstring>
#include <dnnl.hpp>
#include <memory>
#include <stdexcept>
#include <string>
#include <unordered_map>
#include <utility>

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
  // 1 when a filter gradient's dy is the tensor the input gradient just before it read (the
  // caller knows: same tensor, alive, so unchanged); its reorder into scratch is then reused.
  kSameDy,
  kArgCount
};

// How convolutions are computed. Winograd F(4x4, 3x3) (oneDNN's jit_wino_4x3, AVX-512 only) takes
// 3x3 stride-1 convolutions in about 0.55-0.75 of the direct time on the model's layers at batch
// 128, reorders to and from its blocked layout included; below a batch of 32 or 16 channels the
// reorders cost more than it saves.
enum class ConvAlgorithm : int { kAuto = 0, kDirect = 1, kWinograd = 2 };
constexpr int64_t kWinogradMinBatch = 32;
constexpr int64_t kWinogradMinChannels = 16;

// An activation tensor as the primitive wants it: NHWC in place on the heap, or, when its layout
// differs, a scratch buffer with a reorder from or to the NHWC tensor.
struct Activation {
  memory::desc user;
  memory::desc wanted;
  bool reorder = false;
  dnnl::reorder toWanted;
  dnnl::reorder toUser;
};

struct Plan {
  dnnl::primitive primitive;
  // The filter (or filter gradient) in the layout oneDNN chose, and the reorder to or from HWIO.
  bool reorderWeights = false;
  memory::desc userWeights;
  memory::desc weights;
  memory weightsBuffer;
  dnnl::reorder weightsReorder;
  // in0: x (forward, filter gradient) or dy (input gradient); in1: dy (filter gradient);
  // out: y (forward) or dx (input gradient).
  Activation in0, in1, out;
  memory::desc bias;
  std::string implementation;
};

// Reusable, 64-byte aligned memory for the activations of plans that want a blocked layout: a
// context runs one primitive at a time, so all of its plans share two buffers.
class Scratch {
 public:
  Scratch() = default;
  Scratch(const Scratch&) = delete;
  Scratch& operator=(const Scratch&) = delete;
  ~Scratch() { std::free(data_); }
  void* Get(size_t bytes) {
    if (bytes > bytes_) {
      std::free(data_);
      bytes_ = (bytes + 63) / 64 * 64;
      data_ = std::aligned_alloc(64, bytes_);
      if (data_ == nullptr) {
        bytes_ = 0;
        throw std::bad_alloc();
      }
    }
    return data_;
  }

 private:
  void* data_ = nullptr;
  size_t bytes_ = 0;
};

const char* const kAlgorithmNames[] = {"auto", "direct", "winograd"};

bool ParseAlgorithm(const std::string& name, ConvAlgorithm* algorithm) {
  for (int i = 0; i < 3; i++) {
    if (name == kAlgorithmNames[i]) {
      *algorithm = static_cast<ConvAlgorithm>(i);
      return true;
    }
  }
  return false;
}

// VISIONOPS_CONV_ALGORITHM: auto (the default), direct or winograd. The services refuse other values
// at start-up (config.ts); here an unknown one means auto.
ConvAlgorithm AlgorithmFromEnvironment() {
  const char* value = std::getenv("VISIONOPS_CONV_ALGORITHM");
  ConvAlgorithm algorithm = ConvAlgorithm::kAuto;
  if (value != nullptr) ParseAlgorithm(value, &algorithm);
  return algorithm;
}

struct Context {
  dnnl::engine engine{dnnl::engine::kind::cpu, 0};
  dnnl::stream stream{engine};
  std::unordered_map<std::string, std::unique_ptr<Plan>> plans;
  int threads = 1;
  ConvAlgorithm algorithm = AlgorithmFromEnvironment();
  Scratch scratch[2];
  // What scratch[0] holds after an input gradient: dy, from this heap offset, in this layout.
  int64_t heldDyOffset = -1;
  memory::desc heldDy;
};

// A plan is made for a thread count: oneDNN splits a primitive's work for the OpenMP threads there
// are when it is created, and runs it with that split. A plan made at one thread and run after
// setThreads(2) ran on one thread (bench:engine's 2-thread figures equalled its 1-thread ones).
std::string KeyOf(const int32_t* a, int threads, ConvAlgorithm algorithm) {
  std::string key = std::to_string(threads) + ':' + std::to_string(static_cast<int>(algorithm)) + ':';
  for (int i = 0; i < kArgCount; i++) {
    if ((i >= kIn0 && i <= kOut) || i == kSameDy) continue;  // shapes decide the plan
    key += std::to_string(a[i]);
    key += ',';
  }
  return key;
}

// Whether a convolution is one Winograd F(4x4, 3x3) computes, and one where it pays (kAuto).
bool WantsWinograd(const int32_t* a, ConvAlgorithm algorithm) {
  if (algorithm == ConvAlgorithm::kDirect) return false;
  const bool shape = a[kKh] == 3 && a[kKw] == 3 && a[kSh] == 1 && a[kSw] == 1 && a[kDilH] == 1 &&
                     a[kDilW] == 1;
  if (!shape) return false;
  return algorithm == ConvAlgorithm::kWinograd ||
         (a[kN] >= kWinogradMinBatch && a[kC] >= kWinogradMinChannels && a[kO] >= kWinogradMinChannels);
}

Activation ActivationOf(const dnnl::engine& engine, const memory::desc& user, const memory::desc& wanted) {
  Activation activation;
  activation.user = user;
  activation.wanted = wanted;
  activation.reorder = wanted != user;
  if (activation.reorder) {
    const memory u(user, engine, DNNL_MEMORY_NONE);
    const memory w(wanted, engine, DNNL_MEMORY_NONE);
    activation.toWanted = dnnl::reorder(u, w);
    activation.toUser = dnnl::reorder(w, u);
  }
  return activation;
}

std::unique_ptr<Plan> MakePlan(Context& ctx, const int32_t* a, dnnl::algorithm algorithm) {
  const memory::dims src = {a[kN], a[kC], a[kH], a[kW]};
  const memory::dims dst = {a[kN], a[kO], a[kOh], a[kOw]};
  const memory::dims wei = {a[kO], a[kC], a[kKh], a[kKw]};
  const memory::dims strides = {a[kSh], a[kSw]};
  const memory::dims dilates = {a[kDilH] - 1, a[kDilW] - 1};
  const memory::dims padL = {a[kPadTop], a[kPadLeft]};
  const memory::dims padR = {a[kPadBottom], a[kPadRight]};
  const memory::desc srcUser(src, dt::f32, tag::nhwc);
  const memory::desc dstUser(dst, dt::f32, tag::nhwc);
  // Direct convolutions work on NHWC in place; Winograd chooses its blocked layout.
  const bool winograd = algorithm == dnnl::algorithm::convolution_winograd;
  const memory::desc srcMd = winograd ? memory::desc(src, dt::f32, tag::any) : srcUser;
  const memory::desc dstMd = winograd ? memory::desc(dst, dt::f32, tag::any) : dstUser;
  const memory::desc weiAny(wei, dt::f32, tag::any);
  const memory::desc biasMd({a[kO]}, dt::f32, tag::a);
  const bool hasBias = a[kHasBias] != 0;
  const auto& eng = ctx.engine;

  auto plan = std::make_unique<Plan>();
  plan->userWeights = memory::desc(wei, dt::f32, tag::hwio);
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
    // For inference, Winograd wants its filters pre-transformed, and that reorder runs on one
    // thread (11-15 ms for a 192x192 filter, more than the convolution): the filters change with
    // every training step and are reordered on every call, so forward_training, whose filters
    // are plain blocked ones, transformed inside the convolution.
    const auto prop = winograd ? dnnl::prop_kind::forward_training : dnnl::prop_kind::forward_inference;
    dnnl::convolution_forward::primitive_desc pd(forwardDesc(prop), attr, eng);
    plan->weights = pd.weights_desc();
    plan->in0 = ActivationOf(eng, srcUser, pd.src_desc());
    plan->out = ActivationOf(eng, dstUser, pd.dst_desc());
    plan->bias = biasMd;
    plan->primitive = dnnl::convolution_forward(pd);
    plan->implementation = pd.impl_info_str();
  } else {
    dnnl::convolution_forward::primitive_desc hint(forwardDesc(dnnl::prop_kind::forward_training), eng);
    if (a[kKind] == kBackwardData) {
      dnnl::convolution_backward_data::desc desc(algorithm, srcMd, weiAny, dstMd, strides, dilates,
                                                 padL, padR);
      dnnl::convolution_backward_data::primitive_desc pd(desc, eng, hint);
      plan->weights = pd.weights_desc();
      plan->in0 = ActivationOf(eng, dstUser, pd.diff_dst_desc());  // dy
      plan->out = ActivationOf(eng, srcUser, pd.diff_src_desc());  // dx
      plan->primitive = dnnl::convolution_backward_data(pd);
      plan->implementation = pd.impl_info_str();
    } else {
      dnnl::convolution_backward_weights::desc desc(algorithm, srcMd, weiAny, dstMd, strides,
                                                    dilates, padL, padR);
      dnnl::convolution_backward_weights::primitive_desc pd(desc, eng, hint);
      plan->weights = pd.diff_weights_desc();
      plan->in0 = ActivationOf(eng, srcUser, pd.src_desc());       // x
      plan->in1 = ActivationOf(eng, dstUser, pd.diff_dst_desc());  // dy
      plan->primitive = dnnl::convolution_backward_weights(pd);
      plan->implementation = pd.impl_info_str();
    }
  }
  plan->reorderWeights = plan->weights != plan->userWeights;
  if (plan->reorderWeights) {
    plan->weightsBuffer = memory(plan->weights, eng);
    const memory user(plan->userWeights, eng, DNNL_MEMORY_NONE);
    plan->weightsReorder = a[kKind] == kBackwardWeights
                               ? dnnl::reorder(plan->weightsBuffer, user)
                               : dnnl::reorder(user, plan->weightsBuffer);
  }
  return plan;
}

// Winograd where it is chosen and oneDNN has it for this machine and shape, else direct.
std::unique_ptr<Plan> MakePlan(Context& ctx, const int32_t* a) {
  if (WantsWinograd(a, ctx.algorithm)) {
    try {
      return MakePlan(ctx, a, dnnl::algorithm::convolution_winograd);
    } catch (const dnnl::error&) {
      // No Winograd implementation here (no AVX-512, or a shape it does not take): direct.
    }
  }
  return MakePlan(ctx, a, dnnl::algorithm::convolution_direct);
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
    // Whatever this call does to scratch[0], it no longer holds the last dy for the next one.
    const int64_t heldDyOffset = ctx->heldDyOffset;
    ctx->heldDyOffset = -1;
    omp_set_num_threads(ctx->threads);
    const std::string key = KeyOf(a, ctx->threads, ctx->algorithm);
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
    // An activation the primitive reads: in place, or reordered into scratch buffer `slot`.
    const auto input = [&](const Activation& act, int arg, int64_t elements, int slot) {
      memory user(act.user, eng, at(arg, elements));
      if (!act.reorder) return user;
      memory wanted(act.wanted, eng, ctx->scratch[slot].Get(act.wanted.get_size()));
      act.toWanted.execute(strm, user, wanted);
      return wanted;
    };
    // An activation the primitive writes: in place, or into scratch buffer `slot`, reordered after.
    const auto output = [&](const Activation& act, int arg, int64_t elements, int slot) {
      memory user(act.user, eng, at(arg, elements));
      if (!act.reorder) return std::make_pair(user, user);
      return std::make_pair(memory(act.wanted, eng, ctx->scratch[slot].Get(act.wanted.get_size())), user);
    };
    const auto finish = [&](const Activation& act, std::pair<memory, memory>& written) {
      if (act.reorder) act.toUser.execute(strm, written.first, written.second);
    };
    // The dy that the previous call (an input gradient) left in scratch[0], if this call may use it.
    const bool dyHeld = a[kKind] == kBackwardWeights && a[kSameDy] != 0 && plan.in1.reorder &&
                        heldDyOffset == static_cast<uint32_t>(a[kIn1]) && ctx->heldDy == plan.in1.wanted;
    if (a[kKind] == kForward || a[kKind] == kBackwardData) {
      void* userWeights = at(kIn1, wei);
      if (plan.reorderWeights) {
        memory user(plan.userWeights, eng, userWeights);
        plan.weightsReorder.execute(strm, user, plan.weightsBuffer);
      }
      const bool forward = a[kKind] == kForward;
      const memory in = input(plan.in0, kIn0, forward ? src : dst, 0);
      if (!forward && plan.in0.reorder) {
        ctx->heldDyOffset = static_cast<uint32_t>(a[kIn0]);
        ctx->heldDy = plan.in0.wanted;
      }
      auto out = output(plan.out, kOut, forward ? dst : src, 1);
      std::unordered_map<int, memory> args;
      if (forward) {
        args.emplace(DNNL_ARG_SRC, in);
        args.emplace(DNNL_ARG_WEIGHTS, weightsMemory(userWeights));
        if (a[kHasBias]) args.emplace(DNNL_ARG_BIAS, memory(plan.bias, eng, at(kIn2, a[kO])));
        args.emplace(DNNL_ARG_DST, out.first);
      } else {
        args.emplace(DNNL_ARG_DIFF_DST, in);
        args.emplace(DNNL_ARG_WEIGHTS, weightsMemory(userWeights));
        args.emplace(DNNL_ARG_DIFF_SRC, out.first);
      }
      plan.primitive.execute(strm, args);
      finish(plan.out, out);
    } else {
      void* userWeights = at(kOut, wei);
      // dy in scratch[0], as the input gradient leaves it; x in scratch[1].
      const memory dy = dyHeld ? memory(plan.in1.wanted, eng, ctx->scratch[0].Get(plan.in1.wanted.get_size()))
                               : input(plan.in1, kIn1, dst, 0);
      plan.primitive.execute(strm, {{DNNL_ARG_SRC, input(plan.in0, kIn0, src, 1)},
                                    {DNNL_ARG_DIFF_DST, dy},
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

// Parses (heap: ArrayBuffer, args: Int32Array[, epsilon: number]) and sets the thread count.
bool ReadHeapCall(napi_env env, napi_callback_info info, size_t argCount, HeapView* view, double* epsilon) {
  size_t argc = 3;
  napi_value argv[3];
  napi_get_cb_info(env, info, &argc, argv, nullptr, nullptr);
  void* heapData = nullptr;
  napi_typedarray_type type;
  size_t length = 0;
  void* argsData = nullptr;
  *epsilon = 0;
  if (argc < 2 || napi_get_arraybuffer_info(env, argv[0], &heapData, &view->bytes) != napi_ok ||
      napi_get_typedarray_info(env, argv[1], &type, &length, &argsData, nullptr, nullptr) != napi_ok ||
      type != napi_int32_array || length < argCount ||
      (argc >= 3 && napi_get_value_double(env, argv[2], epsilon) != napi_ok)) {
    napi_throw_error(env, "ONEDNN_KERNEL", "expected (heap: ArrayBuffer, args: Int32Array[, epsilon: number])");
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

// Hot loops are compiled for AVX-512, AVX2 and the baseline, and the loader picks the one the
// CPU runs (GCC function multiversioning); elsewhere they are compiled once for the baseline.
#if defined(__GNUC__) && !defined(__clang__) && defined(__x86_64__) && defined(__linux__)
#define VISIONOPS_HOT __attribute__((target_clones("avx512f", "avx2", "default")))
#else
#define VISIONOPS_HOT
#endif

// The rows [begin, end) of `rows` that this thread of a parallel region works on.
struct Rows {
  int64_t begin, end;
};
Rows ThreadRows(int64_t rows) {
  const int64_t t = omp_get_thread_num(), n = omp_get_num_threads();
  return {rows * t / n, rows * (t + 1) / n};
}

// Rows summed in float before each addition to the double totals: short float runs vectorise,
// and the double totals keep large tensors exact to float precision.
constexpr int64_t kBlockRows = 32;

// Per-channel sums of u and u * v over rows [begin, end), where term(r, c) gives {u, v}: rows are
// summed in float in blocks of kBlockRows, each block added into the double totals. Inlined into
// each (multiversioned) caller, so it is compiled for that caller's target.
template <typename Term>
__attribute__((always_inline)) inline void BlockedSums(Rows range, int channels, double* __restrict first,
                                                       double* __restrict second, float* __restrict blockFirst,
                                                       float* __restrict blockSecond, Term term) {
  for (int64_t r0 = range.begin; r0 < range.end; r0 += kBlockRows) {
    const int64_t r1 = std::min(range.end, r0 + kBlockRows);
    std::memset(blockFirst, 0, sizeof(float) * channels);
    std::memset(blockSecond, 0, sizeof(float) * channels);
    for (int64_t r = r0; r < r1; r++) {
      for (int c = 0; c < channels; c++) {
        const auto [u, v] = term(r, c);
        blockFirst[c] += u;
        blockSecond[c] += u * v;
      }
    }
    for (int c = 0; c < channels; c++) {
      first[c] += blockFirst[c];
      second[c] += blockSecond[c];
    }
  }
}

// first[c] += p - pShift[c] and second[c] += (p - pShift[c]) * (q - qShift[c]) over rows
// [begin, end): with p = q = x shifted by its first row, the batch statistics; with p = dy (no
// shift) and q = x shifted by the mean, the sums of the gradient.
VISIONOPS_HOT void PairedSums(const float* __restrict p, const float* __restrict pShift, const float* __restrict q,
                              const float* __restrict qShift, Rows range, int channels, double* __restrict first,
                              double* __restrict second, float* __restrict blockFirst,
                              float* __restrict blockSecond) {
  BlockedSums(range, channels, first, second, blockFirst, blockSecond, [&](int64_t r, int c) {
    return std::pair<float, float>(p[r * channels + c] - pShift[c], q[r * channels + c] - qShift[c]);
  });
}

// body(i, c) for every element i (channel c) of rows [begin, end); inlined into each
// (multiversioned) caller, like BlockedSums.
template <typename Body>
__attribute__((always_inline)) inline void ForEachElement(Rows range, int channels, Body body) {
  for (int64_t r = range.begin; r < range.end; r++) {
    const int64_t row = r * channels;
    for (int c = 0; c < channels; c++) body(row + c, c);
  }
}

// y = x * a + b per channel over rows [begin, end).
VISIONOPS_HOT void Affine(const float* __restrict x, float* __restrict y, Rows range, int channels,
                          const float* __restrict a, const float* __restrict b) {
  ForEachElement(range, channels, [&](int64_t i, int c) { y[i] = x[i] * a[c] + b[c]; });
}

// dx = a * dy + b * (x - mean) + c per channel over rows [begin, end).
VISIONOPS_HOT void GradientAffine(const float* __restrict dy, const float* __restrict x, float* __restrict dx,
                                  Rows range, int channels, const float* __restrict mean,
                                  const float* __restrict a, const float* __restrict b,
                                  const float* __restrict c0) {
  ForEachElement(range, channels,
                 [&](int64_t i, int c) { dx[i] = a[c] * dy[i] + b[c] * (x[i] - mean[c]) + c0[c]; });
}

// y = max(x * a + b, 0) per channel over rows [begin, end): normalisation and ReLU in one pass.
VISIONOPS_HOT void AffineRelu(const float* __restrict x, float* __restrict y, Rows range, int channels,
                              const float* __restrict a, const float* __restrict b) {
  ForEachElement(range, channels, [&](int64_t i, int c) { y[i] = std::max(x[i] * a[c] + b[c], 0.0f); });
}

// The gradient through a ReLU after the normalisation, recomputed from x: dz where the ReLU's
// input x * na + nb (the same expression as AffineRelu's) is positive, else 0.
inline float Masked(float dz, float x, float na, float nb) { return x * na + nb > 0.0f ? dz : 0.0f; }

// PairedSums for the gradient with dy masked by the ReLU: first[c] += dy, second[c] += dy * (x - mean).
VISIONOPS_HOT void MaskedGradientSums(const float* __restrict dz, const float* __restrict x, const float* __restrict mean,
                                      const float* __restrict na, const float* __restrict nb, Rows range, int channels,
                                      double* __restrict first, double* __restrict second,
                                      float* __restrict blockFirst, float* __restrict blockSecond) {
  BlockedSums(range, channels, first, second, blockFirst, blockSecond, [&](int64_t r, int c) {
    const float xv = x[r * channels + c];
    return std::pair<float, float>(Masked(dz[r * channels + c], xv, na[c], nb[c]), xv - mean[c]);
  });
}

// GradientAffine with dy masked by the ReLU.
VISIONOPS_HOT void MaskedGradientAffine(const float* __restrict dz, const float* __restrict x, float* __restrict dx,
                                        Rows range, int channels, const float* __restrict mean,
                                        const float* __restrict na, const float* __restrict nb,
                                        const float* __restrict a, const float* __restrict b,
                                        const float* __restrict c0) {
  ForEachElement(range, channels, [&](int64_t i, int c) {
    dx[i] = a[c] * Masked(dz[i], x[i], na[c], nb[c]) + b[c] * (x[i] - mean[c]) + c0[c];
  });
}

// The normalisation as y = x * a + b: a = gamma / sqrt(variance + eps), b = beta - mean * a, from
// the float statistics the training kernel returns, so that its gradient recomputes the same values.
void NormalisationAffine(const float* gamma, const float* beta, const float* mean, const float* variance,
                         double eps, int channels, float* a, float* b) {
  for (int c = 0; c < channels; c++) {
    const double invStd = 1.0 / std::sqrt(static_cast<double>(variance[c]) + eps);
    a[c] = static_cast<float>(gamma[c] * invStd);
    b[c] = static_cast<float>(beta[c] - static_cast<double>(mean[c]) * gamma[c] * invStd);
  }
}

// Below this many elements one thread does the work: waking the others costs more. One pass of
// plain arithmetic (additions, ReLU) pays for the wake-up only on larger tensors (measured: a
// 331,776-float addition took 68.7 us on two threads against 52.0 us for the wasm kernel).
constexpr int64_t kParallelElements = 1 << 15;
constexpr int64_t kParallelElementwise = 1 << 19;
bool Parallel(int64_t elements) { return elements >= kParallelElements; }
bool ParallelElementwise(int64_t elements) { return elements >= kParallelElementwise; }

// Per-thread double totals of two per-channel sums, added up by one thread after a barrier.
struct ChannelTotals {
  int channels;
  std::unique_ptr<double[]> perThread;  // [threads][2][channels]
  ChannelTotals(int channels, int threads)
      : channels(channels), perThread(new double[static_cast<size_t>(threads) * 2 * channels]()) {}
  double* First(int thread) { return perThread.get() + static_cast<size_t>(thread) * 2 * channels; }
  double* Second(int thread) { return First(thread) + channels; }
  // Totals into thread 0's slots.
  void Combine(int threads) {
    for (int t = 1; t < threads; t++) {
      for (int c = 0; c < channels; c++) {
        First(0)[c] += First(t)[c];
        Second(0)[c] += Second(t)[c];
      }
    }
  }
};

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
#pragma omp parallel if (Parallel(rows * channels))
    Affine(x, y, ThreadRows(rows), channels, a.get(), b.get());
  });
}

// batchNormTraining(heap, [rows, channels, x, gamma, beta, y, mean, variance, relu], epsilon): batch
// statistics (variance biased, as the moving averages expect) and the normalised output (with a
// ReLU after it when relu is 1), in one parallel region: sums of x - x[0] and their squares
// (shifted by the first row, so the one-pass variance does not cancel), a barrier, then the output.
napi_value BatchNormTraining(napi_env env, napi_callback_info info) {
  return HeapCall(env, info, 9, [](const HeapView& v, double eps, int64_t rows, int channels) {
    const bool relu = v.args[8] != 0;
    const float* x = v.At(2, rows * channels);
    const float* gamma = v.At(3, channels);
    const float* beta = v.At(4, channels);
    float* y = v.At(5, rows * channels);
    float* meanOut = v.At(6, channels);
    float* varianceOut = v.At(7, channels);
    const std::unique_ptr<float[]> shift(new float[channels]);
    std::memcpy(shift.get(), x, sizeof(float) * channels);
    ChannelTotals totals(channels, omp_get_max_threads());
    std::unique_ptr<float[]> a(new float[channels]), b(new float[channels]);
#pragma omp parallel if (Parallel(rows * channels))
    {
      const int t = omp_get_thread_num();
      const Rows range = ThreadRows(rows);
      std::unique_ptr<float[]> block(new float[2 * channels]);
      PairedSums(x, shift.get(), x, shift.get(), range, channels, totals.First(t), totals.Second(t), block.get(),
                 block.get() + channels);
#pragma omp barrier
#pragma omp single
      {
        totals.Combine(omp_get_num_threads());
        for (int c = 0; c < channels; c++) {
          const double shifted = totals.First(0)[c] / static_cast<double>(rows);
          const double variance = std::max(0.0, totals.Second(0)[c] / static_cast<double>(rows) - shifted * shifted);
          meanOut[c] = static_cast<float>(shift[c] + shifted);
          varianceOut[c] = static_cast<float>(variance);
        }
        NormalisationAffine(gamma, beta, meanOut, varianceOut, eps, channels, a.get(), b.get());
      }
      if (relu) {
        AffineRelu(x, y, range, channels, a.get(), b.get());
      } else {
        Affine(x, y, range, channels, a.get(), b.get());
      }
    }
  });
}

// batchNormTrainingGrad(heap, [rows, channels, dy, x, mean, variance, gamma, dx, dGamma, dBeta,
// beta or -1], epsilon): dBeta = sum dy, dGamma = sum dy*xhat, dx = gamma/sigma * (dy - dBeta/M -
// xhat*dGamma/M), with both sums in one pass (dy * (x - mean) needs no second pass: the mean is
// known). With beta, the forward pass had a ReLU after it: the dy given is the ReLU's, masked here
// where the recomputed normalised value was not positive.
napi_value BatchNormTrainingGrad(napi_env env, napi_callback_info info) {
  return HeapCall(env, info, 11, [](const HeapView& v, double eps, int64_t rows, int channels) {
    const float* beta = v.Optional(10, channels);
    const float* dy = v.At(2, rows * channels);
    const float* x = v.At(3, rows * channels);
    const float* mean = v.At(4, channels);
    const float* variance = v.At(5, channels);
    const float* gamma = v.At(6, channels);
    float* dx = v.At(7, rows * channels);
    float* dGamma = v.At(8, channels);
    float* dBeta = v.At(9, channels);
    ChannelTotals totals(channels, omp_get_max_threads());
    const std::unique_ptr<float[]> noShift(new float[channels]());
    std::unique_ptr<float[]> a(new float[channels]), b(new float[channels]), c0(new float[channels]);
    std::unique_ptr<float[]> na(new float[channels]), nb(new float[channels]);
    if (beta) NormalisationAffine(gamma, beta, mean, variance, eps, channels, na.get(), nb.get());
#pragma omp parallel if (Parallel(rows * channels))
    {
      const int t = omp_get_thread_num();
      const Rows range = ThreadRows(rows);
      std::unique_ptr<float[]> block(new float[2 * channels]);
      if (beta) {
        MaskedGradientSums(dy, x, mean, na.get(), nb.get(), range, channels, totals.First(t), totals.Second(t),
                           block.get(), block.get() + channels);
      } else {
        PairedSums(dy, noShift.get(), x, mean, range, channels, totals.First(t), totals.Second(t), block.get(),
                   block.get() + channels);
      }
#pragma omp barrier
#pragma omp single
      {
        totals.Combine(omp_get_num_threads());
        const double m = static_cast<double>(rows);
        for (int c = 0; c < channels; c++) {
          const double invStd = 1.0 / std::sqrt(static_cast<double>(variance[c]) + eps);
          const double sumDy = totals.First(0)[c];
          const double sumDyXhat = totals.Second(0)[c] * invStd;
          dBeta[c] = static_cast<float>(sumDy);
          dGamma[c] = static_cast<float>(sumDyXhat);
          const double scale = gamma[c] * invStd;
          // scale * (dy - sumDy/M - (x - mean) * invStd * sumDyXhat/M)
          a[c] = static_cast<float>(scale);
          b[c] = static_cast<float>(-scale * invStd * sumDyXhat / m);
          c0[c] = static_cast<float>(-scale * sumDy / m);
        }
      }
      if (beta) {
        MaskedGradientAffine(dy, x, dx, range, channels, mean, na.get(), nb.get(), a.get(), b.get(), c0.get());
      } else {
        GradientAffine(dy, x, dx, range, channels, mean, a.get(), b.get(), c0.get());
      }
    }
  });
}

// Element-wise kernels over `count` floats: relu(heap, [count, x, y]) and
// reluGrad(heap, [count, dy, x, dx]) (dx = dy where x > 0, else 0, as TensorFlow's).
VISIONOPS_HOT void ReluRange(const float* __restrict x, float* __restrict y, int64_t begin, int64_t end) {
  for (int64_t i = begin; i < end; i++) y[i] = x[i] > 0.0f ? x[i] : 0.0f;
}
VISIONOPS_HOT void ReluGradRange(const float* __restrict dy, const float* __restrict x, float* __restrict dx,
                                 int64_t begin, int64_t end) {
  for (int64_t i = begin; i < end; i++) dx[i] = x[i] > 0.0f ? dy[i] : 0.0f;
}

// add(heap, [count, a, b, y]): y = a + b for two tensors of one shape.
VISIONOPS_HOT void AddRange(const float* __restrict a, const float* __restrict b, float* __restrict y, int64_t begin,
                            int64_t end) {
  for (int64_t i = begin; i < end; i++) y[i] = a[i] + b[i];
}

// An element-wise kernel over (heap, [count, input 1, (input 2,) output]): `range(inputs, output,
// begin, end)` over each thread's share, on every thread only for large tensors.
template <int Inputs, typename Range>
napi_value Elementwise(napi_env env, napi_callback_info info, Range range) {
  return HeapCall(env, info, Inputs + 2, [range](const HeapView& v, double, int64_t count, int) {
    const float* inputs[2] = {v.At(1, count), Inputs > 1 ? v.At(2, count) : nullptr};
    float* output = v.At(Inputs + 1, count);
#pragma omp parallel if (ParallelElementwise(count))
    {
      const Rows rows = ThreadRows(count);
      range(inputs, output, rows.begin, rows.end);
    }
  });
}

napi_value Relu(napi_env env, napi_callback_info info) {
  return Elementwise<1>(env, info, [](const float* const* in, float* out, int64_t begin, int64_t end) {
    ReluRange(in[0], out, begin, end);
  });
}

napi_value ReluGrad(napi_env env, napi_callback_info info) {
  return Elementwise<2>(env, info, [](const float* const* in, float* out, int64_t begin, int64_t end) {
    ReluGradRange(in[0], in[1], out, begin, end);
  });
}

// momentumUpdate(heap, [count, value, accumulation, gradient, newValue, newAccumulation, nesterov,
// momentum, learningRate]) (the last two are float32 bits): TensorFlow.js's MomentumOptimizer step
// for one variable in one pass, its operations in its order: a' = m * a + g, then
// v' = -lr * (g + a' * m) + v with Nesterov momentum, else v' = -lr * a' + v.
VISIONOPS_HOT void MomentumRange(const float* __restrict v, const float* __restrict a, const float* __restrict g,
                                 float* __restrict newV, float* __restrict newA, bool nesterov, float m, float c,
                                 int64_t begin, int64_t end) {
  for (int64_t i = begin; i < end; i++) {
    const float accumulation = m * a[i] + g[i];
    newA[i] = accumulation;
    newV[i] = c * (nesterov ? g[i] + accumulation * m : accumulation) + v[i];
  }
}

napi_value MomentumUpdate(napi_env env, napi_callback_info info) {
  return HeapCall(env, info, 9, [](const HeapView& v, double, int64_t count, int) {
    const float* value = v.At(1, count);
    const float* accumulation = v.At(2, count);
    const float* gradient = v.At(3, count);
    float* newValue = v.At(4, count);
    float* newAccumulation = v.At(5, count);
    const bool nesterov = v.args[6] != 0;
    float momentum, learningRate;
    std::memcpy(&momentum, &v.args[7], sizeof(float));
    std::memcpy(&learningRate, &v.args[8], sizeof(float));
#pragma omp parallel if (ParallelElementwise(count))
    {
      const Rows rows = ThreadRows(count);
      MomentumRange(value, accumulation, gradient, newValue, newAccumulation, nesterov, momentum, -learningRate,
                    rows.begin, rows.end);
    }
  });
}

napi_value Add(napi_env env, napi_callback_info info) {
  return Elementwise<2>(env, info, [](const float* const* in, float* out, int64_t begin, int64_t end) {
    AddRange(in[0], in[1], out, begin, end);
  });
}

// maxReduce(heap, [outer, reduce, inner, x, y]): y[o][i] = max over r of x[o][r][i], the view of a
// reduction over contiguous axes (global max pooling over NHWC is [n, h*w, c]).
VISIONOPS_HOT void MaxOverRows(const float* __restrict x, float* __restrict y, int64_t reduce, int64_t inner) {
  for (int64_t i = 0; i < inner; i++) y[i] = x[i];
  for (int64_t r = 1; r < reduce; r++) {
    const float* __restrict row = x + r * inner;
    for (int64_t i = 0; i < inner; i++) y[i] = row[i] > y[i] ? row[i] : y[i];
  }
}

napi_value MaxReduce(napi_env env, napi_callback_info info) {
  return HeapCall(env, info, 5, [](const HeapView& v, double, int64_t, int) {
    const int64_t outer = v.args[0], reduce = v.args[1], inner = v.args[2];
    const float* x = v.At(3, outer * reduce * inner);
    float* y = v.At(4, outer * inner);
#pragma omp parallel for schedule(static) if (Parallel(outer * reduce * inner))
    for (int64_t o = 0; o < outer; o++) MaxOverRows(x + o * reduce * inner, y + o * inner, reduce, inner);
  });
}

// Max pooling over NHWC. args: [n, h, w, c, outH, outW, filterH, filterW, strideH, strideW,
// padTop, padLeft, tensors...]: maxPool's tensors are x, y and maxPoolGrad's dy, x, dx. Window
// positions in the padding are skipped.
enum PoolArg : int { kPN, kPH, kPW, kPC, kPOh, kPOw, kPFh, kPFw, kPSh, kPSw, kPPadTop, kPPadLeft, kPTensors };

struct PoolShape {
  int64_t n, h, w, c, oh, ow, fh, fw, sh, sw, top, left;
  explicit PoolShape(const int32_t* a)
      : n(a[kPN]), h(a[kPH]), w(a[kPW]), c(a[kPC]), oh(a[kPOh]), ow(a[kPOw]), fh(a[kPFh]), fw(a[kPFw]),
        sh(a[kPSh]), sw(a[kPSw]), top(a[kPPadTop]), left(a[kPPadLeft]) {}
  int64_t In() const { return n * h * w * c; }
  int64_t Out() const { return n * oh * ow * c; }
};

// Calls at(offset) with the element offset of each pixel of output (b, oy, ox)'s window that
// lies inside the image, in row-major window order.
template <typename At>
inline void ForEachInWindow(const PoolShape& s, int64_t b, int64_t oy, int64_t ox, At at) {
  for (int64_t ky = 0; ky < s.fh; ky++) {
    const int64_t iy = oy * s.sh - s.top + ky;
    if (iy < 0 || iy >= s.h) continue;
    for (int64_t kx = 0; kx < s.fw; kx++) {
      const int64_t ix = ox * s.sw - s.left + kx;
      if (ix >= 0 && ix < s.w) at(((b * s.h + iy) * s.w + ix) * s.c);
    }
  }
}

// One output row (image b, output row oy) of the forward pass.
VISIONOPS_HOT void MaxPoolRow(const PoolShape& s, const float* __restrict x, float* __restrict y, int64_t b,
                              int64_t oy) {
  for (int64_t ox = 0; ox < s.ow; ox++) {
    float* __restrict out = y + ((b * s.oh + oy) * s.ow + ox) * s.c;
    for (int64_t ch = 0; ch < s.c; ch++) out[ch] = -INFINITY;
    ForEachInWindow(s, b, oy, ox, [&](int64_t pixel) {
      const float* __restrict in = x + pixel;
      for (int64_t ch = 0; ch < s.c; ch++) out[ch] = in[ch] > out[ch] ? in[ch] : out[ch];
    });
  }
}

// One image of the gradient: each output's gradient goes to the first maximum of its window, in
// row-major window order (as the cpu backend and TensorFlow choose); dx is zeroed first, and
// overlapping windows add up.
VISIONOPS_HOT void MaxPoolGradImage(const PoolShape& s, const float* __restrict dy, const float* __restrict x,
                                    float* __restrict dx, int64_t b) {
  std::memset(dx + b * s.h * s.w * s.c, 0, sizeof(float) * s.h * s.w * s.c);
  for (int64_t oy = 0; oy < s.oh; oy++) {
    for (int64_t ox = 0; ox < s.ow; ox++) {
      const float* __restrict g = dy + ((b * s.oh + oy) * s.ow + ox) * s.c;
      for (int64_t ch = 0; ch < s.c; ch++) {
        float best = -INFINITY;
        int64_t at = -1;
        ForEachInWindow(s, b, oy, ox, [&](int64_t pixel) {
          if (at < 0 || x[pixel + ch] > best) {
            best = x[pixel + ch];
            at = pixel + ch;
          }
        });
        if (at >= 0) dx[at] += g[ch];
      }
    }
  }
}

// The 2x2, stride-2, unpadded case (the model's), vectorised over channels: every input belongs to
// exactly one window, so dx is written once and needs no zeroing.
VISIONOPS_HOT void MaxPoolGrad2x2Row(const PoolShape& s, const float* __restrict dy, const float* __restrict x,
                                     float* __restrict dx, int64_t b, int64_t oy) {
  const int64_t rowStride = s.w * s.c;
  for (int64_t ox = 0; ox < s.ow; ox++) {
    const int64_t base = ((b * s.h + 2 * oy) * s.w + 2 * ox) * s.c;
    const float* __restrict x00 = x + base;
    const float* __restrict x01 = x00 + s.c;
    const float* __restrict x10 = x00 + rowStride;
    const float* __restrict x11 = x10 + s.c;
    float* __restrict d00 = dx + base;
    float* __restrict d01 = d00 + s.c;
    float* __restrict d10 = d00 + rowStride;
    float* __restrict d11 = d10 + s.c;
    const float* __restrict g = dy + ((b * s.oh + oy) * s.ow + ox) * s.c;
    for (int64_t ch = 0; ch < s.c; ch++) {
      // The first maximum in the order 00, 01, 10, 11.
      const float m0 = x00[ch] >= x01[ch] ? x00[ch] : x01[ch];
      const float m1 = x10[ch] >= x11[ch] ? x10[ch] : x11[ch];
      const bool top = m0 >= m1;
      const bool first0 = x00[ch] >= x01[ch];
      const bool first1 = x10[ch] >= x11[ch];
      d00[ch] = top && first0 ? g[ch] : 0.0f;
      d01[ch] = top && !first0 ? g[ch] : 0.0f;
      d10[ch] = !top && first1 ? g[ch] : 0.0f;
      d11[ch] = !top && !first1 ? g[ch] : 0.0f;
    }
  }
}

bool IsPlain2x2(const PoolShape& s) {
  return s.fh == 2 && s.fw == 2 && s.sh == 2 && s.sw == 2 && s.top == 0 && s.left == 0 && s.h == 2 * s.oh &&
         s.w == 2 * s.ow;
}

// maxPool(heap, [shape..., x, y])
napi_value MaxPool(napi_env env, napi_callback_info info) {
  return HeapCall(env, info, kPTensors + 2, [](const HeapView& v, double, int64_t, int) {
    const PoolShape s(v.args);
    const float* x = v.At(kPTensors, s.In());
    float* y = v.At(kPTensors + 1, s.Out());
#pragma omp parallel for collapse(2) schedule(static) if (Parallel(s.Out()))
    for (int64_t b = 0; b < s.n; b++) {
      for (int64_t oy = 0; oy < s.oh; oy++) MaxPoolRow(s, x, y, b, oy);
    }
  });
}

// maxPoolGrad(heap, [shape..., dy, x, dx]): the gradient of maxPool wrt x.
napi_value MaxPoolGrad(napi_env env, napi_callback_info info) {
  return HeapCall(env, info, kPTensors + 3, [](const HeapView& v, double, int64_t, int) {
    const PoolShape s(v.args);
    const float* dy = v.At(kPTensors, s.Out());
    const float* x = v.At(kPTensors + 1, s.In());
    float* dx = v.At(kPTensors + 2, s.In());
    if (IsPlain2x2(s)) {
#pragma omp parallel for collapse(2) schedule(static) if (Parallel(s.In()))
      for (int64_t b = 0; b < s.n; b++) {
        for (int64_t oy = 0; oy < s.oh; oy++) MaxPoolGrad2x2Row(s, dy, x, dx, b, oy);
      }
    } else {
      // Windows may overlap: one thread per image, so no two threads add to the same input.
#pragma omp parallel for schedule(static) if (Parallel(s.In()))
      for (int64_t b = 0; b < s.n; b++) MaxPoolGradImage(s, dy, x, dx, b);
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

// setConvAlgorithm(name): "auto", "direct" or "winograd" for this thread's later convolutions;
// returns the previous name.
napi_value SetConvAlgorithm(napi_env env, napi_callback_info info) {
  size_t argc = 1;
  napi_value argv[1];
  napi_get_cb_info(env, info, &argc, argv, nullptr, nullptr);
  char name[16] = {0};
  size_t length = 0;
  ConvAlgorithm algorithm;
  if (argc < 1 || napi_get_value_string_utf8(env, argv[0], name, sizeof(name), &length) != napi_ok ||
      !ParseAlgorithm(std::string(name, length), &algorithm)) {
    return Throw(env, "setConvAlgorithm(name) needs \"auto\", \"direct\" or \"winograd\"");
  }
  Context* ctx = ContextOf(env);
  const char* previousName = kAlgorithmNames[static_cast<int>(ctx->algorithm)];
  napi_value previous;
  napi_create_string_utf8(env, previousName, NAPI_AUTO_LENGTH, &previous);
  ctx->algorithm = algorithm;
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
      {"setConvAlgorithm", nullptr, SetConvAlgorithm, nullptr, nullptr, nullptr, napi_default, nullptr},
      {"batchNormInference", nullptr, BatchNormInference, nullptr, nullptr, nullptr, napi_default, nullptr},
      {"batchNormTraining", nullptr, BatchNormTraining, nullptr, nullptr, nullptr, napi_default, nullptr},
      {"batchNormTrainingGrad", nullptr, BatchNormTrainingGrad, nullptr, nullptr, nullptr, napi_default,
       nullptr},
      {"relu", nullptr, Relu, nullptr, nullptr, nullptr, napi_default, nullptr},
      {"reluGrad", nullptr, ReluGrad, nullptr, nullptr, nullptr, napi_default, nullptr},
      {"add", nullptr, Add, nullptr, nullptr, nullptr, napi_default, nullptr},
      {"momentumUpdate", nullptr, MomentumUpdate, nullptr, nullptr, nullptr, napi_default, nullptr},
      {"maxReduce", nullptr, MaxReduce, nullptr, nullptr, nullptr, napi_default, nullptr},
      {"maxPool", nullptr, MaxPool, nullptr, nullptr, nullptr, napi_default, nullptr},
      {"maxPoolGrad", nullptr, MaxPoolGrad, nullptr, nullptr, nullptr, napi_default, nullptr},
      {"version", nullptr, Version, nullptr, nullptr, nullptr, napi_default, nullptr},
  };
  napi_define_properties(env, exports, sizeof(properties) / sizeof(properties[0]), properties);
  return exports;
}

}  // namespace

NAPI_MODULE(NODE_GYP_MODULE_NAME, Init)
