"""Benchmark evaluation: official metrics, trackers side by side, runner, reports, the paper's protocols.

- `metrics`: the official metrics of the tracking and segmentation benchmarks
- `peers`: one tracker interface for dettrack, OpenCV's CSRT / KCF / MIL and NanoTrack
- `benchmarks`: which reader, split and result format each benchmark uses
- `runner`: run trackers over a benchmark (resumable, shardable) -> `formats` (official result files)
- `scoring`, `masks_scoring`: results read back and scored; `report`, `plots`: tables and figures
- `paper`, `coco`: the paper's Tables 2-5 and COCO mask mAP beside the published numbers
"""
