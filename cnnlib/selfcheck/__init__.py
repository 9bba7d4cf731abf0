"""Self-checks of the assignments, exercises and quizzes: instant, specific feedback.

Each ``check_*`` function runs your function on a few small cases, from the simplest
(one 5x5 image, one 3x3 kernel) to the tricky ones (stride that does not divide the
input, overlapping windows, ties), and compares with an independent computation:
cnnlib's reference layers (themselves tested against PyTorch) or PyTorch itself.

* If everything agrees, it prints one line starting with ``✔``.
* Otherwise it raises :class:`SelfCheckError` with what is wrong: the case, the
  expected and actual shape, the first value that differs and by how much, and,
  when the mistake is a usual one, which (a flipped kernel, padding on one side
  only, a rounded-up output size, only the last channel summed, the stride missing
  from the window position, gradients overwritten where windows overlap...).
  In Jupyter the error shows as a short message, without a traceback.

If your own code raises an error, that error is shown as usual (with the line of
your code that failed), plus a note naming the case that triggered it.

The checks never show a solution: they only say how your result differs.

The lessons' exercises and quizzes are checked the same way: :func:`check_exercise`
and :func:`check_quiz` say whether an answer is right or which known mistake gives it
(the padding counted once, the + 1 forgotten, the channels left out...)::

    check_quiz("02a.2", padded=26)  # ✘ Quiz 02a.2, padded: 26 — the padding was counted once...
    check_exercise("02b.2", receptive_field)

One module per assignment, one for the exercises and one for the quizzes (with one module
per lesson beside them), one shared module for the reporting:

=========================  ==================================================
``_report``                the error, the comparison and the messages
``conv_from_scratch``      assignment 1: conv2d, max_pool2d, backward passes,
                           ``torch.autograd.Function`` wrappers
``conv_mistakes``          assignment 1's usual mistakes, one table per check
                           (name, wrong function, message)
``architectures``          assignment 2: whole models, VGG layers, ResNet block
``numpy_only``             assignment 1's NumPy-only rule, read from your code
``answers``                checking a short answer (a number, a shape, a choice)
                           or a small function against a table of mistakes
``exercises``              the lessons' exercises: ``check_exercise``, and
                           ``exercises_01`` ... ``exercises_05`` per lesson
``quiz``                   the lessons' quizzes: ``check_quiz``, the quizzes of
                           01a-05, and ``quiz_00``, ``quiz_04b``, ``quiz_05``,
                           ``quiz_06``, ``quiz_10`` for the other lessons
=========================  ==================================================
"""
from ._report import SelfCheckError
from .architectures import check_basic_block, check_model, check_vgg_layers
from .conv_from_scratch import (check_conv2d, check_conv2d_backward, check_conv2d_function,
                                check_max_pool2d, check_max_pool2d_backward,
                                check_max_pool2d_function)
from .exercises import check_exercise
from .numpy_only import check_numpy_only
from .quiz import check_quiz

__all__ = [
    "SelfCheckError",
    "check_conv2d", "check_max_pool2d", "check_conv2d_backward", "check_max_pool2d_backward",
    "check_conv2d_function", "check_max_pool2d_function",
    "check_model", "check_vgg_layers", "check_basic_block", "check_numpy_only",
    "check_exercise", "check_quiz",
]
