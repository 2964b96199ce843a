"""Type aliases for code that calls fastsoftmax (``from fastsoftmax.typing
import Algorithm``): ``Algorithm`` and ``Reduction`` name the strings
``algorithm=`` and ``reduction=`` take, so a type checker catches a misspelt one."""

from __future__ import annotations

from typing import Any, Literal, Tuple, Union

import numpy as np
from numpy.typing import NDArray

#: ``algorithm=`` of softmax / log_softmax (the same names as ``fastsoftmax.ALGORITHMS``).
Algorithm = Literal["auto", "three_pass_reload", "three_pass_recompute", "two_pass", "online"]
#: ``reduction=`` of the losses.
Reduction = Literal["none", "mean", "sum"]
#: A float array result (float32 or float64, the input's dtype).
FloatArray = NDArray[np.floating[Any]]
#: A loss: one per row with ``reduction="none"``, else a NumPy scalar of the logits' dtype.
Loss = Union[FloatArray, np.floating[Any]]
#: A loss and its gradient (``return_grad=True``).
LossAndGrad = Tuple[Loss, FloatArray]

__all__ = ["Algorithm", "Reduction", "FloatArray", "Loss", "LossAndGrad"]
