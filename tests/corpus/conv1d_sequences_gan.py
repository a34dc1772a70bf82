"""A 1-d CNN classifying sequences (Conv1d, BatchNorm1d, MaxPool1d, AdaptiveAvgPool1d, Dropout, channels-last
inputs permuted) and a GAN learning a 1-d distribution (generator and discriminator MLPs, BCELoss, Adam with
betas, detach for the discriminator step); fixed weights and data."""
import torch
import torch.nn as nn
import torch.nn.functional as F


def fixed_init(model, scale=0.3, freq=0.41):
    with torch.no_grad():
        for k, p in enumerate(model.parameters()):
            p.copy_(torch.sin(torch.arange(p.numel(), dtype=torch.float32) * (freq + 0.13 * k) + k).reshape(p.shape) * scale)
    return model


class SeqCNN(nn.Module):
    def __init__(self, in_channels=3, n_classes=4):
        super().__init__()
        self.block1 = nn.Sequential(nn.Conv1d(in_channels, 8, kernel_size=5, padding=2, bias=False), nn.BatchNorm1d(8),
                                    nn.ReLU(), nn.MaxPool1d(2))
        self.block2 = nn.Sequential(nn.Conv1d(8, 16, kernel_size=3, padding=1, dilation=1, bias=False), nn.BatchNorm1d(16),
                                    nn.ReLU(), nn.MaxPool1d(kernel_size=3, stride=2, padding=1))
        self.block3 = nn.Sequential(nn.Conv1d(16, 16, 3, padding='same', dilation=2, bias=False), nn.ELU())
        self.pool = nn.AdaptiveAvgPool1d(1)
        self.dropout = nn.Dropout(0.0)  # p > 0 would make the training loss random
        self.fc = nn.Linear(16, n_classes)

    def forward(self, x):
        x = x.permute(0, 2, 1)
        for block in (self.block1, self.block2, self.block3):
            x = block(x)
            print('  ', tuple(x.shape))
        x = self.pool(x).squeeze(-1)
        return self.fc(self.dropout(x))


model = fixed_init(SeqCNN())
print(model)
print(sum(p.numel() for p in model.parameters()), [tuple(b.shape) for b in model.buffers()])
t = torch.arange(32, dtype=torch.float32) / 4
seqs = torch.stack([torch.stack([torch.sin(t * (1 + c + f)) for c in range(3)], dim=-1) for f in range(8)])
targets = torch.arange(8) % 4
print(seqs.shape, seqs[1, :3])
logits = model(seqs)
print(logits.shape, logits.grad_fn)
optimizer = torch.optim.Adam(model.parameters(), lr=0.01)
criterion = nn.CrossEntropyLoss(label_smoothing=0.1)
for epoch in range(3):
    model.train()
    optimizer.zero_grad()
    loss = criterion(model(seqs) if epoch else logits, targets)
    loss.backward()
    optimizer.step()
    model.eval()
    with torch.no_grad():
        out = model(seqs)
        acc = (out.argmax(dim=1) == targets).float().mean()
    print(f'epoch {epoch} loss {loss.item():.4f} acc {acc.item():.3f}')
print(model.block1[1].running_mean, model.block2[1].num_batches_tracked)
print(F.max_pool1d(torch.arange(10.).view(1, 1, 10), 3, stride=2, return_indices=True))
print(F.avg_pool1d(torch.arange(10.).view(1, 1, 10), 4, stride=3, padding=1, ceil_mode=True, count_include_pad=False))
print(nn.AdaptiveMaxPool1d(4)(torch.arange(10.).view(1, 1, 10)), nn.AdaptiveAvgPool1d(3)(torch.arange(7.).view(1, 1, 7)))
print(nn.BatchNorm1d(3, affine=False)(torch.arange(24.).view(2, 3, 4))[1])
unpool = nn.MaxUnpool1d(2)
pooled, idx = nn.MaxPool1d(2, return_indices=True)(torch.tensor([[[1., 5., 2., 0., 3., 4.]]]))
print(unpool(pooled, idx))
conv = nn.Conv1d(2, 2, 3, padding=2, padding_mode='circular')
fixed_init(conv)
print(conv(torch.arange(10.).view(1, 2, 5)), conv.padding_mode)
print(nn.Conv1d(4, 8, 3, groups=4).weight.shape, nn.ConvTranspose1d(4, 2, 4, stride=2).weight.shape)

# a GAN on 1-d data: real samples form a fixed bump, noise is a fixed grid
latent = 4


class Generator(nn.Module):
    def __init__(self):
        super().__init__()
        self.net = nn.Sequential(nn.Linear(latent, 16), nn.LeakyReLU(0.2), nn.Linear(16, 16), nn.LeakyReLU(0.2),
                                 nn.Linear(16, 1))

    def forward(self, z):
        return self.net(z)


class Discriminator(nn.Module):
    def __init__(self):
        super().__init__()
        self.net = nn.Sequential(nn.Linear(1, 16), nn.LeakyReLU(0.2), nn.Linear(16, 1), nn.Sigmoid())

    def forward(self, x):
        return self.net(x)


G, D = fixed_init(Generator(), 0.4), fixed_init(Discriminator(), 0.4, 0.77)
opt_g = torch.optim.Adam(G.parameters(), lr=2e-3, betas=(0.5, 0.999))
opt_d = torch.optim.Adam(D.parameters(), lr=2e-3, betas=(0.5, 0.999))
adversarial_loss = nn.BCELoss()
real = (2.0 + 0.5 * torch.cos(torch.linspace(0, 3, 16))).unsqueeze(1)
noise = torch.sin(torch.arange(16 * latent, dtype=torch.float32) * 0.9).reshape(16, latent)
valid = torch.ones(16, 1)
fake = torch.zeros(16, 1)
for step in range(30):
    opt_g.zero_grad()
    generated = G(noise)
    g_loss = adversarial_loss(D(generated), valid)
    g_loss.backward()
    opt_g.step()
    opt_d.zero_grad()
    real_loss = adversarial_loss(D(real), valid)
    fake_loss = adversarial_loss(D(generated.detach()), fake)
    d_loss = (real_loss + fake_loss) / 2
    d_loss.backward()
    opt_d.step()
    if step % 10 == 0 or step == 29:
        print(f'step {step} D {d_loss.item():.4f} G {g_loss.item():.4f} mean {generated.mean().item():.3f} '
              f'std {generated.std().item():.3f}', g_loss.grad_fn, generated.detach().requires_grad)
with torch.no_grad():
    samples = G(noise)
print(samples.shape, samples.min().round(decimals=3), samples.max().round(decimals=3))
print(D(real).squeeze()[:4], F.binary_cross_entropy(D(real), valid, reduction='sum'))
print(nn.BCEWithLogitsLoss(pos_weight=torch.tensor([2.0]))(torch.tensor([[0.5], [-1.0]]), torch.tensor([[1.0], [0.0]])))
print(opt_d.state_dict()['param_groups'][0]['betas'], list(opt_g.state_dict()['state'][0].keys()))
