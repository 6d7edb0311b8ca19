#!/usr/bin/python3
"""PyTorch side of bench/run.sh: the same built-in model as autoenc's
(models/builtin.go), trained with SGD at batch 32 on the same embedded
Fashion-MNIST sample for the same number of steps, then inference on the
same number of images. Prints one JSON line with the fields of
bench/cmd/aebench.

Run with Debian's python3 and python3-torch (torch 1.13):

    /usr/bin/python3 bench/torch_bench.py --model conv --steps 200 --infer 10000

The modules are plain, idiomatic PyTorch (NCHW convolutions, nn.LSTM,
float32), built so that shapes, parameter counts and FLOPs equal autoenc's:
Keras "same" padding for a 3x3 stride-1 convolution is PyTorch's padding=1;
Keras's Conv2DTranspose(3, strides=2, "same") from n to 2n is padding=1,
output_padding=1 (TensorFlow crops the extra row/column at the end, as
output_padding does); "valid" is padding=0. Weights keep PyTorch's default
initialisation: speed does not depend on it.
"""

import argparse
import gzip
import json
import os
import time

import numpy as np
import torch
import torch.nn as nn

ROOT = os.path.normpath(os.path.join(os.path.dirname(os.path.abspath(__file__)), ".."))


def load_images(path):
    with gzip.open(path, "rb") as f:
        raw = f.read()
    n, h, w = (int.from_bytes(raw[i:i + 4], "big") for i in (4, 8, 12))
    return torch.from_numpy(np.frombuffer(raw, dtype=np.uint8, offset=16).reshape(n, h, w).astype(np.float32) / 255)


class SELUDense(nn.Sequential):
    def __init__(self, n_in, n_out, act):
        super().__init__(nn.Linear(n_in, n_out), act())


def dense_ae(noise):
    # Flatten, [noise], Dense(100, selu), Dense(30, selu) | Dense(100, selu), Dense(784, sigmoid), Reshape
    enc = [nn.Flatten()] + ([noise] if noise is not None else []) + [SELUDense(784, 100, nn.SELU), SELUDense(100, 30, nn.SELU)]
    dec = [SELUDense(30, 100, nn.SELU), SELUDense(100, 784, nn.Sigmoid), nn.Unflatten(1, (28, 28))]
    return nn.Sequential(nn.Sequential(*enc), nn.Sequential(*dec))


class GaussianNoise(nn.Module):
    def __init__(self, stddev):
        super().__init__()
        self.stddev = stddev

    def forward(self, x):
        return x + torch.randn_like(x) * self.stddev if self.training else x


def conv_ae():
    return nn.Sequential(
        nn.Unflatten(1, (1, 28)),  # [b, 28, 28] -> [b, 1, 28, 28]
        nn.Conv2d(1, 16, 3, padding=1), nn.SELU(), nn.MaxPool2d(2),    # 14x14x16
        nn.Conv2d(16, 32, 3, padding=1), nn.SELU(), nn.MaxPool2d(2),   # 7x7x32
        nn.Conv2d(32, 64, 3, padding=1), nn.SELU(), nn.MaxPool2d(2),   # 3x3x64
        nn.ConvTranspose2d(64, 32, 3, stride=2), nn.SELU(),                                   # valid: 7x7x32
        nn.ConvTranspose2d(32, 16, 3, stride=2, padding=1, output_padding=1), nn.SELU(),      # same: 14x14x16
        nn.ConvTranspose2d(16, 1, 3, stride=2, padding=1, output_padding=1), nn.Sigmoid(),    # same: 28x28x1
        nn.Flatten(1, 2),  # [b, 1, 28, 28] -> [b, 28, 28]
    )


class Recurrent(nn.Module):
    # LSTM(100, return_sequences) - LSTM(30) | RepeatVector(28) - LSTM(100, return_sequences) - TimeDistributed(Dense(28, sigmoid))
    def __init__(self):
        super().__init__()
        self.l1 = nn.LSTM(28, 100, batch_first=True)
        self.l2 = nn.LSTM(100, 30, batch_first=True)
        self.l3 = nn.LSTM(30, 100, batch_first=True)
        self.out = nn.Linear(100, 28)

    def forward(self, x):
        h, _ = self.l1(x)
        _, (code, _) = self.l2(h)
        code = code[-1]  # the last step's output, [b, 30]
        h, _ = self.l3(code.unsqueeze(1).expand(-1, x.shape[1], -1).contiguous())
        return torch.sigmoid(self.out(h))


LR = {"stacked": 1.0, "conv": 1.0, "recurrent": 0.1, "denoising-gaussian": 1.0, "denoising-dropout": 1.0}


def build(name):
    if name == "stacked":
        return dense_ae(None)
    if name == "denoising-gaussian":
        return dense_ae(GaussianNoise(0.2))
    if name == "denoising-dropout":
        return dense_ae(nn.Dropout(0.5))
    if name == "conv":
        return conv_ae()
    if name == "recurrent":
        return Recurrent()
    raise SystemExit("unknown model " + name)


def peak_rss_kb():
    with open("/proc/self/status") as f:
        for line in f:
            if line.startswith("VmHWM:"):
                return int(line.split()[1])
    return 0


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--model", default="conv")
    ap.add_argument("--impl", default="pytorch", help="label for the output line")
    ap.add_argument("--steps", type=int, default=200)
    ap.add_argument("--infer", type=int, default=10000)
    ap.add_argument("--batch", type=int, default=32)
    ap.add_argument("--threads", type=int, default=2)
    ap.add_argument("--flush-denormal", action="store_true", help="torch.set_flush_denormal(True): treat subnormal floats as zero")
    a = ap.parse_args()
    torch.set_num_threads(a.threads)
    if a.flush_denormal:
        torch.set_flush_denormal(True)
    torch.manual_seed(42)
    imgs = load_images(os.path.join(ROOT, "data", "sample", "train-images-idx3-ubyte.gz"))
    n = imgs.shape[0]
    model = build(a.model)
    opt = torch.optim.SGD(model.parameters(), lr=LR[a.model])
    loss_fn = nn.BCELoss()
    pos = 0

    def batch():
        nonlocal pos
        idx = torch.arange(pos, pos + a.batch) % n
        pos = (pos + a.batch) % n
        return imgs[idx]

    def step():
        x = batch()
        opt.zero_grad(set_to_none=True)
        loss = loss_fn(model(x), x)
        loss.backward()
        opt.step()
        return loss.item()

    model.train()
    for _ in range(5):
        step()
    t0 = time.perf_counter()
    for _ in range(a.steps):
        last = step()
    train_s = time.perf_counter() - t0

    model.eval()
    pos = 0
    with torch.no_grad():
        model(batch())
        pos = 0
        t0 = time.perf_counter()
        done = 0
        while done < a.infer:
            model(batch())
            done += a.batch
        infer_s = time.perf_counter() - t0

    print(json.dumps({
        "impl": a.impl, "model": a.model, "threads": torch.get_num_threads(), "steps": a.steps,
        "train_images_per_s": a.steps * a.batch / train_s,
        "infer_images": a.infer, "infer_images_per_s": a.infer / infer_s,
        "peak_rss_kb": peak_rss_kb(), "final_loss": last,
    }))


if __name__ == "__main__":
    main()
