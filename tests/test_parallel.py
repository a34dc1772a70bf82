"""npconv.parallel.apply_tiled: tiled output equals the whole-array forward, for random chains and chunkings."""
import subprocess
import sys
import textwrap

import dask.array as da
import numpy as np
import pytest
import torch
from hypothesis import assume, given, strategies as st

import npconv
from npconv.parallel import apply_tiled, tiling_plan
from tests.strategies import chunkings, tiling_layer_specs

nn = torch.nn


@pytest.fixture(autouse=True, scope="module")
def one_torch_thread():
    """Tiles are tiny: torch's thread pool only adds contention on a shared machine (100x slower)."""
    previous = torch.get_num_threads()
    torch.set_num_threads(1)
    yield
    torch.set_num_threads(previous)


def _torch_forward(net):
    def forward(block):
        with torch.no_grad():
            return net(torch.from_numpy(block)).numpy()
    return forward


def build_torch_chain(specs, ndim, channels=2):
    conv = [nn.Conv1d, nn.Conv2d][ndim - 1]
    layers, c = [], channels
    for kind, args in specs:
        if kind == "conv":
            layers.append(conv(c, 3, **args))
            c = 3
        elif kind == "conv_same":
            layers.append(conv(c, 3, padding="same", **args))
            c = 3
        elif kind == "convT":
            layers.append([nn.ConvTranspose1d, nn.ConvTranspose2d][ndim - 1](c, 2, **args))
            c = 2
        elif kind == "maxpool":
            layers.append([nn.MaxPool1d, nn.MaxPool2d][ndim - 1](**args))
        elif kind == "avgpool":
            layers.append([nn.AvgPool1d, nn.AvgPool2d][ndim - 1](**args))
        elif kind == "upsample":
            layers.append(nn.Upsample(**args))
        elif args["which"] == "batchnorm":
            layers.append([nn.BatchNorm1d, nn.BatchNorm2d][ndim - 1](c))
            layers[-1].running_mean.uniform_(-1, 1)
            layers[-1].running_var.uniform_(0.5, 2)
        else:
            layers.append(nn.ReLU() if args["which"] == "relu" else nn.Tanh())
    return nn.Sequential(*layers).double().eval()


def npconv_mirror(torch_net):
    """The same chain in npconv, with the torch weights (through npconv.io, as a user would)."""
    import io as _io
    from npconv import io as npio
    layers = []
    for layer in torch_net:
        name = type(layer).__name__
        cls = getattr(npconv.nn, name)
        if name.startswith("Conv"):
            args = dict(kernel_size=layer.kernel_size, stride=layer.stride, padding=layer.padding,
                        dilation=layer.dilation, padding_mode=layer.padding_mode)
            if name.startswith("ConvTranspose"):
                args["output_padding"] = layer.output_padding
            layers.append(cls(layer.in_channels, layer.out_channels, **args))
        elif name.startswith(("MaxPool", "AvgPool")):
            extra = {"dilation": layer.dilation} if name.startswith("Max") else {}
            layers.append(cls(layer.kernel_size, layer.stride, layer.padding, ceil_mode=layer.ceil_mode, **extra))
        elif name == "Upsample":
            layers.append(cls(scale_factor=layer.scale_factor, mode=layer.mode))
        elif name.startswith("BatchNorm"):
            layers.append(cls(layer.num_features))
        else:
            layers.append(cls())
    net = npconv.nn.Sequential(*layers).double()
    buffer = _io.BytesIO()
    torch.save(torch_net.state_dict(), buffer)
    buffer.seek(0)
    net.load_state_dict(npio.load(buffer))
    return net.eval()


