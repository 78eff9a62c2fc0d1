#!/usr/bin/env python3
"""Optional cross-check of an exported Keras HDF5 file with h5py and NumPy (not needed by tests).

Reads the file the way Keras' legacy loader does (legacy_h5_format.load_weights_from_hdf5_group:
attributes decoded from bytes, layer_names, weight_names, datasets looked up by weight name), then
runs the model config's layers with NumPy on a fixed input and prints the logits, to compare with
what TensorFlow.js gives for the same input (see the usage line).

usage: python3 h5py-cross-check.py model.h5
  (the fixed input is pixel[i] = (i % 255) / 255 over the 32*32*3 HWC values of one image)
"""
import json
import sys

import h5py
import numpy as np


def text(value):
    return value.decode("utf8") if hasattr(value, "decode") else str(value)


def attribute_list(group, name):
    if name in group.attrs:
        return [text(n) for n in group.attrs[name]]
    data, chunk = [], 0
    while f"{name}{chunk}" in group.attrs:
        data.extend(text(n) for n in group.attrs[f"{name}{chunk}"])
        chunk += 1
    return data


def conv2d(x, kernel, bias, strides, padding):
    kh, kw, _, cout = kernel.shape
    h, w, _ = x.shape
    sh, sw = strides
    if padding == "same":
        oh, ow = -(-h // sh), -(-w // sw)
        ph, pw = max((oh - 1) * sh + kh - h, 0), max((ow - 1) * sw + kw - w, 0)
        x = np.pad(x, ((ph // 2, ph - ph // 2), (pw // 2, pw - pw // 2), (0, 0)))
    else:
        oh, ow = (h - kh) // sh + 1, (w - kw) // sw + 1
    out = np.zeros((oh, ow, cout), np.float64)
    for ky in range(kh):
        for kx in range(kw):
            patch = x[ky : ky + (oh - 1) * sh + 1 : sh, kx : kx + (ow - 1) * sw + 1 : sw, :]
            out += patch @ kernel[ky, kx]
    return out + (bias if bias is not None else 0)


def activation(x, name):
    if name in (None, "linear"):
        return x
    if name == "relu":
        return np.maximum(x, 0)
    if name == "softmax":
        e = np.exp(x - x.max())
        return e / e.sum()
    raise SystemExit(f"activation {name} not in this check")


def forward(config, weights, image):
    layers = config["config"]["layers"]
    values = {}
    previous = None
    for layer in layers:
        cls, cfg = layer["class_name"], layer["config"]
        name = cfg.get("name", layer.get("name"))
        nodes = layer.get("inbound_nodes")
        if config["class_name"] == "Functional":
            inputs = [values[n[0]] for n in nodes[0]] if nodes else [image]
        else:
            inputs = [previous if previous is not None else image]
        x = inputs[0]
        w = weights.get(name, {})
        if cls == "InputLayer" or cls == "Dropout":
            y = x
        elif cls == "Conv2D":
            y = activation(conv2d(x, w["kernel"], w.get("bias"), cfg["strides"], cfg["padding"]), cfg["activation"])
        elif cls == "Dense":
            y = activation(x @ w["kernel"] + w.get("bias", 0), cfg["activation"])
        elif cls == "BatchNormalization":
            y = (x - w["moving_mean"]) / np.sqrt(w["moving_variance"] + cfg["epsilon"]) * w.get("gamma", 1) + w.get("beta", 0)
        elif cls == "ReLU":
            y = np.maximum(x, 0) if cfg.get("max_value") is None else np.clip(x, 0, cfg["max_value"])
        elif cls == "MaxPooling2D":
            p = cfg["pool_size"][0]
            h, wd, c = x.shape
            y = x[: h // p * p, : wd // p * p].reshape(h // p, p, wd // p, p, c).max(axis=(1, 3))
        elif cls == "GlobalMaxPooling2D":
            y = x.max(axis=(0, 1))
        elif cls == "GlobalAveragePooling2D":
            y = x.mean(axis=(0, 1))
        elif cls == "Flatten":
            y = x.reshape(-1)
        elif cls == "Add":
            y = sum(inputs)
        elif cls == "Rescaling":
            y = x * cfg["scale"] + cfg.get("offset", 0)
        elif cls == "Activation":
            y = activation(x, cfg["activation"])
        else:
            raise SystemExit(f"layer {cls} not in this check")
        values[name] = previous = y
    return previous


def main(path):
    with h5py.File(path, "r") as f:
        config = json.loads(text(f.attrs["model_config"]))
        print("keras_version", text(f.attrs["keras_version"]), "backend", text(f.attrs["backend"]))
        print("model", config["class_name"], "layers", [layer["class_name"] for layer in config["config"]["layers"]])
        group = f["model_weights"]
        weights = {}
        for layer in attribute_list(group, "layer_names"):
            names = attribute_list(group[layer], "weight_names")
            for name in names:
                data = np.asarray(group[layer][name])
                assert data.dtype == np.float32, (name, data.dtype)
                short = name.split("/")[-1].split(":")[0]
                weights.setdefault(layer, {})[short] = data.astype(np.float64)
        count = sum(v.size for layer in weights.values() for v in layer.values())
        print("layers with weights", len(weights), "parameters", count)
        image = (np.arange(32 * 32 * 3) % 255 / 255.0).reshape(32, 32, 3)
        print("logits", " ".join(f"{v:.6f}" for v in forward(config, weights, image)))


if __name__ == "__main__":
    main(sys.argv[1])
