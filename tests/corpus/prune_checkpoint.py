"""Pruning and checkpoint recipes: l1_unstructured and random_structured pruning with their masks and
forward pre-hooks, prune.remove, global pruning; a checkpoint dict with model and optimizer state saved and
loaded, training resumed; state_dict keys and the strict=False report."""
import os
import tempfile

import torch
import torch.nn as nn
import torch.nn.functional as F
import torch.nn.utils.prune as prune
import torch.optim as optim


class LeNet(nn.Module):
    def __init__(self):
        super(LeNet, self).__init__()
        self.conv1 = nn.Conv2d(1, 6, 3)
        self.conv2 = nn.Conv2d(6, 16, 3)
        self.fc1 = nn.Linear(16 * 5 * 5, 120)
        self.fc2 = nn.Linear(120, 84)
        self.fc3 = nn.Linear(84, 10)

    def forward(self, x):
        x = F.max_pool2d(F.relu(self.conv1(x)), (2, 2))
        x = F.max_pool2d(F.relu(self.conv2(x)), 2)
        x = x.view(-1, int(x.nelement() / x.shape[0]))
        x = F.relu(self.fc1(x))
        x = F.relu(self.fc2(x))
        return self.fc3(x)


model = LeNet()
with torch.no_grad():
    for k, p in enumerate(model.parameters()):
        p.copy_(torch.sin(torch.arange(p.numel(), dtype=torch.float32) * 1.3 + k).reshape(p.shape))
module = model.conv1
print(list(module.named_parameters())[0][0], list(module.named_buffers()))
prune.l1_unstructured(module, name="weight", amount=0.3)
print([n for n, _ in module.named_parameters()], [n for n, _ in module.named_buffers()])
print(int(module.weight_mask.sum()), module._forward_pre_hooks.__len__())
prune.l1_unstructured(module, name="bias", amount=3)
print(module.bias, module.bias_mask)
prune.ln_structured(model.conv2, name="weight", amount=0.5, n=2, dim=0)
print(model.conv2.weight_mask.sum(dim=(1, 2, 3)))
prune.remove(module, 'weight')
print([n for n, _ in module.named_parameters()], float((module.weight == 0).sum()))
parameters_to_prune = ((model.fc1, 'weight'), (model.fc2, 'weight'), (model.fc3, 'weight'))
prune.global_unstructured(parameters_to_prune, pruning_method=prune.L1Unstructured, amount=0.2)
total = sum(float(torch.sum(m.weight == 0)) for m, _ in parameters_to_prune)
print("Global sparsity: {:.2f}%".format(100. * total / sum(m.weight.nelement() for m, _ in parameters_to_prune)))
print(list(model.state_dict().keys()))

net = LeNet()
optimizer = optim.SGD(net.parameters(), lr=0.001, momentum=0.9)
x = torch.linspace(0, 1, 4 * 28 * 28).reshape(4, 1, 28, 28)
with torch.no_grad():
    for k, p in enumerate(net.parameters()):
        p.copy_(torch.cos(torch.arange(p.numel(), dtype=torch.float32) * 0.9 + k).reshape(p.shape) * 0.1)
loss = F.cross_entropy(net(x), torch.tensor([1, 2, 3, 4]))
loss.backward()
optimizer.step()
path = os.path.join(tempfile.mkdtemp(), "model.pt")
torch.save({'epoch': 5, 'model_state_dict': net.state_dict(), 'optimizer_state_dict': optimizer.state_dict(),
            'loss': loss}, path)
model = LeNet()
opt = optim.SGD(model.parameters(), lr=0.1)
checkpoint = torch.load(path, weights_only=True)
print(model.load_state_dict(checkpoint['model_state_dict']))
opt.load_state_dict(checkpoint['optimizer_state_dict'])
print(checkpoint['epoch'], round(checkpoint['loss'].item(), 5), opt.param_groups[0]['lr'], opt.param_groups[0]['momentum'])
print(sorted(opt.state_dict()['state'].keys())[:3], opt.state_dict()['state'][0]['momentum_buffer'].shape)
model.train()
print(torch.equal(model(x), net(x)))
sd = model.state_dict()
del sd['fc3.bias']
sd['extra.weight'] = torch.zeros(1)
print(model.load_state_dict(sd, strict=False))
try:
    model.load_state_dict(sd)
except RuntimeError as e:
    print(str(e).splitlines()[0])
