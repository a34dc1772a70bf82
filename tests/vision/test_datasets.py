"""MNIST / FashionMNIST / CIFAR10 / ImageFolder from files written in torchvision's layouts."""
import gzip
import pickle

import numpy as np
import pytest
from PIL import Image

import npconv
from npconv.data import DataLoader
from npconv.vision import datasets, transforms


def write_idx(path, array, gz=False):
    """An IDX file: magic (0, 0, uint8 type 0x08, ndim), big-endian dims, then the bytes."""
    header = bytes([0, 0, 0x08, array.ndim]) + b"".join(int(d).to_bytes(4, "big") for d in array.shape)
    data = header + array.astype(np.uint8).tobytes()
    (gzip.open if gz else open)(path, "wb").write(data)


def mnist_folder(root, name="MNIST", count=5, gz=False):
    raw = root / name / "raw"
    raw.mkdir(parents=True)
    images = np.random.default_rng(0).integers(0, 256, (count, 28, 28), dtype=np.uint8)
    labels = np.arange(count, dtype=np.uint8) % 10
    suffix = ".gz" if gz else ""
    write_idx(raw / f"train-images-idx3-ubyte{suffix}", images, gz)
    write_idx(raw / f"train-labels-idx1-ubyte{suffix}", labels, gz)
    return images, labels


@pytest.mark.parametrize("cls, gz", [(datasets.MNIST, False), (datasets.FashionMNIST, True)])
def test_mnist_family_reads_torchvision_layout(tmp_path, cls, gz):
    images, labels = mnist_folder(tmp_path, cls.__name__, gz=gz)
    dataset = cls(str(tmp_path), train=True)
    assert len(dataset) == 5 and dataset.data.dtype == npconv.uint8 and dataset.targets.dtype == npconv.int64
    image, label = dataset[3]
    assert isinstance(image, Image.Image) and image.mode == "L" and label == 3 and type(label) is int
    np.testing.assert_array_equal(np.asarray(image), images[3])
    tensors = cls(str(tmp_path), transform=transforms.ToTensor())
    batch, targets = next(iter(DataLoader(tensors, batch_size=4)))
    assert tuple(batch.shape) == (4, 1, 28, 28) and targets.tolist() == [0, 1, 2, 3]
    np.testing.assert_allclose(batch.numpy()[:, 0], images[:4] / 255, rtol=1e-6)
    assert repr(tensors) == (f"Dataset {cls.__name__}\n    Number of datapoints: 5\n    Root location: {tmp_path}\n"
                             "    Split: Train\n    StandardTransform\nTransform: ToTensor()")


def test_mnist_missing_files_say_where(tmp_path):
    with pytest.raises(RuntimeError, match=r"Dataset not found\. You can use download=True .*put t10k-images"):
        datasets.MNIST(str(tmp_path), train=False)
    with pytest.raises(RuntimeError, match=rf"npconv does not download datasets: put .* in {tmp_path}/MNIST/raw"):
        datasets.MNIST(str(tmp_path), download=True)


def test_mnist_with_download_true_reads_present_files(tmp_path):
    mnist_folder(tmp_path)
    assert len(datasets.MNIST(str(tmp_path), download=True)) == 5


def cifar_folder(root, count=4):
    folder = root / "cifar-10-batches-py"
    folder.mkdir()
    rng = np.random.default_rng(1)
    names = ["airplane", "automobile", "bird", "cat", "deer", "dog", "frog", "horse", "ship", "truck"]
    pickle.dump({"label_names": names}, open(folder / "batches.meta", "wb"))
    batches = []
    for name in [f"data_batch_{i}" for i in range(1, 6)] + ["test_batch"]:
        data = rng.integers(0, 256, (count, 3 * 32 * 32), dtype=np.uint8)
        labels = rng.integers(0, 10, count).tolist()
        pickle.dump({"data": data, "labels": labels}, open(folder / name, "wb"))
        batches.append((data, labels))
    return batches, names


def test_cifar10_reads_the_python_batches(tmp_path):
    batches, names = cifar_folder(tmp_path)
    train = datasets.CIFAR10(str(tmp_path), train=True, transform=transforms.ToTensor())
    test = datasets.CIFAR10(str(tmp_path), train=False)
    assert len(train) == 20 and len(test) == 4 and train.classes == names
    image, label = test[2]
    assert image.mode == "RGB" and image.size == (32, 32) and label == batches[5][1][2]
    np.testing.assert_array_equal(np.asarray(image), batches[5][0][2].reshape(3, 32, 32).transpose(1, 2, 0))
    tensor, label = train[5]
    assert tuple(tensor.shape) == (3, 32, 32) and label == batches[1][1][1]
    np.testing.assert_allclose(tensor.numpy(), batches[1][0][1].reshape(3, 32, 32) / 255, rtol=1e-6)
    with pytest.raises(RuntimeError, match="cifar-10-batches-py"):
        datasets.CIFAR10(str(tmp_path / "elsewhere"), download=True)


def test_image_folder_classes_and_order(tmp_path):
    for name, count in (("dogs", 2), ("cats", 3)):
        (tmp_path / name / "sub").mkdir(parents=True)
        for i in range(count):
            Image.fromarray(np.full((4, 5, 3), 10 * i, np.uint8)).save(tmp_path / name / f"{i}.png")
        (tmp_path / name / "notes.txt").write_text("not an image")
    Image.fromarray(np.full((4, 5), 7, np.uint8)).save(tmp_path / "dogs" / "sub" / "grey.bmp")
    folder = datasets.ImageFolder(str(tmp_path), transform=transforms.ToTensor())
    assert folder.classes == ["cats", "dogs"] and folder.class_to_idx == {"cats": 0, "dogs": 1}
    assert [(p[len(str(tmp_path)) + 1:], t) for p, t in folder.samples] == [
        ("cats/0.png", 0), ("cats/1.png", 0), ("cats/2.png", 0), ("dogs/0.png", 1), ("dogs/1.png", 1),
        ("dogs/sub/grey.bmp", 1)]
    assert folder.targets == [0, 0, 0, 1, 1, 1] and folder.imgs is folder.samples
    image, target = folder[5]
    assert tuple(image.shape) == (3, 4, 5) and target == 1  # grey converted to RGB
    np.testing.assert_allclose(image.numpy(), 7 / 255, rtol=1e-6)
    (tmp_path / "empty").mkdir()
    with pytest.raises(FileNotFoundError, match="Found no valid file for the classes empty"):
        datasets.ImageFolder(str(tmp_path))
