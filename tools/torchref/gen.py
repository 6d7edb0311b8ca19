#!/usr/bin/python3
"""Write PyTorch reference outputs and gradients ("goldens") for autoenc's
parity tests, as safetensors files:

    nn/testdata/parity/<case>.safetensors       one layer each
    models/testdata/parity/<model>.safetensors  each built-in model

Run from the repository root with Debian's python3 and python3-torch
(torch 1.13): /usr/bin/python3 tools/torchref/gen.py

Every layer is written here from its Keras definition (the semantics autoenc
follows, summarised in each function below) on top of PyTorch's own conv2d,
conv_transpose2d, max_pool2d and LSTM kernel, so the goldens are an
independent check of the Go layers. Parameters are leaf tensors in Keras's
layout (Dense kernel [in, out], Conv2D kernel [kh, kw, in, out],
Conv2DTranspose kernel [kh, kw, out, in], LSTM kernel [in, 4u],
recurrent_kernel [u, 4u], bias [4u], gates i, f, g, o), permuted inside the
graph where PyTorch wants its own layout, so their gradients come out in
Keras's layout too.

Values are drawn in float32 (what the Go code stores) and all arithmetic is
done in float64, so a golden is the exact answer for its float32 inputs,
rounded once to float32; the Go side's float32 rounding is all the
difference a correct layer shows.

Each file holds, for a layer case:
    x, y            input and output (Go layout: NHWC images, [batch, time,
                    features] sequences)
    dy              upstream gradient, a fixed random tensor: the loss is
                    L = sum(y * dy), so dL/dy = dy
    dx              dL/dx
    param/<name>    each parameter's value, Keras layout, named as in Go
                    ("kernel", "bias", "recurrent_kernel")
    grad/<name>     dL/d(param)
and metadata "spec" (the nn.Spec JSON of the layer) and "training" ("true"
or "false": the mode Forward runs in). Input shape = x's shape minus batch.

For a model case: x (a batch of 4 images in [0, 1], also the target), y (the
model's output), "loss" (a scalar: Keras's binary_crossentropy of y against
x), dy = dloss/dy, and param/<path> and grad/<path> for every parameter under
its autoenc path name ("encoder.1.kernel"); metadata "spec" (the model's
nn.Spec JSON, which must equal models/builtin.go's), "model" (its name) and
"training" = "false".
"""

import json
import math
import os
import struct
import zlib

import numpy as np
import torch
import torch.nn.functional as F

torch.set_default_dtype(torch.float64)

