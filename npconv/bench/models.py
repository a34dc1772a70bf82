"""Whole models timed in npconv and in torch: a LeNet training epoch, ResNet-18 forwards at batch 1 and 8 and
a U-Net forward+backward (npconv's own models beside plain torch twins: no torchvision needed)."""
import numpy as np

from .timing import clock, time_median

__all__ = ["MODELS", "method", "lenet_epoch", "model_timings", "model_timings_of", "model_rows"]


# Untimed runs before a model's median: the first runs of a model fault in fresh pages (npconv's first 4 U-Net
# training steps 9k-29k page faults each, then almost none), a start-up cost torch's caching allocator pays
# too; the median of the runs after them is the step a training loop repeats.
WARMUP_RUNS = {"epoch": 1, "forward": 2, "training step": 4}


def method(repeat=5):
    """How the models are timed, for a report's text."""
    warmups = ", ".join(f"{count} {run}{'s' if count > 1 else ''}" for run, count in WARMUP_RUNS.items())
    return f"each the median of {repeat} runs after untimed warm-up runs ({warmups})"


def lenet_epoch(library, images=2048, batch=64, seed=0):
    """Seconds for one SGD training epoch of LeNet on ``images`` random 28x28 images (a fresh model)."""
    epoch = _lenet_training(library, images, batch, seed)
    begin = clock()
    epoch()
    return clock() - begin


def _lenet_time(library, repeat, images=2048, batch=64, seed=0):
    """Median seconds of an epoch of one model's training, after a warm-up epoch."""
    return time_median(_lenet_training(library, images, batch, seed), repeat, warmup=WARMUP_RUNS["epoch"])


def _lenet_training(library, images, batch, seed):
    """A function running one SGD epoch of LeNet on ``images`` random 28x28 images."""
    rng = np.random.default_rng(seed)
    data = rng.standard_normal((images, 1, 28, 28), dtype=np.float32)
    labels = rng.integers(0, 10, images)
    if library == "torch":
        import torch as lib
        model = _torch_lenet()
    else:
        import npconv as lib
        from npconv.models import LeNet
        model = LeNet()
    optimizer = lib.optim.SGD(model.parameters(), lr=0.01, momentum=0.9)
    loss_fn = lib.nn.functional.cross_entropy

    def epoch():
        for start in range(0, images, batch):
            x = lib.from_numpy(data[start:start + batch])
            t = lib.from_numpy(labels[start:start + batch])
            optimizer.zero_grad()
            loss = loss_fn(model(x), t)
            loss.backward()
            optimizer.step()
    return epoch


def _torch_lenet():
    import torch.nn as tnn
    import torch.nn.functional as TF

    class LeNet(tnn.Module):
        def __init__(self):
            super().__init__()
            self.conv1, self.conv2 = tnn.Conv2d(1, 20, 5), tnn.Conv2d(20, 50, 5)
            self.fc1, self.fc2 = tnn.Linear(800, 500), tnn.Linear(500, 10)

        def forward(self, x):
            x = TF.max_pool2d(TF.relu(self.conv1(x)), 2)
            x = TF.max_pool2d(TF.relu(self.conv2(x)), 2)
            return self.fc2(TF.relu(self.fc1(x.flatten(1))))
    return LeNet()


def model_timings_of(library, repeat=5):
    """``{model name: (seconds, None)}`` for one library, ``(None, error text)`` where it fails."""
    timings = {}
    for name, fn in MODELS.items():
        try:
            timings[name] = (fn(library, repeat), None)
        except Exception as error:  # a model a library cannot run is reported, not fatal
            timings[name] = (None, f"{type(error).__name__}: {error}")
    return timings


def model_rows(per_library):
    """``{library: model_timings_of(library)}`` as report rows ``{name: {library: s, library_error: text}}``."""
    rows = {name: {} for name in MODELS}
    for library, timings in per_library.items():
        for name, (seconds, error) in timings.items():
            rows[name][library] = seconds
            if error:
                rows[name][f"{library}_error"] = error
    return rows


def model_timings(repeat=5, libraries=("npconv", "torch")):
    """Report rows of every model, every library timed in this process."""
    return model_rows({library: model_timings_of(library, repeat) for library in libraries})