@pytest.mark.parametrize("backend", ["torch", "npconv"])
@given(data=st.data(), ndim=st.integers(1, 2), seed=st.integers(0, 2 ** 31))
def test_random_chain_and_chunking_equal_the_whole_forward(backend, data, ndim, seed):
    specs = data.draw(st.lists(tiling_layer_specs(ndim), min_size=1, max_size=4), label="layers")
    torch.manual_seed(seed % 1000)
    net = build_torch_chain(specs, ndim)
    spatial = tuple(data.draw(st.integers(6, 24 if ndim == 2 else 60), label=f"size{d}") for d in range(ndim))
    x = np.random.default_rng(seed).standard_normal((2, 2) + spatial)
    forward = _torch_forward(net)
    try:
        whole = forward(x)
    except RuntimeError:            # the chain does not fit this input (torch refuses): not a case
        assume(False)
    chunks = (data.draw(st.sampled_from([1, 2])), 2) + tuple(data.draw(chunkings(n), label="chunks")
                                                             for n in spatial)
    if backend == "npconv":          # npconv's own layers, default forward; torch's whole output as truth
        net, forward = npconv_mirror(net), None
    tiled = apply_tiled(net, da.from_array(x, chunks=chunks), forward=forward)
    assert tiled.shape == whole.shape
    np.testing.assert_allclose(tiled.compute(scheduler="sync"), whole, rtol=1e-9, atol=1e-9)


def test_chunks_smaller_than_the_halo_and_odd_alignment():
    torch.manual_seed(0)
    net = nn.Sequential(nn.Conv2d(3, 4, 7, padding=3, dilation=2), nn.MaxPool2d(3, stride=3),
                        nn.Conv2d(4, 2, 5, stride=2, padding=1)).double().eval()
    plan = tiling_plan(net)
    assert plan.alignment == (6, 6) and plan.field.size[0] > 10
    x = np.random.default_rng(0).standard_normal((1, 3, 53, 41))
    tiled = apply_tiled(net, x, chunks=(1, 3, 3, 4), forward=_torch_forward(net))   # 3x4 pixel chunks
    assert tiled.numblocks[2] > 1
    np.testing.assert_allclose(tiled.compute(), _torch_forward(net)(x), rtol=1e-10, atol=1e-12)


def test_npconv_model_tiled_in_float32_with_default_forward():
    n = npconv.nn
    npconv.manual_seed(0)
    net = n.Sequential(n.Conv2d(3, 8, 3, padding=1), n.BatchNorm2d(8), n.ReLU(), n.MaxPool2d(2),
                       n.Conv2d(8, 8, 3, stride=2, padding=1, padding_mode="reflect"),
                       n.Upsample(scale_factor=2, mode="bilinear"), n.ConvTranspose2d(8, 4, 3, stride=2),
                       n.Conv2d(4, 2, 3, padding=1)).eval()
    x = np.random.default_rng(0).standard_normal((2, 3, 45, 38)).astype(np.float32)
    whole = net(npconv.from_numpy(x)).detach().numpy()
    tiled = apply_tiled(net, da.from_array(x, chunks=(1, 3, 13, 9))).compute()
    assert tiled.dtype == np.float32 and tiled.shape == whole.shape
    np.testing.assert_allclose(tiled, whole, rtol=1e-5, atol=1e-5)


def test_distributed_local_cluster():
    import distributed
    torch.manual_seed(0)
    net = nn.Sequential(nn.Conv2d(3, 4, 3, padding=1), nn.ReLU(), nn.MaxPool2d(2),
                        nn.Conv2d(4, 2, 3, padding=2, dilation=2)).double().eval()
    x = np.random.default_rng(0).standard_normal((2, 3, 40, 33))
    with distributed.LocalCluster(n_workers=1, threads_per_worker=1, processes=False,
                                  dashboard_address=None) as cluster, distributed.Client(cluster):
        tiled = apply_tiled(net, da.from_array(x, chunks=(1, 3, 11, 16))).compute()   # run by torch itself
    np.testing.assert_allclose(tiled, _torch_forward(net)(x), rtol=1e-10, atol=1e-12)


@pytest.mark.parametrize("layer, message", [
    (nn.Linear(6, 6), "Linear"), (nn.Flatten(), "Flatten"), (nn.AdaptiveAvgPool2d(1), "global/adaptive"),
    (nn.Conv2d(2, 2, 3, padding=1, padding_mode="circular"), "circular"),
    (nn.Upsample(size=(8, 8)), "fixed output size"), (nn.Upsample(scale_factor=2, mode="bilinear",
                                                                  align_corners=True), "align_corners"),
    (nn.Upsample(scale_factor=1.5), "whole scale factor"), (nn.GroupNorm(1, 2), "GroupNorm")])