ROOT = os.path.normpath(os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", ".."))

# --------------------------------------------------------------------------
# safetensors writer (the format of internal/safetensors; no pip package
# needed). Tensors in sorted name order, metadata first, header padded with
# spaces so the data starts at a multiple of 8 bytes: the same bytes Go's
# safetensors.Write produces for the same content.


def write_safetensors(path, tensors, metadata):
    names = sorted(tensors)
    entries = []
    if metadata:
        entries.append('"__metadata__":' + json.dumps(metadata, sort_keys=True, separators=(",", ":")))
    blobs, offset = [], 0
    for name in names:
        a = np.asarray(tensors[name].detach().cpu().numpy(), dtype="<f4")  # not ascontiguousarray: it makes a scalar 1-d
        blob = a.tobytes()
        entries.append(json.dumps(name) + ":" + json.dumps(
            {"dtype": "F32", "shape": list(a.shape), "data_offsets": [offset, offset + len(blob)]},
            separators=(",", ":")))
        blobs.append(blob)
        offset += len(blob)
    header = ("{" + ",".join(entries) + "}").encode()
    header += b" " * (-len(header) % 8)
    os.makedirs(os.path.dirname(path), exist_ok=True)
    with open(path, "wb") as f:
        f.write(struct.pack("<Q", len(header)))
        f.write(header)
        for blob in blobs:
            f.write(blob)


# --------------------------------------------------------------------------
# Deterministic values. Each case seeds its own generator with the CRC-32 of
# its name, so cases are independent of each other and of their order, and
# adding a case changes no other golden. Draws are float32 and then widened.


def generator(name):
    return torch.Generator().manual_seed(zlib.crc32(name.encode()))


def uniform(gen, shape, lo, hi):
    v = torch.rand(shape, generator=gen, dtype=torch.float32) * (hi - lo) + lo
    return v.to(torch.float64)


def normal(gen, shape):
    return torch.randn(shape, generator=gen, dtype=torch.float32).to(torch.float64)


def glorot(gen, shape, fan_in, fan_out):
    # Keras's glorot_uniform limit, sqrt(6 / (fan_in + fan_out)): weights of
    # the scale a freshly built model has, so activations are neither
    # saturated nor vanishing.
    limit = math.sqrt(6 / (fan_in + fan_out))
    return uniform(gen, shape, -limit, limit)


# Biases are drawn from U(-0.1, 0.1) rather than Keras's zeros, so that a
# layer that ignored or misplaced its bias would show.
BIAS = 0.1


def make_params(spec, in_shape, gen, prefix, params):
    """Create the parameters a layer spec needs for input shape in_shape
    (no batch), in Keras layout, named as Go's Sequential.Build names them;
    return the output shape."""
    t = spec["type"]
    if t == "Sequential":
        shape = in_shape
        for i, sub in enumerate(spec["layers"]):
            p = sub["name"] if sub["type"] == "Sequential" and sub.get("name") else str(i)
            shape = make_params(sub, shape, gen, prefix + p + ".", params)
        return shape
    if t == "Dense":
        n_in, u = in_shape[-1], spec["units"]
        params[prefix + "kernel"] = glorot(gen, (n_in, u), n_in, u)
        params[prefix + "bias"] = uniform(gen, (u,), -BIAS, BIAS)
        return in_shape[:-1] + [u]
    if t in ("Conv2D", "Conv2DTranspose"):
        h, w, c = in_shape
        k, s, f = spec["kernel_size"], spec.get("strides", 1), spec["filters"]
        same = spec.get("padding") == "same"
        if t == "Conv2D":
            params[prefix + "kernel"] = glorot(gen, (k, k, c, f), k * k * c, k * k * f)
            oh, ow = (conv_out(h, k, s, same), conv_out(w, k, s, same))
        else:
            params[prefix + "kernel"] = glorot(gen, (k, k, f, c), k * k * f, k * k * c)
            oh, ow = (deconv_out(h, k, s, same), deconv_out(w, k, s, same))
        params[prefix + "bias"] = uniform(gen, (f,), -BIAS, BIAS)
        return [oh, ow, f]
    if t == "LSTM":
        n_in, u = in_shape[-1], spec["units"]
        params[prefix + "kernel"] = glorot(gen, (n_in, 4 * u), n_in, 4 * u)
        params[prefix + "recurrent_kernel"] = glorot(gen, (u, 4 * u), u, 4 * u)
        params[prefix + "bias"] = uniform(gen, (4 * u,), -BIAS, BIAS)
        return [in_shape[0], u] if spec.get("return_sequences") else [u]
    if t == "TimeDistributed":
        # Go's TimeDistributed reports its inner layer's names unchanged.
        return in_shape[:1] + make_params(spec["layer"], in_shape[1:], gen, prefix, params)
    if t == "MaxPool2D":
        p = spec["pool_size"]
        return [in_shape[0] // p, in_shape[1] // p, in_shape[2]]
    if t == "RepeatVector":
        return [spec["n"]] + in_shape
    if t == "Reshape":
        return list(spec["target_shape"])
    if t == "Flatten":
        return [int(np.prod(in_shape))]
    if t in ("GaussianNoise", "Dropout"):
        return in_shape
    raise ValueError("unknown layer " + t)


def conv_out(n, k, s, same):
    # Keras: SAME ceil(n/s), VALID floor((n-k)/s)+1.
    return -(-n // s) if same else (n - k) // s + 1


def deconv_out(n, k, s, same):
    # Keras's deconv_output_length without output_padding.
    return n * s if same else n * s + max(k - s, 0)


# --------------------------------------------------------------------------
# The layers, from their Keras definitions. x is in Go layout.


def activation(name, z):
    if name in (None, "", "linear"):
        return z
    return {"relu": F.relu, "sigmoid": torch.sigmoid, "tanh": torch.tanh, "selu": F.selu}[name](z)


def tf_same_pads(n, k, s):
    # TensorFlow's SAME padding for a forward convolution of size n:
    # total = max((ceil(n/s)-1)*s + k - n, 0), the smaller half before.
    total = max((-(-n // s) - 1) * s + k - n, 0)
    return total // 2, total - total // 2


def conv2d(spec, x, K, b):
    # y = act(cross-correlation of x with K + b), TensorFlow's SAME padding
    # done explicitly: PyTorch's padding= is symmetric, TensorFlow's is not
    # (stride 2 on an even size pads 0 before and 1 after).
    k, s = spec["kernel_size"], spec.get("strides", 1)
    xn = x.permute(0, 3, 1, 2)  # NHWC -> NCHW
    if spec.get("padding") == "same":
        top, bottom = tf_same_pads(xn.shape[2], k, s)
        left, right = tf_same_pads(xn.shape[3], k, s)
        xn = F.pad(xn, (left, right, top, bottom))
    y = F.conv2d(xn, K.permute(3, 2, 0, 1), b, stride=s)  # [kh,kw,in,out] -> [out,in,kh,kw]
    return activation(spec.get("activation"), y.permute(0, 2, 3, 1))


def deconv_crop(full, out, n, k, s):
    # TensorFlow's transposed convolution keeps `out` rows of the full
    # (n-1)*s + k: it drops pad_before = max((n-1)*s + k - out, 0) // 2 at the
    # start (those of the forward SAME conv from out back to n), and where
    # out is longer (VALID with k < s) the extra rows get no input.
    before = max(full - out, 0) // 2
    return before, out - (full - before)  # start of the kept window, zeros to add after


def conv2d_transpose(spec, x, K, b):
    k, s = spec["kernel_size"], spec.get("strides", 1)
    same = spec.get("padding") == "same"
    n, h, w, c = x.shape
    # [kh,kw,out,in] -> [in,out,kh,kw], PyTorch's ConvTranspose2d layout.
    full = F.conv_transpose2d(x.permute(0, 3, 1, 2), K.permute(3, 2, 0, 1), None, stride=s, padding=0)
    oh, ow = deconv_out(h, k, s, same), deconv_out(w, k, s, same)
    t, pb = deconv_crop(full.shape[2], oh, h, k, s)
    l, pr = deconv_crop(full.shape[3], ow, w, k, s)
    y = full[:, :, t:t + oh, l:l + ow]
    if pb > 0 or pr > 0:
        y = F.pad(y, (0, max(pr, 0), 0, max(pb, 0)))
    y = y + b.view(1, -1, 1, 1)
    return activation(spec.get("activation"), y.permute(0, 2, 3, 1))


def lstm(spec, x, K, R, b):
    # Keras LSTM: z = x_t K + h R + b split into i, f, g, o;
    # c = sigmoid(f) c + sigmoid(i) tanh(g); h = sigmoid(o) tanh(c); h0 = c0 = 0.
    # Run by PyTorch's LSTM kernel (the one behind torch.nn.LSTM; same gate
    # order) with weight_ih = K^T, weight_hh = R^T, bias_ih = b,
    # bias_hh = 0. It is called directly because torch.nn.LSTM keeps its
    # own weights, and K, R and b must stay the leaves. Arguments: input,
    # (h0, c0), weights, has_biases, num_layers, dropout, train,
    # bidirectional, batch_first.
    u = spec["units"]
    zeros = x.new_zeros(1, x.shape[0], u)
    out = torch._VF.lstm(x, (zeros, zeros), (K.t(), R.t(), b, torch.zeros_like(b)),
                         True, 1, 0.0, False, False, True)[0]
    # Check against the equations written out, so that a misreading of
    # PyTorch's gate layout cannot slip into the goldens.
    h = c = x.new_zeros(x.shape[0], u)
    hs = []
    for step in range(x.shape[1]):
        z = x[:, step] @ K + h @ R + b
        i, f, g, o = z.split(u, dim=1)
        c = torch.sigmoid(f) * c + torch.sigmoid(i) * torch.tanh(g)
        h = torch.sigmoid(o) * torch.tanh(c)
        hs.append(h)
    assert torch.allclose(out, torch.stack(hs, 1), rtol=0, atol=1e-12)
    return out if spec.get("return_sequences") else out[:, -1]


def apply(spec, x, params, prefix=""):
    """Forward pass of a layer or Sequential spec in inference mode."""
    t = spec["type"]
    if t == "Sequential":
        for i, sub in enumerate(spec["layers"]):
            p = sub["name"] if sub["type"] == "Sequential" and sub.get("name") else str(i)
            x = apply(sub, x, params, prefix + p + ".")
        return x
    P = lambda name: params[prefix + name]
    if t == "Dense":  # y = act(x K + b) over the last axis
        return activation(spec.get("activation"), x @ P("kernel") + P("bias"))
    if t == "Conv2D":
        return conv2d(spec, x, P("kernel"), P("bias"))
    if t == "Conv2DTranspose":
        return conv2d_transpose(spec, x, P("kernel"), P("bias"))
    if t == "MaxPool2D":  # Keras: strides = pool_size, VALID, so 7 -> 3
        p = spec["pool_size"]
        return F.max_pool2d(x.permute(0, 3, 1, 2), p, p).permute(0, 2, 3, 1)
    if t == "LSTM":
        return lstm(spec, x, P("kernel"), P("recurrent_kernel"), P("bias"))
    if t == "RepeatVector":  # [b, f] -> [b, n, f]
        return x.unsqueeze(1).expand(-1, spec["n"], -1)
    if t == "TimeDistributed":  # the inner layer on every step; names pass through
        n, steps = x.shape[:2]
        y = apply(spec["layer"], x.reshape(n * steps, *x.shape[2:]), params, prefix)
        return y.reshape(n, steps, *y.shape[1:])
    if t == "Reshape":  # row-major, batch kept
        return x.reshape(x.shape[0], *spec["target_shape"])
    if t == "Flatten":  # row-major over channels-last data
        return x.reshape(x.shape[0], -1)
    if t in ("GaussianNoise", "Dropout"):  # identity outside training
        return x
    raise ValueError("unknown layer " + t)


# --------------------------------------------------------------------------
# Layer cases: (name, spec, input shape with batch). Small but not trivial:
# batch 2-3, sizes that exercise odd/even edges and TensorFlow's asymmetric
# SAME padding, and channel counts that differ so that a transposed layout
# would fail.

def dense(units, act):
    return {"type": "Dense", "units": units, "activation": act}


def conv(filters, k, s, padding, act="selu"):
    d = {"type": "Conv2D", "filters": filters, "kernel_size": k, "padding": padding, "activation": act}
    if s != 1:
        d["strides"] = s
    return d


def deconv(filters, k, s, padding, act="selu"):
    d = conv(filters, k, s, padding, act)
    d["type"] = "Conv2DTranspose"
    return d


LAYER_CASES = [
    ("dense_linear", dense(4, "linear"), (3, 5)),
    ("dense_relu", dense(4, "relu"), (3, 5)),
    ("dense_sigmoid", dense(4, "sigmoid"), (3, 5)),
    ("dense_tanh", dense(4, "tanh"), (3, 5)),
    ("dense_selu", dense(4, "selu"), (3, 5)),
    ("dense_rank3", dense(4, "selu"), (2, 3, 5)),
    # Conv2D: stride 1 SAME and VALID (one non-square input, to catch h/w
    # mix-ups), stride 2 on even (TF pads 0 before, 1 after) and odd sizes
    # (1 and 1), and k = 4 SAME (pads 1 before, 2 after).
    ("conv2d_same_s1", conv(4, 3, 1, "same"), (2, 5, 5, 3)),
    ("conv2d_valid_s1", conv(4, 3, 1, "valid", "linear"), (2, 6, 5, 2)),
    ("conv2d_same_s2_even", conv(3, 3, 2, "same"), (2, 8, 8, 2)),
    ("conv2d_same_s2_odd", conv(3, 3, 2, "same"), (2, 7, 7, 2)),
    ("conv2d_valid_s2_even", conv(3, 3, 2, "valid", "tanh"), (2, 8, 8, 2)),
    ("conv2d_valid_s2_odd", conv(3, 3, 2, "valid", "tanh"), (2, 7, 7, 2)),
    ("conv2d_same_k4", conv(2, 4, 1, "same", "linear"), (2, 6, 6, 2)),
    ("maxpool_7to3", {"type": "MaxPool2D", "pool_size": 2}, (2, 7, 7, 3)),
    ("maxpool_8to4", {"type": "MaxPool2D", "pool_size": 2}, (2, 8, 8, 2)),
    # Conv2DTranspose: the tutorial's 3->7 (VALID), 7->14 and 14->28 (SAME)
    # with few channels, stride 1 both ways, k = 4 s = 2 SAME (crops 1 row
    # at the start) and VALID with k < s (Keras's n*s rows, the last ones
    # bias only).
    ("deconv_valid_s2_3to7", deconv(3, 3, 2, "valid"), (2, 3, 3, 4)),
    ("deconv_same_s2_7to14", deconv(2, 3, 2, "same"), (2, 7, 7, 3)),
    ("deconv_same_s2_14to28", deconv(1, 3, 2, "same", "sigmoid"), (2, 14, 14, 2)),
    ("deconv_same_s1", deconv(2, 3, 1, "same"), (2, 5, 5, 3)),
    ("deconv_valid_s1", deconv(3, 3, 1, "valid", "linear"), (2, 4, 4, 2)),
    ("deconv_same_k4s2", deconv(2, 4, 2, "same", "linear"), (2, 3, 3, 2)),
    ("deconv_valid_k2s3", deconv(2, 2, 3, "valid", "linear"), (2, 3, 3, 2)),
    ("lstm_sequences", {"type": "LSTM", "units": 4, "return_sequences": True}, (2, 5, 3)),
    ("lstm_last", {"type": "LSTM", "units": 4}, (3, 6, 3)),
    ("repeat_vector", {"type": "RepeatVector", "n": 3}, (2, 4)),
    ("time_distributed_dense", {"type": "TimeDistributed", "layer": dense(3, "sigmoid")}, (2, 4, 5)),
    ("reshape", {"type": "Reshape", "target_shape": [3, 4]}, (2, 12)),
    ("reshape_to_image", {"type": "Reshape", "target_shape": [4, 3, 1]}, (2, 3, 4)),
    ("flatten", {"type": "Flatten"}, (2, 3, 4)),
    ("flatten_image", {"type": "Flatten"}, (2, 2, 3, 2)),
    ("gaussian_noise_inference", {"type": "GaussianNoise", "stddev": 0.2}, (2, 6)),
    ("dropout_inference", {"type": "Dropout", "rate": 0.5}, (2, 6)),
]


def spec_json(spec):
    # Compact and key-sorted: the metadata is data for nn.Spec, not prose.
    return json.dumps(spec, sort_keys=True, separators=(",", ":"))


def gen_layer(name, spec, shape):
    gen = generator(name)
    params = {}
    make_params(spec, list(shape[1:]), gen, "", params)
    # Inputs from U(-1, 1): both signs through relu/selu and the max-pool.
    x = uniform(gen, shape, -1, 1).requires_grad_()
    for p in params.values():
        p.requires_grad_()
    y = apply(spec, x, params)
    dy = normal(gen, tuple(y.shape))
    (y * dy).sum().backward()  # L = sum(y * dy)
    tensors = {"x": x, "y": y, "dy": dy, "dx": x.grad}
    for k, p in params.items():
        tensors["param/" + k] = p
        tensors["grad/" + k] = p.grad
    write_safetensors(os.path.join(ROOT, "nn", "testdata", "parity", name + ".safetensors"),
                      tensors, {"spec": spec_json(spec), "training": "false"})


# --------------------------------------------------------------------------
# Model cases: the built-in models of models/builtin.go, spelled out again.


def autoencoder(name, encoder, decoder):
    return {"type": "Sequential", "name": name, "input_shape": [28, 28], "layers": [
        {"type": "Sequential", "name": "encoder", "layers": encoder},
        {"type": "Sequential", "name": "decoder", "layers": decoder},
    ]}


def dense_decoder():
    return [dense(100, "selu"), dense(784, "sigmoid"), {"type": "Reshape", "target_shape": [28, 28]}]


POOL = {"type": "MaxPool2D", "pool_size": 2}

MODELS = [
    autoencoder("stacked", [{"type": "Flatten"}, dense(100, "selu"), dense(30, "selu")], dense_decoder()),
    autoencoder("conv",
                [{"type": "Reshape", "target_shape": [28, 28, 1]},
                 conv(16, 3, 1, "same"), POOL, conv(32, 3, 1, "same"), POOL, conv(64, 3, 1, "same"), POOL],
                [deconv(32, 3, 2, "valid"), deconv(16, 3, 2, "same"), deconv(1, 3, 2, "same", "sigmoid"),
                 {"type": "Reshape", "target_shape": [28, 28]}]),
    autoencoder("recurrent",
                [{"type": "LSTM", "units": 100, "return_sequences": True}, {"type": "LSTM", "units": 30}],
                [{"type": "RepeatVector", "n": 28}, {"type": "LSTM", "units": 100, "return_sequences": True},
                 {"type": "TimeDistributed", "layer": dense(28, "sigmoid")}]),
    autoencoder("denoising-gaussian",
                [{"type": "Flatten"}, {"type": "GaussianNoise", "stddev": 0.2}, dense(100, "selu"),
                 dense(30, "selu")], dense_decoder()),
    autoencoder("denoising-dropout",
                [{"type": "Flatten"}, {"type": "Dropout", "rate": 0.5}, dense(100, "selu"), dense(30, "selu")],
                dense_decoder()),
]

EPS = 1e-7  # Keras's backend epsilon()


def binary_crossentropy(p, y):
    # Keras on probabilities: clip p to [eps, 1-eps], then
    # -(y log(p+eps) + (1-y) log(1-p+eps)), averaged over every element.
    p = torch.clamp(p, EPS, 1 - EPS)
    return -(y * torch.log(p + EPS) + (1 - y) * torch.log(1 - p + EPS)).mean()


def fake_images(gen, n):
    # Four 28x28 "images" in [0, 1] shaped like Fashion-MNIST's: values
    # below 0.3 become exact 0 (background) and above 0.9 exact 1, so the
    # targets hit both ends as real pixels do and both terms of the loss count.
    x = uniform(gen, (n, 28, 28), 0, 1)
    x[x < 0.3] = 0
    x[x > 0.9] = 1
    return x


def gen_model(spec):
    name = spec["name"]
    gen = generator("model/" + name)
    params = {}
    make_params(spec, list(spec["input_shape"]), gen, "", params)
    x = fake_images(gen, 4)
    for p in params.values():
        p.requires_grad_()
    y = apply(spec, x, params)
    y.retain_grad()
    loss = binary_crossentropy(y, x)
    loss.backward()
    assert 1e-4 < y.min() and y.max() < 1 - 1e-4, "output saturated: the clip would hide gradients"
    tensors = {"x": x, "y": y, "loss": loss, "dy": y.grad}
    for k, p in params.items():
        tensors["param/" + k] = p
        tensors["grad/" + k] = p.grad
    write_safetensors(os.path.join(ROOT, "models", "testdata", "parity", name + ".safetensors"),
                      tensors, {"spec": spec_json(spec), "model": name, "training": "false"})


def main():
    for name, spec, shape in LAYER_CASES:
        gen_layer(name, spec, shape)
    for spec in MODELS:
        gen_model(spec)
    print("wrote %d layer and %d model goldens" % (len(LAYER_CASES), len(MODELS)))


if __name__ == "__main__":
    main()
