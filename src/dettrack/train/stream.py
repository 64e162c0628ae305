"""The training data stream: each iteration's batch is a pure function of (seed, iteration, rank).

So resuming at iteration i replays exactly the batches an uninterrupted run would have
seen (the data position is the iteration), and every DDP rank draws its own shard.
All ranks agree on the batch's mode (tracking or detection) so their graphs match.
"""

from typing import Optional, Protocol, Sequence

import numpy as np
from torch.utils.data import Dataset

from .samples import (
    DetectionSample, PairSample, crop_search, detection_inputs, flip_pair, jitter_box, pair_inputs, part_of, photometric,
    shrink_pair,
)


class PairSource(Protocol):
    def sample(self, rng: np.random.Generator) -> PairSample: ...


class DetectionSource(Protocol):
    def sample(self, rng: np.random.Generator) -> DetectionSample: ...


class TrainingStream(Dataset):
    """Index = iteration; item = ("track", pair inputs) or ("detect", detection inputs)."""

    def __init__(
        self,
        pair_sources: Sequence[tuple[PairSource, float]],
        detection_source: Optional[DetectionSource],
        detection_ratio: float,
        batch_size: int,
        iterations: int,
        seed: int = 0,
        rank: int = 0,
        template_jitter: float = 0.05,
        flip: bool = True,
        search_crop: float = 0.0,
        negative_pairs: float = 0.0,
        photometric: float = 0.0,
        part_pairs: float = 0.0,
        low_res: float = 0.0,
    ) -> None:
        if not pair_sources and detection_source is None:
            raise ValueError("no training data: give data.sequences, data.copy_paste or data.detection")
        weights = np.array([w for _, w in pair_sources], dtype=np.float64)
        if len(weights) and ((weights < 0).any() or weights.sum() <= 0):
            raise ValueError(f"pair source weights must be non-negative with a positive sum, got {weights.tolist()}")
        self.pair_sources = [s for s, _ in pair_sources]
        self.pair_weights = weights / weights.sum() if len(weights) else weights
        self.detection_source = detection_source
        self.detection_ratio = detection_ratio if pair_sources else 1.0
        if detection_source is None:
            self.detection_ratio = 0.0
        self.batch_size = batch_size
        self.iterations = iterations
        self.seed = seed
        self.rank = rank
        self.template_jitter = template_jitter
        self.flip = flip
        self.search_crop = search_crop
        self.negative_pairs = negative_pairs
        self.photometric = photometric
        self.part_pairs = part_pairs
        self.low_res = low_res

    def __len__(self) -> int:
        return self.iterations

    def mode(self, iteration: int) -> str:
        shared = np.random.default_rng([self.seed, iteration])
        return "detect" if shared.random() < self.detection_ratio else "track"

    def __getitem__(self, iteration: int) -> tuple[str, tuple]:
        rng = np.random.default_rng([self.seed, iteration, self.rank + 1])
        if self.mode(iteration) == "detect":
            return "detect", detection_inputs([self.detection_source.sample(rng) for _ in range(self.batch_size)])
        return "track", pair_inputs([self._pair(rng) for _ in range(self.batch_size)])

    def _pair(self, rng: np.random.Generator) -> PairSample:
        """A tracking pair; a `negative_pairs` share of them gets the search frame of another
        pair, object absent (DaSiamRPN's negative pairs): a salient object that is not the
        template's must be rejected, so the heads have to follow the template."""
        sample = self._positive_pair(rng)
        if rng.random() < self.negative_pairs:
            other = self._positive_pair(rng)
            sample = PairSample(sample.template_image, sample.template_box, other.search_image, None, None)
        return sample

    def _positive_pair(self, rng: np.random.Generator) -> PairSample:
        source = self.pair_sources[rng.choice(len(self.pair_sources), p=self.pair_weights)]
        sample = source.sample(rng)
        size = sample.template_image.shape[:2]
        sample.template_box = jitter_box(sample.template_box, self.template_jitter, rng, size)
        if self.flip and rng.random() < 0.5:
            sample = flip_pair(sample)
        if rng.random() < self.search_crop:
            sample = crop_search(sample, rng)
        if self.part_pairs and rng.random() < self.part_pairs:  # draws nothing when off
            sample = part_of(sample, rng)
        if self.low_res and rng.random() < self.low_res:  # draws nothing when off
            sample = shrink_pair(sample, rng)
        if self.photometric:  # draws nothing when off, so recipes without it replay as before
            if rng.random() < self.photometric:
                sample.template_image = photometric(sample.template_image, rng)
            if rng.random() < self.photometric:
                sample.search_image = photometric(sample.search_image, rng)
        return sample


def first_item(batch: list) -> object:
    """DataLoader collate for a batch of one precomputed item."""
    return batch[0]