def test_untileable_layers_are_refused_by_name(layer, message):
    with pytest.raises(ValueError, match=message):
        apply_tiled(nn.Sequential(nn.Conv2d(2, 2, 3), layer), np.zeros((1, 2, 8, 8)), chunks=4)


def test_training_mode_batchnorm_is_refused():
    with pytest.raises(ValueError, match="eval"):
        apply_tiled(nn.Sequential(nn.Conv2d(2, 2, 3), nn.BatchNorm2d(2)), np.zeros((1, 2, 8, 8)), chunks=4)


class TorchUNet(nn.Module):
    """A torch U-Net with its own forward: two poolings (alignment 4), transposed convolutions, skips joined
    with torch.cat, F.relu and F.max_pool2d calls, a residual add and a dilated convolution."""

    def __init__(self, channels=2, base=4):
        super().__init__()
        self.enc1 = nn.Conv2d(channels, base, 3, padding=1)
        self.enc2 = nn.Conv2d(base, base * 2, 3, padding=1)
        self.mid = nn.Sequential(nn.Conv2d(base * 2, base * 2, 3, padding=2, dilation=2), nn.BatchNorm2d(base * 2))
        self.up2 = nn.ConvTranspose2d(base * 2, base * 2, 2, stride=2)
        self.dec2 = nn.Conv2d(base * 4, base, 3, padding=1)
        self.up1 = nn.ConvTranspose2d(base, base, 2, stride=2)
        self.dec1 = nn.Conv2d(base * 2, 3, 3, padding=1, padding_mode="reflect")

    def forward(self, x):
        skip1 = torch.nn.functional.relu(self.enc1(x))
        skip2 = torch.relu(self.enc2(torch.nn.functional.max_pool2d(skip1, 2)))
        low = torch.nn.functional.max_pool2d(skip2, 2)
        low = low + self.mid(low)
        x = self.dec2(torch.cat([self.up2(low), skip2], dim=1))
        return self.dec1(torch.cat([self.up1(x), skip1], dim=1))


def torch_unet():
    torch.manual_seed(0)
    model = TorchUNet().double()
    model.mid[1].running_mean.uniform_(-1, 1)
    model.mid[1].running_var.uniform_(0.5, 2)
    return model.eval()


@pytest.mark.parametrize("chunks", [(1, 2, 3, 5), (2, 2, 9, 16), (2, 2, 40, 36)])
def test_torch_model_with_its_own_forward_tiles_in_torch(chunks):
    """A torch model's graph traced on torch's meta device; every tile runs in torch."""
    model = torch_unet()
    x = np.random.default_rng(5).standard_normal((2, 2, 40, 36))
    plan = tiling_plan(model, input_shape=x.shape)
    assert plan.alignment == (4, 4) and plan.out_channels == 3
    tiled = apply_tiled(model, da.from_array(x, chunks=chunks))
    np.testing.assert_allclose(tiled.compute(), _torch_forward(model)(x), rtol=1e-9, atol=1e-9)


def test_torch_model_with_a_non_local_layer_is_refused_by_name():
    class Classifier(nn.Module):
        def __init__(self):
            super().__init__()
            self.conv = nn.Conv2d(2, 2, 3, padding=1)
            self.pool = nn.AdaptiveAvgPool2d(1)

        def forward(self, x):
            return self.pool(torch.relu(self.conv(x)) + x)
    with pytest.raises(ValueError, match="cannot tile pool: AdaptiveAvgPool2d: global/adaptive"):
        apply_tiled(Classifier().eval(), np.zeros((1, 2, 8, 8)), chunks=4)


def test_input_too_small_is_the_models_own_error():
    with pytest.raises(RuntimeError, match="Kernel size can't be greater than actual input size"):
        apply_tiled(nn.Sequential(nn.Conv2d(2, 2, 5)), np.zeros((1, 2, 3, 8)), chunks=4)


def test_missing_dask_names_the_extra():
    script = textwrap.dedent("""
        import sys
        sys.modules["dask"] = None
        sys.modules["dask.array"] = None
        import numpy as np
        from npconv.parallel import apply_tiled
        try:
            apply_tiled(None, np.zeros((1, 1, 4, 4)))
        except ImportError as error:
            print(error)
    """)
    result = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, timeout=120)
    assert "npconv[dask]" in result.stdout, result.stderr


