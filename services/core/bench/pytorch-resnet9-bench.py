# The PyTorch reference of `npm run bench:engine`: the same ResNet-9 (width W) that visionops ships,
# trained and run in PyTorch on this machine's CPU (Debian's python3-torch, oneDNN inside). Run with
# /usr/bin/python3 (apt-get install python3-torch). Prints one JSON line: training and inference images/s at 1 and 2 threads.
# With --serve as the third argument it instead reads requests "train|infer THREADS STEPS" from
# stdin, runs that many steps and answers one JSON line with the last one's time, {"ms": ...}:
# bench:engine interleaves these steps with its own, so both engines meet the same load from the
# rest of the machine.
import json, sys, time
import torch, torch.nn as nn, torch.nn.functional as F

W = int(sys.argv[1]) if len(sys.argv) > 1 else 16
B = int(sys.argv[2]) if len(sys.argv) > 2 else 128

def block(cin, cout, pool):
    layers = [nn.Conv2d(cin, cout, 3, padding=1, bias=False)]
    if pool: layers.append(nn.MaxPool2d(2))
    layers += [nn.BatchNorm2d(cout), nn.ReLU(inplace=True)]
    return nn.Sequential(*layers)

class Res(nn.Module):
    def __init__(self, c):
        super().__init__(); self.a = block(c, c, False); self.b = block(c, c, False)
    def forward(self, x): return x + self.b(self.a(x))

class Net(nn.Module):
    def __init__(self, w):
        super().__init__()
        self.f = nn.Sequential(block(3, w, False), block(w, 2 * w, True), Res(2 * w),
                               block(2 * w, 4 * w, True), block(4 * w, 8 * w, True), Res(8 * w))
        self.fc = nn.Linear(8 * w, 10)
    def forward(self, x):
        x = self.f(x); x = torch.amax(x, dim=(2, 3)); return self.fc(x) * 0.125

def make_step(train):
    torch.manual_seed(0)
    net = Net(W).to(memory_format=torch.channels_last)
    opt = torch.optim.SGD(net.parameters(), lr=0.1, momentum=0.9, nesterov=True, weight_decay=5e-4)
    x = torch.randn(B, 3, 32, 32).to(memory_format=torch.channels_last); y = torch.randint(0, 10, (B,))
    def step():
        if train:
            net.train(); opt.zero_grad(set_to_none=True)
            loss = F.cross_entropy(net(x), y, label_smoothing=0.2); loss.backward(); opt.step()
        else:
            net.eval()
            with torch.no_grad(): net(x)
    return step

def bench(threads, train, steps):
    torch.set_num_threads(threads)
    step = make_step(train)
    for _ in range(3): step()
    t = time.perf_counter()
    for _ in range(steps): step()
    return B * steps / (time.perf_counter() - t)

def serve():
    steps = {}
    print(json.dumps({"framework": f"pytorch {torch.__version__}"}), flush=True)
    for line in sys.stdin:
        kind, threads, count = line.split()
        torch.set_num_threads(int(threads))
        key = (kind, int(threads))
        if key not in steps: steps[key] = make_step(kind == "train")
        for _ in range(int(count)):
            t = time.perf_counter()
            steps[key]()
            ms = (time.perf_counter() - t) * 1000
        print(json.dumps({"ms": ms}), flush=True)

if len(sys.argv) > 3 and sys.argv[3] == "--serve":
    serve()
    sys.exit(0)

params = sum(p.numel() for p in Net(W).parameters())
r = {"framework": f"pytorch {torch.__version__}", "width": W, "batch": B, "parameters": params}
for th in (1, 2):
    r[f"train{th}t"] = round(bench(th, True, 8), 1)
    r[f"infer{th}t"] = round(bench(th, False, 16), 1)
print(json.dumps(r))
