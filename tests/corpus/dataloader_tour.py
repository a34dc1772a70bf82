"""The data-loading tutorial's pieces: a custom Dataset, DataLoader options, workers, samplers, splits."""
import numpy as np
import torch
from torch.utils.data import (BatchSampler, ConcatDataset, DataLoader, Dataset, IterableDataset, RandomSampler,
                              SequentialSampler, Subset, TensorDataset, random_split, get_worker_info)


class Squares(Dataset):
    def __init__(self, n):
        self.n = n

    def __len__(self):
        return self.n

    def __getitem__(self, idx):
        if torch.is_tensor(idx):
            idx = idx.tolist()
        return {'image': np.full((2, 2), idx, dtype=np.float32), 'label': idx, 'name': f'sq{idx}'}


dataset = Squares(7)
print(len(dataset), dataset[3]['label'])
loader = DataLoader(dataset, batch_size=3, shuffle=False, num_workers=2)
for i_batch, sample_batched in enumerate(loader):
    print(i_batch, sample_batched['image'].size(), sample_batched['label'], sample_batched['name'])
print(len(loader), len(DataLoader(dataset, batch_size=3, drop_last=True)))
print(list(BatchSampler(SequentialSampler(range(10)), batch_size=3, drop_last=False)))
print(len(list(RandomSampler(range(5)))), sorted(RandomSampler(range(5))))
x = torch.arange(20.).reshape(10, 2)
ds = TensorDataset(x, torch.arange(10))
train, test = random_split(ds, [0.8, 0.2], generator=torch.Generator().manual_seed(42))
print(len(train), len(test), type(train).__name__)
for xb, yb in DataLoader(Subset(ds, [1, 5, 7]), batch_size=2, batch_sampler=None):
    print(xb, yb)
print(len(ConcatDataset([ds, ds])), (ds + ds)[12][1])


class Stream(IterableDataset):
    def __init__(self, start, end):
        self.start, self.end = start, end

    def __iter__(self):
        info = get_worker_info()
        if info is None:
            return iter(range(self.start, self.end))
        per_worker = int(np.ceil((self.end - self.start) / float(info.num_workers)))
        lo = self.start + info.id * per_worker
        return iter(range(lo, min(lo + per_worker, self.end)))


print(list(DataLoader(Stream(3, 7), num_workers=0)))
print(list(DataLoader(Stream(3, 7), num_workers=2)))
print([b.tolist() for b in DataLoader(Stream(0, 9), batch_size=2, num_workers=2, persistent_workers=True)])
print(next(iter(DataLoader(ds, batch_size=None))))