def test_reflect_padding_wider_than_small_tiles():
    # Output 0 of a k=3, p=2 conv reads only pixel 0: a tile of one pixel cannot be reflected by 2.
    torch.manual_seed(0)
    net = nn.Sequential(nn.Conv1d(1, 2, 3, padding=2, padding_mode="reflect"),
                        nn.Conv1d(2, 1, 2, padding=1, padding_mode="reflect")).double().eval()
    x = np.random.default_rng(0).standard_normal((1, 1, 17))
    tiled = apply_tiled(net, x, chunks=(1, 1, 1), forward=_torch_forward(net))
    np.testing.assert_allclose(tiled.compute(), _torch_forward(net)(x), rtol=1e-12, atol=1e-12)


# ------------------------------------------------------------------------------- graphs of local layers

def _npconv_whole(model, x):
    with npconv.no_grad():
        return model(npconv.from_numpy(x)).numpy()


def _random_statistics(model):
    """BatchNorm statistics and affine parameters away from the identity, so a wrong halo shows."""
    rng = np.random.default_rng(1)
    for module in model.modules():
        if type(module).__name__.startswith("BatchNorm"):
            for tensor, low, high in ((module.running_mean, -1, 1), (module.running_var, 0.5, 2),
                                      (module.weight, 0.5, 1.5), (module.bias, -1, 1)):
                tensor.detach().numpy()[...] = rng.uniform(low, high, tuple(tensor.shape))
    return model.eval()


def unet():
    npconv.manual_seed(0)
    return _random_statistics(npconv.models.UNet(in_channels=2, out_channels=3, base=4).double())


class ResidualDilatedResampling(npconv.nn.Module):
    """A fully-convolutional net with residual adds, a dilated convolution, a strided one (with reflect
    padding), a bilinear upsampling and replicate padding: any image size works (alignment 2)."""

    def __init__(self):
        super().__init__()
        n = npconv.nn
        self.stem = n.Conv2d(2, 4, 3, padding=1)
        self.residual = n.Conv2d(4, 4, 3, padding=1)
        self.down = n.Conv2d(4, 4, 3, stride=2, padding=1, padding_mode="reflect")
        self.dilated = n.Sequential(n.Conv2d(4, 4, 3, padding=2, dilation=2), n.BatchNorm2d(4), n.Tanh())
        self.up = n.Upsample(scale_factor=2, mode="bilinear")
        self.head = n.Conv2d(4, 3, 2)

    def forward(self, x):
        x = npconv.relu(self.stem(x))
        x = x * 0.5 + self.residual(x)
        low = self.down(x)
        low = low + self.dilated(low)
        return self.head(npconv.nn.functional.pad(self.up(low), (1, 0, 0, 1), mode="replicate"))


def fcn():
    npconv.manual_seed(1)
    return _random_statistics(ResidualDilatedResampling().double())


