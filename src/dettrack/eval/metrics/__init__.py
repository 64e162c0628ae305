"""Official benchmark metrics, reimplemented from their definitions (NumPy only).

- GOT-10k: AO, SR0.5 / SR0.75, success curve, per-sequence AO (`got10k`)
- OTB / LaSOT: success curve and AUC, precision at 20 px, normalised precision (`otb`)
- OxUvA: TPR, TNR, GM, MaxGM, score-threshold AUC (`oxuva`)
- VOT long-term: precision, recall, F (`votlt`)
- DAVIS 2017: J and F Mean / Recall / Decay, J&F-Mean (`davis`)

Bad input raises ValueError naming what is wrong (and the sequence, where one is named).
"""

from .davis import (
    DavisScores,
    DavisStatistics,
    davis_boundary,
    davis_f,
    davis_j,
    davis_scores,
    davis_statistics,
    dilate_disk,
)
from .got10k import (
    Got10kScores,
    Got10kSequence,
    got10k_average_overlap,
    got10k_scores,
    got10k_sequence_ious,
    got10k_success_curve,
    got10k_success_rate,
)
from .otb import (
    OPEScores,
    lasot_normalised_precision_curve,
    lasot_scores,
    otb_precision_curve,
    otb_scores,
    otb_success_curve,
)
from .oxuva import (
    OxuvaLabels,
    OxuvaPredictions,
    OxuvaScores,
    TrackAssessment,
    oxuva_assess_track,
    oxuva_auc,
    oxuva_max_gm,
    oxuva_score_curve,
    oxuva_scores,
    unit_square_iou,
)
from .votlt import VotLTScores, vot_lt_overlaps, vot_lt_scores, vot_lt_sequence_curves, vot_lt_thresholds

__all__ = [
    "DavisScores",
    "DavisStatistics",
    "Got10kScores",
    "Got10kSequence",
    "OPEScores",
    "OxuvaLabels",
    "OxuvaPredictions",
    "OxuvaScores",
    "TrackAssessment",
    "VotLTScores",
    "davis_boundary",
    "davis_f",
    "davis_j",
    "davis_scores",
    "davis_statistics",
    "dilate_disk",
    "got10k_average_overlap",
    "got10k_scores",
    "got10k_sequence_ious",
    "got10k_success_curve",
    "got10k_success_rate",
    "lasot_normalised_precision_curve",
    "lasot_scores",
    "otb_precision_curve",
    "otb_scores",
    "otb_success_curve",
    "oxuva_assess_track",
    "oxuva_auc",
    "oxuva_max_gm",
    "oxuva_score_curve",
    "oxuva_scores",
    "unit_square_iou",
    "vot_lt_overlaps",
    "vot_lt_scores",
    "vot_lt_sequence_curves",
    "vot_lt_thresholds",
]
