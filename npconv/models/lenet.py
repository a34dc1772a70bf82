"""LeNet, the classic CNN of the PyTorch MNIST example, written exactly as a torch user would."""
import npconv.nn as nn
import npconv.nn.functional as F

__all__ = ["LeNet", "lenet"]


class LeNet(nn.Module):
    """Two 5x5 convolutions with 2x2 max pooling, then two fully connected layers.

    Input ``(N, 1, 28, 28)`` (anything that views as such, e.g. ``(N, 784)``), output ``(N, 10)`` logits:
    ``28 -conv 5-> 24 -pool 2-> 12 -conv 5-> 8 -pool 2-> 4``, so fc1 sees ``4*4*50 = 800`` features.
    431,080 parameters.
    """

    def __init__(self):
        super().__init__()
        self.conv1 = nn.Conv2d(1, 20, 5)
        self.conv2 = nn.Conv2d(20, 50, 5)
        self.fc1 = nn.Linear(4 * 4 * 50, 500)
        self.fc2 = nn.Linear(500, 10)

    def forward(self, x):
        x = x.view(-1, 1, 28, 28)
        x = F.relu(self.conv1(x))
        x = F.max_pool2d(x, 2)
        x = F.relu(self.conv2(x))
        x = F.max_pool2d(x, 2)
        x = x.view(x.size(0), -1)
        x = F.relu(self.fc1(x))
        return self.fc2(x)


def lenet():
    """A new :class:`LeNet` (built like ``resnet18()``, ``vgg16()``: ``npconv.models.lenet()``)."""
    return LeNet()