@pytest.mark.parametrize("chunks", [(1, 2, 3, 5), (2, 2, 7, 16), (1, 2, 16, 9), (2, 2, 40, 40)])
def test_unet_tiles_equal_the_whole_forward(chunks):
    """The bundled U-Net (skip connections joined with cat): halo from the field of the whole graph,
    alignment 4 (two 2x2 poolings), chunks from smaller than the halo to the whole image."""
    model = unet()
    x = np.random.default_rng(2).standard_normal((2, 2, 40, 36))
    plan = tiling_plan(model, input_shape=x.shape)
    assert plan.alignment == (4, 4) and plan.field.size[0] > 5
    tiled = apply_tiled(model, da.from_array(x, chunks=chunks))
    assert tiled.numblocks[2] == -(-40 // chunks[2]) and tiled.numblocks[3] == -(-36 // chunks[3])
    np.testing.assert_allclose(tiled.compute(), _npconv_whole(model, x), rtol=1e-9, atol=1e-9)


@given(height=st.integers(5, 31), width=st.integers(5, 31), data=st.data())
def test_residual_dilated_resampling_net_over_any_chunking(height, width, data):
    """Image sizes that are not multiples of the alignment, random chunks (often smaller than the halo)."""
    model = fcn()
    x = np.random.default_rng(height * 100 + width).standard_normal((1, 2, height, width))
    chunks = (1, 2, data.draw(chunkings(height)), data.draw(chunkings(width)))
    assert tiling_plan(model, input_shape=x.shape).alignment == (2, 2)
    tiled = apply_tiled(model, da.from_array(x, chunks=chunks))
    np.testing.assert_allclose(tiled.compute(scheduler="sync"), _npconv_whole(model, x), rtol=1e-9, atol=1e-9)


def test_weights_from_npconv_load(tmp_path):
    model = unet()
    npconv.save(model.state_dict(), tmp_path / "unet.pt")
    loaded = npconv.models.UNet(in_channels=2, out_channels=3, base=4).double()
    loaded.load_state_dict(npconv.load(tmp_path / "unet.pt"))
    loaded.eval()
    x = np.random.default_rng(3).standard_normal((1, 2, 24, 28))
    tiled = apply_tiled(loaded, x, chunks=(1, 2, 8, 8)).compute()
    np.testing.assert_allclose(tiled, _npconv_whole(model, x), rtol=1e-9, atol=1e-9)


class _WithHead(npconv.nn.Module):
    def __init__(self, head):
        super().__init__()
        self.body = npconv.nn.Sequential(npconv.nn.Conv2d(2, 3, 3, padding=1), npconv.nn.ReLU())
        self.head = head

    def forward(self, x):
        return self.head(self.body(x) + 1)


@pytest.mark.parametrize("head, message", [
    (npconv.nn.Linear(8, 8), "cannot tile head: Linear mixes all positions"),
    (npconv.nn.AdaptiveAvgPool2d(1), "cannot tile head: AdaptiveAvgPool2d: global/adaptive"),
    (npconv.nn.Upsample(scale_factor=2, mode="bilinear", align_corners=True), "head: Upsample with align_corners"),
    (npconv.nn.BatchNorm2d(3).train(), "head: BatchNorm2d is in training mode"),
    (npconv.nn.InstanceNorm2d(3), "head: InstanceNorm2d normalises over the whole image")])
def test_the_first_non_local_layer_of_a_graph_is_named(head, message):
    model = _WithHead(head)
    model.body.eval()
    with pytest.raises(ValueError, match=message):
        apply_tiled(model, np.zeros((1, 2, 8, 8)), chunks=4)


@pytest.mark.slow
def test_local_cluster_with_worker_processes():
    """Two worker processes with a memory limit each: the model and the tiles travel by pickle."""
    import distributed
    model = unet()
    x = np.random.default_rng(4).standard_normal((2, 2, 32, 32))
    with distributed.LocalCluster(n_workers=2, threads_per_worker=1, processes=True, memory_limit="1GiB",
                                  dashboard_address=None) as cluster, distributed.Client(cluster) as client:
        tiled = apply_tiled(model, da.from_array(x, chunks=(1, 2, 12, 12)))
        result = client.compute(tiled).result()
        assert len(client.scheduler_info()["workers"]) == 2
    np.testing.assert_allclose(result, _npconv_whole(model, x), rtol=1e-9, atol=1e-9)


@pytest.mark.parametrize("mix", [lambda y: y.flip(-1), lambda y: y.transpose(2, 3), lambda y: y.cumsum(-1),
                                 lambda y: y.softmax(-1), lambda y: y[:, :, [1, 0]]])
@pytest.mark.parametrize("library", ["npconv", "torch"])
def test_ops_that_move_pixels_are_refused_not_guessed(mix, library):
    """An op that keeps the shape but moves values within the image gives no receptive field: the model is
    refused by name (tiling it with the conv's halo would be silently wrong)."""
    lib = npconv if library == "npconv" else torch

    class Mixing(lib.nn.Module):
        def __init__(self):
            super().__init__()
            self.conv = lib.nn.Conv2d(2, 2, 3, padding=1)
            self.head = lib.nn.Conv2d(2, 2, 1)

        def forward(self, x):
            return self.head(mix(self.conv(x)))
    with pytest.raises(ValueError, match="cannot tile (head|this model)"):
        apply_tiled(Mixing().eval(), np.zeros((1, 2, 8, 8), dtype=np.float32), chunks=4)
