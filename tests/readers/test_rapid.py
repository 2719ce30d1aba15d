"""The RapidOCR reader batches crops by width (real model)."""

from __future__ import annotations

import numpy as np
import pytest

from foureyes.readers.rapid import RapidOCRReader, _by_width


@pytest.mark.parametrize(
    ("ratios", "groups"),
    [
        ([6.7, 6.7, 6.7], [[0, 1, 2]]),
        ([14.0, 3.0, 4.0, 9.5], [[1, 2], [3, 0]]),
        ([3.0, 30.0], [[0], [1]]),
        ([], []),
    ],
)
def test_crops_are_batched_with_crops_of_a_like_width(
    ratios: list[float], groups: list[list[int]]
) -> None:
    """No crop is padded to more than one and a half times its own width."""
    assert _by_width(ratios) == groups


def test_a_mixed_batch_reads_each_crop_as_alone() -> None:
    """Reading a wide and a narrow crop together gives what each gives alone, in order."""
    import cv2

    def text_crop(text: str) -> np.ndarray:
        img = np.full((40, 30 * len(text), 3), 255, np.uint8)
        cv2.putText(img, text, (4, 31), cv2.FONT_HERSHEY_SIMPLEX, 1.0, (0, 0, 0), 2)
        return img

    reader = RapidOCRReader(threads=1)
    crops = [text_crop("$12,345.67"), text_crop("88"), text_crop("$1.50")]
    together = reader.read(crops)
    alone = [reader.read([c])[0] for c in crops]
    assert [r.value_text for r in together] == [r.value_text for r in alone]
    assert together[0].value_text.replace(" ", "") == "$12,345.67"