def _resnet18_time(library, repeat, batch=1):
    x = np.random.default_rng(0).standard_normal((batch, 3, 224, 224), dtype=np.float32)
    if library == "torch":
        import torch as lib
        model = _torch_resnet18()
    else:
        import npconv as lib
        from npconv.models import resnet18
        model = resnet18()
    model.eval()
    with lib.no_grad():
        return time_median(lambda: model(lib.from_numpy(x)), repeat, warmup=WARMUP_RUNS["forward"])


def _torch_resnet18():
    """ResNet-18 in plain torch (no torchvision needed): the same layers as torchvision's."""
    import torch.nn as tnn

    class Block(tnn.Module):
        def __init__(self, cin, cout, stride):
            super().__init__()
            self.conv1 = tnn.Conv2d(cin, cout, 3, stride, 1, bias=False)
            self.bn1 = tnn.BatchNorm2d(cout)
            self.conv2 = tnn.Conv2d(cout, cout, 3, 1, 1, bias=False)
            self.bn2 = tnn.BatchNorm2d(cout)
            self.relu = tnn.ReLU()
            self.downsample = None
            if stride != 1 or cin != cout:
                self.downsample = tnn.Sequential(tnn.Conv2d(cin, cout, 1, stride, bias=False),
                                                 tnn.BatchNorm2d(cout))

        def forward(self, x):
            identity = x if self.downsample is None else self.downsample(x)
            out = self.relu(self.bn1(self.conv1(x)))
            return self.relu(self.bn2(self.conv2(out)) + identity)

    layers = [tnn.Conv2d(3, 64, 7, 2, 3, bias=False), tnn.BatchNorm2d(64), tnn.ReLU(), tnn.MaxPool2d(3, 2, 1)]
    cin = 64
    for cout, stride in ((64, 1), (128, 2), (256, 2), (512, 2)):
        layers += [Block(cin, cout, stride), Block(cout, cout, 1)]
        cin = cout
    layers += [tnn.AdaptiveAvgPool2d(1), tnn.Flatten(), tnn.Linear(512, 1000)]
    return tnn.Sequential(*layers)




def _unet_time(library, repeat, shape=(4, 1, 256, 256)):
    """Median seconds of a forward and backward of the small U-Net (training mode, loss = mean output)."""
    x = np.random.default_rng(0).standard_normal(shape, dtype=np.float32)
    if library == "torch":
        import torch as lib
        model = _torch_unet()
    else:
        import npconv as lib
        from npconv.models import small_unet
        model = small_unet()

    def step():
        model.zero_grad()
        model(lib.from_numpy(x)).mean().backward()
    return time_median(step, repeat, warmup=WARMUP_RUNS["training step"])


def _torch_unet(in_channels=1, out_channels=2, base=16):
    """npconv.models.UNet's layers in plain torch."""
    import torch
    import torch.nn as tnn

    def double_conv(cin, cout):
        return tnn.Sequential(tnn.Conv2d(cin, cout, 3, padding=1, bias=False), tnn.BatchNorm2d(cout), tnn.ReLU(True),
                              tnn.Conv2d(cout, cout, 3, padding=1, bias=False), tnn.BatchNorm2d(cout), tnn.ReLU(True))

    class UNet(tnn.Module):
        def __init__(self):
            super().__init__()
            self.down1, self.down2 = double_conv(in_channels, base), double_conv(base, base * 2)
            self.bottom, self.pool = double_conv(base * 2, base * 4), tnn.MaxPool2d(2)
            self.up2, self.dec2 = tnn.ConvTranspose2d(base * 4, base * 2, 2, 2), double_conv(base * 4, base * 2)
            self.up1, self.dec1 = tnn.ConvTranspose2d(base * 2, base, 2, 2), double_conv(base * 2, base)
            self.head = tnn.Conv2d(base, out_channels, 1)

        def forward(self, x):
            skip1 = self.down1(x)
            skip2 = self.down2(self.pool(skip1))
            x = self.bottom(self.pool(skip2))
            x = self.dec2(torch.cat([self.up2(x), skip2], 1))
            return self.head(self.dec1(torch.cat([self.up1(x), skip1], 1)))
    return UNet()


MODELS = {"LeNet epoch (2048 images, batch 64)": _lenet_time,
          "ResNet-18 forward 1x3x224x224": _resnet18_time,
          "ResNet-18 forward 8x3x224x224": lambda library, repeat: _resnet18_time(library, repeat, batch=8),
          "U-Net forward+backward 4x1x256x256": _unet_time}
