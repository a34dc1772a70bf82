"""Looking inside a CNN as interpretability tutorials do: filters normalised for display, feature maps
from forward hooks and from a truncated Sequential, a saliency map from the input gradient, Grad-CAM from
a tensor hook on the last feature map, class activation maps and occlusion sensitivity; fixed weights."""
import torch
import torch.nn as nn
import torch.nn.functional as F


class SmallNet(nn.Module):
    def __init__(self, n_classes=3):
        super().__init__()
        self.features = nn.Sequential(
            nn.Conv2d(3, 6, 3, padding=1), nn.ReLU(inplace=True), nn.MaxPool2d(2),
            nn.Conv2d(6, 8, 3, padding=1), nn.ReLU(inplace=True))
        self.gap = nn.AdaptiveAvgPool2d(1)
        self.classifier = nn.Linear(8, n_classes)
        self.gradients = None

    def activations_hook(self, grad):
        self.gradients = grad

    def forward(self, x, keep_gradients=False):
        x = self.features(x)
        if keep_gradients:
            x.register_hook(self.activations_hook)
        x = self.gap(x).flatten(1)
        return self.classifier(x)

    def get_activations_gradient(self):
        return self.gradients

    def get_activations(self, x):
        return self.features(x)


model = SmallNet()
with torch.no_grad():
    for k, p in enumerate(model.parameters()):
        p.copy_(torch.sin(torch.arange(p.numel(), dtype=torch.float32) * (0.53 + 0.11 * k) + 0.3 * k).reshape(p.shape) * 0.4)
model.eval()
image = torch.cos(torch.arange(3 * 12 * 12, dtype=torch.float32) * 0.07).reshape(1, 3, 12, 12) * 0.5 + 0.5
print(model)
logits = model(image)
print(logits, logits.argmax(dim=1), F.softmax(logits, dim=1).max().item() > 0)

# filters of the first layer, min-max normalised as for an image grid
filters = model.features[0].weight.data.clone()
f_min, f_max = filters.min(), filters.max()
normalised = (filters - f_min) / (f_max - f_min)
print(filters.shape, normalised.min(), normalised.max(), normalised[0, 0])
grid = torch.cat([torch.cat(list(normalised[i]), dim=1) for i in range(2)], dim=0)
print(grid.shape, grid.permute(1, 0).shape)

# feature maps: forward hooks, then a truncated copy of the features
feature_maps = {}


def save_output(name):
    def hook(module, inputs, output):
        feature_maps[name] = output.detach().clone()
    return hook


hooks = [layer.register_forward_hook(save_output(f'{i}_{type(layer).__name__}'))
         for i, layer in enumerate(model.features) if isinstance(layer, (nn.Conv2d, nn.MaxPool2d))]
model(image)
for name, fmap in feature_maps.items():
    print(name, tuple(fmap.shape), round(fmap.mean().item(), 4), fmap[0].flatten(1).argmax(dim=1))
for hook in hooks:
    hook.remove()
print(model.features[0]._forward_hooks)
truncated = nn.Sequential(*list(model.features.children())[:3])
with torch.no_grad():
    pooled = truncated(image)
print(truncated, pooled.shape, torch.allclose(pooled, F.max_pool2d(F.relu(feature_maps['0_Conv2d']), 2)))
outputs, names = [], []
x = image
for layer in model.features:
    x = layer(x)
    outputs.append(x)
    names.append(str(layer))
print(len(outputs), names[0])
processed = [fm.squeeze(0).sum(0) / fm.shape[1] for fm in outputs]
print([tuple(p.shape) for p in processed], processed[-1][:2])

# saliency: gradient of the top score with respect to the pixels
image_s = image.clone().requires_grad_(True)
scores = model(image_s)
score_max_index = scores.argmax()
score_max = scores[0, score_max_index]
score_max.backward()
saliency, _ = torch.max(image_s.grad.data.abs(), dim=1)
print(saliency.shape, saliency[0, :2, :4], score_max.grad_fn)

# Grad-CAM
pred = model(image, keep_gradients=True)
pred[:, pred.argmax(dim=1).item()].backward()
gradients = model.get_activations_gradient()
pooled_gradients = torch.mean(gradients, dim=[0, 2, 3])
activations = model.get_activations(image).detach()
for i in range(activations.size(1)):
    activations[:, i, :, :] *= pooled_gradients[i]
heatmap = torch.mean(activations, dim=1).squeeze()
heatmap = F.relu(heatmap)
heatmap /= torch.max(heatmap)
print(gradients.shape, pooled_gradients.round(decimals=4), heatmap.shape)
print(heatmap)
upsampled = F.interpolate(heatmap[None, None], size=image.shape[-2:], mode='bilinear', align_corners=False)
print(upsampled.shape, upsampled[0, 0, ::4, ::4])

# class activation map: classifier weights over the last feature map
with torch.no_grad():
    fmap = model.get_activations(image)[0]
    weights = model.classifier.weight[pred.argmax(dim=1).item()]
    cam = torch.einsum('c,chw->hw', weights, fmap)
    cam = (cam - cam.min()) / (cam.max() - cam.min())
print(cam.shape, cam[0])

# occlusion sensitivity: grey out 4x4 patches and watch the score fall
target = logits.argmax(dim=1).item()
with torch.no_grad():
    base = model(image)[0, target]
    drops = torch.zeros(3, 3)
    for i in range(3):
        for j in range(3):
            occluded = image.clone()
            occluded[:, :, 4 * i:4 * i + 4, 4 * j:4 * j + 4] = 0.5
            drops[i, j] = base - model(occluded)[0, target]
print(drops)
print(torch.nonzero(drops == drops.max()), drops.flatten().topk(2).indices)
